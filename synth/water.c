/* synth/water.c: water areas and the hydrological monitoring network.
 * Water areas: every river line (the real GSHHG Yellow and Luo rivers and
 * the generated Yi, Jian and Chan courses) buffered to its river's width,
 * and the prefecture's large reservoirs (Xiaolangdi, Luhun, Guxian,
 * Qianping) as approximate ellipses - all labelled synthetic.
 * Monitoring stations (>= 800 across the prefecture, as the city plan
 * counts): water level and flow stations every few kilometres along the
 * rivers, level stations around each reservoir (with a flood-limit level),
 * and rain gauges on a jittered ~4.2 km grid over the whole prefecture.
 * Levels are metres above datum; warning < guarantee by construction. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "synth/synth.h"

typedef struct reservoir {
    const char *id, *zh, *en;
    double lon, lat, a, b, angle_deg;
    double normal, flood_limit;
} reservoir;

static const reservoir RES[] = {
    {"res-xiaolangdi", "小浪底水库", "Xiaolangdi Reservoir", 112.20, 34.955,
     14000, 1800, 12, 260.0, 254.0},
    {"res-luhun", "陆浑水库", "Luhun Reservoir", 112.185, 34.205, 5500, 2000,
     35, 317.0, 315.5},
    {"res-guxian", "故县水库", "Guxian Reservoir", 111.26, 34.245, 6000, 1100,
     -20, 534.0, 527.3},
    {"res-qianping", "前坪水库", "Qianping Reservoir", 112.52, 34.02, 3200,
     1200, 10, 403.0, 400.0}};
#define NRES ((int)(sizeof RES / sizeof RES[0]))

static void ellipse(const reservoir *r, int n, synth_pt *p)
{
    double cx, cy, a = r->angle_deg * M_PI / 180;
    synth_from_lonlat(r->lon, r->lat, &cx, &cy);
    for (int k = 0; k < n; k++) {
        double t = 2 * M_PI * k / n;
        double ex = r->a * cos(t), ey = r->b * sin(t);
        p[k].x = cx + ex * cos(a) - ey * sin(a);
        p[k].y = cy + ex * sin(a) + ey * cos(a);
    }
}

int synth_water_areas(synth_ctx *c, ct_err *err)
{
    int rc = CT_OK;
    /* the generated river courses as lines too */
    for (int k = 0; k < c->w.nriver && rc == CT_OK; k++) {
        const synth_river *r = &c->w.river[k];
        if (r->real)
            continue;
        synth_feat(&c->out, SL_WATER_LINES, r->id, r->name, r->name_en, "river",
                   NULL);
        rc = synth_put_line(&c->out, SL_WATER_LINES, r->line.p, r->line.n, err);
    }
    for (int k = 0; k < c->w.nriver && rc == CT_OK; k++) {
        const synth_river *r = &c->w.river[k];
        OGRGeometryH l = OGR_G_CreateGeometry(wkbLineString);
        for (int i = 0; i < r->line.n; i++)
            OGR_G_SetPoint_2D(l, i, r->line.p[i].x, r->line.p[i].y);
        OGRGeometryH b = OGR_G_Buffer(l, r->half_width, 6);
        OGR_G_DestroyGeometry(l);
        if (!b)
            return ct_fail(err, CT_ERR, "water area of %s: buffer failed", r->id);
        char id[32];
        snprintf(id, sizeof id, "wa-%03lld",
                 (long long)c->out.count[SL_WATER_AREAS] + 1);
        OGRFeatureH f = synth_feat(&c->out, SL_WATER_AREAS, id, r->name,
                                   r->name_en, "river", NULL);
        synth_set_str(f, "river_id", r->id);
        rc = synth_put_geom(&c->out, SL_WATER_AREAS, b, err);
        OGR_G_DestroyGeometry(b);
    }
    for (int k = 0; k < NRES && rc == CT_OK; k++) {
        synth_pt p[48];
        ellipse(&RES[k], 48, p);
        char id[32];
        snprintf(id, sizeof id, "wa-%03lld",
                 (long long)c->out.count[SL_WATER_AREAS] + 1);
        OGRFeatureH f = synth_feat(&c->out, SL_WATER_AREAS, id, RES[k].zh,
                                   RES[k].en, "reservoir", NULL);
        synth_set_str(f, "river_id", RES[k].id);
        rc = synth_put_rings(&c->out, SL_WATER_AREAS, p, 48, NULL, 0, err);
    }
    return rc;
}

