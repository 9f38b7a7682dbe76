/* server/api_rescue_cover.c: GET /api/v1/rescue/coverage (issue 8): what a
 * fire station reaches within N minutes under current traffic (road
 * segments, the area along them, and their convex hull), or, without
 * station=, the road segments no station reaches in time (one
 * multi-source Dijkstra from all). A segment counts as reached when it can
 * be driven end to end in time in an allowed direction. */
#include "server/api_rescue.h"

#include <math.h>
#include <ogr_api.h>
#include <stdlib.h>
#include <string.h>

#include "live/clock.h"
#include "server/auth.h"
#include "spatial/nearest.h"

typedef struct pt {
    double x, y;
} pt;

static int by_xy(const void *a, const void *b)
{
    const pt *p = a, *q = b;
    if (p->x != q->x)
        return p->x < q->x ? -1 : 1;
    return (p->y > q->y) - (p->y < q->y);
}

static double cross(pt o, pt a, pt b)
{
    return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

/* Convex hull (Andrew's monotone chain) as a closed GeoJSON Polygon, or
 * JSON null below three distinct points. Sorts p. */
static json_t *hull_json(pt *p, int n)
{
    if (n < 3)
        return json_null();
    qsort(p, (size_t)n, sizeof *p, by_xy);
    pt *h = malloc(2 * ((size_t)n + 1) * sizeof *h);
    if (!h)
        return json_null();
    int k = 0;
    for (int i = 0; i < n; i++) {
        while (k >= 2 && cross(h[k - 2], h[k - 1], p[i]) <= 0)
            k--;
        h[k++] = p[i];
    }
    for (int i = n - 2, t = k + 1; i >= 0; i--) {
        while (k >= t && cross(h[k - 2], h[k - 1], p[i]) <= 0)
            k--;
        h[k++] = p[i];
    }
    json_t *res = json_null();
    if (k >= 4) {   /* closed: first point repeated */
        json_t *ring = json_array();
        for (int i = 0; i < k; i++)
            json_array_append_new(ring, json_pack("[f,f]", h[i].x, h[i].y));
        res = json_pack("{s:s, s:[o]}", "type", "Polygon", "coordinates", ring);
    }
    free(h);
    return res;
}

/* Per segment: 1 when one of its allowed directions is driven end to end
 * within limit from the sources (dist from rgraph_sssp). */
static unsigned char *reached_segments(const rgraph *g, const double *sec,
                                       const double *dist, double limit)
{
    unsigned char *ok = calloc((size_t)g->ns + 1, 1);
    for (int a = 0; ok && a < g->na; a++) {
        int s = g->arc_seg[a];
        if (dist[g->arc_tail[a]] + sec[s] <= limit)
            ok[s] = 1;
    }
    return ok;
}

/* MultiLineString of the segments with ok[s] == want; totals. */
static json_t *segments_json(const rgraph *g, const unsigned char *ok, int want,
                             int geometry, int *count, double *len)
{
    json_t *lines = geometry ? json_array() : NULL;
    *count = 0, *len = 0;
    for (int s = 0; s < g->ns; s++) {
        if (!!ok[s] != want || g->seg_from[s] == g->seg_to[s])
            continue;
        (*count)++;
        *len += g->seg_len[s];
        if (lines)
            json_array_append_new(lines, rescue_seg_coords(g, s, 1));
    }
    return lines ? json_pack("{s:s, s:o}", "type", "MultiLineString",
                             "coordinates", lines) : json_null();
}

/* GeoJSON coordinates of an OGR ring, from the local metric frame back
 * to lon/lat. */
static json_t *ring_json(OGRGeometryH ring, double lon0, double lat0, double kx,
                         double ky)
{
    json_t *c = json_array();
    int n = OGR_G_GetPointCount(ring);
    for (int i = 0; i < n; i++)
        json_array_append_new(c, json_pack("[f,f]", lon0 + OGR_G_GetX(ring, i) / kx,
                                           lat0 + OGR_G_GetY(ring, i) / ky));
    return c;
}

static void add_polygon(json_t *polys, OGRGeometryH poly, double lon0, double lat0,
                        double kx, double ky)
{
    json_t *rings = json_array();
    for (int i = 0; i < OGR_G_GetGeometryCount(poly); i++)
        json_array_append_new(rings, ring_json(OGR_G_GetGeometryRef(poly, i), lon0,
                                               lat0, kx, ky));
    json_array_append_new(polys, rings);
}

/* The area a station reaches: its reached segments buffered by buf_m on
 * each side and unioned (GEOS through OGR, in a local metric frame around
 * lon0/lat0, simplified to 5 m), as a MultiPolygon; *area_m2 its area.
 * Follows the network, unlike the convex hull; JSON null when empty. */
static json_t *reach_area(const rgraph *g, const unsigned char *ok, double lon0,
                          double lat0, double buf_m, double *area_m2)
{
    double ky = NEAREST_EARTH_R * M_PI / 180, kx = ky * cos(lat0 * M_PI / 180);
    /* each segment buffered alone, then one cascaded union: much faster
     * than buffering the whole network at once (no noding of it all) */
    OGRGeometryH mp = OGR_G_CreateGeometry(wkbMultiPolygon);
    int n = 0;
    for (int s = 0; mp && s < g->ns; s++) {
        if (!ok[s] || g->seg_from[s] == g->seg_to[s])
            continue;
        OGRGeometryH ls = OGR_G_CreateGeometry(wkbLineString);
        for (int i = g->pt_off[s]; ls && i < g->pt_off[s + 1]; i++)
            OGR_G_AddPoint_2D(ls, (g->pt[2 * i] - lon0) * kx, (g->pt[2 * i + 1] - lat0) * ky);
        OGRGeometryH b = ls ? OGR_G_Buffer(ls, buf_m, 3) : NULL;
        OGR_G_DestroyGeometry(ls);
        if (b && wkbFlatten(OGR_G_GetGeometryType(b)) == wkbPolygon &&
            OGR_G_AddGeometryDirectly(mp, b) == OGRERR_NONE)
            n++;
        else
            OGR_G_DestroyGeometry(b);
    }
    *area_m2 = 0;
    OGRGeometryH buf = n ? OGR_G_UnionCascaded(mp) : NULL;
    OGR_G_DestroyGeometry(mp);
    OGRGeometryH simple = buf ? OGR_G_SimplifyPreserveTopology(buf, 5.0) : NULL;
    OGR_G_DestroyGeometry(buf);
    if (!simple || OGR_G_IsEmpty(simple)) {
        OGR_G_DestroyGeometry(simple);
        return json_null();
    }
    *area_m2 = OGR_G_Area(simple);
    json_t *polys = json_array();
    if (wkbFlatten(OGR_G_GetGeometryType(simple)) == wkbPolygon)
        add_polygon(polys, simple, lon0, lat0, kx, ky);
    else
        for (int i = 0; i < OGR_G_GetGeometryCount(simple); i++)
            add_polygon(polys, OGR_G_GetGeometryRef(simple, i), lon0, lat0, kx, ky);
    OGR_G_DestroyGeometry(simple);
    return json_pack("{s:s, s:o}", "type", "MultiPolygon", "coordinates", polys);
}

int api_rescue_coverage(http_req *r)
{
    static const char *const allowed[] = {"station", "minutes", "geometry", "buffer",
                                          "area", "at", NULL};
    http_qparam q[RESCUE_MAX_PARAMS];
    char buf[1024];
    int n = rescue_query(r, allowed, q, buf, sizeof buf);
    if (n < 0)
        return r->status;
    double minutes, geometry, buffer, with_area;
    if (rescue_num(r, q, n, "minutes", 0, 5, 0.5, 120, &minutes) ||
        rescue_num(r, q, n, "geometry", 0, 1, 0, 1, &geometry) ||
        rescue_num(r, q, n, "area", 0, 0, 0, 1, &with_area) ||
        rescue_num(r, q, n, "buffer", 0, 50, 5, 500, &buffer))
        return r->status;
    int64_t at = 0;
    if (rescue_at(r, q, n, &at) < 0)
        return r->status;
    const char *want = http_query_get(q, n, "station");
    sqlite3 *db = api_db(r);
    const rgraph *g = db ? rescue_graph(r) : NULL;
    if (!g)
        return r->status;
    ct_err err;
    ct_err_clear(&err);
    const rescue_station *st = NULL;
    const rgraph_pos *pos = NULL;
    int nst = 0;
    if (rescue_station_pos(db, g, &st, &pos, &nst, &err))
        return http_reply_ct(r, &err);
    double vmax = 0, limit = minutes * 60;
    int nlive = 0;
    double *sec = rescue_seconds(g, at, &vmax, &nlive, NULL, &err);
    if (!sec)
        return http_reply_ct(r, &err);
    /* each station enters the graph at its segment's ends, with the time of
     * the part of the segment it drives to get there */
    int *src = malloc((2 * (size_t)nst + 1) * sizeof *src), ns = 0, one = -1;
    double *src_d = malloc((2 * (size_t)nst + 1) * sizeof *src_d);
    for (int i = 0; src && src_d && sec && i < nst; i++) {
        if (want && *want && strcmp(st[i].id, want))
            continue;
        one = i;
        if (pos[i].seg < 0)   /* a station off the roads covers nothing */
            continue;
        rgraph_piece pc[2];
        ns += rgraph_pos_ends(g, sec, &pos[i], 1, src + ns, src_d + ns, pc);
    }
    if (want && *want && one < 0) {
        free(src), free(src_d), free(sec);
        return http_reply_error(r, 404, "station: '%.60s' is not a fire station "
                                "id (see /api/v1/layers/fire_stations/items)", want);
    }
    if (want && *want && ns == 0) {
        free(src), free(src_d), free(sec);
        return http_reply_error(r, 422, "station %s is not near the road network "
                                "(no road within %.0f m)", want,
                                RESCUE_SNAP_MAX_M);
    }
    double *dist = malloc(((size_t)g->nn + 1) * sizeof *dist);
    json_t *res = NULL;
    if (src && src_d && sec && dist &&
        rgraph_sssp(g, sec, src, src_d, ns, 0, limit, NULL, 0, dist, NULL, NULL) >= 0) {
        unsigned char *ok = reached_segments(g, sec, dist, limit);
        int cnt = 0, total = 0;
        double len = 0, total_len = 0;
        for (int s = 0; s < g->ns; s++)
            if (g->seg_from[s] != g->seg_to[s])
                total++, total_len += g->seg_len[s];
        if (ok && want && *want) {
            pt *p = malloc(((size_t)g->nn + 1) * sizeof *p);
            int np = 0;
            for (int v = 0; p && v < g->nn; v++)
                if (dist[v] <= limit)
                    p[np++] = (pt){g->lon[v], g->lat[v]};
            json_t *segs = segments_json(g, ok, 1, geometry > 0, &cnt, &len);
            double area = 0;
            json_t *shape = reach_area(g, ok, st[one].lon, st[one].lat, buffer, &area);
            res = json_pack("{s:{s:s, s:s, s:f, s:f}, s:f, s:i, s:i, s:f, s:f, s:f, s:o, s:o, s:o}",
                            "station", "id", st[one].id, "name", st[one].name,
                            "lon", st[one].lon, "lat", st[one].lat,
                            "minutes", minutes, "live_segments", nlive,
                            "segments", cnt, "length_m", round(len),
                            "buffer_m", buffer, "area_km2", round(area / 1e3) / 1e3,
                            "reachable", segs, "area",
                            geometry > 0 ? shape : (json_decref(shape), json_null()),
                            "hull", p && geometry > 0 ? hull_json(p, np) : json_null());
            free(p);
        } else if (ok) {
            json_t *segs = segments_json(g, ok, 0, geometry > 0, &cnt, &len);
            res = json_pack("{s:f, s:i, s:i, s:i, s:i, s:f, s:f, s:f, s:o}",
                            "minutes", minutes, "stations", ns, "live_segments",
                            nlive, "segments_total", total, "uncovered_segments",
                            cnt, "uncovered_length_m", round(len),
                            "covered_pct", total_len > 0 ?
                            round(1000 * (1 - len / total_len)) / 10 : 0.0,
                            "total_length_m", round(total_len), "uncovered", segs);
            if (res && with_area > 0) {   /* the uncovered roads as an area */
                unsigned char *un = malloc((size_t)g->ns + 1);
                for (int s = 0; un && s < g->ns; s++)
                    un[s] = !ok[s];
                double area = 0;
                /* the frame: centred on the network's extent */
                double lon0 = g->cell_lon0 + g->cell_nx * g->cell_deg / 2;
                double lat0 = g->cell_lat0 + g->cell_ny * g->cell_deg / 2;
                json_t *shape = un ? reach_area(g, un, lon0, lat0, buffer, &area)
                                   : json_null();
                free(un);
                json_object_set_new(res, "buffer_m", json_real(buffer));
                json_object_set_new(res, "uncovered_area_km2", json_real(round(area / 1e3) / 1e3));
                json_object_set_new(res, "uncovered_area", shape);
            }
        }
        free(ok);
    }
    free(src), free(src_d), free(sec), free(dist);
    if (!res)
        return http_reply_error(r, 500, "coverage: out of memory");
    if (at > 0)   /* under the traffic of that moment */
        json_object_set_new(res, "at", live_time_json(at));
    return http_reply_json(r, 200, res);
}
