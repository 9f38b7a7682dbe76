/* spatial/import_replace.c: delete the rows a re-imported source no longer
 * has (import_replace.h). */
#include "spatial/import_replace.h"

#include <stdio.h>
#include <string.h>

#include "spatial/layers.h"
#include "spatial/store.h"

int replace_begin(sqlite3 *db, sqlite3_stmt **seen, ct_err *err)
{
    *seen = NULL;
    int rc = store_exec(db, "DROP TABLE IF EXISTS temp.import_seen;"
                            "CREATE TEMP TABLE import_seen(layer TEXT, source TEXT,"
                            " src_layer TEXT, id TEXT)", err);
    if (rc)
        return rc;
    if (sqlite3_prepare_v2(db, "INSERT INTO temp.import_seen VALUES(?, ?, ?, ?)", -1,
                           seen, NULL) != SQLITE_OK)
        return ct_fail(err, CT_EIO, "store: %s", sqlite3_errmsg(db));
    return CT_OK;
}

/* Run one DELETE bound to (?1 layer, ?2 source, ?3 src_layer); the number
 * of rows it deleted goes to *n when n is given. */
static int run_delete(sqlite3 *db, const char *sql, const char *layer,
                      const char *source, const char *src_layer, long long *n,
                      ct_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return ct_fail(err, CT_EIO, "store: %s", sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, layer, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, src_layer, -1, SQLITE_STATIC);
    int rc = CT_OK;
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = ct_fail(err, CT_EIO, "store: cannot delete from %s the rows %s/%s "
                     "no longer has: %s", layer, source ? source : "?",
                     src_layer ? src_layer : "?", sqlite3_errmsg(db));
    else if (n)
        *n += sqlite3_changes(db);
    sqlite3_finalize(st);
    return rc;
}

/* Delete the rows of one (layer, source, src_layer) not seen: first their
 * `items` entries (found by id while the rows still exist), then the rows. */
static int prune_one(sqlite3 *db, const char *layer, const char *source,
                     const char *src_layer, long long *n, ct_err *err)
{
    static const char UNSEEN[] =
        "id NOT IN (SELECT id FROM temp.import_seen WHERE layer = ?1"
        " AND source IS ?2 AND src_layer IS ?3)";
    char items[640], rows[512];
    snprintf(items, sizeof items, "DELETE FROM items WHERE layer = ?1 AND id IN"
             " (SELECT id FROM \"%s\" WHERE source IS ?2 AND src_layer IS ?3"
             " AND %s)", layer, UNSEEN);
    snprintf(rows, sizeof rows, "DELETE FROM \"%s\" WHERE source IS ?2 AND"
             " src_layer IS ?3 AND %s", layer, UNSEEN);
    int rc = run_delete(db, items, layer, source, src_layer, NULL, err);
    return rc ? rc : run_delete(db, rows, layer, source, src_layer, n, err);
}

int replace_prune(sqlite3 *db, sqlite3_stmt *seen, long long *removed, ct_err *err)
{
    sqlite3_finalize(seen);
    sqlite3_stmt *st;
    int rc = store_exec(db, "CREATE INDEX temp.import_seen_k ON "
                            "import_seen(layer, source, src_layer, id)", err);
    if (rc)
        return rc;
    if (sqlite3_prepare_v2(db, "SELECT DISTINCT layer, source, src_layer FROM "
                           "temp.import_seen", -1, &st, NULL) != SQLITE_OK)
        return ct_fail(err, CT_EIO, "store: %s", sqlite3_errmsg(db));
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        const char *layer = (const char *)sqlite3_column_text(st, 0);
        const layer_def *l = layer ? layers_find(layer) : NULL;
        if (!l)
            continue;   /* only the schema's own tables are named in SQL */
        int k = (int)(l - LAYERS);
        rc = prune_one(db, l->id, (const char *)sqlite3_column_text(st, 1),
                       (const char *)sqlite3_column_text(st, 2), &removed[k], err);
    }
    sqlite3_finalize(st);
    if (!rc)
        rc = store_exec(db, "DROP TABLE temp.import_seen", err);
    return rc;
}
