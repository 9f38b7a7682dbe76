/* live/thresholds.h: alert rules and incident targets, read from a JSON
 * file (data/thresholds.json) or the built-in defaults.
 *   {"alerts": [{"id", "title", "scope", "value", "direction",
 *                "levels": {"blue": x, "yellow": x, "orange": x, "red": x},
 *                "hysteresis": h, "escalate": "red", "incident_kind": "flood"}],
 *    "incident_targets": {"fire": {"dispatch_s", "arrival_s", "closure_s"},
 *                         "default": {...}},
 *    "freshness": {"stale_after_periods": 2}}
 * scope: "city", "district", "place" (both), "traffic", "parking", "water",
 * "weather"; value: a vitals indicator for places, a value or derived
 * quantity for entities (see docs/LIVE.md). */
#ifndef LIVE_THRESHOLDS_H
#define LIVE_THRESHOLDS_H

#include <jansson.h>

#include "core/ct_error.h"

enum live_scope { LIVE_SC_CITY = 1, LIVE_SC_DISTRICT = 2, LIVE_SC_PLACE = 3,
                  LIVE_SC_TRAFFIC, LIVE_SC_PARKING, LIVE_SC_WATER, LIVE_SC_WEATHER };

/* Warning colours, least to most severe; 0 = no alert. */
enum { LIVE_LV_NONE = 0, LIVE_LV_BLUE, LIVE_LV_YELLOW, LIVE_LV_ORANGE, LIVE_LV_RED };

typedef struct live_rule {
    char id[48], title[96], value[48], incident_kind[32];
    int scope;           /* enum live_scope */
    int below;           /* 1: alert when the value falls below */
    double at[5];        /* threshold per level 1..4; NaN = level unused */
    double hysteresis;   /* a level holds until the value is this far back */
    int escalate;        /* level that opens an incident; 0 = never */
} live_rule;

typedef struct live_target {
    char kind[32];
    double dispatch_s, arrival_s, closure_s;
} live_target;

typedef struct live_thresholds {
    live_rule *rules;
    int nrules;
    live_target *targets;   /* the last one is "default" */
    int ntargets;
    double stale_periods;   /* silent this many periods = stale (default 2) */
} live_thresholds;

/* Load from path; NULL path = built-in defaults. */
int live_thr_load(const char *path, live_thresholds **out, ct_err *err);
/* Parse from a JSON document (name used in messages). */
int live_thr_parse(const json_t *doc, const char *name, live_thresholds **out,
                   ct_err *err);
void live_thr_free(live_thresholds *t);

/* Targets for an incident kind (falls back to "default"). */
const live_target *live_thr_target(const live_thresholds *t, const char *kind);

/* "blue".."red" <-> 1..4 (0 / "none"). */
const char *live_level_name(int level);
int live_level_of(const char *name);

/* The level of value v under rule r when the current level is cur:
 * rises at once, falls only past the hysteresis band. */
int live_rule_level(const live_rule *r, double v, int cur);

#endif
