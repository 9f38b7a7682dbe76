/* tiles/tiles_cmd.c: `citytwin tiles`, the command line of tiles_build()
 * and, unless --no-basemap, of the offline base map (tiles/basemap.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/commands.h"
#include "tiles/basemap.h"
#include "tiles/tiles.h"

#define BASEMAP_DEFAULT_OUT "var/basemap"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: citytwin tiles [OPTIONS]\n"
        "Build OGC 3D Tiles 1.1 (tileset.json + .glb) of the buildings and\n"
        "building parts in the store, then the offline base map.\n\n"
        "  --store FILE         SpatiaLite store (default %s)\n"
        "  --out DIR            output folder (default %s)\n"
        "  --compress MODE      meshopt (default: quantized + EXT_meshopt_compression)\n"
        "                       or none (plain float32)\n"
        "  --jobs N             threads (default: all cores)\n"
        "  --max-triangles N    per leaf tile, upper bound (default 100000)\n"
        "  --max-features N     per leaf tile (default 20000)\n"
        "  --lod-boxes N        features shown as boxes by a parent tile\n"
        "                       (default max-triangles / 50)\n"
        "  --dem FILE           ground heights (ellipsoidal, metres) from a raster\n"
        "                       GDAL reads; default: the ellipsoid (height 0)\n"
        "  --no-basemap         skip the base map\n"
        "  --basemap-out DIR    base map folder (default %s)\n"
        "  --quiet              no progress or summary\n"
        "  --help               this text\n",
        "var/city.sqlite", TILES_DEFAULT_OUT, BASEMAP_DEFAULT_OUT);
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int tiles_main(int argc, char **argv)
{
    enum { O_STORE = 1, O_OUT, O_COMPRESS, O_JOBS, O_MAXTRI, O_MAXFEAT, O_LOD,
           O_DEM, O_NOBASE, O_BASEOUT, O_QUIET, O_HELP };
    static const struct option opts[] = {
        {"store", required_argument, NULL, O_STORE},
        {"out", required_argument, NULL, O_OUT},
        {"compress", required_argument, NULL, O_COMPRESS},
        {"jobs", required_argument, NULL, O_JOBS},
        {"max-triangles", required_argument, NULL, O_MAXTRI},
        {"max-features", required_argument, NULL, O_MAXFEAT},
        {"lod-boxes", required_argument, NULL, O_LOD},
        {"dem", required_argument, NULL, O_DEM},
        {"no-basemap", no_argument, NULL, O_NOBASE},
        {"basemap-out", required_argument, NULL, O_BASEOUT},
        {"quiet", no_argument, NULL, O_QUIET},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0}};
    tiles_opts o;
    tiles_opts_default(&o);
    const char *basemap_out = BASEMAP_DEFAULT_OUT;
    int basemap = 1, c;
    long v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_STORE: o.store = optarg; break;
        case O_OUT: o.out = optarg; break;
        case O_COMPRESS:
            if (!strcmp(optarg, "meshopt"))
                o.compress = GLTF_MESHOPT;
            else if (!strcmp(optarg, "none"))
                o.compress = GLTF_PLAIN;
            else {
                fprintf(stderr, "tiles: --compress %s: use meshopt or none\n", optarg);
                return 2;
            }
            break;
        case O_JOBS:
            if (parse_long(optarg, 1, 64, &v)) {
                fprintf(stderr, "tiles: --jobs %s: expected 1..64\n", optarg);
                return 2;
            }
            o.jobs = (int)v;
            break;
        case O_MAXTRI:
            if (parse_long(optarg, 100, 10000000, &o.max_triangles)) {
                fprintf(stderr, "tiles: --max-triangles %s: expected 100..10000000\n",
                        optarg);
                return 2;
            }
            break;
        case O_MAXFEAT:
            if (parse_long(optarg, 1, 1000000, &o.max_features)) {
                fprintf(stderr, "tiles: --max-features %s: expected 1..1000000\n",
                        optarg);
                return 2;
            }
            break;
        case O_LOD:
            if (parse_long(optarg, 1, 1000000, &v)) {
                fprintf(stderr, "tiles: --lod-boxes %s: expected 1..1000000\n", optarg);
                return 2;
            }
            o.lod_boxes = (int)v;
            break;
        case O_DEM: o.dem = optarg; break;
        case O_NOBASE: basemap = 0; break;
        case O_BASEOUT: basemap_out = optarg; break;
        case O_QUIET: o.quiet = 1; break;
        case O_HELP: usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tiles: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    tiles_report r;
    ct_err err;
    ct_err_clear(&err);
    if (tiles_build(&o, &r, &err)) {
        fprintf(stderr, "tiles: %s\n", err.msg);
        return 1;
    }
    if (!o.quiet)
        printf("tiles: %ld features (%ld built, %ld drawn by their parts, %ld not "
               "built: %ld bad geometry, %ld bad height; %ld polygons repaired, "
               "%ld by CDT, %ld lost), %ld tiles (%ld leaves), %lld triangles, "
               "%lld bytes, %ld written, %ld unchanged, %ld removed, %.2f s -> %s\n",
               r.features, r.built, r.hidden_outlines, r.unbuilt, r.bad_geometry,
               r.bad_height, r.repaired, r.cdt, r.lost_polygons, r.tiles, r.leaves,
               r.triangles, r.bytes, r.written, r.unchanged, r.removed, r.seconds,
               o.out);
    if (!o.quiet && o.dem)
        printf("tiles: %ld features had no ground height in %s (0 used)\n",
               r.dem_missing, o.dem);
    if (!basemap)
        return 0;
    basemap_opts bo;
    basemap_opts_default(&bo);
    bo.jobs = o.jobs;
    bo.quiet = o.quiet;
    if (basemap_render(o.store, basemap_out, &bo, &err)) {
        fprintf(stderr, "tiles: base map: %s\n", err.msg);
        return 1;
    }
    return 0;
}
