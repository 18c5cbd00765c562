/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert.h - the alert engine: watches the server from above and tells a
 * person when something needs one (docs/design/alerts.md).
 *
 * Once a second its thread polls the state the layers below already keep
 * (the recorders' status and write errors, retention's status and estimates,
 * the index's damage, the access log's failed sign-ins, the audit runner's
 * verdicts, the TLS certificate and the signing key) and turns each
 * condition into at most one open incident (storage/alert_store.h), with
 * one notification when it opens and one when it resolves.  A condition
 * must hold for its threshold before it opens an incident, and must stay
 * clear for hold_down_seconds before the incident resolves: one that comes
 * back within the hold-down is a flap, counted on the same incident, not a
 * new alert.  Nothing below calls into it.
 *
 * Notifications are queued in the index (alert_outbox) and delivered by a
 * second thread, the sender, in order per channel, retried with backoff
 * (1 s doubling to 30 s, for up to 3 days), so neither a restart nor a
 * receiver that is down loses one.
 *
 * Threads: alert_engine_start/stop from the main thread; alert_engine_wake
 * and alert_send_test from any thread.
 */
#ifndef NVR_ALERT_H
#define NVR_ALERT_H

#include "base/err.h"
#include "base/config.h"

#include <stdint.h>

struct nvr;
struct alert_engine;

/* Starts the engine and the sender for nvr (borrowed: cfg, st, cams, ret,
 * audit, key, http must outlive it; any may be NULL but cfg and st).
 * Notes whether the previous run stopped cleanly (a crash is an alert).
 * *out owns it. */
nvr_err alert_engine_start(struct alert_engine **out, struct nvr *nvr);

/* Stops both threads, notes a clean stop, frees; sets *e NULL.  Tolerates NULL. */
void alert_engine_stop(struct alert_engine **e);

/* Asks the sender to look at the outbox now (an alert was queued). */
void alert_engine_wake(struct alert_engine *e);

/* Sends a test alert through every configured channel at once (not
 * queued), on the calling thread, and writes the result as JSON
 * ({"email":"sent"|"not configured"|"failed: ...", "webhook":.., "syslog":..}).
 * by names who asked.  Returns NVR_OK if no configured channel failed. */
nvr_err alert_send_test(const struct nvr_alerts_config *c, const char *by, char **json);

/* The JSON document of a notification (queued, posted to the webhook). */
char *alert_message_json(int64_t id, const char *event, const char *key, const char *kind, const char *camera,
                         const char *severity, const char *state, const char *title, const char *detail,
                         int64_t opened_us, int64_t now_us, int flaps);

#endif
