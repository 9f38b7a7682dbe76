/* push/push_client.c: what one client is owed. Changes are not copied per
 * client: each client keeps a cursor per topic into the shared history and,
 * when its socket is writable, the run of changes after its cursors goes
 * out as one delta frame, coalesced by entity (latest value per entity)
 * and with the client's watermark as its offset. Clients at the same
 * cursors send the same frame (cached in the state), so a change costs one
 * frame build however many clients are in step. A client too far behind
 * gets fresh snapshots instead of its backlog (push_client_coalesce); one
 * that stopped reading is closed by the server (push_fanout.c). Owed
 * snapshots are built only when the socket takes them, and a topic with a
 * rate limit goes out in bursts at most every rate_ms. */
#include "push/push_int.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT64_MAX

void push_client_init(push_client *c, size_t max_owed, const push_state *st)
{
    memset(c, 0, sizeof *c);
    c->max_owed = max_owed ? max_owed : (size_t)4 << 20;
    c->snap_topic = -1;
    for (int t = 0; t < PUSH_NTOPICS; t++)
        c->tpos[t] = st->tr[t].next;
}

/* Stop a snapshot under way (its topic was dropped or asked again). */
static void cancel_snapshot(push_client *c)
{
    free(c->snap_next);
    c->snap_next = NULL;
    c->snap_topic = -1;
    c->snap_part = 0;
    c->snap_sum = 0;
}

size_t push_client_bound(const push_client *c)
{
    size_t b = c->max_owed;
    for (int t = 0; t < PUSH_NTOPICS; t++)
        if (c->topics & (1u << t))
            b += 2 * c->snap_bytes[t];
    return b;
}

/* Topics whose changes the client takes as deltas now (subscribed, no
 * snapshot of them owed). */
static unsigned live_topics(const push_client *c)
{
    return c->topics & ~c->snap_due;
}

size_t push_client_owed(const push_client *c, const push_state *st)
{
    size_t owed = c->out_bytes;
    for (int t = 0; t < PUSH_NTOPICS; t++)
        if (live_topics(c) & (1u << t)) {
            size_t b = push_state_topic_bytes(st, t, c->tpos[t]);
            owed = b > SIZE_MAX / 4 - owed ? SIZE_MAX / 4 : owed + b;
        }
    return owed;
}

static void clear_out(push_client *c)
{
    while (c->out) {
        push_frame *f = c->out;
        c->out = f->next;
        push_frame_unref(f);
    }
    c->out_tail = NULL;
    c->out_bytes = 0;
}

void push_client_free(push_client *c)
{
    cancel_snapshot(c);
    clear_out(c);
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
    c->out_bytes += f->len;
    return CT_OK;
}

void push_client_drop_all(push_client *c)
{
    cancel_snapshot(c);
    clear_out(c);
    c->snap_due = 0;
    c->topics = 0;
    c->overflow = 1;
}

void push_client_drop_topic(push_client *c, const push_state *st, int topic)
{
    c->tpos[topic] = st->tr[topic].next;
    c->in_burst &= ~(1u << topic);
    if (c->snap_topic == topic)
        cancel_snapshot(c);
}

void push_client_want_snapshot(push_client *c, const push_state *st,
                               int topic)
{
    push_client_drop_topic(c, st, topic);
    c->snap_due |= 1u << topic;
}

void push_client_rewind(push_client *c, const push_state *st, unsigned mask,
                        uint64_t offset)
{
    for (int t = 0; t < PUSH_NTOPICS; t++)
        if (mask & (1u << t))
            c->tpos[t] = push_state_topic_after(st, t, offset);
}

int push_client_coalesce(push_client *c, const push_state *st)
{
    int n = 0;
    for (int t = 0; t < PUSH_NTOPICS; t++)
        if ((live_topics(c) & (1u << t)) && c->tpos[t] < st->tr[t].next) {
            push_client_want_snapshot(c, st, t);
            n++;
        }
    c->coalesced += (uint64_t)n;
    return n;
}

/* Move topic t's cursor past changes the filter rejects; the offset of
 * the next change owed, or NONE. A cursor behind the history (the client
 * fell that far behind) stays put: the server coalesces such a client. */
static uint64_t next_owed(push_client *c, const push_state *st, int t)
{
    const push_filter *f = &c->filter[t];
    for (;;) {
        push_rec *r = push_state_topic_rec(st, t, c->tpos[t]);
        if (!r)
            return c->tpos[t] < st->tr[t].base ? 0 : NONE;
        if (f->kind == 0 || push_filter_match(f, r->entity, &r->at))
            return r->offset;
        c->tpos[t]++;
    }
}

