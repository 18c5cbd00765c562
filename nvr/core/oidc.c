/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oidc.c - the OpenID Connect client (see oidc.h for the flow and bounds).
 *
 * Invariants:
 *  1. A pending entry is used at most once: oidc_finish and oidc_forget
 *     clear it under the lock before anything else happens.
 *  2. The lock guards the pending table and the cached provider documents;
 *     it is never held during a network exchange (copies are taken out).
 *  3. The client secret lives only in o->secret and in the token request it
 *     is sent in; it is wiped on destroy and never logged.
 *  4. The user name, role and grants come only from a verified ID token.
 */
#include "core/oidc.h"

#include "base/clock.h"
#include "base/log.h"
#include "core/oidc_jwt.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OIDC_ANSWER_MAX (256 * 1024)
#define OIDC_RANDOM_LEN 44 /* base64url of 32 bytes, NUL included */
#define OIDC_REDIRECT_MAX 512

struct pending {
    char state[OIDC_RANDOM_LEN];
    char nonce[OIDC_RANDOM_LEN];
    char verifier[OIDC_RANDOM_LEN];
    char key[OIDC_KEY_LEN]; /* the browser's cookie */
    char ret[OIDC_RETURN_MAX];
    char redirect[OIDC_REDIRECT_MAX];
    int64_t t; /* monotonic; 0: free */
};

struct provider {
    char *issuer, *authorize, *token, *jwks_uri;
};

struct oidc {
    const struct nvr_oidc_config *cfg;
    char *secret;
    pthread_mutex_t mu;
    struct provider p;     /* discovery, once fetched (issuer NULL before) */
    int64_t discover_fail; /* monotonic time of the last failed discovery */
    int discovering;       /* a first fetch (discovery, JWKS) is under way: others wait for its result */
    json_t *jwks;
    int64_t jwks_refresh_at; /* monotonic time of the last refresh for an unknown key, 0: none yet */
    struct pending *pending;
};

static const char *const fail_codes[] = {
    "", "oidc_state", "oidc_provider", "oidc_token", "oidc_denied", "oidc_claims", "oidc_no_role"};

const char *oidc_fail_code(enum oidc_fail f)
{
    return (size_t)f < sizeof fail_codes / sizeof fail_codes[0] ? fail_codes[f] : "oidc_error";
}

/* ---- HTTP with the provider ---- */

struct answer {
    char *buf;
    size_t len;
};

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
    struct answer *a = arg;
    size_t add = sz * n;
    if (a->len + add > OIDC_ANSWER_MAX)
        return 0;
    char *b = realloc(a->buf, a->len + add + 1);
    if (!b)
        return 0;
    memcpy(b + a->len, p, add);
    a->buf = b;
    a->len += add;
    b[a->len] = '\0';
    return add;
}

/* GETs url (or POSTs form with the client's credentials) and parses the
 * JSON object answered with status 200.  NULL on any failure (logged
 * without the body or the secret). */
static json_t *fetch_json(struct oidc *o, const char *url, const char *form)
{
    struct answer a = {0};
    json_t *j = NULL;
    long status = 0;
    struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
    CURL *c = curl_easy_init();
    CURLcode cc = CURLE_OUT_OF_MEMORY;
    if (!c || !h)
        goto out;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (o->cfg->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, o->cfg->ca_file);
    if (form) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
        if (o->cfg->auth == NVR_OIDC_SECRET_BASIC) {
            curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
            curl_easy_setopt(c, CURLOPT_USERNAME, o->cfg->client_id);
            curl_easy_setopt(c, CURLOPT_PASSWORD, o->secret);
        }
    }
    cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (cc == CURLE_OK && status == 200)
        j = json_loadb(a.buf ? a.buf : "", a.len, 0, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
out:
    if (!j)
        nvr_log(NVR_WARN, NULL, "oidc provider request failed step=%s status=%ld error=\"%s\"",
                form ? "token" : "document", status, curl_easy_strerror(cc));
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    free(a.buf);
    return j;
}

/* A member that must be an http(s) URL (https unless the issuer is http). */
static char *url_member(const json_t *d, const char *name)
{
    const char *s = json_string_value(json_object_get(d, name));
    if (!s || (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0))
        return NULL;
    return strdup(s);
}

static void provider_clear(struct provider *p)
{
    free(p->issuer);
    free(p->authorize);
    free(p->token);
    free(p->jwks_uri);
    memset(p, 0, sizeof *p);
}

