/* live/incidents.h: incidents and their case flow (事件管理):
 *   intake 受理 -> dispatch 派遣 -> handling 处置 -> verification 核查
 *   -> closure 结案 -> evaluation 评价
 * Every action is checked against the state it is allowed from (an illegal
 * one is refused with the states it needs), timestamped and attributed; the
 * engine writes each to the audit log. Times for the evaluation (效能评估):
 * intake->dispatch, dispatch->arrival (arrival is an event during
 * handling), intake->closure, compared with targets per kind, and each
 * unit's arrival against the ETA planned when it was sent (the rescue
 * map's route; incident_units.c). */
#ifndef LIVE_INCIDENTS_H
#define LIVE_INCIDENTS_H

#include <stdint.h>

#include <jansson.h>

#include "core/ct_error.h"
#include "live/map.h"
#include "live/thresholds.h"

enum { LIVE_INC_INTAKE = 0, LIVE_INC_DISPATCHED, LIVE_INC_HANDLING,
       LIVE_INC_VERIFICATION, LIVE_INC_CLOSED, LIVE_INC_EVALUATED };

/* One unit sent to an incident: when it was sent (dispatch or assign), the
 * ETA planned then (NaN: none given) and when it arrived (0: en route). */
typedef struct live_unit {
    char id[64];
    double planned_eta_s;
    int64_t t_dispatch, t_arrival;
} live_unit;

typedef struct live_incident {
    char id[32], kind[32], district[64], building[96], road[96], alert[192];
    char description[512], created_by[64];
    int state;
    double lon, lat;
    int64_t t_intake, t_dispatch, t_arrival, t_handling, t_verify, t_closed, t_eval;
    json_t *units, *departments;   /* arrays of strings */
    live_unit *unit;               /* unit[i] is units[i] */
    int nunit, capunit;
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

/* Units (incident_units.c). Send the units of req {units: name or [names],
 * eta_s?: seconds for each of them, etas?: {name: seconds}}: with commit 0
 * only check and count the new names; with 1 also record them (sent now).
 * Returns how many are new, or a negative code with err. */
int live_inc_units_send(live_incident *x, const json_t *req, int64_t now,
                        int commit, ct_err *err);
/* Arrival of the units named in req {unit|units} (none named: every unit
 * still en route); the incident's arrival is the first. */
int live_inc_units_arrive(live_incident *x, const json_t *req, int64_t now,
                          ct_err *err);
/* The station a unit belongs to: its name up to the first '/'
 * ("fs:12/engine-2" -> "fs:12"), else the name itself. */
void live_inc_unit_station(const char *unit, char *buf, size_t n);
/* Seconds from the incident's dispatch to the planned first arrival (the
 * earliest of each unit's send time + its planned ETA); NaN when no unit
 * has a plan. */
double live_inc_planned_first(const live_incident *x);
/* [{unit, station, planned_eta_s, dispatched, arrived,
 *   dispatch_to_arrival_s, eta_error_s}] (new reference). */
json_t *live_inc_units_json(const live_incident *x);
/* From live_inc_json's JSON ("assignments", or for records written before
 * them: "units" sent at the dispatch with its planned_arrival_s). */
void live_inc_units_restore(live_incident *x, const json_t *j);
void live_inc_units_free(live_incident *x);

/* Full JSON with times, durations and the targets for its kind. */
json_t *live_inc_json(const live_incident *x, const live_thresholds *thr);
/* Restore from that JSON (at start); returns the index or -1. */
int live_inc_restore(live_incidents *s, const json_t *j);

#endif
