/* tests/unit/test_live_incidents.c: the incident flow: legal transitions
 * with times and actors, illegal ones refused with the allowed states, the
 * audit log, evaluation against targets, the building's live state, the
 * incident vitals, restoration after a restart, and each unit's planned
 * ETA against its arrival (kept across a restart). */
#include "live/incidents.h"
#include "test_live_fixture.h"
#include "ut.h"

#define STORE "t_live_inc_store.sqlite"
#define HIST "t_live_inc.sqlite"

static json_t *seen;
static void collect(void *ctx, const live_change *c)
{
    (void)ctx;
    if (!strcmp(c->topic, "buildings"))
        json_array_append_new(seen, json_pack("{s:s, s:O}", "entity", c->entity,
                                              "fields", c->fields));
}

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "(null)";
}

static void act(live_engine *e, const char *id, const char *action, const char *body,
                const char *actor, int expect, const char *needle)
{
    json_t *req = body ? fx_json(body) : NULL, *out = NULL;
    ct_err err;
    ct_err_clear(&err);
    int rc = live_incident_act(e, id, action, req, actor, &out, &err);
    json_decref(req);
    json_decref(out);
    if (rc != expect || (needle && !strstr(err.msg, needle)))
        printf("# %s %s: rc %d (want %d): %s\n", id, action, rc, expect, err.msg);
    UT_CHECK(rc == expect);
    UT_CHECK(!needle || strstr(err.msg, needle));
}

