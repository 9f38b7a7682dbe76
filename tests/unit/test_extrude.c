/* tests/unit/test_extrude.c: golden footprints (square, L-shape, courtyard,
 * self-touching ring, multipolygon, spiky dirty ring, clockwise ring,
 * bow-tie) become closed, outward-facing meshes with the expected
 * triangle counts, and the roof's area equals the footprint's. */
#include <stdlib.h>

#include "tiles/earcut.h"
#include "tiles/extrude.h"
#include "tiles/footprint.h"
#include "tiles/mesh.h"
#include "ut.h"

/* Rings as flat lists; a NAN x starts a new ring, a NAN y a new polygon. */
static void make(fp_geom *g, const double *xy, int n)
{
    fp_reset(g);
    fp_begin_polygon(g);
    fp_begin_ring(g);
    for (int i = 0; i < n; i++) {
        double x = xy[2 * i], y = xy[2 * i + 1];
        if (isnan(x) && isnan(y)) {
            fp_begin_polygon(g);
            fp_begin_ring(g);
        } else if (isnan(x)) {
            fp_begin_ring(g);
        } else {
            fp_add_point(g, x, y);
        }
    }
}

#define NEWRING NAN, 0
#define NEWPOLY NAN, NAN

typedef struct result {
    long tris;
    int open_edges;      /* directed edges met by fewer/more reverses */
    int bad_normals;     /* triangles whose normal disagrees with vertices */
    double volume, roof_area;
} result;

static int same(const float *a, const float *b)
{
    return a[0] == b[0] && a[1] == b[1] && a[2] == b[2];
}

static void analyse(const tmesh *m, result *r)
{
    r->tris = (long)(m->ni / 3);
    r->open_edges = r->bad_normals = 0;
    r->volume = r->roof_area = 0;
    for (size_t t = 0; t < m->ni; t += 3) {
        const float *p[3];
        for (int k = 0; k < 3; k++)
            p[k] = m->pos + 3 * m->idx[t + k];
        double u[3], v[3], c[3];
        for (int i = 0; i < 3; i++) {
            u[i] = p[1][i] - p[0][i];
            v[i] = p[2][i] - p[0][i];
        }
        c[0] = u[1] * v[2] - u[2] * v[1];
        c[1] = u[2] * v[0] - u[0] * v[2];
        c[2] = u[0] * v[1] - u[1] * v[0];
        double len = sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
        const float *n = m->nrm + 3 * m->idx[t];
        if (len > 0 && (c[0] * n[0] + c[1] * n[1] + c[2] * n[2]) / len < 0.99)
            r->bad_normals++;
        if (n[1] > 0.9f)
            r->roof_area += 0.5 * len;
        r->volume += (p[0][0] * (p[1][1] * p[2][2] - p[1][2] * p[2][1]) -
                      p[0][1] * (p[1][0] * p[2][2] - p[1][2] * p[2][0]) +
                      p[0][2] * (p[1][0] * p[2][1] - p[1][1] * p[2][0])) / 6.0;
        /* closed and consistently oriented: each directed edge a->b is met
         * by as many b->a (one, except where a self-touching ring makes
         * four walls share a vertical edge) */
        for (int k = 0; k < 3; k++) {
            const float *a = p[k], *b = p[(k + 1) % 3];
            int rev = 0, dup = 0;
            for (size_t s = 0; s < m->ni; s += 3)
                for (int j = 0; j < 3; j++) {
                    const float *x = m->pos + 3 * m->idx[s + j];
                    const float *y = m->pos + 3 * m->idx[s + (j + 1) % 3];
                    if (same(x, b) && same(y, a))
                        rev++;
                    if (same(x, a) && same(y, b))
                        dup++;
                }
            if (rev != dup || rev < 1)
                r->open_edges++;
        }
    }
}

/* Normals and roof area only (no edge pairing: for big meshes). */
static void analyse_fast(const tmesh *m, result *r)
{
    memset(r, 0, sizeof *r);
    r->tris = (long)(m->ni / 3);
    for (size_t t = 0; t < m->ni; t += 3) {
        const float *p0 = m->pos + 3 * m->idx[t], *p1 = m->pos + 3 * m->idx[t + 1],
                    *p2 = m->pos + 3 * m->idx[t + 2];
        double u[3], v[3], c[3];
        for (int i = 0; i < 3; i++) {
            u[i] = p1[i] - p0[i];
            v[i] = p2[i] - p0[i];
        }
        c[0] = u[1] * v[2] - u[2] * v[1];
        c[1] = u[2] * v[0] - u[0] * v[2];
        c[2] = u[0] * v[1] - u[1] * v[0];
        double len = sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
        const float *n = m->nrm + 3 * m->idx[t];
        if (len > 1e-9 && (c[0] * n[0] + c[1] * n[1] + c[2] * n[2]) / len < 0.99)
            r->bad_normals++;
        if (n[1] > 0.9f)
            r->roof_area += 0.5 * len;
    }
}

