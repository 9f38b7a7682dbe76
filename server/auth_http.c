/* server/auth_http.c: who may call a live endpoint. A request carries
 * `Authorization: Bearer TOKEN`; the token's role (server/auth.h) must
 * allow the route's need. Reads are open unless --require-token. Missing
 * or unknown/revoked token: 401 (with WWW-Authenticate); a valid token of
 * the wrong role: 403. Bodies are the server's JSON error shape. */
#include "server/api.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "server/serve_live.h"

static const char CHALLENGE[] = "WWW-Authenticate: Bearer realm=\"citytwin\"\r\n";

/* The token of "Bearer TOKEN" (scheme case-insensitive), or NULL. */
static const char *bearer(const http_req *r)
{
    const char *h = http_header(r, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return *h ? h : NULL;
}

int api_authorize(http_req *r, int need, char *who, size_t whosz)
{
    snprintf(who, whosz, "anonymous");
    const char *tok = bearer(r);
    if (need == AUTH_VIEWER && !serve_live_reads_need_token() && !tok)
        return 0;
    if (!tok)
        return http_reply_error_hdr(r, 401, CHALLENGE, "%s %s needs a bearer "
            "token with the %s role (Authorization: Bearer TOKEN; see "
            "docs/AUTH.md)%s", r->method, r->path, auth_role_name(need),
            http_header(r, "Authorization") ? ": the Authorization header is "
            "not 'Bearer TOKEN'" : "");
    char name[80] = "";
    auth_role have = AUTH_NONE;
    if (serve_live_listed_token(tok)) {
        have = AUTH_VIEWER;
        snprintf(name, sizeof name, "viewer");
    } else {
        have = auth_check(serve_live_auth(), tok, name, sizeof name);
    }
    if (have == AUTH_NONE) {
        /* A bad token on an open read is still refused: the client meant
         * to authenticate and must learn that its token is not valid. */
        return http_reply_error_hdr(r, 401, CHALLENGE, "%s %s: the bearer "
            "token is unknown or revoked", r->method, r->path);
    }
    if (!auth_role_allows(have, (auth_role)need))
        return http_reply_error(r, 403, "%s %s needs the %s role; token '%s' "
            "has the %s role", r->method, r->path, auth_role_name(need), name,
            auth_role_name(have));
    snprintf(who, whosz, "%s", name);
    return 0;
}
