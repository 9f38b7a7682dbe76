/* live/history_query.c: reads of the history database: the last sequence
 * number, a full scan for recomputation, series and state at a time.
 * Each call opens its own read-only connection (WAL lets it read while the
 * writer commits). */
#include "live/history.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "live/clock.h"

int live_hist_reader(live_hist *h, sqlite3 **db, ct_err *err)
{
    if (sqlite3_open_v2(h->path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        ct_fail(err, CT_EIO, "history %s: cannot open for reading: %s", h->path,
                *db ? sqlite3_errmsg(*db) : "out of memory");
        sqlite3_close(*db);
        *db = NULL;
        return CT_EIO;
    }
    sqlite3_busy_timeout(*db, 10000);
    return CT_OK;
}

static int prep(sqlite3 *db, const char *sql, sqlite3_stmt **st, ct_err *err)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
        return ct_fail(err, CT_EIO, "history: %s (in: %.80s)", sqlite3_errmsg(db),
                       sql);
    return CT_OK;
}

uint64_t live_hist_last_seq(live_hist *h)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    uint64_t seq = 0;
    if (live_hist_reader(h, &db, NULL))
        return 0;
    if (!prep(db, "SELECT max(COALESCE((SELECT max(seq) FROM changes), 0),"
                  " COALESCE((SELECT max(seq) FROM snapshots), 0))", &st, NULL)) {
        if (sqlite3_step(st) == SQLITE_ROW)
            seq = (uint64_t)sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return seq;
}

