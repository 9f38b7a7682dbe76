/* live/incident_units.c: the units sent to an incident (issue 8's
 * evaluation): each unit's send time, the ETA planned for it then (the
 * rescue map's route) and its arrival, so planned against actual is known
 * per unit, and from the units per station and per incident. x->units (the
 * names, the public list) and x->unit[] stay in the same order. */
#include "live/incidents.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live/clock.h"

void live_inc_units_free(live_incident *x)
{
    free(x->unit);
    x->unit = NULL;
    x->nunit = x->capunit = 0;
}

static int unit_index(const live_incident *x, const char *name)
{
    for (int i = 0; i < x->nunit; i++)
        if (!strcmp(x->unit[i].id, name))
            return i;
    return -1;
}

static live_unit *unit_add(live_incident *x, const char *name)
{
    if (x->nunit == x->capunit) {
        int c = x->capunit ? x->capunit * 2 : 4;
        live_unit *v = realloc(x->unit, (size_t)c * sizeof *v);
        if (!v)
            return NULL;
        x->unit = v, x->capunit = c;
    }
    live_unit *u = &x->unit[x->nunit++];
    memset(u, 0, sizeof *u);
    snprintf(u->id, sizeof u->id, "%s", name);
    u->planned_eta_s = NAN;
    return u;
}

/* The names of req[key] (a string or an array of strings) as an array
 * (new reference); NULL with err when one is not a usable name. */
static json_t *names_of(const json_t *req, const char *key, const char *id, ct_err *err)
{
    const json_t *v = json_object_get(req, key);
    json_t *out = json_array();
    if (!v)
        return out;
    json_t *one = json_is_string(v) ? json_pack("[O]", v) : NULL;
    const json_t *list = one ? one : v;
    if (!json_is_array(list)) {
        json_decref(out);
        ct_fail(err, CT_EINVAL, "incident %s: \"%s\" must be a name or an array of "
                "names", id, key);
        return NULL;
    }
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it) {
        const char *s = json_string_value(it);
        if (!s || !*s || strlen(s) >= sizeof ((live_unit *)0)->id) {
            json_decref(one), json_decref(out);
            ct_fail(err, CT_EINVAL, "incident %s: %s[%zu] must be a name of 1 to "
                    "63 bytes", id, key, i);
            return NULL;
        }
        int dup = 0;
        size_t k;
        json_t *have;
        json_array_foreach(out, k, have)
            dup |= json_equal(have, it);
        if (!dup)
            json_array_append(out, it);
    }
    json_decref(one);
    return out;
}

static int bad_eta(const json_t *v)
{
    return !json_is_number(v) || !(json_number_value(v) >= 0) ||
           !isfinite(json_number_value(v));
}

int live_inc_units_send(live_incident *x, const json_t *req, int64_t now,
                        int commit, ct_err *err)
{
    const json_t *eta = json_object_get(req, "eta_s");
    const json_t *etas = json_object_get(req, "etas");
    if (eta && bad_eta(eta))
        return ct_fail(err, CT_EINVAL, "incident %s: eta_s must be a number of "
                       "seconds >= 0", x->id);
    if (etas && !json_is_object(etas))
        return ct_fail(err, CT_EINVAL, "incident %s: etas must be an object "
                       "{unit: seconds}", x->id);
    json_t *names = names_of(req, "units", x->id, err);
    if (!names)
        return err ? err->code : CT_EINVAL;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)etas, k, v) {
        int named = 0;
        size_t i;
        json_t *n;
        json_array_foreach(names, i, n)
            named |= !strcmp(json_string_value(n), k);
        if (!named || bad_eta(v)) {
            json_decref(names);
            return ct_fail(err, CT_EINVAL, "incident %s: etas[\"%.60s\"] %s", x->id, k,
                           named ? "must be a number of seconds >= 0"
                                 : "is not one of the units sent");
        }
    }
    int added = 0, rc = CT_OK;
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) {
        const char *name = json_string_value(n);
        if (unit_index(x, name) >= 0)
            continue;   /* already sent: its first send time and plan stay */
        added++;
        if (!commit)
            continue;
        live_unit *u = unit_add(x, name);
        if (!u) {
            rc = ct_fail(err, CT_ENOMEM, "incident %s: out of memory", x->id);
            break;
        }
        json_array_append(x->units, n);
        u->t_dispatch = now;
        const json_t *e = json_object_get(etas, name);
        if (!e)
            e = eta;
        if (e)
            u->planned_eta_s = json_number_value(e);
    }
    json_decref(names);
    return rc ? rc : added;
}

