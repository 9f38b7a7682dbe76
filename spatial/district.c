/* spatial/district.c: district of every feature (see district.h). */
#include "spatial/district.h"

#include <stdio.h>
#include <string.h>

#include "spatial/layers.h"
#include "spatial/store.h"

static long long count_districts(sqlite3 *db)
{
    sqlite3_stmt *st;
    long long n = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM districts", -1, &st, NULL) ==
        SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static int assign_layer(sqlite3 *db, const char *layer, int all, long long *n,
                        ct_err *err)
{
    char sql[2048];
    /* the point on surface once per row, in a temp table, then one
     * R*Tree-filtered containment test per row */
    snprintf(sql, sizeof sql,
             "DROP TABLE IF EXISTS temp.ct_pos;"
             "CREATE TEMP TABLE ct_pos (fid INTEGER PRIMARY KEY, x REAL, y REAL, p BLOB);"
             "INSERT INTO temp.ct_pos SELECT fid, ST_X(p), ST_Y(p), p FROM"
             " (SELECT fid, ST_PointOnSurface(geom) AS p FROM \"%s\"%s)"
             " WHERE p IS NOT NULL;",
             layer, all ? "" : " WHERE district IS NULL");
    if (store_exec(db, sql, err))
        return CT_EIO;
    snprintf(sql, sizeof sql,
             "UPDATE \"%s\" SET district = (SELECT d.id FROM districts d, temp.ct_pos q"
             " WHERE q.fid = \"%s\".fid AND d.fid IN (SELECT pkid FROM idx_districts_geom"
             "  WHERE xmin <= q.x AND xmax >= q.x AND ymin <= q.y AND ymax >= q.y)"
             " AND ST_Contains(d.geom, q.p) = 1"
             /* a prefecture polygon also contains the point: the county-level
              * district is the one the operations centre means */
             " ORDER BY d.level NOT IN ('district', 'county'), d.fid LIMIT 1)"
             " WHERE fid IN (SELECT fid FROM temp.ct_pos);"
             "DROP TABLE temp.ct_pos;",
             layer, layer);
    if (store_exec(db, sql, err))
        return CT_EIO;
    *n += sqlite3_changes(db);
    return CT_OK;
}

int district_assign(sqlite3 *db, int all, long long *assigned, ct_err *err)
{
    long long n = 0;
    if (assigned)
        *assigned = 0;
    if (count_districts(db) == 0)
        return CT_OK;
    for (int i = 0; i < layers_count(); i++) {
        if (!layers_has_column(&LAYERS[i], "district") ||
            !strcmp(LAYERS[i].id, "districts"))
            continue;
        int rc = assign_layer(db, LAYERS[i].id, all, &n, err);
        if (rc)
            return rc;
    }
    if (assigned)
        *assigned = n;
    return CT_OK;
}
