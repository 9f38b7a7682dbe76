/* tiles/earcut.c: ear clipping with hole bridging (see earcut.h). Nodes
 * form circular doubly linked lists in one array, so a polygon costs no
 * allocation once the context has grown. */
#include "tiles/earcut.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void earcut_init(earcut_ctx *c)
{
    memset(c, 0, sizeof *c);
}

void earcut_free(earcut_ctx *c)
{
    free(c->nodes);
    free(c->holes);
    free(c->tri);
    earcut_init(c);
}

static int reserve(void **p, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return 0;
    int nc = *cap ? *cap : 64;
    while (nc < need)
        nc *= 2;
    void *q = realloc(*p, (size_t)nc * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = nc;
    return 0;
}

#define N(k) (c->nodes[(k)])

static double area(const ec_node *a, const ec_node *b, const ec_node *p)
{
    return (b->x - a->x) * (p->y - a->y) - (b->y - a->y) * (p->x - a->x);
}

static int same_pos(const ec_node *a, const ec_node *b)
{
    return a->x == b->x && a->y == b->y;
}

static int in_triangle(const ec_node *a, const ec_node *b, const ec_node *d,
                       const ec_node *p)
{
    double s1 = area(a, b, p), s2 = area(b, d, p), s3 = area(d, a, p);
    return (s1 >= 0 && s2 >= 0 && s3 >= 0) || (s1 <= 0 && s2 <= 0 && s3 <= 0);
}

static void unlink_node(earcut_ctx *c, int k)
{
    N(N(k).prev).next = N(k).next;
    N(N(k).next).prev = N(k).prev;
}

static int link_ring(earcut_ctx *c, const double *pt, int off, int n)
{
    int first = c->nn;
    for (int k = 0; k < n; k++) {
        ec_node *e = &N(c->nn);
        e->x = pt[2 * (off + k)];
        e->y = pt[2 * (off + k) + 1];
        e->i = off + k;
        e->prev = k ? c->nn - 1 : first + n - 1;
        e->next = k < n - 1 ? c->nn + 1 : first;
        c->nn++;
    }
    return first;
}

/* Is the diagonal a-b inside the polygon near a? */
static int locally_inside(earcut_ctx *c, int a, int b)
{
    const ec_node *A = &N(a), *P = &N(A->prev), *X = &N(A->next), *B = &N(b);
    if (area(P, A, X) >= 0)  /* convex at a */
        return area(A, X, B) >= 0 && area(A, P, B) <= 0;
    return area(A, X, B) >= 0 || area(A, P, B) <= 0;
}

/* An outer vertex that the hole's leftmost point h can be joined to. */
static int find_bridge(earcut_ctx *c, int h, int start)
{
    const ec_node *H = &N(h);
    double qx = -INFINITY;
    int m = -1, p = start;
    do {
        const ec_node *P = &N(p), *Q = &N(P->next);
        if (((P->y <= H->y && Q->y >= H->y) || (P->y >= H->y && Q->y <= H->y)) &&
            Q->y != P->y) {
            double x = P->x + (H->y - P->y) * (Q->x - P->x) / (Q->y - P->y);
            if (x <= H->x && x > qx) {
                qx = x;
                m = P->x < Q->x ? p : P->next;
                if (x == H->x)
                    return H->y == P->y ? p : H->y == Q->y ? P->next : m;
            }
        }
        p = P->next;
    } while (p != start);
    if (m < 0)
        return -1;
    /* A vertex inside the triangle (h, ray hit, m) would block the view:
     * take the one seen at the smallest angle from the ray instead. */
    ec_node hit = {qx, H->y, -1, 0, 0};
    int stop = m;
    double mx = N(m).x, tmin = INFINITY;
    p = m;
    do {
        const ec_node *P = &N(p);
        if (H->x >= P->x && P->x >= mx && H->x != P->x &&
            in_triangle(H, &hit, &N(stop), P)) {
            double t = fabs(H->y - P->y) / (H->x - P->x);
            if (locally_inside(c, p, h) &&
                (t < tmin || (t == tmin && P->x > N(m).x))) {
                m = p;
                tmin = t;
            }
        }
        p = P->next;
    } while (p != stop);
    return m;
}

/* Join hole node b to outer node a with two coincident edges. */
static void split(earcut_ctx *c, int a, int b)
{
    int a2 = c->nn++, b2 = c->nn++;
    N(a2) = N(a);
    N(b2) = N(b);
    int an = N(a).next, bp = N(b).prev;
    N(a).next = b;
    N(b).prev = a;
    N(a2).next = an;
    N(an).prev = a2;
    N(b2).next = a2;
    N(a2).prev = b2;
    N(bp).next = b2;
    N(b2).prev = bp;
}

static int cmp_left(const void *x, const void *y, void *ctx)
{
    const earcut_ctx *c = ctx;
    double a = c->nodes[*(const int *)x].x, b = c->nodes[*(const int *)y].x;
    return a < b ? -1 : a > b;
}

static int is_ear(earcut_ctx *c, int b)
{
    const ec_node *A = &N(N(b).prev), *B = &N(b), *D = &N(N(b).next);
    if (area(A, B, D) <= 0)
        return 0;  /* reflex or flat */
    for (int p = D->next; p != B->prev; p = N(p).next) {
        const ec_node *P = &N(p);
        if (same_pos(P, A) || same_pos(P, B) || same_pos(P, D))
            continue;
        if (in_triangle(A, B, D, P))
            return 0;
    }
    return 1;
}

static int emit(earcut_ctx *c, int a, int b, int d)
{
    if (reserve((void **)&c->tri, &c->cap_tri, 3 * (c->ntri + 1), sizeof(uint32_t)))
        return -1;
    c->tri[3 * c->ntri] = (uint32_t)N(a).i;
    c->tri[3 * c->ntri + 1] = (uint32_t)N(b).i;
    c->tri[3 * c->ntri + 2] = (uint32_t)N(d).i;
    c->ntri++;
    return 0;
}

static int clip_ears(earcut_ctx *c, int ear, int left)
{
    int stop = ear, pass = 0;
    while (left > 2) {
        int a = N(ear).prev, d = N(ear).next;
        if (is_ear(c, ear)) {
            if (emit(c, a, ear, d))
                return -1;
            unlink_node(c, ear);
            left--;
            ear = stop = d;
            pass = 0;
            continue;
        }
        ear = d;
        if (ear != stop)
            continue;
        if (pass++)
            return -1;  /* a full turn found nothing: not simple */
        /* Drop coincident and collinear nodes, then try once more. */
        int k = ear, guard = left;
        do {
            int kn = N(k).next;
            if (left > 2 && (same_pos(&N(k), &N(kn)) ||
                             area(&N(N(k).prev), &N(k), &N(kn)) == 0)) {
                unlink_node(c, k);
                left--;
                c->degenerate++;
                if (k == stop)
                    stop = kn;
            }
            k = kn;
        } while (--guard > 0);
        ear = stop;
    }
    return 0;
}

int earcut_polygon(earcut_ctx *c, const double *pt, const int *ring_off,
                   const int *ring_n, int nrings)
{
    int total = 0;
    c->ntri = 0;
    c->nn = 0;
    c->degenerate = 0;
    for (int r = 0; r < nrings; r++)
        total += ring_n[r];
    if (nrings < 1 || ring_n[0] < 3)
        return -1;
    if (reserve((void **)&c->nodes, &c->cap_nodes, total + 2 * nrings,
                sizeof(ec_node)) ||
        reserve((void **)&c->holes, &c->cap_holes, nrings, sizeof(int)))
        return -1;
    int outer = link_ring(c, pt, ring_off[0], ring_n[0]);
    int nh = 0;
    for (int r = 1; r < nrings; r++) {
        if (ring_n[r] < 3)
            continue;
        int first = link_ring(c, pt, ring_off[r], ring_n[r]), left = first;
        for (int k = first; k < first + ring_n[r]; k++)
            if (N(k).x < N(left).x || (N(k).x == N(left).x && N(k).y < N(left).y))
                left = k;
        c->holes[nh++] = left;
    }
    qsort_r(c->holes, (size_t)nh, sizeof(int), cmp_left, c);
    for (int k = 0; k < nh; k++) {
        int bridge = find_bridge(c, c->holes[k], outer);
        if (bridge < 0)
            return -1;
        split(c, bridge, c->holes[k]);
    }
    return clip_ears(c, outer, total + 2 * nh);
}
