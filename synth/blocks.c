/* synth/blocks.c: the blocks between streets and what each is used for.
 * A block is the buildable rectangle of a grid cell after the road
 * red-line half widths and the building setbacks (15 / 10 / 6 m from
 * arterial / secondary / local streets). Blocks outside a district or the
 * urban boundary or in water are skipped; blocks on a river bank become
 * riverside parks (like the Luopu park along the Luo); blocks at a railway
 * station become its forecourt with a car park. The rest are zoned by
 * area (old town, new district, industrial belt, mixed city) and filled by
 * buildings.c; schools, hospitals, parks and car parks are written here. */
#include <math.h>
#include <stdio.h>

#include "synth/synth.h"

static const double SETBACK[3] = {15, 10, 6};

static const char *PARKS[][2] = {
    {"牡丹", "Peony"}, {"王城", "Wangcheng"}, {"隋唐", "Sui-Tang"},
    {"西苑", "Xiyuan"}, {"周山", "Zhoushan"}, {"龙门", "Longmen"},
    {"新区", "New District"}, {"植物", "Botanical"}, {"河洛", "Heluo"}};

static int put_green(synth_ctx *c, const synth_block *b, const char *kind,
                     const char *zh, const char *en, ct_err *err)
{
    char id[32];
    snprintf(id, sizeof id, "park-%04lld", (long long)c->out.count[SL_GREEN] + 1);
    synth_feat(&c->out, SL_GREEN, id, zh, en, kind, b->district);
    synth_pt p[4] = {{b->x0, b->y0}, {b->x1, b->y0}, {b->x1, b->y1}, {b->x0, b->y1}};
    return synth_put_rings(&c->out, SL_GREEN, p, 4, NULL, 0, err);
}

static int put_car_park(synth_ctx *c, const synth_block *b, const char *area,
                        int lo, int hi, ct_err *err)
{
    synth_rng r;
    synth_rng_init(&r, c->opt.seed, 0xCA5, (uint64_t)b->i, (uint64_t)b->j);
    long long n = c->out.count[SL_CAR_PARKS] + 1;
    char id[32], zh[64], en[64];
    snprintf(id, sizeof id, "park-lot-%04lld", n);
    snprintf(zh, sizeof zh, "公共停车场%04lld", n);
    snprintf(en, sizeof en, "Public Car Park %04lld", n);
    const char *kind = synth_rng_unit(&r) < 0.5 ? "underground"
                       : synth_rng_unit(&r) < 0.5 ? "multistorey" : "surface";
    OGRFeatureH f = synth_feat(&c->out, SL_CAR_PARKS, id, zh, en, kind,
                               b->district);
    synth_set_int(f, "capacity", lo + synth_rng_int(&r, hi - lo + 1));
    synth_set_str(f, "area_kind", area);
    return synth_put_point(&c->out, SL_CAR_PARKS, b->x0 + 4, b->y0 + 4, err);
}

static int put_poi(synth_ctx *c, enum synth_layer l, const char *prefix,
                   const synth_block *b, const char *kind, int beds,
                   ct_err *err)
{
    char id[32];
    snprintf(id, sizeof id, "%s-%04lld", prefix, (long long)c->out.count[l] + 1);
    OGRFeatureH f = synth_feat(&c->out, l, id, b->name, b->name_en, kind,
                               b->district);
    if (beds)
        synth_set_int(f, "beds", beds);
    return synth_put_point(&c->out, l, (b->x0 + b->x1) / 2,
                           (b->y0 + b->y1) / 2, err);
}

