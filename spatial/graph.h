/* spatial/graph.h: the road network in memory, for routing (issue 8).
 * Built once from the store's roads (node_from/node_to, oneway, length_m,
 * speed_kmh) and road_nodes: compressed sparse rows of the arcs leaving
 * each node and of the arcs entering it (for searches from the target
 * back), plus each segment's polyline for drawing. Immutable once built,
 * so any number of threads search it at once. Travel times are a per-query
 * array of seconds per segment (rgraph_seconds), so live traffic speeds
 * change the answers without rebuilding anything. */
#ifndef SPATIAL_GRAPH_H
#define SPATIAL_GRAPH_H

#include <sqlite3.h>
#include <stdint.h>

#include "core/ct_error.h"

typedef struct rgraph {
    int nn;                 /* nodes */
    int64_t *node_id;       /* road_nodes.id, ascending */
    double *lon, *lat;
    int ns;                 /* segments (rows of roads with both nodes) */
    char **seg_id;          /* public id */
    int *seg_from, *seg_to; /* node indexes, as digitised */
    signed char *seg_oneway; /* 1 forward only, -1 reverse only, 0 both */
    double *seg_len;        /* metres */
    float *seg_kmh;         /* the class / posted speed */
    int *pt_off;            /* segment s: points pt_off[s] .. pt_off[s+1]-1 */
    double *pt;             /* lon, lat pairs */
    int na;                 /* arcs (one per allowed direction) */
    int *out_off, *out_arc; /* arcs leaving node v: out_arc[out_off[v]..] */
    int *in_off, *in_arc;   /* arcs entering node v */
    int *arc_seg, *arc_tail, *arc_head;
    signed char *arc_fwd;   /* 1: along the digitised direction */
} rgraph;

/* Speed (km/h) for a class when the store has none. */
double rgraph_class_kmh(const char *cls);

/* Build the graph from the store (CT_ENOTFOUND when it has no routable
 * roads). */
int rgraph_load(sqlite3 *db, rgraph **out, ct_err *err);
void rgraph_free(rgraph *g);

/* Node index of a road_nodes id, or -1. */
int rgraph_node(const rgraph *g, int64_t node_id);

/* Seconds per segment: the live speed when live_kmh[s] > 0 (live_kmh may
 * be NULL), else the segment's own speed. sec holds g->ns. Returns the
 * highest speed used (km/h), for the A* heuristic. */
double rgraph_seconds(const rgraph *g, const float *live_kmh, double *sec);

/* A path: arcs in travel order, total metres and seconds. */
typedef struct rgraph_path {
    int *arcs;
    int n;
    double length_m, eta_s;
} rgraph_path;
void rgraph_path_free(rgraph_path *p);

/* Fastest path from node src to node dst (A*, binary heap, bounded by the
 * node count). vmax_kmh: the highest speed in sec (0: plain Dijkstra).
 * CT_ENOTFOUND when dst cannot be reached from src. */
int rgraph_route(const rgraph *g, const double *sec, double vmax_kmh, int src,
                 int dst, rgraph_path *out, ct_err *err);

/* Dijkstra from the sources (forward, or backward over entering arcs with
 * reverse=1: times to reach the sources) until every node within limit_s
 * (<= 0: no limit) is settled, or stop_after target nodes (is_target[v])
 * have been settled (0: no such stop). Fills dist (INFINITY when not
 * reached), via (the arc that reached the node, -1 at a source or
 * unreached) and root (the source's index in srcs, -1 unreached); any of
 * via/root may be NULL. Returns the number of nodes settled, or a
 * negative code (CT_ENOMEM). */
int rgraph_sssp(const rgraph *g, const double *sec, const int *srcs, int nsrc,
                int reverse, double limit_s, const unsigned char *is_target,
                int stop_after, double *dist, int *via, int *root);

/* The path from a source to node v after a forward rgraph_sssp (or, after
 * a reverse one, from v to the source), from via. */
int rgraph_path_from(const rgraph *g, const double *sec, const int *via,
                     int reverse, int v, rgraph_path *out, ct_err *err);

#endif
