/* spatial/mapping_rules.c: apply a compiled mapping to one feature, and
 * find mapping files (see mapping.h). */
#include <fnmatch.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spatial/mapping_priv.h"

int map_rule_layer_ok(const map_rule *r, const char *src_layer)
{
    if (r->nglobs == 0)
        return 1;
    for (int i = 0; i < r->nglobs; i++)
        if (fnmatch(r->globs[i], src_layer, 0) == 0)
            return 1;
    return 0;
}

const layer_def *map_rule_target(const map_rule *r, const char *src_layer)
{
    return r->to_same ? layers_find(src_layer) : r->to;
}

static int geom_ok(int want, int have)
{
    return want == MAP_GEOM_ANY || want == have;
}

int map_rule_matches(const map_rule *r, int geom, attrs *a)
{
    if (!geom_ok(r->geom, geom))
        return 0;
    for (int i = 0; i < r->nconds; i++) {
        const map_cond *c = &r->conds[i];
        const char *v = attrs_get(a, c->attr);
        int hit = 0;
        switch (c->op) {
        case MC_PRESENT: hit = v != NULL; break;
        case MC_ABSENT: hit = v == NULL; break;
        case MC_ONE_OF:
        case MC_NONE_OF:
            for (int k = 0; v && k < c->nvals && !hit; k++)
                hit = strcmp(v, c->vals[k]) == 0;
            if (c->op == MC_NONE_OF)
                hit = v && !hit;
            break;
        }
        if (!hit)
            return 0;
    }
    return 1;
}

/* Evaluate v against a into out (size n). Returns the attribute index used
 * (>= 0), -1 for a constant or default, -2 when there is no value. */
static int eval(const map_value *v, attrs *a, char *out, size_t n)
{
    if (v->kind == MV_ANY) {
        for (int i = 0; i < v->nany; i++) {
            int r = eval(&v->any[i], a, out, n);
            if (r >= -1)
                return r;
        }
        return -2;
    }
    if (v->kind == MV_CONST) {
        snprintf(out, n, "%s", v->constant);
        return -1;
    }
    if (v->kind != MV_ATTRS)
        return -2;
    int idx = -1;
    for (int i = 0; i < v->nattrs && idx < 0; i++)
        idx = attrs_find(a, v->attrs[i]);
    const char *val = idx >= 0 ? attrs_val(a, idx) : v->def;
    if (!val)
        return -2;
    if (idx >= 0 && v->map) {
        json_t *t = json_object_get(v->map, val);
        if (!t)
            t = json_object_get(v->map, "*");
        if (json_is_string(t))
            val = json_string_value(t);
        else if (json_is_null(t))
            return -2;   /* mapped to null: no value */
    }
    snprintf(out, n, "%s%s", v->prefix ? v->prefix : "", val);
    if (idx >= 0)
        a->used[idx] = 1;
    return idx >= 0 ? idx : -1;
}

static void fill_id(const map_rule *r, const mapping *m, attrs *a,
                    const layer_def *to, const char *src_layer, long long fid,
                    row *out)
{
    static const char *const dflt_attrs[] = {"id", "osm_id", "@id"};
    static const map_value dflt = {MV_ATTRS, (char **)dflt_attrs, 3, NULL,
                                   NULL, NULL, NULL, NULL, 0};
    const map_value *v = r->id.kind ? &r->id : m->id.kind ? &m->id : &dflt;
    char val[512], id[768];
    if (eval(v, a, val, sizeof val) >= -1) {
        if (r->id_prefix)
            snprintf(id, sizeof id, "%s%s", r->id_prefix, val);
        else
            snprintf(id, sizeof id, "%s:%s:%s", to->id, src_layer, val);
    } else {
        snprintf(id, sizeof id, "%s:%s:f%lld", to->id, src_layer, fid);
    }
    row_set_text(out, "id", id, -1);
}

