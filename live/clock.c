/* live/clock.c: epoch milliseconds and ISO 8601 (see clock.h). */
#include "live/clock.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Earliest time the live core accepts: catches seconds sent as ms. */
#define LIVE_TIME_MIN_MS 946684800000LL   /* 2000-01-01 */

int64_t live_clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int64_t days_from_civil(int y, int m, int d)
{
    /* proleptic Gregorian day number, 1970-01-01 = 0 (no libc time zone) */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

const char *live_time_parse(const char *s, int64_t *ms)
{
    int Y, M, D, h, mi, sec, frac = 0;
    const char *p = s;
    if (digits(&p, 4, &Y) || *p++ != '-' || digits(&p, 2, &M) || *p++ != '-' ||
        digits(&p, 2, &D))
        return "time is not ISO 8601 (YYYY-MM-DDTHH:MM:SSZ)";
    if (*p != 'T' && *p != 't' && *p != ' ')
        return "time has no time of day";
    p++;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) ||
        *p++ != ':' || digits(&p, 2, &sec))
        return "time is not ISO 8601 (YYYY-MM-DDTHH:MM:SSZ)";
    if (*p == '.' || *p == ',') {
        p++;
        int n = 0, scale = 100;
        while (isdigit((unsigned char)*p)) {
            if (n < 3)
                frac += (*p - '0') * scale;
            scale /= 10;
            n++;
            p++;
        }
        if (!n)
            return "time has an empty fraction of a second";
    }
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || mi > 59 || sec > 60)
        return "time has a field out of range";
    int off_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om = 0;
        p++;
        if (digits(&p, 2, &oh))
            return "time has a malformed UTC offset";
        if (*p == ':')
            p++;
        if (*p && digits(&p, 2, &om))
            return "time has a malformed UTC offset";
        off_min = sign * (oh * 60 + om);
    } else {
        return "time has no UTC offset (add Z or +08:00)";
    }
    if (*p)
        return "time has trailing characters";
    int64_t days = days_from_civil(Y, M, D);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - off_min * 60;
    *ms = secs * 1000 + frac;
    if (*ms < LIVE_TIME_MIN_MS)
        return "time is before 2000";
    return NULL;
}

const char *live_time_from_json(const json_t *v, int64_t *ms)
{
    if (json_is_string(v))
        return live_time_parse(json_string_value(v), ms);
    if (json_is_integer(v)) {
        *ms = (int64_t)json_integer_value(v);
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!(d > 0 && d < 9e15))
            return "time in epoch milliseconds is out of range";
        *ms = (int64_t)d;
    } else {
        return v ? "time is neither a string nor a number" : "time is missing";
    }
    if (*ms < LIVE_TIME_MIN_MS)
        return "epoch time is before 2000 (seconds instead of milliseconds?)";
    return NULL;
}

char *live_time_format(int64_t ms, char *buf, int size)
{
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = (int)(ms - (int64_t)secs * 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, (size_t)size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, frac);
    return buf;
}

json_t *live_time_json(int64_t ms)
{
    char buf[40];
    return json_string(live_time_format(ms, buf, sizeof buf));
}

int64_t live_time_field(const json_t *o, const char *k)
{
    int64_t t = 0;
    const json_t *v = json_object_get(o, k);
    if (!json_is_string(v) || live_time_parse(json_string_value(v), &t))
        return 0;
    return t;
}
