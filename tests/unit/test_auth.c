/* tests/unit/test_auth.c: the token store (server/auth.c): roles and what
 * they allow, create/check/revoke, only hashes stored, malformed tokens,
 * revocation by another process reaching a server's cached checks. */
#include "server/auth.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/ut.h"

static void test_roles(void)
{
    UT_EQ_INT(auth_role_parse("viewer"), AUTH_VIEWER);
    UT_EQ_INT(auth_role_parse("admin"), AUTH_ADMIN);
    UT_EQ_INT(auth_role_parse("root"), AUTH_NONE);
    UT_EQ_INT(auth_role_parse(NULL), AUTH_NONE);
    UT_EQ_STR(auth_role_name(AUTH_OPERATOR), "operator");
    /* Everyone with a token reads; feeding and operating are separate. */
    for (int r = AUTH_VIEWER; r <= AUTH_ADMIN; r++)
        UT_CHECK(auth_role_allows((auth_role)r, AUTH_VIEWER));
    UT_CHECK(auth_role_allows(AUTH_FEEDER, AUTH_FEEDER));
    UT_CHECK(!auth_role_allows(AUTH_FEEDER, AUTH_OPERATOR));
    UT_CHECK(!auth_role_allows(AUTH_OPERATOR, AUTH_FEEDER));
    UT_CHECK(!auth_role_allows(AUTH_VIEWER, AUTH_FEEDER));
    UT_CHECK(auth_role_allows(AUTH_ADMIN, AUTH_FEEDER));
    UT_CHECK(auth_role_allows(AUTH_ADMIN, AUTH_OPERATOR));
    UT_CHECK(!auth_role_allows(AUTH_OPERATOR, AUTH_ADMIN));
    UT_CHECK(!auth_role_allows(AUTH_NONE, AUTH_VIEWER));
}

