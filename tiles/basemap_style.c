/* tiles/basemap_style.c: read and check the base map's style file
 * (data/style/basemap.json): background colour and ordered drawing rules.
 * Every error names the file and the key at fault, so a typo in the style
 * is found without reading code. */
#include "tiles/basemap_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spatial/layers.h"

static int parse_colour(const char *s, bm_rgb *out)
{
    unsigned r, g, b;
    char tail;
    if (!s || s[0] != '#' || strlen(s) != 7 ||
        sscanf(s + 1, "%2x%2x%2x%c", &r, &g, &b, &tail) != 3)
        return -1;
    out->r = (uint8_t)r;
    out->g = (uint8_t)g;
    out->b = (uint8_t)b;
    return 0;
}

/* A number, or [[zoom, value], ...] with increasing zooms. */
static int parse_stops(const json_t *j, bm_stops *st, const char *path,
                       const char *key, ct_err *err)
{
    if (json_is_number(j)) {
        st->n = 1;
        st->z[0] = 0;
        st->v[0] = json_number_value(j);
        return CT_OK;
    }
    size_t n = json_is_array(j) ? json_array_size(j) : 0;
    if (n == 0 || n > BM_MAX_STOPS)
        return ct_fail(err, CT_EFORMAT,
                       "style %s: %s: expected a number or 1..%d "
                       "[zoom, value] stops", path, key, BM_MAX_STOPS);
    st->n = (int)n;
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_array_get(j, i);
        if (!json_is_array(p) || json_array_size(p) != 2 ||
            !json_is_number(json_array_get(p, 0)) ||
            !json_is_number(json_array_get(p, 1)))
            return ct_fail(err, CT_EFORMAT,
                           "style %s: %s[%zu]: expected [zoom, value]", path,
                           key, i);
        st->z[i] = json_number_value(json_array_get(p, 0));
        st->v[i] = json_number_value(json_array_get(p, 1));
        if (i > 0 && st->z[i] <= st->z[i - 1])
            return ct_fail(err, CT_EFORMAT,
                           "style %s: %s: stop zooms must increase", path, key);
    }
    return CT_OK;
}

double bm_stops_eval(const bm_stops *s, double zoom)
{
    if (s->n <= 0)
        return 0;
    if (zoom <= s->z[0])
        return s->v[0];
    for (int i = 1; i < s->n; i++)
        if (zoom <= s->z[i]) {
            double t = (zoom - s->z[i - 1]) / (s->z[i] - s->z[i - 1]);
            return s->v[i - 1] + t * (s->v[i] - s->v[i - 1]);
        }
    return s->v[s->n - 1];
}

static int copy_str(char *dst, size_t cap, const char *s)
{
    if (!s || strlen(s) >= cap)
        return -1;
    memcpy(dst, s, strlen(s) + 1);
    return 0;
}

/* "filter": {"column": ["a", "b"]} or {"column": {"not": [...]}} */
static int parse_filter(const json_t *f, const layer_def *ld, bm_rule *r,
                        const char *path, const char *key, ct_err *err)
{
    if (!json_is_object(f) || json_object_size(f) != 1)
        return ct_fail(err, CT_EFORMAT,
                       "style %s: %s: expected an object with one column",
                       path, key);
    const char *col = json_object_iter_key(json_object_iter((json_t *)f));
    json_t *vals = json_object_iter_value(json_object_iter((json_t *)f));
    if (!layers_has_column(ld, col) || !strcmp(col, "geom") ||
        copy_str(r->filter_column, sizeof r->filter_column, col))
        return ct_fail(err, CT_EFORMAT,
                       "style %s: %s: layer %s has no column '%s'", path, key,
                       ld->id, col);
    if (json_is_object(vals)) {
        r->filter_not = 1;
        vals = json_object_get(vals, "not");
    }
    size_t n = json_is_array(vals) ? json_array_size(vals) : 0;
    if (n == 0 || n > BM_MAX_FILTER_VALUES)
        return ct_fail(err, CT_EFORMAT,
                       "style %s: %s.%s: expected 1..%d strings (or "
                       "{\"not\": [...]})", path, key, col,
                       BM_MAX_FILTER_VALUES);
    for (size_t i = 0; i < n; i++) {
        const char *v = json_string_value(json_array_get(vals, i));
        if (copy_str(r->values[i], sizeof r->values[i], v))
            return ct_fail(err, CT_EFORMAT,
                           "style %s: %s.%s[%zu]: expected a short string",
                           path, key, col, i);
    }
    r->n_values = (int)n;
    return CT_OK;
}

