/* server/serve_cmd.c: `citytwin serve`: parse options, check the store,
 * start the HTTP server and the WebSocket push listener (push/), wait for
 * SIGINT/SIGTERM, stop both cleanly (exit 0).
 * The signals are blocked in every thread and taken by sigwait() here, so
 * no worker is interrupted mid-request and shutdown runs in one place. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "push/push.h"
#include "server/commands.h"
#include "server/http.h"
#include "server/serve_live.h"   /* live engine, tokens (issue 5) */
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
        "  --request-timeout S  a request's headers must arrive within S\n"
        "                  seconds, and each read or write of it too; slower\n"
        "                  clients are closed (default 10)\n"
        "  --quiet         no log line per request or WebSocket client\n\n"
        "live push (WebSockets, docs/PROTOCOL.md):\n"
        "  --ws-port N     WebSocket port (default 8081; 0 picks a free one;\n"
        "                  off = no push). A busy default port only warns.\n"
        "  --ws-origin L   allowed Origins, comma separated, or * (default:\n"
        "                  the Origin's host must be the Host header's host)\n"
        "  --ws-public-url URL  ws_url given to pages (behind a reverse proxy)\n"
        "  --tls-cert PEM, --tls-key PEM  wss:// on the push listener\n"
        "  --require-token T  viewer tokens, comma separated or @FILE (one per\n"
        "                  line); clients send ?token=, bearer.T sub-protocol\n"
        "                  or Authorization: Bearer\n"
        "  --ws-client-max BYTES  backlog bound per client (default 4 MiB):\n"
        "                  past it a client that has not read for\n"
        "                  --ws-stall-ms is dropped, past 4x it any client\n"
        "  --ws-stall-ms MS  see --ws-client-max (default 30000)\n"
        "  --ws-ping S     ping a client with no sign of life (message,\n"
        "                  pong, read) for S seconds, drop it (1006) after 2S\n"
        "                  with the ping unanswered for S (default 30)\n"
        "  --ws-batch-ms MS  changes published within MS go out in one\n"
        "                  frame per client, longer with many clients\n"
        "                  (default 25; 0: no wait)\n"
        "  --ws-max-in BYTES  largest client message (default 65536)\n"
        "  --ws-sndbuf BYTES  socket send buffer per client (tests)\n"
        "  --ws-history N  changes kept for resume (default 65536)\n"
        "  --ws-poll       lws's poll() loop instead of libev/epoll (comparison)\n"
        "  --push-test     accept {\"op\":\"publish\"} from clients (TEST ONLY)\n"
        "  --help          this text\n\n"
        "API reference: docs/API.md\n",
        STORE_DEFAULT_PATH);
    serve_live_usage(f);   /* live options (serve_live.c) */
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

/* Push options as given on the command line. */
typedef struct push_args {
    push_opts o;
    int off, explicit_port;
    char *token_buf;         /* the tokens' text, split in place */
    const char *tokens[65];
} push_args;

static int serve_run(http_conf *cp, push_args *pa);

/* "a,b,c" or "@file" (one token per line) into pa->tokens. */
static int parse_tokens(push_args *pa, const char *arg)
{
    if (arg[0] == '@') {
        FILE *f = fopen(arg + 1, "r");
        if (!f) {
            fprintf(stderr, "citytwin serve: --require-token %s: cannot read "
                    "the file\n", arg);
            return -1;
        }
        size_t cap = 4096, n = 0;
        pa->token_buf = malloc(cap);
        n = pa->token_buf ? fread(pa->token_buf, 1, cap - 1, f) : 0;
        fclose(f);
        if (!pa->token_buf)
            return -1;
        pa->token_buf[n] = '\0';
    } else {
        pa->token_buf = strdup(arg);
    }
    int n = 0;
    for (char *save = NULL, *t = strtok_r(pa->token_buf, ",\r\n", &save);
         t && n < 64; t = strtok_r(NULL, ",\r\n", &save))
        if (*t)
            pa->tokens[n++] = t;
    pa->tokens[n] = NULL;
    if (n == 0) {
        fprintf(stderr, "citytwin serve: --require-token %s names no token\n",
                arg);
        return -1;
    }
    pa->o.tokens = pa->tokens;
    pa->o.require_token = 1;
    return 0;
}

static int parse_size(const char *opt, const char *s, size_t *out)
{
    int v = 0;
    if (parse_num(opt, s, 1024, 1 << 30, &v))
        return -1;
    *out = (size_t)v;
    return 0;
}

