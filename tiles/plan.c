/* tiles/plan.c: grid counts and the quadtree over them (see plan.h). */
#include "tiles/plan.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiles/extrude.h"
#include "tiles/footprint.h"

void plan_anchor(const double mbr[4], double *x, double *y)
{
    *x = 0.5 * (mbr[0] + mbr[2]);
    *y = 0.5 * (mbr[1] + mbr[3]);
}

void plan_cell(const plan *p, double x, double y, int *gx, int *gy)
{
    double fx = floor((x - p->x0) / p->cw), fy = floor((y - p->y0) / p->ch);
    *gx = fx < 0 ? 0 : fx >= PLAN_GRID ? PLAN_GRID - 1 : (int)fx;
    *gy = fy < 0 ? 0 : fy >= PLAN_GRID ? PLAN_GRID - 1 : (int)fy;
}

void plan_bounds(const plan *p, const plan_node *n, double b[4])
{
    b[0] = p->x0 + n->gx * p->cw;
    b[1] = p->y0 + n->gy * p->ch;
    b[2] = p->x0 + (n->gx + n->gsize) * p->cw;
    b[3] = p->y0 + (n->gy + n->gsize) * p->ch;
}

double plan_extent_m(const plan *p, const plan_node *n)
{
    double b[4];
    plan_bounds(p, n, b);
    double lat = 0.5 * (b[1] + b[3]) * M_PI / 180.0;
    double w = (b[2] - b[0]) * 111320.0 * cos(lat), h = (b[3] - b[1]) * 110574.0;
    return w > h ? w : h;
}

int plan_owns(const plan_node *n, int gx, int gy)
{
    return gx >= n->gx && gx < n->gx + n->gsize && gy >= n->gy &&
           gy < n->gy + n->gsize;
}

void plan_free(plan *p)
{
    free(p->nodes);
    memset(p, 0, sizeof *p);
}

static int table_exists(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st;
    int ok = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE name=?", -1,
                           &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        ok = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    return ok;
}

/* Bbox of the anchors of all layers, from each layer's R*Tree. */
static int city_bbox(sqlite3 *db, const char *const *layers, double b[4])
{
    int any = 0;
    for (const char *const *l = layers; *l; l++) {
        char sql[256], idx[96];
        snprintf(idx, sizeof idx, "idx_%s_geom", *l);
        if (!table_exists(db, idx))
            continue;
        snprintf(sql, sizeof sql,
                 "SELECT min((xmin+xmax)/2), min((ymin+ymax)/2),"
                 " max((xmin+xmax)/2), max((ymin+ymax)/2) FROM \"%s\"", idx);
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
            return CT_EIO;
        if (sqlite3_step(st) == SQLITE_ROW &&
            sqlite3_column_type(st, 0) != SQLITE_NULL) {
            double v[4];
            for (int i = 0; i < 4; i++)
                v[i] = sqlite3_column_double(st, i);
            if (!any) {
                memcpy(b, v, sizeof v);
            } else {
                b[0] = fmin(b[0], v[0]);
                b[1] = fmin(b[1], v[1]);
                b[2] = fmax(b[2], v[2]);
                b[3] = fmax(b[3], v[3]);
            }
            any = 1;
        }
        sqlite3_finalize(st);
    }
    return any;
}

/* Count every feature of one layer into the grid. */
static int count_layer(sqlite3 *db, const char *layer, plan *p, uint32_t *cnt,
                       uint32_t *tri, ct_err *err)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT geom, coalesce(min_height, 0) > 0 FROM \"%s\"", layer);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return ct_fail(err, CT_EIO, "tiles: cannot read layer %s: %s", layer,
                       sqlite3_errmsg(db));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *blob = sqlite3_column_blob(st, 0);
        int size = sqlite3_column_bytes(st, 0);
        double mbr[4], x, y;
        int np, nr, gx, gy;
        if (fp_blob_summary(blob, size, mbr, &np, &nr)) {
            p->unreadable++;  /* no anchor: reported, never tiled */
            continue;
        }
        plan_anchor(mbr, &x, &y);
        plan_cell(p, x, y, &gx, &gy);
        size_t k = (size_t)gy * PLAN_GRID + (size_t)gx;
        long t = extrude_triangle_bound(np, nr, sqlite3_column_int(st, 1));
        cnt[k]++;
        tri[k] = tri[k] + t > UINT32_MAX ? UINT32_MAX : tri[k] + (uint32_t)t;
        p->features++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ct_fail(err, CT_EIO, "tiles: reading layer %s: %s", layer,
                       sqlite3_errmsg(db));
    return CT_OK;
}

typedef struct sat {   /* summed-area tables of the grid */
    int64_t *c, *t;
} sat;

