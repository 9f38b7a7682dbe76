/* push/push_state.c: what the push module knows: the latest merged value of
 * every (topic, entity), the bounded history of recent changes (for resume)
 * and the filters that decide who sees what. Frames are serialized here. */
#include "push/push_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const TOPICS[PUSH_NTOPICS] = {
    "vitals", "alerts", "incidents", "traffic", "parking", "water",
    "buildings"};

int push_topic_index(const char *topic)
{
    for (int i = 0; topic && i < PUSH_NTOPICS; i++)
        if (strcmp(topic, TOPICS[i]) == 0)
            return i;
    return -1;
}

const char *push_topic_name(int idx)
{
    return idx >= 0 && idx < PUSH_NTOPICS ? TOPICS[idx] : "?";
}

int64_t push_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t push_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t push_mono_ms(void)
{
    return push_mono_us() / 1000;
}

/* --- frames --- */

push_frame *push_frame_json(json_t *msg)
{
    if (!msg)
        return NULL;
    size_t n = json_dumpb(msg, NULL, 0, PUSH_JSON);
    push_frame *f = n ? malloc(sizeof *f + PUSH_PRE + n) : NULL;
    if (f) {
        f->refs = 1;
        f->next = NULL;
        f->zbuf = f->z = NULL;
        f->zlen = 0;
        f->len = json_dumpb(msg, (char *)f->data + PUSH_PRE, n, PUSH_JSON);
    }
    json_decref(msg);
    return f;
}

void push_frame_unref(push_frame *f)
{
    if (f && --f->refs == 0) {
        free(f->zbuf);
        free(f);
    }
}

/* --- where an entity is --- */

static int num(json_t *j, double *out)
{
    if (!json_is_number(j))
        return 0;
    *out = json_number_value(j);
    return 1;
}

void push_attrs_from(push_attrs *a, const char *id, json_t *state)
{
    push_attrs_clear(a);
    json_t *d = json_object_get(state, "district");
    if (json_is_string(d))
        a->district = strdup(json_string_value(d));
    else if (id && strncmp(id, "district:", 9) == 0)
        a->district = strdup(id);    /* vitals of a district */
    a->has_pt = num(json_object_get(state, "lon"), &a->lon) &&
                num(json_object_get(state, "lat"), &a->lat);
    json_t *b = json_object_get(state, "bbox");
    a->has_bbox = json_array_size(b) == 4;
    for (int i = 0; a->has_bbox && i < 4; i++)
        a->has_bbox = num(json_array_get(b, i), &a->bbox[i]);
}

void push_attrs_clear(push_attrs *a)
{
    free(a->district);
    memset(a, 0, sizeof *a);
}

/* --- filters --- */

int push_filter_parse(json_t *j, push_filter *f, ct_err *err)
{
    memset(f, 0, sizeof *f);
    if (!j || json_is_null(j))
        return CT_OK;
    if (!json_is_object(j))
        return ct_fail(err, CT_EINVAL, "filter must be an object with "
                       "\"district\" or \"bbox\"");
    json_t *d = json_object_get(j, "district"), *b = json_object_get(j, "bbox");
    if (d && b)
        return ct_fail(err, CT_EINVAL, "filter takes \"district\" or \"bbox\", "
                       "not both");
    if (d) {
        if (!json_is_string(d) || !json_string_length(d))
            return ct_fail(err, CT_EINVAL, "filter district must be a "
                           "non-empty string");
        f->kind = 1;
        f->district = strdup(json_string_value(d));
        return CT_OK;
    }
    if (b) {
        int ok = json_array_size(b) == 4;
        for (int i = 0; ok && i < 4; i++)
            ok = num(json_array_get(b, i), &f->bbox[i]);
        if (!ok || f->bbox[0] > f->bbox[2] || f->bbox[1] > f->bbox[3])
            return ct_fail(err, CT_EINVAL, "filter bbox must be "
                           "[minlon,minlat,maxlon,maxlat] with min <= max");
        f->kind = 2;
        return CT_OK;
    }
    return ct_fail(err, CT_EINVAL, "filter must have \"district\" or "
                   "\"bbox\"");
}

void push_filter_clear(push_filter *f)
{
    free(f->district);
    memset(f, 0, sizeof *f);
}

