/* synth/roads.c: the street network.
 * A planned Chinese grid (GB 50220 / GB 51328 hierarchy): arterials about
 * every 1.2 km, secondary streets about every 600 m between them, local
 * streets every ~200 m ("small blocks, dense network"). Lines have slightly
 * irregular spacing. Every road row is one edge between two grid nodes, so
 * segments are split at every intersection and nodes are shared endpoints.
 * Edges over water become bridges on arterials (and north-south secondary
 * streets); local streets stop at the bank. Only the largest connected
 * piece is kept, and one-way streets that would cut a part of the network
 * off are made two-way, so every node reaches every other node.
 * Hydrants (<= 110 m apart along every street) and traffic cameras (at
 * major intersections) are written here because they follow the edges. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth/synth.h"

struct synth_grid {
    int nx, ny;
    double *xs, *ys;
    unsigned char *node_on;     /* nx*ny */
    /* edges: horizontal h[j*(nx-1)+i] (i,j)-(i+1,j); vertical
     * v[j*nx+i] (i,j)-(i,j+1); 0 none, 1 road, 2 bridge */
    unsigned char *h, *v;
    signed char *h_dir, *v_dir; /* 0 two-way, +1 along +x/+y, -1 against */
};

static const int LANES[3] = {6, 4, 2};
static const double SPEED[3] = {60, 40, 30};
static const double WIDTH[3] = {40, 24, 14};   /* red-line width, m */
static const char *CLASS[3] = {"arterial", "secondary", "local"};

double synth_road_half_width(int cls)
{
    return WIDTH[cls < 0 ? 0 : cls > 2 ? 2 : cls] / 2;
}

static int line_class(int k)
{
    return k % 6 == 0 ? 0 : k % 3 == 0 ? 1 : 2;
}

int synth_grid_nx(const synth_grid *g) { return g->nx; }
int synth_grid_ny(const synth_grid *g) { return g->ny; }
double synth_grid_x(const synth_grid *g, int i) { return g->xs[i]; }
double synth_grid_y(const synth_grid *g, int j) { return g->ys[j]; }
int synth_grid_vclass(const synth_grid *g, int i) { (void)g; return line_class(i); }
int synth_grid_hclass(const synth_grid *g, int j) { (void)g; return line_class(j); }
int synth_grid_node_on(const synth_grid *g, int i, int j)
{
    if (i < 0 || j < 0 || i >= g->nx || j >= g->ny)
        return 0;
    return g->node_on[j * g->nx + i];
}

void synth_grid_free(synth_grid *g)
{
    if (!g)
        return;
    free(g->xs);
    free(g->ys);
    free(g->node_on);
    free(g->h);
    free(g->v);
    free(g->h_dir);
    free(g->v_dir);
    free(g);
}

/* Irregular line positions covering [a, b]. */
static double *make_lines(uint64_t seed, int axis, double a, double b, int *n)
{
    int cap = (int)((b - a) / 160) + 4;
    double *p = malloc((size_t)cap * sizeof *p);
    if (!p)
        return NULL;
    int k = 0;
    double x = a - 20;
    while (k < cap && x <= b + 20) {
        p[k] = x;
        x += 170 + 70 * synth_hash_unit(seed, (uint64_t)axis, (uint64_t)k);
        k++;
    }
    *n = k;
    return p;
}

/* ---- union-find -------------------------------------------------- */
static int uf_find(int *par, int a)
{
    while (par[a] != a) {
        par[a] = par[par[a]];
        a = par[a];
    }
    return a;
}

static void uf_union(int *par, int a, int b)
{
    a = uf_find(par, a), b = uf_find(par, b);
    if (a != b)
        par[a < b ? b : a] = a < b ? a : b;
}

static int edge_state(const synth_world *w, double x0, double y0, double x1,
                      double y1, int cls, int vertical)
{
    double wd = synth_world_water_rect_dist(w, fmin(x0, x1), fmin(y0, y1),
                                            fmax(x0, x1), fmax(y0, y1));
    if (wd > 10)
        return 1;
    if (cls == 0 || (cls == 1 && vertical))
        return 2;
    return 0;
}

