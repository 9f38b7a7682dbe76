/* server/http_query.c: reading a request: headers, Accept-Encoding,
 * query strings checked against the names a route accepts (an unknown or
 * repeated parameter is an error, not silently ignored), integer parsing
 * that says which parameter was wrong and why, and bounded bodies. */
#include "server/http.h"

#include <civetweb.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *http_header(const http_req *r, const char *name)
{
    return mg_get_header(r->conn, name);
}

int http_accepts_gzip(const http_req *r)
{
    const char *ae = http_header(r, "Accept-Encoding");
    if (!ae)
        return 0;
    const char *s = ae;
    while (*s) {
        while (*s == ' ' || *s == ',')
            s++;
        size_t n = strcspn(s, ",");
        size_t name = strcspn(s, ";, ");
        int is_gzip = (name == 4 && !strncasecmp(s, "gzip", 4)) ||
                      (name == 1 && s[0] == '*');
        if (is_gzip) {
            /* "gzip;q=0" refuses it. */
            const char *q = memchr(s, ';', n);
            if (!q)
                return 1;
            const char *eq = strchr(q, '=');
            if (!eq || eq > s + n || strtod(eq + 1, NULL) > 0.0)
                return 1;
            return 0;
        }
        s += n;
    }
    return 0;
}

int http_query_parse(const http_req *r, const char *const *allowed,
                     http_qparam *out, int max, char *buf, size_t bufsize,
                     ct_err *err)
{
    const char *q = r->query;
    if (!q || !*q)
        return 0;
    size_t len = strlen(q);
    if (len >= bufsize)
        return ct_fail(err, CT_EINVAL, "query string of %zu bytes is over "
                       "the limit of %zu", len, bufsize - 1);
    memcpy(buf, q, len + 1);
    struct mg_header f[32];
    int n = mg_split_form_urlencoded(buf, f, 32);
    if (n < 0)
        return ct_fail(err, CT_EINVAL, "query string cannot be parsed");
    if (n > max)
        return ct_fail(err, CT_EINVAL, "query string has %d parameters, "
                       "at most %d are known", n, max);
    int kept = 0;
    for (int i = 0; i < n; i++) {
        const char *name = f[i].name ? f[i].name : "";
        if (!name[0] && (!f[i].value || !f[i].value[0]))
            continue;   /* "a=1&&b=2" or a trailing '&' */
        int known = 0;
        for (const char *const *a = allowed; *a; a++)
            known |= !strcmp(*a, name);
        if (!known) {
            char list[256] = "";
            for (const char *const *a = allowed; *a; a++) {
                if (strlen(list) + strlen(*a) + 3 >= sizeof list)
                    break;
                if (list[0])
                    strcat(list, ", ");
                strcat(list, *a);
            }
            return ct_fail(err, CT_EINVAL, "unknown query parameter '%.64s' "
                           "(known: %s)", name, list[0] ? list : "none");
        }
        for (int j = 0; j < kept; j++)
            if (!strcmp(out[j].name, name))
                return ct_fail(err, CT_EINVAL, "query parameter '%s' is "
                               "given more than once", name);
        out[kept].name = name;
        out[kept].value = f[i].value ? f[i].value : "";
        kept++;
    }
    return kept;
}

const char *http_query_get(const http_qparam *p, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(p[i].name, name))
            return p[i].value;
    return NULL;
}

int http_parse_int(const char *param, const char *s, long long min,
                   long long max, long long *out, ct_err *err)
{
    if (!s || !*s)
        return ct_fail(err, CT_EINVAL, "%s: empty value, expected an integer "
                       "from %lld to %lld", param, min, max);
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || isspace((unsigned char)s[0]))
        return ct_fail(err, CT_EINVAL, "%s: '%.40s' is not an integer", param,
                       s);
    if (errno == ERANGE || v < min || v > max)
        return ct_fail(err, CT_EINVAL, "%s: %.40s is out of range, expected "
                       "%lld to %lld", param, s, min, max);
    *out = v;
    return CT_OK;
}

int http_read_body(http_req *r, size_t max, char **out, size_t *len,
                   ct_err *err)
{
    long long declared = r->ri->content_length;
    *out = NULL;
    *len = 0;
    if (declared > (long long)max)
        return ct_fail(err, CT_ETOOBIG, "request body of %lld bytes is over "
                       "the limit of %zu bytes", declared, max);
    size_t cap = declared >= 0 ? (size_t)declared + 1 : 65536;
    char *buf = malloc(cap);
    if (!buf)
        return ct_fail(err, CT_ENOMEM, "out of memory for a request body");
    size_t n = 0;
    for (;;) {
        if (n + 1 >= cap) {   /* chunked or unknown length: grow */
            if (cap > max) {
                free(buf);
                return ct_fail(err, CT_ETOOBIG, "request body is over the "
                               "limit of %zu bytes", max);
            }
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                return ct_fail(err, CT_ENOMEM, "out of memory for a request body");
            }
            buf = bigger;
            cap *= 2;
        }
        int got = mg_read(r->conn, buf + n, cap - n - 1);
        if (got < 0) {
            free(buf);
            return ct_fail(err, CT_EIO, "request body: connection failed "
                           "after %zu bytes", n);
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n > max) {
            free(buf);
            return ct_fail(err, CT_ETOOBIG, "request body is over the limit "
                           "of %zu bytes", max);
        }
    }
    if (declared >= 0 && n != (size_t)declared) {
        free(buf);
        return ct_fail(err, CT_EIO, "request body: %zu of %lld bytes arrived",
                       n, declared);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return CT_OK;
}
