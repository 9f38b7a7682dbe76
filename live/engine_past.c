/* live/engine_past.c: observed entities as they were at a past time, for
 * the wall's replay: one entity (live_entity_state_at) or whole topics
 * (live_topics_at), from the history's raw observations, judged fresh or
 * stale by the rule the live state applies now (live_fusion_freshness:
 * silent longer than stale_periods x the entity's period), and shaped by
 * fusion's own formatter, so a past state reads like a live one. */
#include "live/live.h"

#include <stdlib.h>

#include "live/clock.h"

/* The entity's JSON through fusion's own formatter, on a one-entity view
 * of the registry holding the past state (no copy of the whole city). */
static json_t *past_entity_json(const live_engine *e, int i, const live_obs *o,
                                int stale)
{
    live_registry one = {.ents = &e->reg->ents[i], .n = 1, .dists = e->reg->dists,
                         .nd = e->reg->nd};
    live_estate s = {.last = o->t, .stale = (unsigned char)stale};
    for (int k = 0; k < LIVE_NVAL; k++)
        if (o->mask & (1u << k)) {
            s.vt[k] = o->t;
            s.v[k] = o->v[k];
        }
    s.c = live_fusion_contrib(one.ents, &s);
    live_fusion f = {.reg = &one, .st = &s};
    return live_fusion_entity_json(&f, 0);
}

/* The freshness window of an entity (ms): the live rule, applied at T. */
static int64_t window_of(const live_entity *en, double periods)
{
    return (int64_t)(periods * 1000.0 * en->period_s);
}

static double stale_periods(live_engine *e)
{
    pthread_mutex_lock(&e->mu);
    double p = e->thr->stale_periods;
    pthread_mutex_unlock(&e->mu);
    return p;
}

static int check_past(live_engine *e, int64_t at, ct_err *err)
{
    int64_t now = live_now(e);
    if (at > now + LIVE_FUTURE_MS)
        return ct_fail(err, CT_EINVAL, "at %lld is %lld s after the server's clock: "
                       "the history knows only the past", (long long)at,
                       (long long)((at - now) / 1000));
    return CT_OK;
}

int live_entity_state_at(live_engine *e, const char *id, int64_t at,
                         json_t **out, ct_err *err)
{
    *out = NULL;
    int i = live_ents_find(e->reg, id);
    if (i < 0)
        return ct_fail(err, CT_ENOTFOUND, "no live entity '%.80s' (road segments, "
                       "car parks, water stations and weather places report)", id);
    int rc = check_past(e, at, err);
    if (rc)
        return rc;
    const live_entity *en = &e->reg->ents[i];
    double periods = stale_periods(e);
    int64_t window = window_of(en, periods);
    live_obs o;
    int bucket = 0;
    rc = live_hist_entity_at(e->hist, id, at - e->cfg.recompute_window_ms, at,
                             window, &o, &bucket, err);
    if (rc)
        return rc;
    /* a 5-minute mean stands for its whole bucket (up to T) */
    int64_t seen = bucket && o.t + LIVE_BUCKET_MS < at ? o.t + LIVE_BUCKET_MS
                 : bucket ? at : o.t;
    int64_t age = at - seen;
    int stale = !o.t || age > window;
    json_t *j = past_entity_json(e, i, &o, stale);
    json_object_set_new(j, "kind", json_string(live_kind_topic(en->kind)));
    json_object_set_new(j, "at", live_time_json(at));
    json_object_set_new(j, "window_s", json_real((double)window / 1000.0));
    json_object_set_new(j, "age_s", o.t ? json_real((double)age / 1000.0) : json_null());
    json_object_set_new(j, "history", json_string(bucket ? "5min" : o.t ? "raw" : "none"));
    if (!o.t)
        json_object_set_new(j, "note", json_sprintf("no observation of %s in the "
            "%lld s before this time", id, (long long)(e->cfg.recompute_window_ms / 1000)));
    else if (stale)
        json_object_set_new(j, "note", json_sprintf("stale: last observation %lld s "
            "before this time, beyond the %lld s freshness window (%g reporting "
            "periods of %d s)", (long long)(age / 1000), (long long)(window / 1000),
            periods, en->period_s));
    else if (bucket)
        json_object_set_new(j, "note", json_string("5-minute mean: the raw "
            "observations of this time were folded past retention"));
    *out = j;
    return CT_OK;
}

int live_topics_at(live_engine *e, int64_t at, unsigned kinds, json_t *state,
                   ct_err *err)
{
    int rc = check_past(e, at, err);
    if (rc)
        return rc;
    const live_registry *reg = e->reg;
    double periods = stale_periods(e);
    /* one range read back to the longest window among the kinds asked */
    int64_t fill[LIVE_NKINDS] = {0}, back = 0;
    for (int i = 0; i < reg->n; i++) {
        const live_entity *en = &reg->ents[i];
        int64_t w = window_of(en, periods);
        if (w > fill[en->kind])
            fill[en->kind] = w;
        if ((kinds & (1u << en->kind)) && w > back)
            back = w;
    }
    live_obs *obs = calloc((size_t)reg->n + 1, sizeof *obs);
    if (!obs)
        return ct_fail(err, CT_ENOMEM, "state at %lld: out of memory", (long long)at);
    rc = back > 0 ? live_hist_all_at(e->hist, at - back, at, fill, obs, err) : CT_OK;
    for (int k = 0; !rc && k < LIVE_NKINDS; k++)
        if (kinds & (1u << k))
            json_object_set_new(state, live_kind_topic(k), json_object());
    for (int i = 0; !rc && i < reg->n; i++) {
        const live_entity *en = &reg->ents[i];
        if (!(kinds & (1u << en->kind)) || !obs[i].t)
            continue;   /* silent through the window: no data, as live */
        int stale = at - obs[i].t > window_of(en, periods);
        json_object_set_new(json_object_get(state, live_kind_topic(en->kind)), en->id,
                            past_entity_json(e, i, &obs[i], stale));
    }
    free(obs);
    return rc;
}