int push_client_concerned(push_client *c, const push_state *st, int t,
                          uint64_t seq)
{
    if (!(live_topics(c) & (1u << t)))
        return (c->snap_due & (1u << t)) != 0;
    if (c->filter[t].kind == 0)
        return c->tpos[t] < st->tr[t].next;
    if (c->tpos[t] > seq)
        seq = c->tpos[t];
    for (; seq < st->tr[t].next; seq++) {
        push_rec *r = push_state_topic_rec(st, t, seq);
        if (!r || push_filter_match(&c->filter[t], r->entity, &r->at))
            return 1;
    }
    return 0;
}

static int sendable(const push_client *c, int t, int64_t now)
{
    return !c->rate_ms[t] || (c->in_burst & (1u << t)) || now >= c->due_ms[t];
}

/* The watermark: every change the client follows up to it was sent. */
static uint64_t watermark(push_client *c, const push_state *st)
{
    uint64_t wm = st->offset;
    for (int t = 0; t < PUSH_NTOPICS; t++)
        if (live_topics(c) & (1u << t)) {
            uint64_t o = next_owed(c, st, t);
            uint64_t before = o ? o - 1 : 0;  /* 0: behind the history */
            if (o != NONE && before < wm)
                wm = before;
        }
    return wm;
}

int push_client_ready_at(push_client *c, const push_state *st,
                         int64_t now_ms)
{
    if (c->out || c->snap_due)
        return 1;
    for (int t = 0; t < PUSH_NTOPICS; t++)
        if ((live_topics(c) & (1u << t)) && sendable(c, t, now_ms) &&
            next_owed(c, st, t) != NONE)
            return 1;
    return 0;
}

int64_t push_client_wait_ms(push_client *c, const push_state *st,
                            int64_t now_ms)
{
    int64_t w = -1;
    for (int t = 0; t < PUSH_NTOPICS; t++)
        if ((live_topics(c) & (1u << t)) && !sendable(c, t, now_ms) &&
            next_owed(c, st, t) != NONE &&
            (w < 0 || c->due_ms[t] - now_ms < w))
            w = c->due_ms[t] - now_ms;
    return w;
}

/* Changes [from, to) of topic t, those passing f (NULL: all), as one delta
 * coalesced by entity: a later change of an entity is folded into the
 * earlier one's fields (a copy; the records stay as published). */
static push_frame *build_run(const push_state *st, int t, uint64_t from,
                             uint64_t to, const push_filter *f, uint64_t wm)
{
    json_t *items = json_object();
    json_int_t count = 0;
    for (uint64_t q = from; q < to; q++) {
        push_rec *r = push_state_topic_rec(st, t, q);
        if (!r || (f && f->kind && !push_filter_match(f, r->entity, &r->at)))
            continue;
        count++;
        json_t *cur = json_object_get(items, r->entity);
        if (!cur) {
            json_object_set(items, r->entity, r->fields);
        } else if (cur->refcount > 1) {     /* still a record's own object */
            json_t *m = json_copy(cur);
            json_object_update(m, r->fields);
            json_object_set_new(items, r->entity, m);
        } else {
            json_object_update(cur, r->fields);
        }
    }
    return push_frame_json(json_pack(
        "{s:s, s:s, s:I, s:I, s:I, s:o}", "type", "delta", "topic",
        push_topic_name(t), "epoch", (json_int_t)st->epoch, "offset",
        (json_int_t)wm, "count", count, "items", items));
}

/* The frame of changes [from, to) of t at watermark wm, every one of them
 * passing the client's filter: the same bytes for every client there, so
 * it is looked up in (or added to) the state's cache. A new reference. */
static push_frame *shared_run(push_state *st, int t, uint64_t from,
                              uint64_t to, uint64_t wm)
{
    if (to - from == 1) {
        push_rec *r = push_state_topic_rec(st, t, from);
        if (r && r->offset == wm) {      /* one change: kept on the record */
            if (!r->frame)
                r->frame = build_run(st, t, from, to, NULL, wm);
            if (r->frame)
                r->frame->refs++;
            return r->frame;
        }
    }
    for (int w = 0; w < PUSH_CACHE_WAYS; w++) {
        push_cached *e = &st->cache[t][w];
        if (e->f && e->from == from && e->to == to && e->wm == wm) {
            e->f->refs++;
            return e->f;
        }
    }
    push_frame *f = build_run(st, t, from, to, NULL, wm);
    if (!f)
        return NULL;
    push_cached *e = &st->cache[t][st->cache_next[t]++ % PUSH_CACHE_WAYS];
    push_frame_unref(e->f);
    *e = (push_cached){from, to, wm, f};
    f->refs++;
    return f;
}

/* The next part of an owed snapshot. Its offset is the client's watermark
 * when the first part is built (the topic's cursor then moves to the end:
 * the snapshot covers every change so far), so resuming from it never
 * skips one. Each part is built from the state when the socket takes it:
 * changes after the first part wait as deltas behind the last part; an
 * entity that changed before its part went out may come again in a delta
 * (absolute values: harmless). Nothing of it is held beyond the part in
 * flight. */
