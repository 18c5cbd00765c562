/* SPDX-License-Identifier: Apache-2.0 */
/*
 * index_retention.c - the index's side of retention: usage per camera (kept
 * by the triggers of migration 3), choosing and retiring the oldest unheld
 * segments, and the garbage table (see index.h, docs/design/storage.md
 * "Deletion").
 *
 * Retiring is one IMMEDIATE transaction: choose the segments, record their
 * paths as garbage, delete their rows.  A hold added by another connection
 * either commits before (and is seen by the choice) or after (and finds the
 * rows gone), never in between.  The files are unlinked by the caller after
 * the commit, so a crash leaves rows of existing files or garbage rows to
 * finish, never a row pointing at nothing.
 */
#include "storage/index.h"
#include "storage/index_priv.h"

#include "base/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nvr_err index_usage(nvr_index *ix, const char *camera, struct index_usage *u)
{
    sqlite3_stmt *st = NULL;
    int rc = NVR_OK;
    memset(u, 0, sizeof *u);
    u->oldest_us = INT64_MIN;
    pthread_mutex_lock(&ix->mu);
    if (index_prep(ix,
                   "SELECT c.bytes, c.media_us, (SELECT MIN(start_us) FROM segments WHERE camera = c.id) "
                   "FROM cameras c WHERE c.id = ?1",
                   &st) != SQLITE_OK) {
        rc = index_db_err(ix, "usage");
        goto out;
    }
    sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        u->bytes = (uint64_t)sqlite3_column_int64(st, 0);
        u->media_us = sqlite3_column_int64(st, 1);
        if (sqlite3_column_type(st, 2) != SQLITE_NULL)
            u->oldest_us = sqlite3_column_int64(st, 2);
    } else if (s != SQLITE_DONE) {
        rc = index_db_err(ix, "usage");
    }
