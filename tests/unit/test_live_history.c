/* tests/unit/test_live_history.c: durability and the history: committed
 * when ingest returns (seen from another connection and from a parent
 * process after the child is killed), duplicates idempotent, concurrent
 * ingest group-committed without loss, retention (downsampling), series
 * and state at a past time, state changes riding with their ingest's
 * commit (one commit per ingest) and rows nobody waits for reaching every
 * read. */
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "live/speeds_at.h"
#include "test_live_fixture.h"
#include "ut.h"

#define STORE "t_live_hist_store.sqlite"
#define HIST "t_live_hist.sqlite"

static void test_committed_when_ingest_returns(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    json_t *r = fx_ingest(e, "[{\"entity\": \"r1\", \"time\": 1780300800000,"
                             " \"values\": {\"speed_kmh\": 70}},"
                             " {\"entity\": \"w1\", \"time\": \"2026-06-01T07:55:00Z\","
                             " \"values\": {\"level_m\": 9.1}}]");
    UT_CHECK(r);
    UT_EQ_INT(json_integer_value(json_object_get(r, "accepted")), 2);
    json_decref(r);
    /* another connection sees the rows before the engine is closed */
    UT_EQ_INT(fx_count(HIST, "SELECT count(*) FROM obs"), 2);
    UT_EQ_INT(fx_count(HIST, "SELECT count(*) FROM obs WHERE entity = 'w1' AND "
                               "t = 1780300500000 AND v0 = 9.1"), 1);
    live_close(e);
}

static void test_duplicates_are_idempotent(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    const char *b = "[{\"entity\": \"p1\", \"time\": 1780300800000, \"values\": {\"free\": 40}},"
                    " {\"entity\": \"p1\", \"time\": 1780300800000, \"values\": {\"free\": 30}}]";
    json_t *r = fx_ingest(e, b);
    UT_CHECK(r);
    UT_EQ_INT(json_integer_value(json_object_get(r, "accepted")), 1);
    json_t *d = json_object_get(r, "duplicates");
    UT_EQ_INT(json_array_size(d), 1);
    UT_EQ_INT(json_integer_value(json_object_get(json_array_get(d, 0), "index")), 1);
    UT_EQ_INT(json_array_size(json_object_get(r, "rejected")), 0);
    json_decref(r);
    r = fx_ingest(e, b);   /* the same batch again changes nothing */
    UT_EQ_INT(json_integer_value(json_object_get(r, "accepted")), 0);
    UT_EQ_INT(json_array_size(json_object_get(r, "duplicates")), 2);
    json_decref(r);
    UT_EQ_INT(fx_count(HIST, "SELECT count(*) FROM obs WHERE entity = 'p1'"), 1);
    UT_NEAR(fx_vital(e, "d1", "parking_free"), 40, 0);   /* first one wins */
    live_close(e);
}

/* The child ingests, then kills itself the moment ingest returns (no
 * close, no atexit); the parent must find every acknowledged row. */
static void test_acknowledged_rows_survive_sigkill(void)
{
    fx_rm_history(HIST);
    int pipefd[2];
    UT_CHECK(pipe(pipefd) == 0);
    fflush(stdout);
    pid_t pid = fork();
    UT_CHECK(pid >= 0);
    if (pid == 0) {
        close(pipefd[0]);
        fx_now = FX_T0;
        live_engine *e = fx_engine(STORE, HIST, 1);
        int acked = 0;
        for (int i = 0; e && i < 20; i++) {
            char buf[256];
            snprintf(buf, sizeof buf, "[{\"entity\": \"r2\", \"time\": %lld,"
                     " \"values\": {\"speed_kmh\": %d}}]", (long long)(FX_T0 - i * 60000), 30 + i);
            json_t *r = fx_ingest(e, buf);
            if (r && json_integer_value(json_object_get(r, "accepted")) == 1)
                acked++;
            json_decref(r);
        }
        if (write(pipefd[1], &acked, sizeof acked) != sizeof acked)
            _exit(3);
        kill(getpid(), SIGKILL);
        _exit(4);
    }
    close(pipefd[1]);
    int acked = -1;
    UT_CHECK(read(pipefd[0], &acked, sizeof acked) == sizeof acked);
    close(pipefd[0]);
    int status;
    waitpid(pid, &status, 0);
    UT_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    UT_EQ_INT(acked, 20);
    UT_EQ_INT(fx_count(HIST, "SELECT count(*) FROM obs WHERE entity = 'r2'"), acked);
    /* and a restarted engine recomputes the state from them */
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 1);
    UT_CHECK(e);
    json_t *t = live_snapshot(e, "traffic", NULL);
    UT_NEAR(json_number_value(json_object_get(json_object_get(t, "r2"), "speed_kmh")), 30, 0);
    json_decref(t);
    live_close(e);
}

