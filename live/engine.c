/* live/engine.c: the live engine's life: open (registry, history, state
 * recomputed and restored), housekeeping ticks, snapshots, close.
 * Ingest and the vitals are in engine_ingest.c, alerts and incidents in
 * engine_ops.c. */
#include "live/live.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "live/clock.h"

#define LIVE_SNAPSHOT_MS (5LL * 60 * 1000)
#define LIVE_ALERT_KEEP_MS (24LL * 3600 * 1000)
#define LIVE_PRUNE_EVERY_MS (3600LL * 1000)

int64_t live_now(const live_engine *e)
{
    return e->cfg.clock ? e->cfg.clock(e->cfg.clock_ctx) : live_clock_now_ms();
}

static void scan_apply(void *ctx, const live_obs *o)
{
    live_fusion_apply(ctx, o);
}

int live_recompute(live_engine *e, ct_err *err)
{
    pthread_mutex_lock(&e->mu);
    live_fusion_free(&e->fus);
    int rc = live_fusion_init(&e->fus, e->reg);
    if (rc) {
        rc = ct_fail(err, rc, "live: out of memory");
    } else {
        e->fus.since = e->started;
        rc = live_hist_scan(e->hist, live_now(e) - e->cfg.recompute_window_ms,
                            scan_apply, &e->fus, err);
    }
    if (!rc) {
        live_fusion_rebuild(&e->fus);
        live_fusion_freshness(&e->fus, live_now(e), e->thr->stale_periods);
        live_fusion_settle(&e->fus);
    }
    pthread_mutex_unlock(&e->mu);
    return rc;
}

/* Alerts, incidents and building states as the history last saw them. */
static int restore(live_engine *e, ct_err *err)
{
    json_t *incs = NULL, *state = NULL;
    int rc = live_hist_load_incidents(e->hist, &incs, err);
    if (!rc)
        rc = live_hist_state_at(e->hist, INT64_MAX, &state, err);
    if (!rc) {
        size_t i;
        json_t *v;
        const char *k;
        json_array_foreach(incs, i, v)
            live_inc_restore(&e->inc, v);
        json_object_foreach(json_object_get(state, LIVE_TOPIC_ALERTS), k, v)
            live_alerts_restore(&e->alerts, v);
        json_object_foreach(json_object_get(state, LIVE_TOPIC_BUILDINGS), k, v)
            json_object_set(e->buildings, k, v);
        /* vitals as last published, so the first deltas are true deltas */
        json_t *vit = json_object_get(state, LIVE_TOPIC_VITALS);
        for (int p = 0; p < e->fus.nplaces; p++) {
            const char *id = p == live_fusion_city(&e->fus) ? LIVE_CITY_ID
                                                            : e->reg->dists[p].id;
            json_t *old = json_object_get(vit, id);
            if (old)
                e->vitals[p] = json_deep_copy(old);
        }
    }
    json_decref(incs);
    json_decref(state);
    return rc;
}

