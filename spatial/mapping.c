/* spatial/mapping.c: parse import mappings and apply their rules (see
 * mapping.h and docs/MAPPING.md). Everything is compiled once from the
 * JSON so the per-feature work is string compares only. */
#include "spatial/mapping.h"

#include <fnmatch.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spatial/mapping_priv.h"

static char *dupstr(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void free_strs(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* A string or an array of strings -> a malloc'd list. */
static int str_list(json_t *j, char ***out, int *n, const char *what,
                    const char *label, ct_err *err)
{
    *out = NULL;
    *n = 0;
    if (!j)
        return CT_OK;
    size_t cnt = json_is_array(j) ? json_array_size(j) : 1;
    char **v = calloc(cnt ? cnt : 1, sizeof *v);
    if (!v)
        return ct_fail(err, CT_ENOMEM, "mapping %s: out of memory", label);
    for (size_t i = 0; i < cnt; i++) {
        json_t *e = json_is_array(j) ? json_array_get(j, i) : j;
        if (!json_is_string(e)) {
            free_strs(v, (int)i);
            return ct_fail(err, CT_EFORMAT,
                           "mapping %s: %s must be a string or a list of strings",
                           label, what);
        }
        v[i] = strdup(json_string_value(e));
    }
    *out = v;
    *n = (int)cnt;
    return CT_OK;
}

/* Any JSON scalar as text (numbers printed), or NULL. */
static char *scalar_text(json_t *j)
{
    char tmp[64];
    if (json_is_string(j))
        return strdup(json_string_value(j));
    if (json_is_integer(j)) {
        snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(j));
        return strdup(tmp);
    }
    if (json_is_real(j)) {
        snprintf(tmp, sizeof tmp, "%.17g", json_real_value(j));
        return strdup(tmp);
    }
    if (json_is_boolean(j))
        return strdup(json_is_true(j) ? "1" : "0");
    return NULL;
}

static int parse_value(json_t *j, map_value *v, const char *what,
                       const char *label, ct_err *err)
{
    memset(v, 0, sizeof *v);
    if (!j)
        return CT_OK;
    if (json_is_array(j) && json_array_size(j) > 0 &&
        !json_is_string(json_array_get(j, 0))) {
        /* a list of value specs: the first that gives a value wins */
        v->kind = MV_ANY;
        v->any = calloc(json_array_size(j), sizeof *v->any);
        if (!v->any)
            return ct_fail(err, CT_ENOMEM, "mapping %s: out of memory", label);
        for (size_t i = 0; i < json_array_size(j); i++) {
            v->nany = (int)i + 1;
            int rc = parse_value(json_array_get(j, i), &v->any[i], what, label, err);
            if (rc)
                return rc;
        }
        return CT_OK;
    }
    if (json_is_string(j) || json_is_array(j)) {
        v->kind = MV_ATTRS;
        return str_list(j, &v->attrs, &v->nattrs, what, label, err);
    }
    if (!json_is_object(j))
        return ct_fail(err, CT_EFORMAT,
                       "mapping %s: %s must be an attribute name, a list, or an object",
                       label, what);
    json_t *c = json_object_get(j, "const");
    if (c) {
        v->kind = MV_CONST;
        v->constant = scalar_text(c);
        if (!v->constant)
            return ct_fail(err, CT_EFORMAT, "mapping %s: %s: const must be a string or number",
                           label, what);
        return CT_OK;
    }
    v->kind = MV_ATTRS;
    int rc = str_list(json_object_get(j, "from"), &v->attrs, &v->nattrs, what,
                      label, err);
    if (rc)
        return rc;
    json_t *map = json_object_get(j, "map");
    if (map && !json_is_object(map))
        return ct_fail(err, CT_EFORMAT, "mapping %s: %s: map must be an object",
                       label, what);
    v->map = map;   /* borrowed: the mapping keeps its JSON root */
    v->def = scalar_text(json_object_get(j, "default"));
    v->prefix = scalar_text(json_object_get(j, "prefix"));
    if (!v->nattrs && !v->def)
        return ct_fail(err, CT_EFORMAT, "mapping %s: %s needs \"from\", \"const\" or \"default\"",
                       label, what);
    return CT_OK;
}

static void free_value(map_value *v)
{
    for (int i = 0; i < v->nany; i++)
        free_value(&v->any[i]);
    free(v->any);
    free_strs(v->attrs, v->nattrs);
    free(v->constant);
    free(v->def);
    free(v->prefix);
}

static int parse_cond(const char *key, json_t *j, map_cond *c, const char *label,
                      ct_err *err)
{
    memset(c, 0, sizeof *c);
    c->attr = strdup(key);
    if (json_is_true(j)) {
        c->op = MC_PRESENT;
        return CT_OK;
    }
    if (json_is_false(j)) {
        c->op = MC_ABSENT;
        return CT_OK;
    }
    json_t *vals = j;
    c->op = MC_ONE_OF;
    if (json_is_object(j)) {
        vals = json_object_get(j, "not");
        c->op = MC_NONE_OF;
        if (!vals)
            return ct_fail(err, CT_EFORMAT,
                           "mapping %s: condition on '%s': only {\"not\": ...} objects are allowed",
                           label, key);
    }
    size_t n = json_is_array(vals) ? json_array_size(vals) : 1;
    c->vals = calloc(n ? n : 1, sizeof *c->vals);
    if (!c->vals)
        return ct_fail(err, CT_ENOMEM, "mapping %s: out of memory", label);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_is_array(vals) ? json_array_get(vals, i) : vals;
        c->vals[i] = scalar_text(e);
        c->nvals = (int)i + 1;
        if (!c->vals[i])
            return ct_fail(err, CT_EFORMAT,
                           "mapping %s: condition on '%s' must be true, false, a value, a list or {\"not\": ...}",
                           label, key);
    }
    return CT_OK;
}

