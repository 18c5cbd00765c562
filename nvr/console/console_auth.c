/* SPDX-License-Identifier: Apache-2.0 */
/* console_auth.c - the console's guard, sessions, users and API tokens,
 * all kept in the catalog (nvr_users, nvr_grants, nvr_tokens;
 * docs/design/catalog.md "People"). */
#include "console/console_int.h"

#include "base/clock.h"
#include "base/json.h"
#include "base/log.h"
#include "http/http_guard.h"
#include "http/http_json.h"
#include "storage/index.h"
#include "storage/users.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_TOKEN_US (365LL * 24 * 3600 * 1000000)

void console_secret(const struct http_request *r, char out[CONSOLE_SECRET_LEN])
{
    out[0] = '\0';
    const char *a = http_header(r, "Authorization");
    if (a && strncmp(a, "Bearer ", 7) == 0 && strlen(a + 7) < CONSOLE_SECRET_LEN) {
        snprintf(out, CONSOLE_SECRET_LEN, "%s", a + 7);
        return;
    }
    const char *c = http_header(r, "Cookie");
    size_t kl = strlen(CONSOLE_COOKIE);
    for (const char *p = c; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        if (strncmp(p, CONSOLE_COOKIE, kl) == 0 && p[kl] == '=') {
            size_t n = strcspn(p + kl + 1, "; ");
            if (n < CONSOLE_SECRET_LEN)
                snprintf(out, CONSOLE_SECRET_LEN, "%.*s", (int)n, p + kl + 1);
            return;
        }
        p = strchr(p, ';');
    }
}

/* The CSRF token of a session: derived from its secret, so only the
 * secret's holder can know it and nothing more is stored. */
static void csrf_of(const char *secret, char out[CONSOLE_CSRF_LEN])
{
    uint8_t h[32];
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)"nvr-console-csrf:", 17);
    crypto_hash_sha256_update(&st, (const uint8_t *)secret, strlen(secret));
    crypto_hash_sha256_final(&st, h);
    sodium_bin2base64(out, CONSOLE_CSRF_LEN, h, sizeof h, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* bytea in PostgreSQL's text form: "\x" and hex. */
static void hash_hex(const uint8_t h[32], char out[67])
{
    out[0] = '\\';
    out[1] = 'x';
    sodium_bin2hex(out + 2, 65, h, 32);
}

static nvr_err load_grants(struct console *c, struct console_user *u)
{
    PGresult *res;
    const char *p[] = {u->name};
    nvr_err rc = console_pg_exec(c->pg, "SELECT what FROM nvr_grants WHERE user_name = $1 ORDER BY what", 1, p, &res);
    if (rc)
        return rc;
    u->ngrants = 0;
    for (int i = 0; i < PQntuples(res) && u->ngrants < CONSOLE_GRANTS_MAX; i++)
        snprintf(u->grants[u->ngrants++], CONSOLE_GRANT_LEN, "%s", PQgetvalue(res, i, 0));
    PQclear(res);
    return NVR_OK;
}

/* Finds the person whose token or session secret is secret: NVR_OK,
 * NVR_EAUTH (none, expired, disabled) or NVR_ECONN. */
static nvr_err authenticate(struct console *c, const char *secret, struct console_user *u)
{
    char hex[67], now[24];
    crypto_hash_sha256(u->hash, (const uint8_t *)secret, strlen(secret));
    hash_hex(u->hash, hex);
    snprintf(now, sizeof now, "%lld", (long long)nvr_clock_now_us());
    const char *p[] = {hex, now};
    PGresult *res;
    nvr_err rc = console_pg_exec(c->pg,
                                 "SELECT u.name, u.role FROM nvr_tokens t JOIN nvr_users u ON u.name = t.user_name "
                                 "WHERE t.hash = $1::bytea AND t.expires_us > $2::bigint AND NOT u.disabled",
                                 2, p, &res);
    if (rc)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return NVR_EAUTH;
    }
    snprintf(u->name, sizeof u->name, "%s", PQgetvalue(res, 0, 0));
    u->role = (int)users_role_parse(PQgetvalue(res, 0, 1));
    PQclear(res);
    csrf_of(secret, u->csrf);
    return load_grants(c, u);
}

