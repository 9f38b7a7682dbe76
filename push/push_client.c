/* push/push_client.c: what one client is owed. Changes wait in a pending
 * set coalesced by entity (latest value per entity, never a growing queue)
 * until the socket is writable; then the oldest run of one topic goes out
 * as one delta frame whose offset is the client's watermark. A backlog past
 * the bound marks the client for closing instead of growing. */
#include "push/push_int.h"

#include <stdlib.h>
#include <string.h>

void push_client_init(push_client *c, size_t max_owed, uint64_t seen)
{
    memset(c, 0, sizeof *c);
    c->max_owed = max_owed ? max_owed : (size_t)4 << 20;
    c->seen = seen;
}

static void clear_pending(push_client *c)
{
    for (size_t i = 0; i < c->nslots; i++) {
        push_rec_unref(c->slots[i].rec);
        json_decref(c->slots[i].merged);
        c->owed -= c->slots[i].bytes;
    }
    c->nslots = 0;
    if (c->index)
        memset(c->index, 0xff, c->capindex * sizeof *c->index);
}

static void clear_out(push_client *c)
{
    while (c->out) {
        push_frame *f = c->out;
        c->out = f->next;
        c->owed -= f->len;
        push_frame_unref(f);
    }
    c->out_tail = NULL;
}

void push_client_free(push_client *c)
{
    clear_pending(c);
    clear_out(c);
    free(c->slots);
    free(c->index);
    for (int i = 0; i < PUSH_NTOPICS; i++)
        push_filter_clear(&c->filter[i]);
    memset(c, 0, sizeof *c);
}

int push_client_queue(push_client *c, push_frame *f)
{
    if (!f)
        return CT_ENOMEM;
    f->next = NULL;
    if (c->out_tail)
        c->out_tail->next = f;
    else
        c->out = f;
    c->out_tail = f;
    c->owed += f->len;
    return CT_OK;
}

int push_client_has_output(const push_client *c)
{
    return c->out || c->nslots;
}

/* The index is kept at most half full; rebuilt whole when it grows or the
 * slots move (compaction after a frame). */
static int reindex(push_client *c, size_t want)
{
    if (want > c->capindex) {
        int32_t *ix = realloc(c->index, want * sizeof *ix);
        if (!ix)
            return -1;
        c->index = ix;
        c->capindex = want;
    }
    memset(c->index, 0xff, c->capindex * sizeof *c->index);
    for (size_t i = 0; i < c->nslots; i++) {
        size_t h = c->slots[i].rec->hash & (c->capindex - 1);
        while (c->index[h] >= 0)
            h = (h + 1) & (c->capindex - 1);
        c->index[h] = (int32_t)i;
    }
    return 0;
}

static int same_entity(const push_rec *a, const push_rec *b)
{
    return a->hash == b->hash && a->topic == b->topic &&
           strcmp(a->entity, b->entity) == 0;
}

int push_client_offer(push_client *c, push_rec *r)
{
    if (r->offset > c->seen)
        c->seen = r->offset;
    if (c->overflow || !(c->topics & (1u << r->topic)) ||
        !push_filter_match(&c->filter[r->topic], r->entity, &r->at))
        return 0;
    if (c->capindex < 2 * (c->nslots + 1) &&
        reindex(c, c->capindex ? c->capindex * 2 : 16))
        return -1;
    size_t h = r->hash & (c->capindex - 1);
    for (; c->index[h] >= 0; h = (h + 1) & (c->capindex - 1)) {
        push_slot *s = &c->slots[c->index[h]];
        if (!same_entity(s->rec, r))
            continue;
        /* Coalesce: fold the new change into the entity's pending fields. */
        if (!s->merged)
            s->merged = json_copy(s->rec->fields);
        json_object_update(s->merged, r->fields);
        r->refs++;
        push_rec_unref(s->rec);
        s->rec = r;
        s->count++;
        s->bytes += r->bytes;  /* an upper bound of the merged size */
        c->owed += r->bytes;
        goto check;
    }
    if (c->nslots == c->capslots) {
        size_t n = c->capslots ? c->capslots * 2 : 8;
        push_slot *s = realloc(c->slots, n * sizeof *s);
        if (!s)
            return -1;
        c->slots = s;
        c->capslots = n;
    }
    r->refs++;
    c->slots[c->nslots] = (push_slot){r, NULL, r->offset, 1, r->bytes};
    c->index[h] = (int32_t)c->nslots++;
    c->owed += r->bytes;
check:
    if (c->owed > c->max_owed) {
        clear_pending(c);
        clear_out(c);
        c->overflow = 1;
        return -1;
    }
    return 1;
}

