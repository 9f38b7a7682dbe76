/* synth/buildings.c: building footprints on one block.
 * Typologies of Chinese urban blocks: south-facing residential slabs in
 * rows (行列式) spaced for winter sunlight (GB 50180: spacing = k x height),
 * point towers (点式高层), dense urban-village houses (城中村), courtyard
 * houses with a yard (a polygon with a hole) in the walled old town,
 * L-shaped commercial podiums, office towers, industrial sheds, and the
 * school and hospital compounds. Footprints never leave the block's
 * buildable rectangle, which roads.c and blocks.c keep clear of streets and
 * water. Dimensions shrink with --scale > 1 (more, smaller buildings). */
#include <math.h>
#include <stdio.h>

#include "synth/synth.h"

typedef struct bctx {
    synth_ctx *c;
    const synth_block *b;
    synth_rng r;
    double d;            /* density factor: 1 at scale 1 */
} bctx;

static int emit(bctx *k, const synth_pt *p, int n, const synth_pt *hole,
                int nh, const char *kind, int levels, double storey,
                const char *name, const char *name_en, ct_err *err)
{
    const synth_block *b = k->b;
    double bx0 = p[0].x, by0 = p[0].y, bx1 = p[0].x, by1 = p[0].y;
    for (int i = 0; i < n; i++) {
        if (p[i].x < b->x0 - 1e-6 || p[i].x > b->x1 + 1e-6 ||
            p[i].y < b->y0 - 1e-6 || p[i].y > b->y1 + 1e-6)
            return CT_OK;   /* does not fit: leave the ground open */
        bx0 = fmin(bx0, p[i].x), bx1 = fmax(bx1, p[i].x);
        by0 = fmin(by0, p[i].y), by1 = fmax(by1, p[i].y);
    }
    const char *district = b->district;
    if (b->straddle) {
        /* 2 m clear of the boundary line */
        int d = synth_world_rect_district(&k->c->w, bx0 - 2, by0 - 2, bx1 + 2,
                                          by1 + 2);
        if (d < 0)
            return CT_OK;   /* would cross a district boundary */
        district = k->c->w.dist_id[d];
    }
    double area = 0;
    for (int i = 0, j = n - 1; i < n; j = i++)
        area += (p[j].x + p[i].x) * (p[j].y - p[i].y);
    area = fabs(area) / 2;
    if (hole) {
        double ah = 0;
        for (int i = 0, j = nh - 1; i < nh; j = i++)
            ah += (hole[j].x + hole[i].x) * (hole[j].y - hole[i].y);
        area -= fabs(ah) / 2;
    }
    char id[32], blk[32];
    snprintf(id, sizeof id, "bld-%07lld",
             (long long)k->c->out.count[SL_BUILDINGS] + 1);
    snprintf(blk, sizeof blk, "blk-%03d-%03d", b->i, b->j);
    OGRFeatureH f = synth_feat(&k->c->out, SL_BUILDINGS, id, name, name_en,
                               kind, district);
    double h = round(levels * storey * 10) / 10;
    synth_set_real(f, "height", h);
    synth_set_real(f, "min_height", 0);
    synth_set_int(f, "levels", levels);
    synth_set_str(f, "height_rule", "levels");
    synth_set_real(f, "area_m2", round(area * 10) / 10);
    synth_set_str(f, "block", blk);
    return synth_put_rings(&k->c->out, SL_BUILDINGS, p, n, hole, nh, err);
}

static int rect(bctx *k, double x, double y, double w, double h,
                const char *kind, int levels, double storey, const char *nm,
                const char *en, ct_err *err)
{
    synth_pt p[4] = {{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}};
    return emit(k, p, 4, NULL, 0, kind, levels, storey, nm, en, err);
}

/* An L: a w x h box minus its (w-a) x (h-b) upper-right part. */
static int ell(bctx *k, double x, double y, double w, double h, double a,
               double bw, int flip, const char *kind, int levels, ct_err *err)
{
    synth_pt p[6] = {{0, 0}, {w, 0}, {w, bw}, {a, bw}, {a, h}, {0, h}};
    for (int i = 0; i < 6; i++) {
        if (flip & 1)
            p[i].x = w - p[i].x;
        if (flip & 2)
            p[i].y = h - p[i].y;
        p[i].x += x, p[i].y += y;
    }
    if (flip == 1 || flip == 2) {   /* keep rings counter-clockwise */
        for (int i = 0; i < 3; i++) {
            synth_pt t = p[i];
            p[i] = p[5 - i], p[5 - i] = t;
        }
    }
    return emit(k, p, 6, NULL, 0, kind, levels, 4.5, NULL, NULL, err);
}