typedef struct worker {
    live_engine *e;
    int id, acked;
} worker;

static void *ingest_worker(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 50; i++) {
        char buf[512];
        long long t = FX_T0 - (long long)(w->id * 50 + i) * 1000;
        snprintf(buf, sizeof buf, "[{\"entity\": \"r3\", \"time\": %lld, \"values\": "
                 "{\"speed_kmh\": 20}}, {\"entity\": \"p2\", \"time\": %lld, \"values\": "
                 "{\"free\": %d}}]", t, t, i % 50);
        json_t *items = json_loads(buf, 0, NULL), *r = NULL;
        ct_err err;
        if (!live_ingest(w->e, items, &r, &err))
            w->acked += (int)json_integer_value(json_object_get(r, "accepted"));
        json_decref(r);
        json_decref(items);
    }
    return NULL;
}

static void test_concurrent_ingest_loses_nothing(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    worker w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){e, i, 0};
        pthread_create(&th[i], NULL, ingest_worker, &w[i]);
    }
    int total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        total += w[i].acked;
    }
    UT_EQ_INT(total, 400);
    UT_EQ_INT(fx_count(HIST, "SELECT count(*) FROM obs"), 400);
    /* fusion kept the newest: worker 0, i = 0 is the latest time (free 0) */
    UT_NEAR(fx_vital(e, "d2", "parking_free"), 0, 0);
    UT_EQ_INT(fx_vital(e, "d2", "parking_full"), 1);
    live_close(e);
}

/* r1: 10 readings a minute apart from T0-60min: 10, 20, ..., 100 km/h. */
static int ingest_r1_hour_ago(live_engine *e)
{
    json_t *items = json_array();
    for (int i = 0; i < 10; i++)
        json_array_append_new(items, json_pack("{s:s, s:I, s:{s:i}}", "entity", "r1",
            "time", (json_int_t)(FX_T0 - 3600000 + i * 60000), "values",
            "speed_kmh", 10 * (i + 1)));
    json_t *r = NULL;
    ct_err err;
    int rc = live_ingest(e, items, &r, &err);
    json_decref(r);
    json_decref(items);
    return rc;
}

