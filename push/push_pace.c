/* push/push_pace.c: when a client's next delta frame may go out. A client
 * that had a frame less than an interval ago waits in a slot of a timing
 * wheel (one slot per ms) until its own time; after each frame it takes
 * the slot one interval on, so a busy client gets a frame every interval.
 * The interval is --ws-batch-ms, or as long as the writes to all paced
 * clients take (their number times the measured cost of one) times
 * PACE_SLACK when that is longer, up to max_interval().
 * The timer comes on a grid: k groups per interval, k such that a group's
 * writes take about SLOT_BURST_MS. Few clients are one group (one wake-up
 * and one frame build per interval, as rounds were); 5,000 are spread over
 * the interval, so no one waits behind a burst of 5,000 writes (rounds of
 * every held client added the round's 10-20 ms to every wait).
 * A slot's clients take in what was published meanwhile without a pass
 * over every subscriber; that pass (for the clients not held) comes once
 * an interval while clients are active, on the same timer, and publishers
 * do not wake the thread before it. Service thread only. */
#include "push/push_server.h"

#include <stdlib.h>

#define SLOT_BURST_MS 4.0      /* a group's writes, about, when spread */
/* The interval over the time the writes to every paced client take, so
 * the thread writes ~87% of the time and ingest, the pass and a late timer
 * have the rest. N=5000, R=100 p99: 44-45 ms at 1.15 (80% CPU), 45-57 at
 * 1.3 (72%); 1.0 was dropped when R=1000 backed up, but that was with the
 * bench generator as the bottleneck; 1.05 after its fix gave no better
 * p99 (66 and 54 against 51 and 54 ms). */
#define PACE_SLACK 1.15

/* The grid time of the slots being written (0: none): their clients are
 * due again on the grid one interval on, however late the timer came or
 * long the writes took, so the group stays one. */
static int64_t slot_now;
static int releasing;          /* writing the clients taken from slots */

/* The longest interval (before rounding to the grid): the wheel has a
 * slot for each ms of two. */
static int64_t max_interval(void)
{
    return P.o.batch_ms * 40 > 1000 ? P.o.batch_ms * 40 : 1000;
}

int push_pace_init(void)
{
    if (P.o.batch_ms <= 0)
        return 0;
    P.nwheel = (size_t)max_interval() * 2 + 2;   /* interval + grid */
    P.grid = P.interval = P.o.batch_ms;
    P.group_max = (size_t)-1;
    P.wheel = calloc(P.nwheel, sizeof *P.wheel);
    P.wheel_done = push_mono_ms();
    return P.wheel ? 0 : -1;
}

void push_pace_free(void)
{
    for (size_t i = 0; i < P.nwheel; i++)
        free(P.wheel[i].a);
    free(P.wheel);
    free(P.due);
}

void push_pace_cancel(void)
{
    push_timer_cancel(&P.pace);
}

/* Set the interval and the grid from the clients paced and the cost of a
 * write: the interval is k grid steps, k groups of ~SLOT_BURST_MS. */
static void set_grid(void)
{
    double all = (double)P.npaced * P.send_us / 1000.0;   /* ms */
    /* The same share at every size ("the writes plus the batch time"
     * for long intervals gave N=5000, R=1000 p99 370-660 ms against
     * 80-83). */
    int64_t iv = (int64_t)(all * PACE_SLACK);
    if (iv < P.o.batch_ms)
        iv = P.o.batch_ms;
    if (iv > max_interval())
        iv = max_interval();
    int64_t k = (int64_t)(all / SLOT_BURST_MS);
    k = k < 1 ? 1 : k > iv ? iv : k;
    P.grid = (iv + k - 1) / k;
    P.interval = k * P.grid;
    P.group_max = (size_t)((double)P.npaced / (double)k * 1.1) + 1;
}

/* t rounded up to the grid. */
static int64_t grid_up(int64_t t)
{
    return (t + P.grid - 1) / P.grid * P.grid;
}

