/* live/engine_ops.c: alerts and incidents as operators and the engine act
 * on them: publishing, escalation of an alert into an incident, the audit
 * log, building states, and the incident indicators of each place. */
#include "live/live.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live/clock.h"

static int escalate(live_engine *e, int aidx, const live_rule *r, const char *actor,
                    const json_t *extra, json_t **out, ct_err *err);

void live__alert_changed(live_engine *e, int idx, int change, const live_rule *r,
                         int64_t now)
{
    live_alert *a = &e->alerts.a[idx];
    live_publish(e->stream, now, LIVE_TOPIC_ALERTS, a->id, live_alert_json(a));
    if (r && r->escalate && change != LIVE_AL_CLEARED_NOW && a->level >= r->escalate &&
        !a->incident[0])
        escalate(e, idx, r, "system", NULL, NULL, NULL);
}

/* Open incidents by kind, mean dispatch and arrival times, closure rate of
 * the incidents held (docs/LIVE.md). Under the lock. */
json_t *live__place_incident_stats(live_engine *e, int place)
{
    int city = place == live_fusion_city(&e->fus);
    const char *did = city ? NULL : e->reg->dists[place].id;
    json_t *by_kind = json_object();
    int open = 0, total = 0, closed = 0, nd = 0, na = 0;
    double sd = 0, sa = 0;
    for (int i = 0; i < e->inc.n; i++) {
        const live_incident *x = &e->inc.v[i];
        if (!city && strcmp(x->district, did))
            continue;
        total++;
        if (live_inc_is_open(x)) {
            open++;
            json_t *c = json_object_get(by_kind, x->kind);
            json_object_set_new(by_kind, x->kind,
                                json_integer(c ? json_integer_value(c) + 1 : 1));
        } else {
            closed++;
        }
        if (x->t_dispatch) {
            sd += (x->t_dispatch - x->t_intake) / 1000.0;
            nd++;
        }
        if (x->t_arrival && x->t_dispatch) {
            sa += (x->t_arrival - x->t_dispatch) / 1000.0;
            na++;
        }
    }
    json_t *o = json_pack("{s:i, s:o, s:i}", "incidents_open", open,
                          "incidents_open_by_kind", by_kind, "incidents_total", total);
    json_object_set_new(o, "dispatch_avg_s", nd ? json_real(round(sd / nd)) : json_null());
    json_object_set_new(o, "arrival_avg_s", na ? json_real(round(sa / na)) : json_null());
    json_object_set_new(o, "closure_rate", total ? json_real(round(1000.0 * closed / total)
                                                             / 1000) : json_null());
    return o;
}

static void mark_incident_places(live_engine *e, const live_incident *x)
{
    int d = live_ents_district(e->reg, x->district);
    if (d >= 0)
        e->fus.dirty[d] = 1;
    e->fus.dirty[live_fusion_city(&e->fus)] = 1;
}

/* A building with an open incident shows its kind ("fire"); on closure it
 * returns to "normal". */
static void building_state(live_engine *e, const live_incident *x, int64_t now)
{
    if (!x->building[0])
        return;
    int open = live_inc_is_open(x);
    json_t *cur = json_object_get(e->buildings, x->building);
    const char *cur_inc = json_string_value(json_object_get(cur, "incident"));
    if (!open && (!cur_inc || strcmp(cur_inc, x->id)))
        return;   /* another incident owns the building's state now */
    json_t *st = json_pack("{s:s, s:s, s:s, s:o}", "state", open ? x->kind : "normal",
                           "incident", x->id, "kind", x->kind, "since",
                           live_time_json(now));
    if (!open)
        json_object_set_new(st, "incident", json_null());
    json_object_set(e->buildings, x->building, st);
    live_publish(e->stream, now, LIVE_TOPIC_BUILDINGS, x->building, st);
}

void live__incident_changed(live_engine *e, int idx, const char *actor,
                            const char *action, const json_t *detail, int64_t now)
{
    const live_incident *x = &e->inc.v[idx];
    json_t *j = live_inc_json(x, e->thr);
    ct_err err;
    if (live_hist_put_incident(e->hist, x->id, j, now, actor, action, detail, &err))
        fprintf(stderr, "citytwin: %s\n", err.msg);
    live_publish(e->stream, now, LIVE_TOPIC_INCIDENTS, x->id, j);
    building_state(e, x, now);
    mark_incident_places(e, x);
    live__publish_vitals(e, now, 1);
}

/* Fill district, lon/lat from the building or road when the request lacks
 * them. Returns a new request object. */