static int parse_geom(json_t *j, int *g, const char *label, ct_err *err)
{
    const char *s = json_string_value(j);
    *g = MAP_GEOM_ANY;
    if (!j)
        return CT_OK;
    if (s && !strcmp(s, "point"))
        *g = MAP_GEOM_POINT;
    else if (s && !strcmp(s, "line"))
        *g = MAP_GEOM_LINE;
    else if (s && !strcmp(s, "polygon"))
        *g = MAP_GEOM_POLYGON;
    else
        return ct_fail(err, CT_EFORMAT,
                       "mapping %s: geometry must be \"point\", \"line\" or \"polygon\"",
                       label);
    return CT_OK;
}

static int parse_fields(json_t *j, map_rule *r, const char *label, ct_err *err)
{
    if (!j)
        return CT_OK;
    if (json_is_string(j) && !strcmp(json_string_value(j), "same")) {
        r->fields_same = 1;
        return CT_OK;
    }
    if (!json_is_object(j))
        return ct_fail(err, CT_EFORMAT,
                       "mapping %s: rule %d: fields must be an object or \"same\"",
                       label, r->index);
    r->fields = calloc(json_object_size(j) + 1, sizeof *r->fields);
    if (!r->fields)
        return ct_fail(err, CT_ENOMEM, "mapping %s: out of memory", label);
    const char *col;
    json_t *spec;
    json_object_foreach(j, col, spec) {
        map_field *f = &r->fields[r->nfields++];
        f->column = strdup(col);
        if (r->to && !layers_has_column(r->to, col))
            return ct_fail(err, CT_EFORMAT,
                           "mapping %s: rule %d: layer %s has no column '%s'",
                           label, r->index, r->to->id, col);
        char what[160];
        snprintf(what, sizeof what, "rule %d field '%s'", r->index, col);
        int rc = parse_value(spec, &f->v, what, label, err);
        if (rc)
            return rc;
    }
    return CT_OK;
}

