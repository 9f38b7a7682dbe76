/* server/api_rescue.c: the rescue map's reads (issue 8, docs/RESCUE.md):
 * GET /api/v1/rescue/nearest (fire stations, hospitals, police, water
 * stations by distance; hydrants within a radius) and /api/v1/rescue/context
 * (buildings around an incident point), plus what the route handlers share:
 * parameters, the server's road graph, live speeds, snapping. */
#include "server/api_rescue.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "live/live.h"
#include "live/speeds_at.h"
#include "server/serve_live.h"
#include "spatial/layers.h"

#define NEAREST_LAYERS "fire_stations,hospitals,police,hydrants,water_stations,water_sources"
#define WATER_RADIUS_M 5000.0
#define HYDRANT_RADIUS_M 500.0
#define HYDRANTS_MAX 200

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static rgraph *g_graph;       /* built once, never changed, freed at exit */
static int *g_seg_ent;        /* live entity index of each segment, or -1 */
static live_engine *g_seg_eng;  /* the engine g_seg_ent was made for */
static double g_ext[4];       /* node extent: min lon, min lat, max lon, max lat */
static rescue_station *g_st;  /* the fire stations, read once (read-only store) */
static rgraph_pos *g_st_pos;
static int g_nst, g_st_ready;

static void free_graph(void)
{
    rgraph_free(g_graph);
    free(g_seg_ent);
    free(g_st), free(g_st_pos);
}

