/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_auth.c - the request guard and the account routes (see http_auth.h).
 *
 * The guard runs before any handler looks anything up, in this order:
 *   1. credentials in the query string              -> 400
 *   2. a body that is not application/json          -> 415
 *   2b. with server_name set: a Host not among them on a cookie session, a
 *      sign-in or the first setup                   -> 421 (DNS rebinding;
 *      bearer tokens are not checked: a browser never adds one by itself)
 *   3. public route: a cross-site Origin on a state change -> 403, else run
 *   4. no valid session cookie or bearer token      -> 401
 *   5. session (not token) changing state without the session's CSRF token
 *      in X-CSRF-Token or with a foreign Origin     -> 403
 *   6. role below the route's                       -> 403
 *   7. /api/v1/cameras/{id}... of a camera the user may not see -> 404,
 *      exactly as for a camera that does not exist (no existence leak)
 */
#include "http/http_auth.h"

#include "base/clock.h"
#include "base/csv.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "http/http_guard.h"
#include "http/http_json.h"
#include "core/nvr.h"
#include "storage/access_log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char *const query_secrets[] = {"password", "passwd", "pass",    "token", "access_token",
                                            "api_key",  "apikey", "session", "auth",  "secret"};

/* Whether the Host header names this server: with server_name unset,
 * always; else one of those names, or an IP address (a literal address
 * cannot be the work of DNS rebinding), any port. */
static int host_ok(struct http_request *r, const struct nvr *nvr)
{
    const char *names = nvr->cfg ? nvr->cfg->server_names : NULL, *host = http_header(r, "Host");
    char h[256];
    size_t n;
    if (!names)
        return 1;
    if (!host)
        return 0;
    if (host[0] == '[') {
        const char *close = strchr(host, ']');
        struct in6_addr a6;
        if (!close || (size_t)(close - host - 1) >= sizeof h)
            return 0;
        memcpy(h, host + 1, (size_t)(close - host - 1));
        h[close - host - 1] = '\0';
        return inet_pton(AF_INET6, h, &a6) == 1;
    }
    n = strcspn(host, ":");
    if (n == 0 || n >= sizeof h)
        return 0;
    for (size_t i = 0; i < n; i++)
        h[i] = (char)(host[i] >= 'A' && host[i] <= 'Z' ? host[i] - 'A' + 'a' : host[i]);
    h[n] = '\0';
    if (n > 1 && h[n - 1] == '.')
        h[--n] = '\0';
    struct in_addr a4;
    if (inet_pton(AF_INET, h, &a4) == 1)
        return 1;
    for (const char *p = names; *p;) {
        size_t l = strcspn(p, ",");
        if (l == n && memcmp(p, h, n) == 0)
            return 1;
        p += l + (p[l] == ',');
    }
    return 0;
}

static int is_signin_route(const struct http_route *rt)
{
    if (strncmp(rt->pattern, "/api/v1/oidc/", 13) == 0) /* its redirect URI is built from Host */
        return 1;
    return strcmp(rt->method, "POST") == 0 &&
           (strcmp(rt->pattern, "/api/v1/session") == 0 || strcmp(rt->pattern, "/api/v1/session/totp") == 0 ||
            strcmp(rt->pattern, "/api/v1/setup") == 0);
}

/* Routes a session that must still enrol a second factor may reach. */
static int is_enrolment_route(const struct http_route *rt)
{
    return strcmp(rt->pattern, "/api/v1/session") == 0 || strncmp(rt->pattern, "/api/v1/account/totp", 20) == 0;
}

static void release_user(void *u)
{
    sodium_memzero(u, sizeof(struct auth_user));
    free(u);
}

const struct auth_user *http_auth_user(const struct http_request *r)
{
    return http_user(r);
}

const char *http_auth_name(const struct http_request *r)
{
    const struct auth_user *u = http_user(r);
    return u ? u->u.name : "";
}

const struct nvr_camera_config *http_auth_camera(const struct http_request *r, const struct nvr *nvr, const char *id)
{
    const struct auth_user *u = http_user(r);
    const struct camera *c = id ? cameras_find(nvr->cams, id) : NULL;
    if (!c || !u || !auth_camera_allowed(&u->u, &c->cfg))
        return NULL;
    return &c->cfg;
}