static int parse_colours(const json_t *jl, bm_rule *r, const char *path,
                         const char *key, ct_err *err)
{
    const json_t *pal = json_object_get(jl, "palette");
    const json_t *one = json_object_get(jl, "color");
    if (pal) {
        size_t n = json_is_array(pal) ? json_array_size(pal) : 0;
        if (n == 0 || n > BM_MAX_PALETTE)
            return ct_fail(err, CT_EFORMAT,
                           "style %s: %s.palette: expected 1..%d colours",
                           path, key, BM_MAX_PALETTE);
        for (size_t i = 0; i < n; i++) {
            const char *s = json_string_value(json_array_get(pal, i));
            if (parse_colour(s, &r->palette[i]))
                return ct_fail(err, CT_EFORMAT,
                               "style %s: %s.palette[%zu]: '%s' is not a "
                               "#rrggbb colour", path, key, i, s ? s : "?");
        }
        r->n_palette = (int)n;
        return CT_OK;
    }
    const char *s = json_string_value(one);
    if (parse_colour(s, &r->palette[0]))
        return ct_fail(err, CT_EFORMAT,
                       "style %s: %s.color: %s%s%s is not a #rrggbb colour",
                       path, key, s ? "'" : "", s ? s : "missing",
                       s ? "'" : "");
    r->n_palette = 1;
    return CT_OK;
}

static int parse_zoom(const json_t *jl, const char *name, int def, int *out,
                      const char *path, const char *key, ct_err *err)
{
    const json_t *j = json_object_get(jl, name);
    if (!j) {
        *out = def;
        return CT_OK;
    }
    if (!json_is_integer(j) || json_integer_value(j) < 0 ||
        json_integer_value(j) > 24)
        return ct_fail(err, CT_EFORMAT,
                       "style %s: %s.%s: expected an integer zoom 0..24", path,
                       key, name);
    *out = (int)json_integer_value(j);
    return CT_OK;
}

/* The R*Tree query of a rule; bound: ?1 west ?2 east ?3 south ?4 north. */
static void build_sql(bm_rule *r)
{
    int n;
    sqlite3_snprintf(
        (int)sizeof r->sql, r->sql,
        "SELECT fid, AsBinary(geom) FROM \"%w\" WHERE fid IN (SELECT pkid "
        "FROM \"idx_%w_geom\" WHERE xmin <= ?2 AND xmax >= ?1 AND "
        "ymin <= ?4 AND ymax >= ?3)", r->layer, r->layer);
    n = (int)strlen(r->sql);
    if (r->filter_column[0]) {
        n += (int)strlen(sqlite3_snprintf((int)sizeof r->sql - n, r->sql + n,
                                          " AND (\"%w\" %s (", r->filter_column,
                                          r->filter_not ? "NOT IN" : "IN"));
        for (int i = 0; i < r->n_values; i++)
            n += (int)strlen(sqlite3_snprintf((int)sizeof r->sql - n,
                                              r->sql + n, "%s%Q", i ? "," : "",
                                              r->values[i]));
        if (r->filter_not)
            sqlite3_snprintf((int)sizeof r->sql - n, r->sql + n,
                             ") OR \"%w\" IS NULL)", r->filter_column);
        else
            sqlite3_snprintf((int)sizeof r->sql - n, r->sql + n, "))");
    }
    n = (int)strlen(r->sql);
    sqlite3_snprintf((int)sizeof r->sql - n, r->sql + n, " ORDER BY fid");
}

/* A typo in a key would silently drop a setting: refuse unknown keys. */
static int check_keys(const json_t *obj, const char *const *known,
                      const char *path, const char *key, ct_err *err)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        int ok = 0;
        for (int i = 0; known[i] && !ok; i++)
            ok = !strcmp(known[i], k);
        if (!ok)
            return ct_fail(err, CT_EFORMAT, "style %s: %s%s%s: unknown key",
                           path, key, *key ? "." : "", k);
    }
    return CT_OK;
}

static const char *const RULE_KEYS[] = {
    "id", "layer", "type", "color", "palette", "opacity", "width",
    "minzoom", "maxzoom", "filter", "comment", NULL};
static const char *const ROOT_KEYS[] = {"name", "comment", "background",
                                        "layers", NULL};