int push_filter_match(const push_filter *f, const char *id,
                      const push_attrs *a)
{
    (void)id;
    if (!f || f->kind == 0)
        return 1;
    if (f->kind == 1)
        return a->district && strcmp(a->district, f->district) == 0;
    const double *q = f->bbox;
    if (a->has_pt)
        return a->lon >= q[0] && a->lon <= q[2] && a->lat >= q[1] &&
               a->lat <= q[3];
    if (a->has_bbox)
        return a->bbox[0] <= q[2] && a->bbox[2] >= q[0] &&
               a->bbox[1] <= q[3] && a->bbox[3] >= q[1];
    return 0;
}

/* --- records and the state --- */

void push_rec_unref(push_rec *r)
{
    if (!r || --r->refs > 0)
        return;
    free(r->entity);
    json_decref(r->fields);
    push_attrs_clear(&r->at);
    push_frame_unref(r->frame);
    free(r);
}

void push_state_init(push_state *st, size_t history, uint64_t epoch)
{
    memset(st, 0, sizeof *st);
    st->epoch = epoch;
    st->cap = history ? history : 65536;
    st->ring = calloc(st->cap, sizeof *st->ring);
    for (int i = 0; i < PUSH_NTOPICS; i++) {
        st->topics[i] = json_object();
        st->tr[i].r = calloc(st->cap, sizeof *st->tr[i].r);
    }
}

void push_state_free(push_state *st)
{
    for (size_t i = 0; i < st->n; i++)
        push_rec_unref(push_state_at(st, i));
    free(st->ring);
    for (int i = 0; i < PUSH_NTOPICS; i++) {
        json_decref(st->topics[i]);
        free(st->tr[i].r);
        for (int w = 0; w < PUSH_CACHE_WAYS; w++)
            push_frame_unref(st->cache[i][w].f);
    }
    memset(st, 0, sizeof *st);
}

void push_state_note_parted(push_state *st, uint64_t offset)
{
    size_t cap = sizeof st->parted / sizeof st->parted[0];
    if (st->nparted && st->parted[(st->nparted - 1) % cap] == offset)
        return;
    st->parted[st->nparted++ % cap] = offset;
}

int push_state_was_parted(const push_state *st, uint64_t offset)
{
    size_t cap = sizeof st->parted / sizeof st->parted[0];
    for (size_t i = 0; i < st->nparted && i < cap; i++)
        if (st->parted[i] == offset)
            return 1;
    return 0;
}

uint64_t push_state_oldest(const push_state *st)
{
    return st->offset + 1 - st->n;
}

push_rec *push_state_at(const push_state *st, size_t i)
{
    return st->ring[(st->start + i) % st->cap];
}

push_rec *push_state_topic_rec(const push_state *st, int t, uint64_t seq)
{
    if (seq < st->tr[t].base || seq >= st->tr[t].next)
        return NULL;
    return st->tr[t].r[seq % st->cap];
}

