/* push/push_fanout.c: the service thread hands published changes to the
 * clients: push_drain() takes the queue and merges each change into the
 * state and its history, then wakes once each subscriber of the topics
 * that changed (per-topic lists, rebuilt when a subscription changes)
 * whose filter passes one of the new changes. Clients read the changes
 * from the history themselves when writable (push_client.c), so a drain
 * costs one pass over the subscribers, not one per change and client.
 * Also the backlog policy: a client past its bound that still reads is
 * coalesced (fresh snapshots instead of the backlog), one that stopped
 * reading is dropped with 4008. */
#include "push/push_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void push_want_write(push_conn *cn)
{
    if (!cn->waiting) {
        cn->waiting = 1;
        lws_callback_on_writable(cn->wsi);
    }
}

/* A client that stopped reading: free what it is owed, close it with the
 * reason when the socket takes it, or kill it if it never does. */
void push_drop_slow(push_conn *cn)
{
    size_t bound = push_client_bound(&cn->c);
    push_client_drop_all(&cn->c);
    push_stat_add(&P.stats.dropped_slow, 1);
    long long idle = (long long)(push_mono_ms() - cn->progress_ms);
    fprintf(stderr, "push: client %s dropped: too slow (no read for %lld ms "
            "with data owed; backlog bound %zu bytes)\n", cn->peer, idle,
            bound);
    push_conn_close(cn, 4008, "too slow: no read for %lld ms", idle);
    lws_set_timeout(cn->wsi, PENDING_TIMEOUT_USER_OK, 30);
}

/* Did the client read anything within stall_ms? Besides our own writes
 * (which lws holds back while it drains a large frame), the bytes the peer
 * acknowledged growing says it is taking data. Asks the kernel only once
 * our own writes are older than stall_ms. */
static int still_reading(push_conn *cn, int64_t now)
{
    if (now - cn->progress_ms <= P.o.stall_ms)
        return 1;
    uint64_t acked = push_sock_acked(lws_get_socket_fd(cn->wsi));
    if (acked != cn->acked) {
        cn->acked = acked;
        cn->progress_ms = now;
    }
    return now - cn->progress_ms <= P.o.stall_ms;
}

/* The backlog policy, run when changes concern a client, on its timer and
 * from the once-a-second sweep.
 * A client that owes data and read nothing for stall_ms is dropped (4008).
 * One past its bound that still reads is only slow: its backlog is
 * replaced by fresh snapshots (the latest value of each entity), which it
 * takes at its pace; past 4x the bound (replies it does not read) it is
 * dropped too. 1 if dropped. */
int push_check_backlog(push_conn *cn, int64_t now)
{
    if (cn->close_code)
        return 0;
    size_t owed = push_client_owed(&cn->c, &P.st);
    if (!owed && !cn->c.snap_due)
        return 0;
    if (cn->waiting && !still_reading(cn, now)) {
        push_drop_slow(cn);
        return 1;
    }
    if (owed <= push_client_bound(&cn->c))
        return 0;
    if (push_client_coalesce(&cn->c, &P.st)) {
        push_stat_add(&P.stats.coalesced, 1);
        push_want_write(cn);
    }
    if (push_client_owed(&cn->c, &P.st) / 4 > push_client_bound(&cn->c)) {
        push_drop_slow(cn);
        return 1;
    }
    return 0;
}

