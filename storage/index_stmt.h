/* SPDX-License-Identifier: Apache-2.0 */
/*
 * index_stmt.h - how a table file (users.c, holds.c, alert_store.c,
 * access_log.c, api_cameras.c) runs SQL on the index: the handle's lock,
 * IMMEDIATE transactions, prepared statements with typed binds and column
 * reads, every SQLite error mapped to one nvr_err and logged once.
 *
 * The table files never see SQLite: this header does not include sqlite3.h,
 * and the handle's fields (struct nvr_index: the sqlite3 and its mutex) are
 * in index_priv.h, which only the index's own files (index.c,
 * index_stmt.c, index_retention.c, index_salvage.c) include.  The build
 * holds it (storage/CMakeLists.txt): the table files compile with
 * NVR_INDEX_TABLE_FILE, which makes index_priv.h an #error, and with
 * sqlite3.h's include guard (SQLITE3_H) already defined, so that an
 * `#include <sqlite3.h>` there fails to compile, and a call to an
 * undeclared function is an error.
 *
 * The lock.  A handle is one SQLite connection behind one mutex (index.h,
 * "Threads").  Every statement is prepared, stepped and finalized under it:
 *
 *     index_lock(ix);                      nvr_err rc = index_begin(ix);
 *     ... statements ...                   if (rc) goto out;
 *     index_unlock(ix);                    ... statements; on error goto out ...
 *                                      out:
 *                                          index_finalize(&st);
 *                                          return index_end(ix, rc);
 *
 * index_begin locks and runs BEGIN IMMEDIATE; index_end commits when rc is
 * NVR_OK (a failed COMMIT is rolled back and returned), else rolls back,
 * and unlocks.  Every index_begin is matched by exactly one index_end,
 * whatever index_begin returned (it holds the lock either way; index_end
 * knows whether the BEGIN took).  The lock is not recursive: a function
 * called with it held takes an ix it must not lock again (say "Locked." in
 * its comment).
 *
 * A statement.  An index_stmt lives on the caller's stack; initialise it
 * with INDEX_STMT_INIT (or let index_prepare do it) so that index_finalize,
 * which is safe on an empty or failed statement, can sit under `out:`.
 * The statement keeps its first error (prepare or bind): later binds do
 * nothing and every step returns that error, so a function may prepare,
 * bind and step without testing each call and read the error once:
 *
 *     index_stmt st;
 *     index_lock(ix);
 *     index_prepare(&st, ix, "UPDATE t SET a = ?2 WHERE id = ?1", "t_set");
 *     index_bind_int64(&st, 1, id);
 *     index_bind_text(&st, 2, a);
 *     nvr_err rc = index_step_done(&st);
 *     index_finalize(&st);
 *     index_unlock(ix);
 *
 * Errors are nvr_err (index_sqlite_err): NVR_ENOSPC for a full disk (logged
 * as "disk full"), NVR_EDAMAGED, NVR_ENOMEM, NVR_EROFS, NVR_EACCES,
 * NVR_EIO, else NVR_EDB; each is logged once, with the statement's what,
 * when it happens (what NULL: not logged, for an optional query).
 *
 * Binds are 1-based, as ?N in the SQL, and do not copy: a text or blob must
 * outlive the statement's steps.  A NULL text binds SQL NULL, as does a
 * parameter never bound.  Column reads are 0-based and valid only while the
 * statement is on a row (after index_step returned INDEX_ROW).
 */
#ifndef NVR_STORAGE_INDEX_STMT_H
#define NVR_STORAGE_INDEX_STMT_H

#include "base/err.h"
#include "storage/index.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sqlite3_stmt; /* opaque here: only index_stmt.c looks inside */

typedef struct index_stmt {
    nvr_index *ix;
    struct sqlite3_stmt *raw; /* NULL when empty, finalized or not prepared */
    const char *what;         /* names the operation in error logs; NULL: quiet */
    nvr_err err;              /* the first error of prepare or bind (sticky) */
    nvr_err constraint;       /* what a constraint violation returns (0: an error) */
} index_stmt;

#define INDEX_STMT_INIT                                                                                                \
    {                                                                                                                  \
        0                                                                                                              \
    }

/* index_step's answer for "the statement is on a row" (never an nvr_err). */
#define INDEX_ROW 1

