/* tests/unit/test_push.c: the push module's insides without sockets: state
 * merge and history ring, filters, per-client coalescing and watermarks,
 * the backlog bound (by merged size), subscribe/resume handling, owed
 * snapshots, snapshots in parts, and per-topic rate limits (push_int.h). */
#include "push/push_int.h"

#include <stdlib.h>
#include <string.h>

#include "tests/unit/ut.h"

static json_t *frame_json(push_frame *f)
{
    json_t *j = f ? json_loadb((const char *)f->data + PUSH_PRE, f->len, 0,
                               NULL) : NULL;
    push_frame_unref(f);
    return j;
}

static int T(const char *name) { return push_topic_index(name); }

static void test_state_merge_and_history(void)
{
    push_state st;
    push_state_init(&st, 3, 42);
    push_state_apply(&st, T("traffic"), "r1", json_pack("{s:i, s:s}", "speed", 40, "district", "d1"));
    push_state_apply(&st, T("traffic"), "r1", json_pack("{s:i, s:n}", "jam", 2, "district"));
    push_rec *r = push_state_apply(&st, T("traffic"), "r1", json_pack("{s:i}", "speed", 30));
    UT_EQ_INT(r->offset, 3);
    json_t *cur = json_object_get(st.topics[T("traffic")], "r1");
    UT_EQ_INT(json_integer_value(json_object_get(cur, "speed")), 30);
    UT_EQ_INT(json_integer_value(json_object_get(cur, "jam")), 2);
    UT_CHECK(json_object_get(cur, "district") == NULL);   /* null removed it */
    UT_EQ_INT(push_state_oldest(&st), 1);
    push_state_apply(&st, T("water"), "w1", json_pack("{s:i}", "level", 1));
    push_state_apply(&st, T("water"), "w2", json_pack("{s:i}", "level", 2));
    UT_EQ_INT(st.n, 3);                       /* ring of 3 */
    UT_EQ_INT(push_state_oldest(&st), 3);
    UT_EQ_INT(push_state_at(&st, 0)->offset, 3);
    UT_EQ_INT(push_state_at(&st, 2)->offset, 5);
    UT_EQ_INT(push_topic_index("weather"), -1);
    push_state_free(&st);
}

/* A record keeps what changed only: equal values and nulls for absent
 * fields are dropped, and a change that changes nothing is no record. */
static void test_state_keeps_changes_only(void)
{
    push_state st;
    push_state_init(&st, 8, 42);
    push_rec *r = push_state_apply(&st, T("traffic"), "r1",
        json_pack("{s:i, s:s, s:n}", "speed", 40, "district", "d1", "occupancy"));
    UT_CHECK(r != NULL);
    UT_EQ_INT(json_object_size(r->fields), 2);          /* the null: nothing to remove */
    r = push_state_apply(&st, T("traffic"), "r1",
        json_pack("{s:i, s:s, s:n}", "speed", 41, "district", "d1", "occupancy"));
    UT_CHECK(r != NULL);
    UT_EQ_INT(json_object_size(r->fields), 1);
    UT_EQ_INT(json_integer_value(json_object_get(r->fields, "speed")), 41);
    UT_EQ_INT(r->offset, 2);
    r = push_state_apply(&st, T("traffic"), "r1", json_pack("{s:i, s:s}", "speed", 41, "district", "d1"));
    UT_CHECK(r == NULL);                                 /* no change, no offset */
    UT_EQ_INT(st.offset, 2);
    r = push_state_apply(&st, T("traffic"), "r1", json_pack("{s:n}", "district"));
    UT_CHECK(r != NULL && json_is_null(json_object_get(r->fields, "district")));
    json_t *cur = json_object_get(st.topics[T("traffic")], "r1");
    UT_CHECK(json_object_get(cur, "district") == NULL);
    UT_EQ_INT(json_integer_value(json_object_get(cur, "speed")), 41);
    r = push_state_apply(&st, T("traffic"), "r2", json_object());
    UT_CHECK(r != NULL);                                 /* a new entity, even empty */
    push_state_free(&st);
}

