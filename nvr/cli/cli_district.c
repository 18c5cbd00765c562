/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_district.c - `nvr district user add|passwd|del|list|grant|revoke`:
 * the district's people in the catalog (docs/ref/cli.md,
 * docs/design/catalog.md "People").  Works from any config with a
 * [catalog] url; writes nvr_users and nvr_grants (the triggers tell every
 * recorder).  Passwords are read from standard input (one line) and hashed
 * as `nvr user add` does (Argon2id, core/auth.h); the catalog's URL is
 * never printed.
 */
#include "cli/cli.h"

#include "base/clock.h"
#include "base/config.h"
#include "base/err.h"
#include "catalog/catalog_schema.h"
#include "core/auth.h"
#include "storage/users.h"

#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DISTRICT_USAGE                                                                                                 \
    "nvr: district user needs add NAME --role R [--grant W[,W...]], passwd NAME, del NAME, list, grant NAME W[,W...] " \
    "or revoke NAME W[,W...]\n"

struct district_opts {
    const char *config, *role, *grants;
    const char *pos[4]; /* "user", verb, NAME, WHAT */
    size_t npos;
};

/* A-Z a-z 0-9 _ - . @, 1 to 63 bytes (the local rule, within the catalog's). */
static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '-' || *p == '.' || *p == '@'))
            return 0;
    return 1;
}

/* a-z 0-9 _ -, at least one: a site name or camera id. */
static int valid_id(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
            return 0;
    return 1;
}

/* "*", "site:S", "S.ID" or "group:G" (docs/design/catalog.md). */
static int valid_grant(const char *g)
{
    const char *dot = strchr(g, '.');
    if (strcmp(g, "*") == 0)
        return 1;
    if (strncmp(g, "site:", 5) == 0)
        return valid_id(g + 5, strlen(g + 5));
    if (strncmp(g, "group:", 6) == 0)
        return g[6] && strlen(g) < USER_GRANT_LEN && !strpbrk(g, " \t\r\n,");
    return dot && valid_id(g, (size_t)(dot - g)) && valid_id(dot + 1, strlen(dot + 1)) &&
           strlen(dot + 1) < INDEX_ID_MAX;
}

