/* tiles/extrude.c: walls, roof and floor of a footprint (see extrude.h). */
#include "tiles/extrude.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tiles/geodesy.h"
#include "tiles/repair.h"

int extrude_init(extrude_ctx *x)
{
    memset(x, 0, sizeof *x);
    earcut_init(&x->ec);
    fp_init(&x->fix);
    x->geos = GEOS_init_r();
    x->tol = 0.005;
    extrude_set_latitude(x, 0);
    return x->geos ? CT_OK : CT_ENOMEM;
}

void extrude_free(extrude_ctx *x)
{
    earcut_free(&x->ec);
    fp_free(&x->fix);
    free(x->cdt_xy);
    if (x->geos)
        GEOS_finish_r(x->geos);
    memset(x, 0, sizeof *x);
}

void extrude_set_latitude(extrude_ctx *x, double lat_deg)
{
    const double e2 = GEO_WGS84_F * (2.0 - GEO_WGS84_F);
    double s = sin(lat_deg * M_PI / 180.0), w = 1.0 - e2 * s * s;
    double n = GEO_WGS84_A / sqrt(w);
    double m = GEO_WGS84_A * (1.0 - e2) / (w * sqrt(w));
    x->inv_n = 1.0 / n;
    x->inv_m = 1.0 / m;
}

long extrude_triangle_bound(int npoints, int nrings, int floor)
{
    /* walls 2 per edge; a roof of n points and h holes has n + 2h - 2 */
    long n = npoints, r = nrings;
    return 2 * n + (floor ? 2 : 1) * (n + 2 * r);
}

/* Vertex at local (e, n) and height h, in the glTF frame (y up, z south). */
static void place(const extrude_ctx *x, double e, double n, double h, float out[3])
{
    double nx = -e * x->inv_n, ny = -n * x->inv_m;
    double u0 = -0.5 * (e * e * x->inv_n + n * n * x->inv_m);
    out[0] = (float)(e + h * nx);
    out[1] = (float)(u0 + h);
    out[2] = (float)-(n + h * ny);
}

static int walls(const extrude_ctx *x, tmesh *m, const fp_geom *g, int p,
                 double zmin, double ztop, uint32_t fid)
{
    for (int r = g->poly_r0[p]; r < g->poly_r0[p] + g->poly_nr[p]; r++) {
        int n = g->ring_n[r];
        const double *pt = g->pt + 2 * g->ring_off[r];
        if (mesh_reserve(m, 4 * (size_t)n, 6 * (size_t)n))
            return CT_ENOMEM;
        for (int k = 0; k < n; k++) {
            const double *a = pt + 2 * k, *b = pt + 2 * ((k + 1) % n);
            double dx = b[0] - a[0], dy = b[1] - a[1];
            double len = sqrt(dx * dx + dy * dy);
            if (len == 0)
                continue;
            /* outward = right of the edge: outer rings run CCW, holes CW */
            float nrm[3] = {(float)(dy / len), 0.0f, (float)(dx / len)};
            float v[3];
            place(x, a[0], a[1], zmin, v);
            uint32_t a0 = mesh_vertex(m, v, nrm, fid);
            place(x, b[0], b[1], zmin, v);
            uint32_t b0 = mesh_vertex(m, v, nrm, fid);
            place(x, b[0], b[1], ztop, v);
            uint32_t b1 = mesh_vertex(m, v, nrm, fid);
            place(x, a[0], a[1], ztop, v);
            uint32_t a1 = mesh_vertex(m, v, nrm, fid);
            mesh_triangle(m, a0, b0, b1);
            mesh_triangle(m, a0, b1, a1);
        }
    }
    return CT_OK;
}

/* Roof (and floor) from the ear-clipped triangles in x->ec. */
static int caps(extrude_ctx *x, tmesh *m, const fp_geom *g, int p, double zmin,
                double ztop, int floor, uint32_t fid)
{
    int first = g->ring_off[g->poly_r0[p]];
    int last = g->poly_r0[p] + g->poly_nr[p] - 1;
    int np = g->ring_off[last] + g->ring_n[last] - first;
    size_t nt = (size_t)x->ec.ntri;
    for (int side = 0; side < (floor ? 2 : 1); side++) {
        if (mesh_reserve(m, (size_t)np, 3 * nt))
            return CT_ENOMEM;
        float nrm[3] = {0.0f, side ? -1.0f : 1.0f, 0.0f}, v[3];
        uint32_t base = (uint32_t)m->nv;
        for (int k = 0; k < np; k++) {
            const double *q = g->pt + 2 * (first + k);
            place(x, q[0], q[1], side ? zmin : ztop, v);
            mesh_vertex(m, v, nrm, fid);
        }
        for (size_t t = 0; t < nt; t++) {
            const uint32_t *tri = x->ec.tri + 3 * t;
            uint32_t a = base + tri[0] - (uint32_t)first;
            uint32_t b = base + tri[1] - (uint32_t)first;
            uint32_t c = base + tri[2] - (uint32_t)first;
            if (side)
                mesh_triangle(m, a, c, b);
            else
                mesh_triangle(m, a, b, c);
        }
    }
    return CT_OK;
}

