/* tiles/basemap_raster.c: an anti-aliased coverage rasterizer for the
 * base map. GDAL's rasterizer burns whole pixels and has no line widths,
 * so shapes are accumulated here as exact signed areas per pixel (the
 * accumulation technique of font rasterizers): edges get fractional
 * coverage without rendering at 2x. Lines are stroked as quads plus
 * round joins, all with the same winding, so overlaps saturate at 1. */
#include "tiles/basemap_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

int bm_canvas_init(bm_canvas *c, int w, int h)
{
    memset(c, 0, sizeof *c);
    c->w = w;
    c->h = h;
    c->rgb = malloc((size_t)w * (size_t)h * 3);
    c->acc = calloc((size_t)(w + 2) * (size_t)h, sizeof *c->acc);
    c->dirty_y0 = h;
    c->dirty_y1 = 0;
    if (!c->rgb || !c->acc) {
        bm_canvas_free(c);
        return CT_ENOMEM;
    }
    return CT_OK;
}

void bm_canvas_free(bm_canvas *c)
{
    free(c->rgb);
    free(c->acc);
    c->rgb = NULL;
    c->acc = NULL;
}

void bm_canvas_clear(bm_canvas *c, bm_rgb bg)
{
    /* one pixel, then double the filled part (memcpy is the fast path) */
    size_t n = (size_t)c->w * (size_t)c->h * 3, done = 3;
    c->rgb[0] = bg.r;
    c->rgb[1] = bg.g;
    c->rgb[2] = bg.b;
    while (done < n) {
        size_t k = done < n - done ? done : n - done;
        memcpy(c->rgb + done, c->rgb, k);
        done += k;
    }
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Accumulate an edge with 0 <= x <= w and 0 <= y0 < y1 <= h; dir is the
 * winding sign. Each row gets the signed area the edge leaves to its right,
 * spread over the columns the edge crosses. */
static void edge_raw(bm_canvas *c, double x0, double y0, double x1, double y1,
                     float dir)
{
    int stride = c->w + 2;
    double dxdy = (x1 - x0) / (y1 - y0);
    double x = x0;
    int ystart = (int)y0, yend = (int)ceil(y1);
    if (yend > c->h)
        yend = c->h;
    if (ystart < c->dirty_y0)
        c->dirty_y0 = ystart;
    if (yend > c->dirty_y1)
        c->dirty_y1 = yend;
    for (int y = ystart; y < yend; y++) {
        float *a = c->acc + (size_t)y * (size_t)stride;
        double dy = fmin(y + 1.0, y1) - fmax((double)y, y0);
        double xnext = clampd(x + dxdy * dy, 0, c->w); /* rounding */
        double d = dy * dir;
        double xa = x < xnext ? x : xnext, xb = x < xnext ? xnext : x;
        double xaf = floor(xa);
        int xai = (int)xaf, xbi = (int)ceil(xb);
        if (xbi <= xai + 1) {
            /* within one column: split by the mean x */
            double xm = 0.5 * (x + xnext) - xaf;
            a[xai] += (float)(d - d * xm);
            a[xai + 1] += (float)(d * xm);
        } else {
            double s = 1.0 / (xb - xa);
            double f0 = xa - xaf;
            double a0 = 0.5 * s * (1 - f0) * (1 - f0);
            double f1 = xb - xbi + 1;
            double am = 0.5 * s * f1 * f1;
            a[xai] += (float)(d * a0);
            if (xbi == xai + 2) {
                a[xai + 1] += (float)(d * (1 - a0 - am));
            } else {
                double a1 = s * (1.5 - f0);
                a[xai + 1] += (float)(d * (a1 - a0));
                for (int xi = xai + 2; xi < xbi - 1; xi++)
                    a[xi] += (float)(d * s);
                double a2 = a1 + (xbi - xai - 3) * s;
                a[xbi - 1] += (float)(d * (1 - a2 - am));
            }
            a[xbi] += (float)(d * am);
        }
        x = xnext;
    }
}

/* Any edge: clipped to the rows of the canvas; the parts left or right of
 * it are pushed onto the border (area left of the canvas still counts). */
static void edge(bm_canvas *c, double x0, double y0, double x1, double y1)
{
    float dir = 1;
    if (y0 == y1 || !isfinite(x0) || !isfinite(x1))
        return;
    if (y0 > y1) {
        double t = x0; x0 = x1; x1 = t;
        t = y0; y0 = y1; y1 = t;
        dir = -1;
    }
    if (y1 <= 0 || y0 >= c->h)
        return;
    double dxdy = (x1 - x0) / (y1 - y0);
    if (y0 < 0) {
        x0 += -y0 * dxdy;
        y0 = 0;
    }
    if (y1 > c->h) {
        x1 -= (y1 - c->h) * dxdy;
        y1 = c->h;
    }
    /* split where the edge crosses x = 0 and x = w */
    double ts[4] = {0, 0, 0, 1};
    int nt = 1;
    double w = c->w;
    if (x1 != x0) {
        double ta = (0 - x0) / (x1 - x0), tb = (w - x0) / (x1 - x0);
        if (ta > tb) {
            double t = ta; ta = tb; tb = t;
        }
        if (ta > 0 && ta < 1)
            ts[nt++] = ta;
        if (tb > 0 && tb < 1)
            ts[nt++] = tb;
    }
    ts[nt++] = 1;
    for (int i = 0; i + 1 < nt; i++) {
        double ya = y0 + (y1 - y0) * ts[i], yb = y0 + (y1 - y0) * ts[i + 1];
        if (yb <= ya)
            continue;
        double xa = clampd(x0 + (x1 - x0) * ts[i], 0, w);
        double xb = clampd(x0 + (x1 - x0) * ts[i + 1], 0, w);
        edge_raw(c, xa, ya, xb, yb, dir);
    }
}

double bm_ring_area(const double *xy, int n)
{
    double a = 0;
    for (int i = 0; i < n; i++) {
        int j = (i + 1) % n;
        a += xy[2 * i] * xy[2 * j + 1] - xy[2 * j] * xy[2 * i + 1];
    }
    return 0.5 * a;
}

void bm_ring(bm_canvas *c, const double *xy, int n, int reverse)
{
    for (int i = 0; i < n; i++) {
        int j = (i + 1) % n;
        if (reverse)
            edge(c, xy[2 * j], xy[2 * j + 1], xy[2 * i], xy[2 * i + 1]);
        else
            edge(c, xy[2 * i], xy[2 * i + 1], xy[2 * j], xy[2 * j + 1]);
    }
}

/* Unit circles of 8, 12 and 20 sides, computed once for all threads. */
static const int DISC_SIDES[3] = {8, 12, 20};
static double disc_xy[3][2 * 21];
static pthread_once_t disc_once = PTHREAD_ONCE_INIT;

static void disc_init(void)
{
    for (int k = 0; k < 3; k++)
        for (int i = 0; i <= DISC_SIDES[k]; i++) {
            /* clockwise, so discs wind like the stroke quads */
            double t = -2 * M_PI * i / DISC_SIDES[k];
            disc_xy[k][2 * i] = cos(t);
            disc_xy[k][2 * i + 1] = sin(t);
        }
}

/* A disc as a polygon, wound like the stroke quads (negative area). */
static void disc(bm_canvas *c, double cx, double cy, double r)
{
    int k = r < 1.5 ? 0 : r < 4 ? 1 : 2;
    const double *u = disc_xy[k];
    for (int i = 0; i < DISC_SIDES[k]; i++)
        edge(c, cx + r * u[2 * i], cy + r * u[2 * i + 1],
             cx + r * u[2 * i + 2], cy + r * u[2 * i + 3]);
}

void bm_stroke(bm_canvas *c, const double *xy, int n, double width)
{
    double hw = 0.5 * width;
    if (hw <= 0 || n < 2)
        return;
    int joins = hw >= 0.5;
    pthread_once(&disc_once, disc_init);
    for (int i = 0; i + 1 < n; i++) {
        double x0 = xy[2 * i], y0 = xy[2 * i + 1];
        double x1 = xy[2 * i + 2], y1 = xy[2 * i + 3];
        double dx = x1 - x0, dy = y1 - y0, len = hypot(dx, dy);
        if (len < 1e-9)
            continue;
        double nx = -dy / len * hw, ny = dx / len * hw;
        /* quad p0+n, p1+n, p1-n, p0-n: the same winding for any direction */
        edge(c, x0 + nx, y0 + ny, x1 + nx, y1 + ny);
        edge(c, x1 + nx, y1 + ny, x1 - nx, y1 - ny);
        edge(c, x1 - nx, y1 - ny, x0 - nx, y0 - ny);
        edge(c, x0 - nx, y0 - ny, x0 + nx, y0 + ny);
    }
    if (joins)
        for (int i = 0; i < n; i++)
            disc(c, xy[2 * i], xy[2 * i + 1], hw);
}

int bm_composite(bm_canvas *c, bm_rgb col, double opacity)
{
    int stride = c->w + 2;
    float op = (float)clampd(opacity, 0, 1);
    float lo = 1, hi = 0;
    if (c->dirty_y0 > 0 || c->dirty_y1 < c->h)
        lo = 0; /* rows left untouched are not covered */
    for (int y = c->dirty_y0; y < c->dirty_y1; y++) {
        float *a = c->acc + (size_t)y * (size_t)stride;
        uint8_t *p = c->rgb + (size_t)y * (size_t)c->w * 3;
        float s = 0, last_cov = -1;
        uint8_t last_src[3] = {0, 0, 0}, last_dst[3] = {0, 0, 0};
        for (int x = 0; x < c->w; x++, p += 3) {
            s += a[x];
            a[x] = 0;
            float cov = fabsf(s);
            if (cov > 1)
                cov = 1;
            lo = cov < lo ? cov : lo;
            hi = cov > hi ? cov : hi;
            cov *= op;
            if (cov < 1.0f / 512)
                continue;
            /* inside a shape the same blend repeats: reuse it */
            if (cov == last_cov && !memcmp(p, last_src, 3)) {
                memcpy(p, last_dst, 3);
                continue;
            }
            last_cov = cov;
            memcpy(last_src, p, 3);
            p[0] = bm_blend(p[0], col.r, cov);
            p[1] = bm_blend(p[1], col.g, cov);
            p[2] = bm_blend(p[2], col.b, cov);
            memcpy(last_dst, p, 3);
        }
        a[c->w] = 0;
        a[c->w + 1] = 0;
    }
    c->dirty_y0 = c->h;
    c->dirty_y1 = 0;
    if (hi < 1e-6f)
        return BM_COVER_NONE;
    return lo >= 1 - 1e-4f ? BM_COVER_FULL : BM_COVER_PART;
}

int bm_canvas_uniform(const bm_canvas *c)
{
    /* every pixel equals the next one: compare the image with itself
     * shifted by one pixel */
    size_t n = (size_t)c->w * (size_t)c->h * 3;
    return memcmp(c->rgb, c->rgb + 3, n - 3) == 0;
}
