/* spatial/clip.h: the --clip boundary: the union of a vector file's
 * polygons, in store lon/lat, tested and cut with GEOS through OGR. */
#ifndef SPATIAL_CLIP_H
#define SPATIAL_CLIP_H

#include <ogr_api.h>

#include "core/ct_error.h"

typedef struct clip {
    OGRGeometryH area;
    OGREnvelope env;
} clip;

/* Read every polygon of the file at path (any GDAL vector format, any CRS). */
int clip_open(clip *c, const char *path, ct_err *err);
void clip_close(clip *c);

enum { CLIP_OUTSIDE = 0, CLIP_INSIDE = 1, CLIP_PARTLY = 2 };
/* Where is g relative to the boundary? */
int clip_test(const clip *c, OGRGeometryH g);

#endif
