/* live/simulator.h: the built-in simulator (issue 5): plays a scenario
 * (synth/scenario.h, data/scenario/) over the city in the registry.
 * Every road segment, car park, water station and weather place reports at
 * its period; values follow the scenario's daily curves, its events
 * (rainstorm: rain, slower traffic, rising rivers; accident: a slow road
 * and an incident; fire: an incident at a building) and seeded noise.
 * Deterministic: an observation's value depends only on (seed, entity,
 * report number), so the same seed and start give the same batches however
 * the steps are cut. Time: scenario time runs `accel` times faster than the
 * wall clock; observations carry wall-clock times (start + scenario
 * elapsed / accel), so a real server accepts them.
 * The simulator produces JSON batches, the same bodies a feed POSTs, so
 * they go through the same validation path: live_sim_run() ingests them
 * in-process; an HTTP client can POST them instead. */
#ifndef LIVE_SIMULATOR_H
#define LIVE_SIMULATOR_H

#include <stdatomic.h>
#include <stdint.h>

#include <jansson.h>

#include "core/ct_error.h"
#include "live/live.h"
#include "synth/scenario.h"

#define LIVE_SIM_BATCH 5000   /* items per batch */

typedef struct live_sim_event {
    int stage;              /* 0 pending, 1 intake, 2 dispatched, 3 arrived, 4 done */
    char incident[32];
} live_sim_event;

typedef struct live_sim {
    const live_registry *reg;
    const scenario *sc;
    uint64_t seed;
    double accel;           /* scenario seconds per wall second */
    int64_t wall0;          /* wall ms of the scenario start */
    int64_t *next;          /* per entity: next report, scenario ms */
    int64_t *count;         /* per entity: reports so far */
    int *road_event;        /* per entity: accident event index or -1 */
    live_sim_event *ev;
    double elapsed_s;       /* scenario seconds played */
    int64_t produced;
    /* A live server sets max_lag_ms (scenario ms): a source further behind
     * the clock than that skips its missed reports, as a real feed back from
     * an outage sends its current values, not its backlog. 0 = never skip
     * (the same observations however the steps are cut). */
    int64_t max_lag_ms;
    int64_t skipped;        /* reports skipped that way */
    atomic_int stop;        /* set by live_sim_stop(): leave live_sim_run */
} live_sim;

/* Prepare to play sc from wall time wall0 (accel <= 0: the scenario's). */
int live_sim_init(live_sim *s, const live_registry *reg, const scenario *sc,
                  uint64_t seed, double accel, int64_t wall0, ct_err *err);
void live_sim_free(live_sim *s);

/* The observations due up to wall time now, as batches: a JSON array of
 * arrays of items (each <= LIVE_SIM_BATCH). Empty when nothing is due or
 * the scenario has ended. */
json_t *live_sim_due(live_sim *s, int64_t now);

/* Scenario incidents (fire, accident) due by now, played on engine e
 * through its incident API (intake, dispatch, arrival, verification,
 * closure) as the actor "simulator". */
void live_sim_incidents(live_sim *s, live_engine *e, int64_t now);

/* One step: due observations ingested into e (through live_ingest) and
 * incidents played; *n_obs counts the accepted observations. */
int live_sim_run(live_sim *s, live_engine *e, int64_t now, int *n_obs, ct_err *err);

/* Ask a live_sim_run() in another thread to return after its current batch
 * (a server shutting down must not wait for a backlog). */
void live_sim_stop(live_sim *s);

/* Has the scenario ended at wall time now? */
int live_sim_done(const live_sim *s, int64_t now);

/* Reporting periods of the scenario for a live_config. */
void live_sim_periods(const scenario *sc, int period_s[LIVE_NKINDS]);

#endif