/* Build the edges and keep the largest connected piece. */
static int build_edges(synth_ctx *c, synth_grid *g)
{
    int nx = g->nx, ny = g->ny;
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
            double x = g->xs[i], y = g->ys[j];
            g->node_on[j * nx + i] =
                synth_poly_contains(&c->w.urban, x, y) &&
                synth_world_district(&c->w, x, y) >= 0;
        }
    for (int j = 0; j < ny; j++)
        for (int i = 0; i + 1 < nx; i++)
            if (g->node_on[j * nx + i] && g->node_on[j * nx + i + 1])
                g->h[j * (nx - 1) + i] =
                    (unsigned char)edge_state(&c->w, g->xs[i], g->ys[j],
                                              g->xs[i + 1], g->ys[j],
                                              line_class(j), 0);
    for (int j = 0; j + 1 < ny; j++)
        for (int i = 0; i < nx; i++)
            if (g->node_on[j * nx + i] && g->node_on[(j + 1) * nx + i])
                g->v[j * nx + i] =
                    (unsigned char)edge_state(&c->w, g->xs[i], g->ys[j],
                                              g->xs[i], g->ys[j + 1],
                                              line_class(i), 1);
    int nn = nx * ny;
    int *par = malloc((size_t)nn * sizeof *par);
    int *size = calloc((size_t)nn, sizeof *size);
    if (!par || !size) {
        free(par);
        free(size);
        return CT_ENOMEM;
    }
    for (int k = 0; k < nn; k++)
        par[k] = k;
    for (int j = 0; j < ny; j++)
        for (int i = 0; i + 1 < nx; i++)
            if (g->h[j * (nx - 1) + i])
                uf_union(par, j * nx + i, j * nx + i + 1);
    for (int j = 0; j + 1 < ny; j++)
        for (int i = 0; i < nx; i++)
            if (g->v[j * nx + i])
                uf_union(par, j * nx + i, (j + 1) * nx + i);
    int best = -1;
    for (int k = 0; k < nn; k++)
        if (g->node_on[k] && ++size[uf_find(par, k)] > (best < 0 ? 0 : size[best]))
            best = uf_find(par, k);
    for (int k = 0; k < nn; k++)
        g->node_on[k] = 0;
    for (int j = 0; j < ny; j++)
        for (int i = 0; i + 1 < nx; i++) {
            unsigned char *e = &g->h[j * (nx - 1) + i];
            if (*e && uf_find(par, j * nx + i) != best)
                *e = 0;
            if (*e)
                g->node_on[j * nx + i] = g->node_on[j * nx + i + 1] = 1;
        }
    for (int j = 0; j + 1 < ny; j++)
        for (int i = 0; i < nx; i++) {
            unsigned char *e = &g->v[j * nx + i];
            if (*e && uf_find(par, j * nx + i) != best)
                *e = 0;
            if (*e)
                g->node_on[j * nx + i] = g->node_on[(j + 1) * nx + i] = 1;
        }
    free(par);
    free(size);
    return CT_OK;
}

/* One-way streets: the old town's lanes alternate direction, and some
 * local lines elsewhere (8%). */
static void set_oneways(synth_ctx *c, synth_grid *g)
{
    int nx = g->nx, ny = g->ny;
    for (int j = 0; j < ny; j++)
        for (int i = 0; i + 1 < nx; i++) {
            if (!g->h[j * (nx - 1) + i] || line_class(j) != 2)
                continue;
            double mx = (g->xs[i] + g->xs[i + 1]) / 2;
            int old = synth_world_zone(&c->w, mx, g->ys[j]) == ZONE_OLDTOWN;
            if (old || synth_hash_unit(c->opt.seed, 77, (uint64_t)j) < 0.08)
                g->h_dir[j * (nx - 1) + i] = (j % 2) ? 1 : -1;
        }
    for (int j = 0; j + 1 < ny; j++)
        for (int i = 0; i < nx; i++) {
            if (!g->v[j * nx + i] || line_class(i) != 2)
                continue;
            double my = (g->ys[j] + g->ys[j + 1]) / 2;
            int old = synth_world_zone(&c->w, g->xs[i], my) == ZONE_OLDTOWN;
            if (old || synth_hash_unit(c->opt.seed, 78, (uint64_t)i) < 0.08)
                g->v_dir[j * nx + i] = (i % 2) ? 1 : -1;
        }
}