void push_keepalive(push_conn *cn, int64_t now)
{
    int64_t quiet = now - cn->alive_ms, ping_ms = (int64_t)P.o.ping_s * 1000;
    if (cn->close_code)
        return;
    /* silent for twice ping_s, with a ping unanswered for ping_s (a
     * ping that cannot even be written: for three times ping_s) */
    if ((quiet >= 2 * ping_ms && cn->pinged && now - cn->ping_ms >= ping_ms) ||
        quiet >= 3 * ping_ms) {
        /* a peer that answers nothing would not read a close frame
         * either: the connection is dropped (1006 at a live client), at
         * once (an async kill waits for lws's own timer, which under
         * libev may be far off). It frees cn: the sweep kept cn->next. */
        if (!P.o.quiet)
            fprintf(stderr, "push: client %s hung up: silent for %lld ms "
                    "(no message, pong or read)\n", cn->peer,
                    (long long)quiet);
        lws_set_timeout(cn->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
    } else if (quiet >= ping_ms && !cn->pinged && !cn->ping_due) {
        cn->ping_due = 1;
        push_want_write(cn);
    }
}

/* Once a second: a client that has not been writable for stall_ms is
 * looked at even when nothing is published (the check above runs when
 * changes concern it); every client's keep-alive. */
static void sweep(push_timer *t)
{
    for (int t = 0; t < PUSH_NTOPICS; t++)
        if (P.carry[t] != UINT64_MAX) {
            push_drain();
            break;
        }
    int64_t now = push_mono_ms();
    for (push_conn *cn = P.conns, *next; cn; cn = next) {
        next = cn->next;
        if (cn->waiting && now - cn->progress_ms > P.o.stall_ms &&
            push_check_backlog(cn, now))
            continue;
        push_keepalive(cn, now);
    }
    push_timer_in(t, LWS_US_PER_SEC, sweep);
}

void push_sweep_start(void)
{
    push_timer_in(&P.sweep, LWS_US_PER_SEC, sweep);
}

/* Rebuild the per-topic subscriber arrays. 0, or -1 out of memory. */
static int rebuild_subs(void)
{
    memset(P.nsubs, 0, sizeof P.nsubs);
    for (push_conn *cn = P.conns; cn; cn = cn->next)
        for (int t = 0; t < PUSH_NTOPICS; t++) {
            if (!(cn->c.topics & (1u << t)))
                continue;
            if (P.nsubs[t] == P.capsubs[t]) {
                size_t cap = P.capsubs[t] ? P.capsubs[t] * 2 : 64;
                push_conn **a = realloc(P.subs[t], cap * sizeof *a);
                if (!a)
                    return -1;
                P.subs[t] = a;
                P.capsubs[t] = cap;
            }
            P.subs[t][P.nsubs[t]++] = cn;
        }
    P.subs_dirty = 0;
    return 0;
}

/* Changes of topic t numbered seq on were just published: wake cn if they
 * concern it (once per pass), after the backlog check. A client waiting
 * for its writable event or held in its slot (push_pace.c) takes them
 * then: it is only looked at for the backlog policy, at most every 100 ms
 * (with thousands of busy clients, every pass used to check each). */
static void wake(push_conn *cn, int t, uint64_t seq, int64_t now)
{
    if (cn->close_code || cn->woken == P.drains)
        return;
    if (cn->waiting || cn->paced) {      /* its slot's time will come */
        if (now - cn->checked_ms >= 100) {
            cn->checked_ms = now;
            push_check_backlog(cn, now);
        }
        return;
    }
    if (!push_client_concerned(&cn->c, &P.st, t, seq))
        return;
    cn->woken = P.drains;
    P.woke++;
    cn->progress_ms = now;       /* it had sent all it owed: not stalled */
    if (push_check_backlog(cn, now))
        return;
    push_write_now(cn);
}

/* Move the queued changes into the state and its history. */
static void take_in(void)
{
    pthread_mutex_lock(&P.qmu);
    push_qitem *q = P.q;
    size_t n = P.qn;
    P.q = P.q2;
    P.qcap ^= P.qcap2;          /* swap the two buffers' capacities */
    P.qcap2 ^= P.qcap;
    P.qcap ^= P.qcap2;
    P.q2 = q;
    P.qn = 0;
    __atomic_store_n(&P.queued, 0, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&P.qmu);
    for (size_t i = 0; i < n; i++) {
        push_state_apply(&P.st, q[i].topic, q[i].entity, q[i].fields);
        free(q[i].entity);
    }
}

int push_take_in(void)
{
    if (!__atomic_load_n(&P.queued, __ATOMIC_ACQUIRE))
        return 0;
    for (int t = 0; t < PUSH_NTOPICS; t++)
        if (P.st.tr[t].next < P.carry[t])
            P.carry[t] = P.st.tr[t].next;
    take_in();
    return 1;
}

/* Wake the subscribers of topic t for its changes numbered from first on.
 * Every 64 clients, changes published meanwhile are taken in: the clients
 * after that point send them in this pass; *mid gets where they start
 * (for the next pass, which wakes the clients before that point). */
static void pass_topic(int t, uint64_t first, int64_t now,
                       uint64_t mid[PUSH_NTOPICS])
{
    size_t k = 0;
    for (push_conn *cn = P.conns;; k++) {
        push_conn *c;
        if (!P.subs_dirty) {             /* the list (rebuilt per pass) */
            if (k >= P.nsubs[t])
                break;
            c = P.subs[t][k];
        } else {                         /* no list (out of memory) */
            if (!cn)
                break;
            c = cn;
            cn = cn->next;
        }
        if (c->c.topics & (1u << t))
            wake(c, t, first, now);
        if ((k & 63) == 63 && __atomic_load_n(&P.queued, __ATOMIC_ACQUIRE)) {
            for (int u = 0; u < PUSH_NTOPICS; u++)
                if (mid[u] == UINT64_MAX)
                    mid[u] = P.st.tr[u].next;
            take_in();
        }
    }
}

/* Take the queued changes into the state, then wake the clients they
 * concern, writing to them at once where possible: a pass over the
 * subscribers. Changes published during a pass are taken in as it goes,
 * so a change waits about one pass, not two; at most 4 passes in a row,
 * then lws gets the thread. */
void push_drain(void)
{
    if (P.in_drain)
        return;
    int64_t now = push_mono_ms();
    P.in_drain = 1;
    uint64_t woke = P.woke;
    uint64_t first[PUSH_NTOPICS], mid[PUSH_NTOPICS];
    for (int t = 0; t < PUSH_NTOPICS; t++) {
        first[t] = P.st.tr[t].next;
        if (P.carry[t] < first[t])     /* left over from the last drain */
            first[t] = P.carry[t];
        P.carry[t] = UINT64_MAX;
    }
    take_in();
    for (int pass = 0; pass < 4; pass++) {
        P.drains++;
        if (P.subs_dirty && rebuild_subs())
            fprintf(stderr, "push: out of memory for the subscriber lists\n");
        for (int t = 0; t < PUSH_NTOPICS; t++)
            mid[t] = UINT64_MAX;
        for (int t = 0; t < PUSH_NTOPICS; t++)
            if (P.st.tr[t].next != first[t])
                pass_topic(t, first[t], now, mid);
        int more = 0;
        for (int t = 0; t < PUSH_NTOPICS; t++)
            more |= mid[t] != UINT64_MAX;
        if (!more)
            break;
        for (int t = 0; t < PUSH_NTOPICS; t++)
            first[t] = mid[t];
        now = push_mono_ms();
        if (pass == 3) {
            /* The clients before the take-in point of this last pass still
             * owe those changes: the next drain starts from there (the
             * next publish, or the sweep within a second). */
            memcpy(P.carry, first, sizeof P.carry);
        }
    }
    P.in_drain = 0;
    /* Clients are active: the next pass (push_pace.c) takes the next
     * changes in, and publishers need not wake the thread meanwhile. */
    if (P.woke != woke)
        push_pace_pass(now);
    __atomic_store_n(&P.offset, P.st.offset, __ATOMIC_RELEASE);
    if (P.stopping)
        for (push_conn *cn = P.conns; cn; cn = cn->next)
            push_conn_close(cn, 1001, "server stopping");
}
