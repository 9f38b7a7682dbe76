/* server/api_rescue_water.c: the water sources around an incident for the
 * rescue map (issue 8): rivers, lakes and reservoirs (the water_areas and
 * water_lines layers) a fire engine can draft from, nearest first, with
 * the distance to the nearest point of each (0 inside a water area) and
 * that point. Candidates come from the layers' R*Trees (boxes meeting a
 * window of the radius), distances from SpatiaLite on the ellipsoid. */
#include "server/api_rescue.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "spatial/nearest.h"

static int add_layer(sqlite3 *db, const char *layer, double lon, double lat,
                     double radius_m, json_t *out, ct_err *err)
{
    char sql[768];
    snprintf(sql, sizeof sql,
             "SELECT t.id, t.name, t.kind, ST_Distance(t.geom, MakePoint(?1, ?2, 4326), 1),"
             " X(ClosestPoint(t.geom, MakePoint(?1, ?2, 4326))),"
             " Y(ClosestPoint(t.geom, MakePoint(?1, ?2, 4326)))"
             " FROM idx_%s_geom AS r JOIN \"%s\" AS t ON t.fid = r.pkid"
             " WHERE r.xmin <= ?1 + ?4 AND r.xmax >= ?1 - ?4"
             " AND r.ymin <= ?2 + ?3 AND r.ymax >= ?2 - ?3", layer, layer);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return CT_OK;   /* a store without the layer has no such sources */
    /* the window: the radius in degrees, wider in longitude by the cosine
     * at its far edge so the circle lies inside it */
    double dy = radius_m / (NEAREST_EARTH_R * M_PI / 180) * 1.01;
    double far = fmin(89.9, fabs(lat) + dy);
    double dx = dy / cos(far * M_PI / 180);
    sqlite3_bind_double(st, 1, lon);
    sqlite3_bind_double(st, 2, lat);
    sqlite3_bind_double(st, 3, dy);
    sqlite3_bind_double(st, 4, dx);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 3) == SQLITE_NULL)
            continue;
        double d = sqlite3_column_double(st, 3);
        if (d > radius_m)
            continue;
        json_t *o = json_pack("{s:s, s:f, s:f, s:f}", "layer", layer, "distance_m",
                              round(d * 10) / 10, "lon", sqlite3_column_double(st, 4),
                              "lat", sqlite3_column_double(st, 5));
        for (int i = 0; i < 3; i++) {
            const char *v = (const char *)sqlite3_column_text(st, i);
            json_object_set_new(o, sqlite3_column_name(st, i),
                                v ? json_string(v) : json_null());
        }
        json_array_append_new(out, o);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ct_fail(err, CT_EIO, "water sources: %s: %s", layer, sqlite3_errmsg(db));
    return CT_OK;
}

static int by_distance(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    double dx = json_number_value(json_object_get(x, "distance_m"));
    double dy = json_number_value(json_object_get(y, "distance_m"));
    if (dx != dy)
        return dx < dy ? -1 : 1;
    const char *ix = json_string_value(json_object_get(x, "id"));
    const char *iy = json_string_value(json_object_get(y, "id"));
    return strcmp(ix ? ix : "", iy ? iy : "");
}

int rescue_water_sources(sqlite3 *db, double lon, double lat, int k,
                         double radius_m, json_t **out, ct_err *err)
{
    json_t *all = json_array();
    int rc = add_layer(db, "water_areas", lon, lat, radius_m, all, err);
    if (!rc)
        rc = add_layer(db, "water_lines", lon, lat, radius_m, all, err);
    if (rc) {
        json_decref(all);
        return rc;
    }
    size_t n = json_array_size(all);
    json_t **v = malloc((n + 1) * sizeof *v);
    if (!v) {
        json_decref(all);
        return ct_fail(err, CT_ENOMEM, "water sources: out of memory");
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(all, i);
    qsort(v, n, sizeof *v, by_distance);
    *out = json_array();
    for (size_t i = 0; i < n && (int)i < k; i++)
        json_array_append(*out, v[i]);
    free(v);
    json_decref(all);
    return CT_OK;
}
