/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_oidc.h - the routes of OpenID Connect sign-in (core/oidc.h) and of
 * the sign-in methods the login page offers (docs/ref/http-api.md).
 *
 *   GET /api/v1/auth/methods   {"password":true,"oidc":{"label","start"}|null}
 *   GET /api/v1/oidc/start     302 to the provider (?return=PATH: where to go after)
 *   GET /api/v1/oidc/callback  the provider's answer: 302 to PATH with the
 *                              session cookie, or to /login.html?error=CODE
 * All three are public; the sign-in itself ends in auth_directory_login and
 * auth_session_create, exactly as a password sign-in.
 *
 * Threads: HTTP worker threads (libmicrohttpd), one request each; the
 * handlers keep no state of their own: what they share lives in struct nvr
 * (docs/design/overview.md, Threads).  Sign-ins in progress are kept in
 * struct oidc, under its own mutex (core/oidc.h).
 */
#ifndef NVR_HTTP_OIDC_H
#define NVR_HTTP_OIDC_H

#include "http/http_server.h"

http_result http_auth_methods(struct http_request *r, struct nvr *nvr);
http_result http_oidc_start(struct http_request *r, struct nvr *nvr);
http_result http_oidc_callback(struct http_request *r, struct nvr *nvr);

#endif
