/* tests/unit/test_import.c: import of the real fixtures (Tilezen GeoPackage
 * of Shanghai and Wuhan, OSM XML of a Beijing campus): counts per layer,
 * heights, bounding boxes, road graph, stable ids on re-import, districts,
 * clipping, and the one-transaction rule (a failed import changes nothing). */
#include <gdal.h>
#include <ogr_api.h>

#include "import_util.h"
#include "spatial/writer.h"
#include "ut.h"

#define TZ "fallback_osm_shanghai_wuhan_tilezen.gpkg"
#define OSM "beijing_bupt_campus_osm.osm"

/* The extent of one layer of a source, read with GDAL. */
static int source_extent(const char *path, const char *layer, OGREnvelope *e)
{
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL,
                                 NULL, NULL);
    OGRLayerH l = ds ? GDALDatasetGetLayerByName(ds, layer) : NULL;
    int ok = l && OGR_L_GetExtent(l, e, 1) == OGRERR_NONE;
    if (ds)
        GDALClose(ds);
    return ok;
}

static void test_tilezen_counts_and_heights(void)
{
    import_report r;
    ct_err err;
    remove_store("tz.sqlite");
    int rc = run_import("tz.sqlite", NULL, NULL, NULL, &r, &err, fixture(TZ), NULL);
    UT_CHECK_MSG(rc == CT_OK, "%s", err.msg);
    /* 1321 + 234 buildings and 129 + 3 parts in the two cities */
    UT_EQ_INT(import_report_count(&r, "buildings"), 1555);
    UT_EQ_INT(import_report_count(&r, "building_parts"), 132);
    UT_EQ_INT(import_report_count(&r, "car_parks"), 16);
    UT_EQ_INT(import_report_count(&r, "hospitals"), 2);
    UT_EQ_INT(import_report_count(&r, "police"), 3);
    UT_EQ_INT(import_report_count(&r, "fire_stations"), 1);
    UT_EQ_INT(import_report_count(&r, "water_areas"), 8);
    /* 708 + 134 major/minor roads, a few split into several lines */
    UT_CHECK_MSG(import_report_count(&r, "roads") >= 842, "%lld",
                 import_report_count(&r, "roads"));
    UT_EQ_INT(r.reason[GR_NO_GEOMETRY], 3);   /* three transit routes without lines */
    import_report_free(&r);

    sqlite3 *db;
    UT_EQ_INT(store_open("tz.sqlite", STORE_READONLY, &db, &err), CT_OK);
    char buf[256];
    UT_EQ_INT(q_num(db, "SELECT count(*) FROM buildings"), 1555);
    UT_NEAR(q_num(db, "SELECT height FROM buildings WHERE name='上海中心大厦'"), 632, 1e-9);
    UT_EQ_STR(q_text(db, "SELECT height_rule FROM buildings WHERE name='上海中心大厦'",
                     buf, sizeof buf), "height");
    UT_EQ_STR(q_text(db, "SELECT id FROM buildings WHERE name='上海中心大厦'", buf,
                     sizeof buf), "buildings:tz:165792123");
    /* its footprint is about 80 m across */
    double area = q_num(db, "SELECT area_m2 FROM buildings WHERE name='上海中心大厦'");
    UT_CHECK_MSG(area > 3000 && area < 9000, "area %.0f", area);
    UT_CHECK(q_num(db, "SELECT count(*) FROM buildings WHERE height_rule='height'") >= 600);
    UT_EQ_INT(q_num(db, "SELECT count(*) FROM buildings WHERE height_rule NOT IN"
                        " ('height','levels','default') OR height IS NULL OR height <= 0"), 0);
    /* every footprint inside its source layer's extent (Shanghai or Wuhan) */
    char sql[1024];
    OGREnvelope sh, wh;
    UT_CHECK(source_extent(fixture(TZ), "sh_buildings", &sh));
    UT_CHECK(source_extent(fixture(TZ), "wh_buildings", &wh));
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM buildings WHERE NOT ("
             "(MbrMinX(geom) >= %.9f AND MbrMaxX(geom) <= %.9f AND MbrMinY(geom) >= %.9f"
             " AND MbrMaxY(geom) <= %.9f) OR (MbrMinX(geom) >= %.9f AND MbrMaxX(geom) <= %.9f"
             " AND MbrMinY(geom) >= %.9f AND MbrMaxY(geom) <= %.9f))",
             sh.MinX - 1e-9, sh.MaxX + 1e-9, sh.MinY - 1e-9, sh.MaxY + 1e-9,
             wh.MinX - 1e-9, wh.MaxX + 1e-9, wh.MinY - 1e-9, wh.MaxY + 1e-9);
    UT_EQ_INT(q_num(db, sql), 0);
    /* roads: one line per row, class, length and graph nodes */
    UT_EQ_INT(q_num(db, "SELECT count(*) FROM roads WHERE GeometryType(geom) <> 'LINESTRING'"
                        " OR class IS NULL OR length_m <= 0 OR node_from IS NULL"
                        " OR node_to IS NULL OR speed_kmh <= 0 OR oneway NOT IN (-1,0,1)"), 0);
    UT_CHECK(q_num(db, "SELECT count(*) FROM roads WHERE class='arterial'") > 0);
    UT_CHECK(q_num(db, "SELECT count(*) FROM roads WHERE oneway=1") > 0);
    /* the graph is connected in places: nodes shared by several roads */
    UT_CHECK(q_num(db, "SELECT count(*) FROM road_nodes") <
             2 * q_num(db, "SELECT count(*) FROM roads"));
    /* parts point at their building */
    UT_CHECK(q_num(db, "SELECT count(*) FROM building_parts p JOIN buildings b"
                       " ON b.id = p.building_id") > 0);
    /* items indexes every row of every layer */
    UT_EQ_INT(q_num(db, "SELECT count(*) FROM items"),
              q_num(db, "SELECT (SELECT count(*) FROM buildings)+(SELECT count(*) FROM"
                        " building_parts)+(SELECT count(*) FROM roads)+(SELECT count(*)"
                        " FROM water_lines)+(SELECT count(*) FROM water_areas)+(SELECT"
                        " count(*) FROM green_areas)+(SELECT count(*) FROM facilities)+"
                        "(SELECT count(*) FROM transport_lines)+(SELECT count(*) FROM"
                        " car_parks)+(SELECT count(*) FROM fire_stations)+(SELECT count(*)"
                        " FROM hospitals)+(SELECT count(*) FROM police)+(SELECT count(*)"
                        " FROM schools)+(SELECT count(*) FROM stations)"));
    UT_EQ_STR(q_text(db, "SELECT i.layer FROM items i JOIN buildings b ON b.id=i.id"
                         " AND b.fid=i.fid LIMIT 1", buf, sizeof buf), "buildings");
    /* unmapped attributes are kept as JSON */
    UT_EQ_STR(q_text(db, "SELECT json_extract(props, '$.addr_street') FROM buildings"
                         " WHERE name='上海中心大厦'", buf, sizeof buf), "银城中路");
    store_close(db);
}