static int parse_rule(json_t *j, map_rule *r, const char *label, ct_err *err)
{
    if (!json_is_object(j))
        return ct_fail(err, CT_EFORMAT, "mapping %s: rule %d is not an object",
                       label, r->index);
    const char *to = json_string_value(json_object_get(j, "to"));
    if (!to)
        return ct_fail(err, CT_EFORMAT, "mapping %s: rule %d has no \"to\" layer",
                       label, r->index);
    if (!strcmp(to, "=layer")) {
        r->to_same = 1;
    } else if (!(r->to = layers_find(to))) {
        return ct_fail(err, CT_EFORMAT,
                       "mapping %s: rule %d: unknown store layer '%s'", label,
                       r->index, to);
    }
    int rc = str_list(json_object_get(j, "layer"), &r->globs, &r->nglobs,
                      "layer", label, err);
    if (!rc)
        rc = parse_geom(json_object_get(j, "geometry"), &r->geom, label, err);
    json_t *where = json_object_get(j, "where");
    if (!rc && where) {
        if (!json_is_object(where))
            return ct_fail(err, CT_EFORMAT, "mapping %s: rule %d: where must be an object",
                           label, r->index);
        r->conds = calloc(json_object_size(where) + 1, sizeof *r->conds);
        if (!r->conds)
            return ct_fail(err, CT_ENOMEM, "mapping %s: out of memory", label);
        const char *k;
        json_t *v;
        json_object_foreach(where, k, v) {
            if ((rc = parse_cond(k, v, &r->conds[r->nconds++], label, err)))
                return rc;
        }
    }
    if (!rc)
        rc = parse_fields(json_object_get(j, "fields"), r, label, err);
    if (!rc && json_object_get(j, "id"))
        rc = parse_value(json_object_get(j, "id"), &r->id, "id", label, err);
    if (!rc && json_object_get(j, "source"))
        rc = parse_value(json_object_get(j, "source"), &r->source, "source",
                         label, err);
    json_t *pre = json_object_get(j, "id_prefix");
    if (pre && !json_is_string(pre))
        return ct_fail(err, CT_EFORMAT, "mapping %s: rule %d: id_prefix must be a string",
                       label, r->index);
    r->id_prefix = dupstr(json_string_value(pre));
    r->cont = json_is_true(json_object_get(j, "continue"));
    return rc;
}

static int parse_top(mapping *m, const char *label, ct_err *err)
{
    json_t *root = m->root;
    m->name = strdup(json_string_value(json_object_get(root, "name"))
                         ? json_string_value(json_object_get(root, "name"))
                         : label);
    json_t *det = json_object_get(root, "detect");
    int rc = CT_OK;
    if (det) {
        m->detect_native = json_is_true(json_object_get(det, "native"));
        rc = str_list(json_object_get(det, "layers"), &m->dlayers, &m->ndlayers,
                      "detect.layers", label, err);
        if (!rc)
            rc = str_list(json_object_get(det, "fields"), &m->dfields,
                          &m->ndfields, "detect.fields", label, err);
        if (rc)
            return rc;
    }
    json_t *sh = json_object_get(root, "storey_height_m");
    m->storey_h = json_is_number(sh) ? json_number_value(sh) : 3.0;
    if (m->storey_h <= 0 || m->storey_h > 20)
        return ct_fail(err, CT_EFORMAT, "mapping %s: storey_height_m must be in (0, 20]",
                       label);
    m->default_height = json_object_get(root, "default_height_m");
    m->speed = json_object_get(root, "speed_kmh");
    if ((rc = parse_value(json_object_get(root, "id"), &m->id, "id", label, err)))
        return rc;
    if ((rc = parse_value(json_object_get(root, "source"), &m->source, "source",
                          label, err)))
        return rc;
    json_t *rules = json_object_get(root, "rules");
    if (!json_is_array(rules) || json_array_size(rules) == 0)
        return ct_fail(err, CT_EFORMAT, "mapping %s: \"rules\" must be a non-empty list",
                       label);
    m->rules = calloc(json_array_size(rules), sizeof *m->rules);
    if (!m->rules)
        return ct_fail(err, CT_ENOMEM, "mapping %s: out of memory", label);
    for (size_t i = 0; i < json_array_size(rules); i++) {
        map_rule *r = &m->rules[m->nrules++];
        r->index = (int)i;
        if ((rc = parse_rule(json_array_get(rules, i), r, label, err)))
            return rc;
    }
    return CT_OK;
}

