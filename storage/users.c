/* SPDX-License-Identifier: Apache-2.0 */
/*
 * users.c - accounts, grants, sessions and tokens in the index (see
 * users.h; schema in docs/design/index.md, migration 4).
 */
#include "storage/users.h"
#include "storage/index_priv.h"

#include "base/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const role_names[] = {NULL, "viewer", "investigator", "admin"};

enum user_role users_role_parse(const char *s)
{
    for (int i = 1; i <= USER_ADMIN; i++)
        if (s && strcmp(s, role_names[i]) == 0)
            return (enum user_role)i;
    return 0;
}

const char *users_role_name(enum user_role r)
{
    return r >= USER_VIEWER && r <= USER_ADMIN ? role_names[r] : "none";
}

static void copy_text(char *dst, size_t n, const unsigned char *src)
{
    snprintf(dst, n, "%s", src ? (const char *)src : "");
}

/* Prepares sql under the lock held by the caller; NVR_EDB logged on failure. */
static int prep(nvr_index *ix, sqlite3_stmt **st, const char *sql, const char *what)
{
    if (sqlite3_prepare_v2(ix->db, sql, -1, st, NULL) != SQLITE_OK)
        return index_db_err(ix, what);
    return NVR_OK;
}

/* Steps a statement that returns no row; NVR_ENOTFOUND if it changed none
 * and must_change is set. */
static int step_done(nvr_index *ix, sqlite3_stmt *st, int must_change, const char *what)
{
    if (sqlite3_step(st) != SQLITE_DONE)
        return index_db_err(ix, what);
    if (must_change && sqlite3_changes(ix->db) == 0)
        return NVR_ENOTFOUND;
    return NVR_OK;
}

int users_count(nvr_index *ix, int64_t *n)
{
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&ix->mu);
    int rc = prep(ix, &st, "SELECT COUNT(*) FROM users", "users_count");
    if (rc == NVR_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            *n = sqlite3_column_int64(st, 0);
        else
            rc = index_db_err(ix, "users_count");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

/* Replaces the grants of u (locked, inside a transaction). */
static int write_grants(nvr_index *ix, const struct user *u)
{
    sqlite3_stmt *st = NULL;
    int rc = prep(ix, &st, "DELETE FROM user_grants WHERE user_id = ?1", "grants");
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, u->id);
    rc = step_done(ix, st, 0, "grants");
    sqlite3_finalize(st);
    st = NULL;
    if (rc || (rc = prep(ix, &st, "INSERT OR IGNORE INTO user_grants(user_id, grant_to) VALUES (?1, ?2)", "grants")))
        return rc;
    for (size_t i = 0; i < u->ngrants && rc == NVR_OK; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, u->id);
        sqlite3_bind_text(st, 2, u->grants[i], -1, SQLITE_STATIC);
        rc = step_done(ix, st, 0, "grants");
    }
    sqlite3_finalize(st);
    return rc;
}

/* Runs body inside BEGIN IMMEDIATE .. COMMIT (locked). */
static int in_txn(nvr_index *ix, int (*body)(nvr_index *, void *), void *arg)
{
    int rc = index_exec(ix, "BEGIN IMMEDIATE");
    if (rc)
        return rc;
    if ((rc = body(ix, arg)) == NVR_OK && (rc = index_exec(ix, "COMMIT")) == NVR_OK)
        return NVR_OK;
    sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int add_body(nvr_index *ix, void *arg)
{
    struct user *u = arg;
    sqlite3_stmt *st = NULL;
    int rc = prep(ix, &st,
                  "INSERT INTO users(name, role, pwhash, pw_changed_us, created_us) VALUES (?1, ?2, ?3, ?4, ?4)",
                  "users_add");
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, u->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, users_role_name(u->role), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, u->pwhash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, u->created_us);
    int s = sqlite3_step(st);
    if (s == SQLITE_CONSTRAINT)
        rc = NVR_EINVAL;
    else if (s != SQLITE_DONE)
        rc = index_db_err(ix, "users_add");
    sqlite3_finalize(st);
    if (rc)
        return rc;
    u->id = sqlite3_last_insert_rowid(ix->db);
    u->pw_changed_us = u->created_us;
    return write_grants(ix, u);
}

