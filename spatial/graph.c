/* spatial/graph.c: building the in-memory road graph from the store (see
 * graph.h); the searches are in graph_search.c. */
#include "spatial/graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spatial/nearest.h"

double rgraph_class_kmh(const char *cls)
{
    /* Typical urban free-flow speeds; the store's speed_kmh wins. */
    static const struct { const char *cls; double kmh; } T[] = {
        {"motorway", 80}, {"expressway", 80}, {"快速路", 80}, {"trunk", 60},
        {"primary", 50},  {"arterial", 50},   {"主干路", 50}, {"secondary", 40},
        {"次干路", 40},   {"tertiary", 35},   {"residential", 25},
        {"local", 25},    {"支路", 25},       {"service", 15},
        {"living_street", 10}, {NULL, 0}};
    for (int i = 0; cls && T[i].cls; i++)
        if (!strcmp(cls, T[i].cls))
            return T[i].kmh;
    return 30;
}

static uint32_t rd32(const unsigned char *p, int le)
{
    return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                (uint32_t)p[3] << 24
              : (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 |
                (uint32_t)p[0] << 24;
}

static double rdf64(const unsigned char *p, int le)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = le ? p[i] : p[7 - i];
    double d;
    memcpy(&d, b, 8);   /* the host is little-endian (x86-64, arm64) */
    return d;
}

/* Points of a WKB LINESTRING (XY, or Z/M ignored): count, or -1. */
static int wkb_line(const unsigned char *w, int n, const unsigned char **xy,
                    int *dims, int *le)
{
    if (!w || n < 9)
        return -1;
    *le = w[0] == 1;
    uint32_t t = rd32(w + 1, *le);
    int d = t == 2 ? 2 : (t == 1002 || t == 2002) ? 3 : t == 3002 ? 4 : 0;
    if (!d)
        return -1;
    uint32_t np = rd32(w + 5, *le);
    if (np < 2 || (size_t)n < 9 + (size_t)np * (size_t)d * 8)
        return -1;
    *xy = w + 9, *dims = d;
    return (int)np;
}

static int count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static int load_nodes(sqlite3 *db, rgraph *g, ct_err *err)
{
    int cap = count(db, "SELECT count(*) FROM road_nodes");
    if (cap < 0)
        return ct_fail(err, CT_ENOTFOUND, "road graph: the store has no "
                       "road_nodes table (import roads first): %s",
                       sqlite3_errmsg(db));
    g->node_id = malloc(((size_t)cap + 1) * sizeof *g->node_id);
    g->lon = malloc(((size_t)cap + 1) * sizeof *g->lon);
    g->lat = malloc(((size_t)cap + 1) * sizeof *g->lat);
    if (!g->node_id || !g->lon || !g->lat)
        return ct_fail(err, CT_ENOMEM, "road graph: out of memory (%d nodes)", cap);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT id, ST_X(geom), ST_Y(geom) FROM road_nodes"
                           " WHERE geom IS NOT NULL ORDER BY id", -1, &st,
                           NULL) != SQLITE_OK)
        return ct_fail(err, CT_EIO, "road graph: road_nodes: %s", sqlite3_errmsg(db));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && g->nn < cap) {
        g->node_id[g->nn] = sqlite3_column_int64(st, 0);
        g->lon[g->nn] = sqlite3_column_double(st, 1);
        g->lat[g->nn] = sqlite3_column_double(st, 2);
        g->nn++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return ct_fail(err, CT_EIO, "road graph: reading road_nodes: %s",
                       sqlite3_errmsg(db));
    return CT_OK;
}

