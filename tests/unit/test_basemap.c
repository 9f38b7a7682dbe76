/* tests/unit/test_basemap.c: the offline base map (tiles/basemap*.c).
 * Builds a small store (one district, a lake, three roads), renders three
 * zooms with a test style of plain colours, and checks tile numbering,
 * PNG contents, anti-aliasing, the bbox, side files and error messages;
 * plus the coverage rasterizer on its own. */
#include <gdal.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spatial/store.h"
#include "tiles/basemap.h"
#include "tiles/basemap_internal.h"
#include "ut.h"

static char dir[256], store_path[300], style_path[300], out_dir[300];
static int rendered = -1;
static ct_err render_err;
static basemap_stats render_stats;

/* Independent of the code under test: the OSM slippy-map formula. */
static void lonlat_px(double lon, double lat, int z, double *px, double *py)
{
    double n = ldexp(1, z), r = lat * M_PI / 180;
    *px = (lon + 180) / 360 * n * 256;
    *py = (1 - log(tan(r) + 1 / cos(r)) / M_PI) / 2 * n * 256;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static const char *TEST_STYLE =
    "{\"background\": \"#000010\", \"layers\": ["
    "{\"id\": \"df\", \"layer\": \"districts\", \"type\": \"fill\","
    " \"color\": \"#202020\", \"filter\": {\"level\": {\"not\": [\"city\"]}}},"
    "{\"id\": \"wa\", \"layer\": \"water_areas\", \"type\": \"fill\","
    " \"color\": \"#0000ff\"},"
    "{\"id\": \"gr\", \"layer\": \"green_areas\", \"type\": \"fill\","
    " \"color\": \"#00ff00\"},"
    "{\"id\": \"loc\", \"layer\": \"roads\", \"type\": \"line\", \"minzoom\": 13,"
    " \"filter\": {\"class\": [\"local\"]}, \"color\": \"#00ff00\", \"width\": 4},"
    "{\"id\": \"art\", \"layer\": \"roads\", \"type\": \"line\","
    " \"filter\": {\"class\": [\"arterial\"]}, \"color\": \"#ffff00\","
    " \"width\": [[12, 2], [14, 3]]},"
    "{\"id\": \"exp\", \"layer\": \"roads\", \"type\": \"line\","
    " \"filter\": {\"class\": [\"expressway\"]}, \"color\": \"#ff8000\","
    " \"width\": 8},"
    "{\"id\": \"dl\", \"layer\": \"districts\", \"type\": \"line\","
    " \"color\": \"#808080\", \"width\": 1}]}";

static int add(sqlite3 *db, const char *layer, const char *id,
               const char *cols, const char *vals, const char *wkt,
               const char *cast)
{
    char sql[1024];
    ct_err err;
    snprintf(sql, sizeof sql,
             "INSERT INTO %s(id, source, %s, geom) VALUES('%s', %s, "
             "%s(GeomFromText('%s', 4326)));"
             "INSERT INTO items(id, layer, fid) VALUES('%s', '%s', "
             "last_insert_rowid());",
             layer, cols, id, vals, cast, wkt, id, layer);
    return store_exec(db, sql, &err);
}

static int make_store(void)
{
    sqlite3 *db;
    ct_err err;
    if (store_open(store_path, STORE_CREATE, &db, &err))
        return -1;
    int rc = 0;
    rc |= add(db, "districts", "d1", "name, level", "'tianditu', '洛龙区', 'district'",
              "POLYGON((112.40 34.60, 112.60 34.60, 112.60 34.68, "
              "112.40 34.68, 112.40 34.60))", "CastToMultiPolygon");
    rc |= add(db, "water_areas", "w1", "name", "'gshhg', 'lake'",
              "POLYGON((112.43 34.655, 112.445 34.655, 112.445 34.665, "
              "112.43 34.665, 112.43 34.655))", "CastToMultiPolygon");
    /* a 2 m square park: below the decimation step at z13 and z14 */
    rc |= add(db, "green_areas", "g1", "name", "'osm', 'tiny'",
              "POLYGON((112.52 34.65, 112.52002 34.65, 112.52002 34.650018, "
              "112.52 34.650018, 112.52 34.65))", "CastToMultiPolygon");
    rc |= add(db, "roads", "r1", "class", "'osm', 'expressway'",
              "LINESTRING(112.40 34.65, 112.49 34.65)", "");
    rc |= add(db, "roads", "r2", "class", "'osm', 'arterial'",
              "LINESTRING(112.41 34.61, 112.48 34.67)", "");
    rc |= add(db, "roads", "r3", "class", "'synthetic', 'local'",
              "LINESTRING(112.46 34.605, 112.46 34.64)", "");
    store_close(db);
    return rc;
}

/* Render once for the tests that read the output. */
static int render(void)
{
    if (rendered >= 0)
        return rendered;
    snprintf(dir, sizeof dir, "bmtest.XXXXXX");
    if (!mkdtemp(dir))
        return rendered = -1;
    snprintf(store_path, sizeof store_path, "%s/city.sqlite", dir);
    snprintf(style_path, sizeof style_path, "%s/style.json", dir);
    snprintf(out_dir, sizeof out_dir, "%s/basemap", dir);
    if (make_store() || write_file(style_path, TEST_STYLE))
        return rendered = -1;
    basemap_opts o;
    basemap_opts_default(&o);
    o.min_zoom = 12;
    o.max_zoom = 14;
    o.jobs = 2;
    o.quiet = 1;
    o.style_path = style_path;
    rendered = basemap_render_stats(store_path, out_dir, &o, &render_stats,
                                    &render_err);
    if (rendered)
        printf("# render failed: %s\n", render_err.msg);
    return rendered;
}

static int tile_exists(int z, int x, int y)
{
    char p[400];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%d/%d/%d.png", out_dir, z, x, y);
    return stat(p, &sb) == 0;
}

/* Read tile z/x/y into rgb (256*256*3); returns 0 when it decodes as a
 * 256x256 three-band image. */
static int read_tile_in(const char *base, int z, int x, int y,
                        unsigned char *rgb)
{
    char p[400];
    snprintf(p, sizeof p, "%s/%d/%d/%d.png", base, z, x, y);
    GDALDatasetH ds = GDALOpen(p, GA_ReadOnly);
    if (!ds)
        return -1;
    int ok = GDALGetRasterXSize(ds) == 256 && GDALGetRasterYSize(ds) == 256 &&
             GDALGetRasterCount(ds) == 3 &&
             !strcmp(GDALGetDriverShortName(GDALGetDatasetDriver(ds)), "PNG");
    if (ok)
        ok = GDALDatasetRasterIO(ds, GF_Read, 0, 0, 256, 256, rgb, 256, 256,
                                 GDT_Byte, 3, NULL, 3, 256 * 3, 1) == CE_None;
    GDALClose(ds);
    return ok ? 0 : -1;
}

static int read_tile(int z, int x, int y, unsigned char *rgb)
{
    return read_tile_in(out_dir, z, x, y, rgb);
}

/* The pixel at lon/lat at zoom z (reads its tile). */
static int pixel_at(double lon, double lat, int z, unsigned char px[3])
{
    static unsigned char rgb[256 * 256 * 3];
    double gx, gy;
    lonlat_px(lon, lat, z, &gx, &gy);
    int tx = (int)(gx / 256), ty = (int)(gy / 256);
    if (read_tile(z, tx, ty, rgb))
        return -1;
    int ix = (int)gx - tx * 256, iy = (int)gy - ty * 256;
    memcpy(px, rgb + (iy * 256 + ix) * 3, 3);
    return 0;
}

static int near_rgb(const unsigned char p[3], int r, int g, int b, int tol)
{
    return abs(p[0] - r) <= tol && abs(p[1] - g) <= tol && abs(p[2] - b) <= tol;
}

static void test_tile_numbering(void)
{
    UT_EQ_INT(render(), 0);
    /* 112.45E 34.62N: known slippy-map tiles */
    UT_CHECK(tile_exists(12, 3327, 1627));
    UT_CHECK(tile_exists(14, 13309, 6510));
    int x, y;
    bm_tile_of(112.45, 34.62, 14, &x, &y);
    UT_EQ_INT(x, 13309);
    UT_EQ_INT(y, 6510);
    static unsigned char rgb[256 * 256 * 3];
    UT_EQ_INT(read_tile(13, 6654, 3255, rgb), 0);
    UT_EQ_INT(read_tile(14, 13309, 6510, rgb), 0);
}

static void test_outside_bbox_not_written(void)
{
    UT_EQ_INT(render(), 0);
    /* data bbox 112.40..112.60 x 34.60..34.68: at z14 tiles x 13307..13316,
     * y 6507..6511 */
    UT_CHECK(tile_exists(14, 13307, 6507));
    UT_CHECK(tile_exists(14, 13316, 6511));
    UT_CHECK(!tile_exists(14, 13306, 6509));
    UT_CHECK(!tile_exists(14, 13317, 6509));
    UT_CHECK(!tile_exists(14, 13309, 6506));
    UT_CHECK(!tile_exists(14, 13309, 6512));
    UT_CHECK(!tile_exists(11, 1663, 813)); /* below min zoom */
    UT_CHECK(!tile_exists(15, 26618, 13021)); /* above max zoom */
}

static void test_colours(void)
{
    UT_EQ_INT(render(), 0);
    unsigned char p[3];
    UT_EQ_INT(pixel_at(112.42, 34.65, 14, p), 0);
    UT_CHECK_MSG(near_rgb(p, 0xff, 0x80, 0x00, 3), "road %d,%d,%d", p[0], p[1], p[2]);
    UT_EQ_INT(pixel_at(112.4375, 34.66, 14, p), 0);
    UT_CHECK_MSG(near_rgb(p, 0, 0, 0xff, 3), "water %d,%d,%d", p[0], p[1], p[2]);
    UT_EQ_INT(pixel_at(112.47, 34.62, 14, p), 0);
    UT_CHECK_MSG(near_rgb(p, 0x20, 0x20, 0x20, 3), "district %d,%d,%d", p[0], p[1], p[2]);
    /* the local road has minzoom 13 */
    UT_EQ_INT(pixel_at(112.46, 34.62, 13, p), 0);
    UT_CHECK_MSG(near_rgb(p, 0, 0xff, 0, 3), "local z13 %d,%d,%d", p[0], p[1], p[2]);
    UT_EQ_INT(pixel_at(112.46, 34.62, 12, p), 0);
    UT_CHECK_MSG(near_rgb(p, 0x20, 0x20, 0x20, 3), "local z12 %d,%d,%d", p[0], p[1], p[2]);
}

static void test_antialiased_diagonal(void)
{
    UT_EQ_INT(render(), 0);
    static unsigned char rgb[256 * 256 * 3];
    double gx, gy;
    lonlat_px(112.445, 34.64, 14, &gx, &gy);
    UT_EQ_INT(read_tile(14, (int)(gx / 256), (int)(gy / 256), rgb), 0);
    int full = 0, mid = 0;
    for (int i = 0; i < 256 * 256; i++) {
        const unsigned char *p = rgb + 3 * i;
        if (p[2] > 0x24 || p[0] != p[1])
            continue; /* not on the yellow-over-grey ramp */
        if (p[0] >= 0xfc)
            full++;
        else if (p[0] > 0x28 && p[0] < 0xf0)
            mid++;
    }
    UT_CHECK_MSG(full > 100, "fully covered road pixels: %d", full);
    UT_CHECK_MSG(mid > 100, "intermediate (anti-aliased) pixels: %d", mid);
}

static void test_solid_tiles_shared(void)
{
    UT_EQ_INT(render(), 0);
    /* flat tiles inside the district are links to one shared file */
    char p[400];
    struct stat shared, sb;
    snprintf(p, sizeof p, "%s/_solid/202020.png", out_dir);
    UT_CHECK_MSG(stat(p, &shared) == 0 && shared.st_nlink >= 2, "%s", p);
    int linked = 0, sx = 0, sy = 0;
    for (int x = 13307; x <= 13316; x++)
        for (int y = 6507; y <= 6511; y++) {
            snprintf(p, sizeof p, "%s/14/%d/%d.png", out_dir, x, y);
            if (stat(p, &sb) == 0 && sb.st_ino == shared.st_ino) {
                linked++;
                sx = x;
                sy = y;
            }
        }
    UT_CHECK(linked >= 1);
    static unsigned char rgb[256 * 256 * 3];
    UT_EQ_INT(read_tile(14, sx, sy, rgb), 0);
    for (int i = 0; i < 256 * 256; i++)
        UT_CHECK(near_rgb(rgb + 3 * i, 0x20, 0x20, 0x20, 0));
}

/* Tiles derived from a flat parent (never queried) equal tiles rendered on
 * their own: render z14 alone into another folder and compare pixels. */
static void test_flat_children_match_direct_render(void)
{
    UT_EQ_INT(render(), 0);
    UT_CHECK_MSG(render_stats.tiles_derived > 0, "no tile under a flat parent");
    char out2[320];
    snprintf(out2, sizeof out2, "%s/direct", dir);
    basemap_opts o;
    basemap_opts_default(&o);
    o.min_zoom = o.max_zoom = 14;
    o.jobs = 1;
    o.quiet = 1;
    o.style_path = style_path;
    ct_err err;
    basemap_stats st;
    UT_CHECK_MSG(basemap_render_stats(store_path, out2, &o, &st, &err) == 0,
                 "%s", err.msg);
    UT_EQ_INT(st.tiles_derived, 0);
    UT_EQ_INT(st.tiles_written, 10 * 5);
    static unsigned char a[256 * 256 * 3], b[256 * 256 * 3];
    int compared = 0;
    for (int x = 13307; x <= 13316; x++)
        for (int y = 6507; y <= 6511; y++) {
            UT_EQ_INT(read_tile(14, x, y, a), 0);
            UT_EQ_INT(read_tile_in(out2, 14, x, y, b), 0);
            UT_CHECK_MSG(!memcmp(a, b, sizeof a), "tile 14/%d/%d differs", x, y);
            compared++;
        }
    UT_EQ_INT(compared, 50);
}

/* A feature too small to show at a flat-looking zoom still keeps the
 * tiles under it from being derived: the z14 tile shows the tiny park. */
static void test_tiny_feature_not_lost(void)
{
    UT_EQ_INT(render(), 0);
    static unsigned char rgb[256 * 256 * 3];
    double gx, gy;
    lonlat_px(112.52001, 34.650009, 14, &gx, &gy);
    UT_EQ_INT(read_tile(14, (int)(gx / 256), (int)(gy / 256), rgb), 0);
    int ix = (int)gx % 256, iy = (int)gy % 256;
    const unsigned char *p = rgb + (iy * 256 + ix) * 3;
    UT_CHECK_MSG(p[1] > 0x20 + 4 && p[0] == p[2],
                 "park pixel %d,%d,%d", p[0], p[1], p[2]);
}

/* Rendering again over the same folder replaces tiles and links without
 * writing through a link into a shared file. */
static void test_rerender_same_folder(void)
{
    UT_EQ_INT(render(), 0);
    basemap_opts o;
    basemap_opts_default(&o);
    o.min_zoom = 13;
    o.max_zoom = 14;
    o.jobs = 2;
    o.quiet = 1;
    o.style_path = style_path;
    ct_err err;
    UT_CHECK_MSG(basemap_render(store_path, out_dir, &o, &err) == 0, "%s",
                 err.msg);
    static unsigned char rgb[256 * 256 * 3];
    unsigned char p[3];
    UT_EQ_INT(pixel_at(112.42, 34.65, 14, p), 0);
    UT_CHECK_MSG(near_rgb(p, 0xff, 0x80, 0x00, 3), "road %d,%d,%d", p[0], p[1], p[2]);
    char path[400];
    snprintf(path, sizeof path, "%s/_solid/202020.png", out_dir);
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    UT_CHECK(ds != NULL);
    int ok = GDALDatasetRasterIO(ds, GF_Read, 0, 0, 256, 256, rgb, 256, 256,
                                 GDT_Byte, 3, NULL, 3, 256 * 3, 1) == CE_None;
    GDALClose(ds);
    UT_CHECK(ok);
    for (int i = 0; i < 256 * 256; i++)
        UT_CHECK(near_rgb(rgb + 3 * i, 0x20, 0x20, 0x20, 0));
}

/* 512 px tiles: same numbering, twice the pixels, widths scaled. */
static void test_tile_size_512(void)
{
    UT_EQ_INT(render(), 0);
    char out512[320];
    snprintf(out512, sizeof out512, "%s/t512", dir);
    basemap_opts o;
    basemap_opts_default(&o);
    o.min_zoom = o.max_zoom = 13;
    o.tile_size = 512;
    o.quiet = 1;
    o.style_path = style_path;
    ct_err err;
    UT_CHECK_MSG(basemap_render(store_path, out512, &o, &err) == 0, "%s",
                 err.msg);
    char path[400];
    snprintf(path, sizeof path, "%s/13/6654/3254.png", out512);
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    UT_CHECK_MSG(ds != NULL, "%s", path);
    int w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds);
    /* the expressway (8 px at 256) at 112.42E 34.65N: 16 px wide here */
    double gx, gy;
    lonlat_px(112.42, 34.65, 13, &gx, &gy);
    int ix = (int)(gx * 2) - 6654 * 512, iy = (int)(gy * 2) - 3254 * 512;
    unsigned char col[3 * 17];
    int ok = iy >= 8 && iy < 504 && ix >= 0 && ix < 512 &&
             GDALDatasetRasterIO(ds, GF_Read, ix, iy - 8, 1, 17, col, 1, 17,
                                 GDT_Byte, 3, NULL, 3, 3, 1) == CE_None;
    GDALClose(ds);
    UT_EQ_INT(w, 512);
    UT_EQ_INT(h, 512);
    UT_CHECK_MSG(ok, "pixel %d,%d", ix, iy);
    int road = 0;
    for (int i = 0; i < 17; i++)
        road += near_rgb(col + 3 * i, 0xff, 0x80, 0x00, 3);
    UT_CHECK_MSG(road >= 12 && road <= 16, "%d road pixels across", road);
}

