/* tests/unit/test_live_fusion.c: the vital-sign formulas (TPI bands, the
 * network index, parking, water, rain, freshness) and the property that
 * the incrementally maintained indicators equal those recomputed from the
 * history, for random observation sequences (out of order, repeated,
 * partial values). */
#include <stdlib.h>

#include "live/indicators.h"
#include "test_live_fixture.h"
#include "ut.h"

#define STORE "t_live_fus_store.sqlite"
#define HIST "t_live_fus.sqlite"
#define HIST2 "t_live_fus2.sqlite"

static void test_segment_index_follows_the_speed_table(void)
{
    /* band edges of DOMAIN.md: the index crosses 2, 4, 6, 8 exactly there */
    UT_NEAR(live_ind_segment_index(LIVE_RB_EXPRESS, 65), 2, 1e-12);
    UT_NEAR(live_ind_segment_index(LIVE_RB_EXPRESS, 50), 4, 1e-12);
    UT_NEAR(live_ind_segment_index(LIVE_RB_EXPRESS, 35), 6, 1e-12);
    UT_NEAR(live_ind_segment_index(LIVE_RB_EXPRESS, 20), 8, 1e-12);
    UT_NEAR(live_ind_segment_index(LIVE_RB_EXPRESS, 0), 10, 1e-12);
    UT_NEAR(live_ind_segment_index(LIVE_RB_EXPRESS, 200), 0, 1e-12);
    UT_NEAR(live_ind_segment_index(LIVE_RB_ARTERIAL, 40), 2, 1e-12);
    UT_NEAR(live_ind_segment_index(LIVE_RB_ARTERIAL, 25), 5, 1e-12);
    UT_NEAR(live_ind_segment_index(LIVE_RB_ARTERIAL, 15), 8, 1e-12);
    UT_NEAR(live_ind_segment_index(LIVE_RB_LOCAL, 35), 2, 1e-12);
    UT_NEAR(live_ind_segment_index(LIVE_RB_LOCAL, 10), 8, 1e-12);
    UT_NEAR(live_ind_segment_index(LIVE_RB_LOCAL, 5), 9, 1e-12);
    /* monotonic: slower is never better */
    for (int b = 0; b < 3; b++)
        for (double v = 0; v < 120; v += 0.5)
            UT_CHECK(live_ind_segment_index(b, v + 0.5) <= live_ind_segment_index(b, v));
    UT_EQ_STR(live_ind_tpi_level_name(live_ind_tpi_level(1.99)), "smooth");
    UT_EQ_STR(live_ind_tpi_level_name(live_ind_tpi_level(2)), "basic");
    UT_EQ_STR(live_ind_tpi_level_name(live_ind_tpi_level(5.5)), "light");
    UT_EQ_STR(live_ind_tpi_level_name(live_ind_tpi_level(7)), "moderate");
    UT_EQ_STR(live_ind_tpi_level_name(live_ind_tpi_level(8)), "severe");
    UT_EQ_INT(live_road_band_of("motorway"), LIVE_RB_EXPRESS);
    UT_EQ_INT(live_road_band_of("主干路"), LIVE_RB_ARTERIAL);
    UT_EQ_INT(live_road_band_of("residential"), LIVE_RB_LOCAL);
}

