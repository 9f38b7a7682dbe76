/* live/incidents.c: the incident case flow (see incidents.h); the units
 * sent and their planned and actual arrivals are in incident_units.c. */
#include "live/incidents.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live/clock.h"

static const char *STATES[] = {"intake", "dispatched", "handling", "verification",
                               "closed", "evaluated"};

const char *live_inc_state_name(int s)
{
    return s >= 0 && s <= LIVE_INC_EVALUATED ? STATES[s] : "?";
}

int live_inc_is_open(const live_incident *x)
{
    return x->state < LIVE_INC_CLOSED;
}

void live_inc_init(live_incidents *s)
{
    memset(s, 0, sizeof *s);
    live_map_init(&s->by_id);
    s->next_no = 1;
}

void live_inc_free(live_incidents *s)
{
    for (int i = 0; i < s->n; i++) {
        json_decref(s->v[i].units);
        json_decref(s->v[i].departments);
        json_decref(s->v[i].evaluation);
        live_inc_units_free(&s->v[i]);
    }
    free(s->v);
    live_map_free(&s->by_id);
    memset(s, 0, sizeof *s);
}

int live_inc_find(const live_incidents *s, const char *id)
{
    return live_map_get(&s->by_id, id);
}

static live_incident *push(live_incidents *s, int *idx)
{
    if (s->n == s->cap) {
        int ncap = s->cap ? s->cap * 2 : 16;
        live_incident *nv = realloc(s->v, (size_t)ncap * sizeof *nv);
        if (!nv)
            return NULL;
        s->v = nv;
        s->cap = ncap;
    }
    *idx = s->n++;
    live_incident *x = &s->v[*idx];
    memset(x, 0, sizeof *x);
    x->units = json_array();
    x->departments = json_array();
    x->lon = x->lat = NAN;
    return x;
}

static void copy_str(char *dst, size_t n, const json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    snprintf(dst, n, "%s", v ? v : "");
}

int live_inc_create(live_incidents *s, const json_t *req, const char *actor,
                    int64_t now, int *idx, ct_err *err)
{
    const char *kind = json_string_value(json_object_get(req, "kind"));
    if (!kind || !*kind || strlen(kind) >= 32)
        return ct_fail(err, CT_EINVAL, "incident: \"kind\" is required (a short "
                       "string such as fire, accident, flood)");
    const json_t *jlon = json_object_get(req, "lon"), *jlat = json_object_get(req, "lat");
    if (!json_is_number(jlon) || !json_is_number(jlat))
        return ct_fail(err, CT_EINVAL, "incident: \"lon\" and \"lat\" are required "
                       "numbers (WGS84 degrees)");
    double lon = json_number_value(jlon), lat = json_number_value(jlat);
    if (!(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90))
        return ct_fail(err, CT_EINVAL, "incident: lon %g / lat %g are not WGS84 "
                       "degrees", lon, lat);
    live_incident *x = push(s, idx);
    if (!x)
        return ct_fail(err, CT_ENOMEM, "incident: out of memory");
    snprintf(x->id, sizeof x->id, "INC-%06d", s->next_no++);
    snprintf(x->kind, sizeof x->kind, "%s", kind);
    copy_str(x->district, sizeof x->district, req, "district");
    copy_str(x->building, sizeof x->building, req, "building");
    copy_str(x->road, sizeof x->road, req, "road");
    copy_str(x->alert, sizeof x->alert, req, "alert");
    copy_str(x->description, sizeof x->description, req, "description");
    snprintf(x->created_by, sizeof x->created_by, "%s", actor ? actor : "");
    x->lon = lon;
    x->lat = lat;
    x->state = LIVE_INC_INTAKE;
    x->t_intake = now;
    live_map_put(&s->by_id, x->id, *idx);
    return CT_OK;
}

/* Append the strings of req[key] (a string or an array) to arr; count new. */
static int add_names(json_t *arr, const json_t *req, const char *key)
{
    const json_t *v = json_object_get(req, key);
    int added = 0;
    json_t *one = json_is_string(v) ? json_pack("[O]", v) : NULL;
    const json_t *list = one ? one : v;
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it) {
        if (!json_is_string(it) || !*json_string_value(it))
            continue;
        int dup = 0;
        size_t k;
        json_t *have;
        json_array_foreach(arr, k, have)
            dup |= json_equal(have, it);
        if (!dup) {
            json_array_append(arr, it);
            added++;
        }
    }
    json_decref(one);
    return added;
}

typedef struct action_def {
    const char *name;
    unsigned from;      /* bit per state it is allowed from */
} action_def;

#define B(s) (1u << (s))
static const action_def ACTIONS[] = {
    {"dispatch", B(LIVE_INC_INTAKE)},
    {"assign", B(LIVE_INC_DISPATCHED) | B(LIVE_INC_HANDLING)},
    {"arrive", B(LIVE_INC_DISPATCHED) | B(LIVE_INC_HANDLING)},
    {"handle", B(LIVE_INC_DISPATCHED)},
    {"verify", B(LIVE_INC_HANDLING)},
    {"reject", B(LIVE_INC_VERIFICATION)},
    {"close", B(LIVE_INC_VERIFICATION)},
    {"evaluate", B(LIVE_INC_CLOSED)},
    {"note", 0x3f},
};
#define NACTIONS ((int)(sizeof ACTIONS / sizeof ACTIONS[0]))

