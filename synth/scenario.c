/* synth/scenario.c: loads and validates a scenario file (scenario.h).
 * Every error names the file, the key path (e.g. "events[2].at") and the
 * problem; unknown keys are errors so that a typo is not silently ignored. */
#include "synth/scenario.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *CLASS_NAMES[SC_NCLASS] = {"arterial", "secondary", "local"};
static const char *const SRC_NAMES[SC_NSRC + 1] = {"traffic", "parking", "water",
                                                   "rain", "weather", NULL};

typedef struct ld {
    const char *path;
    ct_err *err;
} ld;

static int bad(ld *l, const char *key, const char *fmt, const char *what)
{
    return ct_fail(l->err, CT_EFORMAT, "%s: %s: %s%s", l->path, key, fmt,
                   what ? what : "");
}

/* Reject keys of obj not in the NULL-terminated list allowed. */
static int only_keys(ld *l, const json_t *obj, const char *where,
                     const char *const *allowed)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        int ok = 0;
        for (int i = 0; allowed[i] && !ok; i++)
            ok = strcmp(allowed[i], k) == 0;
        if (!ok) {
            char list[256] = "";
            for (int i = 0; allowed[i]; i++) {
                strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, allowed[i], sizeof list - strlen(list) - 1);
            }
            return ct_fail(l->err, CT_EFORMAT,
                           "%s: %s%sunknown key '%s' (expected one of: %s)",
                           l->path, where, where[0] ? ": " : "", k, list);
        }
    }
    return CT_OK;
}

static int get_obj(ld *l, const json_t *o, const char *k, const char *where,
                   int required, json_t **out)
{
    char key[128];
    snprintf(key, sizeof key, "%s%s%s", where, where[0] ? "." : "", k);
    *out = json_object_get(o, k);
    if (!*out)
        return required ? bad(l, key, "missing (an object is required)", NULL)
                        : CT_OK;
    if (!json_is_object(*out))
        return bad(l, key, "expected an object", NULL);
    return CT_OK;
}

/* A number in [lo, hi]; missing -> def (NAN def means required). */
static int get_num(ld *l, const json_t *o, const char *k, const char *where,
                   double lo, double hi, double def, double *out)
{
    char key[128];
    snprintf(key, sizeof key, "%s%s%s", where, where[0] ? "." : "", k);
    json_t *v = json_object_get(o, k);
    if (!v) {
        if (isnan(def))
            return bad(l, key, "missing (a number is required)", NULL);
        *out = def;
        return CT_OK;
    }
    if (!json_is_number(v))
        return bad(l, key, "expected a number", NULL);
    double x = json_number_value(v);
    if (!(x >= lo && x <= hi)) {
        char m[96];
        snprintf(m, sizeof m, "%g is out of range [%g, %g]", x, lo, hi);
        return bad(l, key, m, NULL);
    }
    *out = x;
    return CT_OK;
}

static int get_str(ld *l, const json_t *o, const char *k, const char *where,
                   int required, char *buf, size_t n)
{
    char key[128];
    snprintf(key, sizeof key, "%s%s%s", where, where[0] ? "." : "", k);
    json_t *v = json_object_get(o, k);
    if (!v)
        return required ? bad(l, key, "missing (a string is required)", NULL)
                        : CT_OK;
    if (!json_is_string(v))
        return bad(l, key, "expected a string", NULL);
    if (strlen(json_string_value(v)) >= n)
        return bad(l, key, "too long", NULL);
    snprintf(buf, n, "%s", json_string_value(v));
    return CT_OK;
}

/* "HH:MM" -> seconds after midnight. */
static int parse_clock(const char *s, double *out)
{
    int h, m;
    char tail;
    if (strlen(s) != 5 || sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 ||
        h > 23 || m < 0 || m > 59 || s[2] != ':')
        return -1;
    *out = h * 3600.0 + m * 60.0;
    return 0;
}

