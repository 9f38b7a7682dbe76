/* push/push_server.c: the libwebsockets side: one context, one vhost, one
 * service thread that owns every connection. push_publish() (any thread)
 * appends to a locked queue and wakes the thread with lws_cancel_service();
 * the thread merges the changes into the state and offers them to the
 * subscribers of their topic (push_fanout.c); frames are written in
 * push_write.c, so no client waits on another. Handshake checks
 * (Origin, viewer token, client limit) are in push_auth.c. */
#include "push/push_server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

_Static_assert(LWS_PRE <= PUSH_PRE, "PUSH_PRE must cover LWS_PRE");

#define QUEUE_MAX (1u << 20)   /* changes waiting for the service thread */
#define BAD_MAX 10             /* malformed messages before closing */

push_server P;

/* The lws context, then the libev loop under it (start-up failures). */
static void destroy_context(void)
{
    lws_context_destroy(P.ctx);
    P.ctx = NULL;
    if (P.loop)
        ev_loop_destroy(P.loop);
    P.loop = NULL;
}

/* Stopping, and every client has said goodbye or the deadline passed. */
static int service_done(void)
{
    return __atomic_load_n(&P.stopping, __ATOMIC_ACQUIRE) &&
           (!P.conns || push_now_ms() >= P.stop_deadline);
}

typedef struct pss {
    push_conn *cn;
} pss;

void push_stat_add(uint64_t *v, uint64_t n)
{
    __atomic_fetch_add(v, n, __ATOMIC_RELAXED);
}

void push_conn_close(push_conn *cn, int code, const char *fmt, ...)
{
    if (cn->close_code)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cn->close_reason, sizeof cn->close_reason, fmt, ap);
    va_end(ap);
    cn->close_code = code;
    push_want_write(cn);
}

static void unlink_conn(push_conn *cn)
{
    if (cn->prev)
        cn->prev->next = cn->next;
    else if (P.conns == cn)
        P.conns = cn->next;
    if (cn->next)
        cn->next->prev = cn->prev;
    cn->prev = cn->next = NULL;
}

static void free_conn(push_conn *cn)
{
    if (P.ctx)      /* after service(): cancelled before the context went */
        push_timer_cancel(&cn->rate);
    push_pace_leave(cn);
    push_frame_unref(cn->inflight);
    unlink_conn(cn);
    P.subs_dirty = 1;     /* the subscriber lists must forget it */
    P.nconns--;
    push_client_free(&cn->c);
    free(cn->in);
    free(cn);
}

static int on_receive(push_conn *cn, struct lws *wsi, const void *in,
                      size_t len)
{
    if (cn->close_code)
        return 0;
    if (cn->inlen + len > P.o.max_in) {
        /* Stop reading and close from the writable side, where lws sends
         * the close frame reliably (also with permessage-deflate). */
        fprintf(stderr, "push: client %s closed: message too big\n",
                cn->peer);
        cn->inlen = 0;
        push_conn_close(cn, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                        "message too big: more than %zu bytes", P.o.max_in);
        return 0;
    }
    if (cn->inlen + len > cn->incap) {
        size_t cap = cn->inlen + len + 1024;
        char *b = realloc(cn->in, cap);
        if (!b)
            return -1;
        cn->in = b;
        cn->incap = cap;
    }
    if (len)
        memcpy(cn->in + cn->inlen, in, len);
    cn->inlen += len;
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
        return 0;
    int bad;
    if (lws_frame_is_binary(wsi)) {
        push_client_queue(&cn->c, push_error_frame(
            "bad_request", "binary frames are not accepted: send JSON text"));
        bad = 1;
    } else {
        push_proto_env env = {&P.st, P.o.test_publish, push_publish};
        unsigned topics = cn->c.topics;
        bad = push_proto_handle(&cn->c, &env, cn->in, cn->inlen);
        if (cn->c.topics != topics)
            P.subs_dirty = 1;
    }
    cn->inlen = 0;
    if (bad && ++cn->bad > BAD_MAX)
        push_conn_close(cn, LWS_CLOSE_STATUS_POLICY_VIOLATION,
                        "too many bad messages (%d)", cn->bad);
    else if (push_client_ready_at(&cn->c, &P.st, push_mono_ms()))
        push_want_write(cn);
    return 0;
}

