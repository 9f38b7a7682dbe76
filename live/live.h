/* live/live.h: the live core engine (issue 5): the one API the HTTP server,
 * the push layer and the simulator use.
 *
 * Threads: any number of HTTP worker threads call live_ingest() and the
 * other entry points concurrently. Validation runs on the caller's thread
 * without a lock (the registry is immutable); the observations then go to
 * the history writer thread, which group-commits them to SQLite (WAL) and
 * wakes the caller; only then does the caller take the engine lock, fuse
 * the new observations into the live state, evaluate thresholds and publish
 * the changes on the stream (in sequence order). So an acknowledged
 * observation is durable, and a crash between commit and fusion loses
 * nothing: the state is recomputed from the history at the next start.
 * A housekeeping thread of the caller's (the server's) calls live_tick()
 * about once a second: data freshness, snapshots, pruning. */
#ifndef LIVE_LIVE_H
#define LIVE_LIVE_H

#include <pthread.h>
#include <stdint.h>

#include <jansson.h>

#include "core/ct_error.h"
#include "live/alerts.h"
#include "live/entities.h"
#include "live/fusion.h"
#include "live/history.h"
#include "live/incidents.h"
#include "live/stream.h"
#include "live/thresholds.h"

#define LIVE_DEFAULT_HISTORY "var/live.sqlite"
/* At start the live state is recomputed from this much history: an
 * entity silent for longer starts without a value (and counts as stale).
 * Long enough for every reporting period; short enough that a restart
 * after a busy day does not scan billions of rows. */
#define LIVE_RECOMPUTE_WINDOW_MS (2LL * 3600 * 1000)
/* The vitals of one place go out at most this often (real time). A wall
 * reads them from across a room; at 1,000 observations/s every batch
 * would send it 2,000 vitals messages a second and log each one. */
#define LIVE_VITALS_EVERY_MS 250

typedef struct live_config {
    const char *store_path;       /* SpatiaLite store (read-only) */
    const char *history_path;     /* NULL: LIVE_DEFAULT_HISTORY */
    const char *thresholds_path;  /* NULL: built-in defaults */
    int sync_normal;              /* 1: synchronous=NORMAL instead of FULL */
    int64_t group_ms;             /* group window: 0 LIVE_HIST_GROUP_MS, <0 none */
    int64_t (*clock)(void *ctx);  /* NULL: the wall clock (epoch ms) */
    void *clock_ctx;
    int64_t snapshot_every_ms;    /* 0: 5 minutes */
    int64_t retention_ms;         /* raw rows; 0: LIVE_RETENTION_MS (7 days) */
    int64_t recompute_window_ms;  /* 0: LIVE_RECOMPUTE_WINDOW_MS (2 h) */
    int64_t vitals_every_ms;      /* 0: LIVE_VITALS_EVERY_MS; < 0: every batch */
    int period_s[LIVE_NKINDS];    /* reporting period per kind (0: default;
                                     water stations keep the store's) */
} live_config;

typedef struct live_engine {
    live_config cfg;
    live_registry *reg;
    live_hist *hist;
    live_stream *stream;
    live_thresholds *thr;
    pthread_mutex_t mu;           /* guards everything below */
    live_fusion fus;
    live_alerts alerts;
    live_incidents inc;
    json_t **vitals;              /* last published vitals per place */
    double *vitals_at;            /* when they went out (ct_now() seconds) */
    json_t *buildings;            /* building id -> live state */
    int64_t started, last_snapshot, last_prune;
    int prune_more;               /* a prune has slices left (one a tick) */
    uint64_t n_accepted, n_duplicate, n_rejected;
    int hist_sub;
} live_engine;

/* Open the engine: load the registry, open the history, recompute the live
 * state from it and restore alerts and incidents. */
int live_open(const live_config *cfg, live_engine **out, ct_err *err);
void live_close(live_engine *e);

int64_t live_now(const live_engine *e);

/* Ingest a batch (see observe.h). On success *report is
 * {"accepted": n, "duplicates": [{index, entity}], "rejected": [{index,
 * entity, code, reason}]}: everything accepted is committed. A whole-batch
 * problem fails (CT_EINVAL, CT_ETOOBIG), a database failure CT_EIO. */
int live_ingest(live_engine *e, const json_t *items, json_t **report, ct_err *err);
/* The same for an NGSI-LD entityOperations/upsert body (see ngsi.h). */
int live_ingest_ngsi(live_engine *e, const json_t *entities, json_t **report,
                     ct_err *err);
