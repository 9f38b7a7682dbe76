/* tests/unit/test_live_simulator.c: the simulator plays a scenario
 * deterministically (same seed, same observations however the steps are
 * cut; another seed, other values), every source reports at its period,
 * every batch passes validation, and the events happen: an accident slows
 * its road and becomes an incident that runs to closure, a rainstorm
 * raises the river over its warning level, a fire sets a building's state. */
#include <stdlib.h>

#include "live/simulator.h"
#include "test_live_fixture.h"
#include "ut.h"

#define STORE "t_live_sim_store.sqlite"
#define HIST "t_live_sim.sqlite"
#define SCEN "t_live_scenario.json"

static const char *EXTRA_SQL[] = {
    "INSERT INTO roads(id, class, length_m, speed_kmh, district, geom) VALUES("
    "'road-000001', 'arterial', 800, 60, 'd1', GeomFromText('LINESTRING(112.43 34.61,"
    " 112.44 34.61)', 4326))",
    "INSERT INTO buildings(id, name, kind, district, height, geom) VALUES('bld-0000001',"
    " 'Shop', 'retail', 'd1', 12, GeomFromText('MULTIPOLYGON(((112.420 34.620,"
    " 112.421 34.620, 112.421 34.621, 112.420 34.621, 112.420 34.620)))', 4326))",
    "UPDATE water_stations SET props = '{\"normal_level\": 8.5, \"river_id\": \"river-001\"}'"
    " WHERE id = 'w1'",
    NULL};

/* The repository's default scenario, cut to 2 h from 06:00 with our events. */
static int write_scenario(void)
{
    const char *src = getenv("CT_SRC");
    char path[1024];
    snprintf(path, sizeof path, "%s/data/scenario/default.json", src ? src : ".");
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc) {
        printf("# %s: %s\n", path, je.text);
        return -1;
    }
    json_object_set_new(doc, "duration_h", json_real(2));
    json_object_set_new(doc, "events", json_pack(
        "[{s:s, s:s, s:s, s:i, s:i, s:f},"
        " {s:s, s:s, s:s, s:s, s:i},"
        " {s:s, s:s, s:f, s:s, s:i, s:f, s:f, s:{s:f, s:f}}]",
        "kind", "accident", "at", "06:20", "road", "road-000001", "lanes_blocked", 2,
        "duration_min", 30, "speed_factor", 0.2,
        "kind", "fire", "at", "06:10", "building", "bld-0000001", "severity", "minor",
        "duration_min", 40,
        "kind", "rainstorm", "at", "06:30", "duration_h", 1.0, "peak_at", "06:50",
        "peak_mm_h", 60, "lag_h", 0.5, "recession_h", 2.0,
        "rise_m", "river-001", 3.0, "default", 0.5));
    int rc = json_dump_file(doc, SCEN, JSON_INDENT(1));
    json_decref(doc);
    return rc;
}

static scenario *sc;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The items of a list of batches as sorted strings (order of steps aside). */
static char **flat(json_t *batches, int *n)
{
    size_t i, k;
    json_t *b, *x;
    *n = 0;
    json_array_foreach(batches, i, b) *n += (int)json_array_size(b);
    char **v = calloc((size_t)*n + 1, sizeof *v);
    int m = 0;
    json_array_foreach(batches, i, b) json_array_foreach(b, k, x)
        v[m++] = json_dumps(x, JSON_COMPACT | JSON_SORT_KEYS);
    qsort(v, (size_t)m, sizeof *v, cmp_str);
    return v;
}

/* Number of items when both hold the same observations, else -1. */
static int same_items(json_t *a, json_t *b)
{
    int na, nb, same;
    char **fa = flat(a, &na), **fb = flat(b, &nb);
    same = na == nb;
    for (int i = 0; same && i < na; i++)
        same = !strcmp(fa[i], fb[i]);
    for (int i = 0; i < na; i++)
        free(fa[i]);
    for (int i = 0; i < nb; i++)
        free(fb[i]);
    free(fa);
    free(fb);
    return same ? na : -1;
}

