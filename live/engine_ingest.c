/* live/engine_ingest.c: the ingest path (validate -> rows in the history's
 * open transaction -> fuse -> thresholds -> publish -> durable commit ->
 * answer) and the vitals of every place. */
#include "live/live.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ct_progress.h"
#include "live/clock.h"
#include "live/ngsi.h"

static const char *place_id(const live_engine *e, int p)
{
    return p == live_fusion_city(&e->fus) ? LIVE_CITY_ID : e->reg->dists[p].id;
}

static int rule_fits_kind(const live_rule *r, int kind)
{
    return (r->scope == LIVE_SC_TRAFFIC && kind == LIVE_ROAD) ||
           (r->scope == LIVE_SC_PARKING && kind == LIVE_PARK) ||
           (r->scope == LIVE_SC_WATER && kind == LIVE_WATER) ||
           (r->scope == LIVE_SC_WEATHER && kind == LIVE_AREA);
}

void live__publish_entity(live_engine *e, int ent, int64_t now)
{
    const live_entity *en = &e->reg->ents[ent];
    if (en->kind == LIVE_AREA)
        return;   /* weather shows in the vitals of its place */
    if (!live_stream_wants(e->stream, live_kind_topic(en->kind)))
        return;   /* nobody listens: do not build the message */
    live_publish(e->stream, now, live_kind_topic(en->kind), en->id,
                 live_fusion_entity_json(&e->fus, ent));
}

void live__eval_entity(live_engine *e, int ent, int64_t now)
{
    const live_entity *en = &e->reg->ents[ent];
    const char *dist = en->district >= 0 ? e->reg->dists[en->district].id : NULL;
    for (int r = 0; r < e->thr->nrules; r++) {
        const live_rule *ru = &e->thr->rules[r];
        if (!rule_fits_kind(ru, en->kind))
            continue;
        int idx;
        double v = live_fusion_value(&e->fus, ent, ru->value);
        int ch = live_alerts_eval(&e->alerts, ru, en->id, dist, v, now, &idx);
        if (ch)
            live__alert_changed(e, idx, ch, ru, now);
    }
}

static void eval_place(live_engine *e, int p, const json_t *vit, int64_t now)
{
    int city = p == live_fusion_city(&e->fus);
    for (int r = 0; r < e->thr->nrules; r++) {
        const live_rule *ru = &e->thr->rules[r];
        int fits = ru->scope == LIVE_SC_PLACE || (city && ru->scope == LIVE_SC_CITY) ||
                   (!city && ru->scope == LIVE_SC_DISTRICT);
        if (!fits)
            continue;
        const json_t *jv = json_object_get(vit, ru->value);
        double v = json_is_number(jv) ? json_number_value(jv) : NAN;
        if (isnan(v)) {
            /* an indicator without data (null) clears rather than freezes */
            v = ru->below ? INFINITY : -INFINITY;
        }
        int idx;
        int ch = live_alerts_eval(&e->alerts, ru, place_id(e, p),
                                  city ? NULL : place_id(e, p), v, now, &idx);
        if (ch)
            live__alert_changed(e, idx, ch, ru, now);
    }
}

/* A held place stays dirty: the next batch after its time, live_flush()
 * or a reader publishes it. Real time, not the engine clock: the
 * simulator's runs fast. */
void live__publish_vitals(live_engine *e, int64_t now, int force)
{
    live_fusion_settle(&e->fus);
    double t = ct_now(), every = (double)e->cfg.vitals_every_ms / 1000.0;
    for (int p = 0; p < e->fus.nplaces; p++) {
        if (!e->fus.dirty[p])
            continue;
        if (!force && every > 0 && t - e->vitals_at[p] < every)
            continue;
        e->fus.dirty[p] = 0;
        e->vitals_at[p] = t;
        json_t *v = live_ind_vitals_json(&e->fus.agg[p]);
        json_t *is = live__place_incident_stats(e, p);
        json_object_update(v, is);
        json_decref(is);
        json_object_set_new(v, "name", json_string(p == live_fusion_city(&e->fus)
            ? LIVE_CITY_ID : e->reg->dists[p].name));
        /* publish only the fields that changed since the last message */
        json_t *delta = json_object();
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) {
            json_t *old = e->vitals[p] ? json_object_get(e->vitals[p], k) : NULL;
            if (!old || !json_equal(old, x))
                json_object_set(delta, k, x);
        }
        json_decref(e->vitals[p]);
        e->vitals[p] = v;
        if (json_object_size(delta))
            live_publish(e->stream, now, LIVE_TOPIC_VITALS, place_id(e, p), delta);
        else
            json_decref(delta);
        /* an escalation below may re-enter and replace e->vitals[p] */
        json_incref(v);
        eval_place(e, p, v, now);
        json_decref(v);
    }
}

/* Fuse stored observations (not duplicates) under the lock. */
static int fuse(live_engine *e, const live_obs *obs, int n,
                const unsigned char *dup, int64_t now)
{
    int fresh = 0;
    pthread_mutex_lock(&e->mu);
    for (int i = 0; i < n; i++) {
        if (dup && dup[i])
            continue;
        fresh++;
        if (!live_fusion_apply(&e->fus, &obs[i]))
            continue;
        live__publish_entity(e, obs[i].ent, now);
        live__eval_entity(e, obs[i].ent, now);
    }
    live__publish_vitals(e, now, 0);
    e->n_accepted += (uint64_t)fresh;
    e->n_duplicate += (uint64_t)(n - fresh);
    pthread_mutex_unlock(&e->mu);
    return fresh;
}

