/* tiles/geodesy.c: WGS84 ECEF and local ENU frames (see geodesy.h). */
#include "tiles/geodesy.h"

#include <math.h>

#define DEG (M_PI / 180.0)

void geo_normal(double lon_deg, double lat_deg, double out[3])
{
    double sl, cl, sp, cp;
    sincos(lon_deg * DEG, &sl, &cl);
    sincos(lat_deg * DEG, &sp, &cp);
    out[0] = cp * cl;
    out[1] = cp * sl;
    out[2] = sp;
}

void geo_ecef(double lon_deg, double lat_deg, double h, double out[3])
{
    const double e2 = GEO_WGS84_F * (2.0 - GEO_WGS84_F);
    double sl, cl, sp, cp;
    sincos(lon_deg * DEG, &sl, &cl);
    sincos(lat_deg * DEG, &sp, &cp);
    double n = GEO_WGS84_A / sqrt(1.0 - e2 * sp * sp);  /* prime vertical */
    out[0] = (n + h) * cp * cl;
    out[1] = (n + h) * cp * sl;
    out[2] = (n * (1.0 - e2) + h) * sp;
}

void geo_frame_init(geo_frame *f, double lon_deg, double lat_deg, double h)
{
    double sl, cl, sp, cp;
    sincos(lon_deg * DEG, &sl, &cl);
    sincos(lat_deg * DEG, &sp, &cp);
    f->lon = lon_deg;
    f->lat = lat_deg;
    geo_ecef(lon_deg, lat_deg, h, f->origin);
    f->east[0] = -sl;       f->east[1] = cl;        f->east[2] = 0.0;
    f->north[0] = -sp * cl; f->north[1] = -sp * sl; f->north[2] = cp;
    f->up[0] = cp * cl;     f->up[1] = cp * sl;     f->up[2] = sp;
}

static double dot3(const double a[3], const double b[3])
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

void geo_local(const geo_frame *f, double lon_deg, double lat_deg,
               double p[3], double n[3])
{
    double e[3], nn[3], d[3];
    geo_ecef(lon_deg, lat_deg, 0.0, e);
    geo_normal(lon_deg, lat_deg, nn);
    for (int i = 0; i < 3; i++)
        d[i] = e[i] - f->origin[i];
    p[0] = dot3(d, f->east);
    p[1] = dot3(d, f->north);
    p[2] = dot3(d, f->up);
    n[0] = dot3(nn, f->east);
    n[1] = dot3(nn, f->north);
    n[2] = dot3(nn, f->up);
}

void geo_frame_mat4(const geo_frame *f, mat4 out)
{
    vec4 c0 = {(float)f->east[0], (float)f->east[1], (float)f->east[2], 0.0f};
    vec4 c1 = {(float)f->north[0], (float)f->north[1], (float)f->north[2], 0.0f};
    vec4 c2 = {(float)f->up[0], (float)f->up[1], (float)f->up[2], 0.0f};
    vec4 c3 = {(float)f->origin[0], (float)f->origin[1], (float)f->origin[2],
               1.0f};
    glm_vec4_copy(c0, out[0]);
    glm_vec4_copy(c1, out[1]);
    glm_vec4_copy(c2, out[2]);
    glm_vec4_copy(c3, out[3]);
}

void geo_frame_transform(const geo_frame *f, double out[16])
{
    /* Rotation columns from the cglm matrix would carry float rounding;
     * the exact doubles are written so tiles line up to the millimetre. */
    for (int i = 0; i < 3; i++) {
        out[0 + i] = f->east[i];
        out[4 + i] = f->north[i];
        out[8 + i] = f->up[i];
        out[12 + i] = f->origin[i];
    }
    out[3] = out[7] = out[11] = 0.0;
    out[15] = 1.0;
}
