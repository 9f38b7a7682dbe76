/* push/push_int.h: the push module's insides, shared by its files and its
 * unit tests, with no libwebsockets in sight: the state (latest value per
 * entity, history ring), filters, per-client pending sets and frames.
 * Everything here runs on the one service thread: no locks. */
#ifndef PUSH_INT_H
#define PUSH_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "push/push.h"

/* Headroom before every frame payload for the WebSocket header (lws
 * needs LWS_PRE bytes; push_server.c checks this is enough). */
#define PUSH_PRE 32
/* JSON of every frame: compact, and 15 significant digits so 5.77 goes
 * out as 5.77, not 5.7699999999999996 (as the REST API writes it) */
#define PUSH_JSON (JSON_COMPACT | JSON_REAL_PRECISION(15))
#define PUSH_FRAME_ITEMS_MAX (64 * 1024)   /* bytes of items per delta */
#define PUSH_SNAP_PART_MAX (64 * 1024)     /* bytes of items per snapshot part */
/* permessage-deflate, our compressor: zlib memLevel (push_server.c) */
#define PUSH_PMD_MEM_LEVEL "1"

/* A frame ready to send: text at data + PUSH_PRE, shared by refcount. */
typedef struct push_frame {
    int refs;
    size_t len;
    struct push_frame *next;   /* in a client's outbox */
    unsigned char *zbuf;       /* malloc'd, holds z */
    unsigned char *z;          /* NULL, or once compressed the whole
                                * WebSocket frame (push_deflate.c) */
    size_t zlen;               /* z's length */
    unsigned char data[];      /* PUSH_PRE headroom, then len bytes */
} push_frame;

/* From a JSON value (consumed): the serialized frame, or NULL. */
push_frame *push_frame_json(json_t *msg);
void push_frame_unref(push_frame *f);

/* Where an entity is, for filters (from its merged state). */
typedef struct push_attrs {
    char *district;            /* malloc'd or NULL */
    int has_pt, has_bbox;
    double lon, lat, bbox[4];
} push_attrs;
void push_attrs_from(push_attrs *a, const char *id, json_t *state);
void push_attrs_clear(push_attrs *a);

/* One published change, held by the history ring (for resume) and read by
 * every client from there: clients keep cursors into it, not copies. */
typedef struct push_rec {
    int refs;
    int topic;
    uint64_t offset;
    uint64_t tseq;             /* its number among the changes of its topic */
    char *entity;
    json_t *fields;            /* the change as published (read-only) */
    size_t bytes;              /* its serialized size, for the bounds */
    size_t cum;                /* bytes of its topic's changes up to it */
    push_attrs at;             /* where the entity is after the change */
    push_frame *frame;         /* cached one-change delta frame or NULL */
} push_rec;
void push_rec_unref(push_rec *r);

/* Shared batch frames kept per topic. A step's clients can start from
 * many cursors (moved between steps, or behind after partial writes): with
 * 8, N=5000, R=1000 rebuilt frames per client and backed up (p50 560-630
 * ms against 53-216 ms with 64; no change at R=100). */
#define PUSH_CACHE_WAYS 64
typedef struct push_cached {   /* the delta of changes [from, to) at wm */
    uint64_t from, to, wm;
    push_frame *f;
} push_cached;

typedef struct push_state {
    uint64_t epoch, offset;    /* offset = last published */
    json_t *topics[PUSH_NTOPICS]; /* id -> merged fields */
    push_rec **ring;           /* history: offsets (offset-n, offset] */
    size_t cap, n, start;
    /* The same history per topic: changes number base..next-1 of topic t
     * are tr[t].r[seq % cap]. A client's cursor is such a number. */
    struct {
        push_rec **r;
        uint64_t base, next;
        size_t cum_gone;       /* cum of the last change that left */
    } tr[PUSH_NTOPICS];
    /* Offsets at which a snapshot in parts started lately (a ring): a
     * client that resumes from one of them may hold only its first parts
     * (and cleared the rest), so it gets a fresh snapshot instead. */
    uint64_t parted[256];
    size_t nparted;
    /* Batch frames built lately, per topic: clients at the same cursor
     * with the same watermark send the same bytes. */
    push_cached cache[PUSH_NTOPICS][PUSH_CACHE_WAYS];
    unsigned cache_next[PUSH_NTOPICS];
} push_state;

