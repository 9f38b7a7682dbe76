/* tiles/repair.c: GEOS make-valid and constrained Delaunay triangulation
 * for dirty footprints (see repair.h). */
#include "tiles/repair.h"

#include <stdlib.h>

static GEOSGeometry *ring_geom(GEOSContextHandle_t h, const fp_geom *g, int r)
{
    int n = g->ring_n[r];
    const double *p = g->pt + 2 * g->ring_off[r];
    GEOSCoordSequence *s = GEOSCoordSeq_create_r(h, (unsigned)n + 1, 2);
    if (!s)
        return NULL;
    for (int k = 0; k <= n; k++)
        GEOSCoordSeq_setXY_r(h, s, (unsigned)k, p[2 * (k % n)],
                             p[2 * (k % n) + 1]);
    return GEOSGeom_createLinearRing_r(h, s);
}

static GEOSGeometry *polygon_geom(GEOSContextHandle_t h, const fp_geom *g, int p)
{
    int r0 = g->poly_r0[p], nr = g->poly_nr[p];
    GEOSGeometry *shell = ring_geom(h, g, r0);
    GEOSGeometry **holes = nr > 1 ? calloc((size_t)nr - 1, sizeof *holes) : NULL;
    if (!shell || (nr > 1 && !holes))
        goto fail;
    for (int k = 1; k < nr; k++)
        if (!(holes[k - 1] = ring_geom(h, g, r0 + k)))
            goto fail;
    GEOSGeometry *poly = GEOSGeom_createPolygon_r(h, shell, holes, (unsigned)nr - 1);
    free(holes);
    return poly;
fail:
    if (shell)
        GEOSGeom_destroy_r(h, shell);
    for (int k = 1; holes && k < nr; k++)
        if (holes[k - 1])
            GEOSGeom_destroy_r(h, holes[k - 1]);
    free(holes);
    return NULL;
}

static int add_ring(GEOSContextHandle_t h, const GEOSGeometry *ring, fp_geom *out)
{
    const GEOSCoordSequence *s = GEOSGeom_getCoordSeq_r(h, ring);
    unsigned n = 0;
    if (!s || !GEOSCoordSeq_getSize_r(h, s, &n) || fp_begin_ring(out))
        return CT_ENOMEM;
    for (unsigned k = 0; k < n; k++) {
        double x, y;
        GEOSCoordSeq_getXY_r(h, s, k, &x, &y);
        if (fp_add_point(out, x, y))
            return CT_ENOMEM;
    }
    return CT_OK;
}

static int add_polygons(GEOSContextHandle_t h, const GEOSGeometry *geom,
                        fp_geom *out, int depth)
{
    int type = GEOSGeomTypeId_r(h, geom);
    if (type == GEOS_POLYGON) {
        if (GEOSisEmpty_r(h, geom) == 1)
            return CT_OK;
        if (fp_begin_polygon(out) ||
            add_ring(h, GEOSGetExteriorRing_r(h, geom), out))
            return CT_ENOMEM;
        int nh = GEOSGetNumInteriorRings_r(h, geom);
        for (int k = 0; k < nh; k++)
            if (add_ring(h, GEOSGetInteriorRingN_r(h, geom, k), out))
                return CT_ENOMEM;
        return CT_OK;
    }
    if ((type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) &&
        depth < 4) {
        int n = GEOSGetNumGeometries_r(h, geom);
        for (int k = 0; k < n; k++) {
            int rc = add_polygons(h, GEOSGetGeometryN_r(h, geom, k), out, depth + 1);
            if (rc)
                return rc;
        }
    }
    return CT_OK;  /* lines and points left by make-valid carry no area */
}

int repair_make_valid(GEOSContextHandle_t h, const fp_geom *g, int p,
                      fp_geom *out, double tol)
{
    fp_reset(out);
    GEOSGeometry *poly = polygon_geom(h, g, p);
    if (!poly)
        return 0;  /* GEOS refused the rings themselves: nothing to build */
    GEOSGeometry *valid = GEOSMakeValid_r(h, poly);
    GEOSGeom_destroy_r(h, poly);
    if (!valid)
        return 0;
    int rc = add_polygons(h, valid, out, 0);
    GEOSGeom_destroy_r(h, valid);
    if (rc)
        return rc;
    return fp_clean(out, tol);
}

int repair_triangulate(GEOSContextHandle_t h, const fp_geom *g, int p,
                       double **xy, int *ntri, int *cap)
{
    GEOSGeometry *poly = polygon_geom(h, g, p);
    if (!poly)
        return CT_EFORMAT;
    GEOSGeometry *tris = GEOSConstrainedDelaunayTriangulation_r(h, poly);
    GEOSGeom_destroy_r(h, poly);
    if (!tris)
        return CT_EFORMAT;
    int n = GEOSGetNumGeometries_r(h, tris), rc = CT_OK;
    for (int k = 0; k < n && rc == CT_OK; k++) {
        const GEOSGeometry *t = GEOSGetGeometryN_r(h, tris, k);
        const GEOSCoordSequence *s =
            GEOSGeom_getCoordSeq_r(h, GEOSGetExteriorRing_r(h, t));
        unsigned m = 0;
        if (!s || !GEOSCoordSeq_getSize_r(h, s, &m) || m < 3)
            continue;
        if (*ntri + 1 > *cap) {
            int nc = *cap ? *cap * 2 : 64;
            double *q = realloc(*xy, sizeof(double) * 6 * (size_t)nc);
            if (!q) {
                rc = CT_ENOMEM;
                break;
            }
            *xy = q;
            *cap = nc;
        }
        double *o = *xy + 6 * *ntri;
        for (unsigned v = 0; v < 3; v++)
            GEOSCoordSeq_getXY_r(h, s, v, &o[2 * v], &o[2 * v + 1]);
        double a = (o[2] - o[0]) * (o[5] - o[1]) - (o[3] - o[1]) * (o[4] - o[0]);
        if (a == 0)
            continue;
        if (a < 0) {  /* make it counter-clockwise */
            double x = o[2], y = o[3];
            o[2] = o[4];
            o[3] = o[5];
            o[4] = x;
            o[5] = y;
        }
        (*ntri)++;
    }
    GEOSGeom_destroy_r(h, tris);
    return rc;
}