static void on_established(struct lws *wsi, pss *ps)
{
    push_conn *cn = calloc(1, sizeof *cn);
    if (!cn)
        return;
    ps->cn = cn;
    cn->wsi = wsi;
    cn->progress_ms = cn->alive_ms = push_mono_ms();
    push_client_init(&cn->c, P.o.client_max, &P.st);
    lws_get_peer_simple(wsi, cn->peer, sizeof cn->peer);
    cn->next = P.conns;
    if (P.conns)
        P.conns->prev = cn;
    P.conns = cn;
    P.nconns++;
    P.subs_dirty = 1;
    int one = 1;    /* frames are whole messages: no Nagle delay */
    setsockopt(lws_get_socket_fd(wsi), IPPROTO_TCP, TCP_NODELAY, &one,
               sizeof one);
    if (P.o.sndbuf > 0)
        setsockopt(lws_get_socket_fd(wsi), SOL_SOCKET, SO_SNDBUF,
                   &P.o.sndbuf, sizeof P.o.sndbuf);
    char why[sizeof cn->close_reason];
    int code = push_auth_check(wsi, why, sizeof why);
    if (code) {
        push_stat_add(&P.stats.refused, 1);
        fprintf(stderr, "push: refused %s: %s\n", cn->peer, why);
        push_conn_close(cn, code, "%s", why);
        return;
    }
    push_stat_add(&P.stats.clients, 1);
    /* permessage-deflate on (lws answered the offer): its frames are
     * compressed, by us once per frame for every such client (zshared,
     * push_deflate.c), or by lws per client when the offer asks for a
     * smaller window. Those lws compresses are written only from the
     * writable event. Our setting for lws's compressor (before its first
     * frame sets it up): zlib's memLevel 8 is a 64 KB hash table per
     * client, touched at random once per frame and cold each time;
     * memLevel 1 is 512 bytes (N=100 such clients, R=100: 8.5 µs of push
     * CPU per delivery instead of 13, docs/BENCHMARKS.md). The window
     * stays 32 KB: lws sizes the inflater of what the client sends by the
     * same option. -1: the extension is not on for this client. */
    int pmd = lws_hdr_total_length(wsi, WSI_TOKEN_EXTENSIONS) > 0 &&
        lws_set_extension_option(wsi, "permessage-deflate", "mem_level",
                                 PUSH_PMD_MEM_LEVEL) == 0;
    cn->zshared = pmd && push_deflate_ok(wsi);
    cn->deflate = pmd && !cn->zshared;
    if (!P.o.quiet)
        fprintf(stderr, "push: client %s connected (%d open)\n", cn->peer,
                P.nconns);
    push_client_queue(&cn->c, push_frame_json(json_pack(
        "{s:s, s:I, s:I, s:I, s:{s:I, s:I}, s:b}", "type", "hello", "epoch",
        (json_int_t)P.st.epoch, "offset", (json_int_t)P.st.offset,
        "server_ms", (json_int_t)push_now_ms(), "limits", "max_in",
        (json_int_t)P.o.max_in, "client_max", (json_int_t)P.o.client_max,
        "test_publish", P.o.test_publish)));
    push_want_write(cn);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len)
{
    pss *ps = user;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        on_established(wsi, ps);
        return ps->cn ? 0 : -1;
    case LWS_CALLBACK_CLOSED:
        if (ps && ps->cn) {
            if (!P.o.quiet && !ps->cn->close_code)
                fprintf(stderr, "push: client %s left\n", ps->cn->peer);
            free_conn(ps->cn);
            ps->cn = NULL;
        }
        return 0;
    case LWS_CALLBACK_RECEIVE:
        if (ps && ps->cn)
            ps->cn->alive_ms = push_mono_ms();
        return ps && ps->cn ? on_receive(ps->cn, wsi, in, len) : -1;
    case LWS_CALLBACK_RECEIVE_PONG:
        if (ps && ps->cn) {
            ps->cn->alive_ms = push_mono_ms();
            ps->cn->pinged = 0;
        }
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return ps && ps->cn ? push_on_writeable(ps->cn, wsi) : -1;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        push_drain();
        if (P.loop && service_done())   /* push_stop() wakes us until then */
            ev_break(P.loop, EVBREAK_ALL);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols PROTOCOLS[] = {
    {"citytwin.v1", callback, sizeof(pss), 16384, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0}};

static const struct lws_extension EXTENSIONS[] = {
    {"permessage-deflate", lws_extension_callback_pm_deflate,
     "permessage-deflate; client_no_context_takeover; "
     "client_max_window_bits"},
    {NULL, NULL, NULL}};

/* No lws validity timers: each sits in lws's one sorted timer list, and
 * re-arming it walks that list, so with 5,000 clients the re-arms (after
 * every pong or drained frame) cost a burst of ~0.1 s of the thread every
 * ping_s / 2 (a latency spike at N=5000). push_keepalive() in the
 * once-a-second sweep pings and hangs up instead. */
static const lws_retry_bo_t NO_VALIDITY = {.secs_since_valid_ping = 0,
                                           .secs_since_valid_hangup = 0};

static void lws_log(int level, const char *line)
{
    (void)level;
    fprintf(stderr, "push: lws: %s", line);
}

static void *service(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "ct-push");   /* for top and perf */
    /* Below the HTTP workers: an ingest is acknowledged before the next
     * burst of frames (N=5000, R=1000: ingest backed up less often, p99
     * 100-123 against 135-189 ms). The pace interval follows the measured
     * time per write, so the frames adapt to what the thread gets. */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 5);
    push_sweep_start();
    if (P.loop)
        ev_run(P.loop, 0);     /* until service_done() breaks it */
    else
        while (!service_done())
            lws_service(P.ctx, 0);
    pthread_mutex_lock(&P.qmu);      /* no more wake-ups from publishers */
    struct lws_context *ctx = P.ctx;
    push_timer_cancel(&P.sweep);
    push_pace_cancel();
    for (push_conn *cn = P.conns; cn; cn = cn->next)
        push_timer_cancel(&cn->rate);   /* while the loop and context live */
    P.ctx = NULL;
    pthread_mutex_unlock(&P.qmu);
    lws_context_destroy(ctx);
    if (P.loop) {   /* lws has stopped its watchers: let the loop settle */
        ev_run(P.loop, EVRUN_NOWAIT);
        ev_loop_destroy(P.loop);
        P.loop = NULL;
    }
    while (P.conns)     /* any the context did not report closed */
        free_conn(P.conns);
    return NULL;
}

