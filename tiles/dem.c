/* tiles/dem.c: DEM windows and bilinear samples (see dem.h). */
#include "tiles/dem.h"

#include <cpl_error.h>
#include <gdal.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct dem {
    GDALDatasetH ds;
    GDALRasterBandH band;
    OGRCoordinateTransformationH ct;   /* lon/lat -> raster CRS; NULL: same */
    double gt[6], inv[6];
    int w, h;
    double nodata;
    int has_nodata;
    float *win;                        /* loaded window */
    int x0, y0, ww, wh;
};

static pthread_once_t registered = PTHREAD_ONCE_INIT;

int dem_open(const char *path, dem **out, ct_err *err)
{
    *out = NULL;
    pthread_once(&registered, GDALAllRegister);
    dem *d = calloc(1, sizeof *d);
    if (!d)
        return ct_fail(err, CT_ENOMEM, "dem: out of memory");
    CPLPushErrorHandler(CPLQuietErrorHandler);  /* the message goes to err */
    d->ds = GDALOpen(path, GA_ReadOnly);
    CPLPopErrorHandler();
    if (!d->ds) {
        free(d);
        return ct_fail(err, CT_ENOTFOUND, "dem %s: cannot open: %s", path,
                       CPLGetLastErrorMsg());
    }
    if (GDALGetRasterCount(d->ds) < 1 || GDALGetGeoTransform(d->ds, d->gt) != CE_None ||
        !GDALInvGeoTransform(d->gt, d->inv)) {
        dem_close(d);
        return ct_fail(err, CT_EFORMAT, "dem %s: no band or no georeferencing", path);
    }
    d->band = GDALGetRasterBand(d->ds, 1);
    d->w = GDALGetRasterXSize(d->ds);
    d->h = GDALGetRasterYSize(d->ds);
    d->nodata = GDALGetRasterNoDataValue(d->band, &d->has_nodata);
    OGRSpatialReferenceH dst = GDALGetSpatialRef(d->ds);
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(wgs, 4326);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    if (dst && !OSRIsSame(wgs, dst)) {
        OGRSpatialReferenceH dc = OSRClone(dst);
        OSRSetAxisMappingStrategy(dc, OAMS_TRADITIONAL_GIS_ORDER);
        d->ct = OCTNewCoordinateTransformation(wgs, dc);
        OSRDestroySpatialReference(dc);
        if (!d->ct) {
            OSRDestroySpatialReference(wgs);
            dem_close(d);
            return ct_fail(err, CT_EFORMAT, "dem %s: cannot transform from lon/lat",
                           path);
        }
    }
    OSRDestroySpatialReference(wgs);
    *out = d;
    return CT_OK;
}

void dem_close(dem *d)
{
    if (!d)
        return;
    if (d->ct)
        OCTDestroyCoordinateTransformation(d->ct);
    if (d->ds)
        GDALClose(d->ds);
    free(d->win);
    free(d);
}

/* lon/lat -> fractional pixel (x, y); 0 or -1. */
static int to_pixel(dem *d, double lon, double lat, double *px, double *py)
{
    double x = lon, y = lat;
    if (d->ct && !OCTTransform(d->ct, 1, &x, &y, NULL))
        return -1;
    *px = d->inv[0] + x * d->inv[1] + y * d->inv[2];
    *py = d->inv[3] + x * d->inv[4] + y * d->inv[5];
    return 0;
}

int dem_load(dem *d, double west, double south, double east, double north,
             ct_err *err)
{
    double xs[4] = {west, east, east, west}, ys[4] = {south, south, north, north};
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int i = 0; i < 4; i++) {
        double px, py;
        if (to_pixel(d, xs[i], ys[i], &px, &py))
            continue;
        x0 = fmin(x0, px);
        y0 = fmin(y0, py);
        x1 = fmax(x1, px);
        y1 = fmax(y1, py);
    }
    d->ww = d->wh = 0;
    int ix0 = (int)fmax(0, floor(x0) - 1), iy0 = (int)fmax(0, floor(y0) - 1);
    int ix1 = (int)fmin(d->w - 1, ceil(x1) + 1), iy1 = (int)fmin(d->h - 1, ceil(y1) + 1);
    if (!isfinite(x0) || ix1 < ix0 || iy1 < iy0)
        return CT_OK;  /* the tile is off the raster: no samples */
    int ww = ix1 - ix0 + 1, wh = iy1 - iy0 + 1;
    float *win = realloc(d->win, sizeof(float) * (size_t)ww * (size_t)wh);
    if (!win)
        return ct_fail(err, CT_ENOMEM, "dem: out of memory for a %dx%d window", ww, wh);
    d->win = win;
    if (GDALRasterIO(d->band, GF_Read, ix0, iy0, ww, wh, win, ww, wh, GDT_Float32, 0,
                     0) != CE_None)
        return ct_fail(err, CT_EIO, "dem: cannot read a window: %s",
                       CPLGetLastErrorMsg());
    d->x0 = ix0;
    d->y0 = iy0;
    d->ww = ww;
    d->wh = wh;
    return CT_OK;
}

double dem_sample(dem *d, double lon, double lat)
{
    double px, py;
    if (d->ww == 0 || to_pixel(d, lon, lat, &px, &py))
        return NAN;
    /* pixel centres are at +0.5 */
    double fx = px - 0.5 - d->x0, fy = py - 0.5 - d->y0;
    int ix = (int)floor(fx), iy = (int)floor(fy);
    if (ix < 0)
        ix = 0;
    if (iy < 0)
        iy = 0;
    if (ix > d->ww - 2)
        ix = d->ww > 1 ? d->ww - 2 : 0;
    if (iy > d->wh - 2)
        iy = d->wh > 1 ? d->wh - 2 : 0;
    if (fx < -1 || fy < -1 || fx > d->ww || fy > d->wh)
        return NAN;
    double tx = fmin(1, fmax(0, fx - ix)), ty = fmin(1, fmax(0, fy - iy));
    int jx = ix + 1 < d->ww ? ix + 1 : ix, jy = iy + 1 < d->wh ? iy + 1 : iy;
    double v[4] = {d->win[iy * d->ww + ix], d->win[iy * d->ww + jx],
                   d->win[jy * d->ww + ix], d->win[jy * d->ww + jx]};
    for (int i = 0; i < 4; i++)
        if (!isfinite(v[i]) || (d->has_nodata && v[i] == (float)d->nodata))
            return NAN;
    return (v[0] * (1 - tx) + v[1] * tx) * (1 - ty) + (v[2] * (1 - tx) + v[3] * tx) * ty;
}
