/* tests/unit/test_live_fixture.h: a small city for the live-core tests.
 * Two districts side by side, three road segments (expressway, arterial,
 * local), two car parks, two water stations (a river and a reservoir), one
 * building; and an engine on a fake clock the test moves by hand. */
#ifndef TEST_LIVE_FIXTURE_H
#define TEST_LIVE_FIXTURE_H

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

#include "live/live.h"
#include "spatial/store.h"

/* 2026-06-01T08:00:00Z */
#define FX_T0 1780300800000LL

static int64_t fx_now = FX_T0;
static inline int64_t fx_clock(void *ctx)
{
    (void)ctx;
    return fx_now;
}

static const char *FX_SQL[] = {
    "INSERT INTO districts(id, name, name_en, geom) VALUES('d1', '西工区', 'Xigong',"
    " GeomFromText('MULTIPOLYGON(((112.40 34.60, 112.45 34.60, 112.45 34.65,"
    " 112.40 34.65, 112.40 34.60)))', 4326))",
    "INSERT INTO districts(id, name, name_en, geom) VALUES('d2', '老城区', 'Laocheng',"
    " GeomFromText('MULTIPOLYGON(((112.45 34.60, 112.50 34.60, 112.50 34.65,"
    " 112.45 34.65, 112.45 34.60)))', 4326))",
    "INSERT INTO roads(id, class, length_m, speed_kmh, district, oneway, geom)"
    " VALUES('r1', 'motorway', 1000, 100, 'd1', 1, GeomFromText("
    "'LINESTRING(112.41 34.61, 112.42 34.61)', 4326))",
    "INSERT INTO roads(id, class, length_m, speed_kmh, district, oneway, geom)"
    " VALUES('r2', 'primary', 500, 60, 'd1', 0, GeomFromText("
    "'LINESTRING(112.42 34.62, 112.425 34.62)', 4326))",
    "INSERT INTO roads(id, class, length_m, speed_kmh, district, oneway, geom)"
    " VALUES('r3', 'residential', 2000, 40, 'd2', 0, GeomFromText("
    "'LINESTRING(112.46 34.61, 112.48 34.61)', 4326))",
    "INSERT INTO car_parks(id, capacity, district, geom) VALUES('p1', 100, 'd1',"
    " GeomFromText('POINT(112.43 34.63)', 4326))",
    "INSERT INTO car_parks(id, capacity, district, geom) VALUES('p2', 50, 'd2',"
    " GeomFromText('POINT(112.47 34.63)', 4326))",
    "INSERT INTO water_stations(id, station_type, water_body, warning_level,"
    " guarantee_level, period_s, district, geom) VALUES('w1', 'river', 'Luo River',"
    " 10, 12, 300, 'd1', GeomFromText('POINT(112.44 34.61)', 4326))",
    "INSERT INTO water_stations(id, station_type, water_body, warning_level,"
    " guarantee_level, flood_limit_level, period_s, district, geom) VALUES('w2',"
    " 'reservoir', 'Yi River', 5, 6, 4.5, 600, 'd2', GeomFromText('POINT(112.49 34.64)',"
    " 4326))",
    "INSERT INTO buildings(id, name, kind, district, height, geom) VALUES('b1',"
    " 'Library', 'library', 'd2', 24, GeomFromText('MULTIPOLYGON(((112.470 34.620,"
    " 112.471 34.620, 112.471 34.621, 112.470 34.621, 112.470 34.620)))', 4326))",
    "INSERT INTO items(id, layer, fid) SELECT id, 'districts', fid FROM districts",
    "INSERT INTO items(id, layer, fid) SELECT id, 'roads', fid FROM roads",
    "INSERT INTO items(id, layer, fid) SELECT id, 'car_parks', fid FROM car_parks",
    "INSERT INTO items(id, layer, fid) SELECT id, 'water_stations', fid FROM water_stations",
    "INSERT INTO items(id, layer, fid) SELECT id, 'buildings', fid FROM buildings",
    NULL};

/* Create the fixture store at path (replacing it); 0 on success. */
static inline int fx_store(const char *path)
{
    ct_err err;
    sqlite3 *db;
    char buf[512];
    unlink(path);
    snprintf(buf, sizeof buf, "%s-wal", path);
    unlink(buf);
    if (store_open(path, STORE_CREATE, &db, &err)) {
        printf("# fixture store: %s\n", err.msg);
        return -1;
    }
    for (int i = 0; FX_SQL[i]; i++)
        if (store_exec(db, FX_SQL[i], &err)) {
            printf("# fixture store: %s\n", err.msg);
            store_close(db);
            return -1;
        }
    store_close(db);
    return 0;
}

static inline void fx_rm_history(const char *path)
{
    char buf[512];
    unlink(path);
    snprintf(buf, sizeof buf, "%s-wal", path);
    unlink(buf);
    snprintf(buf, sizeof buf, "%s-shm", path);
    unlink(buf);
}

/* The number one SQL query gives, read through a connection of its own
 * (so it sees only committed rows); -1 when it cannot. */
static inline long fx_count(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    long n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

/* An engine on the fixture store and history path (kept when keep=1). */
static inline live_engine *fx_engine(const char *store, const char *hist, int keep)
{
    ct_err err;
    live_engine *e;
    if (!keep)
        fx_rm_history(hist);
    /* vitals at every batch: the cases count the messages of each ingest
     * (test_live_history.c has the rate limit's own case) */
    live_config cfg = {.store_path = store, .history_path = hist,
                       .clock = fx_clock, .sync_normal = 1, .vitals_every_ms = -1};
    if (live_open(&cfg, &e, &err)) {
        printf("# fixture engine: %s\n", err.msg);
        return NULL;
    }
    return e;
}

/* Parse a JSON literal for a test (aborts the case on a typo). */
static inline json_t *fx_json(const char *s)
{
    json_error_t je;
    json_t *j = json_loads(s, 0, &je);
    if (!j)
        printf("# fixture json: %s in %s\n", je.text, s);
    return j;
}

/* Ingest a JSON batch text; returns the report (caller frees) or NULL. */
static inline json_t *fx_ingest(live_engine *e, const char *batch)
{
    ct_err err;
    json_t *items = fx_json(batch), *report = NULL;
    if (items && live_ingest(e, items, &report, &err))
        printf("# ingest: %s\n", err.msg);
    json_decref(items);
    return report;
}

/* A vitals number of a place ("city", "d1") or NAN. */
static inline double fx_vital(live_engine *e, const char *place, const char *key)
{
    json_t *v = live_snapshot(e, "vitals", NULL);
    json_t *x = json_object_get(json_object_get(v, place), key);
    double d = json_is_number(x) ? json_number_value(x) : NAN;
    json_decref(v);
    return d;
}

#endif
