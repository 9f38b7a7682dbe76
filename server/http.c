/* server/http.c: the HTTP server's lifecycle and request dispatch.
 * civetweb owns the sockets and worker threads; every request goes through
 * dispatch(), which matches the route table of http_routes.c (404 for no
 * path, 405 for a known path with another method) and logs one line.
 * Each worker thread keeps its own read-only store connection, opened on
 * first use, reopened when the store file is replaced, and closed when
 * civetweb ends the thread. */
#include "server/http.h"

#include <civetweb.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "spatial/store.h"

struct http_server {
    struct mg_context *ctx;
    http_conf conf;
    double started;
    int port;
};

typedef struct http_thread {
    sqlite3 *db;
    dev_t dev;            /* the store file the connection was opened on */
    ino_t ino;
} http_thread;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double http_uptime_s(const http_req *r)
{
    return now_s() - r->srv->started;
}

int http_server_port(const http_server *s)
{
    return s->port;
}

sqlite3 *http_req_db(http_req *r, ct_err *err)
{
    http_thread *t = mg_get_thread_pointer(r->conn);
    if (!t) {
        ct_fail(err, CT_ERR, "no store connection on this thread");
        return NULL;
    }
    /* `make run` replaces the store by renaming a new file over it: a
     * connection to the old file is reopened (one stat per request). */
    struct stat sb;
    int have = stat(r->conf->store, &sb) == 0;
    if (t->db && have && (sb.st_ino != t->ino || sb.st_dev != t->dev)) {
        store_close(t->db);
        t->db = NULL;
    }
    /* A failed open is retried on the next request. */
    if (!t->db) {
        if (store_open(r->conf->store, STORE_READONLY, &t->db, err))
            return NULL;
        t->dev = have ? sb.st_dev : 0;
        t->ino = have ? sb.st_ino : 0;
    }
    return t->db;
}

static void *thread_init(const struct mg_context *ctx, int type)
{
    (void)ctx;
    return type == 1 ? calloc(1, sizeof(http_thread)) : NULL;
}

static void thread_exit(const struct mg_context *ctx, int type, void *p)
{
    (void)ctx;
    (void)type;
    http_thread *t = p;
    if (t) {
        store_close(t->db);
        free(t);
    }
}

/* Does the decoded path carry a ".." segment? civetweb drops them from
 * local_uri, but a request that tries is refused rather than rewritten. */
static int has_dotdot(const char *p)
{
    for (const char *s = p; s && *s;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 2 && s[0] == '.' && s[1] == '.')
            return 1;
        if (!e)
            break;
        s = e + 1;
    }
    return 0;
}

int http_route_match(const char *pattern, const char *path, http_req *r)
{
    const char *p = pattern, *s = path;
    int np = 0;
    while (*p) {
        if (p[0] == '*' && p[1] == '\0') {
            if (r)
                r->rest = s;
            break;
        }
        if (p[0] == '{' && p[1] == '}') {
            size_t n = strcspn(s, "/");
            /* Too long for r->param: no match, whether r is given or not. */
            if (n == 0 || np >= HTTP_MAX_PARAMS ||
                n >= sizeof ((http_req *)0)->param[0])
                return 0;
            if (r) {
                memcpy(r->param[np], s, n);
                r->param[np][n] = '\0';
            }
            np++;
            s += n;
            p += 2;
            continue;
        }
        if (*p != *s)
            return 0;
        p++;
        s++;
    }
    if (!*p && *s)
        return 0;
    if (r) {
        r->nparams = np;
        if (!*p)
            r->rest = "";
    }
    return 1;
}

static int method_ok(const char *route_m, const char *m)
{
    if (!strcmp(route_m, "*") || !strcmp(route_m, m))
        return 1;
    return !strcmp(m, "HEAD") && !strcmp(route_m, "GET");
}

static void log_request(const http_req *r, double t0)
{
    if (r->conf->quiet)
        return;
    const char *uri = r->unparsed || !r->ri->local_uri_raw ? r->path
                                                            : r->ri->local_uri_raw;
    fprintf(stderr, "citytwin serve: %s %s %.2000s%s%.2000s %d %.1f ms\n",
            r->ri->remote_addr, r->method, uri, r->query ? "?" : "",
            r->query ? r->query : "", r->status, (now_s() - t0) * 1e3);
}