/* ---- the lock and transactions ---- */

/* Takes / releases ix's mutex. */
void index_lock(nvr_index *ix);
void index_unlock(nvr_index *ix);

/* Locks ix and begins an IMMEDIATE transaction; returns BEGIN's error (the
 * lock is held either way: pair with index_end). */
nvr_err index_begin(nvr_index *ix);

/* Ends what index_begin started and unlocks: COMMIT if rc is NVR_OK (a
 * failed COMMIT is rolled back), else ROLLBACK (if the BEGIN took).  Returns
 * rc, or COMMIT's error. */
nvr_err index_end(nvr_index *ix, nvr_err rc);

/* ---- statements (ix locked by the caller) ---- */

/* Prepares sql into *st (which need not be initialised).  On failure *st
 * keeps the error (logged under what) and holds nothing. */
nvr_err index_prepare(index_stmt *st, nvr_index *ix, const char *sql, const char *what);

/* Typed binds of parameter ?i (see above: not copied; NULL text is NULL). */
void index_bind_int64(index_stmt *st, int i, int64_t v);
void index_bind_text(index_stmt *st, int i, const char *s);
void index_bind_blob(index_stmt *st, int i, const void *p, size_t n);
void index_bind_null(index_stmt *st, int i);

/* A constraint violation (UNIQUE, CHECK, ...) while stepping st returns rc
 * without logging, instead of an error. */
void index_on_constraint(index_stmt *st, nvr_err rc);

/* Steps st: INDEX_ROW on a row, NVR_OK when it is done, else the error
 * (logged; also the statement's kept error). */
int index_step(index_stmt *st);

/* Steps a statement that returns no row: NVR_OK when it ran. */
nvr_err index_step_done(index_stmt *st);

/* The same for a write that must change a row: NVR_ENOTFOUND if it
 * changed none. */
nvr_err index_step_change(index_stmt *st);

/* Steps to the first row: NVR_OK on it, NVR_ENOTFOUND if there is none. */
nvr_err index_step_row(index_stmt *st);

/* Rewinds st to run again (its binds are kept; rebind what changes). */
void index_reset(index_stmt *st);

/* Rows changed by the last INSERT/UPDATE/DELETE on st's connection, and the
 * rowid of its last INSERT. */
int64_t index_changes(const index_stmt *st);
int64_t index_last_id(const index_stmt *st);

/* Finalizes st and empties it; safe on an empty, failed or finalized st. */
void index_finalize(index_stmt *st);

/* ---- columns of the current row ---- */

int64_t index_col_int64(const index_stmt *st, int c);
int index_col_int(const index_stmt *st, int c);

/* Whether column c is SQL NULL. */
int index_col_null(const index_stmt *st, int c);

/* Column c borrowed: valid until the next step, reset or finalize; NULL for
 * SQL NULL. */
const char *index_col_str(const index_stmt *st, int c);

/* Column c copied into dst[n] (truncated; "" for SQL NULL). */
void index_col_text(const index_stmt *st, int c, char *dst, size_t n);

/* Column c as a new string (free it; "" for SQL NULL); NULL when out of
 * memory. */
char *index_col_strdup(const index_stmt *st, int c);

/* Copies blob column c into dst if it has exactly n bytes; returns whether
 * it did (dst is untouched otherwise). */
int index_col_blob(const index_stmt *st, int c, void *dst, size_t n);

/* ---- arrays ---- */

/* Makes room for one more element in a growable array: arrayp is the
 * address of the array pointer (len elements of size bytes used of *cap);
 * doubles it, from 8.  NVR_ENOMEM when it cannot (the array is unchanged). */
nvr_err index_grow(void *arrayp, size_t *cap, size_t len, size_t size);

/* ---- `nvr check` ---- */

/* One consistency check of a table: counts the rows of `from` (a table,
 * with an alias if where needs one: "bookmarks AS b") matching `where`;
 * when there are any, adds their number to *problems and prints
 * "index.db: N WHAT" to report, with " (deleted)" after deleting them when
 * repair is set.  Takes the lock (not inside a transaction of the caller). */
nvr_err index_check_rows(nvr_index *ix, const char *from, const char *where, const char *what, int repair, FILE *report,
                         int *problems);

#endif