static PGconn *open_catalog(const struct nvr_config *cfg)
{
    char err[512];
    const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
    const char *vals[] = {cfg->catalog.url, "10", "nvr-district", NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        catalog_pq_error(conn, NULL, "cannot connect to the catalog", err, sizeof err);
        fprintf(stderr, "nvr: %s\n", err);
        PQfinish(conn);
        return NULL;
    }
    if (catalog_schema_migrate(conn, err, sizeof err)) {
        fprintf(stderr, "nvr: %s\n", err);
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

/* Runs sql; 0, or 1 after a message. */
static int run_sql(PGconn *conn, const char *sql, int n, const char *const *p, PGresult **res, const char *what)
{
    char err[512];
    if (catalog_exec(conn, sql, n, p, res, what, err, sizeof err)) {
        fprintf(stderr, "nvr: %s\n", err);
        return 1;
    }
    return 0;
}

/* Inserts (add) or deletes (!add) the grants of the comma list for name. */
static int write_grants(PGconn *conn, const char *name, const char *list, int add)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", list ? list : "");
    for (char *save = NULL, *g = strtok_r(buf, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
        const char *p[] = {name, g};
        if (add && !valid_grant(g)) {
            fprintf(stderr, "nvr: \"%s\" is not *, site:SITE, SITE.CAMERA or group:NAME\n", g);
            return 2;
        }
        if (run_sql(conn,
                    add ? "INSERT INTO nvr_grants(user_name, what) VALUES ($1, $2) ON CONFLICT DO NOTHING"
                        : "DELETE FROM nvr_grants WHERE user_name = $1 AND what = $2",
                    2, p, NULL, "grant"))
            return 1;
    }
    return 0;
}

/* 1 if name is a user of the catalog (0 after a message if not, -1 on an error). */
static int exists(PGconn *conn, const char *name)
{
    PGresult *res = NULL;
    const char *p[] = {name};
    if (run_sql(conn, "SELECT 1 FROM nvr_users WHERE name = $1", 1, p, &res, "user"))
        return -1;
    int n = PQntuples(res);
    PQclear(res);
    if (!n)
        fprintf(stderr, "nvr: no district user %s\n", name);
    return n ? 1 : 0;
}

static int hash_from_stdin(char pwhash[USER_PWHASH_LEN])
{
    char pw[300];
    int bad = cli_read_password(pw, sizeof pw) || auth_hash_password(pw, pwhash);
    sodium_memzero(pw, sizeof pw);
    if (bad)
        fprintf(stderr, "nvr: give a password of 8 to 256 bytes on standard input\n");
    return bad ? 2 : 0;
}

static int user_add(PGconn *conn, const struct district_opts *o, const char *name)
{
    char pwhash[USER_PWHASH_LEN], now[32];
    if (!o->role || !users_role_parse(o->role)) {
        fprintf(stderr, "nvr: district user add needs --role admin|investigator|viewer\n");
        return 2;
    }
    if (hash_from_stdin(pwhash))
        return 2;
    snprintf(now, sizeof now, "%lld", (long long)nvr_clock_now_us());
    const char *p[] = {name, o->role, pwhash, now};
    int st = run_sql(conn, "BEGIN", 0, NULL, NULL, "begin");
    if (!st)
        st = run_sql(conn,
                     "INSERT INTO nvr_users(name, role, pwhash, created_us, updated_us) VALUES ($1, $2, $3, $4, $4)", 4,
                     p, NULL, "add user");
    if (!st)
        st = write_grants(conn, name, o->grants, 1);
    if (!st)
        st = run_sql(conn, "COMMIT", 0, NULL, NULL, "commit");
    else
        PQclear(PQexec(conn, "ROLLBACK"));
    sodium_memzero(pwhash, sizeof pwhash);
    if (!st)
        printf("district user %s added (%s)\n", name, o->role);
    return st;
}

static int user_passwd(PGconn *conn, const char *name)
{
    char pwhash[USER_PWHASH_LEN], now[32];
    int st = exists(conn, name);
    if (st != 1)
        return 1;
    if (hash_from_stdin(pwhash))
        return 2;
    snprintf(now, sizeof now, "%lld", (long long)nvr_clock_now_us());
    const char *p[] = {name, pwhash, now};
    st = run_sql(conn, "UPDATE nvr_users SET pwhash = $2, updated_us = $3 WHERE name = $1", 3, p, NULL, "passwd");
    sodium_memzero(pwhash, sizeof pwhash);
    if (!st)
        printf("district user %s: password changed\n", name);
    return st;
}

static int user_del(PGconn *conn, const char *name)
{
    const char *p[] = {name};
    int st = exists(conn, name);
    if (st != 1)
        return 1;
    /* its grants and the console's tokens go with it (ON DELETE CASCADE) */
    if (run_sql(conn, "DELETE FROM nvr_users WHERE name = $1", 1, p, NULL, "delete user"))
        return 1;
    printf("district user %s deleted\n", name);
    return 0;
}

static int user_list(PGconn *conn)
{
    PGresult *res = NULL;
    if (run_sql(conn,
                "SELECT u.name, u.role, u.disabled, coalesce(string_agg(g.what, ',' ORDER BY g.what), '')"
                " FROM nvr_users u LEFT JOIN nvr_grants g ON g.user_name = u.name"
                " GROUP BY u.name, u.role, u.disabled ORDER BY u.name",
                0, NULL, &res, "list"))
        return 1;
    for (int i = 0; i < PQntuples(res); i++)
        printf("%s\t%s%s\t%s\n", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
               strcmp(PQgetvalue(res, i, 2), "t") == 0 ? " (disabled)" : "", PQgetvalue(res, i, 3));
    PQclear(res);
    return 0;
}

static int user_grant(PGconn *conn, const char *name, const char *what, int add)
{
    int st = exists(conn, name);
    if (st != 1)
        return 1;
    if (run_sql(conn, "BEGIN", 0, NULL, NULL, "begin"))
        return 1;
    st = write_grants(conn, name, what, add);
    if (!st)
        st = run_sql(conn, "COMMIT", 0, NULL, NULL, "commit");
    else
        PQclear(PQexec(conn, "ROLLBACK"));
    if (!st)
        printf("district user %s: %s %s\n", name, add ? "granted" : "revoked", what);
    return st;
}

static int dispatch(PGconn *conn, const struct district_opts *o)
{
    const char *verb = o->pos[1], *name = o->npos > 2 ? o->pos[2] : NULL, *what = o->npos > 3 ? o->pos[3] : NULL;
    if (strcmp(verb, "list") == 0)
        return user_list(conn);
    if (!name || !valid_name(name)) {
        fprintf(stderr, "nvr: district user %s needs NAME (A-Z a-z 0-9 _ - . @, at most 63)\n", verb);
        return 2;
    }
    if (strcmp(verb, "add") == 0)
        return user_add(conn, o, name);
    if (strcmp(verb, "passwd") == 0)
        return user_passwd(conn, name);
    if (strcmp(verb, "del") == 0)
        return user_del(conn, name);
    if (!what) {
        fprintf(stderr, "nvr: district user %s needs NAME and what (*, site:S, S.CAMERA, group:G)\n", verb);
        return 2;
    }
    return user_grant(conn, name, what, strcmp(verb, "grant") == 0);
}

int cli_district(int argc, char **argv)
{
    static const char *const verbs[] = {"add", "passwd", "del", "list", "grant", "revoke"};
    struct district_opts o;
    struct nvr_config *cfg = NULL;
    PGconn *conn = NULL;
    int status = 2, known = 0;
    memset(&o, 0, sizeof o);
    const struct cli_option opts[] = {
        {"config", 'c', &o.config, NULL},
        {"role", 0, &o.role, NULL},
        {"grant", 0, &o.grants, NULL},
        {NULL, 0, NULL, NULL},
    };
    if (cli_parse_n(argc, argv, opts, o.pos, 4, &o.npos) || cli_need_config(o.config))
        return 2;
    for (size_t i = 0; o.npos >= 2 && i < sizeof verbs / sizeof verbs[0]; i++)
        known |= strcmp(o.pos[1], verbs[i]) == 0;
    if (o.npos < 2 || strcmp(o.pos[0], "user") != 0 || !known) {
        fputs(DISTRICT_USAGE, stderr);
        return 2;
    }
    if (sodium_init() < 0)
        return 1;
    if (nvr_config_load(o.config, &cfg, stderr))
        return 2;
    if (!cfg->catalog.url) {
        fprintf(stderr, "nvr: %s has no [catalog] url\n", o.config);
        goto out;
    }
    status = 1;
    if ((conn = open_catalog(cfg)))
        status = dispatch(conn, &o);
out:
    PQfinish(conn);
    nvr_config_free(&cfg);
    return status;
}