static int preflight(http_req *r)
{
    mg_response_header_start(r->conn, 204);
    http_common_headers(r);
    mg_response_header_add(r->conn, "Access-Control-Allow-Methods",
                           "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS", -1);
    mg_response_header_add(r->conn, "Access-Control-Allow-Headers",
                           "Authorization, Content-Type, If-None-Match", -1);
    mg_response_header_add(r->conn, "Access-Control-Max-Age", "86400", -1);
    mg_response_header_add(r->conn, "Content-Length", "0", -1);
    mg_response_header_send(r->conn);
    return r->status = 204;
}

long http_body_limit(const char *path)
{
    return !strcmp(path, "/api/v1/observations") ||
                   !strncmp(path, "/ngsi-ld/", 9)
               ? HTTP_MAX_BODY_INGEST
               : HTTP_MAX_BODY;
}

static int route(http_req *r)
{
    if (has_dotdot(r->ri->local_uri_raw))
        return http_reply_error(r, 400, "path %s: '..' segments are refused",
                                r->ri->local_uri_raw);
    if (r->ri->content_length > http_body_limit(r->path))
        return http_reply_error(r, 413, "request body of %lld bytes is over "
                                "the limit of %ld bytes",
                                r->ri->content_length, http_body_limit(r->path));
    char allow[128] = "";
    for (const http_route *rt = HTTP_ROUTES; rt->pattern; rt++) {
        if (!http_route_match(rt->pattern, r->path, NULL))
            continue;
        if (!strcmp(r->method, "OPTIONS"))
            return preflight(r);
        if (method_ok(rt->method, r->method)) {
            /* A catch-all after a route that knows this path: 405. */
            if (allow[0] && !strcmp(rt->method, "*"))
                break;
            http_route_match(rt->pattern, r->path, r);
            return rt->fn(r);
        }
        if (!strstr(allow, rt->method) &&
            strlen(allow) + strlen(rt->method) + 8 < sizeof allow) {
            if (allow[0])
                strcat(allow, ", ");
            strcat(allow, rt->method);
            if (!strcmp(rt->method, "GET"))
                strcat(allow, ", HEAD");
        }
    }
    if (allow[0]) {
        char extra[160];
        snprintf(extra, sizeof extra, "Allow: %s, OPTIONS\r\n", allow);
        return http_reply_error_hdr(r, 405, extra, "method %s is not allowed "
                                    "on %s (allowed: %s)", r->method, r->path,
                                    allow);
    }
    return http_reply_error(r, 404, "no route for %s %s", r->method, r->path);
}

static void req_init(http_req *r, struct mg_connection *conn, int unparsed)
{
    memset(r, 0, sizeof *r);
    r->conn = conn;
    r->ri = mg_get_request_info(conn);
    r->srv = mg_get_user_data(mg_get_context(conn));
    r->conf = &r->srv->conf;
    r->rest = "";
    if (unparsed) {
        r->unparsed = 1;
        r->method = "?";
        r->path = "(unparsed request)";
        return;
    }
    r->method = r->ri->request_method ? r->ri->request_method : "?";
    r->path = r->ri->local_uri ? r->ri->local_uri : "/";
    r->query = r->ri->query_string;
    r->head = !strcmp(r->method, "HEAD");
}

static int dispatch(struct mg_connection *conn, void *cbdata)
{
    (void)cbdata;
    double t0 = now_s();
    http_req r;
    req_init(&r, conn, 0);
    route(&r);
    log_request(&r, t0);
    return r.status ? r.status : 500;
}

/* Errors civetweb itself detects (oversized headers, malformed request
 * lines) get the same JSON body as ours. */
static int on_http_error(struct mg_connection *conn, int status,
                         const char *msg)
{
    http_req r;
    req_init(&r, conn, 1);
    http_reply_error(&r, status, "%s", msg && *msg ? msg : http_status_code(status));
    log_request(&r, now_s());
    return 0;
}

static int on_log(const struct mg_connection *conn, const char *msg)
{
    (void)conn;
    fprintf(stderr, "citytwin serve: civetweb: %s\n", msg);
    return 1;
}

/* Every route checks its own bearer token (auth_http.c). Without an auth
 * handler civetweb looks for a .htpasswd file at each request (a stat per
 * request, and such a file found would ask for a password). */
static int let_through(struct mg_connection *c, void *data)
{
    (void)c;
    (void)data;
    return 1;
}

