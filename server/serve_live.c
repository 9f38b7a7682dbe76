/* server/serve_live.c: the live engine inside `citytwin serve` (see
 * serve_live.h): options, token database, engine, housekeeping and
 * simulator threads, push bridge. One instance per process. */
#include "server/serve_live.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "live/simulator.h"
#include "push/push_live.h"
#include "synth/scenario.h"

#define DEFAULT_THRESHOLDS "data/thresholds.json"
#define DEFAULT_SCENARIO "data/scenario/default.json"

static struct {
    /* options */
    const char *live, *thresholds, *auth_path, *scenario;
    long long seed;
    double accel;
    int off, simulate, init_tokens, explicit_live, sync_normal;
    long long group_ms;     /* -1: the default */
    long long raw_min;      /* 0: the default (7 days) */
    /* state */
    char live_buf[1024], auth_buf[1024];
    live_engine *e;
    json_t *thr_json;       /* the thresholds file, for /api/v1/config */
    auth_db *auth;
    push_opts *po;
    scenario *sc;
    live_sim sim;
    int sim_ok, sub_id;
    pthread_t tick_th, sim_th;
    int tick_on, sim_on;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stopping;
} L = {.seed = -1, .group_ms = -1, .sub_id = -1, .mu = PTHREAD_MUTEX_INITIALIZER,
       .cv = PTHREAD_COND_INITIALIZER};

void serve_live_usage(FILE *f)
{
    fprintf(f,
        "live city (docs/LIVE.md, docs/API.md; tokens: docs/AUTH.md):\n"
        "  --live PATH     live history database (default: live.sqlite beside\n"
        "                  the store, i.e. var/live.sqlite)\n"
        "  --no-live       no live engine: the live endpoints answer 503\n"
        "  --thresholds F  alert thresholds (default %s)\n"
        "  --simulate      play the scenario into the engine through the\n"
        "                  ingest path of a real feed\n"
        "  --scenario F    scenario for --simulate (default %s)\n"
        "  --seed N        simulator seed (default: the scenario's)\n"
        "  --accel X       scenario seconds per wall second (default: the\n"
        "                  scenario's)\n"
        "  --auth-db PATH  API tokens (default: auth.sqlite beside the store)\n"
        "  --init-tokens   at first run create feeder, operator and admin\n"
        "                  tokens into tokens.txt beside the token database\n"
        "                  (mode 0600) and say where they are\n"
        "  --history-sync full|normal  full (default): an accepted reading is\n"
        "                  on the disk before its answer; normal: it survives\n"
        "                  a crash of the server, not of the machine (no disk\n"
        "                  sync per request; see docs/LIVE.md, \"History\")\n"
        "  --history-group-ms MS  how long a commit of readings waits for\n"
        "                  readings of other feeds to share its disk sync\n"
        "                  (default %d; 0: never waits)\n"
        "  --history-raw-min M  keep raw readings M minutes (default 10080, 7\n"
        "                  days; 10 to 5256000), older ones as 5-minute means:\n"
        "                  the history's size (make run: 30, its x60 simulator\n"
        "                  writes ~3 GB of readings an hour)\n"
        "  --require-token (above) also makes the live reads need a token\n\n",
        DEFAULT_THRESHOLDS, DEFAULT_SCENARIO, LIVE_HIST_GROUP_MS);
}

/* A whole number of unit in [min, max] into *out: 1, or -1 with a message
 * naming the option, the value and the range. */
static int whole(const char *opt, const char *arg, long long min,
                 long long max, const char *unit, long long *out)
{
    char *end = NULL;
    long long v = strtoll(arg, &end, 10);
    if (!*arg || *end || v < min || v > max) {
        fprintf(stderr, "citytwin serve: %s '%s' is not a whole number of %s "
                "from %lld to %lld\n", opt, arg, unit, min, max);
        return -1;
    }
    *out = v;
    return 1;
}