static int put_station(synth_ctx *c, synth_pt p, const char *type,
                       const char *body, const char *body_id, double normal,
                       double warn, double guar, double flood, int period,
                       const char *zh, const char *en, ct_err *err)
{
    char id[32];
    snprintf(id, sizeof id, "ws-%04lld",
             (long long)c->out.count[SL_WATER_STATIONS] + 1);
    int d = synth_world_district(&c->w, p.x, p.y);
    OGRFeatureH f = synth_feat(&c->out, SL_WATER_STATIONS, id, zh, en, type,
                               d >= 0 ? c->w.dist_id[d] : NULL);
    synth_set_str(f, "station_type", type);
    if (body)
        synth_set_str(f, "water_body", body);
    if (body_id)
        synth_set_str(f, "river_id", body_id);
    if (!isnan(warn)) {
        synth_set_real(f, "normal_level", normal);
        synth_set_real(f, "warning_level", warn);
        synth_set_real(f, "guarantee_level", guar);
    }
    if (!isnan(flood))
        synth_set_real(f, "flood_limit_level", flood);
    synth_set_int(f, "period_s", period);
    return synth_put_point(&c->out, SL_WATER_STATIONS, p.x, p.y, err);
}

static int river_stations(synth_ctx *c, ct_err *err)
{
    int rc = CT_OK;
    for (int k = 0; k < c->w.nriver && rc == CT_OK; k++) {
        const synth_river *r = &c->w.river[k];
        double len = synth_line_length(&r->line);
        double step = r->half_width < 40 ? 1500 : 3500;
        /* bed falls ~1 m/km; source heights are a rough model */
        double top = r->half_width >= 400 ? 140 : 120 + len / 1000.0;
        int n = 0;
        for (double s = step / 2; s < len && rc == CT_OK; s += step) {
            synth_pt dir, p = synth_line_at(&r->line, s, &dir);
            /* on the bank, just outside the water area */
            p.x += -dir.y * (r->half_width + 15);
            p.y += dir.x * (r->half_width + 15);
            double bed = top - s / 1000.0;
            synth_rng g;
            synth_rng_init(&g, c->opt.seed, 0x5A7, (uint64_t)k, (uint64_t)n);
            double normal = bed + synth_rng_range(&g, 1.5, 3.0);
            double warn = normal + synth_rng_range(&g, 2.0, 3.5);
            double guar = warn + synth_rng_range(&g, 1.0, 2.0);
            int flow = (n % 3) == 2;
            char zh[96], en[96];
            const char *nm = r->name ? r->name : "无名河";
            const char *ne = r->name_en ? r->name_en : "Unnamed river";
            snprintf(zh, sizeof zh, "%s%s站%d", nm, flow ? "流量" : "水位", n + 1);
            snprintf(en, sizeof en, "%s %s station %d", ne, flow ? "flow" : "level",
                     n + 1);
            rc = put_station(c, p, flow ? "flow" : "level", nm, r->id, normal,
                             warn, guar, NAN, flow ? 600 : 300, zh, en, err);
            n++;
        }
    }
    return rc;
}

static int reservoir_stations(synth_ctx *c, ct_err *err)
{
    int rc = CT_OK;
    for (int k = 0; k < NRES && rc == CT_OK; k++) {
        synth_pt p[6];
        ellipse(&RES[k], 6, p);
        for (int s = 0; s < 6 && rc == CT_OK; s++) {
            const reservoir *r = &RES[k];
            char zh[96], en[96];
            snprintf(zh, sizeof zh, "%s%s站%d", r->zh, s ? "库区" : "坝前", s + 1);
            snprintf(en, sizeof en, "%s %s station %d", r->en, s ? "pool" : "dam",
                     s + 1);
            /* in flood season a reservoir is held just under its flood-limit
             * level (汛限水位), which lies below the normal pool level */
            double warn = r->normal;   /* the normal pool level */
            rc = put_station(c, p[s], "reservoir", r->zh, r->id,
                             r->flood_limit - 0.5,
                             warn, warn + 4.0, r->flood_limit, 300, zh, en, err);
        }
    }
    return rc;
}

/* Rain gauges on a jittered grid over the prefecture. */
static int rain_gauges(synth_ctx *c, ct_err *err)
{
    const synth_poly *pf = &c->w.prefecture;
    const double step = 4200;
    int rc = CT_OK, n = 0, row = 0;
    for (double y = pf->ymin + step / 2; y < pf->ymax && rc == CT_OK; y += step, row++) {
        int col = 0;
        for (double x = pf->xmin + step / 2; x < pf->xmax && rc == CT_OK; x += step, col++) {
            synth_rng g;
            synth_rng_init(&g, c->opt.seed, 0x4A1, (uint64_t)row, (uint64_t)col);
            synth_pt p = {x + synth_rng_range(&g, -1200, 1200),
                          y + synth_rng_range(&g, -1200, 1200)};
            if (!synth_poly_contains(pf, p.x, p.y))
                continue;
            char zh[64], en[64];
            snprintf(zh, sizeof zh, "雨量站%d", ++n);
            snprintf(en, sizeof en, "Rain gauge %d", n);
            rc = put_station(c, p, "rain", NULL, NULL, 0, NAN, NAN, NAN, 300, zh,
                             en, err);
        }
    }
    return rc;
}

int synth_water_stations(synth_ctx *c, ct_err *err)
{
    int rc = river_stations(c, err);
    if (rc == CT_OK)
        rc = reservoir_stations(c, err);
    if (rc == CT_OK)
        rc = rain_gauges(c, err);
    return rc;
}
