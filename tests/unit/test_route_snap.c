/* tests/unit/test_route_snap.c: points on the road graph's segments
 * (spatial/graph_pos.c) with the fixtures of test_route_fixture.h: a
 * piece's points in driving order and a point snapped onto a one-way
 * street's middle (hand-made network); a divided road's other carriageway
 * (rgraph_snap_twin) and the faster of the two (rgraph_route_best); on a
 * random grid city, the nearest
 * point agrees with a brute-force search over every segment (a different
 * distance formula), and routes between such points (entering the graph at
 * both ends of their segments with the partial lengths) agree with the
 * reference Dijkstra on a graph where the two segments are split at the
 * points, forward and backward. */
#include "test_route_fixture.h"

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

/* A divided road: carriageway S one-way east, N one-way west 20 m north
 * of it, joined at both ends; a station east of them; a separate one-way
 * street W, westbound, 60 m south of S. A point 3 m south of S snaps onto
 * S, and N is its other carriageway: the way to N is the faster from the
 * station (S must be entered at its west end: round the whole road), the
 * way from S the faster to the station; both chosen by
 * rgraph_route_best. A point between S and W (nearer W) has no twin: S is
 * near the point but 60 m from W. A point on a two-way street has none. */
static void test_divided_road_twin(void)
{
    sqlite3 *db = new_store("t_route_divided.sqlite");
    UT_CHECK(db != NULL);
    const double lon = 112.5, lat = 34.7, M = 1 / 111194.93;   /* degrees of latitude per metre */
    add_node(db, 40, lon, lat), add_node(db, 41, lon + 4 * U, lat);
    add_node(db, 42, lon, lat + 20 * M), add_node(db, 43, lon + 4 * U, lat + 20 * M);
    add_node(db, 44, lon + 6 * U, lat + 10 * M);
    add_node(db, 45, lon, lat - 60 * M), add_node(db, 46, lon + 4 * U, lat - 60 * M);
    add_road(db, "S", 40, 41, 1, 50, 0);
    add_road(db, "N", 43, 42, 1, 50, 0);
    add_road(db, "west-end", 42, 40, 0, 30, 0);
    add_road(db, "east-end", 41, 43, 0, 30, 0);
    add_road(db, "to-st-s", 41, 44, 0, 50, 0);
    add_road(db, "to-st-n", 43, 44, 0, 50, 0);
    add_road(db, "W", 46, 45, 1, 50, 0);
    add_road(db, "w-west", 45, 40, 0, 30, 0);
    add_road(db, "w-east", 41, 46, 0, 30, 0);
    rgraph *g = NULL;
    ct_err err;
    UT_EQ_INT(rgraph_load(db, &g, &err), CT_OK);
    store_close(db);
    double *sec = malloc((size_t)g->ns * sizeof *sec);
    double vmax = rgraph_seconds(g, NULL, sec);
    rgraph_pos p[2], st, none;
    UT_EQ_INT(rgraph_snap(g, lon + U, lat - 3 * M, 1500, &p[0], &err), CT_OK);
    UT_EQ_INT(p[0].seg, seg_of(g, "S"));
    UT_NEAR(p[0].off_m, 3, 0.01);
    UT_EQ_INT(rgraph_snap_twin(g, lon + U, lat - 3 * M, &p[0], 30, &p[1]), 1);
    UT_EQ_INT(p[1].seg, seg_of(g, "N"));
    UT_NEAR(p[1].off_m, 23, 0.05);
    UT_NEAR(p[1].along_m, g->seg_len[p[1].seg] * 3 / 4, 0.05);   /* N runs east to west */
    UT_EQ_INT(rgraph_snap_twin(g, lon + U, lat - 3 * M, &p[0], 15, &none), 0);   /* 23 > 3 + 15 */
    UT_EQ_INT(rgraph_snap(g, lon + 6 * U, lat + 10 * M, 1500, &st, &err), CT_OK);
    rgraph_path to_s, to_n, best;
    UT_EQ_INT(rgraph_route_pos(g, sec, vmax, &st, &p[0], &to_s, &err), CT_OK);
    UT_EQ_INT(rgraph_route_pos(g, sec, vmax, &st, &p[1], &to_n, &err), CT_OK);
    int ia = -1, ib = -1;
    UT_EQ_INT(rgraph_route_best(g, sec, vmax, &st, 1, p, 2, &best, &ia, &ib, &err), CT_OK);
    UT_CHECK_MSG(to_n.eta_s < to_s.eta_s - 10, "to N %.1f s, to S %.1f s", to_n.eta_s, to_s.eta_s);
    UT_EQ_INT(ia, 0);
    UT_EQ_INT(ib, 1);
    UT_NEAR(best.eta_s, to_n.eta_s, 1e-9);
    UT_EQ_INT(best.tail.seg, p[1].seg);
    rgraph_path_free(&to_s), rgraph_path_free(&to_n), rgraph_path_free(&best);
    /* leaving: S (east, straight to the station) beats N (round the road) */
    UT_EQ_INT(rgraph_route_best(g, sec, vmax, p, 2, &st, 1, &best, &ia, &ib, &err), CT_OK);
    UT_EQ_INT(ia, 0);
    UT_EQ_INT(best.head.seg, p[0].seg);
    rgraph_path_free(&best);
    /* between S and W, nearer W: no twin (S is 60 m from W's snap) */
    rgraph_pos q;
    UT_EQ_INT(rgraph_snap(g, lon + U, lat - 32 * M, 1500, &q, &err), CT_OK);
    UT_EQ_INT(q.seg, seg_of(g, "W"));
    UT_EQ_INT(rgraph_snap_twin(g, lon + U, lat - 32 * M, &q, 30, &none), 0);
    /* on a two-way street: none */
    UT_EQ_INT(rgraph_snap(g, lon - 5 * M, lat - 30 * M, 1500, &q, &err), CT_OK);
    UT_EQ_INT(q.seg, seg_of(g, "w-west"));
    UT_EQ_INT(rgraph_snap_twin(g, lon - 5 * M, lat - 30 * M, &q, 30, &none), 0);
    free(sec);
    rgraph_free(g);
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
    db = random_city("t_route_snap_city.sqlite");
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
    UT_RUN(test_piece_points_and_snap);
    UT_RUN(test_divided_road_twin);
    UT_RUN(test_points_on_segments_match_reference);
    return ut_done();
}