int rescue_num(http_req *r, const http_qparam *q, int n, const char *name,
               int required, double def, double lo, double hi, double *out)
{
    const char *s = http_query_get(q, n, name);
    if (!s || !*s) {
        if (required) {
            http_reply_error(r, 400, "%s is required (a number in [%g, %g])",
                             name, lo, hi);
            return -1;
        }
        *out = def;
        return 0;
    }
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v)) {
        http_reply_error(r, 400, "%s: '%.40s' is not a finite number", name, s);
        return -1;
    }
    if (v < lo || v > hi) {
        http_reply_error(r, 400, "%s: %g is out of range [%g, %g]", name, v, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int rescue_point(http_req *r, const http_qparam *q, int n, const char *lonp,
                 const char *latp, double *lon, double *lat)
{
    if (rescue_num(r, q, n, lonp, 1, 0, -180, 180, lon) ||
        rescue_num(r, q, n, latp, 1, 0, -90, 90, lat))
        return -1;
    return 0;
}

/* The graph, built on first use; NULL with err when the store has none. */
static rgraph *graph_get(sqlite3 *db, ct_err *err)
{
    pthread_mutex_lock(&g_mu);
    if (!g_graph && rgraph_load(db, &g_graph, err) == CT_OK) {
        g_ext[0] = g_ext[1] = INFINITY, g_ext[2] = g_ext[3] = -INFINITY;
        for (int v = 0; v < g_graph->nn; v++) {
            g_ext[0] = fmin(g_ext[0], g_graph->lon[v]);
            g_ext[1] = fmin(g_ext[1], g_graph->lat[v]);
            g_ext[2] = fmax(g_ext[2], g_graph->lon[v]);
            g_ext[3] = fmax(g_ext[3], g_graph->lat[v]);
        }
        atexit(free_graph);
    }
    rgraph *g = g_graph;
    pthread_mutex_unlock(&g_mu);
    return g;
}

const rgraph *rescue_graph_of(sqlite3 *db)
{
    ct_err err;
    ct_err_clear(&err);
    return db ? graph_get(db, &err) : NULL;
}

const rgraph *rescue_graph(http_req *r)
{
    sqlite3 *db = api_db(r);
    if (!db)
        return NULL;
    ct_err err;
    ct_err_clear(&err);
    const rgraph *g = graph_get(db, &err);
    if (!g)
        http_reply_error(r, err.code == CT_ENOTFOUND ? 503 : 500,
                         "the road graph is not available: %s", err.msg);
    return g;
}

int rescue_in_extent(const rgraph *g, double lon, double lat)
{
    (void)g;
    double m = 0.02;   /* ~2 km */
    return lon >= g_ext[0] - m && lon <= g_ext[2] + m && lat >= g_ext[1] - m &&
           lat <= g_ext[3] + m;
}

/* The segment -> live entity map for engine e (made once), or NULL. */
static const int *seg_entities(const rgraph *g, live_engine *e)
{
    pthread_mutex_lock(&g_mu);
    if (g_seg_eng != e) {
        int *m = malloc(((size_t)g->ns + 1) * sizeof *m);
        for (int s = 0; m && s < g->ns; s++)
            m[s] = live_ents_find(e->reg, g->seg_id[s]);
        if (m) {
            free(g_seg_ent);
            g_seg_ent = m, g_seg_eng = e;
        }
    }
    const int *map = g_seg_eng == e ? g_seg_ent : NULL;
    pthread_mutex_unlock(&g_mu);
    return map;
}

/* kmh[s]: the live speed of each segment now, or at a past time at (> 0)
 * from the history; 0 where there is none. Returns how many, or a
 * negative code. */
static int live_kmh(const rgraph *g, live_engine *e, int64_t at, float *kmh,
                    ct_err *err)
{
    const int *map = seg_entities(g, e);
    if (!map)
        return ct_fail(err, CT_ENOMEM, "live speeds: out of memory");
    int n = 0;
    if (at > 0) {
        float *ent = malloc(((size_t)e->reg->n + 1) * sizeof *ent);
        int rc = ent ? live_speeds_at(e, at, ent, err)
                     : ct_fail(err, CT_ENOMEM, "live speeds: out of memory");
        for (int s = 0; rc >= 0 && s < g->ns; s++)
            if (map[s] >= 0 && ent[map[s]] > 0)
                kmh[s] = ent[map[s]], n++;
        free(ent);
        return rc < 0 ? rc : n;
    }
    pthread_mutex_lock(&e->mu);
    for (int s = 0; s < g->ns; s++) {
        int i = map[s];
        if (i < 0 || e->fus.st[i].stale || !e->fus.st[i].last)
            continue;
        double v = live_fusion_value(&e->fus, i, "speed_kmh");
        if (isfinite(v) && v > 0)
            kmh[s] = (float)v, n++;
    }
    pthread_mutex_unlock(&e->mu);
    return n;
}

double *rescue_seconds(const rgraph *g, int64_t at, double *vmax, int *nlive,
                       unsigned char **is_live, ct_err *err)
{
    *nlive = 0;
    if (is_live)
        *is_live = NULL;
    double *sec = malloc(((size_t)g->ns + 1) * sizeof *sec);
    float *kmh = calloc((size_t)g->ns + 1, sizeof *kmh);
    unsigned char *lv = is_live ? calloc((size_t)g->ns + 1, 1) : NULL;
    live_engine *e = serve_live_engine();
    int rc = !sec || !kmh || (is_live && !lv)
                 ? ct_fail(err, CT_ENOMEM, "route: out of memory") : CT_OK;
    if (e && at >= live_now(e))
        at = 0;   /* now or later: the live state */
    if (!rc && e && (rc = live_kmh(g, e, at, kmh, err)) > 0)
        *nlive = rc;
    if (rc < 0) {
        free(sec), free(kmh), free(lv);
        return NULL;
    }
    *vmax = rgraph_seconds(g, kmh, sec);
    for (int s = 0; lv && s < g->ns; s++)
        lv[s] = kmh[s] > 0;
    if (is_live)
        *is_live = lv;
    free(kmh);
    return sec;
}

int rescue_at(http_req *r, const http_qparam *q, int n, int64_t *at)
{
    *at = 0;
    const char *v = http_query_get(q, n, "at");
    if (!v)
        return 0;
    ct_err err;
    ct_err_clear(&err);
    if (api_time_param("at", v, -1, 1, at, &err)) {
        http_reply_ct(r, &err);
        return -1;
    }
    return 1;
}

int rescue_snap(http_req *r, const rgraph *g, double lon, double lat,
                const char *what, rgraph_pos *pos)
{
    ct_err err;
    ct_err_clear(&err);
    if (rgraph_snap(g, lon, lat, RESCUE_SNAP_MAX_M, pos, &err) == CT_OK)
        return 0;
    if (err.code == CT_ENOTFOUND)
        http_reply_error(r, 422, "%s %.6f,%.6f is not near the road network: %s",
                         what, lon, lat, err.msg);
    else
        http_reply_ct(r, &err);
    return -1;
}

json_t *rescue_end_json(const rgraph *g, double lon, double lat, const rgraph_pos *p)
{
    return json_pack("{s:f, s:f, s:s, s:f, s:f, s:f, s:f}", "lon", lon, "lat", lat,
                     "segment", g->seg_id[p->seg], "along_m",
                     round(p->along_m * 10) / 10, "snap_lon", p->lon, "snap_lat",
                     p->lat, "snap_m", round(p->off_m * 10) / 10);
}

json_t *rescue_seg_coords(const rgraph *g, int s, int fwd)
{
    json_t *c = json_array();
    int a = g->pt_off[s], b = g->pt_off[s + 1];
    for (int i = 0; i < b - a; i++) {
        int k = fwd ? a + i : b - 1 - i;
        json_array_append_new(c, json_pack("[f,f]", g->pt[2 * k], g->pt[2 * k + 1]));
    }
    return c;
}

/* Append a piece's points to c (the first skipped when c has points:
 * pieces meet at a shared point). */
static void add_piece(const rgraph *g, json_t *c, const rgraph_piece *pc)
{
    int n = 0;
    double *xy = rgraph_piece_points(g, pc, &n);
    for (int j = json_array_size(c) > 0 ? 1 : 0; xy && j < n; j++)
        json_array_append_new(c, json_pack("[f,f]", xy[2 * j], xy[2 * j + 1]));
    free(xy);
}

json_t *rescue_path_line(const rgraph *g, const rgraph_path *p)
{
    json_t *c = json_array();
    if (p->has_head)
        add_piece(g, c, &p->head);
    for (int i = 0; i < p->n; i++) {
        int a = p->arcs[i], s = g->arc_seg[a];
        json_t *seg = rescue_seg_coords(g, s, g->arc_fwd[a]);
        /* segments meet at their shared node: skip the repeated point */
        size_t j0 = json_array_size(c) > 0 ? 1 : 0;
        for (size_t j = j0; j < json_array_size(seg); j++)
            json_array_append(c, json_array_get(seg, j));
        json_decref(seg);
    }
    if (p->has_tail)
        add_piece(g, c, &p->tail);
    if (json_array_size(c) == 1)   /* a LineString needs two points */
        json_array_append(c, json_array_get(c, 0));
    return json_pack("{s:s, s:o}", "type", "LineString", "coordinates", c);
}

int rescue_stations(sqlite3 *db, rescue_station **out, int *n, ct_err *err)
{
    *out = NULL, *n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT id, name, ST_X(geom), ST_Y(geom), engines"
                           " FROM fire_stations WHERE geom IS NOT NULL ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return ct_fail(err, CT_EIO, "fire_stations: %s", sqlite3_errmsg(db));
    int cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            rescue_station *v = realloc(*out, (size_t)cap * sizeof *v);
            if (!v) {
                sqlite3_finalize(st);
                return ct_fail(err, CT_ENOMEM, "fire_stations: out of memory");
            }
            *out = v;
        }
        rescue_station *s = &(*out)[(*n)++];
        const char *id = (const char *)sqlite3_column_text(st, 0);
        const char *nm = (const char *)sqlite3_column_text(st, 1);
        snprintf(s->id, sizeof s->id, "%s", id ? id : "");
        snprintf(s->name, sizeof s->name, "%s", nm ? nm : "");
        s->lon = sqlite3_column_double(st, 2);
        s->lat = sqlite3_column_double(st, 3);
        s->engines = sqlite3_column_int(st, 4);
    }
    sqlite3_finalize(st);
    return CT_OK;
}

