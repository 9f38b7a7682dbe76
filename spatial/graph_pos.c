/* spatial/graph_pos.c: points on the road graph's segments (see graph.h).
 * An incident or a station is rarely on a junction: it is snapped to the
 * nearest point of the nearest segment (a uniform grid over the polylines
 * finds the candidates), and a route enters the graph at the segment's
 * ends with the partial lengths, one way or both as the segment allows.
 * On a divided road (two one-way carriageways a few metres apart) the
 * other carriageway is found too (rgraph_snap_twin), for the callers to
 * take whichever gives the faster route.
 * Distances to a polyline are planar in a local equirectangular frame
 * around the point (metres; the error is far below a metre within the
 * snapping radius); the reported distance is the haversine. */
#include "spatial/graph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "spatial/nearest.h"

#define CELL_DEG 0.002   /* ~ 180-220 m: a few segments per cell in a city */
#define DEG_M (NEAREST_EARTH_R * M_PI / 180)

static int routable(const rgraph *g, int s)
{
    return g->seg_from[s] != g->seg_to[s];
}

static int cell_x(const rgraph *g, double lon)
{
    return (int)floor((lon - g->cell_lon0) / g->cell_deg);
}

static int cell_y(const rgraph *g, double lat)
{
    return (int)floor((lat - g->cell_lat0) / g->cell_deg);
}

/* Visit (count or fill) the cells each routable segment's pieces touch,
 * once per segment and cell (stamp: the last segment put in the cell). */
static void grid_pass(rgraph *g, int *stamp, int *fill)
{
    for (int s = 0; s < g->ns; s++) {
        if (!routable(g, s))
            continue;
        for (int i = g->pt_off[s]; i + 1 < g->pt_off[s + 1]; i++) {
            const double *a = g->pt + 2 * (size_t)i, *b = a + 2;
            int x0 = cell_x(g, fmin(a[0], b[0])), x1 = cell_x(g, fmax(a[0], b[0]));
            int y0 = cell_y(g, fmin(a[1], b[1])), y1 = cell_y(g, fmax(a[1], b[1]));
            for (int y = y0; y <= y1; y++)
                for (int x = x0; x <= x1; x++) {
                    int c = y * g->cell_nx + x;
                    if (stamp[c] == s)
                        continue;
                    stamp[c] = s;
                    if (fill)
                        g->cell_seg[fill[c]++] = s;
                    else
                        g->cell_off[c + 1]++;
                }
        }
    }
}

int rgraph_index_build(rgraph *g, ct_err *err)
{
    int np = g->ns ? g->pt_off[g->ns] : 0;
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int i = 0; i < np; i++) {
        x0 = fmin(x0, g->pt[2 * i]), x1 = fmax(x1, g->pt[2 * i]);
        y0 = fmin(y0, g->pt[2 * i + 1]), y1 = fmax(y1, g->pt[2 * i + 1]);
    }
    if (np == 0)
        x0 = y0 = x1 = y1 = 0;
    g->cell_deg = CELL_DEG;
    g->cell_lon0 = x0, g->cell_lat0 = y0;
    double w = (x1 - x0) / CELL_DEG + 1, h = (y1 - y0) / CELL_DEG + 1;
    if (w * h > 1e8)   /* a continent of roads: coarser cells */
        g->cell_deg *= sqrt(w * h / 1e8), w = (x1 - x0) / g->cell_deg + 1,
        h = (y1 - y0) / g->cell_deg + 1;
    g->cell_nx = (int)w, g->cell_ny = (int)h;
    size_t nc = (size_t)g->cell_nx * (size_t)g->cell_ny;
    g->cell_off = calloc(nc + 1, sizeof *g->cell_off);
    int *stamp = malloc((nc + 1) * sizeof *stamp), *fill = NULL;
    if (!g->cell_off || !stamp) {
        free(stamp);
        return ct_fail(err, CT_ENOMEM, "road graph: out of memory (segment grid)");
    }
    for (size_t c = 0; c < nc; c++)
        stamp[c] = -1;
    grid_pass(g, stamp, NULL);
    for (size_t c = 0; c < nc; c++)
        g->cell_off[c + 1] += g->cell_off[c];
    g->cell_seg = malloc(((size_t)g->cell_off[nc] + 1) * sizeof *g->cell_seg);
    fill = malloc((nc + 1) * sizeof *fill);
    if (!g->cell_seg || !fill) {
        free(stamp), free(fill);
        return ct_fail(err, CT_ENOMEM, "road graph: out of memory (segment grid)");
    }
    memcpy(fill, g->cell_off, nc * sizeof *fill);
    for (size_t c = 0; c < nc; c++)
        stamp[c] = -1;
    grid_pass(g, stamp, fill);
    free(stamp), free(fill);
    return CT_OK;
}