int rgraph_node(const rgraph *g, int64_t node_id)
{
    int lo = 0, hi = g->nn - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (g->node_id[mid] == node_id)
            return mid;
        if (g->node_id[mid] < node_id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* Append segment s's polyline (from WKB, else its two nodes). */
static int add_points(rgraph *g, int s, const unsigned char *w, int wn,
                      int *ptcap)
{
    const unsigned char *xy = NULL;
    int dims = 2, le = 1;
    int np = wkb_line(w, wn, &xy, &dims, &le);
    int need = g->pt_off[s] + (np > 0 ? np : 2);
    if (need > *ptcap) {
        int c = *ptcap ? *ptcap : 4096;
        while (c < need)
            c *= 2;
        double *p = realloc(g->pt, (size_t)c * 2 * sizeof *p);
        if (!p)
            return CT_ENOMEM;
        g->pt = p, *ptcap = c;
    }
    double *o = g->pt + 2 * (size_t)g->pt_off[s];
    if (np > 0) {
        for (int i = 0; i < np; i++) {
            o[2 * i] = rdf64(xy + (size_t)i * dims * 8, le);
            o[2 * i + 1] = rdf64(xy + (size_t)i * dims * 8 + 8, le);
        }
    } else {
        np = 2;
        o[0] = g->lon[g->seg_from[s]], o[1] = g->lat[g->seg_from[s]];
        o[2] = g->lon[g->seg_to[s]], o[3] = g->lat[g->seg_to[s]];
    }
    g->pt_off[s + 1] = g->pt_off[s] + np;
    return CT_OK;
}

static int load_segments(sqlite3 *db, rgraph *g, ct_err *err)
{
    int cap = count(db, "SELECT count(*) FROM roads");
    if (cap < 0)
        return ct_fail(err, CT_EIO, "road graph: roads: %s", sqlite3_errmsg(db));
    size_t c1 = (size_t)cap + 1;
    g->seg_id = calloc(c1, sizeof *g->seg_id);
    g->seg_from = malloc(c1 * sizeof *g->seg_from);
    g->seg_to = malloc(c1 * sizeof *g->seg_to);
    g->seg_oneway = malloc(c1);
    g->seg_len = malloc(c1 * sizeof *g->seg_len);
    g->seg_kmh = malloc(c1 * sizeof *g->seg_kmh);
    g->pt_off = calloc(c1 + 1, sizeof *g->pt_off);
    if (!g->seg_id || !g->seg_from || !g->seg_to || !g->seg_oneway ||
        !g->seg_len || !g->seg_kmh || !g->pt_off)
        return ct_fail(err, CT_ENOMEM, "road graph: out of memory (%d roads)", cap);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT id, class, oneway, length_m, speed_kmh,"
                           " node_from, node_to, AsBinary(geom) FROM roads"
                           " WHERE node_from IS NOT NULL AND node_to IS NOT NULL"
                           " ORDER BY fid", -1, &st, NULL) != SQLITE_OK)
        return ct_fail(err, CT_EIO, "road graph: roads: %s", sqlite3_errmsg(db));
    int rc, ptcap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && g->ns < cap) {
        int s = g->ns;
        int a = rgraph_node(g, sqlite3_column_int64(st, 5));
        int b = rgraph_node(g, sqlite3_column_int64(st, 6));
        const char *id = (const char *)sqlite3_column_text(st, 0);
        if (a < 0 || b < 0 || !id)
            continue;   /* a dangling node reference: not routable */
        g->seg_id[s] = strdup(id);
        g->seg_from[s] = a, g->seg_to[s] = b;
        int ow = sqlite3_column_int(st, 2);
        g->seg_oneway[s] = (signed char)(ow > 0 ? 1 : ow < 0 ? -1 : 0);
        double kmh = sqlite3_column_double(st, 4);
        g->seg_kmh[s] = (float)(kmh > 0 ? kmh : rgraph_class_kmh(
            (const char *)sqlite3_column_text(st, 1)));
        if (!g->seg_id[s] ||
            add_points(g, s, sqlite3_column_blob(st, 7),
                       sqlite3_column_bytes(st, 7), &ptcap)) {
            sqlite3_finalize(st);
            return ct_fail(err, CT_ENOMEM, "road graph: out of memory");
        }
        double len = sqlite3_column_double(st, 3);
        if (!(len > 0)) {   /* no stored length: along the polyline */
            len = 0;
            for (int i = g->pt_off[s]; i + 1 < g->pt_off[s + 1]; i++)
                len += nearest_haversine(g->pt[2 * i], g->pt[2 * i + 1],
                                         g->pt[2 * i + 2], g->pt[2 * i + 3]);
        }
        g->seg_len[s] = len;
        g->ns++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return ct_fail(err, CT_EIO, "road graph: reading roads: %s",
                       sqlite3_errmsg(db));
    return CT_OK;
}

/* The arcs of every segment's allowed directions, then both CSR indexes
 * (counting sort by tail and by head). */
