/* tests/unit/import_util.h: helpers shared by the import tests: fixture
 * paths, small files written into the test's temporary folder, one-value
 * SQL queries, and an import call with default options. */
#ifndef IMPORT_UTIL_H
#define IMPORT_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spatial/import.h"
#include "spatial/store.h"

static inline const char *fixture(const char *name)
{
    static char path[4][1024];
    static int k;
    const char *src = getenv("CT_SRC");
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/tests/fixtures/%s", src ? src : ".", name);
    return path[k];
}

static inline void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static inline void remove_store(const char *path)
{
    char side[1024];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* Import srcs (NULL-terminated) into store with an optional mapping,
 * s_srs and clip; quiet. Fills err; returns the import's code. */
static inline int run_import(const char *store, const char *map, const char *s_srs,
                             const char *clip, import_report *r, ct_err *err,
                             const char *src1, const char *src2)
{
    const char *srcs[2] = {src1, src2};
    import_opts o;
    memset(&o, 0, sizeof o);
    o.sources = srcs;
    o.nsources = src2 ? 2 : 1;
    o.store = store;
    o.map = map;
    o.s_srs = s_srs;
    o.clip = clip;
    o.quiet = 1;
    ct_err_clear(err);
    return import_sources(&o, r, err);
}

static inline double q_num(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    double v = -1e300;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        printf("# SQL error: %s in %s\n", sqlite3_errmsg(db), sql);
        return v;
    }
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The first column of the first row as text into buf ("" when none). */
static inline const char *q_text(sqlite3 *db, const char *sql, char *buf, size_t n)
{
    sqlite3_stmt *st;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        printf("# SQL error: %s in %s\n", sqlite3_errmsg(db), sql);
        return buf;
    }
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf;
}

/* A fingerprint of a store's content: ids and fids of every row (items),
 * building geometries and heights, road nodes, the schema's tables and
 * triggers (bulk mode sets triggers aside), and (if with_log) the
 * number of recorded imports. */
static inline const char *store_fingerprint(const char *path, int with_log,
                                            char *buf, size_t n)
{
    sqlite3 *db;
    ct_err err;
    buf[0] = '\0';
    if (store_open(path, STORE_READONLY, &db, &err) != CT_OK) {
        snprintf(buf, n, "(cannot open: %s)", err.msg);
        return buf;
    }
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT (SELECT count(*) || ':' || coalesce(sum(fid), 0) FROM items) || '/' ||"
             " (SELECT coalesce(MD5TotalChecksum(k), '') FROM"
             "   (SELECT id || '=' || layer || '=' || fid AS k FROM items ORDER BY id)) || '/' ||"
             " (SELECT coalesce(MD5TotalChecksum(geom), '') || ':' || coalesce(sum(height), 0)"
             "   FROM (SELECT geom, height FROM buildings ORDER BY fid)) || '/' ||"
             " (SELECT count(*) FROM road_nodes) || '/' ||"
             " (SELECT count(*) || ':' || MD5TotalChecksum(s) FROM (SELECT name || sql AS s"
             "   FROM sqlite_master WHERE type IN ('trigger', 'table') ORDER BY name))%s",
             with_log ? " || '/' || (SELECT count(*) FROM imports)" : "");
    q_text(db, sql, buf, n);
    store_close(db);
    return buf;
}

#endif
