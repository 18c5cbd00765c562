/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dir_store.h - the dirs table (migration 10): every segment directory the
 * index has known, by path and by the id written in its marker file
 * (DIR/.nvr-dir), so a disk is recognised whatever it is mounted as, and a
 * mount point whose disk is missing is never taken for the disk.
 *
 * Dir 0 is data_dir itself and has no row: its footage lives beside the
 * index and is never "another disk".  Rows are never deleted: footage may
 * still point at a dir that is no longer configured (it stays readable).
 *
 * Threads: any (the index serialises itself).
 */
#ifndef NVR_STORAGE_DIR_STORE_H
#define NVR_STORAGE_DIR_STORE_H

#include "base/err.h"
#include "storage/index.h"

#include <stdint.h>

#define DIR_STORE_PATH_MAX 1024
#define DIR_STORE_UUID_MAX 40

struct dir_row {
    int64_t id;
    char path[DIR_STORE_PATH_MAX];
    char uuid[DIR_STORE_UUID_MAX];
    int64_t added_us;
};

/* Every row, by id: *out a new array of *n (free()), NULL when none. */
nvr_err dir_store_list(nvr_index *ix, struct dir_row **out, size_t *n);

/* Adds a dir; *id its new id.  NVR_EINVAL if the path or uuid is known. */
nvr_err dir_store_add(nvr_index *ix, const char *path, const char *uuid, int64_t now_us, int64_t *id);

/* A known disk (by uuid) found at a new path. */
nvr_err dir_store_set_path(nvr_index *ix, int64_t id, const char *path);

/* Footage in dir: complete and writing segments, their bytes, and how many
 * of them an active hold covers. */
struct dir_usage {
    int64_t segments;
    uint64_t bytes;
    int64_t held;
};
nvr_err dir_store_usage(nvr_index *ix, int64_t dir, struct dir_usage *u);

#endif