static void allowed_from(unsigned bits, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int st = 0; st <= LIVE_INC_EVALUATED; st++)
        if (bits & B(st)) {
            size_t l = strlen(buf);
            snprintf(buf + l, n - l, "%s%s", l ? ", " : "", STATES[st]);
        }
}

int live_inc_action(live_incidents *s, const char *id, const char *action,
                    const json_t *req, const char *actor, int64_t now, int *idx,
                    ct_err *err)
{
    int i = live_inc_find(s, id);
    *idx = i;
    if (i < 0)
        return ct_fail(err, CT_ENOTFOUND, "incident %s does not exist", id);
    const action_def *a = NULL;
    for (int k = 0; k < NACTIONS; k++)
        if (action && !strcmp(ACTIONS[k].name, action))
            a = &ACTIONS[k];
    if (!a)
        return ct_fail(err, CT_EINVAL, "incident %s: unknown action '%.40s' (dispatch, "
                       "assign, arrive, handle, verify, reject, close, evaluate, note)",
                       id, action ? action : "");
    if (!actor || !*actor)
        return ct_fail(err, CT_EINVAL, "incident %s: %s needs the operator's name",
                       id, action);
    live_incident *x = &s->v[i];
    if (!(a->from & B(x->state))) {
        char allowed[128];
        allowed_from(a->from, allowed, sizeof allowed);
        return ct_fail(err, CT_ECONFLICT, "incident %s: cannot %s while %s "
                       "(allowed from: %s)", id, action, STATES[x->state], allowed);
    }
    if (!strcmp(action, "dispatch") || !strcmp(action, "assign")) {
        /* check everything first: a refused action changes nothing */
        int nu = live_inc_units_send(x, req, now, 0, err);
        if (nu < 0)
            return nu;
        json_t *d = json_deep_copy(x->departments);
        if (!d)
            return ct_fail(err, CT_ENOMEM, "incident %s: out of memory", id);
        if (nu + add_names(d, req, "departments") == 0) {
            json_decref(d);
            return ct_fail(err, CT_EINVAL, "incident %s: %s needs \"units\" or "
                           "\"departments\" (names not yet assigned)", id, action);
        }
        if (!strcmp(action, "dispatch")) {
            x->state = LIVE_INC_DISPATCHED;
            x->t_dispatch = now;
        }
        int rc = live_inc_units_send(x, req, now, 1, err);
        json_decref(x->departments);
        x->departments = d;
        if (rc < 0)
            return rc;
    } else if (!strcmp(action, "arrive")) {
        int rc = live_inc_units_arrive(x, req, now, err);
        if (rc)
            return rc;
        if (x->state == LIVE_INC_DISPATCHED) {
            x->state = LIVE_INC_HANDLING;
            x->t_handling = now;
        }
    } else if (!strcmp(action, "handle")) {
        x->state = LIVE_INC_HANDLING;
        x->t_handling = now;
    } else if (!strcmp(action, "verify")) {
        x->state = LIVE_INC_VERIFICATION;
        x->t_verify = now;
    } else if (!strcmp(action, "reject")) {
        x->state = LIVE_INC_HANDLING;   /* verification failed: back to work */
    } else if (!strcmp(action, "close")) {
        x->state = LIVE_INC_CLOSED;
        x->t_closed = now;
    } else if (!strcmp(action, "evaluate")) {
        const json_t *sc = json_object_get(req, "score");
        if (sc && (!json_is_integer(sc) || json_integer_value(sc) < 1 ||
                   json_integer_value(sc) > 5))
            return ct_fail(err, CT_EINVAL, "incident %s: score must be 1..5", id);
        json_decref(x->evaluation);
        x->evaluation = json_object();
        if (sc)
            json_object_set(x->evaluation, "score", (json_t *)sc);
        const json_t *c = json_object_get(req, "comment");
        if (json_is_string(c))
            json_object_set(x->evaluation, "comment", (json_t *)c);
        json_object_set_new(x->evaluation, "by", json_string(actor));
        x->state = LIVE_INC_EVALUATED;
        x->t_eval = now;
    }
    return CT_OK;
}

static void set_time(json_t *o, const char *k, int64_t t)
{
    json_object_set_new(o, k, t ? live_time_json(t) : json_null());
}

static void set_dur(json_t *o, const char *k, int64_t a, int64_t b)
{
    json_object_set_new(o, k, a && b ? json_real((b - a) / 1000.0) : json_null());
}

static void set_str(json_t *o, const char *k, const char *v)
{
    json_object_set_new(o, k, *v ? json_string(v) : json_null());
}