/* Reachability from node 0 forwards or backwards (iterative DFS). */
static void reach(const synth_grid *g, int start, int backwards,
                  unsigned char *seen, int *stack)
{
    int nx = g->nx, ny = g->ny, top = 0;
    seen[start] = 1;
    stack[top++] = start;
    while (top) {
        int k = stack[--top], i = k % nx, j = k / nx;
        int nb[4] = {-1, -1, -1, -1};
        /* may we go k -> neighbour? dir +1 means travel towards +x/+y */
        int s = backwards ? -1 : 1;
        if (i + 1 < nx && g->h[j * (nx - 1) + i] && g->h_dir[j * (nx - 1) + i] != -s)
            nb[0] = k + 1;
        if (i > 0 && g->h[j * (nx - 1) + i - 1] && g->h_dir[j * (nx - 1) + i - 1] != s)
            nb[1] = k - 1;
        if (j + 1 < ny && g->v[j * nx + i] && g->v_dir[j * nx + i] != -s)
            nb[2] = k + nx;
        if (j > 0 && g->v[(j - 1) * nx + i] && g->v_dir[(j - 1) * nx + i] != s)
            nb[3] = k - nx;
        for (int q = 0; q < 4; q++)
            if (nb[q] >= 0 && !seen[nb[q]]) {
                seen[nb[q]] = 1;
                stack[top++] = nb[q];
            }
    }
}

/* Make one-way edges two-way until every node reaches every other. */
static int fix_strong(synth_grid *g)
{
    int nx = g->nx, ny = g->ny, nn = nx * ny, start = -1;
    for (int k = 0; k < nn && start < 0; k++)
        if (g->node_on[k])
            start = k;
    if (start < 0)
        return CT_OK;
    unsigned char *fw = malloc((size_t)nn), *bw = malloc((size_t)nn);
    int *stack = malloc((size_t)nn * 4 * sizeof *stack);
    if (!fw || !bw || !stack) {
        free(fw), free(bw), free(stack);
        return CT_ENOMEM;
    }
    for (int round = 0; round < 64; round++) {
        memset(fw, 0, (size_t)nn), memset(bw, 0, (size_t)nn);
        reach(g, start, 0, fw, stack);
        reach(g, start, 1, bw, stack);
        int changed = 0;
        for (int j = 0; j < ny; j++)
            for (int i = 0; i < nx; i++) {
                int k = j * nx + i;
                if (!g->node_on[k] || (fw[k] && bw[k]))
                    continue;
                /* open the one-way edges around a node outside the core */
                if (i + 1 < nx && g->h_dir[j * (nx - 1) + i])
                    g->h_dir[j * (nx - 1) + i] = 0, changed = 1;
                if (i > 0 && g->h_dir[j * (nx - 1) + i - 1])
                    g->h_dir[j * (nx - 1) + i - 1] = 0, changed = 1;
                if (j + 1 < ny && g->v_dir[j * nx + i])
                    g->v_dir[j * nx + i] = 0, changed = 1;
                if (j > 0 && g->v_dir[(j - 1) * nx + i])
                    g->v_dir[(j - 1) * nx + i] = 0, changed = 1;
            }
        if (!changed)
            break;
    }
    free(fw), free(bw), free(stack);
    return CT_OK;
}

/* Street names: arterials carry names, secondary streets are numbered in
 * the common 经/纬 (jing/wei) pattern, local streets are unnamed. */
