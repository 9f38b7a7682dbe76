/* tiles/footprint.c: SpatiaLite BLOB parsing and ring cleaning
 * (see footprint.h). BLOB layout (SpatiaLite "BLOB-Geometry"): 0x00,
 * endianness (1 = little), int32 SRID, 4 doubles MBR, 0x7C, int32 class,
 * body, 0xFE. A multi geometry's entities each start with 0x69 + class. */
#include "tiles/footprint.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void fp_init(fp_geom *g)
{
    memset(g, 0, sizeof *g);
}

void fp_free(fp_geom *g)
{
    free(g->pt);
    free(g->ring_off);
    free(g->ring_n);
    free(g->poly_r0);
    free(g->poly_nr);
    fp_init(g);
}

void fp_reset(fp_geom *g)
{
    g->npts = g->nrings = g->npolys = 0;
}

static int grow(void **p, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return 0;
    int nc = *cap ? *cap * 2 : 64;
    while (nc < need)
        nc *= 2;
    void *q = realloc(*p, (size_t)nc * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = nc;
    return 0;
}

int fp_begin_polygon(fp_geom *g)
{
    int cap = g->cap_polys;
    if (grow((void **)&g->poly_r0, &cap, g->npolys + 1, sizeof(int)))
        return CT_ENOMEM;
    cap = g->cap_polys;
    if (grow((void **)&g->poly_nr, &cap, g->npolys + 1, sizeof(int)))
        return CT_ENOMEM;
    g->cap_polys = cap;
    g->poly_r0[g->npolys] = g->nrings;
    g->poly_nr[g->npolys] = 0;
    g->npolys++;
    return CT_OK;
}

int fp_begin_ring(fp_geom *g)
{
    int cap = g->cap_rings;
    if (grow((void **)&g->ring_off, &cap, g->nrings + 1, sizeof(int)))
        return CT_ENOMEM;
    cap = g->cap_rings;
    if (grow((void **)&g->ring_n, &cap, g->nrings + 1, sizeof(int)))
        return CT_ENOMEM;
    g->cap_rings = cap;
    g->ring_off[g->nrings] = g->npts;
    g->ring_n[g->nrings] = 0;
    g->nrings++;
    if (g->npolys > 0)
        g->poly_nr[g->npolys - 1]++;
    return CT_OK;
}

int fp_add_point(fp_geom *g, double x, double y)
{
    if (grow((void **)&g->pt, &g->cap_pts, 2 * (g->npts + 1), sizeof(double)))
        return CT_ENOMEM;
    g->pt[2 * g->npts] = x;
    g->pt[2 * g->npts + 1] = y;
    g->npts++;
    g->ring_n[g->nrings - 1]++;
    return CT_OK;
}

/* A bounded little reader over the BLOB. */
typedef struct rd {
    const unsigned char *p, *end;
    int swap;
} rd;

static int rd_i32(rd *r, int32_t *v)
{
    if (r->end - r->p < 4)
        return -1;
    uint32_t u;
    memcpy(&u, r->p, 4);
    if (r->swap)
        u = __builtin_bswap32(u);
    *v = (int32_t)u;
    r->p += 4;
    return 0;
}

static double rd_f64_at(const unsigned char *p, int swap)
{
    uint64_t u;
    double d;
    memcpy(&u, p, 8);
    if (swap)
        u = __builtin_bswap64(u);
    memcpy(&d, &u, 8);
    return d;
}

/* Coordinates per point for a class type, 0 if not a (multi)polygon. */
static int dims_of(int32_t cls, int *multi)
{
    int base = cls % 1000, dim = cls / 1000;
    *multi = base == 6;
    if (base != 3 && base != 6)
        return 0;
    switch (dim) {
    case 0: return 2;
    case 1: case 2: return 3;
    case 3: return 4;
    default: return 0;   /* compressed (1000000+) not supported */
    }
}

static int header(const unsigned char *blob, int size, rd *r, double mbr[4],
                  int32_t *cls)
{
    if (!blob || size < 44 || blob[0] != 0x00 || blob[38] != 0x7C ||
        blob[size - 1] != 0xFE || (blob[1] != 0 && blob[1] != 1))
        return -1;
    r->swap = blob[1] == 0;  /* this code assumes a little-endian host */
    for (int i = 0; i < 4; i++)
        mbr[i] = rd_f64_at(blob + 6 + 8 * i, r->swap);
    r->p = blob + 39;
    r->end = blob + size - 1;
    return rd_i32(r, cls);
}

static int parse_polygon(rd *r, int dims, fp_geom *g, int *npts, int *nrings)
{
    int32_t nr;
    if (rd_i32(r, &nr) || nr < 0 || nr > 1000000)
        return -1;
    if (g && fp_begin_polygon(g))
        return -2;
    for (int32_t i = 0; i < nr; i++) {
        int32_t np;
        if (rd_i32(r, &np) || np < 0 || (r->end - r->p) / (8 * dims) < np)
            return -1;
        if (g) {
            if (fp_begin_ring(g))
                return -2;
            for (int32_t k = 0; k < np; k++) {
                const unsigned char *q = r->p + (size_t)k * 8 * dims;
                if (fp_add_point(g, rd_f64_at(q, r->swap),
                                 rd_f64_at(q + 8, r->swap)))
                    return -2;
            }
        }
        r->p += (size_t)np * 8 * dims;
        *npts += np;
        (*nrings)++;
    }
    return 0;
}

static int parse_body(rd *r, int32_t cls, fp_geom *g, int *npts, int *nrings)
{
    int multi, dims = dims_of(cls, &multi);
    if (!dims)
        return -3;
    if (!multi)
        return parse_polygon(r, dims, g, npts, nrings);
    int32_t n;
    if (rd_i32(r, &n) || n < 0)
        return -1;
    for (int32_t i = 0; i < n; i++) {
        int32_t sub;
        int m;
        if (r->p >= r->end || *r->p != 0x69)
            return -1;
        r->p++;
        if (rd_i32(r, &sub) || dims_of(sub, &m) != dims || m)
            return -1;
        int rc = parse_polygon(r, dims, g, npts, nrings);
        if (rc)
            return rc;
    }
    return 0;
}

int fp_parse_blob(const unsigned char *blob, int size, fp_geom *g, ct_err *err)
{
    rd r;
    int32_t cls;
    int np = 0, nr = 0;
    fp_reset(g);
    if (header(blob, size, &r, g->mbr, &cls))
        return ct_fail(err, CT_EFORMAT, "not a SpatiaLite geometry BLOB (%d bytes)",
                       size);
    int rc = parse_body(&r, cls, g, &np, &nr);
    if (rc == -2)
        return ct_fail(err, CT_ENOMEM, "out of memory parsing a footprint");
    if (rc == -3)
        return ct_fail(err, CT_EFORMAT,
                       "geometry class %d is not an uncompressed (multi)polygon",
                       (int)cls);
    if (rc)
        return ct_fail(err, CT_EFORMAT, "truncated or corrupt geometry BLOB");
    return CT_OK;
}

int fp_blob_summary(const unsigned char *blob, int size, double mbr[4],
                    int *npoints, int *nrings)
{
    rd r;
    int32_t cls;
    *npoints = *nrings = 0;
    if (header(blob, size, &r, mbr, &cls))
        return CT_EFORMAT;
    return parse_body(&r, cls, NULL, npoints, nrings) ? CT_EFORMAT : CT_OK;
}

double fp_ring_area(const fp_geom *g, int r)
{
    const double *p = g->pt + 2 * g->ring_off[r];
    int n = g->ring_n[r];
    double a = 0;
    for (int i = 0, j = n - 1; i < n; j = i++)
        a += (p[2 * j] - p[2 * i]) * (p[2 * j + 1] + p[2 * i + 1]);
    return 0.5 * a;
}

/* Distance from b to the line through a and c (or to a when a == c). */
static double off_line(const double *a, const double *b, const double *c)
{
    double dx = c[0] - a[0], dy = c[1] - a[1];
    double len = sqrt(dx * dx + dy * dy);
    double bx = b[0] - a[0], by = b[1] - a[1];
    if (len < 1e-12)
        return 0.0;  /* c is back on a: b is the tip of a spike */
    return fabs(dx * by - dy * bx) / len;
}

/* Clean one ring's points in place; returns the new count. */
static int clean_ring(double *p, int n, double tol)
{
    if (n > 1 && p[0] == p[2 * (n - 1)] && p[1] == p[2 * (n - 1) + 1])
        n--;  /* closing point */
    int changed = 1;
    for (int pass = 0; changed && n >= 3 && pass < 64; pass++) {
        changed = 0;
        int m = 0;
        for (int i = 0; i < n; i++) {  /* duplicate consecutive points */
            const double *prev = m ? p + 2 * (m - 1) : p + 2 * (n - 1);
            double dx = p[2 * i] - prev[0], dy = p[2 * i + 1] - prev[1];
            if (dx * dx + dy * dy <= tol * tol && (m || i < n - 1)) {
                changed = 1;
                continue;
            }
            p[2 * m] = p[2 * i];
            p[2 * m + 1] = p[2 * i + 1];
            m++;
        }
        n = m;
        m = 0;
        for (int i = 0; i < n; i++) {  /* collinear points and spikes */
            if (m + (n - i) > 2) {
                const double *a = m ? p + 2 * (m - 1) : p + 2 * (n - 1);
                const double *c = p + 2 * ((i + 1) % n);
                if (off_line(a, p + 2 * i, c) <= tol) {
                    changed = 1;
                    continue;
                }
            }
            p[2 * m] = p[2 * i];
            p[2 * m + 1] = p[2 * i + 1];
            m++;
        }
        n = m;
    }
    return n;
}

static void reverse_ring(double *p, int n)
{
    for (int i = 0, j = n - 1; i < j; i++, j--) {
        double x = p[2 * i], y = p[2 * i + 1];
        p[2 * i] = p[2 * j];
        p[2 * i + 1] = p[2 * j + 1];
        p[2 * j] = x;
        p[2 * j + 1] = y;
    }
}

int fp_clean(fp_geom *g, double tol)
{
    int np = 0, nr = 0, npoly = 0;
    for (int pi = 0; pi < g->npolys; pi++) {
        int r0 = g->poly_r0[pi], nrp = g->poly_nr[pi], kept = 0;
        int new_r0 = nr;
        for (int k = 0; k < nrp; k++) {
            int r = r0 + k;
            int off = g->ring_off[r], n = g->ring_n[r];
            /* compact in place: earlier rings only ever shrink */
            memmove(g->pt + 2 * np, g->pt + 2 * off, sizeof(double) * 2 * n);
            n = clean_ring(g->pt + 2 * np, n, tol);
            if (n < 3) {
                if (k == 0)
                    break;   /* no outer ring: the polygon goes */
                continue;
            }
            g->ring_off[nr] = np;
            g->ring_n[nr] = n;
            /* No area test: a bow-tie nets zero yet is a real (dirty)
             * footprint for GEOS to repair; cleaning has already removed
             * rings that collapse onto a line. */
            double a = fp_ring_area(g, nr);
            if (a != 0 && (k == 0) != (a > 0))
                reverse_ring(g->pt + 2 * np, n);
            np += n;
            nr++;
            kept++;
        }
        if (kept == 0)
            continue;
        g->poly_r0[npoly] = new_r0;
        g->poly_nr[npoly] = kept;
        npoly++;
    }
    g->npts = np;
    g->nrings = nr;
    g->npolys = npoly;
    return npoly;
}
