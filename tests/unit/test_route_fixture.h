/* tests/unit/test_route_fixture.h: what the road-graph tests share
 * (test_route.c: routing and nearest queries; test_route_snap.c: points
 * snapped onto segments and routes between them): stores made here, the
 * hand-made network, the random grid city, a 3-D chord distance (a
 * different formula from the haversine) and a plain O(n^2) Dijkstra over
 * an adjacency list read separately from the roads table. Included by one
 * test file each, so everything is static. */
#ifndef TEST_ROUTE_FIXTURE_H
#define TEST_ROUTE_FIXTURE_H

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

/* A GN x GN grid city: missing streets, 30 % one-way either way, random
 * speeds, winding lengths, NSTATIONS fire stations; a fresh store at path. */
static sqlite3 *random_city(const char *path)
{
    sqlite3 *db = new_store(path);
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

static void ref_add(ref_edge **adj, int *deg, int *cap, int u, int v, double s)
{
    if (deg[u] == cap[u]) {
        cap[u] = cap[u] ? cap[u] * 2 : 4;
        adj[u] = realloc(adj[u], (size_t)cap[u] * sizeof **adj);
    }
    adj[u][deg[u]++] = (ref_edge){v, s};
}

#endif
