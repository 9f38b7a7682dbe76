/* server/api_rescue_route.c: routes on the road graph for the rescue map
 * (issue 8, docs/RESCUE.md): GET /api/v1/rescue/route (fastest path, live
 * speeds), /api/v1/rescue/plan (the k fire stations with the smallest ETA
 * to an incident: one backward Dijkstra from the incident). Coverage is
 * in api_rescue_cover.c. */
#include "server/api_rescue.h"

#include "server/auth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double r1(double v) { return round(v * 10) / 10; }

/* properties of a path: length, ETA, and its segments in travel order. */
static void path_props(const rgraph *g, const double *sec,
                       const unsigned char *is_live, const rgraph_path *p,
                       json_t *o, int with_segments)
{
    json_object_set_new(o, "length_m", json_real(r1(p->length_m)));
    json_object_set_new(o, "eta_s", json_real(r1(p->eta_s)));
    int nl = 0;
    json_t *segs = json_array();
    for (int i = 0; i < p->n; i++) {
        int a = p->arcs[i], s = g->arc_seg[a];
        nl += is_live && is_live[s];
        if (with_segments)
            json_array_append_new(segs, json_pack(
                "{s:s, s:s, s:f, s:f, s:f, s:b}", "id", g->seg_id[s],
                "direction", g->arc_fwd[a] ? "forward" : "reverse",
                "length_m", r1(g->seg_len[s]), "eta_s", r1(sec[s]), "speed_kmh",
                r1(g->seg_len[s] / sec[s] * 3.6), "live", is_live && is_live[s]));
    }
    json_object_set_new(o, "live_segments", json_integer(nl));
    if (with_segments)
        json_object_set_new(o, "segments", segs);
    else
        json_decref(segs);
}

static json_t *end_json(const rgraph *g, double lon, double lat, int v, double snap)
{
    return json_pack("{s:f, s:f, s:I, s:f}", "lon", lon, "lat", lat, "node",
                     (json_int_t)g->node_id[v], "snap_m", r1(snap));
}

/* A fire station by id: 0, or -1 with 404 sent. */
static int station_by_id(http_req *r, sqlite3 *db, const char *id,
                         rescue_station *out)
{
    rescue_station *v = NULL;
    int n = 0;
    ct_err err;
    ct_err_clear(&err);
    if (rescue_stations(db, &v, &n, &err)) {
        free(v);
        http_reply_ct(r, &err);
        return -1;
    }
    int found = -1;
    for (int i = 0; i < n && found < 0; i++)
        if (!strcmp(v[i].id, id))
            *out = v[i], found = 0;
    free(v);
    if (found)
        http_reply_error(r, 404, "from: '%.60s' is not a fire station id "
                         "(see /api/v1/layers/fire_stations/items)", id);
    return found;
}

int api_rescue_route(http_req *r)
{
    static const char *const allowed[] = {"from", "from_lon", "from_lat", "to_lon",
                                          "to_lat", "segments", NULL};
    http_qparam q[RESCUE_MAX_PARAMS];
    char buf[1024];
    int n = rescue_query(r, allowed, q, buf, sizeof buf);
    if (n < 0)
        return r->status;
    double flon, flat, tlon, tlat, segs;
    const char *from = http_query_get(q, n, "from");
    sqlite3 *db = api_db(r);
    if (!db)
        return r->status;
    ct_err err;
    ct_err_clear(&err);
    rescue_station st = {0};
    if (from && *from) {
        if (station_by_id(r, db, from, &st))
            return r->status;
        flon = st.lon, flat = st.lat;
    } else if (rescue_point(r, q, n, "from_lon", "from_lat", &flon, &flat)) {
        return r->status;
    }
    if (rescue_point(r, q, n, "to_lon", "to_lat", &tlon, &tlat) ||
        rescue_num(r, q, n, "segments", 0, 1, 0, 1, &segs))
        return r->status;
    const rgraph *g = rescue_graph(r);
    if (!g)
        return r->status;
    double sa, sb;
    int a = rescue_snap(r, db, g, flon, flat, 1, "from", &sa);
    if (a < 0)
        return r->status;
    int b = rescue_snap(r, db, g, tlon, tlat, 0, "to", &sb);
    if (b < 0)
        return r->status;
    double vmax = 0;
    int nlive = 0;
    unsigned char *live = NULL;
    double *sec = rescue_seconds(g, &vmax, &nlive, &live);
    if (!sec) {
        free(live);
        return http_reply_error(r, 500, "route: out of memory");
    }
    rgraph_path p;
    int rc = rgraph_route(g, sec, vmax, a, b, &p, &err);
    if (rc) {
        free(sec), free(live);
        if (rc == CT_ENOTFOUND)
            return http_reply_error(r, 422, "no route from %.6f,%.6f to %.6f,%.6f: "
                                    "%s", flon, flat, tlon, tlat, err.msg);
        return http_reply_ct(r, &err);
    }
    json_t *props = json_object();
    if (from && *from)
        json_object_set_new(props, "station", json_pack("{s:s, s:s}", "id", st.id,
                                                        "name", st.name));
    json_object_set_new(props, "from", end_json(g, flon, flat, a, sa));
    json_object_set_new(props, "to", end_json(g, tlon, tlat, b, sb));
    path_props(g, sec, live, &p, props, segs > 0);
    json_object_set_new(props, "eta_min", json_real(r1(p.eta_s / 60)));
    json_t *res = json_pack("{s:s, s:o, s:o}", "type", "Feature", "geometry",
                            rescue_path_line(g, &p), "properties", props);
    rgraph_path_free(&p);
    free(sec), free(live);
    return http_reply_json_type(r, 200, "application/geo+json", res);
}

