/* server/api_items.c: features as GeoJSON, in the manner of OGC API -
 * Features: /api/v1/layers/{id}/items?bbox=&limit=&offset= (a paged
 * FeatureCollection with numberMatched, numberReturned and next/prev
 * links; the bbox goes through the layer's SpatiaLite R*Tree, then an
 * exact intersection test), and one Feature by public id through the
 * items table (/api/v1/items/{id}) or within a layer. Geometry comes from
 * SpatiaLite's AsGeoJSON parsed by jansson; properties are the columns
 * with the props JSON merged in (columns win on a clash). */
#include "server/api.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spatial/layers.h"

#define GEOJSON "application/geo+json"

typedef struct items_query {
    int has_bbox;
    double bbox[4];
    long long limit, offset;
} items_query;

/* "fid, \"id\", ..., AsGeoJSON(geom, 7)": the order feature_json reads. */
static void select_list(const layer_def *l, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "fid");
    for (const layer_column *c = LAYER_COMMON; c->name; c++)
        n += (size_t)snprintf(buf + n, cap - n, ", \"%s\"", c->name);
    for (const layer_column *c = l->extra; c->name; c++)
        n += (size_t)snprintf(buf + n, cap - n, ", \"%s\"", c->name);
    /* 7 decimals of a degree: 1 cm, the store's useful precision. */
    snprintf(buf + n, cap - n, ", AsGeoJSON(geom, 7)");
}

static json_t *column_json(sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER: return json_integer(sqlite3_column_int64(st, i));
    case SQLITE_FLOAT: return json_real(sqlite3_column_double(st, i));
    case SQLITE_NULL: return json_null();
    default: {
        const char *t = (const char *)sqlite3_column_text(st, i);
        json_t *s = json_stringn(t ? t : "", (size_t)sqlite3_column_bytes(st, i));
        return s ? s : json_null();   /* not UTF-8: drop, not fail */
    }
    }
}

static json_t *feature_json(sqlite3_stmt *st, const layer_def *l)
{
    json_t *props = json_object();
    json_t *extra = NULL;
    int col = 1;
    for (const layer_column *c = LAYER_COMMON; c->name; c++, col++) {
        if (!strcmp(c->name, "props")) {
            const char *t = (const char *)sqlite3_column_text(st, col);
            extra = t ? json_loads(t, JSON_REJECT_DUPLICATES, NULL) : NULL;
            continue;
        }
        json_object_set_new(props, c->name, column_json(st, col));
    }
    for (const layer_column *c = l->extra; c->name; c++, col++)
        json_object_set_new(props, c->name, column_json(st, col));
    if (json_is_object(extra)) {
        const char *k;
        json_t *v;
        json_object_foreach(extra, k, v) if (!json_object_get(props, k))
            json_object_set(props, k, v);
    }
    json_decref(extra);
    json_object_set_new(props, "layer", json_string(l->id));
    const char *g = (const char *)sqlite3_column_text(st, col);
    json_t *geom = g ? json_loads(g, 0, NULL) : NULL;
    const char *id = (const char *)sqlite3_column_text(st, 1);
    return json_pack("{s:s, s:s?, s:o, s:o}", "type", "Feature", "id", id,
                     "geometry", geom ? geom : json_null(), "properties",
                     props);
}

static int parse_bbox(const char *s, double bb[4], ct_err *err)
{
    static const char *const names[] = {"minx", "miny", "maxx", "maxy"};
    int n = 0;
    for (const char *p = s;; n++) {
        size_t len = strcspn(p, ",");
        if (n < 4) {
            char num[64];
            char *end = NULL;
            if (len == 0 || len >= sizeof num)
                return ct_fail(err, CT_EINVAL, "bbox: %s '%.*s' is not a "
                               "number", names[n], (int)(len > 40 ? 40 : len), p);
            memcpy(num, p, len);
            num[len] = '\0';
            bb[n] = strtod(num, &end);
            if (*end != '\0' || end == num)
                return ct_fail(err, CT_EINVAL, "bbox: %s '%s' is not a number",
                               names[n], num);
            if (!isfinite(bb[n]))
                return ct_fail(err, CT_EINVAL, "bbox: %s '%s' is not finite",
                               names[n], num);
        }
        if (p[len] == '\0') {
            n++;
            break;
        }
        p += len + 1;
    }
    if (n != 4)
        return ct_fail(err, CT_EINVAL, "bbox: expected 4 numbers "
                       "minx,miny,maxx,maxy (lon/lat), got %d", n);
    for (int i = 0; i < 4; i++) {
        double lim = i % 2 ? 90 : 180;
        if (bb[i] < -lim || bb[i] > lim)
            return ct_fail(err, CT_EINVAL, "bbox: %s %g is outside -%g..%g",
                           names[i], bb[i], lim, lim);
    }
    if (bb[0] > bb[2])
        return ct_fail(err, CT_EINVAL, "bbox: minx %g is greater than maxx %g",
                       bb[0], bb[2]);
    if (bb[1] > bb[3])
        return ct_fail(err, CT_EINVAL, "bbox: miny %g is greater than maxy %g",
                       bb[1], bb[3]);
    return CT_OK;
}

