/* server/api_layers.c: the layer catalog, /api/v1/layers[/{id}].
 * For every layer of spatial/layers.h: titles, geometry type, count, bbox
 * and fields. The bbox is the union of the cells of the layer's R*Tree root
 * node: one row read whatever the layer's size. R*Tree coordinates are
 * float32 rounded outward, so the bbox encloses the data and is at most
 * ~1 m (one float32 step at these longitudes) larger. */
#include "server/api.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "spatial/layers.h"

const layer_def *api_find_layer(http_req *r, const char *id)
{
    const layer_def *l = layers_find(id);
    if (l)
        return l;
    char known[512] = "";
    for (int i = 0; i < layers_count(); i++) {
        if (strlen(known) + strlen(LAYERS[i].id) + 3 >= sizeof known)
            break;
        if (known[0])
            strcat(known, ", ");
        strcat(known, LAYERS[i].id);
    }
    http_reply_error(r, 404, "unknown layer '%.100s' (known: %s)", id, known);
    return NULL;
}

static const char *geojson_type(layer_geom g)
{
    switch (g) {
    case LAYER_POINT: return "Point";
    case LAYER_LINE: return "LineString";
    case LAYER_MULTILINE: return "MultiLineString";
    case LAYER_POLYGON: return "MultiPolygon";
    }
    return "Geometry";
}

static const char *field_type(const char *sqltype)
{
    if (!strcmp(sqltype, "REAL"))
        return "number";
    if (!strcmp(sqltype, "INTEGER"))
        return "integer";
    return "string";
}

static long long layer_count(sqlite3 *db, const char *table)
{
    char sql[160];
    sqlite3_stmt *st;
    long long n = -1;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", table);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static float be_float(const unsigned char *p)
{
    union {
        unsigned int u;
        float f;
    } v;
    v.u = (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 |
          (unsigned)p[3];
    return v.f;
}

/* Union of the root node's cells: each is an 8-byte id then xmin, xmax,
 * ymin, ymax as big-endian float32 (SQLite's R*Tree node format). */
static int root_bbox(sqlite3 *db, const char *table, double bb[4])
{
    char sql[200];
    sqlite3_stmt *st;
    int ok = 0;
    snprintf(sql, sizeof sql,
             "SELECT data FROM \"idx_%s_geom_node\" WHERE nodeno = 1", table);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *d = sqlite3_column_blob(st, 0);
        int len = sqlite3_column_bytes(st, 0);
        int n = len >= 4 ? (d[2] << 8 | d[3]) : 0;
        if (n > 0 && 4 + n * 24 <= len) {
            bb[0] = bb[1] = INFINITY;
            bb[2] = bb[3] = -INFINITY;
            for (int i = 0; i < n; i++) {
                const unsigned char *c = d + 4 + i * 24 + 8;
                bb[0] = fmin(bb[0], be_float(c));
                bb[2] = fmax(bb[2], be_float(c + 4));
                bb[1] = fmin(bb[1], be_float(c + 8));
                bb[3] = fmax(bb[3], be_float(c + 12));
            }
            ok = isfinite(bb[0]) && isfinite(bb[3]) && bb[0] <= bb[2] &&
                 bb[1] <= bb[3];
        }
    }
    sqlite3_finalize(st);
    return ok;
}

static json_t *fields_json(const layer_def *l)
{
    json_t *a = json_array();
    json_array_append_new(a, json_pack("{s:s, s:s}", "name", "id", "type",
                                       "string"));
    for (const layer_column *c = LAYER_COMMON; c->name; c++)
        if (strcmp(c->name, "id") && strcmp(c->name, "props"))
            json_array_append_new(a, json_pack("{s:s, s:s}", "name", c->name,
                                               "type", field_type(c->sqltype)));
    for (const layer_column *c = l->extra; c->name; c++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "name", c->name,
                                           "type", field_type(c->sqltype)));
    return a;
}

static json_t *layer_json(sqlite3 *db, const layer_def *l)
{
    long long n = layer_count(db, l->id);
    double bb[4];
    json_t *bbox = json_null();
    /* Rounded outward to 1e-6 degree (~0.1 m) to drop float32 noise. */
    if (n > 0 && root_bbox(db, l->id, bb))
        bbox = json_pack("[f, f, f, f]", floor(bb[0] * 1e6) / 1e6,
                         floor(bb[1] * 1e6) / 1e6, ceil(bb[2] * 1e6) / 1e6,
                         ceil(bb[3] * 1e6) / 1e6);
    char items[128];
    snprintf(items, sizeof items, "/api/v1/layers/%s/items", l->id);
    return json_pack(
        "{s:s, s:{s:s, s:s}, s:s, s:s, s:o, s:o, s:o, s:[{s:s, s:s, s:s}]}",
        "id", l->id, "title", "zh", l->title_zh, "en", l->title_en,
        "geometry_type", geojson_type(l->geom), "crs", "EPSG:4326",
        "count", n >= 0 ? json_integer(n) : json_null(), "bbox", bbox,
        "fields", fields_json(l), "links", "rel", "items", "type",
        "application/geo+json", "href", items);
}

int api_layers(http_req *r)
{
    sqlite3 *db = api_db(r);
    if (!db)
        return r->status;
    json_t *layers = json_array();
    for (int i = 0; i < layers_count(); i++)
        json_array_append_new(layers, layer_json(db, &LAYERS[i]));
    return http_reply_json(r, 200, json_pack("{s:o}", "layers", layers));
}

int api_layer(http_req *r)
{
    const layer_def *l = api_find_layer(r, r->param[0]);
    if (!l)
        return r->status;
    sqlite3 *db = api_db(r);
    if (!db)
        return r->status;
    return http_reply_json(r, 200, layer_json(db, l));
}