int serve_live_option(int ch, const char *arg)
{
    char *end = NULL;
    switch (ch) {
    case SERVE_LIVE_OPT_LIVE: L.live = arg; L.explicit_live = 1; return 1;
    case SERVE_LIVE_OPT_NO_LIVE: L.off = 1; return 1;
    case SERVE_LIVE_OPT_THRESHOLDS: L.thresholds = arg; return 1;
    case SERVE_LIVE_OPT_SIMULATE: L.simulate = 1; return 1;
    case SERVE_LIVE_OPT_SCENARIO: L.scenario = arg; return 1;
    case SERVE_LIVE_OPT_AUTH_DB: L.auth_path = arg; return 1;
    case SERVE_LIVE_OPT_INIT_TOKENS: L.init_tokens = 1; return 1;
    case SERVE_LIVE_OPT_HIST_SYNC:
        if (strcmp(arg, "full") && strcmp(arg, "normal")) {
            fprintf(stderr, "citytwin serve: --history-sync '%s' is neither "
                    "'full' nor 'normal'\n", arg);
            return -1;
        }
        L.sync_normal = !strcmp(arg, "normal");
        return 1;
    case SERVE_LIVE_OPT_HIST_GROUP:
        return whole("--history-group-ms", arg, 0, 1000, "ms", &L.group_ms);
    case SERVE_LIVE_OPT_HIST_RAW:   /* up to 10 years */
        return whole("--history-raw-min", arg, 10, 5256000, "minutes",
                     &L.raw_min);
    case SERVE_LIVE_OPT_SEED:
        L.seed = strtoll(arg, &end, 10);
        if (!*arg || *end || L.seed < 0) {
            fprintf(stderr, "citytwin serve: --seed '%s' is not a whole number "
                    ">= 0\n", arg);
            return -1;
        }
        return 1;
    case SERVE_LIVE_OPT_ACCEL:
        L.accel = strtod(arg, &end);
        if (!*arg || *end || !(L.accel > 0 && L.accel <= 1e6)) {
            fprintf(stderr, "citytwin serve: --accel '%s' is not a number in "
                    "(0, 1000000]\n", arg);
            return -1;
        }
        return 1;
    default: return 0;
    }
}

/* dir(of)/name into buf. */
static const char *beside(const char *of, const char *name, char *buf, size_t n)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", of);
    snprintf(buf, n, "%s/%s", dirname(tmp), name);
    return buf;
}

/* Sleep up to ms unless stopping; returns 1 when stopping. */
static int nap(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&L.mu);
    while (!L.stopping && pthread_cond_timedwait(&L.cv, &L.mu, &ts) != ETIMEDOUT)
        ;
    int s = L.stopping;
    pthread_mutex_unlock(&L.mu);
    return s;
}

/* Housekeeping once a second; in between, the vitals the rate limit
 * held back go out when their time comes. */
static void *tick_thread(void *arg)
{
    (void)arg;
    int n = 0;
    while (!nap(LIVE_VITALS_EVERY_MS)) {
        if (++n * LIVE_VITALS_EVERY_MS >= 1000) {
            n = 0;
            live_tick(L.e);
        } else {
            live_flush(L.e);
        }
    }
    return NULL;
}

/* The simulator plays the scenario through live_ingest (live_sim_run), as
 * a feed's POSTs would, five times a second. */
static void *sim_thread(void *arg)
{
    (void)arg;
    long total = 0;
    int ended = 0;
    int64_t skipped = 0, warned = 0;
    while (!nap(200)) {
        int64_t now = live_now(L.e);
        if (live_sim_done(&L.sim, now)) {
            if (!ended)
                fprintf(stderr, "citytwin serve: simulator: scenario '%s' ended "
                        "(%ld observations)\n", L.sc->name, total);
            ended = 1;
            continue;
        }
        int n = 0;
        ct_err err;
        ct_err_clear(&err);
        if (live_sim_run(&L.sim, L.e, now, &n, &err))
            fprintf(stderr, "citytwin serve: simulator: %s\n", err.msg);
        total += n;
        if (L.sim.skipped > skipped && now - warned >= 60000) {
            fprintf(stderr, "citytwin serve: simulator: behind the clock, skipped "
                    "%lld reports so far (the machine is too busy for x%.0f)\n",
                    (long long)L.sim.skipped, L.sim.accel);
            skipped = L.sim.skipped;
            warned = now;
        }
    }
    return NULL;
}