void http_auth_log(struct http_request *r, struct nvr *nvr, const char *action, const char *camera, const char *fmt,
                   ...)
{
    char detail[ACCESS_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    auth_log(nvr->auth, http_auth_name(r), http_client_address(r), action, camera ? camera : "", detail);
}

http_result http_auth_guard(struct http_request *r, const struct http_route *rt, struct nvr *nvr)
{
    for (size_t i = 0; i < sizeof query_secrets / sizeof query_secrets[0]; i++)
        if (http_query(r, query_secrets[i]))
            return http_reply_error(r, 400, "credentials are never accepted in a query string (%s)", query_secrets[i]);
    http_result body = http_guard_json_body(r);
    if (body != HTTP_PASS)
        return body;
    struct auth_user *u = calloc(1, sizeof *u);
    if (!u)
        return http_reply_error(r, 500, "out of memory");
    int rc = auth_request(nvr->auth, http_header(r, "Cookie"), http_header(r, "Authorization"), u);
    if (((rc == NVR_OK && !u->via_token) || is_signin_route(rt)) && !host_ok(r, nvr)) {
        release_user(u);
        return http_reply_error(r, 421,
                                "misdirected request: the Host header is not one of this server's names "
                                "(server_name)");
    }
    if (rt->access == HTTP_PUBLIC)
        return http_guard_public(r, rc, u, release_user);
    if (rc) {
        release_user(u);
        if (rc != NVR_EAUTH)
            return http_reply_error(r, 500, "cannot check the session: %s", nvr_strerror(rc));
        return http_reply_error(r, 401, "sign in required");
    }
    if (!http_csrf_ok(r, u->via_token, u->csrf)) {
        release_user(u);
        return http_reply_error(r, 403, "missing or wrong CSRF token, or a cross-site request");
    }
    if (u->totp_missing && !is_enrolment_route(rt)) {
        release_user(u);
        return http_reply_error(r, 403,
                                "second factor enrolment required: set up an authenticator app on the account page "
                                "first");
    }
    enum user_role need = rt->access == HTTP_ADMIN          ? USER_ADMIN
                          : rt->access == HTTP_INVESTIGATOR ? USER_INVESTIGATOR
                                                            : USER_VIEWER;
    if (u->u.role < need) {
        release_user(u);
        return http_reply_error(r, 403, "this needs the %s role", users_role_name(need));
    }
    http_set_user(r, u, release_user);
    if (strncmp(rt->pattern, "/api/v1/cameras/{}", 18) == 0 && !http_auth_camera(r, nvr, http_param(r, 0)))
        return http_reply_error(r, 404, "no such camera");
    return HTTP_PASS;
}

/* ---- JSON ---- */

/* A user's document; totp (0 or 1; -1: left out) says whether the user has
 * a second factor; with_tokens (the list of GET /api/v1/users) adds
 * "tokens": the user's unrevoked API tokens among toks[0..ntoks) as id,
 * label, creation and last use (null: never) -- never the secret or its hash. */
static void write_user_tokens(FILE *f, const struct user *u, int with_tokens, const struct user_token *toks,
                              size_t ntoks, int totp)
{
    fputs("{\"name\":", f);
    json_write_string(f, u->name);
    fputs(",\"role\":", f);
    json_write_string(f, users_role_name(u->role));
    fputs(",\"cameras\":[", f);
    for (size_t i = 0; i < u->ngrants; i++) {
        if (i)
            fputc(',', f);
        json_write_string(f, u->grants[i]);
    }
    fputs("],\"source\":", f);
    json_write_string(f, u->source[0] ? u->source : "local");
    fputs(",\"created\":", f);
    json_write_time(f, u->created_us);
    if (totp >= 0)
        fprintf(f, ",\"totp\":%s", totp ? "true" : "false");
    if (with_tokens) {
        fputs(",\"tokens\":[", f);
        int first = 1;
        for (size_t i = 0; i < ntoks; i++) {
            if (toks[i].user_id != u->id)
                continue;
            fprintf(f, "%s{\"id\":%lld,\"label\":", first ? "" : ",", (long long)toks[i].id);
            json_write_string(f, toks[i].label);
            fputs(",\"created\":", f);
            json_write_time(f, toks[i].created_us);
            fputs(",\"last_used\":", f);
            if (toks[i].last_used_us)
                json_write_time(f, toks[i].last_used_us);
            else
                fputs("null", f);
            fputc('}', f);
            first = 0;
        }
        fputc(']', f);
    }
    fputc('}', f);
}

static void write_user(FILE *f, const struct user *u)
{
    write_user_tokens(f, u, 0, NULL, 0, -1);
}

/* The session's answer: the user, the CSRF token, and the UI's settings from
 * the config ([ui]: what every signed-in page needs before it shows a time). */
static http_result reply_session(struct http_request *r, struct nvr *nvr, unsigned status, const struct user *u,
                                 const char *csrf)
{
    struct http_body b;
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    fputs("{\"user\":", b.f);
    write_user(b.f, u);
    fputs(",\"csrf_token\":", b.f);
    json_write_string(b.f, csrf);
    int enabled = 0, left = 0;
    auth_totp_status(nvr->auth, u, &enabled, &left);
    fprintf(b.f, ",\"totp\":{\"enabled\":%s,\"required\":%s}", enabled ? "true" : "false",
            auth_totp_required(nvr->auth, u) ? "true" : "false");
    fprintf(b.f, ",\"ui\":{\"time_format\":\"%s\"}}\n",
            nvr_time_format_name(nvr->cfg ? nvr->cfg->time_format : NVR_TIME_12H));
    return http_body_send(r, &b, status, "application/json", "no-store");
}

void http_auth_set_cookie(struct http_request *r, const char *value, int64_t max_age_s)
{
    char c[256];
    snprintf(c, sizeof c, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s", AUTH_COOKIE, value,
             (long long)max_age_s, http_server_is_tls(http_request_server(r)) ? "; Secure" : "");
    http_add_reply_header(r, "Set-Cookie", c);
}

/* Starts a session for u and answers with it. */
static http_result start_session(struct http_request *r, struct nvr *nvr, const struct user *u, unsigned status)
{
    char cookie[AUTH_SECRET_LEN], csrf[USER_CSRF_LEN];
    int rc = auth_session_create(nvr->auth, u, http_client_address(r), cookie, csrf);
    if (rc)
        return http_reply_error(r, 500, "cannot start a session: %s", nvr_strerror(rc));
    http_auth_set_cookie(r, cookie, AUTH_ABSOLUTE_US / 1000000);
    sodium_memzero(cookie, sizeof cookie);
    return reply_session(r, nvr, status, u, csrf);
}

/* The sign-in name as it is looked up, counted and logged: a name holding
 * control characters (C0, DEL, C1) or Unicode line separators and bidi
 * overrides is no account's (such a name cannot be made over the API), and
 * is stored with those characters and every backslash written \xNN or
 * \uNNNN, so a log reader sees them and a terminal does not obey them.
 * Other names pass unchanged.  Cut to fit out (whole escapes only). */
static void escape_name(const char *in, char *out, size_t n)
{
    int special = 0;
    const unsigned char *p = (const unsigned char *)in;
    for (size_t i = 0; p[i]; i++)
        if (p[i] < 0x20 || p[i] == 0x7f || (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) ||
            (p[i] == 0xe2 && ((p[i + 1] == 0x80 && p[i + 2] >= 0xa8 && p[i + 2] <= 0xae) ||
                              (p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9))))
            special = 1;
    if (!special) {
        snprintf(out, n, "%s", in);
        return;
    }
    size_t o = 0;
    for (size_t i = 0; p[i];) {
        char e[8];
        size_t step = 1;
        if (p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\') {
            snprintf(e, sizeof e, "\\x%02x", p[i]);
        } else if (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
            snprintf(e, sizeof e, "\\u%04x", p[i + 1]);
            step = 2;
        } else if (p[i] == 0xe2 && ((p[i + 1] == 0x80 && p[i + 2] >= 0xa8 && p[i + 2] <= 0xae) ||
                                    (p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9))) {
            snprintf(e, sizeof e, "\\u%04x", 0x2000 + ((p[i + 1] & 0x3f) << 6) + (p[i + 2] & 0x3f));
            step = 3;
        } else {
            e[0] = (char)p[i];
            e[1] = '\0';
        }
        size_t l = strlen(e);
        if (o + l >= n)
            break;
        memcpy(out + o, e, l);
        o += l;
        i += step;
    }
    out[o] = '\0';
}

/* 202: the password was right, the second factor is due (no session yet). */
static http_result reply_ticket(struct http_request *r, const char *ticket)
{
    struct http_body b;
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    fputs("{\"second_factor\":\"totp\",\"ticket\":", b.f);
    json_write_string(b.f, ticket);
    fprintf(b.f, ",\"expires_in\":%lld}\n", SIGNIN_TICKET_US / 1000000);
    return http_body_send(r, &b, 202, "application/json", "no-store");
}

/* 429 with Retry-After for name from this request's address. */
static http_result reply_wait(struct http_request *r, struct nvr *nvr, const char *name)
{
    long long s = (auth_login_wait_us(nvr->auth, name, http_client_address(r)) + 999999) / 1000000;
    char ra[24];
    snprintf(ra, sizeof ra, "%lld", s > 0 ? s : 1);
    http_add_reply_header(r, "Retry-After", ra);
    return http_reply_error(r, 429, "too many failed sign-ins from this address: try again in %s s", ra);
}

http_result http_session_create(struct http_request *r, struct nvr *nvr)
{
    char raw[INDEX_ID_MAX], name[INDEX_ID_MAX], pw[300], err[160];
    http_result ret;
    struct user *u = calloc(1, sizeof *u);
    if (!u)
        return http_reply_error(r, 500, "out of memory");
    json_t *o = http_json_body(r, &ret);
    if (!o)
        goto out;
    if (http_json_text(o, "user", 1, raw, sizeof raw, err, sizeof err) ||
        http_json_text(o, "password", 1, pw, sizeof pw, err, sizeof err)) {
        ret = http_reply_error(r, 400, "%s", err);
        goto out;
    }
    escape_name(raw, name, sizeof name);
    char ticket[SIGNIN_TICKET_LEN];
    int rc = auth_login(nvr->auth, name, pw, http_client_address(r), u, ticket);
    sodium_memzero(pw, sizeof pw);
    if (rc == NVR_ETIMEDOUT)
        ret = reply_wait(r, nvr, name);
    else if (rc == NVR_EAUTH)
        ret = http_reply_error(r, 401, "wrong user name or password");
    else if (rc == NVR_ECONN) {
        http_add_reply_header(r, "Retry-After", "5");
        ret = http_reply_error(r, 503, "the directory (LDAP) is not available: try again in a moment");
    } else if (rc)
        ret = http_reply_error(r, 500, "cannot sign in: %s", nvr_strerror(rc));
    else if (ticket[0])
        ret = reply_ticket(r, ticket);
    else
        ret = start_session(r, nvr, u, 200);
    sodium_memzero(ticket, sizeof ticket);
out:
    json_decref(o);
    sodium_memzero(u, sizeof *u);
    free(u);
    return ret;
}

http_result http_session_totp(struct http_request *r, struct nvr *nvr)
{
    char ticket[SIGNIN_TICKET_LEN + 8], code[32], recovery[32], err[160];
    http_result ret;
    struct user *u = calloc(1, sizeof *u);
    if (!u)
        return http_reply_error(r, 500, "out of memory");
    json_t *o = http_json_body(r, &ret);
    if (!o)
        goto out;
    if (http_json_text(o, "ticket", 1, ticket, sizeof ticket, err, sizeof err) ||
        http_json_text(o, "code", 0, code, sizeof code, err, sizeof err) ||
        http_json_text(o, "recovery_code", 0, recovery, sizeof recovery, err, sizeof err)) {
        ret = http_reply_error(r, 400, "%s", err);
        goto out;
    }
    if (!code[0] == !recovery[0]) {
        ret = http_reply_error(r, 400, "give either code or recovery_code");
        goto out;
    }
    int rc = auth_login_second(nvr->auth, ticket, code[0] ? code : NULL, recovery[0] ? recovery : NULL,
                               http_client_address(r), u);
    if (rc == NVR_ETIMEDOUT)
        ret = reply_wait(r, nvr, u->name);
    else if (rc == NVR_EAUTH)
        ret = http_reply_error(r, 401, "wrong or already used code, or the sign-in expired: sign in again");
    else if (rc)
        ret = http_reply_error(r, 500, "cannot sign in: %s", nvr_strerror(rc));
    else
        ret = start_session(r, nvr, u, 200);
out:
    sodium_memzero(code, sizeof code);
    sodium_memzero(recovery, sizeof recovery);
    json_decref(o);
    sodium_memzero(u, sizeof *u);
    free(u);
    return ret;
}

http_result http_session_get(struct http_request *r, struct nvr *nvr)
{
    const struct auth_user *u = http_auth_user(r);
    if (!u)
        return http_reply_error(r, 401, "sign in required");
    return reply_session(r, nvr, 200, &u->u, u->via_token ? "" : u->csrf);
}

http_result http_session_delete(struct http_request *r, struct nvr *nvr)
{
    const struct auth_user *u = http_auth_user(r);
    if (!u->via_token)
        auth_session_end(nvr->auth, u->session_hash);
    http_auth_log(r, nvr, "logout", "", "%s", "");
    http_auth_set_cookie(r, "", 0);
    struct http_body b;
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    fputs("{\"status\":\"signed out\"}\n", b.f);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

/* Reads "cameras" (grants) of a user body into u; -1 with err. */
static int parse_grants(const struct nvr *nvr, json_t *o, struct user *u, char *err, size_t errlen)
{
    json_t *g = json_object_get(o, "cameras");
    u->ngrants = 0;
    if (!g)
        return 0;
    if (!json_is_array(g) || json_array_size(g) > USER_GRANTS_MAX) {
        snprintf(err, errlen, "cameras must be a list of at most %d camera ids, \"group:NAME\" or \"*\"",
                 USER_GRANTS_MAX);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(g); i++) {
        json_t *v = json_array_get(g, i);
        const char *s = json_is_string(v) ? json_string_value(v) : NULL;
        int ok = s && (strcmp(s, "*") == 0 || (strncmp(s, "group:", 6) == 0 && s[6] && strlen(s) < USER_GRANT_LEN) ||
                       cameras_find(nvr->cams, s));
        if (!ok) {
            snprintf(err, errlen, "cameras[%zu] is not a configured camera, \"group:NAME\" or \"*\"", i);
            return -1;
        }
        snprintf(u->grants[u->ngrants++], USER_GRANT_LEN, "%s", s);
    }
    return 0;
}

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '-' || *p == '.' || *p == '@'))
            return 0;
    return 1;
}

