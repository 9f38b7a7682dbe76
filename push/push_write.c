/* push/push_write.c: a client's frames go out: at its WRITEABLE event, or
 * at once when it is idle (push_write_now: no poll() round trip per
 * frame), at most one delta frame per interval (push_pace.c holds the
 * client back until its time). Service thread only. */
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
        int n;
        if (cn->zshared) {
            /* the whole frame, header included: lws sends it as is */
            const unsigned char *z = push_frame_deflated(f, &len);
            n = z ? lws_write(wsi, (unsigned char *)z, len, LWS_WRITE_RAW)
                  : -1;
            if (z)
                push_stat_add(&P.stats.deflated_out, 1);
        } else {
            n = lws_write(wsi, f->data + PUSH_PRE, len, LWS_WRITE_TEXT);
        }
        cn->inflight = f;
        if (n < 0)
            return -1;
        push_stat_add(&P.stats.frames, 1);
        push_stat_add(&P.stats.bytes_out, len);
    }
    if (push_client_ready_at(&cn->c, &P.st, now)) {
        /* Only newer changes (no snapshot, queued reply, rest of a frame
         * or of a backlog): they wait for the client's next slot. Written
         * at once, a client that kept the socket busy was written at
         * every writable event, each time with a frame of its own: at
         * 5,000 clients and 1,000 changes/s that took the whole thread.
         * A client behind by more than a full frame (c.full) goes on at
         * its next writable event: paced, it could take only one frame
         * of PUSH_FRAME_ITEMS_MAX per interval and, under a heavier
         * stream, would fall behind for good (a compressed frame, small
         * enough for the socket, made that show: `make run` at x60). */
        if (!f || cn->c.out || cn->c.snap_due || cn->c.full ||
            lws_partial_buffered(wsi) || !push_pace_wrote(cn, now))
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
    /* Without pacing, changes published meanwhile are taken in at once
     * (cn still counts as waiting meanwhile: the drain does not write to
     * it). With pacing the pace timer takes them in at each grid step:
     * taken in here, each client written at its writable event had
     * changes up to another point, so a frame of its own to build, and at
     * 5,000 clients and 1,000 changes/s those builds took the thread. */
    if (!P.wheel && __atomic_load_n(&P.queued, __ATOMIC_ACQUIRE))
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

void push_write_now(push_conn *cn)
{
    if (cn->waiting || cn->deflate || cn->close_code ||
        lws_partial_buffered(cn->wsi)) {
        push_want_write(cn);
        return;
    }
    int64_t now = push_mono_ms();
    if (push_pace_hold(cn, now))
        return;
    if (write_next(cn, cn->wsi, now) < 0)
        lws_set_timeout(cn->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    else if (cn->delta_ms == now)
        push_pace_wrote(cn, now);
}