static void test_deterministic_for_a_seed(void)
{
    live_engine *e = fx_engine(STORE, HIST, 0);   /* for its registry */
    UT_CHECK(e);
    live_sim a, b, c;
    ct_err err;
    UT_EQ_INT(live_sim_init(&a, e->reg, sc, 42, 60, FX_T0, &err), CT_OK);
    UT_EQ_INT(live_sim_init(&b, e->reg, sc, 42, 60, FX_T0, &err), CT_OK);
    UT_EQ_INT(live_sim_init(&c, e->reg, sc, 43, 60, FX_T0, &err), CT_OK);
    json_t *all_a = live_sim_due(&a, FX_T0 + 30000);   /* 30 min of scenario */
    /* b: the same half hour in 0.7 s steps */
    json_t *all_b = json_array();
    for (int64_t t = FX_T0 + 700; t < FX_T0 + 30000 + 700; t += 700) {
        json_t *part = live_sim_due(&b, t < FX_T0 + 30000 ? t : FX_T0 + 30000);
        json_array_extend(all_b, part);
        json_decref(part);
    }
    json_t *all_c = live_sim_due(&c, FX_T0 + 30000);
    int n = same_items(all_a, all_b);
    UT_CHECK_MSG(n > 0, "same seed, different observations");
    UT_CHECK(same_items(all_a, all_c) < 0);
    /* traffic every 60 s of scenario: 30 reports per segment in 30 min */
    json_t *first = json_array_get(all_a, 0);
    int r1 = 0;
    size_t i;
    json_t *x;
    json_array_foreach(first, i, x)
        r1 += !strcmp(json_string_value(json_object_get(x, "entity")), "r1");
    UT_CHECK_MSG(r1 >= 29 && r1 <= 31, "r1 reported %d times", r1);
    /* and every batch is valid as a feed would send it */
    json_array_foreach(all_a, i, x) {
        live_batch bt;
        UT_EQ_INT(live_obs_validate(e->reg, x, FX_T0 + 30000, &bt, &err), CT_OK);
        UT_CHECK_MSG(json_array_size(bt.rejected) == 0, "%s",
                     json_dumps(json_array_get(bt.rejected, 0), 0));
        live_batch_free(&bt);
    }
    json_decref(all_a);
    json_decref(all_b);
    json_decref(all_c);
    live_sim_free(&a);
    live_sim_free(&b);
    live_sim_free(&c);
    live_close(e);
}

static int reports_of(json_t *batches, const char *entity)
{
    int n = 0;
    size_t i, k;
    json_t *b, *x;
    json_array_foreach(batches, i, b) json_array_foreach(b, k, x)
        n += !strcmp(json_string_value(json_object_get(x, "entity")), entity);
    return n;
}

/* A live server's simulator that fell behind skips to the clock instead of
 * replaying its backlog, and a stop request leaves live_sim_run at once. */
static void test_behind_the_clock_skips_and_stops(void)
{
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    if (!e)
        return;
    live_sim a;
    ct_err err;
    UT_EQ_INT(live_sim_init(&a, e->reg, sc, 42, 60, FX_T0, &err), CT_OK);
    a.max_lag_ms = 5 * 60 * 1000;                      /* 5 min of scenario */
    json_t *due = live_sim_due(&a, FX_T0 + 30000);     /* 30 min behind */
    int r1 = reports_of(due, "r1");
    UT_CHECK_MSG(r1 >= 5 && r1 <= 6, "r1 reported %d times, not the last 5 min", r1);
    UT_CHECK_MSG(a.skipped >= 24, "skipped %lld", (long long)a.skipped);
    json_decref(due);
    /* the next step carries on from the clock, without skipping again */
    int64_t before = a.skipped;
    due = live_sim_due(&a, FX_T0 + 31000);
    UT_EQ_INT(reports_of(due, "r1"), 1);
    UT_CHECK(a.skipped == before);
    json_decref(due);
    live_sim_stop(&a);
    int n = -1;
    UT_EQ_INT(live_sim_run(&a, e, FX_T0 + 40000, &n, &err), CT_OK);
    UT_EQ_INT(n, 0);
    live_sim_free(&a);
    live_close(e);
}

