/* synth/world.c: the real world the generator builds into.
 * Reads the five central districts, the prefecture, the river lines and
 * the stations from the open GeoPackage (data/luoyang/luoyang_open.gpkg),
 * adds the rivers the open data lacks (Yi, Jian, Chan; approximate courses,
 * labelled synthetic) and an urban growth boundary, and answers the
 * questions blocks ask: which district, which zone, how far to water. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "synth/synth.h"

static const char *CENTRAL[SYNTH_NDIST] = {
    "district:410302", "district:410303", "district:410304",
    "district:410305", "district:410311"};

/* Urban growth boundary of central Luoyang (lon, lat), drawn by hand around
 * today's built-up area; intersected with the districts. */
static const double URBAN[][2] = {
    {112.300, 34.640}, {112.330, 34.600}, {112.380, 34.575}, {112.440, 34.562},
    {112.520, 34.568}, {112.600, 34.598}, {112.640, 34.650}, {112.640, 34.720},
    {112.580, 34.745}, {112.480, 34.755}, {112.400, 34.748}, {112.330, 34.728},
    {112.300, 34.690}};
#define URBAN_CX 112.46
#define URBAN_CY 34.66

/* Rivers missing from the open data: approximate courses (lon, lat). */
static const double YI[][2] = {
    {111.60, 33.80}, {111.85, 33.95}, {112.02, 34.07}, {112.14, 34.18},
    {112.22, 34.27}, {112.33, 34.37}, {112.41, 34.45}, {112.462, 34.530},
    {112.472, 34.562}, {112.50, 34.590}, {112.55, 34.610}, {112.61, 34.630},
    {112.68, 34.665}, {112.75, 34.700}};
static const double JIAN[][2] = {
    {112.20, 34.735}, {112.26, 34.712}, {112.31, 34.698}, {112.35, 34.685},
    {112.385, 34.668}, {112.405, 34.650}, {112.415, 34.640}};
static const double CHAN[][2] = {
    {112.48, 34.800}, {112.482, 34.760}, {112.486, 34.725}, {112.490, 34.700},
    {112.493, 34.676}, {112.497, 34.672}};

int synth_poly_contains(const synth_poly *p, double x, double y)
{
    if (x < p->xmin || x > p->xmax || y < p->ymin || y > p->ymax)
        return 0;
    int in = 0;
    for (int r = 0; r < p->nring; r++) {
        const synth_line *l = &p->ring[r];
        for (int i = 0, j = l->n - 1; i < l->n; j = i++) {
            synth_pt a = l->p[i], b = l->p[j];
            if ((a.y > y) != (b.y > y) &&
                x < (b.x - a.x) * (y - a.y) / (b.y - a.y) + a.x)
                in = !in;
        }
    }
    return in;
}

int synth_poly_contains_rect(const synth_poly *p, double x0, double y0,
                             double x1, double y1)
{
    if (x0 < p->xmin || x1 > p->xmax || y0 < p->ymin || y1 > p->ymax)
        return 0;
    if (!synth_poly_contains(p, x0, y0))
        return 0;
    for (int r = 0; r < p->nring; r++)
        if (synth_line_rect_dist(&p->ring[r], x0, y0, x1, y1) <= 0.0)
            return 0;
    return 1;
}

void synth_poly_free(synth_poly *p)
{
    for (int r = 0; r < p->nring; r++)
        free(p->ring[r].p);
    free(p->ring);
    memset(p, 0, sizeof *p);
}

static void poly_bbox(synth_poly *p)
{
    p->xmin = p->ymin = INFINITY;
    p->xmax = p->ymax = -INFINITY;
    for (int r = 0; r < p->nring; r++) {
        synth_line_bbox(&p->ring[r]);
        p->xmin = fmin(p->xmin, p->ring[r].xmin);
        p->ymin = fmin(p->ymin, p->ring[r].ymin);
        p->xmax = fmax(p->xmax, p->ring[r].xmax);
        p->ymax = fmax(p->ymax, p->ring[r].ymax);
    }
}

