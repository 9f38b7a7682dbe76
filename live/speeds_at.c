/* live/speeds_at.c: road speeds at a past time (see speeds_at.h). One
 * range read of the raw observations over the staleness window before the
 * time, newest first (primary key: time first), keeping per road the
 * newest speed and the newest observation of any kind, as the live fusion
 * does; it stops once every road has its speed (a busy history: one
 * reading per road a second would otherwise mean millions of rows); then
 * the same staleness rule as live_fusion_freshness. */
#include "live/speeds_at.h"

#include <stdlib.h>
#include <string.h>

int live_speeds_at(live_engine *e, int64_t at, float *kmh, ct_err *err)
{
    const live_registry *reg = e->reg;
    memset(kmh, 0, (size_t)reg->n * sizeof *kmh);
    pthread_mutex_lock(&e->mu);
    double periods = e->thr->stale_periods;
    pthread_mutex_unlock(&e->mu);
    int64_t window = 0;   /* the longest silence a road may keep */
    int roads = 0, found = 0;
    for (int i = 0; i < reg->n; i++)
        if (reg->ents[i].kind == LIVE_ROAD) {
            roads++;
            if (reg->ents[i].period_s * periods * 1000 > window)
                window = (int64_t)(reg->ents[i].period_s * periods * 1000);
        }
    if (window <= 0)
        return 0;
    int64_t *last = calloc((size_t)reg->n + 1, sizeof *last);   /* any value */
    int64_t *vt = calloc((size_t)reg->n + 1, sizeof *vt);       /* the speed's */
    if (!last || !vt) {
        free(last), free(vt);
        return ct_fail(err, CT_ENOMEM, "speeds at a time: out of memory");
    }
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int slot = live_obs_value_slot(LIVE_ROAD, "speed_kmh");
    int rc = live_hist_reader(e->hist, &db, err);
    if (!rc && sqlite3_prepare_v2(db, "SELECT entity, t, v0, v1, v2, v3 FROM obs "
                                  "WHERE t > ? AND t <= ? ORDER BY t DESC", -1, &st, NULL) != SQLITE_OK)
        rc = ct_fail(err, CT_EIO, "history: %s (reading speeds at %lld)",
                     sqlite3_errmsg(db), (long long)at);
    if (!rc) {
        sqlite3_bind_int64(st, 1, at - window);
        sqlite3_bind_int64(st, 2, at);
        int s = SQLITE_DONE;
        while (found < roads && (s = sqlite3_step(st)) == SQLITE_ROW) {
            int ent = live_ents_find(reg, (const char *)sqlite3_column_text(st, 0));
            if (ent < 0 || reg->ents[ent].kind != LIVE_ROAD)
                continue;
            int64_t t = sqlite3_column_int64(st, 1);   /* newest first */
            if (!last[ent])
                last[ent] = t;
            if (slot >= 0 && !vt[ent] && sqlite3_column_type(st, 2 + slot) != SQLITE_NULL) {
                vt[ent] = t;
                kmh[ent] = (float)sqlite3_column_double(st, 2 + slot);
                found++;
            }
        }
        if (found < roads && s != SQLITE_DONE)
            rc = ct_fail(err, CT_EIO, "history: %s (reading speeds at %lld)",
                         sqlite3_errmsg(db), (long long)at);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    int n = 0;
    for (int i = 0; i < reg->n; i++) {
        /* stale then: silent longer than its periods (live_fusion_freshness) */
        if (rc || !vt[i] || (double)(at - last[i]) > periods * 1000.0 * reg->ents[i].period_s ||
            !(kmh[i] > 0))
            kmh[i] = 0;
        n += kmh[i] > 0;
    }
    free(last), free(vt);
    return rc ? rc : n;
}
