/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert_store.h - the alerts tables (migration 9; docs/design/alerts.md):
 * incidents with their state (open, acknowledged, resolved), the outbox of
 * notifications not yet delivered (so a restart or a receiver that is down
 * loses none), and a few values the alert engine keeps between runs.
 *
 * Threads: any thread (the index serialises; each call is one statement).
 */
#ifndef NVR_STORAGE_ALERT_STORE_H
#define NVR_STORAGE_ALERT_STORE_H

#include "base/err.h"
#include "storage/index.h"

#include <stddef.h>
#include <stdint.h>

#define ALERT_KEY_MAX 160
#define ALERT_TEXT_MAX 512

struct alert_row {
    int64_t id;
    char key[ALERT_KEY_MAX];   /* "camera_offline:lobby": one open incident per key */
    char kind[32];             /* "camera_offline", "storage_low", ... */
    char camera[INDEX_ID_MAX]; /* "" if none */
    char severity[16];         /* "critical", "warning" */
    char state[16];            /* "open", "acknowledged", "resolved" */
    char title[256];
    char detail[ALERT_TEXT_MAX];
    int64_t opened_us, updated_us;
    int64_t resolved_us, acked_us; /* 0 if not */
    char acked_by[INDEX_ID_MAX];
    int flaps; /* times the condition cleared and came back within the hold-down */
};

/* Inserts an open incident (in->id, state, times ignored); *id gets its id. */
nvr_err alert_store_insert(nvr_index *ix, const struct alert_row *in, int64_t now_us, int64_t *id);

/* Sets detail and flaps of incident id. */
nvr_err alert_store_update(nvr_index *ix, int64_t id, const char *detail, int flaps, int64_t now_us);

/* Marks incident id resolved. */
nvr_err alert_store_resolve(nvr_index *ix, int64_t id, int64_t now_us);

/* Acknowledges incident id by user: an open one becomes acknowledged, a
 * resolved one stays resolved (the acknowledgement is noted).  *out (may
 * be NULL) gets the row.  NVR_ENOTFOUND if there is none. */
nvr_err alert_store_ack(nvr_index *ix, int64_t id, const char *user, int64_t now_us, struct alert_row *out);

/* Incident id into *out; NVR_ENOTFOUND if none. */
nvr_err alert_store_get(nvr_index *ix, int64_t id, struct alert_row *out);

/* Incidents, newest first: state NULL for all, "active" for open and
 * acknowledged, else that state; at most limit.  *out is malloc'ed
 * (free()), NULL when none. */
nvr_err alert_store_list(nvr_index *ix, const char *state, int limit, struct alert_row **out, size_t *n);

struct alert_outbox_row {
    int64_t id;
    char channel[16]; /* "email", "webhook", "syslog" */
    char *target;     /* recipients for e-mail, else "" */
    char *body;       /* the alert as JSON */
    int attempts;
    int64_t next_us, created_us;
};

/* Queues body for channel. */
nvr_err alert_outbox_add(nvr_index *ix, const char *channel, const char *target, const char *body, int64_t now_us);

/* The oldest max queued notifications, due or not, in id order. */
nvr_err alert_outbox_list(nvr_index *ix, int max, struct alert_outbox_row **out, size_t *n);
void alert_outbox_free(struct alert_outbox_row **rows, size_t n);

/* Delivered (or given up): removes it. */
nvr_err alert_outbox_done(nvr_index *ix, int64_t id);

/* Failed: next attempt at next_us. */
nvr_err alert_outbox_retry(nvr_index *ix, int64_t id, int attempts, int64_t next_us, const char *error);

/* Notifications queued now. */
nvr_err alert_outbox_count(nvr_index *ix, int64_t *n);

/* The engine's values between runs: NVR_ENOTFOUND if key has none. */
nvr_err alert_meta_get(nvr_index *ix, const char *key, char *val, size_t n);
nvr_err alert_meta_set(nvr_index *ix, const char *key, const char *val);

#endif
