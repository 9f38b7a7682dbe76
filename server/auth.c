/* server/auth.c: the token store (see auth.h): random tokens, SHA-256
 * hashes (OpenSSL libcrypto), constant-time comparison, SQLite table, and
 * a cache of verified tokens that any write to the database empties. */
#include "server/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* A check costs a SQLite read (locks, a journal probe, a statement) per
 * request; a feed's every POST presents the same token. So a verified
 * token's hash -> role stays in memory while the database file is
 * unchanged: its header counts every write transaction (the "file change
 * counter", bytes 24-27 of a rollback-journal database), and one pread of
 * it per check tells whether anything (a revoke by another process
 * included) was committed since. A WAL database does not keep that count
 * per commit: no caching then. */
#define AUTH_CACHE_N 8

typedef struct auth_cached {
    unsigned char hash[SHA256_DIGEST_LENGTH];
    auth_role role;             /* AUTH_NONE: empty slot */
    char name[80];
} auth_cached;

struct auth_db {
    sqlite3 *db;
    pthread_mutex_t mu;
    char path[512];
    int fd;                     /* the file, to read its change counter */
    uint32_t stamp;             /* the counter the cache is valid for */
    auth_cached cache[AUTH_CACHE_N];
    int next;                   /* round-robin slot to fill */
    EVP_MD *sha;                /* fetched once: SHA256() fetches per call */
};

static const char *const ROLE_NAMES[] = {"viewer", "feeder", "operator", "admin"};

auth_role auth_role_parse(const char *s)
{
    for (int i = 0; s && i < 4; i++)
        if (!strcmp(s, ROLE_NAMES[i]))
            return (auth_role)i;
    return AUTH_NONE;
}

const char *auth_role_name(auth_role r)
{
    return r >= AUTH_VIEWER && r <= AUTH_ADMIN ? ROLE_NAMES[r] : "none";
}

int auth_role_allows(auth_role have, auth_role need)
{
    if (have == AUTH_NONE)
        return 0;
    if (have == AUTH_ADMIN || need == AUTH_VIEWER)
        return 1;
    return have == need;
}

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS tokens("
    " name TEXT PRIMARY KEY, role TEXT NOT NULL,"
    " prefix TEXT NOT NULL UNIQUE,"   /* public: first hex digits */
    " hash BLOB NOT NULL,"            /* SHA-256 of the whole token */
    " created INTEGER NOT NULL, revoked INTEGER)";

int auth_open(const char *path, int create, auth_db **out, ct_err *err)
{
    *out = NULL;
    auth_db *a = calloc(1, sizeof *a);
    if (!a)
        return ct_fail(err, CT_ENOMEM, "out of memory opening %s", path);
    snprintf(a->path, sizeof a->path, "%s", path);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX |
                (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &a->db, flags, NULL) != SQLITE_OK) {
        ct_fail(err, CT_EIO, "token database %s: %s%s", path,
                a->db ? sqlite3_errmsg(a->db) : "cannot open",
                create ? "" : " (create tokens with `citytwin token create`)");
        sqlite3_close(a->db);
        free(a);
        return CT_EIO;
    }
    sqlite3_busy_timeout(a->db, 5000);
    if (sqlite3_exec(a->db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK) {
        ct_fail(err, CT_EIO, "token database %s: %s", path, sqlite3_errmsg(a->db));
        sqlite3_close(a->db);
        free(a);
        return CT_EIO;
    }
    pthread_mutex_init(&a->mu, NULL);
    for (int i = 0; i < AUTH_CACHE_N; i++)
        a->cache[i].role = AUTH_NONE;
    a->fd = open(path, O_RDONLY | O_CLOEXEC);
    a->sha = EVP_MD_fetch(NULL, "SHA256", NULL);
    *out = a;
    return CT_OK;
}

void auth_close(auth_db *a)
{
    if (!a)
        return;
    sqlite3_close(a->db);
    if (a->fd >= 0)
        close(a->fd);
    OPENSSL_cleanse(a->cache, sizeof a->cache);
    EVP_MD_free(a->sha);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

static void sha256(const auth_db *a, const char *s,
                   unsigned char out[SHA256_DIGEST_LENGTH])
{
    if (!a->sha || !EVP_Digest(s, strlen(s), out, NULL, a->sha, NULL))
        SHA256((const unsigned char *)s, strlen(s), out);
}

static int random_bytes(unsigned char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(buf + got, n - got, 0);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

static int create_token(auth_db *a, auth_role role, const char *name,
                        char token_out[AUTH_TOKEN_LEN + 1], ct_err *err)
{
    if (role == AUTH_NONE)
        return ct_fail(err, CT_EINVAL, "token: unknown role (viewer, feeder, "
                       "operator or admin)");
    if (name && (!*name || strlen(name) > 64))
        return ct_fail(err, CT_EINVAL, "token name '%s' must be 1 to 64 "
                       "characters", name);
    for (int attempt = 0; attempt < 8; attempt++) {
        unsigned char rnd[32];
        if (random_bytes(rnd, sizeof rnd))
            return ct_fail(err, CT_EIO, "token: the kernel's random source "
                           "failed");
        memcpy(token_out, "ct_", 3);
        for (int i = 0; i < 32; i++)
            snprintf(token_out + 3 + 2 * i, 3, "%02x", rnd[i]);
        OPENSSL_cleanse(rnd, sizeof rnd);
        char prefix[AUTH_PREFIX_LEN + 1], defname[32];
        memcpy(prefix, token_out + 3, AUTH_PREFIX_LEN);
        prefix[AUTH_PREFIX_LEN] = '\0';
        snprintf(defname, sizeof defname, "%s-%s", auth_role_name(role), prefix);
        unsigned char h[SHA256_DIGEST_LENGTH];
        sha256(a, token_out, h);
        pthread_mutex_lock(&a->mu);
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(a->db, "INSERT INTO tokens(name, role, "
                                    "prefix, hash, created) VALUES(?,?,?,?,?)",
                                    -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(st, 1, name ? name : defname, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 2, auth_role_name(role), -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, prefix, -1, SQLITE_TRANSIENT);
            sqlite3_bind_blob(st, 4, h, sizeof h, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
            rc = sqlite3_step(st);
        }
        int ext = sqlite3_extended_errcode(a->db);
        char msg[256];
        snprintf(msg, sizeof msg, "%s", sqlite3_errmsg(a->db));
        sqlite3_finalize(st);
        pthread_mutex_unlock(&a->mu);
        if (rc == SQLITE_DONE)
            return CT_OK;
        /* A prefix collision draws again; a name collision is the caller's. */
        if (ext == SQLITE_CONSTRAINT_PRIMARYKEY && name)
            return ct_fail(err, CT_ECONFLICT, "token name '%s' exists in %s "
                           "(revoke it or pick another name)", name, a->path);
        if (ext != SQLITE_CONSTRAINT_UNIQUE && ext != SQLITE_CONSTRAINT_PRIMARYKEY)
            return ct_fail(err, CT_EIO, "token database %s: %s", a->path, msg);
    }
    return ct_fail(err, CT_EIO, "token: could not draw a unique prefix");
}

int auth_create(auth_db *a, auth_role role, const char *name,
                char token_out[AUTH_TOKEN_LEN + 1], ct_err *err)
{
    int rc = create_token(a, role, name, token_out, err);
    if (rc)   /* a token that was not stored must not be handed out */
        OPENSSL_cleanse(token_out, AUTH_TOKEN_LEN + 1);
    return rc;
}

json_t *auth_list(auth_db *a)
{
    json_t *out = json_array();
    pthread_mutex_lock(&a->mu);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(a->db, "SELECT name, role, prefix, created, revoked "
                           "FROM tokens ORDER BY created, name", -1, &st,
                           NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            json_t *t = json_pack("{s:s, s:s, s:s, s:I}",
                "name", (const char *)sqlite3_column_text(st, 0),
                "role", (const char *)sqlite3_column_text(st, 1),
                "prefix", (const char *)sqlite3_column_text(st, 2),
                "created", (json_int_t)sqlite3_column_int64(st, 3));
            if (!t)
                continue;
            json_object_set_new(t, "revoked", sqlite3_column_type(st, 4) ==
                                SQLITE_NULL ? json_null() :
                                json_integer(sqlite3_column_int64(st, 4)));
            json_array_append_new(out, t);
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&a->mu);
    return out;
}

/* Run one statement binding key (?1) and now (?2); the change count or
 * the first column of its row, -1 on error. Called under the mutex. */
static int run_key(auth_db *a, const char *sql, const char *key, int rows)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(a->db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    if (sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
    int rc = sqlite3_step(st), n = -1;
    if (rows && rc == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    else if (!rows && rc == SQLITE_DONE)
        n = sqlite3_changes(a->db);
    sqlite3_finalize(st);
    return n;
}

int auth_revoke(auth_db *a, const char *key, ct_err *err)
{
    static const char BY_NAME[] =
        "UPDATE tokens SET revoked = ?2 WHERE name = ?1 AND revoked IS NULL";
    static const char COUNT_PREFIX[] =
        "SELECT count(*) FROM tokens WHERE revoked IS NULL AND "
        "substr(prefix, 1, length(?1)) = ?1";
    static const char BY_PREFIX[] =
        "UPDATE tokens SET revoked = ?2 WHERE revoked IS NULL AND "
        "substr(prefix, 1, length(?1)) = ?1";
    if (!key || !*key)
        return ct_fail(err, CT_EINVAL, "token revoke: give a name or a prefix");
    pthread_mutex_lock(&a->mu);
    /* A name wins; else a prefix (of at least 4 digits) naming one token. */
    int n = run_key(a, BY_NAME, key, 0), matches = 0;
    if (n == 0 && strlen(key) >= 4) {
        matches = run_key(a, COUNT_PREFIX, key, 1);
        n = matches == 1 ? run_key(a, BY_PREFIX, key, 0) : matches < 0 ? -1 : 0;
    }
    char msg[256];
    snprintf(msg, sizeof msg, "%s", sqlite3_errmsg(a->db));
    pthread_mutex_unlock(&a->mu);
    if (n < 0)
        return ct_fail(err, CT_EIO, "token database %s: %s", a->path, msg);
    if (matches > 1)
        return ct_fail(err, CT_ECONFLICT, "prefix '%s' matches %d tokens in "
                       "%s: give more digits or the name", key, matches, a->path);
    if (n == 0)
        return ct_fail(err, CT_ENOTFOUND, "no active token named '%s' or with "
                       "that prefix (4+ digits) in %s", key, a->path);
    return CT_OK;
}

int auth_count_active(auth_db *a)
{
    int n = 0;
    pthread_mutex_lock(&a->mu);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(a->db, "SELECT count(*) FROM tokens WHERE revoked "
                           "IS NULL", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&a->mu);
    return n;
}

/* The database's change counter; 0 when it cannot vouch for the cache
 * (unreadable, or WAL: read/write versions 2 at bytes 18-19). */
static uint32_t change_counter(const auth_db *a)
{
    unsigned char h[10];
    if (a->fd < 0 || pread(a->fd, h, sizeof h, 18) != (ssize_t)sizeof h ||
        h[0] != 1 || h[1] != 1)
        return 0;
    uint32_t c = (uint32_t)h[6] << 24 | (uint32_t)h[7] << 16 |
                 (uint32_t)h[8] << 8 | h[9];
    return c ? c : 1;
}

/* Under a->mu: the cached role of hash h, or AUTH_NONE. */
static auth_role cache_find(auth_db *a, uint32_t stamp, const unsigned char *h,
                            char *name, size_t namesz)
{
    if (!stamp || stamp != a->stamp) {
        for (int i = 0; i < AUTH_CACHE_N; i++)
            a->cache[i].role = AUTH_NONE;   /* something was written */
        a->stamp = stamp;
        return AUTH_NONE;
    }
    for (int i = 0; i < AUTH_CACHE_N; i++) {
        const auth_cached *c = &a->cache[i];
        if (c->role != AUTH_NONE &&
            CRYPTO_memcmp(c->hash, h, SHA256_DIGEST_LENGTH) == 0) {
            if (name && namesz)
                snprintf(name, namesz, "%s", c->name);
            return c->role;
        }
    }
    return AUTH_NONE;
}

auth_role auth_check(auth_db *a, const char *token, char *name, size_t namesz)
{
    if (name && namesz)
        name[0] = '\0';
    if (!a || !token || strlen(token) != AUTH_TOKEN_LEN ||
        strncmp(token, "ct_", 3) != 0)
        return AUTH_NONE;
    char prefix[AUTH_PREFIX_LEN + 1];
    memcpy(prefix, token + 3, AUTH_PREFIX_LEN);
    prefix[AUTH_PREFIX_LEN] = '\0';
    unsigned char h[SHA256_DIGEST_LENGTH];
    sha256(a, token, h);
    pthread_mutex_lock(&a->mu);
    /* read before the query: a write during it leaves a stale stamp, so
     * the next check asks the database again */
    uint32_t stamp = change_counter(a);
    auth_role role = cache_find(a, stamp, h, name, namesz);
    if (role != AUTH_NONE) {
        pthread_mutex_unlock(&a->mu);
        return role;
    }
    sqlite3_stmt *st = NULL;
    char found[80] = "";
    if (sqlite3_prepare_v2(a->db, "SELECT hash, role, name FROM tokens WHERE "
                           "prefix = ? AND revoked IS NULL", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, prefix, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW &&
            sqlite3_column_bytes(st, 0) == SHA256_DIGEST_LENGTH &&
            CRYPTO_memcmp(sqlite3_column_blob(st, 0), h, sizeof h) == 0) {
            role = auth_role_parse((const char *)sqlite3_column_text(st, 1));
            snprintf(found, sizeof found, "%s", sqlite3_column_text(st, 2));
        }
    }
    sqlite3_finalize(st);
    if (role != AUTH_NONE && stamp && stamp == a->stamp) {
        auth_cached *c = &a->cache[a->next];
        a->next = (a->next + 1) % AUTH_CACHE_N;
        memcpy(c->hash, h, sizeof h);
        c->role = role;
        snprintf(c->name, sizeof c->name, "%s", found);
    }
    pthread_mutex_unlock(&a->mu);
    if (name && namesz)
        snprintf(name, namesz, "%s", found);
    return role;
}