static int parse_items_query(http_req *r, items_query *q, ct_err *err)
{
    static const char *const allowed[] = {"bbox", "limit", "offset", "f", NULL};
    http_qparam p[8];
    char buf[2048];
    int n = http_query_parse(r, allowed, p, 8, buf, sizeof buf, err);
    if (n < 0)
        return n;
    memset(q, 0, sizeof *q);
    q->limit = API_LIMIT_DEFAULT;
    const char *v;
    if ((v = http_query_get(p, n, "limit")) &&
        http_parse_int("limit", v, 1, API_LIMIT_MAX, &q->limit, err))
        return CT_EINVAL;
    if ((v = http_query_get(p, n, "offset")) &&
        http_parse_int("offset", v, 0, INT_MAX, &q->offset, err))
        return CT_EINVAL;
    if ((v = http_query_get(p, n, "bbox"))) {
        if (parse_bbox(v, q->bbox, err))
            return CT_EINVAL;
        q->has_bbox = 1;
    }
    if ((v = http_query_get(p, n, "f")) && strcmp(v, "json") &&
        strcmp(v, "geojson"))
        return ct_fail(err, CT_EINVAL, "f: '%.40s' is not a known format "
                       "(json, geojson)", v);
    return CT_OK;
}

/* FROM and WHERE of a query; binds ?1..?4 when there is a bbox. The
 * R*Tree gives the candidates; a feature whose (outward-rounded) R*Tree box
 * lies inside the bbox intersects it for sure, so GEOS only decides the
 * ones that straddle its edges. */
static void from_where(const layer_def *l, const items_query *q, char *buf,
                       size_t cap)
{
    if (!q->has_bbox) {
        snprintf(buf, cap, " FROM \"%s\"", l->id);
        return;
    }
    snprintf(buf, cap,
             " FROM \"%s\" AS t JOIN \"idx_%s_geom\" AS r ON r.pkid = t.fid"
             " WHERE r.xmin <= ?3 AND r.xmax >= ?1 AND r.ymin <= ?4"
             " AND r.ymax >= ?2 AND CASE WHEN r.xmin >= ?1 AND r.xmax <= ?3"
             " AND r.ymin >= ?2 AND r.ymax <= ?4 THEN 1"
             " ELSE ST_Intersects(t.geom, BuildMbr(?1, ?2, ?3, ?4, 4326)) END = 1",
             l->id, l->id);
}

static void bind_bbox(sqlite3_stmt *st, const items_query *q)
{
    if (q->has_bbox)
        for (int i = 0; i < 4; i++)
            sqlite3_bind_double(st, i + 1, q->bbox[i]);
}

static json_t *link(const char *rel, const char *href, const char *type)
{
    return json_pack("{s:s, s:s, s:s}", "rel", rel, "type", type, "href", href);
}

/* href of this page with another offset: absolute when Host is known. */
static void page_href(http_req *r, const layer_def *l, const items_query *q,
                      long long offset, char *buf, size_t cap)
{
    const char *host = http_header(r, "Host");
    size_t n = (size_t)snprintf(buf, cap, "%s%s/api/v1/layers/%s/items?limit=%lld"
                                "&offset=%lld", host ? "http://" : "",
                                host ? host : "", l->id, q->limit, offset);
    if (q->has_bbox && n < cap)
        snprintf(buf + n, cap - n, "&bbox=%.10g,%.10g,%.10g,%.10g", q->bbox[0],
                 q->bbox[1], q->bbox[2], q->bbox[3]);
}

static int count_matched(sqlite3 *db, const layer_def *l, const items_query *q,
                         long long *out)
{
    char from[768], sql[1024];
    from_where(l, q, from, sizeof from);
    snprintf(sql, sizeof sql, "SELECT count(*)%s", from);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return CT_EIO;
    bind_bbox(st, q);
    int rc = sqlite3_step(st) == SQLITE_ROW ? CT_OK : CT_EIO;
    *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}