static void test_network_tpi_is_length_and_class_weighted(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    /* r1 expressway 1000 m at 35 km/h -> 6; r2 arterial 500 m at 40 -> 2 */
    json_decref(fx_ingest(e, "[{\"entity\": \"r1\", \"time\": 1780300800000, \"values\": {\"speed_kmh\": 35}},"
                             " {\"entity\": \"r2\", \"time\": 1780300800000, \"values\": {\"speed_kmh\": 40}}]"));
    double w1 = 2.0 * 1000, w2 = 1.5 * 500;
    UT_NEAR(fx_vital(e, "d1", "tpi"), round(100 * (w1 * 6 + w2 * 2) / (w1 + w2)) / 100, 1e-9);
    UT_NEAR(fx_vital(e, "d1", "congested_km"), 1.0, 1e-9);   /* r1 is moderate */
    UT_NEAR(fx_vital(e, "city", "congested_km"), 1.0, 1e-9);
    /* r3 (other district) at 5 km/h: index 9, 2 km congested more in the city */
    json_decref(fx_ingest(e, "[{\"entity\": \"r3\", \"time\": 1780300800000, \"values\": {\"speed_kmh\": 5}}]"));
    double w3 = 1.0 * 2000;
    UT_NEAR(fx_vital(e, "city", "tpi"),
            round(100 * (w1 * 6 + w2 * 2 + w3 * 9) / (w1 + w2 + w3)) / 100, 1e-9);
    UT_NEAR(fx_vital(e, "city", "congested_km"), 3.0, 1e-9);
    UT_NEAR(fx_vital(e, "d2", "tpi"), 9, 1e-9);
    /* an older observation never rolls the state back */
    json_decref(fx_ingest(e, "[{\"entity\": \"r3\", \"time\": 1780300700000, \"values\": {\"speed_kmh\": 60}}]"));
    UT_NEAR(fx_vital(e, "d2", "tpi"), 9, 1e-9);
    live_close(e);
}

static void test_parking_water_rain_weather(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    json_decref(fx_ingest(e,
        "[{\"entity\": \"p1\", \"time\": 1780300800000, \"values\": {\"free\": 0, \"total\": 100}},"
        " {\"entity\": \"p2\", \"time\": 1780300800000, \"values\": {\"free\": 25}},"
        " {\"entity\": \"w1\", \"time\": 1780300800000, \"values\": {\"level_m\": 10.5, \"rain_mm\": 12}},"
        " {\"entity\": \"w2\", \"time\": 1780300800000, \"values\": {\"level_m\": 6.2, \"rain_mm\": 4}},"
        " {\"entity\": \"d2\", \"time\": 1780300800000, \"values\": {\"rain_mm_h\": 20, \"temperature_c\": 24.5}}]"));
    UT_NEAR(fx_vital(e, "city", "parking_total"), 150, 0);      /* p2 total = capacity */
    UT_NEAR(fx_vital(e, "city", "parking_free"), 25, 0);
    UT_NEAR(fx_vital(e, "city", "parking_occupancy"), 0.833, 1e-9);
    UT_EQ_INT(fx_vital(e, "city", "parking_full"), 1);
    UT_EQ_INT(fx_vital(e, "d2", "parking_full"), 0);
    UT_EQ_INT(fx_vital(e, "city", "water_above_warning"), 2);
    UT_EQ_INT(fx_vital(e, "city", "water_above_guarantee"), 1);
    UT_NEAR(fx_vital(e, "city", "water_worst_margin_m"), 1.2, 1e-9);   /* w2: 6.2 - 5 */
    UT_NEAR(fx_vital(e, "d1", "water_worst_margin_m"), 0.5, 1e-9);
    UT_NEAR(fx_vital(e, "city", "rain_max_mm_h"), 20, 1e-9);
    UT_NEAR(fx_vital(e, "city", "rain_mean_mm_h"), 12, 1e-9);         /* (12+4+20)/3 */
    UT_NEAR(fx_vital(e, "d2", "rain_mean_mm_h"), 12, 1e-9);           /* (4+20)/2 */
    UT_NEAR(fx_vital(e, "d2", "temperature_c"), 24.5, 1e-9);
    UT_CHECK(isnan(fx_vital(e, "city", "temperature_c")));
    /* the water topic says which station is over which line */
    json_t *w = live_snapshot(e, "water", NULL);
    UT_EQ_STR(json_string_value(json_object_get(json_object_get(w, "w2"), "state")),
              "above_guarantee");
    UT_EQ_STR(json_string_value(json_object_get(json_object_get(w, "w1"), "state")),
              "above_warning");
    UT_EQ_STR(json_string_value(json_object_get(json_object_get(w, "w1"), "water_body")),
              "Luo River");
    UT_EQ_STR(json_string_value(json_object_get(json_object_get(w, "w1"), "district")), "d1");
    json_decref(w);
    json_t *p = live_snapshot(e, "parking", NULL);
    UT_EQ_STR(json_string_value(json_object_get(json_object_get(p, "p1"), "status")), "full");
    json_decref(p);
    live_close(e);
}