static void test_prune_downsamples_and_series_averages(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    UT_EQ_INT(ingest_r1_hour_ago(e), CT_OK);
    ct_err err;
    json_t *s = NULL;
    int64_t from = FX_T0 - 3600000;
    UT_EQ_INT(live_series(e, "r1", "speed_kmh", from, FX_T0, 300000, &s, &err), CT_OK);
    UT_EQ_INT(json_array_size(s), 2);   /* 5-minute steps: 5 + 5 readings */
    UT_NEAR(json_real_value(json_array_get(json_array_get(s, 0), 1)), 30, 1e-9);
    UT_NEAR(json_real_value(json_array_get(json_array_get(s, 1), 1)), 80, 1e-9);
    json_decref(s);
    /* downsample everything before T0-30min: the series must not change */
    UT_EQ_INT(live_hist_prune(e->hist, FX_T0 - 1800000, &err), CT_OK);
    UT_EQ_INT(fx_count(HIST, "SELECT count(*) FROM obs WHERE entity = 'r1'"), 0);
    UT_CHECK(fx_count(HIST, "SELECT count(*) FROM obs_ds WHERE entity = 'r1'") == 2);
    UT_EQ_INT(live_series(e, "r1", "speed_kmh", from, FX_T0, 300000, &s, &err), CT_OK);
    UT_EQ_INT(json_array_size(s), 2);
    UT_NEAR(json_real_value(json_array_get(json_array_get(s, 0), 1)), 30, 1e-9);
    UT_NEAR(json_real_value(json_array_get(json_array_get(s, 1), 1)), 80, 1e-9);
    json_decref(s);
    UT_EQ_INT(live_series(e, "r1", "speed_kmh", from, FX_T0, 3600001, &s, &err), CT_OK);
    UT_NEAR(json_real_value(json_array_get(json_array_get(s, 0), 1)), 55, 1e-9);
    json_decref(s);
    /* errors name the input */
    UT_EQ_INT(live_series(e, "r1", "level_m", from, FX_T0, 60000, &s, &err), CT_EINVAL);
    UT_CHECK(strstr(err.msg, "level_m") != NULL);
    UT_EQ_INT(live_series(e, "r9", "speed_kmh", from, FX_T0, 60000, &s, &err), CT_ENOTFOUND);
    UT_EQ_INT(live_series(e, "r1", "speed_kmh", from, FX_T0, 0, &s, &err), CT_EINVAL);
    live_close(e);
}

/* 120,000 raw rows (r1 and r2 in turn, one every 50 ms from T0-3h, v0
 * = i % 100) and 10 recent ones, written by a connection of the test's. */
static int put_old_rows(void)
{
    sqlite3 *db;
    char sql[512];
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k"
             " WHERE i < 119999) INSERT INTO obs(t, entity, v0)"
             " SELECT %lld + i * 50, 'r' || (1 + i %% 2), i %% 100 FROM k;"
             "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k"
             " WHERE i < 9) INSERT INTO obs(t, entity, v0)"
             " SELECT %lld + i * 1000, 'r1', 1 FROM k;",
             (long long)(FX_T0 - 3 * 3600000LL), (long long)(FX_T0 - 600000));
    int rc = sqlite3_open(HIST, &db) == SQLITE_OK &&
             sqlite3_busy_timeout(db, 10000) == SQLITE_OK &&
             sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close(db);
    return rc ? 0 : -1;
}

/* A prune folds a slice (50,000 rows and those sharing the last one's
 * time) per commit, so a large backlog never holds the writer long; the
 * slices add up to every row, once. */
static void test_prune_goes_in_slices(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    UT_EQ_INT(put_old_rows(), 0);
    ct_err err;
    int more = 0;
    int64_t cutoff = FX_T0 - 1800000;
    UT_EQ_INT(live_hist_prune_step(e->hist, cutoff, &more, &err), CT_OK);
    UT_EQ_INT(more, 1);
    UT_EQ_INT(fx_count(HIST, "SELECT count(*) FROM obs"), 120010 - 50001);
    UT_EQ_INT(fx_count(HIST, "SELECT sum(n0) FROM obs_ds"), 50001);
    UT_EQ_INT(live_hist_prune(e->hist, cutoff, &err), CT_OK);
    UT_EQ_INT(fx_count(HIST, "SELECT count(*) FROM obs"), 10);   /* recent */
    UT_EQ_INT(fx_count(HIST, "SELECT sum(n0) FROM obs_ds"), 120000);
    UT_EQ_INT(fx_count(HIST, "SELECT sum(s0) FROM obs_ds"), 1200 * 4950);
    /* a bucket cut by a slice's edge holds one row per entity and bucket */
    UT_EQ_INT(fx_count(HIST, "SELECT count(*) FROM obs_ds"),
              fx_count(HIST, "SELECT count(DISTINCT entity || '/' || t) FROM obs_ds"));
    UT_EQ_INT(live_hist_prune_step(e->hist, cutoff, &more, &err), CT_OK);
    UT_EQ_INT(more, 0);
    live_close(e);
}

