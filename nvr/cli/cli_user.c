/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_user.c - `nvr user add|passwd|del|token|list|totp-reset` and `nvr verify --log`
 * (docs/ref/cli.md).  Passwords are read from standard input (one line), so
 * they appear in no process list or shell history.  Works while `nvr run`
 * serves (a second SQLite connection).  Every change is recorded in the
 * access log as done by "cli:UNIXUSER".
 */
#include "cli/cli.h"

#include "core/auth.h"
#include "base/clock.h"
#include "base/config.h"
#include "base/err.h"
#include "core/camera_store.h"
#include "export/log_anchor.h"
#include "export/sign.h"
#include "storage/access_log.h"
#include "storage/storage.h"
#include "storage/totp_store.h"
#include "storage/users.h"

#include <pwd.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct user_opts {
    const char *config, *role, *cameras, *label;
    int log, keep_tokens;
    const char *positional;
};

static int parse(int argc, char **argv, struct user_opts *o)
{
    memset(o, 0, sizeof *o);
    const struct cli_option opts[] = {
        {"config", 'c', &o->config, NULL},
        {"role", 0, &o->role, NULL},
        {"camera", 0, &o->cameras, NULL},
        {"label", 0, &o->label, NULL},
        {"log", 0, NULL, &o->log},
        {"keep-tokens", 0, NULL, &o->keep_tokens},
        {NULL, 0, NULL, NULL},
    };
    return cli_parse(argc, argv, opts, &o->positional) ? -1 : cli_need_config(o->config);
}

static void operator_name(char *out, size_t n)
{
    struct passwd *pw = getpwuid(getuid());
    snprintf(out, n, "cli:%s", pw && pw->pw_name ? pw->pw_name : "unknown");
}

static int parse_grants(const struct nvr_config *cfg, struct storage *st, const char *list, struct user *u)
{
    char buf[4096];
    u->ngrants = 0;
    if (!list)
        return 0;
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *g = strtok_r(buf, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
        int ok = strcmp(g, "*") == 0 || (strncmp(g, "group:", 6) == 0 && g[6]) || camera_store_known(cfg, st, g);
        if (!ok || u->ngrants == USER_GRANTS_MAX || strlen(g) >= USER_GRANT_LEN) {
            fprintf(stderr, "nvr: \"%s\" is not a camera of %s, group:NAME or *\n", g, cfg->path);
            return -1;
        }
        snprintf(u->grants[u->ngrants++], USER_GRANT_LEN, "%s", g);
    }
    return 0;
}

static int user_add(const struct user_opts *o, const struct nvr_config *cfg, struct storage *st, struct user *u,
                    const char *op)
{
    char pw[300];
    if (!o->positional || !o->role || !(u->role = users_role_parse(o->role))) {
        fprintf(stderr, "nvr: user add needs NAME and --role admin|investigator|viewer\n");
        return 2;
    }
    snprintf(u->name, sizeof u->name, "%s", o->positional);
    nvr_index *ix = storage_index(st);
    if (parse_grants(cfg, st, o->cameras, u))
        return 2;
    if (cli_read_password(pw, sizeof pw) || auth_hash_password(pw, u->pwhash)) {
        sodium_memzero(pw, sizeof pw);
        fprintf(stderr, "nvr: give a password of 8 to 256 bytes on standard input\n");
        return 2;
    }
    sodium_memzero(pw, sizeof pw);
    u->created_us = nvr_clock_now_us();
    int rc = users_add(ix, u);
    if (rc) {
        fprintf(stderr, "nvr: cannot add user %s: %s\n", u->name,
                rc == NVR_EINVAL ? "the name is taken" : nvr_strerror(rc));
        return 1;
    }
    char detail[128];
    snprintf(detail, sizeof detail, "user=%s role=%s", u->name, users_role_name(u->role));
    access_log_append(ix, nvr_clock_now_us(), op, "cli", "user_created", "", detail);
    printf("user %s added (%s)\n", u->name, users_role_name(u->role));
    return 0;
}