static void test_freshness_counts_silent_entities(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    live_tick(e);
    /* just started: nobody has had the time to report yet */
    UT_EQ_INT(fx_vital(e, "city", "stale_water"), 0);
    UT_EQ_INT(fx_vital(e, "city", "stale_traffic"), 0);
    json_decref(fx_ingest(e,
        "[{\"entity\": \"w1\", \"time\": 1780300800000, \"values\": {\"level_m\": 9}},"
        " {\"entity\": \"w2\", \"time\": 1780300800000, \"values\": {\"level_m\": 4}},"
        " {\"entity\": \"r1\", \"time\": 1780300800000, \"values\": {\"speed_kmh\": 70}}]"));
    /* 3 min on: r2, r3 never reported (60 s period, 2 periods allowed) */
    fx_now = FX_T0 + 3 * 60000;
    live_tick(e);
    UT_EQ_INT(fx_vital(e, "city", "stale_traffic"), 3);
    UT_EQ_INT(fx_vital(e, "d2", "stale_traffic"), 1);
    UT_NEAR(fx_vital(e, "city", "stale_traffic_pct"), 100, 0);
    UT_EQ_INT(fx_vital(e, "city", "stale_water"), 0);
    json_decref(fx_ingest(e, "[{\"entity\": \"r2\", \"time\": 1780300980000,"
                             " \"values\": {\"speed_kmh\": 50}}]"));
    live_tick(e);
    UT_EQ_INT(fx_vital(e, "city", "stale_traffic"), 2);
    /* w1 reports every 300 s, w2 every 600 s: at +11 min only w1 is silent */
    fx_now = FX_T0 + 11 * 60000;
    live_tick(e);
    UT_EQ_INT(fx_vital(e, "city", "stale_water"), 1);
    UT_EQ_INT(fx_vital(e, "d1", "stale_water"), 1);
    UT_EQ_INT(fx_vital(e, "d2", "stale_water"), 0);
    UT_NEAR(fx_vital(e, "city", "stale_water_pct"), 50, 0);
    /* only w2 is fresh, until +20 min: the walk over every entity waits */
    int64_t walked = e->fus.walked_at;
    fx_now = FX_T0 + 19 * 60000;
    live_tick(e);
    UT_EQ_INT(e->fus.walked_at, walked);
    UT_EQ_INT(fx_vital(e, "city", "stale_water"), 1);
    fx_now = FX_T0 + 21 * 60000;
    live_tick(e);
    UT_EQ_INT(fx_vital(e, "city", "stale_water"), 2);
    json_t *w = live_snapshot(e, "water", NULL);
    UT_CHECK(json_is_true(json_object_get(json_object_get(w, "w2"), "stale")));
    json_decref(w);
    live_close(e);
}

static unsigned rng_state = 12345;
static unsigned rnd(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) & 0xffffff;
}

/* A random observation item as JSON: any entity, a time in the last hour
 * (so repeats and reordering happen), a random subset of values. */
