/* live/history_commit.c: the history's group commit (see history.h):
 * callers run what is queued into the open transaction and commit it,
 * readings wait in a group window while that pays, and the writer thread
 * commits the rows nobody waits for. */
#include "live/history_int.h"

#include "core/ct_progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int64_t mono_ms(void)
{
    return (int64_t)(ct_now() * 1000.0);   /* core/ct_progress.h */
}

/* The jobs of a transaction that ended (committed, or rolled back when rc
 * is not SQLITE_OK): their waiters hear the result, the rest are freed.
 * Under h->mu. */
static void finish(live_hist *h, live_hjob *list, int rc, const char *msg)
{
    for (live_hjob *j = list, *next; j; j = next) {
        next = j->next;
        if (!j->sync) {
            if (rc != SQLITE_OK)
                fprintf(stderr, "citytwin: history %s: lost a queued row: %s\n",
                        h->path, msg);
            live__hjob_free(j);
            continue;
        }
        j->rc = rc == SQLITE_OK ? CT_OK : CT_EIO;
        if (rc != SQLITE_OK)
            snprintf(j->msg, sizeof j->msg, "history %.60s: %.150s", h->path, msg);
        j->done = 1;
    }
}

/* Take the rows of the open transaction's jobs (they end with it). Under
 * h->mu. */
static live_hjob *take_txn(live_hist *h)
{
    live_hjob *list = h->txn_head;
    h->txn_head = h->txn_tail = NULL;
    h->txn_open = h->txn_sync = h->txn_urgent = h->txn_leader = 0;
    return list;
}

/* A statement failed: note SQLite's message in msg, roll the open
 * transaction back. The connection is ours (h->busy). */