static uint64_t new_epoch(void)
{
    uint64_t e = 0;
    if (getrandom(&e, sizeof e, 0) != sizeof e)
        e = (uint64_t)push_now_ms() * 1000003u;
    e &= (1ull << 53) - 1;     /* exact in a JavaScript number */
    return e ? e : 1;
}

static int readable(const char *what, const char *path, ct_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ct_fail(err, CT_ENOTFOUND, "TLS %s %s: %s", what, path,
                       strerror(errno));
    fclose(f);
    return CT_OK;
}

int push_start(const push_opts *o, ct_err *err)
{
    ct_err local;
    if (!err)
        err = &local;
    if (P.running)
        return ct_fail(err, CT_ECONFLICT, "push: already started");
    memset(&P, 0, sizeof P);
    if (push_auth_init(o, err))
        return err->code;
    P.o.max_in = P.o.max_in ? P.o.max_in : 64 * 1024;
    P.o.client_max = P.o.client_max ? P.o.client_max : (size_t)4 << 20;
    P.o.stall_ms = P.o.stall_ms > 0 ? P.o.stall_ms : 30000;
    P.o.ping_s = P.o.ping_s > 0 ? P.o.ping_s : 30;
    P.o.batch_ms = P.o.batch_ms < 0 ? 0 : P.o.batch_ms ? P.o.batch_ms : 25;
    P.o.max_clients = P.o.max_clients ? P.o.max_clients : 20000;
    const char *listen = P.o.listen ? P.o.listen : "127.0.0.1";
    P.tls = P.o.tls_cert && P.o.tls_key;
    if ((P.o.tls_cert != NULL) != (P.o.tls_key != NULL)) {
        push_auth_free();
        return ct_fail(err, CT_EINVAL, "TLS needs both --tls-cert and "
                       "--tls-key");
    }
    if (P.tls && (readable("certificate", P.o.tls_cert, err) ||
                  readable("key", P.o.tls_key, err))) {
        push_auth_free();
        return err->code;
    }
    lws_set_log_level(LLL_ERR, lws_log);

    struct lws_context_creation_info ci;
    memset(&ci, 0, sizeof ci);
    ci.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
                 (P.tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0);
    ci.gid = (gid_t)-1;
    ci.uid = (uid_t)-1;
    /* lws's own loop polls every socket at each wake-up: at 100 clients
     * that was a third of this thread's time. Under libev (epoll; the
     * service thread runs the loop) a wake-up costs what is ready. */
    void *loops[1] = {P.o.poll ? NULL : ev_loop_new(EVFLAG_AUTO)};
    if (loops[0]) {
        struct lws_context_creation_info ei = ci;
        ei.options |= LWS_SERVER_OPTION_LIBEV;
        ei.foreign_loops = loops;
        P.ctx = lws_create_context(&ei);
        if (P.ctx) {
            P.loop = loops[0];
        } else {
            ev_loop_destroy(loops[0]);
            fprintf(stderr, "push: libev unavailable to libwebsockets "
                    "(libwebsockets-evlib-ev), using poll()\n");
        }
    }
    if (!P.ctx)
        P.ctx = lws_create_context(&ci);
    if (!P.ctx) {
        push_auth_free();
        return ct_fail(err, CT_ERR, "push: libwebsockets context failed");
    }
    struct lws_context_creation_info vi;
    memset(&vi, 0, sizeof vi);
    vi.vhost_name = "push";
    vi.port = P.o.port;
    vi.iface = listen;
    vi.protocols = PROTOCOLS;
    vi.extensions = EXTENSIONS;
    vi.retry_and_idle_policy = &NO_VALIDITY;
    vi.options = LWS_SERVER_OPTION_DISABLE_IPV6 |
                 (P.tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0);
    vi.ssl_cert_filepath = P.o.tls_cert;
    vi.ssl_private_key_filepath = P.o.tls_key;
    struct lws_vhost *vh = lws_create_vhost(P.ctx, &vi);
    P.port = vh ? lws_get_vhost_listen_port(vh) : 0;
    if (!vh || P.port <= 0) {
        destroy_context();
        ct_fail(err, CT_EIO, "push: cannot listen on %s:%d%s (port in use, "
                "bad address or bad certificate)", listen, P.o.port,
                P.tls ? " with TLS" : "");
        push_auth_free();     /* frees listen: after the message */
        return err->code;
    }
    if (push_pace_init()) {
        destroy_context();
        push_auth_free();
        return ct_fail(err, CT_ENOMEM, "push: out of memory for the pace "
                       "wheel");
    }
    push_state_init(&P.st, P.o.history, new_epoch());
    memset(P.carry, 0xff, sizeof P.carry);
    pthread_mutex_init(&P.qmu, NULL);
    P.running = 1;
    if (pthread_create(&P.thr, NULL, service, NULL)) {
        P.running = 0;
        destroy_context();
        push_pace_free();
        push_state_free(&P.st);
        push_auth_free();
        return ct_fail(err, CT_ERR, "push: cannot start the service thread");
    }
    return CT_OK;
}

