/* push/push_proto.c: the client's side of the conversation: subscribe (with
 * filters and resume), unsubscribe, ping, time, and the test-only publish.
 * Answers go to the client's outbox; malformed input gets an error frame. */
#include "push/push_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

push_frame *push_error_frame(const char *code, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return push_frame_json(json_pack("{s:s, s:s, s:s}", "type", "error",
                                     "code", code, "message", msg));
}

static int fail(push_client *c, const char *code, const char *msg)
{
    push_client_queue(c, push_error_frame(code, "%s", msg));
    return 1;
}

/* Resume from (epoch, offset) if the history allows: the cursors of the
 * topics in mask go back to just after it, so the missed changes follow.
 * Otherwise say why in a reset frame and return 0 (the caller sends
 * snapshots). */
static int try_resume(push_client *c, push_state *st, json_t *resume,
                      unsigned mask)
{
    json_t *je = json_object_get(resume, "epoch");
    json_t *jo = json_object_get(resume, "offset");
    char why[200];
    if (!json_is_integer(je) || !json_is_integer(jo) ||
        json_integer_value(jo) < 0) {
        snprintf(why, sizeof why, "resume needs integer epoch and offset");
    } else {
        uint64_t e = (uint64_t)json_integer_value(je);
        uint64_t o = (uint64_t)json_integer_value(jo);
        if (e != st->epoch)
            snprintf(why, sizeof why, "epoch changed: the server restarted "
                     "(epoch %llu, resume asked %llu)",
                     (unsigned long long)st->epoch, (unsigned long long)e);
        else if (o > st->offset)
            snprintf(why, sizeof why, "offset %llu is ahead of the stream "
                     "(last %llu)", (unsigned long long)o,
                     (unsigned long long)st->offset);
        else if (push_state_was_parted(st, o))
            snprintf(why, sizeof why, "offset %llu is that of a snapshot in "
                     "parts, which may not have arrived whole",
                     (unsigned long long)o);
        else if (o + 1 < push_state_oldest(st))
            snprintf(why, sizeof why, "history gone: oldest offset is %llu, "
                     "resume asked %llu", (unsigned long long)
                     push_state_oldest(st), (unsigned long long)o);
        else {
            push_client_rewind(c, st, mask, o);
            return 1;
        }
    }
    push_client_queue(c, push_frame_json(json_pack(
        "{s:s, s:s, s:I, s:I}", "type", "reset", "reason", why, "epoch",
        (json_int_t)st->epoch, "offset", (json_int_t)st->offset)));
    return 0;
}

static int subscribe(push_client *c, push_proto_env *env, json_t *m)
{
    json_t *topics = json_object_get(m, "topics"), *t;
    if (!json_is_array(topics) || json_array_size(topics) == 0)
        return fail(c, "bad_request", "subscribe needs \"topics\": a "
                    "non-empty array");
    int idx[PUSH_NTOPICS * 2];
    push_filter f[PUSH_NTOPICS * 2];
    int64_t rate[PUSH_NTOPICS * 2];
    size_t n = 0, i;
    char msg[300] = "";
    json_array_foreach(topics, i, t) {
        if (n == PUSH_NTOPICS * 2) {
            snprintf(msg, sizeof msg, "too many topics");
            break;
        }
        json_t *name = json_is_object(t) ? json_object_get(t, "topic") : t;
        idx[n] = push_topic_index(json_string_value(name));
        if (idx[n] < 0) {
            snprintf(msg, sizeof msg, "unknown topic %s (topics: vitals, "
                     "alerts, incidents, traffic, parking, water, buildings)",
                     json_is_string(name) ? json_string_value(name) : "?");
            break;
        }
        ct_err e;
        ct_err_clear(&e);
        if (push_filter_parse(json_object_get(t, "filter"), &f[n], &e)) {
            snprintf(msg, sizeof msg, "topic %s: %.200s",
                     push_topic_name(idx[n]), e.msg);
            break;
        }
        /* "max_rate_hz": at most that many delta bursts per second. */
        json_t *hz = json_is_object(t) ? json_object_get(t, "max_rate_hz")
                                       : NULL;
        rate[n] = 0;
        if (hz && !json_is_null(hz)) {
            double v = json_is_number(hz) ? json_number_value(hz) : -1;
            if (!(v >= 0.01 && v <= 1000)) {
                push_filter_clear(&f[n]);
                snprintf(msg, sizeof msg, "topic %s: max_rate_hz must be a "
                         "number from 0.01 to 1000",
                         push_topic_name(idx[n]));
                break;
            }
            rate[n] = (int64_t)(1000.0 / v + 0.5);
        }
        n++;
    }
    if (msg[0]) {
        for (i = 0; i < n; i++)
            push_filter_clear(&f[i]);
        return fail(c, strncmp(msg, "unknown", 7) ? "bad_request"
                                                   : "unknown_topic", msg);
    }
    unsigned fresh = 0;
    for (i = 0; i < n; i++) {
        push_filter_clear(&c->filter[idx[i]]);
        c->filter[idx[i]] = f[i];
        c->topics |= 1u << idx[i];
        fresh |= 1u << idx[i];
        c->snap_due &= ~(1u << idx[i]);
        push_client_drop_topic(c, env->st, idx[i]);
        c->rate_ms[idx[i]] = rate[i];
        c->due_ms[idx[i]] = 0;
    }
    json_t *resume = json_object_get(m, "resume");
    if (resume && json_is_object(resume) &&
        try_resume(c, env->st, resume, fresh))
        return 0;
    for (int k = 0; k < PUSH_NTOPICS; k++)
        if (fresh & (1u << k))
            push_client_want_snapshot(c, env->st, k);
    return 0;
}

