/* SPDX-License-Identifier: Apache-2.0 */
/*
 * storage_fs.h - the small file-system helpers of storage/ (storage_fs.c):
 * mkdir -p with durable parents, fsync of a directory, path joins, the
 * SHA-256 of a file.  They know no handle: every other file of storage/
 * may use them, and they use none of those files.  Nothing outside
 * storage/ includes it.
 *
 * Threads: any; no state.
 */
#ifndef NVR_STORAGE_STORAGE_FS_H
#define NVR_STORAGE_STORAGE_FS_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

/* mkdir -p; fsyncs the parent of every directory it creates. */
nvr_err storage_mkdir_p(const char *path);

/* SHA-256 of a whole file. */
nvr_err storage_sha256_file(const char *path, uint8_t out[32]);

/* fsync()s a directory (so a create or unlink in it is durable). */
nvr_err storage_fsync_dir(const char *dir);

/* The directory part of path into out. */
nvr_err storage_parent_dir(const char *path, char *out, size_t n);

/* dir/rel into out; NVR_EINVAL if it does not fit. */
nvr_err storage_join_path(const char *dir, const char *rel, char *out, size_t n);

#endif