/* id, name, kind, lon, lat, distance_m of one hit of a layer. */
static json_t *hit_json(sqlite3 *db, const char *layer, const nearest_hit *h)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT id, name, kind FROM \"%s\" WHERE fid = ?",
             layer);
    sqlite3_stmt *st;
    json_t *o = json_pack("{s:f, s:f, s:f}", "lon", h->lon, "lat", h->lat,
                          "distance_m", round(h->dist_m * 10) / 10);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return o;
    sqlite3_bind_int64(st, 1, h->fid);
    if (sqlite3_step(st) == SQLITE_ROW)
        for (int i = 0; i < 3; i++) {
            const char *v = (const char *)sqlite3_column_text(st, i);
            json_object_set_new(o, sqlite3_column_name(st, i),
                                v ? json_string(v) : json_null());
        }
    sqlite3_finalize(st);
    return o;
}

/* The point and whether it lies in the city (the road network's extent;
 * unsaid when the store has no roads). */
static json_t *point_json(sqlite3 *db, double lon, double lat)
{
    json_t *p = json_pack("{s:f, s:f}", "lon", lon, "lat", lat);
    ct_err err;
    ct_err_clear(&err);
    const rgraph *g = graph_get(db, &err);
    if (g)
        json_object_set_new(p, "inside_extent",
                            json_boolean(rescue_in_extent(g, lon, lat)));
    return p;
}

int rescue_query(http_req *r, const char *const *allowed, http_qparam *q,
                 char *buf, size_t bufsize)
{
    char who[80];
    if (api_authorize(r, AUTH_VIEWER, who, sizeof who))
        return -1;
    ct_err err;
    ct_err_clear(&err);
    int n = http_query_parse(r, allowed, q, RESCUE_MAX_PARAMS, buf, bufsize, &err);
    if (n < 0)
        http_reply_ct(r, &err);
    return n;
}

