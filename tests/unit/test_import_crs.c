/* tests/unit/test_import_crs.c: reprojection to the store's lon/lat on
 * known points: CGCS2000 (EPSG:4490, axis order), its Gauss-Krüger zones
 * (EPSG:4546 without and EPSG:4526 with the zone number), Web Mercator,
 * UTM, GCJ-02 (--s_srs gcj02 on DataV districts), and a source without CRS.
 * Points on a zone's central meridian have easting 500000 and a northing
 * equal to the meridian arc (times the scale factor), computed here by its
 * series, independently of PROJ. */
#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "import_util.h"
#include "ut.h"

#define LAT 34.62   /* central Luoyang */

/* Meridian arc length from the equator on GRS80/WGS84 (they differ by
 * 0.1 mm here), Snyder's series (error well under a centimetre). */
static double meridian_arc(double lat_deg)
{
    const double a = 6378137.0, f = 1 / 298.257222101, e2 = f * (2 - f);
    const double e4 = e2 * e2, e6 = e4 * e2, p = lat_deg * M_PI / 180;
    return a * ((1 - e2 / 4 - 3 * e4 / 64 - 5 * e6 / 256) * p -
                (3 * e2 / 8 + 3 * e4 / 32 + 45 * e6 / 1024) * sin(2 * p) +
                (15 * e4 / 256 + 45 * e6 / 1024) * sin(4 * p) -
                (35 * e6 / 3072) * sin(6 * p));
}

/* Write car_parks.geojson with one point (and a crs member when crs is set),
 * import it, and read the stored lon/lat back. */
static int import_point(double x, double y, const char *crs, const char *s_srs,
                        double *lon, double *lat, ct_err *err)
{
    char text[1024];
    char crsj[256] = "";
    if (crs)
        snprintf(crsj, sizeof crsj,
                 "\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"%s\"}},", crs);
    snprintf(text, sizeof text,
             "{\"type\":\"FeatureCollection\",\"name\":\"car_parks\",%s\"features\":["
             "{\"type\":\"Feature\",\"properties\":{\"id\":\"p1\"},"
             "\"geometry\":{\"type\":\"Point\",\"coordinates\":[%.6f,%.6f]}}]}",
             crsj, x, y);
    write_text("car_parks.geojson", text);
    remove_store("crs.sqlite");
    import_report r;
    int rc = run_import("crs.sqlite", NULL, s_srs, NULL, &r, err, "car_parks.geojson", NULL);
    import_report_free(&r);
    if (rc)
        return rc;
    sqlite3 *db;
    if ((rc = store_open("crs.sqlite", STORE_READONLY, &db, err)))
        return rc;
    *lon = q_num(db, "SELECT ST_X(geom) FROM car_parks WHERE id='p1'");
    *lat = q_num(db, "SELECT ST_Y(geom) FROM car_parks WHERE id='p1'");
    store_close(db);
    return CT_OK;
}

static void test_cgcs2000_geographic_axis_order(void)
{
    double lon, lat;
    ct_err err;
    /* lon/lat data declared EPSG:4490 (whose official order is lat, lon) */
    UT_EQ_INT(import_point(112.45, LAT, NULL, "EPSG:4490", &lon, &lat, &err), CT_OK);
    UT_NEAR(lon, 112.45, 1e-7);
    UT_NEAR(lat, LAT, 1e-7);
    UT_EQ_INT(import_point(112.45, LAT, "EPSG:4490", NULL, &lon, &lat, &err), CT_OK);
    UT_NEAR(lon, 112.45, 1e-7);
    UT_NEAR(lat, LAT, 1e-7);
}

static void test_gauss_kruger_zones(void)
{
    double lon, lat;
    ct_err err;
    double north = meridian_arc(LAT);
    /* CGCS2000 / 3-degree GK CM 111E: the source's own CRS ... */
    int rc = import_point(500000, north, "EPSG:4546", NULL, &lon, &lat, &err);
    UT_CHECK_MSG(rc == CT_OK, "%s", err.msg);
    UT_NEAR(lon, 111.0, 1e-7);
    UT_NEAR(lat, LAT, 1e-7);
    /* ... or --s_srs overriding what the file says */
    rc = import_point(500000, north, NULL, "EPSG:4546", &lon, &lat, &err);
    UT_CHECK_MSG(rc == CT_OK, "%s", err.msg);
    UT_NEAR(lon, 111.0, 1e-7);
    UT_NEAR(lat, LAT, 1e-7);
    /* zone 38 with its number in the easting: CM 114E */
    rc = import_point(38500000, north, NULL, "EPSG:4526", &lon, &lat, &err);
    UT_CHECK_MSG(rc == CT_OK, "%s", err.msg);
    UT_NEAR(lon, 114.0, 1e-7);
    UT_NEAR(lat, LAT, 1e-7);
}

