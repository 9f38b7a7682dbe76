/* spatial/graph_search.c: shortest paths on the road graph (see graph.h):
 * A* to one target, bounded multi-source Dijkstra for nearest-by-time and
 * isochrones. One binary heap with lazy deletion; every search settles each
 * node at most once, so it ends after at most nn pops whatever the input. */
#include "spatial/graph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "spatial/nearest.h"

typedef struct hitem {
    double key;
    int v;
} hitem;

typedef struct heap {
    hitem *a;
    int n, cap;
} heap;

/* Ties by node index, so equal-cost answers are the same every run. */
static int less(const hitem *x, const hitem *y)
{
    return x->key < y->key || (x->key == y->key && x->v < y->v);
}

static int heap_push(heap *h, double key, int v)
{
    if (h->n == h->cap) {
        int c = h->cap ? h->cap * 2 : 256;
        hitem *a = realloc(h->a, (size_t)c * sizeof *a);
        if (!a)
            return CT_ENOMEM;
        h->a = a, h->cap = c;
    }
    int i = h->n++;
    h->a[i] = (hitem){key, v};
    while (i > 0) {
        int p = (i - 1) / 2;
        if (!less(&h->a[i], &h->a[p]))
            break;
        hitem t = h->a[i];
        h->a[i] = h->a[p], h->a[p] = t;
        i = p;
    }
    return CT_OK;
}

static hitem heap_pop(heap *h)
{
    hitem top = h->a[0];
    h->a[0] = h->a[--h->n];
    for (int i = 0;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && less(&h->a[l], &h->a[m]))
            m = l;
        if (r < h->n && less(&h->a[r], &h->a[m]))
            m = r;
        if (m == i)
            break;
        hitem t = h->a[i];
        h->a[i] = h->a[m], h->a[m] = t;
        i = m;
    }
    return top;
}

void rgraph_path_free(rgraph_path *p)
{
    free(p->arcs);
    memset(p, 0, sizeof *p);
}

static int path_fill(const rgraph *g, const double *sec, rgraph_path *p)
{
    p->length_m = p->eta_s = 0;
    for (int i = 0; i < p->n; i++) {
        p->length_m += g->seg_len[g->arc_seg[p->arcs[i]]];
        p->eta_s += sec[g->arc_seg[p->arcs[i]]];
    }
    return CT_OK;
}

int rgraph_path_from(const rgraph *g, const double *sec, const int *via,
                     int reverse, int v, rgraph_path *out, ct_err *err)
{
    memset(out, 0, sizeof *out);
    int n = 0;
    for (int u = v; via[u] >= 0 && n <= g->nn; n++)
        u = reverse ? g->arc_head[via[u]] : g->arc_tail[via[u]];
    if (n > g->nn)
        return ct_fail(err, CT_EINVAL, "route: the search tree has a cycle");
    out->arcs = malloc(((size_t)n + 1) * sizeof *out->arcs);
    if (!out->arcs)
        return ct_fail(err, CT_ENOMEM, "route: out of memory");
    out->n = n;
    int u = v;
    for (int i = 0; i < n; i++) {
        int a = via[u];
        /* forward: walking back from v, so fill from the end */
        out->arcs[reverse ? i : n - 1 - i] = a;
        u = reverse ? g->arc_head[a] : g->arc_tail[a];
    }
    return path_fill(g, sec, out);
}

/* A* from several sources (each starting at src_d seconds) to a point
 * reached from several nodes (tgt, with tgt_d seconds still to go), lon/lat
 * tlon/tlat; *best comes in as the best time known without the graph
 * (INFINITY: none) and goes out improved, with *best_t the target used (-1:
 * none better). The straight line at the top speed never overestimates
 * (0.99 covers haversine on the sphere against the stored ellipsoid
 * lengths), so the search stops once the nearest open node's bound
 * cannot beat *best. Every node is settled at most once. *via (malloc'd,
 * the caller frees) is the search tree. */