out:
    index_put(ix, st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

nvr_err index_usage_total(nvr_index *ix, uint64_t *bytes)
{
    sqlite3_stmt *st = NULL;
    int rc = NVR_OK;
    *bytes = 0;
    pthread_mutex_lock(&ix->mu);
    if (index_prep(ix, "SELECT COALESCE(SUM(bytes), 0) FROM cameras", &st) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        rc = index_db_err(ix, "usage_total");
    else
        *bytes = (uint64_t)sqlite3_column_int64(st, 0);
    index_put(ix, st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

#define NOT_HELD                                                                                                       \
    " AND NOT EXISTS (SELECT 1 FROM hold_cameras hc JOIN holds h ON h.id = hc.hold_id"                                 \
    " WHERE hc.camera = s.camera AND h.released_us IS NULL"                                                            \
    " AND h.start_us < s.end_us AND h.end_us > s.start_us)"

/* Collects the candidates (locked, inside the transaction). */
static nvr_err choose(nvr_index *ix, const struct index_retire_filter *f, int64_t before_us, uint64_t want_bytes,
                      int max, struct index_retired *v, size_t *n)
{
    sqlite3_stmt *st = NULL;
    uint64_t sum = 0;
    int rc = NVR_OK, s = SQLITE_DONE;
    const char *sql = f->camera ? "SELECT id, dir, camera, path, bytes, start_us, end_us, archive FROM segments s "
                                  "WHERE camera = ?1 AND start_us < ?2 AND end_us <= ?2 AND state = 0" NOT_HELD
                                  " AND (?4 < 0 OR (dir = ?4 AND archive IS NULL))"
                                  " AND (archive IS NOT NULL OR dir > 62 OR ((?5 >> dir) & 1) = 0)"
                                  " ORDER BY start_us LIMIT ?3"
                                : "SELECT id, dir, camera, path, bytes, start_us, end_us, archive FROM segments s "
                                  "WHERE ?1 IS NULL AND start_us < ?2 AND end_us <= ?2 AND state = 0" NOT_HELD
                                  " AND (?4 < 0 OR (dir = ?4 AND archive IS NULL))"
                                  " AND (archive IS NOT NULL OR dir > 62 OR ((?5 >> dir) & 1) = 0)"
                                  " ORDER BY start_us LIMIT ?3";
    *n = 0;
    if (index_prep(ix, sql, &st) != SQLITE_OK)
        return index_db_err(ix, "retire_choose");
    if (f->camera)
        sqlite3_bind_text(st, 1, f->camera, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 1);
    sqlite3_bind_int64(st, 2, before_us);
    sqlite3_bind_int(st, 3, max);
    sqlite3_bind_int64(st, 4, f->dir);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)f->skip_dirs);
    while (sum < want_bytes && (s = sqlite3_step(st)) == SQLITE_ROW) {
        struct index_retired *r = &v[(*n)++];
        r->id = sqlite3_column_int64(st, 0);
        r->dir = sqlite3_column_int64(st, 1);
        snprintf(r->camera, sizeof r->camera, "%s", (const char *)sqlite3_column_text(st, 2));
        if (sqlite3_column_type(st, 7) == SQLITE_TEXT) /* the object is what goes */
            snprintf(r->path, sizeof r->path, "%s", (const char *)sqlite3_column_text(st, 7));
        else
            index_qualify_path(r->dir, (const char *)sqlite3_column_text(st, 3), r->path, sizeof r->path);
        r->bytes = (uint64_t)sqlite3_column_int64(st, 4);
        r->start_us = sqlite3_column_int64(st, 5);
        r->end_us = sqlite3_column_int64(st, 6);
        sum += r->bytes;
    }
    if (sum < want_bytes && s != SQLITE_DONE)
        rc = index_db_err(ix, "retire_choose");
    index_put(ix, st);
    return rc;
}

void index_qualify_path(int64_t dir, const char *rel, char *out, size_t n)
{
    if (dir > 0)
        snprintf(out, n, "@%lld/%s", (long long)dir, rel ? rel : "");
    else
        snprintf(out, n, "%s", rel ? rel : "");
}

nvr_err index_retire(nvr_index *ix, const char *camera, int64_t before_us, uint64_t want_bytes, int max,
                     struct index_retired **out, size_t *n)
{
    struct index_retire_filter f = {.camera = camera, .dir = -1, .skip_dirs = 0};
    return index_retire_in(ix, &f, before_us, want_bytes, max, out, n);
}

nvr_err index_retire_in(nvr_index *ix, const struct index_retire_filter *f, int64_t before_us, uint64_t want_bytes,
                        int max, struct index_retired **out, size_t *n)
{
    sqlite3_stmt *ins = NULL, *del = NULL;
    struct index_retired *v = NULL;
    size_t len = 0;
    int rc = NVR_OK;
    *out = NULL;
    *n = 0;
    if (max <= 0 || want_bytes == 0)
        return NVR_OK;
    if (!(v = calloc((size_t)max, sizeof *v)))
        return NVR_ENOMEM;
    pthread_mutex_lock(&ix->mu);
    if ((rc = index_exec(ix, "BEGIN IMMEDIATE")))
        goto out;
    if ((rc = choose(ix, f, before_us, want_bytes, max, v, &len)))
        goto rollback;
    if (index_prep(ix, "INSERT OR IGNORE INTO garbage(path) VALUES (?1)", &ins) != SQLITE_OK ||
        index_prep(ix, "DELETE FROM segments WHERE id = ?1", &del) != SQLITE_OK)
        goto fail;
    for (size_t i = 0; i < len; i++) {
        sqlite3_reset(ins);
        sqlite3_reset(del);
        sqlite3_bind_text(ins, 1, v[i].path, -1, SQLITE_STATIC);
        sqlite3_bind_int64(del, 1, v[i].id);
        if (sqlite3_step(ins) != SQLITE_DONE || sqlite3_step(del) != SQLITE_DONE)
            goto fail;
    }
    if ((rc = index_exec(ix, "COMMIT")) == NVR_OK)
        goto out;
    goto rollback;
fail:
    rc = index_db_err(ix, "retire");
rollback:
    sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
    len = 0;
out:
    index_put(ix, ins);
    index_put(ix, del);
    pthread_mutex_unlock(&ix->mu);
    if (rc || len == 0) {
        free(v);
        v = NULL;
        len = 0;
    }
    *out = v;
    *n = len;
    return rc;
}

nvr_err index_garbage_list(nvr_index *ix, char ***paths, size_t *n)
{
    return index_text_column(ix, "SELECT path FROM garbage ORDER BY path", "garbage_list", paths, n);
}

/* Runs a one-parameter statement on path; with has, reports whether it
 * returned a row. */
static nvr_err path_stmt(nvr_index *ix, const char *sql, const char *path, int *has, const char *what)
{
    sqlite3_stmt *st = NULL;
    int rc = NVR_OK;
    pthread_mutex_lock(&ix->mu);
    if (index_prep(ix, sql, &st) != SQLITE_OK) {
        rc = index_db_err(ix, what);
        goto out;
    }
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    if (s != SQLITE_ROW && s != SQLITE_DONE)
        rc = index_db_err(ix, what);
    else if (has)
        *has = s == SQLITE_ROW;
out:
    index_put(ix, st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

nvr_err index_garbage_has(nvr_index *ix, const char *path, int *has)
{
    *has = 0;
    return path_stmt(ix, "SELECT 1 FROM garbage WHERE path = ?1", path, has, "garbage_has");
}

nvr_err index_garbage_drop(nvr_index *ix, const char *path)
{
    return path_stmt(ix, "DELETE FROM garbage WHERE path = ?1", path, NULL, "garbage_drop");
}
