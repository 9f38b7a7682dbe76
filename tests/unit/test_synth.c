/* tests/unit/test_synth.c: the generated city, read back with GDAL/GEOS.
 * Determinism (same seed -> same bytes), buildings inside the real district
 * boundaries and clear of roads and rivers, hydrant spacing along roads,
 * fire-station reach, a connected (and strongly connected) road graph with
 * shared nodes, bridges exactly where roads cross water, and the counts at
 * the default scale. Geometry is checked in UTM 49N (EPSG:32649), not in the
 * generator's own frame, so the checks are independent of it. */
#include <geos_c.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "synth/synth.h"
#include "ut.h"

#define SMALL "t_synth_small.gpkg"   /* scale 0.25: ~30k buildings */

static char open_path[1024];
static GEOSContextHandle_t gh;
static OGRCoordinateTransformationH to_utm;

static void geos_msg(const char *fmt, ...)
{
    (void)fmt;
}

static int generate(const char *out, uint64_t seed, double scale,
                    synth_stats *st)
{
    synth_opts o = {.out = out, .open = open_path, .seed = seed, .scale = scale,
                    .quiet = 1};
    ct_err err;
    ct_err_clear(&err);
    int rc = synth_generate(&o, st, &err);
    if (rc)
        printf("# synth_generate: %s\n", err.msg);
    return rc;
}

static uint64_t file_hash(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint64_t h = 1469598103934665603ULL;
    if (!f)
        return 0;
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < n; i++)
            h = (h ^ buf[i]) * 1099511628211ULL;
    fclose(f);
    return h;
}

/* A feature's geometry as GEOS, in UTM metres (or lon/lat when utm = 0). */
static GEOSGeometry *geos_conv(OGRGeometryH g, int utm)
{
    OGRGeometryH c = OGR_G_Clone(g);
    if (utm)
        OGR_G_Transform(c, to_utm);
    int n = OGR_G_WkbSize(c);
    unsigned char *wkb = malloc((size_t)n);
    OGR_G_ExportToWkb(c, wkbNDR, wkb);
    GEOSWKBReader *r = GEOSWKBReader_create_r(gh);
    GEOSGeometry *out = GEOSWKBReader_read_r(gh, r, wkb, (size_t)n);
    GEOSWKBReader_destroy_r(gh, r);
    free(wkb);
    OGR_G_DestroyGeometry(c);
    return out;
}

typedef struct layer_geoms {
    GEOSGeometry **g;
    char **id;
    double *width;     /* roads: width_m */
    int *bridge, *oneway;
    long long *from, *to;
    char **ref;        /* hydrants: road_id */
    int n;
} layer_geoms;

static int read_lonlat;   /* read_layer() keeps lon/lat when set */

static void read_layer(GDALDatasetH ds, const char *name, layer_geoms *L)
{
    memset(L, 0, sizeof *L);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, name);
    if (!l)
        return;
    int cap = (int)OGR_L_GetFeatureCount(l, 1);
    L->g = calloc((size_t)cap + 1, sizeof *L->g);
    L->id = calloc((size_t)cap + 1, sizeof *L->id);
    L->width = calloc((size_t)cap + 1, sizeof *L->width);
    L->bridge = calloc((size_t)cap + 1, sizeof *L->bridge);
    L->oneway = calloc((size_t)cap + 1, sizeof *L->oneway);
    L->from = calloc((size_t)cap + 1, sizeof *L->from);
    L->to = calloc((size_t)cap + 1, sizeof *L->to);
    L->ref = calloc((size_t)cap + 1, sizeof *L->ref);
    OGR_L_ResetReading(l);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l)) && L->n < cap) {
        int k = L->n++;
        L->g[k] = geos_conv(OGR_F_GetGeometryRef(f), !read_lonlat);
        L->id[k] = strdup(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "id")));
        int fi;
        if ((fi = OGR_F_GetFieldIndex(f, "width_m")) >= 0)
            L->width[k] = OGR_F_GetFieldAsDouble(f, fi);
        if ((fi = OGR_F_GetFieldIndex(f, "bridge")) >= 0)
            L->bridge[k] = OGR_F_GetFieldAsInteger(f, fi);
        if ((fi = OGR_F_GetFieldIndex(f, "oneway")) >= 0)
            L->oneway[k] = OGR_F_GetFieldAsInteger(f, fi);
        if ((fi = OGR_F_GetFieldIndex(f, "node_from")) >= 0)
            L->from[k] = OGR_F_GetFieldAsInteger64(f, fi);
        if ((fi = OGR_F_GetFieldIndex(f, "node_to")) >= 0)
            L->to[k] = OGR_F_GetFieldAsInteger64(f, fi);
        if ((fi = OGR_F_GetFieldIndex(f, "road_id")) >= 0)
            L->ref[k] = strdup(OGR_F_GetFieldAsString(f, fi));
        OGR_F_Destroy(f);
    }
    if (f)
        OGR_F_Destroy(f);
}