/* Builds a new user from a body: name, role, password, cameras. */
static int parse_new_user(const struct nvr *nvr, json_t *o, struct user *u, int role_required, char *err, size_t errlen)
{
    char role[32], pw[300];
    int rc = -1;
    if (http_json_text(o, "name", 1, u->name, sizeof u->name, err, errlen) ||
        http_json_text(o, "password", 1, pw, sizeof pw, err, errlen) ||
        http_json_text(o, "role", role_required, role, sizeof role, err, errlen))
        goto out;
    if (!valid_name(u->name)) {
        snprintf(err, errlen, "name may hold letters, digits and _ - . @ (1 to 64)");
        goto out;
    }
    u->role = role[0] ? users_role_parse(role) : USER_ADMIN;
    if (!u->role) {
        snprintf(err, errlen, "role must be admin, investigator or viewer");
        goto out;
    }
    if (auth_hash_password(pw, u->pwhash)) {
        snprintf(err, errlen, "password must be 8 to 256 bytes");
        goto out;
    }
    if (parse_grants(nvr, o, u, err, errlen))
        goto out;
    u->created_us = nvr_clock_now_us();
    rc = 0;
out:
    sodium_memzero(pw, sizeof pw);
    return rc;
}

http_result http_setup_state(struct http_request *r, struct nvr *nvr)
{
    char *body = strdup(auth_setup_open(nvr->auth) ? "{\"open\":true}\n" : "{\"open\":false}\n");
    if (!body)
        return http_reply_error(r, 500, "out of memory");
    return http_reply(r, 200, "application/json", body, strlen(body), "no-store");
}

