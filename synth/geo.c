/* synth/geo.c: the generator's local metric frame and plain arithmetic
 * geometry (distances from points and rectangles to polylines). Everything
 * per building is done with this arithmetic; GEOS is only used per block. */
#include <math.h>

#include "synth/synth.h"

#define M_PER_DEG_LAT 110946.0   /* at 34.65 N */
static double m_per_deg_lon(void)
{
    return 111320.0 * cos(SYNTH_LAT0 * M_PI / 180.0);
}

void synth_to_lonlat(double x, double y, double *lon, double *lat)
{
    *lon = SYNTH_LON0 + x / m_per_deg_lon();
    *lat = SYNTH_LAT0 + y / M_PER_DEG_LAT;
}

void synth_from_lonlat(double lon, double lat, double *x, double *y)
{
    *x = (lon - SYNTH_LON0) * m_per_deg_lon();
    *y = (lat - SYNTH_LAT0) * M_PER_DEG_LAT;
}

double synth_seg_dist(synth_pt p, synth_pt a, synth_pt b)
{
    double dx = b.x - a.x, dy = b.y - a.y;
    double len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2 : 0;
    if (t < 0)
        t = 0;
    else if (t > 1)
        t = 1;
    double ex = a.x + t * dx - p.x, ey = a.y + t * dy - p.y;
    return sqrt(ex * ex + ey * ey);
}

void synth_line_bbox(synth_line *l)
{
    l->xmin = l->ymin = INFINITY;
    l->xmax = l->ymax = -INFINITY;
    for (int i = 0; i < l->n; i++) {
        l->xmin = fmin(l->xmin, l->p[i].x);
        l->xmax = fmax(l->xmax, l->p[i].x);
        l->ymin = fmin(l->ymin, l->p[i].y);
        l->ymax = fmax(l->ymax, l->p[i].y);
    }
}

double synth_line_dist(const synth_line *l, synth_pt p)
{
    double best = INFINITY;
    for (int i = 0; i + 1 < l->n; i++) {
        double d = synth_seg_dist(p, l->p[i], l->p[i + 1]);
        if (d < best)
            best = d;
    }
    return best;
}

/* Do segments ab and cd cross? (orientation test) */
static int seg_cross(synth_pt a, synth_pt b, synth_pt c, synth_pt d)
{
    double d1 = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
    double d2 = (b.x - a.x) * (d.y - a.y) - (b.y - a.y) * (d.x - a.x);
    double d3 = (d.x - c.x) * (a.y - c.y) - (d.y - c.y) * (a.x - c.x);
    double d4 = (d.x - c.x) * (b.y - c.y) - (d.y - c.y) * (b.x - c.x);
    return ((d1 > 0) != (d2 > 0)) && ((d3 > 0) != (d4 > 0));
}

static double seg_rect_dist(synth_pt a, synth_pt b, double x0, double y0,
                            double x1, double y1)
{
    if ((a.x >= x0 && a.x <= x1 && a.y >= y0 && a.y <= y1) ||
        (b.x >= x0 && b.x <= x1 && b.y >= y0 && b.y <= y1))
        return 0;
    synth_pt c[4] = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}};
    double best = INFINITY;
    for (int k = 0; k < 4; k++) {
        synth_pt c0 = c[k], c1 = c[(k + 1) % 4];
        if (seg_cross(a, b, c0, c1))
            return 0;
        best = fmin(best, synth_seg_dist(c0, a, b));
        best = fmin(best, synth_seg_dist(a, c0, c1));
        best = fmin(best, synth_seg_dist(b, c0, c1));
    }
    return best;
}

double synth_line_rect_dist(const synth_line *l, double x0, double y0,
                            double x1, double y1)
{
    /* bbox gap is a lower bound: skip far lines cheaply */
    double gx = fmax(0, fmax(l->xmin - x1, x0 - l->xmax));
    double gy = fmax(0, fmax(l->ymin - y1, y0 - l->ymax));
    double best = INFINITY;
    if (gx > 5000 || gy > 5000)
        return sqrt(gx * gx + gy * gy);
    for (int i = 0; i + 1 < l->n; i++) {
        synth_pt a = l->p[i], b = l->p[i + 1];
        double sx = fmax(0, fmax(fmin(a.x, b.x) - x1, x0 - fmax(a.x, b.x)));
        double sy = fmax(0, fmax(fmin(a.y, b.y) - y1, y0 - fmax(a.y, b.y)));
        if (sqrt(sx * sx + sy * sy) >= best)
            continue;
        double d = seg_rect_dist(a, b, x0, y0, x1, y1);
        if (d < best)
            best = d;
        if (best == 0)
            break;
    }
    return best;
}

double synth_line_length(const synth_line *l)
{
    double s = 0;
    for (int i = 0; i + 1 < l->n; i++)
        s += hypot(l->p[i + 1].x - l->p[i].x, l->p[i + 1].y - l->p[i].y);
    return s;
}

synth_pt synth_line_at(const synth_line *l, double s, synth_pt *dir)
{
    for (int i = 0; i + 1 < l->n; i++) {
        double dx = l->p[i + 1].x - l->p[i].x, dy = l->p[i + 1].y - l->p[i].y;
        double len = hypot(dx, dy);
        if (s <= len || i + 2 == l->n) {
            double t = len > 0 ? fmin(s / len, 1.0) : 0;
            if (dir) {
                dir->x = len > 0 ? dx / len : 1;
                dir->y = len > 0 ? dy / len : 0;
            }
            return (synth_pt){l->p[i].x + t * dx, l->p[i].y + t * dy};
        }
        s -= len;
    }
    if (dir)
        *dir = (synth_pt){1, 0};
    return l->n ? l->p[0] : (synth_pt){0, 0};
}
