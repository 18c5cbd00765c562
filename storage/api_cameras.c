/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_cameras.c - the api_cameras table (see api_cameras.h; migration 5).
 */
#include "storage/api_cameras.h"
#include "storage/index_priv.h"

#include "base/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int api_cameras_list(nvr_index *ix, struct api_camera_row **out, size_t *n)
{
    sqlite3_stmt *st = NULL;
    struct api_camera_row *v = NULL;
    size_t len = 0, cap = 0;
    int rc = NVR_OK, s;
    pthread_mutex_lock(&ix->mu);
    if (sqlite3_prepare_v2(ix->db, "SELECT id, ini FROM api_cameras ORDER BY id", -1, &st, NULL) != SQLITE_OK) {
        rc = index_db_err(ix, "api_cameras_list");
        goto out;
    }
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = index_grow(&v, &cap, len, sizeof *v)))
            goto out;
        snprintf(v[len].id, sizeof v[len].id, "%s", (const char *)sqlite3_column_text(st, 0));
        if (!(v[len].ini = strdup((const char *)sqlite3_column_text(st, 1)))) {
            rc = NVR_ENOMEM;
            goto out;
        }
        len++;
    }
    if (s != SQLITE_DONE)
        rc = index_db_err(ix, "api_cameras_list");
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
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

static int write_row(nvr_index *ix, const char *sql, const char *id, const char *ini, int64_t now_us, int must_change)
{
    sqlite3_stmt *st = NULL;
    int rc = NVR_OK;
    pthread_mutex_lock(&ix->mu);
    if (sqlite3_prepare_v2(ix->db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = index_db_err(ix, "api_cameras");
        goto out;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (ini) {
        sqlite3_bind_text(st, 2, ini, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, now_us);
    }
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = index_db_err(ix, "api_cameras");
    else if (must_change && sqlite3_changes(ix->db) == 0)
        rc = NVR_ENOTFOUND;
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

int api_cameras_put(nvr_index *ix, const char *id, const char *ini, int64_t now_us)
{
    return write_row(ix,
                     "INSERT INTO api_cameras(id, ini, updated_us) VALUES (?1, ?2, ?3) "
                     "ON CONFLICT(id) DO UPDATE SET ini = excluded.ini, updated_us = excluded.updated_us",
                     id, ini, now_us, 0);
}

int api_cameras_delete(nvr_index *ix, const char *id)
{
    return write_row(ix, "DELETE FROM api_cameras WHERE id = ?1", id, NULL, 0, 1);
}