/* Haversine length of segment s's polyline up to point i (exclusive of
 * the rest), and in total. */
static double poly_len(const rgraph *g, int s, int upto)
{
    double len = 0;
    for (int i = g->pt_off[s]; i + 1 < g->pt_off[s + 1] && i < upto; i++)
        len += nearest_haversine(g->pt[2 * i], g->pt[2 * i + 1], g->pt[2 * i + 2],
                                 g->pt[2 * i + 3]);
    return len;
}

/* The nearest point of segment s to (lon, lat): planar squared metres,
 * the piece index and the parameter on it. */
static double seg_nearest(const rgraph *g, int s, double lon, double lat,
                          double kx, int *piece, double *tpar)
{
    double best = INFINITY;
    for (int i = g->pt_off[s]; i + 1 < g->pt_off[s + 1]; i++) {
        const double *a = g->pt + 2 * (size_t)i, *b = a + 2;
        double ax = (a[0] - lon) * kx, ay = (a[1] - lat) * DEG_M;
        double dx = (b[0] - a[0]) * kx, dy = (b[1] - a[1]) * DEG_M;
        double dd = dx * dx + dy * dy, t = 0;
        if (dd > 0)
            t = fmin(1, fmax(0, -(ax * dx + ay * dy) / dd));
        double px = ax + t * dx, py = ay + t * dy, d2 = px * px + py * py;
        if (d2 < best)
            best = d2, *piece = i, *tpar = t;
    }
    return best;
}

/* Only segments driven against a direction: the other carriageway of a
 * divided road (rgraph_snap_twin). */
typedef struct twin_filter {
    int exclude;
    double dx, dy;   /* unit driving direction to oppose */
    double lon, lat, sep_m;   /* within sep_m of this place (the first snap) */
} twin_filter;

/* The unit driving direction of segment s's piece i (local metres; the
 * digitised direction unless the segment is one-way against it). */
static void piece_dir(const rgraph *g, int s, int i, double kx, double d[2])
{
    const double *a = g->pt + 2 * (size_t)i, *b = a + 2;
    double dx = (b[0] - a[0]) * kx, dy = (b[1] - a[1]) * DEG_M, n = hypot(dx, dy);
    double sg = g->seg_oneway[s] < 0 ? -1 : 1;
    d[0] = n > 0 ? sg * dx / n : 0, d[1] = n > 0 ? sg * dy / n : 0;
}

/* 1 when segment s (its nearest point: piece pc at t) may be the other
 * carriageway: one-way, driven the other way (more than 120 degrees
 * apart), and close to the first snap, not merely to the point (a point
 * between two parallel one-way streets of a grid is near both). */
static int twin_ok(const rgraph *g, const twin_filter *f, int s, int pc, double t,
                   double kx)
{
    if (s == f->exclude || g->seg_oneway[s] == 0)
        return 0;
    double d[2];
    piece_dir(g, s, pc, kx, d);
    const double *a = g->pt + 2 * (size_t)pc;
    return d[0] * f->dx + d[1] * f->dy < -0.5 &&
           nearest_haversine(f->lon, f->lat, a[0] + t * (a[2] - a[0]),
                             a[1] + t * (a[3] - a[1])) <= f->sep_m;
}

