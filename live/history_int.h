/* live/history_int.h: what the history's two halves share: its jobs
 * (history.c makes and runs them) and the group commit that queues and
 * commits them (history_commit.c). Internal to live/history*.c. */
#ifndef LIVE_HISTORY_INT_H
#define LIVE_HISTORY_INT_H

#include "live/history.h"

enum { J_OBS, J_CHANGE, J_SNAPSHOT, J_INCIDENT, J_PRUNE, J_FLUSH };
enum { S_OBS, S_CHANGE, S_SNAP, S_INC, S_AUDIT, S_BEGIN, S_COMMIT };

struct live_hjob {
    live_hjob *next;
    int type, sync, done, rc;
    int inserted;                /* its rows are in the open transaction */
    int leader;                  /* keeps its transaction's group window */
    char msg[256];
    /* J_OBS */
    const live_obs *obs;
    int n;
    unsigned char *dup;
    /* text rows: J_CHANGE (i1 seq, i2 t, s1 topic, s2 entity, s3 json),
     * J_SNAPSHOT (i1 seq, i2 t, s3 json), J_INCIDENT (s1 id, s3 json,
     * i2 t, s2 actor, s4 action, s5 detail), J_PRUNE (i2 cutoff; i1 out:
     * more rows to fold) */
    int64_t i1, i2;
    char *s1, *s2, *s3, *s4, *s5;
};

/* history.c */
void live__hjob_free(live_hjob *j);
/* Step a prepared statement to its end and reset it; -1 unless DONE. */
int live__hist_step(sqlite3_stmt *st);
/* Run j's statements on the write connection; -1 when one failed. */
int live__hjob_run(live_hist *h, live_hjob *j);

/* history_commit.c */
/* Queue a row nobody waits for. */
void live__hist_enqueue(live_hist *h, live_hjob *j);
/* Queue j, call on_rows (when not NULL) once its rows are in the open
 * transaction, then wait for the commit; returns its result. */
int live__hist_submit(live_hist *h, live_hjob *j, void (*on_rows)(void *ctx),
                      void *ctx, ct_err *err);
/* The writer thread (commits rows nobody waits for). */
void *live__hist_writer(void *arg);

#endif