/* Build with a floor from 0 to 10 m and check the invariants. */
static int run(const double *xy, int n, double area, long tris, result *r)
{
    fp_geom g;
    extrude_ctx x;
    tmesh m;
    fp_init(&g);
    mesh_init(&m);
    extrude_init(&x);
    extrude_set_latitude(&x, 34.6);
    make(&g, xy, n);
    fp_clean(&g, 0.005);
    int built = extrude_footprint(&x, &m, &g, 0.0, 10.0, 1, 7);
    analyse(&m, r);
    int ok = built > 0 && m.nv > 0 && m.fid[0] == 7;
    if (r->tris != tris)
        printf("# triangles %ld, want %ld\n", r->tris, tris);
    if (fabs(r->roof_area - area) > 1e-3 * area)
        printf("# roof area %.4f, want %.4f\n", r->roof_area, area);
    if (r->open_edges || r->bad_normals)
        printf("# open edges %d, bad normals %d\n", r->open_edges, r->bad_normals);
    ok = ok && r->tris == tris && fabs(r->roof_area - area) <= 1e-3 * area &&
         !r->open_edges && !r->bad_normals &&
         fabs(r->volume - 10.0 * area) < 1e-2 * area;
    mesh_free(&m);
    fp_free(&g);
    extrude_free(&x);
    return ok;
}

static void test_square(void)
{
    double xy[] = {0, 0, 10, 0, 10, 10, 0, 10, 0, 0};
    result r;
    UT_CHECK(run(xy, 5, 100, 12, &r));
}

static void test_l_shape(void)
{
    double xy[] = {0, 0, 20, 0, 20, 8, 8, 8, 8, 20, 0, 20};
    result r;
    UT_CHECK(run(xy, 6, 20 * 8 + 8 * 12, 20, &r));
}

static void test_courtyard_hole(void)
{
    double xy[] = {0, 0, 30, 0, 30, 30, 0, 30, NEWRING,
                   10, 10, 10, 20, 20, 20, 20, 10};
    result r;
    /* walls 2*8, roof 8 + 2*1 - 2 = 8, floor 8 */
    UT_CHECK(run(xy, 9, 900 - 100, 32, &r));
}

static void test_two_holes_wrong_winding(void)
{
    /* outer clockwise, holes counter-clockwise: all reoriented */
    double xy[] = {0, 0, 0, 20, 40, 20, 40, 0, NEWRING,
                   5, 5, 15, 5, 15, 15, 5, 15, NEWRING,
                   25, 5, 35, 5, 35, 15, 25, 15};
    result r;
    /* walls 24, roof 12 + 4 - 2 = 14, floor 14 */
    UT_CHECK(run(xy, 14, 800 - 200, 52, &r));
}

static void test_self_touching_ring(void)
{
    /* a notch whose tip touches the outer edge at (5,10) */
    double xy[] = {0, 0, 10, 0, 10, 10, 5, 10, 7, 5, 3, 5, 5, 10, 0, 10};
    result r;
    double notch = 0.5 * 4 * 5;
    UT_CHECK(run(xy, 8, 100 - notch, 16 + 6 + 6, &r));
}

static void test_multipolygon(void)
{
    double xy[] = {0, 0, 10, 0, 10, 10, 0, 10, NEWPOLY,
                   20, 0, 30, 0, 30, 5, 20, 5};
    result r;
    UT_CHECK(run(xy, 9, 150, 24, &r));
}

static void test_spiky_dirty_ring(void)
{
    /* duplicate points, a spike out and back, a collinear point */
    double xy[] = {0, 0, 0, 0, 10, 0, 10, 5, 20, 5, 10, 5, 10, 10,
                   5, 10, 5, 10, 0, 10, 0, 0};
    result r;
    UT_CHECK(run(xy, 11, 100, 12, &r));
}

static void test_clockwise_ring(void)
{
    double xy[] = {0, 0, 0, 10, 10, 10, 10, 0};
    result r;
    UT_CHECK(run(xy, 4, 100, 12, &r));
    UT_CHECK(r.volume > 0);
}