http_result http_setup(struct http_request *r, struct nvr *nvr)
{
    char token[AUTH_SECRET_LEN + 8], err[160];
    http_result ret;
    struct user *u = calloc(1, sizeof *u);
    if (!u)
        return http_reply_error(r, 500, "out of memory");
    json_t *o = http_json_body(r, &ret);
    if (!o)
        goto out;
    if (http_json_text(o, "setup_token", 1, token, sizeof token, err, sizeof err) ||
        !auth_setup_token_ok(nvr->auth, token)) {
        ret = http_reply_error(r, 403, "setup is closed, or the setup token is wrong");
        goto out;
    }
    if (parse_new_user(nvr, o, u, 0, err, sizeof err)) {
        ret = http_reply_error(r, 400, "%s", err);
        goto out;
    }
    u->role = USER_ADMIN;
    int rc = users_add(storage_index(nvr->st), u);
    if (rc) {
        ret = http_reply_error(r, rc == NVR_EINVAL ? 400 : 500, "cannot create the user: %s", nvr_strerror(rc));
        goto out;
    }
    auth_setup_done(nvr->auth);
    auth_log(nvr->auth, u->name, http_client_address(r), "user_created", "", "first admin, by setup token");
    ret = start_session(r, nvr, u, 201);
out:
    json_decref(o);
    sodium_memzero(u, sizeof *u);
    free(u);
    return ret;
}

