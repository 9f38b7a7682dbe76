/* tests/unit/test_tiles.c: tiles_build on a store made here (a grid of
 * 400 buildings, golden dirty footprints, a building drawn by its parts,
 * one without height, one with a bad height): tileset.json follows the
 * 3D Tiles 1.1 rules we can check, every feature is in exactly one leaf
 * with its metadata and feature ids intact, the report counts what could
 * not be built, a rebuild after one height change rewrites one tile, and
 * --dem puts the buildings on a sloping raster ground. */
#include <cpl_conv.h>
#include <gdal.h>
#include <jansson.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spatial/store.h"
#include "tiles/tiles.h"
#include "ut.h"

#define STORE "t_tiles.sqlite"
#define NGRID 20

static int exec(sqlite3 *db, const char *sql)
{
    ct_err err;
    if (store_exec(db, sql, &err)) {
        printf("# %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int add(sqlite3 *db, const char *layer, const char *id, const char *name,
               const char *kind, const char *height, double min_h, int levels,
               const char *wkt, const char *building_id)
{
    char sql[4096];
    snprintf(sql, sizeof sql,
             "INSERT INTO %s(id, name, kind, source, district, height, min_height,"
             " levels%s, geom) VALUES('%s', '%s', '%s', 'test', '老城区', %s, %g, %d%s%s%s,"
             " CastToMulti(GeomFromText('%s', 4326)));"
             "INSERT INTO items(id, layer, fid) VALUES('%s', '%s', last_insert_rowid());",
             layer, building_id ? ", building_id" : "", id, name, kind, height, min_h,
             levels, building_id ? ", '" : "", building_id ? building_id : "",
             building_id ? "'" : "", wkt, id, layer);
    return exec(db, sql);
}

/* A rectangle WKT of w x h metres at (lon, lat). */
static void rect(char *buf, size_t n, double lon, double lat, double w, double h)
{
    double dx = w / 91500.0, dy = h / 110900.0;
    snprintf(buf, n, "POLYGON((%.8f %.8f, %.8f %.8f, %.8f %.8f, %.8f %.8f, %.8f %.8f))",
             lon, lat, lon + dx, lat, lon + dx, lat + dy, lon, lat + dy, lon, lat);
}

static int make_store(void)
{
    sqlite3 *db;
    ct_err err;
    unlink(STORE);
    if (store_open(STORE, STORE_CREATE, &db, &err))
        return -1;
    int rc = exec(db, "BEGIN");
    char wkt[1024], id[32], h[32];
    for (int i = 0; i < NGRID * NGRID && !rc; i++) {
        double lon = 112.44 + (i % NGRID) * 0.0006, lat = 34.60 + (i / NGRID) * 0.0005;
        double size = i == 0 ? 8.0 : 14.0 + (i * 7) % 17;
        rect(wkt, sizeof wkt, lon, lat, size, size * 0.8);
        snprintf(id, sizeof id, "b-%03d", i);
        snprintf(h, sizeof h, "%d", i == 0 ? 6 : 6 + (i * 13) % 90);
        rc = add(db, "buildings", id, i % 3 ? "" : "名字", i % 2 ? "residential" : "office",
                 h, 0, 2 + i % 30, wkt, NULL);
    }
    /* golden footprints around the grid's south-west corner (lon/lat) */
    static const char *const golden[][2] = {
        {"g-courtyard", "POLYGON((112.4300 34.5900, 112.4306 34.5900, 112.4306 34.5905,"
                        " 112.4300 34.5905, 112.4300 34.5900), (112.4302 34.5902,"
                        " 112.4302 34.5903, 112.4304 34.5903, 112.4304 34.5902,"
                        " 112.4302 34.5902))"},
        {"g-multi", "MULTIPOLYGON(((112.4310 34.5900, 112.4312 34.5900, 112.4312 34.5902,"
                    " 112.4310 34.5900)), ((112.4314 34.5900, 112.4316 34.5900,"
                    " 112.4316 34.5902, 112.4314 34.5902, 112.4314 34.5900)))"},
        {"g-clockwise", "POLYGON((112.4320 34.5900, 112.4320 34.5902, 112.4322 34.5902,"
                        " 112.4322 34.5900, 112.4320 34.5900))"},
        {"g-spiky", "POLYGON((112.4330 34.5900, 112.4332 34.5900, 112.4332 34.5900,"
                    " 112.4332 34.5901, 112.4340 34.5901, 112.4332 34.5901,"
                    " 112.4332 34.5902, 112.4330 34.5902, 112.4330 34.5900))"},
        {"g-bowtie", "POLYGON((112.4340 34.5900, 112.4342 34.5902, 112.4342 34.5900,"
                     " 112.4340 34.5902, 112.4340 34.5900))"},
        {"g-touching", "POLYGON((112.4350 34.5900, 112.4354 34.5900, 112.4354 34.5904,"
                       " 112.4352 34.5904, 112.4353 34.5902, 112.4351 34.5902,"
                       " 112.4352 34.5904, 112.4350 34.5904, 112.4350 34.5900))"}};
    for (size_t k = 0; k < sizeof golden / sizeof golden[0] && !rc; k++)
        rc = add(db, "buildings", golden[k][0], "", "office", "12", 0, 4, golden[k][1], NULL);
    rect(wkt, sizeof wkt, 112.4360, 34.5900, 20, 20);
    rc = rc || add(db, "buildings", "g-noheight", "", "shed", "NULL", 0, 0, wkt, NULL);
    rect(wkt, sizeof wkt, 112.4364, 34.5900, 20, 20);
    rc = rc || add(db, "buildings", "g-badheight", "", "shed", "5", 8, 0, wkt, NULL);
    rect(wkt, sizeof wkt, 112.4370, 34.5900, 30, 20);
    rc = rc || add(db, "buildings", "g-withparts", "塔", "office", "40", 0, 12, wkt, NULL);
    rect(wkt, sizeof wkt, 112.4370, 34.5900, 15, 20);
    rc = rc || add(db, "building_parts", "p-low", "", "part", "10", 0, 3, wkt, "g-withparts");
    rect(wkt, sizeof wkt, 112.43716, 34.5900, 15, 20);
    rc = rc || add(db, "building_parts", "p-high", "", "part", "40", 10, 12, wkt,
                   "g-withparts");
    rc = rc || exec(db, "COMMIT");
    store_close(db);
    return rc;
}

/* ---- reading our own output back ---- */

typedef struct glb {
    unsigned char *data;
    size_t len;
    json_t *json;
    const unsigned char *bin;
} glb;

static int glb_load(const char *path, glb *g)
{
    memset(g, 0, sizeof *g);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    g->len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    g->data = malloc(g->len);
    size_t n = fread(g->data, 1, g->len, f);
    fclose(f);
    uint32_t jl;
    if (n != g->len || g->len < 28)
        return -1;
    memcpy(&jl, g->data + 12, 4);
    g->json = json_loadb((const char *)g->data + 20, jl, 0, NULL);
    g->bin = g->data + 20 + jl + 8;
    return g->json ? 0 : -1;
}

static void glb_free(glb *g)
{
    json_decref(g->json);
    free(g->data);
}

static const unsigned char *view(const glb *g, int v, size_t *len)
{
    json_t *bv = json_array_get(json_object_get(g->json, "bufferViews"), (size_t)v);
    *len = (size_t)json_integer_value(json_object_get(bv, "byteLength"));
    return g->bin + json_integer_value(json_object_get(bv, "byteOffset"));
}

static json_t *table(const glb *g)
{
    return json_array_get(json_object_get(json_object_get(json_object_get(
        g->json, "extensions"), "EXT_structural_metadata"), "propertyTables"), 0);
}

/* Row i of string property name into buf. */
static void str_prop(const glb *g, const char *name, int i, char *buf, size_t n)
{
    json_t *p = json_object_get(json_object_get(table(g), "properties"), name);
    size_t lv, lo;
    const char *v = (const char *)view(g, (int)json_integer_value(json_object_get(p, "values")), &lv);
    const unsigned char *o = view(g, (int)json_integer_value(json_object_get(p, "stringOffsets")), &lo);
    int wide = !strcmp(json_string_value(json_object_get(p, "stringOffsetType")), "UINT32");
    uint32_t a, b;
    if (wide) {
        memcpy(&a, o + 4 * i, 4);
        memcpy(&b, o + 4 * (i + 1), 4);
    } else {
        uint16_t x, y;
        memcpy(&x, o + 2 * i, 2);
        memcpy(&y, o + 2 * (i + 1), 2);
        a = x;
        b = y;
    }
    snprintf(buf, n, "%.*s", (int)(b - a), v + a);
}

static float num_prop(const glb *g, const char *name, int i)
{
    json_t *p = json_object_get(json_object_get(table(g), "properties"), name);
    size_t l;
    const unsigned char *v = view(g, (int)json_integer_value(json_object_get(p, "values")), &l);
    if (!strcmp(name, "levels")) {
        uint16_t x;
        memcpy(&x, v + 2 * i, 2);
        return x;
    }
    float f;
    memcpy(&f, v + 4 * i, 4);
    return f;
}

/* ---- the tree ---- */

typedef struct walk_state {
    const char *out;
    json_t *seen;            /* id -> times found in leaves */
    json_t *parts_of;        /* building -> parts found */
    char leaf_of_b000[128];
    int problems, leaves, contents;
    int meta_ok;             /* b-003's metadata read back */
} walk_state;

static void problem(walk_state *w, const char *what, const char *uri)
{
    if (w->problems++ < 10)
        printf("# tree: %s (%s)\n", what, uri ? uri : "-");
}

static void check_leaf(walk_state *w, const char *uri)
{
    char path[512], id[128], b[128];
    glb g;
    snprintf(path, sizeof path, "%s/%s", w->out, uri);
    if (glb_load(path, &g)) {
        problem(w, "unreadable content", uri);
        glb_free(&g);
        return;
    }
    int n = (int)json_integer_value(json_object_get(table(&g), "count"));
    json_t *prim = json_array_get(json_object_get(json_array_get(
        json_object_get(g.json, "meshes"), 0), "primitives"), 0);
    json_t *ia = json_array_get(json_object_get(g.json, "accessors"),
                                (size_t)json_integer_value(json_object_get(prim, "indices")));
    if (json_integer_value(json_object_get(ia, "count")) > 3 * 2000)
        problem(w, "leaf over the triangle budget", uri);
    json_t *fids = json_object_get(json_object_get(json_object_get(prim, "extensions"),
                                                   "EXT_mesh_features"), "featureIds");
    if (json_integer_value(json_object_get(json_array_get(fids, 0), "featureCount")) != n)
        problem(w, "featureCount differs from the property table", uri);
    int acc = (int)json_integer_value(json_object_get(json_object_get(prim, "attributes"),
                                                      "_FEATURE_ID_0"));
    json_t *a = json_array_get(json_object_get(g.json, "accessors"), (size_t)acc);
    size_t len;
    const unsigned char *fv = view(&g, (int)json_integer_value(json_object_get(a, "bufferView")), &len);
    char *used = calloc((size_t)n + 1, 1);
    for (size_t v = 0; v < len / 4; v++) {
        float f;
        memcpy(&f, fv + 4 * v, 4);
        if (f < 0 || f >= n || f != floorf(f))
            problem(w, "feature id out of range", uri);
        else
            used[(int)f] = 1;
    }
    for (int i = 0; i < n; i++) {
        if (!used[i])
            problem(w, "a feature without vertices", uri);
        str_prop(&g, "id", i, id, sizeof id);
        str_prop(&g, "building", i, b, sizeof b);
        json_object_set_new(w->seen, id,
                            json_integer(json_integer_value(json_object_get(w->seen, id)) + 1));
        if (b[0])
            json_object_set_new(w->parts_of, b, json_true());
        if (!strcmp(id, "b-000"))
            snprintf(w->leaf_of_b000, sizeof w->leaf_of_b000, "%s", uri);
        if (!strcmp(id, "b-003")) {
            char name[64], kind[64], dist[64], src[64];
            str_prop(&g, "name", i, name, sizeof name);
            str_prop(&g, "kind", i, kind, sizeof kind);
            str_prop(&g, "district", i, dist, sizeof dist);
            str_prop(&g, "source", i, src, sizeof src);
            w->meta_ok = !strcmp(name, "名字") && !strcmp(kind, "residential") &&
                         !strcmp(dist, "老城区") && !strcmp(src, "test") &&
                         num_prop(&g, "height", i) == 45.0f &&
                         num_prop(&g, "levels", i) == 5.0f;
        }
    }
    free(used);
    glb_free(&g);
}

static void walk(walk_state *w, json_t *t, json_t *parent)
{
    json_t *r = json_object_get(json_object_get(t, "boundingVolume"), "region");
    double ge = json_number_value(json_object_get(t, "geometricError"));
    const char *uri = json_string_value(json_object_get(json_object_get(t, "content"), "uri"));
    if (json_array_size(r) != 6 || json_array_size(json_object_get(t, "transform")) != 16)
        problem(w, "region or transform missing", uri);
    if (ge < 0)
        problem(w, "negative geometric error", uri);
    if (parent) {
        json_t *pr = json_object_get(json_object_get(parent, "boundingVolume"), "region");
        if (ge > json_number_value(json_object_get(parent, "geometricError")))
            problem(w, "child geometric error above its parent's", uri);
        for (int i = 0; i < 6; i++) {
            double c = json_number_value(json_array_get(r, (size_t)i));
            double p = json_number_value(json_array_get(pr, (size_t)i));
            double eps = i < 4 ? 1e-12 : 1e-6;
            if ((i == 0 || i == 1 || i == 4) ? c < p - eps : c > p + eps)
                problem(w, "child region outside its parent's", uri);
        }
    }
    if (uri) {
        char path[512];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", w->out, uri);
        if (stat(path, &sb) != 0)
            problem(w, "content file missing", uri);
        w->contents++;
    }
    json_t *ch = json_object_get(t, "children");
    if (json_array_size(ch) == 0) {
        w->leaves++;
        if (ge != 0)
            problem(w, "leaf with a geometric error", uri);
        if (!uri)
            problem(w, "leaf without content", NULL);
        else
            check_leaf(w, uri);
    }
    for (size_t k = 0; k < json_array_size(ch); k++)
        walk(w, json_array_get(ch, k), t);
}

static int check_tree(const char *out, walk_state *w)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tileset.json", out);
    json_t *ts = json_load_file(path, 0, NULL);
    memset(w, 0, sizeof *w);
    w->out = out;
    w->seen = json_object();
    w->parts_of = json_object();
    if (!ts)
        return -1;
    if (strcmp(json_string_value(json_object_get(json_object_get(ts, "asset"), "version")), "1.1"))
        problem(w, "asset.version is not 1.1", NULL);
    if (json_number_value(json_object_get(ts, "geometricError")) <
        json_number_value(json_object_get(json_object_get(ts, "root"), "geometricError")))
        problem(w, "tileset geometric error below the root's", NULL);
    walk(w, json_object_get(ts, "root"), NULL);
    json_decref(ts);
    return 0;
}

static void free_walk(walk_state *w)
{
    json_decref(w->seen);
    json_decref(w->parts_of);
}

static int build_jobs(const char *out, gltf_compress c, int jobs, tiles_report *r)
{
    tiles_opts o;
    ct_err err;
    tiles_opts_default(&o);
    o.store = STORE;
    o.out = out;
    o.compress = c;
    o.jobs = jobs;
    o.max_triangles = 2000;
    o.lod_boxes = 20;
    o.quiet = 1;
    int rc = tiles_build(&o, r, &err);
    if (rc)
        printf("# tiles_build: %s\n", err.msg);
    return rc;
}

static int build(const char *out, gltf_compress c, tiles_report *r)
{
    return build_jobs(out, c, 2, r);
}

static json_t *manifest(const char *out);

static void test_tree_and_every_feature_once(void)
{
    tiles_report r;
    walk_state w;
    UT_EQ_INT(make_store(), 0);
    UT_EQ_INT(build("t_out_plain", GLTF_PLAIN, &r), CT_OK);
    UT_EQ_INT(r.features, NGRID * NGRID + 9 + 2);
    UT_EQ_INT(r.hidden_outlines, 1);
    UT_EQ_INT(r.bad_height, 1);
    UT_EQ_INT(r.height_defaulted, 1);
    UT_EQ_INT(r.unbuilt, 1);
    UT_CHECK(r.repaired >= 1);
    UT_EQ_INT(r.built, NGRID * NGRID + 6 + 1 + 2);
    UT_CHECK(r.leaves >= 4 && r.tiles > r.leaves);
    UT_EQ_INT(check_tree("t_out_plain", &w), 0);
    int problems = w.problems, leaves = w.leaves, meta = w.meta_ok;
    size_t nseen = json_object_size(w.seen);
    int once = 1;
    const char *k;
    json_t *v;
    json_object_foreach(w.seen, k, v) once &= json_integer_value(v) == 1;
    int parts = json_object_get(w.parts_of, "g-withparts") != NULL;
    int hidden = json_object_get(w.seen, "g-withparts") == NULL &&
                 json_object_get(w.seen, "g-badheight") == NULL &&
                 json_object_get(w.seen, "g-bowtie") != NULL;
    free_walk(&w);
    UT_EQ_INT(problems, 0);
    UT_EQ_INT(leaves, r.leaves);
    UT_EQ_INT(nseen, NGRID * NGRID + 6 + 1 + 2);
    UT_CHECK(once);
    UT_CHECK(parts && hidden);
    UT_CHECK(meta);
}

static void test_meshopt_tree(void)
{
    tiles_report r;
    UT_EQ_INT(build("t_out_meshopt", GLTF_MESHOPT, &r), CT_OK);
    UT_EQ_INT(r.built, NGRID * NGRID + 9);
    tiles_report p;
    UT_EQ_INT(build_jobs("t_out_plain2", GLTF_PLAIN, 1, &p), CT_OK);
    /* one thread or two, the same bytes */
    json_t *m1 = manifest("t_out_plain2"), *m2 = manifest("t_out_plain");
    int same = m1 && json_equal(m1, m2);
    json_decref(m1);
    json_decref(m2);
    UT_CHECK(same);
    UT_CHECK_MSG(r.bytes * 2 < p.bytes, "meshopt %lld bytes, plain %lld", r.bytes, p.bytes);
    UT_EQ_INT(r.triangles, p.triangles);
}

static json_t *manifest(const char *out)
{
    char path[512];
    snprintf(path, sizeof path, "%s/manifest.json", out);
    json_t *m = json_load_file(path, 0, NULL);
    json_t *c = json_incref(json_object_get(m, "contents"));
    json_decref(m);
    return c;
}

static void test_rebuild_rewrites_only_the_changed_tile(void)
{
    tiles_report r;
    walk_state w;
    UT_EQ_INT(build("t_out_plain", GLTF_PLAIN, &r), CT_OK);
    UT_EQ_INT(r.written, 0);
    UT_EQ_INT(r.unchanged, r.contents);
    UT_EQ_INT(check_tree("t_out_plain", &w), 0);
    char leaf[128];
    snprintf(leaf, sizeof leaf, "%s", w.leaf_of_b000);
    free_walk(&w);
    UT_CHECK(leaf[0] != '\0');
    json_t *before = manifest("t_out_plain");
    sqlite3 *db;
    ct_err err;
    UT_EQ_INT(store_open(STORE, STORE_READWRITE, &db, &err), CT_OK);
    int rc = exec(db, "UPDATE buildings SET height = 7 WHERE id = 'b-000'");
    store_close(db);
    UT_EQ_INT(rc, 0);
    UT_EQ_INT(build("t_out_plain", GLTF_PLAIN, &r), CT_OK);
    json_t *after = manifest("t_out_plain");
    int changed = 0, changed_leaf = 0;
    const char *k;
    json_t *v;
    json_object_foreach(after, k, v) {
        const char *old = json_string_value(json_object_get(before, k));
        if (!old || strcmp(old, json_string_value(v))) {
            changed++;
            changed_leaf = !strcmp(k, leaf);
        }
    }
    size_t nb = json_object_size(before), na = json_object_size(after);
    json_decref(before);
    json_decref(after);
    UT_EQ_INT(r.written, 1);
    UT_EQ_INT(changed, 1);
    UT_CHECK(changed_leaf);
    UT_EQ_INT(nb, na);
}

static void test_missing_store_is_named(void)
{
    tiles_opts o;
    ct_err err;
    tiles_opts_default(&o);
    o.store = "no/such.sqlite";
    o.out = "t_out_none";
    o.quiet = 1;
    UT_EQ_INT(tiles_build(&o, NULL, &err), CT_ENOTFOUND);
    UT_CHECK(strstr(err.msg, "no/such.sqlite") != NULL);
}

/* A 100 x 100 GeoTIFF over the test area: 100 m at its west edge, rising
 * 1 m per 0.0005 degree column eastwards. */
static int make_dem(const char *path)
{
    GDALAllRegister();
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GTiff"), path, 100, 100, 1,
                                 GDT_Float32, NULL);
    if (!ds)
        return -1;
    double gt[6] = {112.42, 0.0005, 0, 34.62, 0, -0.0005};
    GDALSetGeoTransform(ds, gt);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    char *wkt = NULL;
    OSRImportFromEPSG(srs, 4326);
    OSRExportToWkt(srs, &wkt);
    GDALSetProjection(ds, wkt);
    CPLFree(wkt);
    OSRDestroySpatialReference(srs);
    float v[100 * 100];
    for (int y = 0; y < 100; y++)
        for (int x = 0; x < 100; x++)
            v[y * 100 + x] = 100.0f + (float)x;
    CPLErr e = GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, 0, 100, 100, v, 100,
                            100, GDT_Float32, 0, 0);
    GDALClose(ds);
    return e == CE_None ? 0 : -1;
}

