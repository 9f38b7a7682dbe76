/* tiles/earcut.h: polygon triangulation by ear clipping, holes bridged to
 * the outer ring (the "earcut" approach: each hole is joined to the outer
 * ring by a pair of coincident edges from its leftmost point to a visible
 * outer vertex, then ears are clipped from one ring). Own implementation,
 * O(n^2) per polygon, which is what building footprints need. Rings must be
 * clean (see fp_clean): outer counter-clockwise, holes clockwise. */
#ifndef TILES_EARCUT_H
#define TILES_EARCUT_H

#include <stdint.h>

typedef struct ec_node {
    double x, y;
    int i;            /* index of the point in the caller's array */
    int prev, next;
} ec_node;

typedef struct earcut_ctx {
    ec_node *nodes;
    int nn, cap_nodes;
    int *holes;        /* scratch: leftmost node of each hole */
    int cap_holes;
    uint32_t *tri;     /* output: 3 point indices per triangle */
    int ntri, cap_tri;
    int degenerate;    /* collinear nodes dropped to finish (T-junctions) */
} earcut_ctx;

void earcut_init(earcut_ctx *c);
void earcut_free(earcut_ctx *c);

/* Triangulate the polygon whose rings are given as (offset, count) into pt
 * (x, y pairs); ring 0 is the outer ring. Triangles (counter-clockwise)
 * replace c->tri / c->ntri. Returns 0, or -1 when the polygon could not be
 * fully triangulated (self-intersections): the caller falls back. */
int earcut_polygon(earcut_ctx *c, const double *pt, const int *ring_off,
                   const int *ring_n, int nrings);

#endif
