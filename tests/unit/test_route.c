/* tests/unit/test_route.c: the road graph and its searches (spatial/graph.h)
 * and the nearest queries (spatial/nearest.h) on stores made here:
 * a hand-made network (a one-way street forcing a detour, a reverse
 * one-way, an unreachable island, equal-cost ties, a live slowdown), then a
 * property test on a random grid city: nearest fire stations agree with
 * brute force over every station, and route times agree with a plain
 * O(n^2) Dijkstra over an adjacency list read separately from the roads
 * table; no route drives a one-way street backwards. Points snapped onto
 * segments: the nearest point agrees with a brute-force search over every
 * segment (a different distance formula), and routes between such points
 * (entering the graph at both ends of their segments with the partial
 * lengths) agree with the reference Dijkstra on a graph where the two
 * segments are split at the points, forward and backward. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spatial/graph.h"
#include "spatial/nearest.h"
#include "spatial/store.h"
#include "spatial/writer.h"
#include "ut.h"

#define U 0.001   /* grid unit (degrees) of the hand-made network */

static sqlite3 *new_store(const char *path)
{
    ct_err err;
    sqlite3 *db = NULL;
    unlink(path);
    if (store_open(path, STORE_CREATE, &db, &err) || writer_ensure_nodes(db, &err)) {
        printf("# store: %s\n", err.msg);
        store_close(db);
        return NULL;
    }
    return db;
}

static void add_node(sqlite3 *db, int id, double lon, double lat)
{
    char sql[256];
    ct_err err;
    snprintf(sql, sizeof sql, "INSERT INTO road_nodes(id, ix, iy, geom) VALUES"
             "(%d, %d, %d, MakePoint(%.9f, %.9f, 4326))", id, id, -id, lon, lat);
    UT_EQ_INT(store_exec(db, sql, &err), CT_OK);
}

/* A straight road between two nodes; len <= 0: the haversine length. */
static void add_road(sqlite3 *db, const char *id, int a, int b, int oneway,
                     double kmh, double len)
{
    char sql[512];
    ct_err err;
    snprintf(sql, sizeof sql,
             "INSERT INTO roads(id, class, oneway, speed_kmh, length_m, node_from,"
             " node_to, geom) SELECT '%s', 'primary', %d, %g, CASE WHEN %g > 0"
             " THEN %g ELSE ST_Length(MakeLine(f.geom, t.geom), 1) END, %d, %d,"
             " MakeLine(f.geom, t.geom) FROM road_nodes f, road_nodes t"
             " WHERE f.id = %d AND t.id = %d", id, oneway, kmh, len, len, a, b, a, b);
    UT_EQ_INT(store_exec(db, sql, &err), CT_OK);
}

static int seg_of(const rgraph *g, const char *id)
{
    for (int s = 0; s < g->ns; s++)
        if (!strcmp(g->seg_id[s], id))
            return s;
    return -1;
}

/* Node ids along a path, "1-4-3-2". */
static void path_nodes(const rgraph *g, const rgraph_path *p, char *buf, size_t n)
{
    size_t u = 0;
    buf[0] = 0;
    for (int i = 0; i < p->n && u < n; i++) {
        if (i == 0)
            u += (size_t)snprintf(buf + u, n - u, "%lld",
                                  (long long)g->node_id[g->arc_tail[p->arcs[i]]]);
        if (u < n)
            u += (size_t)snprintf(buf + u, n - u, "-%lld",
                                  (long long)g->node_id[g->arc_head[p->arcs[i]]]);
    }
}

static rgraph *hand_graph(void)
{
    sqlite3 *db = new_store("t_route_hand.sqlite");
    if (!db)
        return NULL;
    double lon = 112.4, lat = 34.6;
    /* square 1-2-3-4, one-way 1->2 along its bottom */
    add_node(db, 1, lon, lat), add_node(db, 2, lon + U, lat);
    add_node(db, 3, lon + U, lat + U), add_node(db, 4, lon, lat + U);
    add_road(db, "r12", 1, 2, 1, 50, 0);
    add_road(db, "r23", 2, 3, 0, 50, 0);
    add_road(db, "r34", 3, 4, 0, 50, 0);
    add_road(db, "r41", 4, 1, 0, 50, 0);
    /* tie square 10-11-12-13, all sides 200 m at 36 km/h */
    add_node(db, 10, lon + 5 * U, lat), add_node(db, 11, lon + 6 * U, lat);
    add_node(db, 12, lon + 6 * U, lat + U), add_node(db, 13, lon + 5 * U, lat + U);
    add_road(db, "t1011", 10, 11, 0, 36, 200);
    add_road(db, "t1112", 11, 12, 0, 36, 200);
    add_road(db, "t1213", 12, 13, 0, 36, 200);
    add_road(db, "t1310", 13, 10, 0, 36, 200);
    /* digitised 20->21 but one-way against it: only 21->20 */
    add_node(db, 20, lon + 10 * U, lat), add_node(db, 21, lon + 11 * U, lat);
    add_road(db, "r2021", 20, 21, -1, 50, 0);
    /* an island */
    add_node(db, 30, lon + 20 * U, lat + 5 * U), add_node(db, 31, lon + 21 * U, lat + 5 * U);
    add_road(db, "i3031", 30, 31, 0, 50, 0);
    rgraph *g = NULL;
    ct_err err;
    if (rgraph_load(db, &g, &err))
        printf("# rgraph_load: %s\n", err.msg);
    store_close(db);
    return g;
}

