/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert_store.c - the alerts tables (see alert_store.h; migration 9).
 */
#include "storage/alert_store.h"
#include "storage/index_stmt.h"

#include "base/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROW_COLUMNS                                                                                                    \
    "id, key, kind, camera, severity, state, title, detail, opened_us, updated_us, resolved_us, acked_us, "            \
    "acked_by, flaps"

static void read_row(const index_stmt *st, struct alert_row *r)
{
    memset(r, 0, sizeof *r);
    r->id = index_col_int64(st, 0);
    index_col_text(st, 1, r->key, sizeof r->key);
    index_col_text(st, 2, r->kind, sizeof r->kind);
    index_col_text(st, 3, r->camera, sizeof r->camera);
    index_col_text(st, 4, r->severity, sizeof r->severity);
    index_col_text(st, 5, r->state, sizeof r->state);
    index_col_text(st, 6, r->title, sizeof r->title);
    index_col_text(st, 7, r->detail, sizeof r->detail);
    r->opened_us = index_col_int64(st, 8);
    r->updated_us = index_col_int64(st, 9);
    r->resolved_us = index_col_int64(st, 10);
    r->acked_us = index_col_int64(st, 11);
    index_col_text(st, 12, r->acked_by, sizeof r->acked_by);
    r->flaps = index_col_int(st, 13);
}

/* Locks ix and prepares sql: the caller binds, then ends with finish(). */
static void start(index_stmt *st, nvr_index *ix, const char *sql, const char *what)
{
    index_lock(ix);
    index_prepare(st, ix, sql, what);
}

/* Steps a statement with no rows (must_change: NVR_ENOTFOUND if no row
 * changed), finalizes it and unlocks. */
static nvr_err finish(index_stmt *st, int must_change)
{
    nvr_err rc = must_change ? index_step_change(st) : index_step_done(st);
    index_finalize(st);
    index_unlock(st->ix);
    return rc;
}

