/* tiles/dem.h: ground heights from a raster (--dem), read with GDAL.
 * Each worker opens its own handle (GDAL datasets are not thread-safe)
 * and loads, per tile, the window of band 1 that covers the tile; samples
 * are bilinear. Heights are used as given: they must be ellipsoidal (as
 * the globe the client shows), not above the geoid. */
#ifndef TILES_DEM_H
#define TILES_DEM_H

#include "core/ct_error.h"

typedef struct dem dem;

/* Open path (any raster GDAL reads, any CRS). */
int dem_open(const char *path, dem **out, ct_err *err);
void dem_close(dem *d);

/* Load the window covering the lon/lat box (degrees). 0 or a ct code. */
int dem_load(dem *d, double west, double south, double east, double north,
             ct_err *err);

/* Bilinear height at lon/lat from the loaded window; NAN when outside it
 * or on nodata. */
double dem_sample(dem *d, double lon, double lat);

#endif
