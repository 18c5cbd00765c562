/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.c - passwords, sessions, tokens, rate limits and camera permission
 * (see auth.h, docs/design/security.md).
 *
 * Threads: `mu` guards the token cache and the setup token; the failure
 * table and the second-factor tickets have their own locks; everything
 * else is in the index, which serialises itself.
 */
#include "core/auth.h"

#include "core/dir_ldap.h"
#include "core/signin_limit.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "core/log_limit.h"
#include "storage/access_log.h"
#include "storage/sha256.h"
#include "storage/totp_store.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOKEN_SLOTS 32
#define TOKEN_CACHE_US (10LL * 1000000) /* a revoked token or changed user takes effect within this */

/* A recently checked API token: scripts and players repeat the same token
 * on every request, and each check costs two index queries. */
struct token_slot {
    uint8_t hash[32];
    int64_t until_us; /* 0: empty */
    struct user u;    /* pwhash cleared */
};

struct auth {
    struct storage *st;
    pthread_mutex_t mu;         /* guards tokens, setup_token */
    struct signin_limit *limit; /* failed sign-ins (its own lock) */
    struct token_slot tokens[TOKEN_SLOTS];
    char setup_token[AUTH_SECRET_LEN]; /* "" once a user exists */
    struct log_limit *anon;            /* anonymous events' rate control */
    struct signin_tickets *tickets;    /* between password and second factor (its own lock) */
    enum nvr_totp_policy totp_policy;  /* [server] totp_required */
    struct dir_ldap *ldap;             /* [ldap]; NULL: local accounts only */
    struct auth_directory dir;         /* the catalog's mirror (guarded by mu); .token NULL: none */
};