static push_frame *next_snapshot(push_client *c, push_state *st)
{
    if (c->snap_topic < 0) {
        c->snap_topic = __builtin_ctz(c->snap_due);
        c->tpos[c->snap_topic] = st->tr[c->snap_topic].next;
        c->snap_off = watermark(c, st);
        c->snap_part = 0;
        c->snap_sum = 0;
    }
    int k = c->snap_topic;
    char *next = NULL;
    size_t bytes = 0, count = 0;
    push_frame *f = push_state_snapshot_part(
        st, k, &c->filter[k], c->snap_off, c->snap_next, c->snap_part,
        PUSH_SNAP_PART_MAX, &next, &bytes, &count);
    if (c->snap_part == 0 && next)
        push_state_note_parted(st, c->snap_off);
    if (c->snap_part == 0 && next && count) {
        /* Changes to the topic wait as deltas while the parts go out: let
         * the bound grow at once with the size the whole snapshot will
         * have (estimated from part 0 over every entity of the topic). */
        size_t est = bytes / count * json_object_size(st->topics[k]);
        if (est > c->snap_bytes[k])
            c->snap_bytes[k] = est;
    }
    free(c->snap_next);
    c->snap_next = next;
    c->snap_part++;
    c->snap_sum += bytes;
    if (!next) {               /* the last part: the snapshot is complete */
        c->snap_bytes[k] = c->snap_sum;
        c->snap_due &= ~(1u << k);
        c->snap_topic = -1;
        c->snap_part = 0;
    }
    if (f)
        c->frames_sent++;
    return f;
}

/* The next delta: the topic owed the oldest change goes first, with its
 * changes up to the next change owed of another topic (a limited topic
 * waiting for its period is skipped over: it holds the watermark back
 * instead), at most PUSH_FRAME_ITEMS_MAX bytes. */
static push_frame *next_delta(push_client *c, push_state *st, int64_t now)
{
    /* Behind the history (the server did not coalesce it in time): the
     * changes it misses are gone, a snapshot has them all. */
    for (int k = 0; k < PUSH_NTOPICS; k++)
        if ((live_topics(c) & (1u << k)) && c->tpos[k] < st->tr[k].base) {
            push_client_want_snapshot(c, st, k);
            c->coalesced++;
        }
    if (c->snap_due)
        return next_snapshot(c, st);
    uint64_t nx[PUSH_NTOPICS];
    int t = -1;
    for (int k = 0; k < PUSH_NTOPICS; k++) {
        nx[k] = (live_topics(c) & (1u << k)) ? next_owed(c, st, k) : NONE;
        if (nx[k] != NONE && sendable(c, k, now) && (t < 0 || nx[k] < nx[t]))
            t = k;
    }
    if (t < 0)
        return NULL;
    unsigned bit = 1u << t;
    if (c->rate_ms[t] && !(c->in_burst & bit)) {
        c->in_burst |= bit;    /* a burst: what is published now, then wait */
        c->burst_upto[t] = st->offset;
        c->due_ms[t] = now + c->rate_ms[t];
    }
    uint64_t upto = c->rate_ms[t] ? c->burst_upto[t] : NONE, stop = NONE;
    for (int k = 0; k < PUSH_NTOPICS; k++)
        if (k != t && nx[k] < stop && sendable(c, k, now))
            stop = nx[k];
    const push_filter *f = &c->filter[t];
    uint64_t from = c->tpos[t], q = from;
    size_t bytes = 0, n = 0;
    int all = 1, more = 0;
    for (; q < st->tr[t].next; q++) {
        push_rec *r = push_state_topic_rec(st, t, q);
        if (r->offset >= stop || r->offset > upto)
            break;
        if (f->kind && !push_filter_match(f, r->entity, &r->at)) {
            all = 0;
            continue;
        }
        if (n && bytes + r->bytes > PUSH_FRAME_ITEMS_MAX) {
            more = 1;
            break;
        }
        bytes += r->bytes;
        n++;
    }
    c->tpos[t] = q;
    uint64_t wm = watermark(c, st);
    push_frame *fr = all ? shared_run(st, t, from, q, wm)
                         : build_run(st, t, from, q, f, wm);
    if (!more)
        c->in_burst &= ~bit;
    c->full = more;
    c->changes_sent += n;
    if (fr)
        c->frames_sent++;
    return fr;
}

push_frame *push_client_next_at(push_client *c, push_state *st,
                                int64_t now_ms)
{
    c->full = 0;
    if (c->out) {
        push_frame *f = c->out;
        c->out = f->next;
        if (!c->out)
            c->out_tail = NULL;
        c->out_bytes -= f->len;
        f->next = NULL;
        return f;
    }
    if (c->snap_due)
        return next_snapshot(c, st);
    return next_delta(c, st, now_ms);
}

push_frame *push_client_next(push_client *c, push_state *st)
{
    return push_client_next_at(c, st, push_mono_ms());
}
