/* live/fusion.c: entity states and place aggregates (see fusion.h). */
#include "live/fusion.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "live/clock.h"

static int has(const live_estate *s, int slot)
{
    return s->vt[slot] > 0;
}

live_contrib live_fusion_contrib(const live_entity *e, const live_estate *s)
{
    live_contrib c;
    memset(&c, 0, sizeof c);
    switch (e->kind) {
    case LIVE_ROAD:
        if (has(s, LV_SPEED)) {
            double idx = live_ind_segment_index(e->band, s->v[LV_SPEED]);
            double w = live_ind_band_weight(e->band) * e->length_m;
            c.tpi_num = w * idx;
            c.tpi_den = w;
            c.congested_m = idx >= 6 ? e->length_m : 0;
            c.traffic_n = 1;
        }
        break;
    case LIVE_PARK: {
        double total = has(s, LV_TOTAL) ? s->v[LV_TOTAL] : e->capacity;
        if (has(s, LV_FREE) && total > 0) {
            c.park_total = total;
            c.park_free = fmin(s->v[LV_FREE], total);
            c.park_full = c.park_free <= 0;
            c.park_n = 1;
        }
        break;
    }
    case LIVE_WATER:
        if (has(s, LV_LEVEL)) {
            c.water_n = 1;
            c.above_warning = isfinite(e->warning) && s->v[LV_LEVEL] >= e->warning;
            c.above_guarantee = isfinite(e->guarantee) &&
                                s->v[LV_LEVEL] >= e->guarantee;
        }
        if (has(s, LV_RAIN)) {
            c.rain = s->v[LV_RAIN];
            c.rain_n = 1;
        }
        break;
    case LIVE_AREA:
        if (has(s, LV_RAINH)) {
            c.rain = s->v[LV_RAINH];
            c.rain_n = 1;
        }
        break;
    }
    return c;
}

/* The places an entity counts in: its district (if any) and the city. */
static int places_of(const live_fusion *f, const live_entity *e, int out[2])
{
    int n = 0;
    if (e->district >= 0 && e->district < f->nplaces - 1)
        out[n++] = e->district;
    out[n++] = live_fusion_city(f);
    return n;
}

static int add_member(live_fusion *f, int p, int ent)
{
    int *m = realloc(f->members[p], (size_t)(f->nmembers[p] + 1) * sizeof *m);
    if (!m)
        return -1;
    m[f->nmembers[p]++] = ent;
    f->members[p] = m;
    return 0;
}

int live_fusion_init(live_fusion *f, const live_registry *r)
{
    memset(f, 0, sizeof *f);
    f->reg = r;
    f->rewalk = 1;
    f->nplaces = r->nd + 1;
    f->st = calloc((size_t)(r->n ? r->n : 1), sizeof *f->st);
    f->fresh = calloc((size_t)(r->n ? r->n : 1), sizeof *f->fresh);
    f->agg = calloc((size_t)f->nplaces, sizeof *f->agg);
    f->members = calloc((size_t)f->nplaces, sizeof *f->members);
    f->nmembers = calloc((size_t)f->nplaces, sizeof *f->nmembers);
    f->dirty = calloc((size_t)f->nplaces, 1);
    f->mdirty = calloc((size_t)f->nplaces, 1);
    f->prev_stale = calloc((size_t)f->nplaces * LIVE_NKINDS, sizeof(int));
    f->prev_total = calloc((size_t)f->nplaces * LIVE_NKINDS, sizeof(int));
    if (!f->st || !f->fresh || !f->agg || !f->members || !f->nmembers || !f->dirty ||
        !f->mdirty || !f->prev_stale || !f->prev_total) {
        live_fusion_free(f);
        return CT_ENOMEM;
    }
    for (int p = 0; p < f->nplaces; p++)
        live_agg_init(&f->agg[p]);
    for (int i = 0; i < r->n; i++) {
        const live_entity *e = &r->ents[i];
        int pl[2];
        f->fresh[i].period_s = e->period_s;
        f->fresh[i].kind = (signed char)e->kind;
        f->fresh[i].place = (short)(places_of(f, e, pl) == 2 ? pl[0] : -1);
    }
    for (int i = 0; i < r->n; i++) {
        const live_entity *e = &r->ents[i];
        if (e->kind != LIVE_WATER && e->kind != LIVE_AREA)
            continue;
        int pl[2], np = places_of(f, e, pl);
        for (int k = 0; k < np; k++)
            if (add_member(f, pl[k], i)) {
                live_fusion_free(f);
                return CT_ENOMEM;
            }
    }
    live_fusion_rebuild(f);
    return CT_OK;
}

void live_fusion_free(live_fusion *f)
{
    for (int p = 0; f->members && p < f->nplaces; p++)
        free(f->members[p]);
    free(f->members);
    free(f->nmembers);
    free(f->st);
    free(f->fresh);
    free(f->agg);
    free(f->dirty);
    free(f->mdirty);
    free(f->prev_stale);
    free(f->prev_total);
    memset(f, 0, sizeof *f);
}

/* When x, last heard at heard, turns stale: silent longer than periods
 * of its own. */