json_t *live_inc_json(const live_incident *x, const live_thresholds *thr)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:f, s:f, s:O, s:O}", "id", x->id,
        "kind", x->kind, "state", STATES[x->state], "lon", x->lon, "lat", x->lat,
        "units", x->units, "departments", x->departments);
    set_str(o, "district", x->district);
    set_str(o, "building", x->building);
    set_str(o, "road", x->road);
    set_str(o, "alert", x->alert);
    set_str(o, "description", x->description);
    set_str(o, "created_by", x->created_by);
    json_object_set_new(o, "open", json_boolean(live_inc_is_open(x)));
    json_t *t = json_object();
    set_time(t, "intake", x->t_intake);
    set_time(t, "dispatch", x->t_dispatch);
    set_time(t, "arrival", x->t_arrival);
    set_time(t, "handling", x->t_handling);
    set_time(t, "verification", x->t_verify);
    set_time(t, "closure", x->t_closed);
    set_time(t, "evaluation", x->t_eval);
    json_object_set_new(o, "times", t);
    json_t *d = json_object();
    set_dur(d, "dispatch_s", x->t_intake, x->t_dispatch);
    set_dur(d, "arrival_s", x->t_dispatch, x->t_arrival);
    set_dur(d, "closure_s", x->t_intake, x->t_closed);
    double plan = live_inc_planned_first(x);
    json_object_set_new(d, "planned_arrival_s", isfinite(plan) ? json_real(plan)
                                                               : json_null());
    json_object_set_new(d, "arrival_vs_plan_s",
        isfinite(plan) && x->t_arrival && x->t_dispatch
            ? json_real((x->t_arrival - x->t_dispatch) / 1000.0 - plan)
            : json_null());
    json_object_set_new(o, "durations", d);
    json_object_set_new(o, "assignments", live_inc_units_json(x));
    /* per incident: the first arrival against the planned first arrival,
     * under the station of the first unit sent; per unit in "assignments".
     * Kept apart from "evaluation", which is the operator's score */
    char st[64];
    if (x->nunit)
        live_inc_unit_station(x->unit[0].id, st, sizeof st);
    json_object_set_new(o, "eta_evaluation", json_pack("{s:o, s:O, s:O, s:O}",
        "station", x->nunit ? json_string(st) : json_null(),
        "dispatch_to_arrival_s", json_object_get(d, "arrival_s"),
        "planned_eta_s", json_object_get(d, "planned_arrival_s"),
        "eta_error_s", json_object_get(d, "arrival_vs_plan_s")));
    if (thr) {
        const live_target *tg = live_thr_target(thr, x->kind);
        json_object_set_new(o, "targets", json_pack("{s:f, s:f, s:f}",
            "dispatch_s", tg->dispatch_s, "arrival_s", tg->arrival_s,
            "closure_s", tg->closure_s));
        json_t *ok = json_object();
        const char *keys[] = {"dispatch_s", "arrival_s", "closure_s"};
        double lim[] = {tg->dispatch_s, tg->arrival_s, tg->closure_s};
        for (int k = 0; k < 3; k++) {
            json_t *v = json_object_get(d, keys[k]);
            json_object_set_new(ok, keys[k], json_is_number(v)
                ? json_boolean(json_number_value(v) <= lim[k]) : json_null());
        }
        json_object_set_new(o, "on_target", ok);
    }
    json_object_set(o, "evaluation", x->evaluation ? x->evaluation : json_null());
    return o;
}

int live_inc_restore(live_incidents *s, const json_t *j)
{
    const char *id = json_string_value(json_object_get(j, "id"));
    const char *state = json_string_value(json_object_get(j, "state"));
    if (!id || !state || live_inc_find(s, id) >= 0)
        return -1;
    int i;
    live_incident *x = push(s, &i);
    if (!x)
        return -1;
    copy_str(x->id, sizeof x->id, j, "id");
    copy_str(x->kind, sizeof x->kind, j, "kind");
    copy_str(x->district, sizeof x->district, j, "district");
    copy_str(x->building, sizeof x->building, j, "building");
    copy_str(x->road, sizeof x->road, j, "road");
    copy_str(x->alert, sizeof x->alert, j, "alert");
    copy_str(x->description, sizeof x->description, j, "description");
    copy_str(x->created_by, sizeof x->created_by, j, "created_by");
    for (int st = 0; st <= LIVE_INC_EVALUATED; st++)
        if (!strcmp(STATES[st], state))
            x->state = st;
    x->lon = json_number_value(json_object_get(j, "lon"));
    x->lat = json_number_value(json_object_get(j, "lat"));
    add_names(x->departments, j, "departments");
    const json_t *ev = json_object_get(j, "evaluation");
    x->evaluation = json_is_object(ev) ? json_deep_copy(ev) : NULL;
    const json_t *t = json_object_get(j, "times");
    x->t_intake = live_time_field(t, "intake");
    x->t_dispatch = live_time_field(t, "dispatch");
    x->t_arrival = live_time_field(t, "arrival");
    x->t_handling = live_time_field(t, "handling");
    x->t_verify = live_time_field(t, "verification");
    x->t_closed = live_time_field(t, "closure");
    x->t_eval = live_time_field(t, "evaluation");
    live_inc_units_restore(x, j);
    live_map_put(&s->by_id, x->id, i);
    int no = 0;
    if (sscanf(x->id, "INC-%d", &no) == 1 && no >= s->next_no)
        s->next_no = no + 1;
    return i;
}
