/* synth/synth_cmd.c: `citytwin synth`, the generated rest of central
 * Luoyang, and synth_generate(), the same thing as a library call. */
#include <errno.h>
#include <math.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/ct_progress.h"
#include "synth/scenario.h"
#include "synth/synth.h"

#define DEFAULT_OUT "var/synth.gpkg"
#define DEFAULT_OPEN "data/luoyang/luoyang_open.gpkg"

static int ensure_parent_dir(const char *path, ct_err *err)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return CT_OK;
    *slash = 0;
    for (char *p = dir + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(dir, 0755);
            *p = '/';
        }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return ct_fail(err, CT_EIO, "%s: cannot create folder %s: %s", path, dir,
                       strerror(errno));
    return CT_OK;
}

int synth_generate(const synth_opts *opt, synth_stats *st, ct_err *err)
{
    if (!(opt->scale > 0) || opt->scale > 100)
        return ct_fail(err, CT_EINVAL, "--scale %g: must be > 0 and <= 100",
                       opt->scale);
    synth_ctx c;
    memset(&c, 0, sizeof c);
    c.opt = *opt;
    c.density = opt->scale > 1 ? 1.0 / sqrt(opt->scale) : 1.0;
    double t0 = ct_now();
    GDALAllRegister();
    int rc = ensure_parent_dir(opt->out, err);
    if (rc == CT_OK)
        rc = synth_world_load(&c.w, opt->open, opt->scale, err);
    if (rc == CT_OK)
        rc = synth_out_open(&c.out, opt->out, err);
    if (rc == CT_OK)
        rc = synth_roads(&c, err);
    if (rc == CT_OK)
        rc = synth_blocks(&c, err);
    if (rc == CT_OK)
        rc = synth_pois(&c, err);
    if (rc == CT_OK)
        rc = synth_water_areas(&c, err);
    if (rc == CT_OK)
        rc = synth_water_stations(&c, err);
    if (st) {
        memset(st, 0, sizeof *st);
        for (int k = 0; k < SL_COUNT; k++)
            st->count[k] = c.out.count[k];
        st->built_area_km2 = c.built_area_m2 / 1e6;
    }
    if (c.out.ds || c.out.path[0]) {
        int rc2 = synth_out_close(&c.out, rc == CT_OK, rc == CT_OK ? err : NULL);
        if (rc == CT_OK)
            rc = rc2;
    }
    synth_grid_free(c.grid);
    synth_world_free(&c.w);
    if (st)
        st->seconds = ct_now() - t0;
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: citytwin synth [--out FILE] [--seed N] [--scale S] "
            "[--open FILE]\n\n"
            "Generate the rest of central Luoyang (roads, buildings, parks, water\n"
            "areas, car parks, fire stations, hydrants, hospitals, police, schools,\n"
            "cameras, water monitoring stations) inside the real district\n"
            "boundaries, as a GeoPackage whose layers follow the store schema.\n"
            "Every feature has source=synthetic. Same seed and scale, same bytes.\n\n"
            "  --out FILE   output GeoPackage (default %s)\n"
            "  --seed N     random seed (default 1)\n"
            "  --scale S    1 = default city (>= 100k buildings); 10 = ~1.5M smaller\n"
            "               buildings for benchmarks; < 1 = a smaller area (tests)\n"
            "  --open FILE  the real layers (default %s)\n"
            "  --quiet      no summary on stdout\n"
            "  --check-scenario FILE  validate a scenario file (data/scenario/)\n"
            "               and print its summary; nothing is generated\n",
            DEFAULT_OUT, DEFAULT_OPEN);
}

static int check_scenario(const char *path)
{
    static const char *KIND[] = {"rainstorm", "fire", "accident"};
    scenario *s;
    ct_err err;
    if (scenario_load(path, &s, &err) != CT_OK) {
        fprintf(stderr, "synth: %s\n", err.msg);
        return 1;
    }
    printf("%s: scenario '%s' is valid: %.1f h from %02d:%02d, x%g, %d events\n",
           path, s->name, s->duration_s / 3600, (int)(s->start_clock_s / 3600),
           (int)((long)s->start_clock_s % 3600 / 60), s->time_acceleration,
           s->nevents);
    for (int i = 0; i < s->nevents; i++) {
        const scenario_event *e = &s->events[i];
        printf("  +%5.2f h  %-9s %s\n", e->at_s / 3600, KIND[e->kind],
               e->target[0] ? e->target : e->note);
    }
    scenario_free(s);
    return 0;
}

int synth_main(int argc, char **argv)
{
    synth_opts o = {.out = DEFAULT_OUT, .open = DEFAULT_OPEN, .seed = 1,
                    .scale = 1.0};
    static const struct option lo[] = {
        {"out", required_argument, 0, 'o'}, {"seed", required_argument, 0, 's'},
        {"scale", required_argument, 0, 'k'}, {"open", required_argument, 0, 'p'},
        {"quiet", no_argument, 0, 'q'},     {"help", no_argument, 0, 'h'},
        {"check-scenario", required_argument, 0, 'c'},
        {0, 0, 0, 0}};
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        char *end = NULL;
        switch (ch) {
        case 'o': o.out = optarg; break;
        case 'p': o.open = optarg; break;
        case 'q': o.quiet = 1; break;
        case 'c': return check_scenario(optarg);
        case 's':
            errno = 0;
            o.seed = strtoull(optarg, &end, 10);
            if (errno || !end || *end || optarg[0] == '-') {
                fprintf(stderr, "synth: --seed '%s': not a non-negative integer\n",
                        optarg);
                return 2;
            }
            break;
        case 'k':
            o.scale = strtod(optarg, &end);
            if (!end || *end || !(o.scale > 0) || o.scale > 100) {
                fprintf(stderr, "synth: --scale '%s': must be a number in (0, 100]\n",
                        optarg);
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "synth: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    synth_stats st;
    ct_err err;
    ct_err_clear(&err);
    if (synth_generate(&o, &st, &err) != CT_OK) {
        fprintf(stderr, "synth: %s\n", err.msg);
        return 1;
    }
    if (!o.quiet) {
        printf("synth: wrote %s (seed %llu, scale %g) in %.1f s\n", o.out,
               (unsigned long long)o.seed, o.scale, st.seconds);
        for (int k = 0; k < SL_COUNT; k++)
            printf("  %-15s %10lld\n", synth_layer_id(k), (long long)st.count[k]);
        printf("  built area %.1f km², %.0f buildings/s\n", st.built_area_km2,
               st.count[SL_BUILDINGS] / (st.seconds > 0 ? st.seconds : 1));
    }
    return 0;
}