static void roll_back(live_hist *h, char *msg, size_t n)
{
    snprintf(msg, n, "%s", sqlite3_errmsg(h->db));
    sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Run everything queued into the open transaction (BEGIN first when none
 * is open); waiters hear that their rows are in. A failed statement rolls
 * the whole transaction back: every job in it fails, and nothing
 * half-commits. Called with h->mu held and the connection free; drops
 * the lock meanwhile (h->busy: the connection is in use). */
static void run_queued(live_hist *h)
{
    live_hjob *list = h->head, *last = h->tail;
    h->head = h->tail = NULL;
    int begin = !h->txn_open;
    h->busy = h->active = 1;
    pthread_mutex_unlock(&h->mu);
    int rc = begin && live__hist_step(h->st[S_BEGIN]) ? SQLITE_ERROR : SQLITE_OK;
    for (live_hjob *j = list; j && rc == SQLITE_OK; j = j->next)
        if (live__hjob_run(h, j))
            rc = SQLITE_ERROR;
    char msg[200] = "";
    if (rc != SQLITE_OK)
        roll_back(h, msg, sizeof msg);
    pthread_mutex_lock(&h->mu);
    h->busy = 0;
    if (begin && rc == SQLITE_OK) {
        h->txn_open = 1;
        h->txn_begin_ms = mono_ms();
    }
    for (live_hjob *j = list; j && rc == SQLITE_OK; j = j->next)
        if (j->sync) {
            j->inserted = 1;
            h->txn_sync++;
            h->txn_urgent |= j->type != J_OBS;
        }
    if (list) {   /* the list joins the transaction's */
        if (h->txn_tail)
            h->txn_tail->next = list;
        else
            h->txn_head = list;
        h->txn_tail = last;
    }
    if (rc != SQLITE_OK)
        finish(h, take_txn(h), rc, msg);
    pthread_cond_broadcast(&h->done);
}

/* Until when j's commit waits for more readings (0: commit now): only
 * readings wait, up to group_ms after the transaction began and until
 * LIVE_HIST_GROUP_MAX callers are in; one of them (the leader) keeps the
 * time. Not while windows went unjoined lately (win_skip, see
 * window_done). Under h->mu. */
static int64_t window_end(live_hist *h, live_hjob *j)
{
    if (h->group_ms <= 0 || h->stop || h->txn_urgent || h->win_skip > 0 ||
        h->txn_sync >= LIVE_HIST_GROUP_MAX)
        return 0;
    if (!h->txn_leader) {
        h->txn_leader = j->leader = 1;
        h->windows++;
    }
    return h->txn_begin_ms + h->group_ms;
}

/* A transaction of readings commits: did its window pay? One that nobody
 * joined (a lone feed, which sends its next reading only after this
 * answer, or a quiet hour) makes the next windows wait: after k unjoined
 * ones in a row, 2^k - 1 commits go without (up to 1,023), so a lone
 * sequential feed loses one window's wait in ~1,000 readings. A joined
 * one resets that. Under h->mu, before take_txn. */
static void window_done(live_hist *h)
{
    if (h->txn_leader) {
        if (h->txn_sync > 1) {
            h->win_unjoined = 0;
        } else {
            if (h->win_unjoined < 10)
                h->win_unjoined++;
            h->win_skip = (1 << h->win_unjoined) - 1;
        }
    } else if (h->win_skip > 0 && !h->txn_urgent && h->txn_sync > 0) {
        h->win_skip--;
    }
}

/* Commit the open transaction, with what is queued by then. Called with
 * h->mu held and the connection free; drops the lock meanwhile. */
static void commit(live_hist *h)
{
    if (h->head)
        run_queued(h);
    if (!h->txn_open)
        return;   /* rolled back */
    window_done(h);
    live_hjob *list = take_txn(h);
    h->busy = 1;
    pthread_mutex_unlock(&h->mu);
    int rc = live__hist_step(h->st[S_COMMIT]) ? SQLITE_ERROR : SQLITE_OK;
    char msg[200] = "";
    if (rc != SQLITE_OK)
        roll_back(h, msg, sizeof msg);
    pthread_mutex_lock(&h->mu);
    h->busy = 0;
    if (rc == SQLITE_OK)
        h->commits++;
    finish(h, list, rc, msg);
    pthread_cond_broadcast(&h->done);
}

/* The writer thread commits only rows nobody waits for (state changes,
 * snapshots), once the first of them has lingered LIVE_HIST_LINGER_MS:
 * by then an ingest has usually taken them into its own commit. It naps
 * in steps of that length while commits happen and sleeps for good when
 * idle, so a busy feed does not wake it per request. */
void *live__hist_writer(void *arg)
{
    live_hist *h = arg;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        int64_t now = mono_ms();
        /* an open window's leader commits the queue with its readings */
        if (h->head && !h->busy && (h->stop || (now >= h->due && !h->txn_leader))) {
            commit(h);
            continue;
        }
        if (h->stop && !h->head && !h->busy && !h->txn_open)
            break;
        if (h->head || h->active || h->busy || h->txn_open) {
            h->active = 0;
            int64_t until = h->head && !h->busy && h->due > now ? h->due
                            : now + (h->head ? 5 : h->linger_ms);
            struct timespec ts = {(time_t)(until / 1000),
                                  (long)(until % 1000) * 1000000L};
            pthread_cond_timedwait(&h->work, &h->mu, &ts);
        } else {
            h->idle = 1;
            pthread_cond_wait(&h->work, &h->mu);
            h->idle = 0;
        }
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* Under h->mu. */
static void append(live_hist *h, live_hjob *j)
{
    if (h->tail)
        h->tail->next = j;
    else
        h->head = j;
    h->tail = j;
}

/* Queue a row nobody waits for; a sleeping writer needs its deadline. */
void live__hist_enqueue(live_hist *h, live_hjob *j)
{
    pthread_mutex_lock(&h->mu);
    if (!h->head)
        h->due = mono_ms() + h->linger_ms;
    append(h, j);
    if (h->idle) {
        h->idle = 0;
        pthread_cond_signal(&h->work);
    }
    pthread_mutex_unlock(&h->mu);
}

/* Queue j, then (its rows in the open transaction, duplicates known) call
 * on_rows, then wait for the commit; returns its result. Whoever finds the
 * connection free runs what is queued or commits (no hand-off to the
 * writer thread and back), so concurrent callers share one transaction
 * and one fsync (group commit). Readings wait up to group_ms for others
 * (window_end) while that pays (window_done). on_rows runs without any history lock: it may wait for
 * locks whose holders wait for a commit. */
int live__hist_submit(live_hist *h, live_hjob *j, void (*on_rows)(void *ctx),
                      void *ctx, ct_err *err)
{
    j->sync = 1;
    pthread_mutex_lock(&h->mu);
    if (!h->head)
        h->due = mono_ms() + h->linger_ms;
    append(h, j);
    while (!j->inserted && !j->done) {
        if (!h->busy)
            run_queued(h);
        else
            pthread_cond_wait(&h->done, &h->mu);
    }
    if (on_rows && j->inserted && !(j->done && j->rc)) {
        pthread_mutex_unlock(&h->mu);
        on_rows(ctx);
        pthread_mutex_lock(&h->mu);
    }
    while (!j->done) {
        int64_t until = h->busy ? 0 : window_end(h, j);
        if (h->busy || (until && !j->leader)) {
            pthread_cond_wait(&h->done, &h->mu);
        } else if (until > mono_ms()) {
            struct timespec ts = {(time_t)(until / 1000),
                                  (long)(until % 1000) * 1000000L};
            pthread_cond_timedwait(&h->done, &h->mu, &ts);
        } else {
            commit(h);
        }
    }
    pthread_mutex_unlock(&h->mu);
    if (j->rc)
        ct_fail(err, j->rc, "%s", j->msg);
    return j->rc;
}
