/* tests/unit/test_live_observe.c: observation validation (every reason),
 * ISO 8601 times, the id map, and NGSI-LD conversion in both forms. */
#include <math.h>

#include "live/clock.h"
#include "live/map.h"
#include "live/ngsi.h"
#include "live/observe.h"
#include "test_live_fixture.h"
#include "ut.h"

static live_registry *reg;

static void test_map_put_get_grow(void)
{
    live_map m;
    live_map_init(&m);
    char k[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof k, "seg-%d", i);
        UT_EQ_INT(live_map_put(&m, k, i), 0);
    }
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof k, "seg-%d", i);
        UT_EQ_INT(live_map_get(&m, k), i);
    }
    UT_EQ_INT(live_map_get(&m, "seg-1000"), -1);
    UT_EQ_INT(m.len, 1000);
    live_map_put(&m, "seg-5", 42);
    UT_EQ_INT(live_map_get(&m, "seg-5"), 42);
    UT_EQ_INT(m.len, 1000);
    live_map_free(&m);
}

static void test_time_parse(void)
{
    int64_t t;
    UT_CHECK(live_time_parse("2026-06-01T08:00:00Z", &t) == NULL);
    UT_EQ_INT(t, FX_T0);
    UT_CHECK(live_time_parse("2026-06-01T16:00:00.250+08:00", &t) == NULL);
    UT_EQ_INT(t, FX_T0 + 250);
    UT_CHECK(live_time_parse("2026-06-01T07:30:00-0030", &t) == NULL);
    UT_EQ_INT(t, FX_T0);
    UT_CHECK(live_time_parse("2026-06-01T08:00:00", &t) != NULL);   /* no zone */
    UT_CHECK(live_time_parse("2026-13-01T08:00:00Z", &t) != NULL);
    UT_CHECK(live_time_parse("yesterday", &t) != NULL);
    UT_CHECK(live_time_parse("2026-06-01T08:00:00Zjunk", &t) != NULL);
    char buf[40];
    UT_EQ_STR(live_time_format(FX_T0 + 5, buf, sizeof buf), "2026-06-01T08:00:00.005Z");
    json_t *secs = json_integer(1780300800);   /* seconds, not ms */
    UT_CHECK(live_time_from_json(secs, &t) != NULL);
    json_decref(secs);
}

/* Validate a one-item batch and return the rejection code ("" if valid). */
static const char *code_of(const char *item)
{
    static char code[64];
    char buf[1024];
    snprintf(buf, sizeof buf, "[%s]", item);
    json_t *j = fx_json(buf);
    live_batch b;
    ct_err err;
    code[0] = '\0';
    if (!j || live_obs_validate(reg, j, FX_T0, &b, &err)) {
        snprintf(code, sizeof code, "batch-error");
    } else {
        json_t *r = json_array_get(b.rejected, 0);
        if (r)
            snprintf(code, sizeof code, "%s", json_string_value(json_object_get(r, "code")));
        live_batch_free(&b);
    }
    json_decref(j);
    return code;
}