static int get_clock(ld *l, const json_t *o, const char *k, const char *where,
                     double *out)
{
    char buf[16], key[128];
    snprintf(key, sizeof key, "%s%s%s", where, where[0] ? "." : "", k);
    int rc = get_str(l, o, k, where, 1, buf, sizeof buf);
    if (rc)
        return rc;
    if (parse_clock(buf, out))
        return bad(l, key, "expected a clock time \"HH:MM\", got ", buf);
    return CT_OK;
}

static int get_curve(ld *l, const json_t *o, const char *k, const char *where,
                     double lo, double hi, int required, scenario_curve *c)
{
    char key[128];
    snprintf(key, sizeof key, "%s%s%s", where, where[0] ? "." : "", k);
    json_t *a = json_object_get(o, k);
    if (!a)
        return required ? bad(l, key, "missing (24 hourly numbers required)", NULL)
                        : CT_OK;
    if (!json_is_array(a) || json_array_size(a) != SCENARIO_HOURS) {
        char m[96];
        snprintf(m, sizeof m, "expected an array of 24 hourly numbers, got %s%zu",
                 json_is_array(a) ? "" : "no array, size ",
                 json_is_array(a) ? json_array_size(a) : (size_t)0);
        return bad(l, key, m, NULL);
    }
    for (int h = 0; h < SCENARIO_HOURS; h++) {
        json_t *v = json_array_get(a, (size_t)h);
        double x = json_is_number(v) ? json_number_value(v) : NAN;
        if (!(x >= lo && x <= hi)) {
            char m[128];
            snprintf(m, sizeof m, "hour %d: expected a number in [%g, %g]", h, lo, hi);
            return bad(l, key, m, NULL);
        }
        c->v[h] = x;
    }
    return CT_OK;
}

static int load_hotspots(ld *l, const json_t *t, scenario *s)
{
    static const char *const keys[] = {"name", "lon", "lat", "radius_m", "depth",
                                       NULL};
    json_t *a = json_object_get(t, "hotspots"), *h;
    size_t i;
    if (!a)
        return CT_OK;
    if (!json_is_array(a) || json_array_size(a) > SCENARIO_MAX_HOTSPOTS) {
        char m[96];
        snprintf(m, sizeof m, "expected an array of at most %d places",
                 SCENARIO_MAX_HOTSPOTS);
        return bad(l, "traffic.hotspots", m, NULL);
    }
    json_array_foreach(a, i, h) {
        char where[48];
        snprintf(where, sizeof where, "traffic.hotspots[%zu]", i);
        if (!json_is_object(h))
            return bad(l, where, "expected an object", NULL);
        scenario_hotspot *p = &s->hotspots[s->nhotspots];
        int rc;
        if ((rc = only_keys(l, h, where, keys)) ||
            (rc = get_str(l, h, "name", where, 1, p->name, sizeof p->name)) ||
            (rc = get_num(l, h, "lon", where, -180, 180, NAN, &p->lon)) ||
            (rc = get_num(l, h, "lat", where, -90, 90, NAN, &p->lat)) ||
            (rc = get_num(l, h, "radius_m", where, 50, 50000, NAN, &p->radius_m)) ||
            (rc = get_num(l, h, "depth", where, 0, 0.9, NAN, &p->depth)))
            return rc;
        s->nhotspots++;
    }
    return CT_OK;
}

