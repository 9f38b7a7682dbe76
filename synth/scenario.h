/* synth/scenario.h: the live scenario the simulator plays (data/scenario/).
 * A JSON file an operator can read and edit (format: docs/SCENARIO.md):
 * the day's traffic speed and flow per road class, car-park occupancy per
 * kind of area, weather, reporting periods, time acceleration, and timed
 * events (rainstorm, fire, accident). scenario_load() validates all of it
 * and names the file, the key and the problem on any mistake, including
 * unknown keys (typos). */
#ifndef SYNTH_SCENARIO_H
#define SYNTH_SCENARIO_H

#include <stdint.h>

#include "core/ct_error.h"

#define SCENARIO_HOURS 24
#define SCENARIO_MAX_PARKING 16
#define SCENARIO_MAX_RISE 16
#define SCENARIO_MAX_HOTSPOTS 32

enum scenario_class { SC_ARTERIAL, SC_SECONDARY, SC_LOCAL, SC_NCLASS };
enum scenario_source { SC_SRC_TRAFFIC, SC_SRC_PARKING, SC_SRC_WATER,
                       SC_SRC_RAIN, SC_SRC_WEATHER, SC_NSRC };
enum scenario_event_kind { SC_EV_RAINSTORM, SC_EV_FIRE, SC_EV_ACCIDENT };

/* 24 hourly values; read between hours by linear interpolation. */
typedef struct scenario_curve {
    double v[SCENARIO_HOURS];
} scenario_curve;

typedef struct scenario_rise {
    char water_id[48];     /* a river or reservoir id, or "default" */
    double rise_m;
} scenario_rise;

/* A place where traffic slows at the peaks: speed there is multiplied by
 * 1 - depth * w * exp(-(d / radius)^2), w the hour's peak weight. */
typedef struct scenario_hotspot {
    char name[128];
    double lon, lat, radius_m, depth;
} scenario_hotspot;

typedef struct scenario_event {
    int kind;              /* enum scenario_event_kind */
    double at_s;           /* seconds after the scenario start */
    double duration_s;
    char target[48];       /* building id (fire) or road id (accident) */
    char severity[16];     /* fire: minor | major */
    int lanes_blocked;     /* accident */
    double speed_factor;   /* accident: speed multiplier on the road */
    /* rainstorm */
    double peak_at_s, peak_mm_h, lag_s, recession_s;
    scenario_rise rise[SCENARIO_MAX_RISE];
    int nrise;
    char note[160];
} scenario_event;

typedef struct scenario {
    char name[64], title[256], date[16], timezone[8];
    double start_clock_s;       /* clock time of the start, s after 00:00 */
    double duration_s;
    double time_acceleration;   /* scenario seconds per wall second */
    uint64_t seed;
    double period_s[SC_NSRC];
    scenario_curve speed_kmh[SC_NCLASS], flow_vph[SC_NCLASS];
    double traffic_noise, rain_speed_factor;
    double road_spread;         /* per-road lasting speed spread, +-fraction */
    double drift_s;             /* time over which a road's noise drifts */
    scenario_hotspot hotspots[SCENARIO_MAX_HOTSPOTS];
    int nhotspots;
    char parking_kind[SCENARIO_MAX_PARKING][32];
    scenario_curve parking[SCENARIO_MAX_PARKING];   /* occupancy 0..1 */
    int nparking;               /* includes "default" */
    double parking_noise;
    double water_noise_m;
    scenario_curve temperature_c, wind_ms;
    scenario_event *events;     /* sorted by at_s */
    int nevents;
} scenario;

/* Load and validate path; *out is freed with scenario_free(). */
int scenario_load(const char *path, scenario **out, ct_err *err);
void scenario_free(scenario *s);

/* Value of a curve at a clock time (seconds after local midnight). */
double scenario_curve_at(const scenario_curve *c, double clock_s);
/* Occupancy curve for a kind of area (falls back to "default"). */
const scenario_curve *scenario_parking_curve(const scenario *s,
                                             const char *area_kind);
/* The hour's peak weight for class c in [0, 1]: 0 off-peak, 1 at the busiest
 * hour of its flow curve. */
double scenario_peak_weight(const scenario *s, int c, double clock_s);
/* Speed multiplier of the hotspots at (lon, lat) for peak weight w. */
double scenario_hotspot_factor(const scenario *s, double lon, double lat, double w);
/* Class index of "arterial" / "secondary" / "local", or -1. */
int scenario_class_of(const char *road_class);
/* River level rise of a rainstorm for a water body (or its "default"). */
double scenario_rise_for(const scenario_event *e, const char *water_id);

#endif
