/* SPDX-License-Identifier: Apache-2.0 */
/*
 * holds.c - evidence holds in the index (see holds.h; schema in
 * docs/design/index.md, migration 3).
 */
#include "storage/holds.h"
#include "storage/index_stmt.h"

#include "base/err.h"
#include "base/json.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Inserts h's row and its cameras, setting h->id.  Locked, inside a
 * transaction. */
static nvr_err add_rows(nvr_index *ix, struct hold *h)
{
    index_stmt st;
    index_prepare(&st, ix,
                  "INSERT INTO holds(start_us, end_us, case_id, reason, created_by, created_us, export_pid) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                  "holds_add");
    index_bind_int64(&st, 1, h->start_us);
    index_bind_int64(&st, 2, h->end_us);
    index_bind_text(&st, 3, h->case_id);
    index_bind_text(&st, 4, h->reason);
    index_bind_text(&st, 5, h->created_by);
    index_bind_int64(&st, 6, h->created_us);
    if (h->export_pid > 0)
        index_bind_int64(&st, 7, h->export_pid);
    else
        index_bind_null(&st, 7);
    nvr_err rc = index_step_done(&st);
    if (rc == NVR_OK)
        h->id = index_last_id(&st);
    index_finalize(&st);
    if (rc == NVR_OK)
        rc = index_prepare(&st, ix, "INSERT OR IGNORE INTO hold_cameras(hold_id, camera) VALUES (?1, ?2)", "holds_add");
    for (size_t i = 0; i < h->ncameras && rc == NVR_OK; i++) {
        index_reset(&st);
        index_bind_int64(&st, 1, h->id);
        index_bind_text(&st, 2, h->cameras[i]);
        rc = index_step_done(&st);
    }
    index_finalize(&st);
    return rc;
}

nvr_err holds_add(nvr_index *ix, struct hold *h)
{
    if (h->ncameras == 0 || h->ncameras > HOLD_CAMERAS_MAX || h->end_us <= h->start_us)
        return NVR_EINVAL;
    nvr_err rc = index_begin(ix);
    if (rc == NVR_OK)
        rc = add_rows(ix, h);
    return index_end(ix, rc);
}

nvr_err holds_release(nvr_index *ix, int64_t id, const char *by, int64_t now_us)
{
    index_stmt st;
    index_lock(ix);
    index_prepare(&st, ix, "UPDATE holds SET released_by = ?2, released_us = ?3 WHERE id = ?1 AND released_us IS NULL",
                  "holds_release");
    index_bind_int64(&st, 1, id);
    index_bind_text(&st, 2, by);
    index_bind_int64(&st, 3, now_us);
    nvr_err rc = index_step_done(&st);
    if (rc == NVR_OK && index_changes(&st) != 1)
        rc = NVR_ENOTFOUND;
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err holds_release_orphans(nvr_index *ix, int64_t now_us, int *released)
{
    index_stmt st;
    int64_t ids[256];
    size_t n = 0;
    int count = 0;
    index_lock(ix);
    nvr_err rc =
        index_prepare(&st, ix, "SELECT id, export_pid FROM holds WHERE export_pid IS NOT NULL AND released_us IS NULL",
                      "holds_release_orphans");
    if (rc)
        goto out;
    while (index_step(&st) == INDEX_ROW && n < sizeof ids / sizeof ids[0]) {
        int64_t pid = index_col_int64(&st, 1);
        /* gone: no such process (a live one owned by another user answers EPERM) */
        if (pid <= 0 || pid > INT32_MAX || (kill((pid_t)pid, 0) != 0 && errno == ESRCH))
            ids[n++] = index_col_int64(&st, 0);
    }
    index_finalize(&st);
    rc = index_prepare(&st, ix, "UPDATE holds SET released_by = 'nvr', released_us = ?2 WHERE id = ?1",
                       "holds_release_orphans");
    for (size_t i = 0; i < n && rc == NVR_OK; i++) {
        index_reset(&st);
        index_bind_int64(&st, 1, ids[i]);
        index_bind_int64(&st, 2, now_us);
        if ((rc = index_step_done(&st)) == NVR_OK)
            count++;
    }
out:
    index_finalize(&st);
    index_unlock(ix);
    if (released)
        *released = count;
    return rc;
}

/* Fills the cameras of h.  Locked. */
static nvr_err read_cameras(nvr_index *ix, struct hold *h)
{
    index_stmt st;
    int s;
    h->ncameras = 0;
    index_prepare(&st, ix, "SELECT camera FROM hold_cameras WHERE hold_id = ?1 ORDER BY camera", "holds_cameras");
    index_bind_int64(&st, 1, h->id);
    while ((s = index_step(&st)) == INDEX_ROW && h->ncameras < HOLD_CAMERAS_MAX)
        index_col_text(&st, 0, h->cameras[h->ncameras++], INDEX_ID_MAX);
    index_finalize(&st);
    return s == INDEX_ROW ? NVR_OK : (nvr_err)s;
}

#define HOLD_COLUMNS                                                                                                   \
    "id, start_us, end_us, case_id, reason, created_by, created_us, released_by, released_us, export_pid"

static void read_hold(const index_stmt *st, struct hold *h)
{
    memset(h, 0, sizeof *h);
    h->id = index_col_int64(st, 0);
    h->start_us = index_col_int64(st, 1);
    h->end_us = index_col_int64(st, 2);
    index_col_text(st, 3, h->case_id, sizeof h->case_id);
    index_col_text(st, 4, h->reason, sizeof h->reason);
    index_col_text(st, 5, h->created_by, sizeof h->created_by);
    h->created_us = index_col_int64(st, 6);
    index_col_text(st, 7, h->released_by, sizeof h->released_by);
    h->released_us = index_col_int64(st, 8);
    h->export_pid = index_col_int64(st, 9);
}

nvr_err holds_get(nvr_index *ix, int64_t id, struct hold *out)
{
    index_stmt st;
    index_lock(ix);
    index_prepare(&st, ix, "SELECT " HOLD_COLUMNS " FROM holds WHERE id = ?1", "holds_get");
    index_bind_int64(&st, 1, id);
    nvr_err rc = index_step_row(&st);
    if (rc == NVR_OK) {
        read_hold(&st, out);
        rc = read_cameras(ix, out);
    }
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err holds_list(nvr_index *ix, int with_released, struct hold **out, size_t *n)
{
    index_stmt st;
    struct hold *v = NULL;
    size_t len = 0, cap = 0;
    int s;
    index_lock(ix);
    index_prepare(&st, ix,
                  with_released ? "SELECT " HOLD_COLUMNS " FROM holds ORDER BY id"
                                : "SELECT " HOLD_COLUMNS " FROM holds WHERE released_us IS NULL ORDER BY id",
                  "holds_list");
    while ((s = index_step(&st)) == INDEX_ROW) {
        if ((s = index_grow(&v, &cap, len, sizeof *v)))
            break;
        read_hold(&st, &v[len]);
        if ((s = read_cameras(ix, &v[len])))
            break;
        len++;
    }
    index_finalize(&st);
    index_unlock(ix);
    nvr_err rc = (nvr_err)s;
    if (rc) {
        free(v);
        v = NULL;
        len = 0;
    }
    *out = v;
    *n = len;
    return rc;
}

nvr_err holds_held_bytes(nvr_index *ix, const char *camera, uint64_t *bytes)
{
    index_stmt st;
    *bytes = 0;
    index_lock(ix);
    /* each hold's segments through the (camera, start_us) index; IN counts a
     * segment under two holds once */
    index_prepare(&st, ix,
                  "SELECT COALESCE(SUM(bytes), 0) FROM segments WHERE id IN ("
                  " SELECT s.id FROM hold_cameras hc JOIN holds h ON h.id = hc.hold_id"
                  " JOIN segments s ON s.camera = hc.camera"
                  "  AND s.start_us >= h.start_us - 7200000000 AND s.start_us < h.end_us"
                  "  AND s.end_us > h.start_us"
                  " WHERE hc.camera = ?1 AND h.released_us IS NULL)",
                  "holds_held_bytes");
    index_bind_text(&st, 1, camera);
    nvr_err rc = index_step_row(&st);
    if (rc == NVR_OK)
        *bytes = (uint64_t)index_col_int64(&st, 0);
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

void holds_write_json(FILE *f, const struct hold *h)
{
    fprintf(f, "{\"id\":%lld,\"cameras\":[", (long long)h->id);
    for (size_t i = 0; i < h->ncameras; i++) {
        if (i)
            fputc(',', f);
        json_write_string(f, h->cameras[i]);
    }
    fputs("],\"start\":", f);
    json_write_time(f, h->start_us);
    fputs(",\"end\":", f);
    json_write_time(f, h->end_us);
    fputs(",\"case\":", f);
    json_write_string(f, h->case_id);
    fputs(",\"reason\":", f);
    json_write_string(f, h->reason);
    fputs(",\"created_by\":", f);
    json_write_string(f, h->created_by);
    fputs(",\"created\":", f);
    json_write_time(f, h->created_us);
    fprintf(f, ",\"active\":%s,\"released\":", h->released_us ? "false" : "true");
    if (h->released_us)
        json_write_time(f, h->released_us);
    else
        fputs("null", f);
    fputs(",\"released_by\":", f);
    if (h->released_us)
        json_write_string(f, h->released_by);
    else
        fputs("null", f);
    fprintf(f, ",\"export\":%s}", h->export_pid ? "true" : "false");
}
