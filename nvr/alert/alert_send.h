/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert_send.h - the alert channels: e-mail over SMTP (libcurl: smtp:// with
 * STARTTLS, smtps://, authentication), a webhook (JSON body, X-NVR-Signature:
 * sha256=HEX, the HMAC-SHA256 of the body with webhook_secret) and syslog
 * (RFC 5424 over the local socket, UDP or TCP).  docs/design/alerts.md.
 *
 * Each call makes one attempt and returns NVR_OK or an error with a reason
 * in err (never a password, a secret or a URL's credentials); retrying is
 * the caller's (the outbox, alert.c).  The message is the alert's JSON
 * document as queued (alert.c alert_message_json).
 *
 * Threads: any thread; no shared state.
 */
#ifndef NVR_ALERT_SEND_H
#define NVR_ALERT_SEND_H

#include "base/err.h"
#include "base/config.h"

#include <stddef.h>

/* to: comma-separated recipients. */
nvr_err alert_send_email(const struct nvr_alerts_config *c, const char *to, const char *json, char *err, size_t n);
nvr_err alert_send_webhook(const struct nvr_alerts_config *c, const char *json, char *err, size_t n);
nvr_err alert_send_syslog(const struct nvr_alerts_config *c, const char *json, char *err, size_t n);

/* "sha256=" and the hex HMAC-SHA256 of body under secret. */
void alert_signature(const char *secret, const char *body, size_t len, char out[7 + 65]);

/* The subject line and the text of a message (for e-mail and syslog):
 * "[nvr HOST] OPEN critical: Camera lobby is offline". */
void alert_subject(const char *json, char *out, size_t n);

#endif
