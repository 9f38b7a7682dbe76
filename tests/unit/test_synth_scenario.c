/* tests/unit/test_synth_scenario.c: the scenario file loads, its values
 * read back, and each kind of mistake is reported naming the file, the key
 * and the problem. Also: data/thresholds.json loads with the live core's
 * own loader, so the shipped thresholds are valid for their consumer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live/thresholds.h"
#include "synth/scenario.h"
#include "ut.h"

static char src[1024];

static void path_of(char *buf, size_t n, const char *rel)
{
    snprintf(buf, n, "%s/%s", src, rel);
}

/* Copy the default scenario with one substring replaced; returns the path. */
static const char *variant(const char *name, const char *from, const char *to)
{
    char p[1100];
    path_of(p, sizeof p, "data/scenario/default.json");
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *at = strstr(buf, from);
    if (!at)
        return NULL;
    FILE *o = fopen(name, "wb");
    fwrite(buf, 1, (size_t)(at - buf), o);
    fputs(to, o);
    fputs(at + strlen(from), o);
    fclose(o);
    return name;
}

static void test_default_scenario_loads(void)
{
    char p[1100];
    path_of(p, sizeof p, "data/scenario/default.json");
    scenario *s;
    ct_err err;
    int rc = scenario_load(p, &s, &err);
    UT_CHECK_MSG(rc == CT_OK, "%s", err.msg);
    UT_EQ_STR(s->name, "default");
    UT_NEAR(s->start_clock_s, 6 * 3600, 1e-9);
    UT_NEAR(s->duration_s, 24 * 3600, 1e-9);
    UT_CHECK(s->time_acceleration >= 1);
    UT_CHECK(s->nevents >= 5);
    int kinds[3] = {0};
    for (int i = 0; i < s->nevents; i++) {
        kinds[s->events[i].kind]++;
        if (i)
            UT_CHECK(s->events[i].at_s >= s->events[i - 1].at_s);
    }
    UT_CHECK(kinds[SC_EV_RAINSTORM] >= 1 && kinds[SC_EV_FIRE] >= 1 &&
             kinds[SC_EV_ACCIDENT] >= 1);
    /* rush hours: arterial speed lower at 08:00 and 18:00 than at 03:00 */
    const scenario_curve *a = &s->speed_kmh[SC_ARTERIAL];
    UT_CHECK(scenario_curve_at(a, 8 * 3600) < 0.6 * scenario_curve_at(a, 3 * 3600));
    UT_CHECK(scenario_curve_at(a, 18 * 3600) < 0.6 * scenario_curve_at(a, 3 * 3600));
    /* interpolation half-way between two hours */
    UT_NEAR(scenario_curve_at(a, 7.5 * 3600), (a->v[7] + a->v[8]) / 2, 1e-9);
    /* offices fill by day, homes by night */
    const scenario_curve *off = scenario_parking_curve(s, "office");
    const scenario_curve *res = scenario_parking_curve(s, "residential");
    UT_CHECK(off && res);
    UT_CHECK(scenario_curve_at(off, 10 * 3600) > scenario_curve_at(off, 2 * 3600));
    UT_CHECK(scenario_curve_at(res, 2 * 3600) > scenario_curve_at(res, 11 * 3600));
    UT_CHECK(scenario_parking_curve(s, "no-such-kind") ==
             scenario_parking_curve(s, "default"));
    const scenario_event *rain = NULL;
    for (int i = 0; i < s->nevents; i++)
        if (s->events[i].kind == SC_EV_RAINSTORM)
            rain = &s->events[i];
    UT_CHECK(rain != NULL);
    UT_NEAR(scenario_rise_for(rain, "river-003"), 4.5, 1e-9);
    UT_NEAR(scenario_rise_for(rain, "unknown-river"), 2.5, 1e-9);
    UT_EQ_INT(scenario_class_of("secondary"), SC_SECONDARY);
    UT_EQ_INT(scenario_class_of("motorway"), -1);
    scenario_free(s);
}

static int fails_with(const char *path, int code, const char *a, const char *b)
{
    scenario *s = NULL;
    ct_err err;
    ct_err_clear(&err);
    int rc = scenario_load(path, &s, &err);
    scenario_free(s);
    int ok = rc == code && s == NULL && strstr(err.msg, path) &&
             (!a || strstr(err.msg, a)) && (!b || strstr(err.msg, b));
    if (!ok)
        printf("# %s: rc %d, message: %s\n", path, rc, err.msg);
    return ok;
}

static void test_typo_in_key_is_named(void)
{
    const char *p = variant("t_sc_typo.json", "\"building\": \"bld-0023456\"",
                            "\"biulding\": \"bld-0023456\"");
    UT_CHECK(p != NULL);
    UT_CHECK(fails_with(p, CT_EFORMAT, "events[1]", "'biulding'"));
    p = variant("t_sc_top.json", "\"time_acceleration\"", "\"time_accel\"");
    UT_CHECK(fails_with(p, CT_EFORMAT, "unknown key 'time_accel'", NULL));
}

