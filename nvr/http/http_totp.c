/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_totp.c - enrolment, disabling and the admin's reset of the TOTP
 * second factor (see http_totp.h).  Secrets and recovery codes appear
 * only in the one answer that shows them (no-store), never in a log.
 */
#include "http/http_totp.h"

#include "base/err.h"
#include "base/json.h"
#include "core/nvr.h"
#include "http/http_auth.h"
#include "http/http_json.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The session's local user, or NULL after answering 403/400 into *ret. */
static const struct user *session_user(struct http_request *r, http_result *ret)
{
    const struct auth_user *u = http_auth_user(r);
    if (u->via_token) {
        *ret = http_reply_error(r, 403, "sign in with a password to change a second factor (not with an API token)");
        return NULL;
    }
    if (u->u.source[0] && strcmp(u->u.source, "local") != 0) {
        *ret = http_reply_error(r, 400, "a directory account's second factor is its directory's");
        return NULL;
    }
    return &u->u;
}

http_result http_totp_get(struct http_request *r, struct nvr *nvr)
{
    const struct auth_user *u = http_auth_user(r);
    int enabled = 0, left = 0;
    int rc = auth_totp_status(nvr->auth, &u->u, &enabled, &left);
    if (rc)
        return http_reply_error(r, 500, "cannot read the second factor: %s", nvr_strerror(rc));
    struct http_body b;
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    fprintf(b.f, "{\"enabled\":%s,\"required\":%s,\"recovery_codes_left\":%d}\n", enabled ? "true" : "false",
            auth_totp_required(nvr->auth, &u->u) ? "true" : "false", left);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

http_result http_totp_begin(struct http_request *r, struct nvr *nvr)
{
    char secret[TOTP_B32_LEN], uri[TOTP_URI_LEN];
    http_result ret;
    const struct user *u = session_user(r, &ret);
    if (!u)
        return ret;
    int rc = auth_totp_begin(nvr->auth, u, secret, uri);
    if (rc == NVR_EINVAL)
        return http_reply_error(r, 409, "a second factor is already enabled: disable it first");
    if (rc)
        return http_reply_error(r, 500, "cannot begin enrolment: %s", nvr_strerror(rc));
    struct http_body b;
    if (http_body_open(&b)) {
        ret = http_reply_error(r, 500, "out of memory");
        goto out;
    }
    fputs("{\"secret\":", b.f);
    json_write_string(b.f, secret);
    fputs(",\"uri\":", b.f);
    json_write_string(b.f, uri);
    fprintf(b.f, ",\"digits\":%d,\"period\":%d,\"algorithm\":\"SHA1\"}\n", TOTP_DIGITS, TOTP_STEP_S);
    ret = http_body_send(r, &b, 200, "application/json", "no-store");
out:
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(uri, sizeof uri);
    return ret;
}

http_result http_totp_confirm(struct http_request *r, struct nvr *nvr)
{
    char code[32], err[160], codes[TOTP_RECOVERY_CODES][TOTP_RECOVERY_LEN];
    http_result ret;
    const struct user *u = session_user(r, &ret);
    if (!u)
        return ret;
    json_t *o = http_json_body(r, &ret);
    if (!o)
        return ret;
    if (http_json_text(o, "code", 1, code, sizeof code, err, sizeof err)) {
        ret = http_reply_error(r, 400, "%s", err);
        goto out;
    }
    int rc = auth_totp_confirm(nvr->auth, u, code, http_client_address(r), codes);
    if (rc == NVR_ENOTFOUND) {
        ret = http_reply_error(r, 409, "no enrolment to confirm: begin one first");
        goto out;
    }
    if (rc == NVR_EAUTH) {
        ret = http_reply_error(r, 400, "wrong code: check the authenticator's clock and the secret");
        goto out;
    }
    if (rc) {
        ret = http_reply_error(r, 500, "cannot enable the second factor: %s", nvr_strerror(rc));
        goto out;
    }
    struct http_body b;
    if (http_body_open(&b)) {
        ret = http_reply_error(r, 500, "out of memory");
        goto out;
    }
    fputs("{\"enabled\":true,\"recovery_codes\":[", b.f);
    for (int i = 0; i < TOTP_RECOVERY_CODES; i++) {
        fputs(i ? "," : "", b.f);
        json_write_string(b.f, codes[i]);
    }
    fputs("]}\n", b.f);
    ret = http_body_send(r, &b, 200, "application/json", "no-store");
out:
    sodium_memzero(codes, sizeof codes);
    sodium_memzero(code, sizeof code);
    json_decref(o);
    return ret;
}

http_result http_totp_disable(struct http_request *r, struct nvr *nvr)
{
    char code[32], pw[300], err[160];
    http_result ret;
    const struct user *u = session_user(r, &ret);
    if (!u)
        return ret;
    json_t *o = http_json_body(r, &ret);
    if (!o)
        return ret;
    if (http_json_text(o, "code", 0, code, sizeof code, err, sizeof err) ||
        http_json_text(o, "password", 0, pw, sizeof pw, err, sizeof err)) {
        ret = http_reply_error(r, 400, "%s", err);
        goto out;
    }
    if (!code[0] == !pw[0]) {
        ret = http_reply_error(r, 400, "give either a current code or the password");
        goto out;
    }
    int rc = auth_totp_disable(nvr->auth, u, code[0] ? code : NULL, pw[0] ? pw : NULL, http_client_address(r));
    if (rc == NVR_ENOTFOUND)
        ret = http_reply_error(r, 409, "no second factor is enabled");
    else if (rc == NVR_ETIMEDOUT)
        ret = http_reply_error(r, 429, "too many wrong codes or passwords from this address: try again later");
    else if (rc == NVR_EAUTH)
        ret = http_reply_error(r, 403, "wrong or already used code, or wrong password");
    else if (rc)
        ret = http_reply_error(r, 500, "cannot disable the second factor: %s", nvr_strerror(rc));
    else {
        char *body = strdup("{\"enabled\":false}\n");
        ret = body ? http_reply(r, 200, "application/json", body, strlen(body), "no-store")
                   : http_reply_error(r, 500, "out of memory");
    }
out:
    sodium_memzero(pw, sizeof pw);
    sodium_memzero(code, sizeof code);
    json_decref(o);
    return ret;
}

http_result http_totp_reset(struct http_request *r, struct nvr *nvr)
{
    const char *name = http_param(r, 0);
    int rc = auth_totp_reset(nvr->auth, http_auth_name(r), http_client_address(r), name);
    if (rc == NVR_ENOTFOUND)
        return http_reply_error(r, 404, "no such user, or the user has no second factor");
    if (rc)
        return http_reply_error(r, 500, "cannot reset the second factor: %s", nvr_strerror(rc));
    struct http_body b;
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    fputs("{\"user\":", b.f);
    json_write_string(b.f, name);
    fputs(",\"totp\":false}\n", b.f);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}
