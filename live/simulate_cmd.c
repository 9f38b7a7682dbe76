/* live/simulate_cmd.c: `citytwin simulate`: play a scenario into the live
 * engine in-process (no HTTP): every road segment, car park, water station
 * and weather place reports at its period through the same validation and
 * durable ingest path a feed uses; scenario incidents run their flow. A
 * status line per interval; the city's vitals at the end. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "live/clock.h"
#include "live/simulator.h"
#include "server/commands.h"
#include "spatial/store.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: citytwin simulate [OPTIONS]\n\n"
        "Play a scenario into the live engine in-process: every road segment, car\n"
        "park, water station and weather place reports at its period through the\n"
        "same validation and durable ingest path as a feed; fires and accidents\n"
        "become incidents that run their flow. Deterministic for a seed.\n\n"
        "  --store FILE       SpatiaLite store (default %s)\n"
        "  --history FILE     live history database (default %s)\n"
        "  --scenario FILE    scenario (default data/scenario/default.json)\n"
        "  --thresholds FILE  alert thresholds (default data/thresholds.json when\n"
        "                     present, else the built-in ones)\n"
        "  --seed N           noise seed (default: the scenario's)\n"
        "  --accel X          scenario seconds per wall second (default: the\n"
        "                     scenario's time_acceleration)\n"
        "  --for SECONDS      stop after this many wall seconds (default: the end\n"
        "                     of the scenario)\n"
        "  --fast             do not wait for the wall clock: run the simulated\n"
        "                     clock as fast as ingest allows (benchmark)\n"
        "  --help             this text\n",
        STORE_DEFAULT_PATH, LIVE_DEFAULT_HISTORY);
}

static int64_t sim_clock_ms;
static int64_t sim_clock(void *ctx)
{
    (void)ctx;
    return sim_clock_ms;
}

static void fmt_num(char *buf, size_t n, const json_t *v)
{
    if (json_is_number(v))
        snprintf(buf, n, "%g", json_number_value(v));
    else
        snprintf(buf, n, "-");
}

static void status(live_engine *e, const live_sim *s, double wall_s, long obs)
{
    json_t *v = live_snapshot(e, LIVE_TOPIC_VITALS, NULL);
    json_t *c = json_object_get(v, LIVE_CITY_ID);
    json_t *al = live_alerts_list(e, 0);
    double clock = s->sc->start_clock_s + s->elapsed_s;
    int h = (int)(clock / 3600) % 24, m = (int)(clock / 60) % 60;
    char tpi[32], rain[32];
    fmt_num(tpi, sizeof tpi, json_object_get(c, "tpi"));
    fmt_num(rain, sizeof rain, json_object_get(c, "rain_max_mm_h"));
    printf("%02d:%02d  %8ld obs  %7.0f obs/s  tpi %-5s  rain %-5s  above warning %lld"
           "  alerts %zu  incidents open %lld\n", h, m, obs,
           wall_s > 0 ? obs / wall_s : 0.0, tpi, rain,
           (long long)json_integer_value(json_object_get(c, "water_above_warning")),
           json_array_size(al),
           (long long)json_integer_value(json_object_get(c, "incidents_open")));
    fflush(stdout);
    json_decref(al);
    json_decref(v);
}

int simulate_main(int argc, char **argv)
{
    const char *store = STORE_DEFAULT_PATH, *hist = LIVE_DEFAULT_HISTORY;
    const char *scen = "data/scenario/default.json", *thr = NULL;
    double accel = 0, for_s = 0;
    long long seed = -1;
    int fast = 0;
    static const struct option opts[] = {
        {"store", 1, 0, 's'}, {"history", 1, 0, 'H'}, {"scenario", 1, 0, 'c'},
        {"thresholds", 1, 0, 't'}, {"seed", 1, 0, 'S'}, {"accel", 1, 0, 'a'},
        {"for", 1, 0, 'f'}, {"fast", 0, 0, 'F'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's': store = optarg; break;
        case 'H': hist = optarg; break;
        case 'c': scen = optarg; break;
        case 't': thr = optarg; break;
        case 'S': seed = atoll(optarg); break;
        case 'a': accel = atof(optarg); break;
        case 'f': for_s = atof(optarg); break;
        case 'F': fast = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc || accel < 0 || for_s < 0) {
        usage(stderr);
        return 2;
    }
    if (!thr && access("data/thresholds.json", R_OK) == 0)
        thr = "data/thresholds.json";
    ct_err err;
    scenario *sc = NULL;
    if (scenario_load(scen, &sc, &err)) {
        fprintf(stderr, "citytwin simulate: %s\n", err.msg);
        return 1;
    }
    int64_t t0 = live_clock_now_ms();
    sim_clock_ms = t0;
    live_config cfg = {.store_path = store, .history_path = hist, .thresholds_path = thr,
                       .clock = fast ? sim_clock : NULL};
    live_sim_periods(sc, cfg.period_s);
    live_engine *e = NULL;
    live_sim s;
    int rc = 1;
    if (live_open(&cfg, &e, &err) ||
        live_sim_init(&s, e->reg, sc, seed >= 0 ? (uint64_t)seed : sc->seed, accel, t0,
                      &err)) {
        fprintf(stderr, "citytwin simulate: %s\n", err.msg);
        goto out;
    }
    printf("simulate: %s, %d entities, x%.0f, seed %llu, history %s\n", sc->name,
           e->reg->n, s.accel, (unsigned long long)s.seed, hist);
    long obs = 0;
    double last_status = 0;
    struct timespec w0;
    clock_gettime(CLOCK_MONOTONIC, &w0);
    for (;;) {
        int64_t now = fast ? (sim_clock_ms += 200) : live_clock_now_ms();
        if (live_sim_done(&s, now) || (for_s > 0 && now - t0 >= for_s * 1000))
            break;
        int n = 0;
        if (live_sim_run(&s, e, now, &n, &err)) {
            fprintf(stderr, "citytwin simulate: %s\n", err.msg);
            goto out_sim;
        }
        obs += n;
        live_tick(e);
        struct timespec w;
        clock_gettime(CLOCK_MONOTONIC, &w);
        double wall = (double)(w.tv_sec - w0.tv_sec) + (w.tv_nsec - w0.tv_nsec) / 1e9;
        if (wall - last_status >= 5) {
            status(e, &s, wall, obs);
            last_status = wall;
        }
        if (!fast)
            usleep(200000);
    }
    status(e, &s, 0, obs);
    json_t *v = live_snapshot(e, LIVE_TOPIC_VITALS, NULL);
    json_dumpf(json_object_get(v, LIVE_CITY_ID), stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
    printf("\n");
    json_decref(v);
    rc = 0;
out_sim:
    live_sim_free(&s);
out:
    live_close(e);
    scenario_free(sc);
    return rc;
}