static int load_traffic(ld *l, const json_t *doc, scenario *s)
{
    json_t *t;
    int rc = get_obj(l, doc, "traffic", "", 1, &t);
    static const char *const keys[] = {"arterial", "secondary", "local", "noise",
                                       "rain_speed_factor", "road_spread",
                                       "drift_min", "hotspots", NULL};
    static const char *const ck[] = {"speed_kmh", "flow_vph", NULL};
    if (rc || (rc = only_keys(l, t, "traffic", keys)))
        return rc;
    for (int c = 0; c < SC_NCLASS && rc == CT_OK; c++) {
        json_t *o;
        char where[64];
        snprintf(where, sizeof where, "traffic.%s", CLASS_NAMES[c]);
        if ((rc = get_obj(l, t, CLASS_NAMES[c], "traffic", 1, &o)) ||
            (rc = only_keys(l, o, where, ck)) ||
            (rc = get_curve(l, o, "speed_kmh", where, 1, 130, 1, &s->speed_kmh[c])))
            break;
        rc = get_curve(l, o, "flow_vph", where, 0, 20000, 1, &s->flow_vph[c]);
    }
    if (rc == CT_OK)
        rc = get_num(l, t, "noise", "traffic", 0, 0.5, 0.05, &s->traffic_noise);
    if (rc == CT_OK)
        rc = get_num(l, t, "rain_speed_factor", "traffic", 0.1, 1, 1,
                     &s->rain_speed_factor);
    if (rc == CT_OK)
        rc = get_num(l, t, "road_spread", "traffic", 0, 0.5, 0, &s->road_spread);
    double drift_min = 15;
    if (rc == CT_OK && !(rc = get_num(l, t, "drift_min", "traffic", 1, 1440, 15,
                                      &drift_min)))
        s->drift_s = drift_min * 60;
    if (rc == CT_OK)
        rc = load_hotspots(l, t, s);
    return rc;
}

static int load_parking(ld *l, const json_t *doc, scenario *s)
{
    json_t *p;
    int rc = get_obj(l, doc, "parking", "", 1, &p);
    if (rc)
        return rc;
    const char *k;
    json_t *v;
    json_object_foreach(p, k, v) {
        if (!strcmp(k, "noise"))
            continue;
        if (s->nparking >= SCENARIO_MAX_PARKING || strlen(k) >= 32)
            return bad(l, "parking", "too many kinds of area or a name too long",
                       NULL);
        snprintf(s->parking_kind[s->nparking], 32, "%s", k);
        if ((rc = get_curve(l, p, k, "parking", 0, 1, 1, &s->parking[s->nparking])))
            return rc;
        s->nparking++;
    }
    if (!json_object_get(p, "default"))
        return bad(l, "parking.default", "missing (the curve for any other kind "
                   "of area is required)", NULL);
    return get_num(l, p, "noise", "parking", 0, 0.5, 0.02, &s->parking_noise);
}

static int load_rise(ld *l, const json_t *e, const char *where,
                     scenario_event *ev)
{
    json_t *r;
    char w[96];
    snprintf(w, sizeof w, "%s.rise_m", where);
    int rc = get_obj(l, e, "rise_m", where, 1, &r);
    if (rc)
        return rc;
    const char *k;
    json_t *v;
    json_object_foreach(r, k, v) {
        if (ev->nrise >= SCENARIO_MAX_RISE || strlen(k) >= 48)
            return bad(l, w, "too many water bodies or an id too long", NULL);
        snprintf(ev->rise[ev->nrise].water_id, 48, "%s", k);
        if ((rc = get_num(l, r, k, w, -5, 30, NAN, &ev->rise[ev->nrise].rise_m)))
            return rc;
        ev->nrise++;
    }
    return CT_OK;
}

static int check_id(ld *l, const char *where, const char *id, const char *prefix)
{
    if (strncmp(id, prefix, strlen(prefix)) != 0 || !id[strlen(prefix)]) {
        char key[96], m[128];
        snprintf(key, sizeof key, "%s", where);
        snprintf(m, sizeof m, "expected an id starting with '%s', got ", prefix);
        return bad(l, key, m, id);
    }
    return CT_OK;
}