static void test_filters(void)
{
    push_filter f;
    ct_err e;
    ct_err_clear(&e);
    json_t *j = json_pack("{s:[f,f,f,f]}", "bbox", 1.0, 1.0, 0.0, 2.0);
    UT_EQ_INT(push_filter_parse(j, &f, &e), CT_EINVAL);
    UT_CHECK(strstr(e.msg, "bbox") != NULL);
    json_decref(j);
    j = json_pack("{s:s, s:[i,i,i,i]}", "district", "d", "bbox", 0, 0, 1, 1);
    UT_EQ_INT(push_filter_parse(j, &f, &e), CT_EINVAL);
    json_decref(j);

    j = json_pack("{s:[f,f,f,f]}", "bbox", 112.0, 34.0, 113.0, 35.0);
    UT_EQ_INT(push_filter_parse(j, &f, &e), CT_OK);
    json_decref(j);
    push_attrs a = {0};
    json_t *s = json_pack("{s:f, s:f}", "lon", 112.5, "lat", 34.5);
    push_attrs_from(&a, "x", s);
    UT_CHECK(push_filter_match(&f, "x", &a));
    json_object_set_new(s, "lon", json_real(114.0));
    push_attrs_from(&a, "x", s);
    UT_CHECK(!push_filter_match(&f, "x", &a));
    json_decref(s);
    s = json_pack("{s:[f,f,f,f]}", "bbox", 112.9, 34.9, 114.0, 36.0);
    push_attrs_from(&a, "x", s);          /* intersecting bbox passes */
    UT_CHECK(push_filter_match(&f, "x", &a));
    json_decref(s);
    push_filter_clear(&f);

    j = json_pack("{s:s}", "district", "district:410302");
    UT_EQ_INT(push_filter_parse(j, &f, &e), CT_OK);
    json_decref(j);
    push_attrs_from(&a, "district:410302", NULL);   /* vitals of it */
    UT_CHECK(push_filter_match(&f, "district:410302", &a));
    push_attrs_from(&a, "city", NULL);
    UT_CHECK(!push_filter_match(&f, "city", &a));
    push_attrs_clear(&a);
    push_filter_clear(&f);
}

