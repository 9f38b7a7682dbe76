/* tiles/repair.h: the GEOS path for footprints that ear clipping cannot
 * handle (self-intersections, rings crossing holes ...): make the polygon
 * valid, and triangulate with GEOS's constrained Delaunay triangulation
 * when even the repaired rings defeat ear clipping. Slow but sure; used
 * for the rare dirty footprint only. */
#ifndef TILES_REPAIR_H
#define TILES_REPAIR_H

#include <geos_c.h>

#include "tiles/footprint.h"

/* Make polygon p of g (metres) valid; the resulting polygons are appended
 * to out (reset first) and cleaned with tol. Returns the number of
 * polygons in out, or a negative ct code. */
int repair_make_valid(GEOSContextHandle_t h, const fp_geom *g, int p,
                      fp_geom *out, double tol);

/* Constrained Delaunay triangulation of polygon p of g: triangles are
 * appended to *xy as 6 doubles each (counter-clockwise); *ntri counts them.
 * Returns CT_OK or a negative ct code. */
int repair_triangulate(GEOSContextHandle_t h, const fp_geom *g, int p,
                       double **xy, int *ntri, int *cap);

#endif