static int load_event(ld *l, const json_t *e, int i, const scenario *s,
                      scenario_event *ev)
{
    char where[32], kind[16] = "", key[64];
    snprintf(where, sizeof where, "events[%d]", i);
    if (!json_is_object(e))
        return bad(l, where, "expected an object", NULL);
    int rc = get_str(l, e, "kind", where, 1, kind, sizeof kind);
    if (rc)
        return rc;
    double at, dur;
    static const char *const rk[] = {"kind", "at", "duration_h", "peak_at",
        "peak_mm_h", "lag_h", "recession_h", "rise_m", "note", NULL};
    static const char *const fk[] = {"kind", "at", "building", "severity",
        "duration_min", "note", NULL};
    static const char *const ak[] = {"kind", "at", "road", "lanes_blocked",
        "duration_min", "speed_factor", "note", NULL};
    if ((rc = get_clock(l, e, "at", where, &at)) ||
        (rc = get_str(l, e, "note", where, 0, ev->note, sizeof ev->note)))
        return rc;
    ev->at_s = fmod(at - s->start_clock_s + 86400.0, 86400.0);
    snprintf(key, sizeof key, "%s.at", where);
    if (ev->at_s >= s->duration_s)
        return bad(l, key, "falls after the end of the scenario", NULL);
    if (!strcmp(kind, "rainstorm")) {
        ev->kind = SC_EV_RAINSTORM;
        double peak, lag, rec;
        if ((rc = only_keys(l, e, where, rk)) ||
            (rc = get_num(l, e, "duration_h", where, 0.1, 72, NAN, &dur)) ||
            (rc = get_clock(l, e, "peak_at", where, &peak)) ||
            (rc = get_num(l, e, "peak_mm_h", where, 0.1, 300, NAN, &ev->peak_mm_h)) ||
            (rc = get_num(l, e, "lag_h", where, 0, 48, 1, &lag)) ||
            (rc = get_num(l, e, "recession_h", where, 0, 240, 6, &rec)) ||
            (rc = load_rise(l, e, where, ev)))
            return rc;
        ev->duration_s = dur * 3600;
        ev->lag_s = lag * 3600;
        ev->recession_s = rec * 3600;
        ev->peak_at_s = fmod(peak - s->start_clock_s + 86400.0, 86400.0);
        snprintf(key, sizeof key, "%s.peak_at", where);
        if (ev->peak_at_s < ev->at_s || ev->peak_at_s > ev->at_s + ev->duration_s)
            return bad(l, key, "must fall between the start and the end of the "
                       "rainstorm", NULL);
    } else if (!strcmp(kind, "fire")) {
        ev->kind = SC_EV_FIRE;
        snprintf(ev->severity, sizeof ev->severity, "minor");
        snprintf(key, sizeof key, "%s.building", where);
        if ((rc = only_keys(l, e, where, fk)) ||
            (rc = get_str(l, e, "building", where, 1, ev->target, sizeof ev->target)) ||
            (rc = check_id(l, key, ev->target, "bld-")) ||
            (rc = get_str(l, e, "severity", where, 0, ev->severity,
                          sizeof ev->severity)) ||
            (rc = get_num(l, e, "duration_min", where, 1, 2880, 60, &dur)))
            return rc;
        snprintf(key, sizeof key, "%s.severity", where);
        if (strcmp(ev->severity, "minor") && strcmp(ev->severity, "major"))
            return bad(l, key, "expected \"minor\" or \"major\", got ", ev->severity);
        ev->duration_s = dur * 60;
    } else if (!strcmp(kind, "accident")) {
        ev->kind = SC_EV_ACCIDENT;
        double lanes;
        snprintf(key, sizeof key, "%s.road", where);
        if ((rc = only_keys(l, e, where, ak)) ||
            (rc = get_str(l, e, "road", where, 1, ev->target, sizeof ev->target)) ||
            (rc = check_id(l, key, ev->target, "road-")) ||
            (rc = get_num(l, e, "lanes_blocked", where, 0, 8, 1, &lanes)) ||
            (rc = get_num(l, e, "duration_min", where, 1, 1440, 30, &dur)) ||
            (rc = get_num(l, e, "speed_factor", where, 0, 1, 0.5, &ev->speed_factor)))
            return rc;
        ev->lanes_blocked = (int)lanes;
        ev->duration_s = dur * 60;
    } else {
        snprintf(key, sizeof key, "%s.kind", where);
        return bad(l, key, "expected rainstorm, fire or accident, got ", kind);
    }
    return CT_OK;
}

