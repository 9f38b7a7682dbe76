/* tests/unit/test_import_bad.c: bad input gets a message naming the input
 * and the problem, and the store stays as it was: missing file, unknown
 * format, unknown CRS, empty and corrupt GeoPackages, a layer without
 * geometry, zero-area, self-intersecting, empty and NaN/huge geometries,
 * wrong geometry kinds, and an id clash between layers. */
#include <gdal.h>

#include "import_util.h"
#include "ut.h"

#define STORE "bad.sqlite"

static char base_print[512];

/* A store with something in it, and its fingerprint, to compare against. */
static void test_setup_store(void)
{
    import_report r;
    ct_err err;
    remove_store(STORE);
    int rc = run_import(STORE, NULL, NULL, NULL, &r, &err,
                        fixture("beijing_bupt_campus_osm.osm"), NULL);
    import_report_free(&r);
    UT_CHECK_MSG(rc == CT_OK, "%s", err.msg);
    store_fingerprint(STORE, 1, base_print, sizeof base_print);
    UT_CHECK(strlen(base_print) > 20);
}

/* Import src (with s_srs/map, strict), expect code and every needle in the
 * message, and an unchanged store. */
static int expect_fail(const char *src, const char *map, const char *s_srs, int strict,
                       int code, const char *needle1, const char *needle2)
{
    import_report r;
    ct_err err;
    const char *srcs[1] = {src};
    import_opts o;
    memset(&o, 0, sizeof o);
    o.sources = srcs;
    o.nsources = 1;
    o.store = STORE;
    o.map = map;
    o.s_srs = s_srs;
    o.strict = strict;
    o.quiet = 1;
    int rc = import_sources(&o, &r, &err);
    import_report_free(&r);
    char now[512];
    store_fingerprint(STORE, 1, now, sizeof now);
    int ok = rc == code && strstr(err.msg, needle1) &&
             (!needle2 || strstr(err.msg, needle2)) && !strcmp(now, base_print);
    if (!ok)
        printf("# %s: rc %d (want %d), message: %s%s\n", src, rc, code, err.msg,
               strcmp(now, base_print) ? " -- AND THE STORE CHANGED" : "");
    return ok;
}

static const char *fc(const char *name, const char *geometry)
{
    static char buf[2048];
    snprintf(buf, sizeof buf,
             "{\"type\":\"FeatureCollection\",\"name\":\"%s\",\"features\":["
             "{\"type\":\"Feature\",\"properties\":{\"id\":\"x1\"},\"geometry\":%s}]}",
             name, geometry);
    return buf;
}

static void test_missing_file(void)
{
    UT_CHECK(expect_fail("no/such/city.gpkg", NULL, NULL, 0, CT_ENOTFOUND,
                         "no/such/city.gpkg", "no such file"));
}

static void test_unknown_format(void)
{
    write_text("notes.xyz", "this is not GIS data at all\n\x01\x02\x03 nor anything else\n");
    UT_CHECK(expect_fail("notes.xyz", NULL, NULL, 0, CT_EFORMAT, "notes.xyz",
                         "not a readable GIS vector source"));
}

static void test_unknown_crs(void)
{
    UT_CHECK(expect_fail(fixture("beijing_bupt_campus_osm.osm"), NULL, "EPSG:99999999", 0,
                         CT_EINVAL, "unknown CRS", "EPSG:99999999"));
    UT_CHECK(expect_fail(fixture("beijing_bupt_campus_osm.osm"), NULL, "mars-coordinates",
                         0, CT_EINVAL, "unknown CRS", NULL));
}

static void test_empty_and_corrupt_geopackage(void)
{
    write_text("empty.gpkg", "");
    UT_CHECK(expect_fail("empty.gpkg", NULL, NULL, 0, CT_EFORMAT, "empty.gpkg", "empty"));
    /* a valid GeoPackage with no layer in it */
    GDALAllRegister();
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    unlink("nolayers.gpkg");
    GDALDatasetH ds = GDALCreate(drv, "nolayers.gpkg", 0, 0, 0, GDT_Unknown, NULL);
    UT_CHECK(ds != NULL);
    GDALClose(ds);
    UT_CHECK(expect_fail("nolayers.gpkg", NULL, NULL, 0, CT_EFORMAT, "nolayers.gpkg",
                         "no vector layers"));
    UT_CHECK(expect_fail("nolayers.gpkg", NULL, NULL, 0, CT_EFORMAT, "GPKG", NULL));
    /* the first 8 KiB of the real fixture: a cut-off SQLite file */
    FILE *in = fopen(fixture("fallback_osm_shanghai_wuhan_tilezen.gpkg"), "rb");
    FILE *out = fopen("cut.gpkg", "wb");
    char buf[8192];
    size_t n = in ? fread(buf, 1, sizeof buf, in) : 0;
    if (out)
        fwrite(buf, 1, n, out);
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    UT_CHECK(n == sizeof buf);
    UT_CHECK(expect_fail("cut.gpkg", NULL, NULL, 0, CT_EFORMAT, "cut.gpkg", NULL));
}

static void test_layer_without_geometry(void)
{
    /* a CSV named like a store layer: the native mapping wants it, but it
     * has no geometry */
    write_text("buildings.csv", "id,name,height\nb1,Tower,100\n");
    UT_CHECK(expect_fail("buildings.csv", NULL, NULL, 0, CT_EFORMAT, "buildings.csv",
                         "has no geometry"));
}

