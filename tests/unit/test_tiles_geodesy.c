/* tests/unit/test_tiles_geodesy.c: the tiles' WGS84 maths agrees with PROJ
 * (EPSG:4979 -> EPSG:4978) to the millimetre, ENU frames are orthonormal
 * with "up" along the ellipsoid normal, the cglm matrix matches the double
 * one, and ear clipping of random star-shaped polygons (simple by
 * construction, with a square hole from 6 points on) always covers their
 * exact area with n - 2 (+ 6 with the hole) triangles. */
#include <proj.h>
#include <stdlib.h>

#include "tiles/earcut.h"
#include "tiles/geodesy.h"
#include "ut.h"

static void test_ecef_matches_proj(void)
{
    PJ_CONTEXT *ctx = proj_context_create();
    PJ *p = proj_create_crs_to_crs(ctx, "EPSG:4979", "EPSG:4978", NULL);
    UT_CHECK(p != NULL);
    static const double pts[][3] = {{112.45, 34.62, 0}, {112.8, 34.1, 350.5},
                                    {0, 0, 0}, {-70.2, -33.4, 1200}, {179.9, 89.5, 10}};
    double worst = 0;
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        /* EPSG:4979 is latitude first */
        PJ_COORD c = proj_coord(pts[i][1], pts[i][0], pts[i][2], 0);
        PJ_COORD e = proj_trans(p, PJ_FWD, c);
        double mine[3];
        geo_ecef(pts[i][0], pts[i][1], pts[i][2], mine);
        for (int k = 0; k < 3; k++)
            worst = fmax(worst, fabs(mine[k] - e.v[k]));
    }
    proj_destroy(p);
    proj_context_destroy(ctx);
    UT_CHECK_MSG(worst < 1e-3, "differs from PROJ by %.6f m", worst);
}

static void test_enu_frame(void)
{
    geo_frame f;
    geo_frame_init(&f, 112.45, 34.62, 0.0);
    const double *ax[3] = {f.east, f.north, f.up};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double d = ax[i][0] * ax[j][0] + ax[i][1] * ax[j][1] + ax[i][2] * ax[j][2];
            UT_NEAR(d, i == j ? 1.0 : 0.0, 1e-12);
        }
    /* a point 100 m up is (0, 0, 100) locally; 1 km east is ~(1000, 0, -0.08) */
    double p[3], n[3], up[3];
    geo_local(&f, 112.45, 34.62, p, n);
    UT_NEAR(p[0], 0, 1e-6);
    UT_NEAR(n[2], 1, 1e-12);
    double e1km = 1000.0 / (M_PI / 180.0 * 6384000.0 * cos(34.62 * M_PI / 180.0));
    geo_local(&f, 112.45 + e1km, 34.62, p, up);
    UT_NEAR(p[0], 1000.0, 5.0);
    UT_CHECK(p[2] < -0.05 && p[2] > -0.1);  /* the Earth curves away */
    double t[16];
    mat4 m;
    geo_frame_transform(&f, t);
    geo_frame_mat4(&f, m);
    for (int c = 0; c < 4; c++)
        for (int r = 0; r < 4; r++)
            UT_NEAR(m[c][r], t[4 * c + r], fabs(t[4 * c + r]) * 1e-6 + 1e-6);
}

static void test_earcut_random_stars(void)
{
    earcut_ctx c;
    earcut_init(&c);
    srand(42);
    int bad = 0;
    for (int round = 0; round < 300 && !bad; round++) {
        int n = 3 + rand() % 60;
        double pt[2 * 68], area = 0;
        for (int i = 0; i < n; i++) {
            double a = 2 * M_PI * (i + 0.2 + 0.6 * rand() / (double)RAND_MAX) / n;
            double r = 5 + 20.0 * rand() / RAND_MAX;
            pt[2 * i] = r * cos(a);
            pt[2 * i + 1] = r * sin(a);
        }
        for (int i = 0, j = n - 1; i < n; j = i++)
            area += 0.5 * (pt[2 * j] * pt[2 * i + 1] - pt[2 * i] * pt[2 * j + 1]);
        /* from 6 points on, a clockwise 2 x 2 hole at the centre fits */
        int off[2] = {0, n}, cnt[2] = {n, 4}, nr = n >= 6 ? 2 : 1;
        static const double hole[8] = {-1, -1, -1, 1, 1, 1, 1, -1};
        if (nr == 2) {
            memcpy(pt + 2 * n, hole, sizeof hole);
            area -= 4;
        }
        int want = nr == 2 ? n + 4 : n - 2;
        if (earcut_polygon(&c, pt, off, cnt, nr) != 0 || c.ntri != want) {
            bad = 1;
            break;
        }
        double got = 0;
        for (int t = 0; t < c.ntri; t++) {
            const double *a = pt + 2 * c.tri[3 * t], *b = pt + 2 * c.tri[3 * t + 1],
                         *d = pt + 2 * c.tri[3 * t + 2];
            double s = 0.5 * ((b[0] - a[0]) * (d[1] - a[1]) - (b[1] - a[1]) * (d[0] - a[0]));
            if (s < -1e-9)
                bad = 2;
            got += s;
        }
        if (fabs(got - area) > 1e-6 * area)
            bad = 3;
    }
    earcut_free(&c);
    UT_EQ_INT(bad, 0);
}

int main(void)
{
    UT_RUN(test_ecef_matches_proj);
    UT_RUN(test_enu_frame);
    UT_RUN(test_earcut_random_stars);
    return ut_done();
}
