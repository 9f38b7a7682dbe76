/* spatial/store.h: the SpatiaLite store (one file on disk).
 * Opens or creates the database, loads SpatiaLite, creates the schema of
 * spatial/layers.h with an R*Tree spatial index on every geometry table.
 * Each thread opens its own connection (SQLite connections are not shared). */
#ifndef SPATIAL_STORE_H
#define SPATIAL_STORE_H

#include <sqlite3.h>

#include "core/ct_error.h"

#define STORE_SRID 4326   /* lon/lat, WGS84 (CGCS2000 differs by cm) */
#define STORE_DEFAULT_PATH "var/city.sqlite"

enum store_mode {
    STORE_READONLY = 0,   /* the file must exist and hold a citytwin schema */
    STORE_READWRITE = 1,  /* the file must exist */
    STORE_CREATE = 2      /* create the file and schema when missing */
};

/* Open the store at path; on success *out is an open connection with
 * SpatiaLite loaded, WAL journaling and foreign keys on. */
int store_open(const char *path, int mode, sqlite3 **out, ct_err *err);

/* Close a connection opened by store_open (NULL is fine). */
void store_close(sqlite3 *db);

/* Create missing tables and indexes (idempotent). */
int store_ensure_schema(sqlite3 *db, ct_err *err);

/* Run one SQL statement without results; message names the statement. */
int store_exec(sqlite3 *db, const char *sql, ct_err *err);

/* Read and write the store's key/value metadata. */
int store_meta_set(sqlite3 *db, const char *key, const char *value, ct_err *err);
/* Copies the value into buf (empty when missing); returns 1 if found. */
int store_meta_get(sqlite3 *db, const char *key, char *buf, int bufsize);

#endif
