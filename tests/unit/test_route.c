/* tests/unit/test_route.c: the road graph and its searches (spatial/graph.h)
 * and the nearest queries (spatial/nearest.h) on stores made here
 * (test_route_fixture.h): a hand-made network (a one-way street forcing a
 * detour, a reverse one-way, an unreachable island, equal-cost ties, a
 * live slowdown), then a property test on a random grid city: nearest
 * fire stations agree with brute force over every station, and route
 * times agree with a plain O(n^2) Dijkstra over an adjacency list read
 * separately from the roads table; no route drives a one-way street
 * backwards. Points snapped onto segments: test_route_snap.c. */
#include "test_route_fixture.h"

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

static void test_nearest_matches_brute_force(void)
{
    sqlite3 *db = random_city("t_route_city.sqlite");
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

static void test_routes_match_reference(void)
{
    sqlite3 *db = NULL;
    ct_err err;
    /* reopen the city the previous test wrote (a fresh one if missing) */
    if (store_open("t_route_city.sqlite", STORE_READONLY, &db, &err))
        db = random_city("t_route_city.sqlite");
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
        if (ow >= 0)
            ref_add(adj, deg, cap, a, b, s);
        if (ow <= 0)
            ref_add(adj, deg, cap, b, a, s);
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

int main(void)
{
    UT_RUN(test_oneway_forces_detour);
    UT_RUN(test_island_unreachable_and_ties);
    UT_RUN(test_live_speed_reroutes);
    UT_RUN(test_nearest_matches_brute_force);
    UT_RUN(test_routes_match_reference);
    return ut_done();
}