static void test_side_files(void)
{
    UT_EQ_INT(render(), 0);
    char p[400];
    json_error_t je;
    snprintf(p, sizeof p, "%s/metadata.json", out_dir);
    json_t *m = json_load_file(p, 0, &je);
    UT_CHECK_MSG(m != NULL, "%s: %s", p, je.text);
    int ok = json_integer_value(json_object_get(m, "min_zoom")) == 12 &&
             json_integer_value(json_object_get(m, "max_zoom")) == 14 &&
             !strcmp(json_string_value(json_object_get(m, "scheme")), "xyz") &&
             fabs(json_real_value(json_array_get(json_object_get(m, "bounds"), 0)) -
                  112.40) < 1e-4;
    json_decref(m);
    UT_CHECK(ok);
    snprintf(p, sizeof p, "%s/attribution.json", out_dir);
    json_t *a = json_load_file(p, 0, &je);
    UT_CHECK_MSG(a != NULL, "%s: %s", p, je.text);
    const char *t = json_string_value(json_object_get(a, "text"));
    ok = t && strstr(t, "© OpenStreetMap contributors") &&
         strstr(t, "行政区划：天地图 (www.tianditu.gov.cn)") &&
         strstr(t, "GSHHG 2.3.7") && strstr(t, "generated (synthetic)") &&
         json_array_size(json_object_get(a, "sources")) == 4;
    if (!ok)
        printf("# attribution: %s\n", t ? t : "(none)");
    json_decref(a);
    UT_CHECK(ok);
}