void push_state_init(push_state *st, size_t history, uint64_t epoch);
void push_state_free(push_state *st);
/* Merge a change into the state and the history; consumes fields. The
 * record keeps the fields that change the entity only. Returns the record
 * (owned by the ring; incref to keep it), or NULL when nothing changed (or
 * out of memory). */
push_rec *push_state_apply(push_state *st, int topic, const char *entity,
                           json_t *fields);
/* Note that a snapshot in parts starts at offset; was one started there? */
void push_state_note_parted(push_state *st, uint64_t offset);
int push_state_was_parted(const push_state *st, uint64_t offset);
/* Oldest offset still in the history (offset + 1 when empty). */
uint64_t push_state_oldest(const push_state *st);
/* The i-th record of the history, oldest first. */
push_rec *push_state_at(const push_state *st, size_t i);
/* Change number seq of topic t, or NULL when gone or not yet published. */
push_rec *push_state_topic_rec(const push_state *st, int t, uint64_t seq);
/* The number of topic t's first change after offset (next when none). */
uint64_t push_state_topic_after(const push_state *st, int t,
                                 uint64_t offset);
/* Bytes of topic t's changes from number seq on (SIZE_MAX/4 when some of
 * them left the history). */
size_t push_state_topic_bytes(const push_state *st, int t, uint64_t seq);

typedef struct push_filter {
    int kind;                  /* 0 none, 1 district, 2 bbox */
    char *district;
    double bbox[4];
} push_filter;
/* Parse {"district":..} / {"bbox":[...]} (NULL = none); CT_EINVAL with msg. */
int push_filter_parse(json_t *j, push_filter *f, ct_err *err);
void push_filter_clear(push_filter *f);
int push_filter_match(const push_filter *f, const char *id,
                      const push_attrs *a);


/* What one client is owed: a cursor per topic into the shared history
 * (every change of topic t numbered below tpos[t] was sent, covered by a
 * snapshot, or did not pass the filter), owed snapshots, and frames queued
 * ahead of them (replies). Nothing else is held per client, so a slow
 * client costs no memory; one too far behind is coalesced: it gets a fresh
 * snapshot (the latest value of every entity) instead of the backlog. */
typedef struct push_client {
    unsigned topics;           /* bit per subscribed topic */
    unsigned snap_due;         /* bit per topic whose snapshot is owed */
    push_filter filter[PUSH_NTOPICS];
    uint64_t tpos[PUSH_NTOPICS];
    /* Per-topic rate limit ("max_rate_hz"): deltas of a limited topic go
     * out in bursts at most every rate_ms; meanwhile they coalesce. */
    int64_t rate_ms[PUSH_NTOPICS], due_ms[PUSH_NTOPICS];
    uint64_t burst_upto[PUSH_NTOPICS]; /* a burst sends changes <= this */
    unsigned in_burst;         /* bit per topic in a burst */
    size_t max_owed;
    push_frame *out, *out_tail;/* frames queued before the changes */
    size_t out_bytes;
    int overflow;              /* passed the bound: to be closed */
    /* A snapshot going out in parts, one per writable event: its topic
     * (-1: none under way), offset, the entity id the next part starts at
     * and the part's number; items sent so far, and the size of each
     * topic's last whole snapshot (the backlog bound grows with it). */
    int snap_topic;
    uint64_t snap_off;
    char *snap_next;
    int snap_part;
    size_t snap_sum;
    size_t snap_bytes[PUSH_NTOPICS];
    uint64_t changes_sent, frames_sent, coalesced;
    int full;                  /* the last delta was cut at
                                * PUSH_FRAME_ITEMS_MAX: more of its topic
                                * is owed already (push_write.c) */
} push_client;

