/* server/http_reply.c: every answer the server sends goes through here:
 * common headers (CORS, nosniff), JSON bodies dumped by jansson (gzip when
 * the client accepts it and it pays), and the one error shape
 * {"error": {"status": 400, "code": "bad_request", "message": "..."}}. */
#include "server/http.h"

#include <civetweb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Bodies below this are sent as they are: gzip would not pay. */
#define GZIP_MIN 1024

const char *http_status_code(int status)
{
    switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 406: return "not_acceptable";
    case 408: return "request_timeout";
    case 409: return "conflict";
    case 411: return "length_required";
    case 413: return "payload_too_large";
    case 414: return "uri_too_long";
    case 415: return "unsupported_media_type";
    case 422: return "unprocessable_entity";
    case 429: return "too_many_requests";
    case 431: return "headers_too_large";
    case 500: return "internal_error";
    case 501: return "not_implemented";
    case 503: return "unavailable";
    default: return status >= 500 ? "server_error" : "error";
    }
}

/* Every answer's headers: through civetweb's header API, or written out
 * with the status line by http_reply_bytes (one write). */
#define COMMON_HEADERS                                                    \
    "Access-Control-Allow-Origin: *\r\n"                                  \
    "Access-Control-Expose-Headers: ETag, Content-Length, "               \
    "Content-Encoding\r\n"                                                \
    "X-Content-Type-Options: nosniff\r\n"                                 \
    "Keep-Alive: timeout=2\r\n"

void http_common_headers(http_req *r)
{
    mg_response_header_add_lines(r->conn, COMMON_HEADERS);
}

/* Does the connection stay open after this answer? As civetweb decides
 * (keep-alive is on in our configuration): the client's Connection
 * header when it sent one, else HTTP/1.1. */
static int keeps_alive(const http_req *r)
{
    if (r->unparsed)     /* civetweb refused it and closes the connection */
        return 0;
    const char *c = http_header(r, "Connection");
    if (c) {
        for (const char *p = c; (p = strcasestr(p, "keep-alive")); p += 10)
            if ((p == c || p[-1] == ' ' || p[-1] == ',') &&
                (!p[10] || p[10] == ' ' || p[10] == ','))
                return 1;
        return 0;
    }
    return r->ri->http_version && !strcmp(r->ri->http_version, "1.1");
}

/* civetweb's header API sends every header line with its own send() (13
 * TCP segments for a small JSON answer, each through the loopback stack
 * and the client's wake-up): the status line, headers and a small body
 * go out in one write instead; also for a request civetweb refused
 * (headers too large): it closes with the rest unread, which resets the
 * connection, and an answer in parts could lose its body to the reset.
 * mg_response_header_start() still tells civetweb the status (its
 * keep-alive rules and logs). */
#define ONE_WRITE_MAX (64 * 1024)

int http_reply_bytes(http_req *r, int status, const char *ctype,
                     const char *extra, const void *body, size_t len)
{
    mg_response_header_start(r->conn, status);
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&now, &tm));
    const char *text = mg_get_response_code_text(r->conn, status);
    char head[2048];
    int n = snprintf(head, sizeof head,
        "HTTP/1.1 %d %s\r\n"
        COMMON_HEADERS
        "%s%s%s"
        "Content-Length: %zu\r\n"
        "%s"
        "Date: %s\r\n"
        "Connection: %s\r\n\r\n",
        status, text ? text : "", ctype ? "Content-Type: " : "",
        ctype ? ctype : "", ctype ? "\r\n" : "", len, extra ? extra : "", date,
        keeps_alive(r) ? "keep-alive" : "close");
    if (n < 0 || (size_t)n >= sizeof head)
        n = 0;   /* cannot happen with our extras; send nothing rather than half */
    size_t body_len = r->head ? 0 : len;
    char *buf = NULL;
    if (n > 0 && body_len > 0 && body_len <= ONE_WRITE_MAX &&
        (buf = malloc((size_t)n + body_len))) {
        memcpy(buf, head, (size_t)n);
        memcpy(buf + n, body, body_len);
        mg_write(r->conn, buf, (size_t)n + body_len);
        free(buf);
    } else {
        if (n > 0)
            mg_write(r->conn, head, (size_t)n);
        if (body_len > 0)
            mg_write(r->conn, body, body_len);
    }
    return r->status = status;
}

/* Send text (JSON) that may be gzipped; extra as in http_reply_bytes. */
static int reply_text(http_req *r, int status, const char *ctype,
                      const char *extra, const char *text, size_t len)
{
    char hdr[512];
    snprintf(hdr, sizeof hdr, "Cache-Control: no-cache\r\n"
             "Vary: Accept-Encoding\r\n%s", extra ? extra : "");
    unsigned char *gz = NULL;
    size_t gzn = 0;
    if (len >= GZIP_MIN && !r->unparsed && http_accepts_gzip(r) &&
        http_gzip(text, len, &gz, &gzn) == CT_OK) {
        size_t used = strlen(hdr);
        snprintf(hdr + used, sizeof hdr - used, "Content-Encoding: gzip\r\n");
        http_reply_bytes(r, status, ctype, hdr, gz, gzn);
        free(gz);
        return status;
    }
    return http_reply_bytes(r, status, ctype, hdr, text, len);
}

static int reply_json_hdr(http_req *r, int status, const char *ctype,
                          const char *extra, json_t *body)
{
    /* 15 significant digits: coordinates keep their stored precision
     * without the noise digits of %.17g. */
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15))
                      : NULL;
    json_decref(body);
    if (!text) {
        static const char oom[] = "{\"error\":{\"status\":500,\"code\":"
                                  "\"internal_error\",\"message\":"
                                  "\"cannot encode the answer\"}}";
        return http_reply_bytes(r, 500, "application/json", NULL, oom,
                                sizeof oom - 1);
    }
    reply_text(r, status, ctype, extra, text, strlen(text));
    free(text);
    return r->status;
}

int http_reply_json_type(http_req *r, int status, const char *ctype,
                         json_t *body)
{
    return reply_json_hdr(r, status, ctype, NULL, body);
}

int http_reply_json(http_req *r, int status, json_t *body)
{
    return reply_json_hdr(r, status, "application/json", NULL, body);
}

static int reply_verror(http_req *r, int status, const char *extra,
                        const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    json_t *body = json_pack("{s:{s:i, s:s, s:s}}", "error", "status", status,
                             "code", http_status_code(status), "message", msg);
    if (!body) {
        /* The message quoted input that is not UTF-8: keep it ASCII. */
        for (char *c = msg; *c; c++)
            if ((unsigned char)*c >= 0x80)
                *c = '?';
        body = json_pack("{s:{s:i, s:s, s:s}}", "error", "status", status,
                         "code", http_status_code(status), "message", msg);
    }
    return reply_json_hdr(r, status, "application/json", extra, body);
}

int http_reply_error(http_req *r, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_verror(r, status, NULL, fmt, ap);
    va_end(ap);
    return status;
}

int http_reply_error_hdr(http_req *r, int status, const char *extra,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_verror(r, status, extra, fmt, ap);
    va_end(ap);
    return status;
}

int http_reply_ct(http_req *r, const ct_err *e)
{
    int status = ct_http_status(e->code);
    if (e->msg[0] == '\0')
        return http_reply_error(r, status, "%s", ct_strerror(e->code));
    return http_reply_error(r, status, "%s", e->msg);
}