static void test_oneway_forces_detour(void)
{
    rgraph *g = hand_graph();
    UT_CHECK(g != NULL);
    UT_EQ_INT(g->nn, 12);
    UT_EQ_INT(g->ns, 10);
    UT_EQ_INT(g->na, 1 + 3 * 2 + 4 * 2 + 1 + 2);
    double *sec = malloc((size_t)g->ns * sizeof *sec);
    double vmax = rgraph_seconds(g, NULL, sec);
    UT_NEAR(vmax, 50, 1e-9);
    rgraph_path p;
    ct_err err;
    char buf[128];
    UT_EQ_INT(rgraph_route(g, sec, vmax, rgraph_node(g, 1), rgraph_node(g, 2), &p,
                           &err), CT_OK);
    path_nodes(g, &p, buf, sizeof buf);
    UT_EQ_STR(buf, "1-2");
    rgraph_path_free(&p);
    UT_EQ_INT(rgraph_route(g, sec, vmax, rgraph_node(g, 2), rgraph_node(g, 1), &p,
                           &err), CT_OK);
    path_nodes(g, &p, buf, sizeof buf);
    UT_EQ_STR(buf, "2-3-4-1");
    int s23 = seg_of(g, "r23"), s34 = seg_of(g, "r34"), s41 = seg_of(g, "r41");
    UT_NEAR(p.length_m, g->seg_len[s23] + g->seg_len[s34] + g->seg_len[s41], 1e-6);
    UT_NEAR(p.eta_s, p.length_m / (50 / 3.6), 1e-6);
    rgraph_path_free(&p);
    /* reverse one-way: 21->20 only */
    UT_EQ_INT(rgraph_route(g, sec, vmax, rgraph_node(g, 21), rgraph_node(g, 20), &p,
                           &err), CT_OK);
    UT_EQ_INT(p.n, 1);
    UT_EQ_INT(g->arc_fwd[p.arcs[0]], 0);
    rgraph_path_free(&p);
    UT_EQ_INT(rgraph_route(g, sec, vmax, rgraph_node(g, 20), rgraph_node(g, 21), &p,
                           &err), CT_ENOTFOUND);
    UT_CHECK(strstr(err.msg, "no road path") != NULL);
    free(sec);
    rgraph_free(g);
}

static void test_island_unreachable_and_ties(void)
{
    rgraph *g = hand_graph();
    UT_CHECK(g != NULL);
    double *sec = malloc((size_t)g->ns * sizeof *sec);
    double vmax = rgraph_seconds(g, NULL, sec);
    rgraph_path p;
    ct_err err;
    UT_EQ_INT(rgraph_route(g, sec, vmax, rgraph_node(g, 1), rgraph_node(g, 30), &p,
                           &err), CT_ENOTFOUND);
    UT_EQ_INT(p.n, 0);
    /* the bounded search from 1 settles only its own component */
    double *dist = malloc((size_t)g->nn * sizeof *dist);
    int src = rgraph_node(g, 1);
    UT_EQ_INT(rgraph_sssp(g, sec, &src, NULL, 1, 0, 0, NULL, 0, dist, NULL, NULL), 4);
    UT_CHECK(isinf(dist[rgraph_node(g, 30)]));
    /* two equal ways 10->12: cost 400 m at 36 km/h, same answer each run */
    char first[64] = "", buf[64];
    for (int run = 0; run < 3; run++) {
        UT_EQ_INT(rgraph_route(g, sec, vmax, rgraph_node(g, 10), rgraph_node(g, 12),
                               &p, &err), CT_OK);
        UT_EQ_INT(p.n, 2);
        UT_NEAR(p.length_m, 400, 1e-9);
        UT_NEAR(p.eta_s, 40, 1e-9);
        path_nodes(g, &p, buf, sizeof buf);
        if (run == 0)
            snprintf(first, sizeof first, "%s", buf);
        UT_EQ_STR(buf, first);
        rgraph_path_free(&p);
    }
    free(dist);
    free(sec);
    rgraph_free(g);
}

