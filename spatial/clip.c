/* spatial/clip.c: the --clip boundary (see clip.h). */
#include "spatial/clip.h"

#include <gdal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "spatial/reproject.h"

static void add_polygons(OGRGeometryH multi, OGRGeometryH g)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == wkbPolygon) {
        OGR_G_AddGeometry(multi, g);
    } else if (t == wkbMultiPolygon || t == wkbGeometryCollection) {
        for (int i = 0; i < OGR_G_GetGeometryCount(g); i++)
            add_polygons(multi, OGR_G_GetGeometryRef(g, i));
    }
}

static int read_layer(OGRLayerH l, OGRGeometryH multi, const char *path,
                      ct_err *err)
{
    reproj rp;
    OGREnvelope env;
    char what[512];
    snprintf(what, sizeof what, "clip boundary %s", path);
    int have_env = OGR_L_GetExtent(l, &env, 1) == OGRERR_NONE;
    int rc = reproj_open(&rp, OGR_L_GetSpatialRef(l), NULL,
                         have_env ? &env : NULL, what, err);
    if (rc)
        return rc;
    OGRFeatureH f;
    OGR_L_ResetReading(l);
    while ((f = OGR_L_GetNextFeature(l))) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (g && !OGR_G_IsEmpty(g)) {
            OGRGeometryH c = OGR_G_Clone(g);
            OGR_G_FlattenTo2D(c);
            if (reproj_apply(&rp, c) == 0) {
                if (!OGR_G_IsValid(c)) {
                    OGRGeometryH v = OGR_G_MakeValid(c);
                    OGR_G_DestroyGeometry(c);
                    c = v;
                }
                if (c)
                    add_polygons(multi, c);
            }
            if (c)
                OGR_G_DestroyGeometry(c);
        }
        OGR_F_Destroy(f);
    }
    reproj_close(&rp);
    return CT_OK;
}

int clip_open(clip *c, const char *path, ct_err *err)
{
    struct stat sb;
    memset(c, 0, sizeof *c);
    if (stat(path, &sb) != 0)
        return ct_fail(err, CT_ENOTFOUND, "clip boundary %s: no such file", path);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL,
                                 NULL, NULL);
    if (!ds)
        return ct_fail(err, CT_EFORMAT,
                       "clip boundary %s: not a readable GDAL vector file", path);
    OGRGeometryH multi = OGR_G_CreateGeometry(wkbMultiPolygon);
    int rc = CT_OK;
    for (int i = 0; i < GDALDatasetGetLayerCount(ds) && !rc; i++)
        rc = read_layer(GDALDatasetGetLayer(ds, i), multi, path, err);
    GDALClose(ds);
    if (!rc && OGR_G_GetGeometryCount(multi) == 0)
        rc = ct_fail(err, CT_EFORMAT, "clip boundary %s has no polygons", path);
    if (rc) {
        OGR_G_DestroyGeometry(multi);
        return rc;
    }
    /* one valid area: overlapping districts would make intersections fail */
    c->area = OGR_G_UnionCascaded(multi);
    OGR_G_DestroyGeometry(multi);
    if (!c->area)
        return ct_fail(err, CT_EFORMAT, "clip boundary %s: cannot merge its polygons",
                       path);
    OGR_G_GetEnvelope(c->area, &c->env);
    return CT_OK;
}

void clip_close(clip *c)
{
    if (c->area)
        OGR_G_DestroyGeometry(c->area);
    c->area = NULL;
}

int clip_test(const clip *c, OGRGeometryH g)
{
    OGREnvelope e;
    OGR_G_GetEnvelope(g, &e);
    if (e.MaxX < c->env.MinX || e.MinX > c->env.MaxX || e.MaxY < c->env.MinY ||
        e.MinY > c->env.MaxY)
        return CLIP_OUTSIDE;
    if (OGR_G_Within(g, c->area))
        return CLIP_INSIDE;
    return OGR_G_Intersects(g, c->area) ? CLIP_PARTLY : CLIP_OUTSIDE;
}