int api_rescue_nearest(http_req *r)
{
    static const char *const allowed[] = {"lon", "lat", "layers", "k", "radius", NULL};
    http_qparam q[RESCUE_MAX_PARAMS];
    char buf[1024];
    int n = rescue_query(r, allowed, q, buf, sizeof buf);
    if (n < 0)
        return r->status;
    double lon, lat, k, radius;
    if (rescue_point(r, q, n, "lon", "lat", &lon, &lat) ||
        rescue_num(r, q, n, "k", 0, 5, 1, 50, &k) ||
        rescue_num(r, q, n, "radius", 0, 0, 1, 50000, &radius))
        return r->status;
    const char *layers = http_query_get(q, n, "layers");
    char list[256];
    snprintf(list, sizeof list, "%s", layers && *layers ? layers : NEAREST_LAYERS);
    sqlite3 *db = api_db(r);
    if (!db)
        return r->status;
    json_t *res = json_object(), *out = json_object();
    char *save = NULL;
    for (char *l = strtok_r(list, ",", &save); l; l = strtok_r(NULL, ",", &save)) {
        const layer_def *def = layers_find(l);
        if (!strcmp(l, "water_sources")) {   /* rivers, lakes: not points */
            ct_err err;
            ct_err_clear(&err);
            json_t *w = NULL;
            if (rescue_water_sources(db, lon, lat, (int)k, radius > 0 ? radius
                                     : WATER_RADIUS_M, &w, &err)) {
                json_decref(res), json_decref(out);
                return http_reply_ct(r, &err);
            }
            json_object_set_new(out, l, w);
            continue;
        }
        if (!def || def->geom != LAYER_POINT) {
            json_decref(res), json_decref(out);
            return http_reply_error(r, 400, "layers: '%.40s' is not a point layer "
                                    "(e.g. %s)", l, NEAREST_LAYERS);
        }
        ct_err err;
        ct_err_clear(&err);
        nearest_hit *h = NULL;
        int nh = 0, rc;
        if (!strcmp(l, "hydrants")) {   /* all within the radius */
            rc = nearest_within(db, l, lon, lat, radius > 0 ? radius
                                : HYDRANT_RADIUS_M, HYDRANTS_MAX, &h, &nh, &err);
        } else {
            h = malloc((size_t)k * sizeof *h);
            rc = h ? nearest_knn(db, l, lon, lat, (int)k, radius, h, &nh, &err)
                   : ct_fail(&err, CT_ENOMEM, "out of memory");
        }
        if (rc) {
            free(h);
            json_decref(res), json_decref(out);
            return http_reply_ct(r, &err);
        }
        json_t *a = json_array();
        for (int i = 0; i < nh; i++)
            json_array_append_new(a, hit_json(db, l, &h[i]));
        free(h);
        json_object_set_new(out, l, a);
    }
    json_object_set_new(res, "point", point_json(db, lon, lat));
    json_object_set_new(res, "k", json_integer((json_int_t)k));
    json_object_set_new(res, "hydrant_radius_m",
                        json_real(radius > 0 ? radius : HYDRANT_RADIUS_M));
    json_object_set_new(res, "water_radius_m",
                        json_real(radius > 0 ? radius : WATER_RADIUS_M));
    if (radius > 0)
        json_object_set_new(res, "radius_m", json_real(radius));
    json_object_set_new(res, "layers", out);
    return http_reply_json(r, 200, res);
}

