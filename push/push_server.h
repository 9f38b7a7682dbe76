/* push/push_server.h: the service-thread state shared by push_server.c
 * (connections, queue, lws callbacks) and push_auth.c (handshake checks).
 * Only files of push/ include it: it is where libwebsockets comes in. */
#ifndef PUSH_SERVER_H
#define PUSH_SERVER_H

#include <pthread.h>

#include <ev.h>
#include <libwebsockets.h>

#include "push/push_int.h"

/* A timer of the push thread (push_timer.c): libev's under libev, lws's
 * under lws's poll() loop. Zeroed = idle. */
typedef struct push_timer {
    lws_sorted_usec_list_t sul;
    ev_timer ev;
    void (*fn)(struct push_timer *t);
} push_timer;

void push_timer_in(push_timer *t, int64_t us, void (*fn)(push_timer *));
void push_timer_cancel(push_timer *t);

struct push_conn;
typedef struct push_slot {     /* clients due at one ms of the wheel */
    struct push_conn **a;      /* NULL: left (written early, closed) */
    size_t n, cap, live;       /* live: not NULL */
} push_slot;

/* One connection: its push_client plus what lws needs. */
typedef struct push_conn {
    push_client c;
    struct lws *wsi;
    struct push_conn *prev, *next;
    char *in;                  /* inbound message being reassembled */
    size_t inlen, incap;
    int close_code;            /* set: close with this code when writable */
    char close_reason[120];
    int bad;                   /* malformed messages so far */
    int waiting;               /* a writable event is asked for */
    int zshared;               /* permessage-deflate on, and its frames
                                * come from push_frame_deflated */
    int deflate;               /* permessage-deflate on, and lws
                                * compresses its frames: see
                                * push_write_now() */
    int paced;                 /* in a slot of P.wheel */
    int64_t pace_at;           /* that slot's time (monotonic ms) */
    size_t pace_slot, pace_idx;
    int64_t delta_ms;          /* when its last frame went out */
    int64_t checked_ms;        /* last backlog check while busy */
    uint64_t woken;            /* the last drain that woke it */
    push_frame *inflight;      /* last frame written: lws (permessage-
                                * deflate) may still read it until the
                                * next WRITEABLE */
    int64_t progress_ms;       /* last write, or when output started */
    uint64_t acked;            /* TCP bytes the peer acked, last seen */
    int64_t alive_ms;          /* last sign of life: a message, a pong or
                                * a frame drained (push_keepalive) */
    int ping_due;              /* a ping goes out at the next WRITEABLE */
    int pinged;                /* a ping is out, unanswered */
    int64_t ping_ms;           /* when it went out */
    push_timer rate;           /* its rate-limited changes are due */
    char peer[64];
} push_conn;

typedef struct push_qitem {
    int topic;
    char *entity;
    json_t *fields;
} push_qitem;

typedef struct push_server {
    push_opts o;               /* strings owned (copied by push_auth_init) */
    char **tokens;             /* copied token list */
    struct lws_context *ctx;
    struct ev_loop *loop;      /* libev (epoll) under lws; NULL: lws's poll() */
    pthread_t thr;
    int running, stopping, port, tls;
    int64_t stop_deadline;
    push_state st;             /* service thread only */
    push_conn *conns;
    int nconns;
    /* Per topic, the connections subscribed to it (rebuilt when a
     * subscription changes), so a change touches only its subscribers. */
    push_conn **subs[PUSH_NTOPICS];
    size_t nsubs[PUSH_NTOPICS], capsubs[PUSH_NTOPICS];
    int subs_dirty;
    uint64_t drains;           /* drain passes so far (push_conn.woken) */
    int in_drain;              /* in a pass (no nested drains) */
    uint64_t carry[PUSH_NTOPICS]; /* where the next drain's pass starts
                                * if before the new changes (or MAX) */
    /* Clients held back until their next frame is due, by due ms modulo
     * nwheel (push_pace.c): each client has its own time, so the frames
     * of thousands of clients are spread evenly, not sent in bursts. */
    push_slot *wheel;
    size_t nwheel, npaced;
    int64_t wheel_done;        /* slots up to this ms are processed */
    push_timer pace;           /* the next slot with clients, or the pass */
    int64_t pace_at;           /* its time (0: not armed) */
    double send_us;            /* a paced client's write, measured (EWMA) */
    int64_t interval, grid;    /* ms between a client's frames; the pace
                                * timer's step (push_pace.c) */
    size_t group_max;          /* clients per grid time, about */
    push_conn **due;           /* the clients of the slots being written */
    size_t capdue;
    int64_t pass_at;           /* the next drain while clients are active
                                * (0: none; the pace timer runs it) */
    uint64_t woke;             /* clients a drain wrote to or paced */
    int64_t quiet_until;       /* atomic: publishers do not wake the thread
                                * before this (the pass takes them in) */
    push_timer sweep;          /* the stalled-client check, each second */
    pthread_mutex_t qmu;       /* guards q, qn, qcap, stats.published */
    push_qitem *q, *q2;
    size_t qn, qcap, qcap2;
    int queued;                /* atomic: qn > 0 (read without the lock) */
    uint64_t offset;           /* atomic copy of st.offset */
    push_stats stats;
} push_server;

