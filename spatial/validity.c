/* spatial/validity.c: fit a geometry to its store layer (see validity.h). */
#include "spatial/validity.h"

#include <math.h>

#include "spatial/mapping.h"

const char *validity_reason_name(int reason)
{
    static const char *const names[GR_NREASONS] = {
        "ok", "no_geometry", "empty", "bad_coordinates", "zero_area",
        "zero_length", "invalid", "wrong_kind", "outside_clip"};
    return reason >= 0 && reason < GR_NREASONS ? names[reason] : "unknown";
}

const char *validity_reason_text(int reason)
{
    static const char *const text[GR_NREASONS] = {
        "ok", "no geometry", "empty geometry",
        "bad coordinates (NaN, infinite, huge or out of range)",
        "polygon with zero area", "line with zero length",
        "invalid geometry (e.g. self-intersecting polygon)",
        "wrong geometry kind for the layer", "outside the clip boundary"};
    return reason >= 0 && reason < GR_NREASONS ? text[reason] : "unknown";
}

int validity_kind(OGRGeometryH g)
{
    switch (wkbFlatten(OGR_G_GetGeometryType(g))) {
    case wkbPoint:
    case wkbMultiPoint:
        return MAP_GEOM_POINT;
    case wkbLineString:
    case wkbMultiLineString:
    case wkbCircularString:
    case wkbCompoundCurve:
    case wkbMultiCurve:
        return MAP_GEOM_LINE;
    case wkbPolygon:
    case wkbMultiPolygon:
    case wkbCurvePolygon:
    case wkbMultiSurface:
        return MAP_GEOM_POLYGON;
    default:
        return 0;
    }
}

/* Copy the members of g of one flat type (wkbPolygon or wkbLineString) into
 * multi, looking inside collections. */
static void collect(OGRGeometryH multi, OGRGeometryH g, OGRwkbGeometryType want)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == want) {
        if (!OGR_G_IsEmpty(g))
            OGR_G_AddGeometry(multi, g);
    } else if (OGR_G_GetGeometryCount(g) > 0 && t != wkbPolygon) {
        for (int i = 0; i < OGR_G_GetGeometryCount(g); i++)
            collect(multi, OGR_G_GetGeometryRef(g, i), want);
    }
}

static OGRGeometryH only(OGRGeometryH g, OGRwkbGeometryType want)
{
    OGRGeometryH m = OGR_G_CreateGeometry(want == wkbPolygon ? wkbMultiPolygon
                                                             : wkbMultiLineString);
    collect(m, g, want);
    if (OGR_G_GetGeometryCount(m) == 0) {
        OGR_G_DestroyGeometry(m);
        return NULL;
    }
    return m;
}

/* Lines with fewer than two distinct points are dropped. */
static OGRGeometryH lines_with_length(OGRGeometryH multi)
{
    OGRGeometryH out = OGR_G_CreateGeometry(wkbMultiLineString);
    for (int i = 0; i < OGR_G_GetGeometryCount(multi); i++) {
        OGRGeometryH l = OGR_G_GetGeometryRef(multi, i);
        int n = OGR_G_GetPointCount(l), distinct = 0;
        for (int k = 1; k < n && !distinct; k++)
            distinct = OGR_G_GetX(l, k) != OGR_G_GetX(l, 0) ||
                       OGR_G_GetY(l, k) != OGR_G_GetY(l, 0);
        if (distinct)
            OGR_G_AddGeometry(out, l);
    }
    if (OGR_G_GetGeometryCount(out) == 0) {
        OGR_G_DestroyGeometry(out);
        return NULL;
    }
    return out;
}

