/* spatial/reproject.c: source CRS -> store lon/lat (see reproject.h). */
#include "spatial/reproject.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "spatial/gcj02.h"

static int is_gcj02(const char *s)
{
    return s && (!strcasecmp(s, "gcj02") || !strcasecmp(s, "gcj-02"));
}

int reproj_check(const char *s_srs, ct_err *err)
{
    if (!s_srs || is_gcj02(s_srs))
        return CT_OK;
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    OGRErr e = OSRSetFromUserInput(s, s_srs);
    OSRDestroySpatialReference(s);
    if (e != OGRERR_NONE)
        return ct_fail(err, CT_EINVAL,
                       "unknown CRS '%s' (give an EPSG code such as EPSG:4490, "
                       "a PROJ string, WKT, or gcj02)", s_srs);
    return CT_OK;
}

static OGRSpatialReferenceH lonlat_wgs84(void)
{
    OGRSpatialReferenceH t = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(t, 4326);
    OSRSetAxisMappingStrategy(t, OAMS_TRADITIONAL_GIS_ORDER);
    return t;
}

static int extent_is_lonlat(const OGREnvelope *e)
{
    return e && e->MinX >= -180.0001 && e->MaxX <= 180.0001 &&
           e->MinY >= -90.0001 && e->MaxY <= 90.0001;
}

int reproj_open(reproj *r, OGRSpatialReferenceH layer_srs, const char *s_srs,
                const OGREnvelope *extent, const char *what, ct_err *err)
{
    memset(r, 0, sizeof *r);
    if (is_gcj02(s_srs)) {
        r->mode = REPROJ_GCJ02;
        snprintf(r->desc, sizeof r->desc, "GCJ-02");
        return CT_OK;
    }
    OGRSpatialReferenceH src;
    if (s_srs) {
        src = OSRNewSpatialReference(NULL);
        if (OSRSetFromUserInput(src, s_srs) != OGRERR_NONE) {
            OSRDestroySpatialReference(src);
            return ct_fail(err, CT_EINVAL, "unknown CRS '%s'", s_srs);
        }
    } else if (layer_srs) {
        src = OSRClone(layer_srs);
    } else {
        if (!extent_is_lonlat(extent))
            return ct_fail(err, CT_EINVAL,
                           "%s has no CRS and its coordinates are not lon/lat "
                           "(extent %.6g,%.6g - %.6g,%.6g); give --s_srs",
                           what, extent ? extent->MinX : NAN,
                           extent ? extent->MinY : NAN, extent ? extent->MaxX : NAN,
                           extent ? extent->MaxY : NAN);
        snprintf(r->desc, sizeof r->desc, "none (taken as lon/lat)");
        return CT_OK;
    }
    /* A CRS given on the command line describes lon/lat (x/y) data
     * whatever its official axis order (EPSG:4490 is latitude first); a
     * layer's own CRS comes with GDAL's mapping of its data axes. */
    if (s_srs)
        OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
    const char *name = OSRGetName(src);
    const char *auth = OSRGetAuthorityName(src, NULL);
    const char *code = OSRGetAuthorityCode(src, NULL);
    if (auth && code)
        snprintf(r->desc, sizeof r->desc, "%s:%s", auth, code);
    else
        snprintf(r->desc, sizeof r->desc, "%s", name ? name : "custom");
    OGRSpatialReferenceH dst = lonlat_wgs84();
    const char *opts[] = {"IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=NO", NULL};
    int rc = CT_OK;
    if (!OSRIsSameEx(src, dst, opts)) {
        r->ct = OCTNewCoordinateTransformation(src, dst);
        if (!r->ct)
            rc = ct_fail(err, CT_EINVAL,
                         "%s: PROJ cannot transform from %s to EPSG:4326", what,
                         r->desc);
        else
            r->mode = REPROJ_OGR;
    }
    OSRDestroySpatialReference(src);
    OSRDestroySpatialReference(dst);
    return rc;
}

void reproj_close(reproj *r)
{
    if (r->ct)
        OCTDestroyCoordinateTransformation(r->ct);
    r->ct = NULL;
}

static void gcj_walk(OGRGeometryH g)
{
    int n = OGR_G_GetGeometryCount(g);
    if (n > 0) {
        for (int i = 0; i < n; i++)
            gcj_walk(OGR_G_GetGeometryRef(g, i));
        return;
    }
    int np = OGR_G_GetPointCount(g);
    for (int i = 0; i < np; i++) {
        double x = OGR_G_GetX(g, i), y = OGR_G_GetY(g, i), lon, lat;
        gcj02_to_wgs84(x, y, &lon, &lat);
        OGR_G_SetPoint_2D(g, i, lon, lat);
    }
}

int reproj_apply(const reproj *r, OGRGeometryH g)
{
    if (r->mode == REPROJ_OGR)
        return OGR_G_Transform(g, r->ct) == OGRERR_NONE ? 0 : -1;
    if (r->mode == REPROJ_GCJ02)
        gcj_walk(g);
    return 0;
}

int reproj_coords_ok(OGRGeometryH g, int lonlat)
{
    int n = OGR_G_GetGeometryCount(g);
    if (n > 0) {
        for (int i = 0; i < n; i++)
            if (!reproj_coords_ok(OGR_G_GetGeometryRef(g, i), lonlat))
                return 0;
        return 1;
    }
    int np = OGR_G_GetPointCount(g);
    for (int i = 0; i < np; i++) {
        double x = OGR_G_GetX(g, i), y = OGR_G_GetY(g, i);
        if (!isfinite(x) || !isfinite(y))
            return 0;
        if (lonlat && (fabs(x) > 180.0 || fabs(y) > 90.0))
            return 0;
        /* no real projected coordinate is this far from its origin */
        if (fabs(x) > 1e8 || fabs(y) > 1e8)
            return 0;
    }
    return 1;
}