static int parse_rule(const json_t *jl, bm_rule *r, const char *path,
                      const char *key, ct_err *err)
{
    if (!json_is_object(jl))
        return ct_fail(err, CT_EFORMAT, "style %s: %s: expected an object",
                       path, key);
    int krc = check_keys(jl, RULE_KEYS, path, key, err);
    if (krc)
        return krc;
    const char *id = json_string_value(json_object_get(jl, "id"));
    if (copy_str(r->id, sizeof r->id, id))
        return ct_fail(err, CT_EFORMAT,
                       "style %s: %s.id: expected a short string", path, key);
    const char *layer = json_string_value(json_object_get(jl, "layer"));
    const layer_def *ld = layers_find(layer);
    if (!ld || copy_str(r->layer, sizeof r->layer, layer))
        return ct_fail(err, CT_EFORMAT,
                       "style %s: %s.layer: '%s' is not a layer of the store",
                       path, key, layer ? layer : "(missing)");
    const char *type = json_string_value(json_object_get(jl, "type"));
    if (type && !strcmp(type, "fill"))
        r->kind = BM_FILL;
    else if (type && !strcmp(type, "line"))
        r->kind = BM_LINE;
    else
        return ct_fail(err, CT_EFORMAT,
                       "style %s: %s.type: expected \"fill\" or \"line\"", path,
                       key);
    if (ld->geom == LAYER_POINT ||
        (r->kind == BM_FILL && ld->geom != LAYER_POLYGON))
        return ct_fail(err, CT_EFORMAT,
                       "style %s: %s.type: layer %s cannot be drawn as a %s",
                       path, key, ld->id, type);
    int rc = parse_colours(jl, r, path, key, err);
    if (rc)
        return rc;
    const json_t *op = json_object_get(jl, "opacity");
    char sub[96];
    snprintf(sub, sizeof sub, "%s.opacity", key);
    if (!op) {
        r->opacity.n = 1;
        r->opacity.v[0] = 1;
    } else if ((rc = parse_stops(op, &r->opacity, path, sub, err))) {
        return rc;
    }
    snprintf(sub, sizeof sub, "%s.width", key);
    const json_t *wd = json_object_get(jl, "width");
    if (r->kind == BM_LINE && !wd)
        return ct_fail(err, CT_EFORMAT, "style %s: %s: missing", path, sub);
    if (wd && (rc = parse_stops(wd, &r->width, path, sub, err)))
        return rc;
    if ((rc = parse_zoom(jl, "minzoom", 0, &r->min_zoom, path, key, err)) ||
        (rc = parse_zoom(jl, "maxzoom", 24, &r->max_zoom, path, key, err)))
        return rc;
    const json_t *f = json_object_get(jl, "filter");
    snprintf(sub, sizeof sub, "%s.filter", key);
    if (f && (rc = parse_filter(f, ld, r, path, sub, err)))
        return rc;
    /* a stroke that grows less than the map never reaches into a tile at
     * a deeper zoom that it missed at this one (see basemap_tile.c) */
    r->slow_width = 1;
    for (int z = 0; r->kind == BM_LINE && z < 24; z++) {
        double a = bm_stops_eval(&r->width, z), b = bm_stops_eval(&r->width, z + 1);
        if (b > 2 * a)
            r->slow_width = 0;
    }
    build_sql(r);
    return CT_OK;
}

int bm_style_load(const char *path, bm_style *s, ct_err *err)
{
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", path);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        return ct_fail(err, je.line < 1 ? CT_ENOTFOUND : CT_EFORMAT,
                       "style %s: %s (line %d)", path, je.text, je.line);
    int rc = CT_OK;
    const char *bg = json_string_value(json_object_get(root, "background"));
    json_t *layers = json_object_get(root, "layers");
    if (!json_is_object(root)) {
        rc = ct_fail(err, CT_EFORMAT, "style %s: expected a JSON object", path);
    } else if ((rc = check_keys(root, ROOT_KEYS, path, "", err))) {
        /* message set */
    } else if (parse_colour(bg, &s->background)) {
        rc = ct_fail(err, CT_EFORMAT,
                     "style %s: background: expected a #rrggbb colour", path);
    } else if (!json_is_array(layers) || json_array_size(layers) == 0) {
        rc = ct_fail(err, CT_EFORMAT,
                     "style %s: layers: expected a non-empty array", path);
    } else {
        size_t n = json_array_size(layers);
        s->rules = calloc(n, sizeof *s->rules);
        if (!s->rules)
            rc = ct_fail(err, CT_ENOMEM, "style %s: out of memory", path);
        for (size_t i = 0; !rc && i < n; i++) {
            char key[32];
            snprintf(key, sizeof key, "layers[%zu]", i);
            rc = parse_rule(json_array_get(layers, i), &s->rules[i], path, key,
                            err);
            s->n_rules = (int)i + 1;
        }
    }
    json_decref(root);
    if (rc)
        bm_style_free(s);
    return rc;
}

void bm_style_free(bm_style *s)
{
    free(s->rules);
    s->rules = NULL;
    s->n_rules = 0;
}
