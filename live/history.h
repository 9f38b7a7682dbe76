/* live/history.h: the live core's memory in SQLite (its own file, WAL).
 * One write connection, committed in groups: every caller queues its rows;
 * whoever finds the connection free runs the queue into the open
 * transaction, and a durable write then commits it (or waits until the
 * transaction holding its rows has committed): concurrent ingest calls
 * share one transaction and one fsync (group commit). A reading's caller
 * learns its duplicates once its rows are in, before the commit, so it
 * can fuse and publish while the commit runs; and while readings arrive
 * from several callers, the commit waits up to group_ms (default
 * LIVE_HIST_GROUP_MS) for more of them (docs/LIVE.md, "History").
 * Rows nobody waits for (state changes, snapshots) linger up to
 * LIVE_HIST_LINGER_MS so they ride with the next durable commit instead of
 * paying their own fsync; reads of the history commit them first.
 * Tables: obs (raw observations, PRIMARY KEY(t, entity): a repeated
 * entity+time is a duplicate, ignored), obs_ds (5-minute sums and counts
 * beyond the retention period), changes (the state-change log: seq, t,
 * topic, entity, json), snapshots (the full live state every few minutes),
 * incidents and incident_log (the audit trail). Reads (series, state_at)
 * open their own connection, so they never wait for the writer. */
#ifndef LIVE_HISTORY_H
#define LIVE_HISTORY_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>

#include <jansson.h>

#include "core/ct_error.h"
#include "live/entities.h"
#include "live/observe.h"
#include "live/stream.h"

#define LIVE_RETENTION_MS (7LL * 24 * 3600 * 1000)   /* raw observations */
#define LIVE_BUCKET_MS (5LL * 60 * 1000)             /* downsampled step */
#define LIVE_HIST_LINGER_MS 50   /* longest wait of an unawaited row */
#define LIVE_HIST_CKPT_PAGES 1000 /* WAL pages that call for a checkpoint */
/* The group window: a commit of readings waits up to this long for
 * readings from other callers, and for at most this many callers. At 100
 * readings/s from several feeds it shares one fsync (three device round
 * trips on ext4, docs/LIVE.md) among ~3 of them; it lengthens only their
 * answer, not the push (which follows the rows, not the commit). */
#define LIVE_HIST_GROUP_MS 20
#define LIVE_HIST_GROUP_MAX 4

typedef struct live_hjob live_hjob;

typedef struct live_hist {
    char *path;
    sqlite3 *db;                 /* the write connection (h->busy: in use) */
    sqlite3_stmt *st[8];
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    live_hjob *head, *tail;      /* queued, not yet in a transaction */
    live_hjob *txn_head, *txn_tail;   /* in the open transaction */
    int busy;                    /* the connection runs statements */
    int txn_open;                /* a transaction has begun */
    int txn_sync, txn_urgent;    /* its waiters; one is not a reading */
    int txn_leader;              /* one of them keeps the window's time */
    int64_t txn_begin_ms;        /* monotonic */
    int64_t group_ms;            /* the group window (0: none) */
    int win_unjoined;            /* windows in a row nobody joined */
    int win_skip;                /* commits of readings to go without one */
    int active;                  /* a group committed since the writer's nap */
    int idle;                    /* the writer sleeps without a deadline */
    int64_t due;                 /* monotonic ms: commit the queue by then */
    int64_t linger_ms;           /* LIVE_HIST_LINGER_MS (tests change it) */
    int stop;
    uint64_t commits;            /* transactions committed (for tests/bench) */
    uint64_t windows;            /* group windows opened (for tests/bench) */
    /* the checkpoint thread (live/history_ckpt.c) */
    sqlite3 *ckpt_db;            /* its own connection */
    pthread_t ckpt_thread;
    pthread_mutex_t ckpt_mu;
    pthread_cond_t ckpt_cv;
    int ckpt_req, ckpt_stop;
    int ckpt_pages;              /* LIVE_HIST_CKPT_PAGES (tests change it) */
    uint64_t checkpoints;        /* completed (under ckpt_mu; for tests) */
    const live_registry *reg;
} live_hist;

/* Open (creating) the history database at path and start its writer.
 * sync_full: 1 = PRAGMA synchronous=FULL (survives power loss), 0 = NORMAL
 * (survives a killed process). group_ms: the group window (0: none). */
int live_hist_open(const char *path, const live_registry *reg, int sync_full,
                   int64_t group_ms, live_hist **out, ct_err *err);
/* The checkpoint thread (history_ckpt.c): started by live_hist_open once
 * the write connection is set up, stopped by live_hist_close after the
 * writer. */
int live_ckpt_start(live_hist *h, int sync_full, ct_err *err);
void live_ckpt_stop(live_hist *h);
/* Commit what is queued, stop the writer and close. */
void live_hist_close(live_hist *h);