typedef struct cand {
    int idx;      /* station index */
    double eta;
} cand;

static int by_eta(const void *x, const void *y)
{
    const cand *a = x, *b = y;
    if (a->eta != b->eta)
        return a->eta < b->eta ? -1 : 1;
    return a->idx - b->idx;
}

int api_rescue_plan(http_req *r)
{
    static const char *const allowed[] = {"lon", "lat", "k", NULL};
    http_qparam q[RESCUE_MAX_PARAMS];
    char buf[1024];
    int n = rescue_query(r, allowed, q, buf, sizeof buf);
    if (n < 0)
        return r->status;
    double lon, lat, k;
    if (rescue_point(r, q, n, "lon", "lat", &lon, &lat) ||
        rescue_num(r, q, n, "k", 0, 3, 1, 20, &k))
        return r->status;
    sqlite3 *db = api_db(r);
    const rgraph *g = db ? rescue_graph(r) : NULL;
    if (!g)
        return r->status;
    ct_err err;
    ct_err_clear(&err);
    double snap;
    int dst = rescue_snap(r, db, g, lon, lat, 0, "the incident", &snap);
    if (dst < 0)
        return r->status;
    const rescue_station *st = NULL;
    const int *node = NULL;
    int nst = 0;
    if (rescue_station_nodes(db, g, &st, &node, &nst, &err))
        return http_reply_ct(r, &err);
    double vmax = 0;
    int nlive = 0;
    unsigned char *live = NULL;
    double *sec = rescue_seconds(g, &vmax, &nlive, &live);
    double *dist = malloc(((size_t)g->nn + 1) * sizeof *dist);
    int *via = malloc(((size_t)g->nn + 1) * sizeof *via);
    unsigned char *target = calloc((size_t)g->nn + 1, 1);
    cand *c = malloc(((size_t)nst + 1) * sizeof *c);
    json_t *res = NULL;
    if (node && sec && dist && via && target && c) {
        int nt = 0;
        for (int i = 0; i < nst; i++)
            if (node[i] >= 0 && !target[node[i]])
                target[node[i]] = 1, nt++;
        /* Backward from the incident: ETAs of every station in one search,
         * stopping once k station nodes are settled. */
        int wanted = (int)k < nt ? (int)k : nt;
        rgraph_sssp(g, sec, &dst, 1, 1, 0, target, wanted, dist, via, NULL);
        int nc = 0;
        for (int i = 0; i < nst; i++)
            if (node[i] >= 0 && isfinite(dist[node[i]]))
                c[nc++] = (cand){i, dist[node[i]]};
        qsort(c, (size_t)nc, sizeof *c, by_eta);
        json_t *a = json_array();
        for (int i = 0; i < nc && i < (int)k; i++) {
            const rescue_station *s = &st[c[i].idx];
            rgraph_path p;
            if (rgraph_path_from(g, sec, via, 1, node[c[i].idx], &p, &err))
                continue;
            json_t *o = json_pack("{s:i, s:s, s:s, s:i, s:f, s:f, s:f, s:b}", "rank",
                                  i + 1, "id", s->id, "name", s->name, "engines",
                                  s->engines, "lon", s->lon, "lat", s->lat,
                                  "straight_m", r1(nearest_haversine(s->lon, s->lat,
                                                                     lon, lat)),
                                  "recommended", i == 0);
            path_props(g, sec, live, &p, o, 0);
            json_object_set_new(o, "eta_min", json_real(r1(p.eta_s / 60)));
            json_object_set_new(o, "route", rescue_path_line(g, &p));
            json_array_append_new(a, o);
            rgraph_path_free(&p);
        }
        res = json_pack("{s:o, s:i, s:i, s:o}", "incident",
                        end_json(g, lon, lat, dst, snap), "stations", nst,
                        "live_segments", nlive, "candidates", a);
    }
    free(sec), free(live), free(dist), free(via);
    free(target), free(c);
    if (!res)
        return http_reply_error(r, 500, "plan: out of memory");
    if (json_array_size(json_object_get(res, "candidates")) == 0) {
        json_decref(res);
        return http_reply_error(r, 422, "no fire station can reach %.6f,%.6f over "
                                "the road network (one-way streets or a "
                                "separate network)", lon, lat);
    }
    return http_reply_json(r, 200, res);
}
