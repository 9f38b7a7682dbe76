/* tiles/lod.h: the coarse view a parent tile shows before its children
 * load (REPLACE refinement). Each tile keeps its K most important
 * features, importance = max(height, sqrt(footprint area)), as boxes: the
 * footprint's bounding rectangle aligned with its longest outer edge, at
 * the feature's heights. A parent merges its children's sets and keeps
 * the K best again; "omitted" is the importance of the largest feature
 * left out below, which becomes the parent's geometric error. Sets are
 * bounded by K, so memory stays flat however large the city. */
#ifndef TILES_LOD_H
#define TILES_LOD_H

#include "tiles/features.h"
#include "tiles/footprint.h"

typedef struct lod_item {
    double imp;
    double ll[8];            /* 4 corners lon, lat (counter-clockwise) */
    double zmin, ztop;       /* metres above the ellipsoid */
    float height;
    int levels;
    char *str[FT_NSTR];      /* owned */
} lod_item;

typedef struct lod_set {
    lod_item *it;            /* a min-heap on imp while collecting */
    int n, cap, k;
    double omitted;          /* largest importance left out (0: none) */
} lod_set;

void lod_init(lod_set *s, int k);
void lod_free(lod_set *s);

/* Would a feature of this importance be kept (so worth building)? When
 * not, it counts as omitted. */
int lod_wants(lod_set *s, double imp);

/* Offer a feature (footprint g in the tile's local metres, centred on
 * lon0/lat0 with radii of curvature rn, rm). Returns 0 or CT_ENOMEM. */
int lod_offer(lod_set *s, double imp, const fp_geom *g, double lon0,
              double lat0, double rn, double rm, double zmin, double ztop,
              float height, int levels, const char *const str[FT_NSTR]);

/* Move every item of from into s (from ends empty; omitted carried). */
int lod_merge(lod_set *s, lod_set *from);

/* Sort the items by id, for a stable feature order. */
void lod_sort(lod_set *s);

/* Footprint area (m^2) of g in local metres: outer rings minus holes. */
double lod_area(const fp_geom *g);

#endif