static void random_secret(char out[AUTH_SECRET_LEN])
{
    unsigned char b[32];
    randombytes_buf(b, sizeof b);
    sodium_bin2base64(out, AUTH_SECRET_LEN, b, sizeof b, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void secret_hash(const char *secret, uint8_t out[32])
{
    struct sha256 *h = sha256_new();
    if (!h) {
        memset(out, 0, 32);
        return;
    }
    sha256_update(h, secret, strlen(secret));
    sha256_final(h, out);
    sha256_free(&h);
}

/* Directory checks at once: half the HTTP threads (the default count as
 * http_server_default_threads: one per CPU, 2 to 16), so a slow directory
 * never holds them all. */
static int ldap_busy_limit(const struct nvr_config *cfg)
{
    long n = cfg->http_threads ? cfg->http_threads : sysconf(_SC_NPROCESSORS_ONLN);
    n = n < 2 ? 2 : n > 16 && !cfg->http_threads ? 16 : n;
    return (int)(n / 2);
}

nvr_err auth_create(struct auth **out, struct storage *st, const struct nvr_config *cfg)
{
    int64_t n = 0;
    *out = NULL;
    if (sodium_init() < 0)
        return NVR_EIO;
    struct auth *a = calloc(1, sizeof *a);
    if (!a)
        return NVR_ENOMEM;
    a->st = st;
    pthread_mutex_init(&a->mu, NULL);
    int rc = signin_limit_create(&a->limit, SIGNIN_SLOTS);
    if (rc) {
        pthread_mutex_destroy(&a->mu);
        free(a);
        return rc;
    }
    a->totp_policy = cfg ? cfg->totp_required : NVR_TOTP_NONE;
    rc = users_count(storage_index(st), &n);
    if (rc == NVR_OK)
        rc = log_limit_create(&a->anon, storage_index(st));
    if (rc == NVR_OK)
        rc = signin_tickets_create(&a->tickets);
    if (rc == NVR_OK && cfg && cfg->ldap.url)
        rc = dir_ldap_create(&a->ldap, &cfg->ldap, ldap_busy_limit(cfg));
    if (rc) {
        auth_destroy(&a);
        return rc;
    }
    if (n == 0) {
        random_secret(a->setup_token);
        nvr_log(NVR_WARN, NULL,
                "no user yet: create the first admin with `nvr user add -c FILE NAME --role admin`, or once "
                "over HTTP with POST /api/v1/setup and setup_token=%s",
                a->setup_token);
    }
    *out = a;
    return NVR_OK;
}

void auth_destroy(struct auth **ap)
{
    struct auth *a = *ap;
    if (!a)
        return;
    log_limit_destroy(&a->anon);
    signin_tickets_destroy(&a->tickets);
    dir_ldap_destroy(&a->ldap);
    pthread_mutex_destroy(&a->mu);
    signin_limit_destroy(&a->limit);
    sodium_memzero(a, sizeof *a);
    free(a);
    *ap = NULL;
}

int auth_setup_token_ok(struct auth *a, const char *token)
{
    pthread_mutex_lock(&a->mu);
    int ok = a->setup_token[0] && token && strlen(token) == strlen(a->setup_token) &&
             sodium_memcmp(token, a->setup_token, strlen(token)) == 0;
    pthread_mutex_unlock(&a->mu);
    return ok && auth_setup_open(a);
}

int auth_setup_open(struct auth *a)
{
    pthread_mutex_lock(&a->mu);
    int open = a->setup_token[0] != '\0';
    pthread_mutex_unlock(&a->mu);
    int64_t n = 0;
    if (open && users_count(storage_index(a->st), &n) == NVR_OK && n > 0) {
        auth_setup_done(a); /* a user was made another way (nvr user add) */
        open = 0;
    }
    return open;
}

void auth_setup_done(struct auth *a)
{
    pthread_mutex_lock(&a->mu);
    sodium_memzero(a->setup_token, sizeof a->setup_token);
    pthread_mutex_unlock(&a->mu);
}

nvr_err auth_hash_password(const char *pw, char out[USER_PWHASH_LEN])
{
    size_t n = strlen(pw);
    if (n < 8 || n > 256)
        return NVR_EINVAL;
    _Static_assert(crypto_pwhash_STRBYTES <= USER_PWHASH_LEN, "pwhash field too small");
    if (crypto_pwhash_str(out, pw, n, crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return NVR_ENOMEM;
    return NVR_OK;
}

/* Whether u has TOTP enabled (an index error counts as enabled: a second
 * factor is never skipped because it could not be read). */
static int totp_enabled(struct auth *a, int64_t user_id)
{
    struct totp_state ts;
    int rc = totp_store_get(storage_index(a->st), user_id, &ts);
    int on = rc == NVR_OK ? ts.enabled : rc != NVR_ENOTFOUND;
    sodium_memzero(&ts, sizeof ts);
    return on;
}

static int is_local(const struct user *u);

/* The local check: rc is users_get's answer for name (u filled when NVR_OK). */
static nvr_err local_login(int rc, const char *pw, const struct user *u)
{
    if (rc == NVR_ENOTFOUND) {
        /* spend the same time as a real check, so timing does not tell which names exist */
        char dummy[USER_PWHASH_LEN];
        auth_hash_password("not-a-real-password", dummy);
    }
    if (rc == NVR_OK)
        return crypto_pwhash_str_verify(u->pwhash, pw, strlen(pw)) == 0 ? NVR_OK : NVR_EAUTH;
    return rc == NVR_ENOTFOUND ? NVR_EAUTH : rc;
}

/* Copies what a directory says (role, grants) into u; whether it changed. */
static int dir_apply(const struct user *said, struct user *u)
{
    int changed = u->role != said->role || u->ngrants != said->ngrants;
    for (size_t i = 0; !changed && i < said->ngrants; i++)
        changed = strcmp(u->grants[i], said->grants[i]) != 0;
    u->role = said->role;
    u->ngrants = said->ngrants;
    memcpy(u->grants, said->grants, sizeof said->grants);
    return changed;
}

/* The access log entry of an account made or changed by its directory. */
static void dir_log_user(struct auth *a, const struct user *u, const char *address, const char *action)
{
    char detail[USER_GRANTS_MAX * 4 + 96] = "";
    size_t o = (size_t)snprintf(detail, sizeof detail, "user=%s role=%s source=%s grants=", u->name,
                                users_role_name(u->role), u->source);
    for (size_t i = 0; i < u->ngrants && o < sizeof detail; i++)
        o += (size_t)snprintf(detail + o, sizeof detail - o, "%s%s", i ? "," : "", u->grants[i]);
    auth_log(a, u->name, address, action, "", detail);
}

/* A new account of source for said (its directory has already said yes).
 * NVR_EINVAL if the name was taken meanwhile. */
static nvr_err dir_account_add(struct auth *a, const char *source, const struct user *said, const char *address,
                               struct user *u)
{
    memset(u, 0, sizeof *u);
    snprintf(u->name, sizeof u->name, "%s", said->name);
    snprintf(u->pwhash, sizeof u->pwhash, "!"); /* no password verifies it */
    snprintf(u->source, sizeof u->source, "%s", source);
    u->created_us = u->pw_changed_us = nvr_clock_now_us();
    dir_apply(said, u);
    nvr_err rc = users_add(storage_index(a->st), u);
    if (rc == NVR_OK)
        dir_log_user(a, u, address, "user_created");
    return rc;
}

/* The one way a directory (source "ldap" or "oidc") makes or refreshes an
 * account: said holds the name, role and grants it gave, after it said yes.
 * The account is made at the first sign-in; its role and grants are
 * replaced when they changed (user_changed in the access log, API tokens'
 * cached users forgotten).  NVR_EAUTH (logged) when the name belongs to an
 * account of another source: never taken over. */
static nvr_err dir_account(struct auth *a, const char *source, const struct user *said, const char *address,
                           struct user *u)
{
    nvr_index *ix = storage_index(a->st);
    nvr_err rc = users_get(ix, said->name, u);
    if (rc == NVR_ENOTFOUND && (rc = dir_account_add(a, source, said, address, u)) != NVR_EINVAL)
        return rc;
    if (rc == NVR_EINVAL)
        rc = users_get(ix, said->name, u); /* made meanwhile (a concurrent sign-in, the CLI) */
    if (rc)
        return rc;
    if (strcmp(u->source[0] ? u->source : "local", source) != 0) {
        nvr_log(NVR_WARN, NULL,
                "directory sign-in refused: the name belongs to another account user=%s source=%s account_source=%s",
                said->name, source, u->source[0] ? u->source : "local");
        return NVR_EAUTH;
    }
    if (dir_apply(said, u)) {
        if ((rc = users_update(ix, u, 0)) == NVR_OK)
            dir_log_user(a, u, address, "user_changed");
        auth_forget_tokens(a);
    }
    return rc;
}

/* The directory check for name; *why says why it failed, for the access log. */
static nvr_err dir_login(struct auth *a, const char *name, const char *pw, const char *address, struct user *u,
                         const char **why)
{
    struct dir_ldap_user du;
    nvr_err rc = dir_ldap_check(a->ldap, name, pw, &du);
    *why = rc == NVR_ECONN ? "ldap: directory unavailable" : "";
    if (rc == NVR_OK && !du.role) {
        nvr_log(NVR_WARN, NULL, "ldap sign-in refused: in no group mapped to a role user=%s", du.name);
        *why = "ldap: in no mapped group";
        rc = NVR_EAUTH;
    }
    if (rc == NVR_OK) {
        struct user *said = calloc(1, sizeof *said);
        if (!said) {
            rc = NVR_ENOMEM;
        } else {
            snprintf(said->name, sizeof said->name, "%s", du.name);
            said->role = du.role;
            said->ngrants = du.ngrants;
            memcpy(said->grants, du.grants, sizeof du.grants);
            if ((rc = dir_account(a, "ldap", said, address, u)) == NVR_EAUTH)
                *why = "ldap: the name belongs to another account";
            free(said);
        }
    }
    sodium_memzero(&du, sizeof du);
    return rc;
}

nvr_err auth_login(struct auth *a, const char *name, const char *pw, const char *address, struct user *u,
                   char ticket[SIGNIN_TICKET_LEN])
{
    int64_t now = nvr_clock_mono_us(); /* clock steps neither lift nor stretch a wait */
    const char *why = "";
    if (ticket)
        ticket[0] = '\0';
    if (signin_limit_wait(a->limit, name, address, now) > 0) {
        auth_log_anon(a, name, address, "login_blocked", "too many failed logins");
        return NVR_ETIMEDOUT;
    }
    int rc = users_get(storage_index(a->st), name, u);
    /* a local (or oidc) account's name never goes to the directory: its
     * password is not sent there, and the account cannot be taken over */
    if (a->ldap && (rc == NVR_ENOTFOUND || (rc == NVR_OK && strcmp(u->source, "ldap") == 0)))
        rc = dir_login(a, name, pw, address, u, &why);
    else
        rc = local_login(rc, pw, u);
    if (rc == NVR_EAUTH)
        signin_limit_failed(a->limit, name, address, now);
    if (rc) {
        memset(u, 0, sizeof *u);
        if (rc == NVR_EAUTH || rc == NVR_ECONN)
            auth_log_anon(a, name, address, "login_failed", why);
        return rc;
    }
    if (ticket && totp_enabled(a, u->id)) {
        /* the failures are forgiven only when the second factor is right too:
         * the password alone must not wipe out wrong codes (directory
         * accounts never have one: they cannot enrol) */
        signin_ticket_issue(a->tickets, u->id, address, now, ticket);
        return NVR_OK; /* logged when the second factor is given */
    }
    signin_limit_succeeded(a->limit, name, address);
    char detail[48];
    snprintf(detail, sizeof detail, "%s%s%s", users_role_name(u->role),
             is_local(u) ? "" : " source=", is_local(u) ? "" : u->source);
    auth_log(a, u->name, address, "login", "", detail);
    return NVR_OK;
}

/* Checks code (or the recovery code) for user_id: 0 and *method, or -1. */
static int second_factor_ok(struct auth *a, int64_t user_id, const char *code, const char *recovery,
                            const char **method)
{
    struct totp_state ts;
    nvr_index *ix = storage_index(a->st);
    int ok = 0;
    if (totp_store_get(ix, user_id, &ts) || !ts.enabled)
        goto out;
    if (code) {
        int64_t step = totp_match(ts.secret, sizeof ts.secret, code, nvr_clock_now_us() / 1000000, ts.last_step);
        ok = step >= 0 && totp_store_use_step(ix, user_id, step) == NVR_OK;
        *method = "password+totp";
    } else {
        char norm[TOTP_RECOVERY_LEN];
        uint8_t h[32];
        if (recovery && totp_recovery_normalize(recovery, norm) == 0) {
            secret_hash(norm, h);
            ok = totp_store_use_recovery(ix, user_id, h, nvr_clock_now_us()) == NVR_OK;
        }
        *method = "recovery_code";
    }
out:
    sodium_memzero(&ts, sizeof ts);
    return ok ? 0 : -1;
}

nvr_err auth_login_second(struct auth *a, const char *ticket, const char *code, const char *recovery,
                          const char *address, struct user *u)
{
    int64_t now = nvr_clock_mono_us(), uid = 0;
    const char *method = "";
    memset(u, 0, sizeof *u);
    if (signin_ticket_find(a->tickets, ticket, address, now, &uid) ||
        users_get_id(storage_index(a->st), uid, u) != NVR_OK) {
        auth_log_anon(a, "", address, "login_failed", "second factor: unknown or expired ticket");
        memset(u, 0, sizeof *u);
        return NVR_EAUTH;
    }
    if (signin_limit_wait(a->limit, u->name, address, now) > 0) {
        auth_log_anon(a, u->name, address, "login_blocked", "too many failed logins");
        sodium_memzero(u->pwhash, sizeof u->pwhash); /* the name stays: the caller says how long to wait */
        return NVR_ETIMEDOUT;
    }
    if (second_factor_ok(a, uid, code, recovery, &method)) {
        signin_limit_failed(a->limit, u->name, address, now);
        signin_ticket_failed(a->tickets, ticket);
        auth_log_anon(a, u->name, address, "login_failed",
                      code ? "second factor: wrong code" : "second factor: wrong recovery code");
        memset(u, 0, sizeof *u);
        return NVR_EAUTH;
    }
    signin_ticket_take(a->tickets, ticket);
    signin_limit_succeeded(a->limit, u->name, address);
    char detail[96];
    snprintf(detail, sizeof detail, "%s method=%s", users_role_name(u->role), method);
    auth_log(a, u->name, address, "login", "", detail);
    return NVR_OK;
}

void auth_directory_failed(struct auth *a, const char *name, const char *address, const char *detail)
{
    signin_limit_failed(a->limit, name, address, nvr_clock_mono_us());
    auth_log_anon(a, name, address, "login_failed", detail);
}

nvr_err auth_directory_login(struct auth *a, const char *source, struct user *u, const char *address)
{
    char detail[96];
    if (signin_limit_wait(a->limit, u->name, address, nvr_clock_mono_us()) > 0) {
        auth_log_anon(a, u->name, address, "login_blocked", "too many failed logins");
        return NVR_ETIMEDOUT;
    }
    if (!u->role) {
        snprintf(detail, sizeof detail, "source=%s no role for the user's groups", source);
        auth_directory_failed(a, u->name, address, detail);
        return NVR_EAUTH;
    }
    struct user *said = malloc(sizeof *said);
    if (!said)
        return NVR_ENOMEM;
    *said = *u;
    int rc = dir_account(a, source, said, address, u);
    free(said);
    if (rc == NVR_EAUTH) {
        sodium_memzero(u->pwhash, sizeof u->pwhash); /* the other account's */
        snprintf(detail, sizeof detail, "source=%s account of another source not taken over", source);
        auth_directory_failed(a, u->name, address, detail);
        return NVR_EAUTH;
    }
    if (rc)
        return rc;
    signin_limit_succeeded(a->limit, u->name, address);
    snprintf(detail, sizeof detail, "%s source=%s", users_role_name(u->role), source);
    auth_log(a, u->name, address, "login", "", detail);
    return NVR_OK;
}

static int is_local(const struct user *u)
{
    return u->source[0] == '\0' || strcmp(u->source, "local") == 0;
}

int auth_totp_required(const struct auth *a, const struct user *u)
{
    if (!is_local(u))
        return 0;
    return a->totp_policy == NVR_TOTP_ALL || (a->totp_policy == NVR_TOTP_ADMIN && u->role == USER_ADMIN);
}

nvr_err auth_totp_status(struct auth *a, const struct user *u, int *enabled, int *recovery_left)
{
    struct totp_state ts;
    int rc = totp_store_get(storage_index(a->st), u->id, &ts);
    *enabled = rc == NVR_OK && ts.enabled;
    *recovery_left = *enabled ? ts.recovery_left : 0;
    sodium_memzero(&ts, sizeof ts);
    return rc == NVR_ENOTFOUND ? NVR_OK : rc;
}

nvr_err auth_totp_begin(struct auth *a, const struct user *u, char secret_b32[TOTP_B32_LEN], char uri[TOTP_URI_LEN])
{
    uint8_t secret[TOTP_SECRET_BYTES];
    randombytes_buf(secret, sizeof secret);
    int rc = totp_store_begin(storage_index(a->st), u->id, secret, nvr_clock_now_us());
    if (rc == NVR_OK) {
        totp_base32(secret, sizeof secret, secret_b32);
        totp_uri("NVR", u->name, secret_b32, uri);
    }
    sodium_memzero(secret, sizeof secret);
    return rc;
}

nvr_err auth_totp_confirm(struct auth *a, const struct user *u, const char *code, const char *address,
                          char codes[TOTP_RECOVERY_CODES][TOTP_RECOVERY_LEN])
{
    struct totp_state ts;
    uint8_t hashes[TOTP_RECOVERY_CODES][32];
    nvr_index *ix = storage_index(a->st);
    int rc = totp_store_get(ix, u->id, &ts);
    if (rc == NVR_OK && ts.enabled)
        rc = NVR_ENOTFOUND;
    if (rc)
        goto out;
    int64_t step = totp_match(ts.secret, sizeof ts.secret, code, nvr_clock_now_us() / 1000000, 0);
    if (step < 0) {
        rc = NVR_EAUTH;
        goto out;
    }
    for (int i = 0; i < TOTP_RECOVERY_CODES; i++) {
        uint8_t rnd[7];
        char norm[TOTP_RECOVERY_LEN];
        randombytes_buf(rnd, sizeof rnd);
        totp_recovery_format(rnd, codes[i]);
        totp_recovery_normalize(codes[i], norm);
        secret_hash(norm, hashes[i]);
    }
    if ((rc = totp_store_enable(ix, u->id, step, (const uint8_t(*)[32])hashes, TOTP_RECOVERY_CODES)) == NVR_OK)
        auth_log(a, u->name, address, "totp_enabled", "", "recovery_codes=10");
out:
    sodium_memzero(&ts, sizeof ts);
    sodium_memzero(hashes, sizeof hashes);
    return rc;
}

/* Whether pw is u's password (read from the index: the caller's copy has its pwhash cleared). */
static int password_ok(struct auth *a, const struct user *u, const char *pw)
{
    struct user *full = calloc(1, sizeof *full);
    int ok = full && users_get_id(storage_index(a->st), u->id, full) == NVR_OK &&
             crypto_pwhash_str_verify(full->pwhash, pw, strlen(pw)) == 0;
    if (full)
        sodium_memzero(full, sizeof *full);
    free(full);
    return ok;
}

nvr_err auth_totp_disable(struct auth *a, const struct user *u, const char *code, const char *pw, const char *address)
{
    int64_t now = nvr_clock_mono_us();
    const char *method = "";
    int enabled = 0, left = 0;
    int rc = auth_totp_status(a, u, &enabled, &left);
    if (rc || !enabled)
        return rc ? rc : NVR_ENOTFOUND;
    if (signin_limit_wait(a->limit, u->name, address, now) > 0)
        return NVR_ETIMEDOUT;
    int ok = pw ? password_ok(a, u, pw) : second_factor_ok(a, u->id, code, NULL, &method) == 0;
    if (!ok) {
        signin_limit_failed(a->limit, u->name, address, now);
        return NVR_EAUTH;
    }
    if ((rc = totp_store_delete(storage_index(a->st), u->id)) == NVR_OK)
        auth_log(a, u->name, address, "totp_disabled", "", pw ? "method=password" : "method=code");
    return rc;
}

nvr_err auth_totp_reset(struct auth *a, const char *by, const char *address, const char *name)
{
    struct user *u = calloc(1, sizeof *u);
    if (!u)
        return NVR_ENOMEM;
    int rc = users_get(storage_index(a->st), name, u);
    if (rc == NVR_OK)
        rc = totp_store_delete(storage_index(a->st), u->id);
    if (rc == NVR_OK) {
        char detail[INDEX_ID_MAX + 32];
        snprintf(detail, sizeof detail, "user=%s", name);
        auth_log(a, by, address, "totp_reset", "", detail);
    }
    sodium_memzero(u, sizeof *u);
    free(u);
    return rc;
}

int64_t auth_login_wait_us(struct auth *a, const char *name, const char *address)
{
    return signin_limit_wait(a->limit, name, address, nvr_clock_mono_us());
}

nvr_err auth_session_create(struct auth *a, const struct user *u, const char *address, char cookie[AUTH_SECRET_LEN],
                            char csrf[USER_CSRF_LEN])
{
    uint8_t h[32], c[16];
    random_secret(cookie);
    randombytes_buf(c, sizeof c);
    sodium_bin2hex(csrf, USER_CSRF_LEN, c, sizeof c);
    secret_hash(cookie, h);
    return users_session_add(storage_index(a->st), h, u->id, csrf, address, nvr_clock_now_us());
}

nvr_err auth_session_end(struct auth *a, const uint8_t session_hash[32])
{
    return users_session_delete(storage_index(a->st), session_hash);
}

/* The value of cookie name in a Cookie header into out; 0 if found. */
static int cookie_value(const char *header, const char *name, char *out, size_t n)
{
    size_t nl = strlen(name);
    for (const char *p = header; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            size_t vl = len - nl - 1;
            if (vl >= n)
                return -1;
            memcpy(out, p + nl + 1, vl);
            out[vl] = '\0';
            return 0;
        }
        p = end;
    }
    return -1;
}

void auth_set_directory(struct auth *a, const struct auth_directory *d)
{
    pthread_mutex_lock(&a->mu);
    if (d)
        a->dir = *d;
    else
        memset(&a->dir, 0, sizeof a->dir);
    pthread_mutex_unlock(&a->mu);
}

/* A token the console issued (D3, docs/design/catalog.md): the mirrored
 * catalog user it belongs to, into out->u.  NVR_EAUTH when there is none,
 * it expired, or the name is a local account of another source. */
static nvr_err directory_token(struct auth *a, nvr_index *ix, const uint8_t h[32], int64_t now, struct auth_user *out)
{
    struct auth_directory d;
    char name[INDEX_ID_MAX];
    int64_t expires = 0;
    pthread_mutex_lock(&a->mu);
    d = a->dir;
    pthread_mutex_unlock(&a->mu);
    if (!d.token || d.token(d.ctx, h, name, &expires) != NVR_OK || expires <= now)
        return NVR_EAUTH;
    int rc = users_get(ix, name, &out->u);
    sodium_memzero(out->u.pwhash, sizeof out->u.pwhash);
    if (rc)
        return rc == NVR_ENOTFOUND ? NVR_EAUTH : rc;
    return strcmp(out->u.source, "catalog") == 0 ? NVR_OK : NVR_EAUTH;
}

nvr_err auth_request(struct auth *a, const char *cookie_header, const char *authorization, struct auth_user *out)
{
    /* lookups on the readers' connection: an API request never queues behind
     * a camera's fragment commit; only writes (touch, expiry) use the writers' */
    nvr_index *ix = storage_index_reader(a->st), *wix = storage_index(a->st);
    char secret[AUTH_SECRET_LEN];
    int64_t uid = 0, now = nvr_clock_now_us();
    int rc;
    memset(out, 0, sizeof *out);
    if (authorization) {
        if (strncmp(authorization, "Bearer ", 7) != 0 || strlen(authorization + 7) >= sizeof secret)
            return NVR_EAUTH;
        snprintf(secret, sizeof secret, "%s", authorization + 7);
        uint8_t h[32];
        secret_hash(secret, h);
        out->via_token = 1;
        pthread_mutex_lock(&a->mu);
        for (int i = 0; i < TOKEN_SLOTS; i++)
            if (a->tokens[i].until_us > now && sodium_memcmp(a->tokens[i].hash, h, 32) == 0) {
                out->u = a->tokens[i].u;
                pthread_mutex_unlock(&a->mu);
                return NVR_OK;
            }
        pthread_mutex_unlock(&a->mu);
        if ((rc = users_token_find(ix, h, &uid)) == NVR_ENOTFOUND)
            return directory_token(a, ix, h, now, out); /* not cached: a removal counts at once (D1) */
        if (rc)
            return rc;
        users_token_touch(wix, h, now); /* last use, to TOKEN_CACHE_US */
        if ((rc = users_get_id(ix, uid, &out->u)))
            return rc == NVR_ENOTFOUND ? NVR_EAUTH : rc;
        sodium_memzero(out->u.pwhash, sizeof out->u.pwhash);
        pthread_mutex_lock(&a->mu);
        struct token_slot *slot = &a->tokens[0];
        for (int i = 1; i < TOKEN_SLOTS; i++)
            if (a->tokens[i].until_us < slot->until_us)
                slot = &a->tokens[i];
        memcpy(slot->hash, h, 32);
        slot->u = out->u;
        slot->until_us = now + TOKEN_CACHE_US;
        pthread_mutex_unlock(&a->mu);
        return NVR_OK;
    } else {
        int64_t created = 0, last = 0;
        if (!cookie_header || cookie_value(cookie_header, AUTH_COOKIE, secret, sizeof secret))
            return NVR_EAUTH;
        secret_hash(secret, out->session_hash);
        rc = users_session_get(ix, out->session_hash, &uid, out->csrf, &created, &last);
        if (rc == NVR_ENOTFOUND) {
            random_secret(out->csrf); /* read only: a CSRF token nobody knows */
            return directory_token(a, ix, out->session_hash, now, out);
        }
        if (rc)
            return rc;
        if (now - last > AUTH_IDLE_US || now - created > AUTH_ABSOLUTE_US) {
            users_session_delete(wix, out->session_hash);
            return NVR_EAUTH;
        }
        if (now - last > 60 * 1000000LL)
            users_session_touch(wix, out->session_hash, now);
    }
    if ((rc = users_get_id(ix, uid, &out->u)))
        return rc == NVR_ENOTFOUND ? NVR_EAUTH : rc;
    sodium_memzero(out->u.pwhash, sizeof out->u.pwhash);
    if (auth_totp_required(a, &out->u)) {
        struct totp_state ts;
        int trc = totp_store_get(ix, uid, &ts);
        out->totp_missing = !(trc == NVR_OK && ts.enabled);
        sodium_memzero(&ts, sizeof ts);
    }
    return NVR_OK;
}

nvr_err auth_token_create(struct auth *a, int64_t user_id, const char *label, char secret[AUTH_SECRET_LEN], int64_t *id)
{
    uint8_t h[32];
    random_secret(secret);
    secret_hash(secret, h);
    return users_token_add(storage_index(a->st), h, user_id, label, nvr_clock_now_us(), id);
}

int auth_camera_allowed(const struct user *u, const struct nvr_camera_config *cam)
{
    if (u->role == USER_ADMIN)
        return 1;
    for (size_t i = 0; i < u->ngrants; i++) {
        const char *g = u->grants[i];
        if (strcmp(g, "*") == 0 || strcmp(g, cam->id) == 0)
            return 1;
        if (cam->group && strncmp(g, "group:", 6) == 0 && strcmp(g + 6, cam->group) == 0)
            return 1;
    }
    return 0;
}

void auth_log(struct auth *a, const char *user, const char *address, const char *action, const char *camera,
              const char *detail)
{
    int rc = access_log_append(storage_index(a->st), nvr_clock_now_us(), user, address, action, camera, detail);
    if (rc)
        nvr_log(NVR_ERROR, camera && camera[0] ? camera : NULL, "cannot write the access log action=%s error=\"%s\"",
                action, nvr_strerror(rc));
}

void auth_forget_tokens(struct auth *a)
{
    pthread_mutex_lock(&a->mu);
    sodium_memzero(a->tokens, sizeof a->tokens);
    pthread_mutex_unlock(&a->mu);
}

void auth_log_anon(struct auth *a, const char *name, const char *address, const char *action, const char *detail)
{
    if (a->anon)
        log_limit_event(a->anon, nvr_clock_now_us(), name, address, action, detail);
    else
        auth_log(a, name, address, action, "", detail);
}

void auth_log_tick(struct auth *a)
{
    if (a)
        log_limit_flush(a->anon, nvr_clock_now_us(), 0);
}

void auth_log_flush(struct auth *a)
{
    if (a)
        log_limit_flush(a->anon, nvr_clock_now_us(), 1);
}
