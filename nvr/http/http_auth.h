/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_auth.h - the guard every request passes (authentication, CSRF,
 * role, camera permission) and the routes for sessions, first setup, users,
 * API tokens and the access log (docs/ref/http-api.md, docs/design/security.md).
 *
 * Threads: HTTP worker threads (libmicrohttpd), one request each.  The guard
 * runs before every handler and attaches the signed-in user to the request
 * (http_set_user), which owns it; accounts, sessions and tokens live in
 * struct auth (core/auth.h), reached through struct nvr
 * (docs/design/overview.md, Threads).
 */
#ifndef NVR_HTTP_AUTH_H
#define NVR_HTTP_AUTH_H

#include "core/auth.h"
#include "http/http_server.h"

/* The guard (http_server_set_guard). */
http_result http_auth_guard(struct http_request *r, const struct http_route *route, struct nvr *nvr);

/* The signed-in user of the request (NULL on a public route without one). */
const struct auth_user *http_auth_user(const struct http_request *r);

/* The camera's config if it is configured and the request's user may see
 * it, else NULL (callers answer unknown and forbidden alike). */
const struct nvr_camera_config *http_auth_camera(const struct http_request *r, const struct nvr *nvr, const char *id);

/* The name to record as operator ("" if nobody is signed in). */
const char *http_auth_name(const struct http_request *r);

/* Records an access-log entry for this request's user and address. */
void http_auth_log(struct http_request *r, struct nvr *nvr, const char *action, const char *camera, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6)));

/* Adds the Set-Cookie of the session cookie (value "" and 0 clear it). */
void http_auth_set_cookie(struct http_request *r, const char *value, int64_t max_age_s);

http_result http_session_create(struct http_request *r, struct nvr *nvr);
http_result http_session_get(struct http_request *r, struct nvr *nvr);
http_result http_session_delete(struct http_request *r, struct nvr *nvr);
/* POST /api/v1/session/totp {"ticket", "code" | "recovery_code"}: the second
 * step of a sign-in (public; docs/ref/http-api.md). */
http_result http_session_totp(struct http_request *r, struct nvr *nvr);
http_result http_setup(struct http_request *r, struct nvr *nvr);
/* GET /api/v1/setup: {"open": bool}, whether the first admin may still be made (public). */
http_result http_setup_state(struct http_request *r, struct nvr *nvr);
http_result http_users_list(struct http_request *r, struct nvr *nvr);
http_result http_users_create(struct http_request *r, struct nvr *nvr);
http_result http_users_update(struct http_request *r, struct nvr *nvr);
http_result http_users_delete(struct http_request *r, struct nvr *nvr);
http_result http_tokens_create(struct http_request *r, struct nvr *nvr);
http_result http_tokens_revoke(struct http_request *r, struct nvr *nvr);
http_result http_access_log(struct http_request *r, struct nvr *nvr);

#endif
