/* live/stream.h: the live core's output: one ordered stream of state changes.
 * The engine publishes every change (topic, entity id, the changed fields);
 * subscribers (the WebSocket push layer, the history's state-change log)
 * receive them synchronously, in sequence order, under the stream's lock.
 * A subscriber must be quick (enqueue and return) and must not publish.
 * Sequence numbers are monotonic; the epoch changes with every process, so
 * a client can tell a restart from a gap. */
#ifndef LIVE_STREAM_H
#define LIVE_STREAM_H

#include <pthread.h>
#include <stdint.h>

#include <jansson.h>

#define LIVE_TOPIC_VITALS "vitals"        /* city and per-district indicators */
#define LIVE_TOPIC_ALERTS "alerts"
#define LIVE_TOPIC_INCIDENTS "incidents"
#define LIVE_TOPIC_TRAFFIC "traffic"      /* road segment states */
#define LIVE_TOPIC_PARKING "parking"      /* car park states */
#define LIVE_TOPIC_WATER "water"          /* water station states */
#define LIVE_TOPIC_BUILDINGS "buildings"  /* building live state (e.g. fire) */

typedef struct live_change {
    uint64_t seq;        /* 1, 2, 3, ... across the stream's life */
    int64_t t;           /* epoch ms of the change */
    const char *topic;
    const char *entity;  /* the public id (district id, "city", alert id...) */
    const json_t *fields;/* the changed fields (borrowed for the call) */
} live_change;

typedef void (*live_stream_fn)(void *ctx, const live_change *c);

#define LIVE_STREAM_MAX_SUBS 16
#define LIVE_TOPICS_ALL 0xffffffffu

/* The bit of a topic in a subscription mask (0 for an unknown topic). */
unsigned live_topic_bit(const char *topic);

typedef struct live_stream {
    pthread_mutex_t mu;
    uint64_t seq, epoch;
    struct {
        int id;
        live_stream_fn fn;
        void *ctx;
        unsigned topics;
    } subs[LIVE_STREAM_MAX_SUBS];
    unsigned wanted;    /* union of the subscribers' masks */
    int next_id;
} live_stream;

/* A new stream whose next sequence number is last_seq + 1 (continuing the
 * state-change log across restarts); the epoch comes from the clock. */
live_stream *live_stream_new(uint64_t last_seq);
void live_stream_free(live_stream *s);

/* Add a subscriber to every topic; returns its id (> 0) or -1 when the
 * table is full. */
int live_stream_subscribe(live_stream *s, live_stream_fn fn, void *ctx);
/* The same for the topics in mask (live_topic_bit(...) | ...). */
int live_stream_subscribe_mask(live_stream *s, live_stream_fn fn, void *ctx,
                               unsigned mask);
/* Does any subscriber take this topic? (Lets the engine skip building
 * messages nobody reads.) */
int live_stream_wants(live_stream *s, const char *topic);
void live_stream_unsubscribe(live_stream *s, int id);

/* Publish a change at time t; takes ownership of fields. Returns its seq. */
uint64_t live_publish(live_stream *s, int64_t t, const char *topic,
                      const char *entity_id, json_t *changed_fields);

uint64_t live_stream_seq(live_stream *s);     /* last published seq */
uint64_t live_stream_epoch(const live_stream *s);

#endif
