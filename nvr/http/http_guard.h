/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_guard.h - the checks a guard makes around who is asking, shared by
 * the recorder's guard (http_auth.c) and the console's (console_auth.c) so
 * both servers refuse the same requests the same way
 * (docs/design/security.md):
 *   - a state-changing request (not GET or HEAD) with a body must say
 *     application/json (a form post from another site cannot);
 *   - a state-changing request made with a session cookie must carry the
 *     session's CSRF token and, if it has an Origin, this server's own
 *     (scheme://Host); one made with a Bearer token needs neither.
 *
 * Threads: the HTTP server's; no state.
 */
#ifndef NVR_HTTP_GUARD_H
#define NVR_HTTP_GUARD_H

#include "http/http_server.h"

/* Whether the request's method changes state (anything but GET and HEAD). */
int http_is_state_change(const struct http_request *r);

/* Whether the Origin header names this server; a request without one is
 * accepted unless required. */
int http_origin_ok(const struct http_request *r, int required);

/* A 415 answer for a state-changing request whose body is not JSON;
 * HTTP_PASS for every other request. */
http_result http_guard_json_body(struct http_request *r);

/* Whether a request passes the CSRF rule above: 1 when it changes nothing
 * or came with a Bearer token (via_token), else the X-CSRF-Token header
 * must equal csrf (compared in constant time) and Origin, required here,
 * must be this server. */
int http_csrf_ok(const struct http_request *r, int via_token, const char *csrf);

/* A public route's answer: a state-changing request from another site's
 * page (an Origin not this server's) is refused 403; otherwise the request
 * passes, with user attached when signed in (rc NVR_OK; release frees it
 * with the request) and released here when not. */
http_result http_guard_public(struct http_request *r, nvr_err rc, void *user, void (*release)(void *user));

#endif