int push_publish(const char *topic, const char *entity_id, json_t *fields)
{
    int t = push_topic_index(topic);
    if (t < 0 || !entity_id || !*entity_id || !json_is_object(fields)) {
        json_decref(fields);
        return CT_EINVAL;
    }
    char *id = strdup(entity_id);
    pthread_mutex_lock(&P.qmu);
    int rc = CT_OK, wake = 0;
    if (!P.running || P.stopping)
        rc = CT_ENOTFOUND;
    else if (P.qn >= QUEUE_MAX)
        rc = CT_ETOOBIG;
    else if (P.qn == P.qcap) {
        size_t cap = P.qcap ? P.qcap * 2 : 1024;
        push_qitem *q = realloc(P.q, cap * sizeof *q);
        if (q) {
            P.q = q;
            P.qcap = cap;
        } else {
            rc = CT_ENOMEM;
        }
    }
    if (rc == CT_OK && id) {
        P.q[P.qn++] = (push_qitem){t, id, fields};
        /* Later ones ride on the same wake-up; none while every client
         * the last changes concerned waits for its batch time (the pace
         * timer takes them in then: a wake-up per publish cost more than
         * the frames at small N). */
        wake = P.qn == 1 &&
               push_mono_ms() >= __atomic_load_n(&P.quiet_until,
                                                 __ATOMIC_ACQUIRE);
        __atomic_store_n(&P.queued, 1, __ATOMIC_RELEASE);
        P.stats.published++;
        if (wake)
            lws_cancel_service(P.ctx);
    }
    pthread_mutex_unlock(&P.qmu);
    if (rc != CT_OK || !id) {
        free(id);
        json_decref(fields);
        return rc ? rc : CT_ENOMEM;
    }
    return CT_OK;
}