static void free_layer(layer_geoms *L)
{
    for (int k = 0; k < L->n; k++) {
        GEOSGeom_destroy_r(gh, L->g[k]);
        free(L->id[k]);
        free(L->ref[k]);
    }
    free(L->g), free(L->id), free(L->width), free(L->bridge), free(L->oneway);
    free(L->from), free(L->to), free(L->ref);
    memset(L, 0, sizeof *L);
}

static GDALDatasetH open_ro(const char *p)
{
    return GDALOpenEx(p, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
}

/* ------------------------------------------------------------------ */

static void test_same_seed_same_bytes(void)
{
    UT_EQ_INT(generate("t_det_a.gpkg", 7, 0.05, NULL), CT_OK);
    UT_EQ_INT(generate("t_det_b.gpkg", 7, 0.05, NULL), CT_OK);
    UT_EQ_INT(generate("t_det_c.gpkg", 8, 0.05, NULL), CT_OK);
    uint64_t a = file_hash("t_det_a.gpkg"), b = file_hash("t_det_b.gpkg");
    uint64_t c = file_hash("t_det_c.gpkg");
    UT_CHECK(a != 0);
    UT_CHECK_MSG(a == b, "same seed gave different files");
    UT_CHECK_MSG(a != c, "a different seed gave the same file");
}

static void test_bad_options_are_named(void)
{
    synth_opts o = {.out = "t_bad.gpkg", .open = "no/such/open.gpkg", .seed = 1,
                    .scale = 1};
    ct_err err;
    UT_EQ_INT(synth_generate(&o, NULL, &err), CT_ENOTFOUND);
    UT_CHECK(strstr(err.msg, "no/such/open.gpkg") != NULL);
    o.open = open_path;
    o.scale = -1;
    UT_EQ_INT(synth_generate(&o, NULL, &err), CT_EINVAL);
    UT_CHECK(strstr(err.msg, "--scale") != NULL);
}

static void test_layers_follow_store_schema(void)
{
    GDALDatasetH ds = open_ro(SMALL);
    UT_CHECK(ds != NULL);
    static const char *need[][3] = {
        {"buildings", "height", "levels"}, {"roads", "class", "speed_kmh"},
        {"roads", "node_from", "bridge"},  {"car_parks", "capacity", "kind"},
        {"cameras", "road_id", "id"},      {"water_stations", "warning_level", "period_s"},
        {"fire_stations", "engines", "name_en"}, {"hospitals", "beds", "name"}};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        OGRLayerH l = GDALDatasetGetLayerByName(ds, need[i][0]);
        UT_CHECK_MSG(l != NULL, "no layer %s", need[i][0]);
        OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
        for (int c = 1; c < 3; c++)
            UT_CHECK_MSG(OGR_FD_GetFieldIndex(d, need[i][c]) >= 0, "%s lacks %s",
                         need[i][0], need[i][c]);
        OGRLayerH r = GDALDatasetExecuteSQL(
            ds, "SELECT COUNT(*) FROM buildings WHERE source <> 'synthetic' OR id NOT LIKE 'bld-%'",
            NULL, "SQLITE");
        OGRFeatureH f = OGR_L_GetNextFeature(r);
        long long bad = OGR_F_GetFieldAsInteger64(f, 0);
        OGR_F_Destroy(f);
        GDALDatasetReleaseResultSet(ds, r);
        UT_EQ_INT(bad, 0);
    }
    GDALClose(ds);
}