static int unsubscribe(push_client *c, const push_state *st, json_t *m)
{
    json_t *topics = json_object_get(m, "topics"), *t;
    size_t i;
    if (json_is_string(topics) && strcmp(json_string_value(topics), "*") == 0) {
        for (int k = 0; k < PUSH_NTOPICS; k++) {
            push_client_drop_topic(c, st, k);
            push_filter_clear(&c->filter[k]);
            c->rate_ms[k] = 0;
        }
        c->topics = 0;
        c->snap_due = 0;
        return 0;
    }
    if (!json_is_array(topics))
        return fail(c, "bad_request", "unsubscribe needs \"topics\": an "
                    "array of names or \"*\"");
    json_array_foreach(topics, i, t) {
        int k = push_topic_index(json_string_value(t));
        if (k < 0)
            return fail(c, "unknown_topic", "unsubscribe: unknown topic");
        c->topics &= ~(1u << k);
        c->snap_due &= ~(1u << k);
        c->rate_ms[k] = 0;
        push_client_drop_topic(c, st, k);
        push_filter_clear(&c->filter[k]);
    }
    return 0;
}

static int publish(push_client *c, push_proto_env *env, json_t *m)
{
    if (!env->test_publish)
        return fail(c, "forbidden", "publish is accepted only when the "
                    "server runs with --push-test");
    const char *topic = json_string_value(json_object_get(m, "topic"));
    const char *id = json_string_value(json_object_get(m, "id"));
    json_t *fields = json_object_get(m, "fields");
    if (push_topic_index(topic) < 0 || !id || !*id || !json_is_object(fields))
        return fail(c, "bad_request", "publish needs a known \"topic\", a "
                    "non-empty \"id\" and \"fields\" (an object)");
    if (env->publish(topic, id, json_incref(fields)))
        return fail(c, "unavailable", "publish queue is full");
    return 0;
}

int push_proto_handle(push_client *c, push_proto_env *env, const char *text,
                      size_t len)
{
    json_error_t je;
    json_t *m = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!m) {
        push_client_queue(c, push_error_frame("bad_json", "not JSON: %s "
                                              "(at byte %d)", je.text,
                                              je.position));
        return 1;
    }
    const char *op = json_string_value(json_object_get(m, "op"));
    int rc = 0;
    if (!op)
        rc = fail(c, "bad_request", "a message needs \"op\" (subscribe, "
                  "unsubscribe, ping, time)");
    else if (strcmp(op, "subscribe") == 0)
        rc = subscribe(c, env, m);
    else if (strcmp(op, "unsubscribe") == 0)
        rc = unsubscribe(c, env->st, m);
    else if (strcmp(op, "ping") == 0)
        push_client_queue(c, push_frame_json(json_pack("{s:s}", "type",
                                                       "pong")));
    else if (strcmp(op, "time") == 0)
        push_client_queue(c, push_frame_json(json_pack(
            "{s:s, s:I, s:O?}", "type", "time", "server_ms",
            (json_int_t)push_now_ms(), "client_ms",
            json_object_get(m, "client_ms"))));
    else if (strcmp(op, "publish") == 0)
        rc = publish(c, env, m);
    else {
        char msg[160];
        snprintf(msg, sizeof msg, "unknown op \"%.60s\" (subscribe, "
                 "unsubscribe, ping, time)", op);
        rc = fail(c, "bad_request", msg);
    }
    json_decref(m);
    return rc;
}
