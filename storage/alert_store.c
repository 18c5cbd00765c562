/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert_store.c - the alerts tables (see alert_store.h; migration 9).
 */
#include "storage/alert_store.h"
#include "storage/index_priv.h"

#include "base/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROW_COLUMNS                                                                                   \
    "id, key, kind, camera, severity, state, title, detail, opened_us, updated_us, resolved_us, acked_us, " \
    "acked_by, flaps"

static void text_col(sqlite3_stmt *st, int c, char *out, size_t n)
{
    const unsigned char *t = sqlite3_column_text(st, c);
    snprintf(out, n, "%s", t ? (const char *)t : "");
}

static void read_row(sqlite3_stmt *st, struct alert_row *r)
{
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    text_col(st, 1, r->key, sizeof r->key);
    text_col(st, 2, r->kind, sizeof r->kind);
    text_col(st, 3, r->camera, sizeof r->camera);
    text_col(st, 4, r->severity, sizeof r->severity);
    text_col(st, 5, r->state, sizeof r->state);
    text_col(st, 6, r->title, sizeof r->title);
    text_col(st, 7, r->detail, sizeof r->detail);
    r->opened_us = sqlite3_column_int64(st, 8);
    r->updated_us = sqlite3_column_int64(st, 9);
    r->resolved_us = sqlite3_column_int64(st, 10);
    r->acked_us = sqlite3_column_int64(st, 11);
    text_col(st, 12, r->acked_by, sizeof r->acked_by);
    r->flaps = sqlite3_column_int(st, 13);
}

/* Prepares sql under ix->mu (the caller unlocks through finish()). */
static int prepare(nvr_index *ix, const char *sql, sqlite3_stmt **st, const char *what)
{
    pthread_mutex_lock(&ix->mu);
    if (sqlite3_prepare_v2(ix->db, sql, -1, st, NULL) != SQLITE_OK) {
        int rc = index_db_err(ix, what);
        pthread_mutex_unlock(&ix->mu);
        *st = NULL;
        return rc;
    }
    return NVR_OK;
}

/* Steps a statement with no rows; must_change: NVR_ENOTFOUND if no row changed. */
static int finish(nvr_index *ix, sqlite3_stmt *st, const char *what, int must_change)
{
    int rc = NVR_OK;
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = index_db_err(ix, what);
    else if (must_change && sqlite3_changes(ix->db) == 0)
        rc = NVR_ENOTFOUND;
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

int alert_store_insert(nvr_index *ix, const struct alert_row *in, int64_t now_us, int64_t *id)
{
    sqlite3_stmt *st;
    int rc = prepare(ix,
                     "INSERT INTO alerts (key, kind, camera, severity, state, title, detail, opened_us, updated_us, "
                     "flaps) VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?6, ?7, ?7, ?8)",
                     &st, "alert_store_insert");
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, in->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, in->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, in->camera, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, in->severity, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, in->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, in->detail, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, now_us);
    sqlite3_bind_int(st, 8, in->flaps);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = index_db_err(ix, "alert_store_insert");
    } else {
        *id = sqlite3_last_insert_rowid(ix->db);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

int alert_store_update(nvr_index *ix, int64_t id, const char *detail, int flaps, int64_t now_us)
{
    sqlite3_stmt *st;
    int rc = prepare(ix, "UPDATE alerts SET detail = ?2, flaps = ?3, updated_us = ?4 WHERE id = ?1", &st,
                     "alert_store_update");
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, detail, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, flaps);
    sqlite3_bind_int64(st, 4, now_us);
    return finish(ix, st, "alert_store_update", 1);
}

int alert_store_resolve(nvr_index *ix, int64_t id, int64_t now_us)
{
    sqlite3_stmt *st;
    int rc = prepare(ix,
                     "UPDATE alerts SET state = 'resolved', resolved_us = ?2, updated_us = ?2 WHERE id = ?1 AND "
                     "state != 'resolved'",
                     &st, "alert_store_resolve");
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now_us);
    return finish(ix, st, "alert_store_resolve", 0);
}

int alert_store_ack(nvr_index *ix, int64_t id, const char *user, int64_t now_us, struct alert_row *out)
{
    sqlite3_stmt *st;
    int rc = prepare(ix,
                     "UPDATE alerts SET state = CASE state WHEN 'open' THEN 'acknowledged' ELSE state END, "
                     "acked_us = ?2, acked_by = ?3, updated_us = ?2 WHERE id = ?1",
                     &st, "alert_store_ack");
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now_us);
    sqlite3_bind_text(st, 3, user, -1, SQLITE_STATIC);
    if ((rc = finish(ix, st, "alert_store_ack", 1)))
        return rc;
    return out ? alert_store_get(ix, id, out) : NVR_OK;
}

