/* SPDX-License-Identifier: Apache-2.0 */
/*
 * storage_priv.h - what storage.c and storage_delete.c share: the handle's
 * fields and the file-system helpers.  Nothing outside storage/ includes it.
 */
#ifndef NVR_STORAGE_STORAGE_PRIV_H
#define NVR_STORAGE_STORAGE_PRIV_H

#include "base/err.h"
#include "storage/dir_store.h"
#include "storage/disk_smart.h"
#include "storage/s3.h"
#include "storage/storage.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define STORAGE_DIRS_MAX 64        /* dirs known at once: configured (<= 16) and older ones */
#define STORAGE_OPEN_ROWS_MAX 1024 /* segments being written at once */
#define STORAGE_DIR_MARKER ".nvr-dir"
#define STORAGE_DIR_PROBE ".nvr-probe"

/* One segment directory (storage_dirs.c).  id, path, uuid and writable are
 * set before any thread starts and constant after; the rest is guarded by
 * storage.dmu. */
struct storage_dir {
    int64_t id; /* 0: data_dir */
    char path[DIR_STORE_PATH_MAX];
    char uuid[DIR_STORE_UUID_MAX];
    int writable; /* takes new segments ([storage] dirs, or data_dir without it) */
    enum storage_dir_state state;
    int64_t since_us; /* wall clock of the last change of state */
    char reason[256];
    uint64_t fs_size, fs_avail;
    int64_t latency_us;         /* the last probe's write + fdatasync */
    int64_t probe_started_mono; /* 0: no probe running */
    int open_segments;          /* segments being written here now */
    int recover;                /* came back: settle its unfinished segments */
    pthread_t tid;
    int has_thread;
    struct storage *st;      /* for the probe thread */
    struct disk_smart smart; /* the last SMART reading (the health thread) */
};

struct storage {
    char *dir;
    int lock_fd;
    nvr_index *ix;              /* writers (and recovery, retention) */
    nvr_index *rix;             /* readers (HTTP), a second connection */
    void (*full_fn)(void *arg); /* told when a write fails for lack of space */
    void *full_arg;
    char damage[512]; /* why the index was set aside, "" if it was not */
    int recovered;    /* unfinished segments recovered at open (an unclean stop) */
    int writer;       /* opened with STORAGE_WRITER */

    pthread_mutex_t dmu; /* guards the dirs' states, open_rows and dstop */
    pthread_cond_t dcv;
    struct storage_dir dirs[STORAGE_DIRS_MAX]; /* [0] is data_dir */
    size_t ndirs;
    int64_t open_rows[STORAGE_OPEN_ROWS_MAX]; /* ids of the segments being written */
    size_t nopen_rows;
    int dstop;
    pthread_t smart_tid; /* reads SMART every STORAGE_SMART_INTERVAL_S (writers only) */
    int has_smart_thread;

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

/* ---- segment directories (storage_dirs.c) ---- */

/* Fills dirs[0] (data_dir) and the dirs the index knows (their state from
 * their marker file).  Called by storage_open once the index is open. */
nvr_err storage_dirs_load(struct storage *st);

/* Stops the probe threads (storage_close). */
void storage_dirs_stop(struct storage *st);

/* The dir of that id (NULL if unknown).  Its constant fields may be read
 * without the lock. */
struct storage_dir *storage_dir_by_id(struct storage *st, int64_t id);

/* DIR/rel of a dir into out. */
nvr_err storage_dir_abs(const struct storage_dir *d, const char *rel, char *out, size_t n);

/* A segment row's file: its dir's path + its path.  NVR_EOFFLINE if the dir
 * is offline (nothing is touched), NVR_ENOTFOUND if the dir is unknown. */
nvr_err storage_segment_abs(struct storage *st, const struct index_segment *seg, char *out, size_t n);

/* "@DIR/rel" (index_qualify_path) -> rel, with *dir its dir; anything else
 * is data_dir's (0).  Points into q. */
const char *storage_unqualify(const char *q, int64_t *dir);

/* A path of the garbage table (index_qualify_path) into an absolute one. */
nvr_err storage_qualified_abs(struct storage *st, const char *qpath, char *out, size_t n);

/* Chooses the dir for a new segment of camera (pin: a dir path or NULL),
 * counts it as busy and registers row_id later with storage_dir_hold.
 * NVR_EOFFLINE if no dir can take it. */
nvr_err storage_dir_pick(struct storage *st, const char *pin, struct storage_dir **out);

/* D1 before a new segment: d's marker names the id the index knows
 * (else d is made offline with the reason, and NVR_EOFFLINE).  One small
 * read. */
nvr_err storage_dir_check_marker(struct storage *st, struct storage_dir *d);

/* A segment being written in d: its row (so a returning disk's recovery
 * leaves it alone), and the end of it. */
void storage_dir_hold(struct storage *st, int64_t row_id);
void storage_dir_release(struct storage *st, struct storage_dir *d, int64_t row_id);

/* A write in d failed with rc: an I/O-like error marks the dir failed
 * (read-only for NVR_EROFS, else offline) with what said in the reason.
 * Returns 1 if the dir is (now) not OK. */
int storage_dir_failed(struct storage *st, struct storage_dir *d, nvr_err rc, const char *what);

/* Settles a segment row left `writing` with its file (storage.c): drops
 * the fragments the file lacks, truncates what is beyond them, hashes,
 * completes.  NVR_EOFFLINE (nothing done) if its dir is offline. */
nvr_err storage_settle_row(struct storage *st, struct index_segment *seg);

/* Whether d may be read now (OK or read-only). */
int storage_dir_readable(struct storage *st, struct storage_dir *d);

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