/* Orientation of c relative to a->b: >0 left, <0 right, 0 collinear. */
static double orient(double ax, double ay, double bx, double by, double cx, double cy)
{
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

/* A fast "certainly valid" test for the common case, a polygon of one
 * small ring: no repeated point, no two edges touching except neighbours
 * at their shared vertex, neighbours not folding back. Anything else (or
 * any doubt) goes to GEOS. */
#define FAST_RING_MAX 32

static int simple_ring_valid(OGRGeometryH poly)
{
    /* a multipolygon of one polygon counts as that polygon */
    if (wkbFlatten(OGR_G_GetGeometryType(poly)) == wkbMultiPolygon &&
        OGR_G_GetGeometryCount(poly) == 1)
        poly = OGR_G_GetGeometryRef(poly, 0);
    if (wkbFlatten(OGR_G_GetGeometryType(poly)) != wkbPolygon ||
        OGR_G_GetGeometryCount(poly) != 1)
        return 0;
    OGRGeometryH ring = OGR_G_GetGeometryRef(poly, 0);
    int n = OGR_G_GetPointCount(ring);
    if (n < 4 || n > FAST_RING_MAX)
        return 0;
    double x[FAST_RING_MAX], y[FAST_RING_MAX];
    OGR_G_GetPoints(ring, x, sizeof(double), y, sizeof(double), NULL, 0);
    if (x[0] != x[n - 1] || y[0] != y[n - 1])
        return 0;
    int m = n - 1;   /* edges i: (i, i+1) */
    for (int i = 0; i < m; i++) {
        for (int k = i + 1; k < m; k++)
            if (x[i] == x[k] && y[i] == y[k])
                return 0;   /* repeated vertex */
        /* neighbours: a fold back (spike) or a straight angle is left to GEOS */
        int j = (i + 1) % m;
        if (orient(x[i], y[i], x[j], y[j], x[j + 1], y[j + 1]) == 0)
            return 0;
    }
    for (int i = 0; i < m; i++)
        for (int k = i + 2; k < m; k++) {
            if (i == 0 && k == m - 1)
                continue;   /* neighbours through the closing vertex */
            double d1 = orient(x[k], y[k], x[k + 1], y[k + 1], x[i], y[i]);
            double d2 = orient(x[k], y[k], x[k + 1], y[k + 1], x[i + 1], y[i + 1]);
            double d3 = orient(x[i], y[i], x[i + 1], y[i + 1], x[k], y[k]);
            double d4 = orient(x[i], y[i], x[i + 1], y[i + 1], x[k + 1], y[k + 1]);
            /* strictly separated unless both pairs straddle or touch */
            if (!((d1 > 0 && d2 > 0) || (d1 < 0 && d2 < 0) ||
                  (d3 > 0 && d4 > 0) || (d3 < 0 && d4 < 0)))
                return 0;
        }
    return 1;
}

/* Repair a (multi)polygon; NULL with *reason when impossible. */
static OGRGeometryH valid_polygons(OGRGeometryH g, int strict, shape_out *o)
{
    OGRGeometryH src = g;
    OGRGeometryH lin = NULL;
    if (OGR_G_HasCurveGeometry(g, 0))
        src = lin = OGR_G_GetLinearGeometry(g, 0, NULL);
    double planar = fabs(OGR_G_Area(src));
    OGRGeometryH res = NULL;
    if ((planar > 0 && simple_ring_valid(src)) || OGR_G_IsValid(src)) {
        res = planar > 0 ? only(src, wkbPolygon) : NULL;
        o->reason = res ? GR_OK : GR_ZERO_AREA;
    } else {
        /* make-valid tells a self-intersection (a bow-tie's signed area is
         * 0 yet it has two triangles) from a polygon with no area at all */
        OGRGeometryH v = OGR_G_MakeValid(src);
        res = v ? only(v, wkbPolygon) : NULL;
        if (v)
            OGR_G_DestroyGeometry(v);
        if (res && fabs(OGR_G_Area(res)) <= 0) {
            OGR_G_DestroyGeometry(res);
            res = NULL;
        }
        o->reason = res ? GR_OK : planar > 0 ? GR_INVALID : GR_ZERO_AREA;
        if (res && strict) {
            OGR_G_DestroyGeometry(res);
            res = NULL;
            o->reason = GR_INVALID;
        }
        o->repaired = res != NULL;
    }
    if (lin)
        OGR_G_DestroyGeometry(lin);
    return res;
}

static OGRGeometryH clip_to(const clip *cl, OGRGeometryH g, OGRwkbGeometryType want,
                            shape_out *o)
{
    int where = clip_test(cl, g);
    if (where == CLIP_INSIDE)
        return g;
    OGRGeometryH cut = where == CLIP_PARTLY ? OGR_G_Intersection(g, cl->area) : NULL;
    OGRGeometryH res = cut ? only(cut, want) : NULL;
    if (cut)
        OGR_G_DestroyGeometry(cut);
    OGR_G_DestroyGeometry(g);
    if (!res)
        o->reason = GR_OUTSIDE_CLIP;
    else
        o->clipped = 1;
    return res;
}

static OGRGeometryH shape_point(OGRGeometryH g, int kind, int strict, shape_out *o)
{
    if (kind == MAP_GEOM_POINT) {
        OGRGeometryH p = wkbFlatten(OGR_G_GetGeometryType(g)) == wkbPoint
                             ? g : OGR_G_GetGeometryRef(g, 0);
        return p ? OGR_G_Clone(p) : NULL;
    }
    if (kind != MAP_GEOM_POLYGON) {
        o->reason = GR_WRONG_KIND;
        return NULL;
    }
    OGRGeometryH poly = valid_polygons(g, strict, o);
    if (!poly)
        return NULL;
    OGRGeometryH p = OGR_G_PointOnSurface(poly);
    OGR_G_DestroyGeometry(poly);
    if (!p)
        o->reason = GR_INVALID;
    return p;
}

shape_out validity_shape(OGRGeometryH g, layer_geom want, int strict,
                         const clip *cl)
{
    shape_out o = {NULL, GR_OK, 0, 0};
    if (!g) {
        o.reason = GR_NO_GEOMETRY;
        return o;
    }
    if (OGR_G_IsEmpty(g)) {
        o.reason = GR_EMPTY;
        return o;
    }
    int kind = validity_kind(g);
    OGRGeometryH r = NULL;
    OGRwkbGeometryType part = wkbPoint;
    switch (want) {
    case LAYER_POINT:
        r = shape_point(g, kind, strict, &o);
        break;
    case LAYER_LINE:
    case LAYER_MULTILINE:
        part = wkbLineString;
        if (kind != MAP_GEOM_LINE) {
            o.reason = GR_WRONG_KIND;
            break;
        }
        {
            OGRGeometryH lin = OGR_G_HasCurveGeometry(g, 0)
                                   ? OGR_G_GetLinearGeometry(g, 0, NULL) : NULL;
            OGRGeometryH m = only(lin ? lin : g, wkbLineString);
            if (lin)
                OGR_G_DestroyGeometry(lin);
            r = m ? lines_with_length(m) : NULL;
            if (m)
                OGR_G_DestroyGeometry(m);
            if (!r)
                o.reason = GR_ZERO_LENGTH;
        }
        break;
    case LAYER_POLYGON:
        part = wkbPolygon;
        if (kind != MAP_GEOM_POLYGON)
            o.reason = GR_WRONG_KIND;
        else
            r = valid_polygons(g, strict, &o);
        break;
    }
    if (r && cl) {
        if (part == wkbPoint) {
            if (clip_test(cl, r) != CLIP_INSIDE) {
                OGR_G_DestroyGeometry(r);
                r = NULL;
                o.reason = GR_OUTSIDE_CLIP;
            }
        } else {
            r = clip_to(cl, r, part, &o);
        }
    }
    o.geom = r;
    if (!r && o.reason == GR_OK)
        o.reason = GR_INVALID;
    return o;
}