/* --init-tokens: the first run creates a feeder, an operator and an admin
 * token and writes them (only there) to tokens.txt, mode 0600. */
static int init_tokens(const char *auth_path)
{
    char path[1024];
    beside(auth_path, "tokens.txt", path, sizeof path);
    if (access(path, F_OK) == 0) {
        fprintf(stderr, "citytwin serve: API tokens are in %s\n", path);
        return 0;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        fprintf(stderr, "citytwin serve: --init-tokens: cannot create %s: %s\n",
                path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return 1;
    }
    fprintf(f, "# citytwin API tokens (docs/AUTH.md): Authorization: Bearer "
            "TOKEN.\n# Only their hashes are in %s; keep this file private.\n",
            auth_path);
    static const auth_role roles[] = {AUTH_FEEDER, AUTH_OPERATOR, AUTH_ADMIN};
    int rc = 0;
    for (int i = 0; i < 3 && !rc; i++) {
        char tok[AUTH_TOKEN_LEN + 1];
        ct_err err;
        ct_err_clear(&err);
        if (auth_create(L.auth, roles[i], NULL, tok, &err)) {
            fprintf(stderr, "citytwin serve: --init-tokens: %s\n", err.msg);
            rc = 1;
        } else {
            fprintf(f, "%s=%s\n", auth_role_name(roles[i]), tok);
        }
        OPENSSL_cleanse(tok, sizeof tok);
    }
    if (fclose(f) != 0)
        rc = 1;
    fprintf(stderr, "citytwin serve: created feeder, operator and admin API "
            "tokens: they are in %s (mode 0600)\n", path);
    return rc;
}

/* Push's viewer check: a listed token or any valid token of the db. */
static int push_token_ok(void *ctx, const char *token)
{
    (void)ctx;
    return serve_live_listed_token(token) ||
           auth_check(L.auth, token, NULL, 0) != AUTH_NONE;
}

static int open_engine(const http_conf *c)
{
    const char *hist = L.live ? L.live
                              : beside(c->store, "live.sqlite", L.live_buf,
                                       sizeof L.live_buf);
    const char *thr = L.thresholds;
    if (!thr && access(DEFAULT_THRESHOLDS, R_OK) == 0)
        thr = DEFAULT_THRESHOLDS;
    live_config cfg = {.store_path = c->store, .history_path = hist,
                       .thresholds_path = thr, .sync_normal = L.sync_normal,
                       /* the config's 0 is the default, <0 none */
                       .group_ms = L.group_ms < 0 ? 0 : L.group_ms ? L.group_ms : -1,
                       .retention_ms = L.raw_min * 60000};
    ct_err err;
    ct_err_clear(&err);
    if (L.simulate) {
        const char *sp = L.scenario ? L.scenario : DEFAULT_SCENARIO;
        if (scenario_load(sp, &L.sc, &err)) {
            fprintf(stderr, "citytwin serve: --simulate: %s\n", err.msg);
            return 1;
        }
        live_sim_periods(L.sc, cfg.period_s);
    }
    if (live_open(&cfg, &L.e, &err)) {
        int fatal = L.explicit_live || L.simulate || L.thresholds;
        fprintf(stderr, "citytwin serve: %slive engine: %s%s\n",
                fatal ? "" : "warning: ", err.msg,
                fatal ? "" : "; the live endpoints are off");
        L.e = NULL;
        return fatal;
    }
    L.thr_json = thr ? json_load_file(thr, 0, NULL) : NULL;
    fprintf(stderr, "citytwin serve: live engine on %s (history %s, "
            "thresholds %s)\n", c->store, hist, thr ? thr : "built-in");
    if (L.simulate) {
        if (live_sim_init(&L.sim, L.e->reg, L.sc,
                          L.seed >= 0 ? (uint64_t)L.seed : L.sc->seed, L.accel,
                          live_now(L.e), &err)) {
            fprintf(stderr, "citytwin serve: --simulate: %s\n", err.msg);
            return 1;
        }
        /* more than 10 s behind the wall clock (a busy machine): skip ahead */
        L.sim.max_lag_ms = (int64_t)(10000 * L.sim.accel);
        L.sim_ok = 1;
        fprintf(stderr, "citytwin serve: simulating '%s' x%.0f, seed %llu\n",
                L.sc->name, L.sim.accel, (unsigned long long)L.sim.seed);
    }
    return 0;
}

int serve_live_start(const http_conf *c, push_opts *po)
{
    L.po = po;
    L.stopping = 0;
    if (L.off) {
        if (L.simulate || L.explicit_live) {
            fprintf(stderr, "citytwin serve: --no-live contradicts --live and "
                    "--simulate\n");
            return 1;
        }
        return 0;
    }
    const char *ap = L.auth_path ? L.auth_path
                                 : beside(c->store, "auth.sqlite", L.auth_buf,
                                          sizeof L.auth_buf);
    ct_err err;
    ct_err_clear(&err);
    mode_t old = umask(077);
    int rc = auth_open(ap, 1, &L.auth, &err);
    umask(old);
    if (rc) {
        /* Without a token database the reads still work; writes get 401. */
        int fatal = L.auth_path || L.init_tokens;
        fprintf(stderr, "citytwin serve: %s%s\n", fatal ? "" : "warning: ",
                err.msg);
        if (fatal)
            return 1;
        L.auth = NULL;
    }
    if (L.init_tokens && init_tokens(ap))
        return 1;
    if (L.auth && !L.init_tokens && auth_count_active(L.auth) == 0)
        fprintf(stderr, "citytwin serve: no API token in %s yet: writes will "
                "answer 401 (citytwin token create --role feeder --db %s)\n",
                ap, ap);
    po->check_token = push_token_ok;
    po->token_ctx = NULL;
    if (open_engine(c))
        return 1;
    if (!L.e)
        return 0;
    if (pthread_create(&L.tick_th, NULL, tick_thread, NULL) == 0)
        L.tick_on = 1;
    if (L.sim_ok && pthread_create(&L.sim_th, NULL, sim_thread, NULL) == 0)
        L.sim_on = 1;
    return 0;
}

void serve_live_attach_push(void)
{
    if (L.e && push_port() > 0 && L.sub_id < 0)
        L.sub_id = live_attach(L.e, push_on_live_change, NULL);
}

void serve_live_stop(void)
{
    pthread_mutex_lock(&L.mu);
    L.stopping = 1;
    pthread_cond_broadcast(&L.cv);
    pthread_mutex_unlock(&L.mu);
    if (L.sim_on) {
        live_sim_stop(&L.sim);
        pthread_join(L.sim_th, NULL);
    }
    if (L.tick_on)
        pthread_join(L.tick_th, NULL);
    L.sim_on = L.tick_on = 0;
    if (L.e && L.sub_id >= 0)
        live_stream_unsubscribe(L.e->stream, L.sub_id);
    L.sub_id = -1;
    if (L.sim_ok)
        live_sim_free(&L.sim);
    L.sim_ok = 0;
    live_close(L.e);
    L.e = NULL;
    json_decref(L.thr_json);
    L.thr_json = NULL;
    scenario_free(L.sc);
    L.sc = NULL;
    auth_close(L.auth);
    L.auth = NULL;
}

json_t *serve_live_thresholds(void)
{
    return L.thr_json ? json_deep_copy(L.thr_json) : json_null();
}

live_engine *serve_live_engine(void)
{
    return L.e;
}

auth_db *serve_live_auth(void)
{
    return L.auth;
}

int serve_live_reads_need_token(void)
{
    return L.po && L.po->require_token;
}

int serve_live_listed_token(const char *token)
{
    if (!L.po || !L.po->tokens || !token)
        return 0;
    size_t n = strlen(token);
    int found = 0;
    for (size_t i = 0; L.po->tokens[i]; i++)
        if (strlen(L.po->tokens[i]) == n &&
            CRYPTO_memcmp(L.po->tokens[i], token, n) == 0)
            found = 1;
    return found;
}
