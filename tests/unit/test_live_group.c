/* tests/unit/test_live_group.c: the history's group commit as the ingest
 * sees it. A reading's rows go into the open transaction first: the
 * caller learns its duplicates and the engine fuses and publishes before
 * the commit (another connection does not see the row yet), and the
 * answer comes only after the commit. Readings from several callers share
 * commits (the group window); a window nobody joins makes the next ones
 * go without, so a lone feed rarely waits. */
#include <pthread.h>
#include <string.h>

#include "test_live_fixture.h"
#include "ut.h"

#define STORE "t_live_group_store.sqlite"
#define HIST "t_live_group.sqlite"
#define P1_ROWS "SELECT count(*) FROM obs WHERE entity = 'p1'"

static int ent_index(const live_engine *e, const char *id)
{
    for (int i = 0; i < e->reg->n; i++)
        if (!strcmp(e->reg->ents[i].id, id))
            return i;
    return -1;
}

typedef struct seen {
    long rows;              /* committed rows of p1 when on_rows ran */
    int dup, calls;
} seen;

static unsigned char dup_flag;

static void on_rows(void *ctx)
{
    seen *s = ctx;
    s->rows = fx_count(HIST, P1_ROWS);
    s->dup = dup_flag;
    s->calls++;
}

static void test_rows_are_in_before_the_commit(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    live_obs o = {.ent = ent_index(e, "p1"), .t = FX_T0, .mask = 1, .v = {40}};
    UT_CHECK(o.ent >= 0);
    seen s = {-1, -1, 0};
    ct_err err;
    UT_EQ_INT(live_hist_write_obs(e->hist, &o, 1, &dup_flag, on_rows, &s, &err), CT_OK);
    UT_EQ_INT(s.calls, 1);
    UT_EQ_INT(s.rows, 0);           /* not committed when it ran */
    UT_EQ_INT(s.dup, 0);
    UT_EQ_INT(fx_count(HIST, P1_ROWS), 1);   /* committed on return */
    /* the same reading again: on_rows already knows it is a duplicate */
    s = (seen){-1, -1, 0};
    UT_EQ_INT(live_hist_write_obs(e->hist, &o, 1, &dup_flag, on_rows, &s, &err), CT_OK);
    UT_EQ_INT(s.calls, 1);
    UT_EQ_INT(s.dup, 1);
    UT_EQ_INT(s.rows, 1);
    UT_EQ_INT(fx_count(HIST, P1_ROWS), 1);
    /* rows that cannot go in: on_rows is not called, the error names why */
    sqlite3 *db;
    UT_EQ_INT(sqlite3_open(HIST, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    UT_EQ_INT(sqlite3_exec(db, "CREATE TRIGGER t_fail BEFORE INSERT ON obs BEGIN"
                               " SELECT RAISE(ABORT, 'no room'); END", NULL, NULL,
                           NULL), SQLITE_OK);
    o.t += 1000;
    s = (seen){-1, -1, 0};
    UT_EQ_INT(live_hist_write_obs(e->hist, &o, 1, &dup_flag, on_rows, &s, &err), CT_EIO);
    UT_EQ_INT(s.calls, 0);
    UT_CHECK_MSG(strstr(err.msg, "no room") != NULL, "%s", err.msg);
    UT_EQ_INT(sqlite3_exec(db, "DROP TRIGGER t_fail", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    live_close(e);
}

/* The ingest publishes a reading's change before its commit: a stream
 * subscriber that looks at the history from another connection does not
 * find the row yet; the answer comes after it is there. */
typedef struct probe {
    long rows;
    int calls;
} probe;

static void on_parking(void *ctx, const live_change *c)
{
    probe *p = ctx;
    if (strcmp(c->topic, "parking") || strcmp(c->entity, "p1"))
        return;
    p->rows = fx_count(HIST, P1_ROWS);
    p->calls++;
}

static void test_ingest_publishes_before_the_commit(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    probe p = {-1, 0};
    int id = live_stream_subscribe(e->stream, on_parking, &p);
    UT_CHECK(id > 0);
    json_t *r = fx_ingest(e, "[{\"entity\": \"p1\", \"time\": 1780300800000,"
                             " \"values\": {\"free\": 25}}]");
    UT_EQ_INT(json_integer_value(json_object_get(r, "accepted")), 1);
    json_decref(r);
    UT_EQ_INT(p.calls, 1);
    UT_EQ_INT(p.rows, 0);
    UT_EQ_INT(fx_count(HIST, P1_ROWS), 1);
    live_stream_unsubscribe(e->stream, id);
    live_close(e);
}

static int refuse_commit(void *ctx)
{
    (void)ctx;
    return 1;   /* SQLite turns the COMMIT into a rollback */
}

/* A commit that fails after the reading was fused (a failing disk): the
 * feed hears an error, the row is not stored, and its retry is stored
 * (not taken for a duplicate); the wall already showed the value. */
static void test_failed_commit_after_fusing(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    const char *b = "[{\"entity\": \"p1\", \"time\": 1780300800000,"
                    " \"values\": {\"free\": 17}}]";
    json_t *items = fx_json(b), *r = NULL;
    ct_err err;
    pthread_mutex_lock(&e->hist->mu);   /* nobody commits meanwhile */
    sqlite3_commit_hook(e->hist->db, refuse_commit, NULL);
    pthread_mutex_unlock(&e->hist->mu);
    UT_EQ_INT(live_ingest(e, items, &r, &err), CT_EIO);
    UT_CHECK(r == NULL);
    UT_CHECK_MSG(strstr(err.msg, HIST) != NULL, "%s", err.msg);
    UT_EQ_INT(fx_count(HIST, P1_ROWS), 0);
    UT_NEAR(fx_vital(e, "d1", "parking_free"), 17, 0);   /* fused before */
    json_t *st = live_stats(e);   /* but not counted as accepted */
    UT_EQ_INT(json_integer_value(json_object_get(st, "accepted")), 0);
    json_decref(st);
    pthread_mutex_lock(&e->hist->mu);
    sqlite3_commit_hook(e->hist->db, NULL, NULL);
    pthread_mutex_unlock(&e->hist->mu);
    UT_EQ_INT(live_ingest(e, items, &r, &err), CT_OK);
    UT_EQ_INT(json_integer_value(json_object_get(r, "accepted")), 1);
    UT_EQ_INT(json_array_size(json_object_get(r, "duplicates")), 0);
    json_decref(r);
    json_decref(items);
    UT_EQ_INT(fx_count(HIST, P1_ROWS), 1);
    st = live_stats(e);
    UT_EQ_INT(json_integer_value(json_object_get(st, "accepted")), 1);
    json_decref(st);
    live_close(e);
}

static uint64_t hist_counter(live_engine *e, int windows)
{
    pthread_mutex_lock(&e->hist->mu);
    uint64_t n = windows ? e->hist->windows : e->hist->commits;
    pthread_mutex_unlock(&e->hist->mu);
    return n;
}

typedef struct feed {
    live_engine *e;
    const char *entity;
    int n, acked, failed;
} feed;

/* One feed: n readings one after another, each sent once the previous
 * one was answered (as a feed on one keep-alive connection does). */
static void *feed_main(void *arg)
{
    feed *f = arg;
    for (int i = 0; i < f->n; i++) {
        char b[200];
        snprintf(b, sizeof b, "[{\"entity\": \"%s\", \"time\": %lld,"
                 " \"values\": {\"free\": %d}}]", f->entity,
                 (long long)(FX_T0 - 60000 + i * 1000), i);
        json_t *r = fx_ingest(f->e, b);
        if (!r)
            f->failed++;
        else
            f->acked += (int)json_integer_value(json_object_get(r, "accepted"));
        json_decref(r);
    }
    return NULL;
}

static void test_group_window(void)
{
    fx_now = FX_T0;
    live_engine *e = fx_engine(STORE, HIST, 0);
    UT_CHECK(e);
    pthread_mutex_lock(&e->hist->mu);
    e->hist->group_ms = 100;   /* a slow test machine still meets it */
    pthread_mutex_unlock(&e->hist->mu);
    /* one feed alone: a commit per reading; a window nobody joins makes
     * the next ones wait: readings 1, 3 and 7 wait, then 8-14 do not */
    uint64_t c0 = hist_counter(e, 0), w0 = hist_counter(e, 1);
    feed a = {e, "p1", 10, 0, 0};
    feed_main(&a);
    UT_EQ_INT(a.acked, 10);
    UT_EQ_INT(hist_counter(e, 1), w0 + 3);
    UT_EQ_INT(hist_counter(e, 0), c0 + 10);
    /* two feeds at once: their readings share commits, none is lost */
    c0 = hist_counter(e, 0);
    feed f[2] = {{e, "p2", 20, 0, 0}, {e, "p1", 20, 0, 0}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, feed_main, &f[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    UT_EQ_INT(f[0].failed + f[1].failed, 0);
    UT_EQ_INT(f[0].acked, 20);
    UT_EQ_INT(f[1].acked, 10);   /* p1's first 10 were duplicates */
    UT_EQ_INT(fx_count(HIST, "SELECT count(*) FROM obs WHERE entity IN ('p1', 'p2')"),
              40);
    uint64_t commits = hist_counter(e, 0) - c0;
    UT_CHECK_MSG(commits < 40, "%llu commits for 40 readings", (unsigned long long)commits);
    UT_CHECK(hist_counter(e, 1) > w0);
    live_close(e);
}

int main(void)
{
    if (fx_store(STORE))
        return 1;
    UT_RUN(test_rows_are_in_before_the_commit);
    UT_RUN(test_ingest_publishes_before_the_commit);
    UT_RUN(test_failed_commit_after_fusing);
    UT_RUN(test_group_window);
    fx_rm_history(HIST);
    unlink(STORE);
    return ut_done();
}
