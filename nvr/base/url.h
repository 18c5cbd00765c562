/*
 * url.h - camera URL helpers: credentials redaction and splitting.
 *
 * Camera URLs carry passwords (rtsp://user:secret@host/...).  Anything that
 * shows a URL to a person -- logs, the API, the UI, the CLI -- goes through
 * nvr_url_redact() first, which turns it into rtsp://user:***@host/... .
 */
#ifndef NVR_BASE_URL_H
#define NVR_BASE_URL_H

#include <stddef.h>

/* Writes url with its password replaced by "***" into out (always
 * NUL-terminated, truncated to n).  A URL without a password is copied as is. */
void nvr_url_redact(const char *url, char *out, size_t n);

/* Same for free text: every "scheme://user:password@" inside text is redacted. */
void nvr_url_redact_text(const char *text, char *out, size_t n);

#endif