/* Copy a linestring or ring (lon/lat) into a metric polyline. */
static int line_from_ogr(OGRGeometryH g, synth_line *l)
{
    int n = OGR_G_GetPointCount(g);
    l->p = calloc(n > 0 ? (size_t)n : 1, sizeof *l->p);
    if (!l->p)
        return CT_ENOMEM;
    for (int i = 0; i < n; i++)
        synth_from_lonlat(OGR_G_GetX(g, i), OGR_G_GetY(g, i), &l->p[i].x,
                          &l->p[i].y);
    l->n = n;
    synth_line_bbox(l);
    return CT_OK;
}

static int line_from_table(const double (*t)[2], int n, synth_line *l)
{
    l->p = calloc((size_t)n, sizeof *l->p);
    if (!l->p)
        return CT_ENOMEM;
    for (int i = 0; i < n; i++)
        synth_from_lonlat(t[i][0], t[i][1], &l->p[i].x, &l->p[i].y);
    l->n = n;
    synth_line_bbox(l);
    return CT_OK;
}

/* Append every ring of a (multi)polygon to p. */
static int poly_add_ogr(synth_poly *p, OGRGeometryH g)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == wkbMultiPolygon || t == wkbPolygon) {
        for (int i = 0; i < OGR_G_GetGeometryCount(g); i++) {
            OGRGeometryH sub = OGR_G_GetGeometryRef(g, i);
            if (t == wkbMultiPolygon) {
                int rc = poly_add_ogr(p, sub);
                if (rc)
                    return rc;
                continue;
            }
            synth_line *nr = realloc(p->ring, (size_t)(p->nring + 1) * sizeof *nr);
            if (!nr)
                return CT_ENOMEM;
            p->ring = nr;
            int rc = line_from_ogr(sub, &p->ring[p->nring]);
            if (rc)
                return rc;
            p->nring++;
        }
    }
    return CT_OK;
}

static int load_districts(synth_world *w, GDALDatasetH ds, const char *path,
                          ct_err *err)
{
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "districts");
    if (!l)
        return ct_fail(err, CT_EFORMAT, "%s: no layer 'districts'", path);
    OGR_L_ResetReading(l);
    OGRFeatureH f;
    int found = 0, prefecture = 0;
    while ((f = OGR_L_GetNextFeature(l))) {
        const char *id = OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "id"));
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        int rc = CT_OK;
        if (g && strcmp(id, "district:410300") == 0) {
            rc = poly_add_ogr(&w->prefecture, g);
            prefecture = 1;
        }
        for (int d = 0; d < SYNTH_NDIST && g && rc == CT_OK; d++)
            if (strcmp(id, CENTRAL[d]) == 0) {
                rc = poly_add_ogr(&w->dist[d], g);
                w->dist_id[d] = CENTRAL[d];
                found++;
            }
        OGR_F_Destroy(f);
        if (rc)
            return ct_fail(err, rc, "%s: cannot read district %s", path, id);
    }
    if (found != SYNTH_NDIST || !prefecture)
        return ct_fail(err, CT_EFORMAT,
                       "%s: layer districts lacks the prefecture or one of the "
                       "five central districts (found %d of 5)", path, found);
    for (int d = 0; d < SYNTH_NDIST; d++)
        poly_bbox(&w->dist[d]);
    poly_bbox(&w->prefecture);
    return CT_OK;
}

static int add_river(synth_world *w, synth_line l, double hw, const char *id,
                     const char *name, const char *name_en, int real)
{
    if (w->nriver >= SYNTH_MAX_RIVERS) {
        free(l.p);
        return CT_OK;
    }
    synth_river *r = &w->river[w->nriver++];
    r->line = l;
    r->half_width = hw;
    r->id = id;
    r->name = name;
    r->name_en = name_en;
    r->real = real;
    return CT_OK;
}