http_result http_users_list(struct http_request *r, struct nvr *nvr)
{
    struct user *v = NULL;
    struct user_token *toks = NULL;
    size_t n = 0, ntoks = 0;
    http_result ret;
    int rc = users_list(storage_index_reader(nvr->st), &v, &n);
    if (rc == NVR_OK)
        rc = users_tokens_list(storage_index_reader(nvr->st), &toks, &ntoks);
    if (rc) {
        ret = http_reply_error(r, 500, "cannot read users: %s", nvr_strerror(rc));
        goto out;
    }
    struct http_body b;
    if (http_body_open(&b)) {
        ret = http_reply_error(r, 500, "out of memory");
        goto out;
    }
    fputs("{\"users\":[", b.f);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', b.f);
        int totp = 0, left = 0;
        auth_totp_status(nvr->auth, &v[i], &totp, &left);
        write_user_tokens(b.f, &v[i], 1, toks, ntoks, totp);
    }
    fputs("]}\n", b.f);
    ret = http_body_send(r, &b, 200, "application/json", "no-store");
out:
    if (v)
        sodium_memzero(v, n * sizeof *v);
    free(v);
    free(toks);
    return ret;
}

static http_result reply_user(struct http_request *r, unsigned status, const struct user *u)
{
    struct http_body b;
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    write_user(b.f, u);
    fputc('\n', b.f);
    return http_body_send(r, &b, status, "application/json", "no-store");
}

