/* live/alerts.h: alerts in the national four colours with a lifecycle.
 * An alert belongs to (rule, entity): raised once when a value first
 * reaches a level, updated when its level changes (not on every reading),
 * acknowledged by an operator (who, when; a later rise to a more severe
 * level asks for a new acknowledgement), and cleared when the value is
 * back below the lowest level by more than the rule's hysteresis. Its id
 * ("<rule>:<entity>:<raised epoch s>") is stable for its whole life.
 * Cleared alerts are kept for a day for the wall and the history. */
#ifndef LIVE_ALERTS_H
#define LIVE_ALERTS_H

#include <stdint.h>

#include <jansson.h>

#include "core/ct_error.h"
#include "live/map.h"
#include "live/thresholds.h"

enum { LIVE_AL_ACTIVE = 0, LIVE_AL_ACKED, LIVE_AL_CLEARED };
enum { LIVE_AL_NOCHANGE = 0, LIVE_AL_RAISED, LIVE_AL_UPDATED, LIVE_AL_CLEARED_NOW };

typedef struct live_alert {
    char id[192], rule[48], entity[96], title[96], district[64];
    char acked_by[64], incident[32];
    int level, status;
    double value, threshold;
    int64_t raised, updated, acked_at, cleared;
} live_alert;

typedef struct live_alerts {
    live_alert *a;
    int n, cap;
    live_map open;      /* "rule\tentity" -> index of its uncleared alert */
    live_map by_id;     /* id -> index */
} live_alerts;

void live_alerts_init(live_alerts *al);
void live_alerts_free(live_alerts *al);

/* Evaluate rule r on value v of entity (district id may be NULL) at now.
 * Returns LIVE_AL_* and sets *idx to the alert concerned (or -1). */
int live_alerts_eval(live_alerts *al, const live_rule *r, const char *entity,
                     const char *district, double v, int64_t now, int *idx);

/* Raise or update an alert from outside (an NGSI-LD Alert): level 0 clears. */
int live_alerts_external(live_alerts *al, const char *id, const char *title,
                         const char *entity, int level, int64_t now, int *idx);

/* Operator acknowledgement; CT_ENOTFOUND / CT_ECONFLICT (already cleared). */
int live_alerts_ack(live_alerts *al, const char *id, const char *who,
                     int64_t now, int *idx, ct_err *err);

/* Forget alerts cleared before cutoff (indexes change). */
void live_alerts_prune(live_alerts *al, int64_t cutoff);

/* Restore an alert from its JSON (at start); returns its index or -1. */
int live_alerts_restore(live_alerts *al, const json_t *j);

json_t *live_alert_json(const live_alert *a);
const char *live_alert_status_name(int status);

#endif
