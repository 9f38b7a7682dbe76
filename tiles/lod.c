/* tiles/lod.c: top-K boxes for parent tiles (see lod.h). */
#include "tiles/lod.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ct_error.h"

void lod_init(lod_set *s, int k)
{
    memset(s, 0, sizeof *s);
    s->k = k;
}

static void item_free(lod_item *it)
{
    for (int c = 0; c < FT_NSTR; c++)
        free(it->str[c]);
}

void lod_free(lod_set *s)
{
    for (int i = 0; i < s->n; i++)
        item_free(&s->it[i]);
    free(s->it);
    lod_init(s, s->k);
}

static void sift_down(lod_set *s, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->n && s->it[l].imp < s->it[m].imp)
            m = l;
        if (r < s->n && s->it[r].imp < s->it[m].imp)
            m = r;
        if (m == i)
            return;
        lod_item t = s->it[i];
        s->it[i] = s->it[m];
        s->it[m] = t;
        i = m;
    }
}

static void sift_up(lod_set *s, int i)
{
    while (i > 0) {
        int p = (i - 1) / 2;
        if (s->it[p].imp <= s->it[i].imp)
            return;
        lod_item t = s->it[i];
        s->it[i] = s->it[p];
        s->it[p] = t;
        i = p;
    }
}

int lod_wants(lod_set *s, double imp)
{
    if (s->k <= 0 || (s->n >= s->k && imp <= s->it[0].imp)) {
        if (imp > s->omitted)
            s->omitted = imp;
        return 0;
    }
    return 1;
}

/* Insert an item the heap wants (evicting the smallest when full). */
static int push(lod_set *s, lod_item *it)
{
    if (s->n >= s->k) {
        if (s->it[0].imp > s->omitted)
            s->omitted = s->it[0].imp;
        item_free(&s->it[0]);
        s->it[0] = *it;
        sift_down(s, 0);
        return CT_OK;
    }
    if (s->n == s->cap) {
        int nc = s->cap ? s->cap * 2 : 64;
        lod_item *q = realloc(s->it, sizeof *q * (size_t)nc);
        if (!q)
            return CT_ENOMEM;
        s->it = q;
        s->cap = nc;
    }
    s->it[s->n++] = *it;
    sift_up(s, s->n - 1);
    return CT_OK;
}

double lod_area(const fp_geom *g)
{
    double a = 0;
    for (int r = 0; r < g->nrings; r++)
        a += fp_ring_area(g, r);  /* holes are clockwise: negative */
    return fabs(a);
}

/* Bounding rectangle of the outer rings along the longest outer edge. */
static void oriented_box(const fp_geom *g, double out[8])
{
    double dx = 1, dy = 0, best = -1;
    for (int p = 0; p < g->npolys; p++) {
        int r = g->poly_r0[p], n = g->ring_n[r];
        const double *q = g->pt + 2 * g->ring_off[r];
        for (int k = 0; k < n; k++) {
            double ex = q[2 * ((k + 1) % n)] - q[2 * k];
            double ey = q[2 * ((k + 1) % n) + 1] - q[2 * k + 1];
            double l = ex * ex + ey * ey;
            if (l > best) {
                best = l;
                dx = ex;
                dy = ey;
            }
        }
    }
    double l = sqrt(dx * dx + dy * dy);
    dx /= l;
    dy /= l;
    double u0 = INFINITY, u1 = -INFINITY, v0 = INFINITY, v1 = -INFINITY;
    for (int p = 0; p < g->npolys; p++) {
        int r = g->poly_r0[p];
        const double *q = g->pt + 2 * g->ring_off[r];
        for (int k = 0; k < g->ring_n[r]; k++) {
            double u = q[2 * k] * dx + q[2 * k + 1] * dy;
            double v = -q[2 * k] * dy + q[2 * k + 1] * dx;
            u0 = fmin(u0, u);
            u1 = fmax(u1, u);
            v0 = fmin(v0, v);
            v1 = fmax(v1, v);
        }
    }
    double uv[8] = {u0, v0, u1, v0, u1, v1, u0, v1};
    for (int c = 0; c < 4; c++) {
        out[2 * c] = uv[2 * c] * dx - uv[2 * c + 1] * dy;
        out[2 * c + 1] = uv[2 * c] * dy + uv[2 * c + 1] * dx;
    }
}

int lod_offer(lod_set *s, double imp, const fp_geom *g, double lon0,
              double lat0, double rn, double rm, double zmin, double ztop,
              float height, int levels, const char *const str[FT_NSTR])
{
    if (!lod_wants(s, imp) || g->npolys == 0)
        return CT_OK;
    lod_item it;
    memset(&it, 0, sizeof it);
    double box[8];
    oriented_box(g, box);
    /* local metres -> degrees, first order about the tile centre (cm at
     * a km: plenty for a coarse box) */
    double k_lon = 180.0 / (M_PI * rn * cos(lat0 * M_PI / 180.0));
    double k_lat = 180.0 / (M_PI * rm);
    for (int c = 0; c < 4; c++) {
        it.ll[2 * c] = lon0 + box[2 * c] * k_lon;
        it.ll[2 * c + 1] = lat0 + box[2 * c + 1] * k_lat;
    }
    it.imp = imp;
    it.zmin = zmin;
    it.ztop = ztop;
    it.height = height;
    it.levels = levels;
    for (int c = 0; c < FT_NSTR; c++)
        if (str[c] && str[c][0] && !(it.str[c] = strdup(str[c]))) {
            item_free(&it);
            return CT_ENOMEM;
        }
    int rc = push(s, &it);
    if (rc)
        item_free(&it);
    return rc;
}

int lod_merge(lod_set *s, lod_set *from)
{
    int rc = CT_OK;
    if (from->omitted > s->omitted)
        s->omitted = from->omitted;
    for (int i = 0; i < from->n; i++) {
        lod_item *it = &from->it[i];
        if (rc || !lod_wants(s, it->imp)) {
            item_free(it);
            continue;
        }
        rc = push(s, it);
        if (rc)
            item_free(it);
    }
    from->n = 0;
    lod_free(from);
    return rc;
}

static int cmp_id(const void *a, const void *b)
{
    const char *x = ((const lod_item *)a)->str[FT_ID];
    const char *y = ((const lod_item *)b)->str[FT_ID];
    return strcmp(x ? x : "", y ? y : "");
}

void lod_sort(lod_set *s)
{
    qsort(s->it, (size_t)s->n, sizeof *s->it, cmp_id);
}