static int courtyard(bctx *k, double x, double y, double s, double wall,
                     const char *kind, int levels, const char *nm,
                     const char *en, ct_err *err)
{
    synth_pt o[4] = {{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}};
    synth_pt h[4] = {{x + wall, y + wall}, {x + wall, y + s - wall},
                     {x + s - wall, y + s - wall}, {x + s - wall, y + wall}};
    return emit(k, o, 4, h, 4, kind, levels, 3.6, nm, en, err);
}

/* Rows of south-facing slabs: pitch = depth + k_sun * height. */
static int slabs(bctx *k, int levels, const char *kind, ct_err *err)
{
    const synth_block *b = k->b;
    double d = k->d, depth = 12 * d, h = levels * 3.0;
    double ksun = levels <= 7 ? 1.3 : 0.9;
    double pitch = depth + ksun * h * d;
    double gap = (levels <= 7 ? 8 : 13) * d;
    int rc = CT_OK;
    for (double y = b->y0 + 4 * d; y + depth <= b->y1 && rc == CT_OK; y += pitch) {
        double x = b->x0 + synth_rng_range(&k->r, 2, 10) * d;
        while (rc == CT_OK) {
            double len = synth_rng_range(&k->r, 36, 72) * d;
            if (x + len > b->x1)
                break;
            rc = rect(k, x, y, len, depth, kind, levels, 3.0, NULL, NULL, err);
            x += len + gap;
        }
    }
    return rc;
}

static int towers(bctx *k, int lo, int hi, const char *kind, ct_err *err)
{
    const synth_block *b = k->b;
    double d = k->d, s = 24 * d;
    int rc = CT_OK;
    for (double y = b->y0 + 5 * d; y + s <= b->y1 && rc == CT_OK;) {
        int levels = lo + synth_rng_int(&k->r, hi - lo + 1);
        for (double x = b->x0 + 5 * d; x + s <= b->x1 && rc == CT_OK;
             x += s + 26 * d)
            rc = rect(k, x, y, s, s * synth_rng_range(&k->r, 0.8, 1.0), kind,
                      levels, 3.0, NULL, NULL, err);
        y += s + fmax(30, 0.6 * levels * 3.0) * d;
    }
    return rc;
}

static int village(bctx *k, ct_err *err)
{
    const synth_block *b = k->b;
    double d = k->d;
    int rc = CT_OK;
    for (double y = b->y0 + 2 * d; y + 12 * d <= b->y1 && rc == CT_OK; y += 15.5 * d)
        for (double x = b->x0 + 2 * d; x + 10 * d <= b->x1 && rc == CT_OK; x += 13.5 * d)
            rc = rect(k, x, y, synth_rng_range(&k->r, 8, 10) * d,
                      synth_rng_range(&k->r, 9, 12) * d, "residential",
                      3 + synth_rng_int(&k->r, 3), 3.0, NULL, NULL, err);
    return rc;
}

static int old_courtyards(bctx *k, ct_err *err)
{
    const synth_block *b = k->b;
    double d = k->d;
    int rc = CT_OK, n = 0;
    for (double y = b->y0 + 2 * d; y + 22 * d <= b->y1 && rc == CT_OK; y += 26 * d)
        for (double x = b->x0 + 2 * d; x + 22 * d <= b->x1 && rc == CT_OK; x += 26 * d) {
            double s = synth_rng_range(&k->r, 18, 22) * d;
            int named = synth_rng_unit(&k->r) < 0.04;
            char zh[64], en[64];
            snprintf(zh, sizeof zh, "老城院落%d-%d-%d号", b->i, b->j, ++n);
            snprintf(en, sizeof en, "Old Town Courtyard %d-%d-%d", b->i, b->j, n);
            rc = courtyard(k, x, y, s, 5 * d, "historic", 1 + synth_rng_int(&k->r, 2),
                           named ? zh : NULL, named ? en : NULL, err);
        }
    return rc;
}

static int commercial(bctx *k, ct_err *err)
{
    const synth_block *b = k->b;
    double d = k->d, cell = 62 * d;
    int rc = CT_OK;
    for (double y = b->y0; y + cell <= b->y1 + 1e-9 && rc == CT_OK; y += cell + 6 * d)
        for (double x = b->x0; x + cell <= b->x1 + 1e-9 && rc == CT_OK; x += cell + 6 * d) {
            double w = synth_rng_range(&k->r, 45, 60) * d;
            double h = synth_rng_range(&k->r, 45, 60) * d;
            rc = ell(k, x, y, w, h, 18 * d, 18 * d, synth_rng_int(&k->r, 4),
                     "commercial", 3 + synth_rng_int(&k->r, 4), err);
        }
    return rc;
}