/* The housekeeping tick folds one slice per tick once a prune is due
 * (every quarter of a retention shorter than an hour). */
static void test_tick_prunes_a_slice_at_a_time(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    UT_EQ_INT(put_old_rows(), 0);
    e->cfg.retention_ms = 1800000;
    e->last_prune = FX_T0 - 450000;   /* a quarter of the retention ago */
    live_tick(e);
    UT_EQ_INT(e->prune_more, 1);
    UT_EQ_INT(fx_count(HIST, "SELECT count(*) FROM obs"), 120010 - 50001);
    live_tick(e);
    UT_EQ_INT(fx_count(HIST, "SELECT count(*) FROM obs"), 120010 - 100002);
    live_tick(e);
    UT_EQ_INT(e->prune_more, 0);
    UT_EQ_INT(fx_count(HIST, "SELECT count(*) FROM obs"), 10);
    live_tick(e);   /* not due again until a quarter of the retention */
    UT_EQ_INT(fx_count(HIST, "SELECT sum(n0) FROM obs_ds"), 120000);
    live_close(e);
}

/* Road speeds at a past time (the rescue map's review of a past
 * incident): from the raw rows, and past the raw retention from the
 * 5-minute means, which hold until their bucket's end. */
static void test_speeds_at_past_retention(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    UT_EQ_INT(ingest_r1_hour_ago(e), CT_OK);
    ct_err err;
    int r1 = live_ents_find(e->reg, "r1");
    UT_CHECK(r1 >= 0);
    float *kmh = calloc((size_t)e->reg->n, sizeof *kmh);
    UT_CHECK(kmh);
    int64_t at = FX_T0 - 55 * 60000 + 30000;   /* 30 s after the 60 km/h */
    UT_EQ_INT(live_speeds_at(e, at, kmh, &err), 1);
    UT_NEAR(kmh[r1], 60, 1e-4);
    /* fold everything before T0-30min: buckets 10..50 (30) and 60..100 (80) */
    UT_EQ_INT(live_hist_prune(e->hist, FX_T0 - 1800000, &err), CT_OK);
    UT_EQ_INT(fx_count(HIST, "SELECT count(*) FROM obs"), 0);
    UT_EQ_INT(live_speeds_at(e, at, kmh, &err), 1);
    UT_NEAR(kmh[r1], 80, 1e-4);
    UT_EQ_INT(live_speeds_at(e, FX_T0 - 57 * 60000, kmh, &err), 1);
    UT_NEAR(kmh[r1], 30, 1e-4);
    /* 2 minutes after the last bucket's end: fresh (3 x 60 s) */
    UT_EQ_INT(live_speeds_at(e, FX_T0 - 48 * 60000, kmh, &err), 1);
    UT_NEAR(kmh[r1], 80, 1e-4);
    /* 10 minutes after it: stale, as the live state would have judged */
    UT_EQ_INT(live_speeds_at(e, FX_T0 - 40 * 60000, kmh, &err), 0);
    UT_NEAR(kmh[r1], 0, 0);
    free(kmh);
    live_close(e);
}