static int user_passwd(const struct user_opts *o, nvr_index *ix, struct user *u, const char *op)
{
    char pw[300];
    int rc;
    if (!o->positional) {
        fprintf(stderr, "nvr: user passwd needs NAME\n");
        return 2;
    }
    if ((rc = users_get(ix, o->positional, u))) {
        fprintf(stderr, "nvr: no user %s\n", o->positional);
        return 1;
    }
    if (u->source[0] && strcmp(u->source, "local") != 0) {
        fprintf(stderr, "nvr: %s signs in through the directory (%s): set the password there\n", u->name, u->source);
        return 1;
    }
    if (cli_read_password(pw, sizeof pw) || auth_hash_password(pw, u->pwhash)) {
        sodium_memzero(pw, sizeof pw);
        fprintf(stderr, "nvr: give a password of 8 to 256 bytes on standard input\n");
        return 2;
    }
    sodium_memzero(pw, sizeof pw);
    u->pw_changed_us = nvr_clock_now_us();
    int revoked = 0;
    if ((rc = users_update(ix, u, 1)) ||
        (!o->keep_tokens && (rc = users_tokens_revoke_user(ix, u->id, u->pw_changed_us, &revoked)))) {
        fprintf(stderr, "nvr: cannot change the password: %s\n", nvr_strerror(rc));
        return 1;
    }
    char detail[160];
    if (o->keep_tokens)
        snprintf(detail, sizeof detail, "user=%s password=changed tokens=kept", u->name);
    else
        snprintf(detail, sizeof detail, "user=%s password=changed tokens_revoked=%d", u->name, revoked);
    access_log_append(ix, nvr_clock_now_us(), op, "cli", "user_changed", "", detail);
    if (o->keep_tokens)
        printf("password of %s changed; their sessions are signed out, their API tokens kept\n", u->name);
    else
        printf("password of %s changed; their sessions are signed out and %d API token%s revoked\n", u->name, revoked,
               revoked == 1 ? "" : "s");
    return 0;
}

static int user_del(const struct user_opts *o, nvr_index *ix, const char *op)
{
    if (!o->positional) {
        fprintf(stderr, "nvr: user del needs NAME\n");
        return 2;
    }
    struct user *u = calloc(1, sizeof *u);
    int rc = u ? users_get(ix, o->positional, u) : NVR_ENOMEM;
    int managed = rc == NVR_OK && strcmp(u->source, "catalog") == 0;
    if (u)
        sodium_memzero(u, sizeof *u);
    free(u);
    if (managed) {
        fprintf(stderr, "nvr: %s is managed by the district catalog: nvr district user del\n", o->positional);
        return 1;
    }
    if (rc == NVR_OK)
        rc = users_delete(ix, o->positional);
    if (rc) {
        fprintf(stderr, "nvr: cannot delete %s: %s\n", o->positional,
                rc == NVR_ENOTFOUND ? "no such user" : nvr_strerror(rc));
        return 1;
    }
    char detail[128];
    snprintf(detail, sizeof detail, "user=%s", o->positional);
    access_log_append(ix, nvr_clock_now_us(), op, "cli", "user_deleted", "", detail);
    printf("user %s deleted\n", o->positional);
    return 0;
}

/* The break-glass case: an admin who lost both the authenticator and the
 * recovery codes.  Removes NAME's TOTP and recovery codes. */
static int user_totp_reset(const struct user_opts *o, nvr_index *ix, struct user *u, const char *op)
{
    if (!o->positional) {
        fprintf(stderr, "nvr: user totp-reset needs NAME\n");
        return 2;
    }
    int rc = users_get(ix, o->positional, u);
    if (rc == NVR_OK)
        rc = totp_store_delete(ix, u->id);
    if (rc) {
        fprintf(stderr, "nvr: cannot reset the second factor of %s: %s\n", o->positional,
                rc == NVR_ENOTFOUND ? "no such user, or no second factor" : nvr_strerror(rc));
        return 1;
    }
    char detail[128];
    snprintf(detail, sizeof detail, "user=%s", o->positional);
    access_log_append(ix, nvr_clock_now_us(), op, "cli", "totp_reset", "", detail);
    printf("second factor of %s removed; they sign in with the password alone (and enrol again if the policy "
           "says so)\n",
           o->positional);
    return 0;
}

static int user_token(const struct user_opts *o, struct storage *st, struct user *u, const char *op)
{
    struct auth *a = NULL;
    char secret[AUTH_SECRET_LEN], detail[128];
    int64_t id;
    int rc;
    if (!o->positional) {
        fprintf(stderr, "nvr: user token needs NAME\n");
        return 2;
    }
    if ((rc = users_get(storage_index(st), o->positional, u))) {
        fprintf(stderr, "nvr: no user %s\n", o->positional);
        return 1;
    }
    if ((rc = auth_create(&a, st, NULL)) ||
        (rc = auth_token_create(a, u->id, o->label ? o->label : "cli", secret, &id))) {
        auth_destroy(&a);
        fprintf(stderr, "nvr: cannot make a token: %s\n", nvr_strerror(rc));
        return 1;
    }
    auth_destroy(&a);
    snprintf(detail, sizeof detail, "user=%s token=%lld", u->name, (long long)id);
    access_log_append(storage_index(st), nvr_clock_now_us(), op, "cli", "token_created", "", detail);
    printf("%s\n", secret);
    sodium_memzero(secret, sizeof secret);
    return 0;
}