static json_t *resolve_place(live_engine *e, const json_t *req, ct_err *err)
{
    json_t *r = json_deep_copy(req);
    const char *b = json_string_value(json_object_get(r, "building"));
    const char *road = json_string_value(json_object_get(r, "road"));
    double lon = NAN, lat = NAN;
    const char *dist = NULL;
    live_building bd;
    if (b && *b) {
        if (live_ents_building(e->reg, b, &bd, err)) {
            json_decref(r);
            return NULL;
        }
        lon = bd.lon;
        lat = bd.lat;
        dist = bd.district;
    } else if (road && *road) {
        int ent = live_ents_find(e->reg, road);
        if (ent < 0 || e->reg->ents[ent].kind != LIVE_ROAD) {
            ct_fail(err, CT_ENOTFOUND, "incident: road %s is not in the store", road);
            json_decref(r);
            return NULL;
        }
        lon = e->reg->ents[ent].lon;
        lat = e->reg->ents[ent].lat;
        int d = e->reg->ents[ent].district;
        dist = d >= 0 ? e->reg->dists[d].id : NULL;
    }
    if (!json_is_number(json_object_get(r, "lon")) && isfinite(lon)) {
        json_object_set_new(r, "lon", json_real(lon));
        json_object_set_new(r, "lat", json_real(lat));
    }
    if (!json_is_string(json_object_get(r, "district"))) {
        int d = dist && *dist ? live_ents_district(e->reg, dist) : -1;
        const json_t *jl = json_object_get(r, "lon"), *jt = json_object_get(r, "lat");
        if (d < 0 && json_is_number(jl) && json_is_number(jt))
            d = live_ents_district_at(e->reg, json_number_value(jl), json_number_value(jt));
        if (d >= 0)
            json_object_set_new(r, "district", json_string(e->reg->dists[d].id));
    }
    return r;
}

/* Under the lock. */
static int create_locked(live_engine *e, const json_t *req, const char *actor,
                         int64_t now, int *idx, ct_err *err)
{
    int rc = live_inc_create(&e->inc, req, actor, now, idx, err);
    if (!rc)
        live__incident_changed(e, *idx, actor, "intake", req, now);
    return rc;
}

int live_incident_create(live_engine *e, const json_t *req, const char *actor,
                         json_t **out, ct_err *err)
{
    *out = NULL;
    if (!json_is_object(req))
        return ct_fail(err, CT_EINVAL, "incident: the request must be a JSON object");
    json_t *r = resolve_place(e, req, err);   /* store reads outside the lock */
    if (!r)
        return err ? err->code : CT_ENOTFOUND;
    json_object_del(r, "alert");   /* only escalation links an alert */
    int idx;
    pthread_mutex_lock(&e->mu);
    int rc = create_locked(e, r, actor, live_now(e), &idx, err);
    if (!rc)
        *out = live_inc_json(&e->inc.v[idx], e->thr);
    pthread_mutex_unlock(&e->mu);
    json_decref(r);
    return rc;
}

/* Under the lock: an incident from alert aidx, located at its entity. */
static int escalate(live_engine *e, int aidx, const live_rule *r, const char *actor,
                    const json_t *extra, json_t **out, ct_err *err)
{
    live_alert *a = &e->alerts.a[aidx];
    json_t *req = extra ? json_deep_copy(extra) : json_object();
    int ent = live_ents_find(e->reg, a->entity);
    if (!json_is_string(json_object_get(req, "kind")))
        json_object_set_new(req, "kind", json_string(r && r->incident_kind[0]
                                                     ? r->incident_kind : a->rule));
    if (ent >= 0 && isfinite(e->reg->ents[ent].lon) &&
        !json_is_number(json_object_get(req, "lon"))) {
        json_object_set_new(req, "lon", json_real(e->reg->ents[ent].lon));
        json_object_set_new(req, "lat", json_real(e->reg->ents[ent].lat));
        if (e->reg->ents[ent].kind == LIVE_ROAD)
            json_object_set_new(req, "road", json_string(a->entity));
    }
    if (a->district[0] && !json_is_string(json_object_get(req, "district")))
        json_object_set_new(req, "district", json_string(a->district));
    if (!json_is_string(json_object_get(req, "description"))) {
        char d[256];
        snprintf(d, sizeof d, "%s at %s (%s)", a->title, a->entity,
                 live_level_name(a->level));
        json_object_set_new(req, "description", json_string(d));
    }
    json_object_set_new(req, "alert", json_string(a->id));
    int64_t now = live_now(e);
    int idx;
    int rc = create_locked(e, req, actor, now, &idx, err);
    json_decref(req);
    if (rc)
        return rc;
    a = &e->alerts.a[aidx];   /* (no reallocation since, but stay safe) */
    snprintf(a->incident, sizeof a->incident, "%s", e->inc.v[idx].id);
    live_publish(e->stream, now, LIVE_TOPIC_ALERTS, a->id, live_alert_json(a));
    if (out)
        *out = live_inc_json(&e->inc.v[idx], e->thr);
    return CT_OK;
}