static void test_missing_store(void)
{
    basemap_opts o;
    basemap_opts_default(&o);
    o.quiet = 1;
    char sp[400];
    snprintf(sp, sizeof sp, "%s/data/style/basemap.json",
             getenv("CT_SRC") ? getenv("CT_SRC") : ".");
    o.style_path = sp;
    ct_err err;
    int rc = basemap_render("no-such-store.sqlite", "bm_missing", &o, &err);
    UT_EQ_INT(rc, CT_ENOTFOUND);
    UT_CHECK_MSG(strstr(err.msg, "no-such-store.sqlite") != NULL, "%s", err.msg);
}

static int style_error(const char *text, ct_err *err)
{
    bm_style s;
    write_file("bm_bad_style.json", text);
    int rc = bm_style_load("bm_bad_style.json", &s, err);
    if (!rc)
        bm_style_free(&s);
    return rc;
}

static void test_bad_style(void)
{
    ct_err err;
    UT_EQ_INT(style_error("{\"background\": \"#000000\", \"layers\": ["
                          "{\"id\": \"a\", \"layer\": \"roads\", \"type\": "
                          "\"line\", \"color\": \"#ffffff\", \"width\": 1},"
                          "{\"id\": \"b\", \"layer\": \"roads\", \"type\": "
                          "\"line\", \"color\": \"#12\", \"width\": 1}]}",
                          &err), CT_EFORMAT);
    UT_CHECK_MSG(strstr(err.msg, "bm_bad_style.json") &&
                 strstr(err.msg, "layers[1].color"), "%s", err.msg);
    UT_EQ_INT(style_error("{\"background\": \"#000000\", \"layers\": ["
                          "{\"id\": \"a\", \"layer\": \"roads\", \"type\": "
                          "\"line\", \"color\": \"#ffffff\", \"width\": 1,"
                          "\"filter\": {\"klass\": [\"x\"]}}]}", &err),
              CT_EFORMAT);
    UT_CHECK_MSG(strstr(err.msg, "layers[0].filter") && strstr(err.msg, "klass"),
                 "%s", err.msg);
    UT_EQ_INT(style_error("{\"background\": \"#000000\", \"layers\": ["
                          "{\"id\": \"a\", \"layer\": \"roadz\", \"type\": "
                          "\"line\", \"color\": \"#ffffff\", \"width\": 1}]}",
                          &err), CT_EFORMAT);
    UT_CHECK_MSG(strstr(err.msg, "layers[0].layer") && strstr(err.msg, "roadz"),
                 "%s", err.msg);
    UT_EQ_INT(style_error("{\"background\": \"#000000\", \"layers\": ["
                          "{\"id\": \"a\", \"layer\": \"roads\", \"type\": "
                          "\"line\", \"color\": \"#ffffff\", \"width\": 1,"
                          "\"min_zoom\": 3}]}", &err), CT_EFORMAT);
    UT_CHECK_MSG(strstr(err.msg, "layers[0].min_zoom: unknown key"), "%s",
                 err.msg);
    UT_EQ_INT(style_error("{\"background\": ", &err), CT_EFORMAT);
    UT_CHECK_MSG(strstr(err.msg, "bm_bad_style.json"), "%s", err.msg);
    bm_style s;
    UT_EQ_INT(bm_style_load("bm_no_such_style.json", &s, &err), CT_ENOTFOUND);
    UT_CHECK_MSG(strstr(err.msg, "bm_no_such_style.json"), "%s", err.msg);
}