static void test_live_speed_reroutes(void)
{
    rgraph *g = hand_graph();
    UT_CHECK(g != NULL);
    double *sec = malloc((size_t)g->ns * sizeof *sec);
    float *kmh = calloc((size_t)g->ns, sizeof *kmh);
    kmh[seg_of(g, "r12")] = 2;   /* a jam on the direct street */
    kmh[seg_of(g, "r34")] = 90;  /* faster than any class speed */
    double vmax = rgraph_seconds(g, kmh, sec);
    UT_NEAR(vmax, 90, 1e-6);
    rgraph_path p;
    ct_err err;
    char buf[64];
    UT_EQ_INT(rgraph_route(g, sec, vmax, rgraph_node(g, 1), rgraph_node(g, 2), &p,
                           &err), CT_OK);
    path_nodes(g, &p, buf, sizeof buf);
    UT_EQ_STR(buf, "1-4-3-2");
    rgraph_path_free(&p);
    free(kmh), free(sec);
    rgraph_free(g);
}

/* A piece's points: the part of the polyline between its two positions,
 * in driving order; and snapping onto the middle of a street. */
static void test_piece_points_and_snap(void)
{
    rgraph *g = hand_graph();
    UT_CHECK(g != NULL);
    if (!g)
        return;
    int s = seg_of(g, "r12");   /* 112.4,34.6 -> 112.401,34.6 */
    double len = g->seg_len[s];
    rgraph_piece pc = {s, len / 4, 3 * len / 4};
    int n = 0;
    double *xy = rgraph_piece_points(g, &pc, &n);
    UT_EQ_INT(n, 2);
    UT_NEAR(xy[0], 112.4 + U / 4, 1e-7);
    UT_NEAR(xy[2], 112.4 + 3 * U / 4, 1e-7);
    free(xy);
    pc = (rgraph_piece){s, 3 * len / 4, 0};   /* driven back to its start */
    xy = rgraph_piece_points(g, &pc, &n);
    UT_EQ_INT(n, 2);
    UT_NEAR(xy[0], 112.4 + 3 * U / 4, 1e-7);
    UT_NEAR(xy[2], 112.4, 1e-9);
    free(xy);
    /* 20 m south of r12's middle: on r12, half-way, 20 m off */
    rgraph_pos p;
    ct_err err;
    UT_EQ_INT(rgraph_snap(g, 112.4 + U / 2, 34.6 - 20 / 111194.93, 1500, &p, &err), CT_OK);
    UT_EQ_INT(p.seg, s);
    UT_NEAR(p.along_m, len / 2, 0.01);
    UT_NEAR(p.off_m, 20, 0.01);
    /* the one-way r12 is left only forward (to node 2), reached from 1 */
    double *sec = malloc((size_t)g->ns * sizeof *sec);
    rgraph_seconds(g, NULL, sec);
    int node[2];
    double cost[2];
    rgraph_piece piece[2];
    UT_EQ_INT(rgraph_pos_ends(g, sec, &p, 1, node, cost, piece), 1);
    UT_EQ_INT((int)g->node_id[node[0]], 2);
    UT_NEAR(cost[0], sec[s] / 2, 1e-9);
    UT_EQ_INT(rgraph_pos_ends(g, sec, &p, 0, node, cost, piece), 1);
    UT_EQ_INT((int)g->node_id[node[0]], 1);
    free(sec);
    rgraph_free(g);
}

/* ---- the property test: a random grid city ---- */

