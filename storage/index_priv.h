/* SPDX-License-Identifier: Apache-2.0 */
/*
 * index_priv.h - what the index's own files share (index.c, index_cache.c, index_stmt.c,
 * index_retention.c, index_salvage.c): the handle's fields, the raw SQLite
 * connection and the error helpers.  Nothing else includes it: the table
 * files (users.c, holds.c, alert_store.c, access_log.c, api_cameras.c) go
 * through index_stmt.h, and the build stops them here (they compile with
 * NVR_INDEX_TABLE_FILE; see index_stmt.h).
 *
 * Every function that touches db holds mu for its whole SQLite work, so a
 * handle is safe to share between threads (see index.h).
 */
#ifndef NVR_STORAGE_INDEX_PRIV_H
#define NVR_STORAGE_INDEX_PRIV_H

#ifdef NVR_INDEX_TABLE_FILE
#error "index_priv.h is the index's own: a table file uses storage/index_stmt.h"
#endif

#include "storage/index.h"
#include "storage/index_stmt.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>

/* One compiled statement kept on the handle (index_cache.c). */
struct index_cached {
    char *sql;        /* its text (owned), the key; NULL: a free slot */
    sqlite3_stmt *st; /* compiled from sql */
    int busy;         /* handed out by index_prep, not yet put back */
    uint64_t used;    /* cache_clock when last handed out */
};

#define INDEX_CACHE_MAX 48

struct nvr_index {
    sqlite3 *db;
    pthread_mutex_t mu;
    int in_txn;                                 /* index_begin's BEGIN took (guarded by mu) */
    struct index_cached cache[INDEX_CACHE_MAX]; /* guarded by mu */
    uint64_t cache_clock;                       /* guarded by mu */
};

/* Prepares sql on the handle's connection, or hands out the statement
 * compiled for the same text before (index_cache.c).  Locked.  Returns an
 * SQLite result code; on success *st is ready to bind and step, and goes
 * back with index_put (never sqlite3_finalize: it may be the cache's). */
int index_prep(nvr_index *ix, const char *sql, sqlite3_stmt **st);

/* Gives back a statement from index_prep: a cached one is reset with its
 * bindings cleared, any other finalized.  NULL is ignored.  Locked. */
void index_put(nvr_index *ix, sqlite3_stmt *st);

/* Finalizes every cached statement (before the connection closes). */
void index_cache_clear(nvr_index *ix);

/* Logs SQLite's last error for operation what (a full disk said in words)
 * and returns it as index_sqlite_err does. */
nvr_err index_db_err(nvr_index *ix, const char *what);

/* db's last error as an nvr_err: NVR_ENOSPC for SQLITE_FULL and for an I/O
 * error whose system call failed with ENOSPC/EDQUOT, NVR_EDAMAGED for
 * SQLITE_CORRUPT/SQLITE_NOTADB, NVR_ENOMEM, else NVR_EDB. */
nvr_err index_sqlite_err(sqlite3 *db);

/* The columns index_read_row reads, in its order. */
#define SEG_COLUMNS                                                                                                    \
    "id, camera, session, start_us, end_us, media_us, path, bytes, init_bytes, state, "                                \
    "video_codec, width, height, frames, audio_codec, fragments, sha256, media_start_us"

/* SEG_COLUMNS and the flags added since (a salvaged old index may lack
 * them: index_read_row_at reads them only when the statement has them). */
#define SEG_COLUMNS_ALL SEG_COLUMNS ", clock_suspect, dir, archive"

/* Reads the current row of a statement selecting SEG_COLUMNS into *s
 * (which owns s->frags afterwards). */
nvr_err index_read_row(sqlite3_stmt *st, struct index_segment *s);

/* The same, with the SEG_COLUMNS starting at column c0. */
nvr_err index_read_row_at(sqlite3_stmt *st, int c0, struct index_segment *s);

/* Runs sql (no parameters) and returns its first column as *n strings in a
 * new array (free each, then the array; NULL when there are none).  what
 * names the query in error logs. */
nvr_err index_text_column(nvr_index *ix, const char *sql, const char *what, char ***out, size_t *n);

/* Runs sql (no parameters, no rows); logs and returns the error
 * (index_sqlite_err) on failure. */
nvr_err index_exec(nvr_index *ix, const char *sql);

#endif
