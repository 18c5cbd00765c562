/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_totp.h - the routes of the TOTP second factor: a signed-in local
 * account enrols and disables its own (with a session, never an API
 * token), an admin resets another's (docs/ref/http-api.md, "Second
 * factor"; docs/design/security.md).  The sign-in's second step,
 * POST /api/v1/session/totp, is in http_auth.c with the rest of sign-in.
 *
 * Threads: HTTP worker threads (libmicrohttpd), one request each; the
 * handlers keep no state of their own: what they share lives in struct nvr
 * (docs/design/overview.md, Threads).
 */
#ifndef NVR_HTTP_TOTP_H
#define NVR_HTTP_TOTP_H

#include "http/http_server.h"

struct nvr;

/* GET /api/v1/account/totp: {"enabled","required","recovery_codes_left"}. */
http_result http_totp_get(struct http_request *r, struct nvr *nvr);
/* POST /api/v1/account/totp: begins enrolment: {"secret","uri"}. */
http_result http_totp_begin(struct http_request *r, struct nvr *nvr);
/* POST /api/v1/account/totp/confirm {"code"}: {"enabled":true,"recovery_codes":[...]}. */
http_result http_totp_confirm(struct http_request *r, struct nvr *nvr);
/* POST /api/v1/account/totp/disable {"code"} or {"password"}: {"enabled":false}. */
http_result http_totp_disable(struct http_request *r, struct nvr *nvr);
/* DELETE /api/v1/users/{name}/totp (admin): {"user","totp":false}. */
http_result http_totp_reset(struct http_request *r, struct nvr *nvr);

#endif
