/* live/fusion.h: the live state of every entity and the aggregates of every
 * place (each district, then the city at index nd).
 * An entity's state keeps the latest value of each quantity (by observation
 * time, so late or re-ordered observations cannot roll it back); applying an
 * observation moves the entity's contribution in its district's and the
 * city's sums (subtract old, add new). Maximum-type fields are settled from
 * member lists; freshness is evaluated at a given time. Not thread-safe:
 * the engine calls it under its lock. */
#ifndef LIVE_FUSION_H
#define LIVE_FUSION_H

#include <stdint.h>

#include <jansson.h>

#include "live/entities.h"
#include "live/indicators.h"
#include "live/observe.h"

typedef struct live_estate {
    int64_t last;               /* latest observation time, 0 = never */
    int64_t vt[LIVE_NVAL];      /* time of each latest value */
    double v[LIVE_NVAL];
    live_contrib c;             /* what the entity adds to its places */
    unsigned char stale;
} live_estate;

/* What the freshness walk reads of an entity, packed: the walk touches
 * 16 bytes per entity instead of its registry entry and state (the whole
 * city's states went cold between ticks and cost milliseconds a second). */
typedef struct live_fresh {
    int64_t last;               /* = st[i].last */
    int32_t period_s;
    signed char kind;
    unsigned char stale;        /* = st[i].stale */
    short place;                /* its district's place, -1 for none */
} live_fresh;

typedef struct live_fusion {
    const live_registry *reg;
    live_estate *st;            /* one per entity */
    live_fresh *fresh;          /* one per entity */
    live_agg *agg;              /* nplaces = nd + 1; city last */
    int nplaces;
    int **members;              /* per place: water stations and weather places */
    int *nmembers;
    unsigned char *dirty;       /* per place: changed since the last drain */
    unsigned char *mdirty;      /* per place: a member changed since the last
                                   settle (a road or car park never does) */
    int *prev_stale, *prev_total; /* freshness counts at the last evaluation */
    int64_t since;              /* start of listening: a source never heard
                                   from is stale once it had time to report */
    /* The freshness walk is skipped until a fresh entity may turn stale
     * (the earliest such time, kept as readings come), unless a stale one
     * had news (rewalk) or the rule or the clock moved back. */
    int64_t fresh_until, walked_at;
    double walked_periods;
    int rewalk;
} live_fusion;

int live_fusion_init(live_fusion *f, const live_registry *r);
void live_fusion_free(live_fusion *f);

/* The place index of the city. */
static inline int live_fusion_city(const live_fusion *f) { return f->nplaces - 1; }

/* Apply one observation; returns 1 when the entity's state changed. */
int live_fusion_apply(live_fusion *f, const live_obs *o);
/* Recompute the maximum-type fields of the places whose members changed. */
void live_fusion_settle(live_fusion *f);
/* Mark entities silent longer than `periods` reporting periods at now
 * (never heard from: silent since f->since); recount per place. */
void live_fusion_freshness(live_fusion *f, int64_t now, double periods);
/* Rebuild every aggregate from the entity states (drift-free). */
void live_fusion_rebuild(live_fusion *f);

/* The contribution of an entity's state (pure function of the state). */
live_contrib live_fusion_contrib(const live_entity *e, const live_estate *s);

/* The state of an observed entity as its topic publishes it. */
json_t *live_fusion_entity_json(const live_fusion *f, int ent);
/* A derived or observed quantity of an entity by name ("speed_kmh",
 * "index", "occupancy", "above_warning_m", "warning_ratio"); NaN if none. */
double live_fusion_value(const live_fusion *f, int ent, const char *name);

#endif