int live_open(const live_config *cfg, live_engine **out, ct_err *err)
{
    *out = NULL;
    live_engine *e = calloc(1, sizeof *e);
    if (!e)
        return ct_fail(err, CT_ENOMEM, "live: out of memory");
    e->cfg = *cfg;
    if (!e->cfg.history_path)
        e->cfg.history_path = LIVE_DEFAULT_HISTORY;
    if (!e->cfg.snapshot_every_ms)
        e->cfg.snapshot_every_ms = LIVE_SNAPSHOT_MS;
    if (!e->cfg.retention_ms)
        e->cfg.retention_ms = LIVE_RETENTION_MS;
    if (!e->cfg.recompute_window_ms)
        e->cfg.recompute_window_ms = LIVE_RECOMPUTE_WINDOW_MS;
    if (!e->cfg.vitals_every_ms)
        e->cfg.vitals_every_ms = LIVE_VITALS_EVERY_MS;
    pthread_mutex_init(&e->mu, NULL);
    live_alerts_init(&e->alerts);
    live_inc_init(&e->inc);
    e->buildings = json_object();
    e->hist_sub = -1;
    e->started = live_now(e);
    int rc = live_ents_load(cfg->store_path, &e->reg, err);
    if (!rc)
        rc = live_thr_load(cfg->thresholds_path, &e->thr, err);
    /* reporting periods of the feed (e.g. the scenario's), where given */
    for (int i = 0; !rc && i < e->reg->n; i++) {
        live_entity *en = &e->reg->ents[i];
        if (en->kind != LIVE_WATER && cfg->period_s[en->kind] > 0)
            en->period_s = cfg->period_s[en->kind];
    }
    if (!rc)
        rc = live_hist_open(e->cfg.history_path, e->reg, !cfg->sync_normal,
                            cfg->group_ms < 0 ? 0 : cfg->group_ms ? cfg->group_ms
                            : LIVE_HIST_GROUP_MS, &e->hist, err);
    if (!rc && live_fusion_init(&e->fus, e->reg))
        rc = ct_fail(err, CT_ENOMEM, "live: out of memory");
    if (!rc && (!(e->vitals = calloc((size_t)e->fus.nplaces, sizeof *e->vitals)) ||
                !(e->vitals_at = calloc((size_t)e->fus.nplaces, sizeof *e->vitals_at))))
        rc = ct_fail(err, CT_ENOMEM, "live: out of memory");
    if (!rc)
        rc = live_recompute(e, err);
    if (!rc)
        rc = restore(e, err);
    if (!rc && !(e->stream = live_stream_new(live_hist_last_seq(e->hist))))
        rc = ct_fail(err, CT_ENOMEM, "live: out of memory");
    if (rc) {
        live_close(e);
        return rc;
    }
    /* the state-change log keeps what state_at replays; entity states are
     * in the observation log already */
    e->hist_sub = live_stream_subscribe_mask(e->stream, live_hist_on_change, e->hist,
        live_topic_bit(LIVE_TOPIC_VITALS) | live_topic_bit(LIVE_TOPIC_ALERTS) |
        live_topic_bit(LIVE_TOPIC_INCIDENTS) | live_topic_bit(LIVE_TOPIC_BUILDINGS));
    /* settle what the history says against the rules and publish the start */
    int64_t now = live_now(e);
    pthread_mutex_lock(&e->mu);
    for (int i = 0; i < e->reg->n; i++)
        if (e->fus.st[i].last)
            live__eval_entity(e, i, now);
    for (int p = 0; p < e->fus.nplaces; p++)
        e->fus.dirty[p] = 1;
    live__publish_vitals(e, now, 1);
    e->last_snapshot = now;   /* first snapshot at the first tick */
    e->last_snapshot -= e->cfg.snapshot_every_ms;
    pthread_mutex_unlock(&e->mu);
    *out = e;
    return CT_OK;
}

