/* server/api_rescue_route.c: routes on the road graph for the rescue map
 * (issue 8, docs/RESCUE.md): GET /api/v1/rescue/route (fastest path, live
 * speeds), /api/v1/rescue/plan (the k fire stations with the smallest ETA
 * to an incident: one backward Dijkstra from the incident), and the
 * planned ETA of a station's unit when it is sent without one. Coverage
 * is in api_rescue_cover.c. */
#include "server/api_rescue.h"

#include "live/clock.h"
#include "live/live.h"
#include "server/auth.h"
#include "server/serve_live.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double r1(double v) { return round(v * 10) / 10; }

/* One driven piece of a segment as a route's "segments" row. */
static json_t *piece_json(const rgraph *g, const double *sec,
                          const unsigned char *is_live, const rgraph_piece *pc,
                          int partial)
{
    int s = pc->seg;
    return json_pack("{s:s, s:s, s:f, s:f, s:f, s:b, s:b}", "id", g->seg_id[s],
                     "direction", pc->to_m >= pc->from_m ? "forward" : "reverse",
                     "length_m", r1(fabs(pc->to_m - pc->from_m)),
                     "eta_s", r1(rgraph_piece_seconds(g, sec, pc)),
                     "speed_kmh", r1(g->seg_len[s] / sec[s] * 3.6),
                     "live", is_live && is_live[s], "partial", partial);
}

/* properties of a path: length, ETA, and its segments in travel order
 * (the partial ones at the ends flagged). */
static void path_props(const rgraph *g, const double *sec,
                       const unsigned char *is_live, const rgraph_path *p,
                       json_t *o, int with_segments)
{
    json_object_set_new(o, "length_m", json_real(r1(p->length_m)));
    json_object_set_new(o, "eta_s", json_real(r1(p->eta_s)));
    int nl = 0;
    json_t *segs = json_array();
    if (p->has_head) {
        nl += is_live && is_live[p->head.seg];
        json_array_append_new(segs, piece_json(g, sec, is_live, &p->head, 1));
    }
    for (int i = 0; i < p->n; i++) {
        int a = p->arcs[i], s = g->arc_seg[a];
        nl += is_live && is_live[s];
        rgraph_piece pc = {s, g->arc_fwd[a] ? 0 : g->seg_len[s],
                           g->arc_fwd[a] ? g->seg_len[s] : 0};
        json_array_append_new(segs, piece_json(g, sec, is_live, &pc, 0));
    }
    if (p->has_tail) {
        nl += is_live && is_live[p->tail.seg];
        json_array_append_new(segs, piece_json(g, sec, is_live, &p->tail, 1));
    }
    json_object_set_new(o, "live_segments", json_integer(nl));
    if (with_segments && json_array_size(segs) > 0)
        json_object_set_new(o, "segments", segs);
    else
        json_decref(segs);
}

/* A point's places on the network: its snap, and the other carriageway
 * when it is on a divided road; returns how many (1 or 2). */
static int places(const rgraph *g, double lon, double lat, rgraph_pos pos[2])
{
    return 1 + rgraph_snap_twin(g, lon, lat, &pos[0], RESCUE_TWIN_M, &pos[1]);
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
                                          "to_lat", "segments", "at", NULL};
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
    int64_t at = 0;
    if (rescue_point(r, q, n, "to_lon", "to_lat", &tlon, &tlat) ||
        rescue_num(r, q, n, "segments", 0, 1, 0, 1, &segs) || rescue_at(r, q, n, &at) < 0)
        return r->status;
    const rgraph *g = rescue_graph(r);
    if (!g)
        return r->status;
    rgraph_pos a[2], b[2];
    if (rescue_snap(r, g, flon, flat, "from", &a[0]) ||
        rescue_snap(r, g, tlon, tlat, "to", &b[0]))
        return r->status;
    int na = places(g, flon, flat, a), nb = places(g, tlon, tlat, b), ia, ib;
    double vmax = 0;
    int nlive = 0;
    unsigned char *live = NULL;
    double *sec = rescue_seconds(g, at, &vmax, &nlive, &live, &err);
    if (!sec)
        return http_reply_ct(r, &err);
    rgraph_path p;
    int rc = rgraph_route_best(g, sec, vmax, a, na, b, nb, &p, &ia, &ib, &err);
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
    json_object_set_new(props, "from", rescue_end_json(g, flon, flat, &a[ia]));
    json_object_set_new(props, "to", rescue_end_json(g, tlon, tlat, &b[ib]));
    path_props(g, sec, live, &p, props, segs > 0);
    json_object_set_new(props, "eta_min", json_real(r1(p.eta_s / 60)));
    if (at > 0)
        json_object_set_new(props, "at", live_time_json(at));
    json_t *res = json_pack("{s:s, s:o, s:o}", "type", "Feature", "geometry",
                            rescue_path_line(g, &p), "properties", props);
    rgraph_path_free(&p);
    free(sec), free(live);
    return http_reply_json_type(r, 200, "application/geo+json", res);
}