static double stale_after(const live_fresh *x, int64_t heard, double periods)
{
    return (double)heard + periods * 1000.0 * x->period_s;
}

/* An entity was heard from: its time to turn stale may come before the
 * walk's earliest (a first reading older than f->since). */
static void note_heard(live_fusion *f, int ent)
{
    const live_fresh *x = &f->fresh[ent];
    double d = stale_after(x, x->last, f->walked_periods);
    if (x->kind != LIVE_AREA && d < (double)f->fresh_until)
        f->fresh_until = (int64_t)d;
}

int live_fusion_apply(live_fusion *f, const live_obs *o)
{
    const live_entity *e = &f->reg->ents[o->ent];
    live_estate *s = &f->st[o->ent];
    int changed = 0;
    live_contrib old = s->c;
    for (int k = 0; k < LIVE_NVAL; k++) {
        if (!(o->mask & (1u << k)) || o->t <= s->vt[k])
            continue;   /* only a newer value replaces the one we hold */
        s->vt[k] = o->t;
        s->v[k] = o->v[k];
        changed = 1;
    }
    if (o->t > s->last) {
        f->fresh[o->ent].last = s->last = o->t;
        note_heard(f, o->ent);
    }
    if (!changed)
        return 0;
    if (f->fresh[o->ent].stale)
        f->rewalk = 1;                        /* its counts move at the tick */
    s->stale = f->fresh[o->ent].stale = 0;   /* news: fresh until the tick */
    s->c = live_fusion_contrib(e, s);
    int pl[2], np = places_of(f, e, pl);
    for (int k = 0; k < np; k++) {
        live_contrib_add(&f->agg[pl[k]].s, &old, -1);
        live_contrib_add(&f->agg[pl[k]].s, &s->c, +1);
        f->dirty[pl[k]] = 1;
        /* only water stations and weather places feed the settled fields:
         * a road's reading skips the walk over the city's members */
        if (e->kind == LIVE_WATER || e->kind == LIVE_AREA)
            f->mdirty[pl[k]] = 1;
    }
    return 1;
}

static void settle_place(live_fusion *f, int p)
{
    live_agg *a = &f->agg[p];
    a->worst_margin = a->rain_max = a->temperature = a->wind = NAN;
    for (int i = 0; i < f->nmembers[p]; i++) {
        int ent = f->members[p][i];
        const live_entity *e = &f->reg->ents[ent];
        const live_estate *s = &f->st[ent];
        if (e->kind == LIVE_WATER && has(s, LV_LEVEL) && isfinite(e->warning)) {
            double m = s->v[LV_LEVEL] - e->warning;
            if (isnan(a->worst_margin) || m > a->worst_margin)
                a->worst_margin = m;
        }
        if (s->c.rain_n && (isnan(a->rain_max) || s->c.rain > a->rain_max))
            a->rain_max = s->c.rain;
        /* weather of the place itself: the district's, or "city" for the city */
        int own = e->kind == LIVE_AREA &&
                  (p == live_fusion_city(f) ? e->district < 0 : e->district == p);
        if (own) {
            a->temperature = has(s, LV_TEMP) ? s->v[LV_TEMP] : NAN;
            a->wind = has(s, LV_WIND) ? s->v[LV_WIND] : NAN;
        }
    }
}

void live_fusion_settle(live_fusion *f)
{
    for (int p = 0; p < f->nplaces; p++)
        if (f->mdirty[p]) {
            settle_place(f, p);
            f->mdirty[p] = 0;
        }
}

void live_fusion_freshness(live_fusion *f, int64_t now, double periods)
{
    /* Nothing can have turned stale: the walk over every entity (once a
     * second, most of an idle server's work) would change nothing. */
    if (!f->rewalk && periods == f->walked_periods && now >= f->walked_at &&
        now <= f->fresh_until)
        return;
    f->rewalk = 0;
    f->walked_at = now;
    f->walked_periods = periods;
    f->fresh_until = INT64_MAX;
    int ns = (int)sizeof f->agg[0].stale;
    int old_stale[LIVE_NKINDS], old_total[LIVE_NKINDS];
    for (int p = 0; p < f->nplaces; p++) {
        memset(f->agg[p].stale, 0, (size_t)ns);
        memset(f->agg[p].total, 0, (size_t)ns);
    }
    int city = live_fusion_city(f);
    for (int i = 0; i < f->reg->n; i++) {
        live_fresh *x = &f->fresh[i];
        if (x->kind == LIVE_AREA)
            continue;   /* weather places are optional sources */
        int64_t heard = x->last ? x->last : f->since;
        double until = stale_after(x, heard, periods);
        int stale = (double)now > until;
        if (!stale && until < (double)f->fresh_until)
            f->fresh_until = (int64_t)until;
        if (x->place >= 0) {
            f->agg[x->place].total[x->kind]++;
            f->agg[x->place].stale[x->kind] += stale;
        }
        f->agg[city].total[x->kind]++;
        f->agg[city].stale[x->kind] += stale;
        if (x->stale != stale)   /* the state is written only on a change */
            x->stale = f->st[i].stale = (unsigned char)stale;
    }
    /* a place whose counts moved has news for the wall */
    for (int p = 0; p < f->nplaces; p++) {
        memcpy(old_stale, f->prev_stale + p * LIVE_NKINDS, sizeof old_stale);
        memcpy(old_total, f->prev_total + p * LIVE_NKINDS, sizeof old_total);
        if (memcmp(old_stale, f->agg[p].stale, sizeof old_stale) ||
            memcmp(old_total, f->agg[p].total, sizeof old_total))
            f->dirty[p] = 1;
        memcpy(f->prev_stale + p * LIVE_NKINDS, f->agg[p].stale, sizeof old_stale);
        memcpy(f->prev_total + p * LIVE_NKINDS, f->agg[p].total, sizeof old_total);
    }
}