static void time_stamp(char *buf, size_t cap)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int api_layer_items(http_req *r)
{
    const layer_def *l = api_find_layer(r, r->param[0]);
    if (!l)
        return r->status;
    items_query q;
    ct_err err;
    ct_err_clear(&err);
    if (parse_items_query(r, &q, &err))
        return http_reply_ct(r, &err);
    sqlite3 *db = api_db(r);
    if (!db)
        return r->status;
    long long matched = 0;
    if (count_matched(db, l, &q, &matched))
        return http_reply_error(r, 500, "layer %s: %s", l->id,
                                sqlite3_errmsg(db));
    char cols[2048], from[768], sql[3072];
    select_list(l, cols, sizeof cols);
    from_where(l, &q, from, sizeof from);
    snprintf(sql, sizeof sql, "SELECT %s%s ORDER BY fid LIMIT ?5 OFFSET ?6",
             cols, from);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return http_reply_error(r, 500, "layer %s: %s", l->id,
                                sqlite3_errmsg(db));
    bind_bbox(st, &q);
    sqlite3_bind_int64(st, 5, q.limit);
    sqlite3_bind_int64(st, 6, q.offset);
    json_t *features = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(features, feature_json(st, l));
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        json_decref(features);
        return http_reply_error(r, 500, "layer %s: %s", l->id,
                                sqlite3_errmsg(db));
    }
    long long returned = (long long)json_array_size(features);
    json_t *links = json_array();
    char href[512], ts[32];
    page_href(r, l, &q, q.offset, href, sizeof href);
    json_array_append_new(links, link("self", href, GEOJSON));
    if (q.offset + returned < matched) {
        page_href(r, l, &q, q.offset + returned, href, sizeof href);
        json_array_append_new(links, link("next", href, GEOJSON));
    }
    if (q.offset > 0) {
        long long prev = q.offset > q.limit ? q.offset - q.limit : 0;
        page_href(r, l, &q, prev, href, sizeof href);
        json_array_append_new(links, link("prev", href, GEOJSON));
    }
    snprintf(href, sizeof href, "/api/v1/layers/%s", l->id);
    json_array_append_new(links, link("collection", href, "application/json"));
    time_stamp(ts, sizeof ts);
    json_t *body = json_pack("{s:s, s:I, s:I, s:s, s:o, s:o}", "type",
                             "FeatureCollection", "numberMatched",
                             (json_int_t)matched, "numberReturned",
                             (json_int_t)returned, "timeStamp", ts, "features",
                             features, "links", links);
    return http_reply_json_type(r, 200, GEOJSON, body);
}

/* One feature of layer l by a column test ("fid = ?" or "id = ?"). */
static int reply_feature(http_req *r, sqlite3 *db, const layer_def *l,
                         const char *test, const char *id, long long fid,
                         const char *shown)
{
    char cols[2048], sql[2304];
    select_list(l, cols, sizeof cols);
    snprintf(sql, sizeof sql, "SELECT %s FROM \"%s\" WHERE %s", cols, l->id,
             test);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return http_reply_error(r, 500, "layer %s: %s", l->id,
                                sqlite3_errmsg(db));
    if (id)
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, fid);
    json_t *f = sqlite3_step(st) == SQLITE_ROW ? feature_json(st, l) : NULL;
    sqlite3_finalize(st);
    if (!f)
        return http_reply_error(r, 404, "unknown item '%.200s' in layer %s",
                                shown, l->id);
    return http_reply_json_type(r, 200, GEOJSON, f);
}

int api_layer_item(http_req *r)
{
    const layer_def *l = api_find_layer(r, r->param[0]);
    if (!l)
        return r->status;
    if (!r->rest[0])
        return http_reply_error(r, 404, "item id missing after %s", r->path);
    sqlite3 *db = api_db(r);
    if (!db)
        return r->status;
    return reply_feature(r, db, l, "id = ?1", r->rest, 0, r->rest);
}

int api_item(http_req *r)
{
    const char *id = r->rest;
    if (!id[0])
        return http_reply_error(r, 404, "item id missing after %s", r->path);
    sqlite3 *db = api_db(r);
    if (!db)
        return r->status;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT layer, fid FROM items WHERE id = ?1", -1,
                           &st, NULL) != SQLITE_OK)
        return http_reply_error(r, 500, "items: %s", sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    const layer_def *l = NULL;
    long long fid = 0;
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        l = layers_find((const char *)sqlite3_column_text(st, 0));
        fid = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (!found)
        return http_reply_error(r, 404, "unknown item '%.200s'", id);
    if (!l)
        return http_reply_error(r, 500, "item '%.200s' names a layer this "
                                "server does not know", id);
    return reply_feature(r, db, l, "fid = ?1", NULL, fid, id);
}