static void test_shipped_style_loads(void)
{
    char sp[400];
    snprintf(sp, sizeof sp, "%s/data/style/basemap.json",
             getenv("CT_SRC") ? getenv("CT_SRC") : ".");
    bm_style s;
    ct_err err;
    UT_CHECK_MSG(bm_style_load(sp, &s, &err) == 0, "%s", err.msg);
    int n = s.n_rules;
    bm_style_free(&s);
    UT_CHECK(n >= 10);
}

static bm_canvas canvas; /* 64x64, for the rasterizer tests */

/* The rasterizer: coverage is the exact area, clipped shapes are right. */
static double total_coverage(bm_canvas *c)
{
    double sum = 0;
    for (int i = 0; i < c->w * c->h; i++)
        sum += c->rgb[3 * i] / 255.0;
    return sum;
}

static void test_raster_area(void)
{
    bm_canvas c = canvas; /* freed by main, whatever fails here */
    UT_CHECK(c.rgb != NULL);
    bm_rgb black = {0, 0, 0}, white = {255, 255, 255};
    bm_canvas_clear(&c, black);
    double tri[] = {3.3, 4.7, 50.2, 10.1, 20.6, 41.9};
    bm_ring(&c, tri, 3, 0);
    bm_composite(&c, white, 1);
    double area = fabs(bm_ring_area(tri, 3));
    double got = total_coverage(&c);
    /* exact area up to 8-bit rounding along the edges */
    UT_NEAR(got, area, 1.0);
    /* a half-pixel offset square: edge pixels half covered */
    bm_canvas_clear(&c, black);
    double sq[] = {10.5, 10, 20.5, 10, 20.5, 20, 10.5, 20};
    bm_ring(&c, sq, 4, 1);
    bm_composite(&c, white, 1);
    UT_NEAR(c.rgb[(15 * 64 + 10) * 3], 128, 1);
    UT_EQ_INT(c.rgb[(15 * 64 + 15) * 3], 255);
    UT_EQ_INT(c.rgb[(15 * 64 + 9) * 3], 0);
    /* a shape larger than the canvas fills all of it */
    bm_canvas_clear(&c, black);
    double big[] = {-100, -50, 300, -80, 200, 400, -60, 200};
    bm_ring(&c, big, 4, 0);
    bm_composite(&c, white, 1);
    UT_NEAR(total_coverage(&c), 64 * 64, 0.01);
}