int live_inc_units_arrive(live_incident *x, const json_t *req, int64_t now,
                          ct_err *err)
{
    json_t *names = names_of(req, json_object_get(req, "units") ? "units" : "unit",
                             x->id, err);
    if (!names)
        return err ? err->code : CT_EINVAL;
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) {   /* check them all before changing any */
        int u = unit_index(x, json_string_value(n));
        int rc = u < 0 ? ct_fail(err, CT_EINVAL, "incident %s: unit '%s' was not "
                                 "sent to it", x->id, json_string_value(n))
               : x->unit[u].t_arrival ? ct_fail(err, CT_ECONFLICT, "incident %s: "
                                 "unit '%s' has already arrived", x->id,
                                 json_string_value(n))
               : CT_OK;
        if (rc) {
            json_decref(names);
            return rc;
        }
    }
    if (json_array_size(names) == 0) {   /* none named: all en route arrive */
        for (int u = 0; u < x->nunit; u++)
            if (!x->unit[u].t_arrival)
                x->unit[u].t_arrival = now;
    }
    json_array_foreach(names, i, n)
        x->unit[unit_index(x, json_string_value(n))].t_arrival = now;
    json_decref(names);
    if (!x->t_arrival)
        x->t_arrival = now;   /* the first unit on scene counts */
    return CT_OK;
}

void live_inc_unit_station(const char *unit, char *buf, size_t n)
{
    const char *slash = strchr(unit, '/');
    size_t len = slash ? (size_t)(slash - unit) : strlen(unit);
    snprintf(buf, n, "%.*s", (int)len, unit);
}

double live_inc_planned_first(const live_incident *x)
{
    double best = NAN;
    for (int i = 0; i < x->nunit; i++) {
        const live_unit *u = &x->unit[i];
        if (!isfinite(u->planned_eta_s) || !u->t_dispatch || !x->t_dispatch)
            continue;
        double at = (u->t_dispatch - x->t_dispatch) / 1000.0 + u->planned_eta_s;
        if (!(at >= best))
            best = at;
    }
    return best;
}

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *live_inc_units_json(const live_incident *x)
{
    json_t *a = json_array();
    for (int i = 0; i < x->nunit; i++) {
        const live_unit *u = &x->unit[i];
        char st[64];
        live_inc_unit_station(u->id, st, sizeof st);
        double act = u->t_arrival && u->t_dispatch
                         ? (u->t_arrival - u->t_dispatch) / 1000.0 : NAN;
        json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o}",
            "unit", u->id, "station", st,
            "planned_eta_s", num_or_null(u->planned_eta_s),
            "dispatched", u->t_dispatch ? live_time_json(u->t_dispatch) : json_null(),
            "arrived", u->t_arrival ? live_time_json(u->t_arrival) : json_null(),
            "dispatch_to_arrival_s", num_or_null(act),
            "eta_error_s", num_or_null(act - u->planned_eta_s)));
    }
    return a;
}

void live_inc_units_restore(live_incident *x, const json_t *j)
{
    const json_t *as = json_object_get(j, "assignments");
    size_t i;
    json_t *it;
    if (json_is_array(as)) {
        json_array_foreach(as, i, it) {
            const char *name = json_string_value(json_object_get(it, "unit"));
            if (!name || !*name || unit_index(x, name) >= 0)
                continue;
            live_unit *u = unit_add(x, name);
            if (!u)
                return;
            json_array_append_new(x->units, json_string(u->id));
            const json_t *p = json_object_get(it, "planned_eta_s");
            if (json_is_number(p))
                u->planned_eta_s = json_number_value(p);
            u->t_dispatch = live_time_field(it, "dispatched");
            u->t_arrival = live_time_field(it, "arrived");
        }
        return;
    }
    /* written before per-unit records: every unit sent at the dispatch, the
     * first with the dispatch's plan and the incident's arrival */
    const json_t *pe = json_object_get(json_object_get(j, "durations"),
                                       "planned_arrival_s");
    json_array_foreach(json_object_get(j, "units"), i, it) {
        const char *name = json_string_value(it);
        if (!name || !*name || strlen(name) >= sizeof x->unit->id ||
            unit_index(x, name) >= 0)
            continue;
        live_unit *u = unit_add(x, name);
        if (!u)
            return;
        json_array_append_new(x->units, json_string(u->id));
        u->t_dispatch = x->t_dispatch;
        if (x->nunit == 1) {
            u->t_arrival = x->t_arrival;
            if (json_is_number(pe))
                u->planned_eta_s = json_number_value(pe);
        }
    }
}
