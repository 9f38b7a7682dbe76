/* spatial/attrs.c: feature attributes as key/value text (see attrs.h). */
#include "spatial/attrs.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void attrs_init(attrs *a)
{
    memset(a, 0, sizeof *a);
}

void attrs_free(attrs *a)
{
    free(a->buf);
    free(a->key);
    free(a->val);
    free(a->type);
    free(a->used);
    free(a->num);
    free(a->isnum);
    attrs_init(a);
}

void attrs_reset(attrs *a)
{
    a->len = 0;
    a->n = 0;
}

/* Append n bytes and a NUL; returns the offset or (size_t)-1. */
static size_t put(attrs *a, const char *s, size_t n)
{
    if (a->len + n + 1 > a->cap) {
        size_t cap = a->cap ? a->cap : 1024;
        while (cap < a->len + n + 1)
            cap *= 2;
        char *b = realloc(a->buf, cap);
        if (!b)
            return (size_t)-1;
        a->buf = b;
        a->cap = cap;
    }
    size_t off = a->len;
    memcpy(a->buf + off, s, n);
    a->buf[off + n] = '\0';
    a->len += n + 1;
    return off;
}

static int grow(attrs *a)
{
    if (a->n < a->ncap)
        return 0;
    int cap = a->ncap ? a->ncap * 2 : 32;
    size_t *k = realloc(a->key, sizeof *k * (size_t)cap);
    if (k)
        a->key = k;
    size_t *v = realloc(a->val, sizeof *v * (size_t)cap);
    if (v)
        a->val = v;
    unsigned char *t = realloc(a->type, (size_t)cap);
    if (t)
        a->type = t;
    unsigned char *u = realloc(a->used, (size_t)cap);
    if (u)
        a->used = u;
    double *d = realloc(a->num, sizeof *d * (size_t)cap);
    if (d)
        a->num = d;
    unsigned char *b = realloc(a->isnum, (size_t)cap);
    if (b)
        a->isnum = b;
    if (!k || !v || !t || !u || !d || !b)
        return -1;
    a->ncap = cap;
    return 0;
}

static int add_n(attrs *a, const char *key, size_t kn, const char *val,
                 size_t vn, int type)
{
    if (vn == 0)
        return -1;
    if (grow(a))
        return -2;
    size_t ko = put(a, key, kn);
    size_t vo = ko == (size_t)-1 ? ko : put(a, val, vn);
    if (vo == (size_t)-1)
        return -2;
    /* a later duplicate key (other_tags repeating a column) is ignored */
    int i = a->n;
    a->key[i] = ko;
    a->val[i] = vo;
    a->type[i] = (unsigned char)type;
    a->isnum[i] = 0;
    a->used[i] = 0;
    a->n++;
    return i;
}

int attrs_add_num(attrs *a, const char *key, double v, int type)
{
    if (grow(a))
        return -2;
    size_t ko = put(a, key, strlen(key));
    if (ko == (size_t)-1)
        return -2;
    int i = a->n++;
    a->key[i] = ko;
    a->val[i] = ATTRS_NO_TEXT;
    a->num[i] = v;
    a->isnum[i] = 1;
    a->type[i] = (unsigned char)type;
    a->used[i] = 0;
    return i;
}

int attrs_num(const attrs *a, int i, double *v)
{
    if (!a->isnum[i])
        return 0;
    *v = a->num[i];
    return 1;
}

int attrs_add(attrs *a, const char *key, const char *value, int type)
{
    if (!value)
        return -1;
    return add_n(a, key, strlen(key), value, strlen(value), type);
}

/* Read one "quoted" hstore string at *p into out (unescaping \" and \\);
 * returns its length or -1. */
static long read_quoted(const char **p, char *out)
{
    const char *s = *p;
    if (*s != '"')
        return -1;
    s++;
    long n = 0;
    while (*s && *s != '"') {
        if (*s == '\\' && s[1])
            s++;
        out[n++] = *s++;
    }
    if (*s != '"')
        return -1;
    *p = s + 1;
    return n;
}

int attrs_add_hstore(attrs *a, const char *text)
{
    if (!text)
        return 0;
    size_t tl = strlen(text);
    char *k = malloc(tl + 1), *v = malloc(tl + 1);
    int added = 0;
    const char *p = text;
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    for (;;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        long kn = read_quoted(&p, k);
        while (*p == ' ')
            p++;
        if (kn < 0 || strncmp(p, "=>", 2) != 0) {
            added = -1;
            break;
        }
        p += 2;
        while (*p == ' ')
            p++;
        long vn = read_quoted(&p, v);
        if (vn < 0) {
            added = -1;
            break;
        }
        k[kn] = '\0';
        if (attrs_find(a, k) < 0 &&
            add_n(a, k, (size_t)kn, v, (size_t)vn, ATTRS_TEXT) >= 0)
            added++;
    }
    free(k);
    free(v);
    return added;
}

int attrs_find(const attrs *a, const char *key)
{
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->buf + a->key[i], key) == 0)
            return i;
    return -1;
}

const char *attrs_key(const attrs *a, int i)
{
    return a->buf + a->key[i];
}

/* Shortest text that reads back as the same double (as GDAL does). */
static void format_num(double v, int type, char *out, size_t n)
{
    if (type == ATTRS_INT && v >= -9e15 && v <= 9e15 && v == (double)(long long)v) {
        snprintf(out, n, "%lld", (long long)v);
        return;
    }
    snprintf(out, n, "%.15g", v);
    if (strtod(out, NULL) != v)
        snprintf(out, n, "%.17g", v);
}

const char *attrs_val(attrs *a, int i)
{
    if (a->val[i] == ATTRS_NO_TEXT) {
        char tmp[40];
        format_num(a->num[i], a->type[i], tmp, sizeof tmp);
        size_t off = put(a, tmp, strlen(tmp));
        if (off == (size_t)-1)
            return "";
        a->val[i] = off;
    }
    return a->buf + a->val[i];
}

const char *attrs_get(attrs *a, const char *key)
{
    int i = attrs_find(a, key);
    return i < 0 ? NULL : attrs_val(a, i);
}

char *attrs_props_json(const attrs *a)
{
    json_t *o = NULL;
    for (int i = 0; i < a->n; i++) {
        if (a->used[i])
            continue;
        json_t *j;
        char *end;
        if (a->isnum[i]) {
            j = a->type[i] == ATTRS_INT ? json_integer((json_int_t)a->num[i])
                                        : json_real(a->num[i]);   /* NULL for NaN */
            if (!j)
                continue;
            if (!o)
                o = json_object();
            json_object_set_new(o, attrs_key(a, i), j);
            continue;
        }
        const char *v = a->buf + a->val[i];
        if (a->type[i] == ATTRS_INT) {
            long long x = strtoll(v, &end, 10);
            j = *end ? json_string(v) : json_integer(x);
        } else if (a->type[i] == ATTRS_REAL) {
            double x = strtod(v, &end);
            j = *end ? json_string(v) : json_real(x);
        } else {
            j = json_string(v);   /* NULL when not UTF-8: dropped */
        }
        if (!j)
            continue;
        if (!o)
            o = json_object();
        json_object_set_new(o, attrs_key(a, i), j);
    }
    if (!o)
        return NULL;
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}