int alert_store_get(nvr_index *ix, int64_t id, struct alert_row *out)
{
    sqlite3_stmt *st;
    int rc = prepare(ix, "SELECT " ROW_COLUMNS " FROM alerts WHERE id = ?1", &st, "alert_store_get"), s;
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    if ((s = sqlite3_step(st)) == SQLITE_ROW)
        read_row(st, out);
    else
        rc = s == SQLITE_DONE ? NVR_ENOTFOUND : index_db_err(ix, "alert_store_get");
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

int alert_store_list(nvr_index *ix, const char *state, int limit, struct alert_row **out, size_t *n)
{
    sqlite3_stmt *st;
    struct alert_row *v = NULL;
    size_t len = 0, cap = 0;
    const char *sql = !state ? "SELECT " ROW_COLUMNS " FROM alerts ORDER BY id DESC LIMIT ?2"
                      : strcmp(state, "active") == 0
                          ? "SELECT " ROW_COLUMNS " FROM alerts WHERE state != 'resolved' ORDER BY id DESC LIMIT ?2"
                          : "SELECT " ROW_COLUMNS " FROM alerts WHERE state = ?1 ORDER BY id DESC LIMIT ?2";
    int rc = prepare(ix, sql, &st, "alert_store_list"), s;
    *out = NULL;
    *n = 0;
    if (rc)
        return rc;
    if (state && strcmp(state, "active") != 0)
        sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, limit > 0 ? limit : 100);
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = index_grow(&v, &cap, len, sizeof *v)))
            break;
        read_row(st, &v[len++]);
    }
    if (rc == NVR_OK && s != SQLITE_DONE)
        rc = index_db_err(ix, "alert_store_list");
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    *n = len;
    return NVR_OK;
}

int alert_outbox_add(nvr_index *ix, const char *channel, const char *target, const char *body, int64_t now_us)
{
    sqlite3_stmt *st;
    int rc = prepare(ix,
                     "INSERT INTO alert_outbox (channel, target, body, next_us, created_us) VALUES (?1, ?2, ?3, ?4, ?4)",
                     &st, "alert_outbox_add");
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, target ? target : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, body, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now_us);
    return finish(ix, st, "alert_outbox_add", 0);
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

int alert_outbox_list(nvr_index *ix, int max, struct alert_outbox_row **out, size_t *n)
{
    sqlite3_stmt *st;
    struct alert_outbox_row *v = NULL;
    size_t len = 0, cap = 0;
    int rc = prepare(ix,
                     "SELECT id, channel, target, body, attempts, next_us, created_us FROM alert_outbox ORDER BY id "
                     "LIMIT ?1",
                     &st, "alert_outbox_list"),
        s;
    *out = NULL;
    *n = 0;
    if (rc)
        return rc;
    sqlite3_bind_int(st, 1, max);
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = index_grow(&v, &cap, len, sizeof *v)))
            break;
        struct alert_outbox_row *r = &v[len];
        memset(r, 0, sizeof *r);
        r->id = sqlite3_column_int64(st, 0);
        text_col(st, 1, r->channel, sizeof r->channel);
        r->target = strdup((const char *)sqlite3_column_text(st, 2));
        r->body = strdup((const char *)sqlite3_column_text(st, 3));
        len++;
        if (!r->target || !r->body) {
            rc = NVR_ENOMEM;
            break;
        }
        r->attempts = sqlite3_column_int(st, 4);
        r->next_us = sqlite3_column_int64(st, 5);
        r->created_us = sqlite3_column_int64(st, 6);
    }
    if (rc == NVR_OK && s != SQLITE_DONE)
        rc = index_db_err(ix, "alert_outbox_list");
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    if (rc) {
        alert_outbox_free(&v, len);
        return rc;
    }
    *out = v;
    *n = len;
    return NVR_OK;
}

int alert_outbox_done(nvr_index *ix, int64_t id)
{
    sqlite3_stmt *st;
    int rc = prepare(ix, "DELETE FROM alert_outbox WHERE id = ?1", &st, "alert_outbox_done");
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    return finish(ix, st, "alert_outbox_done", 0);
}

int alert_outbox_retry(nvr_index *ix, int64_t id, int attempts, int64_t next_us, const char *error)
{
    sqlite3_stmt *st;
    int rc = prepare(ix, "UPDATE alert_outbox SET attempts = ?2, next_us = ?3, last_error = ?4 WHERE id = ?1", &st,
                     "alert_outbox_retry");
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, attempts);
    sqlite3_bind_int64(st, 3, next_us);
    sqlite3_bind_text(st, 4, error ? error : "", -1, SQLITE_STATIC);
    return finish(ix, st, "alert_outbox_retry", 0);
}

int alert_outbox_count(nvr_index *ix, int64_t *n)
{
    sqlite3_stmt *st;
    int rc = prepare(ix, "SELECT count(*) FROM alert_outbox", &st, "alert_outbox_count");
    *n = 0;
    if (rc)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    else
        rc = index_db_err(ix, "alert_outbox_count");
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

int alert_meta_get(nvr_index *ix, const char *key, char *val, size_t n)
{
    sqlite3_stmt *st;
    int rc = prepare(ix, "SELECT value FROM alert_meta WHERE key = ?1", &st, "alert_meta_get"), s;
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if ((s = sqlite3_step(st)) == SQLITE_ROW)
        text_col(st, 0, val, n);
    else
        rc = s == SQLITE_DONE ? NVR_ENOTFOUND : index_db_err(ix, "alert_meta_get");
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

int alert_meta_set(nvr_index *ix, const char *key, const char *val)
{
    sqlite3_stmt *st;
    int rc = prepare(ix, "INSERT OR REPLACE INTO alert_meta (key, value) VALUES (?1, ?2)", &st, "alert_meta_set");
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, val, -1, SQLITE_STATIC);
    return finish(ix, st, "alert_meta_set", 0);
}
