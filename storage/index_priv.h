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

/* Logs SQLite's last error for operation what; returns NVR_EDB, or
 * NVR_ENOSPC when the file system is full (SQLITE_FULL). */
int index_db_err(nvr_index *ix, const char *what);

/* Makes room for one more element in a growable array: arrayp is the
 * address of the array pointer (len elements of size bytes used of *cap);
 * doubles it, from 8.  NVR_ENOMEM when it cannot (the array is unchanged). */
int index_grow(void *arrayp, size_t *cap, size_t len, size_t size);

/* Runs sql (no parameters) and returns its first column as *n strings in a
 * new array (free each, then the array; NULL when there are none).  what
 * names the query in error logs. */
int index_text_column(nvr_index *ix, const char *sql, const char *what, char ***out, size_t *n);

/* Runs sql (no parameters, no rows); logs and returns NVR_EDB on failure. */
int index_exec(nvr_index *ix, const char *sql);

#endif
