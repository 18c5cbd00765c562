/* SPDX-License-Identifier: Apache-2.0 */
/*
 * totp_store.c - TOTP secrets and recovery codes in the index (see
 * totp_store.h; schema in docs/design/index.md, migration 15).
 */
#include "storage/totp_store.h"
#include "storage/index_stmt.h"

#include "base/err.h"

#include <string.h>

nvr_err totp_store_get(nvr_index *ix, int64_t user_id, struct totp_state *out)
{
    index_stmt st;
    memset(out, 0, sizeof *out);
    index_lock(ix);
    index_prepare(&st, ix,
                  "SELECT enabled, last_step, secret, (SELECT COUNT(*) FROM user_recovery_codes r "
                  "WHERE r.user_id = ?1 AND r.used_us = 0) FROM user_totp WHERE user_id = ?1",
                  "totp_get");
    index_bind_int64(&st, 1, user_id);
    nvr_err rc = index_step_row(&st);
    if (rc == NVR_OK) {
        out->enabled = index_col_int(&st, 0);
        out->last_step = index_col_int64(&st, 1);
        if (!index_col_blob(&st, 2, out->secret, sizeof out->secret))
            rc = NVR_EDB;
        out->recovery_left = index_col_int(&st, 3);
    }
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err totp_store_begin(nvr_index *ix, int64_t user_id, const uint8_t secret[TOTP_SECRET_BYTES], int64_t now_us)
{
    index_stmt st = INDEX_STMT_INIT;
    nvr_err rc = index_begin(ix);
    if (rc)
        goto out;
    index_prepare(&st, ix,
                  "INSERT INTO user_totp(user_id, secret, enabled, last_step, created_us) VALUES (?1, ?2, 0, 0, ?3) "
                  "ON CONFLICT(user_id) DO UPDATE SET secret = excluded.secret, created_us = excluded.created_us, "
                  "last_step = 0 WHERE enabled = 0",
                  "totp_begin");
    index_bind_int64(&st, 1, user_id);
    index_bind_blob(&st, 2, secret, TOTP_SECRET_BYTES);
    index_bind_int64(&st, 3, now_us);
    rc = index_step_done(&st);
    if (rc == NVR_OK && index_changes(&st) == 0)
        rc = NVR_EINVAL; /* enabled already: the upsert's WHERE kept it */
out:
    index_finalize(&st);
    return index_end(ix, rc);
}

nvr_err totp_store_enable(nvr_index *ix, int64_t user_id, int64_t step, const uint8_t (*hashes)[32], size_t n)
{
    index_stmt st = INDEX_STMT_INIT;
    nvr_err rc = index_begin(ix);
    if (rc)
        goto out;
    index_prepare(&st, ix, "UPDATE user_totp SET enabled = 1, last_step = ?2 WHERE user_id = ?1 AND enabled = 0",
                  "totp_enable");
    index_bind_int64(&st, 1, user_id);
    index_bind_int64(&st, 2, step);
    if ((rc = index_step_change(&st)))
        goto out;
    index_finalize(&st);
    index_prepare(&st, ix, "DELETE FROM user_recovery_codes WHERE user_id = ?1", "totp_recovery");
    index_bind_int64(&st, 1, user_id);
    if ((rc = index_step_done(&st)))
        goto out;
    index_finalize(&st);
    index_prepare(&st, ix, "INSERT OR IGNORE INTO user_recovery_codes(user_id, code_hash) VALUES (?1, ?2)",
                  "totp_recovery");
    for (size_t i = 0; i < n && rc == NVR_OK; i++) {
        index_reset(&st);
        index_bind_int64(&st, 1, user_id);
        index_bind_blob(&st, 2, hashes[i], 32);
        rc = index_step_done(&st);
    }
out:
    index_finalize(&st);
    return index_end(ix, rc);
}

nvr_err totp_store_use_step(nvr_index *ix, int64_t user_id, int64_t step)
{
    index_stmt st;
    index_lock(ix);
    index_prepare(&st, ix, "UPDATE user_totp SET last_step = ?2 WHERE user_id = ?1 AND enabled = 1 AND last_step < ?2",
                  "totp_use_step");
    index_bind_int64(&st, 1, user_id);
    index_bind_int64(&st, 2, step);
    nvr_err rc = index_step_change(&st);
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err totp_store_use_recovery(nvr_index *ix, int64_t user_id, const uint8_t hash[32], int64_t now_us)
{
    index_stmt st;
    index_lock(ix);
    index_prepare(&st, ix,
                  "UPDATE user_recovery_codes SET used_us = ?3 WHERE user_id = ?1 AND code_hash = ?2 AND used_us = 0 "
                  "AND EXISTS (SELECT 1 FROM user_totp t WHERE t.user_id = ?1 AND t.enabled = 1)",
                  "totp_use_recovery");
    index_bind_int64(&st, 1, user_id);
    index_bind_blob(&st, 2, hash, 32);
    index_bind_int64(&st, 3, now_us > 0 ? now_us : 1);
    nvr_err rc = index_step_change(&st);
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err totp_store_delete(nvr_index *ix, int64_t user_id)
{
    index_stmt st = INDEX_STMT_INIT;
    nvr_err rc = index_begin(ix);
    if (rc)
        goto out;
    index_prepare(&st, ix, "DELETE FROM user_recovery_codes WHERE user_id = ?1", "totp_delete");
    index_bind_int64(&st, 1, user_id);
    if ((rc = index_step_done(&st)))
        goto out;
    index_finalize(&st);
    index_prepare(&st, ix, "DELETE FROM user_totp WHERE user_id = ?1", "totp_delete");
    index_bind_int64(&st, 1, user_id);
    rc = index_step_change(&st);
out:
    index_finalize(&st);
    return index_end(ix, rc);
}