/* The building that contains the point (its fid), or 0. */
static int64_t containing_building(sqlite3 *db, double lon, double lat)
{
    sqlite3_stmt *st;
    int64_t fid = 0;
    if (sqlite3_prepare_v2(db, "SELECT t.fid FROM idx_buildings_geom AS r JOIN"
                           " buildings AS t ON t.fid = r.pkid WHERE r.xmin <= ?1"
                           " AND r.xmax >= ?1 AND r.ymin <= ?2 AND r.ymax >= ?2"
                           " AND ST_Contains(t.geom, MakePoint(?1, ?2, 4326)) = 1"
                           " ORDER BY t.fid LIMIT 1", -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_double(st, 1, lon);
    sqlite3_bind_double(st, 2, lat);
    if (sqlite3_step(st) == SQLITE_ROW)
        fid = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return fid;
}

static json_t *building_json(sqlite3 *db, int64_t fid, double dist, int inside)
{
    sqlite3_stmt *st;
    json_t *o = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id, name, kind, height, levels,"
                           " (MbrMinX(geom) + MbrMaxX(geom)) / 2,"
                           " (MbrMinY(geom) + MbrMaxY(geom)) / 2"
                           " FROM buildings WHERE fid = ?", -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_int64(st, 1, fid);
    if (sqlite3_step(st) == SQLITE_ROW) {
        o = json_object();
        for (int i = 0; i < 3; i++) {
            const char *v = (const char *)sqlite3_column_text(st, i);
            json_object_set_new(o, sqlite3_column_name(st, i),
                                v ? json_string(v) : json_null());
        }
        json_object_set_new(o, "height", sqlite3_column_type(st, 3) == SQLITE_NULL
                            ? json_null() : json_real(sqlite3_column_double(st, 3)));
        json_object_set_new(o, "levels", sqlite3_column_type(st, 4) == SQLITE_NULL
                            ? json_null() : json_integer(sqlite3_column_int(st, 4)));
        json_object_set_new(o, "lon", json_real(sqlite3_column_double(st, 5)));
        json_object_set_new(o, "lat", json_real(sqlite3_column_double(st, 6)));
        json_object_set_new(o, "distance_m", json_real(round(dist * 10) / 10));
        json_object_set_new(o, "contains_point", json_boolean(inside));
    }
    sqlite3_finalize(st);
    return o;
}

int api_rescue_context(http_req *r)
{
    static const char *const allowed[] = {"lon", "lat", "radius", "limit", NULL};
    http_qparam q[RESCUE_MAX_PARAMS];
    char buf[1024];
    int n = rescue_query(r, allowed, q, buf, sizeof buf);
    if (n < 0)
        return r->status;
    double lon, lat, radius, limit;
    if (rescue_point(r, q, n, "lon", "lat", &lon, &lat) ||
        rescue_num(r, q, n, "radius", 0, 150, 1, 2000, &radius) ||
        rescue_num(r, q, n, "limit", 0, 100, 1, 1000, &limit))
        return r->status;
    sqlite3 *db = api_db(r);
    if (!db)
        return r->status;
    ct_err err;
    ct_err_clear(&err);
    nearest_hit *h = NULL;
    int nh = 0;
    if (nearest_within(db, "buildings", lon, lat, radius, (int)limit, &h, &nh,
                       &err)) {
        free(h);
        return http_reply_ct(r, &err);
    }
    int64_t in = containing_building(db, lon, lat);
    json_t *a = json_array(), *at = json_null();
    if (in) {   /* the incident's building first, at distance 0 */
        json_t *b = building_json(db, in, 0, 1);
        if (b) {
            json_decref(at);
            at = json_incref(json_object_get(b, "id"));
            json_array_append_new(a, b);
        }
    }
    for (int i = 0; i < nh; i++) {
        if (h[i].fid == in)
            continue;
        json_t *b = building_json(db, h[i].fid, h[i].dist_m, 0);
        if (b)
            json_array_append_new(a, b);
    }
    free(h);
    json_t *res = json_pack("{s:o, s:f, s:o, s:i, s:o}", "point",
                            point_json(db, lon, lat), "radius_m", radius,
                            "incident_building", at, "count",
                            (int)json_array_size(a), "buildings", a);
    return http_reply_json(r, 200, res);
}

int rescue_station_pos(sqlite3 *db, const rgraph *g, const rescue_station **st,
                       const rgraph_pos **pos, int *n, ct_err *err)
{
    int rc = CT_OK;
    pthread_mutex_lock(&g_mu);
    if (!g_st_ready) {
        rc = rescue_stations(db, &g_st, &g_nst, err);
        g_st_pos = rc ? NULL : malloc(((size_t)g_nst + 1) * sizeof *g_st_pos);
        if (!rc && !g_st_pos)
            rc = ct_fail(err, CT_ENOMEM, "fire stations: out of memory");
        for (int i = 0; !rc && i < g_nst; i++)
            if (rgraph_snap(g, g_st[i].lon, g_st[i].lat, RESCUE_SNAP_MAX_M,
                            &g_st_pos[i], NULL))
                g_st_pos[i].seg = -1;   /* off the roads: not routed */
        if (rc) {
            free(g_st), free(g_st_pos);
            g_st = NULL, g_st_pos = NULL, g_nst = 0;
        } else {
            g_st_ready = 1;
        }
    }
    *st = g_st, *pos = g_st_pos, *n = g_nst;
    pthread_mutex_unlock(&g_mu);
    return rc;
}
