/* tiles/extrude.h: footprint -> closed LOD1 mesh (walls, roof, floor).
 * Input rings are clean and in the tile's local plane (metres east and
 * north of the tile centre, see fp_clean). Walls are one quad per ring
 * edge with its own four vertices (flat shading) and an outward normal;
 * the roof is ear-clipped (holes and multipolygons honoured); the floor,
 * when asked for, is the roof reversed. A polygon that ear clipping cannot
 * triangulate exactly (the triangles' area must equal the polygon's) is
 * made valid with GEOS and re-triangulated, by CDT as a last resort.
 * Heights are metres above the ellipsoid; vertices follow its curvature
 * (second order at the tile centre's latitude). */
#ifndef TILES_EXTRUDE_H
#define TILES_EXTRUDE_H

#include <geos_c.h>

#include "tiles/earcut.h"
#include "tiles/footprint.h"
#include "tiles/mesh.h"

typedef struct extrude_stats {
    long polygons;     /* polygons extruded */
    long repaired;     /* polygons that went through GEOS make-valid */
    long cdt;          /* polygons triangulated by GEOS CDT */
    long lost;         /* polygons that could not be built at all */
    long tjunctions;   /* collinear points skipped by the roof */
} extrude_stats;

typedef struct extrude_ctx {
    earcut_ctx ec;
    fp_geom fix;                 /* scratch: repaired rings */
    double *cdt_xy;              /* scratch: CDT triangles */
    int cdt_cap;
    GEOSContextHandle_t geos;    /* one per thread */
    double inv_n, inv_m;         /* 1 / radii of curvature at the centre */
    double tol;                  /* cleaning tolerance, metres */
    extrude_stats st;
} extrude_ctx;

int extrude_init(extrude_ctx *x);
void extrude_free(extrude_ctx *x);

/* Set the curvature of the tile's frame (its origin's latitude). */
void extrude_set_latitude(extrude_ctx *x, double lat_deg);

/* Extrude every polygon of g from zmin to ztop (zmin < ztop), with a
 * floor if floor != 0, as feature fid. Returns the number of polygons
 * built (0: nothing could be built), or CT_ENOMEM. */
int extrude_footprint(extrude_ctx *x, tmesh *m, const fp_geom *g, double zmin,
                      double ztop, int floor, uint32_t fid);

/* Upper bound of the triangles extrude_footprint makes for a footprint of
 * npoints stored points (closing points included) in nrings rings. */
long extrude_triangle_bound(int npoints, int nrings, int floor);

#endif