static void test_client_coalesces_and_watermarks(void)
{
    push_state st;
    push_state_init(&st, 100, 7);
    push_client c;
    push_client_init(&c, 1 << 20, &st);
    c.topics = 1u << T("traffic") | 1u << T("parking");
    UT_CHECK(!push_client_ready_at(&c, &st, 0));
    push_state_apply(&st, T("traffic"), "a", json_pack("{s:i}", "v", 1));
    push_state_apply(&st, T("alerts"), "x", json_pack("{s:i}", "v", 1));
    UT_CHECK(!push_client_concerned(&c, &st, T("alerts"), 0)); /* not subscribed */
    UT_CHECK(push_client_concerned(&c, &st, T("traffic"), 0));
    push_state_apply(&st, T("traffic"), "a", json_pack("{s:i, s:i}", "v", 2, "w", 9));
    push_state_apply(&st, T("parking"), "p", json_pack("{s:i}", "v", 1));
    push_state_apply(&st, T("traffic"), "b", json_pack("{s:i}", "v", 1));
    UT_CHECK(push_client_ready_at(&c, &st, 0));

    /* traffic 1 and 3 (a, folded), then parking 4 bounds the run */
    json_t *f1 = frame_json(push_client_next(&c, &st));
    UT_EQ_STR(json_string_value(json_object_get(f1, "topic")), "traffic");
    UT_EQ_INT(json_integer_value(json_object_get(f1, "count")), 2);
    json_t *a = json_object_get(json_object_get(f1, "items"), "a");
    UT_EQ_INT(json_integer_value(json_object_get(a, "v")), 2);
    UT_EQ_INT(json_integer_value(json_object_get(a, "w")), 9);
    UT_EQ_INT(json_object_size(json_object_get(f1, "items")), 1);
    /* parking (offset 4) is still owed: the watermark stops before it */
    UT_EQ_INT(json_integer_value(json_object_get(f1, "offset")), 3);
    /* the published change was not modified by the folding */
    push_rec *r1 = push_state_topic_rec(&st, T("traffic"), 0);
    UT_CHECK(json_object_get(r1->fields, "w") == NULL);
    json_t *f2 = frame_json(push_client_next(&c, &st));
    UT_EQ_STR(json_string_value(json_object_get(f2, "topic")), "parking");
    UT_EQ_INT(json_integer_value(json_object_get(f2, "offset")), 4);
    json_t *f3 = frame_json(push_client_next(&c, &st));
    UT_EQ_STR(json_string_value(json_object_get(f3, "topic")), "traffic");
    UT_EQ_INT(json_integer_value(json_object_get(f3, "offset")), 5);
    UT_CHECK(push_client_next(&c, &st) == NULL);
    UT_EQ_INT(push_client_owed(&c, &st), 0);
    json_decref(f1);
    json_decref(f2);
    json_decref(f3);

    /* One plain change: the frame kept on the record is used. */
    push_rec *r = push_state_apply(&st, T("traffic"), "b", json_pack("{s:i}", "v", 3));
    push_frame *f = push_client_next(&c, &st);
    UT_CHECK(f == r->frame);
    push_frame_unref(f);
    /* Two clients at the same cursors send the very same batch frame; a
     * filtered one that passes all of it too; one that does not builds
     * its own. */
    push_client d, e, g;
    push_client_init(&d, 1 << 20, &st);
    push_client_init(&e, 1 << 20, &st);
    push_client_init(&g, 1 << 20, &st);
    d.topics = e.topics = g.topics = c.topics;
    e.filter[T("traffic")].kind = 2;
    memcpy(e.filter[T("traffic")].bbox, (double[4]){0, 0, 10, 10}, sizeof(double[4]));
    g.filter[T("traffic")].kind = 2;
    memcpy(g.filter[T("traffic")].bbox, (double[4]){0, 0, 1, 1}, sizeof(double[4]));
    for (int i = 0; i < 5; i++)
        push_state_apply(&st, T("traffic"), i % 2 ? "a" : "b",
                         json_pack("{s:i, s:f, s:f}", "v", i, "lon", 5.0, "lat", 5.0));
    push_frame *fc = push_client_next(&c, &st), *fd = push_client_next(&d, &st);
    push_frame *fe = push_client_next(&e, &st), *fg = push_client_next(&g, &st);
    UT_CHECK(fc && fc == fd && fc == fe);
    UT_CHECK(fg == NULL);          /* nothing passes its filter */
    UT_EQ_INT(push_client_owed(&g, &st), 0);
    json_t *j = frame_json(fc);
    UT_EQ_INT(json_integer_value(json_object_get(j, "count")), 5);
    UT_EQ_INT(json_object_size(json_object_get(j, "items")), 2);
    UT_EQ_INT(json_integer_value(json_object_get(j, "offset")), st.offset);
    json_decref(j);
    push_frame_unref(fd);
    push_frame_unref(fe);
    push_client_free(&d);
    push_client_free(&e);
    push_client_free(&g);
    push_client_free(&c);
    push_state_free(&st);
}

/* The backlog is the bytes after the client's cursors; past the bound a
 * reading client is coalesced: fresh snapshots with the latest values
 * replace it. A client behind the history gets a snapshot too. */