/* Choose the block's use from its zone and a per-block hash. */
static enum synth_btype pick_type(const synth_block *b, double u, int on_art,
                                  int *park)
{
    *park = 0;
    switch (b->zone) {
    case ZONE_OLDTOWN:
        return u < 0.05 ? BT_SCHOOL : u < 0.20 ? BT_COMMERCIAL : BT_COURTYARDS;
    case ZONE_NEWTOWN:
        if (u < 0.06) { *park = 1; return BT_SLABS; }
        return u < 0.10   ? BT_SCHOOL
               : u < 0.105 ? BT_HOSPITAL
               : u < 0.18  ? BT_OFFICE
               : u < (on_art ? 0.45 : 0.33) ? BT_COMMERCIAL
               : u < 0.75  ? BT_TOWERS : BT_SLABS;
    case ZONE_INDUSTRIAL:
        if (u < 0.03) { *park = 1; return BT_SLABS; }
        return u < 0.06 ? BT_SCHOOL : u < 0.065 ? BT_HOSPITAL
               : u < 0.55 ? BT_INDUSTRIAL : u < 0.62 ? BT_VILLAGE : BT_SLABS;
    case ZONE_MIXED:
        break;
    }
    if (u < 0.05) { *park = 1; return BT_SLABS; }
    return u < 0.09    ? BT_SCHOOL
           : u < 0.094 ? BT_HOSPITAL
           : u < 0.12  ? BT_OFFICE
           : u < (on_art ? 0.40 : 0.20) ? BT_COMMERCIAL
           : u < (on_art ? 0.52 : 0.36) ? BT_VILLAGE
           : u < 0.50 && !on_art ? BT_TOWERS : BT_SLABS;
}

static int fill_block(synth_ctx *c, synth_block *b, int on_art, ct_err *err)
{
    static const char *NUM[] = {"一", "二", "三", "四", "五", "六", "七", "八", "九", "十"};
    double u = synth_hash_unit(c->opt.seed, (uint64_t)b->i * 7919u, (uint64_t)b->j);
    int park, rc;
    char zh[96], en[96];
    b->type = pick_type(b, u, on_art, &park);
    b->name = b->name_en = NULL;
    if (park) {
        long long n = c->out.count[SL_GREEN] + 1;
        snprintf(zh, sizeof zh, "%s公园%lld", PARKS[n % 9][0], n);
        snprintf(en, sizeof en, "%s Park %lld", PARKS[n % 9][1], n);
        rc = put_green(c, b, "park", zh, en, err);
        return rc ? rc : put_car_park(c, b, "park", 50, 200, err);
    }
    if (b->type == BT_SCHOOL) {
        long long n = c->out.count[SL_SCHOOLS] + 1;
        int mid = n % 2;
        if (n <= 10)
            snprintf(zh, sizeof zh, "洛阳市第%s%s", NUM[n - 1], mid ? "中学" : "小学");
        else
            snprintf(zh, sizeof zh, "洛阳市第%lld%s", n, mid ? "中学" : "小学");
        snprintf(en, sizeof en, "Luoyang No. %lld %s School", n,
                 mid ? "Middle" : "Primary");
        b->name = zh, b->name_en = en;
        rc = put_poi(c, SL_SCHOOLS, "sch", b, mid ? "middle" : "primary", 0, err);
    } else if (b->type == BT_HOSPITAL) {
        long long n = c->out.count[SL_HOSPITALS] + 1;
        snprintf(zh, sizeof zh, "洛阳市第%lld人民医院", n);
        snprintf(en, sizeof en, "Luoyang No. %lld People's Hospital", n);
        b->name = zh, b->name_en = en;
        synth_rng r;
        synth_rng_init(&r, c->opt.seed, 0x405, (uint64_t)b->i, (uint64_t)b->j);
        rc = put_poi(c, SL_HOSPITALS, "hosp", b, "general",
                     300 + 100 * synth_rng_int(&r, 13), err);
        if (rc == CT_OK)
            rc = put_car_park(c, b, "hospital", 200, 800, err);
    } else if (b->type == BT_COMMERCIAL || b->type == BT_OFFICE) {
        rc = put_car_park(c, b, b->type == BT_OFFICE ? "office" : "commercial",
                          150, 900, err);
    } else if ((b->type == BT_SLABS || b->type == BT_TOWERS) &&
               synth_hash_unit(c->opt.seed, 0xCA7, (uint64_t)(b->i * 100003 + b->j)) < 0.06) {
        rc = put_car_park(c, b, "residential", 200, 1200, err);
    } else {
        rc = CT_OK;
    }
    return rc ? rc : synth_buildings(c, b, err);
}