static void test_full_flow_with_times_and_audit(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    seen = json_array();
    int sub = live_stream_subscribe(e->stream, collect, NULL);
    json_t *req = fx_json("{\"kind\": \"fire\", \"building\": \"b1\","
                          " \"description\": \"smoke on the 3rd floor\"}"), *inc = NULL;
    ct_err err;
    UT_EQ_INT(live_incident_create(e, req, "dispatcher.chen", &inc, &err), CT_OK);
    json_decref(req);
    char id[32];
    snprintf(id, sizeof id, "%s", str(inc, "id"));
    UT_EQ_STR(id, "INC-000001");
    UT_EQ_STR(str(inc, "state"), "intake");
    UT_EQ_STR(str(inc, "district"), "d2");    /* from the building */
    UT_NEAR(json_number_value(json_object_get(inc, "lon")), 112.4705, 1e-6);
    json_decref(inc);
    /* the building is on fire for every screen */
    UT_EQ_INT(json_array_size(seen), 1);
    json_t *b = json_array_get(seen, 0);
    UT_EQ_STR(str(b, "entity"), "b1");
    UT_EQ_STR(str(json_object_get(b, "fields"), "state"), "fire");
    UT_EQ_INT(fx_vital(e, "d2", "incidents_open"), 1);
    UT_EQ_INT(fx_vital(e, "d1", "incidents_open"), 0);

    fx_now += 30000;
    act(e, id, "dispatch", "{\"units\": [\"Engine 3\", \"Ladder 1\"], \"departments\": \"fire\","
        " \"eta_s\": 200}",
        "dispatcher.chen", CT_OK, NULL);
    fx_now += 240000;
    act(e, id, "arrive", "{\"unit\": \"Engine 3\"}", "Engine 3", CT_OK, NULL);
    fx_now += 600000;
    act(e, id, "verify", NULL, "inspector.wu", CT_OK, NULL);
    act(e, id, "reject", "{\"reason\": \"hot spots\"}", "inspector.wu", CT_OK, NULL);
    fx_now += 300000;
    act(e, id, "verify", NULL, "inspector.wu", CT_OK, NULL);
    fx_now += 60000;
    act(e, id, "close", NULL, "dispatcher.chen", CT_OK, NULL);
    act(e, id, "evaluate", "{\"score\": 4, \"comment\": \"fast\"}", "chief.zhang", CT_OK, NULL);

    UT_EQ_INT(live_incident_get(e, id, &inc, &err), CT_OK);
    UT_EQ_STR(str(inc, "state"), "evaluated");
    json_t *d = json_object_get(inc, "durations");
    UT_NEAR(json_number_value(json_object_get(d, "dispatch_s")), 30, 1e-9);
    UT_NEAR(json_number_value(json_object_get(d, "arrival_s")), 240, 1e-9);
    UT_NEAR(json_number_value(json_object_get(d, "closure_s")), 1230, 1e-9);
    UT_NEAR(json_number_value(json_object_get(d, "planned_arrival_s")), 200, 1e-9);
    UT_NEAR(json_number_value(json_object_get(d, "arrival_vs_plan_s")), 40, 1e-9);
    /* the evaluation view: station = first unit, error = actual - planned */
    json_t *ev = json_object_get(inc, "eta_evaluation");
    UT_EQ_STR(str(ev, "station"), "Engine 3");
    UT_NEAR(json_number_value(json_object_get(ev, "dispatch_to_arrival_s")), 240, 1e-9);
    UT_NEAR(json_number_value(json_object_get(ev, "planned_eta_s")), 200, 1e-9);
    UT_NEAR(json_number_value(json_object_get(ev, "eta_error_s")), 40, 1e-9);
    json_t *ok = json_object_get(inc, "on_target");
    UT_CHECK(json_is_true(json_object_get(ok, "dispatch_s")));    /* <= 60 s */
    UT_CHECK(json_is_true(json_object_get(ok, "arrival_s")));     /* <= 300 s */
    UT_EQ_INT(json_array_size(json_object_get(inc, "units")), 2);
    UT_EQ_INT(json_integer_value(json_object_get(json_object_get(inc, "evaluation"), "score")), 4);
    json_t *audit = json_object_get(inc, "audit");
    const char *want[] = {"intake", "dispatch", "arrive", "verify", "reject", "verify",
                          "close", "evaluate"};
    UT_EQ_INT(json_array_size(audit), 8);
    for (int i = 0; i < 8; i++)
        UT_EQ_STR(str(json_array_get(audit, (size_t)i), "action"), want[i]);
    UT_EQ_STR(str(json_array_get(audit, 2), "actor"), "Engine 3");
    UT_EQ_STR(str(json_object_get(json_array_get(audit, 4), "detail"), "reason"), "hot spots");
    json_decref(inc);
    /* the building is back to normal, and the vitals count the closure */
    b = json_array_get(seen, json_array_size(seen) - 1);
    UT_EQ_STR(str(json_object_get(b, "fields"), "state"), "normal");
    UT_EQ_INT(fx_vital(e, "d2", "incidents_open"), 0);
    UT_NEAR(fx_vital(e, "d2", "closure_rate"), 1, 0);
    UT_NEAR(fx_vital(e, "city", "dispatch_avg_s"), 30, 0);
    UT_NEAR(fx_vital(e, "city", "arrival_avg_s"), 240, 0);
    live_stream_unsubscribe(e->stream, sub);
    json_decref(seen);
    live_close(e);
}

