/* tiles/basemap_tile.c: render one XYZ tile of the base map: query each
 * style rule's features through the layer's R*Tree, project them to the
 * tile's Web Mercator pixels, rasterize (basemap_raster.c) and write PNG
 * with GDAL. One bm_worker per thread, each with its own store connection. */
#include "tiles/basemap_internal.h"

#include <gdal.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spatial/store.h"

#define BM_MAX_LAT 85.0511287798066

void bm_lonlat_to_px(double lon, double lat, int z, int size, double *px,
                     double *py)
{
    double ws = ldexp((double)size, z);
    if (lat > BM_MAX_LAT)
        lat = BM_MAX_LAT;
    if (lat < -BM_MAX_LAT)
        lat = -BM_MAX_LAT;
    double s = sin(lat * M_PI / 180);
    *px = (lon + 180) / 360 * ws;
    *py = (0.5 - log((1 + s) / (1 - s)) / (4 * M_PI)) * ws;
}

void bm_tile_of(double lon, double lat, int z, int *tx, int *ty)
{
    double px, py;
    int n = 1 << z;
    bm_lonlat_to_px(lon, lat, z, 1, &px, &py);
    *tx = (int)floor(px);
    *ty = (int)floor(py);
    *tx = *tx < 0 ? 0 : *tx >= n ? n - 1 : *tx;
    *ty = *ty < 0 ? 0 : *ty >= n ? n - 1 : *ty;
}

static double px_to_lon(double px, int z)
{
    return px / ldexp(1, z) * 360 - 180;
}

static double py_to_lat(double py, int z)
{
    return atan(sinh(M_PI * (1 - 2 * py / ldexp(1, z)))) * 180 / M_PI;
}

void bm_tile_bounds(int z, int x, int y, double b[4])
{
    b[0] = px_to_lon(x, z);
    b[1] = py_to_lat(y + 1, z);
    b[2] = px_to_lon(x + 1, z);
    b[3] = py_to_lat(y, z);
}

int bm_worker_open(bm_worker *w, const char *store_path, const bm_style *s,
                   int tile_size, ct_err *err)
{
    memset(w, 0, sizeof *w);
    w->style = s;
    w->tile_size = tile_size;
    int rc = store_open(store_path, STORE_READONLY, &w->db, err);
    if (rc)
        return rc;
    w->stmts = calloc((size_t)s->n_rules, sizeof *w->stmts);
    if (!w->stmts || bm_canvas_init(&w->canvas, tile_size, tile_size)) {
        bm_worker_close(w);
        return ct_fail(err, CT_ENOMEM, "basemap: out of memory");
    }
    for (int i = 0; i < s->n_rules; i++)
        if (sqlite3_prepare_v2(w->db, s->rules[i].sql, -1, &w->stmts[i],
                               NULL) != SQLITE_OK) {
            rc = ct_fail(err, CT_EFORMAT,
                         "store %s: cannot query layer %s for style rule %s: "
                         "%s", store_path, s->rules[i].layer, s->rules[i].id,
                         sqlite3_errmsg(w->db));
            bm_worker_close(w);
            return rc;
        }
    return CT_OK;
}

void bm_worker_close(bm_worker *w)
{
    if (w->stmts && w->style)
        for (int i = 0; i < w->style->n_rules; i++)
            sqlite3_finalize(w->stmts[i]);
    free(w->stmts);
    free(w->pts);
    bm_canvas_free(&w->canvas);
    store_close(w->db);
    memset(w, 0, sizeof *w);
}

/* ---- WKB walking ------------------------------------------------------ */

typedef struct wkb {
    const uint8_t *p, *end;
    int swap;          /* byte order differs from the host's */
    int stride;        /* bytes per point: 16 (XY), 24 (XYZ, XYM), 32 */
} wkb;

static int rd_u32(wkb *r, uint32_t *v)
{
    if (r->end - r->p < 4)
        return -1;
    uint8_t b[4];
    memcpy(b, r->p, 4);
    if (r->swap) {
        uint8_t t = b[0]; b[0] = b[3]; b[3] = t;
        t = b[1]; b[1] = b[2]; b[2] = t;
    }
    memcpy(v, b, 4);
    r->p += 4;
    return 0;
}