/* A bank block: a riverside park named for its river. */
static int bank_park(synth_ctx *c, synth_block *b, ct_err *err)
{
    const synth_river *best = NULL;
    double bd = INFINITY;
    for (int k = 0; k < c->w.nriver; k++) {
        double d = synth_line_rect_dist(&c->w.river[k].line, b->x0, b->y0,
                                        b->x1, b->y1);
        if (d < bd)
            bd = d, best = &c->w.river[k];
    }
    char zh[96], en[96];
    snprintf(zh, sizeof zh, "%s滨河公园", best && best->name ? best->name : "");
    snprintf(en, sizeof en, "%s%sRiverside Park",
             best && best->name_en ? best->name_en : "",
             best && best->name_en ? " " : "");
    return put_green(c, b, "riverside_park", zh, en, err);
}

int synth_blocks(synth_ctx *c, ct_err *err)
{
    synth_grid *g = c->grid;
    int nx = synth_grid_nx(g), ny = synth_grid_ny(g), rc = CT_OK;
    for (int j = 0; j + 1 < ny && rc == CT_OK; j++)
        for (int i = 0; i + 1 < nx && rc == CT_OK; i++) {
            if (!synth_grid_node_on(g, i, j) || !synth_grid_node_on(g, i + 1, j) ||
                !synth_grid_node_on(g, i, j + 1) ||
                !synth_grid_node_on(g, i + 1, j + 1))
                continue;
            int cl = synth_grid_vclass(g, i), cr = synth_grid_vclass(g, i + 1);
            int cb = synth_grid_hclass(g, j), ct = synth_grid_hclass(g, j + 1);
            synth_block b = {0};
            b.i = i, b.j = j;
            b.x0 = synth_grid_x(g, i) + synth_road_half_width(cl) + SETBACK[cl];
            b.x1 = synth_grid_x(g, i + 1) - synth_road_half_width(cr) - SETBACK[cr];
            b.y0 = synth_grid_y(g, j) + synth_road_half_width(cb) + SETBACK[cb];
            b.y1 = synth_grid_y(g, j + 1) - synth_road_half_width(ct) - SETBACK[ct];
            if (b.x1 - b.x0 < 40 || b.y1 - b.y0 < 40)
                continue;
            int dd = synth_world_rect_district(&c->w, b.x0, b.y0, b.x1, b.y1);
            if (dd < 0) {
                /* across a district boundary: built if it is urban and its
                 * corners lie in central districts; buildings.c then keeps
                 * only the footprints wholly inside one district */
                if (!synth_poly_contains_rect(&c->w.urban, b.x0, b.y0, b.x1, b.y1) ||
                    synth_world_district(&c->w, b.x0, b.y0) < 0 ||
                    synth_world_district(&c->w, b.x1, b.y0) < 0 ||
                    synth_world_district(&c->w, b.x0, b.y1) < 0 ||
                    synth_world_district(&c->w, b.x1, b.y1) < 0)
                    continue;
                b.straddle = 1;
            }
            double wd = synth_world_water_rect_dist(&c->w, b.x0, b.y0, b.x1, b.y1);
            if (wd < 5)
                continue;
            double cx = (b.x0 + b.x1) / 2, cy = (b.y0 + b.y1) / 2;
            int d = synth_world_district(&c->w, cx, cy);
            b.district = d >= 0 ? c->w.dist_id[d] : NULL;
            b.zone = synth_world_zone(&c->w, cx, cy);
            c->nblocks_built++;
            c->built_area_m2 += (synth_grid_x(g, i + 1) - synth_grid_x(g, i)) *
                                (synth_grid_y(g, j + 1) - synth_grid_y(g, j));
            int train = 0;
            double sd = synth_world_station_dist(&c->w, b.x0, b.y0, b.x1, b.y1,
                                                 &train);
            if (wd < 150) {
                rc = bank_park(c, &b, err);
            } else if (sd < (train ? 150 : 1)) {
                /* station forecourt: a plaza and the station's car park */
                rc = put_green(c, &b, "plaza", NULL, NULL, err);
                if (rc == CT_OK)
                    rc = put_car_park(c, &b, "station", 300, 1500, err);
            } else {
                int on_art = cl == 0 || cr == 0 || cb == 0 || ct == 0;
                rc = fill_block(c, &b, on_art, err);
            }
        }
    return rc;
}