static void test_create_check_revoke(void)
{
    ct_err err;
    ct_err_clear(&err);
    auth_db *a = NULL;
    remove("t_auth.sqlite");
    UT_CHECK_MSG(auth_open("t_auth.sqlite", 0, &a, &err) != CT_OK, "no create");
    UT_CHECK(auth_open("t_auth.sqlite", 1, &a, &err) == CT_OK);
    char t1[AUTH_TOKEN_LEN + 1], t2[AUTH_TOKEN_LEN + 1], name[80];
    UT_CHECK(auth_create(a, AUTH_FEEDER, "feed", t1, &err) == CT_OK);
    UT_CHECK(auth_create(a, AUTH_OPERATOR, NULL, t2, &err) == CT_OK);
    UT_EQ_INT(strlen(t1), AUTH_TOKEN_LEN);
    UT_CHECK(strcmp(t1, t2) != 0);
    char scratch[AUTH_TOKEN_LEN + 1];
    UT_EQ_INT(auth_create(a, AUTH_VIEWER, "feed", scratch, &err), CT_ECONFLICT);
    UT_EQ_INT(auth_create(a, AUTH_NONE, NULL, scratch, &err), CT_EINVAL);
    UT_EQ_INT(auth_check(a, t1, name, sizeof name), AUTH_FEEDER);
    UT_EQ_STR(name, "feed");
    /* One changed digit, a truncation, garbage: refused. */
    char bad[AUTH_TOKEN_LEN + 1];
    memcpy(bad, t1, sizeof bad);
    bad[AUTH_TOKEN_LEN - 1] = bad[AUTH_TOKEN_LEN - 1] == '0' ? '1' : '0';
    UT_EQ_INT(auth_check(a, bad, NULL, 0), AUTH_NONE);
    bad[20] = '\0';
    UT_EQ_INT(auth_check(a, bad, NULL, 0), AUTH_NONE);
    UT_EQ_INT(auth_check(a, "", NULL, 0), AUTH_NONE);
    UT_EQ_INT(auth_check(a, NULL, NULL, 0), AUTH_NONE);
    UT_EQ_INT(auth_count_active(a), 2);
    json_t *l = auth_list(a);
    UT_EQ_INT(json_array_size(l), 2);
    char *dump = json_dumps(l, 0);
    UT_CHECK(dump && !strstr(dump, t1 + 3) && !strstr(dump, t2 + 3));
    free(dump);
    json_decref(l);
    UT_EQ_INT(auth_revoke(a, "nobody", &err), CT_ENOTFOUND);
    UT_CHECK(auth_revoke(a, "feed", &err) == CT_OK);
    UT_EQ_INT(auth_check(a, t1, NULL, 0), AUTH_NONE);
    char prefix[9];
    memcpy(prefix, t2 + 3, 8);
    prefix[8] = '\0';
    UT_CHECK(auth_revoke(a, prefix, &err) == CT_OK);
    UT_EQ_INT(auth_check(a, t2, NULL, 0), AUTH_NONE);
    UT_EQ_INT(auth_count_active(a), 0);
    auth_close(a);
    /* The file holds no token text. */
    FILE *f = fopen("t_auth.sqlite", "rb");
    UT_CHECK(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    UT_CHECK(n > 0 && !memmem(buf, n, t1 + 3, 64) && !memmem(buf, n, t2 + 3, 64));
}

/* The server (a) caches verified tokens; `citytwin token` (b) writes the
 * same file from another connection: every write must reach a's checks. */
static void test_revoke_elsewhere_reaches_cached_checks(void)
{
    ct_err err;
    ct_err_clear(&err);
    auth_db *a = NULL, *b = NULL;
    remove("t_auth2.sqlite");
    UT_CHECK(auth_open("t_auth2.sqlite", 1, &b, &err) == CT_OK);
    char t1[AUTH_TOKEN_LEN + 1], t2[AUTH_TOKEN_LEN + 1], t3[AUTH_TOKEN_LEN + 1];
    char name[80];
    UT_CHECK(auth_create(b, AUTH_FEEDER, "gauges", t1, &err) == CT_OK);
    UT_CHECK(auth_open("t_auth2.sqlite", 0, &a, &err) == CT_OK);
    for (int i = 0; i < 3; i++) {   /* the first asks SQLite, then the cache */
        UT_EQ_INT(auth_check(a, t1, name, sizeof name), AUTH_FEEDER);
        UT_EQ_STR(name, "gauges");
    }
    /* a cached token does not vouch for a neighbour with its prefix */
    char bad[AUTH_TOKEN_LEN + 1];
    memcpy(bad, t1, sizeof bad);
    bad[AUTH_TOKEN_LEN - 1] = bad[AUTH_TOKEN_LEN - 1] == '0' ? '1' : '0';
    UT_EQ_INT(auth_check(a, bad, name, sizeof name), AUTH_NONE);
    UT_EQ_STR(name, "");
    UT_CHECK(auth_revoke(b, "gauges", &err) == CT_OK);
    UT_EQ_INT(auth_check(a, t1, NULL, 0), AUTH_NONE);
    UT_CHECK(auth_create(b, AUTH_OPERATOR, "desk", t2, &err) == CT_OK);
    UT_EQ_INT(auth_check(a, t2, NULL, 0), AUTH_OPERATOR);
    UT_EQ_INT(auth_check(a, t2, NULL, 0), AUTH_OPERATOR);
    /* a WAL database does not count its commits in the header: no cache */
    sqlite3 *db = NULL;
    UT_CHECK(sqlite3_open("t_auth2.sqlite", &db) == SQLITE_OK);
    UT_CHECK(sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) == SQLITE_OK);
    UT_CHECK(auth_create(b, AUTH_FEEDER, NULL, t3, &err) == CT_OK);
    UT_EQ_INT(auth_check(a, t3, NULL, 0), AUTH_FEEDER);
    UT_EQ_INT(auth_check(a, t2, NULL, 0), AUTH_OPERATOR);
    UT_CHECK(auth_revoke(b, "desk", &err) == CT_OK);
    UT_EQ_INT(auth_check(a, t2, NULL, 0), AUTH_NONE);
    UT_EQ_INT(auth_check(a, t3, NULL, 0), AUTH_FEEDER);
    sqlite3_close(db);
    auth_close(a);
    auth_close(b);
    remove("t_auth2.sqlite");
    remove("t_auth2.sqlite-wal");
    remove("t_auth2.sqlite-shm");
}

int main(void)
{
    UT_RUN(test_roles);
    UT_RUN(test_create_check_revoke);
    UT_RUN(test_revoke_elsewhere_reaches_cached_checks);
    return ut_done();
}
