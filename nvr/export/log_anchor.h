/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log_anchor.h - signed checkpoints of the access log (storage/access_log.h)
 * with the recorder's Ed25519 key (sign.h): written at start, every
 * LOG_ANCHOR_INTERVAL_US or LOG_ANCHOR_ROWS new entries while `nvr run`
 * runs, at every export and at shutdown; each is also written to the
 * server log (stderr: the journal / syslog under systemd), a copy outside
 * the index.  `nvr verify --log` checks them (docs/design/security.md).
 *
 * Threads: any thread (the index serialises; a key is immutable).
 */
#ifndef NVR_EXPORT_LOG_ANCHOR_H
#define NVR_EXPORT_LOG_ANCHOR_H

#include "base/err.h"
#include "export/sign.h"
#include "storage/index.h"

#include <stdint.h>
#include <stdio.h>

#define LOG_ANCHOR_INTERVAL_US (10LL * 60 * 1000000) /* a checkpoint at least this often ... */
#define LOG_ANCHOR_ROWS 1000                         /* ... or after this many new entries */

/* Appends a checkpoint signed by k (reason: "start", "periodic", "export",
 * "shutdown") and logs it. */
int log_anchor_write(nvr_index *ix, const struct sign_key *k, const char *reason);

/* The periodic part: call every few seconds; writes a checkpoint when the
 * log has new entries and the last checkpoint (of this state) is
 * LOG_ANCHOR_INTERVAL_US old or LOG_ANCHOR_ROWS entries behind. */
struct log_anchor_state {
    int64_t last_us, last_id;
};
void log_anchor_tick(struct log_anchor_state *s, nvr_index *ix, const struct sign_key *k, int64_t now_us);

/* Verifies the access log with its checkpoints' signatures checked against
 * the key with fingerprint trusted_fpr whose public key is pem (NULL: the
 * signatures are not checked).  As access_log_verify_opts. */
nvr_err log_anchor_verify(nvr_index *ix, const char *pem, const char *trusted_fpr, FILE *report, int *problems);

#endif
