/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bookmark_store.c - the bookmarks table (see bookmark_store.h; migration
 * 13).  The listing takes its cameras as one JSON array parameter
 * (json_each), so no SQL is built from request text.
 */
#include "storage/bookmark_store.h"
#include "storage/index_stmt.h"

#include "base/err.h"
#include "base/json.h"

#include <stdlib.h>
#include <string.h>

/* B1: footage of camera ?CAM at instant T (the same test as the trigger of
 * migration 13 and motion_store.c's FOOTAGE_AT). */
#define FOOTAGE_AT(CAM, T)                                                                                             \
    "COALESCE((SELECT s.end_us > " T " - 1000000 OR s.state = 1 FROM segments s WHERE s.camera = ?" CAM                \
    " AND s.start_us < " T " + 1000000 ORDER BY s.start_us DESC LIMIT 1), 0)"

#define BOOKMARK_COLUMNS "id, camera, time_us, note, author, created_us"

static void read_row(const index_stmt *st, struct bookmark *b)
{
    memset(b, 0, sizeof *b);
    b->id = index_col_int64(st, 0);
    index_col_text(st, 1, b->camera, sizeof b->camera);
    b->time_us = index_col_int64(st, 2);
    index_col_text(st, 3, b->note, sizeof b->note);
    index_col_text(st, 4, b->author, sizeof b->author);
    b->created_us = index_col_int64(st, 5);
}

/* Counts author's bookmarks into *count.  Locked. */
static nvr_err count_author(nvr_index *ix, const char *author, int64_t *count)
{
    index_stmt st;
    index_prepare(&st, ix, "SELECT COUNT(*) FROM bookmarks WHERE author = ?1", "bookmark_count");
    index_bind_text(&st, 1, author);
    nvr_err rc = index_step_row(&st);
    *count = rc == NVR_OK ? index_col_int64(&st, 0) : 0;
    index_finalize(&st);
    return rc;
}

nvr_err bookmark_add(nvr_index *ix, struct bookmark *b, int64_t user_max, enum bookmark_refusal *why)
{
    index_stmt st = INDEX_STMT_INIT;
    int64_t count = 0;
    *why = BOOKMARK_ADDED;
    if (!b->camera[0] || !b->author[0] || strlen(b->note) > BOOKMARK_NOTE_MAX)
        return NVR_EINVAL;
    nvr_err rc = index_begin(ix);
    if (rc || (rc = count_author(ix, b->author, &count)))
        goto out;
    if (count >= user_max) {
        *why = BOOKMARK_USER_FULL;
        goto out;
    }
    index_prepare(&st, ix,
                  "INSERT INTO bookmarks (camera, time_us, note, author, created_us) "
                  "SELECT ?1, ?2, ?3, ?4, ?5 WHERE " FOOTAGE_AT("1", "?2"),
                  "bookmark_add");
    index_bind_text(&st, 1, b->camera);
    index_bind_int64(&st, 2, b->time_us);
    index_bind_text(&st, 3, b->note);
    index_bind_text(&st, 4, b->author);
    index_bind_int64(&st, 5, b->created_us);
    if ((rc = index_step_done(&st)))
        goto out;
    if (index_changes(&st) == 1)
        b->id = index_last_id(&st);
    else
        *why = BOOKMARK_NO_FOOTAGE;
out:
    index_finalize(&st);
    return index_end(ix, rc);
}