static int load_rivers(synth_world *w, GDALDatasetH ds, const char *path,
                       ct_err *err)
{
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "water_lines");
    if (!l)
        return ct_fail(err, CT_EFORMAT, "%s: no layer 'water_lines'", path);
    OGR_L_ResetReading(l);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l))) {
        const char *id = OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "id"));
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        double hw = 0;
        const char *rid = NULL, *nm = NULL, *en = NULL;
        if (!strcmp(id, "river-001"))
            hw = 400, rid = "river-001", nm = "黄河", en = "Yellow River";
        else if (!strcmp(id, "river-003"))
            hw = 130, rid = "river-003", nm = "洛河", en = "Luo River";
        else if (!strcmp(id, "river-002"))
            hw = 30, rid = "river-002", nm = NULL, en = NULL;
        for (int i = 0; g && hw > 0 && i < OGR_G_GetGeometryCount(g); i++) {
            OGRGeometryH part = OGR_G_GetGeometryRef(g, i);
            if (OGR_G_GetPointCount(part) < 2)
                continue;
            synth_line ln;
            if (line_from_ogr(part, &ln)) {
                OGR_F_Destroy(f);
                return ct_fail(err, CT_ENOMEM, "%s: river %s", path, id);
            }
            add_river(w, ln, hw, rid, nm, en, 1);
        }
        OGR_F_Destroy(f);
    }
    synth_line ln;
    if (line_from_table(YI, (int)(sizeof YI / sizeof YI[0]), &ln) ||
        add_river(w, ln, 90, "wl-yi", "伊河", "Yi River", 0) ||
        line_from_table(JIAN, (int)(sizeof JIAN / sizeof JIAN[0]), &ln) ||
        add_river(w, ln, 25, "wl-jian", "涧河", "Jian River", 0) ||
        line_from_table(CHAN, (int)(sizeof CHAN / sizeof CHAN[0]), &ln) ||
        add_river(w, ln, 20, "wl-chan", "瀍河", "Chan River", 0))
        return ct_fail(err, CT_ENOMEM, "rivers: out of memory");
    return CT_OK;
}

static int load_stations(synth_world *w, GDALDatasetH ds, const char *path,
                         ct_err *err)
{
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "stations");
    if (!l)
        return ct_fail(err, CT_EFORMAT, "%s: no layer 'stations'", path);
    int cap = (int)OGR_L_GetFeatureCount(l, 1) + 1;
    w->stn = calloc((size_t)cap, sizeof *w->stn);
    if (!w->stn)
        return ct_fail(err, CT_ENOMEM, "stations: out of memory");
    OGR_L_ResetReading(l);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l))) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        const char *k = OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "kind"));
        if (g && w->nstn < cap) {
            synth_station *s = &w->stn[w->nstn++];
            synth_from_lonlat(OGR_G_GetX(g, 0), OGR_G_GetY(g, 0), &s->p.x, &s->p.y);
            s->train = strcmp(k, "subway") != 0;
        }
        OGR_F_Destroy(f);
    }
    return CT_OK;
}

static int make_urban(synth_world *w, double scale)
{
    int n = (int)(sizeof URBAN / sizeof URBAN[0]);
    double k = scale < 1 ? sqrt(scale) : 1.0;
    w->area_factor = scale < 1 ? scale : 1.0;
    w->urban.ring = calloc(1, sizeof *w->urban.ring);
    if (!w->urban.ring)
        return CT_ENOMEM;
    w->urban.nring = 1;
    synth_line *r = &w->urban.ring[0];
    r->p = calloc((size_t)n, sizeof *r->p);
    if (!r->p)
        return CT_ENOMEM;
    r->n = n;
    double cx, cy;
    synth_from_lonlat(URBAN_CX, URBAN_CY, &cx, &cy);
    for (int i = 0; i < n; i++) {
        double x, y;
        synth_from_lonlat(URBAN[i][0], URBAN[i][1], &x, &y);
        r->p[i].x = cx + (x - cx) * k;
        r->p[i].y = cy + (y - cy) * k;
    }
    poly_bbox(&w->urban);
    w->ux0 = w->urban.xmin, w->uy0 = w->urban.ymin;
    w->ux1 = w->urban.xmax, w->uy1 = w->urban.ymax;
    return CT_OK;
}