static void test_indicator_series_and_state_at(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    live_tick(e);   /* first snapshot at T0 */
    fx_now = FX_T0 + 60000;
    json_decref(fx_ingest(e, "[{\"entity\": \"r3\", \"time\": 1780300860000,"
                             " \"values\": {\"speed_kmh\": 5}}]"));   /* severe */
    double tpi_jam = fx_vital(e, "d2", "tpi");
    UT_CHECK(tpi_jam >= 8);
    fx_now = FX_T0 + 120000;
    json_decref(fx_ingest(e, "[{\"entity\": \"r3\", \"time\": 1780300920000,"
                             " \"values\": {\"speed_kmh\": 60}}]"));   /* smooth */
    UT_NEAR(fx_vital(e, "d2", "tpi"), 0, 1e-9);
    ct_err err;
    UT_EQ_INT(live_hist_flush(e->hist, &err), CT_OK);
    json_t *st = NULL;
    /* at T0+90 s the jam was on, and so was its alert */
    UT_EQ_INT(live_state_at(e, FX_T0 + 90000, &st, &err), CT_OK);
    json_t *d2 = json_object_get(json_object_get(st, "vitals"), "d2");
    UT_NEAR(json_number_value(json_object_get(d2, "tpi")), tpi_jam, 1e-9);
    json_t *alerts = json_object_get(st, "alerts");
    UT_CHECK(json_object_get(alerts, "tpi:d2:1780300860") != NULL);
    json_decref(st);
    /* at T0+150 s the road is clear and the alert is gone */
    UT_EQ_INT(live_state_at(e, FX_T0 + 150000, &st, &err), CT_OK);
    d2 = json_object_get(json_object_get(st, "vitals"), "d2");
    UT_NEAR(json_number_value(json_object_get(d2, "tpi")), 0, 1e-9);
    UT_CHECK(json_object_get(json_object_get(st, "alerts"), "tpi:d2:1780300860") == NULL);
    json_decref(st);
    /* before any traffic: tpi null */
    UT_EQ_INT(live_state_at(e, FX_T0 + 1000, &st, &err), CT_OK);
    d2 = json_object_get(json_object_get(st, "vitals"), "d2");
    UT_CHECK(json_is_null(json_object_get(d2, "tpi")));
    json_decref(st);
    /* indicator series of a district from the state-change log */
    json_t *s = NULL;
    UT_EQ_INT(live_series(e, "d2", "tpi", FX_T0, FX_T0 + 180000, 60000, &s, &err), CT_OK);
    UT_EQ_INT(json_array_size(s), 2);
    UT_NEAR(json_real_value(json_array_get(json_array_get(s, 0), 1)), tpi_jam, 1e-9);
    json_decref(s);
    live_close(e);
}

static uint64_t commits_of(live_engine *e)
{
    pthread_mutex_lock(&e->hist->mu);
    uint64_t n = e->hist->commits;
    pthread_mutex_unlock(&e->hist->mu);
    return n;
}

static void set_linger(live_engine *e, int64_t ms)
{
    pthread_mutex_lock(&e->hist->mu);
    e->hist->linger_ms = ms;
    e->hist->due = 0;
    pthread_mutex_unlock(&e->hist->mu);
}

#define D2_VITALS "SELECT count(*) FROM changes WHERE topic = 'vitals' AND entity = 'd2'"