static void test_illegal_transitions_are_refused(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    json_t *req = fx_json("{\"kind\": \"accident\", \"road\": \"r1\"}"), *inc = NULL;
    ct_err err;
    UT_EQ_INT(live_incident_create(e, req, "op", &inc, &err), CT_OK);
    UT_EQ_STR(str(inc, "district"), "d1");   /* from the road */
    UT_EQ_STR(str(inc, "road"), "r1");
    char id[32];
    snprintf(id, sizeof id, "%s", str(inc, "id"));
    json_decref(inc);
    json_decref(req);
    act(e, id, "close", NULL, "op", CT_ECONFLICT, "allowed from: verification");
    act(e, id, "verify", NULL, "op", CT_ECONFLICT, "while intake");
    act(e, id, "arrive", NULL, "op", CT_ECONFLICT, "dispatched, handling");
    act(e, id, "evaluate", NULL, "op", CT_ECONFLICT, "closed");
    act(e, id, "dispatch", "{}", "op", CT_EINVAL, "units");
    act(e, id, "dispatch", "{\"units\": \"Police 2\", \"eta_s\": \"soon\"}", "op", CT_EINVAL,
        "eta_s");
    act(e, id, "teleport", NULL, "op", CT_EINVAL, "unknown action");
    act(e, id, "dispatch", "{\"units\": [\"Police 2\"]}", "", CT_EINVAL, "operator");
    act(e, "INC-999999", "dispatch", NULL, "op", CT_ENOTFOUND, "INC-999999");
    act(e, id, "dispatch", "{\"units\": [\"Police 2\"]}", "op", CT_OK, NULL);
    act(e, id, "dispatch", "{\"units\": [\"Police 3\"]}", "op", CT_ECONFLICT, "while dispatched");
    act(e, id, "assign", "{\"units\": [\"Police 2\"]}", "op", CT_EINVAL, "not yet assigned");
    act(e, id, "assign", "{\"units\": [\"Tow 1\"]}", "op", CT_OK, NULL);
    act(e, id, "handle", NULL, "op", CT_OK, NULL);
    act(e, id, "handle", NULL, "op", CT_ECONFLICT, NULL);
    act(e, id, "note", "{\"text\": \"lane 2 closed\"}", "op", CT_OK, NULL);
    act(e, id, "evaluate", "{\"score\": 9}", "op", CT_ECONFLICT, NULL);
    /* the refused actions left no trace in the audit log */
    UT_EQ_INT(live_incident_get(e, id, &inc, &err), CT_OK);
    UT_EQ_INT(json_array_size(json_object_get(inc, "audit")), 5);
    UT_EQ_STR(str(inc, "state"), "handling");
    json_decref(inc);
    /* bad requests to create */
    const char *bad[] = {"{\"lon\": 112.4, \"lat\": 34.6}", "{\"kind\": \"fire\"}",
                         "{\"kind\": \"fire\", \"lon\": 512, \"lat\": 34.6}", NULL};
    for (int i = 0; bad[i]; i++) {
        req = fx_json(bad[i]);
        UT_EQ_INT(live_incident_create(e, req, "op", &inc, &err), CT_EINVAL);
        json_decref(req);
    }
    req = fx_json("{\"kind\": \"fire\", \"building\": \"b404\"}");
    UT_EQ_INT(live_incident_create(e, req, "op", &inc, &err), CT_ENOTFOUND);
    UT_CHECK(strstr(err.msg, "b404") != NULL);
    json_decref(req);
    /* a bare point is placed in its district */
    req = fx_json("{\"kind\": \"other\", \"lon\": 112.42, \"lat\": 34.63}");
    UT_EQ_INT(live_incident_create(e, req, "op", &inc, &err), CT_OK);
    UT_EQ_STR(str(inc, "district"), "d1");
    json_decref(inc);
    json_decref(req);
    live_close(e);
}