#define GN 24            /* GN x GN nodes */
#define NSTATIONS 30

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static double rnd(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

/* Distance by 3D chords: a different formula from the haversine. */
static double chord_dist(double lon1, double lat1, double lon2, double lat2)
{
    double d = M_PI / 180, x1 = cos(lat1 * d) * cos(lon1 * d),
           y1 = cos(lat1 * d) * sin(lon1 * d), z1 = sin(lat1 * d);
    double x2 = cos(lat2 * d) * cos(lon2 * d), y2 = cos(lat2 * d) * sin(lon2 * d),
           z2 = sin(lat2 * d);
    double c = sqrt((x1 - x2) * (x1 - x2) + (y1 - y2) * (y1 - y2) +
                    (z1 - z2) * (z1 - z2));
    return 2 * NEAREST_EARTH_R * asin(c / 2);
}

static sqlite3 *random_city(void)
{
    sqlite3 *db = new_store("t_route_city.sqlite");
    if (!db)
        return NULL;
    ct_err err;
    store_exec(db, "BEGIN", &err);
    for (int y = 0; y < GN; y++)
        for (int x = 0; x < GN; x++)
            add_node(db, 1 + y * GN + x, 112.40 + x * 0.004 + rnd() * 0.001,
                     34.60 + y * 0.003 + rnd() * 0.001);
    static const double speeds[] = {20, 30, 40, 60, 80};
    int n = 0;
    for (int y = 0; y < GN; y++)
        for (int x = 0; x < GN; x++)
            for (int dir = 0; dir < 2; dir++) {
                int x2 = x + (dir == 0), y2 = y + (dir == 1);
                if (x2 >= GN || y2 >= GN || rnd() < 0.12)
                    continue;   /* some streets are missing */
                double u = rnd();
                int ow = u < 0.15 ? 1 : u < 0.3 ? -1 : 0;
                char id[32];
                snprintf(id, sizeof id, "g%05d", ++n);
                /* winding streets: longer than the straight line */
                add_road(db, id, 1 + y * GN + x, 1 + y2 * GN + x2, ow,
                         speeds[(int)(rnd() * 5)], -1);
                if (rnd() < 0.5) {
                    char sql[128];
                    snprintf(sql, sizeof sql, "UPDATE roads SET length_m ="
                             " length_m * %.3f WHERE id = '%s'", 1 + rnd() * 0.4, id);
                    store_exec(db, sql, &err);
                }
            }
    for (int i = 0; i < NSTATIONS; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "INSERT INTO fire_stations(id, geom) VALUES("
                 "'fs-%02d', MakePoint(%.9f, %.9f, 4326))", i,
                 112.39 + rnd() * 0.11, 34.59 + rnd() * 0.08);
        store_exec(db, sql, &err);
    }
    if (store_exec(db, "COMMIT", &err)) {
        printf("# commit: %s\n", err.msg);
        store_close(db);
        return NULL;
    }
    return db;
}

static void test_nearest_matches_brute_force(void)
{
    sqlite3 *db = random_city();
    UT_CHECK(db != NULL);
    if (!db)
        return;
    double sx[NSTATIONS], sy[NSTATIONS];
    sqlite3_stmt *st;
    UT_EQ_INT(sqlite3_prepare_v2(db, "SELECT X(geom), Y(geom) FROM fire_stations"
                                 " ORDER BY fid", -1, &st, NULL), SQLITE_OK);
    int ns = 0;
    while (sqlite3_step(st) == SQLITE_ROW && ns < NSTATIONS)
        sx[ns] = sqlite3_column_double(st, 0), sy[ns++] = sqlite3_column_double(st, 1);
    sqlite3_finalize(st);
    UT_EQ_INT(ns, NSTATIONS);
    int bad = 0;
    for (int t = 0; t < 300; t++) {
        /* inside the city, and some far outside it */
        double lon = t % 10 == 9 ? 100 + rnd() * 20 : 112.38 + rnd() * 0.14;
        double lat = t % 10 == 9 ? 20 + rnd() * 20 : 34.58 + rnd() * 0.10;
        int k = 1 + t % 7;
        nearest_hit h[8];
        int n = 0;
        ct_err err;
        UT_EQ_INT(nearest_knn(db, "fire_stations", lon, lat, k, 0, h, &n, &err), CT_OK);
        UT_EQ_INT(n, k);
        /* brute force: the k-th smallest distance over every station */
        double d[NSTATIONS];
        for (int i = 0; i < ns; i++)
            d[i] = chord_dist(lon, lat, sx[i], sy[i]);
        for (int i = 0; i < k; i++) {   /* partial selection sort */
            int m = i;
            for (int j = i + 1; j < ns; j++)
                if (d[j] < d[m])
                    m = j;
            double tmp = d[i];
            d[i] = d[m], d[m] = tmp;
            if (fabs(h[i].dist_m - d[i]) > 1e-6 * (1 + d[i]))
                bad++;
        }
        /* and with a radius: exactly the stations within it */
        double radius = 300 + rnd() * 3000;
        nearest_hit *w = NULL;
        int nw = 0, expect = 0;
        UT_EQ_INT(nearest_within(db, "fire_stations", lon, lat, radius, 100, &w,
                                 &nw, &err), CT_OK);
        for (int i = 0; i < ns; i++)
            expect += chord_dist(lon, lat, sx[i], sy[i]) <= radius;
        if (nw != expect)
            bad++;
        free(w);
    }
    UT_CHECK_MSG(bad == 0, "%d nearest answers differ from brute force", bad);
    ct_err err;
    nearest_hit h[1];
    int n;
    UT_EQ_INT(nearest_knn(db, "fire_stations", NAN, 34.6, 1, 0, h, &n, &err), CT_EINVAL);
    UT_EQ_INT(nearest_knn(db, "fire_stations", 112.4, 95, 1, 0, h, &n, &err), CT_EINVAL);
    store_close(db);
}