void push_stop(void)
{
    if (!P.running)
        return;
    pthread_mutex_lock(&P.qmu);
    P.stop_deadline = push_now_ms() + 1000;
    __atomic_store_n(&P.stopping, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&P.qmu);
    /* Wake the thread until it has said goodbye (bounded by the deadline). */
    for (int i = 0, live = 1; i < 40 && live; i++) {
        pthread_mutex_lock(&P.qmu);
        if ((live = P.ctx != NULL))
            lws_cancel_service(P.ctx);
        pthread_mutex_unlock(&P.qmu);
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    pthread_join(P.thr, NULL);
    for (size_t i = 0; i < P.qn; i++) {
        free(P.q[i].entity);
        json_decref(P.q[i].fields);
    }
    free(P.q);
    free(P.q2);
    for (int t = 0; t < PUSH_NTOPICS; t++)
        free(P.subs[t]);
    push_pace_free();
    push_deflate_free();
    push_state_free(&P.st);
    pthread_mutex_destroy(&P.qmu);
    push_auth_free();
    memset(&P, 0, sizeof P);
}

int push_port(void) { return P.running ? P.port : 0; }
int push_tls(void) { return P.running && P.tls; }
uint64_t push_epoch(void) { return P.running ? P.st.epoch : 0; }
uint64_t push_offset(void)
{
    return __atomic_load_n(&P.offset, __ATOMIC_ACQUIRE);
}

void push_get_stats(push_stats *s)
{
    pthread_mutex_lock(&P.qmu);
    s->published = P.stats.published;
    pthread_mutex_unlock(&P.qmu);
    s->frames = __atomic_load_n(&P.stats.frames, __ATOMIC_RELAXED);
    s->bytes_out = __atomic_load_n(&P.stats.bytes_out, __ATOMIC_RELAXED);
    s->dropped_slow = __atomic_load_n(&P.stats.dropped_slow, __ATOMIC_RELAXED);
    s->refused = __atomic_load_n(&P.stats.refused, __ATOMIC_RELAXED);
    s->clients = __atomic_load_n(&P.stats.clients, __ATOMIC_RELAXED);
    s->coalesced = __atomic_load_n(&P.stats.coalesced, __ATOMIC_RELAXED);
    s->deflated = __atomic_load_n(&P.stats.deflated, __ATOMIC_RELAXED);
    s->deflated_out = __atomic_load_n(&P.stats.deflated_out, __ATOMIC_RELAXED);
}