static double rd_f64(const uint8_t *p, int swap)
{
    uint8_t b[8];
    double d;
    for (int i = 0; i < 8; i++)
        b[i] = swap ? p[7 - i] : p[i];
    memcpy(&d, b, 8);
    return d;
}

typedef struct draw_ctx {
    bm_worker *w;
    const bm_rule *rule;
    int z;
    double ox, oy;     /* tile origin in global pixels */
    double width;      /* stroke width in px (lines) */
} draw_ctx;

/* Project a point sequence to tile pixels, dropping points closer than a
 * quarter pixel to the previous kept one (when decimate is set); returns
 * the kept count. */
static int project(draw_ctx *d, wkb *r, uint32_t n, int decimate)
{
    bm_worker *w = d->w;
    if ((size_t)(r->end - r->p) / (size_t)r->stride < n)
        return -1;
    if ((int)n > w->pts_cap) {
        int cap = (int)n + 64;
        double *p = realloc(w->pts, (size_t)cap * 2 * sizeof *p);
        if (!p)
            return -1;
        w->pts = p;
        w->pts_cap = cap;
    }
    int k = 0;
    for (uint32_t i = 0; i < n; i++, r->p += r->stride) {
        double px, py;
        bm_lonlat_to_px(rd_f64(r->p, r->swap), rd_f64(r->p + 8, r->swap),
                        d->z, w->tile_size, &px, &py);
        px -= d->ox;
        py -= d->oy;
        if (decimate && k > 0 && i + 1 < n &&
            fabs(px - w->pts[2 * k - 2]) < 0.25 &&
            fabs(py - w->pts[2 * k - 1]) < 0.25)
            continue;
        w->pts[2 * k] = px;
        w->pts[2 * k + 1] = py;
        k++;
    }
    return k;
}

static int draw_points(draw_ctx *d, wkb *r, int closed, int ring_no)
{
    uint32_t n;
    if (rd_u32(r, &n))
        return -1;
    const uint8_t *start = r->p;
    int k = project(d, r, n, 1);
    if (k >= 0 && k < 4 && n >= 4 && closed) {
        /* a ring smaller than the decimation step: draw it whole, so its
         * sliver of coverage still marks the tile as not flat */
        r->p = start;
        k = project(d, r, n, 0);
    }
    if (k < 0)
        return -1;
    bm_canvas *c = &d->w->canvas;
    double *xy = d->w->pts;
    if (d->rule->kind == BM_LINE) {
        /* a closed ring repeats its first point, so the stroke closes */
        bm_stroke(c, xy, k, d->width);
    } else if (closed && k >= 3) {
        /* outer rings wind one way, holes the other (any input order) */
        double a = bm_ring_area(xy, k);
        bm_ring(c, xy, k, ring_no == 0 ? a < 0 : a > 0);
    }
    return 0;
}

static int draw_wkb(draw_ctx *d, wkb *r, int depth)
{
    if (depth > 4 || r->p >= r->end)
        return -1;
    r->swap = (*r->p++ == 1) != (*(const uint8_t *)&(uint16_t){1} == 1);
    uint32_t type, n;
    if (rd_u32(r, &type) || type >= 4000)
        return -1;
    r->stride = type >= 3000 ? 32 : type >= 1000 ? 24 : 16; /* ISO Z/M */
    switch (type % 1000) {
    case 1: /* point: nothing to draw on the base map */
        if (r->end - r->p < r->stride)
            return -1;
        r->p += r->stride;
        return 0;
    case 2:
        return draw_points(d, r, 0, 0);
    case 3:
        if (rd_u32(r, &n))
            return -1;
        for (uint32_t i = 0; i < n; i++)
            if (draw_points(d, r, 1, (int)i))
                return -1;
        return 0;
    case 4: case 5: case 6: case 7:
        if (rd_u32(r, &n))
            return -1;
        for (uint32_t i = 0; i < n; i++)
            if (draw_wkb(d, r, depth + 1))
                return -1;
        return 0;
    default:
        return -1;
    }
}

