/* push/push.h: live push to every client over WebSockets (libwebsockets).
 * The rest of citytwin calls only this: start the listener, publish state
 * changes (from any thread), stop. One lws service thread owns every
 * connection; publish hands changes to it through a locked queue.
 * Protocol: docs/PROTOCOL.md. No other module includes libwebsockets. */
#ifndef PUSH_H
#define PUSH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/ct_error.h"

#define PUSH_DEFAULT_PORT 8081
#define PUSH_NTOPICS 7

/* Returns nonzero when token (may be "") is a valid viewer token. */
typedef int (*push_token_fn)(void *ctx, const char *token);

typedef struct push_opts {
    const char *listen;        /* address (default 127.0.0.1) */
    int port;                  /* 0 = pick a free port (see push_port) */
    const char *tls_cert;      /* PEM paths; both set = wss:// */
    const char *tls_key;
    const char *origins;       /* comma list, "*" = any; NULL = same host */
    int require_token;         /* refuse connections without a valid token */
    const char *const *tokens; /* NULL-terminated list, or NULL */
    push_token_fn check_token; /* or a callback (used when set) */
    void *token_ctx;
    int test_publish;          /* accept {"op":"publish"} (tests, bench) */
    size_t max_in;             /* inbound message limit (default 64 KiB) */
    size_t client_max;         /* per-client backlog bound (default 4 MiB):
                                * past it a client that made no write
                                * progress for stall_ms is dropped, past 4x
                                * it any client is */
    int stall_ms;              /* default 30000 */
    int ping_s;                /* ping a connection with no sign of life
                                * for this long, hang up at twice with the
                                * ping unanswered this long (default 30) */
    int max_clients;           /* default 20000 */
    int batch_ms;              /* a client's delta frames at most about this
                                * often (longer with many clients): changes
                                * meanwhile go out together (default 25;
                                * negative: no wait) */
    size_t history;            /* changes kept for resume (default 65536) */
    int sndbuf;                /* SO_SNDBUF per client, 0 = kernel's (tests) */
    int quiet;                 /* no log line per connection */
    int poll;                  /* lws's own poll() loop instead of libev's
                                * epoll (comparison; also the fallback) */
} push_opts;

/* Start the listener and its service thread. CT_OK, or an error naming
 * the address/port or certificate that failed. One instance per process. */
int push_start(const push_opts *o, ct_err *err);

/* Publish a change of entity_id in topic: fields are the changed fields
 * (a null value removes a field). Takes ownership of fields (also on error).
 * Thread-safe, never blocks on clients. CT_EINVAL for an unknown topic,
 * CT_ETOOBIG when the queue is full, CT_ENOTFOUND when not started. */
int push_publish(const char *topic, const char *entity_id, json_t *fields);

/* Close every connection (1001) and stop the thread. Safe when not started. */
void push_stop(void);

/* The port bound (after push_start), or 0 when not running. */
int push_port(void);
/* 1 when the listener speaks TLS (wss://). */
int push_tls(void);
/* The stream's epoch (random per start) and last offset. */
uint64_t push_epoch(void);
uint64_t push_offset(void);

/* Counters for logs and tests. */
typedef struct push_stats {
    uint64_t published, frames, bytes_out, dropped_slow, refused, clients;
    uint64_t coalesced;        /* backlogs replaced by fresh snapshots */
    uint64_t deflated;         /* frames compressed (push_deflate.c) */
    uint64_t deflated_out;     /* compressed frames written: shared ones
                                * count once in deflated, here per client */
} push_stats;
void push_get_stats(push_stats *s);

/* Topic name <-> index (0..PUSH_NTOPICS-1, or -1). */
int push_topic_index(const char *topic);
const char *push_topic_name(int idx);

#endif
