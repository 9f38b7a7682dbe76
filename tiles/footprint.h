/* tiles/footprint.h: building footprints as read from the store.
 * Parses SpatiaLite's geometry BLOB (POLYGON / MULTIPOLYGON, XY, XYZ, XYM
 * or XYZM, uncompressed) straight into lon/lat rings without going through
 * GEOS or OGR: the tiler reads a million of them. Also cleans rings in a
 * local metric plane: drops the closing and duplicate consecutive points,
 * collinear points and spikes, and orients outer rings counter-clockwise,
 * holes clockwise. */
#ifndef TILES_FOOTPRINT_H
#define TILES_FOOTPRINT_H

#include <stddef.h>

#include "core/ct_error.h"

/* Rings of one or more polygons. Points are pairs in pt (x, y); ring r has
 * ring_n[r] points from ring_off[r] (no closing point once cleaned);
 * polygon p has poly_nr[p] rings from poly_r0[p], the first its outer. */
typedef struct fp_geom {
    double *pt;
    int npts, cap_pts;
    int *ring_off, *ring_n;
    int nrings, cap_rings;
    int *poly_r0, *poly_nr;
    int npolys, cap_polys;
    double mbr[4];         /* minx, miny, maxx, maxy from the BLOB header */
} fp_geom;

void fp_init(fp_geom *g);
void fp_free(fp_geom *g);
void fp_reset(fp_geom *g);

/* Parse a SpatiaLite BLOB into g (reset first). CT_EFORMAT names what is
 * wrong: not a SpatiaLite BLOB, truncated, not a polygon type. */
int fp_parse_blob(const unsigned char *blob, int size, fp_geom *g, ct_err *err);

/* Only the header: the MBR (minx, miny, maxx, maxy), and an upper bound of
 * vertices and rings (for tile sizing). Returns CT_OK or CT_EFORMAT. */
int fp_blob_summary(const unsigned char *blob, int size, double mbr[4],
                    int *npoints, int *nrings);

/* Append helpers (used by the parser, tests and the GEOS repair path). */
int fp_begin_polygon(fp_geom *g);
int fp_begin_ring(fp_geom *g);
int fp_add_point(fp_geom *g, double x, double y);

/* Clean every ring of g in place (coordinates in metres): see above.
 * tol is the distance (m) under which points merge and points off a line
 * count as on it. Rings left with < 3 points or no area are dropped, and a
 * polygon whose outer ring is dropped goes with its holes. Returns the
 * number of polygons left. */
int fp_clean(fp_geom *g, double tol);

/* Signed area of ring r (positive when counter-clockwise). */
double fp_ring_area(const fp_geom *g, int r);

#endif
