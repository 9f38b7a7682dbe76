/* live/simulator.c: plays a scenario as observation batches (simulator.h). */
#include "live/simulator.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live/observe.h"

/* A stateless uniform number in [0, 1) from the seed and two keys. */
static double hash_unit(uint64_t seed, uint64_t a, uint64_t b)
{
    uint64_t z = seed ^ (a * 0x9e3779b97f4a7c15ULL) ^ (b * 0xc2b2ae3d27d4eb4fULL);
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

/* A noise factor 1 + amp * u, u uniform in [-1, 1). */
static double noise(const live_sim *s, int ent, int64_t n, int slot, double amp)
{
    return 1 + amp * (2 * hash_unit(s->seed, (uint64_t)ent * 8 + (uint64_t)slot,
                                    (uint64_t)n) - 1);
}

/* A lasting per-road noise factor that drifts smoothly over drift_s
 * (traffic does not jump independently at every report). */
static double drift(const live_sim *s, int ent, double t, double amp)
{
    if (amp <= 0)
        return 1;
    double d = s->sc->drift_s > 0 ? s->sc->drift_s : 900;
    double k = floor(fmax(0, t) / d), f = fmax(0, t) / d - k;
    double a = 2 * hash_unit(s->seed, (uint64_t)ent * 8 + 3, (uint64_t)k) - 1;
    double b = 2 * hash_unit(s->seed, (uint64_t)ent * 8 + 3, (uint64_t)k + 1) - 1;
    f = f * f * (3 - 2 * f);
    return 1 + amp * (a + (b - a) * f);
}

static int period_of(const live_sim *s, const live_entity *e)
{
    const scenario *sc = s->sc;
    double p = e->kind == LIVE_ROAD ? sc->period_s[SC_SRC_TRAFFIC]
             : e->kind == LIVE_PARK ? sc->period_s[SC_SRC_PARKING]
             : e->kind == LIVE_AREA ? sc->period_s[SC_SRC_WEATHER]
             : e->station_type && !strcmp(e->station_type, "rain")
                 ? sc->period_s[SC_SRC_RAIN] : e->period_s;
    return p > 0 ? (int)p : e->period_s;
}

void live_sim_periods(const scenario *sc, int period_s[LIVE_NKINDS])
{
    period_s[LIVE_ROAD] = (int)sc->period_s[SC_SRC_TRAFFIC];
    period_s[LIVE_PARK] = (int)sc->period_s[SC_SRC_PARKING];
    period_s[LIVE_WATER] = 0;
    period_s[LIVE_AREA] = (int)sc->period_s[SC_SRC_WEATHER];
}

int live_sim_init(live_sim *s, const live_registry *reg, const scenario *sc,
                  uint64_t seed, double accel, int64_t wall0, ct_err *err)
{
    memset(s, 0, sizeof *s);
    s->reg = reg;
    s->sc = sc;
    s->seed = seed;
    s->accel = accel > 0 ? accel : sc->time_acceleration > 0 ? sc->time_acceleration : 1;
    s->wall0 = wall0;
    int n = reg->n ? reg->n : 1;
    s->next = calloc((size_t)n, sizeof *s->next);
    s->count = calloc((size_t)n, sizeof *s->count);
    s->road_event = malloc((size_t)n * sizeof *s->road_event);
    s->ev = calloc((size_t)(sc->nevents ? sc->nevents : 1), sizeof *s->ev);
    if (!s->next || !s->count || !s->road_event || !s->ev) {
        live_sim_free(s);
        return ct_fail(err, CT_ENOMEM, "simulator: out of memory");
    }
    for (int i = 0; i < reg->n; i++) {
        /* a seeded phase spreads the reports of each period evenly */
        int p = period_of(s, &reg->ents[i]);
        s->next[i] = (int64_t)(hash_unit(seed, (uint64_t)i, 0x9a5e) * p * 1000);
        s->road_event[i] = -1;
    }
    for (int k = 0; k < sc->nevents; k++) {
        if (sc->events[k].kind != SC_EV_ACCIDENT)
            continue;
        int ent = live_ents_find(reg, sc->events[k].target);
        if (ent >= 0 && reg->ents[ent].kind == LIVE_ROAD)
            s->road_event[ent] = k;
    }
    return CT_OK;
}

void live_sim_free(live_sim *s)
{
    free(s->next);
    free(s->count);
    free(s->road_event);
    free(s->ev);
    memset(s, 0, sizeof *s);
}

/* Rain intensity (mm/h) at scenario second t: a triangle per rainstorm. */
static double rain_at(const scenario *sc, double t)
{
    double r = 0;
    for (int k = 0; k < sc->nevents; k++) {
        const scenario_event *e = &sc->events[k];
        double end = e->at_s + e->duration_s;
        if (e->kind != SC_EV_RAINSTORM || t < e->at_s || t > end)
            continue;
        double x = t <= e->peak_at_s
            ? (t - e->at_s) / fmax(1, e->peak_at_s - e->at_s)
            : (end - t) / fmax(1, end - e->peak_at_s);
        r += e->peak_mm_h * x;
    }
    return r;
}

/* River rise (m) of a water body at t: up from the start of the storm to
 * its peak + lag, then down over the recession time. */
static double rise_at(const scenario *sc, const char *body, double t)
{
    double r = 0;
    for (int k = 0; k < sc->nevents; k++) {
        const scenario_event *e = &sc->events[k];
        if (e->kind != SC_EV_RAINSTORM || t < e->at_s)
            continue;
        double top = e->peak_at_s + e->lag_s, x;
        if (t <= top)
            x = (t - e->at_s) / fmax(1, top - e->at_s);
        else
            x = fmax(0, 1 - (t - top) / fmax(1, e->recession_s));
        r += scenario_rise_for(e, body) * x;
    }
    return r;
}

static int sc_class(const live_entity *e)
{
    int c = scenario_class_of(e->cls);
    if (c >= 0)
        return c;
    return e->band == LIVE_RB_LOCAL ? SC_LOCAL : SC_ARTERIAL;
}

/* The values of entity i's n-th report at scenario second t. */
static json_t *values(const live_sim *s, int i, int64_t n, double t)
{
    const live_entity *e = &s->reg->ents[i];
    const scenario *sc = s->sc;
    double clock = fmod(sc->start_clock_s + t, 86400.0);
    double rain = rain_at(sc, t);
    json_t *v = json_object();
    if (e->kind == LIVE_ROAD) {
        int c = sc_class(e);
        /* the class's curve, this road's lasting bias, the busy places at
         * the peaks, a slow drift and a little report-to-report jitter */
        double bias = 1 + sc->road_spread *
                          (2 * hash_unit(s->seed, (uint64_t)i * 8 + 4, 0) - 1);
        double sp = scenario_curve_at(&sc->speed_kmh[c], clock) * bias *
                    scenario_hotspot_factor(sc, e->lon, e->lat,
                                            scenario_peak_weight(sc, c, clock)) *
                    drift(s, i, t, sc->traffic_noise) * noise(s, i, n, 0, 0.03);
        sp *= 1 - (1 - sc->rain_speed_factor) * fmin(1, rain / 30);
        int k = s->road_event[i];
        if (k >= 0 && t >= sc->events[k].at_s &&
            t < sc->events[k].at_s + sc->events[k].duration_s)
            sp *= sc->events[k].speed_factor;
        double fl = scenario_curve_at(&sc->flow_vph[c], clock) *
                    noise(s, i, n, 1, sc->traffic_noise);
        double free_kmh = e->speed_kmh > 0 ? e->speed_kmh : 60;
        json_object_set_new(v, "speed_kmh", json_real(round(fmax(1, sp) * 10) / 10));
        json_object_set_new(v, "flow_vph", json_real(round(fmax(0, fl))));
        json_object_set_new(v, "occupancy", json_real(round(100 * fmin(0.95,
            fmax(0.02, 1 - sp / free_kmh))) / 100));
    } else if (e->kind == LIVE_PARK) {
        if (e->capacity <= 0)
            goto none;
        double occ = scenario_curve_at(scenario_parking_curve(sc, e->cls), clock) +
                     sc->parking_noise * (2 * hash_unit(s->seed, (uint64_t)i, (uint64_t)n) - 1);
        occ = fmin(1, fmax(0, occ));
        json_object_set_new(v, "free", json_integer((json_int_t)round(e->capacity * (1 - occ))));
        json_object_set_new(v, "total", json_integer(e->capacity));
    } else if (e->kind == LIVE_WATER) {
        if (e->station_type && !strcmp(e->station_type, "rain")) {
            json_object_set_new(v, "rain_mm", json_real(round(10 * rain *
                noise(s, i, n, 2, 0.25)) / 10));
        } else {
            double base = isfinite(e->normal_level) ? e->normal_level
                        : isfinite(e->warning) ? e->warning - 1.0 : NAN;
            if (isnan(base))
                goto none;
            const char *body = e->body_id && *e->body_id ? e->body_id : e->water_body;
            double rise = rise_at(sc, body, t);
            double lv = base + rise + sc->water_noise_m *
                        (2 * hash_unit(s->seed, (uint64_t)i * 8 + 3, (uint64_t)n) - 1);
            json_object_set_new(v, "level_m", json_real(round(lv * 100) / 100));
            if (e->station_type && !strcmp(e->station_type, "flow"))
                json_object_set_new(v, "flow_m3s", json_real(round(
                    (40 + 120 * rise) * noise(s, i, n, 4, 0.05))));
        }
    } else {
        json_object_set_new(v, "temperature_c", json_real(round(10 *
            (scenario_curve_at(&sc->temperature_c, clock) - (rain > 0 ? 3 : 0) +
             (2 * hash_unit(s->seed, (uint64_t)i * 8 + 5, (uint64_t)n) - 1) * 0.3)) / 10));
        json_object_set_new(v, "rain_mm_h", json_real(round(10 * rain) / 10));
        json_object_set_new(v, "wind_ms", json_real(round(10 *
            scenario_curve_at(&sc->wind_ms, clock) * noise(s, i, n, 6, 0.1)) / 10));
    }
    return v;
none:
    json_decref(v);
    return NULL;
}

int live_sim_done(const live_sim *s, int64_t now)
{
    return (double)(now - s->wall0) * s->accel / 1000.0 >= s->sc->duration_s;
}

json_t *live_sim_due(live_sim *s, int64_t now)
{
    json_t *batches = json_array(), *cur = NULL;
    double until = fmin((double)(now - s->wall0) * s->accel,
                        s->sc->duration_s * 1000.0);   /* scenario ms */
    for (int i = 0; i < s->reg->n; i++) {
        int p = period_of(s, &s->reg->ents[i]);
        if (s->max_lag_ms > 0 && p > 0 && until - (double)s->next[i] > (double)s->max_lag_ms) {
            int64_t k = (int64_t)((until - (double)s->next[i] - (double)s->max_lag_ms) /
                                  (p * 1000.0)) + 1;
            s->next[i] += k * p * 1000;
            s->count[i] += k;
            s->skipped += k;
        }
        while ((double)s->next[i] <= until) {
            int64_t at = s->next[i];
            json_t *v = values(s, i, s->count[i], at / 1000.0);
            s->count[i]++;
            s->next[i] += (int64_t)p * 1000;
            if (!v)
                continue;
            if (!cur || json_array_size(cur) >= LIVE_SIM_BATCH) {
                cur = json_array();
                json_array_append_new(batches, cur);
            }
            int64_t wall = s->wall0 + (int64_t)llround((double)at / s->accel);
            json_array_append_new(cur, json_pack("{s:s, s:I, s:o}", "entity",
                s->reg->ents[i].id, "time", (json_int_t)wall, "values", v));
            s->produced++;
        }
    }
    if (until > s->elapsed_s * 1000)
        s->elapsed_s = until / 1000;
    return batches;
}

static void act(live_engine *e, live_sim_event *ev, const char *action,
                const char *body)
{
    json_t *req = json_loads(body, 0, NULL), *out = NULL;
    ct_err err;
    if (live_incident_act(e, ev->incident, action, req, "simulator", &out, &err))
        fprintf(stderr, "citytwin: simulator: %s\n", err.msg);
    json_decref(out);
    json_decref(req);
}

void live_sim_incidents(live_sim *s, live_engine *e, int64_t now)
{
    double t = (double)(now - s->wall0) * s->accel / 1000.0;
    for (int k = 0; k < s->sc->nevents; k++) {
        const scenario_event *x = &s->sc->events[k];
        live_sim_event *ev = &s->ev[k];
        if (x->kind == SC_EV_RAINSTORM || ev->stage >= 4 || t < x->at_s)
            continue;
        int fire = x->kind == SC_EV_FIRE;
        if (ev->stage == 0) {
            json_t *req = json_pack("{s:s, s:s, s:s}", "kind", fire ? "fire" : "accident",
                                    fire ? "building" : "road", x->target,
                                    "description", x->note), *out = NULL;
            ct_err err;
            if (live_incident_create(e, req, "simulator", &out, &err)) {
                fprintf(stderr, "citytwin: simulator: event %d skipped: %s\n", k, err.msg);
                ev->stage = 4;
            } else {
                snprintf(ev->incident, sizeof ev->incident, "%s",
                         json_string_value(json_object_get(out, "id")));
                ev->stage = 1;
            }
            json_decref(req);
            json_decref(out);
        }
        /* a plausible response: dispatch after 1 min, on scene after 5
         * (fire) or 8 (accident), verified and closed when the event ends */
        if (ev->stage == 1 && t >= x->at_s + 60) {
            /* the wall shows these names: Chinese, as a dispatcher writes them */
            act(e, ev, "dispatch", fire ? "{\"units\": [\"消防车 1\"], \"departments\":"
                " [\"消防救援支队\"]}" : "{\"units\": [\"交警巡逻车 1\"],"
                " \"departments\": [\"交警支队\"]}");
            ev->stage = 2;
        }
        if (ev->stage == 2 && t >= x->at_s + (fire ? 300 : 480)) {
            act(e, ev, "arrive", "{}");
            ev->stage = 3;
        }
        if (ev->stage == 3 && t >= x->at_s + x->duration_s) {
            act(e, ev, "verify", "{}");
            act(e, ev, "close", "{}");
            ev->stage = 4;
        }
    }
}

void live_sim_stop(live_sim *s)
{
    atomic_store(&s->stop, 1);
}

int live_sim_run(live_sim *s, live_engine *e, int64_t now, int *n_obs, ct_err *err)
{
    json_t *batches = live_sim_due(s, now);
    int rc = CT_OK, total = 0;
    size_t i;
    json_t *b;
    json_array_foreach(batches, i, b) {
        if (atomic_load(&s->stop))
            break;
        json_t *report = NULL;
        rc = live_ingest(e, b, &report, err);
        if (rc)
            break;
        total += (int)json_integer_value(json_object_get(report, "accepted"));
        json_decref(report);
    }
    json_decref(batches);
    if (!rc)
        live_sim_incidents(s, e, now);
    if (n_obs)
        *n_obs = total;
    return rc;
}