/* The reference: adjacency read straight from the roads table, plain
 * Dijkstra with a linear scan for the minimum. */
typedef struct ref_edge {
    int to;
    double s;
} ref_edge;

static double ref_dijkstra(int nn, ref_edge **adj, const int *deg, int src, int dst)
{
    double *d = malloc((size_t)nn * sizeof *d);
    char *done = calloc((size_t)nn, 1);
    for (int i = 0; i < nn; i++)
        d[i] = INFINITY;
    d[src] = 0;
    for (;;) {
        int u = -1;
        for (int i = 0; i < nn; i++)
            if (!done[i] && isfinite(d[i]) && (u < 0 || d[i] < d[u]))
                u = i;
        if (u < 0 || u == dst)
            break;
        done[u] = 1;
        for (int j = 0; j < deg[u]; j++)
            if (d[u] + adj[u][j].s < d[adj[u][j].to])
                d[adj[u][j].to] = d[u] + adj[u][j].s;
    }
    double r = d[dst];
    free(d), free(done);
    return r;
}

static void test_routes_match_reference(void)
{
    sqlite3 *db = NULL;
    ct_err err;
    /* reopen the city the previous test wrote (a fresh one if missing) */
    if (store_open("t_route_city.sqlite", STORE_READONLY, &db, &err))
        db = random_city();
    UT_CHECK(db != NULL);
    if (!db)
        return;
    int nn = GN * GN;   /* node ids 1..nn */
    ref_edge **adj = calloc((size_t)nn, sizeof *adj);
    int *deg = calloc((size_t)nn, sizeof *deg), *cap = calloc((size_t)nn, sizeof *cap);
    sqlite3_stmt *st;
    UT_EQ_INT(sqlite3_prepare_v2(db, "SELECT node_from, node_to, oneway,"
                                 " length_m / (speed_kmh / 3.6) FROM roads", -1,
                                 &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int a = sqlite3_column_int(st, 0) - 1, b = sqlite3_column_int(st, 1) - 1;
        int ow = sqlite3_column_int(st, 2);
        double s = sqlite3_column_double(st, 3);
        for (int k = 0; k < 2; k++) {
            int u = k ? b : a, v = k ? a : b;
            if ((k == 0 && ow < 0) || (k == 1 && ow > 0))
                continue;
            if (deg[u] == cap[u]) {
                cap[u] = cap[u] ? cap[u] * 2 : 4;
                adj[u] = realloc(adj[u], (size_t)cap[u] * sizeof **adj);
            }
            adj[u][deg[u]++] = (ref_edge){v, s};
        }
    }
    sqlite3_finalize(st);
    rgraph *g = NULL;
    UT_EQ_INT(rgraph_load(db, &g, &err), CT_OK);
    if (!g) {
        store_close(db);
        return;
    }
    double *sec = malloc((size_t)g->ns * sizeof *sec);
    double vmax = rgraph_seconds(g, NULL, sec);
    double *dist = malloc((size_t)g->nn * sizeof *dist);
    int *via = malloc((size_t)g->nn * sizeof *via);
    int mismatched = 0, backwards = 0, broken = 0, reached = 0, unreachable = 0;
    for (int t = 0; t < 150; t++) {
        int a = (int)(rnd() * nn), b = (int)(rnd() * nn);
        double want = ref_dijkstra(nn, adj, deg, a, b);
        rgraph_path p;
        int rc = rgraph_route(g, sec, vmax, rgraph_node(g, a + 1),
                              rgraph_node(g, b + 1), &p, &err);
        if (isinf(want)) {
            unreachable++;
            mismatched += rc != CT_ENOTFOUND;
            continue;
        }
        reached++;
        if (rc || fabs(p.eta_s - want) > 1e-6 * (1 + want)) {
            mismatched++;
            continue;
        }
        /* the path: connected, from a to b, each one-way street forward */
        int at = a;
        for (int i = 0; i < p.n; i++) {
            int arc = p.arcs[i], s = g->arc_seg[arc];
            if (g->node_id[g->arc_tail[arc]] != at + 1)
                broken++;
            at = (int)g->node_id[g->arc_head[arc]] - 1;
            int tail_is_from = g->arc_tail[arc] == g->seg_from[s];
            if ((g->seg_oneway[s] > 0 && !tail_is_from) ||
                (g->seg_oneway[s] < 0 && tail_is_from))
                backwards++;
        }
        if (at != b)
            broken++;
        /* the backward search gives the same time to the same target */
        int dst = rgraph_node(g, b + 1);
        rgraph_sssp(g, sec, &dst, NULL, 1, 1, 0, NULL, 0, dist, via, NULL);
        if (fabs(dist[rgraph_node(g, a + 1)] - want) > 1e-6 * (1 + want))
            mismatched++;
        rgraph_path q;
        if (rgraph_path_from(g, sec, via, 1, rgraph_node(g, a + 1), &q, &err) ||
            fabs(q.eta_s - want) > 1e-6 * (1 + want))
            mismatched++;
        rgraph_path_free(&q);
        rgraph_path_free(&p);
    }
    UT_CHECK_MSG(mismatched == 0, "%d routes differ from the reference", mismatched);
    UT_CHECK_MSG(backwards == 0, "%d one-way streets driven backwards", backwards);
    UT_CHECK_MSG(broken == 0, "%d broken paths", broken);
    UT_CHECK_MSG(reached > 50, "only %d reachable pairs", reached);
    printf("# %d reachable and %d unreachable pairs checked\n", reached, unreachable);
    for (int i = 0; i < nn; i++)
        free(adj[i]);
    free(adj), free(deg), free(cap), free(sec), free(dist), free(via);
    rgraph_free(g);
    store_close(db);
}

/* ---- points on segments ---- */

/* Brute force: the smallest chord distance from p to the straight line a-b
 * (coarse samples, then a golden-section refinement); *tp the parameter. */
static double brute_line(double lon, double lat, const double *a, const double *b,
                         double *tp)
{
    int best = 0;
    double bd = INFINITY;
    for (int i = 0; i <= 64; i++) {
        double t = i / 64.0;
        double d = chord_dist(lon, lat, a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]));
        if (d < bd)
            bd = d, best = i;
    }
    double lo = fmax(0, (best - 1) / 64.0), hi = fmin(1, (best + 1) / 64.0);
    const double gr = (sqrt(5) - 1) / 2;
    for (int it = 0; it < 80; it++) {
        double m1 = hi - gr * (hi - lo), m2 = lo + gr * (hi - lo);
        double d1 = chord_dist(lon, lat, a[0] + m1 * (b[0] - a[0]), a[1] + m1 * (b[1] - a[1]));
        double d2 = chord_dist(lon, lat, a[0] + m2 * (b[0] - a[0]), a[1] + m2 * (b[1] - a[1]));
        if (d1 < d2)
            hi = m2;
        else
            lo = m1;
    }
    double t = (lo + hi) / 2;
    double d = chord_dist(lon, lat, a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]));
    if (d < bd) {
        *tp = t;
        return d;
    }
    *tp = best / 64.0;
    return bd;
}