static void test_incidents_survive_restart(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    json_t *req = fx_json("{\"kind\": \"fire\", \"building\": \"b1\"}"), *inc = NULL;
    json_t *req2;
    char id2[32];
    ct_err err;
    UT_EQ_INT(live_incident_create(e, req, "op", &inc, &err), CT_OK);
    json_decref(inc);
    fx_now += 45000;
    act(e, "INC-000001", "dispatch", "{\"units\": \"Engine 3\"}", "op", CT_OK, NULL);
    /* a second incident with a planned ETA and an arrival, for the evaluation */
    req2 = fx_json("{\"kind\": \"fire\", \"lon\": 112.47, \"lat\": 34.62}");
    UT_EQ_INT(live_incident_create(e, req2, "op", &inc, &err), CT_OK);
    json_decref(req2);
    snprintf(id2, sizeof id2, "%s", str(inc, "id"));
    json_decref(inc);
    act(e, id2, "dispatch", "{\"units\": [\"FS-1\"], \"eta_s\": 300}", "op", CT_OK, NULL);
    fx_now += 250000;
    act(e, id2, "arrive", NULL, "op", CT_OK, NULL);
    live_close(e);
    e = fx_engine(STORE, HIST, 1);
    UT_CHECK(e);
    UT_EQ_INT(live_incident_get(e, "INC-000001", &inc, &err), CT_OK);
    UT_EQ_STR(str(inc, "state"), "dispatched");
    UT_NEAR(json_number_value(json_object_get(json_object_get(inc, "durations"),
                                              "dispatch_s")), 45, 1e-9);
    UT_CHECK(json_is_null(json_object_get(json_object_get(inc, "eta_evaluation"),
                                          "planned_eta_s")));
    json_decref(inc);
    /* planned ETA and arrival survive the restart: error = 250 - 300 */
    UT_EQ_INT(live_incident_get(e, id2, &inc, &err), CT_OK);
    json_t *ev = json_object_get(inc, "eta_evaluation");
    UT_EQ_STR(str(ev, "station"), "FS-1");
    UT_NEAR(json_number_value(json_object_get(ev, "planned_eta_s")), 300, 1e-9);
    UT_NEAR(json_number_value(json_object_get(ev, "dispatch_to_arrival_s")), 250, 1e-9);
    UT_NEAR(json_number_value(json_object_get(ev, "eta_error_s")), -50, 1e-9);
    json_decref(inc);
    json_t *bs = live_snapshot(e, "buildings", NULL);
    UT_EQ_STR(str(json_object_get(bs, "b1"), "state"), "fire");
    json_decref(bs);
    UT_EQ_INT(live_incident_create(e, req, "op", &inc, &err), CT_OK);
    UT_EQ_STR(str(inc, "id"), "INC-000003");
    json_decref(inc);
    json_decref(req);
    /* state_at sees the incident as it was before the dispatch */
    json_t *st = NULL;
    UT_EQ_INT(live_hist_flush(e->hist, &err), CT_OK);
    UT_EQ_INT(live_state_at(e, FX_T0 + 10000, &st, &err), CT_OK);
    UT_EQ_STR(str(json_object_get(json_object_get(st, "incidents"), "INC-000001"), "state"),
              "intake");
    json_decref(st);
    live_close(e);
}

static const json_t *unit_row(const json_t *inc, const char *unit)
{
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(inc, "assignments"), i, u)
        if (!strcmp(str(u, "unit"), unit))
            return u;
    return NULL;
}

static double unum(const json_t *inc, const char *unit, const char *k)
{
    const json_t *v = json_object_get(unit_row(inc, unit), k);
    return json_is_number(v) ? json_number_value(v) : -12345;
}

/* Three units: two sent at the dispatch with their own ETAs (etas), one
 * assigned later (eta_s); each arrives on its own; the per-unit figures,
 * the incident's planned first arrival, the refusals and the audit log;
 * then all of it again after a restart. */
