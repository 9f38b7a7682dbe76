/* tests/unit/test_live_entity_at.c: observed entities at a past time, for
 * the wall's replay. One entity (live_entity_state_at): the latest
 * observation at or before T, values sent apart filled from the rows just
 * before it, fresh within the kind's window and stale (saying so) beyond
 * it, nothing before the first observation or past the look-back,
 * 5-minute means once the raw rows are pruned; errors name the entity or
 * the time. Whole topics (live_topics_at): the same states in one read. */
#include <string.h>

#include "test_live_fixture.h"
#include "ut.h"

#define STORE "t_live_at_store.sqlite"
#define HIST "t_live_at.sqlite"

static json_t *at(live_engine *e, const char *id, int64_t t)
{
    json_t *j = NULL;
    ct_err err;
    if (live_entity_state_at(e, id, t, &j, &err))
        printf("# entity_state_at(%s, %lld): %s\n", id, (long long)t, err.msg);
    return j;
}

static double num(const json_t *j, const char *k)
{
    const json_t *v = json_object_get(j, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(const json_t *j, const char *k)
{
    return json_string_value(json_object_get(j, k));
}

/* r1 (motorway, 60 s period, stale after 2 periods = 120 s):
 * T0-30min all three values, T0-29min only the speed, then silence. */
static live_engine *fed_engine(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    if (!e)
        return NULL;
    json_t *r = fx_ingest(e,
        "[{\"entity\": \"r1\", \"time\": \"2026-06-01T07:30:00Z\","
        "  \"values\": {\"speed_kmh\": 90, \"flow_vph\": 1200, \"occupancy\": 0.2}},"
        " {\"entity\": \"r1\", \"time\": \"2026-06-01T07:31:00Z\","
        "  \"values\": {\"speed_kmh\": 20}},"
        " {\"entity\": \"p1\", \"time\": \"2026-06-01T07:30:00Z\","
        "  \"values\": {\"free\": 5, \"total\": 100}},"
        " {\"entity\": \"w1\", \"time\": \"2026-06-01T07:30:00Z\","
        "  \"values\": {\"level_m\": 10.5}}]");
    if (!r || json_integer_value(json_object_get(r, "accepted")) != 4) {
        json_decref(r);
        live_close(e);
        return NULL;
    }
    json_decref(r);
    return e;
}

static void test_latest_observation_at_or_before(void)
{
    live_engine *e = fed_engine();
    UT_CHECK(e);
    int64_t t30 = FX_T0 - 1800000, t29 = FX_T0 - 1740000;
    /* between the two rows: the first */
    json_t *j = at(e, "r1", t30 + 30000);
    UT_CHECK(j);
    UT_NEAR(num(j, "speed_kmh"), 90, 0);
    UT_NEAR(num(j, "age_s"), 30, 0);
    UT_CHECK(json_is_false(json_object_get(j, "stale")));
    UT_EQ_STR(str(j, "history"), "raw");
    UT_EQ_STR(str(j, "kind"), "traffic");
    UT_EQ_STR(str(j, "t"), "2026-06-01T07:30:00.000Z");
    UT_NEAR(num(j, "window_s"), 120, 0);
    UT_CHECK(json_object_get(j, "note") == NULL);
    json_decref(j);
    /* exactly at the second row: its speed, the flow filled from the first */
    j = at(e, "r1", t29);
    UT_CHECK(j);
    UT_NEAR(num(j, "speed_kmh"), 20, 0);
    UT_NEAR(num(j, "flow_vph"), 1200, 0);
    UT_NEAR(num(j, "occupancy"), 0.2, 1e-12);
    UT_EQ_STR(str(j, "level"), "severe");
    UT_EQ_STR(str(j, "t"), "2026-06-01T07:31:00.000Z");
    UT_EQ_STR(str(j, "district"), "d1");
    json_decref(j);
    /* a car park and a water station, derived fields as the live state has */
    j = at(e, "p1", t30 + 60000);
    UT_CHECK(j);
    UT_NEAR(num(j, "occupancy"), 0.95, 1e-12);
    UT_EQ_STR(str(j, "status"), "almostFull");
    json_decref(j);
    j = at(e, "w1", t30 + 60000);
    UT_CHECK(j);
    UT_EQ_STR(str(j, "state"), "above_warning");
    UT_NEAR(num(j, "above_warning_m"), 0.5, 1e-12);
    UT_NEAR(num(j, "window_s"), 600, 0);   /* 2 x its own 300 s period */
    json_decref(j);
    live_close(e);
}

static void test_stale_absent_and_errors(void)
{
    live_engine *e = fed_engine();
    UT_CHECK(e);
    int64_t t29 = FX_T0 - 1740000;
    /* 121 s after the last row: stale, the last values kept, and a note */
    json_t *j = at(e, "r1", t29 + 121000);
    UT_CHECK(j);
    UT_CHECK(json_is_true(json_object_get(j, "stale")));
    UT_NEAR(num(j, "speed_kmh"), 20, 0);
    UT_CHECK(str(j, "note") && strstr(str(j, "note"), "stale"));
    json_decref(j);
    /* 120 s after: still fresh (the live rule: stale when older than) */
    j = at(e, "r1", t29 + 120000);
    UT_CHECK(json_is_false(json_object_get(j, "stale")));
    json_decref(j);
    /* before the first observation: nothing, said so */
    j = at(e, "r1", FX_T0 - 1800001);
    UT_CHECK(j);
    UT_CHECK(json_is_true(json_object_get(j, "stale")));
    UT_CHECK(json_is_null(json_object_get(j, "speed_kmh")));
    UT_CHECK(json_is_null(json_object_get(j, "t")));
    UT_CHECK(json_is_null(json_object_get(j, "age_s")));
    UT_EQ_STR(str(j, "history"), "none");
    UT_CHECK(str(j, "note") && strstr(str(j, "note"), "no observation of r1"));
    json_decref(j);
    /* an entity that never reported */
    j = at(e, "r2", FX_T0);
    UT_EQ_STR(str(j, "history"), "none");
    json_decref(j);
    /* past the look-back (2 h of recompute window): none either */
    fx_now = FX_T0 + 3 * 3600000LL;
    j = at(e, "r1", fx_now);
    UT_EQ_STR(str(j, "history"), "none");
    json_decref(j);
    fx_now = FX_T0;
    ct_err err;
    json_t *out = NULL;
    UT_EQ_INT(live_entity_state_at(e, "r9", FX_T0, &out, &err), CT_ENOTFOUND);
    UT_CHECK(strstr(err.msg, "'r9'") != NULL);
    UT_CHECK(out == NULL);
    UT_EQ_INT(live_entity_state_at(e, "b1", FX_T0, &out, &err), CT_ENOTFOUND);
    UT_EQ_INT(live_entity_state_at(e, "r1", FX_T0 + 3600000, &out, &err), CT_EINVAL);
    UT_CHECK(strstr(err.msg, "after the server's clock") != NULL);
    live_close(e);
}

static void test_pruned_past_gives_bucket_means(void)
{
    live_engine *e = fed_engine();
    UT_CHECK(e);
    ct_err err;
    json_t *r = fx_ingest(e, "[{\"entity\": \"r3\", \"time\": \"2026-06-01T07:00:10Z\","
                             "  \"values\": {\"speed_kmh\": 30}},"
                             " {\"entity\": \"r3\", \"time\": \"2026-06-01T07:00:50Z\","
                             "  \"values\": {\"speed_kmh\": 50}}]");
    json_decref(r);
    UT_EQ_INT(live_hist_prune(e->hist, FX_T0 - 3000000, &err), CT_OK);   /* 07:10 */
    json_t *j = at(e, "r3", FX_T0 - 3540000);   /* 07:01 */
    UT_CHECK(j);
    UT_EQ_STR(str(j, "history"), "5min");
    UT_NEAR(num(j, "speed_kmh"), 40, 1e-9);
    UT_EQ_STR(str(j, "t"), "2026-06-01T07:00:00.000Z");
    UT_CHECK(json_is_false(json_object_get(j, "stale")));
    UT_CHECK(str(j, "note") && strstr(str(j, "note"), "5-minute"));
    json_decref(j);
    /* the raw rows after the cut still answer */
    j = at(e, "r1", FX_T0 - 1790000);
    UT_EQ_STR(str(j, "history"), "raw");
    json_decref(j);
    live_close(e);
}

static void test_whole_topics_at(void)
{
    live_engine *e = fed_engine();
    UT_CHECK(e);
    int64_t t30 = FX_T0 - 1800000;
    ct_err err;
    json_t *st = json_object();
    UT_EQ_INT(live_topics_at(e, t30 + 90000, 1u << LIVE_ROAD | 1u << LIVE_PARK, st, &err),
              CT_OK);
    json_t *tr = json_object_get(st, "traffic"), *pk = json_object_get(st, "parking");
    UT_CHECK(json_is_object(tr) && json_is_object(pk));
    UT_CHECK(json_object_get(st, "water") == NULL);   /* not asked */
    json_t *r1 = json_object_get(tr, "r1");
    UT_NEAR(num(r1, "speed_kmh"), 20, 0);
    UT_NEAR(num(r1, "flow_vph"), 1200, 0);   /* filled from the row before */
    UT_CHECK(json_is_false(json_object_get(r1, "stale")));
    UT_CHECK(json_object_get(tr, "r2") == NULL);   /* never reported: no data */
    UT_NEAR(num(json_object_get(pk, "p1"), "occupancy"), 0.95, 1e-12);
    /* before every observation: the topics are there, empty */
    UT_EQ_INT(live_topics_at(e, t30 - 1, 1u << LIVE_ROAD, st, &err), CT_OK);
    UT_EQ_INT(json_object_size(json_object_get(st, "traffic")), 0);
    /* water: w1 (300 s period) 700 s after its reading is stale, and still
     * read back to w2's longer window (600 s period) */
    UT_EQ_INT(live_topics_at(e, t30 + 700000, 1u << LIVE_WATER, st, &err), CT_OK);
    json_t *w1 = json_object_get(json_object_get(st, "water"), "w1");
    UT_CHECK(w1 != NULL);
    UT_CHECK(json_is_true(json_object_get(w1, "stale")));
    UT_EQ_STR(str(w1, "state"), "above_warning");
    json_decref(st);
    st = json_object();
    UT_EQ_INT(live_topics_at(e, FX_T0 + 3600000, 1u << LIVE_ROAD, st, &err), CT_EINVAL);
    UT_CHECK(strstr(err.msg, "after the server's clock") != NULL);
    json_decref(st);
    live_close(e);
}

int main(void)
{
    if (fx_store(STORE))
        return 1;
    UT_RUN(test_latest_observation_at_or_before);
    UT_RUN(test_stale_absent_and_errors);
    UT_RUN(test_pruned_past_gives_bucket_means);
    UT_RUN(test_whole_topics_at);
    fx_rm_history(HIST);
    fx_rm_history(STORE);
    return ut_done();
}
