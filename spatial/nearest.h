/* spatial/nearest.h: k-nearest and within-radius queries on a table's
 * R*Tree spatial index (idx_<table>_geom), with exact great-circle
 * (haversine) distances. The window around the point grows until the k
 * nearest are certain: everything closer than the window's inscribed
 * circle has been seen. Used by the rescue map (server/api_rescue.c) and
 * to snap points to the road graph (road_nodes). */
#ifndef SPATIAL_NEAREST_H
#define SPATIAL_NEAREST_H

#include <sqlite3.h>
#include <stdint.h>

#include "core/ct_error.h"

/* Mean Earth radius (m), IUGG. */
#define NEAREST_EARTH_R 6371008.8

typedef struct nearest_hit {
    int64_t fid;          /* the row's primary key (R*Tree pkid) */
    double lon, lat;      /* the point the distance is to: the box centre
                             (the point itself for POINT layers) */
    double dist_m;        /* haversine distance from the query point */
} nearest_hit;

/* Great-circle distance (m) between two lon/lat points. */
double nearest_haversine(double lon1, double lat1, double lon2, double lat2);

/* Is lon/lat a usable coordinate (finite, lon in [-180,180], lat in
 * [-90,90])? */
int nearest_valid_lonlat(double lon, double lat);

/* The k rows of table nearest to lon/lat, closest first (ties by fid), no
 * farther than radius_m (<= 0: no limit). *n gets the count (< k when the
 * table has fewer rows or the radius cuts). out holds k hits. Errors:
 * CT_EINVAL for a bad point or k, CT_EIO for SQLite (message names the
 * table). */
int nearest_knn(sqlite3 *db, const char *table, double lon, double lat, int k,
                double radius_m, nearest_hit *out, int *n, ct_err *err);

/* Every row within radius_m of lon/lat, closest first, into a malloc'd
 * array (*out, *n; at most max rows: the nearest ones). */
int nearest_within(sqlite3 *db, const char *table, double lon, double lat,
                   double radius_m, int max, nearest_hit **out, int *n,
                   ct_err *err);

#endif
