/* server/api_rescue_eval.c: GET /api/v1/rescue/evaluation, the
 * effectiveness of rescue dispatch: per unit sent, its dispatch-to-arrival
 * time against the ETA planned when it was sent; per incident, the first
 * arrival against the planned first arrival; per station, over the units
 * it sent, the count and means. Built from the incidents' own
 * "assignments" and "eta_evaluation", so the figures match GET
 * /api/v1/incidents/{id}. With ?at=T, the same figures over the incidents
 * as they were at T (the live history, as GET /api/v1/state?at=T): what a
 * wall replaying T shows. */
#include "server/api.h"

#include <stdlib.h>
#include <string.h>

#include "live/clock.h"
#include "live/live.h"
#include "server/api_rescue.h"
#include "server/serve_live.h"

/* Add v (a number or null) to sums[key] and its count n_key. */
static void add_mean(json_t *agg, const char *key, const char *nkey, const json_t *v)
{
    if (!json_is_number(v))
        return;
    json_object_set_new(agg, key, json_real(json_number_value(
        json_object_get(agg, key)) + json_number_value(v)));
    json_object_set_new(agg, nkey, json_integer(json_integer_value(
        json_object_get(agg, nkey)) + 1));
}

/* sum/n as the mean (null when n is 0), dropping the helper keys. */
static void finish_mean(json_t *agg, const char *key, const char *nkey, const char *out)
{
    json_int_t n = json_integer_value(json_object_get(agg, nkey));
    double sum = json_number_value(json_object_get(agg, key));
    json_object_set_new(agg, out, n ? json_real(sum / (double)n) : json_null());
    json_object_del(agg, key);
    json_object_del(agg, nkey);
}

/* A station's aggregate in by (created on first use). */
static json_t *station_agg(json_t *by, const char *st)
{
    json_t *agg = json_object_get(by, st);
    if (!agg) {
        agg = json_pack("{s:s, s:I, s:I}", "station", st, "count", (json_int_t)0,
                        "arrived", (json_int_t)0);
        json_object_set_new(by, st, agg);
    }
    return agg;
}

static void bump(json_t *o, const char *key)
{
    json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + 1));
}

/* The fire station's name for a station id (units named after their
 * station), or JSON null when it is not one of the store's stations. */
static json_t *station_name(const rescue_station *st, int n, const char *id)
{
    for (int i = 0; id && i < n; i++)
        if (!strcmp(st[i].id, id))
            return json_string(st[i].name);
    return json_null();
}

static int by_station(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "station")),
                  json_string_value(json_object_get(*(json_t *const *)b, "station")));
}

/* The incidents (a JSON array) now (at 0), or as they were at time at;
 * NULL with the history's error sent. */
static json_t *incidents_at(http_req *r, live_engine *e, int64_t at)
{
    if (at <= 0)
        return live_incidents_list(e, 0);
    ct_err err;
    ct_err_clear(&err);
    json_t *st = NULL;
    if (live_state_at(e, at, &st, &err)) {
        http_reply_ct(r, &err);
        return NULL;
    }
    json_t *list = json_array();
    const char *k;
    json_t *inc;
    json_object_foreach(json_object_get(st, "incidents"), k, inc)
        json_array_append(list, inc);
    json_decref(st);
    return list;
}

int api_rescue_evaluation(http_req *r)
{
    static const char *const allowed[] = {"at", NULL};
    http_qparam q[RESCUE_MAX_PARAMS];
    char buf[256];
    int nq = rescue_query(r, allowed, q, buf, sizeof buf);
    if (nq < 0)
        return r->status;
    live_engine *e = api_live(r);
    if (!e)
        return r->status;
    int64_t at_ms = 0;
    int at = rescue_at(r, q, nq, &at_ms);
    json_t *list = at < 0 ? NULL : incidents_at(r, e, at_ms);
    if (!list)
        return r->status;
    rescue_station *fs = NULL;   /* names only: no store, no names */
    int nfs = 0;
    ct_err err;
    ct_err_clear(&err);
    sqlite3 *db = http_req_db(r, &err);
    if (db && rescue_stations(db, &fs, &nfs, &err))
        nfs = 0;
    json_t *rows = json_array(), *units = json_array(), *by = json_object();
    size_t i;
    json_t *inc;
    json_array_foreach(list, i, inc) {
        const json_t *ev = json_object_get(inc, "eta_evaluation");
        const char *st = json_string_value(json_object_get(ev, "station"));
        const json_t *sent = json_object_get(json_object_get(inc, "times"), "dispatch");
        if (!st || !json_is_string(sent))
            continue;   /* never dispatched to a unit: nothing to evaluate */
        const json_t *as = json_object_get(inc, "assignments");
        json_array_append_new(rows, json_pack("{s:O, s:O, s:O, s:s, s:O, s:O, s:O, s:O, s:I}",
            "id", json_object_get(inc, "id"), "kind", json_object_get(inc, "kind"),
            "state", json_object_get(inc, "state"), "station", st, "dispatched", sent,
            "dispatch_to_arrival_s", json_object_get(ev, "dispatch_to_arrival_s"),
            "planned_eta_s", json_object_get(ev, "planned_eta_s"),
            "eta_error_s", json_object_get(ev, "eta_error_s"),
            "units", (json_int_t)json_array_size(as)));
        json_object_set_new(json_array_get(rows, json_array_size(rows) - 1), "name",
                            station_name(fs, nfs, st));
        /* per unit, and per station over the units it sent */
        size_t k;
        json_t *u;
        json_array_foreach(as, k, u) {
            json_t *row = json_deep_copy(u);
            const char *ust = json_string_value(json_object_get(u, "station"));
            json_object_set(row, "incident", json_object_get(inc, "id"));
            json_object_set_new(row, "name", station_name(fs, nfs, ust));
            json_array_append_new(units, row);
            json_t *agg = station_agg(by, ust);
            if (!json_object_get(agg, "name"))
                json_object_set_new(agg, "name", station_name(fs, nfs, ust));
            bump(agg, "count");
            const json_t *act = json_object_get(u, "dispatch_to_arrival_s");
            if (json_is_number(act))
                bump(agg, "arrived");
            add_mean(agg, "_a", "_na", act);
            add_mean(agg, "_p", "_np", json_object_get(u, "planned_eta_s"));
            add_mean(agg, "_e", "_ne", json_object_get(u, "eta_error_s"));
        }
    }
    json_decref(list);
    free(fs);
    size_t ns = json_object_size(by), n = 0;
    json_t **v = malloc((ns + 1) * sizeof *v);
    const char *k;
    json_t *agg;
    json_object_foreach(by, k, agg) {
        finish_mean(agg, "_a", "_na", "mean_dispatch_to_arrival_s");
        finish_mean(agg, "_p", "_np", "mean_planned_eta_s");
        finish_mean(agg, "_e", "_ne", "mean_eta_error_s");
        if (v)
            v[n++] = agg;
    }
    if (v)
        qsort(v, n, sizeof *v, by_station);
    json_t *stations = json_array();
    for (size_t j = 0; j < n; j++)
        json_array_append(stations, v[j]);
    free(v);
    json_decref(by);
    json_t *res = json_pack("{s:o, s:I, s:o, s:o}", "incidents", rows,
        "count", (json_int_t)json_array_size(rows), "units", units, "stations", stations);
    if (at && res)
        json_object_set_new(res, "at", live_time_json(at_ms));
    return http_reply_json(r, 200, res);
}
