/* server/main.c: the citytwin program: one binary, one subcommand per stage.
 * Each stage lives in its own folder and exposes one *_main(argc, argv);
 * this file only dispatches and prints the overview. */
#include <stdio.h>
#include <string.h>

#include "server/commands.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command COMMANDS[] = {
    /* one line per subcommand, in the order data flows */
    {"synth", synth_main, "generate the rest of central Luoyang (GeoPackage)"},
    {"import", import_main, "import GIS sources (GDAL vector) into the store"},
    {"tiles", tiles_main, "build 3D Tiles 1.1 of the buildings (+ base map)"},
    {"basemap", basemap_main, "render the offline base map (XYZ PNG tiles)"},
    {"serve", serve_main, "serve the store over HTTP (page, REST API, tiles)"},
    {"simulate", simulate_main, "play a scenario into the live engine (in-process)"},
    {"token", token_main, "create, list and revoke API tokens (roles)"},
    {NULL, NULL, NULL}};

static void usage(FILE *f)
{
    fprintf(f,
            "citytwin %s: digital twin of a city for its operations centre\n\n"
            "usage: citytwin COMMAND [OPTIONS]\n"
            "       citytwin COMMAND --help   (options of one command)\n\n"
            "commands:\n",
            CITYTWIN_VERSION);
    for (size_t i = 0; COMMANDS[i].name; i++)
        fprintf(f, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(f, "  %-10s %s\n", "version", "print the version");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("citytwin %s\n", CITYTWIN_VERSION);
        return 0;
    }
    for (size_t i = 0; COMMANDS[i].name; i++)
        if (!strcmp(cmd, COMMANDS[i].name))
            return COMMANDS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "citytwin: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
