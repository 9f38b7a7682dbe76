/* live/speeds_at.h: the traffic speeds of every road segment as they were
 * at a past time, from the history's raw observations, for the rescue map
 * reviewing a past incident (docs/RESCUE.md, "At a past time"). */
#ifndef LIVE_SPEEDS_AT_H
#define LIVE_SPEEDS_AT_H

#include <stdint.h>

#include "core/ct_error.h"
#include "live/live.h"

/* kmh (e->reg->n entries) gets each road entity's speed_kmh at time at:
 * its latest value observed at or before at, when the entity was not stale
 * then (silent no longer than the thresholds' stale_after_periods of its
 * reporting period, as the live state judges it); 0 elsewhere (no value,
 * stale, not a road). Older than the raw retention the 5-minute mean of
 * the bucket holding the time stands for the value, seen until the
 * bucket's end. Returns how many entities got a speed, or a negative code
 * (the history unreadable). */
int live_speeds_at(live_engine *e, int64_t at, float *kmh, ct_err *err);

#endif