void live_fusion_rebuild(live_fusion *f)
{
    f->rewalk = 1;                 /* the states (or since) were replaced */
    for (int p = 0; p < f->nplaces; p++) {
        memset(&f->agg[p].s, 0, sizeof f->agg[p].s);
        f->dirty[p] = f->mdirty[p] = 1;
    }
    for (int i = 0; i < f->reg->n; i++) {
        const live_entity *e = &f->reg->ents[i];
        f->st[i].c = live_fusion_contrib(e, &f->st[i]);
        int pl[2], np = places_of(f, e, pl);
        for (int k = 0; k < np; k++)
            live_contrib_add(&f->agg[pl[k]].s, &f->st[i].c, +1);
    }
    live_fusion_settle(f);
}

double live_fusion_value(const live_fusion *f, int ent, const char *name)
{
    const live_entity *e = &f->reg->ents[ent];
    const live_estate *s = &f->st[ent];
    int slot = live_obs_value_slot(e->kind, name);
    if (slot >= 0)
        return has(s, slot) ? s->v[slot] : NAN;
    if (e->kind == LIVE_ROAD && !strcmp(name, "index"))
        return has(s, LV_SPEED) ? live_ind_segment_index(e->band, s->v[LV_SPEED]) : NAN;
    if (e->kind == LIVE_PARK && !strcmp(name, "occupancy"))
        return s->c.park_n ? (s->c.park_total - s->c.park_free) / s->c.park_total : NAN;
    if (e->kind == LIVE_WATER && has(s, LV_LEVEL)) {
        if (!strcmp(name, "above_warning_m"))
            return s->v[LV_LEVEL] - e->warning;
        if (!strcmp(name, "above_guarantee_m"))
            return s->v[LV_LEVEL] - e->guarantee;
        if (!strcmp(name, "above_flood_limit_m"))
            return s->v[LV_LEVEL] - e->flood_limit;
        if (!strcmp(name, "warning_ratio") && e->guarantee > e->warning)
            /* 0 at the warning level, 1 at the guarantee level */
            return (s->v[LV_LEVEL] - e->warning) / (e->guarantee - e->warning);
    }
    return NAN;
}

static void set_num(json_t *o, const char *k, double v)
{
    json_object_set_new(o, k, isfinite(v) ? json_real(v) : json_null());
}

json_t *live_fusion_entity_json(const live_fusion *f, int ent)
{
    const live_entity *e = &f->reg->ents[ent];
    const live_estate *s = &f->st[ent];
    json_t *o = json_object();
    for (int k = 0; k < LIVE_NVAL; k++) {
        const char *n = live_obs_value_name(e->kind, k);
        if (n)
            set_num(o, n, has(s, k) ? s->v[k] : NAN);
    }
    if (e->kind == LIVE_ROAD) {
        double idx = live_fusion_value(f, ent, "index");
        set_num(o, "index", isfinite(idx) ? round(idx * 100) / 100 : NAN);
        json_object_set_new(o, "level", isfinite(idx)
            ? json_string(live_ind_tpi_level_name(live_ind_tpi_level(idx))) : json_null());
    } else if (e->kind == LIVE_PARK) {
        double occ = live_fusion_value(f, ent, "occupancy");
        set_num(o, "occupancy", occ);
        /* FIWARE OffStreetParking status vocabulary */
        json_object_set_new(o, "status", json_string(!isfinite(occ) ? "unknown"
            : s->c.park_full ? "full" : occ >= 0.9 ? "almostFull" : "spacesAvailable"));
    } else if (e->kind == LIVE_WATER) {
        set_num(o, "above_warning_m", live_fusion_value(f, ent, "above_warning_m"));
        json_object_set_new(o, "state", json_string(s->c.above_guarantee ? "above_guarantee"
            : s->c.above_warning ? "above_warning" : has(s, LV_LEVEL) ? "normal" : "unknown"));
        /* the river or reservoir the station watches */
        if (e->body_id && *e->body_id)
            json_object_set_new(o, "water_body_id", json_string(e->body_id));
        if (e->water_body && *e->water_body)
            json_object_set_new(o, "water_body", json_string(e->water_body));
    }
    if (e->district >= 0)
        json_object_set_new(o, "district", json_string(f->reg->dists[e->district].id));
    json_object_set_new(o, "t", s->last ? live_time_json(s->last) : json_null());
    json_object_set_new(o, "stale", json_boolean(s->stale));
    return o;
}
