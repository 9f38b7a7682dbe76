/* spatial/measure.c: geodesic lengths and areas (see measure.h). */
#include "spatial/measure.h"

#include <geodesic.h>
#include <math.h>

static const struct geod_geodesic *wgs84(void)
{
    /* one per thread: geod_init is cheap but not free */
    static __thread struct geod_geodesic g;
    static __thread int ready;
    if (!ready) {
        geod_init(&g, 6378137.0, 1.0 / 298.257223563);
        ready = 1;
    }
    return &g;
}

/* Rings smaller than this (degrees) are measured on the plane tangent to
 * the ellipsoid at their centre, a tenth of the geodesic cost. The scale of
 * a degree of longitude changes with latitude; the first-order effect of
 * that is corrected with the ring's centroid. For a 1 km ring the result is
 * within 1e-5 of the geodesic area (whose edges are geodesics, not straight
 * in longitude and latitude: that is most of the difference). */
#define SMALL_RING_DEG 0.01

static double ring_area_local(OGRGeometryH ring, int n, const OGREnvelope *e)
{
    const double a = 6378137.0, e2 = 0.00669437999014, rad = M_PI / 180;
    double lon0 = (e->MinX + e->MaxX) / 2, lat0 = (e->MinY + e->MaxY) / 2;
    double s = sin(lat0 * rad), c = cos(lat0 * rad), w2 = 1 - e2 * s * s;
    double w = sqrt(w2);
    double kx = a / w * c * rad;                 /* m per degree of longitude */
    double ky = a * (1 - e2) / (w2 * w) * rad;   /* m per degree of latitude */
    double px = (OGR_G_GetX(ring, 0) - lon0) * kx, py = (OGR_G_GetY(ring, 0) - lat0) * ky;
    double sum = 0, my = 0;
    for (int i = 1; i < n; i++) {
        double x = (OGR_G_GetX(ring, i) - lon0) * kx, y = (OGR_G_GetY(ring, i) - lat0) * ky;
        double cross = px * y - x * py;
        sum += cross;
        my += (py + y) * cross;
        px = x;
        py = y;
    }
    if (sum == 0)
        return 0;
    double cy = my / (3 * sum);                      /* centroid, m north of lat0 */
    double dlnk = -s / c + e2 * s * c / w2;          /* d ln(kx) / d latitude */
    return fabs(sum) / 2 * (1 + dlnk * cy / ky * rad);
}

static double ring_area(OGRGeometryH ring)
{
    int n = OGR_G_GetPointCount(ring);
    OGREnvelope e;
    OGR_G_GetEnvelope(ring, &e);
    if (e.MaxX - e.MinX < SMALL_RING_DEG && e.MaxY - e.MinY < SMALL_RING_DEG)
        return ring_area_local(ring, n, &e);
    struct geod_polygon p;
    double area = 0, perim = 0;
    geod_polygon_init(&p, 0);
    /* the closing point repeats the first: the polygon closes itself */
    for (int i = 0; i < n - 1; i++)
        geod_polygon_addpoint(wgs84(), &p, OGR_G_GetY(ring, i), OGR_G_GetX(ring, i));
    geod_polygon_compute(wgs84(), &p, 0, 1, &area, &perim);
    return fabs(area);
}

double measure_area_m2(OGRGeometryH g)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    double a = 0;
    if (t == wkbPolygon) {
        int n = OGR_G_GetGeometryCount(g);
        for (int i = 0; i < n; i++) {
            double r = ring_area(OGR_G_GetGeometryRef(g, i));
            a += i == 0 ? r : -r;
        }
    } else if (t == wkbMultiPolygon || t == wkbGeometryCollection) {
        int n = OGR_G_GetGeometryCount(g);
        for (int i = 0; i < n; i++)
            a += measure_area_m2(OGR_G_GetGeometryRef(g, i));
    }
    return a > 0 ? a : 0;
}

double measure_distance_m(double lon1, double lat1, double lon2, double lat2)
{
    double s = 0;
    geod_inverse(wgs84(), lat1, lon1, lat2, lon2, &s, NULL, NULL);
    return s;
}

double measure_length_m(OGRGeometryH g)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    double len = 0;
    if (t == wkbLineString) {
        int n = OGR_G_GetPointCount(g);
        for (int i = 1; i < n; i++)
            len += measure_distance_m(OGR_G_GetX(g, i - 1), OGR_G_GetY(g, i - 1),
                                      OGR_G_GetX(g, i), OGR_G_GetY(g, i));
    } else if (t == wkbMultiLineString || t == wkbGeometryCollection) {
        int n = OGR_G_GetGeometryCount(g);
        for (int i = 0; i < n; i++)
            len += measure_length_m(OGR_G_GetGeometryRef(g, i));
    }
    return len;
}