static void test_validation_reasons(void)
{
    const char *T = "\"time\": \"2026-06-01T08:00:00Z\"";
    char it[512];
#define ITEM(ent, vals) (snprintf(it, sizeof it, "{\"entity\": \"%s\", %s, \"values\": %s}", ent, T, vals), it)
    UT_EQ_STR(code_of(ITEM("r1", "{\"speed_kmh\": 50, \"flow_vph\": 900, \"occupancy\": 0.3}")), "");
    UT_EQ_STR(code_of(ITEM("nope", "{\"speed_kmh\": 50}")), "unknown_entity");
    UT_EQ_STR(code_of(ITEM("r1", "{\"speed_kmh\": \"fast\"}")), "wrong_type");
    UT_EQ_STR(code_of(ITEM("r1", "{\"speed_kmh\": \"NaN\"}")), "not_finite");
    UT_EQ_STR(code_of(ITEM("r1", "{\"occupancy\": 1.5}")), "out_of_range");
    UT_EQ_STR(code_of(ITEM("r1", "{\"speed_kmh\": -3}")), "negative");
    UT_EQ_STR(code_of(ITEM("r1", "{\"level_m\": 3}")), "unknown_value");
    UT_EQ_STR(code_of(ITEM("r1", "{}")), "no_values");
    UT_EQ_STR(code_of(ITEM("p1", "{\"free\": -1, \"total\": 100}")), "negative");
    UT_EQ_STR(code_of(ITEM("p1", "{\"free\": 120, \"total\": 100}")), "free_gt_total");
    UT_EQ_STR(code_of(ITEM("p1", "{\"free\": 101}")), "free_gt_total");   /* capacity */
    UT_EQ_STR(code_of(ITEM("p1", "{\"free\": 2.5}")), "wrong_type");
    UT_EQ_STR(code_of(ITEM("p1", "{\"free\": 10, \"total\": 100}")), "");
    UT_EQ_STR(code_of(ITEM("w1", "{\"level_m\": 9.5, \"flow_m3s\": 120, \"rain_mm\": 3}")), "");
    UT_EQ_STR(code_of(ITEM("city", "{\"temperature_c\": 31, \"rain_mm_h\": 0, \"wind_ms\": 2}")), "");
    UT_EQ_STR(code_of(ITEM("d1", "{\"rain_mm_h\": 12}")), "");
    UT_EQ_STR(code_of("{\"entity\": \"r1\", \"time\": \"2026-06-01T08:06:00Z\", \"values\": {\"speed_kmh\": 5}}"), "future_time");
    UT_EQ_STR(code_of("{\"entity\": \"r1\", \"time\": \"2026-06-01T08:04:00Z\", \"values\": {\"speed_kmh\": 5}}"), "");
    UT_EQ_STR(code_of("{\"entity\": \"r1\", \"time\": \"soon\", \"values\": {\"speed_kmh\": 5}}"), "bad_time");
    UT_EQ_STR(code_of("{\"entity\": \"r1\", \"time\": 1780300800000, \"values\": {\"speed_kmh\": 5}}"), "");
    UT_EQ_STR(code_of("{\"entity\": \"r1\", \"values\": {\"speed_kmh\": 5}}"), "bad_time");
    UT_EQ_STR(code_of("{\"entity\": \"p1\", \"kind\": \"traffic\", " "\"time\": 1780300800000, \"values\": {\"free\": 5}}"), "wrong_type");
    UT_EQ_STR(code_of("{\"time\": 1780300800000, \"values\": {\"free\": 5}}"), "missing_entity");
    UT_EQ_STR(code_of("42"), "not_object");
#undef ITEM
}

static void test_batch_keeps_valid_and_reports_indexes(void)
{
    json_t *j = fx_json("[{\"entity\": \"r1\", \"time\": 1780300800000, \"values\": {\"speed_kmh\": 50}},"
                        " {\"entity\": \"zz\", \"time\": 1780300800000, \"values\": {\"speed_kmh\": 50}},"
                        " {\"entity\": \"p2\", \"time\": 1780300800000, \"values\": {\"free\": 7}}]");
    live_batch b;
    ct_err err;
    UT_EQ_INT(live_obs_validate(reg, j, FX_T0, &b, &err), CT_OK);
    UT_EQ_INT(b.n, 2);
    UT_EQ_INT(b.index[0], 0);
    UT_EQ_INT(b.index[1], 2);
    UT_EQ_INT(json_array_size(b.rejected), 1);
    json_t *r = json_array_get(b.rejected, 0);
    UT_EQ_INT(json_integer_value(json_object_get(r, "index")), 1);
    UT_EQ_STR(json_string_value(json_object_get(r, "entity")), "zz");
    UT_CHECK(strstr(json_string_value(json_object_get(r, "reason")), "zz") != NULL);
    UT_EQ_INT(b.obs[1].mask, 1u << LV_FREE);
    UT_NEAR(b.obs[1].v[LV_FREE], 7, 0);
    live_batch_free(&b);
    json_decref(j);
    /* whole-batch errors */
    json_t *obj = fx_json("{\"nothing\": 1}");
    UT_EQ_INT(live_obs_validate(reg, obj, FX_T0, &b, &err), CT_EINVAL);
    UT_CHECK(strstr(err.msg, "array") != NULL);
    json_decref(obj);
}

