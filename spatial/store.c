/* spatial/store.c: open the SpatiaLite store and create its schema. */
#include "spatial/store.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "spatial/layers.h"

int store_exec(sqlite3 *db, const char *sql, ct_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        ct_fail(err, CT_EIO, "store: %s (in: %.120s)", msg ? msg : "?", sql);
        sqlite3_free(msg);
        return CT_EIO;
    }
    return CT_OK;
}

static int has_table(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st;
    int found = 0;
    if (sqlite3_prepare_v2(db,
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
            -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

static int create_layer(sqlite3 *db, const layer_def *l, ct_err *err)
{
    char sql[2048];
    int n = snprintf(sql, sizeof sql,
                     "CREATE TABLE \"%s\" (fid INTEGER PRIMARY KEY", l->id);
    for (const layer_column *c = LAYER_COMMON; c->name; c++)
        n += snprintf(sql + n, sizeof sql - (size_t)n, ", \"%s\" %s%s", c->name,
                      c->sqltype,
                      strcmp(c->name, "id") == 0 ? " NOT NULL UNIQUE" : "");
    for (const layer_column *c = l->extra; c->name; c++)
        n += snprintf(sql + n, sizeof sql - (size_t)n, ", \"%s\" %s", c->name,
                      c->sqltype);
    snprintf(sql + n, sizeof sql - (size_t)n, ")");
    if (store_exec(db, sql, err))
        return err ? err->code : CT_EIO;
    snprintf(sql, sizeof sql,
             "SELECT AddGeometryColumn('%s', 'geom', %d, '%s', 'XY', 1)",
             l->id, STORE_SRID, layers_geom_name(l->geom));
    if (store_exec(db, sql, err))
        return CT_EIO;
    snprintf(sql, sizeof sql, "SELECT CreateSpatialIndex('%s', 'geom')", l->id);
    if (store_exec(db, sql, err))
        return CT_EIO;
    if (layers_has_column(l, "district")) {
        snprintf(sql, sizeof sql,
                 "CREATE INDEX \"%s_district\" ON \"%s\"(district)", l->id,
                 l->id);
        if (store_exec(db, sql, err))
            return CT_EIO;
    }
    return CT_OK;
}

int store_ensure_schema(sqlite3 *db, ct_err *err)
{
    if (!has_table(db, "spatial_ref_sys") &&
        store_exec(db, "SELECT InitSpatialMetadata(1)", err))
        return CT_EIO;
    if (store_exec(db,
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);"
            /* every public id, whatever its layer: /api/v1/items/{id} */
            "CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY,"
            " layer TEXT NOT NULL, fid INTEGER NOT NULL);"
            "CREATE TABLE IF NOT EXISTS imports (seq INTEGER PRIMARY KEY,"
            " started TEXT, source TEXT, mapping TEXT, report TEXT);",
            err))
        return CT_EIO;
    for (int i = 0; i < layers_count(); i++) {
        if (has_table(db, LAYERS[i].id))
            continue;
        int rc = create_layer(db, &LAYERS[i], err);
        if (rc)
            return rc;
    }
    return store_meta_set(db, "schema_version", "1", err);
}

int store_meta_set(sqlite3 *db, const char *key, const char *value, ct_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
            "INSERT INTO meta(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            -1, &st, NULL) != SQLITE_OK)
        return ct_fail(err, CT_EIO, "store: %s", sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ct_fail(err, CT_EIO, "store: cannot write meta %s: %s", key,
                       sqlite3_errmsg(db));
    return CT_OK;
}

int store_meta_get(sqlite3 *db, const char *key, char *buf, int bufsize)
{
    sqlite3_stmt *st;
    int found = 0;
    if (bufsize > 0)
        buf[0] = '\0';
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key=?", -1, &st,
                           NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        snprintf(buf, (size_t)bufsize, "%s", v ? (const char *)v : "");
        found = 1;
    }
    sqlite3_finalize(st);
    return found;
}

int store_open(const char *path, int mode, sqlite3 **out, ct_err *err)
{
    struct stat sb;
    *out = NULL;
    int exists = stat(path, &sb) == 0;
    if (!exists && mode != STORE_CREATE)
        return ct_fail(err, CT_ENOTFOUND,
                       "store %s does not exist (run 'citytwin import' first)",
                       path);
    if (exists && !S_ISREG(sb.st_mode))
        return ct_fail(err, CT_EINVAL, "store %s is not a regular file", path);

    int flags = mode == STORE_READONLY ? SQLITE_OPEN_READONLY
                                       : SQLITE_OPEN_READWRITE;
    if (mode == STORE_CREATE)
        flags |= SQLITE_OPEN_CREATE;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        ct_fail(err, CT_EIO, "cannot open store %s: %s", path,
                db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return CT_EIO;
    }
    sqlite3_busy_timeout(db, 10000);
    sqlite3_enable_load_extension(db, 1);
    char *msg = NULL;
    if (sqlite3_load_extension(db, "mod_spatialite", NULL, &msg) != SQLITE_OK) {
        ct_fail(err, CT_EIO, "cannot load SpatiaLite (mod_spatialite): %s",
                msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_close(db);
        return CT_EIO;
    }
    sqlite3_enable_load_extension(db, 0);

    /* A corrupt or foreign file fails here, before anything is written. */
    int rc = CT_OK;
    if (mode != STORE_READONLY) {
        rc = store_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                        err);
        if (!rc)
            rc = store_ensure_schema(db, err);
    } else if (!has_table(db, "items")) {
        rc = ct_fail(err, CT_EFORMAT, "%s is not a citytwin store (no items table)",
                     path);
    }
    if (rc) {
        if (err && err->code == CT_EIO && strstr(err->msg, "not a database"))
            err->code = CT_EFORMAT;
        sqlite3_close(db);
        return err ? err->code : rc;
    }
    *out = db;
    return CT_OK;
}

void store_close(sqlite3 *db)
{
    if (db)
        sqlite3_close(db);
}
