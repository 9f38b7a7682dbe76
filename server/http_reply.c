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

void http_common_headers(http_req *r)
{
    mg_response_header_add(r->conn, "Access-Control-Allow-Origin", "*", -1);
    mg_response_header_add(r->conn, "Access-Control-Expose-Headers",
                           "ETag, Content-Length, Content-Encoding", -1);
    mg_response_header_add(r->conn, "X-Content-Type-Options", "nosniff", -1);
    mg_response_header_add(r->conn, "Keep-Alive", "timeout=2", -1);
}

int http_reply_bytes(http_req *r, int status, const char *ctype,
                     const char *extra, const void *body, size_t len)
{
    char clen[32];
    snprintf(clen, sizeof clen, "%zu", len);
    mg_response_header_start(r->conn, status);
    http_common_headers(r);
    if (ctype)
        mg_response_header_add(r->conn, "Content-Type", ctype, -1);
    mg_response_header_add(r->conn, "Content-Length", clen, -1);
    if (extra && *extra)
        mg_response_header_add_lines(r->conn, extra);
    mg_response_header_send(r->conn);
    if (!r->head && len > 0)
        mg_write(r->conn, body, len);
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