static void test_raster_stroke(void)
{
    bm_canvas c = canvas; /* freed by main, whatever fails here */
    UT_CHECK(c.rgb != NULL);
    bm_rgb black = {0, 0, 0}, white = {255, 255, 255};
    bm_canvas_clear(&c, black);
    /* an L-shaped polyline 6 px wide, going off the canvas */
    double l[] = {-10, 20, 30, 20, 30, 80};
    bm_stroke(&c, l, 3, 6);
    bm_composite(&c, white, 1);
    UT_EQ_INT(c.rgb[(20 * 64 + 5) * 3], 255);    /* on the first leg */
    UT_EQ_INT(c.rgb[(40 * 64 + 30) * 3], 255);   /* on the second leg */
    UT_EQ_INT(c.rgb[(18 * 64 + 31) * 3], 255);   /* in the round join */
    UT_CHECK(c.rgb[(17 * 64 + 32) * 3] < 8);     /* beyond the round join */
    UT_EQ_INT(c.rgb[(10 * 64 + 5) * 3], 0);      /* off the line */
    UT_EQ_INT(c.rgb[(20 * 64 + 40) * 3], 0);
    /* the same stroke drawn backwards covers the same pixels */
    unsigned char first[64 * 64 * 3];
    memcpy(first, c.rgb, sizeof first);
    bm_canvas_clear(&c, black);
    double r[] = {30, 80, 30, 20, -10, 20};
    bm_stroke(&c, r, 3, 6);
    bm_composite(&c, white, 1);
    UT_CHECK(memcmp(first, c.rgb, sizeof first) == 0);
}

int main(void)
{
    GDALAllRegister();
    bm_canvas_init(&canvas, 64, 64);
    UT_RUN(test_raster_area);
    UT_RUN(test_raster_stroke);
    UT_RUN(test_shipped_style_loads);
    UT_RUN(test_bad_style);
    UT_RUN(test_missing_store);
    UT_RUN(test_tile_numbering);
    UT_RUN(test_outside_bbox_not_written);
    UT_RUN(test_colours);
    UT_RUN(test_antialiased_diagonal);
    UT_RUN(test_solid_tiles_shared);
    UT_RUN(test_flat_children_match_direct_render);
    UT_RUN(test_tiny_feature_not_lost);
    UT_RUN(test_side_files);
    UT_RUN(test_rerender_same_folder); /* rewrites metadata.json: last */
    UT_RUN(test_tile_size_512);
    bm_canvas_free(&canvas);
    GDALDestroyDriverManager();
    return ut_done();
}