/* A break-glass account's session (data_dir/index.db, made by `nvr user
 * add -c CONSOLE.conf`): NVR_OK with u filled, or NVR_EAUTH. */
static nvr_err authenticate_local(struct console *c, const char *secret, struct console_user *u)
{
    int64_t uid = 0, created = 0, last = 0;
    char csrf[USER_CSRF_LEN];
    struct user *lu = calloc(1, sizeof *lu);
    nvr_err rc = lu ? NVR_OK : NVR_ENOMEM;
    crypto_hash_sha256(u->hash, (const uint8_t *)secret, strlen(secret));
    if (!rc)
        rc = users_session_get(c->ix, u->hash, &uid, csrf, &created, &last);
    if (!rc && created + CONSOLE_SESSION_US <= nvr_clock_now_us())
        rc = NVR_ENOTFOUND;
    if (!rc)
        rc = users_get_id(c->ix, uid, lu);
    if (!rc) {
        snprintf(u->name, sizeof u->name, "%.*s", (int)sizeof u->name - 1, lu->name);
        u->role = (int)lu->role;
        u->local_id = lu->id;
        u->ngrants = 0;
        for (size_t i = 0; i < lu->ngrants && i < CONSOLE_GRANTS_MAX; i++)
            snprintf(u->grants[u->ngrants++], CONSOLE_GRANT_LEN, "%s", lu->grants[i]);
        csrf_of(secret, u->csrf);
    }
    if (lu)
        sodium_memzero(lu, sizeof *lu);
    free(lu);
    return rc == NVR_OK ? NVR_OK : rc == NVR_ENOMEM ? rc : NVR_EAUTH;
}

static void release_user(void *u)
{
    sodium_memzero(u, sizeof(struct console_user));
    free(u);
}

const struct console_user *console_user(const struct http_request *r)
{
    return http_user(r);
}

http_result console_reply_catalog_down(struct http_request *r)
{
    http_add_reply_header(r, "Retry-After", "5");
    return http_reply_error(r, 503, "the catalog is not available: try again in a moment");
}

http_result console_reply_pg_error(struct http_request *r, nvr_err rc, const char *what)
{
    return rc == NVR_ECONN ? console_reply_catalog_down(r) : http_reply_error(r, 500, "cannot %s", what);
}

int console_pg_body(struct http_request *r, struct console *c, const char *sql, int n, const char *const *params,
                    PGresult **res, struct http_body *b, http_result *answer)
{
    nvr_err rc = console_pg_exec(c->pg, sql, n, params, res);
    if (rc) {
        *answer = console_reply_pg_error(r, rc, "read the catalog");
        return 0;
    }
    if (http_body_open(b)) {
        PQclear(*res);
        *res = NULL;
        *answer = http_reply_error(r, 500, "out of memory");
        return 0;
    }
    return 1;
}

http_result console_guard(struct http_request *r, const struct http_route *rt, struct nvr *nvr)
{
    struct console *c = console_of(nvr);
    http_result body = http_guard_json_body(r);
    if (body != HTTP_PASS)
        return body;
    char secret[CONSOLE_SECRET_LEN];
    console_secret(r, secret);
    struct console_user *u = calloc(1, sizeof *u);
    if (!u)
        return http_reply_error(r, 500, "out of memory");
    nvr_err rc = secret[0] ? authenticate(c, secret, u) : NVR_EAUTH;
    if (rc && secret[0] && authenticate_local(c, secret, u) == NVR_OK)
        rc = NVR_OK; /* a break-glass session: works with the catalog down too */
    u->via_token = secret[0] && http_header(r, "Authorization") != NULL;
    sodium_memzero(secret, sizeof secret);
    if (rt->access == HTTP_PUBLIC)
        return http_guard_public(r, rc, u, release_user);
    if (rc) {
        release_user(u);
        return rc == NVR_EAUTH ? http_reply_error(r, 401, "sign in required") : console_reply_catalog_down(r);
    }
    if (!http_csrf_ok(r, u->via_token, u->csrf)) {
        release_user(u);
        return http_reply_error(r, 403, "missing or wrong CSRF token, or a cross-site request");
    }
    int need = rt->access == HTTP_ADMIN          ? USER_ADMIN
               : rt->access == HTTP_INVESTIGATOR ? USER_INVESTIGATOR
                                                 : USER_VIEWER;
    if (u->role < need) {
        release_user(u);
        return http_reply_error(r, 403, "this needs the %s role", users_role_name(need));
    }
    http_set_user(r, u, release_user);
    return HTTP_PASS;
}

