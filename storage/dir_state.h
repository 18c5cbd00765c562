/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dir_state.h - what a storage dir's state looks like from outside: its
 * state, and the status record storage_dirs_status (storage.h) fills for
 * the storage page, /metrics, health and alerts.  storage.h includes it;
 * the segment directories (storage_dirs.c) fill it, and need nothing of
 * storage.h to do so.
 *
 * Threads: any; no state: a status record is a copy its caller owns
 * (storage_dirs_status fills it: storage_dirs.h), and
 * storage_dir_state_name's texts are constants.
 */
#ifndef NVR_STORAGE_DIR_STATE_H
#define NVR_STORAGE_DIR_STATE_H

#include "storage/dir_store.h"
#include "storage/disk_smart.h"

#include <stdint.h>

/* ok: takes new segments; read_only: writes fail, footage still plays;
 * offline: nothing of it is touched (storage.h, "segment directories"). */
enum storage_dir_state { STORAGE_DIR_OK = 0, STORAGE_DIR_READONLY, STORAGE_DIR_OFFLINE };

/* "ok", "read_only", "offline". */
const char *storage_dir_state_name(enum storage_dir_state s);

struct storage_dir_status {
    int64_t id; /* 0: data_dir */
    char path[DIR_STORE_PATH_MAX];
    int writable; /* takes new segments */
    enum storage_dir_state state;
    int64_t since_us; /* since when in this state (0: since start-up) */
    char reason[256]; /* why not ok, "" when ok */
    uint64_t fs_size, fs_avail;
    int64_t latency_us; /* last probe's 4 KiB write + fdatasync, -1 if none yet */
    int open_segments;
    struct dir_usage usage;  /* footage the index holds there (with_usage only) */
    struct disk_smart smart; /* its disk's SMART health (checked_us 0: not read yet) */
};

#endif