static const char *NGSI_NORMALIZED =
    "[{\"id\": \"urn:ngsi-ld:OffStreetParking:p1\", \"type\": \"OffStreetParking\","
    "  \"availableSpotNumber\": {\"type\": \"Property\", \"value\": 12,"
    "    \"observedAt\": \"2026-06-01T07:59:00Z\"},"
    "  \"totalSpotNumber\": {\"type\": \"Property\", \"value\": 100}},"
    " {\"id\": \"urn:ngsi-ld:TrafficFlowObserved:obs-77\", \"type\": \"TrafficFlowObserved\","
    "  \"refRoadSegment\": {\"type\": \"Relationship\", \"object\": \"urn:ngsi-ld:RoadSegment:r2\"},"
    "  \"dateObserved\": {\"type\": \"Property\", \"value\": {\"@type\": \"DateTime\","
    "    \"@value\": \"2026-06-01T07:58:00Z\"}},"
    "  \"dateObservedFrom\": {\"type\": \"Property\", \"value\": \"2026-06-01T07:53:00Z\"},"
    "  \"dateObservedTo\": {\"type\": \"Property\", \"value\": \"2026-06-01T07:58:00Z\"},"
    "  \"averageVehicleSpeed\": {\"type\": \"Property\", \"value\": 32.5},"
    "  \"intensity\": {\"type\": \"Property\", \"value\": 100},"
    "  \"occupancy\": {\"type\": \"Property\", \"value\": 0.4}},"
    " {\"id\": \"urn:ngsi-ld:WaterObserved:w1\", \"type\": \"WaterObserved\","
    "  \"dateObserved\": {\"type\": \"Property\", \"value\": \"2026-06-01T07:55:00Z\"},"
    "  \"height\": {\"type\": \"Property\", \"value\": 10.4},"
    "  \"flow\": {\"type\": \"Property\", \"value\": 850}},"
    " {\"id\": \"urn:ngsi-ld:Alert:a1\", \"type\": \"Alert\","
    "  \"category\": {\"type\": \"Property\", \"value\": \"traffic\"},"
    "  \"subCategory\": {\"type\": \"Property\", \"value\": \"trafficJam\"},"
    "  \"severity\": {\"type\": \"Property\", \"value\": \"high\"},"
    "  \"dateIssued\": {\"type\": \"Property\", \"value\": \"2026-06-01T07:50:00Z\"}},"
    " {\"id\": \"urn:ngsi-ld:Vehicle:v1\", \"type\": \"Vehicle\"}]";

static void test_ngsi_normalized(void)
{
    json_t *body = fx_json(NGSI_NORMALIZED);
    live_ngsi_out o;
    ct_err err;
    UT_EQ_INT(live_ngsi_convert(body, &o, &err), CT_OK);
    UT_EQ_INT(json_array_size(o.items), 3);
    json_t *p = json_array_get(o.items, 0);
    UT_EQ_STR(json_string_value(json_object_get(p, "entity")), "p1");
    UT_EQ_STR(json_string_value(json_object_get(p, "time")), "2026-06-01T07:59:00Z");
    UT_NEAR(json_number_value(json_object_get(json_object_get(p, "values"), "free")), 12, 0);
    json_t *t = json_array_get(o.items, 1);
    UT_EQ_STR(json_string_value(json_object_get(t, "entity")), "r2");
    json_t *tv = json_object_get(t, "values");
    UT_NEAR(json_number_value(json_object_get(tv, "speed_kmh")), 32.5, 1e-9);
    UT_NEAR(json_number_value(json_object_get(tv, "flow_vph")), 1200, 1e-9); /* 100 per 5 min */
    UT_NEAR(json_number_value(json_object_get(tv, "occupancy")), 0.4, 1e-9);
    json_t *w = json_array_get(o.items, 2);
    UT_EQ_STR(json_string_value(json_object_get(w, "entity")), "w1");
    UT_NEAR(json_number_value(json_object_get(json_object_get(w, "values"), "level_m")), 10.4, 1e-9);
    UT_EQ_INT(o.origin[2], 2);
    UT_EQ_INT(json_array_size(o.alerts), 1);
    UT_EQ_INT(json_integer_value(json_object_get(json_array_get(o.alerts, 0), "level")),
              LIVE_LV_ORANGE);
    UT_EQ_INT(json_array_size(o.rejected), 1);
    UT_EQ_INT(json_integer_value(json_object_get(json_array_get(o.rejected, 0), "index")), 4);
    /* the converted items pass validation */
    live_batch b;
    UT_EQ_INT(live_obs_validate(reg, o.items, FX_T0, &b, &err), CT_OK);
    UT_EQ_INT(b.n, 3);
    live_batch_free(&b);
    live_ngsi_free(&o);
    json_decref(body);
}

