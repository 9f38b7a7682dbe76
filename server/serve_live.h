/* server/serve_live.h: the live engine (live/) inside `citytwin serve`:
 * its options, start and stop, the housekeeping thread (live_tick once a
 * second), the optional simulator thread (--simulate: the scenario's
 * batches through live_ingest, the path a real feed takes), the token
 * database, and the bridge to the push layer. serve_cmd.c calls these; the
 * API handlers reach the engine through serve_live_engine(). */
#ifndef SERVER_SERVE_LIVE_H
#define SERVER_SERVE_LIVE_H

#include <getopt.h>
#include <stdio.h>

#include "live/live.h"
#include "push/push.h"
#include "server/auth.h"
#include "server/http.h"

/* getopt_long codes of the live options (above every character). */
enum {
    SERVE_LIVE_OPT_LIVE = 0x4c00, SERVE_LIVE_OPT_NO_LIVE,
    SERVE_LIVE_OPT_THRESHOLDS, SERVE_LIVE_OPT_SIMULATE,
    SERVE_LIVE_OPT_SCENARIO, SERVE_LIVE_OPT_SEED, SERVE_LIVE_OPT_ACCEL,
    SERVE_LIVE_OPT_AUTH_DB, SERVE_LIVE_OPT_INIT_TOKENS, SERVE_LIVE_OPT_HIST_SYNC,
    SERVE_LIVE_OPT_HIST_GROUP, SERVE_LIVE_OPT_HIST_RAW
};

/* The entries to put in serve's struct option table. */
#define SERVE_LIVE_GETOPT \
    {"live", required_argument, NULL, SERVE_LIVE_OPT_LIVE}, \
    {"no-live", no_argument, NULL, SERVE_LIVE_OPT_NO_LIVE}, \
    {"thresholds", required_argument, NULL, SERVE_LIVE_OPT_THRESHOLDS}, \
    {"simulate", no_argument, NULL, SERVE_LIVE_OPT_SIMULATE}, \
    {"scenario", required_argument, NULL, SERVE_LIVE_OPT_SCENARIO}, \
    {"seed", required_argument, NULL, SERVE_LIVE_OPT_SEED}, \
    {"accel", required_argument, NULL, SERVE_LIVE_OPT_ACCEL}, \
    {"auth-db", required_argument, NULL, SERVE_LIVE_OPT_AUTH_DB}, \
    {"init-tokens", no_argument, NULL, SERVE_LIVE_OPT_INIT_TOKENS}, \
    {"history-sync", required_argument, NULL, SERVE_LIVE_OPT_HIST_SYNC}, \
    {"history-group-ms", required_argument, NULL, SERVE_LIVE_OPT_HIST_GROUP}, \
    {"history-raw-min", required_argument, NULL, SERVE_LIVE_OPT_HIST_RAW},

/* The options' help lines. */
void serve_live_usage(FILE *f);
/* Take one getopt_long result: 1 it was a live option (stored), 0 not
 * one, -1 a bad value (message printed). */
int serve_live_option(int ch, const char *arg);

/* Open the token database and the live engine, start the housekeeping
 * and simulator threads. Call before push_start(): it installs the token
 * checker in po. 0 ok (live may be off with a warning when it was not
 * asked for explicitly), 1 fatal (message printed). */
int serve_live_start(const http_conf *c, push_opts *po);
/* After push_start(): forward the engine's stream to the push layer. */
void serve_live_attach_push(void);
/* Stop the threads, close the engine (commits what is queued) and the
 * token database. Safe when not started. */
void serve_live_stop(void);

/* A copy of the thresholds file the engine uses (JSON null without one),
 * so the page colours values by the server's rules. */
json_t *serve_live_thresholds(void);
/* The engine, or NULL when live is off. */
live_engine *serve_live_engine(void);
/* The token database (NULL when it could not be opened). */
auth_db *serve_live_auth(void);
/* Do reads need a token (--require-token)? */
int serve_live_reads_need_token(void);
/* Is token one of the --require-token list (viewer tokens)? */
int serve_live_listed_token(const char *token);

#endif