static int astar(const rgraph *g, const double *sec, double vmax_kmh,
                 const int *src, const double *src_d, int ns, const int *tgt,
                 const double *tgt_d, int nt, double tlon, double tlat,
                 double *best, int *best_t, int **via_out)
{
    double *dist = malloc(((size_t)g->nn + 1) * sizeof *dist);
    int *via = malloc(((size_t)g->nn + 1) * sizeof *via);
    unsigned char *done = calloc((size_t)g->nn + 1, 1);
    heap h = {0};
    int rc = !dist || !via || !done ? CT_ENOMEM : CT_OK;
    double inv_v = vmax_kmh > 0 ? 0.99 / (vmax_kmh / 3.6) : 0;
    *best_t = -1;
    for (int i = 0; !rc && i < g->nn; i++)
        dist[i] = INFINITY, via[i] = -1;
    for (int i = 0; !rc && i < ns; i++)
        if (src_d[i] < dist[src[i]]) {
            dist[src[i]] = src_d[i];
            rc = heap_push(&h, src_d[i], src[i]);
        }
    while (!rc && h.n > 0) {
        hitem it = heap_pop(&h);
        int u = it.v;
        if (done[u])
            continue;
        if (it.key >= *best)
            break;   /* nothing left can arrive sooner */
        done[u] = 1;
        for (int i = 0; i < nt; i++)
            if (tgt[i] == u && dist[u] + tgt_d[i] < *best)
                *best = dist[u] + tgt_d[i], *best_t = i;
        for (int i = g->out_off[u]; i < g->out_off[u + 1] && !rc; i++) {
            int a = g->out_arc[i], w = g->arc_head[a];
            double d = dist[u] + sec[g->arc_seg[a]];
            if (done[w] || d >= dist[w])
                continue;
            dist[w] = d, via[w] = a;
            double hh = inv_v > 0 ? nearest_haversine(g->lon[w], g->lat[w], tlon,
                                                      tlat) * inv_v : 0;
            rc = heap_push(&h, d + hh, w);
        }
    }
    free(dist), free(done), free(h.a);
    if (rc) {
        free(via);
        via = NULL;
    }
    *via_out = via;
    return rc;
}

int rgraph_route(const rgraph *g, const double *sec, double vmax_kmh, int src,
                 int dst, rgraph_path *out, ct_err *err)
{
    memset(out, 0, sizeof *out);
    if (src < 0 || src >= g->nn || dst < 0 || dst >= g->nn)
        return ct_fail(err, CT_EINVAL, "route: node %d or %d is not in the graph",
                       src, dst);
    double zero = 0, best = INFINITY;
    int bt, *via = NULL;
    int rc = astar(g, sec, vmax_kmh, &src, &zero, 1, &dst, &zero, 1, g->lon[dst],
                   g->lat[dst], &best, &bt, &via);
    if (rc)
        ct_fail(err, rc, "route: out of memory");
    else if (bt < 0)
        rc = ct_fail(err, CT_ENOTFOUND, "no road path leads from the start to "
                     "the destination (one-way streets or a separate network)");
    else
        rc = rgraph_path_from(g, sec, via, 0, dst, out, err);
    free(via);
    return rc;
}

