/* live/incidents.h: incidents and their case flow (事件管理):
 *   intake 受理 -> dispatch 派遣 -> handling 处置 -> verification 核查
 *   -> closure 结案 -> evaluation 评价
 * Every action is checked against the state it is allowed from (an illegal
 * one is refused with the states it needs), timestamped and attributed; the
 * engine writes each to the audit log. Times for the evaluation (效能评估):
 * intake->dispatch, dispatch->arrival (arrival is an event during
 * handling), intake->closure, compared with targets per kind, and the
 * arrival against the ETA planned at dispatch (the rescue map's route). */
#ifndef LIVE_INCIDENTS_H
#define LIVE_INCIDENTS_H

#include <stdint.h>

#include <jansson.h>

#include "core/ct_error.h"
#include "live/map.h"
#include "live/thresholds.h"

enum { LIVE_INC_INTAKE = 0, LIVE_INC_DISPATCHED, LIVE_INC_HANDLING,
       LIVE_INC_VERIFICATION, LIVE_INC_CLOSED, LIVE_INC_EVALUATED };

typedef struct live_incident {
    char id[32], kind[32], district[64], building[96], road[96], alert[192];
    char description[512], created_by[64];
    int state;
    double lon, lat;
    double planned_eta_s;          /* from dispatch {"eta_s"}; NaN if none */
    int64_t t_intake, t_dispatch, t_arrival, t_handling, t_verify, t_closed, t_eval;
    json_t *units, *departments;   /* arrays of strings */
    json_t *evaluation;            /* {score, comment} or NULL */
} live_incident;

typedef struct live_incidents {
    live_incident *v;
    int n, cap;
    live_map by_id;
    int next_no;
} live_incidents;

void live_inc_init(live_incidents *s);
void live_inc_free(live_incidents *s);

/* Create an incident in intake from req {kind, lon, lat, building?, road?,
 * district?, description?, alert?}; *idx is its index. */
int live_inc_create(live_incidents *s, const json_t *req, const char *actor,
                    int64_t now, int *idx, ct_err *err);

/* Apply action ("dispatch", "assign", "arrive", "handle", "verify",
 * "reject", "close", "evaluate", "note") with its body req. */
int live_inc_action(live_incidents *s, const char *id, const char *action,
                    const json_t *req, const char *actor, int64_t now, int *idx,
                    ct_err *err);

int live_inc_find(const live_incidents *s, const char *id);
int live_inc_is_open(const live_incident *x);
const char *live_inc_state_name(int state);

/* Full JSON with times, durations and the targets for its kind. */
json_t *live_inc_json(const live_incident *x, const live_thresholds *thr);
/* Restore from that JSON (at start); returns the index or -1. */
int live_inc_restore(live_incidents *s, const json_t *j);

#endif
