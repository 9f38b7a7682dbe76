/* spatial/measure.h: lengths and areas of lon/lat geometries in metres on
 * the WGS84 ellipsoid (PROJ's geodesic routines, Karney's algorithms). */
#ifndef SPATIAL_MEASURE_H
#define SPATIAL_MEASURE_H

#include <ogr_api.h>

/* Area in m² of a (multi)polygon, holes subtracted; 0 for other kinds. */
double measure_area_m2(OGRGeometryH g);

/* Length in m of a (multi)linestring (0 for other kinds). */
double measure_length_m(OGRGeometryH g);

/* Distance in m between two lon/lat points. */
double measure_distance_m(double lon1, double lat1, double lon2, double lat2);

#endif