static void test_dem_ground(void)
{
    tiles_opts o;
    tiles_report r;
    ct_err err;
    UT_EQ_INT(make_dem("t_dem.tif"), 0);
    tiles_opts_default(&o);
    o.store = STORE;
    o.out = "t_out_dem";
    o.compress = GLTF_PLAIN;
    o.jobs = 2;
    o.max_triangles = 2000;
    o.quiet = 1;
    o.dem = "t_dem.tif";
    UT_EQ_INT(tiles_build(&o, &r, &err), CT_OK);
    UT_EQ_INT(r.dem_missing, 0);
    json_t *ts = json_load_file("t_out_dem/tileset.json", 0, NULL);
    json_t *reg = json_object_get(json_object_get(json_object_get(ts, "root"),
                                                  "boundingVolume"), "region");
    double lo = json_number_value(json_array_get(reg, 4));
    double hi = json_number_value(json_array_get(reg, 5));
    json_decref(ts);
    /* the westmost footprint (112.43) stands at ~100 + 20 - 0.5 m */
    UT_CHECK_MSG(lo > 118 && lo < 121, "lowest ground %.2f", lo);
    UT_CHECK_MSG(hi > 140 + 90, "highest roof %.2f", hi);
    o.dem = "no/such/dem.tif";
    o.out = "t_out_dem2";
    UT_CHECK(tiles_build(&o, &r, &err) != CT_OK);
    UT_CHECK(strstr(err.msg, "no/such/dem.tif") != NULL);
}

