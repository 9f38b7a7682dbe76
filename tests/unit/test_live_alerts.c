/* tests/unit/test_live_alerts.c: alert levels with hysteresis, the alert
 * lifecycle (raised once, updated, acknowledged, cleared; stable ids),
 * threshold files, escalation into an incident, NGSI-LD alerts, and the
 * stream's ordering. */
#include <stdlib.h>

#include "live/alerts.h"
#include "live/thresholds.h"
#include "test_live_fixture.h"
#include "ut.h"

#define STORE "t_live_al_store.sqlite"
#define HIST "t_live_al.sqlite"

static live_rule tpi_rule(void)
{
    live_rule r;
    memset(&r, 0, sizeof r);
    snprintf(r.id, sizeof r.id, "tpi");
    snprintf(r.title, sizeof r.title, "Traffic congestion");
    snprintf(r.value, sizeof r.value, "tpi");
    r.scope = LIVE_SC_PLACE;
    r.at[0] = NAN;
    r.at[1] = 6, r.at[2] = 7, r.at[3] = 8, r.at[4] = 9;
    r.hysteresis = 0.3;
    return r;
}

static void test_levels_rise_at_once_and_fall_past_hysteresis(void)
{
    live_rule r = tpi_rule();
    UT_EQ_INT(live_rule_level(&r, 5.9, 0), 0);
    UT_EQ_INT(live_rule_level(&r, 6.0, 0), LIVE_LV_BLUE);
    UT_EQ_INT(live_rule_level(&r, 9.5, 0), LIVE_LV_RED);        /* jumps */
    UT_EQ_INT(live_rule_level(&r, 8.8, LIVE_LV_RED), LIVE_LV_RED);   /* held */
    UT_EQ_INT(live_rule_level(&r, 8.6, LIVE_LV_RED), LIVE_LV_ORANGE);
    UT_EQ_INT(live_rule_level(&r, 5.0, LIVE_LV_RED), 0);
    UT_EQ_INT(live_rule_level(&r, 5.75, LIVE_LV_BLUE), LIVE_LV_BLUE);
    UT_EQ_INT(live_rule_level(&r, NAN, LIVE_LV_ORANGE), LIVE_LV_ORANGE);
    live_rule b = r;   /* "below": free spaces running out */
    b.below = 1;
    b.at[1] = 50, b.at[2] = 20, b.at[3] = 10, b.at[4] = 0;
    b.hysteresis = 5;
    UT_EQ_INT(live_rule_level(&b, 60, 0), 0);
    UT_EQ_INT(live_rule_level(&b, 15, 0), LIVE_LV_YELLOW);
    UT_EQ_INT(live_rule_level(&b, 24, LIVE_LV_YELLOW), LIVE_LV_YELLOW);
    UT_EQ_INT(live_rule_level(&b, 26, LIVE_LV_YELLOW), LIVE_LV_BLUE);
}

