/* live/entities.c: load the live registry from the store (see entities.h). */
#include "live/entities.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spatial/store.h"

static char *dup_col(sqlite3_stmt *st, int col)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    return strdup(s ? (const char *)s : "");
}

static double real_col(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL
               ? NAN : sqlite3_column_double(st, col);
}

static int add_district(live_registry *r, const char *id, const char *name)
{
    if (r->nd == r->dcap) {
        int ncap = r->dcap ? r->dcap * 2 : 16;
        live_district *nd = realloc(r->dists, (size_t)ncap * sizeof *nd);
        if (!nd)
            return -1;
        r->dists = nd;
        r->dcap = ncap;
    }
    r->dists[r->nd].id = strdup(id);
    r->dists[r->nd].name = strdup(name && *name ? name : id);
    return r->nd++;
}

int live_ents_district(const live_registry *r, const char *s)
{
    if (!s || !*s)
        return -1;
    for (int i = 0; i < r->nd; i++)
        if (!strcmp(r->dists[i].id, s) || !strcmp(r->dists[i].name, s))
            return i;
    return -1;
}

/* The district of an entity: known ids or names, or a new district when
 * the store's districts table does not list it (so nothing is lost). */
static int district_of(live_registry *r, const char *s)
{
    int d = live_ents_district(r, s);
    return d >= 0 || !s || !*s ? d : add_district(r, s, s);
}

static live_entity *add_entity(live_registry *r, const char *id, int kind)
{
    if (live_map_get(&r->by_id, id) >= 0)
        return NULL;   /* ids are unique in the store; keep the first */
    if (r->n == r->cap) {
        int ncap = r->cap ? r->cap * 2 : 256;
        live_entity *ne = realloc(r->ents, (size_t)ncap * sizeof *ne);
        if (!ne)
            return NULL;
        r->ents = ne;
        r->cap = ncap;
    }
    live_entity *e = &r->ents[r->n];
    memset(e, 0, sizeof *e);
    e->id = strdup(id);
    e->kind = kind;
    e->district = -1;
    e->warning = e->guarantee = e->flood_limit = NAN;
    e->lon = e->lat = e->normal_level = NAN;
    if (live_map_put(&r->by_id, id, r->n))
        return NULL;
    r->n++;
    r->count[kind]++;
    return e;
}

int live_road_band_of(const char *c)
{
    static const char *express[] = {"motorway", "motorway_link", "trunk",
        "trunk_link", "expressway", "快速路", "高速公路", NULL};
    static const char *arterial[] = {"primary", "primary_link", "arterial",
        "主干路", "主干道", NULL};
    if (!c)
        return LIVE_RB_LOCAL;
    for (int i = 0; express[i]; i++)
        if (!strcmp(c, express[i]))
            return LIVE_RB_EXPRESS;
    for (int i = 0; arterial[i]; i++)
        if (!strcmp(c, arterial[i]))
            return LIVE_RB_ARTERIAL;
    return LIVE_RB_LOCAL;
}

const char *live_kind_topic(int kind)
{
    static const char *t[] = {"traffic", "parking", "water", "weather"};
    return kind >= 0 && kind < LIVE_NKINDS ? t[kind] : "?";
}

