/* tiles/features.c: per-tile feature table (see features.h). */
#include "tiles/features.h"

#include <stdlib.h>
#include <string.h>

#include "core/ct_error.h"

const char *const FT_STR_NAMES[FT_NSTR] = {"id", "name", "kind", "district",
                                            "source", "building"};

void ftable_init(ftable *t)
{
    memset(t, 0, sizeof *t);
}

void ftable_free(ftable *t)
{
    for (int c = 0; c < FT_NSTR; c++) {
        free(t->s[c].buf);
        free(t->s[c].off);
    }
    free(t->height);
    free(t->levels);
    ftable_init(t);
}

void ftable_reset(ftable *t)
{
    t->n = 0;
    for (int c = 0; c < FT_NSTR; c++) {
        t->s[c].len = 0;
        if (t->s[c].off)
            t->s[c].off[0] = 0;
    }
}

static int grow_rows(ftable *t)
{
    int nc = t->cap ? t->cap * 2 : 256;
    for (int c = 0; c < FT_NSTR; c++) {
        uint32_t *o = realloc(t->s[c].off, sizeof(uint32_t) * ((size_t)nc + 1));
        if (!o)
            return CT_ENOMEM;
        if (!t->s[c].off)
            o[0] = 0;
        t->s[c].off = o;
    }
    float *h = realloc(t->height, sizeof(float) * (size_t)nc);
    if (!h)
        return CT_ENOMEM;
    t->height = h;
    uint16_t *l = realloc(t->levels, sizeof(uint16_t) * (size_t)nc);
    if (!l)
        return CT_ENOMEM;
    t->levels = l;
    t->cap = nc;
    return CT_OK;
}

int ftable_add(ftable *t, const char *const str[FT_NSTR], float height,
               int levels)
{
    if (t->n >= t->cap && grow_rows(t))
        return CT_ENOMEM;
    for (int c = 0; c < FT_NSTR; c++) {
        fstrcol *s = &t->s[c];
        size_t k = str[c] ? strlen(str[c]) : 0;
        if (s->len + k > s->cap) {
            size_t nc = s->cap ? s->cap * 2 : 4096;
            while (nc < s->len + k)
                nc *= 2;
            char *b = realloc(s->buf, nc);
            if (!b)
                return CT_ENOMEM;
            s->buf = b;
            s->cap = nc;
        }
        if (k)
            memcpy(s->buf + s->len, str[c], k);
        s->len += k;
        s->off[t->n + 1] = (uint32_t)s->len;
    }
    t->height[t->n] = height;
    t->levels[t->n] = levels > 0 && levels < 65535 ? (uint16_t)levels : 0;
    return t->n++;
}

const char *ftable_str(const ftable *t, int c, int i, size_t *len)
{
    *len = t->s[c].off[i + 1] - t->s[c].off[i];
    return t->s[c].buf ? t->s[c].buf + t->s[c].off[i] : "";
}