static void test_changes_ride_with_their_ingest(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    ct_err err;
    set_linger(e, 3600 * 1000);   /* only ingests and reads commit */
    UT_EQ_INT(live_hist_flush(e->hist, &err), CT_OK);
    uint64_t c0 = commits_of(e);
    long v0 = fx_count(HIST, D2_VITALS);
    char b[160];
    for (int i = 0; i < 5; i++) {   /* r3 jams and clears: d2's tpi moves */
        fx_now = FX_T0 + (i + 1) * 60000;
        snprintf(b, sizeof b, "[{\"entity\": \"r3\", \"time\": %lld,"
                 " \"values\": {\"speed_kmh\": %d}}]", (long long)fx_now, i % 2 ? 60 : 5);
        json_decref(fx_ingest(e, b));
        /* one commit per ingest: its observation and the changes it made
         * (fused before the commit) */
        UT_EQ_INT(commits_of(e), c0 + (uint64_t)i + 1);
        UT_EQ_INT(fx_count(HIST, D2_VITALS), v0 + i + 1);
    }
    /* a read of the change log finds nothing lingering: no commit of its own */
    json_t *s = NULL;
    UT_EQ_INT(live_series(e, "d2", "tpi", FX_T0 + 60000, FX_T0 + 300000, 60000, &s,
                          &err), CT_OK);
    UT_EQ_INT(json_array_size(s), 5);
    json_decref(s);
    UT_EQ_INT(commits_of(e), c0 + 5);
    /* state at a time reads the changes */
    fx_now = FX_T0 + 360000;
    json_decref(fx_ingest(e, "[{\"entity\": \"r3\", \"time\": 1780301160000,"
                             " \"values\": {\"speed_kmh\": 60}}]"));
    UT_EQ_INT(live_state_at(e, fx_now, &s, &err), CT_OK);
    UT_NEAR(json_number_value(json_object_get(json_object_get(
        json_object_get(s, "vitals"), "d2"), "tpi")), 0, 1e-9);
    json_decref(s);
    UT_EQ_INT(commits_of(e), c0 + 6);
    /* a row nobody waits for (a snapshot) lingers until a read commits it,
     * and close commits the last one */
    json_t *none = json_object();
    long s0 = fx_count(HIST, "SELECT count(*) FROM snapshots");
    live_hist_snapshot(e->hist, 1000000, fx_now, none);
    UT_EQ_INT(fx_count(HIST, "SELECT count(*) FROM snapshots"), s0);
    UT_EQ_INT(live_state_at(e, fx_now, &s, &err), CT_OK);
    json_decref(s);
    UT_EQ_INT(commits_of(e), c0 + 7);
    UT_EQ_INT(fx_count(HIST, "SELECT count(*) FROM snapshots"), s0 + 1);
    live_hist_snapshot(e->hist, 1000001, fx_now, none);
    live_close(e);
    UT_EQ_INT(fx_count(HIST, D2_VITALS), v0 + 6);
    UT_EQ_INT(fx_count(HIST, "SELECT count(*) FROM snapshots"), s0 + 2);
    /* without ingests or reads the writer thread commits them itself */
    e = fx_engine(STORE, HIST, 1);
    UT_CHECK(e);
    set_linger(e, 1);
    live_hist_snapshot(e->hist, 1000002, fx_now, none);
    json_decref(none);
    long n = 0;
    for (int i = 0; i < 1000 && (n = fx_count(HIST, "SELECT count(*) FROM snapshots"))
                                < s0 + 3; i++)
        usleep(10000);   /* bounded: 10 s */
    UT_EQ_INT(n, s0 + 3);
    live_close(e);
}

static void test_stream_sequence_continues_after_restart(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    json_decref(fx_ingest(e, "[{\"entity\": \"p1\", \"time\": 1780300800000,"
                             " \"values\": {\"free\": 3}}]"));
    uint64_t seq1 = live_stream_seq(e->stream), epoch1 = live_stream_epoch(e->stream);
    UT_CHECK(seq1 > 0);
    live_close(e);
    e = fx_engine(STORE, HIST, 1);
    UT_CHECK(e);
    UT_CHECK(live_stream_seq(e->stream) >= seq1);
    UT_CHECK(live_stream_epoch(e->stream) != epoch1);
    /* the restored state is the same */
    UT_NEAR(fx_vital(e, "d1", "parking_free"), 3, 0);
    live_close(e);
}

static void test_open_failures_name_the_file(void)
{
    ct_err err;
    live_engine *e = NULL;
    live_config cfg = {.store_path = "no/such/store.sqlite", .history_path = HIST,
                       .clock = fx_clock};
    UT_EQ_INT(live_open(&cfg, &e, &err), CT_ENOTFOUND);
    UT_CHECK(strstr(err.msg, "no/such/store.sqlite") != NULL);
    UT_CHECK(e == NULL);
    cfg.store_path = STORE;
    cfg.history_path = "no/such/dir/live.sqlite";
    UT_EQ_INT(live_open(&cfg, &e, &err), CT_EIO);
    UT_CHECK(strstr(err.msg, "no/such/dir/live.sqlite") != NULL);
    FILE *f = fopen("t_live_garbage.sqlite", "w");
    fputs("this is not a database, only text that goes on for a while......", f);
    fclose(f);
    cfg.history_path = "t_live_garbage.sqlite";
    int rc = live_open(&cfg, &e, &err);
    UT_CHECK_MSG(rc == CT_EFORMAT, "rc %d: %s", rc, err.msg);
    UT_CHECK(strstr(err.msg, "t_live_garbage.sqlite") != NULL);
    cfg.history_path = HIST;
    cfg.thresholds_path = "t_live_garbage.sqlite";
    UT_EQ_INT(live_open(&cfg, &e, &err), CT_EFORMAT);
    UT_CHECK(strstr(err.msg, "t_live_garbage.sqlite") != NULL);
}

