/* server/auth.h: bearer tokens and roles (docs/AUTH.md).
 * A token is "ct_" + 64 hex digits from the kernel's random source; only
 * its SHA-256 is stored (var/auth.sqlite, table tokens), with a public
 * prefix (the first 8 hex digits) to find it and to name it in lists.
 * A check hashes the presented token and compares hashes in constant time.
 * Roles grow: viewer reads; feeder also ingests; operator also acks alerts
 * and acts on incidents; admin may do everything. A verified token stays
 * cached only while the database file's change counter is unchanged, so
 * `citytwin token revoke` (any write) takes effect on a running server at
 * once. Thread-safe (one connection under a mutex). */
#ifndef SERVER_AUTH_H
#define SERVER_AUTH_H

#include <jansson.h>

#include "core/ct_error.h"

#define AUTH_DEFAULT_DB "var/auth.sqlite"
#define AUTH_TOKEN_LEN 67     /* "ct_" + 64 hex digits */
#define AUTH_PREFIX_LEN 8

typedef enum auth_role {
    AUTH_NONE = -1,
    AUTH_VIEWER = 0,
    AUTH_FEEDER,
    AUTH_OPERATOR,
    AUTH_ADMIN
} auth_role;

typedef struct auth_db auth_db;

/* Open (create = 1: create the file and table when missing). */
int auth_open(const char *path, int create, auth_db **out, ct_err *err);
void auth_close(auth_db *a);

/* "viewer" ... "admin" <-> role; AUTH_NONE for an unknown name. */
auth_role auth_role_parse(const char *s);
const char *auth_role_name(auth_role r);
/* May a holder of role `have` do what needs role `need`? Feeder and
 * operator are separate powers above viewer; admin has both. */
int auth_role_allows(auth_role have, auth_role need);

/* Create a token for role with a unique name (NULL: "<role>-<prefix>");
 * token_out receives the token (AUTH_TOKEN_LEN + 1 bytes), shown once. */
int auth_create(auth_db *a, auth_role role, const char *name,
                char token_out[AUTH_TOKEN_LEN + 1], ct_err *err);
/* [{name, role, prefix, created, revoked}] (never a token or hash). */
json_t *auth_list(auth_db *a);
/* Revoke by name or prefix; CT_ENOTFOUND when neither matches,
 * CT_ECONFLICT when a prefix matches several. */
int auth_revoke(auth_db *a, const char *name_or_prefix, ct_err *err);
/* Number of tokens not revoked. */
int auth_count_active(auth_db *a);

/* The role of a presented token, or AUTH_NONE (unknown, malformed or
 * revoked). name (may be NULL) receives the token's name for audit logs. */
auth_role auth_check(auth_db *a, const char *token, char *name, size_t namesz);

#endif