static void test_bad_values_are_named(void)
{
    const char *p = variant("t_sc_curve.json", "[56, 57, 58, 58, 57,", "[56, 57, 58, 58,");
    UT_CHECK(fails_with(p, CT_EFORMAT, "traffic.arterial.speed_kmh", "24"));
    p = variant("t_sc_clock.json", "\"at\": \"10:20\"", "\"at\": \"25:20\"");
    UT_CHECK(fails_with(p, CT_EFORMAT, "events[1].at", "HH:MM"));
    p = variant("t_sc_range.json", "\"office\":      [0.08", "\"office\":      [1.08");
    UT_CHECK(fails_with(p, CT_EFORMAT, "parking.office", "hour 0"));
    p = variant("t_sc_kind.json", "\"kind\": \"fire\", \"at\": \"10:20\"",
                "\"kind\": \"flood\", \"at\": \"10:20\"");
    UT_CHECK(fails_with(p, CT_EFORMAT, "events[1].kind", "flood"));
    p = variant("t_sc_id.json", "\"road\": \"road-004812\"", "\"road\": \"bld-004812\"");
    UT_CHECK(fails_with(p, CT_EFORMAT, "events[0].road", "road-"));
    p = variant("t_sc_period.json", "\"traffic\": 60,", "\"traffic\": -60,");
    UT_CHECK(fails_with(p, CT_EFORMAT, "reporting_period_s.traffic", "out of range"));
}

/* Traffic slows near the busy places at the peaks only, most at the centre
 * of a place and not at all far from every place. */
static void test_hotspots_slow_the_peaks(void)
{
    char p[1100];
    path_of(p, sizeof p, "data/scenario/default.json");
    scenario *s;
    ct_err err;
    UT_CHECK_MSG(scenario_load(p, &s, &err) == CT_OK, "%s", err.msg);
    if (!s)
        return;
    UT_CHECK(s->nhotspots >= 5);
    UT_CHECK(s->road_spread > 0 && s->road_spread <= 0.5);
    UT_NEAR(s->drift_s, 20 * 60, 1e-9);
    int c = scenario_class_of("arterial");
    double peak = scenario_peak_weight(s, c, 18 * 3600);   /* the 18:00 peak */
    double night = scenario_peak_weight(s, c, 3 * 3600);
    UT_NEAR(peak, 1, 1e-9);      /* the arterial flow curve's busiest hour */
    UT_NEAR(night, 0, 1e-9);
    const scenario_hotspot *h = &s->hotspots[0];
    double centre = scenario_hotspot_factor(s, h->lon, h->lat, peak);
    UT_CHECK_MSG(centre <= 1 - h->depth + 1e-9, "centre factor %g, depth %g",
                 centre, h->depth);
    /* one radius east: weaker than at the centre, still slower than free */
    double east = scenario_hotspot_factor(s, h->lon + h->radius_m /
                                          (111320.0 * cos(h->lat * M_PI / 180)),
                                          h->lat, peak);
    UT_CHECK_MSG(east > centre && east < 1, "one radius out %g", east);
    UT_NEAR(scenario_hotspot_factor(s, h->lon, h->lat, night), 1, 1e-12);
    UT_NEAR(scenario_hotspot_factor(s, 100.0, 30.0, peak), 1, 1e-12);
    scenario_free(s);
    const char *v = variant("t_sc_hot.json", "\"radius_m\": 900, \"depth\": 0.45",
                            "\"radius_m\": 900, \"depth\": 1.45");
    UT_CHECK(fails_with(v, CT_EFORMAT, "traffic.hotspots[0].depth", "out of range"));
    v = variant("t_sc_hot2.json", "\"lon\": 112.474,", "\"lng\": 112.474,");
    UT_CHECK(fails_with(v, CT_EFORMAT, "traffic.hotspots[0]", "'lng'"));
}

static void test_syntax_and_missing_file(void)
{
    const char *p = variant("t_sc_syntax.json", "\"seed\": 20251127,", "\"seed\": 20251127,,");
    UT_CHECK(fails_with(p, CT_EFORMAT, "line ", NULL));
    UT_CHECK(fails_with("no/such/scenario.json", CT_ENOTFOUND, NULL, NULL));
}

static void test_thresholds_load_in_live_core(void)
{
    char p[1100];
    path_of(p, sizeof p, "data/thresholds.json");
    live_thresholds *t = NULL;
    ct_err err;
    int rc = live_thr_load(p, &t, &err);
    UT_CHECK_MSG(rc == CT_OK, "%s", err.msg);
    UT_CHECK(t->nrules >= 6);
    int have_tpi = 0, have_water = 0;
    for (int i = 0; i < t->nrules; i++) {
        have_tpi |= !strcmp(t->rules[i].value, "tpi");
        have_water |= !strcmp(t->rules[i].value, "warning_ratio");
    }
    UT_CHECK(have_tpi && have_water);
    UT_CHECK(live_thr_target(t, "fire") != NULL);
    UT_NEAR(live_thr_target(t, "fire")->arrival_s, 300, 1e-9);
    live_thr_free(t);
}

int main(void)
{
    const char *s = getenv("CT_SRC");
    snprintf(src, sizeof src, "%s", s ? s : ".");
    UT_RUN(test_default_scenario_loads);
    UT_RUN(test_typo_in_key_is_named);
    UT_RUN(test_bad_values_are_named);
    UT_RUN(test_hotspots_slow_the_peaks);
    UT_RUN(test_syntax_and_missing_file);
    UT_RUN(test_thresholds_load_in_live_core);
    return ut_done();
}
