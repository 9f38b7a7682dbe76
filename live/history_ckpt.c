/* live/history_ckpt.c: the history's WAL is copied back into the database
 * (a checkpoint) by a thread of its own at low priority, not by the
 * commit that crossed the threshold. SQLite's automatic checkpoint ran
 * inside an ingest request: ~1,000 pages copied and synced every ~1,000
 * commits, in the request and on the core the push thread shares
 * (docs/LIVE.md "Checkpoints").
 * The thread runs PASSIVE checkpoints: they never block the writer or the
 * readers; the next commit after a complete one starts the WAL over. */
#include "live/history.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* After each commit on the write connection (SQLite calls it there). */
static int on_wal(void *arg, sqlite3 *db, const char *name, int pages)
{
    live_hist *h = arg;
    int limit = __atomic_load_n(&h->ckpt_pages, __ATOMIC_RELAXED);
    if (pages < limit)
        return SQLITE_OK;
    if (pages >= limit + limit / 4) {
        /* The WAL did not start over: commits came while the thread
         * copied (the simulator's do, every few ms), or the thread is
         * behind. The rest is copied here, where no commit can come in
         * between: only the frames the thread has not copied yet, a few
         * as a rule; then the next commit starts the WAL over. */
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL,
                                  NULL);
        return SQLITE_OK;
    }
    pthread_mutex_lock(&h->ckpt_mu);
    h->ckpt_req = 1;
    pthread_cond_signal(&h->ckpt_cv);
    pthread_mutex_unlock(&h->ckpt_mu);
    return SQLITE_OK;
}

static void *ckpt_main(void *arg)
{
    live_hist *h = arg;
    pthread_setname_np(pthread_self(), "ct-ckpt");   /* for top and perf */
    /* nice 10: on a busy core the copy waits for the push thread and the
     * requests (an unprivileged thread may lower its own priority) */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
    pthread_mutex_lock(&h->ckpt_mu);
    for (;;) {
        while (!h->ckpt_req && !h->ckpt_stop)
            pthread_cond_wait(&h->ckpt_cv, &h->ckpt_mu);
        if (h->ckpt_stop)
            break;
        h->ckpt_req = 0;
        pthread_mutex_unlock(&h->ckpt_mu);
        int rc = sqlite3_wal_checkpoint_v2(h->ckpt_db, "main",
                                           SQLITE_CHECKPOINT_PASSIVE, NULL,
                                           NULL);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            fprintf(stderr, "citytwin: history %s: checkpoint: %s\n", h->path,
                    sqlite3_errmsg(h->ckpt_db));
        pthread_mutex_lock(&h->ckpt_mu);
        if (rc == SQLITE_OK)
            h->checkpoints++;
    }
    pthread_mutex_unlock(&h->ckpt_mu);
    return NULL;
}

int live_ckpt_start(live_hist *h, int sync_full, ct_err *err)
{
    h->ckpt_pages = LIVE_HIST_CKPT_PAGES;
    if (sqlite3_open_v2(h->path, &h->ckpt_db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        ct_fail(err, CT_EIO, "history %s: checkpoint connection: %s", h->path,
                h->ckpt_db ? sqlite3_errmsg(h->ckpt_db) : "out of memory");
        sqlite3_close(h->ckpt_db);
        h->ckpt_db = NULL;
        return CT_EIO;
    }
    /* the copy into the database is synced as the writer's commits are */
    sqlite3_exec(h->ckpt_db, sync_full ? "PRAGMA synchronous=FULL"
                                       : "PRAGMA synchronous=NORMAL",
                 NULL, NULL, NULL);
    pthread_mutex_init(&h->ckpt_mu, NULL);
    pthread_cond_init(&h->ckpt_cv, NULL);
    if (pthread_create(&h->ckpt_thread, NULL, ckpt_main, h)) {
        pthread_mutex_destroy(&h->ckpt_mu);
        pthread_cond_destroy(&h->ckpt_cv);
        sqlite3_close(h->ckpt_db);
        h->ckpt_db = NULL;
        return ct_fail(err, CT_ERR, "history %s: cannot start the checkpoint "
                       "thread", h->path);
    }
    /* replaces SQLite's automatic checkpoint on this connection */
    sqlite3_wal_hook(h->db, on_wal, h);
    return CT_OK;
}

void live_ckpt_stop(live_hist *h)
{
    if (!h->ckpt_db)
        return;
    sqlite3_wal_hook(h->db, NULL, NULL);   /* nobody commits any more */
    pthread_mutex_lock(&h->ckpt_mu);
    h->ckpt_stop = 1;
    pthread_cond_signal(&h->ckpt_cv);
    pthread_mutex_unlock(&h->ckpt_mu);
    pthread_join(h->ckpt_thread, NULL);
    sqlite3_close(h->ckpt_db);
    h->ckpt_db = NULL;
    pthread_mutex_destroy(&h->ckpt_mu);
    pthread_cond_destroy(&h->ckpt_cv);
}