/* Durably insert n observations; returns once committed. dup[i] is set to
 * 1 when obs[i] repeats a stored (entity, time) and was ignored. on_rows
 * (when not NULL) is called once the rows are in the open transaction and
 * dup is set, before the commit, holding no history lock (the ingest
 * fuses and publishes there); not when inserting failed. A failed commit
 * still returns an error after it. */
int live_hist_write_obs(live_hist *h, const live_obs *obs, int n,
                        unsigned char *dup, void (*on_rows)(void *ctx),
                        void *ctx, ct_err *err);

/* A stream subscriber (ctx = live_hist *) that queues the change into the
 * state-change log; it commits with the next group (not waited for). */
void live_hist_on_change(void *ctx, const live_change *c);

/* Queue a full-state snapshot taken at stream position seq (async). */
void live_hist_snapshot(live_hist *h, uint64_t seq, int64_t t, const json_t *state);

/* Durably store an incident (its JSON) and one audit row. */
int live_hist_put_incident(live_hist *h, const char *id, const json_t *incident,
                           int64_t t, const char *actor, const char *action,
                           const json_t *detail, ct_err *err);

/* Downsample observations older than cutoff_ms into 5-minute buckets and
 * delete them (and state changes older than the cutoff; snapshots stay),
 * a slice of rows per commit, so readings go on being committed between. */
int live_hist_prune(live_hist *h, int64_t cutoff_ms, ct_err *err);
/* One slice of that; *more: 1 when rows older than the cutoff remain. */
int live_hist_prune_step(live_hist *h, int64_t cutoff_ms, int *more,
                         ct_err *err);

/* Wait until everything queued so far has committed. */
int live_hist_flush(live_hist *h, ct_err *err);
/* The same, only when rows are waiting (reads call it to see every change
 * published before them). */
int live_hist_settle(live_hist *h, ct_err *err);

/* ---- reads (history_query.c); each opens its own connection ---------- */

/* Highest seq in the state-change log and snapshots (0 when empty). */
uint64_t live_hist_last_seq(live_hist *h);

/* Call fn for every stored raw observation at or after since, in time
 * order. */
int live_hist_scan(live_hist *h, int64_t since,
                   void (*fn)(void *ctx, const live_obs *o), void *ctx, ct_err *err);

/* Series of one indicator: for an observed entity a value name
 * ("speed_kmh"); for "city" or a district an indicator ("tpi"). Values
 * averaged per step ms over [from, to]. Returns [[t_ms, value], ...]. */
int live_hist_series(live_hist *h, const char *entity, const char *indicator,
                     int64_t from, int64_t to, int64_t step, json_t **out,
                     ct_err *err);

/* The state {vitals, alerts, incidents, buildings} as it was at time at:
 * the latest snapshot at or before it plus the later changes up to it. */
int live_hist_state_at(live_hist *h, int64_t at, json_t **out, ct_err *err);

/* One entity's values as they stood at time at: the newest raw row in
 * [from, at], its missing value slots filled from older rows no more than
 * fill_ms before it (out->t = the newest row's time, out->mask the slots
 * found). When the raw rows there are gone (pruned past retention), the
 * newest 5-minute bucket starting in [from - bucket, at], as means, and
 * *bucket = 1. Nothing found: out->t = 0. The primary key is time first,
 * so this scans [from, at] newest first until the entity's row: cheap for
 * a reporting entity, the whole range for a silent one. */
int live_hist_entity_at(live_hist *h, const char *entity, int64_t from,
                        int64_t at, int64_t fill_ms, live_obs *out, int *bucket,
                        ct_err *err);

/* Every entity's values as they stood at time at, in one range read of
 * the raw rows in [from, at] (newest first): out[i] (reg->n entries) gets
 * entity i's newest row time (0: none in the range) and per value slot
 * its newest value, filled only from rows no more than fill_ms[kind]
 * before that newest row (as live_hist_entity_at does). */
int live_hist_all_at(live_hist *h, int64_t from, int64_t at,
                     const int64_t fill_ms[LIVE_NKINDS], live_obs *out, ct_err *err);

/* The 5-minute means past the raw retention (obs_ds, keyed by entity
 * first: one seek a read). prepare once on a reader connection, then per
 * entity: the newest bucket starting in [from - bucket, at], its means in
 * out (out->t its start, out->mask its slots). 1 found, 0 none, CT_EIO. */
int live_hist_bucket_prepare(sqlite3 *db, sqlite3_stmt **st, ct_err *err);
int live_hist_bucket_read(sqlite3_stmt *st, const char *entity, int64_t from,
                          int64_t at, live_obs *out);

/* Stored incidents (JSON objects), for the engine to restore at start. */
int live_hist_load_incidents(live_hist *h, json_t **out, ct_err *err);
/* The audit trail of one incident: [{t, actor, action, detail}]. */
int live_hist_incident_log(live_hist *h, const char *id, json_t **out,
                           ct_err *err);

/* A read-only connection to the history file (caller closes). */
int live_hist_reader(live_hist *h, sqlite3 **db, ct_err *err);

#endif
