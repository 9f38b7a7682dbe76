/* tiles/geodesy.h: WGS84 ellipsoid, Earth-centred (ECEF) coordinates and
 * the local east-north-up (ENU) frame each 3D tile is built in.
 * Constants are PROJ's WGS84 (a = 6378137, f = 1/298.257223563). Vertex
 * maths is done in double; only the differences to the tile centre (a few
 * km at most) end up in float32, so there is no jitter at city scale. */
#ifndef TILES_GEODESY_H
#define TILES_GEODESY_H

#include <cglm/cglm.h>

#define GEO_WGS84_A 6378137.0
#define GEO_WGS84_F (1.0 / 298.257223563)

typedef struct geo_frame {
    double lon, lat;      /* degrees, the frame's origin on the ellipsoid */
    double origin[3];     /* ECEF of the origin, metres */
    double east[3], north[3], up[3];  /* unit axes in ECEF */
} geo_frame;

/* ECEF (metres) of a geodetic point (degrees, height above ellipsoid). */
void geo_ecef(double lon_deg, double lat_deg, double h, double out[3]);

/* The ellipsoid's outward unit normal at (lon, lat), in ECEF. */
void geo_normal(double lon_deg, double lat_deg, double out[3]);

/* ENU frame whose origin is (lon, lat, h). */
void geo_frame_init(geo_frame *f, double lon_deg, double lat_deg, double h);

/* Local ENU coordinates of the ground point (lon, lat, 0) in *p and of the
 * ellipsoid normal there in *n: the point at height h is p + h * n. */
void geo_local(const geo_frame *f, double lon_deg, double lat_deg,
               double p[3], double n[3]);

/* ENU -> ECEF as a cglm matrix (column-major; float, so the translation
 * is only good to ~0.5 m: use geo_frame_transform for output). */
void geo_frame_mat4(const geo_frame *f, mat4 out);

/* ENU -> ECEF as 16 doubles, column-major (3D Tiles tile.transform). */
void geo_frame_transform(const geo_frame *f, double out[16]);

#endif