static int snap_filtered(const rgraph *g, double lon, double lat, double max_m,
                         const twin_filter *f, rgraph_pos *out, ct_err *err)
{
    memset(out, 0, sizeof *out);
    out->seg = -1;
    if (!nearest_valid_lonlat(lon, lat))
        return ct_fail(err, CT_EINVAL, "snap: %g,%g is not a WGS84 lon/lat", lon, lat);
    double kx = DEG_M * cos(lat * M_PI / 180);
    /* a cell's smallest side in metres: what one more ring adds at least */
    double cell_m = g->cell_deg * fmin(DEG_M, kx > 1 ? kx : 1);
    int cx = cell_x(g, lon), cy = cell_y(g, lat);
    double best = INFINITY;
    int bseg = -1, bpiece = 0;
    double bt = 0;
    int rings = (int)(max_m / cell_m) + 2;
    for (int r = 0; r <= rings; r++) {
        for (int y = cy - r; y <= cy + r; y++) {
            if (y < 0 || y >= g->cell_ny)
                continue;
            for (int x = cx - r; x <= cx + r; x++) {
                if (x < 0 || x >= g->cell_nx ||
                    (r > 0 && y != cy - r && y != cy + r && x != cx - r && x != cx + r))
                    continue;   /* inside: an earlier ring */
                int c = y * g->cell_nx + x;
                for (int k = g->cell_off[c]; k < g->cell_off[c + 1]; k++) {
                    int s = g->cell_seg[k], pc = 0;
                    double t = 0, d2 = seg_nearest(g, s, lon, lat, kx, &pc, &t);
                    if ((d2 < best || (d2 == best && s < bseg)) &&
                        (!f || twin_ok(g, f, s, pc, t, kx)))
                        best = d2, bseg = s, bpiece = pc, bt = t;
                }
            }
        }
        /* everything outside the rings seen so far is at least r cells off */
        if (bseg >= 0 && sqrt(best) <= r * cell_m)
            break;
    }
    if (bseg < 0 || sqrt(best) > max_m * 1.01 + 1)
        return ct_fail(err, CT_ENOTFOUND, "no road within %.0f m", max_m);
    const double *a = g->pt + 2 * (size_t)bpiece;
    out->seg = bseg;
    out->lon = a[0] + bt * (a[2] - a[0]);
    out->lat = a[1] + bt * (a[3] - a[1]);
    out->off_m = nearest_haversine(lon, lat, out->lon, out->lat);
    if (out->off_m > max_m)
        return ct_fail(err, CT_ENOTFOUND, "no road within %.0f m", max_m);
    /* along: the share of the polyline's length, scaled to the segment's */
    double total = poly_len(g, bseg, g->pt_off[bseg + 1]);
    double before = poly_len(g, bseg, bpiece) +
                    bt * nearest_haversine(a[0], a[1], a[2], a[3]);
    out->along_m = total > 0 ? g->seg_len[bseg] * fmin(1, before / total) : 0;
    return CT_OK;
}

int rgraph_snap(const rgraph *g, double lon, double lat, double max_m,
                rgraph_pos *out, ct_err *err)
{
    return snap_filtered(g, lon, lat, max_m, NULL, out, err);
}

int rgraph_snap_twin(const rgraph *g, double lon, double lat, const rgraph_pos *p,
                     double extra_m, rgraph_pos *twin)
{
    if (!p || p->seg < 0 || p->seg >= g->ns || g->seg_oneway[p->seg] == 0)
        return 0;
    double kx = DEG_M * cos(lat * M_PI / 180), t = 0;
    int pc = 0;
    seg_nearest(g, p->seg, lon, lat, kx, &pc, &t);
    double d[2];
    piece_dir(g, p->seg, pc, kx, d);
    twin_filter f = {p->seg, d[0], d[1], p->lon, p->lat, extra_m};
    return snap_filtered(g, lon, lat, p->off_m + extra_m, &f, twin, NULL) == CT_OK;
}

double rgraph_piece_seconds(const rgraph *g, const double *sec,
                            const rgraph_piece *pc)
{
    double len = g->seg_len[pc->seg];
    return len > 0 ? sec[pc->seg] * fabs(pc->to_m - pc->from_m) / len : 0;
}

