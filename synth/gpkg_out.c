/* synth/gpkg_out.c: writes the generated layers to one GeoPackage with
 * GDAL. Layer names and columns follow the store schema (spatial/layers.h)
 * so the importer's `native` mapping reads them unchanged. Speed: one
 * transaction per 100k features, one reused feature and one reused
 * geometry per layer. Determinism: GPKG timestamps are pinned with
 * OGR_CURRENT_DATE, so the same city gives the same bytes. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <ogr_srs_api.h>

#include "spatial/layers.h"
#include "synth/synth.h"

#define SYNTH_DATE "2025-11-01T00:00:00.000Z"
#define TX_BATCH 100000

typedef struct extra_col {
    const char *name;
    OGRFieldType type;
} extra_col;

typedef struct out_layer {
    const char *id;
    OGRwkbGeometryType gtype;
    extra_col more[4];          /* columns beyond the store's (-> props) */
} out_layer;

static const out_layer OUT_LAYERS[SL_COUNT] = {
    [SL_BUILDINGS] = {"buildings", wkbMultiPolygon, {{"block", OFTString}}},
    [SL_ROADS] = {"roads", wkbLineString, {{"width_m", OFTReal}}},
    [SL_WATER_LINES] = {"water_lines", wkbMultiLineString, {{NULL, 0}}},
    [SL_WATER_AREAS] = {"water_areas", wkbMultiPolygon, {{"river_id", OFTString}}},
    [SL_GREEN] = {"green_areas", wkbMultiPolygon, {{NULL, 0}}},
    [SL_CAR_PARKS] = {"car_parks", wkbPoint, {{"area_kind", OFTString}}},
    [SL_FIRE] = {"fire_stations", wkbPoint, {{NULL, 0}}},
    [SL_HYDRANTS] = {"hydrants", wkbPoint, {{"road_id", OFTString}}},
    [SL_HOSPITALS] = {"hospitals", wkbPoint, {{NULL, 0}}},
    [SL_POLICE] = {"police", wkbPoint, {{NULL, 0}}},
    [SL_SCHOOLS] = {"schools", wkbPoint, {{NULL, 0}}},
    [SL_CAMERAS] = {"cameras", wkbPoint, {{NULL, 0}}},
    [SL_WATER_STATIONS] = {"water_stations", wkbPoint,
                           {{"normal_level", OFTReal}, {"river_id", OFTString}}},
};

const char *synth_layer_id(enum synth_layer l)
{
    return OUT_LAYERS[l].id;
}

static OGRFieldType sql_type(const char *t)
{
    if (!strcmp(t, "REAL"))
        return OFTReal;
    if (!strcmp(t, "INTEGER"))
        return OFTInteger;
    return OFTString;
}

static int add_field(OGRLayerH l, const char *name, OGRFieldType t)
{
    OGRFieldDefnH fd = OGR_Fld_Create(name, t);
    int rc = OGR_L_CreateField(l, fd, TRUE);
    OGR_Fld_Destroy(fd);
    return rc == OGRERR_NONE ? CT_OK : CT_EIO;
}

static int create_layer(synth_out *o, int k, OGRSpatialReferenceH srs,
                        ct_err *err)
{
    const out_layer *ol = &OUT_LAYERS[k];
    const layer_def *def = layers_find(ol->id);
    char *opts[] = {"GEOMETRY_NAME=geom", "FID=fid", "SPATIAL_INDEX=YES", NULL};
    OGRLayerH l = GDALDatasetCreateLayer(o->ds, ol->id, srs, ol->gtype, opts);
    if (!l || !def)
        return ct_fail(err, CT_EIO, "%s: cannot create layer %s", o->path, ol->id);
    int rc = CT_OK;
    /* the store's common columns that a source provides */
    static const char *common[] = {"id", "name", "name_en", "kind", "source",
                                   "district", NULL};
    for (int i = 0; common[i] && rc == CT_OK; i++)
        rc = add_field(l, common[i], OFTString);
    for (const layer_column *c = def->extra; c->name && rc == CT_OK; c++)
        rc = add_field(l, c->name, sql_type(c->sqltype));
    for (int i = 0; i < 4 && ol->more[i].name && rc == CT_OK; i++)
        rc = add_field(l, ol->more[i].name, ol->more[i].type);
    if (rc)
        return ct_fail(err, rc, "%s: cannot create the columns of %s", o->path,
                       ol->id);
    o->lyr[k] = l;
    o->feat[k] = OGR_F_Create(OGR_L_GetLayerDefn(l));
    return CT_OK;
}