/* The reference graph of the city with segment ids sa and sb cut at the
 * fractions fa and fb into the extra nodes nn (A) and nn + 1 (B). */
static void ref_add(ref_edge **adj, int *deg, int *cap, int u, int v, double s)
{
    if (deg[u] == cap[u]) {
        cap[u] = cap[u] ? cap[u] * 2 : 4;
        adj[u] = realloc(adj[u], (size_t)cap[u] * sizeof **adj);
    }
    adj[u][deg[u]++] = (ref_edge){v, s};
}

static void ref_split_graph(sqlite3 *db, int nn, const char *sa, double fa,
                            const char *sb, double fb, ref_edge **adj, int *deg,
                            int *cap)
{
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT id, node_from, node_to, oneway,"
                       " length_m / (speed_kmh / 3.6) FROM roads", -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        int f = sqlite3_column_int(st, 1) - 1, t = sqlite3_column_int(st, 2) - 1;
        int ow = sqlite3_column_int(st, 3);
        double sec = sqlite3_column_double(st, 4);
        if (f == t)
            continue;
        /* the chain f .. cuts .. t by fraction */
        int node[4] = {f}, n = 1;
        double fr[4] = {0};
        int ca = !strcmp(id, sa), cb = !strcmp(id, sb);
        if (ca && cb && fb < fa) {
            node[n] = nn + 1, fr[n++] = fb;
            node[n] = nn, fr[n++] = fa;
        } else {
            if (ca)
                node[n] = nn, fr[n++] = fa;
            if (cb)
                node[n] = nn + 1, fr[n++] = fb;
        }
        node[n] = t, fr[n++] = 1;
        for (int i = 0; i + 1 < n; i++) {
            double c = sec * (fr[i + 1] - fr[i]);
            if (ow >= 0)
                ref_add(adj, deg, cap, node[i], node[i + 1], c);
            if (ow <= 0)
                ref_add(adj, deg, cap, node[i + 1], node[i], c);
        }
    }
    sqlite3_finalize(st);
}