static int allows(const rgraph *g, int s, int fwd)
{
    return routable(g, s) && (fwd ? g->seg_oneway[s] >= 0 : g->seg_oneway[s] <= 0);
}

int rgraph_pos_ends(const rgraph *g, const double *sec, const rgraph_pos *p,
                    int out, int node[2], double cost[2], rgraph_piece piece[2])
{
    int n = 0, s = p->seg;
    double len = g->seg_len[s];
    for (int fwd = 1; fwd >= 0 && s >= 0; fwd--) {
        if (!allows(g, s, fwd))
            continue;
        /* leaving forward: to seg_to; reached forward: from seg_from */
        int at_to = out ? fwd : !fwd;
        node[n] = at_to ? g->seg_to[s] : g->seg_from[s];
        piece[n] = out ? (rgraph_piece){s, p->along_m, fwd ? len : 0}
                       : (rgraph_piece){s, fwd ? 0 : len, p->along_m};
        cost[n] = rgraph_piece_seconds(g, sec, &piece[n]);
        n++;
    }
    return n;
}

int rgraph_pos_direct(const rgraph *g, const rgraph_pos *a, const rgraph_pos *b,
                      rgraph_piece *piece)
{
    if (a->seg < 0 || a->seg != b->seg)
        return 0;
    if (!allows(g, a->seg, b->along_m >= a->along_m))
        return 0;
    *piece = (rgraph_piece){a->seg, a->along_m, b->along_m};
    return 1;
}

void rgraph_path_add_piece(const rgraph *g, const double *sec, rgraph_path *p,
                           int tail, const rgraph_piece *pc)
{
    if (tail)
        p->tail = *pc, p->has_tail = 1;
    else
        p->head = *pc, p->has_head = 1;
    p->length_m += fabs(pc->to_m - pc->from_m);
    p->eta_s += rgraph_piece_seconds(g, sec, pc);
}

double *rgraph_piece_points(const rgraph *g, const rgraph_piece *pc, int *n)
{
    int s = pc->seg, a = g->pt_off[s], b = g->pt_off[s + 1];
    double *o = malloc((size_t)(b - a + 2) * 2 * sizeof *o);
    *n = 0;
    if (!o)
        return NULL;
    double total = poly_len(g, s, b), len = g->seg_len[s];
    double scale = len > 0 && total > 0 ? total / len : 0;
    double lo = fmin(pc->from_m, pc->to_m) * scale, hi = fmax(pc->from_m, pc->to_m) * scale;
    /* walk the polyline forward, keep [lo, hi], reverse when driven back */
    double at = 0;
    for (int i = a; i + 1 < b; i++) {
        const double *p = g->pt + 2 * (size_t)i, *q = p + 2;
        double l = nearest_haversine(p[0], p[1], q[0], q[1]);
        double t0 = l > 0 ? (lo - at) / l : 0, t1 = l > 0 ? (hi - at) / l : 1;
        if (*n == 0 && (t0 <= 1 || i + 2 == b)) {
            double t = fmin(1, fmax(0, t0));
            o[0] = p[0] + t * (q[0] - p[0]), o[1] = p[1] + t * (q[1] - p[1]);
            *n = 1;
        }
        if (*n > 0 && t1 <= 1) {
            double t = fmax(0, t1);
            o[2 * *n] = p[0] + t * (q[0] - p[0]), o[2 * *n + 1] = p[1] + t * (q[1] - p[1]);
            (*n)++;
            break;
        }
        if (*n > 0)   /* a vertex inside the piece (or its end, by rounding) */
            o[2 * *n] = q[0], o[2 * *n + 1] = q[1], (*n)++;
        at += l;
    }
    if (*n == 1)
        o[2] = o[0], o[3] = o[1], *n = 2;
    if (pc->to_m < pc->from_m)
        for (int i = 0, j = *n - 1; i < j; i++, j--) {
            double x = o[2 * i], y = o[2 * i + 1];
            o[2 * i] = o[2 * j], o[2 * i + 1] = o[2 * j + 1];
            o[2 * j] = x, o[2 * j + 1] = y;
        }
    return o;
}