static int cmp_event(const void *a, const void *b)
{
    double x = ((const scenario_event *)a)->at_s, y = ((const scenario_event *)b)->at_s;
    return x < y ? -1 : x > y;
}

static int load_events(ld *l, const json_t *doc, scenario *s)
{
    json_t *a = json_object_get(doc, "events");
    if (!a)
        return CT_OK;
    if (!json_is_array(a))
        return bad(l, "events", "expected an array", NULL);
    s->events = calloc(json_array_size(a) + 1, sizeof *s->events);
    if (!s->events)
        return ct_fail(l->err, CT_ENOMEM, "%s: out of memory", l->path);
    for (size_t i = 0; i < json_array_size(a); i++) {
        int rc = load_event(l, json_array_get(a, i), (int)i, s, &s->events[i]);
        if (rc)
            return rc;
        s->nevents++;
    }
    qsort(s->events, (size_t)s->nevents, sizeof *s->events, cmp_event);
    return CT_OK;
}

static int load_top(ld *l, const json_t *doc, scenario *s)
{
    static const char *const keys[] = {"name", "title", "date", "timezone",
        "start_time", "duration_h", "time_acceleration", "seed",
        "reporting_period_s", "traffic", "parking", "water", "weather", "events",
        NULL};
    double dur, seed;
    json_t *o;
    int rc;
    if ((rc = only_keys(l, doc, "", keys)) ||
        (rc = get_str(l, doc, "name", "", 1, s->name, sizeof s->name)) ||
        (rc = get_str(l, doc, "title", "", 0, s->title, sizeof s->title)) ||
        (rc = get_str(l, doc, "date", "", 0, s->date, sizeof s->date)) ||
        (rc = get_str(l, doc, "timezone", "", 0, s->timezone, sizeof s->timezone)) ||
        (rc = get_clock(l, doc, "start_time", "", &s->start_clock_s)) ||
        (rc = get_num(l, doc, "duration_h", "", 0.1, 24, NAN, &dur)) ||
        (rc = get_num(l, doc, "time_acceleration", "", 0.01, 100000, 1,
                      &s->time_acceleration)) ||
        (rc = get_num(l, doc, "seed", "", 0, 9007199254740992.0, 1, &seed)))
        return rc;
    s->duration_s = dur * 3600;
    s->seed = (uint64_t)seed;
    if ((rc = get_obj(l, doc, "reporting_period_s", "", 1, &o)) ||
        (rc = only_keys(l, o, "reporting_period_s", SRC_NAMES)))
        return rc;
    for (int k = 0; k < SC_NSRC && rc == CT_OK; k++)
        rc = get_num(l, o, SRC_NAMES[k], "reporting_period_s", 1, 86400, NAN,
                     &s->period_s[k]);
    return rc;
}

static int load_misc(ld *l, const json_t *doc, scenario *s)
{
    json_t *w = NULL, *wx = NULL;
    static const char *const wk[] = {"noise_m", NULL};
    static const char *const xk[] = {"temperature_c", "wind_ms", NULL};
    int rc;
    s->water_noise_m = 0.02;
    for (int h = 0; h < SCENARIO_HOURS; h++)
        s->temperature_c.v[h] = 20, s->wind_ms.v[h] = 2;
    if ((rc = get_obj(l, doc, "water", "", 0, &w)))
        return rc;
    if (w && ((rc = only_keys(l, w, "water", wk)) ||
              (rc = get_num(l, w, "noise_m", "water", 0, 5, 0.02, &s->water_noise_m))))
        return rc;
    if ((rc = get_obj(l, doc, "weather", "", 0, &wx)))
        return rc;
    if (wx && ((rc = only_keys(l, wx, "weather", xk)) ||
               (rc = get_curve(l, wx, "temperature_c", "weather", -50, 60, 0,
                               &s->temperature_c)) ||
               (rc = get_curve(l, wx, "wind_ms", "weather", 0, 80, 0, &s->wind_ms))))
        return rc;
    return CT_OK;
}