static void test_client_bound(void)
{
    push_state st;
    push_state_init(&st, 1000, 1);
    push_client c;
    push_client_init(&c, 2000, &st);
    c.topics = 1u << T("buildings");
    char id[32];
    for (int i = 0; i < 500; i++) {
        snprintf(id, sizeof id, "b:%d", i % 50);
        push_state_apply(&st, T("buildings"), id, json_pack("{s:i, s:s}", "v", i,
                         "pad", "0123456789012345678901234567890123456789"));
    }
    UT_CHECK(push_client_owed(&c, &st) > push_client_bound(&c));
    UT_EQ_INT(push_client_coalesce(&c, &st), 1);
    UT_EQ_INT(push_client_owed(&c, &st), 0);
    UT_EQ_INT(c.coalesced, 1);
    json_t *snap = frame_json(push_client_next(&c, &st));
    UT_EQ_STR(json_string_value(json_object_get(snap, "type")), "snapshot");
    json_t *items = json_object_get(snap, "items");
    UT_EQ_INT(json_object_size(items), 50);
    UT_EQ_INT(json_integer_value(json_object_get(json_object_get(items, "b:7"), "v")), 457);
    UT_EQ_INT(json_integer_value(json_object_get(snap, "offset")), st.offset);
    json_decref(snap);
    UT_CHECK(push_client_next(&c, &st) == NULL);

    /* The history keeps 1000 changes: a client whose cursor they passed
     * cannot get the deltas and gets a snapshot instead. */
    push_client d;
    push_client_init(&d, 1 << 20, &st);
    d.topics = 1u << T("buildings");
    for (int i = 0; i < 1200; i++)
        push_state_apply(&st, T("buildings"), "same", json_pack("{s:i}", "v", i));
    UT_CHECK(push_client_owed(&d, &st) >= SIZE_MAX / 4);
    json_t *one = frame_json(push_client_next(&d, &st));
    UT_EQ_STR(json_string_value(json_object_get(one, "type")), "snapshot");
    UT_EQ_INT(json_integer_value(json_object_get(json_object_get(
        json_object_get(one, "items"), "same"), "v")), 1199);
    json_decref(one);
    UT_EQ_INT(push_client_owed(&d, &st), 0);
    push_client_free(&d);
    push_client_free(&c);
    push_state_free(&st);
}

/* Wake-ups and resume: a filtered client is concerned only by changes that
 * pass its filter; rewinding a cursor replays exactly the changes after an
 * offset, and the per-topic index finds them among other topics'. */
static void test_client_concerned_and_rewind(void)
{
    push_state st;
    push_state_init(&st, 100, 5);
    push_client c;
    push_client_init(&c, 1 << 20, &st);
    c.topics = 1u << T("water") | 1u << T("alerts");
    c.filter[T("water")].kind = 1;
    c.filter[T("water")].district = strdup("district:a");
    uint64_t seq = st.tr[T("water")].next;
    push_state_apply(&st, T("water"), "w1", json_pack("{s:s, s:i}", "district", "district:b", "v", 1));
    UT_CHECK(!push_client_concerned(&c, &st, T("water"), seq));
    UT_CHECK(!push_client_ready_at(&c, &st, 0));
    push_state_apply(&st, T("alerts"), "x", json_pack("{s:i}", "v", 1));
    push_state_apply(&st, T("water"), "w2", json_pack("{s:s, s:i}", "district", "district:a", "v", 2));
    UT_CHECK(push_client_concerned(&c, &st, T("water"), seq));
    json_t *a = frame_json(push_client_next(&c, &st));
    UT_EQ_STR(json_string_value(json_object_get(a, "topic")), "alerts");
    json_t *w = frame_json(push_client_next(&c, &st));
    UT_EQ_STR(json_string_value(json_object_get(w, "topic")), "water");
    UT_CHECK(json_object_get(json_object_get(w, "items"), "w1") == NULL);
    UT_EQ_INT(json_integer_value(json_object_get(w, "count")), 1);
    UT_EQ_INT(json_integer_value(json_object_get(w, "offset")), 3);
    UT_CHECK(push_client_next(&c, &st) == NULL);
    json_decref(a);
    json_decref(w);
    /* Resume after offset 1: alerts x (2) and water w2 (3) again. */
    push_client_rewind(&c, &st, c.topics, 1);
    a = frame_json(push_client_next(&c, &st));
    UT_EQ_INT(json_integer_value(json_object_get(a, "offset")), 2);
    w = frame_json(push_client_next(&c, &st));
    UT_CHECK(json_object_get(json_object_get(w, "items"), "w2") != NULL);
    UT_CHECK(push_client_next(&c, &st) == NULL);
    json_decref(a);
    json_decref(w);
    UT_EQ_INT(push_state_topic_after(&st, T("water"), 0), 0);
    UT_EQ_INT(push_state_topic_after(&st, T("water"), 1), 1);
    UT_EQ_INT(push_state_topic_after(&st, T("water"), 3), 2);
    push_client_free(&c);
    push_state_free(&st);
}

