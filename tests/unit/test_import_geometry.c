/* tests/unit/test_import_geometry.c: geometry checks of the import: the
 * fast validity test agrees with GEOS on random polygons, repairs and
 * rejections by reason, shaping to the layer's kind, and areas and lengths
 * against PROJ's geodesic routines. */
#include <cpl_error.h>
#include <geodesic.h>
#include <math.h>
#include <stdlib.h>

#include "spatial/measure.h"
#include "spatial/validity.h"
#include "ut.h"

static OGRGeometryH wkt(const char *text)
{
    OGRGeometryH g = NULL;
    char *p = (char *)text;
    if (OGR_G_CreateFromWkt(&p, NULL, &g) != OGRERR_NONE)
        return NULL;
    return g;
}

/* Random rings of 3 to 9 vertices in a 0.001 degree box, on a coarse grid
 * so that touching and collinear cases are common. --strict keeps a polygon
 * exactly when GEOS says it is valid (and it has area). */
static void test_fast_validity_agrees_with_geos(void)
{
    srand(12345);
    int valid = 0, invalid = 0;
    for (int t = 0; t < 3000; t++) {
        int n = 3 + rand() % 7;
        char buf[1024];
        /* half of them as one-polygon multipolygons, as GeoPackages store them */
        int multi = t % 2;
        int len = snprintf(buf, sizeof buf, multi ? "MULTIPOLYGON (((" : "POLYGON ((");
        double x0 = 0, y0 = 0;
        for (int i = 0; i < n; i++) {
            double x = 112.4 + (rand() % 5) * 0.00025, y = 34.6 + (rand() % 5) * 0.00025;
            if (i == 0) {
                x0 = x;
                y0 = y;
            }
            len += snprintf(buf + len, sizeof buf - (size_t)len, "%.5f %.5f,", x, y);
        }
        snprintf(buf + len, sizeof buf - (size_t)len, "%.5f %.5f))%s", x0, y0, multi ? ")" : "");
        OGRGeometryH g = wkt(buf);
        UT_CHECK(g != NULL);
        int geos_ok = OGR_G_IsValid(g) && fabs(OGR_G_Area(g)) > 0;
        shape_out o = validity_shape(g, LAYER_POLYGON, 1, NULL);
        int ours = o.geom != NULL;
        if (o.geom)
            OGR_G_DestroyGeometry(o.geom);
        OGR_G_DestroyGeometry(g);
        UT_CHECK_MSG(ours == geos_ok, "%s: GEOS %d, import %d", buf, geos_ok, ours);
        if (ours)
            valid++;
        else
            invalid++;
    }
    UT_CHECK_MSG(valid > 300 && invalid > 300, "valid %d invalid %d", valid, invalid);
}

static void test_repairs_and_rejections(void)
{
    static const struct { const char *wkt; layer_geom want; int strict, reason, repaired; } c[] = {
        {"POLYGON ((0 0,1 0,1 1,0 1,0 0))", LAYER_POLYGON, 0, GR_OK, 0},
        {"POLYGON ((0 0,1 1,1 0,0 1,0 0))", LAYER_POLYGON, 0, GR_OK, 1},        /* bow-tie */
        {"POLYGON ((0 0,1 1,1 0,0 1,0 0))", LAYER_POLYGON, 1, GR_INVALID, 0},
        {"POLYGON ((0 0,1 1,2 2,0 0))", LAYER_POLYGON, 0, GR_ZERO_AREA, 0},
        {"POLYGON ((0 0,2 0,2 2,1 2,1 0,0 0))", LAYER_POLYGON, 0, GR_OK, 1},    /* touching */
        {"POLYGON EMPTY", LAYER_POLYGON, 0, GR_EMPTY, 0},
        {"LINESTRING (0 0,1 1)", LAYER_POLYGON, 0, GR_WRONG_KIND, 0},
        {"LINESTRING (0 0,0 0)", LAYER_LINE, 0, GR_ZERO_LENGTH, 0},
        {"POINT (1 2)", LAYER_LINE, 0, GR_WRONG_KIND, 0},
        {"LINESTRING (0 0,1 1)", LAYER_POINT, 0, GR_WRONG_KIND, 0},
        {"POLYGON ((0 0,1 0,1 1,0 1,0 0))", LAYER_POINT, 0, GR_OK, 0},          /* point on surface */
        {"MULTIPOINT ((1 2),(3 4))", LAYER_POINT, 0, GR_OK, 0},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        OGRGeometryH g = wkt(c[i].wkt);
        UT_CHECK(g != NULL);
        shape_out o = validity_shape(g, c[i].want, c[i].strict, NULL);
        int ok = o.reason == c[i].reason && o.repaired == c[i].repaired &&
                 (o.geom != NULL) == (c[i].reason == GR_OK);
        if (o.geom && c[i].want == LAYER_POLYGON)
            ok = ok && wkbFlatten(OGR_G_GetGeometryType(o.geom)) == wkbMultiPolygon &&
                 OGR_G_IsValid(o.geom);
        if (o.geom && c[i].want == LAYER_POINT)
            ok = ok && wkbFlatten(OGR_G_GetGeometryType(o.geom)) == wkbPoint;
        if (o.geom)
            OGR_G_DestroyGeometry(o.geom);
        OGR_G_DestroyGeometry(g);
        UT_CHECK_MSG(ok, "%s -> %s (repaired %d)", c[i].wkt, validity_reason_name(o.reason),
                     o.repaired);
    }
    OGRGeometryH m = wkt("MULTILINESTRING ((0 0,1 1),(2 2,2 2),(3 3,4 4))");
    shape_out o = validity_shape(m, LAYER_LINE, 0, NULL);
    UT_CHECK(o.geom != NULL);
    UT_EQ_INT(OGR_G_GetGeometryCount(o.geom), 2);   /* the zero-length part dropped */
    OGR_G_DestroyGeometry(o.geom);
    OGR_G_DestroyGeometry(m);
}

