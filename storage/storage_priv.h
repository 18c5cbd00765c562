/* SPDX-License-Identifier: Apache-2.0 */
/*
 * storage_priv.h - what storage.c and storage_delete.c share: the handle's
 * fields and the file-system helpers.  Nothing outside storage/ includes it.
 */
#ifndef NVR_STORAGE_STORAGE_PRIV_H
#define NVR_STORAGE_STORAGE_PRIV_H

#include "base/err.h"
#include "storage/storage.h"

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
};

/* storage_open with data_dir/nvr.lock already flock()ed on lock_fd (-1:
 * take it as storage_open does); the handle owns lock_fd, also on failure. */
nvr_err storage_open_locked(struct storage **out, const char *data_dir, int flags, int lock_fd);

/* mkdir -p; fsyncs the parent of every directory it creates. */
nvr_err storage_mkdir_p(const char *path);

/* SHA-256 of a whole file. */
nvr_err storage_sha256_file(const char *path, uint8_t out[32]);

/* fsync()s a directory (so a create or unlink in it is durable). */
nvr_err storage_fsync_dir(const char *dir);

/* The directory part of path into out. */
nvr_err storage_parent_dir(const char *path, char *out, size_t n);

/* data_dir/rel into out. */
nvr_err storage_abs_path(const struct storage *st, const char *rel, char *out, size_t n);

/* Finishes deletions a crash interrupted: unlinks every file in the
 * garbage table and drops its row (storage_delete.c). */
nvr_err storage_collect_garbage(struct storage *st);

/* Whether rel is waiting in the garbage table (a deletion in progress). */
int storage_is_garbage(struct storage *st, const char *rel);

/* Calls the full hook, if any (a write failed with NVR_ENOSPC). */
void storage_report_full(struct storage *st);

#endif