/* Fetches discovery (once) and the JWKS (once, or again when refresh and
 * the last fetch is old enough).  Called without the lock. */
static int discover(struct oidc *o, int refresh_jwks)
{
    struct provider p = {0};
    char url[OIDC_URL_MAX];
    int64_t now = nvr_clock_mono_us();
    int have, need_jwks;

    pthread_mutex_lock(&o->mu);
    have = o->p.issuer != NULL;
    int retry_wait = (!have || !o->jwks) && o->discover_fail && now - o->discover_fail < OIDC_RETRY_US;
    int refresh =
        have && o->jwks && refresh_jwks && (!o->jwks_refresh_at || now - o->jwks_refresh_at >= OIDC_JWKS_REFRESH_US);
    need_jwks = have && (!o->jwks || refresh);
    char *jwks_uri = need_jwks ? strdup(o->p.jwks_uri) : NULL;
    if (refresh)
        o->jwks_refresh_at = now;    /* counted even when it fails */
    int initial = !have || !o->jwks; /* the first fetches: one at a time */
    int busy = initial && o->discovering;
    if (initial && !retry_wait && !busy)
        o->discovering = 1;
    pthread_mutex_unlock(&o->mu);
    if (retry_wait || busy) {
        free(jwks_uri);
        return -1;
    }
    if (need_jwks && !jwks_uri) { /* out of memory */
        pthread_mutex_lock(&o->mu);
        if (initial)
            o->discovering = 0;
        pthread_mutex_unlock(&o->mu);
        return -1;
    }
    if (!have) {
        snprintf(url, sizeof url, "%s/.well-known/openid-configuration", o->cfg->issuer);
        json_t *d = fetch_json(o, url, NULL);
        const char *iss = json_string_value(json_object_get(d, "issuer"));
        if (d && iss && strcmp(iss, o->cfg->issuer) == 0) {
            p.issuer = strdup(iss);
            p.authorize = url_member(d, "authorization_endpoint");
            p.token = url_member(d, "token_endpoint");
            p.jwks_uri = url_member(d, "jwks_uri");
        } else if (d) {
            nvr_log(NVR_WARN, NULL, "oidc discovery names another issuer than [oidc] issuer");
        }
        json_decref(d);
        int ok = p.issuer && p.authorize && p.token && p.jwks_uri;
        pthread_mutex_lock(&o->mu);
        o->discovering = 0;
        if (ok && !o->p.issuer) {
            o->p = p;
            memset(&p, 0, sizeof p);
            nvr_log(NVR_INFO, NULL, "oidc provider discovered issuer=%s", o->p.issuer);
        } else if (!ok) {
            o->discover_fail = now;
        }
        pthread_mutex_unlock(&o->mu);
        provider_clear(&p);
        if (!ok)
            return -1;
        return discover(o, 0); /* now the JWKS */
    }
    if (jwks_uri) {
        json_t *k = fetch_json(o, jwks_uri, NULL);
        free(jwks_uri);
        if (k && !json_is_array(json_object_get(k, "keys"))) {
            json_decref(k);
            k = NULL;
        }
        pthread_mutex_lock(&o->mu);
        if (initial)
            o->discovering = 0;
        if (k) {
            json_decref(o->jwks);
            o->jwks = k;
        } else if (!o->jwks) {
            o->discover_fail = now; /* the first fetch failed: retried at most every OIDC_RETRY_US */
        }
        pthread_mutex_unlock(&o->mu);
        if (!k)
            return -1;
    }
    return 0;
}

/* ---- create, destroy ---- */

static nvr_err read_secret(const char *path, char **out)
{
    char buf[4096];
    FILE *f = fopen(path, "re");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        n--;
    buf[n] = '\0';
    if (!f || n == 0) {
        nvr_log(NVR_ERROR, NULL, "oidc cannot read client_secret_file path=%s error=\"%s\"", path,
                f ? "empty" : strerror(errno));
        return NVR_EINVAL;
    }
    *out = strdup(buf);
    sodium_memzero(buf, sizeof buf);
    return *out ? NVR_OK : NVR_ENOMEM;
}

nvr_err oidc_create(struct oidc **out, const struct nvr_oidc_config *cfg)
{
    nvr_err rc = NVR_ENOMEM;
    struct oidc *o = calloc(1, sizeof *o);
    *out = NULL;
    if (!o || !(o->pending = calloc(OIDC_PENDING_MAX, sizeof *o->pending)))
        goto out;
    o->cfg = cfg;
    pthread_mutex_init(&o->mu, NULL);
    if (cfg->client_secret_file)
        rc = read_secret(cfg->client_secret_file, &o->secret);
    else
        rc = (o->secret = strdup(cfg->client_secret ? cfg->client_secret : "")) ? NVR_OK : NVR_ENOMEM;
    if (rc)
        goto out;
    *out = o;
    o = NULL;
out:
    oidc_destroy(&o);
    return rc;
}