static OGRGeometryH make_mpoly(int rings)
{
    OGRGeometryH mp = OGR_G_CreateGeometry(wkbMultiPolygon);
    OGRGeometryH p = OGR_G_CreateGeometry(wkbPolygon);
    for (int i = 0; i < rings; i++) {
        OGRGeometryH r = OGR_G_CreateGeometry(wkbLinearRing);
        OGR_G_AddGeometryDirectly(p, r);
    }
    OGR_G_AddGeometryDirectly(mp, p);
    return mp;
}

int synth_out_open(synth_out *o, const char *path, ct_err *err)
{
    memset(o, 0, sizeof *o);
    snprintf(o->path, sizeof o->path, "%s", path);
    GDALAllRegister();
    CPLSetThreadLocalConfigOption("OGR_CURRENT_DATE", SYNTH_DATE);
    CPLSetThreadLocalConfigOption("OGR_SQLITE_SYNCHRONOUS", "OFF");
    CPLSetThreadLocalConfigOption("OGR_SQLITE_CACHE", "256");
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    if (!drv)
        return ct_fail(err, CT_EIO, "GDAL has no GPKG driver");
    unlink(path);
    o->ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    if (!o->ds)
        return ct_fail(err, CT_EIO, "%s: cannot create the GeoPackage: %s", path,
                       CPLGetLastErrorMsg());
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 4326);
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    int rc = CT_OK;
    for (int k = 0; k < SL_COUNT && rc == CT_OK; k++)
        rc = create_layer(o, k, srs, err);
    OSRDestroySpatialReference(srs);
    if (rc)
        return rc;
    o->poly1 = make_mpoly(1);
    o->poly2 = make_mpoly(2);
    o->point = OGR_G_CreateGeometry(wkbPoint);
    o->line = OGR_G_CreateGeometry(wkbLineString);
    if (GDALDatasetStartTransaction(o->ds, FALSE) != OGRERR_NONE)
        return ct_fail(err, CT_EIO, "%s: cannot start a transaction", path);
    return CT_OK;
}

int synth_out_close(synth_out *o, int ok, ct_err *err)
{
    int rc = CT_OK;
    if (o->ds && ok && GDALDatasetCommitTransaction(o->ds) != OGRERR_NONE)
        rc = ct_fail(err, CT_EIO, "%s: commit failed: %s", o->path,
                     CPLGetLastErrorMsg());
    for (int k = 0; k < SL_COUNT; k++)
        if (o->feat[k])
            OGR_F_Destroy(o->feat[k]);
    if (o->poly1)
        OGR_G_DestroyGeometry(o->poly1);
    if (o->poly2)
        OGR_G_DestroyGeometry(o->poly2);
    if (o->point)
        OGR_G_DestroyGeometry(o->point);
    if (o->line)
        OGR_G_DestroyGeometry(o->line);
    if (o->ds)
        GDALClose(o->ds);   /* builds the R-tree indexes */
    o->ds = NULL;
    CPLSetThreadLocalConfigOption("OGR_CURRENT_DATE", NULL);
    CPLSetThreadLocalConfigOption("OGR_SQLITE_SYNCHRONOUS", NULL);
    CPLSetThreadLocalConfigOption("OGR_SQLITE_CACHE", NULL);
    if (!ok || rc)
        unlink(o->path);
    return rc;
}

OGRFeatureH synth_feat(synth_out *o, enum synth_layer l, const char *id,
                       const char *name, const char *name_en,
                       const char *kind, const char *district)
{
    OGRFeatureH f = o->feat[l];
    int n = OGR_F_GetFieldCount(f);
    for (int i = 0; i < n; i++)
        OGR_F_UnsetField(f, i);
    OGR_F_SetFID(f, OGRNullFID);
    OGR_F_SetFieldString(f, 0, id);
    if (name)
        OGR_F_SetFieldString(f, 1, name);
    if (name_en)
        OGR_F_SetFieldString(f, 2, name_en);
    if (kind)
        OGR_F_SetFieldString(f, 3, kind);
    OGR_F_SetFieldString(f, 4, "synthetic");
    if (district)
        OGR_F_SetFieldString(f, 5, district);
    return f;
}

void synth_set_int(OGRFeatureH f, const char *col, long long v)
{
    OGR_F_SetFieldInteger64(f, OGR_F_GetFieldIndex(f, col), v);
}

void synth_set_real(OGRFeatureH f, const char *col, double v)
{
    OGR_F_SetFieldDouble(f, OGR_F_GetFieldIndex(f, col), v);
}

void synth_set_str(OGRFeatureH f, const char *col, const char *v)
{
    OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, col), v);
}

