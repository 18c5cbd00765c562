/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_cameras.c - the api_cameras table (see api_cameras.h; migration 5).
 */
#include "storage/api_cameras.h"
#include "storage/index_stmt.h"

#include "base/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nvr_err api_cameras_list(nvr_index *ix, struct api_camera_row **out, size_t *n)
{
    index_stmt st;
    struct api_camera_row *v = NULL;
    size_t len = 0, cap = 0;
    int s;
    index_lock(ix);
    index_prepare(&st, ix, "SELECT id, ini FROM api_cameras ORDER BY id", "api_cameras_list");
    while ((s = index_step(&st)) == INDEX_ROW) {
        if ((s = index_grow(&v, &cap, len, sizeof *v)))
            break;
        index_col_text(&st, 0, v[len].id, sizeof v[len].id);
        if (!(v[len].ini = index_col_strdup(&st, 1))) {
            s = NVR_ENOMEM;
            break;
        }
        len++;
    }
    index_finalize(&st);
    index_unlock(ix);
    nvr_err rc = (nvr_err)s;
    if (rc)
        api_cameras_free(&v, len);
    *out = v;
    *n = rc ? 0 : len;
    return rc;
}

void api_cameras_free(struct api_camera_row **rows, size_t n)
{
    if (!*rows)
        return;
    for (size_t i = 0; i < n; i++)
        free((*rows)[i].ini);
    free(*rows);
    *rows = NULL;
}

static nvr_err write_row(nvr_index *ix, const char *sql, const char *id, const char *ini, int64_t now_us,
                         int must_change)
{
    index_stmt st;
    index_lock(ix);
    index_prepare(&st, ix, sql, "api_cameras");
    index_bind_text(&st, 1, id);
    if (ini) {
        index_bind_text(&st, 2, ini);
        index_bind_int64(&st, 3, now_us);
    }
    nvr_err rc = index_step_done(&st);
    if (rc == NVR_OK && must_change && index_changes(&st) == 0)
        rc = NVR_ENOTFOUND;
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err api_cameras_put(nvr_index *ix, const char *id, const char *ini, int64_t now_us)
{
    return write_row(ix,
                     "INSERT INTO api_cameras(id, ini, updated_us) VALUES (?1, ?2, ?3) "
                     "ON CONFLICT(id) DO UPDATE SET ini = excluded.ini, updated_us = excluded.updated_us",
                     id, ini, now_us, 0);
}

nvr_err api_cameras_delete(nvr_index *ix, const char *id)
{
    return write_row(ix, "DELETE FROM api_cameras WHERE id = ?1", id, NULL, 0, 1);
}
