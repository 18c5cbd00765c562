/* SPDX-License-Identifier: Apache-2.0 */
/*
 * url.h - camera URL helpers: credentials redaction and splitting.
 *
 * Camera URLs carry passwords (rtsp://user:secret@host/...).  Anything that
 * shows a URL to a person -- logs, the API, the UI, the CLI -- goes through
 * nvr_url_redact() first, which turns it into rtsp://user:***@host/... .
 *
 * Threads: any; no state.
 */
#ifndef NVR_BASE_URL_H
#define NVR_BASE_URL_H

#include <stddef.h>

/* Writes url with its password replaced by "***" into out (always
 * NUL-terminated, truncated to n).  A URL without a password is copied as is. */
void nvr_url_redact(const char *url, char *out, size_t n);

/* Same for free text: every "scheme://user:password@" inside text is redacted. */
void nvr_url_redact_text(const char *text, char *out, size_t n);

/* An edited URL that still shows the password as "***" (the API and UI
 * show stored URLs redacted): if url's user-info is "USER:***" and old has
 * the same scheme, user and host[:port], writes url with old's password
 * into out and returns 1.  Returns 0 (out untouched) when url's password is
 * not "***", and -1 when it is but old is another scheme, user or host (the
 * stored password must not travel to a new place). */
int nvr_url_keep_password(const char *url, const char *old, char *out, size_t n);

#endif