static void test_units_planned_against_actual(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    json_t *req = fx_json("{\"kind\": \"fire\", \"lon\": 112.47, \"lat\": 34.62}"), *inc = NULL;
    ct_err err;
    UT_EQ_INT(live_incident_create(e, req, "op", &inc, &err), CT_OK);
    json_decref(req);
    char id[32];
    snprintf(id, sizeof id, "%s", str(inc, "id"));
    json_decref(inc);
    fx_now += 20000;
    act(e, id, "dispatch", "{\"units\": [\"fs:1/engine-1\", \"fs:2\"], \"etas\": "
        "{\"fs:1/engine-1\": 200, \"fs:2\": 260}}", "op", CT_OK, NULL);
    /* refused: a plan for a unit not sent, a bad ETA, an unknown arrival */
    act(e, id, "assign", "{\"units\": [\"fs:3\"], \"etas\": {\"fs:9\": 10}}", "op",
        CT_EINVAL, "not one of the units sent");
    act(e, id, "assign", "{\"units\": [\"fs:3\"], \"etas\": {\"fs:3\": -1}}", "op",
        CT_EINVAL, ">= 0");
    act(e, id, "assign", "{\"units\": [\"fs:3\"], \"etas\": [1]}", "op", CT_EINVAL,
        "object");
    act(e, id, "assign", "{\"units\": [7]}", "op", CT_EINVAL, "units[0]");
    act(e, id, "arrive", "{\"unit\": \"fs:9\"}", "op", CT_EINVAL, "was not sent");
    fx_now += 60000;
    act(e, id, "assign", "{\"units\": \"fs:3\", \"eta_s\": 150}", "op", CT_OK, NULL);
    fx_now += 150000;   /* 210 s after the dispatch */
    act(e, id, "arrive", "{\"unit\": \"fs:1/engine-1\"}", "op", CT_OK, NULL);
    act(e, id, "arrive", "{\"units\": [\"fs:1/engine-1\"]}", "op", CT_ECONFLICT,
        "already arrived");
    fx_now += 30000;    /* 240 s */
    act(e, id, "arrive", NULL, "op", CT_OK, NULL);   /* the rest: fs:2 and fs:3 */
    for (int pass = 0; pass < 2; pass++) {
        UT_EQ_INT(live_incident_get(e, id, &inc, &err), CT_OK);
        UT_EQ_INT(json_array_size(json_object_get(inc, "assignments")), 3);
        UT_EQ_STR(str(unit_row(inc, "fs:1/engine-1"), "station"), "fs:1");
        UT_NEAR(unum(inc, "fs:1/engine-1", "planned_eta_s"), 200, 1e-9);
        UT_NEAR(unum(inc, "fs:1/engine-1", "dispatch_to_arrival_s"), 210, 1e-9);
        UT_NEAR(unum(inc, "fs:1/engine-1", "eta_error_s"), 10, 1e-9);
        UT_NEAR(unum(inc, "fs:2", "dispatch_to_arrival_s"), 240, 1e-9);
        UT_NEAR(unum(inc, "fs:2", "eta_error_s"), -20, 1e-9);
        /* fs:3 was sent 60 s after the dispatch: its own clock starts then */
        UT_NEAR(unum(inc, "fs:3", "planned_eta_s"), 150, 1e-9);
        UT_NEAR(unum(inc, "fs:3", "dispatch_to_arrival_s"), 180, 1e-9);
        UT_NEAR(unum(inc, "fs:3", "eta_error_s"), 30, 1e-9);
        UT_EQ_INT(json_array_size(json_object_get(inc, "units")), 3);
        /* the incident: first arrival 210 s against the planned first, 200 s */
        json_t *ev = json_object_get(inc, "eta_evaluation");
        UT_EQ_STR(str(ev, "station"), "fs:1");
        UT_NEAR(json_number_value(json_object_get(ev, "planned_eta_s")), 200, 1e-9);
        UT_NEAR(json_number_value(json_object_get(ev, "dispatch_to_arrival_s")), 210, 1e-9);
        UT_NEAR(json_number_value(json_object_get(ev, "eta_error_s")), 10, 1e-9);
        /* the audit log keeps each send and arrival with its body */
        json_t *audit = json_object_get(inc, "audit");
        const char *want[] = {"intake", "dispatch", "assign", "arrive", "arrive"};
        UT_EQ_INT(json_array_size(audit), 5);
        for (int i = 0; i < 5 && i < (int)json_array_size(audit); i++)
            UT_EQ_STR(str(json_array_get(audit, (size_t)i), "action"), want[i]);
        UT_NEAR(json_number_value(json_object_get(json_object_get(
            json_array_get(audit, 2), "detail"), "eta_s")), 150, 1e-9);
        json_decref(inc);
        live_close(e);
        e = fx_engine(STORE, HIST, 1);   /* the second pass reads it back */
        UT_CHECK(e);
    }
    live_close(e);
}

int main(void)
{
    if (fx_store(STORE))
        return 1;
    UT_RUN(test_full_flow_with_times_and_audit);
    UT_RUN(test_illegal_transitions_are_refused);
    UT_RUN(test_incidents_survive_restart);
    UT_RUN(test_units_planned_against_actual);
    return ut_done();
}