int rgraph_route_pos(const rgraph *g, const double *sec, double vmax_kmh,
                     const rgraph_pos *a, const rgraph_pos *b, rgraph_path *out,
                     ct_err *err)
{
    memset(out, 0, sizeof *out);
    if (a->seg < 0 || a->seg >= g->ns || b->seg < 0 || b->seg >= g->ns)
        return ct_fail(err, CT_EINVAL, "route: a point is not on the graph");
    int sn[2], tn[2];
    double sc[2], tc[2];
    rgraph_piece sp[2], tp[2], direct;
    int ns = rgraph_pos_ends(g, sec, a, 1, sn, sc, sp);
    int nt = rgraph_pos_ends(g, sec, b, 0, tn, tc, tp);
    int is_direct = rgraph_pos_direct(g, a, b, &direct);
    double best = is_direct ? rgraph_piece_seconds(g, sec, &direct) : INFINITY;
    int bt, *via = NULL;
    int rc = astar(g, sec, vmax_kmh, sn, sc, ns, tn, tc, nt, b->lon, b->lat, &best,
                   &bt, &via);
    if (rc) {
        ct_fail(err, rc, "route: out of memory");
    } else if (bt >= 0) {
        rc = rgraph_path_from(g, sec, via, 0, tn[bt], out, err);
        int first = out->n ? g->arc_tail[out->arcs[0]] : tn[bt];
        for (int i = 0; !rc && i < ns; i++)   /* the source the tree grew from */
            if (sn[i] == first) {
                rgraph_path_add_piece(g, sec, out, 0, &sp[i]);
                break;
            }
        if (!rc)
            rgraph_path_add_piece(g, sec, out, 1, &tp[bt]);
    } else if (is_direct) {
        rgraph_path_add_piece(g, sec, out, 0, &direct);
    } else {
        rc = ct_fail(err, CT_ENOTFOUND, "no road path leads from the start to "
                     "the destination (one-way streets or a separate network)");
    }
    free(via);
    return rc;
}

int rgraph_route_best(const rgraph *g, const double *sec, double vmax,
                      const rgraph_pos *a, int na, const rgraph_pos *b, int nb,
                      rgraph_path *out, int *ia, int *ib, ct_err *err)
{
    int rc = CT_ENOTFOUND, first = 1;
    memset(out, 0, sizeof *out);
    *ia = *ib = 0;
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++) {
            rgraph_path q;
            ct_err e;
            ct_err_clear(&e);
            int r = rgraph_route_pos(g, sec, vmax, &a[i], &b[j], &q, &e);
            if (first && r && err)
                *err = e;
            if (first && r)
                rc = r;
            first = 0;
            if (r)
                continue;
            if (rc == CT_OK && q.eta_s >= out->eta_s) {
                rgraph_path_free(&q);
                continue;
            }
            if (rc == CT_OK)
                rgraph_path_free(out);
            *out = q, *ia = i, *ib = j, rc = CT_OK;
        }
    return rc;
}

int rgraph_sssp(const rgraph *g, const double *sec, const int *srcs,
                const double *src_dist, int nsrc, int reverse, double limit_s, const unsigned char *is_target,
                int stop_after, double *dist, int *via, int *root)
{
    unsigned char *done = calloc((size_t)g->nn + 1, 1);
    heap h = {0};
    int rc = done ? CT_OK : CT_ENOMEM, settled = 0, targets = 0;
    for (int i = 0; i < g->nn; i++) {
        dist[i] = INFINITY;
        if (via)
            via[i] = -1;
        if (root)
            root[i] = -1;
    }
    for (int i = 0; i < nsrc && !rc; i++) {
        int s = srcs[i];
        double d0 = src_dist ? src_dist[i] : 0;
        if (s < 0 || s >= g->nn || !(d0 < dist[s]))
            continue;   /* unknown, or a second source on the node, no better */
        dist[s] = d0;
        if (root)
            root[s] = i;
        rc = heap_push(&h, d0, s);   /* (a stale entry, if any, is skipped) */
    }
    const int *off = reverse ? g->in_off : g->out_off;
    const int *arcs = reverse ? g->in_arc : g->out_arc;
    const int *next = reverse ? g->arc_tail : g->arc_head;
    while (!rc && h.n > 0) {
        hitem it = heap_pop(&h);
        int u = it.v;
        if (done[u])
            continue;
        done[u] = 1;
        settled++;
        if (is_target && is_target[u] && stop_after > 0 && ++targets >= stop_after)
            break;
        for (int i = off[u]; i < off[u + 1] && !rc; i++) {
            int a = arcs[i], w = next[a];
            double d = dist[u] + sec[g->arc_seg[a]];
            if (done[w] || d >= dist[w] || (limit_s > 0 && d > limit_s))
                continue;
            dist[w] = d;
            if (via)
                via[w] = a;
            if (root)
                root[w] = root[u];
            rc = heap_push(&h, d, w);
        }
    }
    free(done), free(h.a);
    return rc ? rc : settled;
}
