/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dir_store.c - the dirs table (see dir_store.h; migration 10).
 */
#include "storage/dir_store.h"
#include "storage/index_stmt.h"

#include "base/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nvr_err dir_store_list(nvr_index *ix, struct dir_row **out, size_t *n)
{
    index_stmt st;
    struct dir_row *v = NULL;
    size_t len = 0, cap = 0;
    int s;
    nvr_err rc = NVR_OK;
    *out = NULL;
    *n = 0;
    index_lock(ix);
    index_prepare(&st, ix, "SELECT id, path, uuid, added_us FROM dirs ORDER BY id", "dir_store_list");
    while ((s = index_step(&st)) == INDEX_ROW) {
        if ((rc = index_grow(&v, &cap, len, sizeof *v)))
            break;
        struct dir_row *r = &v[len++];
        memset(r, 0, sizeof *r);
        r->id = index_col_int64(&st, 0);
        index_col_text(&st, 1, r->path, sizeof r->path);
        index_col_text(&st, 2, r->uuid, sizeof r->uuid);
        r->added_us = index_col_int64(&st, 3);
    }
    if (rc == NVR_OK && s != NVR_OK)
        rc = s;
    index_finalize(&st);
    index_unlock(ix);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    *n = len;
    return NVR_OK;
}

nvr_err dir_store_add(nvr_index *ix, const char *path, const char *uuid, int64_t now_us, int64_t *id)
{
    index_stmt st;
    index_lock(ix);
    index_prepare(&st, ix, "INSERT INTO dirs (path, uuid, added_us) VALUES (?1, ?2, ?3)", "dir_store_add");
    index_on_constraint(&st, NVR_EINVAL);
    index_bind_text(&st, 1, path);
    index_bind_text(&st, 2, uuid);
    index_bind_int64(&st, 3, now_us);
    nvr_err rc = index_step_done(&st);
    if (rc == NVR_OK)
        *id = index_last_id(&st);
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err dir_store_set_path(nvr_index *ix, int64_t id, const char *path)
{
    index_stmt st;
    index_lock(ix);
    index_prepare(&st, ix, "UPDATE dirs SET path = ?2 WHERE id = ?1", "dir_store_set_path");
    index_on_constraint(&st, NVR_EINVAL);
    index_bind_int64(&st, 1, id);
    index_bind_text(&st, 2, path);
    nvr_err rc = index_step_change(&st);
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err dir_store_usage(nvr_index *ix, int64_t dir, struct dir_usage *u)
{
    index_stmt st;
    memset(u, 0, sizeof *u);
    index_lock(ix);
    index_prepare(&st, ix,
                  "SELECT COUNT(*), COALESCE(SUM(bytes), 0), "
                  "COALESCE(SUM(EXISTS (SELECT 1 FROM hold_cameras hc JOIN holds h ON h.id = hc.hold_id "
                  "WHERE hc.camera = s.camera AND h.released_us IS NULL AND h.start_us < s.end_us "
                  "AND h.end_us > s.start_us)), 0) FROM segments s WHERE dir = ?1",
                  "dir_store_usage");
    index_bind_int64(&st, 1, dir);
    nvr_err rc = index_step_row(&st);
    if (rc == NVR_OK) {
        u->segments = index_col_int64(&st, 0);
        u->bytes = (uint64_t)index_col_int64(&st, 1);
        u->held = index_col_int64(&st, 2);
    }
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}