int users_add(nvr_index *ix, struct user *u)
{
    if (!users_role_parse(users_role_name(u->role)))
        return NVR_EINVAL;
    pthread_mutex_lock(&ix->mu);
    int rc = in_txn(ix, add_body, u);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

#define USER_COLUMNS "id, name, role, pwhash, pw_changed_us, created_us"

static int read_user(nvr_index *ix, sqlite3_stmt *st, struct user *u)
{
    sqlite3_stmt *g = NULL;
    memset(u, 0, sizeof *u);
    u->id = sqlite3_column_int64(st, 0);
    copy_text(u->name, sizeof u->name, sqlite3_column_text(st, 1));
    u->role = users_role_parse((const char *)sqlite3_column_text(st, 2));
    copy_text(u->pwhash, sizeof u->pwhash, sqlite3_column_text(st, 3));
    u->pw_changed_us = sqlite3_column_int64(st, 4);
    u->created_us = sqlite3_column_int64(st, 5);
    int rc = prep(ix, &g, "SELECT grant_to FROM user_grants WHERE user_id = ?1 ORDER BY grant_to", "grants");
    if (rc)
        return rc;
    sqlite3_bind_int64(g, 1, u->id);
    int s;
    while ((s = sqlite3_step(g)) == SQLITE_ROW && u->ngrants < USER_GRANTS_MAX)
        copy_text(u->grants[u->ngrants++], USER_GRANT_LEN, sqlite3_column_text(g, 0));
    if (s != SQLITE_ROW && s != SQLITE_DONE)
        rc = index_db_err(ix, "grants");
    sqlite3_finalize(g);
    return rc;
}

static int get_where(nvr_index *ix, const char *sql, const char *name, int64_t id, struct user *out)
{
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&ix->mu);
    int rc = prep(ix, &st, sql, "users_get");
    if (rc == NVR_OK) {
        if (name)
            sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(st, 1, id);
        int s = sqlite3_step(st);
        if (s == SQLITE_ROW)
            rc = read_user(ix, st, out);
        else
            rc = s == SQLITE_DONE ? NVR_ENOTFOUND : index_db_err(ix, "users_get");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

int users_get(nvr_index *ix, const char *name, struct user *out)
{
    return get_where(ix, "SELECT " USER_COLUMNS " FROM users WHERE name = ?1", name, 0, out);
}

int users_get_id(nvr_index *ix, int64_t id, struct user *out)
{
    return get_where(ix, "SELECT " USER_COLUMNS " FROM users WHERE id = ?1", NULL, id, out);
}

int users_list(nvr_index *ix, struct user **out, size_t *n)
{
    sqlite3_stmt *st = NULL;
    struct user *v = NULL;
    size_t len = 0, cap = 0;
    int s;
    pthread_mutex_lock(&ix->mu);
    int rc = prep(ix, &st, "SELECT " USER_COLUMNS " FROM users ORDER BY name", "users_list");
    while (rc == NVR_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = index_grow(&v, &cap, len, sizeof *v)))
            break;
        if ((rc = read_user(ix, st, &v[len])) == NVR_OK)
            len++;
    }
    if (rc == NVR_OK && s != SQLITE_DONE)
        rc = index_db_err(ix, "users_list");
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

struct update_arg {
    const struct user *u;
    int new_password;
};

static int update_body(nvr_index *ix, void *arg)
{
    const struct update_arg *a = arg;
    sqlite3_stmt *st = NULL;
    int rc = prep(ix, &st,
                  a->new_password ? "UPDATE users SET role = ?2, pwhash = ?3, pw_changed_us = ?4 WHERE id = ?1"
                                  : "UPDATE users SET role = ?2 WHERE id = ?1",
                  "users_update");
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, a->u->id);
    sqlite3_bind_text(st, 2, users_role_name(a->u->role), -1, SQLITE_STATIC);
    if (a->new_password) {
        sqlite3_bind_text(st, 3, a->u->pwhash, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, a->u->pw_changed_us);
    }
    rc = step_done(ix, st, 1, "users_update");
    sqlite3_finalize(st);
    st = NULL;
    if (rc == NVR_OK && a->new_password && (rc = prep(ix, &st, "DELETE FROM sessions WHERE user_id = ?1", "sessions")) == NVR_OK) {
        sqlite3_bind_int64(st, 1, a->u->id);
        rc = step_done(ix, st, 0, "sessions");
        sqlite3_finalize(st);
    }
    return rc ? rc : write_grants(ix, a->u);
}

