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
    /* a uniform grid over the segments' polylines, for snapping points
     * onto them (graph_pos.c): cell c holds cell_seg[cell_off[c]..] */
    double cell_lon0, cell_lat0, cell_deg;
    int cell_nx, cell_ny;
    int *cell_off, *cell_seg;
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

/* Part of a segment driven: from from_m to to_m, metres along it from its
 * seg_from node (to_m < from_m: against the digitised direction). */
typedef struct rgraph_piece {
    int seg;
    double from_m, to_m;
} rgraph_piece;

/* A path: arcs in travel order, total metres and seconds. Between points
 * on segments (rgraph_route_pos), the part of the start's segment driven
 * before arcs[0] (head) and of the end's after the last arc (tail); a
 * start and end on one segment: only a head, no arcs. */
typedef struct rgraph_path {
    int *arcs;
    int n;
    double length_m, eta_s;
    int has_head, has_tail;
    rgraph_piece head, tail;
} rgraph_path;
void rgraph_path_free(rgraph_path *p);

/* Fastest path from node src to node dst (A*, binary heap, bounded by the
 * node count). vmax_kmh: the highest speed in sec (0: plain Dijkstra).
 * CT_ENOTFOUND when dst cannot be reached from src. */
int rgraph_route(const rgraph *g, const double *sec, double vmax_kmh, int src,
                 int dst, rgraph_path *out, ct_err *err);

/* Dijkstra from the sources (forward, or backward over entering arcs with
 * reverse=1: times to reach the sources), each starting at src_dist[i]
 * seconds (NULL: 0), until every node within limit_s
 * (<= 0: no limit) is settled, or stop_after target nodes (is_target[v])
 * have been settled (0: no such stop). Fills dist (INFINITY when not
 * reached), via (the arc that reached the node, -1 at a source or
 * unreached) and root (the source's index in srcs, -1 unreached); any of
 * via/root may be NULL. Returns the number of nodes settled, or a
 * negative code (CT_ENOMEM). */
int rgraph_sssp(const rgraph *g, const double *sec, const int *srcs,
                const double *src_dist, int nsrc,
                int reverse, double limit_s, const unsigned char *is_target,
                int stop_after, double *dist, int *via, int *root);

/* The path from a source to node v after a forward rgraph_sssp (or, after
 * a reverse one, from v to the source), from via. */
int rgraph_path_from(const rgraph *g, const double *sec, const int *via,
                     int reverse, int v, rgraph_path *out, ct_err *err);

/* ---- points on segments (graph_pos.c) ---- */

/* A point snapped onto the network: on segment seg, along_m metres from
 * its seg_from node along the polyline (scaled to the segment's length),
 * at lon/lat, off_m (haversine) from the point asked. */
typedef struct rgraph_pos {
    int seg;
    double along_m, lon, lat, off_m;
} rgraph_pos;

/* Build the segment grid (rgraph_load does it). */
int rgraph_index_build(rgraph *g, ct_err *err);

/* The nearest point on any routable segment (one with an arc) within
 * max_m of lon/lat; ties by segment index. CT_ENOTFOUND when none. */
int rgraph_snap(const rgraph *g, double lon, double lat, double max_m,
                rgraph_pos *out, ct_err *err);

/* The other carriageway of a divided road: when p (the snap of lon/lat)
 * is on a one-way segment, the nearest point of the nearest other one-way
 * segment driven the opposite way (directions more than 120 degrees apart
 * where the point is nearest) within p->off_m + extra_m of lon/lat and
 * within extra_m of p itself. 1 with *twin, else 0. */
int rgraph_snap_twin(const rgraph *g, double lon, double lat, const rgraph_pos *p,
                     double extra_m, rgraph_pos *twin);

/* The graph's ends of a point: leaving it (out=1: the nodes it can drive
 * to along its segment) or reaching it (out=0: the nodes it is reached
 * from). node[i] with the seconds of the partial segment cost[i] and the
 * piece driven; returns how many (0..2). */
int rgraph_pos_ends(const rgraph *g, const double *sec, const rgraph_pos *p,
                    int out, int node[2], double cost[2], rgraph_piece piece[2]);

/* Seconds of driving a piece at the segment's time sec[seg]. */
double rgraph_piece_seconds(const rgraph *g, const double *sec,
                            const rgraph_piece *pc);

/* The driving directly from a to b along their common segment, when they
 * share one and its direction allows (1 with *piece), else 0. */
int rgraph_pos_direct(const rgraph *g, const rgraph_pos *a, const rgraph_pos *b,
                      rgraph_piece *piece);

/* Fastest path from point a to point b (A*, as rgraph_route; the partial
 * segments at both ends are the path's head and tail). CT_ENOTFOUND when
 * b cannot be reached from a. */
int rgraph_route_pos(const rgraph *g, const double *sec, double vmax_kmh,
                     const rgraph_pos *a, const rgraph_pos *b, rgraph_path *out,
                     ct_err *err);

/* The fastest of the routes from any of the na places a to any of the nb
 * places b (a point and its other carriageway, rgraph_snap_twin); *ia,
 * *ib: the places used. The first pair's error when none is found. */
int rgraph_route_best(const rgraph *g, const double *sec, double vmax,
                      const rgraph_pos *a, int na, const rgraph_pos *b, int nb,
                      rgraph_path *out, int *ia, int *ib, ct_err *err);

/* Add a head (before the arcs) or a tail piece to a path, with its
 * metres and seconds. */
void rgraph_path_add_piece(const rgraph *g, const double *sec, rgraph_path *p,
                           int tail, const rgraph_piece *pc);

/* The lon/lat points of a piece in driving order (malloc'd pairs, *n
 * points, at least 2), NULL when out of memory. */
double *rgraph_piece_points(const rgraph *g, const rgraph_piece *pc, int *n);

#endif