static void test_buildings_inside_districts(void)
{
    GDALDatasetH od = open_ro(open_path), ds = open_ro(SMALL);
    UT_CHECK(od && ds);
    OGRLayerH dl = GDALDatasetGetLayerByName(od, "districts");
    OGR_L_SetAttributeFilter(dl, "code IN ('410302','410303','410304','410305','410311')");
    GEOSGeometry *parts[5];
    int np = 0;
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(dl)) && np < 5) {
        parts[np++] = geos_conv(OGR_F_GetGeometryRef(f), 0);
        OGR_F_Destroy(f);
    }
    UT_EQ_INT(np, 5);
    const GEOSPreparedGeometry *pd[5];
    for (int i = 0; i < 5; i++)
        pd[i] = GEOSPrepare_r(gh, parts[i]);
    /* "inside" is judged in lon/lat, where the boundaries are defined */
    layer_geoms B;
    read_lonlat = 1;
    read_layer(ds, "buildings", &B);
    read_lonlat = 0;
    int outside = 0;
    const char *first = NULL;
    for (int k = 0; k < B.n; k++) {
        int in = 0;
        for (int i = 0; i < 5 && !in; i++)
            in = GEOSPreparedContains_r(gh, pd[i], B.g[k]) == 1;
        if (!in && !outside++)
            first = B.id[k];
    }
    UT_CHECK(B.n > 20000);
    char firstbuf[32] = "";
    if (first)
        snprintf(firstbuf, sizeof firstbuf, "%s", first);
    free_layer(&B);
    for (int i = 0; i < 5; i++) {
        GEOSPreparedGeom_destroy_r(gh, pd[i]);
        GEOSGeom_destroy_r(gh, parts[i]);
    }
    GDALClose(od);
    GDALClose(ds);
    UT_CHECK_MSG(outside == 0, "%d buildings outside every district, e.g. %s",
                 outside, firstbuf);
}

typedef struct hit_ctx {
    const layer_geoms *R;
    const GEOSGeometry *b;
    int overlap;
    int road;
} hit_ctx;

static void road_hit(void *item, void *ud)
{
    hit_ctx *h = ud;
    int k = (int)(intptr_t)item;
    double d;
    if (h->overlap)
        return;
    if (GEOSDistance_r(gh, h->b, h->R->g[k], &d) && d < h->R->width[k] / 2 - 0.01) {
        h->overlap = 1;
        h->road = k;
    }
}

static void test_buildings_clear_of_roads_and_water(void)
{
    GDALDatasetH ds = open_ro(SMALL);
    UT_CHECK(ds != NULL);
    layer_geoms B, R, W;
    read_layer(ds, "buildings", &B);
    read_layer(ds, "roads", &R);
    read_layer(ds, "water_areas", &W);
    GEOSSTRtree *t = GEOSSTRtree_create_r(gh, 10);
    for (int k = 0; k < R.n; k++)
        GEOSSTRtree_insert_r(gh, t, R.g[k], (void *)(intptr_t)k);
    const GEOSPreparedGeometry **pw = calloc((size_t)W.n, sizeof *pw);
    for (int k = 0; k < W.n; k++)
        pw[k] = GEOSPrepare_r(gh, W.g[k]);
    int on_road = 0, in_water = 0;
    char ex[96] = "";
    for (int k = 0; k < B.n; k++) {
        double x0, y0, x1, y1;
        GEOSGeom_getXMin_r(gh, B.g[k], &x0);
        GEOSGeom_getYMin_r(gh, B.g[k], &y0);
        GEOSGeom_getXMax_r(gh, B.g[k], &x1);
        GEOSGeom_getYMax_r(gh, B.g[k], &y1);
        GEOSGeometry *q = GEOSGeom_createRectangle_r(gh, x0 - 25, y0 - 25, x1 + 25, y1 + 25);
        hit_ctx h = {&R, B.g[k], 0, -1};
        GEOSSTRtree_query_r(gh, t, q, road_hit, &h);
        GEOSGeom_destroy_r(gh, q);
        if (h.overlap && !on_road++)
            snprintf(ex, sizeof ex, "%s on %s", B.id[k], R.id[h.road]);
        for (int w = 0; w < W.n; w++)
            if (GEOSPreparedIntersects_r(gh, pw[w], B.g[k]) == 1 && !in_water++)
                snprintf(ex, sizeof ex, "%s in %s", B.id[k], W.id[w]);
    }
    for (int k = 0; k < W.n; k++)
        GEOSPreparedGeom_destroy_r(gh, pw[k]);
    free(pw);
    GEOSSTRtree_destroy_r(gh, t);
    int nb = B.n;
    free_layer(&B), free_layer(&R), free_layer(&W);
    GDALClose(ds);
    UT_CHECK(nb > 0);
    UT_CHECK_MSG(on_road == 0 && in_water == 0,
                 "%d buildings on roads, %d in water (%s)", on_road, in_water, ex);
}

