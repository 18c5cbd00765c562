/* SPDX-License-Identifier: Apache-2.0 */
/*
 * index_priv.h - what the index's own files share (index.c, index_holds.c,
 * index_retention.c): the handle's fields and the error helpers.  Nothing
 * outside storage/index*.c includes it.
 *
 * Every function that touches db holds mu for its whole SQLite work, so a
 * handle is safe to share between threads (see index.h).
 */
#ifndef NVR_STORAGE_INDEX_PRIV_H
#define NVR_STORAGE_INDEX_PRIV_H

#include "storage/index.h"

#include <pthread.h>
#include <sqlite3.h>

struct nvr_index {
    sqlite3 *db;
    pthread_mutex_t mu;
};

/* Logs SQLite's last error for operation what (a full disk said in words)
 * and returns it as index_sqlite_err does. */
int index_db_err(nvr_index *ix, const char *what);

/* db's last error as an nvr_err: NVR_ENOSPC for SQLITE_FULL and for an I/O
 * error whose system call failed with ENOSPC/EDQUOT, NVR_EDAMAGED for
 * SQLITE_CORRUPT/SQLITE_NOTADB, NVR_ENOMEM, else NVR_EDB. */
int index_sqlite_err(sqlite3 *db);

/* The columns index_read_row reads, in its order. */
#define SEG_COLUMNS                                                                          \
    "id, camera, session, start_us, end_us, media_us, path, bytes, init_bytes, state, "     \
    "video_codec, width, height, frames, audio_codec, fragments, sha256, media_start_us"

/* SEG_COLUMNS and the flags added since (a salvaged old index may lack
 * them: index_read_row_at reads them only when the statement has them). */
#define SEG_COLUMNS_ALL SEG_COLUMNS ", clock_suspect"

/* Reads the current row of a statement selecting SEG_COLUMNS into *s
 * (which owns s->frags afterwards). */
int index_read_row(sqlite3_stmt *st, struct index_segment *s);

/* The same, with the SEG_COLUMNS starting at column c0. */
int index_read_row_at(sqlite3_stmt *st, int c0, struct index_segment *s);

/* Makes room for one more element in a growable array: arrayp is the
 * address of the array pointer (len elements of size bytes used of *cap);
 * doubles it, from 8.  NVR_ENOMEM when it cannot (the array is unchanged). */
int index_grow(void *arrayp, size_t *cap, size_t len, size_t size);

/* Runs sql (no parameters) and returns its first column as *n strings in a
 * new array (free each, then the array; NULL when there are none).  what
 * names the query in error logs. */
int index_text_column(nvr_index *ix, const char *sql, const char *what, char ***out, size_t *n);

/* Runs sql (no parameters, no rows); logs and returns the error
 * (index_sqlite_err) on failure. */
int index_exec(nvr_index *ix, const char *sql);

#endif
