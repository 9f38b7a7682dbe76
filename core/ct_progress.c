/* core/ct_progress.c: terminal progress reporting (see ct_progress.h). */
#include "core/ct_progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

double ct_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void ct_progress_start(ct_progress *p, const char *label, int64_t total)
{
    p->label = label;
    p->total = total;
    p->done = 0;
    p->calls = 0;
    p->started = ct_now();
    p->last_shown = 0;
    p->enabled = isatty(STDERR_FILENO) && getenv("CI") == NULL;
}

static void show(ct_progress *p, double now)
{
    double el = now - p->started;
    double rate = el > 0 ? (double)p->done / el : 0;
    if (p->total > 0 && rate > 0) {
        double eta = (double)(p->total - p->done) / rate;
        fprintf(stderr, "\r%s: %lld/%lld  %.0f/s  ETA %.0fs   ", p->label,
                (long long)p->done, (long long)p->total, rate, eta);
    } else {
        fprintf(stderr, "\r%s: %lld  %.0f/s   ", p->label, (long long)p->done,
                rate);
    }
    p->last_shown = now;
}

void ct_progress_step(ct_progress *p, int64_t n)
{
    p->done += n;
    if (!p->enabled || (++p->calls & 255) != 0)
        return;
    double now = ct_now();
    if (now - p->last_shown >= 0.25)
        show(p, now);
}

void ct_progress_end(ct_progress *p)
{
    if (!p->enabled)
        return;
    show(p, ct_now());
    fputc('\n', stderr);
}