void map_rule_fill(const map_rule *r, const mapping *m, attrs *a,
                   const char *src_layer, long long fid,
                   const char *file_source, row *out)
{
    char val[2048];
    const layer_def *to = out->layer;
    fill_id(r, m, a, to, src_layer, fid, out);
    const map_value *src = r->source.kind ? &r->source : &m->source;
    int si = eval(src, a, val, sizeof val);
    row_set_text(out, "source", si >= -1 ? val : file_source, si);
    row_set_text(out, "src_layer", src_layer, -1);
    if (r->fields_same) {
        for (int c = 0; c < out->ncols; c++) {
            const char *col = out->name[c];
            /* a native district is kept; rows without one get it computed */
            if (!strcmp(col, "id") || !strcmp(col, "src_layer") ||
                !strcmp(col, "props"))
                continue;
            int i = attrs_find(a, col);
            double v;
            if (i < 0)
                continue;
            a->used[i] = 1;
            /* a number into a numeric column: no detour through text */
            int c2 = row_col(out, col);
            if (attrs_num(a, i, &v) && !strcmp(out->sqltype[c2], "REAL"))
                row_set_real(out, col, v);
            else if (attrs_num(a, i, &v) && !strcmp(out->sqltype[c2], "INTEGER") &&
                     strcmp(col, "oneway") && strcmp(col, "bridge") && strcmp(col, "tunnel"))
                row_set_int(out, col, llround(v));
            else
                row_set_text(out, col, attrs_val(a, i), i);
        }
        /* the native id column is the public id itself */
        return;
    }
    for (int f = 0; f < r->nfields; f++) {
        int i = eval(&r->fields[f].v, a, val, sizeof val);
        if (i >= -1)
            row_set_text(out, r->fields[f].column, val, i);
    }
}

/* Is dir/osm.json there? */
static int has_mappings(const char *dir)
{
    char p[PATH_MAX];
    struct stat sb;
    if (snprintf(p, sizeof p, "%s/osm.json", dir) >= (int)sizeof p)
        return 0;
    return stat(p, &sb) == 0;
}

const char *mapping_builtin_dir(void)
{
    static char found[PATH_MAX];
    const char *env = getenv("CITYTWIN_MAPPING_DIR");
    if (env && *env && has_mappings(env))
        return env;
    if (has_mappings("data/mapping"))
        return "data/mapping";
    /* beside or above the program: build/citytwin -> data/mapping */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    for (int up = 0; up < 5; up++) {
        char *slash = strrchr(exe, '/');
        if (!slash)
            break;
        *slash = '\0';
        if (snprintf(found, sizeof found, "%s/data/mapping", exe) <
                (int)sizeof found && has_mappings(found))
            return found;
    }
    return NULL;
}

static char *read_file(const char *path, ct_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        ct_fail(err, CT_ENOTFOUND, "mapping %s: cannot open: %m", path);
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0, got;
    char chunk[8192];
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + got + 1 > cap) {
            cap = (len + got + 1) * 2;
            char *b = realloc(buf, cap);
            if (!b) {
                free(buf);
                fclose(f);
                ct_fail(err, CT_ENOMEM, "mapping %s: out of memory", path);
                return NULL;
            }
            buf = b;
        }
        memcpy(buf + len, chunk, got);
        len += got;
    }
    fclose(f);
    if (!buf) {
        ct_fail(err, CT_EFORMAT, "mapping %s: empty file", path);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

int mapping_load(const char *name_or_path, mapping **out, ct_err *err)
{
    char path[PATH_MAX];
    *out = NULL;
    if (strchr(name_or_path, '/') || strstr(name_or_path, ".json")) {
        snprintf(path, sizeof path, "%s", name_or_path);
    } else {
        const char *dir = mapping_builtin_dir();
        if (!dir)
            return ct_fail(err, CT_ENOTFOUND,
                           "mapping '%s': built-in mappings not found (no data/mapping "
                           "here or beside the program; set CITYTWIN_MAPPING_DIR)",
                           name_or_path);
        struct stat sb;
        if (snprintf(path, sizeof path, "%s/%s.json", dir, name_or_path) >=
                (int)sizeof path || stat(path, &sb) != 0)
            return ct_fail(err, CT_ENOTFOUND,
                           "mapping '%s': no such built-in mapping (%s)",
                           name_or_path, path);
    }
    char *text = read_file(path, err);
    if (!text)
        return err ? err->code : CT_EIO;
    int rc = mapping_parse(text, path, out, err);
    free(text);
    return rc;
}
