/* spatial/nearest.c: nearest rows by an expanding R*Tree window (see
 * nearest.h). */
#include "spatial/nearest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEG (M_PI / 180.0)
/* First window half-size; grows x4 until the k nearest are certain. */
#define FIRST_WINDOW_M 400.0
/* Past this the window is the whole world. */
#define WORLD_M (M_PI * NEAREST_EARTH_R)

double nearest_haversine(double lon1, double lat1, double lon2, double lat2)
{
    double dlat = (lat2 - lat1) * DEG, dlon = (lon2 - lon1) * DEG;
    double s1 = sin(dlat / 2), s2 = sin(dlon / 2);
    double a = s1 * s1 + cos(lat1 * DEG) * cos(lat2 * DEG) * s2 * s2;
    if (a > 1)
        a = 1;
    return 2 * NEAREST_EARTH_R * asin(sqrt(a));
}

int nearest_valid_lonlat(double lon, double lat)
{
    return isfinite(lon) && isfinite(lat) && lon >= -180 && lon <= 180 &&
           lat >= -90 && lat <= 90;
}

typedef struct hits {
    nearest_hit *v;
    int n, cap;
} hits;

static int by_dist(const void *a, const void *b)
{
    const nearest_hit *x = a, *y = b;
    if (x->dist_m != y->dist_m)
        return x->dist_m < y->dist_m ? -1 : 1;
    return (x->fid > y->fid) - (x->fid < y->fid);
}

/* Every row whose index box meets the box that holds the circle of r_m
 * around lon/lat (the whole world past WORLD_M), with distances, sorted. */
static int window(sqlite3 *db, const char *table, double lon, double lat,
                  double r_m, hits *h, ct_err *err)
{
    double x0 = -180, x1 = 180, y0 = -90, y1 = 90;
    if (r_m < WORLD_M) {
        double dlat = r_m / (NEAREST_EARTH_R * DEG) * 1.01;
        double far = fabs(lat) + dlat;
        double dlon = far >= 89.0 ? 360 : dlat / cos(far * DEG);
        x0 = lon - dlon, x1 = lon + dlon, y0 = lat - dlat, y1 = lat + dlat;
    }
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT r.pkid, (MbrMinX(t.geom) + MbrMaxX(t.geom)) / 2,"
             " (MbrMinY(t.geom) + MbrMaxY(t.geom)) / 2"
             " FROM \"idx_%s_geom\" AS r JOIN \"%s\" AS t ON t.rowid = r.pkid"
             " WHERE r.xmin <= ?3 AND r.xmax >= ?1 AND r.ymin <= ?4"
             " AND r.ymax >= ?2 AND t.geom IS NOT NULL", table, table);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return ct_fail(err, CT_EIO, "nearest: table %s has no usable spatial "
                       "index: %s", table, sqlite3_errmsg(db));
    sqlite3_bind_double(st, 1, x0);
    sqlite3_bind_double(st, 2, y0);
    sqlite3_bind_double(st, 3, x1);
    sqlite3_bind_double(st, 4, y1);
    h->n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (h->n == h->cap) {
            int cap = h->cap ? h->cap * 2 : 64;
            nearest_hit *v = realloc(h->v, (size_t)cap * sizeof *v);
            if (!v) {
                sqlite3_finalize(st);
                return ct_fail(err, CT_ENOMEM, "nearest: out of memory");
            }
            h->v = v, h->cap = cap;
        }
        nearest_hit *o = &h->v[h->n++];
        o->fid = sqlite3_column_int64(st, 0);
        o->lon = sqlite3_column_double(st, 1);
        o->lat = sqlite3_column_double(st, 2);
        o->dist_m = nearest_haversine(lon, lat, o->lon, o->lat);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ct_fail(err, CT_EIO, "nearest: reading %s: %s", table,
                       sqlite3_errmsg(db));
    if (h->n > 1)
        qsort(h->v, (size_t)h->n, sizeof *h->v, by_dist);
    return CT_OK;
}

/* How many of the sorted hits lie within r_m. */
static int count_within(const hits *h, double r_m)
{
    int c = 0;
    while (c < h->n && h->v[c].dist_m <= r_m)
        c++;
    return c;
}

int nearest_knn(sqlite3 *db, const char *table, double lon, double lat, int k,
                double radius_m, nearest_hit *out, int *n, ct_err *err)
{
    *n = 0;
    if (!nearest_valid_lonlat(lon, lat))
        return ct_fail(err, CT_EINVAL, "nearest: point %g,%g is not a lon/lat",
                       lon, lat);
    if (k < 1)
        return ct_fail(err, CT_EINVAL, "nearest: k %d is below 1", k);
    hits h = {0};
    int rc = CT_OK, got = 0;
    if (radius_m > 0) {
        rc = window(db, table, lon, lat, radius_m, &h, err);
        got = rc ? 0 : count_within(&h, radius_m);
    } else {
        /* Grow until k rows lie inside the window's inscribed circle: no
         * row outside the window can then be closer than them. */
        for (double r = FIRST_WINDOW_M;; r *= 4) {
            rc = window(db, table, lon, lat, r, &h, err);
            if (rc)
                break;
            got = count_within(&h, r);
            if (got >= k || r >= WORLD_M) {
                got = r >= WORLD_M ? h.n : got;
                break;
            }
        }
    }
    if (!rc) {
        *n = got < k ? got : k;
        if (*n > 0)
            memcpy(out, h.v, (size_t)*n * sizeof *out);
    }
    free(h.v);
    return rc;
}

int nearest_within(sqlite3 *db, const char *table, double lon, double lat,
                   double radius_m, int max, nearest_hit **out, int *n,
                   ct_err *err)
{
    *out = NULL, *n = 0;
    if (!nearest_valid_lonlat(lon, lat))
        return ct_fail(err, CT_EINVAL, "nearest: point %g,%g is not a lon/lat",
                       lon, lat);
    if (!(radius_m > 0))
        return ct_fail(err, CT_EINVAL, "nearest: radius %g m is not positive",
                       radius_m);
    hits h = {0};
    int rc = window(db, table, lon, lat, radius_m, &h, err);
    if (rc) {
        free(h.v);
        return rc;
    }
    int c = count_within(&h, radius_m);
    *n = c < max ? c : max;
    *out = h.v;
    return CT_OK;
}