void push_pace_leave(push_conn *cn)
{
    if (!cn->paced)
        return;
    P.wheel[cn->pace_slot].a[cn->pace_idx] = NULL;
    P.wheel[cn->pace_slot].live--;
    cn->paced = 0;
    P.npaced--;
}

static void pace_due(push_timer *t);

static void arm_pace(int64_t at, int64_t now)
{
    at = grid_up(at);
    P.pace_at = at;
    push_timer_in(&P.pace, (at > now ? at - now : 0) * 1000, pace_due);
}

/* Put cn in the slot of ms due; -1 when out of memory. */
static int hold(push_conn *cn, int64_t due, int64_t now)
{
    size_t s = (size_t)(due % (int64_t)P.nwheel);
    push_slot *sl = &P.wheel[s];
    if (sl->n == sl->cap) {
        size_t cap = sl->cap ? sl->cap * 2 : 16;
        push_conn **a = realloc(sl->a, cap * sizeof *a);
        if (!a)
            return -1;
        sl->a = a;
        sl->cap = cap;
    }
    cn->paced = 1;
    cn->pace_at = due;
    cn->pace_slot = s;
    cn->pace_idx = sl->n;
    sl->a[sl->n++] = cn;
    sl->live++;
    P.npaced++;
    if (!P.pace_at || due < P.pace_at)
        arm_pace(due, now);
    return 0;
}

int push_pace_hold(push_conn *cn, int64_t now)
{
    /* taken from its slot: due, even if its last frame went out a ms late
     * (that would hold it a whole grid step more) */
    if (!P.wheel || releasing)
        return 0;
    if (cn->paced) {
        if (now < cn->pace_at)
            return 1;
        push_pace_leave(cn);     /* due: written now, slotted again */
        return 0;
    }
    int64_t due = cn->delta_ms + P.interval;
    return due > now && hold(cn, due, now) == 0;
}

/* A group past its share of the clients sends the rest to the next grid
 * time with room (later once): so the groups even out, also when all
 * clients came at once. */
int push_pace_wrote(push_conn *cn, int64_t now)
{
    if (!P.wheel || cn->waiting)
        return 0;
    if (cn->paced)
        return 1;
    int64_t due = (slot_now ? slot_now : grid_up(now)) + P.interval;
    int64_t nw = (int64_t)P.nwheel;
    if (due <= now)              /* behind by an interval: next step */
        due = grid_up(now + 1);
    for (int64_t j = 1; j < P.interval / P.grid &&
         P.wheel[due % nw].live >= P.group_max; j++)
        due += P.grid;
    return hold(cn, due, now) == 0;
}

/* Take the clients whose time came out of their slots (into *out). When
 * the earliest one's grid step came less than a step late, only its
 * slots: slots set on an older grid (the grid follows the interval) would
 * otherwise join it, and a group grown past a step's burst makes the next
 * step late and join too (groups of 2,500 were seen at N=5000). Further
 * behind, all that is due goes at once: those clients are slotted from
 * now, so a thread that cannot keep up sends fewer frames. */
static size_t take_due(int64_t now, push_conn ***out, size_t *cap)
{
    size_t n = 0;
    int64_t from = P.wheel_done + 1, to = now, step = 0;
    if (now - from >= (int64_t)P.nwheel)
        from = now - (int64_t)P.nwheel + 1;
    for (int64_t ms = from; ms <= to; ms++) {
        push_slot *sl = &P.wheel[ms % (int64_t)P.nwheel];
        size_t keep = 0;
        for (size_t i = 0; i < sl->n; i++) {
            push_conn *cn = sl->a[i];
            if (!cn)
                continue;
            if (cn->pace_at > now) {     /* a later turn of the wheel */
                cn->pace_idx = keep;
                sl->a[keep++] = cn;
                continue;
            }
            if (n == *cap) {
                size_t c = *cap ? *cap * 2 : 64;
                push_conn **a = realloc(*out, c * sizeof *a);
                if (!a) {                /* the rest on the next turn */
                    cn->pace_idx = keep;
                    sl->a[keep++] = cn;
                    continue;
                }
                *out = a;
                *cap = c;
            }
            cn->paced = 0;
            P.npaced--;
            (*out)[n++] = cn;
            if (!step) {
                step = grid_up(ms);
                if (step < to && now - step < P.grid)
                    to = step;
            }
        }
        sl->n = sl->live = keep;
    }
    P.wheel_done = to;
    return n;
}