static void test_lifecycle_and_stable_id(void)
{
    live_alerts al;
    live_alerts_init(&al);
    live_rule r = tpi_rule();
    int idx;
    int64_t t = FX_T0;
    UT_EQ_INT(live_alerts_eval(&al, &r, "d1", "d1", 5.0, t, &idx), LIVE_AL_NOCHANGE);
    UT_EQ_INT(al.n, 0);
    UT_EQ_INT(live_alerts_eval(&al, &r, "d1", "d1", 7.2, t += 1000, &idx), LIVE_AL_RAISED);
    char id[192];
    snprintf(id, sizeof id, "%s", al.a[idx].id);
    UT_EQ_STR(id, "tpi:d1:1780300801");
    UT_EQ_INT(al.a[idx].level, LIVE_LV_YELLOW);
    /* the same level again is not a change (not re-raised) */
    UT_EQ_INT(live_alerts_eval(&al, &r, "d1", "d1", 7.5, t += 1000, &idx), LIVE_AL_NOCHANGE);
    UT_EQ_INT(live_alerts_eval(&al, &r, "d1", "d1", 8.1, t += 1000, &idx), LIVE_AL_UPDATED);
    UT_EQ_INT(al.a[idx].level, LIVE_LV_ORANGE);
    UT_EQ_INT(live_alerts_eval(&al, &r, "d1", "d1", 7.8, t += 1000, &idx), LIVE_AL_NOCHANGE);
    UT_EQ_INT(live_alerts_eval(&al, &r, "d1", "d1", 7.6, t += 1000, &idx), LIVE_AL_UPDATED);
    UT_EQ_INT(al.a[idx].level, LIVE_LV_YELLOW);
    ct_err err;
    UT_EQ_INT(live_alerts_ack(&al, id, "", t, &idx, &err), CT_EINVAL);
    UT_EQ_INT(live_alerts_ack(&al, id, "wang.li", t += 1000, &idx, &err), CT_OK);
    UT_EQ_INT(al.a[idx].status, LIVE_AL_ACKED);
    UT_EQ_STR(al.a[idx].acked_by, "wang.li");
    /* worse again: needs a new acknowledgement */
    UT_EQ_INT(live_alerts_eval(&al, &r, "d1", "d1", 8.5, t += 1000, &idx), LIVE_AL_UPDATED);
    UT_EQ_INT(al.a[idx].status, LIVE_AL_ACTIVE);
    UT_EQ_STR(al.a[idx].acked_by, "");
    UT_EQ_INT(live_alerts_eval(&al, &r, "d1", "d1", 5.8, t += 1000, &idx), LIVE_AL_UPDATED);
    UT_EQ_INT(al.a[idx].level, LIVE_LV_BLUE);
    UT_EQ_STR(al.a[idx].id, id);
    UT_EQ_INT(live_alerts_eval(&al, &r, "d1", "d1", 5.6, t += 1000, &idx), LIVE_AL_CLEARED_NOW);
    UT_EQ_INT(al.a[idx].status, LIVE_AL_CLEARED);
    UT_EQ_STR(al.a[idx].id, id);
    UT_EQ_INT(live_alerts_ack(&al, id, "wang.li", t, &idx, &err), CT_ECONFLICT);
    UT_EQ_INT(live_alerts_ack(&al, "nope", "wang.li", t, &idx, &err), CT_ENOTFOUND);
    /* a new episode is a new alert with a new id; the old one is kept */
    UT_EQ_INT(live_alerts_eval(&al, &r, "d1", "d1", 9.9, t += 1000, &idx), LIVE_AL_RAISED);
    UT_CHECK(strcmp(al.a[idx].id, id) != 0);
    UT_EQ_INT(al.n, 2);
    live_alerts_prune(&al, t + 1);   /* drops the cleared one */
    UT_EQ_INT(al.n, 1);
    UT_EQ_INT(live_alerts_eval(&al, &r, "d1", "d1", 9.8, t += 1000, &idx), LIVE_AL_NOCHANGE);
    UT_EQ_INT(idx, 0);
    live_alerts_free(&al);
}

static void test_threshold_files(void)
{
    live_thresholds *t;
    ct_err err;
    UT_EQ_INT(live_thr_load(NULL, &t, &err), CT_OK);
    UT_CHECK(t->nrules >= 4);
    UT_NEAR(live_thr_target(t, "fire")->arrival_s, 300, 0);
    UT_NEAR(live_thr_target(t, "unknown-kind")->closure_s, 86400, 0);
    live_thr_free(t);
    const char *bad[] = {
        "{\"alerts\": [{\"id\": \"x\", \"scope\": \"moon\", \"value\": \"tpi\", \"levels\": {\"red\": 1}}]}",
        "{\"alerts\": [{\"id\": \"x\", \"scope\": \"place\", \"value\": \"tpi\", \"levels\": {}}]}",
        "{\"alerts\": [{\"id\": \"x\", \"scope\": \"place\", \"value\": \"tpi\", \"levels\": {\"yellow\": 8, \"red\": 7}}]}",
        "{\"alerts\": [{\"id\": \"x\", \"scope\": \"place\", \"value\": \"tpi\", \"levels\": {\"red\": 9}},"
        "              {\"id\": \"x\", \"scope\": \"city\", \"value\": \"tpi\", \"levels\": {\"red\": 9}}]}",
        "{\"rules\": []}",
        NULL};
    const char *needle[] = {"moon", "levels", "less severe", "twice", "alerts"};
    for (int i = 0; bad[i]; i++) {
        json_t *j = fx_json(bad[i]);
        UT_EQ_INT(live_thr_parse(j, "test.json", &t, &err), CT_EFORMAT);
        UT_CHECK_MSG(strstr(err.msg, needle[i]) && strstr(err.msg, "test.json"), "%s", err.msg);
        json_decref(j);
    }
    FILE *f = fopen("t_thr.json", "w");
    fputs("{\"alerts\": [{\"id\": \"slow\", \"scope\": \"traffic\", \"value\": \"speed_kmh\","
          " \"direction\": \"below\", \"levels\": {\"yellow\": 20, \"red\": 5}, \"hysteresis\": 2}],"
          " \"incident_targets\": {\"fire\": {\"arrival_s\": 240}}}", f);
    fclose(f);
    UT_EQ_INT(live_thr_load("t_thr.json", &t, &err), CT_OK);
    UT_EQ_INT(t->nrules, 1);
    UT_EQ_INT(t->rules[0].below, 1);
    UT_NEAR(live_thr_target(t, "fire")->arrival_s, 240, 0);
    live_thr_free(t);
    /* the repository's own file (data/thresholds.json) loads */
    const char *src = getenv("CT_SRC");
    char path[1024];
    snprintf(path, sizeof path, "%s/data/thresholds.json", src ? src : "../..");
    UT_EQ_INT(live_thr_load(path, &t, &err), CT_OK);
    UT_CHECK(t->nrules >= 4);
    UT_CHECK(t->stale_periods >= 1);
    live_thr_free(t);
}