static int no_publish(const char *t, const char *id, json_t *f)
{
    (void)t; (void)id;
    json_decref(f);
    return 0;
}

static json_t *pop(push_client *c, push_state *st)
{
    return frame_json(push_client_next(c, st));
}

static void test_proto_subscribe_resume(void)
{
    push_state st;
    push_state_init(&st, 4, 99);
    for (int i = 0; i < 6; i++) {
        char id[16];
        snprintf(id, sizeof id, "w%d", i);
        push_state_apply(&st, T("water"), id, json_pack("{s:i}", "level", i));
    }
    push_proto_env env = {&st, 0, no_publish};
    push_client c;
    push_client_init(&c, 1 << 20, &st);
    const char *m = "{\"op\":\"subscribe\",\"topics\":[\"water\"],"
                    "\"resume\":{\"epoch\":99,\"offset\":4}}";
    UT_EQ_INT(push_proto_handle(&c, &env, m, strlen(m)), 0);
    json_t *d = pop(&c, &st);
    UT_EQ_STR(json_string_value(json_object_get(d, "type")), "delta");
    UT_EQ_INT(json_object_size(json_object_get(d, "items")), 2);   /* w4 w5 */
    UT_EQ_INT(json_integer_value(json_object_get(d, "offset")), 6);
    json_decref(d);

    push_client_free(&c);
    push_client_init(&c, 1 << 20, &st);
    m = "{\"op\":\"subscribe\",\"topics\":[\"water\"],\"resume\":{\"epoch\":99,\"offset\":1}}";
    push_proto_handle(&c, &env, m, strlen(m));
    d = pop(&c, &st);
    UT_EQ_STR(json_string_value(json_object_get(d, "type")), "reset");
    UT_CHECK(strstr(json_string_value(json_object_get(d, "reason")), "history gone"));
    json_decref(d);
    d = pop(&c, &st);
    UT_EQ_STR(json_string_value(json_object_get(d, "type")), "snapshot");
    UT_EQ_INT(json_object_size(json_object_get(d, "items")), 6);
    json_decref(d);

    m = "{\"op\":\"subscribe\",\"topics\":[\"water\"],\"resume\":{\"epoch\":5,\"offset\":6}}";
    push_proto_handle(&c, &env, m, strlen(m));
    d = pop(&c, &st);
    UT_CHECK(strstr(json_string_value(json_object_get(d, "reason")), "epoch changed"));
    json_decref(d);
    json_decref(pop(&c, &st));

    UT_EQ_INT(push_proto_handle(&c, &env, "{oops", 5), 1);
    d = pop(&c, &st);
    UT_EQ_STR(json_string_value(json_object_get(d, "code")), "bad_json");
    json_decref(d);
    m = "{\"op\":\"publish\",\"topic\":\"water\",\"id\":\"w\",\"fields\":{}}";
    UT_EQ_INT(push_proto_handle(&c, &env, m, strlen(m)), 1);
    d = pop(&c, &st);
    UT_EQ_STR(json_string_value(json_object_get(d, "code")), "forbidden");
    json_decref(d);
    push_client_free(&c);
    push_state_free(&st);
}

