/* spatial/row.c: one row of a store layer (see row.h). */
#include "spatial/row.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void row_init(row *r, const layer_def *l)
{
    memset(r, 0, sizeof *r);
    r->layer = l;
    for (const layer_column *c = LAYER_COMMON; c->name && r->ncols < ROW_MAX_COLS; c++) {
        r->name[r->ncols] = c->name;
        r->sqltype[r->ncols++] = c->sqltype;
    }
    for (const layer_column *c = l->extra; c->name && r->ncols < ROW_MAX_COLS; c++) {
        r->name[r->ncols] = c->name;
        r->sqltype[r->ncols++] = c->sqltype;
    }
    row_clear(r);
}

void row_free(row *r)
{
    free(r->buf);
    r->buf = NULL;
    r->len = r->cap = 0;
}

void row_clear(row *r)
{
    for (int i = 0; i < r->ncols; i++) {
        r->type[i] = ROW_NULL;
        r->attr[i] = -1;
    }
    r->len = 0;
}

int row_col(const row *r, const char *name)
{
    for (int i = 0; i < r->ncols; i++)
        if (strcmp(r->name[i], name) == 0)
            return i;
    return -1;
}

int row_set_text(row *r, const char *col, const char *text, int attr)
{
    int i = row_col(r, col);
    if (i < 0 || !text)
        return -1;
    size_t n = strlen(text);
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 1024;
        while (cap < r->len + n + 1)
            cap *= 2;
        char *b = realloc(r->buf, cap);
        if (!b)
            return -1;
        r->buf = b;
        r->cap = cap;
    }
    memcpy(r->buf + r->len, text, n + 1);
    r->off[i] = r->len;
    r->len += n + 1;
    r->type[i] = ROW_TEXT;
    r->attr[i] = attr;
    return i;
}

int row_set_real(row *r, const char *col, double v)
{
    int i = row_col(r, col);
    if (i < 0 || !isfinite(v))
        return -1;
    r->type[i] = ROW_REAL;
    r->real[i] = v;
    return i;
}

int row_set_int(row *r, const char *col, long long v)
{
    int i = row_col(r, col);
    if (i < 0)
        return -1;
    r->type[i] = ROW_INT;
    r->integer[i] = v;
    return i;
}

const char *row_text(const row *r, int col)
{
    if (col < 0 || r->type[col] != ROW_TEXT)
        return NULL;
    return r->buf + r->off[col];
}

int row_num(const row *r, int col, double *v)
{
    if (col < 0)
        return 0;
    if (r->type[col] == ROW_REAL)
        *v = r->real[col];
    else if (r->type[col] == ROW_INT)
        *v = (double)r->integer[col];
    else
        return 0;
    return 1;
}

int row_parse_length(const char *s, double *m)
{
    char tmp[64];
    size_t n = 0;
    while (isspace((unsigned char)*s))
        s++;
    /* copy, turning a decimal comma into a point ("3,5 m") */
    for (; s[n] && n < sizeof tmp - 1; n++)
        tmp[n] = s[n] == ',' ? '.' : s[n];
    tmp[n] = '\0';
    char *end;
    double v = strtod(tmp, &end);
    if (end == tmp || !isfinite(v))
        return 0;
    while (isspace((unsigned char)*end))
        end++;
    if (*end == '\0' || !strcasecmp(end, "m") || !strcasecmp(end, "meter") ||
        !strcasecmp(end, "meters") || !strcasecmp(end, "metre") ||
        !strcasecmp(end, "metres") || !strcmp(end, "米"))
        *m = v;
    else if (!strcasecmp(end, "ft") || !strcasecmp(end, "feet") ||
             !strcmp(end, "'"))
        *m = v * 0.3048;
    else
        return 0;
    return 1;
}

int row_parse_oneway(const char *s)
{
    if (!s)
        return 0;
    if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcmp(s, "1"))
        return 1;
    if (!strcmp(s, "-1") || !strcasecmp(s, "reverse"))
        return -1;
    return 0;
}

int row_parse_flag(const char *s)
{
    if (!s || !*s || !strcasecmp(s, "no") || !strcasecmp(s, "false") ||
        !strcmp(s, "0"))
        return 0;
    return 1;
}

static int parse_int(const char *s, long long *v)
{
    char *end;
    double d = strtod(s, &end);
    while (isspace((unsigned char)*end))
        end++;
    if (end == s || *end || !isfinite(d) || fabs(d) > 9e15)
        return 0;
    *v = (long long)llround(d);
    return 1;
}

void row_coerce(row *r, int *bad, int *nbad)
{
    *nbad = 0;
    for (int i = 0; i < r->ncols; i++) {
        if (r->type[i] != ROW_TEXT)
            continue;
        const char *t = r->buf + r->off[i];
        const char *name = r->name[i];
        int ok = 1;
        if (!strcmp(name, "oneway")) {
            r->integer[i] = row_parse_oneway(t);
            r->type[i] = ROW_INT;
        } else if (!strcmp(name, "bridge") || !strcmp(name, "tunnel")) {
            r->integer[i] = row_parse_flag(t);
            r->type[i] = ROW_INT;
        } else if (!strcmp(r->sqltype[i], "REAL")) {
            ok = row_parse_length(t, &r->real[i]);
            r->type[i] = ok ? ROW_REAL : ROW_NULL;
        } else if (!strcmp(r->sqltype[i], "INTEGER")) {
            ok = parse_int(t, &r->integer[i]);
            r->type[i] = ok ? ROW_INT : ROW_NULL;
        }
        if (!ok && r->attr[i] >= 0)
            bad[(*nbad)++] = r->attr[i];
    }
}