static const char *ART_V[][2] = {
    {"王城大道", "Wangcheng Avenue"}, {"定鼎路", "Dingding Road"},
    {"九都路", "Jiudu Road"},         {"启明路", "Qiming Road"},
    {"龙门大道", "Longmen Avenue"},   {"涧河路", "Jianhe Road"},
    {"长兴街", "Changxing Street"},   {"太康路", "Taikang Road"},
    {"南昌路", "Nanchang Road"},       {"珠江路", "Zhujiang Road"},
    {"青岛路", "Qingdao Road"},       {"春都路", "Chundu Road"}};
static const char *ART_H[][2] = {
    {"中州路", "Zhongzhou Road"},     {"开元大道", "Kaiyuan Avenue"},
    {"古城路", "Gucheng Road"},       {"洛宜路", "Luoyi Road"},
    {"滨河路", "Binhe Road"},         {"西苑路", "Xiyuan Road"},
    {"邙山路", "Mangshan Road"},      {"凯旋路", "Kaixuan Road"},
    {"龙鳞路", "Longlin Road"},       {"厚载门街", "Houzaimen Street"}};

static void road_name(int vertical, int k, int cls, char *zh, char *en,
                      size_t n)
{
    zh[0] = en[0] = 0;
    if (cls == 0) {
        int m = vertical ? (int)(sizeof ART_V / sizeof ART_V[0])
                         : (int)(sizeof ART_H / sizeof ART_H[0]);
        const char *(*t)[2] = vertical ? ART_V : ART_H;
        int idx = (k / 6) % m, round = (k / 6) / m;
        snprintf(zh, n, "%s%s", t[idx][0], round ? "东段" : "");
        snprintf(en, n, "%s%s", t[idx][1], round ? " East" : "");
    } else if (cls == 1) {
        snprintf(zh, n, "%s%d路", vertical ? "经" : "纬", k / 3 + 1);
        snprintf(en, n, "%s %d Road", vertical ? "Jing" : "Wei", k / 3 + 1);
    }
}

/* Hydrants along one edge: n equal gaps of <= 110 m, first and last half a
 * gap from the ends, so the spacing across intersections stays <= 110 m. */
static int put_hydrants(synth_ctx *c, const char *road_id, synth_pt a,
                        synth_pt b, int cls, const char *dist, ct_err *err)
{
    double len = hypot(b.x - a.x, b.y - a.y);
    int n = (int)ceil(len / 110.0);
    double ux = (b.x - a.x) / len, uy = (b.y - a.y) / len;
    double off = synth_road_half_width(cls) - 2.0;   /* on the pavement */
    for (int k = 0; k < n; k++) {
        double t = (k + 0.5) / n * len;
        char id[32];
        snprintf(id, sizeof id, "hyd-%06lld",
                 (long long)c->out.count[SL_HYDRANTS] + 1);
        OGRFeatureH f = synth_feat(&c->out, SL_HYDRANTS, id, NULL, NULL,
                                   "municipal", dist);
        synth_set_str(f, "road_id", road_id);
        int rc = synth_put_point(&c->out, SL_HYDRANTS, a.x + ux * t + uy * off,
                                 a.y + uy * t - ux * off, err);
        if (rc)
            return rc;
    }
    return CT_OK;
}

static int put_camera(synth_ctx *c, const char *road_id, double x, double y,
                      const char *dist, ct_err *err)
{
    char id[32];
    snprintf(id, sizeof id, "cam-%05lld",
             (long long)c->out.count[SL_CAMERAS] + 1);
    OGRFeatureH f = synth_feat(&c->out, SL_CAMERAS, id, NULL, NULL, "traffic",
                               dist);
    synth_set_str(f, "road_id", road_id);
    return synth_put_point(&c->out, SL_CAMERAS, x, y, err);
}