/* Arm the pace timer for the next slot with clients or the pass, if any. */
static void arm_next(int64_t now)
{
    int64_t at = P.pass_at;
    /* from the first slot not taken: steps still due come at once */
    for (int64_t ms = P.wheel_done + 1;
         P.npaced && ms < now + (int64_t)P.nwheel && (!at || ms < at); ms++)
        if (P.wheel[ms % (int64_t)P.nwheel].live) {
            at = ms;
            break;
        }
    P.pace_at = 0;
    if (at)
        arm_pace(at, now);
}

void push_pace_pass(int64_t now)
{
    if (!P.wheel || P.pass_at)
        return;
    /* an interval on from the grid step, not from now: a timer that came
     * a ms late made grid_up(now + interval) skip a step, and the clients
     * only the pass writes (permessage-deflate) got a frame every second
     * interval a quarter of the time */
    P.pass_at = now / P.grid * P.grid + P.interval;
    if (!P.pace_at || P.pass_at < P.pace_at)
        arm_pace(P.pass_at, now);
    __atomic_store_n(&P.quiet_until, P.pass_at, __ATOMIC_RELEASE);
}

/* n bytes from p into the cache. pace_due() fetches a client's memory a
 * few clients ahead of its write: a step writes to thousands, each gone
 * cold since its last frame (N=5000, R=100, two rounds of 3 alternating
 * pairs: ~3% less CPU per frame, p99 1-4 ms lower). */
static void prefetch(const void *p, size_t n)
{
    for (size_t o = 0; o < n; o += 64)
        __builtin_prefetch((const char *)p + o);
}

/* The pace timer: clients' time came, or the pass's.
 * The pass (an interval after the last) wakes the clients not held for
 * what was published since; it shares the timer so that with one group of
 * clients both come at one wake-up. Otherwise what was published is only
 * taken in (the next pass wakes the others for it). Then each client due
 * gets its frame and its next slot. Passes go on while clients are active,
 * and publishers do not wake the thread before the next. */
static void pace_due(push_timer *t)
{
    (void)t;
    int64_t now = push_mono_ms();
    P.pace_at = 0;
    set_grid();
    uint64_t woke = P.woke;
    int took = 0;
    slot_now = now / P.grid * P.grid;
    if (P.pass_at && now >= P.pass_at) {
        P.pass_at = 0;
        __atomic_store_n(&P.quiet_until, 0, __ATOMIC_RELEASE);
        push_drain();
    } else {
        took = push_take_in();
    }
    size_t n = take_due(now, &P.due, &P.capdue);
    int64_t t0 = push_mono_us();
    size_t wrote = 0;
    releasing = 1;
    for (size_t i = 0; i < n; i++) {
        push_conn *cn = P.due[i];
        if (i + 4 < n)
            prefetch(P.due[i + 4], sizeof *cn);
        if (i + 2 < n)
            prefetch(P.due[i + 2]->wsi, 512);   /* lws's: opaque, its start */
        if (cn->waiting || cn->close_code ||
            !push_client_ready_at(&cn->c, &P.st, now))
            continue;            /* lws drives it, or idle until woken */
        push_write_now(cn);
        wrote++;
    }
    releasing = 0;
    slot_now = 0;
    if (wrote >= 4) {            /* too few to time (the clock's cost) */
        double us = (double)(push_mono_us() - t0) / (double)wrote;
        P.send_us = P.send_us ? P.send_us * 0.9 + us * 0.1 : us;
    }
    if (took || wrote || P.woke != woke || P.npaced)
        push_pace_pass(now);
    arm_next(push_mono_ms());
}
