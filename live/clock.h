/* live/clock.h: time in the live core: epoch milliseconds (UTC) everywhere,
 * ISO 8601 parsing and formatting at the edges. */
#ifndef LIVE_CLOCK_H
#define LIVE_CLOCK_H

#include <stdint.h>

#include <jansson.h>

/* The wall clock in epoch milliseconds. */
int64_t live_clock_now_ms(void);

/* Parse an ISO 8601 date-time with a UTC offset ("2026-05-01T08:00:00Z",
 * "...T08:00:00.250+08:00"). Returns NULL on success, else a short reason. */
const char *live_time_parse(const char *s, int64_t *ms);

/* Read a time given as an ISO string or as epoch milliseconds (a JSON
 * integer or real); NULL on success, else a short reason. */
const char *live_time_from_json(const json_t *v, int64_t *ms);

/* The time in o's string member k, or 0 when it is missing or not a time
 * (restoring saved state: a bad field reads as "never"). */
int64_t live_time_field(const json_t *o, const char *k);

/* Format ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (>= 32 bytes). */
char *live_time_format(int64_t ms, char *buf, int size);

/* A JSON string with the formatted time (new reference). */
json_t *live_time_json(int64_t ms);

#endif
