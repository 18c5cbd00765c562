/* SPDX-License-Identifier: Apache-2.0 */
/*
 * totp_store.h - the TOTP second factor of local accounts in the index
 * (migration 15; docs/design/security.md, "Second factor").
 *
 * A user has at most one TOTP row: made pending by totp_store_begin (a new
 * secret, not yet asked for at sign-in), enabled by totp_store_enable once
 * the user proved a first code, deleted by totp_store_delete (disable, an
 * admin's reset, `nvr user totp-reset`, or the user's deletion by cascade).
 *
 * Invariants:
 *   1. The secret is stored as is (a code can only be checked against it);
 *      recovery codes only as SHA-256, and only while enabled.
 *   2. last_step only grows: totp_store_use_step accepts a step only if it
 *      is above the last one accepted, in one UPDATE, so two requests with
 *      the same code cannot both pass (replay).
 *   3. A recovery code is used at most once (used_us set in one UPDATE).
 *
 * Threads: any thread (the index serialises).
 */
#ifndef NVR_STORAGE_TOTP_STORE_H
#define NVR_STORAGE_TOTP_STORE_H

#include "base/err.h"
#include "storage/index.h"

#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_BYTES 20 /* RFC 4226's recommended 160 bits */
#define TOTP_RECOVERY_CODES 10

struct totp_state {
    int enabled;       /* 0: pending (begun, not confirmed) */
    int64_t last_step; /* the last time step accepted (0: none) */
    uint8_t secret[TOTP_SECRET_BYTES];
    int recovery_left; /* unused recovery codes */
};

/* The user's TOTP row.  NVR_ENOTFOUND if there is none. */
nvr_err totp_store_get(nvr_index *ix, int64_t user_id, struct totp_state *out);

/* Stores a new pending secret, replacing a pending one.  NVR_EINVAL if the
 * user's TOTP is already enabled. */
nvr_err totp_store_begin(nvr_index *ix, int64_t user_id, const uint8_t secret[TOTP_SECRET_BYTES], int64_t now_us);

/* Enables the pending secret with step as the last accepted step, and
 * replaces the recovery codes by the n hashes.  NVR_ENOTFOUND if nothing is
 * pending (none, or already enabled). */
nvr_err totp_store_enable(nvr_index *ix, int64_t user_id, int64_t step, const uint8_t (*hashes)[32], size_t n);

/* Accepts step for an enabled TOTP if it is above the last accepted one.
 * NVR_ENOTFOUND otherwise (a replay, or not enabled). */
nvr_err totp_store_use_step(nvr_index *ix, int64_t user_id, int64_t step);

/* Uses the unused recovery code whose SHA-256 is hash.  NVR_ENOTFOUND if
 * there is none. */
nvr_err totp_store_use_recovery(nvr_index *ix, int64_t user_id, const uint8_t hash[32], int64_t now_us);

/* Deletes the user's TOTP and recovery codes.  NVR_ENOTFOUND if there was
 * no TOTP row. */
nvr_err totp_store_delete(nvr_index *ix, int64_t user_id);

#endif