http_result http_users_create(struct http_request *r, struct nvr *nvr)
{
    char err[160];
    http_result ret;
    struct user *u = calloc(1, sizeof *u);
    if (!u)
        return http_reply_error(r, 500, "out of memory");
    json_t *o = http_json_body(r, &ret);
    if (!o)
        goto out;
    if (parse_new_user(nvr, o, u, 1, err, sizeof err)) {
        ret = http_reply_error(r, 400, "%s", err);
        goto out;
    }
    int rc = users_add(storage_index(nvr->st), u);
    if (rc == NVR_EINVAL)
        ret = http_reply_error(r, 409, "a user with that name exists");
    else if (rc)
        ret = http_reply_error(r, 500, "cannot create the user: %s", nvr_strerror(rc));
    else {
        http_auth_log(r, nvr, "user_created", "", "user=%s role=%s", u->name, users_role_name(u->role));
        ret = reply_user(r, 201, u);
    }
out:
    json_decref(o);
    sodium_memzero(u, sizeof *u);
    free(u);
    return ret;
}

/* Other admins than name. */
static int other_admins(struct nvr *nvr, const char *name)
{
    struct user *v = NULL;
    size_t n = 0, k = 0;
    if (users_list(storage_index(nvr->st), &v, &n))
        return 1; /* cannot tell: do not block */
    for (size_t i = 0; i < n; i++)
        if (v[i].role == USER_ADMIN && strcmp(v[i].name, name) != 0)
            k++;
    sodium_memzero(v, n * sizeof *v);
    free(v);
    return k > 0;
}

/* A person of the district's catalog is changed there, never here: the
 * mirror would undo it (docs/design/catalog.md, "People"). */
static http_result catalog_managed(struct http_request *r, const char *name)
{
    return http_reply_error(r, 409,
                            "%s is managed by the district catalog: change it there (nvr district user, or the "
                            "console)",
                            name);
}

http_result http_users_update(struct http_request *r, struct nvr *nvr)
{
    char role[32], pw[300], err[160];
    http_result ret;
    struct user *u = calloc(1, sizeof *u);
    if (!u)
        return http_reply_error(r, 500, "out of memory");
    json_t *o = http_json_body(r, &ret);
    if (!o)
        goto out;
    int rc = users_get(storage_index(nvr->st), http_param(r, 0), u);
    if (rc) {
        ret = rc == NVR_ENOTFOUND ? http_reply_error(r, 404, "no such user")
                                  : http_reply_error(r, 500, "cannot read the user: %s", nvr_strerror(rc));
        goto out;
    }
    if (strcmp(u->source, "catalog") == 0) {
        ret = catalog_managed(r, u->name);
        goto out;
    }
    if (http_json_text(o, "role", 0, role, sizeof role, err, sizeof err) ||
        http_json_text(o, "password", 0, pw, sizeof pw, err, sizeof err)) {
        ret = http_reply_error(r, 400, "%s", err);
        goto out;
    }
    enum user_role was = u->role;
    if (role[0] && !(u->role = users_role_parse(role))) {
        ret = http_reply_error(r, 400, "role must be admin, investigator or viewer");
        goto out;
    }
    if (was == USER_ADMIN && u->role != USER_ADMIN && !other_admins(nvr, u->name)) {
        ret = http_reply_error(r, 409, "the last admin cannot lose the admin role");
        goto out;
    }
    if (json_object_get(o, "cameras") && parse_grants(nvr, o, u, err, sizeof err)) {
        ret = http_reply_error(r, 400, "%s", err);
        goto out;
    }
    int newpw = pw[0] != '\0';
    if (newpw && u->source[0] && strcmp(u->source, "local") != 0) {
        ret = http_reply_error(r, 400, "%s signs in through the directory (%s): set the password there", u->name,
                               u->source);
        goto out;
    }
    if (newpw && auth_hash_password(pw, u->pwhash)) {
        ret = http_reply_error(r, 400, "password must be 8 to 256 bytes");
        goto out;
    }
    /* a password change revokes the user's API tokens too, unless the admin
     * says keep_tokens: true (a leaked password may have made them) */
    json_t *keep = json_object_get(o, "keep_tokens");
    if (keep && !json_is_boolean(keep)) {
        ret = http_reply_error(r, 400, "keep_tokens must be true or false");
        goto out;
    }
    int revoked = 0, keep_tokens = keep && json_is_true(keep);
    u->pw_changed_us = nvr_clock_now_us();
    if ((rc = users_update(storage_index(nvr->st), u, newpw)) ||
        (newpw && !keep_tokens &&
         (rc = users_tokens_revoke_user(storage_index(nvr->st), u->id, u->pw_changed_us, &revoked)))) {
        ret = http_reply_error(r, 500, "cannot change the user: %s", nvr_strerror(rc));
        goto out;
    }
    auth_forget_tokens(nvr->auth);
    char tokens_note[48] = "";
    if (newpw)
        snprintf(tokens_note, sizeof tokens_note, keep_tokens ? " tokens=kept" : " tokens_revoked=%d", revoked);
    http_auth_log(r, nvr, "user_changed", "", "user=%s role=%s%s%s", u->name, users_role_name(u->role),
                  newpw ? " password=changed" : "", tokens_note);
    ret = reply_user(r, 200, u);
out:
    sodium_memzero(pw, sizeof pw);
    json_decref(o);
    sodium_memzero(u, sizeof *u);
    free(u);
    return ret;
}