static int load_rows(live_registry *r, const char *sql, int kind, ct_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
        return ct_fail(err, CT_EFORMAT, "live registry: cannot read %s: %s",
                       live_kind_topic(kind), sqlite3_errmsg(r->db));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        if (!id || !*id)
            continue;
        const char *dist = (const char *)sqlite3_column_text(st, 1);
        int d = district_of(r, dist);
        live_entity *e = add_entity(r, id, kind);
        if (!e)
            continue;
        e->district = d;
        int nc = sqlite3_column_count(st);
        e->lon = real_col(st, nc - 2);
        e->lat = real_col(st, nc - 1);
        if (kind == LIVE_ROAD) {
            e->cls = dup_col(st, 2);
            e->band = live_road_band_of(e->cls);
            e->length_m = real_col(st, 3);
            if (!(e->length_m > 0))
                e->length_m = 1;
            e->speed_kmh = real_col(st, 4);
            e->period_s = LIVE_PERIOD_ROAD;
        } else if (kind == LIVE_PARK) {
            e->capacity = sqlite3_column_int(st, 2);
            e->cls = dup_col(st, 3);
            e->period_s = LIVE_PERIOD_PARK;
        } else {
            e->station_type = dup_col(st, 2);
            e->warning = real_col(st, 3);
            e->guarantee = real_col(st, 4);
            e->flood_limit = real_col(st, 5);
            int p = sqlite3_column_int(st, 6);
            e->period_s = p > 0 ? p : LIVE_PERIOD_WATER;
            e->water_body = dup_col(st, 7);
            e->normal_level = real_col(st, 8);
            e->body_id = dup_col(st, 9);
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ct_fail(err, CT_EIO, "live registry: reading %s: %s",
                       live_kind_topic(kind), sqlite3_errmsg(r->db));
    return CT_OK;
}

static int load_all(live_registry *r, ct_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(r->db, "SELECT id, name FROM districts ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return ct_fail(err, CT_EFORMAT, "live registry: no districts table: %s",
                       sqlite3_errmsg(r->db));
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        if (id && *id && live_ents_district(r, id) < 0)
            add_district(r, id, (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    int rc = load_rows(r,
        "SELECT id, district, class, COALESCE(length_m, ST_Length(geom, 1)),"
        " speed_kmh, ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom))"
        " FROM roads ORDER BY fid", LIVE_ROAD, err);
    if (!rc)
        rc = load_rows(r, "SELECT id, district, capacity, kind, ST_X(geom),"
                          " ST_Y(geom) FROM car_parks ORDER BY fid", LIVE_PARK, err);
    if (!rc)
        rc = load_rows(r,
            "SELECT id, district, station_type, warning_level, guarantee_level,"
            " flood_limit_level, period_s, water_body,"
            " CASE WHEN json_valid(props) THEN json_extract(props, '$.normal_level') END,"
            " CASE WHEN json_valid(props) THEN json_extract(props, '$.river_id') END,"
            " ST_X(geom), ST_Y(geom) FROM water_stations"
            " ORDER BY fid", LIVE_WATER, err);
    if (rc)
        return rc;
    /* weather places: the city and every district */
    live_entity *c = add_entity(r, LIVE_CITY_ID, LIVE_AREA);
    if (c)
        c->period_s = LIVE_PERIOD_AREA;
    for (int d = 0; d < r->nd; d++) {
        live_entity *e = add_entity(r, r->dists[d].id, LIVE_AREA);
        if (e) {
            e->district = d;
            e->period_s = LIVE_PERIOD_AREA;
        }
    }
    return CT_OK;
}

int live_ents_load(const char *store_path, live_registry **out, ct_err *err)
{
    *out = NULL;
    live_registry *r = calloc(1, sizeof *r);
    if (!r)
        return ct_fail(err, CT_ENOMEM, "live registry: out of memory");
    live_map_init(&r->by_id);
    pthread_mutex_init(&r->db_mu, NULL);
    int rc = store_open(store_path, STORE_READONLY, &r->db, err);
    if (!rc)
        rc = load_all(r, err);
    if (rc) {
        live_ents_free(r);
        return rc;
    }
    *out = r;
    return CT_OK;
}

void live_ents_free(live_registry *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n; i++) {
        free(r->ents[i].id);
        free(r->ents[i].station_type);
        free(r->ents[i].water_body);
        free(r->ents[i].body_id);
        free(r->ents[i].cls);
    }
    for (int i = 0; i < r->nd; i++) {
        free(r->dists[i].id);
        free(r->dists[i].name);
    }
    free(r->ents);
    free(r->dists);
    live_map_free(&r->by_id);
    store_close(r->db);
    pthread_mutex_destroy(&r->db_mu);
    free(r);
}

int live_ents_find(const live_registry *r, const char *id)
{
    return live_map_get(&r->by_id, id);
}

static void copy_col(char *dst, size_t n, sqlite3_stmt *st, int col)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    snprintf(dst, n, "%s", s ? (const char *)s : "");
}

int live_ents_building(live_registry *r, const char *id, live_building *out,
                       ct_err *err)
{
    sqlite3_stmt *st;
    int rc = CT_OK;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&r->db_mu);
    if (sqlite3_prepare_v2(r->db,
            "SELECT id, name, kind, district, height,"
            " ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom))"
            " FROM buildings WHERE id = ?", -1, &st, NULL) != SQLITE_OK) {
        rc = ct_fail(err, CT_EIO, "building %s: %s", id, sqlite3_errmsg(r->db));
        goto done;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        copy_col(out->id, sizeof out->id, st, 0);
        copy_col(out->name, sizeof out->name, st, 1);
        copy_col(out->kind, sizeof out->kind, st, 2);
        copy_col(out->district, sizeof out->district, st, 3);
        out->height = real_col(st, 4);
        out->lon = real_col(st, 5);
        out->lat = real_col(st, 6);
    } else {
        rc = ct_fail(err, CT_ENOTFOUND, "building %s is not in the store", id);
    }
    sqlite3_finalize(st);
done:
    pthread_mutex_unlock(&r->db_mu);
    return rc;
}

int live_ents_district_at(live_registry *r, double lon, double lat)
{
    sqlite3_stmt *st;
    int d = -1;
    pthread_mutex_lock(&r->db_mu);
    /* R*Tree prefilter through SpatiaLite's SpatialIndex, then the exact test */
    if (sqlite3_prepare_v2(r->db,
            "SELECT id FROM districts WHERE ST_Contains(geom, MakePoint(?1, ?2, 4326))"
            " AND fid IN (SELECT rowid FROM SpatialIndex WHERE"
            " f_table_name = 'districts' AND search_frame = MakePoint(?1, ?2, 4326))"
            " LIMIT 1", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_double(st, 1, lon);
        sqlite3_bind_double(st, 2, lat);
        if (sqlite3_step(st) == SQLITE_ROW)
            d = live_ents_district(r, (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&r->db_mu);
    return d;
}
