/* spatial/import_cmd.c: `citytwin import`: the command line over
 * import_sources() (spatial/import.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/commands.h"
#include "spatial/import.h"
#include "spatial/store.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: citytwin import SOURCE... [OPTIONS]\n\n"
        "Read GIS vector sources (GeoPackage, Shapefile, GeoJSON, FlatGeobuf,\n"
        "OSM XML/PBF, PostGIS as PG:\"dbname=...\", anything GDAL reads) into the\n"
        "store, in one transaction: on any error the store is left as it was.\n"
        "Re-importing a source replaces its rows (ids come from the source's ids).\n\n"
        "options:\n"
        "  --store PATH     the store to create or update (default %s)\n"
        "  --s_srs CRS      source CRS, overriding the file's: EPSG:4490, EPSG:4546,\n"
        "                   EPSG:3857, EPSG:32650, a PROJ string, WKT, or gcj02\n"
        "                   (AMap/DataV \"Mars\" coordinates)\n"
        "  --clip FILE      keep only what lies inside the polygons of FILE\n"
        "                   (lines and areas are cut at the boundary)\n"
        "  --map MAPPING    native, tilezen, osm, or a mapping .json file\n"
        "                   (default: detected per source; see docs/MAPPING.md)\n"
        "  --report FILE    write the import report (counts per layer, rejections\n"
        "                   by reason) as JSON\n"
        "  --strict         reject invalid geometries instead of repairing them,\n"
        "                   and fail the import on any rejected feature (except\n"
        "                   features outside --clip)\n"
        "  --replace        also delete the rows that came from the same source\n"
        "                   and source layer (columns source, src_layer) but\n"
        "                   are no longer in it: a re-import mirrors the source\n"
        "  --quiet          no summary or warnings on stderr\n"
        "  -h, --help       this help\n\n"
        "exit status: 0 imported, 1 failed (store unchanged), 2 usage error\n",
        STORE_DEFAULT_PATH);
}

int import_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"store", required_argument, NULL, 's'},
        {"s_srs", required_argument, NULL, 'c'},
        {"clip", required_argument, NULL, 'k'},
        {"map", required_argument, NULL, 'm'},
        {"report", required_argument, NULL, 'r'},
        {"strict", no_argument, NULL, 'S'},
        {"quiet", no_argument, NULL, 'q'},
        {"replace", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    import_opts o;
    memset(&o, 0, sizeof o);
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 's': o.store = optarg; break;
        case 'c': o.s_srs = optarg; break;
        case 'k': o.clip = optarg; break;
        case 'm': o.map = optarg; break;
        case 'r': o.report = optarg; break;
        case 'S': o.strict = 1; break;
        case 'q': o.quiet = 1; break;
        case 'P': o.replace = 1; break;
        case 'h': usage(stdout); return 0;
        default:
            if (optopt)
                fprintf(stderr, "citytwin import: option '%s' needs a value\n",
                        argv[optind - 1]);
            else
                fprintf(stderr, "citytwin import: unknown option '%s'\n",
                        argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "citytwin import: no SOURCE given\n");
        usage(stderr);
        return 2;
    }
    o.sources = (const char *const *)(argv + optind);
    o.nsources = argc - optind;
    import_report r;
    ct_err err;
    ct_err_clear(&err);
    int rc = import_sources(&o, &r, &err);
    if (rc) {
        fprintf(stderr, "citytwin import: %s\n", err.msg);
        if (!o.quiet && r.nlayers)
            import_report_print(&r, stderr);
        fprintf(stderr, "citytwin import: failed; the store %s is unchanged\n",
                o.store ? o.store : STORE_DEFAULT_PATH);
    } else if (!o.quiet) {
        import_report_print(&r, stderr);
    }
    import_report_free(&r);
    return rc ? 1 : 0;
}