extern push_server P;

/* Copy the options (strings, tokens) into P.o; CT_OK or an error. */
int push_auth_init(const push_opts *o, ct_err *err);
void push_auth_free(void);
/* 0 when the handshake of wsi may proceed, else a close code with why. */
int push_auth_check(struct lws *wsi, char *why, size_t n);

/* push_fanout.c: take the queued changes into the state and wake the
 * subscribers they concern. */
void push_drain(void);
/* Past the bound: coalesce a client that still reads, drop one that
 * stopped; 1 if dropped. */
int push_check_backlog(push_conn *cn, int64_t now);
/* Start the once-a-second stalled-client check (service thread). */
void push_sweep_start(void);
/* push_write.c: the connection's WRITEABLE event (-1: close it). */
int push_on_writeable(push_conn *cn, struct lws *wsi);
/* Ask lws for a writable event for cn unless one is asked for already. */
void push_want_write(push_conn *cn);
/* Write cn's next frame now, from the drain, when nothing of its last one
 * is still buffered: no poll() round trip per frame (with 5,000 clients a
 * poll over every socket cost about as much as the sends). Clients whose
 * frames lws compresses (not zshared), busy ones, and closing ones get a
 * writable event instead (lws compresses and flushes there). */
void push_write_now(push_conn *cn);
/* push_deflate.c: 1 when wsi's permessage-deflate offer (if the extension
 * is on) takes our shared frames: it does not ask for a smaller window. */
int push_deflate_ok(struct lws *wsi);
/* f as one compressed WebSocket frame (made once, kept with f), its length
 * in *len; NULL when zlib failed (out of memory). */
const unsigned char *push_frame_deflated(push_frame *f, size_t *len);
void push_deflate_free(void);
/* push_pace.c: a client's next frame waits for its time (the wheel). */
int push_pace_init(void);      /* -1: out of memory */
void push_pace_free(void);
void push_pace_cancel(void);   /* the timers, before the loop goes */
/* 1 when cn must wait (it is put in its slot); 0: write now. */
int push_pace_hold(push_conn *cn, int64_t now);
/* cn just had a frame: its slot one interval on (written again if it has
 * news then); 1 if it has the slot. */
int push_pace_wrote(push_conn *cn, int64_t now);
void push_pace_leave(push_conn *cn);
/* Set the pass (a drain one interval on) unless one is set; publishers
 * do not wake the thread until then. */
void push_pace_pass(int64_t now);
/* push_fanout.c: take the queued changes into the state outside a drain
 * (1 if there were any); the next drain wakes the clients not held for
 * them. */
int push_take_in(void);

/* Free what a too slow client is owed and close it with 4008. */
void push_drop_slow(push_conn *cn);
/* Ping a client quiet for ping_s, hang up one quiet for twice (sweep). */
void push_keepalive(push_conn *cn, int64_t now);
void push_stat_add(uint64_t *v, uint64_t n);

/* Close cn with code and reason at its next writable event. */
void push_conn_close(push_conn *cn, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
