/* server/serve_cmd.c: `citytwin serve`: parse options, check the store,
 * start the HTTP server, wait for SIGINT/SIGTERM, stop cleanly (exit 0).
 * The signals are blocked in every thread and taken by sigwait() here, so
 * no worker is interrupted mid-request and shutdown runs in one place. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "server/commands.h"
#include "server/http.h"
#include "spatial/store.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: citytwin serve [OPTIONS]\n\n"
        "Serve the store over HTTP: the page, the REST API (/api/v1/...),\n"
        "3D tiles and the base map. Stops cleanly on SIGINT or SIGTERM.\n\n"
        "options:\n"
        "  --store PATH    SpatiaLite store, read-only (default %s)\n"
        "  --port N        TCP port (default 8080; 0 picks a free one)\n"
        "  --listen ADDR   address to listen on (default 127.0.0.1)\n"
        "  --web DIR       folder served at / (default web)\n"
        "  --tiles DIR     folder served at /tiles/ (default var/tiles)\n"
        "  --basemap DIR   folder served at /basemap/ (default var/basemap)\n"
        "  --threads N     worker threads, each with its own store\n"
        "                  connection; one per open connection (default 50)\n"
        "  --quiet         no log line per request\n"
        "  --help          this text\n\n"
        "API reference: docs/API.md\n",
        STORE_DEFAULT_PATH);
}

static int parse_num(const char *opt, const char *s, long min, long max,
                     int *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < min || v > max) {
        fprintf(stderr, "citytwin serve: %s '%s' is not a number from %ld to "
                "%ld\n", opt, s, min, max);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int is_dir(const char *p)
{
    struct stat sb;
    return p && stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* 0 ok, 2 usage error; -1 --help shown. */
static int parse_args(int argc, char **argv, http_conf *c)
{
    static const struct option opts[] = {
        {"store", required_argument, NULL, 's'},
        {"port", required_argument, NULL, 'p'},
        {"listen", required_argument, NULL, 'l'},
        {"web", required_argument, NULL, 'w'},
        {"tiles", required_argument, NULL, 't'},
        {"basemap", required_argument, NULL, 'b'},
        {"threads", required_argument, NULL, 'n'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (ch) {
        case 's': c->store = optarg; break;
        case 'l': c->listen = optarg; break;
        case 'w': c->web = optarg; break;
        case 't': c->tiles = optarg; break;
        case 'b': c->basemap = optarg; break;
        case 'q': c->quiet = 1; break;
        case 'p':
            if (parse_num("--port", optarg, 0, 65535, &c->port))
                return 2;
            break;
        case 'n':
            if (parse_num("--threads", optarg, 1, 256, &c->threads))
                return 2;
            break;
        case 'h': usage(stdout); return -1;
        case ':':
            fprintf(stderr, "citytwin serve: %s needs a value\n",
                    argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "citytwin serve: unknown option '%s'\n\n",
                    argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "citytwin serve: unexpected argument '%s'\n",
                argv[optind]);
        return 2;
    }
    return 0;
}

int serve_main(int argc, char **argv)
{
    http_conf c = {STORE_DEFAULT_PATH, "web", "var/tiles", "var/basemap",
                   "127.0.0.1", 8080, 50, 0, NULL};
    int rc = parse_args(argc, argv, &c);
    if (rc)
        return rc < 0 ? 0 : rc;

    /* Fail early, with the store's own words, rather than on each request. */
    ct_err err;
    ct_err_clear(&err);
    sqlite3 *db = NULL;
    if (store_open(c.store, STORE_READONLY, &db, &err)) {
        fprintf(stderr, "citytwin serve: %s\n", err.msg);
        return 1;
    }
    store_close(db);
    if (!is_dir(c.web))
        fprintf(stderr, "citytwin serve: no web folder at %s: / will answer "
                "404\n", c.web);

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);   /* inherited by the workers */

    http_server *s = http_server_start(&c, &err);
    if (!s) {
        fprintf(stderr, "citytwin serve: %s\n", err.msg);
        pthread_sigmask(SIG_UNBLOCK, &sigs, NULL);
        return 1;
    }
    fprintf(stderr, "citytwin serve: listening on http://%s:%d/ (store %s, "
            "%d threads)\n", c.listen, http_server_port(s), c.store, c.threads);
    int sig = 0;
    while (sigwait(&sigs, &sig) != 0)
        ;
    fprintf(stderr, "citytwin serve: %s received, stopping\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    http_server_stop(s);
    return 0;   /* signals stay blocked: a second one must not kill us now */
}
