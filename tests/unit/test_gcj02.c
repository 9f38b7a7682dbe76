/* tests/unit/test_gcj02.c: GCJ-02 <-> WGS84 on known points: the published
 * formula's reference value, DataV district centres (GCJ-02) against their
 * WGS84 conversions, and the round trip under 0.5 m across Luoyang. */
#include "spatial/gcj02.h"
#include "spatial/measure.h"
#include "ut.h"

/* Beijing (116.404, 39.915) WGS84 -> GCJ-02, as the widely used
 * coordtransform library documents it. */
static void test_forward_reference_point(void)
{
    double glon, glat;
    gcj02_from_wgs84(116.404, 39.915, &glon, &glat);
    UT_NEAR(glon, 116.41024449916938, 1e-9);
    UT_NEAR(glat, 39.91640428150164, 1e-9);
}

/* Central Luoyang: GCJ-02 is about 574 m east and 112 m south of WGS84
 * (the offset quoted in the data notes: +0.00626 deg lon, -0.00102 deg lat). */
static void test_luoyang_offset(void)
{
    double glon, glat;
    gcj02_from_wgs84(112.45, 34.62, &glon, &glat);
    UT_NEAR(glon - 112.45, 0.00626, 0.00005);
    UT_NEAR(glat - 34.62, -0.00102, 0.00005);
    double east = measure_distance_m(112.45, 34.62, glon, 34.62);
    UT_NEAR(east, 574, 5);
}

/* DataV (AMap, GCJ-02) district centres and the same centres in the
 * WGS84 conversion of that file (tests/fixtures/README.md), 1e-6 deg. */
static void test_datav_centres_to_wgs84(void)
{
    static const double pts[][4] = {
        /* gcj lon, gcj lat, wgs lon, wgs lat */
        {112.477298, 34.682945, 112.471091, 34.683955},   /* 老城区 */
        {112.443232, 34.667847, 112.436938, 34.668798},   /* 西工区 */
        {112.491625, 34.684738, 112.485466, 34.685787},   /* 瀍河回族区 */
        {112.399243, 34.654251, 112.392920, 34.655190},   /* 涧西区 */
    };
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        double lon, lat;
        gcj02_to_wgs84(pts[i][0], pts[i][1], &lon, &lat);
        double d = measure_distance_m(lon, lat, pts[i][2], pts[i][3]);
        UT_CHECK_MSG(d < 0.5, "point %zu is %.3f m from its WGS84 value", i, d);
    }
}

static void test_round_trip_under_half_metre(void)
{
    double worst = 0;
    for (double lon = 111.1; lon <= 113.0; lon += 0.1)
        for (double lat = 33.5; lat <= 35.1; lat += 0.1) {
            double glon, glat, blon, blat;
            gcj02_from_wgs84(lon, lat, &glon, &glat);
            gcj02_to_wgs84(glon, glat, &blon, &blat);
            double d = measure_distance_m(lon, lat, blon, blat);
            if (d > worst)
                worst = d;
        }
    UT_CHECK_MSG(worst < 0.5, "worst round trip %.6f m", worst);
    UT_CHECK_MSG(worst < 0.001, "iteration should converge to mm: %.6f m", worst);
}

static void test_outside_china_unchanged(void)
{
    double glon, glat;
    gcj02_from_wgs84(2.35, 48.85, &glon, &glat);   /* Paris */
    UT_NEAR(glon, 2.35, 0);
    UT_NEAR(glat, 48.85, 0);
    UT_CHECK(!gcj02_in_china(2.35, 48.85));
    UT_CHECK(gcj02_in_china(112.45, 34.62));
}

int main(void)
{
    UT_RUN(test_forward_reference_point);
    UT_RUN(test_luoyang_offset);
    UT_RUN(test_datav_centres_to_wgs84);
    UT_RUN(test_round_trip_under_half_metre);
    UT_RUN(test_outside_china_unchanged);
    return ut_done();
}