static int offices(bctx *k, ct_err *err)
{
    const synth_block *b = k->b;
    double d = k->d, s = 32 * d;
    int rc = CT_OK, n = 0;
    for (double y = b->y0 + 5 * d; y + s <= b->y1 && rc == CT_OK; y += s + 40 * d)
        for (double x = b->x0 + 5 * d; x + s <= b->x1 && rc == CT_OK; x += s + 30 * d) {
            /* office towers: 15-40 floors in the new district, 8-24
             * elsewhere */
            int levels = b->zone == ZONE_NEWTOWN ? 15 + synth_rng_int(&k->r, 26)
                                                 : 8 + synth_rng_int(&k->r, 17);
            char zh[64], en[64];
            int named = levels >= 30 || synth_rng_unit(&k->r) < 0.2;
            snprintf(zh, sizeof zh, "洛阳%s大厦%d号",
                     b->zone == ZONE_NEWTOWN ? "国际金融" : "商务", ++n + b->i * 7);
            snprintf(en, sizeof en, "Luoyang %s Tower %d",
                     b->zone == ZONE_NEWTOWN ? "IFC" : "Business", n + b->i * 7);
            rc = rect(k, x, y, s, s, "office", levels, 3.8, named ? zh : NULL,
                      named ? en : NULL, err);
        }
    return rc;
}

static int industrial(bctx *k, ct_err *err)
{
    const synth_block *b = k->b;
    double d = k->d;
    int rc = CT_OK;
    for (double y = b->y0 + 5 * d; y + 40 * d <= b->y1 && rc == CT_OK; y += 62 * d)
        for (double x = b->x0 + 5 * d; rc == CT_OK;) {
            double w = synth_rng_range(&k->r, 60, 110) * d;
            if (x + w > b->x1)
                break;
            rc = rect(k, x, y, w, synth_rng_range(&k->r, 30, 45) * d, "industrial",
                      1 + synth_rng_int(&k->r, 2), 6.0, NULL, NULL, err);
            x += w + 15 * d;
        }
    return rc;
}

/* A compound: one named main building plus slabs around a sports ground
 * or garden in the middle of the block. */
static int compound(bctx *k, const char *kind, int main_levels, ct_err *err)
{
    const synth_block *b = k->b;
    double d = k->d, w = b->x1 - b->x0, h = b->y1 - b->y0;
    int rc = ell(k, b->x0 + 4 * d, b->y1 - 64 * d, 60 * d, 60 * d, 18 * d,
                 18 * d, 2, kind, main_levels, err);
    /* the ell() above writes no name; name the first slab instead */
    if (rc == CT_OK)
        rc = rect(k, b->x0 + w * 0.45, b->y1 - 20 * d, 60 * d, 14 * d, kind,
                  main_levels, 3.6, b->name, b->name_en, err);
    for (double x = b->x0 + w * 0.45; rc == CT_OK && x + 40 * d <= b->x1;
         x += 52 * d)
        rc = rect(k, x, b->y0 + 6 * d, 40 * d, 14 * d, kind, 5, 3.6, NULL, NULL,
                  err);
    (void)h;
    return rc;
}

int synth_buildings(synth_ctx *c, const synth_block *b, ct_err *err)
{
    bctx k = {.c = c, .b = b, .d = c->density};
    synth_rng_init(&k.r, c->opt.seed, 0xB10C, (uint64_t)b->i, (uint64_t)b->j);
    switch (b->type) {
    case BT_SLABS: {
        double u = synth_rng_unit(&k.r);
        int levels = b->zone == ZONE_INDUSTRIAL ? 5 + synth_rng_int(&k.r, 2)
                     : u < 0.45                  ? 6
                     : u < 0.65                  ? 11
                     : u < 0.92                  ? 18
                                                 : 26;
        return slabs(&k, levels, "residential", err);
    }
    case BT_TOWERS: return towers(&k, 25, 33, "residential", err);
    case BT_VILLAGE: return village(&k, err);
    case BT_COURTYARDS: return old_courtyards(&k, err);
    case BT_COMMERCIAL: return commercial(&k, err);
    case BT_OFFICE: return offices(&k, err);
    case BT_INDUSTRIAL: return industrial(&k, err);
    case BT_SCHOOL: return compound(&k, "school", 5, err);
    case BT_HOSPITAL: return compound(&k, "hospital", 16, err);
    }
    return CT_OK;
}