uint64_t push_state_topic_after(const push_state *st, int t,
                                 uint64_t offset)
{
    uint64_t lo = st->tr[t].base, hi = st->tr[t].next;
    while (lo < hi) {          /* offsets grow with the numbers */
        uint64_t mid = lo + (hi - lo) / 2;
        if (st->tr[t].r[mid % st->cap]->offset <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t push_state_topic_bytes(const push_state *st, int t, uint64_t seq)
{
    if (seq >= st->tr[t].next)
        return 0;
    if (seq < st->tr[t].base)
        return SIZE_MAX / 4;
    size_t before = seq == st->tr[t].base
                        ? st->tr[t].cum_gone
                        : st->tr[t].r[(seq - 1) % st->cap]->cum;
    return st->tr[t].r[(st->tr[t].next - 1) % st->cap]->cum - before;
}

/* The fields that change cur (the entity's merged value, may be NULL):
 * a value equal to the current one, or a null for a field it lacks, is
 * dropped, so a delta carries what changed only (publishers send whole
 * values: a road's district and stale flag at every reading). Consumes
 * fields; a new reference (fields itself when out of memory). */
static json_t *changed_only(const json_t *cur, json_t *fields)
{
    json_t *d = json_object();
    if (!d)
        return fields;
    const char *k;
    json_t *v;
    json_object_foreach(fields, k, v) {
        json_t *old = cur ? json_object_get(cur, k) : NULL;
        if (json_is_null(v) ? old != NULL : !old || !json_equal(old, v))
            json_object_set(d, k, v);
    }
    json_decref(fields);
    return d;
}

push_rec *push_state_apply(push_state *st, int topic, const char *entity,
                           json_t *fields)
{
    json_t *cur = json_object_get(st->topics[topic], entity);
    if (json_is_object(fields)) {
        fields = changed_only(cur, fields);
        if (cur && json_object_size(fields) == 0) {
            json_decref(fields);       /* nothing changed: nothing to send */
            return NULL;
        }
    }
    push_rec *r = calloc(1, sizeof *r);
    if (!r) {
        json_decref(fields);
        return NULL;
    }
    r->refs = 1;
    r->topic = topic;
    r->offset = ++st->offset;
    r->entity = strdup(entity);
    r->fields = fields;
    r->bytes = json_dumpb(fields, NULL, 0, PUSH_JSON) + strlen(entity) + 4;

    /* Merge: fields overwrite, null removes. */
    if (!cur) {
        cur = json_object();
        json_object_set_new(st->topics[topic], entity, cur);
    }
    const char *k;
    json_t *v;
    json_object_foreach(fields, k, v) {
        if (json_is_null(v))
            json_object_del(cur, k);
        else
            json_object_set(cur, k, v);
    }
    push_attrs_from(&r->at, entity, cur);

    if (st->n == st->cap) {        /* the oldest change leaves the history */
        push_rec *old = st->ring[st->start];
        st->tr[old->topic].base++; /* it is its topic's oldest too */
        st->tr[old->topic].cum_gone = old->cum;
        push_rec_unref(old);
        st->start = (st->start + 1) % st->cap;
        st->n--;
    }
    st->ring[(st->start + st->n) % st->cap] = r;
    st->n++;
    uint64_t seq = st->tr[topic].next++;
    push_rec *prev = push_state_topic_rec(st, topic, seq - 1);
    r->tseq = seq;
    r->cum = (prev ? prev->cum : st->tr[topic].cum_gone) + r->bytes;
    st->tr[topic].r[seq % st->cap] = r;
    return r;
}

push_frame *push_state_snapshot_part(push_state *st, int topic,
                                     const push_filter *f, uint64_t offset,
                                     const char *from, int part,
                                     size_t max_bytes, char **next,
                                     size_t *bytes, size_t *count)
{
    json_t *all = st->topics[topic], *items = json_object();
    push_attrs a = {0};
    size_t sum = 0;
    *next = NULL;
    /* Entities are never removed from the state, so the id a part stopped
     * at is still there; new ones are appended and come in a later part. */
    void *it = from ? json_object_iter_at(all, from) : json_object_iter(all);
    for (; it; it = json_object_iter_next(all, it)) {
        const char *id = json_object_iter_key(it);
        json_t *v = json_object_iter_value(it);
        if (f && f->kind) {
            push_attrs_from(&a, id, v);
            if (!push_filter_match(f, id, &a))
                continue;
        }
        size_t b = json_dumpb(v, NULL, 0, PUSH_JSON) + strlen(id) + 4;
        if (sum && sum + b > max_bytes) {
            *next = strdup(id);
            break;
        }
        sum += b;
        json_object_set(items, id, v);
    }
    push_attrs_clear(&a);
    *bytes = sum;
    *count = json_object_size(items);
    int more = *next != NULL;
    if (part == 0 && !more)
        return push_frame_json(json_pack(
            "{s:s, s:s, s:I, s:I, s:o}", "type", "snapshot", "topic",
            TOPICS[topic], "epoch", (json_int_t)st->epoch, "offset",
            (json_int_t)offset, "items", items));
    if (part == 0)
        return push_frame_json(json_pack(
            "{s:s, s:s, s:I, s:I, s:i, s:b, s:o}", "type", "snapshot",
            "topic", TOPICS[topic], "epoch", (json_int_t)st->epoch, "offset",
            (json_int_t)offset, "part", 0, "more", 1, "items", items));
    return push_frame_json(json_pack(
        "{s:s, s:s, s:i, s:b, s:I, s:I, s:i, s:o}", "type", "delta", "topic",
        TOPICS[topic], "part", part, "more", more, "epoch",
        (json_int_t)st->epoch, "offset", (json_int_t)offset, "count", 0,
        "items", items));
}