static void bind_tile(sqlite3_stmt *st, int z, int x, int y, double m)
{
    sqlite3_reset(st);
    sqlite3_bind_double(st, 1, px_to_lon(x - m, z));
    sqlite3_bind_double(st, 2, px_to_lon(x + 1 + m, z));
    sqlite3_bind_double(st, 3, py_to_lat(y + 1 + m, z));
    sqlite3_bind_double(st, 4, py_to_lat(y - m, z));
}

/* The query margin in tile units: half the widest stroke the rule ever
 * draws, plus a pixel, so deeper zooms never see a line this one missed. */
static double rule_margin(const bm_worker *w, const bm_rule *r)
{
    double wmax = 0;
    if (r->kind == BM_LINE)
        for (int k = 0; k < r->width.n; k++)
            wmax = r->width.v[k] > wmax ? r->width.v[k] : wmax;
    return (wmax * w->tile_size / 256.0 / 2 + 1) / w->tile_size;
}

/* Flatness bookkeeping for one tile (see bm_flat). */
typedef struct flat_track {
    bm_flat *flat;     /* NULL: not tracked */
    int ok;
} flat_track;

static void track(flat_track *t, const bm_rule *r, int i, int cover,
                  bm_rgb col)
{
    if (!t->flat || !t->ok)
        return;
    if (r->kind == BM_LINE ? cover != BM_COVER_NONE : cover == BM_COVER_PART)
        t->ok = 0;
    else if (cover == BM_COVER_FULL && t->flat->n == BM_MAX_FLAT)
        t->ok = 0;
    else if (cover == BM_COVER_FULL) {
        t->flat->rule[t->flat->n] = i;
        t->flat->col[t->flat->n++] = col;
    }
}

