/* live/history.c: the history database's schema, its writes as jobs, and
 * opening and closing it (see history.h). The group commit that runs the
 * jobs is in history_commit.c, the reads in history_query.c. */
#include "live/history_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *SCHEMA =
    /* time first: a commit appends to the end of the B-tree instead of
     * dirtying one page per entity (docs/LIVE.md, "History") */
    "CREATE TABLE IF NOT EXISTS obs(t INTEGER NOT NULL, entity TEXT NOT NULL,"
    " v0 REAL, v1 REAL, v2 REAL, v3 REAL, PRIMARY KEY(t, entity)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS obs_ds(entity TEXT NOT NULL, t INTEGER NOT NULL,"
    " n0 INTEGER, s0 REAL, n1 INTEGER, s1 REAL, n2 INTEGER, s2 REAL,"
    " n3 INTEGER, s3 REAL, PRIMARY KEY(entity, t)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS changes(seq INTEGER PRIMARY KEY, t INTEGER NOT NULL,"
    " topic TEXT NOT NULL, entity TEXT NOT NULL, json TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS changes_t ON changes(t);"
    "CREATE INDEX IF NOT EXISTS changes_entity ON changes(topic, entity, t);"
    "CREATE TABLE IF NOT EXISTS snapshots(seq INTEGER PRIMARY KEY,"
    " t INTEGER NOT NULL, json TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS snapshots_t ON snapshots(t);"
    "CREATE TABLE IF NOT EXISTS incidents(id TEXT PRIMARY KEY, json TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS incident_log(rowid INTEGER PRIMARY KEY,"
    " incident TEXT NOT NULL, t INTEGER NOT NULL, actor TEXT, action TEXT,"
    " detail TEXT);"
    "CREATE INDEX IF NOT EXISTS incident_log_id ON incident_log(incident, rowid);";

static const char *STMTS[] = {
    [S_OBS] = "INSERT OR IGNORE INTO obs(entity, t, v0, v1, v2, v3)"
              " VALUES(?, ?, ?, ?, ?, ?)",
    [S_CHANGE] = "INSERT OR REPLACE INTO changes(seq, t, topic, entity, json)"
                 " VALUES(?, ?, ?, ?, ?)",
    [S_SNAP] = "INSERT OR REPLACE INTO snapshots(seq, t, json) VALUES(?, ?, ?)",
    [S_INC] = "INSERT INTO incidents(id, json) VALUES(?, ?)"
              " ON CONFLICT(id) DO UPDATE SET json = excluded.json",
    [S_AUDIT] = "INSERT INTO incident_log(incident, t, actor, action, detail)"
                " VALUES(?, ?, ?, ?, ?)",
    /* prepared once: sqlite3_exec() would parse them at every commit */
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
};
#define NSTMTS ((int)(sizeof STMTS / sizeof STMTS[0]))

void live__hjob_free(live_hjob *j)
{
    free(j->s1);
    free(j->s2);
    free(j->s3);
    free(j->s4);
    free(j->s5);
    free(j);
}