static int put_edge(synth_ctx *c, int vertical, int i, int j, int state,
                    int dir, ct_err *err)
{
    synth_grid *g = c->grid;
    int nx = g->nx;
    int k = vertical ? i : j, cls = line_class(k);
    int na = j * nx + i, nb = vertical ? na + nx : na + 1;
    synth_pt a = {g->xs[i], g->ys[j]};
    synth_pt b = vertical ? (synth_pt){g->xs[i], g->ys[j + 1]}
                          : (synth_pt){g->xs[i + 1], g->ys[j]};
    if (dir < 0) {   /* store one-way edges in their direction of travel */
        synth_pt t = a;
        a = b, b = t;
        int tn = na;
        na = nb, nb = tn;
    }
    int d = synth_world_district(&c->w, (a.x + b.x) / 2, (a.y + b.y) / 2);
    const char *dist = d >= 0 ? c->w.dist_id[d] : NULL;
    char id[32], zh[64], en[64];
    snprintf(id, sizeof id, "road-%06lld", (long long)c->out.count[SL_ROADS] + 1);
    road_name(vertical, k, cls, zh, en, sizeof zh);
    OGRFeatureH f = synth_feat(&c->out, SL_ROADS, id, zh[0] ? zh : NULL,
                               en[0] ? en : NULL, CLASS[cls], dist);
    double len = hypot(b.x - a.x, b.y - a.y);
    synth_set_str(f, "class", CLASS[cls]);
    synth_set_int(f, "oneway", dir != 0);
    synth_set_int(f, "lanes", dir ? LANES[cls] / 2 : LANES[cls]);
    synth_set_real(f, "speed_kmh", SPEED[cls]);
    synth_set_int(f, "bridge", state == 2);
    synth_set_int(f, "tunnel", 0);
    synth_set_real(f, "length_m", round(len * 10) / 10);
    synth_set_int(f, "node_from", na + 1);
    synth_set_int(f, "node_to", nb + 1);
    synth_set_real(f, "width_m", WIDTH[cls]);
    synth_pt pts[2] = {a, b};
    int rc = synth_put_line(&c->out, SL_ROADS, pts, 2, err);
    if (rc == CT_OK && state != 2)
        rc = put_hydrants(c, id, a, b, cls, dist, err);
    /* cameras: on every arterial edge starting at a major intersection */
    if (rc == CT_OK && cls == 0) {
        int other = vertical ? line_class(j) : line_class(i);
        if (other <= 1)
            rc = put_camera(c, id, a.x + (b.x - a.x) * 0.1,
                            a.y + (b.y - a.y) * 0.1, dist, err);
    }
    return rc;
}

int synth_roads(synth_ctx *c, ct_err *err)
{
    synth_grid *g = calloc(1, sizeof *g);
    if (!g)
        return ct_fail(err, CT_ENOMEM, "roads: out of memory");
    c->grid = g;
    g->xs = make_lines(c->opt.seed, 1, c->w.ux0, c->w.ux1, &g->nx);
    g->ys = make_lines(c->opt.seed, 2, c->w.uy0, c->w.uy1, &g->ny);
    if (!g->xs || !g->ys)
        return ct_fail(err, CT_ENOMEM, "roads: out of memory");
    size_t nn = (size_t)g->nx * (size_t)g->ny;
    g->node_on = calloc(nn, 1);
    g->h = calloc(nn, 1);
    g->v = calloc(nn, 1);
    g->h_dir = calloc(nn, 1);
    g->v_dir = calloc(nn, 1);
    if (!g->node_on || !g->h || !g->v || !g->h_dir || !g->v_dir ||
        build_edges(c, g))
        return ct_fail(err, CT_ENOMEM, "roads: out of memory");
    set_oneways(c, g);
    if (fix_strong(g))
        return ct_fail(err, CT_ENOMEM, "roads: out of memory");
    int nx = g->nx, ny = g->ny, rc = CT_OK;
    for (int j = 0; j < ny && rc == CT_OK; j++)
        for (int i = 0; i + 1 < nx && rc == CT_OK; i++)
            if (g->h[j * (nx - 1) + i])
                rc = put_edge(c, 0, i, j, g->h[j * (nx - 1) + i],
                              g->h_dir[j * (nx - 1) + i], err);
    for (int j = 0; j + 1 < ny && rc == CT_OK; j++)
        for (int i = 0; i < nx && rc == CT_OK; i++)
            if (g->v[j * nx + i])
                rc = put_edge(c, 1, i, j, g->v[j * nx + i], g->v_dir[j * nx + i],
                              err);
    return rc;
}
