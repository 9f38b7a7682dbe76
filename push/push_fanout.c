/* push/push_fanout.c: the service thread hands published changes to the
 * clients: push_drain() takes the queue, merges each change into the state
 * and offers it to the subscribers of its topic only (per-topic lists,
 * rebuilt when a subscription changes), then asks lws for one writable
 * event per client that has something new. Also the backlog policy: a
 * client past its bound that still reads is kept (coalesced), one that
 * stopped reading is dropped with 4008. */
#include "push/push_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A client whose backlog passed the bound: free it now, close it with the
 * reason when the socket takes it, or kill it if it never does. */
void push_drop_slow(push_conn *cn)
{
    size_t owed = cn->c.owed;   /* 0 when the hard cap already freed it */
    size_t bound = push_client_bound(&cn->c);
    push_client_drop_all(&cn->c);
    push_stat_add(&P.stats.dropped_slow, 1);
    fprintf(stderr, "push: client %s dropped: too slow (backlog over %zu "
            "bytes%s, no read for %lld ms)\n", cn->peer, bound,
            owed ? "" : " x4", (long long)(push_mono_ms() - cn->progress_ms));
    push_conn_close(cn, 4008, "too slow: backlog passed %zu bytes", bound);
    lws_set_timeout(cn->wsi, PENDING_TIMEOUT_USER_OK, 30);
}

/* Did the client read anything within stall_ms? Besides our own writes
 * (which lws holds back while it drains a large frame), the bytes the peer
 * acknowledged growing says it is taking data. */
static int still_reading(push_conn *cn, int64_t now)
{
    uint64_t acked = push_sock_acked(lws_get_socket_fd(cn->wsi));
    if (acked != cn->acked) {
        cn->acked = acked;
        cn->progress_ms = now;
    }
    return now - cn->progress_ms <= P.o.stall_ms;
}

/* Past the bound, a client that still reads is only slow: it gets the
 * coalesced latest values at its pace. One that stopped is dropped. The
 * timer looks again if publishing stops. 1 if dropped. */
int push_check_backlog(push_conn *cn, int64_t now)
{
    if (cn->close_code || cn->c.owed <= push_client_bound(&cn->c))
        return 0;
    if (!still_reading(cn, now)) {
        push_drop_slow(cn);
        return 1;
    }
    int64_t wait = push_client_wait_ms(&cn->c, now);
    lws_set_timer_usecs(cn->wsi, (wait >= 0 && wait < 1000 ? wait + 1
                                                           : 1000) * 1000);
    return 0;
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
    if ((size_t)P.nconns > P.captouched) {
        size_t cap = (size_t)P.nconns * 2;
        push_conn **a = realloc(P.touched, cap * sizeof *a);
        if (!a)
            return -1;
        P.touched = a;
        P.captouched = cap;
    }
    P.subs_dirty = 0;
    return 0;
}

/* Offer change r to one client; remember the client for the end of drain. */
static void offer(push_conn *cn, push_rec *r, int64_t now)
{
    if (cn->close_code)
        return;
    if (push_client_idle(&cn->c))
        cn->progress_ms = now;   /* it owes nothing: not stalled */
    int rc = push_client_offer(&cn->c, r);
    if (rc > 0) {
        cn->want_write = 1;
    } else if (rc < 0) {
        push_drop_slow(cn);
        return;
    }
    if (!cn->touched && P.ntouched < P.captouched) {
        cn->touched = 1;
        P.touched[P.ntouched++] = cn;
    } else if (!cn->touched && cn->want_write) {
        cn->want_write = 0;      /* no room to remember it: ask now */
        lws_callback_on_writable(cn->wsi);
    }
}

/* Take the queued changes and hand them to the state and to the clients
 * subscribed to their topic; then ask for a writable event once per
 * client that has something new. */
void push_drain(void)
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
    pthread_mutex_unlock(&P.qmu);

    int64_t now = push_mono_ms();
    if (P.subs_dirty && rebuild_subs())
        fprintf(stderr, "push: out of memory for the subscriber lists\n");
    P.ntouched = 0;
    for (size_t i = 0; i < n; i++) {
        push_rec *r = push_state_apply(&P.st, q[i].topic, q[i].entity,
                                       q[i].fields);
        free(q[i].entity);
        if (!r)
            continue;
        if (!P.subs_dirty) {
            for (size_t k = 0; k < P.nsubs[r->topic]; k++)
                offer(P.subs[r->topic][k], r, now);
        } else {                 /* no lists (out of memory): everyone */
            for (push_conn *cn = P.conns; cn; cn = cn->next)
                offer(cn, r, now);
        }
    }
    for (size_t k = 0; k < P.ntouched; k++) {
        push_conn *cn = P.touched[k];
        cn->touched = 0;
        if (push_check_backlog(cn, now))
            continue;
        if (cn->want_write && !cn->close_code)
            lws_callback_on_writable(cn->wsi);
        cn->want_write = 0;
    }
    __atomic_store_n(&P.offset, P.st.offset, __ATOMIC_RELEASE);
    if (P.stopping)
        for (push_conn *cn = P.conns; cn; cn = cn->next)
            push_conn_close(cn, 1001, "server stopping");
}