static double geodesic_area(const double *lon, const double *lat, int n)
{
    struct geod_geodesic g;
    geod_init(&g, 6378137, 1 / 298.257223563);
    double a, p;
    geod_polygonarea(&g, (double *)lat, (double *)lon, n, &a, &p);
    return fabs(a);
}

static void test_area_and_length_against_geodesic(void)
{
    /* a 400 m building-sized quad and a 3 km block: the fast local path */
    static const double sizes[] = {0.004, 0.009};
    for (int k = 0; k < 2; k++) {
        double d = sizes[k];
        double lon[4] = {112.45, 112.45 + d, 112.45 + d * 1.2, 112.45 - d * 0.3};
        double lat[4] = {34.62, 34.62, 34.62 + d, 34.62 + d * 0.8};
        char buf[512];
        snprintf(buf, sizeof buf, "POLYGON ((%.9f %.9f,%.9f %.9f,%.9f %.9f,%.9f %.9f,%.9f %.9f))",
                 lon[0], lat[0], lon[1], lat[1], lon[2], lat[2], lon[3], lat[3], lon[0], lat[0]);
        OGRGeometryH g = wkt(buf);
        double want = geodesic_area(lon, lat, 4), got = measure_area_m2(g);
        OGR_G_DestroyGeometry(g);
        UT_CHECK_MSG(fabs(got - want) / want < 1e-5, "%.3f vs %.3f m2", got, want);
    }
    /* a large polygon goes the geodesic way, with a hole subtracted */
    OGRGeometryH big = wkt("POLYGON ((112 34,113 34,113 35,112 35,112 34),"
                           "(112.4 34.4,112.6 34.4,112.6 34.6,112.4 34.6,112.4 34.4))");
    double lon[4] = {112, 113, 113, 112}, lat[4] = {34, 34, 35, 35};
    double hlon[4] = {112.4, 112.6, 112.6, 112.4}, hlat[4] = {34.4, 34.4, 34.6, 34.6};
    UT_NEAR(measure_area_m2(big), geodesic_area(lon, lat, 4) - geodesic_area(hlon, hlat, 4), 1);
    OGR_G_DestroyGeometry(big);
    /* one degree of latitude along a meridian: 110 922 m at 34.12 N +- 0.5 */
    OGRGeometryH line = wkt("LINESTRING (112 33.62,112 34.12,112 34.62)");
    UT_NEAR(measure_length_m(line), 110923, 3);
    OGR_G_DestroyGeometry(line);
}

int main(void)
{
    CPLPushErrorHandler(CPLQuietErrorHandler);   /* GEOS warnings on purpose */
    UT_RUN(test_fast_validity_agrees_with_geos);
    UT_RUN(test_repairs_and_rejections);
    UT_RUN(test_area_and_length_against_geodesic);
    return ut_done();
}