http_result http_users_delete(struct http_request *r, struct nvr *nvr)
{
    struct user *u = calloc(1, sizeof *u);
    http_result ret;
    if (!u)
        return http_reply_error(r, 500, "out of memory");
    int rc = users_get(storage_index(nvr->st), http_param(r, 0), u);
    if (rc == NVR_ENOTFOUND)
        ret = http_reply_error(r, 404, "no such user");
    else if (rc)
        ret = http_reply_error(r, 500, "cannot read the user: %s", nvr_strerror(rc));
    else if (strcmp(u->source, "catalog") == 0)
        ret = catalog_managed(r, u->name);
    else if (u->role == USER_ADMIN && !other_admins(nvr, u->name))
        ret = http_reply_error(r, 409, "the last admin cannot be deleted");
    else if ((rc = users_delete(storage_index(nvr->st), u->name)))
        ret = http_reply_error(r, 500, "cannot delete the user: %s", nvr_strerror(rc));
    else {
        auth_forget_tokens(nvr->auth);
        http_auth_log(r, nvr, "user_deleted", "", "user=%s", u->name);
        ret = reply_user(r, 200, u);
    }
    sodium_memzero(u, sizeof *u);
    free(u);
    return ret;
}

http_result http_tokens_create(struct http_request *r, struct nvr *nvr)
{
    char label[128], err[160], secret[AUTH_SECRET_LEN];
    int64_t id = 0;
    http_result ret;
    struct user *u = calloc(1, sizeof *u);
    if (!u)
        return http_reply_error(r, 500, "out of memory");
    json_t *o = http_json_body(r, &ret);
    if (!o)
        goto out;
    if (http_json_text(o, "label", 0, label, sizeof label, err, sizeof err)) {
        ret = http_reply_error(r, 400, "%s", err);
        goto out;
    }
    int rc = users_get(storage_index(nvr->st), http_param(r, 0), u);
    if (rc) {
        ret = rc == NVR_ENOTFOUND ? http_reply_error(r, 404, "no such user")
                                  : http_reply_error(r, 500, "cannot read the user: %s", nvr_strerror(rc));
        goto out;
    }
    if ((rc = auth_token_create(nvr->auth, u->id, label, secret, &id))) {
        ret = http_reply_error(r, 500, "cannot make a token: %s", nvr_strerror(rc));
        goto out;
    }
    http_auth_log(r, nvr, "token_created", "", "user=%s token=%lld", u->name, (long long)id);
    struct http_body b;
    if (http_body_open(&b)) {
        ret = http_reply_error(r, 500, "out of memory");
        goto out;
    }
    fprintf(b.f, "{\"id\":%lld,\"user\":", (long long)id);
    json_write_string(b.f, u->name);
    fputs(",\"token\":", b.f);
    json_write_string(b.f, secret);
    fputs("}\n", b.f);
    sodium_memzero(secret, sizeof secret);
    ret = http_body_send(r, &b, 201, "application/json", "no-store");
out:
    json_decref(o);
    sodium_memzero(u, sizeof *u);
    free(u);
    return ret;
}