static const char *type_of(json_t *m)
{
    return json_string_value(json_object_get(m, "type"));
}

/* A snapshot is built when the client can take it, from the state then;
 * changes of its topic meanwhile are not held twice. */
static void test_snapshot_owed_not_queued(void)
{
    push_state st;
    push_state_init(&st, 100, 3);
    push_state_apply(&st, T("parking"), "p1", json_pack("{s:i}", "free", 1));
    push_proto_env env = {&st, 0, no_publish};
    push_client c;
    push_client_init(&c, 1 << 20, &st);
    const char *m = "{\"op\":\"subscribe\",\"topics\":[\"parking\"]}";
    UT_EQ_INT(push_proto_handle(&c, &env, m, strlen(m)), 0);
    UT_CHECK(c.snap_due != 0);
    UT_EQ_INT(push_client_owed(&c, &st), 0);
    for (int i = 0; i < 50; i++)
        push_state_apply(&st, T("parking"), "p1", json_pack("{s:i}", "free", i));
    push_state_apply(&st, T("parking"), "p2", json_pack("{s:i}", "free", 7));
    UT_EQ_INT(push_client_owed(&c, &st), 0);      /* the snapshot has them */
    json_t *snap = pop(&c, &st);
    UT_EQ_STR(type_of(snap), "snapshot");
    json_t *items = json_object_get(snap, "items");
    UT_EQ_INT(json_integer_value(json_object_get(json_object_get(items, "p1"), "free")), 49);
    UT_EQ_INT(json_integer_value(json_object_get(json_object_get(items, "p2"), "free")), 7);
    UT_EQ_INT(json_integer_value(json_object_get(snap, "offset")), st.offset);
    UT_CHECK(pop(&c, &st) == NULL);
    json_decref(snap);
    push_client_free(&c);
    push_state_free(&st);
}

/* "max_rate_hz": deltas of a limited topic go out in one burst per period
 * (coalesced in between) while other topics flow; watermarks stay honest. */
