/* live/observe.h: observations and their validation.
 * An observation batch is a JSON array of items
 *   {"entity": ID, "time": ISO 8601 | epoch ms, "values": {NAME: number}}
 * (optionally "kind": traffic|parking|water|weather, checked against the
 * entity). Each item is validated on its own; valid ones become live_obs,
 * rejected ones are reported by index with a code and a reason. */
#ifndef LIVE_OBSERVE_H
#define LIVE_OBSERVE_H

#include <stdint.h>

#include <jansson.h>

#include "core/ct_error.h"
#include "live/entities.h"

#define LIVE_NVAL 4
#define LIVE_FUTURE_MS (5 * 60 * 1000)   /* tolerated clock skew of a feed */
#define LIVE_BATCH_MAX 200000             /* items per batch */

/* Value slots per kind (index into live_obs.v). */
enum { LV_SPEED = 0, LV_FLOW, LV_OCC };            /* traffic */
enum { LV_FREE = 0, LV_TOTAL };                    /* parking */
enum { LV_LEVEL = 0, LV_WFLOW, LV_RAIN };          /* water */
enum { LV_TEMP = 0, LV_RAINH, LV_WIND };           /* weather */

typedef struct live_obs {
    int ent;            /* index in the registry */
    int64_t t;          /* epoch ms */
    unsigned mask;      /* bit i set: v[i] present */
    double v[LIVE_NVAL];
} live_obs;

typedef struct live_batch {
    live_obs *obs;
    int *index;         /* the request index of each valid observation */
    int n;
    json_t *rejected;   /* [{index, entity, code, reason}] */
} live_batch;

/* Value name of a slot ("speed_kmh"), or NULL; slot of a name, or -1. */
const char *live_obs_value_name(int kind, int slot);
int live_obs_value_slot(int kind, const char *name);

/* Validate items (an array, or an object with an "observations" array)
 * against the registry and the server clock now_ms. Whole-batch problems
 * (not an array, too many items) fail with CT_EINVAL / CT_ETOOBIG; item
 * problems go to out->rejected. */
int live_obs_validate(const live_registry *r, const json_t *items,
                      int64_t now_ms, live_batch *out, ct_err *err);
void live_batch_free(live_batch *b);

/* Append a rejection {index, entity, code, reason} to arr. */
void live_obs_reject(json_t *arr, int index, const char *entity,
                     const char *code, const char *reason);

/* The observation's values as a JSON object {name: value}. */
json_t *live_obs_values_json(int kind, const live_obs *o);

#endif