void push_client_drop_topic(push_client *c, int topic)
{
    size_t j = 0;
    for (size_t i = 0; i < c->nslots; i++) {
        push_slot *s = &c->slots[i];
        if (s->rec->topic == topic) {
            c->owed -= s->bytes;
            push_rec_unref(s->rec);
            json_decref(s->merged);
        } else {
            c->slots[j++] = *s;
        }
    }
    c->nslots = j;
    if (c->capindex)
        reindex(c, c->capindex);
}

/* The run of slots [0, n) of one topic that fits one frame. */
static size_t take_run(const push_client *c, int *all_plain)
{
    int topic = c->slots[0].rec->topic;
    size_t n = 0, bytes = 0;
    *all_plain = 1;
    while (n < c->nslots && c->slots[n].rec->topic == topic &&
           (n == 0 || bytes + c->slots[n].bytes <= PUSH_FRAME_ITEMS_MAX)) {
        bytes += c->slots[n].bytes;
        if (c->slots[n].merged)
            *all_plain = 0;
        n++;
    }
    return n;
}

static push_frame *build_delta(const push_client *c, push_state *st,
                               size_t n, uint64_t wm)
{
    json_t *items = json_object();
    json_int_t count = 0;
    for (size_t i = 0; i < n; i++) {
        const push_slot *s = &c->slots[i];
        json_object_set(items, s->rec->entity,
                        s->merged ? s->merged : s->rec->fields);
        count += s->count;
    }
    return push_frame_json(json_pack(
        "{s:s, s:s, s:I, s:I, s:I, s:o}", "type", "delta", "topic",
        push_topic_name(c->slots[0].rec->topic), "epoch",
        (json_int_t)st->epoch, "offset", (json_int_t)wm, "count", count,
        "items", items));
}

push_frame *push_client_next(push_client *c, push_state *st)
{
    if (c->out) {
        push_frame *f = c->out;
        c->out = f->next;
        if (!c->out)
            c->out_tail = NULL;
        c->owed -= f->len;
        f->next = NULL;
        return f;
    }
    if (!c->nslots)
        return NULL;
    int plain;
    size_t n = take_run(c, &plain);
    /* Watermark: all matching changes up to just before the oldest one
     * still pending after this frame (or all seen) are now delivered. */
    uint64_t wm = n < c->nslots ? c->slots[n].first - 1 : c->seen;
    push_rec *r0 = c->slots[0].rec;
    int topic = r0->topic;
    push_frame *f = NULL;
    if (plain && n == 1 && wm == r0->offset) {
        /* The common case: one change, the same bytes for every client. */
        if (!r0->frame)
            r0->frame = build_delta(c, st, 1, wm);
        f = r0->frame;
    } else if (plain && c->filter[topic].kind == 0) {
        /* Unfiltered clients in step build the same batch: share it. */
        uint64_t last = c->slots[n - 1].rec->offset;
        if (!(st->cache[topic].f && st->cache[topic].first == r0->offset &&
              st->cache[topic].last == last && st->cache[topic].n == n &&
              st->cache[topic].wm == wm)) {
            push_frame_unref(st->cache[topic].f);
            st->cache[topic].f = build_delta(c, st, n, wm);
            st->cache[topic].first = r0->offset;
            st->cache[topic].last = last;
            st->cache[topic].n = n;
            st->cache[topic].wm = wm;
        }
        f = st->cache[topic].f;
    } else {
        f = build_delta(c, st, n, wm);
        if (f)
            f->refs--;    /* the reference below is the only one */
    }
    if (!f)
        return NULL;
    f->refs++;
    for (size_t i = 0; i < n; i++) {
        c->owed -= c->slots[i].bytes;
        c->changes_sent += c->slots[i].count;
        push_rec_unref(c->slots[i].rec);
        json_decref(c->slots[i].merged);
    }
    memmove(c->slots, c->slots + n, (c->nslots - n) * sizeof *c->slots);
    c->nslots -= n;
    reindex(c, c->capindex);
    c->frames_sent++;
    return f;
}
