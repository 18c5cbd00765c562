/* SPDX-License-Identifier: Apache-2.0 */
/*
 * holds.c - evidence holds in the index (see holds.h; schema in
 * docs/design/index.md, migration 3).
 */
#include "storage/holds.h"
#include "storage/index_priv.h"

#include "base/err.h"
#include "base/json.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_text(char *dst, size_t n, const unsigned char *src)
{
    snprintf(dst, n, "%s", src ? (const char *)src : "");
}

int holds_add(nvr_index *ix, struct hold *h)
{
    sqlite3_stmt *st = NULL;
    int rc = NVR_OK;
    if (h->ncameras == 0 || h->ncameras > HOLD_CAMERAS_MAX || h->end_us <= h->start_us)
        return NVR_EINVAL;
    pthread_mutex_lock(&ix->mu);
    if ((rc = index_exec(ix, "BEGIN IMMEDIATE")))
        goto out;
    if (sqlite3_prepare_v2(ix->db,
                           "INSERT INTO holds(start_us, end_us, case_id, reason, created_by, created_us, export_pid) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, h->start_us);
    sqlite3_bind_int64(st, 2, h->end_us);
    sqlite3_bind_text(st, 3, h->case_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, h->reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, h->created_by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, h->created_us);
    if (h->export_pid > 0)
        sqlite3_bind_int64(st, 7, h->export_pid);
    else
        sqlite3_bind_null(st, 7);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto fail;
    h->id = sqlite3_last_insert_rowid(ix->db);
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(ix->db, "INSERT OR IGNORE INTO hold_cameras(hold_id, camera) VALUES (?1, ?2)", -1, &st,
                           NULL) != SQLITE_OK)
        goto fail;
    for (size_t i = 0; i < h->ncameras; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, h->id);
        sqlite3_bind_text(st, 2, h->cameras[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto fail;
    }
    rc = index_exec(ix, "COMMIT");
    goto out;
fail:
    rc = index_db_err(ix, "holds_add");
    sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

int holds_release(nvr_index *ix, int64_t id, const char *by, int64_t now_us)
{
    sqlite3_stmt *st = NULL;
    int rc = NVR_OK;
    pthread_mutex_lock(&ix->mu);
    if (sqlite3_prepare_v2(ix->db,
                           "UPDATE holds SET released_by = ?2, released_us = ?3 "
                           "WHERE id = ?1 AND released_us IS NULL",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = index_db_err(ix, "holds_release");
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now_us);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = index_db_err(ix, "holds_release");
    else if (sqlite3_changes(ix->db) != 1)
        rc = NVR_ENOTFOUND;
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

int holds_release_orphans(nvr_index *ix, int64_t now_us, int *released)
{
    sqlite3_stmt *st = NULL;
    int64_t ids[256];
    size_t n = 0;
    int rc = NVR_OK, s, count = 0;
    pthread_mutex_lock(&ix->mu);
    if (sqlite3_prepare_v2(ix->db,
                           "SELECT id, export_pid FROM holds WHERE export_pid IS NOT NULL AND released_us IS NULL",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = index_db_err(ix, "holds_release_orphans");
        goto out;
    }
    while ((s = sqlite3_step(st)) == SQLITE_ROW && n < sizeof ids / sizeof ids[0]) {
        int64_t pid = sqlite3_column_int64(st, 1);
        /* gone: no such process (a live one owned by another user answers EPERM) */
        if (pid <= 0 || pid > INT32_MAX || (kill((pid_t)pid, 0) != 0 && errno == ESRCH))
            ids[n++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(ix->db, "UPDATE holds SET released_by = 'nvr', released_us = ?2 WHERE id = ?1", -1, &st,
                           NULL) != SQLITE_OK) {
        rc = index_db_err(ix, "holds_release_orphans");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, ids[i]);
        sqlite3_bind_int64(st, 2, now_us);
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = index_db_err(ix, "holds_release_orphans");
            goto out;
        }
        count++;
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    if (released)
        *released = count;
    return rc;
}

/* Fills the cameras of h.  Locked. */
static int read_cameras(nvr_index *ix, struct hold *h)
{
    sqlite3_stmt *st = NULL;
    int rc = NVR_OK, s;
    h->ncameras = 0;
    if (sqlite3_prepare_v2(ix->db, "SELECT camera FROM hold_cameras WHERE hold_id = ?1 ORDER BY camera", -1, &st,
                           NULL) != SQLITE_OK)
        return index_db_err(ix, "holds_cameras");
    sqlite3_bind_int64(st, 1, h->id);
    while ((s = sqlite3_step(st)) == SQLITE_ROW && h->ncameras < HOLD_CAMERAS_MAX)
        copy_text(h->cameras[h->ncameras++], INDEX_ID_MAX, sqlite3_column_text(st, 0));
    if (s != SQLITE_ROW && s != SQLITE_DONE)
        rc = index_db_err(ix, "holds_cameras");
    sqlite3_finalize(st);
    return rc;
}

#define HOLD_COLUMNS \
    "id, start_us, end_us, case_id, reason, created_by, created_us, released_by, released_us, export_pid"

static void read_hold(sqlite3_stmt *st, struct hold *h)
{
    memset(h, 0, sizeof *h);
    h->id = sqlite3_column_int64(st, 0);
    h->start_us = sqlite3_column_int64(st, 1);
    h->end_us = sqlite3_column_int64(st, 2);
    copy_text(h->case_id, sizeof h->case_id, sqlite3_column_text(st, 3));
    copy_text(h->reason, sizeof h->reason, sqlite3_column_text(st, 4));
    copy_text(h->created_by, sizeof h->created_by, sqlite3_column_text(st, 5));
    h->created_us = sqlite3_column_int64(st, 6);
    copy_text(h->released_by, sizeof h->released_by, sqlite3_column_text(st, 7));
    h->released_us = sqlite3_column_int64(st, 8);
    h->export_pid = sqlite3_column_int64(st, 9);
}

int holds_get(nvr_index *ix, int64_t id, struct hold *out)
{
    sqlite3_stmt *st = NULL;
    int rc = NVR_OK, s;
    pthread_mutex_lock(&ix->mu);
    if (sqlite3_prepare_v2(ix->db, "SELECT " HOLD_COLUMNS " FROM holds WHERE id = ?1", -1, &st, NULL) !=
        SQLITE_OK) {
        rc = index_db_err(ix, "holds_get");
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        read_hold(st, out);
        rc = read_cameras(ix, out);
    } else {
        rc = s == SQLITE_DONE ? NVR_ENOTFOUND : index_db_err(ix, "holds_get");
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

int holds_list(nvr_index *ix, int with_released, struct hold **out, size_t *n)
{
    sqlite3_stmt *st = NULL;
    struct hold *v = NULL;
    size_t len = 0, cap = 0;
    int rc = NVR_OK, s;
    pthread_mutex_lock(&ix->mu);
    if (sqlite3_prepare_v2(ix->db,
                           with_released ? "SELECT " HOLD_COLUMNS " FROM holds ORDER BY id"
                                         : "SELECT " HOLD_COLUMNS " FROM holds WHERE released_us IS NULL ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = index_db_err(ix, "holds_list");
        goto out;
    }
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = index_grow(&v, &cap, len, sizeof *v)))
            goto out;
        read_hold(st, &v[len]);
        if ((rc = read_cameras(ix, &v[len])))
            goto out;
        len++;
    }
    if (s != SQLITE_DONE)
        rc = index_db_err(ix, "holds_list");
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    if (rc) {
        free(v);
        v = NULL;
        len = 0;
    }
    *out = v;
    *n = len;
    return rc;
}

int holds_held_bytes(nvr_index *ix, const char *camera, uint64_t *bytes)
{
    sqlite3_stmt *st = NULL;
    int rc = NVR_OK;
    *bytes = 0;
    pthread_mutex_lock(&ix->mu);
    if (sqlite3_prepare_v2(ix->db,
                           /* each hold's segments through the (camera, start_us)
                            * index; IN counts a segment under two holds once */
                           "SELECT COALESCE(SUM(bytes), 0) FROM segments WHERE id IN ("
                           " SELECT s.id FROM hold_cameras hc JOIN holds h ON h.id = hc.hold_id"
                           " JOIN segments s ON s.camera = hc.camera"
                           "  AND s.start_us >= h.start_us - 7200000000 AND s.start_us < h.end_us"
                           "  AND s.end_us > h.start_us"
                           " WHERE hc.camera = ?1 AND h.released_us IS NULL)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = index_db_err(ix, "holds_held_bytes");
        goto out;
    }
    sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        *bytes = (uint64_t)sqlite3_column_int64(st, 0);
    else
        rc = index_db_err(ix, "holds_held_bytes");
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
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