static void print_time(int64_t us)
{
    if (!us) {
        fputs("never", stdout);
        return;
    }
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    char buf[32];
    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fputs(buf, stdout);
}

/* Each user, and under it each unrevoked API token with its last use. */
static int user_list(nvr_index *ix)
{
    struct user *v = NULL;
    struct user_token *toks = NULL;
    size_t n = 0, ntoks = 0;
    if (users_list(ix, &v, &n) || users_tokens_list(ix, &toks, &ntoks)) {
        fprintf(stderr, "nvr: cannot read users\n");
        free(v);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        printf("%-24s %-12s ", v[i].name, users_role_name(v[i].role));
        for (size_t k = 0; k < v[i].ngrants; k++)
            printf("%s%s", k ? "," : "", v[i].grants[k]);
        putchar('\n');
        for (size_t k = 0; k < ntoks; k++) {
            if (toks[k].user_id != v[i].id)
                continue;
            printf("  token %lld label=\"%s\" created=", (long long)toks[k].id, toks[k].label);
            print_time(toks[k].created_us);
            fputs(" last_used=", stdout);
            print_time(toks[k].last_used_us);
            putchar('\n');
        }
    }
    free(toks);
    if (n == 0)
        puts("no users");
    sodium_memzero(v, n * sizeof *v);
    free(v);
    return 0;
}

/* Opens config and storage for a subcommand. */
static int open_all(const struct user_opts *o, struct nvr_config **cfg, struct storage **st)
{
    int rc;
    if (nvr_config_load(o->config, cfg, stderr) != NVR_OK)
        return 1;
    if ((rc = storage_open(st, (*cfg)->data_dir, 0))) {
        fprintf(stderr, "nvr: cannot open the index in %s: %s\n", (*cfg)->data_dir, nvr_strerror(rc));
        return 1;
    }
    return 0;
}

int cli_user(int argc, char **argv)
{
    static const char *const verbs[] = {"add", "passwd", "del", "token", "list", "totp-reset"};
    const char *verb = argc > 1 ? argv[1] : "";
    struct user_opts o;
    struct nvr_config *cfg = NULL;
    struct storage *st = NULL;
    struct user *u = NULL;
    char op[80];
    int status = 2, known = 0;
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        known |= strcmp(verb, verbs[i]) == 0;
    if (!known) {
        fprintf(stderr, "nvr: user needs add, passwd, del, token, list or totp-reset\n");
        return 2;
    }
    if (parse(argc - 1, argv + 1, &o))
        return 2;
    if (sodium_init() < 0 || !(u = calloc(1, sizeof *u)))
        return 1;
    if ((status = open_all(&o, &cfg, &st)))
        goto out;
    operator_name(op, sizeof op);
    if (strcmp(verb, "add") == 0)
        status = user_add(&o, cfg, st, u, op);
    else if (strcmp(verb, "passwd") == 0)
        status = user_passwd(&o, storage_index(st), u, op);
    else if (strcmp(verb, "del") == 0)
        status = user_del(&o, storage_index(st), op);
    else if (strcmp(verb, "token") == 0)
        status = user_token(&o, st, u, op);
    else if (strcmp(verb, "totp-reset") == 0)
        status = user_totp_reset(&o, storage_index(st), u, op);
    else
        status = user_list(storage_index(st));
out:
    if (u)
        sodium_memzero(u, sizeof *u);
    free(u);
    storage_close(&st);
    nvr_config_free(&cfg);
    return status;
}

int cli_verify_log(int argc, char **argv)
{
    struct user_opts o;
    struct nvr_config *cfg = NULL;
    struct storage *st = NULL;
    int problems = 0, status;
    if (parse(argc, argv, &o) || !o.log || o.positional)
        return 2;
    if ((status = open_all(&o, &cfg, &st)))
        goto out;
    /* checkpoints are checked against the recorder's own key; without one
     * only the chain and the heads they name are */
    struct sign_key *key = NULL;
    char *pem = NULL, fpr[SIGN_FPR_BUFSZ] = "";
    if (sign_key_load(cfg->data_dir, &key) || sign_public_pem(key, &pem) || sign_fingerprint(key, fpr)) {
        free(pem);
        pem = NULL;
        fprintf(stderr, "nvr: no signing key in %s: checkpoint signatures are not checked\n", cfg->data_dir);
    }
    sign_key_free(&key);
    int rc = log_anchor_verify(storage_index(st), pem, pem ? fpr : NULL, stdout, &problems);
    free(pem);
    if (rc) {
        fprintf(stderr, "nvr: cannot read the access log: %s\n", nvr_strerror(rc));
        status = 1;
    } else {
        status = problems ? 1 : 0;
        printf("access log: %s\n", problems ? "ALTERED" : "intact");
    }
out:
    storage_close(&st);
    nvr_config_free(&cfg);
    return status;
}
