/*
 * rtsp_auth.h - answers to an RTSP server's WWW-Authenticate challenge:
 * Basic, and Digest (RFC 2617: MD5 or MD5-sess, qop=auth or none).
 *
 * Threads: no state; any thread.
 */
#ifndef NVR_RTSP_AUTH_H
#define NVR_RTSP_AUTH_H

#include <stddef.h>

/* Builds the Authorization header value for method/uri from a
 * WWW-Authenticate challenge into out.  Returns NVR_OK, NVR_EINVAL for an
 * unknown scheme, NVR_ENOMEM. cnonce may be NULL (then random). */
int rtsp_auth_header(const char *challenge, const char *user, const char *password, const char *method,
                     const char *uri, unsigned nc, const char *cnonce, char *out, size_t outlen);

/* Finds parameter key of a challenge's parameter list (key=value or
 * key="value", comma-separated) and copies its value into out.  Returns 1
 * if found, 0 if not. */
int rtsp_auth_param(const char *params, const char *key, char *out, size_t n);

#endif
