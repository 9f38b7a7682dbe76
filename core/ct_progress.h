/* core/ct_progress.h: progress lines (count, rate, ETA) for long jobs.
 * Shown only when stderr is a terminal and CI is unset, so pipes and CI
 * logs stay quiet. */
#ifndef CT_PROGRESS_H
#define CT_PROGRESS_H

#include <stdint.h>

typedef struct ct_progress {
    const char *label;
    int64_t total;      /* 0 when unknown: no ETA */
    int64_t done;
    uint32_t calls;     /* the clock is read every 256 steps */
    double started;     /* monotonic seconds */
    double last_shown;
    int enabled;
} ct_progress;

void ct_progress_start(ct_progress *p, const char *label, int64_t total);
void ct_progress_step(ct_progress *p, int64_t n);
void ct_progress_end(ct_progress *p);

/* Monotonic clock in seconds. */
double ct_now(void);

#endif