/* Ingest already validated observations (the simulator's path). */
int live_ingest_obs(live_engine *e, const live_obs *obs, int n, int *n_new,
                    ct_err *err);

/* Housekeeping at the engine clock: freshness, vitals, snapshot, pruning. */
void live_tick(live_engine *e);
/* Publish the vitals the rate limit held back whose time has come (cheap
 * when none are: the server calls it every LIVE_VITALS_EVERY_MS). */
void live_flush(live_engine *e);
/* Recompute the whole live state from the history (also done at open). */
int live_recompute(live_engine *e, ct_err *err);

/* Current state of one topic as {entity id: state}, and the stream seq it
 * is valid at (deltas after it follow on the stream). */
json_t *live_snapshot(live_engine *e, const char *topic, uint64_t *seq);
/* Subscribe fn to the stream after first handing it the whole current
 * state (every entity of every topic, as changes at the current seq), in one
 * step under the engine's lock: a late subscriber (the push module) starts
 * from the full state, not only from the fields that change later.
 * Returns the subscription id, or -1. */
int live_attach(live_engine *e, live_stream_fn fn, void *ctx);
/* {vitals, alerts, incidents, buildings} now (what state_at stores). */
json_t *live_state(live_engine *e);

/* Alerts: list (include_cleared 0/1) and operator acknowledgement. */
json_t *live_alerts_list(live_engine *e, int include_cleared);
int live_alert_ack(live_engine *e, const char *id, const char *who,
                   json_t **out, ct_err *err);

/* Incidents (incidents.h for the flow): create from a request or from an
 * alert (escalation), act on one, read one (with its audit log), list. */
int live_incident_create(live_engine *e, const json_t *req, const char *actor,
                         json_t **out, ct_err *err);
int live_incident_from_alert(live_engine *e, const char *alert_id,
                             const json_t *req, const char *actor, json_t **out,
                             ct_err *err);
int live_incident_act(live_engine *e, const char *id, const char *action,
                      const json_t *req, const char *actor, json_t **out,
                      ct_err *err);
int live_incident_get(live_engine *e, const char *id, json_t **out, ct_err *err);
json_t *live_incidents_list(live_engine *e, int open_only);

/* The live state of one observed entity (its topic's message), or NULL
 * when the id is unknown. */
json_t *live_entity_state(live_engine *e, const char *id);
/* The state of one observed entity (road, car park, water station or
 * weather place) as it stood at time at, from the observation history:
 * its latest observation at or before at (looking back as far as a
 * restart recomputes, cfg.recompute_window_ms), shaped like
 * live_entity_state() plus "at", "window_s" (the kind's freshness window:
 * stale_periods x its period), "age_s", "history" ("raw", "5min" for a
 * pruned past, "none") and, when stale or absent, a "note" saying why.
 * CT_ENOTFOUND for an unknown id, CT_EINVAL for a time after the clock
 * (engine_past.c). */
int live_entity_state_at(live_engine *e, const char *id, int64_t at,
                         json_t **out, ct_err *err);
/* The observed topics named by kinds (bit 1 << LIVE_ROAD etc.) as they
 * stood at time at, added to state as {topic: {id: state}} in the shape
 * live_snapshot() gives: every entity observed within its kind's longest
 * freshness window before at, "stale" by its own; silent ones are left
 * out (no data, as live). One range read of the raw observations
 * (engine_past.c). CT_EINVAL for a time after the clock. */
int live_topics_at(live_engine *e, int64_t at, unsigned kinds, json_t *state,
                   ct_err *err);
/* Counters for a health endpoint: accepted, duplicates, rejected,
 * commits, stream seq and epoch, entities per kind. */
json_t *live_stats(live_engine *e);

/* History: series and the state at a past time (history.h). */
int live_series(live_engine *e, const char *entity, const char *indicator,
                int64_t from, int64_t to, int64_t step, json_t **out, ct_err *err);
int live_state_at(live_engine *e, int64_t at, json_t **out, ct_err *err);

/* ---- internal, shared by the engine's files ---- */
void live__publish_entity(live_engine *e, int ent, int64_t now);
void live__eval_entity(live_engine *e, int ent, int64_t now);
/* force: also the places the rate limit holds back (readers, incidents,
 * the tick); otherwise only those whose time has come. */
void live__publish_vitals(live_engine *e, int64_t now, int force);
void live__alert_changed(live_engine *e, int idx, int change, const live_rule *r,
                         int64_t now);
void live__incident_changed(live_engine *e, int idx, const char *actor,
                            const char *action, const json_t *detail, int64_t now);
json_t *live__place_incident_stats(live_engine *e, int place);

#endif