int live__hist_step(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int run_obs(live_hist *h, live_hjob *j)
{
    sqlite3_stmt *st = h->st[S_OBS];
    for (int i = 0; i < j->n; i++) {
        const live_obs *o = &j->obs[i];
        sqlite3_bind_text(st, 1, h->reg->ents[o->ent].id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, o->t);
        for (int s = 0; s < LIVE_NVAL; s++)
            if (o->mask & (1u << s))
                sqlite3_bind_double(st, 3 + s, o->v[s]);
        if (live__hist_step(st))
            return -1;
        /* changes() counts the row just inserted: 0 means it was ignored */
        j->dup[i] = sqlite3_changes(h->db) == 0;
    }
    return 0;
}

/* A prune shares the commit with the readings being ingested, so one job
 * folds at most about this many raw rows (~0.15 s here): a backlog, such
 * as the x60 simulator's ~24,000 rows a second, goes a slice per job
 * instead of holding the writer for minutes. */
#define PRUNE_SLICE_ROWS 50000

/* Fold one slice of the rows older than the cutoff's bucket into obs_ds
 * and delete it (and the state changes of that time). j->i1 out: 1 when
 * older rows may remain. */
static int run_prune(live_hist *h, live_hjob *j)
{
    long long c = (long long)(j->i2 / LIVE_BUCKET_MS * LIVE_BUCKET_MS);
    long long hi = c;
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT t FROM obs WHERE t < %lld ORDER BY t"
             " LIMIT 1 OFFSET %d", c, PRUNE_SLICE_ROWS);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)   /* every row at that time too: a slice moves on */
        hi = sqlite3_column_int64(st, 0) + 1;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return -1;
    j->i1 = rc == SQLITE_ROW && hi < c;
    /* buckets cut by a slice's edge add up: ON CONFLICT sums n and s */
    snprintf(sql, sizeof sql,
        "INSERT INTO obs_ds(entity, t, n0, s0, n1, s1, n2, s2, n3, s3)"
        " SELECT entity, (t / %lld) * %lld AS b, count(v0), total(v0), count(v1),"
        " total(v1), count(v2), total(v2), count(v3), total(v3) FROM obs"
        " WHERE t < %lld GROUP BY entity, b"
        " ON CONFLICT(entity, t) DO UPDATE SET n0 = n0 + excluded.n0,"
        " s0 = s0 + excluded.s0, n1 = n1 + excluded.n1, s1 = s1 + excluded.s1,"
        " n2 = n2 + excluded.n2, s2 = s2 + excluded.s2, n3 = n3 + excluded.n3,"
        " s3 = s3 + excluded.s3;"
        "DELETE FROM obs WHERE t < %lld; DELETE FROM changes WHERE t < %lld;",
        (long long)LIVE_BUCKET_MS, (long long)LIVE_BUCKET_MS, hi, hi, hi);
    return sqlite3_exec(h->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int live__hjob_run(live_hist *h, live_hjob *j)
{
    sqlite3_stmt *st;
    switch (j->type) {
    case J_OBS:
        return run_obs(h, j);
    case J_CHANGE:
        st = h->st[S_CHANGE];
        sqlite3_bind_int64(st, 1, j->i1);
        sqlite3_bind_int64(st, 2, j->i2);
        sqlite3_bind_text(st, 3, j->s1, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, j->s2, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, j->s3, -1, SQLITE_STATIC);
        return live__hist_step(st);
    case J_SNAPSHOT:
        st = h->st[S_SNAP];
        sqlite3_bind_int64(st, 1, j->i1);
        sqlite3_bind_int64(st, 2, j->i2);
        sqlite3_bind_text(st, 3, j->s3, -1, SQLITE_STATIC);
        return live__hist_step(st);
    case J_INCIDENT:
        st = h->st[S_INC];
        sqlite3_bind_text(st, 1, j->s1, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, j->s3, -1, SQLITE_STATIC);
        if (live__hist_step(st))
            return -1;
        st = h->st[S_AUDIT];
        sqlite3_bind_text(st, 1, j->s1, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, j->i2);
        sqlite3_bind_text(st, 3, j->s2, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, j->s4, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, j->s5, -1, SQLITE_STATIC);
        return live__hist_step(st);
    case J_PRUNE:
        return run_prune(h, j);
    default:
        return 0;   /* J_FLUSH: only waits for the commit */
    }
}

int live_hist_open(const char *path, const live_registry *reg, int sync_full,
                   int64_t group_ms, live_hist **out, ct_err *err)
{
    *out = NULL;
    live_hist *h = calloc(1, sizeof *h);
    if (!h)
        return ct_fail(err, CT_ENOMEM, "history: out of memory");
    h->path = strdup(path);
    h->reg = reg;
    h->linger_ms = LIVE_HIST_LINGER_MS;
    h->group_ms = group_ms;
    if (sqlite3_open_v2(path, &h->db,
            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
            NULL) != SQLITE_OK) {
        ct_fail(err, CT_EIO, "history %s: cannot open: %s", path,
                h->db ? sqlite3_errmsg(h->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(h->db, 10000);
    char pragmas[160];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;"
             " PRAGMA cache_size=-65536;",   /* 64 MB: the obs B-tree stays hot */
             sync_full ? "FULL" : "NORMAL");
    char *msg = NULL;
    if (sqlite3_exec(h->db, pragmas, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(h->db, SCHEMA, NULL, NULL, &msg) != SQLITE_OK) {
        ct_fail(err, CT_EFORMAT, "history %s: %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        goto fail;
    }
    for (int i = 0; i < NSTMTS; i++)
        if (sqlite3_prepare_v2(h->db, STMTS[i], -1, &h->st[i], NULL) != SQLITE_OK) {
            ct_fail(err, CT_EFORMAT, "history %s: %s", path, sqlite3_errmsg(h->db));
            goto fail;
        }
    if (live_ckpt_start(h, sync_full, err))
        goto fail;
    pthread_mutex_init(&h->mu, NULL);
    pthread_condattr_t ca;   /* the writer's deadlines are monotonic */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->work, &ca);
    pthread_cond_init(&h->done, &ca);   /* so are the group windows' */
    pthread_condattr_destroy(&ca);
    if (pthread_create(&h->thread, NULL, live__hist_writer, h)) {
        ct_fail(err, CT_ERR, "history %s: cannot start the writer thread", path);
        pthread_mutex_destroy(&h->mu);
        pthread_cond_destroy(&h->work);
        pthread_cond_destroy(&h->done);
        live_ckpt_stop(h);
        goto fail;
    }
    *out = h;
    return CT_OK;
fail:
    for (int i = 0; i < NSTMTS; i++)
        sqlite3_finalize(h->st[i]);
    sqlite3_close(h->db);
    free(h->path);
    free(h);
    return err ? err->code : CT_EIO;
}

void live_hist_close(live_hist *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->stop = 1;
    pthread_cond_signal(&h->work);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    live_ckpt_stop(h);
    for (int i = 0; i < NSTMTS; i++)
        sqlite3_finalize(h->st[i]);
    sqlite3_close(h->db);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->work);
    pthread_cond_destroy(&h->done);
    free(h->path);
    free(h);
}

int live_hist_write_obs(live_hist *h, const live_obs *obs, int n,
                        unsigned char *dup, void (*on_rows)(void *ctx),
                        void *ctx, ct_err *err)
{
    if (n <= 0) {
        if (on_rows)
            on_rows(ctx);
        return CT_OK;
    }
    live_hjob j = {.type = J_OBS, .obs = obs, .n = n, .dup = dup};
    return live__hist_submit(h, &j, on_rows, ctx, err);
}

static live_hjob *new_job(int type)
{
    live_hjob *j = calloc(1, sizeof *j);
    if (j)
        j->type = type;
    return j;
}

void live_hist_on_change(void *ctx, const live_change *c)
{
    live_hist *h = ctx;
    live_hjob *j = new_job(J_CHANGE);
    if (!j)
        return;
    j->i1 = (int64_t)c->seq;
    j->i2 = c->t;
    j->s1 = strdup(c->topic);
    j->s2 = strdup(c->entity ? c->entity : "");
    j->s3 = json_dumps(c->fields, JSON_COMPACT);
    if (!j->s1 || !j->s2 || !j->s3) {
        live__hjob_free(j);
        return;
    }
    live__hist_enqueue(h, j);
}

void live_hist_snapshot(live_hist *h, uint64_t seq, int64_t t, const json_t *state)
{
    live_hjob *j = new_job(J_SNAPSHOT);
    if (!j)
        return;
    j->i1 = (int64_t)seq;
    j->i2 = t;
    j->s3 = json_dumps(state, JSON_COMPACT);
    if (!j->s3) {
        live__hjob_free(j);
        return;
    }
    live__hist_enqueue(h, j);
}

int live_hist_put_incident(live_hist *h, const char *id, const json_t *incident,
                           int64_t t, const char *actor, const char *action,
                           const json_t *detail, ct_err *err)
{
    live_hjob j = {.type = J_INCIDENT, .i2 = t};
    j.s1 = strdup(id);
    j.s2 = strdup(actor ? actor : "");
    j.s3 = json_dumps(incident, JSON_COMPACT);
    j.s4 = strdup(action ? action : "");
    j.s5 = detail ? json_dumps(detail, JSON_COMPACT) : strdup("{}");
    int rc = (!j.s1 || !j.s2 || !j.s3 || !j.s4 || !j.s5)
                 ? ct_fail(err, CT_ENOMEM, "history: out of memory")
                 : live__hist_submit(h, &j, NULL, NULL, err);
    free(j.s1);
    free(j.s2);
    free(j.s3);
    free(j.s4);
    free(j.s5);
    return rc;
}

int live_hist_prune_step(live_hist *h, int64_t cutoff_ms, int *more,
                         ct_err *err)
{
    live_hjob j = {.type = J_PRUNE, .i2 = cutoff_ms};
    int rc = live__hist_submit(h, &j, NULL, NULL, err);
    *more = !rc && j.i1;
    return rc;
}

int live_hist_prune(live_hist *h, int64_t cutoff_ms, ct_err *err)
{
    int more = 1, rc = CT_OK;
    while (more && !rc)
        rc = live_hist_prune_step(h, cutoff_ms, &more, err);
    return rc;
}

int live_hist_flush(live_hist *h, ct_err *err)
{
    live_hjob j = {.type = J_FLUSH};
    return live__hist_submit(h, &j, NULL, NULL, err);
}

int live_hist_settle(live_hist *h, ct_err *err)
{
    pthread_mutex_lock(&h->mu);
    int pending = h->head || h->busy || h->txn_open;
    pthread_mutex_unlock(&h->mu);
    return pending ? live_hist_flush(h, err) : CT_OK;
}
