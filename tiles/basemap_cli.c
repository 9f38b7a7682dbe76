/* tiles/basemap_cli.c: `citytwin basemap`, the base map pyramid on its own
 * (`citytwin tiles` renders it too, through basemap_render). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/commands.h"
#include "spatial/store.h"
#include "tiles/basemap.h"

#define BASEMAP_DEFAULT_OUT "var/basemap"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: citytwin basemap [OPTIONS]\n"
            "Render the offline base map (XYZ PNG tiles, Web Mercator) from "
            "the store.\n\n"
            "  --store PATH      store to read (default %s)\n"
            "  --out DIR         output folder (default %s)\n"
            "  --style PATH      style file (default %s)\n"
            "  --min-zoom N      first zoom level (default 8)\n"
            "  --max-zoom N      last zoom level (default 15)\n"
            "  --jobs N          render threads (default: all cores)\n"
            "  --tile-size N     256 (default) or 512 pixels\n"
            "  --quiet           no progress or summary\n"
            "  --help            this text\n",
            STORE_DEFAULT_PATH, BASEMAP_DEFAULT_OUT, BASEMAP_DEFAULT_STYLE);
}

static int parse_int(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < -1000000 || v > 1000000)
        return -1;
    *out = (int)v;
    return 0;
}

int basemap_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'},
        {"out", required_argument, NULL, 'o'},
        {"style", required_argument, NULL, 'S'},
        {"min-zoom", required_argument, NULL, 'z'},
        {"max-zoom", required_argument, NULL, 'Z'},
        {"jobs", required_argument, NULL, 'j'},
        {"tile-size", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *store = STORE_DEFAULT_PATH, *out = BASEMAP_DEFAULT_OUT;
    basemap_opts o;
    basemap_opts_default(&o);
    int c, bad = 0;
    optind = 1;
    while (!bad && (c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's': store = optarg; break;
        case 'o': out = optarg; break;
        case 'S': o.style_path = optarg; break;
        case 'z': bad = parse_int(optarg, &o.min_zoom); break;
        case 'Z': bad = parse_int(optarg, &o.max_zoom); break;
        case 'j': bad = parse_int(optarg, &o.jobs); break;
        case 't': bad = parse_int(optarg, &o.tile_size); break;
        case 'q': o.quiet = 1; break;
        case 'h': usage(stdout); return 0;
        default: bad = 1;
        }
        if (bad && c != '?')
            fprintf(stderr, "citytwin basemap: bad number '%s'\n", optarg);
    }
    if (bad || optind < argc) {
        usage(stderr);
        return 2;
    }
    ct_err err;
    ct_err_clear(&err);
    basemap_stats st;
    if (basemap_render_stats(store, out, &o, &st, &err)) {
        const char *msg = err.msg;
        if (!strncmp(msg, "basemap: ", 9))
            msg += 9; /* the prefix is already there */
        fprintf(stderr, "citytwin basemap: %s\n", msg);
        return 1;
    }
    if (!o.quiet)
        printf("basemap: %ld tiles (%ld flat-colour links, %ld of them under "
               "flat parents) z%d..%d in %.1f s (%.0f tiles/s) -> %s\n",
               st.tiles_written, st.tiles_solid, st.tiles_derived,
               o.min_zoom, o.max_zoom, st.seconds,
               st.seconds > 0 ? st.tiles_written / st.seconds : 0.0, out);
    return 0;
}
