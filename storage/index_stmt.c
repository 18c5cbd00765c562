/* SPDX-License-Identifier: Apache-2.0 */
/*
 * index_stmt.c - the lock, transactions and statements of the index for the
 * table files (see index_stmt.h for the contract).
 *
 * Invariants: st->raw is NULL after a failed prepare or bind, and st->err
 * then holds the error every step returns; st->err keeps the first error
 * (a failed step sets it too), which is logged once, when it is first seen
 * (index_db_err), unless st->what is NULL.
 */
#include "storage/index_stmt.h"
#include "storage/index_priv.h"

#include "base/err.h"
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void index_lock(nvr_index *ix)
{
    pthread_mutex_lock(&ix->mu);
}

void index_unlock(nvr_index *ix)
{
    pthread_mutex_unlock(&ix->mu);
}

nvr_err index_begin(nvr_index *ix)
{
    pthread_mutex_lock(&ix->mu);
    nvr_err rc = index_exec(ix, "BEGIN IMMEDIATE");
    ix->in_txn = rc == NVR_OK;
    return rc;
}

nvr_err index_end(nvr_index *ix, nvr_err rc)
{
    if (ix->in_txn) {
        if (rc == NVR_OK)
            rc = index_exec(ix, "COMMIT");
        if (rc != NVR_OK)
            sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
        ix->in_txn = 0;
    }
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

/* Records the connection's last error as st's (logged unless quiet); keeps
 * an earlier one. */
static nvr_err fail(index_stmt *st)
{
    if (st->err == NVR_OK)
        st->err = st->what ? index_db_err(st->ix, st->what) : index_sqlite_err(st->ix->db);
    return st->err;
}

nvr_err index_prepare(index_stmt *st, nvr_index *ix, const char *sql, const char *what)
{
    *st = (index_stmt){.ix = ix, .what = what};
    if (index_prep(ix, sql, &st->raw) != SQLITE_OK) {
        index_put(ix, st->raw);
        st->raw = NULL;
        return fail(st);
    }
    return NVR_OK;
}

/* A bind's result: a failure (a parameter out of range, a value too big)
 * becomes the statement's error. */
static void bound(index_stmt *st, int s)
{
    if (s != SQLITE_OK) {
        fail(st);
        index_put(st->ix, st->raw);
        st->raw = NULL;
    }
}

void index_bind_int64(index_stmt *st, int i, int64_t v)
{
    if (st->raw)
        bound(st, sqlite3_bind_int64(st->raw, i, v));
}

void index_bind_text(index_stmt *st, int i, const char *s)
{
    if (st->raw)
        bound(st, sqlite3_bind_text(st->raw, i, s, -1, SQLITE_STATIC));
}

void index_bind_blob(index_stmt *st, int i, const void *p, size_t n)
{
    if (st->raw)
        bound(st, n > INT32_MAX ? SQLITE_TOOBIG : sqlite3_bind_blob(st->raw, i, p, (int)n, SQLITE_STATIC));
}

void index_bind_null(index_stmt *st, int i)
{
    if (st->raw)
        bound(st, sqlite3_bind_null(st->raw, i));
}

void index_on_constraint(index_stmt *st, nvr_err rc)
{
    st->constraint = rc;
}

int index_step(index_stmt *st)
{
    if (!st->raw)
        return st->err ? st->err : NVR_EDB;
    int s = sqlite3_step(st->raw);
    if (s == SQLITE_ROW)
        return INDEX_ROW;
    if (s == SQLITE_DONE)
        return NVR_OK;
    if ((s & 0xff) == SQLITE_CONSTRAINT && st->constraint)
        return st->constraint;
    return fail(st);
}

nvr_err index_step_done(index_stmt *st)
{
    int s = index_step(st);
    if (s != INDEX_ROW)
        return (nvr_err)s;
    if (st->what)
        nvr_log(NVR_ERROR, NULL, "index error op=%s error=\"a row where none was expected\"", st->what);
    return NVR_EDB;
}

nvr_err index_step_change(index_stmt *st)
{
    nvr_err rc = index_step_done(st);
    return rc == NVR_OK && sqlite3_changes(st->ix->db) == 0 ? NVR_ENOTFOUND : rc;
}

nvr_err index_step_row(index_stmt *st)
{
    int s = index_step(st);
    return s == INDEX_ROW ? NVR_OK : s == NVR_OK ? NVR_ENOTFOUND : (nvr_err)s;
}

void index_reset(index_stmt *st)
{
    if (st->raw)
        sqlite3_reset(st->raw);
}

int64_t index_changes(const index_stmt *st)
{
    return sqlite3_changes(st->ix->db);
}

int64_t index_last_id(const index_stmt *st)
{
    return sqlite3_last_insert_rowid(st->ix->db);
}

void index_finalize(index_stmt *st)
{
    if (st && st->raw) {
        index_put(st->ix, st->raw);
        st->raw = NULL;
    }
}

int64_t index_col_int64(const index_stmt *st, int c)
{
    return sqlite3_column_int64(st->raw, c);
}

int index_col_int(const index_stmt *st, int c)
{
    return sqlite3_column_int(st->raw, c);
}

int index_col_null(const index_stmt *st, int c)
{
    return sqlite3_column_type(st->raw, c) == SQLITE_NULL;
}

const char *index_col_str(const index_stmt *st, int c)
{
    return (const char *)sqlite3_column_text(st->raw, c);
}

void index_col_text(const index_stmt *st, int c, char *dst, size_t n)
{
    const char *s = index_col_str(st, c);
    snprintf(dst, n, "%s", s ? s : "");
}

char *index_col_strdup(const index_stmt *st, int c)
{
    const char *s = index_col_str(st, c);
    return strdup(s ? s : "");
}

int index_col_blob(const index_stmt *st, int c, void *dst, size_t n)
{
    const void *p = sqlite3_column_blob(st->raw, c);
    if ((size_t)sqlite3_column_bytes(st->raw, c) != n || (n && !p))
        return 0;
    memcpy(dst, p, n);
    return 1;
}

nvr_err index_check_rows(nvr_index *ix, const char *from, const char *where, const char *what, int repair, FILE *report,
                         int *problems)
{
    char sql[1024];
    index_stmt st;
    int64_t count = 0;
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s WHERE %s", from, where);
    index_lock(ix);
    index_prepare(&st, ix, sql, "check");
    nvr_err rc = index_step_row(&st);
    if (rc == NVR_OK)
        count = index_col_int64(&st, 0);
    index_finalize(&st);
    if (rc == NVR_OK && count > 0 && repair) {
        snprintf(sql, sizeof sql, "DELETE FROM %s WHERE %s", from, where);
        index_prepare(&st, ix, sql, "check_repair");
        rc = index_step_done(&st);
        index_finalize(&st);
    }
    index_unlock(ix);
    if (rc == NVR_OK && count > 0) {
        *problems += (int)count;
        fprintf(report, "index.db: %lld %s%s\n", (long long)count, what, repair ? " (deleted)" : "");
    }
    return rc;
}
