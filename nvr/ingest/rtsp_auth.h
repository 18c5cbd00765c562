/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtsp_auth.h - answers to an RTSP server's WWW-Authenticate challenge:
 * Basic, and Digest (RFC 2617 and RFC 7616: algorithm MD5, MD5-sess,
 * SHA-256 or SHA-256-sess; qop=auth or none).  Not supported: qop=auth-int
 * alone and SHA-512-256 (NVR_EINVAL; the client then looks for another
 * challenge); userhash is not used (RFC 7616 leaves it to the client).
 *
 * Threads: no state; any thread.
 */
#ifndef NVR_RTSP_AUTH_H
#define NVR_RTSP_AUTH_H

#include "base/err.h"

#include <stddef.h>

/* Builds the Authorization header value for method/uri from a
 * WWW-Authenticate challenge into out.  Returns NVR_OK, NVR_EINVAL for an
 * unknown scheme, NVR_ENOMEM. cnonce may be NULL (then random). */
nvr_err rtsp_auth_header(const char *challenge, const char *user, const char *password, const char *method,
                         const char *uri, unsigned nc, const char *cnonce, char *out, size_t outlen);

/* Digest algorithms we answer. */
enum rtsp_digest_alg { RTSP_DIGEST_MD5 = 0, RTSP_DIGEST_SHA256 = 1 };

/* The algorithm named by a challenge's algorithm= value (any case):
 * RTSP_DIGEST_MD5 or RTSP_DIGEST_SHA256, *sess (may be NULL) set for the
 * -sess variants; -1 for one we do not support. */
int rtsp_auth_digest_algorithm(const char *name, int *sess);

/* Finds parameter key of a challenge's parameter list (key=value or
 * key="value", comma-separated) and copies its value into out.  Returns 1
 * if found, 0 if not. */
int rtsp_auth_param(const char *params, const char *key, char *out, size_t n);

#endif