static void test_bridges_exactly_over_water(void)
{
    GDALDatasetH ds = open_ro(SMALL);
    UT_CHECK(ds != NULL);
    layer_geoms R, W;
    read_layer(ds, "roads", &R);
    read_layer(ds, "water_areas", &W);
    int bridges = 0, wet_not_bridge = 0, dry_bridge = 0;
    for (int k = 0; k < R.n; k++) {
        int wet = 0;
        for (int w = 0; w < W.n && !wet; w++)
            wet = GEOSIntersects_r(gh, R.g[k], W.g[w]) == 1;
        bridges += R.bridge[k];
        wet_not_bridge += wet && !R.bridge[k];
        dry_bridge += !wet && R.bridge[k];
    }
    free_layer(&R), free_layer(&W);
    GDALClose(ds);
    UT_CHECK_MSG(bridges > 0, "no bridges at all");
    UT_CHECK_MSG(wet_not_bridge == 0, "%d roads cross water without a bridge",
                 wet_not_bridge);
    /* a bridge edge may end a few metres short of the water area */
    UT_CHECK_MSG(dry_bridge * 5 <= bridges, "%d of %d bridges are over no water",
                 dry_bridge, bridges);
}

static int by_pos(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int find_id(char **ids, int n, const char *id)
{
    /* ids are "road-%06d" in order: index = number - 1 */
    int k = atoi(id + 5) - 1;
    return k >= 0 && k < n && !strcmp(ids[k], id) ? k : -1;
}

static void test_hydrants_at_most_120m_apart(void)
{
    GDALDatasetH ds = open_ro(SMALL);
    UT_CHECK(ds != NULL);
    layer_geoms R, H;
    read_layer(ds, "roads", &R);
    read_layer(ds, "hydrants", &H);
    double **pos = calloc((size_t)R.n, sizeof *pos);
    int *cnt = calloc((size_t)R.n, sizeof *cnt);
    int orphan = 0, bad = 0, off_road = 0;
    char ex[128] = "";
    for (int k = 0; k < H.n; k++) {
        int r = H.ref[k] ? find_id(R.id, R.n, H.ref[k]) : -1;
        if (r < 0) {
            orphan++;
            continue;
        }
        double d;
        GEOSDistance_r(gh, H.g[k], R.g[r], &d);
        if (d > R.width[r] / 2)
            off_road++;
        pos[r] = realloc(pos[r], (size_t)(cnt[r] + 1) * sizeof **pos);
        pos[r][cnt[r]++] = GEOSProject_r(gh, R.g[r], H.g[k]);
    }
    for (int r = 0; r < R.n; r++) {
        if (R.bridge[r])
            continue;   /* no hydrants on bridges (documented) */
        double len;
        GEOSLength_r(gh, R.g[r], &len);
        if (!cnt[r]) {
            bad++;
            snprintf(ex, sizeof ex, "%s (%.0f m) has no hydrant", R.id[r], len);
            continue;
        }
        qsort(pos[r], (size_t)cnt[r], sizeof **pos, by_pos);
        double gap = fmax(pos[r][0], len - pos[r][cnt[r] - 1]) * 2;
        for (int i = 1; i < cnt[r]; i++)
            gap = fmax(gap, pos[r][i] - pos[r][i - 1]);
        if (gap > 120.0) {
            bad++;
            snprintf(ex, sizeof ex, "%s: gap %.1f m", R.id[r], gap);
        }
    }
    for (int r = 0; r < R.n; r++)
        free(pos[r]);
    free(pos), free(cnt);
    int nh = H.n;
    free_layer(&R), free_layer(&H);
    GDALClose(ds);
    UT_CHECK(nh > 1000);
    UT_CHECK_MSG(orphan == 0, "%d hydrants name no road", orphan);
    UT_CHECK_MSG(off_road == 0, "%d hydrants outside their road's red line", off_road);
    UT_CHECK_MSG(bad == 0, "%d roads break the 120 m rule, e.g. %s", bad, ex);
}

/* Every building within FIRE_BOUND_M (straight line) of a fire station:
 * stations are placed so every street node is within 2000 m (pois.c), and a
 * building is at most ~170 m from a node; 2200 m is the documented bound. */
#define FIRE_BOUND_M 2200.0
static synth_stats small_stats;

static void test_fire_station_reach(void)
{
    const synth_stats st = small_stats;
    GDALDatasetH ds = open_ro(SMALL);
    UT_CHECK(ds != NULL);
    layer_geoms B, F;
    read_layer(ds, "buildings", &B);
    read_layer(ds, "fire_stations", &F);
    double worst = 0;
    double *fx = malloc((size_t)F.n * sizeof *fx), *fy = malloc((size_t)F.n * sizeof *fy);
    for (int k = 0; k < F.n; k++) {
        GEOSGeomGetX_r(gh, F.g[k], &fx[k]);
        GEOSGeomGetY_r(gh, F.g[k], &fy[k]);
    }
    for (int k = 0; k < B.n; k += 3) {
        double x0, y0;
        GEOSGeom_getXMin_r(gh, B.g[k], &x0);
        GEOSGeom_getYMin_r(gh, B.g[k], &y0);
        double best = INFINITY;
        for (int s = 0; s < F.n; s++)
            best = fmin(best, hypot(fx[s] - x0, fy[s] - y0));
        worst = fmax(worst, best);
    }
    free(fx), free(fy);
    int nf = F.n;
    free_layer(&B), free_layer(&F);
    GDALClose(ds);
    double per = st.built_area_km2 / nf;
    printf("# %d fire stations for %.1f km2: %.1f km2 each, worst reach %.0f m\n",
           nf, st.built_area_km2, per, worst);
    UT_CHECK_MSG(worst <= FIRE_BOUND_M, "a building is %.0f m from any station", worst);
    UT_CHECK_MSG(per > 3.5 && per <= 7.5, "%.1f km2 per station, norm ~7", per);
}

static int uf_find(int *p, int a)
{
    while (p[a] != a)
        a = p[a] = p[p[a]];
    return a;
}

static void test_road_graph_connected(void)
{
    GDALDatasetH ds = open_ro(SMALL);
    UT_CHECK(ds != NULL);
    layer_geoms R;
    read_layer(ds, "roads", &R);
    long long maxn = 0;
    for (int k = 0; k < R.n; k++)
        maxn = fmax(maxn, fmax(R.from[k], R.to[k]));
    int nn = (int)maxn + 1;
    int *par = malloc((size_t)nn * sizeof *par);
    double *nx = malloc((size_t)nn * sizeof *nx), *ny = malloc((size_t)nn * sizeof *ny);
    for (int i = 0; i < nn; i++)
        par[i] = i, nx[i] = NAN, ny[i] = NAN;
    int mismatch = 0, oneways = 0;
    for (int k = 0; k < R.n; k++) {
        /* the node ids are shared endpoints: same id, same coordinates */
        const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(gh, R.g[k]);
        unsigned int n;
        GEOSCoordSeq_getSize_r(gh, cs, &n);
        long long ends[2] = {R.from[k], R.to[k]};
        for (int e = 0; e < 2; e++) {
            double x, y;
            GEOSCoordSeq_getXY_r(gh, cs, e ? n - 1 : 0, &x, &y);
            long long id = ends[e];
            if (isnan(nx[id]))
                nx[id] = x, ny[id] = y;
            else if (hypot(nx[id] - x, ny[id] - y) > 0.01)
                mismatch++;
        }
        int a = uf_find(par, (int)R.from[k]), b = uf_find(par, (int)R.to[k]);
        par[a] = b;
        oneways += R.oneway[k];
    }
    int roots = 0;
    for (int i = 0; i < nn; i++)
        if (!isnan(nx[i]) && uf_find(par, i) == i)
            roots++;
    /* strongly connected: forward and backward reach from one node */
    int *seen = calloc((size_t)nn, sizeof *seen), unreached = 0;
    for (int dir = 0; dir < 2; dir++) {
        memset(seen, 0, (size_t)nn * sizeof *seen);
        seen[R.from[0]] = 1;
        for (int changed = 1, round = 0; changed && round < 100000; round++) {
            changed = 0;
            for (int k = 0; k < R.n; k++) {
                long long a = dir ? R.to[k] : R.from[k], b = dir ? R.from[k] : R.to[k];
                if (seen[a] && !seen[b])
                    seen[b] = 1, changed = 1;
                if (!R.oneway[k] && seen[b] && !seen[a])
                    seen[a] = 1, changed = 1;
            }
        }
        for (int i = 0; i < nn; i++)
            unreached += !isnan(nx[i]) && !seen[i];
    }
    free(seen), free(par), free(nx), free(ny);
    free_layer(&R);
    GDALClose(ds);
    UT_EQ_INT(mismatch, 0);
    UT_CHECK_MSG(roots == 1, "the road graph has %d components", roots);
    UT_CHECK_MSG(oneways > 0, "no one-way streets");
    UT_CHECK_MSG(unreached == 0, "%d nodes not reachable both ways", unreached);
}

static long long count(GDALDatasetH ds, const char *layer)
{
    OGRLayerH l = GDALDatasetGetLayerByName(ds, layer);
    return l ? OGR_L_GetFeatureCount(l, 1) : -1;
}

static void test_default_scale_counts(void)
{
    synth_stats st;
    UT_EQ_INT(generate("t_default.gpkg", 20251127, 1.0, &st), CT_OK);
    GDALDatasetH ds = open_ro("t_default.gpkg");
    UT_CHECK(ds != NULL);
    long long b = count(ds, "buildings"), w = count(ds, "water_stations");
    long long cp = count(ds, "car_parks"), r = count(ds, "roads");
    long long h = count(ds, "hospitals"), s = count(ds, "schools");
    GDALClose(ds);
    printf("# default scale: %lld buildings, %lld roads, %lld water stations, "
           "%lld car parks, %lld hospitals, %lld schools\n", b, r, w, cp, h, s);
    UT_CHECK_MSG(b >= 100000, "%lld buildings", b);
    UT_CHECK_MSG(w >= 800, "%lld water stations", w);
    UT_CHECK(cp >= 1000 && r >= 10000 && h >= 10 && s >= 50);
    UT_EQ_INT(b, st.count[SL_BUILDINGS]);
}

static void test_water_station_levels(void)
{
    GDALDatasetH ds = open_ro(SMALL);
    UT_CHECK(ds != NULL);
    OGRLayerH r = GDALDatasetExecuteSQL(ds,
        "SELECT SUM(station_type IN ('level','flow','reservoir') AND NOT "
        "(guarantee_level > warning_level)), SUM(station_type='reservoir' AND "
        "flood_limit_level IS NULL), COUNT(DISTINCT station_type), "
        "SUM(period_s IS NULL OR period_s <= 0) FROM water_stations", NULL, "SQLITE");
    OGRFeatureH f = OGR_L_GetNextFeature(r);
    long long bad = OGR_F_GetFieldAsInteger64(f, 0), nofl = OGR_F_GetFieldAsInteger64(f, 1);
    long long types = OGR_F_GetFieldAsInteger64(f, 2), noper = OGR_F_GetFieldAsInteger64(f, 3);
    OGR_F_Destroy(f);
    GDALDatasetReleaseResultSet(ds, r);
    GDALClose(ds);
    UT_EQ_INT(bad, 0);
    UT_EQ_INT(nofl, 0);
    UT_EQ_INT(types, 4);   /* rain, level, flow, reservoir */
    UT_EQ_INT(noper, 0);
}

int main(void)
{
    const char *src = getenv("CT_SRC");
    snprintf(open_path, sizeof open_path, "%s/data/luoyang/luoyang_open.gpkg",
             src ? src : ".");
    GDALAllRegister();
    gh = GEOS_init_r();
    GEOSContext_setNoticeHandler_r(gh, geos_msg);
    OGRSpatialReferenceH a = OSRNewSpatialReference(NULL), b = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(a, 4326);
    OSRImportFromEPSG(b, 32649);
    OSRSetAxisMappingStrategy(a, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(b, OAMS_TRADITIONAL_GIS_ORDER);
    to_utm = OCTNewCoordinateTransformation(a, b);
    int ok = generate(SMALL, 11, 0.25, &small_stats) == CT_OK;
    if (!ok)
        printf("# could not generate %s\n", SMALL);
    UT_RUN(test_same_seed_same_bytes);
    UT_RUN(test_bad_options_are_named);
    UT_RUN(test_layers_follow_store_schema);
    UT_RUN(test_buildings_inside_districts);
    UT_RUN(test_buildings_clear_of_roads_and_water);
    UT_RUN(test_bridges_exactly_over_water);
    UT_RUN(test_hydrants_at_most_120m_apart);
    UT_RUN(test_fire_station_reach);
    UT_RUN(test_road_graph_connected);
    UT_RUN(test_water_station_levels);
    UT_RUN(test_default_scale_counts);
    OCTDestroyCoordinateTransformation(to_utm);
    OSRDestroySpatialReference(a);
    OSRDestroySpatialReference(b);
    GEOS_finish_r(gh);
    return ut_done();
}