/* A write that cannot commit is not acknowledged: ingest fails (-> 500)
 * and the engine state does not move. */
static void test_failed_commit_is_not_acknowledged(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    /* make the writer's next transaction fail: a trigger that aborts */
    sqlite3 *db;
    UT_EQ_INT(sqlite3_open(HIST, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    UT_EQ_INT(sqlite3_exec(db, "CREATE TRIGGER t_fail BEFORE INSERT ON obs BEGIN"
                               " SELECT RAISE(ABORT, 'disk on fire'); END", NULL, NULL,
                           NULL), SQLITE_OK);
    json_t *items = fx_json("[{\"entity\": \"p1\", \"time\": 1780300800000,"
                            " \"values\": {\"free\": 11}}]"), *r = NULL;
    ct_err err;
    UT_EQ_INT(live_ingest(e, items, &r, &err), CT_EIO);
    UT_CHECK(r == NULL);
    UT_CHECK_MSG(strstr(err.msg, "disk on fire") && strstr(err.msg, HIST), "%s", err.msg);
    UT_NEAR(fx_vital(e, "d1", "parking_total"), 0, 0);   /* nothing fused */
    UT_EQ_INT(sqlite3_exec(db, "DROP TRIGGER t_fail", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    UT_EQ_INT(live_ingest(e, items, &r, &err), CT_OK);   /* and it recovers */
    UT_EQ_INT(json_integer_value(json_object_get(r, "accepted")), 1);
    UT_NEAR(fx_vital(e, "d1", "parking_free"), 11, 0);
    json_decref(r);
    json_t *st = live_stats(e);
    UT_EQ_INT(json_integer_value(json_object_get(st, "accepted")), 1);
    UT_EQ_INT(json_integer_value(json_object_get(json_object_get(st, "entities"), "traffic")), 3);
    json_decref(st);
    json_t *p1 = live_entity_state(e, "p1");
    UT_NEAR(json_number_value(json_object_get(p1, "free")), 11, 0);
    UT_EQ_STR(json_string_value(json_object_get(p1, "kind")), "parking");
    json_decref(p1);
    UT_CHECK(live_entity_state(e, "nope") == NULL);
    json_decref(items);
    live_close(e);
}

static int fx_place(const live_engine *e, const char *district)
{
    for (int d = 0; d < e->reg->nd; d++)
        if (!strcmp(e->reg->dists[d].id, district))
            return d;
    return 0;
}

/* With the rate limit, a place's vitals wait for their time; live_flush()
 * keeps them waiting until then, a reader gets them at once. */
static void test_vitals_rate_limited_until_read(void)
{
    fx_now = FX_T0;
    fx_rm_history(HIST);
    live_config cfg = {.store_path = STORE, .history_path = HIST, .clock = fx_clock,
                       .sync_normal = 1, .vitals_every_ms = 3600 * 1000};
    live_engine *e = NULL;
    ct_err err;
    UT_EQ_INT(live_open(&cfg, &e, &err), CT_OK);
    if (!e)
        return;
    UT_EQ_INT(live_hist_flush(e->hist, &err), CT_OK);
    long v0 = fx_count(HIST, D2_VITALS);
    fx_now = FX_T0 + 60000;
    json_decref(fx_ingest(e, "[{\"entity\": \"r3\", \"time\": 1780300860000,"
                             " \"values\": {\"speed_kmh\": 5}}]"));
    live_flush(e);   /* an hour has not passed: still held */
    UT_EQ_INT(live_hist_flush(e->hist, &err), CT_OK);
    UT_EQ_INT(fx_count(HIST, D2_VITALS), v0);
    UT_EQ_INT(e->fus.dirty[fx_place(e, "d2")], 1);
    /* a reader sees the present: the held vitals go out first */
    json_t *v = live_snapshot(e, LIVE_TOPIC_VITALS, NULL);
    json_decref(v);
    UT_EQ_INT(live_hist_flush(e->hist, &err), CT_OK);
    UT_EQ_INT(fx_count(HIST, D2_VITALS), v0 + 1);
    UT_EQ_INT(e->fus.dirty[fx_place(e, "d2")], 0);
    live_close(e);
}

static long wal_pages(void)
{
    struct stat sb;
    return stat(HIST "-wal", &sb) == 0 ? (long)(sb.st_size / 4096) : 0;
}

/* The WAL goes back into the database on the checkpoint thread: commits
 * past the threshold wake it, the WAL starts over and stays near the
 * threshold instead of growing with every commit (a commit copies the
 * rest itself only past 1.25x the threshold). */
static void test_checkpoint_thread_bounds_the_wal(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    __atomic_store_n(&e->hist->ckpt_pages, 8, __ATOMIC_RELAXED);
    char b[160];
    long most = 0;
    for (int i = 0; i < 400; i++) {
        fx_now = FX_T0 + (i + 1) * 1000;
        snprintf(b, sizeof b, "[{\"entity\": \"r%d\", \"time\": %lld,"
                 " \"values\": {\"speed_kmh\": %d}}]", 1 + i % 3,
                 (long long)fx_now, 20 + i % 50);
        json_decref(fx_ingest(e, b));
        long p = wal_pages();
        most = p > most ? p : most;
        if (i % 20 == 19)
            usleep(20000);   /* room for the low-priority thread */
    }
    uint64_t n = 0;
    for (int k = 0; k < 500 && !n; k++) {   /* bounded wait, not a timing */
        pthread_mutex_lock(&e->hist->ckpt_mu);
        n = e->hist->checkpoints;
        pthread_mutex_unlock(&e->hist->ckpt_mu);
        if (!n)
            usleep(10000);
    }
    UT_CHECK_MSG(n > 0, "no checkpoint ran");
    /* 400 commits of 1+ pages each: without checkpoints the WAL would
     * hold them all; with them it starts over again and again (how far
     * it gets depends on how soon the thread runs: under ASan ~110) */
    UT_CHECK_MSG(most < 200, "the WAL grew to %ld pages", most);
    UT_EQ_INT(fx_count(HIST, "SELECT count(*) FROM obs"), 400);
    live_close(e);
}

int main(void)
{
    if (fx_store(STORE))
        return 1;
    UT_RUN(test_committed_when_ingest_returns);
    UT_RUN(test_duplicates_are_idempotent);
    UT_RUN(test_acknowledged_rows_survive_sigkill);
    UT_RUN(test_concurrent_ingest_loses_nothing);
    UT_RUN(test_prune_downsamples_and_series_averages);
    UT_RUN(test_speeds_at_past_retention);
    UT_RUN(test_prune_goes_in_slices);
    UT_RUN(test_tick_prunes_a_slice_at_a_time);
    UT_RUN(test_indicator_series_and_state_at);
    UT_RUN(test_changes_ride_with_their_ingest);
    UT_RUN(test_vitals_rate_limited_until_read);
    UT_RUN(test_stream_sequence_continues_after_restart);
    UT_RUN(test_open_failures_name_the_file);
    UT_RUN(test_failed_commit_is_not_acknowledged);
    UT_RUN(test_checkpoint_thread_bounds_the_wal);
    return ut_done();
}