static void test_reimport_keeps_ids_and_rows(void)
{
    char before[512], after[512];
    import_report r;
    ct_err err;
    sqlite3 *db;
    store_fingerprint("tz.sqlite", 0, before, sizeof before);
    UT_CHECK_MSG(strncmp(before, "2717:", 5) == 0, "%s", before);
    int rc = run_import("tz.sqlite", "tilezen", NULL, NULL, &r, &err, fixture(TZ), NULL);
    import_report_free(&r);
    UT_CHECK_MSG(rc == CT_OK, "%s", err.msg);
    /* same ids, fids, geometries, heights and road nodes: replaced, not added */
    store_fingerprint("tz.sqlite", 0, after, sizeof after);
    UT_EQ_STR(after, before);
    UT_EQ_INT(store_open("tz.sqlite", STORE_READONLY, &db, &err), CT_OK);
    UT_EQ_INT(q_num(db, "SELECT count(*) FROM imports"), 2);
    UT_EQ_INT(q_num(db, "SELECT count(*) FROM buildings"), 1555);
    store_close(db);
}

static void test_osm_xml_counts(void)
{
    import_report r;
    ct_err err;
    remove_store("osm.sqlite");
    int rc = run_import("osm.sqlite", NULL, NULL, NULL, &r, &err, fixture(OSM), NULL);
    UT_CHECK_MSG(rc == CT_OK, "%s", err.msg);
    UT_EQ_INT(import_report_count(&r, "buildings"), 111);
    UT_EQ_INT(import_report_count(&r, "car_parks"), 18);
    UT_CHECK(import_report_count(&r, "roads") >= 90);
    UT_CHECK(import_report_count(&r, "green_areas") > 0);
    import_report_free(&r);
    sqlite3 *db;
    char buf[256];
    UT_EQ_INT(store_open("osm.sqlite", STORE_READONLY, &db, &err), CT_OK);
    /* ids say the OSM object: w<way> or r<relation> */
    UT_EQ_INT(q_num(db, "SELECT count(*) FROM buildings WHERE id NOT GLOB 'buildings:osm:[wr][0-9]*'"), 0);
    /* the one building with building:levels uses the levels rule */
    UT_EQ_INT(q_num(db, "SELECT count(*) FROM buildings WHERE height_rule='levels'"), 1);
    UT_NEAR(q_num(db, "SELECT height - 3 * levels FROM buildings WHERE height_rule='levels'"),
            0, 1e-9);
    UT_EQ_INT(q_num(db, "SELECT count(*) FROM buildings WHERE height_rule='default'"), 110);
    /* other_tags were unpacked: keys such as name:zh land in props */
    UT_CHECK(q_num(db, "SELECT count(*) FROM buildings WHERE json_extract(props, '$.\"name:zh\"')"
                       " IS NOT NULL") > 0);
    UT_EQ_STR(q_text(db, "SELECT source FROM buildings LIMIT 1", buf, sizeof buf),
              "openstreetmap.org");
    /* inside the export's bounds 39.95668-39.96377 N, 116.34886-116.35519 E,
     * give or take ways that cross the edge */
    UT_EQ_INT(q_num(db, "SELECT count(*) FROM buildings WHERE MbrMinX(geom) < 116.34"
                        " OR MbrMaxX(geom) > 116.36 OR MbrMinY(geom) < 39.95"
                        " OR MbrMaxY(geom) > 39.97"), 0);
    store_close(db);
}