static int write_feature(synth_out *o, enum synth_layer l, OGRGeometryH g,
                         ct_err *err)
{
    OGRFeatureH f = o->feat[l];
    OGR_F_SetGeometry(f, g);
    if (OGR_L_CreateFeature(o->lyr[l], f) != OGRERR_NONE)
        return ct_fail(err, CT_EIO, "%s: cannot write to %s: %s", o->path,
                       OUT_LAYERS[l].id, CPLGetLastErrorMsg());
    o->count[l]++;
    if (++o->in_tx >= TX_BATCH) {
        o->in_tx = 0;
        if (GDALDatasetCommitTransaction(o->ds) != OGRERR_NONE ||
            GDALDatasetStartTransaction(o->ds, FALSE) != OGRERR_NONE)
            return ct_fail(err, CT_EIO, "%s: commit failed", o->path);
    }
    return CT_OK;
}

#define MAX_RING 64
static void set_ring(OGRGeometryH ring, const synth_pt *p, int n)
{
    double xs[MAX_RING + 1], ys[MAX_RING + 1];
    if (n > MAX_RING)
        n = MAX_RING;
    for (int i = 0; i < n; i++)
        synth_to_lonlat(p[i].x, p[i].y, &xs[i], &ys[i]);
    xs[n] = xs[0], ys[n] = ys[0];
    OGR_G_SetPoints(ring, n + 1, xs, sizeof(double), ys, sizeof(double), NULL, 0);
}

int synth_put_rings(synth_out *o, enum synth_layer l, const synth_pt *outer,
                    int nout, const synth_pt *hole, int nhole, ct_err *err)
{
    OGRGeometryH mp = hole ? o->poly2 : o->poly1;
    OGRGeometryH poly = OGR_G_GetGeometryRef(mp, 0);
    set_ring(OGR_G_GetGeometryRef(poly, 0), outer, nout);
    if (hole)
        set_ring(OGR_G_GetGeometryRef(poly, 1), hole, nhole);
    return write_feature(o, l, mp, err);
}

int synth_put_lonlat(synth_out *o, enum synth_layer l, double lon, double lat,
                     ct_err *err)
{
    OGR_G_SetPoint_2D(o->point, 0, lon, lat);
    return write_feature(o, l, o->point, err);
}

int synth_put_point(synth_out *o, enum synth_layer l, double x, double y,
                    ct_err *err)
{
    double lon, lat;
    synth_to_lonlat(x, y, &lon, &lat);
    return synth_put_lonlat(o, l, lon, lat, err);
}

int synth_put_line(synth_out *o, enum synth_layer l, const synth_pt *p, int n,
                   ct_err *err)
{
    OGR_G_Empty(o->line);
    for (int i = 0; i < n; i++) {
        double lon, lat;
        synth_to_lonlat(p[i].x, p[i].y, &lon, &lat);
        OGR_G_SetPoint_2D(o->line, i, lon, lat);
    }
    if (OUT_LAYERS[l].gtype == wkbMultiLineString) {
        OGRGeometryH ml = OGR_G_CreateGeometry(wkbMultiLineString);
        OGR_G_AddGeometry(ml, o->line);
        int rc = write_feature(o, l, ml, err);
        OGR_G_DestroyGeometry(ml);
        return rc;
    }
    return write_feature(o, l, o->line, err);
}

static void to_lonlat_all(OGRGeometryH g)
{
    int nsub = OGR_G_GetGeometryCount(g);
    if (nsub > 0) {
        for (int i = 0; i < nsub; i++)
            to_lonlat_all(OGR_G_GetGeometryRef(g, i));
        return;
    }
    int n = OGR_G_GetPointCount(g);
    for (int i = 0; i < n; i++) {
        double lon, lat;
        synth_to_lonlat(OGR_G_GetX(g, i), OGR_G_GetY(g, i), &lon, &lat);
        OGR_G_SetPoint_2D(g, i, lon, lat);
    }
}

int synth_put_geom(synth_out *o, enum synth_layer l, OGRGeometryH g_m,
                   ct_err *err)
{
    OGRGeometryH g = OGR_G_Clone(g_m);
    to_lonlat_all(g);
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == wkbPolygon)
        g = OGR_G_ForceToMultiPolygon(g);
    else if (t == wkbLineString && OUT_LAYERS[l].gtype == wkbMultiLineString)
        g = OGR_G_ForceToMultiLineString(g);
    int rc = write_feature(o, l, g, err);
    OGR_G_DestroyGeometry(g);
    return rc;
}