/* A client that owes nothing: its cursors at the end of the history. */
void push_client_init(push_client *c, size_t max_owed, const push_state *st);
void push_client_free(push_client *c);
/* Bytes owed: queued frames plus the changes after the cursors (of the
 * whole topic, filters aside: an upper bound). */
size_t push_client_owed(const push_client *c, const push_state *st);
/* The backlog bound of this client: max_owed plus twice the size of the
 * snapshots it subscribed to (a fresh snapshot of everything it follows
 * must fit, so a big subscription is not "too slow"). */
size_t push_client_bound(const push_client *c);
/* Replace the backlog by fresh snapshots of the topics it is behind on;
 * returns how many. */
int push_client_coalesce(push_client *c, const push_state *st);
/* Give up on a client: free everything it is owed, set overflow. */
void push_client_drop_all(push_client *c);
/* Does a change of topic t numbered seq or later concern the client? */
int push_client_concerned(push_client *c, const push_state *st, int t,
                          uint64_t seq);
/* Queue a frame (takes the reference) before the changes. */
int push_client_queue(push_client *c, push_frame *f);
/* Owe nothing more of one topic (a snapshot or unsubscribe follows). */
void push_client_drop_topic(push_client *c, const push_state *st, int topic);
/* Owe the client a snapshot of the topic: built when the socket takes it,
 * from the state then, so a snapshot and the deltas it covers are never
 * held together. */
void push_client_want_snapshot(push_client *c, const push_state *st,
                               int topic);
/* Point the cursors of the topics in mask just after offset (resume). */
void push_client_rewind(push_client *c, const push_state *st, unsigned mask,
                        uint64_t offset);
/* The next frame to write at monotonic time now_ms (a reference the caller
 * unrefs), or NULL (nothing, or only rate-limited changes not yet due). */
push_frame *push_client_next_at(push_client *c, push_state *st,
                                int64_t now_ms);
push_frame *push_client_next(push_client *c, push_state *st);
/* Something can be written at now_ms. */
int push_client_ready_at(push_client *c, const push_state *st,
                         int64_t now_ms);
/* Milliseconds until rate-limited changes are due, or -1 if none wait. */
int64_t push_client_wait_ms(push_client *c, const push_state *st,
                            int64_t now_ms);

/* Client messages (push_proto.c). The server side supplies these hooks. */
typedef struct push_proto_env {
    push_state *st;
    int test_publish;
    /* publish a change on behalf of a test client */
    int (*publish)(const char *topic, const char *id, json_t *fields);
} push_proto_env;
/* Handle one text message; replies go to c's outbox. Returns 0, or 1 when
 * it was malformed (the caller counts abuse). */
int push_proto_handle(push_client *c, push_proto_env *env, const char *msg,
                      size_t len);
/* {"type":"error",...} frame. */
push_frame *push_error_frame(const char *code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

int64_t push_now_ms(void);
int64_t push_mono_ms(void);   /* monotonic clock, for rate limits */
int64_t push_mono_us(void);   /* the same in microseconds */
uint64_t push_sock_acked(int fd);  /* TCP bytes the peer acked (push_sock.c) */
/* One part of a snapshot: the entities passing f from id `from` on (NULL:
 * the first), about max_bytes of items. *next gets the id the next part
 * starts at (malloc'd), or NULL when this part is the last; *bytes and
 * *count the size and number of its items. A snapshot in one part is the plain "snapshot"
 * message; in several, part 0 is a "snapshot" with "part":0,"more":true and
 * the others "delta"s with the same offset, "part":k and "more" (false on
 * the last), so a client that only knows snapshot and delta still ends
 * with the whole state (docs/PROTOCOL.md). */
push_frame *push_state_snapshot_part(push_state *st, int topic,
                                     const push_filter *f, uint64_t offset,
                                     const char *from, int part,
                                     size_t max_bytes, char **next,
                                     size_t *bytes, size_t *count);

#endif
