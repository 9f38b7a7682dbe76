/* tiles/basemap_meta.c: the base map's side files for the dashboard:
 * metadata.json (bounds, zooms, tile format and URL template) and
 * attribution.json (who the drawn data comes from, read from the store's
 * `source` values of the layers the style draws). */
#include "tiles/basemap_internal.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* Credit lines for the store's source values (prefix match, see docs). */
static const struct {
    const char *source, *text;
} CREDITS[] = {
    {"tianditu", "行政区划：天地图 (www.tianditu.gov.cn)"},
    {"osm", "© OpenStreetMap contributors"},
    {"gshhg", "GSHHG 2.3.7 (Wessel & Smith), rivers from World Data Bank II"},
    {"synthetic", "生成数据 / generated (synthetic) layers"},
};

static const char *credit_for(const char *source)
{
    for (size_t i = 0; i < sizeof CREDITS / sizeof CREDITS[0]; i++) {
        size_t n = strlen(CREDITS[i].source);
        if (!strncasecmp(source, CREDITS[i].source, n) &&
            !isalnum((unsigned char)source[n]))
            return CREDITS[i].text;
    }
    return source; /* unknown: credit the source by its own name */
}

static int dump(json_t *j, const char *out_dir, const char *name, ct_err *err)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", out_dir, name);
    int rc = j ? json_dump_file(j, path, JSON_INDENT(2) | JSON_SORT_KEYS) : -1;
    json_decref(j);
    if (rc)
        return ct_fail(err, CT_EIO, "basemap: cannot write %s", path);
    return CT_OK;
}

/* Add layer to the entry of this credit text in sources (made on demand). */
static void add_credit(json_t *sources, const char *source, const char *layer)
{
    const char *text = credit_for(source);
    json_t *entry = NULL;
    size_t i;
    json_t *v;
    json_array_foreach(sources, i, v) {
        if (!strcmp(json_string_value(json_object_get(v, "text")), text))
            entry = v;
    }
    if (!entry) {
        entry = json_pack("{s:s, s:s, s:[]}", "source", source, "text", text,
                          "layers");
        json_array_append_new(sources, entry);
    }
    json_t *layers = json_object_get(entry, "layers");
    json_array_foreach(layers, i, v) {
        if (!strcmp(json_string_value(v), layer))
            return;
    }
    json_array_append_new(layers, json_string(layer));
}

int bm_write_attribution(sqlite3 *db, const char *out_dir, const bm_style *s,
                         ct_err *err)
{
    json_t *sources = json_array();
    for (int i = 0; i < s->n_rules; i++) {
        const char *layer = s->rules[i].layer;
        int seen = 0;
        for (int k = 0; k < i; k++)
            seen |= !strcmp(s->rules[k].layer, layer);
        if (seen)
            continue;
        char sql[256];
        sqlite3_snprintf((int)sizeof sql, sql,
                         "SELECT DISTINCT source FROM \"%w\" WHERE source IS "
                         "NOT NULL AND source <> '' ORDER BY source", layer);
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
            json_decref(sources);
            return ct_fail(err, CT_EIO, "basemap: reading sources of %s: %s",
                           layer, sqlite3_errmsg(db));
        }
        while (sqlite3_step(st) == SQLITE_ROW)
            add_credit(sources, (const char *)sqlite3_column_text(st, 0),
                       layer);
        sqlite3_finalize(st);
    }
    /* one line for a map corner, e.g. Cesium's credit display */
    char text[2048] = "";
    size_t i, n = 0;
    json_t *v;
    json_array_foreach(sources, i, v) {
        n += (size_t)snprintf(text + n, n < sizeof text ? sizeof text - n : 0,
                              "%s%s", i ? " | " : "",
                              json_string_value(json_object_get(v, "text")));
        if (n >= sizeof text)
            n = sizeof text - 1;
    }
    return dump(json_pack("{s:s, s:o}", "text", text, "sources", sources),
                out_dir, "attribution.json", err);
}

static json_t *hex(bm_rgb c)
{
    return json_sprintf("#%02x%02x%02x", c.r, c.g, c.b);
}

int bm_write_metadata(const char *out_dir, const double b[4],
                      const basemap_opts *o, const bm_style *s, long tiles,
                      ct_err *err)
{
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:i, s:i, s:i, s:[f,f,f,f], s:[f,f,i], s:o, s:s, "
        "s:I, s:s}",
        "format", "png", "scheme", "xyz", "url", "{z}/{x}/{y}.png",
        "tile_size", o->tile_size, "min_zoom", o->min_zoom, "max_zoom",
        o->max_zoom, "bounds", b[0], b[1], b[2], b[3], "center",
        (b[0] + b[2]) / 2, (b[1] + b[3]) / 2,
        o->min_zoom + 2 <= o->max_zoom ? o->min_zoom + 2 : o->max_zoom,
        "background", hex(s->background), "crs", "EPSG:3857", "tiles",
        (json_int_t)tiles, "attribution", "attribution.json");
    return dump(j, out_dir, "metadata.json", err);
}