static void test_points_on_segments_match_reference(void)
{
    sqlite3 *db = NULL;
    ct_err err;
    if (store_open("t_route_city.sqlite", STORE_READONLY, &db, &err))
        db = random_city();
    UT_CHECK(db != NULL);
    if (!db)
        return;
    rgraph *g = NULL;
    UT_EQ_INT(rgraph_load(db, &g, &err), CT_OK);
    if (!g) {
        store_close(db);
        return;
    }
    /* snapping: the nearest point against brute force over every segment */
    int snap_bad = 0, seg_checked = 0;
    double worst = 0;
    for (int t = 0; t < 120; t++) {
        double lon = 112.395 + rnd() * 0.1, lat = 34.595 + rnd() * 0.075;
        rgraph_pos p;
        int rc = rgraph_snap(g, lon, lat, 1500, &p, &err);
        double best = INFINITY, second = INFINITY, bt = 0;
        int bs = -1;
        for (int s = 0; s < g->ns; s++) {
            if (g->seg_from[s] == g->seg_to[s])
                continue;
            double tt, d = brute_line(lon, lat, g->pt + 2 * g->pt_off[s],
                                      g->pt + 2 * g->pt_off[s] + 2, &tt);
            if (d < best)
                second = best, best = d, bs = s, bt = tt;
            else if (d < second)
                second = d;
        }
        if (best > 1500) {
            snap_bad += rc != CT_ENOTFOUND;
            continue;
        }
        if (rc) {
            snap_bad++;
            continue;
        }
        double diff = fabs(p.off_m - best);
        worst = fmax(worst, diff);
        if (diff > 0.02 + 1e-5 * best)
            snap_bad++;
        if (second - best > 1) {   /* a clear winner: same segment, same place */
            seg_checked++;
            if (p.seg != bs || fabs(p.along_m - bt * g->seg_len[bs]) > 0.5 + 1e-3 * g->seg_len[bs])
                snap_bad++;
        }
    }
    printf("# snap: worst distance difference %.4f m; %d clear winners\n", worst,
           seg_checked);
    UT_CHECK_MSG(snap_bad == 0, "%d snaps differ from brute force", snap_bad);
    UT_CHECK(seg_checked > 60);
    rgraph_pos far;
    UT_EQ_INT(rgraph_snap(g, 100.0, 30.0, 1500, &far, &err), CT_ENOTFOUND);
    UT_EQ_INT(rgraph_snap(g, NAN, 30.0, 1500, &far, &err), CT_EINVAL);

    /* routes between snapped points against the split reference graph */
    int nn = GN * GN;
    double *sec = malloc((size_t)g->ns * sizeof *sec);
    double vmax = rgraph_seconds(g, NULL, sec);
    double *dist = malloc((size_t)g->nn * sizeof *dist);
    int *via = malloc((size_t)g->nn * sizeof *via);
    int mismatched = 0, backwards = 0, reached = 0, unreachable = 0, same_seg = 0;
    for (int t = 0; t < 150; t++) {
        rgraph_pos a, b;
        double alon = 112.40 + rnd() * 0.09, alat = 34.60 + rnd() * 0.07;
        if (t % 10 == 0) {   /* some pairs on one segment */
            if (rgraph_snap(g, alon, alat, 1500, &a, &err))
                continue;
            int s = a.seg;
            double u = rnd();
            const double *pa = g->pt + 2 * g->pt_off[s];
            if (rgraph_snap(g, pa[0] + u * (pa[2] - pa[0]), pa[1] + u * (pa[3] - pa[1]),
                            1500, &b, &err) || b.seg != s)
                continue;
            same_seg++;
        } else if (rgraph_snap(g, alon, alat, 1500, &a, &err) ||
                   rgraph_snap(g, 112.40 + rnd() * 0.09, 34.60 + rnd() * 0.07, 1500,
                               &b, &err)) {
            continue;
        }
        ref_edge **adj = calloc((size_t)nn + 2, sizeof *adj);
        int *deg = calloc((size_t)nn + 2, sizeof *deg), *cap = calloc((size_t)nn + 2, sizeof *cap);
        ref_split_graph(db, nn, g->seg_id[a.seg], a.along_m / g->seg_len[a.seg],
                        g->seg_id[b.seg], b.along_m / g->seg_len[b.seg], adj, deg, cap);
        double want = ref_dijkstra(nn + 2, adj, deg, nn, nn + 1);
        for (int i = 0; i < nn + 2; i++)
            free(adj[i]);
        free(adj), free(deg), free(cap);
        rgraph_path p;
        int rc = rgraph_route_pos(g, sec, vmax, &a, &b, &p, &err);
        if (isinf(want)) {
            unreachable++;
            mismatched += rc != CT_ENOTFOUND;
            continue;
        }
        reached++;
        if (rc || fabs(p.eta_s - want) > 1e-6 * (1 + want)) {
            printf("# pair %d: %g s, reference %g s (%s)\n", t, rc ? -1 : p.eta_s, want,
                   rc ? err.msg : "");
            mismatched++;
            if (!rc)
                rgraph_path_free(&p);
            continue;
        }
        /* ends where the points are; every piece driven an allowed way */
        if (!p.has_head || p.head.seg != a.seg || fabs(p.head.from_m - a.along_m) > 1e-9)
            mismatched++;
        const rgraph_piece *end = p.has_tail ? &p.tail : &p.head;
        if (end->seg != b.seg || fabs(end->to_m - b.along_m) > 1e-9)
            mismatched++;
        for (int k = 0; k < 2; k++) {
            const rgraph_piece *pc = k ? &p.tail : &p.head;
            if (k && !p.has_tail)
                continue;
            int fwd = pc->to_m >= pc->from_m;
            if ((fwd && g->seg_oneway[pc->seg] < 0) || (!fwd && g->seg_oneway[pc->seg] > 0))
                backwards++;
        }
        for (int i = 0; i < p.n; i++) {
            int arc = p.arcs[i], s = g->arc_seg[arc];
            int tail_is_from = g->arc_tail[arc] == g->seg_from[s];
            if ((g->seg_oneway[s] > 0 && !tail_is_from) || (g->seg_oneway[s] < 0 && tail_is_from))
                backwards++;
        }
        rgraph_path_free(&p);
        /* backward, as the plan does: from b's ends, then a's best way on */
        int tn[2], sn[2];
        double tc[2], sc[2];
        rgraph_piece tp[2], sp[2], direct;
        int nt = rgraph_pos_ends(g, sec, &b, 0, tn, tc, tp);
        int ns = rgraph_pos_ends(g, sec, &a, 1, sn, sc, sp);
        rgraph_sssp(g, sec, tn, tc, nt, 1, 0, NULL, 0, dist, via, NULL);
        double back = rgraph_pos_direct(g, &a, &b, &direct)
                          ? rgraph_piece_seconds(g, sec, &direct) : INFINITY;
        for (int e = 0; e < ns; e++)
            back = fmin(back, sc[e] + dist[sn[e]]);
        if (fabs(back - want) > 1e-6 * (1 + want))
            mismatched++;
    }
    UT_CHECK_MSG(mismatched == 0, "%d point routes differ from the reference", mismatched);
    UT_CHECK_MSG(backwards == 0, "%d one-way streets driven backwards", backwards);
    UT_CHECK_MSG(reached > 50 && same_seg >= 5, "only %d reachable pairs, %d on one segment",
                 reached, same_seg);
    printf("# %d reachable (%d on one segment) and %d unreachable point pairs\n",
           reached, same_seg, unreachable);
    free(sec), free(dist), free(via);
    rgraph_free(g);
    store_close(db);
}

int main(void)
{
    UT_RUN(test_oneway_forces_detour);
    UT_RUN(test_island_unreachable_and_ties);
    UT_RUN(test_live_speed_reroutes);
    UT_RUN(test_piece_points_and_snap);
    UT_RUN(test_nearest_matches_brute_force);
    UT_RUN(test_routes_match_reference);
    UT_RUN(test_points_on_segments_match_reference);
    return ut_done();
}
