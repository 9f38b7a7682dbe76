/* live/indicators.c: vital-sign formulas (see indicators.h, docs/LIVE.md). */
#include "live/indicators.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Speed band edges (km/h) per road band: smooth above e[0], basic e[1]-e[0],
 * light e[2]-e[1], moderate e[3]-e[2], severe at or below e[3]. */
static const double EDGES[3][4] = {
    [LIVE_RB_EXPRESS] = {65, 50, 35, 20},
    [LIVE_RB_ARTERIAL] = {40, 30, 20, 15},
    [LIVE_RB_LOCAL] = {35, 25, 15, 10},
};

double live_ind_segment_index(int band, double v)
{
    if (band < 0 || band > 2)
        band = LIVE_RB_LOCAL;
    const double *e = EDGES[band];
    if (!(v >= 0))
        v = 0;
    if (v >= 1.5 * e[0])
        return 0;
    if (v >= e[0])
        return 2 * (1.5 * e[0] - v) / (0.5 * e[0]);
    for (int i = 1; i < 4; i++)
        if (v >= e[i])
            return 2 * i + 2 * (e[i - 1] - v) / (e[i - 1] - e[i]);
    return 8 + 2 * (e[3] - v) / e[3];
}

int live_ind_tpi_level(double x)
{
    return x < 2 ? LIVE_TPI_SMOOTH : x < 4 ? LIVE_TPI_BASIC
           : x < 6 ? LIVE_TPI_LIGHT : x < 8 ? LIVE_TPI_MODERATE : LIVE_TPI_SEVERE;
}

const char *live_ind_tpi_level_name(int level)
{
    static const char *n[] = {"smooth", "basic", "light", "moderate", "severe"};
    return level >= 0 && level <= 4 ? n[level] : "unknown";
}

double live_ind_band_weight(int band)
{
    return band == LIVE_RB_EXPRESS ? 2.0 : band == LIVE_RB_ARTERIAL ? 1.5 : 1.0;
}

void live_contrib_add(live_contrib *a, const live_contrib *c, int sign)
{
    a->tpi_num += sign * c->tpi_num;
    a->tpi_den += sign * c->tpi_den;
    a->congested_m += sign * c->congested_m;
    a->traffic_n += sign * c->traffic_n;
    a->park_total += sign * c->park_total;
    a->park_free += sign * c->park_free;
    a->park_full += sign * c->park_full;
    a->park_n += sign * c->park_n;
    a->above_warning += sign * c->above_warning;
    a->above_guarantee += sign * c->above_guarantee;
    a->water_n += sign * c->water_n;
    a->rain += sign * c->rain;
    a->rain_n += sign * c->rain_n;
}

void live_agg_init(live_agg *a)
{
    memset(a, 0, sizeof *a);
    a->worst_margin = a->rain_max = a->temperature = a->wind = NAN;
}

static json_t *num(double v, double scale)
{
    /* rounded so that float noise of incremental sums is not a "change" */
    return isfinite(v) ? json_real(round(v * scale) / scale) : json_null();
}

json_t *live_ind_vitals_json(const live_agg *a)
{
    const live_contrib *s = &a->s;
    json_t *o = json_object();
    double tpi = s->tpi_den > 0 ? s->tpi_num / s->tpi_den : NAN;
    json_object_set_new(o, "tpi", num(tpi, 100));
    json_object_set_new(o, "tpi_level", isfinite(tpi)
        ? json_string(live_ind_tpi_level_name(live_ind_tpi_level(round(tpi * 100) / 100)))
        : json_null());
    json_object_set_new(o, "congested_km", num(s->congested_m / 1000, 1000));
    json_object_set_new(o, "traffic_reporting", json_integer(s->traffic_n));
    json_object_set_new(o, "parking_total", num(s->park_total, 1));
    json_object_set_new(o, "parking_free", num(s->park_free, 1));
    json_object_set_new(o, "parking_occupancy", num(s->park_total > 0
        ? (s->park_total - s->park_free) / s->park_total : NAN, 1000));
    json_object_set_new(o, "parking_full", json_integer(s->park_full));
    json_object_set_new(o, "water_above_warning", json_integer(s->above_warning));
    json_object_set_new(o, "water_above_guarantee", json_integer(s->above_guarantee));
    json_object_set_new(o, "water_worst_margin_m", num(a->worst_margin, 100));
    json_object_set_new(o, "rain_max_mm_h", num(a->rain_max, 10));
    json_object_set_new(o, "rain_mean_mm_h",
                        num(s->rain_n ? s->rain / s->rain_n : NAN, 10));
    json_object_set_new(o, "temperature_c", num(a->temperature, 10));
    json_object_set_new(o, "wind_ms", num(a->wind, 10));
    static const char *kinds[] = {"traffic", "parking", "water"};
    for (int k = 0; k < 3; k++) {
        char key[40];
        snprintf(key, sizeof key, "stale_%s", kinds[k]);
        json_object_set_new(o, key, json_integer(a->stale[k]));
        snprintf(key, sizeof key, "stale_%s_pct", kinds[k]);
        json_object_set_new(o, key, num(a->total[k] ? 100.0 * a->stale[k] / a->total[k]
                                                    : 0, 10));
    }
    return o;
}

static int near(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return fabs(a - b) <= 1e-6 * (1 + fabs(a) + fabs(b));
}

int live_agg_equal(const live_agg *a, const live_agg *b, char *why, int n)
{
#define CMP(f)                                                              \
    if (!near((double)a->f, (double)b->f)) {                                \
        snprintf(why, (size_t)n, #f ": %.9g != %.9g", (double)a->f, (double)b->f); \
        return 0;                                                           \
    }
    CMP(s.tpi_num) CMP(s.tpi_den) CMP(s.congested_m) CMP(s.traffic_n)
    CMP(s.park_total) CMP(s.park_free) CMP(s.park_full) CMP(s.park_n)
    CMP(s.above_warning) CMP(s.above_guarantee) CMP(s.water_n)
    CMP(s.rain) CMP(s.rain_n) CMP(worst_margin) CMP(rain_max)
    CMP(temperature) CMP(wind)
    for (int k = 0; k < LIVE_NKINDS; k++) {
        CMP(stale[k]) CMP(total[k])
    }
#undef CMP
    return 1;
}