static json_t *random_item(void)
{
    static const char *ents[] = {"r1", "r2", "r3", "p1", "p2", "w1", "w2", "d1", "d2",
                                 "city"};
    int k = (int)(rnd() % 10);
    json_t *v = json_object();
    int n = 0;
    while (!n) {
        if (k < 3) {
            if (rnd() % 3) { json_object_set_new(v, "speed_kmh", json_real(rnd() % 1200 / 10.0)); n++; }
            if (rnd() % 2) { json_object_set_new(v, "flow_vph", json_integer(rnd() % 3000)); n++; }
            if (rnd() % 2) { json_object_set_new(v, "occupancy", json_real(rnd() % 101 / 100.0)); n++; }
        } else if (k < 5) {
            int total = k == 3 ? 100 : 50;
            if (rnd() % 4) { json_object_set_new(v, "free", json_integer(rnd() % (total + 1))); n++; }
            if (rnd() % 3 == 0) { json_object_set_new(v, "total", json_integer(total)); n++; }
        } else if (k < 7) {
            if (rnd() % 3) { json_object_set_new(v, "level_m", json_real(3 + rnd() % 1000 / 100.0)); n++; }
            if (rnd() % 2) { json_object_set_new(v, "rain_mm", json_real(rnd() % 600 / 10.0)); n++; }
        } else {
            if (rnd() % 2) { json_object_set_new(v, "rain_mm_h", json_real(rnd() % 900 / 10.0)); n++; }
            if (rnd() % 2) { json_object_set_new(v, "temperature_c", json_real(rnd() % 400 / 10.0)); n++; }
            if (rnd() % 3 == 0) { json_object_set_new(v, "wind_ms", json_real(rnd() % 200 / 10.0)); n++; }
        }
    }
    return json_pack("{s:s, s:I, s:o}", "entity", ents[k], "time",
                     (json_int_t)(FX_T0 - (json_int_t)(rnd() % 60) * 60000), "values", v);
}

static void test_incremental_equals_recomputed(void)
{
    for (int round_no = 0; round_no < 8; round_no++) {
        rng_state = 777u + (unsigned)round_no * 31u;
        fx_now = FX_T0;
        live_engine *e = fx_engine(STORE, HIST, 0);
        UT_CHECK(e);
        int batches = 5 + (int)(rnd() % 20);
        for (int b = 0; b < batches; b++) {
            json_t *items = json_array();
            int n = 1 + (int)(rnd() % 12);
            for (int i = 0; i < n; i++)
                json_array_append_new(items, random_item());
            json_t *r = NULL;
            ct_err err;
            UT_EQ_INT(live_ingest(e, items, &r, &err), CT_OK);
            UT_EQ_INT(json_array_size(json_object_get(r, "rejected")), 0);
            json_decref(r);
            json_decref(items);
        }
        live_tick(e);
        /* a second engine recomputes everything from the same history */
        live_engine *e2 = fx_engine(STORE, HIST, 1);
        UT_CHECK(e2);
        live_tick(e2);
        UT_EQ_INT(e->fus.nplaces, e2->fus.nplaces);
        for (int p = 0; p < e->fus.nplaces; p++) {
            char why[200];
            int same = live_agg_equal(&e->fus.agg[p], &e2->fus.agg[p], why, sizeof why);
            UT_CHECK_MSG(same, "round %d place %d: %s", round_no, p, why);
            json_t *a = live_ind_vitals_json(&e->fus.agg[p]);
            json_t *b = live_ind_vitals_json(&e2->fus.agg[p]);
            UT_CHECK_MSG(json_equal(a, b), "round %d place %d: vitals differ", round_no, p);
            json_decref(a);
            json_decref(b);
        }
        /* and the in-engine rebuild agrees with the incremental sums too */
        live_agg before = e->fus.agg[live_fusion_city(&e->fus)];
        live_fusion_rebuild(&e->fus);
        char why[200];
        UT_CHECK_MSG(live_agg_equal(&before, &e->fus.agg[live_fusion_city(&e->fus)], why,
                                    sizeof why), "rebuild: %s", why);
        live_close(e2);
        live_close(e);
    }
}

int main(void)
{
    if (fx_store(STORE))
        return 1;
    UT_RUN(test_segment_index_follows_the_speed_table);
    UT_RUN(test_network_tpi_is_length_and_class_weighted);
    UT_RUN(test_parking_water_rain_weather);
    UT_RUN(test_freshness_counts_silent_entities);
    UT_RUN(test_incremental_equals_recomputed);
    return ut_done();
}