static json_t *seen;
static uint64_t last_seq;
static int out_of_order;
static void collect(void *ctx, const live_change *c)
{
    (void)ctx;
    if (c->seq <= last_seq)
        out_of_order++;
    last_seq = c->seq;
    json_array_append_new(seen, json_pack("{s:s, s:s, s:O}", "topic", c->topic,
                                          "entity", c->entity, "fields", c->fields));
}

/* The engine's alerts of one rule (others, e.g. silent stations, aside). */
static json_t *alerts_of(live_engine *e, const char *rule, int include_cleared)
{
    json_t *all = live_alerts_list(e, include_cleared), *out = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(all, i, x)
        if (!strcmp(json_string_value(json_object_get(x, "rule")), rule))
            json_array_append(out, x);
    json_decref(all);
    return out;
}

static int count_topic(const char *topic, const char *entity)
{
    int n = 0;
    size_t i;
    json_t *m;
    json_array_foreach(seen, i, m)
        n += !strcmp(json_string_value(json_object_get(m, "topic")), topic) &&
             (!entity || !strcmp(json_string_value(json_object_get(m, "entity")), entity));
    return n;
}

static void test_water_alert_escalates_to_incident(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    seen = json_array();
    last_seq = 0;
    out_of_order = 0;
    int sub = live_stream_subscribe(e->stream, collect, NULL);
    /* w1: warning 10, guarantee 12: 9.6 -> blue, 10.2 -> yellow, 12.3 -> red */
    json_decref(fx_ingest(e, "[{\"entity\": \"w1\", \"time\": 1780300000000, \"values\": {\"level_m\": 9.6}}]"));
    json_t *al = alerts_of(e, "water_level", 0);
    UT_EQ_INT(json_array_size(al), 1);
    json_t *a = json_array_get(al, 0);
    UT_EQ_STR(json_string_value(json_object_get(a, "level")), "blue");
    UT_EQ_STR(json_string_value(json_object_get(a, "district")), "d1");
    char id[192];
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(a, "id")));
    json_decref(al);
    json_decref(fx_ingest(e, "[{\"entity\": \"w1\", \"time\": 1780300100000, \"values\": {\"level_m\": 9.7}}]"));
    UT_EQ_INT(count_topic("alerts", id), 1);   /* same level: no message */
    UT_EQ_INT(count_topic("water", "w1"), 2);
    json_decref(fx_ingest(e, "[{\"entity\": \"w1\", \"time\": 1780300200000, \"values\": {\"level_m\": 10.2}}]"));
    UT_EQ_INT(count_topic("alerts", id), 2);
    json_t *out = NULL;
    ct_err err;
    UT_EQ_INT(live_alert_ack(e, id, "zhao.min", &out, &err), CT_OK);
    UT_EQ_STR(json_string_value(json_object_get(out, "status")), "acknowledged");
    json_decref(out);
    UT_EQ_INT(live_alert_ack(e, "tpi:nowhere:1", "zhao.min", &out, &err), CT_ENOTFOUND);
    json_t *incs = live_incidents_list(e, 1);
    UT_EQ_INT(json_array_size(incs), 0);
    json_decref(incs);
    json_decref(fx_ingest(e, "[{\"entity\": \"w1\", \"time\": 1780300300000, \"values\": {\"level_m\": 12.3}}]"));
    incs = live_incidents_list(e, 1);
    UT_EQ_INT(json_array_size(incs), 1);
    json_t *inc = json_array_get(incs, 0);
    UT_EQ_STR(json_string_value(json_object_get(inc, "kind")), "flood");
    UT_EQ_STR(json_string_value(json_object_get(inc, "alert")), id);
    UT_EQ_STR(json_string_value(json_object_get(inc, "district")), "d1");
    UT_NEAR(json_number_value(json_object_get(inc, "lon")), 112.44, 1e-9);
    json_decref(incs);
    al = alerts_of(e, "water_level", 0);
    a = json_array_get(al, 0);
    UT_EQ_STR(json_string_value(json_object_get(a, "level")), "red");
    UT_EQ_STR(json_string_value(json_object_get(a, "status")), "active");   /* re-ack */
    UT_EQ_STR(json_string_value(json_object_get(a, "incident")), "INC-000001");
    json_decref(al);
    /* escalating it again by hand is refused */
    UT_EQ_INT(live_incident_from_alert(e, id, NULL, "zhao.min", &out, &err), CT_ECONFLICT);
    /* the level falls back below warning - 0.25 * 2 m - hysteresis: cleared */
    json_decref(fx_ingest(e, "[{\"entity\": \"w1\", \"time\": 1780300400000, \"values\": {\"level_m\": 9.0}}]"));
    al = alerts_of(e, "water_level", 0);
    UT_EQ_INT(json_array_size(al), 0);
    json_decref(al);
    al = alerts_of(e, "water_level", 1);
    UT_EQ_STR(json_string_value(json_object_get(json_array_get(al, 0), "status")), "cleared");
    json_decref(al);
    UT_EQ_INT(out_of_order, 0);
    UT_CHECK(count_topic("vitals", "d1") >= 1);
    UT_CHECK(count_topic("incidents", "INC-000001") == 1);
    live_stream_unsubscribe(e->stream, sub);
    json_decref(seen);
    live_close(e);
}