static int build_arcs(rgraph *g, ct_err *err)
{
    int na = 0;
    for (int s = 0; s < g->ns; s++)
        if (g->seg_from[s] != g->seg_to[s])
            na += g->seg_oneway[s] ? 1 : 2;
    size_t n1 = (size_t)na + 1, v1 = (size_t)g->nn + 1;
    g->arc_seg = malloc(n1 * sizeof(int));
    g->arc_tail = malloc(n1 * sizeof(int));
    g->arc_head = malloc(n1 * sizeof(int));
    g->arc_fwd = malloc(n1);
    g->out_arc = malloc(n1 * sizeof(int));
    g->in_arc = malloc(n1 * sizeof(int));
    g->out_off = calloc(v1 + 1, sizeof(int));
    g->in_off = calloc(v1 + 1, sizeof(int));
    if (!g->arc_seg || !g->arc_tail || !g->arc_head || !g->arc_fwd ||
        !g->out_arc || !g->in_arc || !g->out_off || !g->in_off)
        return ct_fail(err, CT_ENOMEM, "road graph: out of memory (%d arcs)", na);
    for (int s = 0; s < g->ns; s++) {
        if (g->seg_from[s] == g->seg_to[s])
            continue;   /* a closed loop adds nothing to shortest paths */
        for (int fwd = 1; fwd >= 0; fwd--) {
            if ((fwd && g->seg_oneway[s] < 0) || (!fwd && g->seg_oneway[s] > 0))
                continue;
            int a = g->na++;
            g->arc_seg[a] = s, g->arc_fwd[a] = (signed char)fwd;
            g->arc_tail[a] = fwd ? g->seg_from[s] : g->seg_to[s];
            g->arc_head[a] = fwd ? g->seg_to[s] : g->seg_from[s];
            g->out_off[g->arc_tail[a] + 1]++;
            g->in_off[g->arc_head[a] + 1]++;
        }
    }
    for (int v = 0; v < g->nn; v++) {
        g->out_off[v + 1] += g->out_off[v];
        g->in_off[v + 1] += g->in_off[v];
    }
    int *po = malloc(v1 * sizeof(int)), *pi = malloc(v1 * sizeof(int));
    if (!po || !pi) {
        free(po), free(pi);
        return ct_fail(err, CT_ENOMEM, "road graph: out of memory");
    }
    memcpy(po, g->out_off, v1 * sizeof(int));
    memcpy(pi, g->in_off, v1 * sizeof(int));
    for (int a = 0; a < g->na; a++) {
        g->out_arc[po[g->arc_tail[a]]++] = a;
        g->in_arc[pi[g->arc_head[a]]++] = a;
    }
    free(po), free(pi);
    return CT_OK;
}

int rgraph_load(sqlite3 *db, rgraph **out, ct_err *err)
{
    *out = NULL;
    rgraph *g = calloc(1, sizeof *g);
    if (!g)
        return ct_fail(err, CT_ENOMEM, "road graph: out of memory");
    int rc = load_nodes(db, g, err);
    if (!rc)
        rc = load_segments(db, g, err);
    if (!rc)
        rc = build_arcs(g, err);
    if (!rc)
        rc = rgraph_index_build(g, err);
    if (!rc && g->na == 0)
        rc = ct_fail(err, CT_ENOTFOUND, "road graph: the store has no routable "
                     "roads (%d segments with nodes)", g->ns);
    if (rc) {
        rgraph_free(g);
        return rc;
    }
    *out = g;
    return CT_OK;
}

void rgraph_free(rgraph *g)
{
    if (!g)
        return;
    for (int s = 0; g->seg_id && s < g->ns; s++)
        free(g->seg_id[s]);
    free(g->seg_id), free(g->seg_from), free(g->seg_to), free(g->seg_oneway);
    free(g->seg_len), free(g->seg_kmh), free(g->pt_off), free(g->pt);
    free(g->node_id), free(g->lon), free(g->lat);
    free(g->out_off), free(g->out_arc), free(g->in_off), free(g->in_arc);
    free(g->arc_seg), free(g->arc_tail), free(g->arc_head), free(g->arc_fwd);
    free(g->cell_off), free(g->cell_seg);
    free(g);
}

double rgraph_seconds(const rgraph *g, const float *live_kmh, double *sec)
{
    double vmax = 0;
    for (int s = 0; s < g->ns; s++) {
        double v = live_kmh && live_kmh[s] > 0 ? live_kmh[s] : g->seg_kmh[s];
        if (!(v > 0.5))
            v = 0.5;   /* a standstill still moves, slowly */
        sec[s] = g->seg_len[s] / (v / 3.6);
        if (v > vmax)
            vmax = v;
    }
    return vmax;
}
