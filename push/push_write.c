/* push/push_write.c: a client's frames go out: at its WRITEABLE event, or
 * at once when it is idle (push_write_now: no poll() round trip per
 * frame), at most one delta frame per --ws-batch-ms (the pace timer lets
 * the held-back clients go together). Service thread only. */
#include "push/push_server.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* A client's rate-limited changes are due (or a check). */
static void rate_due(push_timer *t)
{
    push_conn *cn = (push_conn *)((char *)t - offsetof(push_conn, rate));
    if (!push_check_backlog(cn, push_mono_ms()))
        push_want_write(cn);
}

/* Write cn's next frame, if any; then ask for the next writable event if
 * more is ready, or a timer for rate-limited changes. -1 when the write
 * failed (the connection is to be closed). */
static int write_next(push_conn *cn, struct lws *wsi, int64_t now)
{
    /* A frame drained means the peer is reading (its TCP acks come back):
     * it is alive without answering pings (push_keepalive). */
    if (cn->inflight)
        cn->alive_ms = now;
    /* The previous frame is done with: lws asks for more only then. */
    push_frame_unref(cn->inflight);
    cn->inflight = NULL;
    cn->progress_ms = now;
    push_frame *f = push_client_next_at(&cn->c, &P.st, now);
    if (f) {
        size_t len = f->len;
        cn->delta_ms = now;
        int n = lws_write(wsi, f->data + PUSH_PRE, len, LWS_WRITE_TEXT);
        cn->inflight = f;
        if (n < 0)
            return -1;
        push_stat_add(&P.stats.frames, 1);
        push_stat_add(&P.stats.bytes_out, len);
    }
    if (push_client_ready_at(&cn->c, &P.st, now)) {
        push_want_write(cn);
    } else {
        /* Rate-limited changes wait: come back when they are due. */
        int64_t wait = push_client_wait_ms(&cn->c, &P.st, now);
        if (wait >= 0)
            push_timer_in(&cn->rate, (wait + 1) * 1000, rate_due);
    }
    return 0;
}

int push_on_writeable(push_conn *cn, struct lws *wsi)
{
    /* Changes published while the thread goes round its clients are taken
     * in at once, not after the round: a client later in the round sends
     * them now, so a change waits at most about one round, not two. (cn
     * still counts as waiting meanwhile: the drain does not write to it.) */
    if (__atomic_load_n(&P.queued, __ATOMIC_ACQUIRE))
        push_drain();
    cn->waiting = 0;
    if (cn->close_code) {
        lws_close_reason(wsi, (enum lws_close_status)cn->close_code,
                         (unsigned char *)cn->close_reason,
                         strlen(cn->close_reason));
        return -1;
    }
    if (cn->ping_due) {         /* one write per WRITEABLE: frames next time */
        /* with a payload: lws passes an empty pong to nobody */
        unsigned char ping[LWS_PRE + 2];
        memcpy(ping + LWS_PRE, "ct", 2);
        cn->ping_due = 0;
        cn->pinged = 1;
        cn->ping_ms = push_mono_ms();
        if (lws_write(wsi, ping + LWS_PRE, 2, LWS_WRITE_PING) < 0)
            return -1;
        push_want_write(cn);
        return 0;
    }
    return write_next(cn, wsi, push_mono_ms());
}

static void pace_due(push_timer *t);

/* Run pace_due batch_ms from now. */
static void schedule_pace(int64_t now)
{
    push_timer_in(&P.pace, P.o.batch_ms * LWS_US_PER_MS, pace_due);
    P.pace_at = now + P.o.batch_ms;
}

/* The paced clients' time came: changes queued meanwhile are taken in
 * (publishers did not wake the thread for them, see push_publish), then
 * each paced client gets its frame. */
static void pace_due(push_timer *t)
{
    (void)t;
    __atomic_store_n(&P.quiet_until, 0, __ATOMIC_RELEASE);
    size_t n = P.npaced;
    push_conn **due = n ? malloc(n * sizeof *due) : NULL;
    if (n && !due)
        n = 0;
    for (size_t i = 0; i < n; i++) {
        due[i] = P.paced[i];
        if (due[i])
            due[i]->paced = 0;
    }
    P.npaced = 0;
    uint64_t prompt = P.prompt;
    push_drain();
    for (size_t i = 0; i < n; i++)
        if (due[i])
            push_write_now(due[i]);
    free(due);
    /* Whoever was written just now takes nothing before batch_ms: the
     * timer comes back then and publishers meanwhile need not wake the
     * thread (one wake-up per batch, not one per publish). */
    if (P.prompt != prompt && P.o.batch_ms > 0) {
        if (!P.npaced)
            schedule_pace(push_mono_ms());
        __atomic_store_n(&P.quiet_until, P.pace_at, __ATOMIC_RELEASE);
    }
}

/* Hold cn back until batch_ms after its last frame (all paced clients
 * are looked at together, batch_ms after the first is held). */
static int pace(push_conn *cn, int64_t now)
{
    if (now - cn->delta_ms >= P.o.batch_ms)
        return 0;
    if (cn->paced)
        return 1;
    if (P.npaced == P.cappaced) {
        size_t cap = P.cappaced ? P.cappaced * 2 : 64;
        push_conn **a = realloc(P.paced, cap * sizeof *a);
        if (!a)
            return 0;
        P.paced = a;
        P.cappaced = cap;
    }
    if (!P.npaced)
        schedule_pace(now);
    P.paced[P.npaced++] = cn;
    cn->paced = 1;
    return 1;
}

void push_write_now(push_conn *cn)
{
    if (cn->waiting || cn->deflate || cn->close_code ||
        lws_partial_buffered(cn->wsi)) {
        push_want_write(cn);
        return;
    }
    int64_t now = push_mono_ms();
    if (P.o.batch_ms > 0 && pace(cn, now))
        return;
    P.prompt++;
    if (write_next(cn, cn->wsi, now) < 0)
        lws_set_timeout(cn->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}