static void test_rate_limit(void)
{
    push_state st;
    push_state_init(&st, 100, 3);
    push_proto_env env = {&st, 0, no_publish};
    push_client c;
    push_client_init(&c, 1 << 20, &st);
    const char *bad = "{\"op\":\"subscribe\",\"topics\":[{\"topic\":\"traffic\",\"max_rate_hz\":0}]}";
    UT_EQ_INT(push_proto_handle(&c, &env, bad, strlen(bad)), 1);
    json_t *e = frame_json(push_client_next_at(&c, &st, 0));
    UT_EQ_STR(json_string_value(json_object_get(e, "code")), "bad_request");
    UT_CHECK(strstr(json_string_value(json_object_get(e, "message")), "max_rate_hz"));
    json_decref(e);
    const char *m = "{\"op\":\"subscribe\",\"topics\":[{\"topic\":\"traffic\",\"max_rate_hz\":1},\"alerts\"]}";
    UT_EQ_INT(push_proto_handle(&c, &env, m, strlen(m)), 0);
    UT_EQ_INT(c.rate_ms[T("traffic")], 1000);
    int64_t t0 = 50000;
    json_t *s1 = frame_json(push_client_next_at(&c, &st, t0));
    json_t *s2 = frame_json(push_client_next_at(&c, &st, t0));
    UT_EQ_STR(type_of(s1), "snapshot");
    UT_EQ_STR(type_of(s2), "snapshot");
    json_decref(s1);
    json_decref(s2);
    push_state_apply(&st, T("traffic"), "a", json_pack("{s:i}", "v", 1));
    push_state_apply(&st, T("traffic"), "b", json_pack("{s:i}", "v", 1));
    json_t *d = frame_json(push_client_next_at(&c, &st, t0));     /* first burst */
    UT_EQ_STR(type_of(d), "delta");
    UT_EQ_INT(json_object_size(json_object_get(d, "items")), 2);
    json_decref(d);
    for (int i = 2; i < 20; i++)       /* within the period: coalesced */
        push_state_apply(&st, T("traffic"), "a", json_pack("{s:i}", "v", i));
    uint64_t first_a = st.offset - 17;
    push_state_apply(&st, T("alerts"), "x", json_pack("{s:s}", "level", "red"));
    UT_CHECK(push_client_ready_at(&c, &st, t0 + 10));                   /* alerts flow */
    d = frame_json(push_client_next_at(&c, &st, t0 + 10));
    UT_EQ_STR(json_string_value(json_object_get(d, "topic")), "alerts");
    /* traffic "a" is still owed: the watermark stops before it */
    UT_EQ_INT(json_integer_value(json_object_get(d, "offset")), first_a - 1);
    json_decref(d);
    UT_CHECK(!push_client_ready_at(&c, &st, t0 + 10));
    UT_CHECK(push_client_next_at(&c, &st, t0 + 10) == NULL);
    UT_EQ_INT(push_client_wait_ms(&c, &st, t0 + 10), 990);
    d = frame_json(push_client_next_at(&c, &st, t0 + 1000));      /* next burst */
    UT_EQ_STR(json_string_value(json_object_get(d, "topic")), "traffic");
    UT_EQ_INT(json_integer_value(json_object_get(d, "count")), 18);
    UT_EQ_INT(json_integer_value(json_object_get(json_object_get(
        json_object_get(d, "items"), "a"), "v")), 19);
    UT_EQ_INT(json_integer_value(json_object_get(d, "offset")), st.offset);
    json_decref(d);
    UT_EQ_INT(push_client_wait_ms(&c, &st, t0 + 1000), -1);
    UT_EQ_INT(push_client_owed(&c, &st), 0);
    push_client_free(&c);
    push_state_free(&st);
}

/* A big snapshot goes out in parts of bounded size: a "snapshot" with
 * more:true, then "delta"s with part/more, all at one offset; together they
 * hold every entity passing the filter exactly once. A change to an entity
 * already sent waits as a delta behind the last part. Its size raises the
 * client's backlog bound. */