int live_incident_from_alert(live_engine *e, const char *alert_id,
                             const json_t *req, const char *actor, json_t **out,
                             ct_err *err)
{
    *out = NULL;
    pthread_mutex_lock(&e->mu);
    int rc;
    int i = live_map_get(&e->alerts.by_id, alert_id);
    if (i < 0)
        rc = ct_fail(err, CT_ENOTFOUND, "alert %s does not exist", alert_id);
    else if (e->alerts.a[i].incident[0])
        rc = ct_fail(err, CT_ECONFLICT, "alert %s is already escalated to %s",
                     alert_id, e->alerts.a[i].incident);
    else
        rc = escalate(e, i, NULL, actor, json_is_object(req) ? req : NULL, out, err);
    pthread_mutex_unlock(&e->mu);
    return rc;
}

int live_incident_act(live_engine *e, const char *id, const char *action,
                      const json_t *req, const char *actor, json_t **out,
                      ct_err *err)
{
    *out = NULL;
    json_t *empty = json_object();
    const json_t *body = json_is_object(req) ? req : empty;
    pthread_mutex_lock(&e->mu);
    int64_t now = live_now(e);
    int idx;
    int rc = live_inc_action(&e->inc, id, action, body, actor, now, &idx, err);
    if (!rc) {
        live__incident_changed(e, idx, actor, action, body, now);
        *out = live_inc_json(&e->inc.v[idx], e->thr);
    }
    pthread_mutex_unlock(&e->mu);
    json_decref(empty);
    return rc;
}

int live_incident_get(live_engine *e, const char *id, json_t **out, ct_err *err)
{
    *out = NULL;
    pthread_mutex_lock(&e->mu);
    int i = live_inc_find(&e->inc, id);
    json_t *j = i >= 0 ? live_inc_json(&e->inc.v[i], e->thr) : NULL;
    pthread_mutex_unlock(&e->mu);
    if (!j)
        return ct_fail(err, CT_ENOTFOUND, "incident %s does not exist", id);
    json_t *log = NULL;
    int rc = live_hist_incident_log(e->hist, id, &log, err);
    if (rc) {
        json_decref(j);
        return rc;
    }
    json_object_set_new(j, "audit", log);
    *out = j;
    return CT_OK;
}

json_t *live_incidents_list(live_engine *e, int open_only)
{
    json_t *arr = json_array();
    pthread_mutex_lock(&e->mu);
    for (int i = 0; i < e->inc.n; i++)
        if (!open_only || live_inc_is_open(&e->inc.v[i]))
            json_array_append_new(arr, live_inc_json(&e->inc.v[i], e->thr));
    pthread_mutex_unlock(&e->mu);
    return arr;
}

json_t *live_alerts_list(live_engine *e, int include_cleared)
{
    json_t *arr = json_array();
    pthread_mutex_lock(&e->mu);
    live__publish_vitals(e, live_now(e), 1);   /* place alerts held back */
    for (int i = 0; i < e->alerts.n; i++)
        if (include_cleared || e->alerts.a[i].status != LIVE_AL_CLEARED)
            json_array_append_new(arr, live_alert_json(&e->alerts.a[i]));
    pthread_mutex_unlock(&e->mu);
    return arr;
}

int live_alert_ack(live_engine *e, const char *id, const char *who, json_t **out,
                   ct_err *err)
{
    *out = NULL;
    pthread_mutex_lock(&e->mu);
    int64_t now = live_now(e);
    int idx;
    int rc = live_alerts_ack(&e->alerts, id, who, now, &idx, err);
    if (!rc) {
        live__alert_changed(e, idx, LIVE_AL_UPDATED, NULL, now);
        *out = live_alert_json(&e->alerts.a[idx]);
    }
    pthread_mutex_unlock(&e->mu);
    return rc;
}

json_t *live_entity_state(live_engine *e, const char *id)
{
    int i = live_ents_find(e->reg, id);
    if (i < 0)
        return NULL;
    pthread_mutex_lock(&e->mu);
    json_t *j = live_fusion_entity_json(&e->fus, i);
    pthread_mutex_unlock(&e->mu);
    json_object_set_new(j, "kind", json_string(live_kind_topic(e->reg->ents[i].kind)));
    return j;
}

json_t *live_stats(live_engine *e)
{
    pthread_mutex_lock(&e->mu);
    json_t *o = json_pack("{s:I, s:I, s:I}", "accepted", (json_int_t)e->n_accepted,
                          "duplicates", (json_int_t)e->n_duplicate,
                          "rejected", (json_int_t)e->n_rejected);
    pthread_mutex_unlock(&e->mu);
    pthread_mutex_lock(&e->hist->mu);
    json_object_set_new(o, "commits", json_integer((json_int_t)e->hist->commits));
    json_object_set_new(o, "group_windows", json_integer((json_int_t)e->hist->windows));
    pthread_mutex_unlock(&e->hist->mu);
    json_object_set_new(o, "seq", json_integer((json_int_t)live_stream_seq(e->stream)));
    json_object_set_new(o, "epoch", json_integer((json_int_t)live_stream_epoch(e->stream)));
    json_t *k = json_object();
    for (int i = 0; i < LIVE_NKINDS; i++)
        json_object_set_new(k, live_kind_topic(i), json_integer(e->reg->count[i]));
    json_object_set_new(o, "entities", k);
    return o;
}