static double speed_of(live_engine *e, const char *road)
{
    json_t *t = live_snapshot(e, "traffic", NULL);
    json_t *v = json_object_get(json_object_get(t, road), "speed_kmh");
    double d = json_is_number(v) ? json_number_value(v) : NAN;
    json_decref(t);
    return d;
}

static void test_events_play_through_the_engine(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    live_sim s;
    ct_err err;
    UT_EQ_INT(live_sim_init(&s, e->reg, sc, 7, 60, FX_T0, &err), CT_OK);
    double speed_before = NAN, speed_during = NAN, max_level = 0;
    int fire_seen = 0, total = 0;
    /* steps of 20 s wall = 20 min of scenario, over the 2 h */
    for (int k = 1; k <= 6 && !live_sim_done(&s, fx_now); k++) {
        fx_now = FX_T0 + k * 20000;
        int n = 0;
        UT_EQ_INT(live_sim_run(&s, e, fx_now, &n, &err), CT_OK);
        total += n;
        live_tick(e);
        if (k == 1)
            speed_before = speed_of(e, "road-000001");      /* 06:20 */
        if (k == 2)
            speed_during = speed_of(e, "road-000001");      /* 06:40: accident */
        json_t *w = live_snapshot(e, "water", NULL);
        json_t *lv = json_object_get(json_object_get(w, "w1"), "level_m");
        if (json_is_number(lv) && json_number_value(lv) > max_level)
            max_level = json_number_value(lv);
        json_decref(w);
        json_t *b = live_snapshot(e, "buildings", NULL);
        const char *st = json_string_value(json_object_get(json_object_get(b, "bld-0000001"), "state"));
        fire_seen |= st && !strcmp(st, "fire");
        json_decref(b);
    }
    UT_CHECK(live_sim_done(&s, fx_now));
    UT_CHECK(total > 500);
    UT_CHECK_MSG(speed_during < 0.5 * speed_before, "before %g during %g",
                 speed_before, speed_during);
    UT_CHECK_MSG(max_level > 10, "w1 peaked at %g (warning 10)", max_level);
    UT_CHECK(fire_seen);
    json_t *incs = live_incidents_list(e, 0);
    int accident_closed = 0, fire_closed = 0, flood = 0;
    size_t i;
    json_t *x;
    json_array_foreach(incs, i, x) {
        const char *kind = json_string_value(json_object_get(x, "kind"));
        const char *state = json_string_value(json_object_get(x, "state"));
        accident_closed |= !strcmp(kind, "accident") && !strcmp(state, "closed");
        fire_closed |= !strcmp(kind, "fire") && !strcmp(state, "closed");
        flood |= !strcmp(kind, "flood");
    }
    json_decref(incs);
    UT_CHECK(accident_closed);
    UT_CHECK(fire_closed);
    (void)flood;   /* the water rule escalates only at the guarantee level */
    json_t *b = live_snapshot(e, "buildings", NULL);
    UT_EQ_STR(json_string_value(json_object_get(json_object_get(b, "bld-0000001"), "state")),
              "normal");
    json_decref(b);
    live_sim_free(&s);
    live_close(e);
}

int main(void)
{
    if (fx_store(STORE) || write_scenario())
        return 1;
    ct_err err;
    sqlite3 *db;
    if (store_open(STORE, STORE_READWRITE, &db, &err))
        return 1;
    for (int i = 0; EXTRA_SQL[i]; i++)
        if (store_exec(db, EXTRA_SQL[i], &err)) {
            printf("# %s\n", err.msg);
            return 1;
        }
    store_close(db);
    if (scenario_load(SCEN, &sc, &err)) {
        printf("# %s\n", err.msg);
        return 1;
    }
    UT_RUN(test_deterministic_for_a_seed);
    UT_RUN(test_events_play_through_the_engine);
    UT_RUN(test_behind_the_clock_skips_and_stops);
    scenario_free(sc);
    return ut_done();
}