void oidc_destroy(struct oidc **op)
{
    struct oidc *o = op ? *op : NULL;
    if (!o)
        return;
    if (o->pending) {
        sodium_memzero(o->pending, OIDC_PENDING_MAX * sizeof *o->pending);
        pthread_mutex_destroy(&o->mu);
    }
    if (o->secret)
        sodium_memzero(o->secret, strlen(o->secret));
    free(o->secret);
    free(o->pending);
    provider_clear(&o->p);
    json_decref(o->jwks);
    free(o);
    *op = NULL;
}

const char *oidc_label(const struct oidc *o)
{
    return o->cfg->label ? o->cfg->label : "Sign in with single sign-on";
}

int oidc_return_ok(const char *r)
{
    size_t n = strlen(r);
    if (n == 0 || n >= OIDC_RETURN_MAX || r[0] != '/' || r[1] == '/' || r[1] == '\\')
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)r[i] <= 0x20 || (unsigned char)r[i] >= 0x7f || r[i] == '\\')
            return 0;
    return 1;
}

/* ---- start ---- */

static void random_b64(char out[OIDC_RANDOM_LEN])
{
    uint8_t b[32];
    randombytes_buf(b, sizeof b);
    oidc_b64url(b, sizeof b, out, OIDC_RANDOM_LEN);
}

/* Appends "&key=percent-encoded value" to the string being built in f. */
static void add_param(FILE *f, const char *key, const char *v, int first)
{
    fprintf(f, "%s%s=", first ? "" : "&", key);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p))
            fputc(*p, f);
        else
            fprintf(f, "%%%02X", *p);
    }
}

/* Stores e in the table: a free or expired slot, else the oldest. */
static void pending_put(struct oidc *o, const struct pending *e)
{
    size_t best = 0;
    int64_t now = e->t;
    pthread_mutex_lock(&o->mu);
    for (size_t i = 0; i < OIDC_PENDING_MAX; i++) {
        struct pending *s = &o->pending[i];
        if (!s->t || now - s->t > OIDC_PENDING_US) {
            best = i;
            break;
        }
        if (s->t < o->pending[best].t)
            best = i;
    }
    o->pending[best] = *e;
    pthread_mutex_unlock(&o->mu);
}

enum oidc_fail oidc_start(struct oidc *o, const char *redirect_uri, const char *return_path, char **url,
                          char browser_key[OIDC_KEY_LEN])
{
    struct pending e = {0};
    uint8_t hash[crypto_hash_sha256_BYTES];
    char challenge[OIDC_RANDOM_LEN], authorize[OIDC_URL_MAX];
    char *buf = NULL;
    size_t len = 0;

    *url = NULL;
    if (strlen(redirect_uri) >= sizeof e.redirect || !oidc_return_ok(return_path) || discover(o, 0))
        return OIDC_FAIL_PROVIDER;
    pthread_mutex_lock(&o->mu);
    snprintf(authorize, sizeof authorize, "%s", o->p.authorize);
    pthread_mutex_unlock(&o->mu);
    random_b64(e.state);
    random_b64(e.nonce);
    random_b64(e.verifier);
    random_b64(e.key);
    crypto_hash_sha256(hash, (const uint8_t *)e.verifier, strlen(e.verifier));
    oidc_b64url(hash, sizeof hash, challenge, sizeof challenge);
    snprintf(e.ret, sizeof e.ret, "%s", return_path);
    snprintf(e.redirect, sizeof e.redirect, "%s", redirect_uri);
    e.t = nvr_clock_mono_us();

    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return OIDC_FAIL_PROVIDER;
    fprintf(f, "%s%c", authorize, strchr(authorize, '?') ? '&' : '?');
    add_param(f, "response_type", "code", 1);
    add_param(f, "client_id", o->cfg->client_id, 0);
    add_param(f, "redirect_uri", redirect_uri, 0);
    add_param(f, "scope", o->cfg->scopes ? o->cfg->scopes : "openid profile email", 0);
    add_param(f, "state", e.state, 0);
    add_param(f, "nonce", e.nonce, 0);
    add_param(f, "code_challenge", challenge, 0);
    add_param(f, "code_challenge_method", "S256", 0);
    if (fclose(f) != 0) {
        free(buf);
        return OIDC_FAIL_PROVIDER;
    }
    pending_put(o, &e);
    memcpy(browser_key, e.key, OIDC_KEY_LEN);
    sodium_memzero(&e, sizeof e);
    *url = buf;
    return OIDC_OK;
}

