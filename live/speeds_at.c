/* live/speeds_at.c: road speeds at a past time (see speeds_at.h). One
 * range read of the raw observations over the staleness window before the
 * time, newest first (primary key: time first), keeping per road the
 * newest speed and the newest observation of any kind, as the live fusion
 * does; it stops once every road has its speed (a busy history: one
 * reading per road a second would otherwise mean millions of rows). Where
 * the window reaches past the raw rows (folded into 5-minute means past
 * the retention), the means stand in. Then the same staleness rule as
 * live_fusion_freshness. */
#include "live/speeds_at.h"

#include <stdlib.h>
#include <string.h>

/* The oldest raw observation's time (the primary key's first column: one
 * seek), 0 when there is none. */
static int64_t oldest_raw(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int64_t t = 0;
    if (sqlite3_prepare_v2(db, "SELECT min(t) FROM obs", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        t = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return t;
}

/* Roads still without a speed: the newest 5-minute mean starting at most
 * a bucket before the window, seen until its bucket's end, as
 * live_entity_state_at reads a bucket. */
static int bucket_speeds(sqlite3 *db, const live_registry *reg, int64_t at,
                         int64_t window, int slot, float *kmh, int64_t *last,
                         int64_t *vt, ct_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = live_hist_bucket_prepare(db, &st, err);
    for (int i = 0; i < reg->n && !rc; i++) {
        if (reg->ents[i].kind != LIVE_ROAD || vt[i])
            continue;
        live_obs o = {0};
        int got = live_hist_bucket_read(st, reg->ents[i].id, at - window, at, &o);
        if (got < 0)
            rc = ct_fail(err, CT_EIO, "history: %s (reading 5-minute speeds at %lld)",
                         sqlite3_errmsg(db), (long long)at);
        else if (got && (o.mask & (1u << slot))) {
            int64_t end = o.t + LIVE_BUCKET_MS;
            vt[i] = end < at ? end : at;
            if (vt[i] > last[i])
                last[i] = vt[i];
            kmh[i] = (float)o.v[slot];
        }
    }
    sqlite3_finalize(st);
    return rc;
}

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
    if (!rc && found < roads && slot >= 0) {
        int64_t oldest = oldest_raw(db);
        if (!oldest || at - window < oldest)   /* the window reaches folded time */
            rc = bucket_speeds(db, reg, at, window, slot, kmh, last, vt, err);
    }
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
