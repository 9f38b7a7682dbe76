/* tiles/plan.h: the tile tree, planned before any mesh is built.
 * One pass over the buildings and building parts (only the BLOB headers
 * are parsed) counts features and a triangle bound into a fixed grid of
 * PLAN_GRID x PLAN_GRID cells over the city's bbox, keyed by the centre
 * of each footprint's bbox (the "anchor" every feature is tiled by). A
 * quadtree over the grid splits while a node holds more than max_tris
 * (bound) or max_features; empty quadrants are left out. The grid's size
 * is fixed, so planning memory does not grow with the city. */
#ifndef TILES_PLAN_H
#define TILES_PLAN_H

#include <sqlite3.h>

#include "core/ct_error.h"

#define PLAN_GRID 512
/* Leaves are split below this width (metres), however few features they
 * hold: 16-bit quantized positions then keep a step of ~5 cm or less. */
#define PLAN_MAX_LEAF_M 3000.0
/* Tiles wider than this (metres) carry no content (stores spanning
 * several cities): local frames stay small enough to be exact. */
#define PLAN_MAX_CONTENT_M 100000.0

typedef struct plan_node {
    int level, tx, ty;         /* quadtree address: tx, ty in [0, 2^level) */
    int gx, gy, gsize;         /* grid cells [gx, gx+gsize) x [gy, gy+gsize) */
    long count, tris;          /* features anchored here, triangle bound */
    int parent, nchild, child[4];
} plan_node;

typedef struct plan {
    double x0, y0, x1, y1;     /* root bbox, degrees (anchors are inside) */
    double cw, ch;             /* cell size, degrees */
    plan_node *nodes;          /* nodes[0] is the root (when n > 0) */
    int n, cap;
    long features;             /* anchored features in all */
    long unreadable;           /* rows whose geometry BLOB is unreadable */
} plan;

/* Plan the tree of the polygon layers named in layers (NULL-terminated;
 * missing tables are skipped). floor_tris: count floors in the bound. */
int plan_build(sqlite3 *db, const char *const *layers, long max_tris,
               long max_features, plan *p, ct_err *err);
void plan_free(plan *p);

/* Grid cell of an anchor point (clamped into the grid). */
void plan_cell(const plan *p, double x, double y, int *gx, int *gy);

/* Anchor of a footprint: the centre of its bbox (minx, miny, maxx, maxy). */
void plan_anchor(const double mbr[4], double *x, double *y);

/* A node's bbox in degrees: west, south, east, north. */
void plan_bounds(const plan *p, const plan_node *n, double b[4]);

/* Width of a node in metres (the larger of east-west and north-south). */
double plan_extent_m(const plan *p, const plan_node *n);

/* Is grid cell (gx, gy) inside node n? */
int plan_owns(const plan_node *n, int gx, int gy);

#endif