int users_update(nvr_index *ix, const struct user *u, int new_password)
{
    struct update_arg a = {u, new_password};
    if (!users_role_parse(users_role_name(u->role)))
        return NVR_EINVAL;
    pthread_mutex_lock(&ix->mu);
    int rc = in_txn(ix, update_body, &a);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

/* Runs a one-statement write with a text or blob first parameter and up to
 * two integers after it. */
static int write1(nvr_index *ix, const char *sql, const char *text, const uint8_t *blob, int64_t i2, int64_t i3,
                  int must_change, const char *what)
{
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&ix->mu);
    int rc = prep(ix, &st, sql, what);
    if (rc == NVR_OK) {
        if (blob)
            sqlite3_bind_blob(st, 1, blob, 32, SQLITE_STATIC);
        else
            sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
        int np = sqlite3_bind_parameter_count(st);
        if (np >= 2)
            sqlite3_bind_int64(st, 2, i2);
        if (np >= 3)
            sqlite3_bind_int64(st, 3, i3);
        rc = step_done(ix, st, must_change, what);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

int users_delete(nvr_index *ix, const char *name)
{
    return write1(ix, "DELETE FROM users WHERE name = ?1", name, NULL, 0, 0, 1, "users_delete");
}

int users_session_add(nvr_index *ix, const uint8_t hash[32], int64_t user_id, const char *csrf,
                      const char *address, int64_t now_us)
{
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&ix->mu);
    int rc = prep(ix, &st,
                  "INSERT INTO sessions(token_hash, user_id, csrf, address, created_us, last_us) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                  "session_add");
    if (rc == NVR_OK) {
        sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, user_id);
        sqlite3_bind_text(st, 3, csrf, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, address, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, now_us);
        rc = step_done(ix, st, 0, "session_add");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

int users_session_get(nvr_index *ix, const uint8_t hash[32], int64_t *user_id, char csrf[USER_CSRF_LEN],
                      int64_t *created_us, int64_t *last_us)
{
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&ix->mu);
    int rc = prep(ix, &st, "SELECT user_id, csrf, created_us, last_us FROM sessions WHERE token_hash = ?1",
                  "session_get");
    if (rc == NVR_OK) {
        sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
        int s = sqlite3_step(st);
        if (s == SQLITE_ROW) {
            *user_id = sqlite3_column_int64(st, 0);
            copy_text(csrf, USER_CSRF_LEN, sqlite3_column_text(st, 1));
            *created_us = sqlite3_column_int64(st, 2);
            *last_us = sqlite3_column_int64(st, 3);
        } else {
            rc = s == SQLITE_DONE ? NVR_ENOTFOUND : index_db_err(ix, "session_get");
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

int users_session_touch(nvr_index *ix, const uint8_t hash[32], int64_t now_us)
{
    return write1(ix, "UPDATE sessions SET last_us = ?2 WHERE token_hash = ?1", NULL, hash, now_us, 0, 0,
                  "session_touch");
}

int users_session_delete(nvr_index *ix, const uint8_t hash[32])
{
    return write1(ix, "DELETE FROM sessions WHERE token_hash = ?1", NULL, hash, 0, 0, 0, "session_delete");
}

int users_token_add(nvr_index *ix, const uint8_t hash[32], int64_t user_id, const char *label, int64_t now_us,
                    int64_t *id)
{
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&ix->mu);
    int rc = prep(ix, &st, "INSERT INTO tokens(token_hash, user_id, label, created_us) VALUES (?1, ?2, ?3, ?4)",
                  "token_add");
    if (rc == NVR_OK) {
        sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, user_id);
        sqlite3_bind_text(st, 3, label, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, now_us);
        if ((rc = step_done(ix, st, 0, "token_add")) == NVR_OK)
            *id = sqlite3_last_insert_rowid(ix->db);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

int users_token_find(nvr_index *ix, const uint8_t hash[32], int64_t *user_id)
{
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&ix->mu);
    int rc = prep(ix, &st, "SELECT user_id FROM tokens WHERE token_hash = ?1 AND revoked_us IS NULL", "token_find");
    if (rc == NVR_OK) {
        sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
        int s = sqlite3_step(st);
        if (s == SQLITE_ROW)
            *user_id = sqlite3_column_int64(st, 0);
        else
            rc = s == SQLITE_DONE ? NVR_ENOTFOUND : index_db_err(ix, "token_find");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

int users_token_revoke(nvr_index *ix, int64_t id, int64_t user_id, int64_t now_us)
{
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&ix->mu);
    int rc = prep(ix, &st,
                  "UPDATE tokens SET revoked_us = ?3 WHERE id = ?1 AND (?2 = 0 OR user_id = ?2) "
                  "AND revoked_us IS NULL",
                  "token_revoke");
    if (rc == NVR_OK) {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, user_id);
        sqlite3_bind_int64(st, 3, now_us);
        rc = step_done(ix, st, 1, "token_revoke");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

int users_tokens_revoke_user(nvr_index *ix, int64_t user_id, int64_t now_us, int *n)
{
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&ix->mu);
    int rc = prep(ix, &st, "UPDATE tokens SET revoked_us = ?2 WHERE user_id = ?1 AND revoked_us IS NULL",
                  "tokens_revoke_user");
    if (rc == NVR_OK) {
        sqlite3_bind_int64(st, 1, user_id);
        sqlite3_bind_int64(st, 2, now_us);
        if ((rc = step_done(ix, st, 0, "tokens_revoke_user")) == NVR_OK && n)
            *n = sqlite3_changes(ix->db);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

int users_token_touch(nvr_index *ix, const uint8_t hash[32], int64_t now_us)
{
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&ix->mu);
    int rc = prep(ix, &st, "UPDATE tokens SET last_used_us = ?2 WHERE token_hash = ?1", "token_touch");
    if (rc == NVR_OK) {
        sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now_us);
        rc = step_done(ix, st, 0, "token_touch");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

int users_tokens_list(nvr_index *ix, struct user_token **out, size_t *n)
{
    sqlite3_stmt *st = NULL;
    struct user_token *v = NULL;
    size_t len = 0, cap = 0;
    int s = SQLITE_DONE;
    pthread_mutex_lock(&ix->mu);
    int rc = prep(ix, &st,
                  "SELECT id, user_id, created_us, label, last_used_us FROM tokens WHERE revoked_us IS NULL "
                  "ORDER BY user_id, id",
                  "tokens_list");
    while (rc == NVR_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = index_grow(&v, &cap, len, sizeof *v)))
            break;
        struct user_token *t = &v[len++];
        t->id = sqlite3_column_int64(st, 0);
        t->user_id = sqlite3_column_int64(st, 1);
        t->created_us = sqlite3_column_int64(st, 2);
        copy_text(t->label, sizeof t->label, sqlite3_column_text(st, 3));
        t->last_used_us = sqlite3_column_int64(st, 4); /* NULL reads as 0 */
    }
    if (rc == NVR_OK && s != SQLITE_DONE)
        rc = index_db_err(ix, "tokens_list");
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
