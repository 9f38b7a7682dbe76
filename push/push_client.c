/* push/push_client.c: what one client is owed. Changes wait in a pending
 * set coalesced by entity (latest value per entity, never a growing queue)
 * until the socket is writable; then the oldest run of one topic goes out
 * as one delta frame whose offset is the client's watermark. A backlog past
 * the bound marks the client for closing instead of growing. The backlog is
 * the size of the coalesced values (at most about one value per entity),
 * owed snapshots are built only when the socket takes them, and a topic
 * with a rate limit goes out in bursts at most every rate_ms. */
#include "push/push_int.h"

#include <stdlib.h>
#include <string.h>

void push_client_init(push_client *c, size_t max_owed, uint64_t seen)
{
    memset(c, 0, sizeof *c);
    c->max_owed = max_owed ? max_owed : (size_t)4 << 20;
    c->seen = seen;
    c->snap_topic = -1;
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

static void clear_pending(push_client *c)
{
    for (size_t i = 0; i < c->nslots; i++) {
        push_rec_unref(c->slots[i].rec);
        json_decref(c->slots[i].merged);
        c->owed -= c->slots[i].bytes;
    }
    c->nslots = 0;
    memset(c->npend, 0, sizeof c->npend);
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
    cancel_snapshot(c);
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
    if ((c->snap_due & (1u << r->topic)) && c->snap_topic != r->topic)
        return 1;    /* the owed snapshot, built later, will hold it */
    /* (A snapshot under way sent some entities already: the change waits
     * as a delta behind its remaining parts.) */
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
        /* Repeated changes of one entity must not grow the backlog, only
         * new fields do. The real size is measured (serialized) only when
         * a field is new; else the larger of the two sizes stands for it:
         * this runs for every client on every change. */
        int grows = 0;
        const char *k;
        json_t *v;
        json_object_foreach(r->fields, k, v)
            if (!json_object_get(s->merged, k)) {
                grows = 1;
                break;
            }
        json_object_update(s->merged, r->fields);
        r->refs++;
        push_rec_unref(s->rec);
        s->rec = r;
        s->count++;
        size_t b = grows ? json_dumpb(s->merged, NULL, 0, PUSH_JSON) +
                           strlen(r->entity) + 4
                         : (s->bytes > r->bytes ? s->bytes : r->bytes);
        c->owed = c->owed - s->bytes + b;
        s->bytes = b;
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
    c->npend[r->topic]++;
    c->owed += r->bytes;
check:
    if (c->owed / 4 > push_client_bound(c)) {
        push_client_drop_all(c);
        return -1;
    }
    return 1;
}

void push_client_drop_all(push_client *c)
{
    cancel_snapshot(c);
    clear_pending(c);
    clear_out(c);
    c->snap_due = 0;
    c->overflow = 1;
}

int push_client_idle(const push_client *c)
{
    return !c->nslots && !c->out && !c->snap_due;
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
    c->npend[topic] = 0;
    c->in_burst &= ~(1u << topic);
    if (c->snap_topic == topic)
        cancel_snapshot(c);
    if (c->capindex)
        reindex(c, c->capindex);
}

static int sendable(const push_client *c, int t, int64_t now)
{
    return !c->rate_ms[t] || (c->in_burst & (1u << t)) || now >= c->due_ms[t];
}

int push_client_ready_at(const push_client *c, int64_t now_ms)
{
    if (c->out || c->snap_due)
        return 1;
    for (int t = 0; t < PUSH_NTOPICS; t++)
        if (c->npend[t] && sendable(c, t, now_ms))
            return 1;
    return 0;
}

int push_client_has_output(const push_client *c)
{
    return push_client_ready_at(c, push_mono_ms());
}

int64_t push_client_wait_ms(const push_client *c, int64_t now_ms)
{
    int64_t w = -1;
    for (int t = 0; t < PUSH_NTOPICS; t++)
        if (c->npend[t] && !sendable(c, t, now_ms) &&
            (w < 0 || c->due_ms[t] - now_ms < w))
            w = c->due_ms[t] - now_ms;
    return w;
}

void push_client_want_snapshot(push_client *c, int topic)
{
    push_client_drop_topic(c, topic);
    c->snap_due |= 1u << topic;
}

/* The pending slots of topic t, from slot i0 on, that go in one frame
 * (indices into pick, increasing). A topic without a rate limit takes the
 * run up to the next slot of another topic; a limited one skips over other
 * topics and takes what its burst covers (first offset <= upto). *more says
 * whether eligible slots were left for lack of room. */
static size_t pick_run(const push_client *c, size_t i0, int t, uint64_t upto,
                       size_t *pick, int *all_plain, int *more)
{
    size_t n = 0, bytes = 0;
    int contig = c->rate_ms[t] == 0;
    *all_plain = 1;
    *more = 0;
    for (size_t i = i0; i < c->nslots; i++) {
        const push_slot *s = &c->slots[i];
        if (s->rec->topic != t || s->first > upto) {
            if (contig)
                break;
            continue;
        }
        if (n && bytes + s->bytes > PUSH_FRAME_ITEMS_MAX) {
            *more = 1;
            break;
        }
        bytes += s->bytes;
        if (s->merged)
            *all_plain = 0;
        pick[n++] = i;
    }
    return n;
}

static push_frame *build_delta(const push_client *c, push_state *st,
                               const size_t *pick, size_t n, uint64_t wm)
{
    json_t *items = json_object();
    json_int_t count = 0;
    for (size_t i = 0; i < n; i++) {
        const push_slot *s = &c->slots[pick[i]];
        json_object_set(items, s->rec->entity,
                        s->merged ? s->merged : s->rec->fields);
        count += s->count;
    }
    return push_frame_json(json_pack(
        "{s:s, s:s, s:I, s:I, s:I, s:o}", "type", "delta", "topic",
        push_topic_name(c->slots[pick[0]].rec->topic), "epoch",
        (json_int_t)st->epoch, "offset", (json_int_t)wm, "count", count,
        "items", items));
}

/* The next part of an owed snapshot. Its offset is the client's watermark
 * when the first part is built (every change still pending for other
 * topics is after it), so resuming from it never skips one. Each part is
 * built from the state when the socket takes it: changes to entities sent
 * in an earlier part wait as deltas behind the last part; an entity that
 * changed before its part went out may come again in a delta (absolute
 * values: harmless). Nothing of it is held beyond the part in flight. */
static push_frame *next_snapshot(push_client *c, push_state *st)
{
    if (c->snap_topic < 0) {
        c->snap_topic = __builtin_ctz(c->snap_due);
        c->snap_off = c->nslots ? c->slots[0].first - 1 : c->seen;
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

push_frame *push_client_next_at(push_client *c, push_state *st,
                                int64_t now_ms)
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
    if (c->snap_due)
        return next_snapshot(c, st);
    if (!push_client_ready_at(c, now_ms))
        return NULL;
    size_t i0 = 0;
    while (!sendable(c, c->slots[i0].rec->topic, now_ms))
        i0++;                 /* ready_at said one exists */
    int topic = c->slots[i0].rec->topic;
    unsigned bit = 1u << topic;
    if (c->rate_ms[topic] && !(c->in_burst & bit)) {
        c->in_burst |= bit;   /* a burst: what is pending now, then wait */
        c->burst_upto[topic] = c->seen;
        c->due_ms[topic] = now_ms + c->rate_ms[topic];
    }
    uint64_t upto = c->rate_ms[topic] ? c->burst_upto[topic] : UINT64_MAX;
    size_t *pick = malloc(c->nslots * sizeof *pick);
    if (!pick)
        return NULL;
    int plain, more;
    size_t n = pick_run(c, i0, topic, upto, pick, &plain, &more);
    /* Watermark: all matching changes up to just before the oldest one
     * still pending after this frame (or all seen) are now delivered. */
    size_t j = 0;
    while (j < n && pick[j] == j)
        j++;
    uint64_t wm = j < c->nslots ? c->slots[j].first - 1 : c->seen;
    push_rec *r0 = c->slots[pick[0]].rec;
    int contig = pick[n - 1] == n - 1 && !c->rate_ms[topic];
    push_frame *f = NULL;
    if (plain && n == 1 && contig && wm == r0->offset) {
        /* The common case: one change, the same bytes for every client. */
        if (!r0->frame)
            r0->frame = build_delta(c, st, pick, 1, wm);
        f = r0->frame;
    } else if (plain && contig && c->filter[topic].kind == 0) {
        /* Unfiltered clients in step build the same batch: share it. */
        uint64_t last = c->slots[n - 1].rec->offset;
        if (!(st->cache[topic].f && st->cache[topic].first == r0->offset &&
              st->cache[topic].last == last && st->cache[topic].n == n &&
              st->cache[topic].wm == wm)) {
            push_frame_unref(st->cache[topic].f);
            st->cache[topic].f = build_delta(c, st, pick, n, wm);
            st->cache[topic].first = r0->offset;
            st->cache[topic].last = last;
            st->cache[topic].n = n;
            st->cache[topic].wm = wm;
        }
        f = st->cache[topic].f;
    } else {
        f = build_delta(c, st, pick, n, wm);
        if (f)
            f->refs--;    /* the reference below is the only one */
    }
    if (!f) {
        free(pick);
        return NULL;
    }
    f->refs++;
    size_t k = 0, out = 0;
    for (size_t i = 0; i < c->nslots; i++) {
        push_slot *s = &c->slots[i];
        if (k < n && pick[k] == i) {
            k++;
            c->owed -= s->bytes;
            c->changes_sent += s->count;
            push_rec_unref(s->rec);
            json_decref(s->merged);
        } else {
            c->slots[out++] = *s;
        }
    }
    free(pick);
    c->nslots = out;
    c->npend[topic] -= n;
    if (!more || !c->npend[topic])
        c->in_burst &= ~bit;
    reindex(c, c->capindex);
    c->frames_sent++;
    return f;
}

push_frame *push_client_next(push_client *c, push_state *st)
{
    return push_client_next_at(c, st, push_mono_ms());
}
