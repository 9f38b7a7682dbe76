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

int rgraph_route(const rgraph *g, const double *sec, double vmax_kmh, int src,
                 int dst, rgraph_path *out, ct_err *err)
{
    memset(out, 0, sizeof *out);
    if (src < 0 || src >= g->nn || dst < 0 || dst >= g->nn)
        return ct_fail(err, CT_EINVAL, "route: node %d or %d is not in the graph",
                       src, dst);
    double *dist = malloc((size_t)g->nn * sizeof *dist);
    int *via = malloc((size_t)g->nn * sizeof *via);
    unsigned char *done = calloc((size_t)g->nn, 1);
    heap h = {0};
    int rc = !dist || !via || !done ? CT_ENOMEM : CT_OK;
    /* Straight line at the top speed never overestimates; 0.99 covers
     * haversine (sphere) against the stored geodesic lengths (ellipsoid). */
    double inv_v = vmax_kmh > 0 ? 0.99 / (vmax_kmh / 3.6) : 0;
    double tlon = g->lon[dst], tlat = g->lat[dst];
    if (!rc) {
        for (int i = 0; i < g->nn; i++)
            dist[i] = INFINITY, via[i] = -1;
        dist[src] = 0;
        rc = heap_push(&h, 0, src);
    }
    int found = 0;
    while (!rc && h.n > 0) {
        hitem it = heap_pop(&h);
        int u = it.v;
        if (done[u])
            continue;
        done[u] = 1;
        if (u == dst) {
            found = 1;
            break;
        }
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
    if (rc)
        ct_fail(err, rc, "route: out of memory");
    else if (!found)
        rc = ct_fail(err, CT_ENOTFOUND, "no road path leads from the start to "
                     "the destination (one-way streets or a separate network)");
    else
        rc = rgraph_path_from(g, sec, via, 0, dst, out, err);
    free(dist), free(via), free(done), free(h.a);
    return rc;
}

int rgraph_sssp(const rgraph *g, const double *sec, const int *srcs, int nsrc,
                int reverse, double limit_s, const unsigned char *is_target,
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
        if (s < 0 || s >= g->nn || dist[s] == 0)
            continue;   /* unknown, or a second source on the same node */
        dist[s] = 0;
        if (root)
            root[s] = i;
        rc = heap_push(&h, 0, s);
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
