/* spatial/gcj02.h: GCJ-02 ("Mars coordinates", used by AMap, Tencent and
 * DataV) to and from WGS84. GCJ-02 is not a PROJ CRS: it is WGS84 plus a
 * published non-linear offset, so the forward direction is a formula and
 * the inverse is found by fixed-point iteration. Points outside China are
 * not offset (GCJ-02 equals WGS84 there). */
#ifndef SPATIAL_GCJ02_H
#define SPATIAL_GCJ02_H

/* Is (lon, lat) inside the rectangle where the offset applies? */
int gcj02_in_china(double lon, double lat);

/* WGS84 lon/lat -> GCJ-02 lon/lat (degrees). */
void gcj02_from_wgs84(double lon, double lat, double *glon, double *glat);

/* GCJ-02 lon/lat -> WGS84 lon/lat; iterates until the forward formula
 * reproduces the input within 1e-10 degrees (well under a millimetre). */
void gcj02_to_wgs84(double glon, double glat, double *lon, double *lat);

#endif
