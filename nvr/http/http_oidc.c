/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_oidc.c - OpenID Connect sign-in over HTTP (see http_oidc.h).
 *
 * The browser navigates here (no fetch), so failures answer with a
 * redirect to the login page and a short code (login.js says what it
 * means), never with the provider's words; the log gets one line with the
 * reason.  The redirect URI is [oidc] public_url + the callback path, or
 * the request's own scheme and Host (with server_name set, the guard has
 * already refused a Host not among them).  The path to go back to is only
 * ever a path on this server (oidc_return_ok): never an open redirect.
 */
#include "http/http_oidc.h"

#include "base/json.h"
#include "base/log.h"
#include "core/auth.h"
#include "core/nvr.h"
#include "core/oidc.h"
#include "http/http_auth.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALLBACK_PATH "/api/v1/oidc/callback"
#define OIDC_LOG_NAME "(oidc)" /* the name counted and logged before one is known */
#define OIDC_COOKIE "nvr_oidc" /* the browser key of a sign-in in progress */

http_result http_auth_methods(struct http_request *r, struct nvr *nvr)
{
    struct http_body b;
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    fputs("{\"password\":true,\"oidc\":", b.f);
    if (nvr->oidc) {
        fputs("{\"label\":", b.f);
        json_write_string(b.f, oidc_label(nvr->oidc));
        fputs(",\"start\":\"/api/v1/oidc/start\"}", b.f);
    } else {
        fputs("null", b.f);
    }
    fputs("}\n", b.f);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

static http_result redirect(struct http_request *r, const char *location)
{
    http_add_reply_header(r, "Location", location);
    char *body = strdup("");
    return http_reply(r, 302, "text/plain", body, 0, "no-store");
}

/* To the login page with an error code, back to ret after a sign-in there. */
static http_result to_login(struct http_request *r, const char *code, const char *ret)
{
    char loc[OIDC_RETURN_MAX * 3 + 64];
    size_t o = (size_t)snprintf(loc, sizeof loc, "/login.html?error=%s&next=", code);
    for (const unsigned char *p = (const unsigned char *)ret; *p && o + 4 < sizeof loc; p++)
        o += (size_t)((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                              strchr("-._~/", *p)
                          ? snprintf(loc + o, sizeof loc - o, "%c", *p)
                          : snprintf(loc + o, sizeof loc - o, "%%%02X", *p));
    return redirect(r, loc);
}

/* This server's callback URL as the browser reaches it; -1 if unknown. */
static int redirect_uri(struct http_request *r, const struct nvr *nvr, char *out, size_t n)
{
    const char *base = nvr->cfg->oidc.public_url, *host = http_header(r, "Host");
    int len;
    if (base)
        len = snprintf(out, n, "%s%s", base, CALLBACK_PATH);
    else if (host && *host && !strpbrk(host, "/?#@ \\"))
        len = snprintf(out, n, "%s://%s%s", http_server_is_tls(http_request_server(r)) ? "https" : "http", host,
                       CALLBACK_PATH);
    else
        return -1;
    return len > 0 && (size_t)len < n ? 0 : -1;
}

/* Sets (or with "" clears) the browser key cookie: only for the callback's
 * path, and SameSite=Lax, since the provider's redirect back is a
 * cross-site navigation that a Strict cookie would not come with. */
static void key_cookie(struct http_request *r, const char *value)
{
    char c[160];
    snprintf(c, sizeof c, "%s=%s; Path=%s; HttpOnly; SameSite=Lax; Max-Age=%d%s", OIDC_COOKIE, value, CALLBACK_PATH,
             *value ? (int)(OIDC_PENDING_US / 1000000) : 0,
             http_server_is_tls(http_request_server(r)) ? "; Secure" : "");
    http_add_reply_header(r, "Set-Cookie", c);
}

/* The browser key from the Cookie header into out; NULL if absent. */
static const char *key_from_cookie(struct http_request *r, char out[OIDC_KEY_LEN])
{
    const char *h = http_header(r, "Cookie");
    size_t nl = strlen(OIDC_COOKIE);
    for (const char *p = h; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        size_t l = strcspn(p, ";");
        if (l > nl && strncmp(p, OIDC_COOKIE, nl) == 0 && p[nl] == '=' && l - nl - 1 < OIDC_KEY_LEN) {
            memcpy(out, p + nl + 1, l - nl - 1);
            out[l - nl - 1] = '\0';
            return out;
        }
        p += l;
    }
    return NULL;
}

http_result http_oidc_start(struct http_request *r, struct nvr *nvr)
{
    const char *ret = http_query(r, "return");
    char uri[512], key[OIDC_KEY_LEN], *url = NULL;
    if (!nvr->oidc)
        return http_reply_error(r, 404, "OpenID Connect sign-in is not configured ([oidc])");
    if (!ret || !*ret)
        ret = "/";
    if (!oidc_return_ok(ret))
        return http_reply_error(r, 400, "return must be a path on this server, such as /playback.html");
    if (redirect_uri(r, nvr, uri, sizeof uri))
        return http_reply_error(r, 400, "no usable Host header to build the redirect URI from");
    enum oidc_fail f = oidc_start(nvr->oidc, uri, ret, &url, key);
    if (!f && strlen(url) >= 2048) { /* http_add_reply_header's limit */
        free(url);
        url = NULL;
        f = OIDC_FAIL_PROVIDER;
    }
    if (f) {
        nvr_log(NVR_WARN, NULL, "oidc sign-in cannot start: the provider cannot be reached address=%s",
                http_client_address(r));
        return to_login(r, oidc_fail_code(f), ret);
    }
    key_cookie(r, key);
    sodium_memzero(key, sizeof key);
    http_result res = redirect(r, url);
    free(url);
    return res;
}

/* The directory said yes: the account, then a session as for a password. */
static http_result signed_in(struct http_request *r, struct nvr *nvr, struct user *u, const char *ret)
{
    const char *addr = http_client_address(r);
    char cookie[AUTH_SECRET_LEN], csrf[USER_CSRF_LEN];
    nvr_err rc = auth_directory_login(nvr->auth, "oidc", u, addr);
    if (rc == NVR_ETIMEDOUT)
        return to_login(r, "oidc_blocked", ret);
    if (rc == NVR_EAUTH) {
        nvr_log(NVR_WARN, NULL, "oidc sign-in refused user=%s address=%s", u->name, addr);
        return to_login(r, u->role ? "oidc_account" : "oidc_no_role", ret);
    }
    if (rc || (rc = auth_session_create(nvr->auth, u, addr, cookie, csrf))) {
        nvr_log(NVR_ERROR, NULL, "oidc sign-in cannot store the account user=%s error=\"%s\"", u->name,
                nvr_strerror(rc));
        return to_login(r, "oidc_error", ret);
    }
    http_auth_set_cookie(r, cookie, AUTH_ABSOLUTE_US / 1000000);
    sodium_memzero(cookie, sizeof cookie);
    nvr_log(NVR_INFO, NULL, "oidc sign-in user=%s role=%s address=%s", u->name, users_role_name(u->role), addr);
    return redirect(r, ret);
}

http_result http_oidc_callback(struct http_request *r, struct nvr *nvr)
{
    const char *addr = http_client_address(r), *state = http_query(r, "state");
    char ret[OIDC_RETURN_MAX], why[96], detail[160], key[OIDC_KEY_LEN];
    http_result res;
    if (!nvr->oidc)
        return http_reply_error(r, 404, "OpenID Connect sign-in is not configured ([oidc])");
    key_cookie(r, ""); /* one sign-in, one key: cleared whatever happens */
    if (auth_login_wait_us(nvr->auth, OIDC_LOG_NAME, addr) > 0) {
        auth_log_anon(nvr->auth, OIDC_LOG_NAME, addr, "login_blocked", "too many failed logins");
        return to_login(r, "oidc_blocked", "/");
    }
    if (http_query(r, "error")) { /* the provider said no (the user cancelled, no consent) */
        oidc_forget(nvr->oidc, state, ret);
        nvr_log(NVR_INFO, NULL, "oidc sign-in declined by the provider address=%s", addr);
        return to_login(r, "oidc_denied", ret);
    }
    struct user *u = calloc(1, sizeof *u);
    if (!u)
        return http_reply_error(r, 500, "out of memory");
    enum oidc_fail f =
        oidc_finish(nvr->oidc, state, key_from_cookie(r, key), http_query(r, "code"), u, ret, why, sizeof why);
    if (f == OIDC_OK || f == OIDC_FAIL_NO_ROLE) {
        res = signed_in(r, nvr, u, ret); /* no role: refused and counted there, under the user's name */
    } else {
        nvr_log(NVR_WARN, NULL, "oidc sign-in failed code=%s reason=\"%s\" address=%s", oidc_fail_code(f), why, addr);
        snprintf(detail, sizeof detail, "source=oidc %s", why);
        auth_directory_failed(nvr->auth, u->name[0] ? u->name : OIDC_LOG_NAME, addr, detail);
        res = to_login(r, oidc_fail_code(f), ret);
    }
    sodium_memzero(u, sizeof *u);
    free(u);
    return res;
}