static void test_ngsi_keyvalues(void)
{
    json_t *body = fx_json(
        "[{\"id\": \"urn:ngsi-ld:OffStreetParking:p2\", \"type\": \"OffStreetParking\","
        "  \"totalSpotNumber\": 50, \"occupancy\": 0.9, \"dateObserved\": \"2026-06-01T07:59:00Z\"},"
        " {\"id\": \"urn:ngsi-ld:TrafficFlowObserved:r3\", \"type\": \"TrafficFlowObserved\","
        "  \"averageVehicleSpeed\": 12, \"intensity\": 300, \"dateObserved\": \"2026-06-01T07:59:00Z\"},"
        " {\"id\": \"urn:ngsi-ld:WaterObserved:w2\", \"type\": \"WaterObserved\", \"height\": 5.2},"
        " {\"id\": \"urn:ngsi-ld:WeatherObserved:d1\", \"type\": \"WeatherObserved\","
        "  \"temperature\": 28.5, \"precipitation\": 7, \"dateObserved\": \"2026-06-01T07:59:00Z\"}]");
    live_ngsi_out o;
    ct_err err;
    UT_EQ_INT(live_ngsi_convert(body, &o, &err), CT_OK);
    UT_EQ_INT(json_array_size(o.items), 3);
    json_t *p = json_object_get(json_array_get(o.items, 0), "values");
    UT_NEAR(json_number_value(json_object_get(p, "free")), 5, 1e-9);   /* 50 * 0.1 */
    json_t *t = json_array_get(o.items, 1);
    UT_EQ_STR(json_string_value(json_object_get(t, "entity")), "r3");
    UT_NEAR(json_number_value(json_object_get(json_object_get(t, "values"), "flow_vph")), 300, 0);
    json_t *wx = json_array_get(o.items, 2);
    UT_EQ_STR(json_string_value(json_object_get(wx, "entity")), "d1");
    /* the WaterObserved without a time is rejected by index and reason */
    json_t *r = json_array_get(o.rejected, 0);
    UT_EQ_INT(json_integer_value(json_object_get(r, "index")), 2);
    UT_EQ_STR(json_string_value(json_object_get(r, "code")), "bad_time");
    live_ngsi_free(&o);
    json_decref(body);
    UT_EQ_STR(live_ngsi_local_id("urn:ngsi-ld:OffStreetParking:p-9", "OffStreetParking"), "p-9");
    UT_EQ_STR(live_ngsi_local_id("plain", "OffStreetParking"), "plain");
}

int main(void)
{
    ct_err err;
    if (fx_store("t_live_obs.sqlite") || live_ents_load("t_live_obs.sqlite", &reg, &err)) {
        printf("# %s\n", err.msg);
        return 1;
    }
    UT_RUN(test_map_put_get_grow);
    UT_RUN(test_time_parse);
    UT_RUN(test_validation_reasons);
    UT_RUN(test_batch_keeps_valid_and_reports_indexes);
    UT_RUN(test_ngsi_normalized);
    UT_RUN(test_ngsi_keyvalues);
    live_ents_free(reg);
    return ut_done();
}