/* Fusing a reading's rows once they are in the history's transaction:
 * the push does not wait for the commit's device round trips (the answer
 * to the feed does). */
typedef struct {
    live_engine *e;
    const live_obs *obs;
    int n;
    const unsigned char *dup;
    int fresh, fused;
} fuse_job;

static void fuse_rows(void *ctx)
{
    fuse_job *f = ctx;
    f->fresh = fuse(f->e, f->obs, f->n, f->dup, live_now(f->e));
    f->fused = 1;
}

/* Store and fuse n observations; 0 once they are durable. When the
 * commit failed after fusing, the readings were not accepted after all:
 * the counters say so (the wall has shown them; docs/LIVE.md). */
static int store_fuse(live_engine *e, const live_obs *obs, int n,
                      unsigned char *dup, int *fresh, ct_err *err)
{
    fuse_job f = {.e = e, .obs = obs, .n = n, .dup = dup};
    int rc = live_hist_write_obs(e->hist, obs, n, dup, fuse_rows, &f, err);
    if (rc && f.fused) {
        pthread_mutex_lock(&e->mu);
        e->n_accepted -= (uint64_t)f.fresh;
        e->n_duplicate -= (uint64_t)(n - f.fresh);
        pthread_mutex_unlock(&e->mu);
    }
    *fresh = f.fresh;
    return rc;
}

int live_ingest_obs(live_engine *e, const live_obs *obs, int n, int *n_new,
                    ct_err *err)
{
    unsigned char *dup = calloc((size_t)(n > 0 ? n : 1), 1);
    if (!dup)
        return ct_fail(err, CT_ENOMEM, "ingest: out of memory");
    int fresh;
    int rc = store_fuse(e, obs, n, dup, &fresh, err);
    if (!rc && n_new)
        *n_new = fresh;
    free(dup);
    return rc;
}

/* Validate, commit and fuse items; rejected indexes go through origin
 * (NGSI-LD entity index) when given, and join pre-rejected ones. */
static int ingest_items(live_engine *e, const json_t *items, const int *origin,
                        json_t *pre_rejected, json_t **report, ct_err *err)
{
    live_batch b;
    *report = NULL;
    int rc = live_obs_validate(e->reg, items, live_now(e), &b, err);
    if (rc)
        return rc;
    unsigned char *dup = calloc((size_t)(b.n > 0 ? b.n : 1), 1);
    if (!dup) {
        live_batch_free(&b);
        return ct_fail(err, CT_ENOMEM, "ingest: out of memory");
    }
    int fresh;
    rc = store_fuse(e, b.obs, b.n, dup, &fresh, err);
    if (!rc) {
        json_t *dups = json_array();
        for (int i = 0; i < b.n; i++)
            if (dup[i])
                json_array_append_new(dups, json_pack("{s:i, s:s}", "index",
                    origin ? origin[b.index[i]] : b.index[i],
                    "entity", e->reg->ents[b.obs[i].ent].id));
        json_t *rej = pre_rejected ? json_incref(pre_rejected) : json_array();
        size_t k;
        json_t *r;
        json_array_foreach(b.rejected, k, r) {
            if (origin)
                json_object_set_new(r, "index", json_integer(
                    origin[json_integer_value(json_object_get(r, "index"))]));
            json_array_append(rej, r);
        }
        pthread_mutex_lock(&e->mu);
        e->n_rejected += json_array_size(rej);
        pthread_mutex_unlock(&e->mu);
        *report = json_pack("{s:i, s:o, s:o}", "accepted", fresh, "duplicates",
                            dups, "rejected", rej);
    }
    free(dup);
    live_batch_free(&b);
    return rc;
}

int live_ingest(live_engine *e, const json_t *items, json_t **report, ct_err *err)
{
    return ingest_items(e, items, NULL, NULL, report, err);
}

int live_ingest_ngsi(live_engine *e, const json_t *entities, json_t **report,
                     ct_err *err)
{
    live_ngsi_out n;
    *report = NULL;
    int rc = live_ngsi_convert(entities, &n, err);
    if (rc)
        return rc;
    rc = ingest_items(e, n.items, n.origin, n.rejected, report, err);
    if (!rc) {
        /* alerts from other platforms join ours (no hysteresis: as sent) */
        int64_t now = live_now(e);
        size_t i;
        json_t *a;
        json_t *ids = json_array();
        pthread_mutex_lock(&e->mu);
        json_array_foreach(n.alerts, i, a) {
            int level = (int)json_integer_value(json_object_get(a, "level"));
            int64_t until;
            const char *vt = json_string_value(json_object_get(a, "valid_to"));
            if (vt && !live_time_parse(vt, &until) && until < now)
                level = 0;   /* expired: clears */
            int idx;
            int ch = live_alerts_external(&e->alerts,
                json_string_value(json_object_get(a, "id")),
                json_string_value(json_object_get(a, "title")),
                json_string_value(json_object_get(a, "entity")), level, now, &idx);
            if (ch)
                live__alert_changed(e, idx, ch, NULL, now);
            json_array_append(ids, json_object_get(a, "id"));
        }
        pthread_mutex_unlock(&e->mu);
        json_object_set_new(*report, "alerts", ids);
    }
    live_ngsi_free(&n);
    return rc;
}
