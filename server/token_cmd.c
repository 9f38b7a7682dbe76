/* server/token_cmd.c: `citytwin token create|list|revoke`: manage the
 * bearer tokens of the HTTP API (server/auth.h, docs/AUTH.md). A new token
 * is printed once on stdout; only its SHA-256 is kept. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "server/auth.h"
#include "server/commands.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: citytwin token create --role ROLE [--name NAME] [--db PATH]\n"
        "       citytwin token list [--db PATH] [--json]\n"
        "       citytwin token revoke NAME|PREFIX [--db PATH]\n\n"
        "Bearer tokens for the HTTP API (Authorization: Bearer TOKEN).\n"
        "Roles: viewer (reads), feeder (ingests observations), operator\n"
        "(acknowledges alerts, acts on incidents), admin (everything).\n"
        "create prints the new token once; only its SHA-256 is stored.\n"
        "list shows name, role, prefix, created, revoked (never a token).\n\n"
        "options:\n"
        "  --db PATH     token database (default %s)\n"
        "  --role ROLE   viewer, feeder, operator or admin\n"
        "  --name NAME   unique name (default ROLE-PREFIX)\n"
        "  --json        list as JSON\n"
        "  --help        this text\n\nsee docs/AUTH.md\n", AUTH_DEFAULT_DB);
}

static void fmt_time(long long t, char *buf, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int do_list(auth_db *a, int as_json)
{
    json_t *l = auth_list(a);
    if (as_json) {
        json_dumpf(l, stdout, JSON_INDENT(2));
        printf("\n");
    } else {
        printf("%-24s %-9s %-9s %-21s %s\n", "NAME", "ROLE", "PREFIX",
               "CREATED", "REVOKED");
        size_t i;
        json_t *t;
        json_array_foreach(l, i, t) {
            char c[32], r[32] = "-";
            fmt_time(json_integer_value(json_object_get(t, "created")), c, sizeof c);
            if (json_is_integer(json_object_get(t, "revoked")))
                fmt_time(json_integer_value(json_object_get(t, "revoked")), r,
                         sizeof r);
            printf("%-24s %-9s %-9s %-21s %s\n",
                   json_string_value(json_object_get(t, "name")),
                   json_string_value(json_object_get(t, "role")),
                   json_string_value(json_object_get(t, "prefix")), c, r);
        }
    }
    json_decref(l);
    return 0;
}

int token_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"role", required_argument, NULL, 'r'},
        {"name", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *db = AUTH_DEFAULT_DB, *role = NULL, *name = NULL;
    int as_json = 0, ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (ch) {
        case 'd': db = optarg; break;
        case 'r': role = optarg; break;
        case 'n': name = optarg; break;
        case 'j': as_json = 1; break;
        case 'h': usage(stdout); return 0;
        default:
            fprintf(stderr, "citytwin token: bad option '%s'\n\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    const char *verb = optind < argc ? argv[optind] : NULL;
    int nargs = argc - optind - 1;
    if (!verb || (!strcmp(verb, "revoke") ? nargs != 1 : nargs != 0)) {
        usage(stderr);
        return 2;
    }
    int create = !strcmp(verb, "create");
    if (!create && strcmp(verb, "list") && strcmp(verb, "revoke")) {
        fprintf(stderr, "citytwin token: unknown action '%s' (create, list, "
                "revoke)\n", verb);
        return 2;
    }
    auth_role r = AUTH_NONE;
    if (create && (r = auth_role_parse(role)) == AUTH_NONE) {
        fprintf(stderr, "citytwin token create: --role %s: give viewer, feeder, "
                "operator or admin\n", role ? role : "(missing)");
        return 2;
    }
    ct_err err;
    ct_err_clear(&err);
    auth_db *a = NULL;
    /* The hashes are not secrets, but nobody else needs to read them. */
    mode_t old = umask(077);
    int rc = auth_open(db, create, &a, &err);
    umask(old);
    if (rc) {
        fprintf(stderr, "citytwin token: %s\n", err.msg);
        return 1;
    }
    int status = 0;
    if (create) {
        char tok[AUTH_TOKEN_LEN + 1];
        if (auth_create(a, r, name, tok, &err)) {
            fprintf(stderr, "citytwin token: %s\n", err.msg);
            status = 1;
        } else {
            printf("%s\n", tok);
            fprintf(stderr, "citytwin token: created a %s token (prefix %.8s) "
                    "in %s; it is shown only now\n", auth_role_name(r), tok + 3, db);
            memset(tok, 0, sizeof tok);
        }
    } else if (!strcmp(verb, "list")) {
        status = do_list(a, as_json);
    } else if (auth_revoke(a, argv[optind + 1], &err)) {
        fprintf(stderr, "citytwin token: %s\n", err.msg);
        status = 1;
    } else {
        fprintf(stderr, "citytwin token: revoked %s\n", argv[optind + 1]);
    }
    auth_close(a);
    return status;
}