http_server *http_server_start(const http_conf *conf, ct_err *err)
{
    http_server *s = calloc(1, sizeof *s);
    if (!s) {
        ct_fail(err, CT_ENOMEM, "out of memory");
        return NULL;
    }
    s->conf = *conf;
    s->started = now_s();

    char ports[128], threads[16];
    if (strchr(conf->listen, ':'))
        snprintf(ports, sizeof ports, "[%s]:%d", conf->listen, conf->port);
    else
        snprintf(ports, sizeof ports, "%s:%d", conf->listen, conf->port);
    snprintf(threads, sizeof threads, "%d", conf->threads);
    char rto[16];
    snprintf(rto, sizeof rto, "%d", 1000 * (conf->request_timeout_s > 0
                                            ? conf->request_timeout_s : 10));
    const char *opts[] = {
        "listening_ports", ports,
        "num_threads", threads,
        /* civetweb's bound on reading a request's headers (whole) and on each
         * read or write: it limits how long half-sent requests hold a
         * worker (slow or hostile clients) */
        "request_timeout_ms", rto,
        /* civetweb gives each connection a worker thread, idle keep-alive
         * ones too: keep them short. http_common_headers announces it
         * ("Keep-Alive: timeout=2") so clients stop reusing a connection
         * before the server closes it. */
        "enable_keep_alive", "yes",
        "keep_alive_timeout_ms", "2000",
        "connection_queue", "256",
        "max_request_size", "16384",
        /* headers and body go out in two writes: without this, Nagle and
         * delayed ACKs add 40 ms to every answer */
        "tcp_nodelay", "1",
        NULL};
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.init_thread = thread_init;
    cb.exit_thread = thread_exit;
    cb.http_error = on_http_error;
    cb.log_message = on_log;

    char etext[256] = "";
    struct mg_init_data init = {&cb, s, opts};
    struct mg_error_data edata = {NULL, etext, sizeof etext};
    mg_init_library(0);
    s->ctx = mg_start2(&init, &edata);
    if (!s->ctx) {
        ct_fail(err, CT_EIO, "cannot listen on %s: %s", ports,
                etext[0] ? etext : "unknown civetweb error");
        mg_exit_library();
        free(s);
        return NULL;
    }
    mg_set_request_handler(s->ctx, "/", dispatch, NULL);
    mg_set_auth_handler(s->ctx, "/", let_through, NULL);
    struct mg_server_port sp[4];
    memset(sp, 0, sizeof sp);
    int n = mg_get_server_ports(s->ctx, 4, sp);
    s->port = n > 0 ? sp[0].port : conf->port;
    return s;
}

/* civetweb's accept thread looks at its stop flag only between polls of
 * up to 2 s (SOCKET_TIMEOUT_QUANTUM), so mg_stop() took 0-2 s. A
 * connection to our own port wakes that poll; it is made after mg_stop()
 * has raised the flag (20 ms in), when civetweb accepts nothing more. */
typedef struct stop_waker {
    const http_server *s;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
} stop_waker;

static void *wake_accept(void *arg)
{
    stop_waker *w = arg;
    char svc[16];
    snprintf(svc, sizeof svc, "%d", w->s->port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(w->s->conf.listen, svc, &hints, &ai) != 0)
        return NULL;   /* a name, not an address: mg_stop() takes up to 2 s */
    pthread_mutex_lock(&w->mu);
    for (int i = 0; i < 100 && !w->done; i++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&w->cv, &w->mu, &ts);
        int fd = w->done ? -1
                         : socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fd >= 0) {   /* a connect in flight is enough */
            (void)connect(fd, ai->ai_addr, ai->ai_addrlen);
            close(fd);
        }
    }
    pthread_mutex_unlock(&w->mu);
    freeaddrinfo(ai);
    return NULL;
}

void http_server_stop(http_server *s)
{
    if (!s)
        return;
    stop_waker w = {.s = s, .mu = PTHREAD_MUTEX_INITIALIZER,
                    .cv = PTHREAD_COND_INITIALIZER};
    pthread_t th;
    int waking = pthread_create(&th, NULL, wake_accept, &w) == 0;
    mg_stop(s->ctx);
    if (waking) {
        pthread_mutex_lock(&w.mu);
        w.done = 1;
        pthread_cond_signal(&w.cv);
        pthread_mutex_unlock(&w.mu);
        pthread_join(th, NULL);
    }
    mg_exit_library();
    free(s);
}
