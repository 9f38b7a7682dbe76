/* synth/pois.c: fire and police stations, placed on the road network.
 * Fire stations follow the national planning norm: one urban station per
 * ~7 km² responsibility area, so that an engine reaches the edge of its area
 * in 5 minutes. A grid of sqrt(7 km²) = 2.65 km cells gets one station at
 * the street intersection nearest the centroid of the cell's streets; then
 * any intersection still more than SYNTH_FIRE_REACH_M from every station
 * gets a station of its own, which bounds the straight-line distance from
 * any street to its nearest station. Police stations: one per ~3 km cell. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "synth/synth.h"

#define SYNTH_FIRE_CELL_M 2650.0
#define SYNTH_FIRE_REACH_M 2000.0
#define SYNTH_POLICE_CELL_M 3000.0

typedef struct node_ref {
    double x, y;
} node_ref;

static int collect_nodes(const synth_grid *g, node_ref **out, int *n)
{
    int nx = synth_grid_nx(g), ny = synth_grid_ny(g), k = 0;
    node_ref *v = malloc((size_t)nx * (size_t)ny * sizeof *v);
    if (!v)
        return CT_ENOMEM;
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++)
            if (synth_grid_node_on(g, i, j))
                v[k++] = (node_ref){synth_grid_x(g, i), synth_grid_y(g, j)};
    *out = v;
    *n = k;
    return CT_OK;
}

/* Station sites: per cell, the node nearest the cell's node centroid. */
static int cell_sites(const node_ref *v, int n, double x0, double y0,
                      double cell, node_ref **sites, int *ns)
{
    double xmax = x0, ymax = y0;
    for (int k = 0; k < n; k++)
        xmax = fmax(xmax, v[k].x), ymax = fmax(ymax, v[k].y);
    int cx = (int)((xmax - x0) / cell) + 1, cy = (int)((ymax - y0) / cell) + 1;
    double *sx = calloc((size_t)cx * cy, sizeof *sx);
    double *sy = calloc((size_t)cx * cy, sizeof *sy);
    int *cnt = calloc((size_t)cx * cy, sizeof *cnt);
    int *best = malloc((size_t)cx * cy * sizeof *best);
    node_ref *s = malloc(((size_t)cx * cy + (size_t)n) * sizeof *s);
    if (!sx || !sy || !cnt || !best || !s) {
        free(sx), free(sy), free(cnt), free(best), free(s);
        return CT_ENOMEM;
    }
    for (int k = 0; k < n; k++) {
        int c = (int)((v[k].y - y0) / cell) * cx + (int)((v[k].x - x0) / cell);
        sx[c] += v[k].x, sy[c] += v[k].y, cnt[c]++;
    }
    for (int c = 0; c < cx * cy; c++)
        best[c] = -1;
    for (int k = 0; k < n; k++) {
        int c = (int)((v[k].y - y0) / cell) * cx + (int)((v[k].x - x0) / cell);
        double mx = sx[c] / cnt[c], my = sy[c] / cnt[c];
        if (best[c] < 0 ||
            hypot(v[k].x - mx, v[k].y - my) <
                hypot(v[best[c]].x - mx, v[best[c]].y - my))
            best[c] = k;
    }
    int m = 0;
    for (int c = 0; c < cx * cy; c++)
        if (best[c] >= 0 && cnt[c] >= 4)
            s[m++] = v[best[c]];
    free(sx), free(sy), free(cnt), free(best);
    *sites = s;
    *ns = m;
    return CT_OK;
}

static double nearest(const node_ref *s, int ns, double x, double y)
{
    double b = INFINITY;
    for (int k = 0; k < ns; k++)
        b = fmin(b, hypot(s[k].x - x, s[k].y - y));
    return b;
}

static int write_fire(synth_ctx *c, const node_ref *s, int ns, ct_err *err)
{
    for (int k = 0; k < ns; k++) {
        char id[32], zh[96], en[96];
        snprintf(id, sizeof id, "fire-%03d", k + 1);
        snprintf(zh, sizeof zh, "洛阳市消防救援支队第%d消防站", k + 1);
        snprintf(en, sizeof en, "Luoyang Fire and Rescue Station No. %d", k + 1);
        int d = synth_world_district(&c->w, s[k].x, s[k].y);
        OGRFeatureH f = synth_feat(&c->out, SL_FIRE, id, zh, en, "urban",
                                   d >= 0 ? c->w.dist_id[d] : NULL);
        synth_set_int(f, "engines", 2 + (int)(3 * synth_hash_unit(c->opt.seed, 0xF1, (uint64_t)k)));
        int rc = synth_put_point(&c->out, SL_FIRE, s[k].x, s[k].y, err);
        if (rc)
            return rc;
    }
    return CT_OK;
}

static const char *DIST_ZH[SYNTH_NDIST] = {"老城", "西工", "瀍河", "涧西", "洛龙"};
static const char *DIST_EN[SYNTH_NDIST] = {"Laocheng", "Xigong", "Chanhe",
                                           "Jianxi", "Luolong"};

static int write_police(synth_ctx *c, const node_ref *s, int ns, ct_err *err)
{
    int per[SYNTH_NDIST] = {0};
    for (int k = 0; k < ns; k++) {
        int d = synth_world_district(&c->w, s[k].x + 12, s[k].y + 12);
        char id[32], zh[96], en[96];
        snprintf(id, sizeof id, "pol-%03d", k + 1);
        int n = d >= 0 ? ++per[d] : k + 1;
        snprintf(zh, sizeof zh, "%s公安分局第%d派出所", d >= 0 ? DIST_ZH[d] : "洛阳", n);
        snprintf(en, sizeof en, "%s Police Station No. %d", d >= 0 ? DIST_EN[d] : "Luoyang", n);
        synth_feat(&c->out, SL_POLICE, id, zh, en, "police_station",
                   d >= 0 ? c->w.dist_id[d] : NULL);
        int rc = synth_put_point(&c->out, SL_POLICE, s[k].x + 12, s[k].y + 12, err);
        if (rc)
            return rc;
    }
    return CT_OK;
}

int synth_pois(synth_ctx *c, ct_err *err)
{
    node_ref *v = NULL, *fire = NULL, *pol = NULL;
    int n = 0, nf = 0, np = 0, rc;
    if ((rc = collect_nodes(c->grid, &v, &n)) ||
        (rc = cell_sites(v, n, c->w.ux0, c->w.uy0, SYNTH_FIRE_CELL_M, &fire, &nf)) ||
        (rc = cell_sites(v, n, c->w.ux0 - 100, c->w.uy0 - 100,
                         SYNTH_POLICE_CELL_M, &pol, &np))) {
        free(v), free(fire), free(pol);
        return ct_fail(err, CT_ENOMEM, "fire stations: out of memory");
    }
    /* close the gaps: cell_sites left room for n more sites */
    for (int k = 0; k < n; k++)
        if (nearest(fire, nf, v[k].x, v[k].y) > SYNTH_FIRE_REACH_M)
            fire[nf++] = v[k];
    rc = write_fire(c, fire, nf, err);
    if (rc == CT_OK)
        rc = write_police(c, pol, np, err);
    free(v), free(fire), free(pol);
    return rc;
}