/* ---- finish ---- */

/* Takes the entry of state out of the table (invariant 1). */
static int pending_take(struct oidc *o, const char *state, struct pending *out)
{
    int found = 0;
    size_t n = strlen(state);
    int64_t now = nvr_clock_mono_us();
    if (n != OIDC_RANDOM_LEN - 1)
        return 0;
    pthread_mutex_lock(&o->mu);
    for (size_t i = 0; i < OIDC_PENDING_MAX && !found; i++) {
        struct pending *s = &o->pending[i];
        if (s->t && sodium_memcmp(s->state, state, n) == 0) {
            found = now - s->t <= OIDC_PENDING_US;
            *out = *s;
            sodium_memzero(s, sizeof *s);
            if (!found)
                break;
        }
    }
    pthread_mutex_unlock(&o->mu);
    return found;
}

void oidc_forget(struct oidc *o, const char *state, char return_path[OIDC_RETURN_MAX])
{
    struct pending e;
    snprintf(return_path, OIDC_RETURN_MAX, "/");
    if (state && pending_take(o, state, &e))
        snprintf(return_path, OIDC_RETURN_MAX, "%s", e.ret);
}

/* The token endpoint's answer to code (a new reference), NULL on failure. */
static json_t *exchange(struct oidc *o, const struct pending *e, const char *code)
{
    char token_url[OIDC_URL_MAX], *form = NULL;
    size_t len = 0;
    pthread_mutex_lock(&o->mu);
    snprintf(token_url, sizeof token_url, "%s", o->p.token);
    pthread_mutex_unlock(&o->mu);
    FILE *f = open_memstream(&form, &len);
    if (!f)
        return NULL;
    add_param(f, "grant_type", "authorization_code", 1);
    add_param(f, "code", code, 0);
    add_param(f, "redirect_uri", e->redirect, 0);
    add_param(f, "code_verifier", e->verifier, 0);
    if (o->cfg->auth == NVR_OIDC_SECRET_POST) {
        add_param(f, "client_id", o->cfg->client_id, 0);
        add_param(f, "client_secret", o->secret, 0);
    }
    json_t *t = fclose(f) == 0 ? fetch_json(o, token_url, form) : NULL;
    if (form)
        sodium_memzero(form, strlen(form));
    free(form);
    return t;
}

/* Verifies the ID token, refreshing the JWKS once for an unknown key. */
static enum oidc_fail verify(struct oidc *o, const char *jwt, const char *nonce, json_t **claims, char *why, size_t n)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        pthread_mutex_lock(&o->mu);
        json_t *jwks = json_incref(o->jwks);
        struct oidc_expect e = {.issuer = o->p.issuer, .client_id = o->cfg->client_id, .nonce = nonce};
        char issuer[OIDC_URL_MAX];
        snprintf(issuer, sizeof issuer, "%s", o->p.issuer ? o->p.issuer : "");
        pthread_mutex_unlock(&o->mu);
        e.issuer = issuer;
        e.now_s = nvr_clock_now_us() / 1000000;
        nvr_err rc = oidc_jwt_verify(jwt, jwks, &e, claims, why, n);
        json_decref(jwks);
        if (rc == NVR_OK)
            return OIDC_OK;
        if (rc != NVR_ENOTFOUND || attempt == 1 || discover(o, 1))
            return OIDC_FAIL_TOKEN;
    }
    return OIDC_FAIL_TOKEN;
}

/* Whether group is one of the comma-separated list (spaces around ignored). */
static int in_list(const char *list, const char *group)
{
    size_t gl = strlen(group);
    for (const char *p = list; p && *p;) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t l = strcspn(p, ","), t = l;
        while (t > 0 && (p[t - 1] == ' ' || p[t - 1] == '\t'))
            t--;
        if (t == gl && memcmp(p, group, gl) == 0)
            return 1;
        p += l + (p[l] == ',');
    }
    return 0;
}