static void test_failed_import_changes_nothing(void)
{
    char before[512], after[512];
    import_report r;
    ct_err err;
    store_fingerprint("osm.sqlite", 1, before, sizeof before);
    /* the first source is fine and gets written inside the transaction; the
     * second has only a zero-area polygon, so the whole import fails */
    write_text("flat.geojson",
               "{\"type\":\"FeatureCollection\",\"name\":\"buildings\",\"features\":["
               "{\"type\":\"Feature\",\"properties\":{\"id\":\"flat1\"},\"geometry\":"
               "{\"type\":\"Polygon\",\"coordinates\":[[[116,39],[116.001,39],[116.002,39],[116,39]]]}}]}");
    int rc = run_import("osm.sqlite", NULL, NULL, NULL, &r, &err, fixture(TZ),
                        "flat.geojson");
    UT_CHECK_MSG(rc == CT_EFORMAT, "rc %d: %s", rc, err.msg);
    UT_CHECK_MSG(strstr(err.msg, "flat.geojson") && strstr(err.msg, "zero_area"), "%s",
                 err.msg);
    UT_CHECK(import_report_count(&r, "buildings") == 1555);   /* it had got that far */
    import_report_free(&r);
    store_fingerprint("osm.sqlite", 1, after, sizeof after);
    UT_CHECK_MSG(strcmp(before, after) == 0, "the store changed");
    /* a store the failed import would have created does not stay behind */
    remove_store("new.sqlite");
    rc = run_import("new.sqlite", NULL, NULL, NULL, &r, &err, "flat.geojson", NULL);
    import_report_free(&r);
    UT_EQ_INT(rc, CT_EFORMAT);
    UT_CHECK(access("new.sqlite", F_OK) != 0);
}