static void test_bow_tie_is_repaired(void)
{
    /* self-intersecting: GEOS make-valid splits it into two triangles */
    double xy[] = {0, 0, 10, 10, 10, 0, 0, 10};
    fp_geom g;
    extrude_ctx x;
    tmesh m;
    fp_init(&g);
    mesh_init(&m);
    extrude_init(&x);
    make(&g, xy, 4);
    fp_clean(&g, 0.005);
    int built = extrude_footprint(&x, &m, &g, 0.0, 5.0, 0, 0);
    result r;
    analyse(&m, &r);
    long repaired = x.st.repaired;
    mesh_free(&m);
    fp_free(&g);
    extrude_free(&x);
    UT_EQ_INT(built, 1);
    UT_EQ_INT(repaired, 1);
    UT_NEAR(r.roof_area, 50.0, 1e-3);
    UT_EQ_INT(r.bad_normals, 0);
}

static void test_degenerate_is_counted_not_crashing(void)
{
    double xy[] = {0, 0, 10, 0, 20, 0.001, 0, 0};  /* no area at all */
    fp_geom g;
    fp_init(&g);
    make(&g, xy, 4);
    UT_EQ_INT(fp_clean(&g, 0.005), 0);
    fp_free(&g);
}

static void test_giant_ring_goes_to_cdt(void)
{
    /* 1200 points (7 mm off each chord, so cleaning keeps them): past
     * the ear clipper's size limit, GEOS CDT builds it */
    static double xy[2 * 1200];
    double area = 0;
    for (int i = 0; i < 1200; i++) {
        xy[2 * i] = 2000 * cos(2 * M_PI * i / 1200);
        xy[2 * i + 1] = 2000 * sin(2 * M_PI * i / 1200);
    }
    for (int i = 0, j = 1199; i < 1200; j = i++)
        area += 0.5 * (xy[2 * j] * xy[2 * i + 1] - xy[2 * i] * xy[2 * j + 1]);
    fp_geom g;
    extrude_ctx x;
    tmesh m;
    fp_init(&g);
    mesh_init(&m);
    extrude_init(&x);
    make(&g, xy, 1200);
    fp_clean(&g, 0.005);
    int built = extrude_footprint(&x, &m, &g, 0.0, 5.0, 1, 0);
    result r;
    analyse_fast(&m, &r);
    long cdt = x.st.cdt;
    mesh_free(&m);
    fp_free(&g);
    extrude_free(&x);
    UT_EQ_INT(built, 1);
    UT_EQ_INT(cdt, 1);
    UT_NEAR(r.roof_area, area, 1e-3 * area);
    UT_EQ_INT(r.bad_normals, 0);
}

static void test_blob_parse(void)
{
    /* a hand-made little-endian SpatiaLite POLYGON BLOB: square 0..1 */
    unsigned char b[39 + 4 + 4 + 4 + 5 * 16 + 1];
    double mbr[4] = {0, 0, 1, 1};
    double pts[10] = {0, 0, 1, 0, 1, 1, 0, 1, 0, 0};
    int32_t v;
    memset(b, 0, sizeof b);
    b[0] = 0x00;
    b[1] = 0x01;
    v = 4326;
    memcpy(b + 2, &v, 4);
    memcpy(b + 6, mbr, sizeof mbr);
    b[38] = 0x7C;
    v = 3;
    memcpy(b + 39, &v, 4);
    v = 1;
    memcpy(b + 43, &v, 4);
    v = 5;
    memcpy(b + 47, &v, 4);
    memcpy(b + 51, pts, sizeof pts);
    b[sizeof b - 1] = 0xFE;
    fp_geom g;
    ct_err err;
    fp_init(&g);
    UT_EQ_INT(fp_parse_blob(b, (int)sizeof b, &g, &err), CT_OK);
    int np, nr;
    double m2[4];
    UT_EQ_INT(fp_blob_summary(b, (int)sizeof b, m2, &np, &nr), CT_OK);
    int npolys = g.npolys, npts = g.npts;
    fp_free(&g);
    UT_EQ_INT(npolys, 1);
    UT_EQ_INT(npts, 5);
    UT_EQ_INT(np, 5);
    UT_EQ_INT(nr, 1);
    UT_NEAR(m2[2], 1.0, 0);
    UT_EQ_INT(fp_parse_blob(b, (int)sizeof b - 9, &g, &err), CT_EFORMAT);
    fp_free(&g);
}

int main(void)
{
    UT_RUN(test_square);
    UT_RUN(test_l_shape);
    UT_RUN(test_courtyard_hole);
    UT_RUN(test_two_holes_wrong_winding);
    UT_RUN(test_self_touching_ring);
    UT_RUN(test_multipolygon);
    UT_RUN(test_spiky_dirty_ring);
    UT_RUN(test_clockwise_ring);
    UT_RUN(test_bow_tie_is_repaired);
    UT_RUN(test_degenerate_is_counted_not_crashing);
    UT_RUN(test_giant_ring_goes_to_cdt);
    UT_RUN(test_blob_parse);
    return ut_done();
}