/* 0 ok, 2 usage error; -1 --help shown. */
static int parse_args(int argc, char **argv, http_conf *c, push_args *pa)
{
    static const struct option opts[] = {
        {"store", required_argument, NULL, 's'},
        {"port", required_argument, NULL, 'p'},
        {"listen", required_argument, NULL, 'l'},
        {"web", required_argument, NULL, 'w'},
        {"tiles", required_argument, NULL, 't'},
        {"basemap", required_argument, NULL, 'b'},
        {"threads", required_argument, NULL, 'n'},
        {"request-timeout", required_argument, NULL, 'R'},
        {"quiet", no_argument, NULL, 'q'},
        {"ws-port", required_argument, NULL, 'W'},
        {"ws-origin", required_argument, NULL, 'O'},
        {"ws-public-url", required_argument, NULL, 'U'},
        {"tls-cert", required_argument, NULL, 'C'},
        {"tls-key", required_argument, NULL, 'K'},
        {"require-token", required_argument, NULL, 'T'},
        {"ws-client-max", required_argument, NULL, 'M'},
        {"ws-max-in", required_argument, NULL, 'I'},
        {"ws-sndbuf", required_argument, NULL, 'S'},
        {"ws-stall-ms", required_argument, NULL, 'L'},
        {"ws-ping", required_argument, NULL, 'G'},
        {"ws-batch-ms", required_argument, NULL, 'B'},
        {"push-test", no_argument, NULL, 'X'},
        {"ws-history", required_argument, NULL, 'H'},
        {"ws-poll", no_argument, NULL, 'Q'},
        SERVE_LIVE_GETOPT   /* live options (serve_live.h) */
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        int live_opt = serve_live_option(ch, optarg);   /* serve_live.c */
        if (live_opt < 0)
            return 2;
        if (live_opt > 0)
            continue;
        switch (ch) {
        case 's': c->store = optarg; break;
        case 'l': c->listen = optarg; break;
        case 'w': c->web = optarg; break;
        case 't': c->tiles = optarg; break;
        case 'b': c->basemap = optarg; break;
        case 'q': c->quiet = 1; pa->o.quiet = 1; break;
        case 'O': pa->o.origins = optarg; break;
        case 'U': c->ws_url = optarg; break;
        case 'C': pa->o.tls_cert = optarg; break;
        case 'K': pa->o.tls_key = optarg; break;
        case 'X': pa->o.test_publish = 1; break;
        case 'W':
            pa->explicit_port = 1;
            if (strcmp(optarg, "off") == 0)
                pa->off = 1;
            else if (parse_num("--ws-port", optarg, 0, 65535, &pa->o.port))
                return 2;
            break;
        case 'T':
            if (pa->token_buf) {
                fprintf(stderr, "citytwin serve: --require-token given twice "
                        "(use a comma list)\n");
                return 2;
            }
            if (parse_tokens(pa, optarg))
                return 2;
            break;
        case 'M':
            if (parse_size("--ws-client-max", optarg, &pa->o.client_max))
                return 2;
            break;
        case 'I':
            if (parse_size("--ws-max-in", optarg, &pa->o.max_in))
                return 2;
            break;
        case 'H': {
            int h = 0;
            if (parse_num("--ws-history", optarg, 1, 1 << 24, &h))
                return 2;
            pa->o.history = (size_t)h;
            break;
        }
        case 'S':
            if (parse_num("--ws-sndbuf", optarg, 1024, 1 << 26, &pa->o.sndbuf))
                return 2;
            break;
        case 'L':
            if (parse_num("--ws-stall-ms", optarg, 1, 3600000,
                          &pa->o.stall_ms))
                return 2;
            break;
        case 'p':
            if (parse_num("--port", optarg, 0, 65535, &c->port))
                return 2;
            break;
        case 'n':
            if (parse_num("--threads", optarg, 1, 256, &c->threads))
                return 2;
            break;
        case 'G':
            if (parse_num("--ws-ping", optarg, 1, 3600, &pa->o.ping_s))
                return 2;
            break;
        case 'Q':
            pa->o.poll = 1;
            break;
        case 'B':
            if (parse_num("--ws-batch-ms", optarg, 0, 1000, &pa->o.batch_ms))
                return 2;
            if (pa->o.batch_ms == 0)
                pa->o.batch_ms = -1;     /* push.h: negative = no wait */
            break;
        case 'R':
            if (parse_num("--request-timeout", optarg, 1, 600,
                          &c->request_timeout_s))
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
                   "127.0.0.1", 8080, 50, 0, NULL, 10};
    push_args pa;
    memset(&pa, 0, sizeof pa);
    pa.o.port = PUSH_DEFAULT_PORT;
    int rc = parse_args(argc, argv, &c, &pa);
    if (rc) {
        free(pa.token_buf);
        return rc < 0 ? 0 : rc;
    }
    rc = serve_run(&c, &pa);
    free(pa.token_buf);
    return rc;
}

/* Start push (before HTTP, so /api/v1/config knows its port). 0 ok or
 * push left off with a warning, 1 fatal. */
static int start_push(const http_conf *c, push_args *pa)
{
    if (pa->off)
        return 0;
    pa->o.listen = c->listen;
    ct_err err;
    ct_err_clear(&err);
    if (push_start(&pa->o, &err)) {
        if (pa->explicit_port || pa->o.tls_cert || pa->o.require_token) {
            fprintf(stderr, "citytwin serve: %s\n", err.msg);
            return 1;
        }
        fprintf(stderr, "citytwin serve: warning: %s; live push is off (give "
                "--ws-port)\n", err.msg);
        return 0;
    }
    fprintf(stderr, "citytwin serve: push listening on %s://%s:%d/%s%s\n",
            push_tls() ? "wss" : "ws", c->listen, push_port(),
            pa->o.require_token ? " (token required)" : "",
            pa->o.test_publish ? " (TEST publish enabled)" : "");
    return 0;
}

static int serve_run(http_conf *cp, push_args *pa)
{
    http_conf c = *cp;

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

    if (serve_live_start(&c, &pa->o)) {   /* live engine (serve_live.c) */
        serve_live_stop();
        pthread_sigmask(SIG_UNBLOCK, &sigs, NULL);
        return 1;
    }
    if (start_push(&c, pa)) {
        serve_live_stop();
        pthread_sigmask(SIG_UNBLOCK, &sigs, NULL);
        return 1;
    }
    serve_live_attach_push();
    http_server *s = http_server_start(&c, &err);
    if (!s) {
        fprintf(stderr, "citytwin serve: %s\n", err.msg);
        serve_live_stop();
        push_stop();
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
    serve_live_stop();
    push_stop();
    return 0;   /* signals stay blocked: a second one must not kill us now */
}