int live_hist_scan(live_hist *h, int64_t since,
                   void (*fn)(void *ctx, const live_obs *o), void *ctx, ct_err *err)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int rc = live_hist_reader(h, &db, err);
    if (rc)
        return rc;
    /* primary-key order; fusion keeps the newest value whatever the order */
    rc = prep(db, "SELECT entity, t, v0, v1, v2, v3 FROM obs WHERE t >= ? ORDER BY t",
              &st, err);
    if (!rc) {
        sqlite3_bind_int64(st, 1, since);
        while (sqlite3_step(st) == SQLITE_ROW) {
            live_obs o = {0};
            o.ent = live_ents_find(h->reg, (const char *)sqlite3_column_text(st, 0));
            if (o.ent < 0)
                continue;   /* an entity the store no longer has */
            o.t = sqlite3_column_int64(st, 1);
            for (int s = 0; s < LIVE_NVAL; s++)
                if (sqlite3_column_type(st, 2 + s) != SQLITE_NULL) {
                    o.v[s] = sqlite3_column_double(st, 2 + s);
                    o.mask |= 1u << s;
                }
            fn(ctx, &o);
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return rc;
}

static int valid_name(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
            return 0;
    return 1;
}

int live_hist_series(live_hist *h, const char *entity, const char *indicator,
                     int64_t from, int64_t to, int64_t step, json_t **out,
                     ct_err *err)
{
    *out = NULL;
    if (step <= 0 || to < from)
        return ct_fail(err, CT_EINVAL, "history: step must be > 0 and from <= to "
                       "(step %lld)", (long long)step);
    if ((to - from) / step > 100000)
        return ct_fail(err, CT_ETOOBIG, "history: %lld steps requested, limit "
                       "100000 (use a larger step)", (long long)((to - from) / step));
    int e = live_ents_find(h->reg, entity);
    if (e < 0)
        return ct_fail(err, CT_ENOTFOUND, "history: unknown entity '%.80s'", entity);
    const live_entity *en = &h->reg->ents[e];
    int slot = live_obs_value_slot(en->kind, indicator);
    char sql[768];
    if (slot >= 0) {
        snprintf(sql, sizeof sql,
            "SELECT (t / ?4) * ?4 AS b, sum(s) / sum(n) FROM ("
            " SELECT t, v%d AS s, 1 AS n FROM obs WHERE entity = ?1 AND t BETWEEN ?2"
            " AND ?3 AND v%d IS NOT NULL UNION ALL"
            " SELECT t, s%d, n%d FROM obs_ds WHERE entity = ?1 AND t BETWEEN ?2"
            " AND ?3 AND n%d > 0) GROUP BY b ORDER BY b", slot, slot, slot, slot, slot);
    } else if (en->kind == LIVE_AREA && valid_name(indicator)) {
        /* indicators of the city / a district: from the state-change log */
        snprintf(sql, sizeof sql,
            "SELECT (t / ?4) * ?4 AS b, avg(json_extract(json, '$.' || ?5))"
            " FROM changes WHERE topic = 'vitals' AND entity = ?1 AND t BETWEEN ?2"
            " AND ?3 AND json_extract(json, '$.' || ?5) IS NOT NULL"
            " GROUP BY b ORDER BY b");
    } else {
        return ct_fail(err, CT_EINVAL, "history: '%.40s' is not a value of %s "
                       "(a %s)", indicator, entity, live_kind_topic(en->kind));
    }
    sqlite3 *db;
    sqlite3_stmt *st;
    /* a place's series reads the state-change log: commit what lingers */
    int rc = slot < 0 ? live_hist_settle(h, err) : CT_OK;
    if (!rc)
        rc = live_hist_reader(h, &db, err);
    if (rc)
        return rc;
    rc = prep(db, sql, &st, err);
    if (!rc) {
        sqlite3_bind_text(st, 1, entity, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, from);
        sqlite3_bind_int64(st, 3, to);
        sqlite3_bind_int64(st, 4, step);
        if (slot < 0)
            sqlite3_bind_text(st, 5, indicator, -1, SQLITE_STATIC);
        *out = json_array();
        while (sqlite3_step(st) == SQLITE_ROW)
            json_array_append_new(*out, json_pack("[I, f]",
                (json_int_t)sqlite3_column_int64(st, 0), sqlite3_column_double(st, 1)));
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return rc;
}

static const char *STATE_TOPICS[] = {LIVE_TOPIC_VITALS, LIVE_TOPIC_ALERTS,
                                     LIVE_TOPIC_INCIDENTS, LIVE_TOPIC_BUILDINGS};

static json_t *empty_state(void)
{
    json_t *s = json_object();
    for (int i = 0; i < 4; i++)
        json_object_set_new(s, STATE_TOPICS[i], json_object());
    return s;
}

static void apply_change(json_t *state, const char *topic, const char *entity,
                         json_t *fields)
{
    json_t *t = json_object_get(state, topic);
    if (!t || !json_is_object(fields))
        return;
    json_t *cur = json_object_get(t, entity);
    if (!cur)
        json_object_set(t, entity, fields);
    else
        json_object_update(cur, fields);
}

int live_hist_state_at(live_hist *h, int64_t at, json_t **out, ct_err *err)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    *out = NULL;
    int rc = live_hist_settle(h, err);   /* every change published so far */
    if (!rc)
        rc = live_hist_reader(h, &db, err);
    if (rc)
        return rc;
    json_t *state = NULL;
    int64_t from_seq = 0;
    rc = prep(db, "SELECT seq, json FROM snapshots WHERE t <= ?"
                  " ORDER BY t DESC, seq DESC LIMIT 1", &st, err);
    if (!rc) {
        sqlite3_bind_int64(st, 1, at);
        if (sqlite3_step(st) == SQLITE_ROW) {
            from_seq = sqlite3_column_int64(st, 0);
            state = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
        }
        sqlite3_finalize(st);
        if (!json_is_object(state)) {
            json_decref(state);
            state = empty_state();
        }
        rc = prep(db, "SELECT topic, entity, json FROM changes WHERE seq > ?"
                      " AND t <= ? AND topic IN ('vitals', 'alerts', 'incidents',"
                      " 'buildings') ORDER BY seq", &st, err);
    }
    if (!rc) {
        sqlite3_bind_int64(st, 1, from_seq);
        sqlite3_bind_int64(st, 2, at);
        while (sqlite3_step(st) == SQLITE_ROW) {
            json_t *f = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
            apply_change(state, (const char *)sqlite3_column_text(st, 0),
                         (const char *)sqlite3_column_text(st, 1), f);
            json_decref(f);
        }
        sqlite3_finalize(st);
        /* an alert cleared before T is not part of the picture at T */
        json_t *alerts = json_object_get(state, LIVE_TOPIC_ALERTS);
        const char *k;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(alerts, tmp, k, v) {
            const char *status = json_string_value(json_object_get(v, "status"));
            if (status && !strcmp(status, "cleared"))
                json_object_del(alerts, k);
        }
        json_object_set_new(state, "at", live_time_json(at));
        *out = state;
        state = NULL;
    }
    json_decref(state);
    sqlite3_close(db);
    return rc;
}

int live_hist_load_incidents(live_hist *h, json_t **out, ct_err *err)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    *out = NULL;
    int rc = live_hist_reader(h, &db, err);
    if (rc)
        return rc;
    rc = prep(db, "SELECT json FROM incidents ORDER BY rowid", &st, err);
    if (!rc) {
        *out = json_array();
        while (sqlite3_step(st) == SQLITE_ROW) {
            json_t *j = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
            if (json_is_object(j))
                json_array_append(*out, j);
            json_decref(j);
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return rc;
}

int live_hist_incident_log(live_hist *h, const char *id, json_t **out,
                           ct_err *err)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    *out = NULL;
    int rc = live_hist_reader(h, &db, err);
    if (rc)
        return rc;
    rc = prep(db, "SELECT t, actor, action, detail FROM incident_log"
                  " WHERE incident = ? ORDER BY rowid", &st, err);
    if (!rc) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        *out = json_array();
        while (sqlite3_step(st) == SQLITE_ROW) {
            json_t *d = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);
            json_t *row = json_pack("{s:o, s:s, s:s}",
                "t", live_time_json(sqlite3_column_int64(st, 0)),
                "actor", (const char *)sqlite3_column_text(st, 1),
                "action", (const char *)sqlite3_column_text(st, 2));
            json_object_set_new(row, "detail", d ? d : json_object());
            json_array_append_new(*out, row);
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return rc;
}

/* The slots a kind reports (live_obs mask bits). */
static unsigned kind_mask(int kind)
{
    unsigned m = 0;
    for (int s = 0; s < LIVE_NVAL; s++)
        if (live_obs_value_name(kind, s))
            m |= 1u << s;
    return m;
}

/* Raw rows newest first: the newest sets out->t, older ones within fill_ms
 * of it only fill the slots still missing (a feed may send values apart). */
static int entity_raw(sqlite3 *db, const char *entity, int64_t from, int64_t at,
                      int64_t fill_ms, unsigned want, live_obs *out, ct_err *err)
{
    sqlite3_stmt *st;
    int rc = prep(db, "SELECT t, v0, v1, v2, v3 FROM obs WHERE entity = ?1"
                      " AND t BETWEEN ?2 AND ?3 ORDER BY t DESC", &st, err);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, entity, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, at);
    while ((out->mask & want) != want && sqlite3_step(st) == SQLITE_ROW) {
        int64_t t = sqlite3_column_int64(st, 0);
        if (!out->t)
            out->t = t;
        else if (t < out->t - fill_ms)
            break;
        for (int s = 0; s < LIVE_NVAL; s++)
            if (!(out->mask & (1u << s)) && sqlite3_column_type(st, 1 + s) != SQLITE_NULL) {
                out->v[s] = sqlite3_column_double(st, 1 + s);
                out->mask |= 1u << s;
            }
    }
    sqlite3_finalize(st);
    return CT_OK;
}

