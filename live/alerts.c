/* live/alerts.c: alert lifecycle (see alerts.h). */
#include "live/alerts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live/clock.h"

void live_alerts_init(live_alerts *al)
{
    memset(al, 0, sizeof *al);
    live_map_init(&al->open);
    live_map_init(&al->by_id);
}

void live_alerts_free(live_alerts *al)
{
    free(al->a);
    live_map_free(&al->open);
    live_map_free(&al->by_id);
    memset(al, 0, sizeof *al);
}

const char *live_alert_status_name(int s)
{
    return s == LIVE_AL_ACKED ? "acknowledged" : s == LIVE_AL_CLEARED ? "cleared"
                                                                      : "active";
}

static void open_key(char *buf, size_t n, const char *rule, const char *entity)
{
    snprintf(buf, n, "%s\t%s", rule, entity);
}

static live_alert *push(live_alerts *al, int *idx)
{
    if (al->n == al->cap) {
        int ncap = al->cap ? al->cap * 2 : 32;
        live_alert *na = realloc(al->a, (size_t)ncap * sizeof *na);
        if (!na)
            return NULL;
        al->a = na;
        al->cap = ncap;
    }
    *idx = al->n++;
    memset(&al->a[*idx], 0, sizeof al->a[*idx]);
    return &al->a[*idx];
}

/* Index the alert under its id and, while uncleared, under rule+entity. */
static void index_alert(live_alerts *al, int i)
{
    live_alert *a = &al->a[i];
    char key[256];
    live_map_put(&al->by_id, a->id, i);
    open_key(key, sizeof key, a->rule, a->entity);
    live_map_put(&al->open, key, a->status == LIVE_AL_CLEARED ? -1 : i);
}

int live_alerts_eval(live_alerts *al, const live_rule *r, const char *entity,
                     const char *district, double v, int64_t now, int *idx)
{
    char key[256];
    open_key(key, sizeof key, r->id, entity);
    int i = live_map_get(&al->open, key);
    int cur = i >= 0 ? al->a[i].level : 0;
    int lv = live_rule_level(r, v, cur);
    *idx = i;
    if (lv == cur) {
        if (i >= 0 && isfinite(v))
            al->a[i].value = v;   /* quietly current, not a change */
        return LIVE_AL_NOCHANGE;
    }
    if (i < 0) {
        live_alert *a = push(al, &i);
        if (!a)
            return LIVE_AL_NOCHANGE;
        snprintf(a->rule, sizeof a->rule, "%s", r->id);
        snprintf(a->entity, sizeof a->entity, "%s", entity);
        snprintf(a->title, sizeof a->title, "%s", r->title);
        snprintf(a->district, sizeof a->district, "%s", district ? district : "");
        snprintf(a->id, sizeof a->id, "%s:%s:%lld", r->id, entity,
                 (long long)(now / 1000));
        /* a second episode in the same second keeps ids unique */
        for (int k = 2; live_map_get(&al->by_id, a->id) >= 0 && k < 1000; k++)
            snprintf(a->id, sizeof a->id, "%s:%s:%lld.%d", r->id, entity,
                     (long long)(now / 1000), k);
        a->raised = a->updated = now;
        a->level = lv;
        a->value = v;
        a->threshold = r->at[lv];
        a->status = LIVE_AL_ACTIVE;
        index_alert(al, i);
        *idx = i;
        return LIVE_AL_RAISED;
    }
    live_alert *a = &al->a[i];
    a->value = v;
    a->updated = now;
    if (lv == 0) {
        a->status = LIVE_AL_CLEARED;
        a->cleared = now;
        index_alert(al, i);
        return LIVE_AL_CLEARED_NOW;
    }
    if (lv > a->level && a->status == LIVE_AL_ACKED) {
        a->status = LIVE_AL_ACTIVE;   /* more severe: acknowledge again */
        a->acked_by[0] = '\0';
        a->acked_at = 0;
    }
    a->level = lv;
    a->threshold = r->at[lv];
    return LIVE_AL_UPDATED;
}

int live_alerts_external(live_alerts *al, const char *id, const char *title,
                         const char *entity, int level, int64_t now, int *idx)
{
    int i = live_map_get(&al->by_id, id);
    *idx = i;
    if (i >= 0 && al->a[i].status == LIVE_AL_CLEARED && level > 0)
        i = -1;   /* the same source id raised again: a new episode below */
    if (i < 0) {
        if (level <= 0)
            return LIVE_AL_NOCHANGE;
        live_alert *a = push(al, &i);
        if (!a)
            return LIVE_AL_NOCHANGE;
        snprintf(a->id, sizeof a->id, "%s", id);
        snprintf(a->rule, sizeof a->rule, "external");
        snprintf(a->entity, sizeof a->entity, "%s", entity ? entity : id);
        snprintf(a->title, sizeof a->title, "%s", title ? title : "External alert");
        a->raised = a->updated = now;
        a->level = level;
        a->value = a->threshold = NAN;
        index_alert(al, i);
        *idx = i;
        return LIVE_AL_RAISED;
    }
    live_alert *a = &al->a[i];
    if (level == a->level)
        return LIVE_AL_NOCHANGE;
    a->updated = now;
    if (level <= 0) {
        a->status = LIVE_AL_CLEARED;
        a->cleared = now;
        index_alert(al, i);
        return LIVE_AL_CLEARED_NOW;
    }
    if (level > a->level && a->status == LIVE_AL_ACKED)
        a->status = LIVE_AL_ACTIVE;
    a->level = level;
    return LIVE_AL_UPDATED;
}