nvr_err bookmark_get(nvr_index *ix, int64_t id, struct bookmark *out)
{
    index_stmt st;
    index_lock(ix);
    index_prepare(&st, ix, "SELECT " BOOKMARK_COLUMNS " FROM bookmarks WHERE id = ?1", "bookmark_get");
    index_bind_int64(&st, 1, id);
    nvr_err rc = index_step_row(&st);
    if (rc == NVR_OK)
        read_row(&st, out);
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err bookmark_delete(nvr_index *ix, int64_t id)
{
    index_stmt st;
    index_lock(ix);
    index_prepare(&st, ix, "DELETE FROM bookmarks WHERE id = ?1", "bookmark_delete");
    index_bind_int64(&st, 1, id);
    nvr_err rc = index_step_change(&st);
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err bookmark_count_author(nvr_index *ix, const char *author, int64_t *count)
{
    index_lock(ix);
    nvr_err rc = count_author(ix, author, count);
    index_unlock(ix);
    return rc;
}

/* q's cameras as a JSON array (malloc'ed), NULL when out of memory. */
static char *cameras_json(const struct bookmark_query *q)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fputc('[', f);
    for (size_t i = 0; i < q->ncameras; i++) {
        if (i)
            fputc(',', f);
        json_write_string(f, q->cameras[i]);
    }
    fputc(']', f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

nvr_err bookmark_list(nvr_index *ix, const struct bookmark_query *q, struct bookmark **out, size_t *n, int *more)
{
    index_stmt st;
    struct bookmark *v = NULL;
    size_t len = 0, cap = 0;
    nvr_err rc = NVR_OK;
    int s;
    *out = NULL;
    *n = 0;
    if (more)
        *more = 0;
    if (q->ncameras == 0 || q->ncameras > BOOKMARK_CAMERAS_MAX || q->max == 0 || q->max > BOOKMARK_LIST_MAX ||
        (q->text && strlen(q->text) > BOOKMARK_QUERY_MAX))
        return NVR_EINVAL;
    char *cams = cameras_json(q);
    if (!cams)
        return NVR_ENOMEM;
    index_lock(ix);
    /* each camera through the (camera, time_us) index */
    index_prepare(&st, ix,
                  "SELECT " BOOKMARK_COLUMNS " FROM bookmarks WHERE camera IN (SELECT value FROM json_each(?1)) "
                  "AND time_us >= ?2 AND time_us < ?3 AND (?4 = '' OR instr(lower(note), lower(?4)) > 0) "
                  "ORDER BY time_us, id LIMIT ?5",
                  "bookmark_list");
    index_bind_text(&st, 1, cams);
    index_bind_int64(&st, 2, q->from_us);
    index_bind_int64(&st, 3, q->to_us);
    index_bind_text(&st, 4, q->text ? q->text : "");
    index_bind_int64(&st, 5, (int64_t)q->max + 1);
    while ((s = index_step(&st)) == INDEX_ROW) {
        if (len == q->max) {
            if (more)
                *more = 1;
            break;
        }
        if ((rc = index_grow(&v, &cap, len, sizeof *v)))
            break;
        read_row(&st, &v[len++]);
    }
    if (s != INDEX_ROW && s != NVR_OK)
        rc = s;
    index_finalize(&st);
    index_unlock(ix);
    free(cams);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    *n = len;
    return NVR_OK;
}

nvr_err bookmark_store_check(nvr_index *ix, int repair, FILE *report, int *problems)
{
    nvr_err rc;
    *problems = 0;
    if ((rc = index_check_rows(
             ix, "bookmarks AS b", "typeof(note) != 'text' OR length(CAST(note AS BLOB)) > 500 OR camera = ''",
             "bookmarks malformed (note not text or over 500 bytes, or no camera)", repair, report, problems)))
        return rc;
    return index_check_rows(ix, "bookmarks AS b",
                            "NOT COALESCE((SELECT s.end_us > b.time_us - 1000000 OR s.state = 1 FROM segments s "
                            "WHERE s.camera = b.camera AND s.start_us < b.time_us + 1000000 "
                            "ORDER BY s.start_us DESC LIMIT 1), 0)",
                            "bookmarks without footage", repair, report, problems);
}

void bookmark_write_json(FILE *f, const struct bookmark *b)
{
    fprintf(f, "{\"id\":%lld,\"camera\":", (long long)b->id);
    json_write_string(f, b->camera);
    fputs(",\"time\":", f);
    json_write_time(f, b->time_us);
    fputs(",\"note\":", f);
    json_write_string(f, b->note);
    fputs(",\"author\":", f);
    json_write_string(f, b->author);
    fputs(",\"created\":", f);
    json_write_time(f, b->created_us);
    fputc('}', f);
}