int live_hist_bucket_prepare(sqlite3 *db, sqlite3_stmt **st, ct_err *err)
{
    return prep(db, "SELECT t, n0, s0, n1, s1, n2, s2, n3, s3 FROM obs_ds"
                    " WHERE entity = ?1 AND t BETWEEN ?2 AND ?3"
                    " ORDER BY t DESC LIMIT 1", st, err);
}

int live_hist_bucket_read(sqlite3_stmt *st, const char *entity, int64_t from,
                          int64_t at, live_obs *out)
{
    sqlite3_bind_text(st, 1, entity, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, from - LIVE_BUCKET_MS);
    sqlite3_bind_int64(st, 3, at);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        out->t = sqlite3_column_int64(st, 0);
        for (int k = 0; k < LIVE_NVAL; k++) {
            sqlite3_int64 n = sqlite3_column_int64(st, 1 + 2 * k);
            if (n > 0) {
                out->v[k] = sqlite3_column_double(st, 2 + 2 * k) / (double)n;
                out->mask |= 1u << k;
            }
        }
    }
    sqlite3_reset(st);
    return s == SQLITE_ROW ? 1 : s == SQLITE_DONE ? 0 : CT_EIO;
}

int live_hist_entity_at(live_hist *h, const char *entity, int64_t from,
                        int64_t at, int64_t fill_ms, live_obs *out, int *bucket,
                        ct_err *err)
{
    memset(out, 0, sizeof *out);
    *bucket = 0;
    int e = live_ents_find(h->reg, entity);
    if (e < 0)
        return ct_fail(err, CT_ENOTFOUND, "history: unknown entity '%.80s'", entity);
    out->ent = e;
    sqlite3 *db;
    /* observations are committed before their ingest returns: no settle */
    int rc = live_hist_reader(h, &db, err);
    if (rc)
        return rc;
    rc = entity_raw(db, entity, from, at, fill_ms, kind_mask(h->reg->ents[e].kind),
                    out, err);
    sqlite3_stmt *st = NULL;
    if (!rc && !out->t && !(rc = live_hist_bucket_prepare(db, &st, err))) {
        live_hist_bucket_read(st, entity, from, at, out);   /* none: out->t 0 */
        *bucket = out->t != 0;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

int live_hist_all_at(live_hist *h, int64_t from, int64_t at,
                     const int64_t fill_ms[LIVE_NKINDS], live_obs *out, ct_err *err)
{
    const live_registry *reg = h->reg;
    memset(out, 0, (size_t)reg->n * sizeof *out);
    sqlite3 *db;
    sqlite3_stmt *st;
    int rc = live_hist_reader(h, &db, err);
    if (rc)
        return rc;
    rc = prep(db, "SELECT entity, t, v0, v1, v2, v3 FROM obs WHERE t BETWEEN ?1 AND ?2"
                  " ORDER BY t DESC", &st, err);
    if (!rc) {
        sqlite3_bind_int64(st, 1, from);
        sqlite3_bind_int64(st, 2, at);
        int s;
        while ((s = sqlite3_step(st)) == SQLITE_ROW) {
            int e = live_ents_find(reg, (const char *)sqlite3_column_text(st, 0));
            if (e < 0)
                continue;   /* an entity the store no longer has */
            live_obs *o = &out[e];
            int64_t t = sqlite3_column_int64(st, 1);
            if (!o->t) {
                o->t = t;
                o->ent = e;
            } else if (t < o->t - fill_ms[reg->ents[e].kind]) {
                continue;
            }
            for (int k = 0; k < LIVE_NVAL; k++)
                if (!(o->mask & (1u << k)) && sqlite3_column_type(st, 2 + k) != SQLITE_NULL) {
                    o->v[k] = sqlite3_column_double(st, 2 + k);
                    o->mask |= 1u << k;
                }
        }
        if (s != SQLITE_DONE)
            rc = ct_fail(err, CT_EIO, "history: %s (reading every entity at %lld)",
                         sqlite3_errmsg(db), (long long)at);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return rc;
}