/* ---- JSON ---- */

static void write_user(FILE *f, const char *name, const char *role, const char (*grants)[CONSOLE_GRANT_LEN],
                       size_t ngrants, int disabled)
{
    fputs("{\"name\":", f);
    json_write_string(f, name);
    fputs(",\"role\":", f);
    json_write_string(f, role);
    fputs(",\"cameras\":[", f);
    for (size_t i = 0; i < ngrants; i++) {
        if (i)
            fputc(',', f);
        json_write_string(f, grants[i]);
    }
    fprintf(f, "],\"source\":\"catalog\"");
    if (disabled >= 0)
        fprintf(f, ",\"disabled\":%s", disabled ? "true" : "false");
    fputc('}', f);
}

static http_result reply_session(struct http_request *r, struct console *c, const struct console_user *u,
                                 const char *csrf)
{
    struct http_body b;
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    fputs("{\"user\":", b.f);
    write_user(b.f, u->name, users_role_name(u->role), u->grants, u->ngrants, -1);
    fputs(",\"csrf_token\":", b.f);
    json_write_string(b.f, csrf);
    fprintf(b.f, ",\"totp\":{\"enabled\":false,\"required\":false},\"ui\":{\"time_format\":\"%s\"},\"console\":true}\n",
            nvr_time_format_name(c->cfg->time_format));
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

static void set_cookie(struct http_request *r, const char *value, long long max_age_s)
{
    char ck[256];
    snprintf(ck, sizeof ck, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s", CONSOLE_COOKIE, value,
             max_age_s, http_server_is_tls(http_request_server(r)) ? "; Secure" : "");
    http_add_reply_header(r, "Set-Cookie", ck);
}

/* A new secret whose SHA-256 becomes an nvr_tokens row of kind for name. */
static nvr_err issue(struct console *c, const char *name, const char *kind, const char *label, int64_t life_us,
                     char secret[CONSOLE_SECRET_LEN], uint8_t hash[32])
{
    uint8_t raw[32];
    char hex[67], now[24], exp[24];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(secret, CONSOLE_SECRET_LEN, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    crypto_hash_sha256(hash, (const uint8_t *)secret, strlen(secret));
    hash_hex(hash, hex);
    int64_t t = nvr_clock_now_us();
    snprintf(now, sizeof now, "%lld", (long long)t);
    snprintf(exp, sizeof exp, "%lld", (long long)(t + life_us));
    const char *p[] = {hex, name, kind, label, now, exp};
    return console_pg_exec(c->pg,
                           "INSERT INTO nvr_tokens(hash, user_name, kind, label, created_us, expires_us) "
                           "VALUES ($1::bytea, $2, $3, $4, $5::bigint, $6::bigint)",
                           6, p, NULL);
}

/* A session of a break-glass account, kept in data_dir/index.db. */
static nvr_err issue_local(struct console *c, const struct console_user *u, const char *addr,
                           char secret[CONSOLE_SECRET_LEN])
{
    uint8_t raw[32], hash[32];
    char csrf[CONSOLE_CSRF_LEN];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(secret, CONSOLE_SECRET_LEN, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    crypto_hash_sha256(hash, (const uint8_t *)secret, strlen(secret));
    csrf_of(secret, csrf);
    return users_session_add(c->ix, hash, u->local_id, csrf, addr, nvr_clock_now_us());
}

/* Checks name/password against a break-glass account of data_dir/index.db:
 * NVR_OK with u filled (local_id set), else NVR_EAUTH. */
static nvr_err check_local(struct console *c, const char *name, const char *pw, struct console_user *u)
{
    struct user *lu = calloc(1, sizeof *lu);
    int ok = lu && users_get(c->ix, name, lu) == NVR_OK && strcmp(lu->source, "local") == 0 &&
             crypto_pwhash_str_verify(lu->pwhash, pw, strlen(pw)) == 0;
    if (ok) {
        snprintf(u->name, sizeof u->name, "%.*s", (int)sizeof u->name - 1, lu->name);
        u->role = (int)lu->role;
        u->local_id = lu->id;
        u->ngrants = 0;
        for (size_t i = 0; i < lu->ngrants && i < CONSOLE_GRANTS_MAX; i++)
            snprintf(u->grants[u->ngrants++], CONSOLE_GRANT_LEN, "%s", lu->grants[i]);
    }
    if (lu)
        sodium_memzero(lu, sizeof *lu);
    free(lu);
    return ok ? NVR_OK : NVR_EAUTH;
}

/* Checks name/password against nvr_users: NVR_OK with u's name and role,
 * NVR_EAUTH, or NVR_ECONN. */
static nvr_err check_password(struct console *c, const char *name, const char *pw, struct console_user *u)
{
    PGresult *res;
    const char *p[] = {name};
    nvr_err rc = console_pg_exec(c->pg, "SELECT role, pwhash, disabled FROM nvr_users WHERE name = $1", 1, p, &res);
    if (rc)
        return rc;
    int found = PQntuples(res) == 1;
    const char *hash = found ? PQgetvalue(res, 0, 1) : "";
    int ok = found && strcmp(PQgetvalue(res, 0, 2), "f") == 0 && crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
    if (ok) {
        snprintf(u->name, sizeof u->name, "%s", name);
        u->role = (int)users_role_parse(PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    return ok ? NVR_OK : NVR_EAUTH;
}

http_result console_session_create(struct http_request *r, struct nvr *nvr)
{
    struct console *c = console_of(nvr);
    char name[CONSOLE_NAME_LEN], pw[300], err[160], secret[CONSOLE_SECRET_LEN];
    http_result ret;
    const char *addr = http_client_address(r);
    struct console_user *u = calloc(1, sizeof *u);
    if (!u)
        return http_reply_error(r, 500, "out of memory");
    json_t *o = http_json_body(r, &ret);
    if (!o)
        goto out;
    if (http_json_text(o, "user", 1, name, sizeof name, err, sizeof err) ||
        http_json_text(o, "password", 1, pw, sizeof pw, err, sizeof err)) {
        ret = http_reply_error(r, 400, "%s", err);
        goto out;
    }
    int64_t wait = signin_limit_wait(c->limit, name, addr, nvr_clock_mono_us());
    if (wait > 0) {
        char ra[24];
        snprintf(ra, sizeof ra, "%lld", (long long)((wait + 999999) / 1000000));
        http_add_reply_header(r, "Retry-After", ra);
        console_log(c, name, addr, "login_blocked", "", "", "");
        ret = http_reply_error(r, 429, "too many failed sign-ins: wait %s s", ra);
        goto out;
    }
    nvr_err rc = check_password(c, name, pw, u);
    /* the break-glass accounts: names the catalog does not accept, and any
     * name while the catalog is down */
    if (rc && check_local(c, name, pw, u) == NVR_OK)
        rc = NVR_OK;
    sodium_memzero(pw, sizeof pw);
    if (rc == NVR_EAUTH) {
        signin_limit_failed(c->limit, name, addr, nvr_clock_mono_us());
        console_log(c, name, addr, "login_failed", "", "", "");
        ret = http_reply_error(r, 401, "wrong user name or password");
        goto out;
    }
    uint8_t hash[32];
    if (!rc && u->local_id)
        rc = issue_local(c, u, addr, secret);
    else if (rc || (rc = load_grants(c, u)) ||
             (rc = issue(c, u->name, "session", "", CONSOLE_SESSION_US, secret, hash))) {
        ret = console_reply_catalog_down(r);
        goto out;
    }
    if (rc) {
        ret = http_reply_error(r, 500, "cannot start a session");
        goto out;
    }
    signin_limit_succeeded(c->limit, name, addr);
    console_log(c, u->name, addr, "login", "", "", "");
    char csrf[CONSOLE_CSRF_LEN];
    csrf_of(secret, csrf);
    set_cookie(r, secret, CONSOLE_SESSION_US / 1000000);
    sodium_memzero(secret, sizeof secret);
    ret = reply_session(r, c, u, csrf);
out:
    json_decref(o);
    release_user(u);
    return ret;
}

http_result console_session_get(struct http_request *r, struct nvr *nvr)
{
    const struct console_user *u = console_user(r);
    if (!u)
        return http_reply_error(r, 401, "sign in required");
    return reply_session(r, console_of(nvr), u, u->via_token ? "" : u->csrf);
}

http_result console_session_delete(struct http_request *r, struct nvr *nvr)
{
    struct console *c = console_of(nvr);
    const struct console_user *u = console_user(r);
    if (!u->via_token && u->local_id) {
        users_session_delete(c->ix, u->hash);
    } else if (!u->via_token) {
        char hex[67];
        hash_hex(u->hash, hex);
        const char *p[] = {hex};
        if (console_pg_exec(c->pg, "DELETE FROM nvr_tokens WHERE hash = $1::bytea AND kind = 'session'", 1, p, NULL))
            return console_reply_catalog_down(r);
    }
    console_log(c, u->name, http_client_address(r), "logout", "", "", "");
    set_cookie(r, "", 0);
    char *body = strdup("{\"status\":\"signed out\"}\n");
    return http_reply(r, 200, "application/json", body, body ? strlen(body) : 0, "no-store");
}

/* ---- users ---- */

static int name_ok(const char *s, int dot)
{
    if (!*s || strlen(s) > 63)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || (dot && *s == '.')))
            return 0;
    return 1;
}

/* A district grant: "*", "site:S", "group:G" or "S.ID". */
static int grant_ok(const char *g)
{
    if (strcmp(g, "*") == 0)
        return 1;
    if (strncmp(g, "site:", 5) == 0)
        return name_ok(g + 5, 0);
    if (strncmp(g, "group:", 6) == 0)
        return name_ok(g + 6, 0);
    const char *dot = strchr(g, '.');
    if (!dot || strchr(dot + 1, '.') || dot == g)
        return 0;
    return name_ok(g, 1) && dot[1] != '\0';
}

/* "cameras" of a body as a PostgreSQL text[] literal ("{a,b}"; grants
 * hold no character that needs quoting); *given 0 when absent. */
static int parse_grants(json_t *o, char *out, size_t n, int *given, char *err, size_t errlen)
{
    json_t *g = json_object_get(o, "cameras");
    *given = g != NULL;
    snprintf(out, n, "{}");
    if (!g)
        return 0;
    if (!json_is_array(g) || json_array_size(g) > CONSOLE_GRANTS_MAX) {
        snprintf(err, errlen, "cameras must be a list of at most %d of \"*\", \"site:S\", \"S.ID\", \"group:G\"",
                 CONSOLE_GRANTS_MAX);
        return -1;
    }
    size_t len = 1;
    out[0] = '{';
    for (size_t i = 0; i < json_array_size(g); i++) {
        const char *s = json_string_value(json_array_get(g, i));
        if (!s || !grant_ok(s)) {
            snprintf(err, errlen, "cameras[%zu] must be \"*\", \"site:S\", \"S.ID\" or \"group:G\"", i);
            return -1;
        }
        len += (size_t)snprintf(out + len, n - len, "%s%s", i ? "," : "", s);
    }
    snprintf(out + len, n - len, "}");
    return 0;
}

static http_result reply_user(struct http_request *r, struct console *c, const char *name, unsigned status)
{
    PGresult *res;
    const char *p[] = {name};
    if (console_pg_exec(
            c->pg,
            "SELECT u.role, u.disabled, COALESCE((SELECT array_to_json(array_agg(what ORDER BY what))::text "
            "FROM nvr_grants g WHERE g.user_name = u.name), '[]'), u.created_us "
            "FROM nvr_users u WHERE u.name = $1",
            1, p, &res))
        return console_reply_catalog_down(r);
    if (PQntuples(res) != 1) {
        PQclear(res);
        return http_reply_error(r, 404, "no such user");
    }
    struct http_body b;
    if (http_body_open(&b)) {
        PQclear(res);
        return http_reply_error(r, 500, "out of memory");
    }
    fputs("{\"name\":", b.f);
    json_write_string(b.f, name);
    fputs(",\"role\":", b.f);
    json_write_string(b.f, PQgetvalue(res, 0, 0));
    fprintf(b.f, ",\"cameras\":%s,\"source\":\"catalog\",\"disabled\":%s,\"created\":", PQgetvalue(res, 0, 2),
            strcmp(PQgetvalue(res, 0, 1), "t") == 0 ? "true" : "false");
    json_write_time(b.f, strtoll(PQgetvalue(res, 0, 3), NULL, 10));
    fputs("}\n", b.f);
    PQclear(res);
    return http_body_send(r, &b, status, "application/json", "no-store");
}

http_result console_users_list(struct http_request *r, struct nvr *nvr)
{
    struct console *c = console_of(nvr);
    PGresult *res;
    struct http_body b;
    http_result answer;
    if (!console_pg_body(r, c,
                         "SELECT u.name, u.role, u.disabled, COALESCE((SELECT array_to_json(array_agg(what ORDER BY "
                         "what))::text FROM nvr_grants g WHERE g.user_name = u.name), '[]'), u.created_us "
                         "FROM nvr_users u ORDER BY u.name",
                         0, NULL, &res, &b, &answer))
        return answer;
    fputs("{\"users\":[", b.f);
    for (int i = 0; i < PQntuples(res); i++) {
        fputs(i ? ",{\"name\":" : "{\"name\":", b.f);
        json_write_string(b.f, PQgetvalue(res, i, 0));
        fputs(",\"role\":", b.f);
        json_write_string(b.f, PQgetvalue(res, i, 1));
        fprintf(b.f, ",\"cameras\":%s,\"source\":\"catalog\",\"disabled\":%s,\"created\":", PQgetvalue(res, i, 3),
                strcmp(PQgetvalue(res, i, 2), "t") == 0 ? "true" : "false");
        json_write_time(b.f, strtoll(PQgetvalue(res, i, 4), NULL, 10));
        fputc('}', b.f);
    }
    fputs("]}\n", b.f);
    PQclear(res);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

/* role, password (hashed into *hash) and cameras of a body; -1 with err. */
struct user_body {
    char role[16], pw[300], grants[CONSOLE_GRANTS_MAX * (CONSOLE_GRANT_LEN + 1) + 4];
    char hash[crypto_pwhash_STRBYTES];
    int has_grants, disabled; /* disabled: -1 absent */
};

static int read_user_body(json_t *o, struct user_body *ub, int create, char *err, size_t errlen)
{
    ub->hash[0] = '\0';
    ub->disabled = -1;
    if (http_json_text(o, "role", create, ub->role, sizeof ub->role, err, errlen) ||
        http_json_text(o, "password", create, ub->pw, sizeof ub->pw, err, errlen) ||
        parse_grants(o, ub->grants, sizeof ub->grants, &ub->has_grants, err, errlen))
        return -1;
    if (ub->role[0] && users_role_parse(ub->role) == 0) {
        snprintf(err, errlen, "role must be viewer, investigator or admin");
        return -1;
    }
    json_t *d = json_object_get(o, "disabled");
    if (d && !json_is_boolean(d)) {
        snprintf(err, errlen, "disabled must be true or false");
        return -1;
    }
    if (d)
        ub->disabled = json_is_true(d);
    if (ub->pw[0]) {
        size_t n = strlen(ub->pw);
        if (n < 8 || n > 256) {
            snprintf(err, errlen, "password must be 8 to 256 bytes");
            return -1;
        }
        if (crypto_pwhash_str(ub->hash, ub->pw, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
            snprintf(err, errlen, "out of memory hashing the password");
            return -1;
        }
    }
    sodium_memzero(ub->pw, sizeof ub->pw);
    return 0;
}

http_result console_users_create(struct http_request *r, struct nvr *nvr)
{
    struct console *c = console_of(nvr);
    char name[CONSOLE_NAME_LEN], err[200], now[24];
    http_result ret;
    struct user_body *ub = calloc(1, sizeof *ub);
    json_t *o = ub ? http_json_body(r, &ret) : NULL;
    if (!ub)
        return http_reply_error(r, 500, "out of memory");
    if (!o)
        goto out;
    if (http_json_text(o, "name", 1, name, sizeof name, err, sizeof err) || read_user_body(o, ub, 1, err, sizeof err)) {
        ret = http_reply_error(r, 400, "%s", err);
        goto out;
    }
    if (!name_ok(name, 0)) {
        ret = http_reply_error(r, 400, "name must be 1 to 63 of a-z, 0-9, _ and -");
        goto out;
    }
    snprintf(now, sizeof now, "%lld", (long long)nvr_clock_now_us());
    const char *p[] = {name, ub->role, ub->hash, now, ub->grants};
    long long made = 0;
    nvr_err rc = console_pg_count(c->pg,
                                  "WITH u AS (INSERT INTO nvr_users(name, role, pwhash, created_us, updated_us) "
                                  "VALUES ($1, $2, $3, $4::bigint, $4::bigint) ON CONFLICT (name) DO NOTHING "
                                  "RETURNING name), g AS (INSERT INTO nvr_grants(user_name, what) "
                                  "SELECT u.name, w FROM u, unnest($5::text[]) AS w) SELECT count(*) FROM u",
                                  5, p, &made);
    if (rc) {
        ret = console_reply_pg_error(r, rc, "add the user");
        goto out;
    }
    if (made != 1) {
        ret = http_reply_error(r, 409, "the name is taken");
        goto out;
    }
    console_log(c, console_user(r)->name, http_client_address(r), "user_added", "", "", name);
    ret = reply_user(r, c, name, 201);
out:
    json_decref(o);
    sodium_memzero(ub, sizeof *ub);
    free(ub);
    return ret;
}

/* *last = 1 when name is the only enabled catalog admin. */
static nvr_err last_admin(struct console *c, const char *name, int *last)
{
    const char *p[] = {name};
    long long n = 0;
    nvr_err rc = console_pg_count(c->pg,
                                  "SELECT count(*) FROM nvr_users WHERE name = $1 AND role = 'admin' AND NOT disabled "
                                  "AND (SELECT count(*) FROM nvr_users WHERE role = 'admin' AND NOT disabled) = 1",
                                  1, p, &n);
    *last = n == 1;
    return rc;
}

http_result console_users_update(struct http_request *r, struct nvr *nvr)
{
    struct console *c = console_of(nvr);
    const char *name = http_param(r, 0);
    char err[200], now[24];
    http_result ret;
    struct user_body *ub = calloc(1, sizeof *ub);
    json_t *o = ub ? http_json_body(r, &ret) : NULL;
    if (!ub)
        return http_reply_error(r, 500, "out of memory");
    if (!o)
        goto out;
    if (read_user_body(o, ub, 0, err, sizeof err)) {
        ret = http_reply_error(r, 400, "%s", err);
        goto out;
    }
    int last = 0;
    if ((ub->disabled == 1 || (ub->role[0] && strcmp(ub->role, "admin") != 0)) && last_admin(c, name, &last)) {
        ret = console_reply_catalog_down(r);
        goto out;
    }
    if (last) {
        ret = http_reply_error(r, 409, "%s is the district's last admin: keeps the role and stays enabled", name);
        goto out;
    }
    snprintf(now, sizeof now, "%lld", (long long)nvr_clock_now_us());
    const char *dis = ub->disabled < 0 ? NULL : ub->disabled ? "true" : "false";
    const char *p[] = {name, ub->role[0] ? ub->role : NULL,     ub->hash[0] ? ub->hash : NULL, dis,
                       now,  ub->has_grants ? ub->grants : NULL};
    /* a new password or disabling ends the person's sessions and tokens */
    long long found = 0;
    nvr_err rc = console_pg_count(
        c->pg,
        "WITH u AS (UPDATE nvr_users SET role = COALESCE($2, role), pwhash = COALESCE($3, pwhash), "
        "disabled = COALESCE($4::boolean, disabled), updated_us = $5::bigint WHERE name = $1 RETURNING name), "
        "d AS (DELETE FROM nvr_grants WHERE $6::text[] IS NOT NULL AND user_name IN (SELECT name FROM u) "
        "AND NOT (what = ANY ($6::text[]))), "
        "g AS (INSERT INTO nvr_grants(user_name, what) SELECT u.name, w FROM u, unnest($6::text[]) AS w "
        "WHERE $6::text[] IS NOT NULL ON CONFLICT DO NOTHING), "
        "t AS (DELETE FROM nvr_tokens WHERE ($3 IS NOT NULL OR $4::boolean) AND user_name IN (SELECT name FROM u)) "
        "SELECT count(*) FROM u",
        6, p, &found);
    if (rc) {
        ret = console_reply_pg_error(r, rc, "change the user");
        goto out;
    }
    if (found != 1) {
        ret = http_reply_error(r, 404, "no such user");
        goto out;
    }
    console_log(c, console_user(r)->name, http_client_address(r), "user_changed", "", "", name);
    ret = reply_user(r, c, name, 200);
out:
    json_decref(o);
    sodium_memzero(ub, sizeof *ub);
    free(ub);
    return ret;
}

http_result console_users_delete(struct http_request *r, struct nvr *nvr)
{
    struct console *c = console_of(nvr);
    const char *name = http_param(r, 0);
    const char *p[] = {name};
    PGresult *res;
    int last = 0;
    if (last_admin(c, name, &last))
        return console_reply_catalog_down(r);
    if (last)
        return http_reply_error(r, 409, "%s is the district's last admin", name);
    nvr_err rc = console_pg_exec(c->pg, "DELETE FROM nvr_users WHERE name = $1 RETURNING role", 1, p, &res);
    if (rc)
        return console_reply_catalog_down(r);
    int found = PQntuples(res) == 1;
    PQclear(res);
    if (!found)
        return http_reply_error(r, 404, "no such user");
    console_log(c, console_user(r)->name, http_client_address(r), "user_deleted", "", "", name);
    struct http_body b;
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    fputs("{\"name\":", b.f);
    json_write_string(b.f, name);
    fputs(",\"deleted\":true}\n", b.f);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

http_result console_tokens_create(struct http_request *r, struct nvr *nvr)
{
    struct console *c = console_of(nvr);
    const char *name = http_param(r, 0);
    char label[128] = "", err[160], secret[CONSOLE_SECRET_LEN];
    uint8_t hash[32];
    http_result ret;
    json_t *o = http_json_body(r, &ret);
    if (!o)
        return ret;
    if (http_json_text(o, "label", 0, label, sizeof label, err, sizeof err)) {
        json_decref(o);
        return http_reply_error(r, 400, "%s", err);
    }
    json_decref(o);
    nvr_err rc = issue(c, name, "api", label, API_TOKEN_US, secret, hash);
    if (rc == NVR_EIO)
        return http_reply_error(r, 404, "no such user");
    if (rc)
        return console_reply_catalog_down(r);
    console_log(c, console_user(r)->name, http_client_address(r), "token_created", "", "", name);
    struct http_body b;
    if (http_body_open(&b)) {
        sodium_memzero(secret, sizeof secret);
        return http_reply_error(r, 500, "out of memory");
    }
    char id[17];
    sodium_bin2hex(id, sizeof id, hash, 8);
    fputs("{\"id\":", b.f);
    json_write_string(b.f, id);
    fputs(",\"user\":", b.f);
    json_write_string(b.f, name);
    fputs(",\"token\":", b.f);
    json_write_string(b.f, secret);
    fputs(",\"expires\":", b.f);
    json_write_time(b.f, nvr_clock_now_us() + API_TOKEN_US);
    fputs("}\n", b.f);
    sodium_memzero(secret, sizeof secret);
    return http_body_send(r, &b, 201, "application/json", "no-store");
}