http_result http_tokens_revoke(struct http_request *r, struct nvr *nvr)
{
    char *end;
    const char *s = http_param(r, 0);
    errno = 0;
    long long id = strtoll(s, &end, 10);
    if (errno || *end || end == s || id <= 0)
        return http_reply_error(r, 400, "a token id is a positive integer");
    int rc = users_token_revoke(storage_index(nvr->st), id, 0, nvr_clock_now_us());
    if (rc == NVR_ENOTFOUND)
        return http_reply_error(r, 404, "no such active token");
    if (rc)
        return http_reply_error(r, 500, "cannot revoke the token: %s", nvr_strerror(rc));
    auth_forget_tokens(nvr->auth);
    http_auth_log(r, nvr, "token_revoked", "", "token=%lld", id);
    struct http_body b;
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    fprintf(b.f, "{\"id\":%lld,\"revoked\":true}\n", id);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

/* ---- access log ---- */

struct log_out {
    FILE *f;
    int csv, n;
};

/* The text columns of an entry, in the order of both formats (CSV header in
 * docs/ref/http-api.md): one table for the CSV cells and the JSON members. */
static const struct {
    const char *name;
    size_t off;
} entry_texts[] = {
    {"user", offsetof(struct access_entry, user)},     {"address", offsetof(struct access_entry, address)},
    {"action", offsetof(struct access_entry, action)}, {"camera", offsetof(struct access_entry, camera)},
    {"detail", offsetof(struct access_entry, detail)},
};

static int write_entry(const struct access_entry *e, void *arg)
{
    struct log_out *o = arg;
    char t[NVR_TIME_BUFSZ], h[65];
    nvr_clock_format_rfc3339(e->time_us, t);
    sodium_bin2hex(h, sizeof h, e->hash, 32);
    if (o->csv)
        fprintf(o->f, "%lld,%s", (long long)e->id, t);
    else
        fprintf(o->f, "%s{\"id\":%lld,\"time\":\"%s\"", o->n++ ? "," : "", (long long)e->id, t);
    for (size_t i = 0; i < sizeof entry_texts / sizeof entry_texts[0]; i++) {
        const char *v = (const char *)e + entry_texts[i].off;
        if (o->csv) {
            fputc(',', o->f);
            csv_write_cell(o->f, v);
        } else {
            fprintf(o->f, ",\"%s\":", entry_texts[i].name);
            json_write_string(o->f, v);
        }
    }
    fprintf(o->f, o->csv ? ",%s\r\n" : ",\"hash\":\"%s\"}", h);
    return 0;
}

http_result http_access_log(struct http_request *r, struct nvr *nvr)
{
    struct access_filter f = {.from_us = INT64_MIN, .to_us = INT64_MAX, .limit = 1000};
    const char *s = http_query(r, "start"), *e = http_query(r, "end"), *lim = http_query(r, "limit");
    const char *fmt = http_query(r, "format");
    if (s && nvr_clock_parse_rfc3339(s, &f.from_us))
        return http_reply_error(r, 400, "start is not an RFC 3339 time");
    if (e && nvr_clock_parse_rfc3339(e, &f.to_us))
        return http_reply_error(r, 400, "end is not an RFC 3339 time");
    if (f.to_us <= f.from_us)
        return http_reply_error(r, 400, "end must be after start");
    if (lim) {
        char *end;
        long v = strtol(lim, &end, 10);
        if (*end || end == lim || v < 1 || v > 100000)
            return http_reply_error(r, 400, "limit must be 1 to 100000");
        f.limit = (int)v;
    }
    if (fmt && strcmp(fmt, "csv") != 0 && strcmp(fmt, "json") != 0)
        return http_reply_error(r, 400, "format must be json or csv");
    f.user = http_query(r, "user");
    f.camera = http_query(r, "camera");
    f.action = http_query(r, "action");
    struct http_body b;
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    struct log_out o = {.f = b.f, .csv = fmt && strcmp(fmt, "csv") == 0};
    if (o.csv)
        fputs("id,time,user,address,action,camera,detail,hash\r\n", b.f);
    else
        fputs("{\"entries\":[", b.f);
    int rc = access_log_each(storage_index_reader(nvr->st), &f, write_entry, &o);
    if (!o.csv)
        fputs("]}\n", b.f);
    if (rc) {
        fclose(b.f);
        free(b.buf);
        return http_reply_error(r, 500, "cannot read the access log: %s", nvr_strerror(rc));
    }
    http_auth_log(r, nvr, "access_log_read", "", "format=%s", o.csv ? "csv" : "json");
    return http_body_send(r, &b, 200, o.csv ? "text/csv; charset=utf-8" : "application/json", "no-store");
}