int mapping_parse(const char *text, const char *label, mapping **out, ct_err *err)
{
    *out = NULL;
    json_error_t je;
    json_t *root = json_loads(text, 0, &je);
    if (!root)
        return ct_fail(err, CT_EFORMAT, "mapping %s: invalid JSON at line %d: %s",
                       label, je.line, je.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return ct_fail(err, CT_EFORMAT, "mapping %s: not a JSON object", label);
    }
    mapping *m = calloc(1, sizeof *m);
    if (!m) {
        json_decref(root);
        return ct_fail(err, CT_ENOMEM, "mapping %s: out of memory", label);
    }
    m->root = root;
    int rc = parse_top(m, label, err);
    if (rc) {
        mapping_free(m);
        return rc;
    }
    *out = m;
    return CT_OK;
}

void mapping_free(mapping *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->nrules; i++) {
        map_rule *r = &m->rules[i];
        free_strs(r->globs, r->nglobs);
        for (int k = 0; k < r->nconds; k++) {
            free(r->conds[k].attr);
            free_strs(r->conds[k].vals, r->conds[k].nvals);
        }
        free(r->conds);
        for (int k = 0; k < r->nfields; k++) {
            free(r->fields[k].column);
            free_value(&r->fields[k].v);
        }
        free(r->fields);
        free_value(&r->id);
        free_value(&r->source);
        free(r->id_prefix);
    }
    free(m->rules);
    free_value(&m->id);
    free_value(&m->source);
    free_strs(m->dlayers, m->ndlayers);
    free_strs(m->dfields, m->ndfields);
    free(m->name);
    json_decref(m->root);
    free(m);
}

const char *mapping_name(const mapping *m)
{
    return m->name;
}

double mapping_storey_height(const mapping *m)
{
    return m->storey_h;
}

static double table_lookup(json_t *t, const char *key, double dflt)
{
    json_t *v = key ? json_object_get(t, key) : NULL;
    if (!json_is_number(v))
        v = json_object_get(t, "*");
    return json_is_number(v) ? json_number_value(v) : dflt;
}

double mapping_default_height(const mapping *m, const char *kind)
{
    return table_lookup(m->default_height, kind, 9.0);
}

double mapping_default_speed(const mapping *m, const char *cls)
{
    return table_lookup(m->speed, cls, 30.0);
}

int mapping_rule_count(const mapping *m)
{
    return m->nrules;
}

const map_rule *mapping_rule(const mapping *m, int i)
{
    return &m->rules[i];
}

int map_rule_continues(const map_rule *r)
{
    return r->cont;
}

int mapping_detect(const mapping *m, int nlayers, const char *const *names,
                   const char *const *const *fields)
{
    for (int i = 0; i < nlayers; i++) {
        if (m->detect_native && layers_find(names[i]))
            return 1;
        int glob_ok = 0;
        for (int g = 0; g < m->ndlayers && !glob_ok; g++)
            glob_ok = fnmatch(m->dlayers[g], names[i], 0) == 0;
        if (!glob_ok)
            continue;
        int all = 1;
        for (int f = 0; f < m->ndfields && all; f++) {
            int found = 0;
            for (const char *const *p = fields[i]; p && *p && !found; p++)
                found = strcmp(*p, m->dfields[f]) == 0;
            all = found;
        }
        if (all)
            return 1;
    }
    return 0;
}