/* Two districts splitting Shanghai's extent at 121.50 E; a clip file
 * covering the western one. */
static void write_districts(void)
{
    write_text("sh_districts.geojson",
               "{\"type\":\"FeatureCollection\",\"features\":["
               "{\"type\":\"Feature\",\"properties\":{\"adcode\":\"310001\",\"name\":\"West\"},"
               "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[121.47,31.22],[121.50,31.22],"
               "[121.50,31.26],[121.47,31.26],[121.47,31.22]]]}},"
               "{\"type\":\"Feature\",\"properties\":{\"adcode\":\"310002\",\"name\":\"East\"},"
               "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[121.50,31.22],[121.53,31.22],"
               "[121.53,31.26],[121.50,31.26],[121.50,31.22]]]}}]}");
    write_text("west.geojson",
               "{\"type\":\"FeatureCollection\",\"features\":["
               "{\"type\":\"Feature\",\"properties\":{},"
               "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[121.47,31.22],[121.50,31.22],"
               "[121.50,31.26],[121.47,31.26],[121.47,31.22]]]}}]}");
}

static void test_districts_assigned_by_point_on_surface(void)
{
    import_report r;
    ct_err err;
    write_districts();
    int rc = run_import("tz.sqlite", "admin", NULL, NULL, &r, &err,
                        "sh_districts.geojson", NULL);
    UT_CHECK_MSG(rc == CT_OK, "%s", err.msg);
    UT_EQ_INT(import_report_count(&r, "districts"), 2);
    UT_CHECK(r.districts_assigned > 1000);
    import_report_free(&r);
    sqlite3 *db;
    char buf[128];
    UT_EQ_INT(store_open("tz.sqlite", STORE_READONLY, &db, &err), CT_OK);
    UT_EQ_STR(q_text(db, "SELECT district FROM buildings WHERE name='上海中心大厦'", buf,
                     sizeof buf), "districts:310002");   /* 121.5055 E */
    UT_EQ_INT(q_num(db, "SELECT count(*) FROM buildings WHERE district='districts:310001'"
                        " AND ST_X(ST_PointOnSurface(geom)) > 121.50"), 0);
    UT_CHECK(q_num(db, "SELECT count(*) FROM buildings WHERE district='districts:310001'") > 10);
    /* Wuhan is in neither */
    UT_CHECK(q_num(db, "SELECT count(*) FROM buildings WHERE district IS NULL") >= 234);
    UT_CHECK(q_num(db, "SELECT count(*) FROM car_parks WHERE district IS NOT NULL") > 0);
    store_close(db);
}

static void test_clip_drops_and_cuts(void)
{
    import_report r;
    ct_err err;
    write_districts();
    remove_store("clip.sqlite");
    int rc = run_import("clip.sqlite", NULL, NULL, "west.geojson", &r, &err, fixture(TZ),
                        NULL);
    long long outside = r.reason[GR_OUTSIDE_CLIP], clipped = r.clipped;
    long long kept = import_report_count(&r, "buildings");
    import_report_free(&r);
    UT_CHECK_MSG(rc == CT_OK, "%s", err.msg);
    UT_CHECK(outside > 500);   /* the east and all of Wuhan */
    UT_CHECK(clipped > 0);
    UT_CHECK_MSG(kept > 10 && kept < 1555 - 234, "%lld", kept);
    sqlite3 *db;
    UT_EQ_INT(store_open("clip.sqlite", STORE_READONLY, &db, &err), CT_OK);
    UT_EQ_INT(q_num(db, "SELECT count(*) FROM buildings WHERE MbrMaxX(geom) > 121.5000001"), 0);
    UT_EQ_INT(q_num(db, "SELECT count(*) FROM roads WHERE MbrMaxX(geom) > 121.5000001"), 0);
    UT_CHECK(q_num(db, "SELECT count(*) FROM roads") > 10);
    store_close(db);
}