static void test_alerts_survive_restart(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    json_decref(fx_ingest(e, "[{\"entity\": \"r3\", \"time\": 1780300800000, \"values\": {\"speed_kmh\": 4}}]"));
    json_t *al = alerts_of(e, "tpi", 0), *out = NULL;
    UT_EQ_INT(json_array_size(al), 2);   /* tpi of d2 and of the city */
    char id[192];
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(json_array_get(al, 0), "id")));
    json_decref(al);
    ct_err err;
    UT_EQ_INT(live_alert_ack(e, id, "li.na", &out, &err), CT_OK);
    json_decref(out);
    live_close(e);
    e = fx_engine(STORE, HIST, 1);
    UT_CHECK(e);
    al = alerts_of(e, "tpi", 0);
    UT_EQ_INT(json_array_size(al), 2);
    json_t *a = NULL;
    size_t i;
    json_t *x;
    json_array_foreach(al, i, x)
        if (!strcmp(json_string_value(json_object_get(x, "id")), id))
            a = x;
    UT_CHECK(a);
    UT_EQ_STR(json_string_value(json_object_get(a, "acked_by")), "li.na");
    json_decref(al);
    live_close(e);
}

static void test_ngsi_alert_raised_and_expired(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    json_t *body = fx_json("[{\"id\": \"urn:ngsi-ld:Alert:jam-7\", \"type\": \"Alert\","
        " \"category\": \"traffic\", \"subCategory\": \"trafficJam\", \"severity\": \"critical\","
        " \"dateIssued\": \"2026-06-01T07:59:00Z\", \"validTo\": \"2026-06-01T09:00:00Z\"},"
        " {\"id\": \"urn:ngsi-ld:OffStreetParking:p2\", \"type\": \"OffStreetParking\","
        "  \"availableSpotNumber\": 5, \"dateObserved\": \"2026-06-01T07:59:00Z\"}]");
    json_t *r = NULL;
    ct_err err;
    UT_EQ_INT(live_ingest_ngsi(e, body, &r, &err), CT_OK);
    UT_EQ_INT(json_integer_value(json_object_get(r, "accepted")), 1);
    UT_EQ_INT(json_array_size(json_object_get(r, "alerts")), 1);
    json_decref(r);
    json_t *al = live_alerts_list(e, 0);
    int found = 0;
    size_t i;
    json_t *x;
    json_array_foreach(al, i, x)
        if (!strcmp(json_string_value(json_object_get(x, "id")), "urn:ngsi-ld:Alert:jam-7")) {
            found = 1;
            UT_EQ_STR(json_string_value(json_object_get(x, "level")), "red");
        }
    UT_CHECK(found);
    json_decref(al);
    fx_now = FX_T0 + 2 * 3600000;   /* after validTo, the same upsert clears it */
    UT_EQ_INT(live_ingest_ngsi(e, body, &r, &err), CT_OK);
    json_decref(r);
    al = live_alerts_list(e, 0);
    json_array_foreach(al, i, x)
        UT_CHECK(strcmp(json_string_value(json_object_get(x, "id")), "urn:ngsi-ld:Alert:jam-7"));
    json_decref(al);
    json_decref(body);
    live_close(e);
}

int main(void)
{
    if (fx_store(STORE))
        return 1;
    UT_RUN(test_levels_rise_at_once_and_fall_past_hysteresis);
    UT_RUN(test_lifecycle_and_stable_id);
    UT_RUN(test_threshold_files);
    UT_RUN(test_water_alert_escalates_to_incident);
    UT_RUN(test_alerts_survive_restart);
    UT_RUN(test_ngsi_alert_raised_and_expired);
    return ut_done();
}