typedef struct cand {
    int idx;      /* station index */
    double eta;
    int exit;     /* its way onto the graph (rgraph_pos_ends), -1: direct */
    int direct;   /* direct: to which of the incident's places */
} cand;

/* A station's route after the backward search from the incident: its
 * partial segment to exit e, the search tree to one of the incident's
 * ends (where two share a node, the one the search kept: the cheapest),
 * that end's partial segment (or the one direct piece to place inc). */
static int station_path(const rgraph *g, const double *sec, const int *via,
                        const rgraph_pos *from, const rgraph_pos *inc, int e,
                        const int *tn, const double *tc, const rgraph_piece *tp,
                        int nt, rgraph_path *p, ct_err *err)
{
    rgraph_piece direct;
    if (e < 0) {
        memset(p, 0, sizeof *p);
        if (!rgraph_pos_direct(g, from, inc, &direct))
            return ct_fail(err, CT_EINVAL, "plan: no direct way");
        rgraph_path_add_piece(g, sec, p, 0, &direct);
        return CT_OK;
    }
    int sn[2];
    double sc[2];
    rgraph_piece sp[2];
    rgraph_pos_ends(g, sec, from, 1, sn, sc, sp);
    int rc = rgraph_path_from(g, sec, via, 1, sn[e], p, err);
    if (rc)
        return rc;
    int last = p->n ? g->arc_head[p->arcs[p->n - 1]] : sn[e];
    rgraph_path_add_piece(g, sec, p, 0, &sp[e]);
    int end = -1;
    for (int i = 0; i < nt; i++)
        if (tn[i] == last && (end < 0 || tc[i] < tc[end]))
            end = i;
    if (end >= 0)
        rgraph_path_add_piece(g, sec, p, 1, &tp[end]);
    return CT_OK;
}

static int by_eta(const void *x, const void *y)
{
    const cand *a = x, *b = y;
    if (a->eta != b->eta)
        return a->eta < b->eta ? -1 : 1;
    return a->idx - b->idx;
}