/* Bulk mode set the SpatiaLite triggers aside and filled the R*Trees at
 * the end: the indexes must agree with the tables and the triggers must be
 * exactly those of a fresh store. */
static void test_spatial_indexes_and_triggers_intact(void)
{
    sqlite3 *db, *fresh;
    ct_err err;
    char a[256], b[256];
    remove_store("fresh.sqlite");
    UT_EQ_INT(store_open("fresh.sqlite", STORE_CREATE, &fresh, &err), CT_OK);
    UT_EQ_INT(writer_ensure_nodes(fresh, &err), CT_OK);
    /* read-write: CheckSpatialIndex logs to a SpatiaLite table */
    UT_EQ_INT(store_open("tz.sqlite", STORE_READWRITE, &db, &err), CT_OK);
    const char *trig = "SELECT count(*) || ':' || MD5TotalChecksum(s) FROM (SELECT name || sql"
                       " AS s FROM sqlite_master WHERE type='trigger' ORDER BY name)";
    q_text(db, trig, a, sizeof a);
    q_text(fresh, trig, b, sizeof b);
    UT_CHECK(atoi(a) > 100);
    UT_EQ_STR(a, b);
    static const char *const layers[] = {"buildings", "building_parts", "roads", "car_parks",
                                         "districts", "road_nodes"};
    for (int i = 0; i < 6; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT CheckSpatialIndex('%s', 'geom')", layers[i]);
        UT_CHECK_MSG(q_num(db, sql) == 1, "spatial index of %s", layers[i]);
        snprintf(sql, sizeof sql, "SELECT (SELECT count(*) FROM \"idx_%s_geom\") ="
                 " (SELECT count(*) FROM \"%s\")", layers[i], layers[i]);
        UT_CHECK_MSG(q_num(db, sql) == 1, "R*Tree rows of %s", layers[i]);
    }
    store_close(db);
    store_close(fresh);
}

/* Regression: more layers in one call than the report's first allocation
 * (16) moved the stats array under the layers still pointing into it. */
static void test_many_layers_in_one_call(void)
{
    import_report r;
    ct_err err;
    remove_store("many.sqlite");
    int rc = run_import("many.sqlite", NULL, NULL, NULL, &r, &err, fixture(TZ),
                        fixture(TZ));
    UT_CHECK_MSG(rc == CT_OK, "%s", err.msg);
    UT_CHECK(r.nlayers > 16);
    long long read = 0;
    for (int i = 0; i < r.nlayers; i++)
        read += r.layers[i].read;
    UT_CHECK_MSG(read < 100000, "read count %lld is garbage", read);
    sqlite3 *db;
    UT_EQ_INT(store_open("many.sqlite", STORE_READONLY, &db, &err), CT_OK);
    /* the same source twice upserts: one row per building */
    UT_EQ_INT(q_num(db, "SELECT count(*) FROM buildings"), 1555);
    store_close(db);
    import_report_free(&r);
}

int main(void)
{
    UT_RUN(test_tilezen_counts_and_heights);
    UT_RUN(test_reimport_keeps_ids_and_rows);
    UT_RUN(test_osm_xml_counts);
    UT_RUN(test_failed_import_changes_nothing);
    UT_RUN(test_districts_assigned_by_point_on_surface);
    UT_RUN(test_clip_drops_and_cuts);
    UT_RUN(test_spatial_indexes_and_triggers_intact);
    UT_RUN(test_many_layers_in_one_call);
    return ut_done();
}
