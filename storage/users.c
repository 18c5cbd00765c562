/* SPDX-License-Identifier: Apache-2.0 */
/*
 * users.c - accounts, grants, sessions and tokens in the index (see
 * users.h; schema in docs/design/index.md, migration 4).
 */
#include "storage/users.h"
#include "storage/index_stmt.h"

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

nvr_err users_count(nvr_index *ix, int64_t *n)
{
    index_stmt st;
    index_lock(ix);
    index_prepare(&st, ix, "SELECT COUNT(*) FROM users", "users_count");
    nvr_err rc = index_step_row(&st);
    if (rc == NVR_OK)
        *n = index_col_int64(&st, 0);
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

/* Replaces the grants of u.  Locked, inside a transaction. */
static nvr_err write_grants(nvr_index *ix, const struct user *u)
{
    index_stmt st;
    index_prepare(&st, ix, "DELETE FROM user_grants WHERE user_id = ?1", "grants");
    index_bind_int64(&st, 1, u->id);
    nvr_err rc = index_step_done(&st);
    index_finalize(&st);
    if (rc == NVR_OK)
        rc = index_prepare(&st, ix, "INSERT OR IGNORE INTO user_grants(user_id, grant_to) VALUES (?1, ?2)", "grants");
    for (size_t i = 0; i < u->ngrants && rc == NVR_OK; i++) {
        index_reset(&st);
        index_bind_int64(&st, 1, u->id);
        index_bind_text(&st, 2, u->grants[i]);
        rc = index_step_done(&st);
    }
    index_finalize(&st);
    return rc;
}

/* Inserts u's row (a name taken is NVR_EINVAL) and its grants.  Locked,
 * inside a transaction. */
static nvr_err add_rows(nvr_index *ix, struct user *u)
{
    index_stmt st;
    index_prepare(
        &st, ix,
        "INSERT INTO users(name, role, pwhash, pw_changed_us, created_us, source) VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
        "users_add");
    index_on_constraint(&st, NVR_EINVAL);
    index_bind_text(&st, 1, u->name);
    index_bind_text(&st, 2, users_role_name(u->role));
    index_bind_text(&st, 3, u->pwhash);
    index_bind_int64(&st, 4, u->created_us);
    index_bind_text(&st, 5, u->source[0] ? u->source : "local");
    nvr_err rc = index_step_done(&st);
    if (rc == NVR_OK)
        u->id = index_last_id(&st);
    index_finalize(&st);
    if (rc)
        return rc;
    u->pw_changed_us = u->created_us;
    return write_grants(ix, u);
}

nvr_err users_add(nvr_index *ix, struct user *u)
{
    if (!users_role_parse(users_role_name(u->role)))
        return NVR_EINVAL;
    nvr_err rc = index_begin(ix);
    if (rc == NVR_OK)
        rc = add_rows(ix, u);
    return index_end(ix, rc);
}

#define USER_COLUMNS "id, name, role, pwhash, pw_changed_us, created_us, source"

/* The row st is on, and its grants, into *u.  Locked. */
static nvr_err read_user(nvr_index *ix, const index_stmt *st, struct user *u)
{
    index_stmt g;
    int s;
    memset(u, 0, sizeof *u);
    u->id = index_col_int64(st, 0);
    index_col_text(st, 1, u->name, sizeof u->name);
    u->role = users_role_parse(index_col_str(st, 2));
    index_col_text(st, 3, u->pwhash, sizeof u->pwhash);
    u->pw_changed_us = index_col_int64(st, 4);
    u->created_us = index_col_int64(st, 5);
    index_col_text(st, 6, u->source, sizeof u->source);
    index_prepare(&g, ix, "SELECT grant_to FROM user_grants WHERE user_id = ?1 ORDER BY grant_to", "grants");
    index_bind_int64(&g, 1, u->id);
    while ((s = index_step(&g)) == INDEX_ROW && u->ngrants < USER_GRANTS_MAX)
        index_col_text(&g, 0, u->grants[u->ngrants++], USER_GRANT_LEN);
    index_finalize(&g);
    return s == INDEX_ROW ? NVR_OK : (nvr_err)s;
}

static nvr_err get_where(nvr_index *ix, const char *sql, const char *name, int64_t id, struct user *out)
{
    index_stmt st;
    index_lock(ix);
    index_prepare(&st, ix, sql, "users_get");
    if (name)
        index_bind_text(&st, 1, name);
    else
        index_bind_int64(&st, 1, id);
    nvr_err rc = index_step_row(&st);
    if (rc == NVR_OK)
        rc = read_user(ix, &st, out);
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err users_get(nvr_index *ix, const char *name, struct user *out)
{
    return get_where(ix, "SELECT " USER_COLUMNS " FROM users WHERE name = ?1", name, 0, out);
}

nvr_err users_get_id(nvr_index *ix, int64_t id, struct user *out)
{
    return get_where(ix, "SELECT " USER_COLUMNS " FROM users WHERE id = ?1", NULL, id, out);
}

nvr_err users_list(nvr_index *ix, struct user **out, size_t *n)
{
    index_stmt st;
    struct user *v = NULL;
    size_t len = 0, cap = 0;
    int s;
    index_lock(ix);
    index_prepare(&st, ix, "SELECT " USER_COLUMNS " FROM users ORDER BY name", "users_list");
    while ((s = index_step(&st)) == INDEX_ROW) {
        if ((s = index_grow(&v, &cap, len, sizeof *v)) || (s = read_user(ix, &st, &v[len])))
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

/* Updates u's row (and with a new password drops its sessions) and its
 * grants.  Locked, inside a transaction. */
static nvr_err update_rows(nvr_index *ix, const struct user *u, int new_password)
{
    index_stmt st;
    index_prepare(&st, ix,
                  new_password ? "UPDATE users SET role = ?2, pwhash = ?3, pw_changed_us = ?4 WHERE id = ?1"
                               : "UPDATE users SET role = ?2 WHERE id = ?1",
                  "users_update");
    index_bind_int64(&st, 1, u->id);
    index_bind_text(&st, 2, users_role_name(u->role));
    if (new_password) {
        index_bind_text(&st, 3, u->pwhash);
        index_bind_int64(&st, 4, u->pw_changed_us);
    }
    nvr_err rc = index_step_change(&st);
    index_finalize(&st);
    if (rc == NVR_OK && new_password) {
        index_prepare(&st, ix, "DELETE FROM sessions WHERE user_id = ?1", "sessions");
        index_bind_int64(&st, 1, u->id);
        rc = index_step_done(&st);
        index_finalize(&st);
    }
    return rc ? rc : write_grants(ix, u);
}

nvr_err users_update(nvr_index *ix, const struct user *u, int new_password)
{
    if (!users_role_parse(users_role_name(u->role)))
        return NVR_EINVAL;
    nvr_err rc = index_begin(ix);
    if (rc == NVR_OK)
        rc = update_rows(ix, u, new_password);
    return index_end(ix, rc);
}

/* Runs a one-statement write whose ?1 is a 32-byte hash (or, hash NULL,
 * the text key) and whose ?2 is *i2 (if i2 is not NULL); must_change:
 * NVR_ENOTFOUND if it changed no row. */
static nvr_err write1(nvr_index *ix, const char *sql, const uint8_t *hash, const char *key, const int64_t *i2,
                      int must_change, const char *what)
{
    index_stmt st;
    index_lock(ix);
    index_prepare(&st, ix, sql, what);
    if (hash)
        index_bind_blob(&st, 1, hash, 32);
    else
        index_bind_text(&st, 1, key);
    if (i2)
        index_bind_int64(&st, 2, *i2);
    nvr_err rc = must_change ? index_step_change(&st) : index_step_done(&st);
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err users_delete(nvr_index *ix, const char *name)
{
    return write1(ix, "DELETE FROM users WHERE name = ?1", NULL, name, NULL, 1, "users_delete");
}

/* The names of the users of source "catalog" that are not in v[0..n):
 * deleted.  Locked, inside a transaction. */
static nvr_err drop_gone(nvr_index *ix, const struct user *v, size_t n, int *removed)
{
    index_stmt st, del;
    int s;
    index_prepare(&st, ix, "SELECT id, name FROM users WHERE source = 'catalog'", "catalog_users");
    index_prepare(&del, ix, "DELETE FROM users WHERE id = ?1", "catalog_users");
    while ((s = index_step(&st)) == INDEX_ROW) {
        const char *name = index_col_str(&st, 1);
        size_t lo = 0, hi = n; /* v is sorted by name */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int c = strcmp(v[mid].name, name ? name : "");
            if (c == 0)
                break;
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < hi)
            continue;
        index_reset(&del);
        index_bind_int64(&del, 1, index_col_int64(&st, 0));
        if ((s = index_step_done(&del)))
            break;
        (*removed)++;
    }
    index_finalize(&del);
    index_finalize(&st);
    return s == INDEX_ROW ? NVR_OK : (nvr_err)s;
}

/* Makes the catalog user u (source "catalog") what it says, or adds it.
 * Locked, inside a transaction. */
static nvr_err mirror_one(nvr_index *ix, const struct user *in, int64_t now_us,
                          void (*skipped)(const char *name, void *arg), void *arg)
{
    struct user *u = malloc(sizeof *u), *was = malloc(sizeof *was);
    index_stmt st;
    nvr_err rc = u && was ? NVR_OK : NVR_ENOMEM;
    if (rc)
        goto out;
    *u = *in;
    snprintf(u->source, sizeof u->source, "catalog");
    index_prepare(&st, ix, "SELECT " USER_COLUMNS " FROM users WHERE name = ?1", "users_get");
    index_bind_text(&st, 1, u->name);
    rc = index_step_row(&st);
    if (rc == NVR_OK)
        rc = read_user(ix, &st, was);
    index_finalize(&st);
    if (rc == NVR_ENOTFOUND) {
        u->created_us = now_us;
        rc = add_rows(ix, u);
    } else if (rc == NVR_OK && strcmp(was->source, "catalog") != 0) {
        if (skipped)
            skipped(u->name, arg);
    } else if (rc == NVR_OK) {
        u->id = was->id;
        int newpw = strcmp(was->pwhash, u->pwhash) != 0;
        u->pw_changed_us = newpw ? now_us : was->pw_changed_us;
        rc = update_rows(ix, u, newpw);
    }
out:
    if (u)
        memset(u->pwhash, 0, sizeof u->pwhash);
    free(u);
    free(was);
    return rc;
}

nvr_err users_replace_catalog(nvr_index *ix, const struct user *v, size_t n, int64_t now_us,
                              void (*skipped)(const char *name, void *arg), void *arg, int *removed)
{
    int gone = 0;
    for (size_t i = 1; i < n; i++)
        if (strcmp(v[i - 1].name, v[i].name) >= 0)
            return NVR_EINVAL;
    nvr_err rc = index_begin(ix);
    if (rc == NVR_OK)
        rc = drop_gone(ix, v, n, &gone);
    for (size_t i = 0; i < n && rc == NVR_OK; i++)
        if (users_role_parse(users_role_name(v[i].role)))
            rc = mirror_one(ix, &v[i], now_us, skipped, arg);
    rc = index_end(ix, rc);
    if (removed)
        *removed = rc == NVR_OK ? gone : 0;
    return rc;
}

nvr_err users_session_add(nvr_index *ix, const uint8_t hash[32], int64_t user_id, const char *csrf, const char *address,
                          int64_t now_us)
{
    index_stmt st;
    index_lock(ix);
    index_prepare(&st, ix,
                  "INSERT INTO sessions(token_hash, user_id, csrf, address, created_us, last_us) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                  "session_add");
    index_bind_blob(&st, 1, hash, 32);
    index_bind_int64(&st, 2, user_id);
    index_bind_text(&st, 3, csrf);
    index_bind_text(&st, 4, address);
    index_bind_int64(&st, 5, now_us);
    nvr_err rc = index_step_done(&st);
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err users_session_get(nvr_index *ix, const uint8_t hash[32], int64_t *user_id, char csrf[USER_CSRF_LEN],
                          int64_t *created_us, int64_t *last_us)
{
    index_stmt st;
    index_lock(ix);
    index_prepare(&st, ix, "SELECT user_id, csrf, created_us, last_us FROM sessions WHERE token_hash = ?1",
                  "session_get");
    index_bind_blob(&st, 1, hash, 32);
    nvr_err rc = index_step_row(&st);
    if (rc == NVR_OK) {
        *user_id = index_col_int64(&st, 0);
        index_col_text(&st, 1, csrf, USER_CSRF_LEN);
        *created_us = index_col_int64(&st, 2);
        *last_us = index_col_int64(&st, 3);
    }
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err users_session_touch(nvr_index *ix, const uint8_t hash[32], int64_t now_us)
{
    return write1(ix, "UPDATE sessions SET last_us = ?2 WHERE token_hash = ?1", hash, NULL, &now_us, 0,
                  "session_touch");
}

nvr_err users_session_delete(nvr_index *ix, const uint8_t hash[32])
{
    return write1(ix, "DELETE FROM sessions WHERE token_hash = ?1", hash, NULL, NULL, 0, "session_delete");
}

nvr_err users_token_add(nvr_index *ix, const uint8_t hash[32], int64_t user_id, const char *label, int64_t now_us,
                        int64_t *id)
{
    index_stmt st;
    index_lock(ix);
    index_prepare(&st, ix, "INSERT INTO tokens(token_hash, user_id, label, created_us) VALUES (?1, ?2, ?3, ?4)",
                  "token_add");
    index_bind_blob(&st, 1, hash, 32);
    index_bind_int64(&st, 2, user_id);
    index_bind_text(&st, 3, label);
    index_bind_int64(&st, 4, now_us);
    nvr_err rc = index_step_done(&st);
    if (rc == NVR_OK)
        *id = index_last_id(&st);
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err users_token_find(nvr_index *ix, const uint8_t hash[32], int64_t *user_id)
{
    index_stmt st;
    index_lock(ix);
    index_prepare(&st, ix, "SELECT user_id FROM tokens WHERE token_hash = ?1 AND revoked_us IS NULL", "token_find");
    index_bind_blob(&st, 1, hash, 32);
    nvr_err rc = index_step_row(&st);
    if (rc == NVR_OK)
        *user_id = index_col_int64(&st, 0);
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err users_token_revoke(nvr_index *ix, int64_t id, int64_t user_id, int64_t now_us)
{
    index_stmt st;
    index_lock(ix);
    index_prepare(&st, ix,
                  "UPDATE tokens SET revoked_us = ?3 WHERE id = ?1 AND (?2 = 0 OR user_id = ?2) "
                  "AND revoked_us IS NULL",
                  "token_revoke");
    index_bind_int64(&st, 1, id);
    index_bind_int64(&st, 2, user_id);
    index_bind_int64(&st, 3, now_us);
    nvr_err rc = index_step_change(&st);
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err users_tokens_revoke_user(nvr_index *ix, int64_t user_id, int64_t now_us, int *n)
{
    index_stmt st;
    index_lock(ix);
    index_prepare(&st, ix, "UPDATE tokens SET revoked_us = ?2 WHERE user_id = ?1 AND revoked_us IS NULL",
                  "tokens_revoke_user");
    index_bind_int64(&st, 1, user_id);
    index_bind_int64(&st, 2, now_us);
    nvr_err rc = index_step_done(&st);
    if (rc == NVR_OK && n)
        *n = (int)index_changes(&st);
    index_finalize(&st);
    index_unlock(ix);
    return rc;
}

nvr_err users_token_touch(nvr_index *ix, const uint8_t hash[32], int64_t now_us)
{
    return write1(ix, "UPDATE tokens SET last_used_us = ?2 WHERE token_hash = ?1", hash, NULL, &now_us, 0,
                  "token_touch");
}

nvr_err users_tokens_list(nvr_index *ix, struct user_token **out, size_t *n)
{
    index_stmt st;
    struct user_token *v = NULL;
    size_t len = 0, cap = 0;
    int s;
    index_lock(ix);
    index_prepare(&st, ix,
                  "SELECT id, user_id, created_us, label, last_used_us FROM tokens WHERE revoked_us IS NULL "
                  "ORDER BY user_id, id",
                  "tokens_list");
    while ((s = index_step(&st)) == INDEX_ROW) {
        if ((s = index_grow(&v, &cap, len, sizeof *v)))
            break;
        struct user_token *t = &v[len++];
        t->id = index_col_int64(&st, 0);
        t->user_id = index_col_int64(&st, 1);
        t->created_us = index_col_int64(&st, 2);
        index_col_text(&st, 3, t->label, sizeof t->label);
        t->last_used_us = index_col_int64(&st, 4); /* NULL reads as 0 */
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