/* Query rule i over the tile and composite its features. */
static int draw_rule(bm_worker *w, int i, int z, int x, int y,
                     flat_track *t, ct_err *err)
{
    const bm_rule *rule = &w->style->rules[i];
    draw_ctx d = {w, rule, z, (double)x * w->tile_size,
                  (double)y * w->tile_size, 0};
    double opacity = bm_stops_eval(&rule->opacity, z);
    if (rule->kind == BM_LINE)
        d.width = bm_stops_eval(&rule->width, z) * w->tile_size / 256.0;
    sqlite3_stmt *st = w->stmts[i];
    bind_tile(st, z, x, y, rule_margin(w, rule));
    int rc, any = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const uint8_t *blob = sqlite3_column_blob(st, 1);
        int len = sqlite3_column_bytes(st, 1);
        if (!blob)
            continue;
        any = 1;
        wkb r = {blob, blob + len, 0, 16};
        if (draw_wkb(&d, &r, 0)) {
            long long fid = sqlite3_column_int64(st, 0);
            sqlite3_reset(st);
            return ct_fail(err, CT_EFORMAT,
                           "basemap: layer %s fid %lld: unreadable geometry",
                           rule->layer, fid);
        }
        if (rule->n_palette > 1) {
            long long fid = sqlite3_column_int64(st, 0);
            int k = (int)((fid % rule->n_palette + rule->n_palette) %
                          rule->n_palette);
            track(t, rule, i, bm_composite(&w->canvas, rule->palette[k],
                                           opacity), rule->palette[k]);
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return ct_fail(err, CT_EIO, "basemap: reading layer %s: %s",
                       rule->layer, sqlite3_errmsg(w->db));
    /* a line found nearby that grows faster than the map may reach into
     * the tile at a deeper zoom */
    int unsafe = rule->kind == BM_LINE && any && !rule->slow_width;
    if (rule->n_palette == 1) {
        int cover = bm_composite(&w->canvas, rule->palette[0], opacity);
        track(t, rule, i, unsafe ? BM_COVER_PART : cover, rule->palette[0]);
    } else if (unsafe) {
        track(t, rule, i, BM_COVER_PART, rule->palette[0]);
    }
    return CT_OK;
}

/* Has rule i any feature near the tile? (for rules not drawn at z) */
static int rule_has_features(bm_worker *w, int i, int z, int x, int y)
{
    sqlite3_stmt *st = w->stmts[i];
    bind_tile(st, z, x, y, rule_margin(w, &w->style->rules[i]));
    int found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return found;
}

static int rule_drawn(const bm_rule *r, int z)
{
    if (z < r->min_zoom || z > r->max_zoom)
        return 0;
    if (bm_stops_eval(&r->opacity, z) <= 0)
        return 0;
    return r->kind != BM_LINE || bm_stops_eval(&r->width, z) > 0;
}

int bm_render_tile(bm_worker *w, int z, int x, int y, int max_zoom,
                   bm_flat *flat, int *is_flat, ct_err *err)
{
    flat_track t = {flat, flat != NULL};
    if (flat)
        flat->n = 0;
    bm_canvas_clear(&w->canvas, w->style->background);
    for (int i = 0; i < w->style->n_rules; i++) {
        const bm_rule *r = &w->style->rules[i];
        if (rule_drawn(r, z)) {
            int rc = draw_rule(w, i, z, x, y, &t, err);
            if (rc)
                return rc;
        } else if (t.ok && r->min_zoom <= max_zoom && r->max_zoom > z &&
                   rule_has_features(w, i, z, x, y)) {
            t.ok = 0; /* it may draw here at a deeper zoom */
        }
    }
    if (is_flat)
        *is_flat = t.ok;
    return CT_OK;
}

bm_rgb bm_flat_colour(const bm_style *s, const bm_flat *f, int z)
{
    bm_rgb c = s->background;
    for (int i = 0; i < f->n; i++) {
        const bm_rule *r = &s->rules[f->rule[i]];
        if (z < r->min_zoom || z > r->max_zoom)
            continue;
        double op = bm_stops_eval(&r->opacity, z);
        float cov = (float)(op < 0 ? 0 : op > 1 ? 1 : op);
        if (cov < 1.0f / 512)
            continue;
        c.r = bm_blend(c.r, f->col[i].r, cov);
        c.g = bm_blend(c.g, f->col[i].g, cov);
        c.b = bm_blend(c.b, f->col[i].b, cov);
    }
    return c;
}

int bm_write_png(const bm_canvas *c, const char *path, ct_err *err)
{
    GDALDriverH mem = GDALGetDriverByName("MEM");
    GDALDriverH png = GDALGetDriverByName("PNG");
    if (!mem || !png)
        return ct_fail(err, CT_ERR, "basemap: GDAL lacks the MEM or PNG driver");
    GDALDatasetH ds = GDALCreate(mem, "", c->w, c->h, 3, GDT_Byte, NULL);
    if (!ds)
        return ct_fail(err, CT_ENOMEM, "basemap: cannot create a MEM raster");
    int bands[3] = {1, 2, 3};
    CPLErr e = GDALDatasetRasterIO(ds, GF_Write, 0, 0, c->w, c->h, c->rgb,
                                   c->w, c->h, GDT_Byte, 3, bands, 3,
                                   (GSpacing)c->w * 3, 1);
    /* a unique temporary name: two threads may race for a shared tile */
    static atomic_long seq;
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, atomic_fetch_add(&seq, 1));
    GDALDatasetH out = NULL;
    if (e == CE_None) {
        char *opts[] = {"ZLEVEL=6", NULL};
        out = GDALCreateCopy(png, tmp, ds, FALSE, opts, NULL, NULL);
    }
    GDALClose(ds);
    if (!out) {
        ct_fail(err, CT_EIO, "basemap: cannot write %s: %s", tmp,
                CPLGetLastErrorMsg());
        remove(tmp);
        return CT_EIO;
    }
    GDALClose(out);
    if (rename(tmp, path) != 0) {
        remove(tmp);
        return ct_fail(err, CT_EIO, "basemap: cannot rename %s to %s", tmp,
                       path);
    }
    return CT_OK;
}
