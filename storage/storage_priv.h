/* SPDX-License-Identifier: Apache-2.0 */
/*
 * storage_priv.h - what the files of storage/ that work on the handle share
 * (storage.c, storage_delete.c, storage_rebuild.c, storage_read.c,
 * storage_restore.c, archive.c): its fields, and the functions one of them
 * gives the others.  The segment directories (storage_dirs.h) and the
 * file-system helpers (storage_fs.h) sit below it and know nothing of the
 * handle.  Nothing outside storage/ includes it.
 *
 * Threads: the handle is shared, as storage.h says.  dir, lock_fd, ix, rix
 * and recovered are set by storage_open before it is shared and are constant
 * after; ix and rix serialise themselves (index.h), dirs has its own mutex
 * (storage_dirs.h).  The other fields are written without a lock: damage by
 * storage_open and storage_rebuild_index (`nvr check`, a restore: no other
 * thread reads it there); full_fn and full_arg by retention_start and
 * retention_stop, before the first segment writer starts and after the last
 * stops; s3 and cache_bytes by archive_start and archive_stop, while neither
 * an HTTP thread nor the retention thread (which reads s3 to delete archived
 * objects) runs: `nvr run` starts the archive before retention and stops it
 * after.
 */
#ifndef NVR_STORAGE_STORAGE_PRIV_H
#define NVR_STORAGE_STORAGE_PRIV_H

#include "base/err.h"
#include "storage/s3.h"
#include "storage/storage.h"
#include "storage/storage_dirs.h"
#include "storage/storage_fs.h"

#include <stddef.h>
#include <stdint.h>

struct storage {
    char *dir;
    int lock_fd;
    nvr_index *ix;              /* writers (and recovery, retention) */
    nvr_index *rix;             /* readers (HTTP), a second connection */
    void (*full_fn)(void *arg); /* told when a write fails for lack of space */
    void *full_arg;
    char damage[512]; /* why the index was set aside, "" if it was not */
    int recovered;    /* unfinished segments recovered at open (an unclean stop) */

    struct storage_dirs dirs; /* the segment directories, data_dir first (storage_dirs.h) */

    struct s3_client *s3; /* the archive tier's client (archive.c), NULL without; set before
                           * the HTTP server starts, cleared after it stops */
    uint64_t cache_bytes; /* archive_cache */
};

/* ---- the archive tier (archive.c) ---- */

/* An fd of a local copy of an archived segment (fetched and checked if
 * needed).  NVR_EOFFLINE when there is no archive client, else the
 * download's error. */
nvr_err storage_archive_fetch(struct storage *st, const struct index_segment *seg, int *fd);

/* Unlinks a qualified path (index_qualify_path, or an s3:// object) and
 * drops its garbage row (storage_delete.c). */
nvr_err storage_drop_garbage(struct storage *st, const char *qpath);

/* storage_open with data_dir/nvr.lock already flock()ed on lock_fd (-1:
 * take it as storage_open does); the handle owns lock_fd, also on failure. */
nvr_err storage_open_locked(struct storage **out, const char *data_dir, int flags, int lock_fd);

/* Finishes deletions a crash interrupted: unlinks every file in the
 * garbage table and drops its row (storage_delete.c). */
nvr_err storage_collect_garbage(struct storage *st);

/* Whether rel is waiting in the garbage table (a deletion in progress). */
int storage_is_garbage(struct storage *st, const char *rel);

/* Calls the full hook, if any (a write failed with NVR_ENOSPC). */
void storage_report_full(struct storage *st);

#endif