static void test_utm_and_web_mercator(void)
{
    double lon, lat;
    ct_err err;
    /* WGS 84 / UTM 49N: CM 111E, scale 0.9996 */
    int rc = import_point(500000, 0.9996 * meridian_arc(LAT), NULL, "EPSG:32649", &lon,
                          &lat, &err);
    UT_CHECK_MSG(rc == CT_OK, "%s", err.msg);
    UT_NEAR(lon, 111.0, 1e-7);
    UT_NEAR(lat, LAT, 1e-7);
    /* Web Mercator: x = R lon, y = R ln tan(pi/4 + lat/2) on the sphere */
    const double R = 6378137.0;
    double x = R * 112.45 * M_PI / 180;
    double y = R * log(tan(M_PI / 4 + LAT * M_PI / 360));
    rc = import_point(x, y, "EPSG:3857", NULL, &lon, &lat, &err);
    UT_CHECK_MSG(rc == CT_OK, "%s", err.msg);
    UT_NEAR(lon, 112.45, 1e-7);
    UT_NEAR(lat, LAT, 1e-7);
}

static void test_gcj02_districts(void)
{
    /* DataV (GCJ-02) districts; the WGS84 conversion of the same file puts
     * their centroids at these points. Without conversion they would be
     * some 600 m off. */
    import_report r;
    ct_err err;
    remove_store("gcj.sqlite");
    int rc = run_import("gcj.sqlite", "admin", "gcj02", NULL, &r, &err,
                        fixture("luoyang_2districts_gcj02.geojson"), NULL);
    import_report_free(&r);
    UT_CHECK_MSG(rc == CT_OK, "%s", err.msg);
    sqlite3 *db;
    UT_EQ_INT(store_open("gcj.sqlite", STORE_READONLY, &db, &err), CT_OK);
    static const struct { const char *id; double lon, lat; } want[] = {
        {"districts:410302", 112.437456, 34.715527},   /* 老城区 */
        {"districts:410303", 112.374024, 34.695802},   /* 西工区 */
    };
    for (int i = 0; i < 2; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT ST_X(ST_Centroid(geom)) FROM districts WHERE id='%s'",
                 want[i].id);
        double lon = q_num(db, sql);
        snprintf(sql, sizeof sql, "SELECT ST_Y(ST_Centroid(geom)) FROM districts WHERE id='%s'",
                 want[i].id);
        double lat = q_num(db, sql);
        double dx = (lon - want[i].lon) * 111320 * cos(lat * M_PI / 180);
        double dy = (lat - want[i].lat) * 110540;
        UT_CHECK_MSG(sqrt(dx * dx + dy * dy) < 30, "%s centroid %.1f m off", want[i].id,
                     sqrt(dx * dx + dy * dy));
    }
    char buf[64];
    UT_EQ_STR(q_text(db, "SELECT name FROM districts WHERE id='districts:410302'", buf,
                     sizeof buf), "老城区");
    store_close(db);
}

static void test_source_without_crs(void)
{
    /* a Shapefile with no .prj and projected coordinates */
    GDALAllRegister();
    GDALDriverH drv = GDALGetDriverByName("ESRI Shapefile");
    GDALDatasetH ds = GDALCreate(drv, "car_parks.shp", 0, 0, 0, GDT_Unknown, NULL);
    UT_CHECK(ds != NULL);
    OGRLayerH l = GDALDatasetCreateLayer(ds, "car_parks", NULL, wkbPoint, NULL);
    OGRFieldDefnH fd = OGR_Fld_Create("id", OFTString);
    OGR_L_CreateField(l, fd, 1);
    OGR_Fld_Destroy(fd);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
    OGR_F_SetFieldString(f, 0, "p1");
    OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
    OGR_G_SetPoint_2D(g, 0, 500000, meridian_arc(LAT));
    OGR_F_SetGeometryDirectly(f, g);
    UT_EQ_INT(OGR_L_CreateFeature(l, f), OGRERR_NONE);
    OGR_F_Destroy(f);
    GDALClose(ds);
    import_report r;
    ct_err err;
    remove_store("nocrs.sqlite");
    int rc = run_import("nocrs.sqlite", NULL, NULL, NULL, &r, &err, "car_parks.shp", NULL);
    import_report_free(&r);
    UT_EQ_INT(rc, CT_EINVAL);
    UT_CHECK_MSG(strstr(err.msg, "car_parks.shp") && strstr(err.msg, "no CRS") &&
                 strstr(err.msg, "--s_srs"), "%s", err.msg);
    rc = run_import("nocrs.sqlite", NULL, "EPSG:4546", NULL, &r, &err, "car_parks.shp", NULL);
    import_report_free(&r);
    UT_CHECK_MSG(rc == CT_OK, "%s", err.msg);
}

int main(void)
{
    UT_RUN(test_cgcs2000_geographic_axis_order);
    UT_RUN(test_gauss_kruger_zones);
    UT_RUN(test_utm_and_web_mercator);
    UT_RUN(test_gcj02_districts);
    UT_RUN(test_source_without_crs);
    return ut_done();
}