int api_rescue_plan(http_req *r)
{
    static const char *const allowed[] = {"lon", "lat", "k", "at", NULL};
    http_qparam q[RESCUE_MAX_PARAMS];
    char buf[1024];
    int n = rescue_query(r, allowed, q, buf, sizeof buf);
    if (n < 0)
        return r->status;
    double lon, lat, k;
    int64_t at = 0;
    if (rescue_point(r, q, n, "lon", "lat", &lon, &lat) ||
        rescue_num(r, q, n, "k", 0, 3, 1, 20, &k) || rescue_at(r, q, n, &at) < 0)
        return r->status;
    sqlite3 *db = api_db(r);
    const rgraph *g = db ? rescue_graph(r) : NULL;
    if (!g)
        return r->status;
    ct_err err;
    ct_err_clear(&err);
    rgraph_pos inc[2];
    if (rescue_snap(r, g, lon, lat, "the incident", &inc[0]))
        return r->status;
    int ninc = places(g, lon, lat, inc);
    const rescue_station *st = NULL;
    const rgraph_pos *pos = NULL;
    int nst = 0;
    if (rescue_station_pos(db, g, &st, &pos, &nst, &err))
        return http_reply_ct(r, &err);
    double vmax = 0;
    int nlive = 0;
    unsigned char *live = NULL;
    double *sec = rescue_seconds(g, at, &vmax, &nlive, &live, &err);
    if (!sec)
        return http_reply_ct(r, &err);
    double *dist = malloc(((size_t)g->nn + 1) * sizeof *dist);
    int *via = malloc(((size_t)g->nn + 1) * sizeof *via);
    cand *c = malloc(((size_t)nst + 1) * sizeof *c);
    json_t *res = NULL;
    if (pos && sec && dist && via && c) {
        /* Backward from the incident's ends (each starting with the part of
         * its segment still to drive; both carriageways' on a divided road):
         * every node's time to the incident in one search; a station's ETA
         * is then its best way onto the graph. */
        int tn[4];
        double tc[4];
        rgraph_piece tp[4];
        int nt = 0;
        for (int j = 0; j < ninc; j++)
            nt += rgraph_pos_ends(g, sec, &inc[j], 0, tn + nt, tc + nt, tp + nt);
        rgraph_sssp(g, sec, tn, tc, nt, 1, 0, NULL, 0, dist, via, NULL);
        int nc = 0;
        for (int i = 0; i < nst; i++) {
            if (pos[i].seg < 0)
                continue;
            int sn[2];
            double sc[2];
            rgraph_piece sp[2], direct;
            int ns = rgraph_pos_ends(g, sec, &pos[i], 1, sn, sc, sp);
            cand best = {i, INFINITY, -1, 0};
            for (int j = 0; j < ninc; j++)
                if (rgraph_pos_direct(g, &pos[i], &inc[j], &direct) &&
                    rgraph_piece_seconds(g, sec, &direct) < best.eta)
                    best.eta = rgraph_piece_seconds(g, sec, &direct), best.direct = j;
            for (int e = 0; e < ns; e++)
                if (sc[e] + dist[sn[e]] < best.eta)
                    best.eta = sc[e] + dist[sn[e]], best.exit = e;
            if (isfinite(best.eta))
                c[nc++] = best;
        }
        qsort(c, (size_t)nc, sizeof *c, by_eta);
        json_t *a = json_array();
        for (int i = 0; i < nc && i < (int)k; i++) {
            const rescue_station *s = &st[c[i].idx];
            rgraph_path p;
            if (station_path(g, sec, via, &pos[c[i].idx], &inc[c[i].direct], c[i].exit,
                             tn, tc, tp, nt, &p, &err))
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
        json_t *ij = rescue_end_json(g, lon, lat, &inc[0]);
        if (ninc > 1)   /* the other carriageway, reached too */
            json_object_set_new(ij, "twin", rescue_end_json(g, lon, lat, &inc[1]));
        res = json_pack("{s:o, s:i, s:i, s:o}", "incident", ij, "stations", nst,
                        "live_segments", nlive, "candidates", a);
        if (at > 0)   /* the traffic of that moment */
            json_object_set_new(res, "at", live_time_json(at));
    }
    free(sec), free(live), free(dist), free(via), free(c);
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

/* The seconds from station pos to the incident point, or NaN. */
static double station_eta(const rgraph *g, const rgraph_pos *from, double lon,
                          double lat)
{
    rgraph_pos to[2];
    if (from->seg < 0 || rgraph_snap(g, lon, lat, RESCUE_SNAP_MAX_M, &to[0], NULL))
        return NAN;
    int nto = places(g, lon, lat, to), ia, ib;
    double vmax = 0;
    int nlive = 0;
    double *sec = rescue_seconds(g, 0, &vmax, &nlive, NULL, NULL);
    rgraph_path p;
    double eta = NAN;
    if (sec && rgraph_route_best(g, sec, vmax, from, 1, to, nto, &p, &ia, &ib, NULL) == CT_OK) {
        eta = r1(p.eta_s);
        rgraph_path_free(&p);
    }
    free(sec);
    return eta;
}

void rescue_plan_etas(http_req *r, const char *incident, json_t *body)
{
    const json_t *units = json_object_get(body, "units");
    if (!units || json_object_get(body, "eta_s"))
        return;   /* nothing sent, or one plan given for all of them */
    ct_err err;
    ct_err_clear(&err);
    live_engine *e = serve_live_engine();
    sqlite3 *db = http_req_db(r, &err);
    const rgraph *g = rescue_graph_of(db);
    json_t *inc = NULL;
    if (!e || !g || live_incident_get(e, incident, &inc, &err))
        return;
    double lon = json_number_value(json_object_get(inc, "lon"));
    double lat = json_number_value(json_object_get(inc, "lat"));
    json_decref(inc);
    const rescue_station *st = NULL;
    const rgraph_pos *pos = NULL;
    int nst = 0;
    if (rescue_station_pos(db, g, &st, &pos, &nst, &err))
        return;
    json_t *list = json_is_string(units) ? json_pack("[O]", units) : json_incref((json_t *)units);
    json_t *etas = json_object_get(body, "etas");
    size_t i;
    json_t *u;
    json_array_foreach(list, i, u) {
        const char *name = json_string_value(u);
        if (!name || (json_is_object(etas) && json_object_get(etas, name)))
            continue;
        char station[64];
        live_inc_unit_station(name, station, sizeof station);
        for (int k = 0; k < nst; k++) {
            if (strcmp(st[k].id, station))
                continue;
            double eta = station_eta(g, &pos[k], lon, lat);
            if (isfinite(eta)) {
                if (!json_is_object(etas)) {
                    etas = json_object();
                    json_object_set_new(body, "etas", etas);
                }
                json_object_set_new(etas, name, json_real(eta));
            }
            break;
        }
    }
    json_decref(list);
}