nvr_err alert_store_insert(nvr_index *ix, const struct alert_row *in, int64_t now_us, int64_t *id)
{
    index_stmt st;
    start(&st, ix,
          "INSERT INTO alerts (key, kind, camera, severity, state, title, detail, opened_us, updated_us, flaps) "
          "VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?6, ?7, ?7, ?8)",
          "alert_store_insert");
    index_bind_text(&st, 1, in->key);
    index_bind_text(&st, 2, in->kind);
    index_bind_text(&st, 3, in->camera);
    index_bind_text(&st, 4, in->severity);
    index_bind_text(&st, 5, in->title);
    index_bind_text(&st, 6, in->detail);
    index_bind_int64(&st, 7, now_us);
    index_bind_int64(&st, 8, in->flaps);
    nvr_err rc = index_step_done(&st);
    if (rc == NVR_OK)
        *id = index_last_id(&st);
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err alert_store_update(nvr_index *ix, int64_t id, const char *detail, int flaps, int64_t now_us)
{
    index_stmt st;
    start(&st, ix, "UPDATE alerts SET detail = ?2, flaps = ?3, updated_us = ?4 WHERE id = ?1", "alert_store_update");
    index_bind_int64(&st, 1, id);
    index_bind_text(&st, 2, detail);
    index_bind_int64(&st, 3, flaps);
    index_bind_int64(&st, 4, now_us);
    return finish(&st, 1);
}

nvr_err alert_store_resolve(nvr_index *ix, int64_t id, int64_t now_us)
{
    index_stmt st;
    start(&st, ix,
          "UPDATE alerts SET state = 'resolved', resolved_us = ?2, updated_us = ?2 WHERE id = ?1 AND "
          "state != 'resolved'",
          "alert_store_resolve");
    index_bind_int64(&st, 1, id);
    index_bind_int64(&st, 2, now_us);
    return finish(&st, 0);
}

nvr_err alert_store_ack(nvr_index *ix, int64_t id, const char *user, int64_t now_us, struct alert_row *out)
{
    index_stmt st;
    start(&st, ix,
          "UPDATE alerts SET state = CASE state WHEN 'open' THEN 'acknowledged' ELSE state END, "
          "acked_us = ?2, acked_by = ?3, updated_us = ?2 WHERE id = ?1",
          "alert_store_ack");
    index_bind_int64(&st, 1, id);
    index_bind_int64(&st, 2, now_us);
    index_bind_text(&st, 3, user);
    nvr_err rc = finish(&st, 1);
    if (rc)
        return rc;
    return out ? alert_store_get(ix, id, out) : NVR_OK;
}

nvr_err alert_store_get(nvr_index *ix, int64_t id, struct alert_row *out)
{
    index_stmt st;
    start(&st, ix, "SELECT " ROW_COLUMNS " FROM alerts WHERE id = ?1", "alert_store_get");
    index_bind_int64(&st, 1, id);
    nvr_err rc = index_step_row(&st);
    if (rc == NVR_OK)
        read_row(&st, out);
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err alert_store_list(nvr_index *ix, const char *state, int limit, struct alert_row **out, size_t *n)
{
    index_stmt st;
    struct alert_row *v = NULL;
    size_t len = 0, cap = 0;
    const char *sql = !state ? "SELECT " ROW_COLUMNS " FROM alerts ORDER BY id DESC LIMIT ?2"
                      : strcmp(state, "active") == 0
                          ? "SELECT " ROW_COLUMNS " FROM alerts WHERE state != 'resolved' ORDER BY id DESC LIMIT ?2"
                          : "SELECT " ROW_COLUMNS " FROM alerts WHERE state = ?1 ORDER BY id DESC LIMIT ?2";
    int s;
    *out = NULL;
    *n = 0;
    start(&st, ix, sql, "alert_store_list");
    if (state && strcmp(state, "active") != 0)
        index_bind_text(&st, 1, state);
    index_bind_int64(&st, 2, limit > 0 ? limit : 100);
    while ((s = index_step(&st)) == INDEX_ROW) {
        if ((s = index_grow(&v, &cap, len, sizeof *v)))
            break;
        read_row(&st, &v[len++]);
    }
    index_finalize(&st);
    index_unlock(ix);
    if (s) {
        free(v);
        return (nvr_err)s;
    }
    *out = v;
    *n = len;
    return NVR_OK;
}

nvr_err alert_outbox_add(nvr_index *ix, const char *channel, const char *target, const char *body, int64_t now_us)
{
    index_stmt st;
    start(&st, ix, "INSERT INTO alert_outbox (channel, target, body, next_us, created_us) VALUES (?1, ?2, ?3, ?4, ?4)",
          "alert_outbox_add");
    index_bind_text(&st, 1, channel);
    index_bind_text(&st, 2, target ? target : "");
    index_bind_text(&st, 3, body);
    index_bind_int64(&st, 4, now_us);
    return finish(&st, 0);
}

void alert_outbox_free(struct alert_outbox_row **rows, size_t n)
{
    if (!*rows)
        return;
    for (size_t i = 0; i < n; i++) {
        free((*rows)[i].target);
        free((*rows)[i].body);
    }
    free(*rows);
    *rows = NULL;
}

nvr_err alert_outbox_list(nvr_index *ix, int max, struct alert_outbox_row **out, size_t *n)
{
    index_stmt st;
    struct alert_outbox_row *v = NULL;
    size_t len = 0, cap = 0;
    int s;
    *out = NULL;
    *n = 0;
    start(&st, ix,
          "SELECT id, channel, target, body, attempts, next_us, created_us FROM alert_outbox ORDER BY id LIMIT ?1",
          "alert_outbox_list");
    index_bind_int64(&st, 1, max);
    while ((s = index_step(&st)) == INDEX_ROW) {
        if ((s = index_grow(&v, &cap, len, sizeof *v)))
            break;
        struct alert_outbox_row *r = &v[len];
        memset(r, 0, sizeof *r);
        r->id = index_col_int64(&st, 0);
        index_col_text(&st, 1, r->channel, sizeof r->channel);
        r->target = index_col_strdup(&st, 2);
        r->body = index_col_strdup(&st, 3);
        len++;
        if (!r->target || !r->body) {
            s = NVR_ENOMEM;
            break;
        }
        r->attempts = index_col_int(&st, 4);
        r->next_us = index_col_int64(&st, 5);
        r->created_us = index_col_int64(&st, 6);
    }
    index_finalize(&st);
    index_unlock(ix);
    if (s) {
        alert_outbox_free(&v, len);
        return (nvr_err)s;
    }
    *out = v;
    *n = len;
    return NVR_OK;
}

nvr_err alert_outbox_done(nvr_index *ix, int64_t id)
{
    index_stmt st;
    start(&st, ix, "DELETE FROM alert_outbox WHERE id = ?1", "alert_outbox_done");
    index_bind_int64(&st, 1, id);
    return finish(&st, 0);
}

nvr_err alert_outbox_retry(nvr_index *ix, int64_t id, int attempts, int64_t next_us, const char *error)
{
    index_stmt st;
    start(&st, ix, "UPDATE alert_outbox SET attempts = ?2, next_us = ?3, last_error = ?4 WHERE id = ?1",
          "alert_outbox_retry");
    index_bind_int64(&st, 1, id);
    index_bind_int64(&st, 2, attempts);
    index_bind_int64(&st, 3, next_us);
    index_bind_text(&st, 4, error ? error : "");
    return finish(&st, 0);
}

nvr_err alert_outbox_count(nvr_index *ix, int64_t *n)
{
    index_stmt st;
    *n = 0;
    start(&st, ix, "SELECT count(*) FROM alert_outbox", "alert_outbox_count");
    nvr_err rc = index_step_row(&st);
    if (rc == NVR_OK)
        *n = index_col_int64(&st, 0);
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err alert_meta_get(nvr_index *ix, const char *key, char *val, size_t n)
{
    index_stmt st;
    start(&st, ix, "SELECT value FROM alert_meta WHERE key = ?1", "alert_meta_get");
    index_bind_text(&st, 1, key);
    nvr_err rc = index_step_row(&st);
    if (rc == NVR_OK)
        index_col_text(&st, 0, val, n);
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err alert_meta_set(nvr_index *ix, const char *key, const char *val)
{
    index_stmt st;
    start(&st, ix, "INSERT OR REPLACE INTO alert_meta (key, value) VALUES (?1, ?2)", "alert_meta_set");
    index_bind_text(&st, 1, key);
    index_bind_text(&st, 2, val);
    return finish(&st, 0);
}