static void test_zero_area_polygon(void)
{
    write_text("zero.geojson",
               fc("buildings", "{\"type\":\"Polygon\",\"coordinates\":"
                               "[[[112,34],[112.001,34.001],[112.002,34.002],[112,34]]]}"));
    UT_CHECK(expect_fail("zero.geojson", NULL, NULL, 0, CT_EFORMAT, "zero.geojson",
                         "zero_area"));
}

static void test_self_intersecting_polygon(void)
{
    /* a bow-tie: --strict rejects it; otherwise make-valid repairs it */
    write_text("bowtie.geojson",
               fc("buildings", "{\"type\":\"Polygon\",\"coordinates\":"
                               "[[[112,34],[112.001,34.001],[112.001,34],[112,34.001],[112,34]]]}"));
    UT_CHECK(expect_fail("bowtie.geojson", NULL, NULL, 1, CT_EFORMAT, "bowtie.geojson",
                         "invalid geometry"));
    import_report r;
    ct_err err;
    remove_store("repair.sqlite");
    int rc = run_import("repair.sqlite", NULL, NULL, NULL, &r, &err, "bowtie.geojson", NULL);
    long long repaired = r.repaired, written = import_report_count(&r, "buildings");
    import_report_free(&r);
    UT_CHECK_MSG(rc == CT_OK, "%s", err.msg);
    UT_EQ_INT(repaired, 1);
    UT_EQ_INT(written, 1);
    sqlite3 *db;
    UT_EQ_INT(store_open("repair.sqlite", STORE_READONLY, &db, &err), CT_OK);
    UT_EQ_INT(q_num(db, "SELECT ST_IsValid(geom) FROM buildings WHERE id='x1'"), 1);
    UT_EQ_INT(q_num(db, "SELECT ST_NumGeometries(geom) FROM buildings WHERE id='x1'"), 2);
    UT_CHECK(q_num(db, "SELECT area_m2 FROM buildings WHERE id='x1'") > 1000);
    store_close(db);
}

static void test_nan_huge_and_empty_coordinates(void)
{
    write_text("nan.geojson",
               fc("roads", "{\"type\":\"LineString\",\"coordinates\":"
                           "[[112,34],[NaN,34.5],[112.1,34.1]]}"));
    UT_CHECK(expect_fail("nan.geojson", NULL, NULL, 0, CT_EFORMAT, "nan.geojson",
                         "bad_coordinates"));
    write_text("huge.geojson",
               fc("car_parks", "{\"type\":\"Point\",\"coordinates\":[1e300,1e300]}"));
    UT_CHECK(expect_fail("huge.geojson", NULL, NULL, 0, CT_EFORMAT, "huge.geojson",
                         "bad_coordinates"));
    /* lat/lon swapped: latitude 112 is out of range */
    write_text("swapped.geojson",
               fc("car_parks", "{\"type\":\"Point\",\"coordinates\":[34.6,112.4]}"));
    UT_CHECK(expect_fail("swapped.geojson", NULL, NULL, 0, CT_EFORMAT, "swapped.geojson",
                         "bad_coordinates"));
    write_text("nogeom.geojson", fc("car_parks", "null"));
    UT_CHECK(expect_fail("nogeom.geojson", NULL, NULL, 0, CT_EFORMAT, "nogeom.geojson",
                         NULL));
}

static void test_wrong_geometry_kind(void)
{
    write_text("linebuilding.geojson",
               fc("buildings", "{\"type\":\"LineString\",\"coordinates\":[[112,34],[112.1,34.1]]}"));
    UT_CHECK(expect_fail("linebuilding.geojson", NULL, NULL, 0, CT_EFORMAT,
                         "linebuilding.geojson", "wrong_kind"));
}

static void test_id_clash_between_layers(void)
{
    /* the same public id in two layers would make /items/{id} ambiguous */
    write_text("clash.geojson",
               "{\"type\":\"FeatureCollection\",\"name\":\"hydrants\",\"features\":["
               "{\"type\":\"Feature\",\"properties\":{\"id\":\"car_parks:osm:w969718468\"},"
               "\"geometry\":{\"type\":\"Point\",\"coordinates\":[116.35,39.96]}}]}");
    UT_CHECK(expect_fail("clash.geojson", NULL, NULL, 0, CT_ECONFLICT,
                         "car_parks:osm:w969718468", "already used by layer car_parks"));
}

static void test_unknown_mapping_and_undetectable_source(void)
{
    UT_CHECK(expect_fail(fixture("beijing_bupt_campus_osm.osm"), "nonesuch", NULL, 0,
                         CT_ENOTFOUND, "nonesuch", NULL));
    write_text("parcels.geojson",
               "{\"type\":\"FeatureCollection\",\"name\":\"parcels\",\"features\":["
               "{\"type\":\"Feature\",\"properties\":{\"owner\":\"x\"},"
               "\"geometry\":{\"type\":\"Point\",\"coordinates\":[116.35,39.96]}}]}");
    UT_CHECK(expect_fail("parcels.geojson", NULL, NULL, 0, CT_EFORMAT, "parcels",
                         "give --map"));
}

int main(void)
{
    UT_RUN(test_setup_store);
    UT_RUN(test_missing_file);
    UT_RUN(test_unknown_format);
    UT_RUN(test_unknown_crs);
    UT_RUN(test_empty_and_corrupt_geopackage);
    UT_RUN(test_layer_without_geometry);
    UT_RUN(test_zero_area_polygon);
    UT_RUN(test_self_intersecting_polygon);
    UT_RUN(test_nan_huge_and_empty_coordinates);
    UT_RUN(test_wrong_geometry_kind);
    UT_RUN(test_id_clash_between_layers);
    UT_RUN(test_unknown_mapping_and_undetectable_source);
    return ut_done();
}
