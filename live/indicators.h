/* live/indicators.h: the formulas of the city's vital signs.
 * Each observed entity contributes a small record (live_contrib) to its
 * district's and the city's aggregates (live_agg); the fusion engine keeps
 * the aggregates up to date by subtracting an entity's old contribution
 * and adding its new one, and can rebuild them from scratch. The formulas
 * (traffic performance index, congestion, parking, water, rain) are
 * documented in docs/LIVE.md. */
#ifndef LIVE_INDICATORS_H
#define LIVE_INDICATORS_H

#include <stdint.h>

#include <jansson.h>

#include "live/entities.h"

/* Traffic states, the five published bands of the 0-10 index. */
enum { LIVE_TPI_SMOOTH = 0, LIVE_TPI_BASIC, LIVE_TPI_LIGHT, LIVE_TPI_MODERATE,
       LIVE_TPI_SEVERE };

/* Index 0-10 of one segment from its speed and road band (piecewise
 * linear through the band edges of DOMAIN.md's speed table). */
double live_ind_segment_index(int band, double speed_kmh);
/* Band of an index value (0 smooth .. 4 severe) and its name. */
int live_ind_tpi_level(double index);
const char *live_ind_tpi_level_name(int level);
/* The weight of a road band in the network index (vehicle-km proxy). */
double live_ind_band_weight(int band);

/* One entity's share of the aggregates. */
typedef struct live_contrib {
    double tpi_num, tpi_den;   /* sum(w * len * idx), sum(w * len) */
    double congested_m;        /* length of moderate + severe segments */
    int traffic_n;             /* segments with a speed */
    double park_total, park_free;
    int park_full, park_n;
    int above_warning, above_guarantee, water_n;
    double rain;               /* mm/h (station hourly rain or weather) */
    int rain_n;
} live_contrib;

/* Aggregates of a district or the city. The *_max / worst fields are not
 * sums; the engine recomputes them from its member lists. */
typedef struct live_agg {
    live_contrib s;
    double worst_margin;       /* max(level - warning) m; NaN when none */
    double rain_max;           /* NaN when none */
    double temperature, wind;  /* latest weather for the place; NaN */
    int stale[LIVE_NKINDS], total[LIVE_NKINDS];
} live_agg;

void live_contrib_add(live_contrib *a, const live_contrib *c, int sign);
void live_agg_init(live_agg *a);

/* The vitals of one place as a JSON object of flat, rounded indicators
 * (the incidents part is added by the engine). */
json_t *live_ind_vitals_json(const live_agg *a);

/* Do two aggregates agree (sums within a relative 1e-6)? For tests. */
int live_agg_equal(const live_agg *a, const live_agg *b, char *why, int n);

#endif