int live_alerts_ack(live_alerts *al, const char *id, const char *who,
                     int64_t now, int *idx, ct_err *err)
{
    int i = live_map_get(&al->by_id, id);
    *idx = i;
    if (i < 0)
        return ct_fail(err, CT_ENOTFOUND, "alert %s does not exist", id);
    live_alert *a = &al->a[i];
    if (a->status == LIVE_AL_CLEARED)
        return ct_fail(err, CT_ECONFLICT, "alert %s is already cleared", id);
    if (!who || !*who)
        return ct_fail(err, CT_EINVAL, "alert %s: acknowledging needs an operator "
                       "name", id);
    a->status = LIVE_AL_ACKED;
    snprintf(a->acked_by, sizeof a->acked_by, "%s", who);
    a->acked_at = now;
    return CT_OK;
}

void live_alerts_prune(live_alerts *al, int64_t cutoff)
{
    int w = 0;
    for (int i = 0; i < al->n; i++)
        if (!(al->a[i].status == LIVE_AL_CLEARED && al->a[i].cleared < cutoff))
            al->a[w++] = al->a[i];
    if (w == al->n)
        return;
    al->n = w;
    live_map_free(&al->open);
    live_map_free(&al->by_id);
    live_map_init(&al->open);
    live_map_init(&al->by_id);
    for (int i = 0; i < al->n; i++)
        index_alert(al, i);
}

static void set_time(json_t *o, const char *k, int64_t t)
{
    json_object_set_new(o, k, t ? live_time_json(t) : json_null());
}

json_t *live_alert_json(const live_alert *a)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s}",
        "id", a->id, "rule", a->rule, "entity", a->entity, "title", a->title,
        "level", live_level_name(a->level), "level_n", a->level,
        "status", live_alert_status_name(a->status));
    json_object_set_new(o, "district", a->district[0] ? json_string(a->district)
                                                      : json_null());
    json_object_set_new(o, "value", isfinite(a->value) ? json_real(a->value) : json_null());
    json_object_set_new(o, "threshold", isfinite(a->threshold) ? json_real(a->threshold)
                                                               : json_null());
    set_time(o, "raised_at", a->raised);
    set_time(o, "updated_at", a->updated);
    set_time(o, "acked_at", a->acked_at);
    json_object_set_new(o, "acked_by", a->acked_by[0] ? json_string(a->acked_by)
                                                      : json_null());
    set_time(o, "cleared_at", a->cleared);
    json_object_set_new(o, "incident", a->incident[0] ? json_string(a->incident)
                                                      : json_null());
    return o;
}

static void copy_str(char *dst, size_t n, const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    snprintf(dst, n, "%s", s ? s : "");
}

int live_alerts_restore(live_alerts *al, const json_t *j)
{
    const char *id = json_string_value(json_object_get(j, "id"));
    if (!id || live_map_get(&al->by_id, id) >= 0)
        return -1;
    int i;
    live_alert *a = push(al, &i);
    if (!a)
        return -1;
    copy_str(a->id, sizeof a->id, j, "id");
    copy_str(a->rule, sizeof a->rule, j, "rule");
    copy_str(a->entity, sizeof a->entity, j, "entity");
    copy_str(a->title, sizeof a->title, j, "title");
    copy_str(a->district, sizeof a->district, j, "district");
    copy_str(a->acked_by, sizeof a->acked_by, j, "acked_by");
    copy_str(a->incident, sizeof a->incident, j, "incident");
    a->level = live_level_of(json_string_value(json_object_get(j, "level")));
    if (a->level < 0)
        a->level = 0;
    const char *st = json_string_value(json_object_get(j, "status"));
    a->status = st && !strcmp(st, "acknowledged") ? LIVE_AL_ACKED
                : st && !strcmp(st, "cleared") ? LIVE_AL_CLEARED : LIVE_AL_ACTIVE;
    json_t *v = json_object_get(j, "value"), *th = json_object_get(j, "threshold");
    a->value = json_is_number(v) ? json_number_value(v) : NAN;
    a->threshold = json_is_number(th) ? json_number_value(th) : NAN;
    a->raised = live_time_field(j, "raised_at");
    a->updated = live_time_field(j, "updated_at");
    a->acked_at = live_time_field(j, "acked_at");
    a->cleared = live_time_field(j, "cleared_at");
    index_alert(al, i);
    return i;
}
