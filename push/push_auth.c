/* push/push_auth.c: who may connect. The handshake is accepted, then
 * refused with a WebSocket close code and a reason the client can read
 * (a browser sees nothing of an HTTP 403): the client limit (1013), the
 * Origin check and the viewer token (1008). Options are copied here. */
#include "push/push_server.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int push_auth_init(const push_opts *o, ct_err *err)
{
    P.o = *o;
    P.o.listen = dup_or_null(o->listen);
    P.o.tls_cert = dup_or_null(o->tls_cert);
    P.o.tls_key = dup_or_null(o->tls_key);
    P.o.origins = dup_or_null(o->origins);
    size_t n = 0;
    while (o->tokens && o->tokens[n])
        n++;
    P.tokens = calloc(n + 1, sizeof *P.tokens);
    for (size_t i = 0; P.tokens && i < n; i++)
        P.tokens[i] = strdup(o->tokens[i]);
    P.o.tokens = (const char *const *)P.tokens;
    if (o->require_token && !o->check_token && n == 0) {
        push_auth_free();
        return ct_fail(err, CT_EINVAL, "push: a token is required but no "
                       "token list or checker was given");
    }
    return CT_OK;
}

void push_auth_free(void)
{
    free((char *)P.o.listen);
    free((char *)P.o.tls_cert);
    free((char *)P.o.tls_key);
    free((char *)P.o.origins);
    for (size_t i = 0; P.tokens && P.tokens[i]; i++)
        free(P.tokens[i]);
    free(P.tokens);
    P.tokens = NULL;
    memset(&P.o, 0, sizeof P.o);
}

static int header(struct lws *wsi, enum lws_token_indexes h, char *buf,
                  int n)
{
    int len = lws_hdr_total_length(wsi, h);
    if (len <= 0 || len >= n)
        return len <= 0 ? 0 : -1;
    return lws_hdr_copy(wsi, buf, n, h) > 0;
}

/* The host part of "scheme://host:port/..." or "host:port". */
static void host_of(const char *s, char *out, size_t n)
{
    const char *p = strstr(s, "://");
    p = p ? p + 3 : s;
    size_t i = 0;
    if (*p == '[') {               /* [v6]:port */
        while (p[i] && p[i] != ']' && i + 1 < n)
            i++;
        if (p[i] == ']' && i + 1 < n)
            i++;
    } else {
        while (p[i] && p[i] != ':' && p[i] != '/' && i + 1 < n)
            i++;
    }
    memcpy(out, p, i);
    out[i] = '\0';
}

/* Is origin in the comma-separated list (exact, case-insensitive, a
 * trailing slash ignored)? */
static int in_list(const char *list, const char *origin)
{
    size_t ol = strlen(origin);
    while (ol && origin[ol - 1] == '/')
        ol--;
    for (const char *p = list; *p;) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        size_t l = (size_t)(e - p);
        while (l && (isspace((unsigned char)p[l - 1]) || p[l - 1] == '/'))
            l--;
        if ((l == 1 && *p == '*') || (l == ol && strncasecmp(p, origin, l) == 0))
            return 1;
        p = e;
    }
    return 0;
}

static int origin_ok(struct lws *wsi, char *why, size_t n)
{
    char origin[256], host[256], oh[256], hh[256];
    int r = header(wsi, WSI_TOKEN_ORIGIN, origin, sizeof origin);
    if (r == 0)
        return 1;                  /* not a browser: nothing to check */
    if (r < 0) {
        snprintf(why, n, "origin not allowed: Origin header too long");
        return 0;
    }
    if (P.o.origins) {
        if (in_list(P.o.origins, origin))
            return 1;
        snprintf(why, n, "origin not allowed: %.60s (allowed: %.40s)",
                 origin, P.o.origins);
        return 0;
    }
    host_of(origin, oh, sizeof oh);
    if (header(wsi, WSI_TOKEN_HOST, host, sizeof host) > 0) {
        host_of(host, hh, sizeof hh);
        if (oh[0] && strcasecmp(oh, hh) == 0)
            return 1;
    }
    snprintf(why, n, "origin not allowed: %.60s is not the server's host "
             "(see serve --ws-origin)", origin);
    return 0;
}

static int token_valid(const char *t)
{
    if (P.o.check_token)
        return P.o.check_token(P.o.token_ctx, t);
    size_t tl = strlen(t);
    int ok = 0;
    for (size_t i = 0; P.tokens && P.tokens[i]; i++) {
        const char *k = P.tokens[i];
        size_t kl = strlen(k);
        unsigned char d = kl != tl;
        for (size_t j = 0; j < kl; j++)   /* no early exit on a mismatch */
            d |= (unsigned char)(k[j] ^ (j < tl ? t[j] : 0));
        ok |= d == 0;
    }
    return ok;
}

/* The token from ?token=, a "bearer.T" sub-protocol, or Authorization. */
static int find_token(struct lws *wsi, char *tok, size_t n)
{
    char buf[320];
    const char *v = lws_get_urlarg_by_name(wsi, "token=", buf, sizeof buf);
    if (v) {
        snprintf(tok, n, "%s", v);
        return 1;
    }
    if (header(wsi, WSI_TOKEN_PROTOCOL, buf, sizeof buf) > 0) {
        for (char *save = NULL, *p = strtok_r(buf, ", ", &save); p;
             p = strtok_r(NULL, ", ", &save))
            if (strncmp(p, "bearer.", 7) == 0) {
                snprintf(tok, n, "%s", p + 7);
                return 1;
            }
    }
    if (header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, buf, sizeof buf) > 0 &&
        strncasecmp(buf, "Bearer ", 7) == 0) {
        snprintf(tok, n, "%s", buf + 7);
        return 1;
    }
    return 0;
}

int push_auth_check(struct lws *wsi, char *why, size_t n)
{
    if (P.nconns > P.o.max_clients) {
        snprintf(why, n, "too many clients (limit %d)", P.o.max_clients);
        return 1013;   /* try again later */
    }
    if (!origin_ok(wsi, why, n))
        return LWS_CLOSE_STATUS_POLICY_VIOLATION;
    if (!P.o.require_token)
        return 0;
    char tok[320];
    if (!find_token(wsi, tok, sizeof tok)) {
        snprintf(why, n, "token required: send ?token=, a bearer.<token> "
                 "sub-protocol or Authorization: Bearer");
        return LWS_CLOSE_STATUS_POLICY_VIOLATION;
    }
    if (!token_valid(tok)) {
        snprintf(why, n, "token rejected");
        return LWS_CLOSE_STATUS_POLICY_VIOLATION;
    }
    return 0;
}