int scenario_load(const char *path, scenario **out, ct_err *err)
{
    *out = NULL;
    json_error_t je;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        FILE *f = fopen(path, "r");
        if (!f)
            return ct_fail(err, CT_ENOTFOUND, "%s: cannot open the scenario file",
                           path);
        fclose(f);
        return ct_fail(err, CT_EFORMAT, "%s: line %d, column %d: %s", path,
                       je.line, je.column, je.text);
    }
    scenario *s = calloc(1, sizeof *s);
    if (!s) {
        json_decref(doc);
        return ct_fail(err, CT_ENOMEM, "%s: out of memory", path);
    }
    ld l = {path, err};
    int rc = json_is_object(doc) ? CT_OK
                                 : bad(&l, "(top)", "expected a JSON object", NULL);
    if (rc == CT_OK)
        rc = load_top(&l, doc, s);
    if (rc == CT_OK)
        rc = load_traffic(&l, doc, s);
    if (rc == CT_OK)
        rc = load_parking(&l, doc, s);
    if (rc == CT_OK)
        rc = load_misc(&l, doc, s);
    if (rc == CT_OK)
        rc = load_events(&l, doc, s);
    json_decref(doc);
    if (rc) {
        scenario_free(s);
        return rc;
    }
    *out = s;
    return CT_OK;
}

void scenario_free(scenario *s)
{
    if (!s)
        return;
    free(s->events);
    free(s);
}

double scenario_curve_at(const scenario_curve *c, double clock_s)
{
    double h = fmod(fmod(clock_s, 86400.0) + 86400.0, 86400.0) / 3600.0;
    int a = (int)h % SCENARIO_HOURS, b = (a + 1) % SCENARIO_HOURS;
    double t = h - floor(h);
    return c->v[a] * (1 - t) + c->v[b] * t;
}

const scenario_curve *scenario_parking_curve(const scenario *s,
                                             const char *area_kind)
{
    const scenario_curve *def = NULL;
    for (int i = 0; i < s->nparking; i++) {
        if (area_kind && !strcmp(s->parking_kind[i], area_kind))
            return &s->parking[i];
        if (!strcmp(s->parking_kind[i], "default"))
            def = &s->parking[i];
    }
    return def;
}

double scenario_peak_weight(const scenario *s, int c, double clock_s)
{
    if (c < 0 || c >= SC_NCLASS)
        return 0;
    const scenario_curve *f = &s->flow_vph[c];
    double top = 0;
    for (int h = 0; h < SCENARIO_HOURS; h++)
        top = fmax(top, f->v[h]);
    if (top <= 0)
        return 0;
    /* below a quarter of the busiest hour's flow the streets run free */
    double r = scenario_curve_at(f, clock_s) / top;
    return fmin(1, fmax(0, (r - 0.25) / 0.75));
}

double scenario_hotspot_factor(const scenario *s, double lon, double lat, double w)
{
    if (!isfinite(lon) || !isfinite(lat) || w <= 0)
        return 1;
    double f = 1;
    for (int i = 0; i < s->nhotspots; i++) {
        const scenario_hotspot *h = &s->hotspots[i];
        /* metres on a local tangent plane: ample for a city's extent */
        double dx = (lon - h->lon) * 111320.0 * cos(h->lat * M_PI / 180);
        double dy = (lat - h->lat) * 110540.0;
        double q = (dx * dx + dy * dy) / (h->radius_m * h->radius_m);
        if (q < 25)
            f *= 1 - h->depth * w * exp(-q);
    }
    return f;
}

int scenario_class_of(const char *road_class)
{
    for (int c = 0; c < SC_NCLASS && road_class; c++)
        if (!strcmp(CLASS_NAMES[c], road_class))
            return c;
    return -1;
}

double scenario_rise_for(const scenario_event *e, const char *water_id)
{
    double def = 0;
    for (int i = 0; i < e->nrise; i++) {
        if (water_id && !strcmp(e->rise[i].water_id, water_id))
            return e->rise[i].rise_m;
        if (!strcmp(e->rise[i].water_id, "default"))
            def = e->rise[i].rise_m;
    }
    return def;
}