/* Adds the comma-separated grants to u (each once, at most USER_GRANTS_MAX). */
static void add_grants(struct user *u, const char *list)
{
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t l = strcspn(p, ","), t = l;
        while (t > 0 && (p[t - 1] == ' ' || p[t - 1] == '\t'))
            t--;
        int dup = 0;
        for (size_t i = 0; i < u->ngrants; i++)
            dup |= strlen(u->grants[i]) == t && memcmp(u->grants[i], p, t) == 0;
        if (t > 0 && t < USER_GRANT_LEN && !dup && u->ngrants < USER_GRANTS_MAX) {
            memcpy(u->grants[u->ngrants], p, t);
            u->grants[u->ngrants++][t] = '\0';
        }
        p += l + (p[l] == ',');
    }
}

/* One group of the user: its role (kept if higher) and grants. */
static void map_group(const struct nvr_oidc_config *c, const char *g, struct user *u)
{
    enum user_role r = in_list(c->admin_groups, g)          ? USER_ADMIN
                       : in_list(c->investigator_groups, g) ? USER_INVESTIGATOR
                       : in_list(c->viewer_groups, g)       ? USER_VIEWER
                                                            : 0;
    if (r > u->role)
        u->role = r;
    for (size_t i = 0; i < c->ngrants; i++)
        if (strcmp(c->grants[i].group, g) == 0)
            add_grants(u, c->grants[i].grants);
}

/* The name a directory account may have: as for a local one. */
static int name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64 || n >= INDEX_ID_MAX)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '-' || *p == '.' || *p == '@'))
            return 0;
    return 1;
}

/* Claims to user: name, role from the groups, grants (admins need none). */
static enum oidc_fail map_claims(const struct nvr_oidc_config *c, const json_t *claims, struct user *u, char *why,
                                 size_t n)
{
    const char *name =
        json_string_value(json_object_get(claims, c->username_claim ? c->username_claim : "preferred_username"));
    if (!name && !c->username_claim)
        name = json_string_value(json_object_get(claims, "email"));
    if (!name_ok(name)) {
        snprintf(why, n, "no usable user name claim");
        return OIDC_FAIL_CLAIMS;
    }
    snprintf(u->name, sizeof u->name, "%s", name);
    snprintf(u->source, sizeof u->source, "oidc");
    const json_t *groups = json_object_get(claims, c->groups_claim ? c->groups_claim : "groups");
    if (json_is_string(groups))
        map_group(c, json_string_value(groups), u);
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g) if (json_is_string(g)) map_group(c, json_string_value(g), u);
    if (!u->role) {
        snprintf(why, n, "no group maps to a role");
        return OIDC_FAIL_NO_ROLE;
    }
    if (u->role == USER_ADMIN)
        u->ngrants = 0;
    return OIDC_OK;
}

enum oidc_fail oidc_finish(struct oidc *o, const char *state, const char *browser_key, const char *code, struct user *u,
                           char return_path[OIDC_RETURN_MAX], char *why, size_t whylen)
{
    struct pending e;
    json_t *tok = NULL, *claims = NULL;
    enum oidc_fail f;

    memset(u, 0, sizeof *u);
    snprintf(return_path, OIDC_RETURN_MAX, "/");
    snprintf(why, whylen, "%s", "");
    if (!state || !pending_take(o, state, &e)) {
        snprintf(why, whylen, "unknown, used or expired state");
        return OIDC_FAIL_STATE;
    }
    snprintf(return_path, OIDC_RETURN_MAX, "%s", e.ret);
    if (!browser_key || strlen(browser_key) != OIDC_KEY_LEN - 1 ||
        sodium_memcmp(browser_key, e.key, OIDC_KEY_LEN - 1) != 0) {
        snprintf(why, whylen, "state not started in this browser");
        f = OIDC_FAIL_STATE;
        goto out;
    }
    if (!code || !*code || strlen(code) > 2048 || discover(o, 0)) {
        snprintf(why, whylen, "%s", !code || !*code ? "no code" : "provider unreachable");
        f = OIDC_FAIL_PROVIDER;
        goto out;
    }
    if (!(tok = exchange(o, &e, code))) {
        snprintf(why, whylen, "token exchange failed");
        f = OIDC_FAIL_PROVIDER;
        goto out;
    }
    const char *jwt = json_string_value(json_object_get(tok, "id_token"));
    if (!jwt) {
        snprintf(why, whylen, "no id_token in the token answer");
        f = OIDC_FAIL_PROVIDER;
        goto out;
    }
    if ((f = verify(o, jwt, e.nonce, &claims, why, whylen)))
        goto out;
    f = map_claims(o->cfg, claims, u, why, whylen);
out:
    sodium_memzero(&e, sizeof e);
    json_decref(tok);
    json_decref(claims);
    return f;
}
