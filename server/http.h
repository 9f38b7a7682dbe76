/* server/http.h: the HTTP side of citytwin (civetweb, HTTP only).
 * One server: a route table (server/http_routes.c), one SQLite connection
 * per worker thread, JSON replies and errors, static files with ETag/gzip.
 * Handlers see an http_req and answer with one http_reply_* call.
 * WebSockets live elsewhere (libwebsockets on their own port). */
#ifndef SERVER_HTTP_H
#define SERVER_HTTP_H

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>

#include "core/ct_error.h"

struct mg_connection;
struct mg_request_info;

#define HTTP_MAX_PARAMS 4     /* {} segments captured by one route */
#define HTTP_MAX_BODY (1L << 20) /* request bodies above this get 413 */
/* The ingest routes (observation batches of 10k+ items) take up to this. */
#define HTTP_MAX_BODY_INGEST (8L << 20)
/* The body limit of a path: HTTP_MAX_BODY_INGEST for ingest, else the
 * default (http.c). */
long http_body_limit(const char *path);

typedef struct http_conf {
    const char *store;    /* SpatiaLite store, opened read-only per thread */
    const char *web;      /* folder served at / (NULL or missing: none) */
    const char *tiles;    /* folder served at /tiles/ */
    const char *basemap;  /* folder served at /basemap/ */
    const char *listen;   /* address, e.g. 127.0.0.1 */
    int port;
    int threads;
    int quiet;            /* no per-request log line */
    const char *ws_url;   /* WebSocket push URL for /api/v1/config, or NULL */
    int request_timeout_s;/* a request must arrive whole within this (0: 10) */
} http_conf;

typedef struct http_server http_server;

typedef struct http_req {
    struct mg_connection *conn;
    const struct mg_request_info *ri;
    http_server *srv;
    const http_conf *conf;
    const char *method;   /* as sent; HEAD is routed like GET */
    const char *path;     /* decoded, dot segments removed */
    const char *query;    /* raw query string or NULL */
    char param[HTTP_MAX_PARAMS][256]; /* the route's {} segments, decoded */
    int nparams;
    const char *rest;     /* what the route's trailing * matched ("" if none) */
    int head;             /* HEAD request: send headers, no body */
    int status;           /* status sent (for the log) */
    int unparsed;         /* civetweb refused the request: its fields and
                             headers are not to be read */
} http_req;

typedef int (*http_handler)(http_req *r);

/* One route: method ("GET", "POST", "*" for any), pattern of literal
 * segments, "{}" for one captured segment, and a final "*" for the rest. */
typedef struct http_route {
    const char *method;
    const char *pattern;
    http_handler fn;
} http_route;

/* The route table, first match wins; ends with {NULL, NULL, NULL}. */
extern const http_route HTTP_ROUTES[];

/* --- lifecycle (http.c) --- */
/* Start listening; NULL on failure with err naming the cause. */
http_server *http_server_start(const http_conf *conf, ct_err *err);
/* Stop the workers, close their store connections, free everything. */
void http_server_stop(http_server *s);
/* The port actually bound (useful with --port 0). */
int http_server_port(const http_server *s);

/* Seconds since the server started. */
double http_uptime_s(const http_req *r);
/* This worker thread's read-only store connection (opened on first use). */
sqlite3 *http_req_db(http_req *r, ct_err *err);
/* Does a route pattern match path? Fills r->param/nparams/rest when r. */
int http_route_match(const char *pattern, const char *path, http_req *r);

/* --- replies (http_reply.c): each returns the status sent --- */
/* Send a JSON body (takes ownership of body), gzip if the client accepts. */
int http_reply_json(http_req *r, int status, json_t *body);
/* Same with another JSON media type (application/geo+json ...). */
int http_reply_json_type(http_req *r, int status, const char *ctype,
                         json_t *body);
/* {"error": {"status", "code", "message"}}; code from the status. */
int http_reply_error(http_req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same with extra header lines ("Name: value\r\n"...). */
int http_reply_error_hdr(http_req *r, int status, const char *extra,
                         const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* An error from a ct_err (status from ct_http_status). */
int http_reply_ct(http_req *r, const ct_err *e);
/* Send bytes already in memory; extra is "Name: value\r\n" lines or NULL. */
int http_reply_bytes(http_req *r, int status, const char *ctype,
                     const char *extra, const void *body, size_t len);
/* The short code used in error bodies: 400 -> "bad_request" ... */
const char *http_status_code(int status);
/* Headers every answer carries (CORS, nosniff); call between
 * mg_response_header_start and _send. */
void http_common_headers(http_req *r);

/* --- request helpers (http_query.c) --- */
/* Value of a request header or NULL. */
const char *http_header(const http_req *r, const char *name);
/* Does the client accept gzip (Accept-Encoding, q>0)? */
int http_accepts_gzip(const http_req *r);
/* Parse the query string into name/value pairs (decoded) in buf; returns
 * the count, or CT_EINVAL when a name is not in allowed (NULL-terminated),
 * repeated, or the string is too long; err names it. */
typedef struct http_qparam {
    const char *name;
    const char *value;
} http_qparam;
int http_query_parse(const http_req *r, const char *const *allowed,
                     http_qparam *out, int max, char *buf, size_t bufsize,
                     ct_err *err);
/* The value of name among n parsed params, or NULL. */
const char *http_query_get(const http_qparam *p, int n, const char *name);
/* Parse a whole decimal integer in [min, max]; err names param. */
int http_parse_int(const char *param, const char *s, long long min,
                   long long max, long long *out, ct_err *err);

/* Read the whole request body (at most max bytes) into a malloc'd,
 * NUL-terminated buffer; CT_ETOOBIG past max, CT_EIO on a short read. */
int http_read_body(http_req *r, size_t max, char **out, size_t *len,
                   ct_err *err);

/* --- gzip (http_gzip.c) --- */
/* Compress in into a malloc'd gzip member; CT_OK or CT_ENOMEM/CT_ERR. */
int http_gzip(const void *in, size_t n, unsigned char **out, size_t *outn);

/* --- static files (http_static.c) --- */
typedef struct http_static_opts {
    const char *cache_control;      /* for HTML/JSON and other documents */
    const char *cache_control_bin;  /* for binary tiles and images */
    int index;                      /* serve index.html for a folder */
} http_static_opts;
/* Serve root/relpath (relpath from the URL, decoded): refuses '..' and
 * hidden segments, sets MIME type, strong ETag, 304 on If-None-Match,
 * gzip for text types (a fresh .gz sibling or compressed on the fly). */
int http_static_serve(http_req *r, const char *root, const char *relpath,
                      const http_static_opts *o);
/* MIME type for a file name (by extension). */
const char *http_mime_type(const char *path);

#endif