void live_close(live_engine *e)
{
    if (!e)
        return;
    if (e->stream && e->hist_sub > 0)
        live_stream_unsubscribe(e->stream, e->hist_sub);
    live_hist_close(e->hist);   /* commits what is queued */
    live_stream_free(e->stream);
    for (int p = 0; e->vitals && p < e->fus.nplaces; p++)
        json_decref(e->vitals[p]);
    free(e->vitals);
    free(e->vitals_at);
    live_fusion_free(&e->fus);
    live_alerts_free(&e->alerts);
    live_inc_free(&e->inc);
    json_decref(e->buildings);
    live_thr_free(e->thr);
    live_ents_free(e->reg);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

static const char *place_id(const live_engine *e, int p)
{
    return p == live_fusion_city(&e->fus) ? LIVE_CITY_ID : e->reg->dists[p].id;
}

/* Under the lock. */
/* One of the topics state_at stores (vitals, alerts, incidents,
 * buildings), as {id: state}; NULL for another topic. Caller holds e->mu. */
static json_t *place_topic_locked(live_engine *e, const char *topic)
{
    json_t *o = NULL;
    if (!strcmp(topic, LIVE_TOPIC_VITALS)) {
        o = json_object();
        for (int p = 0; p < e->fus.nplaces; p++)
            if (e->vitals[p])
                json_object_set(o, place_id(e, p), e->vitals[p]);
    } else if (!strcmp(topic, LIVE_TOPIC_ALERTS)) {
        o = json_object();
        for (int i = 0; i < e->alerts.n; i++)
            if (e->alerts.a[i].status != LIVE_AL_CLEARED)
                json_object_set_new(o, e->alerts.a[i].id,
                                    live_alert_json(&e->alerts.a[i]));
    } else if (!strcmp(topic, LIVE_TOPIC_INCIDENTS)) {
        o = json_object();
        for (int i = 0; i < e->inc.n; i++)
            json_object_set_new(o, e->inc.v[i].id,
                                live_inc_json(&e->inc.v[i], e->thr));
    } else if (!strcmp(topic, LIVE_TOPIC_BUILDINGS)) {
        o = json_incref(e->buildings);
    }
    return o;
}

static json_t *state_locked(live_engine *e)
{
    return json_pack("{s:o, s:o, s:o, s:o}",
                     LIVE_TOPIC_VITALS, place_topic_locked(e, LIVE_TOPIC_VITALS),
                     LIVE_TOPIC_ALERTS, place_topic_locked(e, LIVE_TOPIC_ALERTS),
                     LIVE_TOPIC_INCIDENTS, place_topic_locked(e, LIVE_TOPIC_INCIDENTS),
                     LIVE_TOPIC_BUILDINGS, place_topic_locked(e, LIVE_TOPIC_BUILDINGS));
}

json_t *live_state(live_engine *e)
{
    pthread_mutex_lock(&e->mu);
    live__publish_vitals(e, live_now(e), 1);   /* a reader sees the present */
    json_t *s = state_locked(e);
    pthread_mutex_unlock(&e->mu);
    return s;
}

/* Current state of one topic; the caller holds e->mu. */
static json_t *snapshot_locked(live_engine *e, const char *topic)
{
    json_t *out = NULL;
    int kind = -1;
    for (int k = 0; k < LIVE_AREA; k++)
        if (!strcmp(topic, live_kind_topic(k)))
            kind = k;
    if (kind >= 0) {
        out = json_object();
        for (int i = 0; i < e->reg->n; i++)
            if (e->reg->ents[i].kind == kind && e->fus.st[i].last)
                json_object_set_new(out, e->reg->ents[i].id,
                                    live_fusion_entity_json(&e->fus, i));
    } else {
        out = place_topic_locked(e, topic);
    }
    return out;
}

json_t *live_snapshot(live_engine *e, const char *topic, uint64_t *seq)
{
    pthread_mutex_lock(&e->mu);
    live__publish_vitals(e, live_now(e), 1);
    if (seq)
        *seq = live_stream_seq(e->stream);
    json_t *out = snapshot_locked(e, topic);
    pthread_mutex_unlock(&e->mu);
    return out;
}

int live_attach(live_engine *e, live_stream_fn fn, void *ctx)
{
    static const char *const topics[] = {
        LIVE_TOPIC_VITALS, LIVE_TOPIC_ALERTS, LIVE_TOPIC_INCIDENTS,
        LIVE_TOPIC_TRAFFIC, LIVE_TOPIC_PARKING, LIVE_TOPIC_WATER,
        LIVE_TOPIC_BUILDINGS};
    /* Every publish happens under e->mu, so holding it makes the seed and
     * the subscription one step: nothing falls between them. */
    pthread_mutex_lock(&e->mu);
    int64_t now = live_now(e);
    live__publish_vitals(e, now, 1);
    uint64_t seq = live_stream_seq(e->stream);
    for (size_t t = 0; t < sizeof topics / sizeof *topics; t++) {
        json_t *s = snapshot_locked(e, topics[t]), *v;
        const char *k;
        json_object_foreach(s, k, v) {
            live_change c = {.seq = seq, .t = now, .topic = topics[t],
                             .entity = k, .fields = v};
            fn(ctx, &c);
        }
        json_decref(s);
    }
    int id = live_stream_subscribe(e->stream, fn, ctx);
    pthread_mutex_unlock(&e->mu);
    return id;
}

void live_flush(live_engine *e)
{
    pthread_mutex_lock(&e->mu);
    live__publish_vitals(e, live_now(e), 0);
    pthread_mutex_unlock(&e->mu);
}

void live_tick(live_engine *e)
{
    int64_t now = live_now(e);
    pthread_mutex_lock(&e->mu);
    live_fusion_freshness(&e->fus, now, e->thr->stale_periods);
    live__publish_vitals(e, now, 1);
    live_alerts_prune(&e->alerts, now - LIVE_ALERT_KEEP_MS);
    if (now - e->last_snapshot >= e->cfg.snapshot_every_ms) {
        json_t *s = state_locked(e);
        live_hist_snapshot(e->hist, live_stream_seq(e->stream), now, s);
        json_decref(s);
        e->last_snapshot = now;
    }
    /* hourly, or four times per retention when that is shorter; then a
     * slice a tick until the backlog is folded (see live_hist_prune) */
    int64_t every = e->cfg.retention_ms / 4;
    if (every > LIVE_PRUNE_EVERY_MS)
        every = LIVE_PRUNE_EVERY_MS;
    int prune = e->prune_more || now - e->last_prune >= every;
    if (prune && !e->prune_more)
        e->last_prune = now;
    pthread_mutex_unlock(&e->mu);
    if (prune) {   /* each slice cuts at its own tick's edge */
        int more = 0;
        live_hist_prune_step(e->hist, now - e->cfg.retention_ms, &more, NULL);
        pthread_mutex_lock(&e->mu);
        e->prune_more = more;
        pthread_mutex_unlock(&e->mu);
    }
}

int live_series(live_engine *e, const char *entity, const char *indicator,
                int64_t from, int64_t to, int64_t step, json_t **out, ct_err *err)
{
    return live_hist_series(e->hist, entity, indicator, from, to, step, out, err);
}

int live_state_at(live_engine *e, int64_t at, json_t **out, ct_err *err)
{
    return live_hist_state_at(e->hist, at, out, err);
}
