/* SPDX-License-Identifier: Apache-2.0 */
/* http_guard.c - the checks shared by the recorder's and the console's
 * guards (http_guard.h). */
#include "http/http_guard.h"

#include <sodium.h>
#include <string.h>

int http_is_state_change(const struct http_request *r)
{
    const char *m = http_method(r);
    return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0;
}

int http_origin_ok(const struct http_request *r, int required)
{
    const char *origin = http_header(r, "Origin"), *host = http_header(r, "Host");
    if (!origin)
        return !required;
    if (!host)
        return 0;
    const char *scheme = http_server_is_tls(http_request_server(r)) ? "https://" : "http://";
    size_t sl = strlen(scheme);
    return strncmp(origin, scheme, sl) == 0 && strcmp(origin + sl, host) == 0;
}

http_result http_guard_json_body(struct http_request *r)
{
    size_t blen = 0;
    http_body(r, &blen);
    if (!http_is_state_change(r) || blen == 0)
        return HTTP_PASS;
    const char *ct = http_header(r, "Content-Type");
    if (!ct || strncmp(ct, "application/json", 16) != 0 || (ct[16] != '\0' && ct[16] != ';'))
        return http_reply_error(r, 415, "request bodies must be application/json");
    return HTTP_PASS;
}

int http_csrf_ok(const struct http_request *r, int via_token, const char *csrf)
{
    if (via_token || !http_is_state_change(r))
        return 1;
    const char *t = http_header(r, "X-CSRF-Token");
    size_t n = strlen(csrf);
    return t && n && strlen(t) == n && sodium_memcmp(t, csrf, n) == 0 && http_origin_ok(r, 1);
}

http_result http_guard_public(struct http_request *r, nvr_err rc, void *user, void (*release)(void *user))
{
    if (http_is_state_change(r) && !http_origin_ok(r, 0)) {
        release(user);
        return http_reply_error(r, 403, "cross-site request refused");
    }
    if (rc == NVR_OK)
        http_set_user(r, user, release);
    else
        release(user);
    return HTTP_PASS;
}
