/* spatial/reproject.h: bring source geometries to the store's lon/lat
 * (EPSG:4326, longitude first) with PROJ through OGR, or with the GCJ-02
 * inverse when the source is in "Mars coordinates" (--s_srs gcj02). */
#ifndef SPATIAL_REPROJECT_H
#define SPATIAL_REPROJECT_H

#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "core/ct_error.h"

typedef struct reproj {
    int mode;                            /* REPROJ_NONE / _OGR / _GCJ02 */
    OGRCoordinateTransformationH ct;
    char desc[128];                      /* the source CRS, for messages */
} reproj;

enum { REPROJ_NONE = 0, REPROJ_OGR, REPROJ_GCJ02 };

/* Is s_srs usable (an EPSG code, PROJ string, WKT, or "gcj02")? */
int reproj_check(const char *s_srs, ct_err *err);

/* Set up the transform for a layer: s_srs (may be NULL) overrides the
 * layer's own CRS (may be NULL). A layer without CRS is taken as lon/lat
 * when its extent (may be NULL) looks like lon/lat, else it is an error.
 * what names the layer in messages. */
int reproj_open(reproj *r, OGRSpatialReferenceH layer_srs, const char *s_srs,
                const OGREnvelope *extent, const char *what, ct_err *err);
void reproj_close(reproj *r);

/* Transform g in place; 0 ok, -1 when a point fails to transform. */
int reproj_apply(const reproj *r, OGRGeometryH g);

/* Are all coordinates of g finite and, if lonlat, inside [-180,180] x
 * [-90,90]? Returns 1 if so. */
int reproj_coords_ok(OGRGeometryH g, int lonlat);

#endif