static void sat_sum(const sat *s, int gx, int gy, int size, long *c, long *t)
{
    const int W = PLAN_GRID + 1;
    int x1 = gx + size, y1 = gy + size;
    *c = (long)(s->c[y1 * W + x1] - s->c[gy * W + x1] - s->c[y1 * W + gx] +
                s->c[gy * W + gx]);
    *t = (long)(s->t[y1 * W + x1] - s->t[gy * W + x1] - s->t[y1 * W + gx] +
                s->t[gy * W + gx]);
}

static int add_node(plan *p, int parent, int level, int gx, int gy, int size,
                    long c, long t)
{
    if (p->n == p->cap) {
        int nc = p->cap ? p->cap * 2 : 64;
        plan_node *q = realloc(p->nodes, sizeof *q * (size_t)nc);
        if (!q)
            return -1;
        p->nodes = q;
        p->cap = nc;
    }
    plan_node *n = &p->nodes[p->n];
    memset(n, 0, sizeof *n);
    n->level = level;
    n->gx = gx;
    n->gy = gy;
    n->gsize = size;
    n->tx = gx / size;
    n->ty = gy / size;
    n->count = c;
    n->tris = t;
    n->parent = parent;
    return p->n++;
}

static int split(plan *p, const sat *s, int k, long max_tris, long max_feat)
{
    plan_node n = p->nodes[k];
    if (n.gsize == 1 || (n.count <= max_feat && n.tris <= max_tris &&
                         plan_extent_m(p, &n) <= PLAN_MAX_LEAF_M))
        return 0;
    int h = n.gsize / 2;
    for (int q = 0; q < 4; q++) {
        int gx = n.gx + (q & 1) * h, gy = n.gy + (q >> 1) * h;
        long c, t;
        sat_sum(s, gx, gy, h, &c, &t);
        if (c == 0)
            continue;
        int ck = add_node(p, k, n.level + 1, gx, gy, h, c, t);
        if (ck < 0)
            return -1;
        p->nodes[k].child[p->nodes[k].nchild++] = ck;
        if (split(p, s, ck, max_tris, max_feat))
            return -1;
    }
    return 0;
}

int plan_build(sqlite3 *db, const char *const *layers, long max_tris,
               long max_features, plan *p, ct_err *err)
{
    memset(p, 0, sizeof *p);
    double b[4] = {0, 0, 0, 0};
    int any = city_bbox(db, layers, b);
    if (any < 0)
        return ct_fail(err, CT_EIO, "tiles: cannot read the spatial index: %s",
                       sqlite3_errmsg(db));
    if (!any)
        return CT_OK;  /* no features: an empty tree */
    /* Pad so anchors (whose R*Tree copy is float-rounded) fall inside. */
    double pad = 1e-5 + 1e-6 * fmax(b[2] - b[0], b[3] - b[1]);
    p->x0 = b[0] - pad;
    p->y0 = b[1] - pad;
    p->x1 = b[2] + pad;
    p->y1 = b[3] + pad;
    p->cw = (p->x1 - p->x0) / PLAN_GRID;
    p->ch = (p->y1 - p->y0) / PLAN_GRID;
    size_t cells = (size_t)PLAN_GRID * PLAN_GRID;
    uint32_t *cnt = calloc(cells, sizeof *cnt), *tri = calloc(cells, sizeof *tri);
    const size_t W = PLAN_GRID + 1;
    sat s = {calloc(W * W, sizeof(int64_t)), calloc(W * W, sizeof(int64_t))};
    int rc = CT_OK;
    if (!cnt || !tri || !s.c || !s.t) {
        rc = ct_fail(err, CT_ENOMEM, "tiles: out of memory planning the tree");
        goto done;
    }
    for (const char *const *l = layers; *l && rc == CT_OK; l++)
        if (table_exists(db, *l))
            rc = count_layer(db, *l, p, cnt, tri, err);
    if (rc)
        goto done;
    for (size_t y = 0; y < PLAN_GRID; y++)
        for (size_t x = 0; x < PLAN_GRID; x++) {
            size_t k = y * PLAN_GRID + x;
            s.c[(y + 1) * W + x + 1] = cnt[k] + s.c[y * W + x + 1] +
                                       s.c[(y + 1) * W + x] - s.c[y * W + x];
            s.t[(y + 1) * W + x + 1] = tri[k] + s.t[y * W + x + 1] +
                                       s.t[(y + 1) * W + x] - s.t[y * W + x];
        }
    long c, t;
    sat_sum(&s, 0, 0, PLAN_GRID, &c, &t);
    if (c > 0 && (add_node(p, -1, 0, 0, 0, PLAN_GRID, c, t) < 0 ||
                  split(p, &s, 0, max_tris, max_features)))
        rc = ct_fail(err, CT_ENOMEM, "tiles: out of memory planning the tree");
done:
    free(cnt);
    free(tri);
    free(s.c);
    free(s.t);
    return rc;
}