static void test_snapshot_in_parts(void)
{
    push_state st;
    push_state_init(&st, 100000, 3);
    const int n = 3000;
    for (int i = 0; i < n; i++) {
        char id[24];
        snprintf(id, sizeof id, "road-%05d", i);
        push_state_apply(&st, T("traffic"), id, json_pack(
            "{s:s, s:i, s:s}", "district", i % 3 ? "district:a" : "district:b",
            "speed", i, "pad", "0123456789012345678901234567890123456789"));
    }
    push_proto_env env = {&st, 0, no_publish};
    push_client c;
    push_client_init(&c, 1 << 20, &st);
    const char *m = "{\"op\":\"subscribe\",\"topics\":[{\"topic\":\"traffic\","
                    "\"filter\":{\"district\":\"district:a\"}}]}";
    UT_EQ_INT(push_proto_handle(&c, &env, m, strlen(m)), 0);
    uint64_t off0 = st.offset;
    json_t *seen = json_object();
    int parts = 0, more = 1, changed = 0;
    while (more) {
        json_t *p = pop(&c, &st);
        UT_CHECK(p != NULL);
        if (!p)
            break;
        UT_EQ_STR(type_of(p), parts ? "delta" : "snapshot");
        UT_EQ_INT(json_integer_value(json_object_get(p, "part")), parts);
        UT_EQ_INT(json_integer_value(json_object_get(p, "offset")), off0);
        more = json_is_true(json_object_get(p, "more"));
        const char *id;
        json_t *v;
        size_t bytes = 0;
        json_object_foreach(json_object_get(p, "items"), id, v) {
            UT_CHECK(json_object_get(seen, id) == NULL);   /* once only */
            UT_EQ_STR(json_string_value(json_object_get(v, "district")),
                      "district:a");
            json_object_set(seen, id, v);
            bytes += strlen(id);
        }
        UT_CHECK(p && json_object_size(json_object_get(p, "items")) > 0);
        json_decref(p);
        if (parts++ == 0 && !changed) {
            /* road-00001 went out in part 0: its change must follow. */
            changed = 1;
            push_state_apply(&st, T("traffic"), "road-00001",
                             json_pack("{s:i}", "speed", -1));
        }
        UT_CHECK(parts < 100);
    }
    UT_CHECK(parts > 2);                       /* it was split */
    UT_EQ_INT(json_object_size(seen), n - n / 3);
    json_t *d = pop(&c, &st);
    UT_EQ_STR(type_of(d), "delta");
    UT_CHECK(json_object_get(d, "part") == NULL);
    UT_EQ_INT(json_integer_value(json_object_get(json_object_get(
        json_object_get(d, "items"), "road-00001"), "speed")), -1);
    UT_EQ_INT(json_integer_value(json_object_get(d, "offset")), st.offset);
    json_decref(d);
    UT_CHECK(pop(&c, &st) == NULL);
    UT_CHECK(push_client_bound(&c) > (size_t)(1 << 20) + 2 * 100000);
    json_decref(seen);

    /* A client that resumes from the offset of a snapshot in parts may
     * hold only some parts: it gets a reset and a fresh snapshot. */
    push_client r;
    push_client_init(&r, 1 << 20, &st);
    char msg[200];
    snprintf(msg, sizeof msg, "{\"op\":\"subscribe\",\"topics\":[\"traffic\"],"
             "\"resume\":{\"epoch\":3,\"offset\":%llu}}", (unsigned long long)off0);
    UT_EQ_INT(push_proto_handle(&r, &env, msg, strlen(msg)), 0);
    json_t *rs = pop(&r, &st);
    UT_EQ_STR(type_of(rs), "reset");
    UT_CHECK(strstr(json_string_value(json_object_get(rs, "reason")), "snapshot in parts"));
    json_decref(rs);
    rs = pop(&r, &st);
    UT_EQ_STR(type_of(rs), "snapshot");
    json_decref(rs);
    push_client_free(&r);

    /* Resubscribing mid-way starts over; a small snapshot is one plain
     * message, as before parts existed. */
    m = "{\"op\":\"subscribe\",\"topics\":[\"traffic\"]}";
    push_proto_handle(&c, &env, m, strlen(m));
    json_t *p = pop(&c, &st);
    UT_EQ_INT(json_integer_value(json_object_get(p, "part")), 0);
    json_decref(p);
    m = "{\"op\":\"subscribe\",\"topics\":[{\"topic\":\"traffic\",\"filter\":"
        "{\"bbox\":[0,0,1,1]}}]}";
    push_proto_handle(&c, &env, m, strlen(m));
    p = pop(&c, &st);
    UT_EQ_STR(type_of(p), "snapshot");
    UT_CHECK(json_object_get(p, "part") == NULL);
    UT_EQ_INT(json_object_size(json_object_get(p, "items")), 0);
    json_decref(p);
    UT_CHECK(pop(&c, &st) == NULL);
    push_client_free(&c);
    push_state_free(&st);
}

int main(void)
{
    UT_RUN(test_state_merge_and_history);
    UT_RUN(test_state_keeps_changes_only);
    UT_RUN(test_filters);
    UT_RUN(test_client_coalesces_and_watermarks);
    UT_RUN(test_client_bound);
    UT_RUN(test_client_concerned_and_rewind);
    UT_RUN(test_proto_subscribe_resume);
    UT_RUN(test_snapshot_owed_not_queued);
    UT_RUN(test_rate_limit);
    UT_RUN(test_snapshot_in_parts);
    return ut_done();
}
