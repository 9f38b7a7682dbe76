/* spatial/validity.h: make a lon/lat geometry fit a store layer: the right
 * kind (points, lines, multipolygons), valid (repaired with GEOS make-valid
 * through GDAL, or rejected), clipped to a boundary. Every rejection has a
 * reason, counted in the import report. */
#ifndef SPATIAL_VALIDITY_H
#define SPATIAL_VALIDITY_H

#include <ogr_api.h>

#include "spatial/clip.h"
#include "spatial/layers.h"

enum geom_reason {
    GR_OK = 0,
    GR_NO_GEOMETRY,    /* the feature has no geometry */
    GR_EMPTY,          /* an empty geometry */
    GR_BAD_COORDS,     /* NaN, infinite, huge or out-of-range coordinates */
    GR_ZERO_AREA,      /* a polygon without area */
    GR_ZERO_LENGTH,    /* a line without length */
    GR_INVALID,        /* invalid and not repairable (or --strict) */
    GR_WRONG_KIND,     /* e.g. a line for a polygon layer */
    GR_OUTSIDE_CLIP,   /* entirely outside --clip */
    GR_NREASONS
};

/* "zero_area", ... (the keys of the JSON report). */
const char *validity_reason_name(int reason);
/* The same in words for messages: "polygon with zero area", ... */
const char *validity_reason_text(int reason);

/* The kind of g: MAP_GEOM_POINT / LINE / POLYGON, or 0. */
int validity_kind(OGRGeometryH g);

typedef struct shape_out {
    OGRGeometryH geom;   /* POINT, MULTILINESTRING or MULTIPOLYGON; caller destroys */
    int reason;          /* GR_* when geom is NULL */
    int repaired;        /* make-valid was needed */
    int clipped;         /* the clip boundary cut it */
} shape_out;

/* Shape g (not consumed) for a layer of kind want. strict: reject invalid
 * polygons instead of repairing them. cl may be NULL. */
shape_out validity_shape(OGRGeometryH g, layer_geom want, int strict,
                         const clip *cl);

#endif