int synth_world_load(synth_world *w, const char *path, double scale,
                     ct_err *err)
{
    memset(w, 0, sizeof *w);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY,
                                 NULL, NULL, NULL);
    if (!ds)
        return ct_fail(err, CT_ENOTFOUND,
                       "%s: cannot open the open-data GeoPackage", path);
    int rc = load_districts(w, ds, path, err);
    if (rc == CT_OK)
        rc = load_rivers(w, ds, path, err);
    if (rc == CT_OK)
        rc = load_stations(w, ds, path, err);
    GDALClose(ds);
    if (rc == CT_OK && make_urban(w, scale))
        rc = ct_fail(err, CT_ENOMEM, "urban boundary: out of memory");
    return rc;
}

void synth_world_free(synth_world *w)
{
    for (int d = 0; d < SYNTH_NDIST; d++)
        synth_poly_free(&w->dist[d]);
    synth_poly_free(&w->urban);
    synth_poly_free(&w->prefecture);
    for (int i = 0; i < w->nriver; i++)
        free(w->river[i].line.p);
    free(w->stn);
    memset(w, 0, sizeof *w);
}

int synth_world_district(const synth_world *w, double x, double y)
{
    for (int d = 0; d < SYNTH_NDIST; d++)
        if (synth_poly_contains(&w->dist[d], x, y))
            return d;
    return -1;
}

int synth_world_rect_district(const synth_world *w, double x0, double y0,
                              double x1, double y1)
{
    if (!synth_poly_contains_rect(&w->urban, x0, y0, x1, y1))
        return -1;
    int d = synth_world_district(w, x0, y0);
    return d >= 0 && synth_poly_contains_rect(&w->dist[d], x0, y0, x1, y1) ? d
                                                                           : -1;
}

enum synth_zone synth_world_zone(const synth_world *w, double x, double y)
{
    double lon, lat;
    synth_to_lonlat(x, y, &lon, &lat);
    /* the Ming-Qing walled town around Lijing Gate (丽景门) */
    if (lon > 112.463 && lon < 112.487 && lat > 34.676 && lat < 34.692)
        return ZONE_OLDTOWN;
    int d = synth_world_district(w, x, y);
    if (d == 4 && lon > 112.38)
        return ZONE_NEWTOWN;
    if (d == 3 && lat > 34.655 && lon < 112.41)
        return ZONE_INDUSTRIAL;
    return ZONE_MIXED;
}

double synth_world_water_dist(const synth_world *w, synth_pt p)
{
    double best = INFINITY;
    for (int i = 0; i < w->nriver; i++) {
        const synth_river *r = &w->river[i];
        double d = synth_line_dist(&r->line, p) - r->half_width;
        if (d < best)
            best = d;
    }
    return best;
}

double synth_world_water_rect_dist(const synth_world *w, double x0, double y0,
                                   double x1, double y1)
{
    double best = INFINITY;
    for (int i = 0; i < w->nriver; i++) {
        const synth_river *r = &w->river[i];
        double d = synth_line_rect_dist(&r->line, x0, y0, x1, y1) - r->half_width;
        if (d < best)
            best = d;
    }
    return best;
}

double synth_world_station_dist(const synth_world *w, double x0, double y0,
                                double x1, double y1, int *train)
{
    double best = INFINITY;
    for (int i = 0; i < w->nstn; i++) {
        synth_pt p = w->stn[i].p;
        double dx = fmax(0, fmax(x0 - p.x, p.x - x1));
        double dy = fmax(0, fmax(y0 - p.y, p.y - y1));
        double d = sqrt(dx * dx + dy * dy);
        if (d < best) {
            best = d;
            if (train)
                *train = w->stn[i].train;
        }
    }
    return best;
}