/* Roof (and floor) from CDT triangles given by coordinates. */
static int cdt_caps(extrude_ctx *x, tmesh *m, int ntri, double zmin, double ztop,
                    int floor, uint32_t fid)
{
    for (int side = 0; side < (floor ? 2 : 1); side++) {
        if (mesh_reserve(m, 3 * (size_t)ntri, 3 * (size_t)ntri))
            return CT_ENOMEM;
        float nrm[3] = {0.0f, side ? -1.0f : 1.0f, 0.0f}, v[3];
        for (int t = 0; t < ntri; t++) {
            uint32_t id[3];
            for (int k = 0; k < 3; k++) {
                const double *q = x->cdt_xy + 6 * t + 2 * k;
                place(x, q[0], q[1], side ? zmin : ztop, v);
                id[k] = mesh_vertex(m, v, nrm, fid);
            }
            if (side)
                mesh_triangle(m, id[0], id[2], id[1]);
            else
                mesh_triangle(m, id[0], id[1], id[2]);
        }
    }
    return CT_OK;
}

/* Ear-clip polygon p of g; 1 when the triangles cover exactly its area. */
static int clip_exact(extrude_ctx *x, const fp_geom *g, int p)
{
    int r0 = g->poly_r0[p], nr = g->poly_nr[p];
    int total = 0;
    for (int r = r0; r < r0 + nr; r++)
        total += g->ring_n[r];
    if (total > 1000)
        return 0;  /* clipping is O(n^2) and worse: giants go to GEOS */
    if (earcut_polygon(&x->ec, g->pt, g->ring_off + r0, g->ring_n + r0, nr))
        return 0;
    double want = 0, got = 0;
    for (int r = r0; r < r0 + nr; r++)
        want += fp_ring_area(g, r);
    for (int t = 0; t < x->ec.ntri; t++) {
        const uint32_t *i = x->ec.tri + 3 * t;
        const double *a = g->pt + 2 * i[0], *b = g->pt + 2 * i[1],
                     *c = g->pt + 2 * i[2];
        double s = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
        if (s < 0)
            return 0;  /* a flipped triangle: the rings cross */
        got += 0.5 * s;
    }
    return fabs(got - want) <= 1e-6 * fabs(want) + 1e-6;
}

static int build_polygon(extrude_ctx *x, tmesh *m, const fp_geom *g, int p,
                         double zmin, double ztop, int floor, uint32_t fid)
{
    if (clip_exact(x, g, p)) {
        x->st.tjunctions += x->ec.degenerate;
        int rc = walls(x, m, g, p, zmin, ztop, fid);
        return rc ? rc : caps(x, m, g, p, zmin, ztop, floor, fid);
    }
    return -1;
}

int extrude_footprint(extrude_ctx *x, tmesh *m, const fp_geom *g, double zmin,
                      double ztop, int floor, uint32_t fid)
{
    int built = 0;
    for (int p = 0; p < g->npolys; p++) {
        int rc = build_polygon(x, m, g, p, zmin, ztop, floor, fid);
        if (rc == CT_ENOMEM)
            return rc;
        if (rc == CT_OK) {
            built++;
            x->st.polygons++;
            continue;
        }
        /* Dirty: make it valid, then clip again or triangulate with CDT. */
        x->st.repaired++;
        int nq = repair_make_valid(x->geos, g, p, &x->fix, x->tol);
        if (nq < 0)
            return nq;
        int any = 0;
        for (int q = 0; q < nq; q++) {
            rc = build_polygon(x, m, &x->fix, q, zmin, ztop, floor, fid);
            if (rc == CT_ENOMEM)
                return rc;
            if (rc) {
                int ntri = 0;
                rc = repair_triangulate(x->geos, &x->fix, q, &x->cdt_xy, &ntri,
                                        &x->cdt_cap);
                if (rc == CT_ENOMEM)
                    return rc;
                if (rc || ntri == 0)
                    continue;
                x->st.cdt++;
                if (walls(x, m, &x->fix, q, zmin, ztop, fid) ||
                    cdt_caps(x, m, ntri, zmin, ztop, floor, fid))
                    return CT_ENOMEM;
            }
            any = 1;
            x->st.polygons++;
        }
        if (any)
            built++;
        else
            x->st.lost++;
    }
    return built;
}
