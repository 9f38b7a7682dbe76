/* live/stream.c: the ordered stream of state changes (see stream.h). */
#include "live/stream.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "live/clock.h"

live_stream *live_stream_new(uint64_t last_seq)
{
    live_stream *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pthread_mutex_init(&s->mu, NULL);
    s->seq = last_seq;
    /* epoch: start time in microseconds, distinct for each process start */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    s->epoch = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    s->next_id = 1;
    return s;
}

void live_stream_free(live_stream *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->mu);
    free(s);
}

unsigned live_topic_bit(const char *topic)
{
    static const char *T[] = {LIVE_TOPIC_VITALS, LIVE_TOPIC_ALERTS,
        LIVE_TOPIC_INCIDENTS, LIVE_TOPIC_TRAFFIC, LIVE_TOPIC_PARKING,
        LIVE_TOPIC_WATER, LIVE_TOPIC_BUILDINGS};
    for (unsigned i = 0; topic && i < sizeof T / sizeof T[0]; i++)
        if (!strcmp(T[i], topic))
            return 1u << i;
    return 0;
}

static void recompute_wanted(live_stream *s)
{
    s->wanted = 0;
    for (int i = 0; i < LIVE_STREAM_MAX_SUBS; i++)
        if (s->subs[i].fn)
            s->wanted |= s->subs[i].topics;
}

int live_stream_subscribe_mask(live_stream *s, live_stream_fn fn, void *ctx,
                               unsigned mask)
{
    int id = -1;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < LIVE_STREAM_MAX_SUBS; i++) {
        if (!s->subs[i].fn) {
            s->subs[i].fn = fn;
            s->subs[i].ctx = ctx;
            s->subs[i].topics = mask;
            s->subs[i].id = id = s->next_id++;
            break;
        }
    }
    recompute_wanted(s);
    pthread_mutex_unlock(&s->mu);
    return id;
}

int live_stream_subscribe(live_stream *s, live_stream_fn fn, void *ctx)
{
    return live_stream_subscribe_mask(s, fn, ctx, LIVE_TOPICS_ALL);
}

void live_stream_unsubscribe(live_stream *s, int id)
{
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < LIVE_STREAM_MAX_SUBS; i++)
        if (s->subs[i].fn && s->subs[i].id == id)
            memset(&s->subs[i], 0, sizeof s->subs[i]);
    recompute_wanted(s);
    pthread_mutex_unlock(&s->mu);
}

int live_stream_wants(live_stream *s, const char *topic)
{
    pthread_mutex_lock(&s->mu);
    int w = (s->wanted & live_topic_bit(topic)) != 0;
    pthread_mutex_unlock(&s->mu);
    return w;
}

uint64_t live_publish(live_stream *s, int64_t t, const char *topic,
                      const char *entity_id, json_t *changed_fields)
{
    pthread_mutex_lock(&s->mu);
    live_change c = {++s->seq, t, topic, entity_id, changed_fields};
    unsigned bit = live_topic_bit(topic);
    for (int i = 0; i < LIVE_STREAM_MAX_SUBS; i++)
        if (s->subs[i].fn && (s->subs[i].topics & bit))
            s->subs[i].fn(s->subs[i].ctx, &c);
    uint64_t seq = c.seq;
    pthread_mutex_unlock(&s->mu);
    json_decref(changed_fields);
    return seq;
}

uint64_t live_stream_seq(live_stream *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t v = s->seq;
    pthread_mutex_unlock(&s->mu);
    return v;
}

uint64_t live_stream_epoch(const live_stream *s)
{
    return s->epoch;
}
