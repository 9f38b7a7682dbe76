/* spatial/gcj02.c: GCJ-02 <-> WGS84 (see gcj02.h). The forward formula is
 * the one widely published since 2008 (Krasovsky ellipsoid constants and a
 * sum of sines); the inverse iterates the forward formula. */
#include "spatial/gcj02.h"

#include <math.h>

#define GCJ_A 6378245.0                    /* Krasovsky 1940 semi-major axis */
#define GCJ_EE 0.00669342162296594323      /* its first eccentricity squared */

int gcj02_in_china(double lon, double lat)
{
    return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
}

static double wave(double x)
{
    /* the periodic terms both offsets share */
    return (20.0 * sin(6.0 * x * M_PI) + 20.0 * sin(2.0 * x * M_PI)) * 2.0 / 3.0;
}

static double offset_lat(double x, double y)
{
    double r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y +
               0.2 * sqrt(fabs(x));
    r += wave(x);
    r += (20.0 * sin(y * M_PI) + 40.0 * sin(y / 3.0 * M_PI)) * 2.0 / 3.0;
    r += (160.0 * sin(y / 12.0 * M_PI) + 320.0 * sin(y * M_PI / 30.0)) * 2.0 / 3.0;
    return r;
}

static double offset_lon(double x, double y)
{
    double r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y +
               0.1 * sqrt(fabs(x));
    r += wave(x);
    r += (20.0 * sin(x * M_PI) + 40.0 * sin(x / 3.0 * M_PI)) * 2.0 / 3.0;
    r += (150.0 * sin(x / 12.0 * M_PI) + 300.0 * sin(x / 30.0 * M_PI)) * 2.0 / 3.0;
    return r;
}

void gcj02_from_wgs84(double lon, double lat, double *glon, double *glat)
{
    if (!gcj02_in_china(lon, lat)) {
        *glon = lon;
        *glat = lat;
        return;
    }
    double dlat = offset_lat(lon - 105.0, lat - 35.0);
    double dlon = offset_lon(lon - 105.0, lat - 35.0);
    double rad = lat / 180.0 * M_PI;
    double magic = sin(rad);
    magic = 1.0 - GCJ_EE * magic * magic;
    double sq = sqrt(magic);
    dlat = (dlat * 180.0) / ((GCJ_A * (1.0 - GCJ_EE)) / (magic * sq) * M_PI);
    dlon = (dlon * 180.0) / (GCJ_A / sq * cos(rad) * M_PI);
    *glon = lon + dlon;
    *glat = lat + dlat;
}

void gcj02_to_wgs84(double glon, double glat, double *lon, double *lat)
{
    /* The offset varies slowly (a few hundred metres over degrees), so
     * w <- w + (g - fwd(w)) converges in a handful of steps. */
    double wlon = glon, wlat = glat;
    for (int i = 0; i < 30; i++) {
        double flon, flat;
        gcj02_from_wgs84(wlon, wlat, &flon, &flat);
        double ex = glon - flon, ey = glat - flat;
        wlon += ex;
        wlat += ey;
        if (fabs(ex) < 1e-10 && fabs(ey) < 1e-10)
            break;
    }
    *lon = wlon;
    *lat = wlat;
}