static void test_empty_store_gives_an_empty_tileset(void)
{
    sqlite3 *db;
    ct_err err;
    tiles_opts o;
    tiles_report r;
    unlink("t_empty.sqlite");
    UT_EQ_INT(store_open("t_empty.sqlite", STORE_CREATE, &db, &err), CT_OK);
    store_close(db);
    tiles_opts_default(&o);
    o.store = "t_empty.sqlite";
    o.out = "t_out_empty";
    o.quiet = 1;
    UT_EQ_INT(tiles_build(&o, &r, &err), CT_OK);
    UT_EQ_INT(r.features, 0);
    UT_EQ_INT(r.contents, 0);
    json_t *ts = json_load_file("t_out_empty/tileset.json", 0, NULL);
    UT_CHECK(ts != NULL);
    json_t *root = json_object_get(ts, "root");
    int ok = root && !json_object_get(root, "content") &&
             json_array_size(json_object_get(json_object_get(root, "boundingVolume"),
                                             "region")) == 6;
    json_decref(ts);
    UT_CHECK(ok);
}

int main(void)
{
    UT_RUN(test_tree_and_every_feature_once);
    UT_RUN(test_meshopt_tree);
    UT_RUN(test_rebuild_rewrites_only_the_changed_tile);
    UT_RUN(test_missing_store_is_named);
    UT_RUN(test_dem_ground);
    UT_RUN(test_empty_store_gives_an_empty_tileset);
    return ut_done();
}
