/* SPDX-License-Identifier: Apache-2.0 */
/*
 * storage_dirs.h - the segment directories, as the rest of storage/ sees
 * them (storage_dirs.c; its header comment has the invariants D1-D3;
 * storage.h, "segment directories", is the face outside storage/, and
 * nothing outside storage/ includes this header).
 *
 * struct storage_dirs owns the dirs (data_dir as dirs[0], then every dir
 * the index knows), the rows of the segments being written (open_rows),
 * the probe thread of each dir and the SMART thread.  A struct storage
 * embeds one; storage.c, storage_delete.c, storage_rebuild.c and
 * archive.c pass &st->dirs.  It knows nothing of struct storage: what it
 * needs from outside is given to it, borrowed: the writer flag and the
 * function that settles a returning disk's unfinished segment rows
 * (storage_dirs_init), data_dir and the index the dirs table lives in
 * (storage_dirs_load).
 *
 * Threads: the probe and SMART threads (writers only) and every caller
 * share it.  mu guards the state fields of every dir (struct storage_dir),
 * open_rows, nopen_rows and stop; a dir's id, path, uuid and writable, and
 * ndirs, are set before any thread starts (storage_dirs_load,
 * storage_dirs_set) and constant after, so they are read without it.
 * Disk I/O, SQLite calls and the settle function run without mu, and no
 * other lock is taken under it.
 */
#ifndef NVR_STORAGE_STORAGE_DIRS_H
#define NVR_STORAGE_STORAGE_DIRS_H

#include "base/err.h"
#include "storage/dir_state.h"
#include "storage/dir_store.h"
#include "storage/disk_smart.h"
#include "storage/index.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define STORAGE_DIRS_MAX 64        /* dirs known at once: configured (<= 16) and older ones */
#define STORAGE_OPEN_ROWS_MAX 1024 /* segments being written at once */
#define STORAGE_DIR_MARKER ".nvr-dir"
#define STORAGE_DIR_PROBE ".nvr-probe"
#define STORAGE_DIR_PROBE_MS 1000
#define STORAGE_DIR_DEADLINE_MS 5000
#define STORAGE_SMART_INTERVAL_S 600 /* SMART is read at start-up and this often (disk_smart.h) */

struct storage_dirs;

/* One segment directory.  id, path, uuid and writable are set before any
 * thread starts and constant after; the rest is guarded by
 * storage_dirs.mu. */
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
    struct storage_dirs *sd; /* for the probe thread */
    struct disk_smart smart; /* the last SMART reading (the health thread) */
};

/* Settles a segment row left `writing` in a dir that works again and that
 * no writer holds (D3), as at start-up; NVR_OK when settled.  Called from a
 * probe thread without any lock of the dirs'. */
typedef nvr_err (*storage_dirs_settle_fn)(void *arg, struct index_segment *seg);

struct storage_dirs {
    /* given, constant while the threads run */
    int writer; /* opened with STORAGE_WRITER: the probe and SMART threads run */
    storage_dirs_settle_fn settle;
    void *settle_arg;
    const char *data_dir; /* borrowed: dirs[0], and the root of an unqualified path */
    nvr_index *ix;        /* borrowed: the dirs table, the rows a probe settles */

    /* mu guards the dirs' states, open_rows and stop; cv wakes the probe and
     * SMART threads when stop is set */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct storage_dir dirs[STORAGE_DIRS_MAX]; /* [0] is data_dir */
    size_t ndirs;
    int64_t open_rows[STORAGE_OPEN_ROWS_MAX]; /* ids of the segments being written */
    size_t nopen_rows;
    int stop;
    pthread_t smart_tid; /* reads SMART every STORAGE_SMART_INTERVAL_S (writers only) */
    int has_smart_thread;
};

/* Makes sd (zeroed by the caller) ready: its lock, the writer flag and the
 * settle function (settle_arg borrowed; it outlives sd).  Undone by
 * storage_dirs_fini. */
void storage_dirs_init(struct storage_dirs *sd, int writer, storage_dirs_settle_fn settle, void *settle_arg);

/* Fills dirs[0] (data_dir) and the dirs the index knows (their state from
 * their marker file).  data_dir and ix are borrowed and must outlive sd's
 * use; a later call (the index opened again) replaces them. */
nvr_err storage_dirs_load(struct storage_dirs *sd, const char *data_dir, nvr_index *ix);

/* storage_set_dirs (storage.h): registers [storage] dirs and, for a
 * writer, starts the probe and SMART threads. */
nvr_err storage_dirs_set(struct storage_dirs *sd, const char *dirs);

/* Stops the probe and SMART threads (a probe stuck on a hung disk is
 * detached, not waited for). */
void storage_dirs_stop(struct storage_dirs *sd);

/* Frees what storage_dirs_init made; after storage_dirs_stop. */
void storage_dirs_fini(struct storage_dirs *sd);

/* storage_dirs_status (storage.h): a copy of every dir's status, *out a new
 * array of *n (free()); usage_ix (borrowed, NULL: no usage) counts each
 * dir's footage. */
nvr_err storage_dirs_snapshot(struct storage_dirs *sd, nvr_index *usage_ix, struct storage_dir_status **out, size_t *n);

/* The dir of that id (NULL if unknown).  Its constant fields may be read
 * without the lock. */
struct storage_dir *storage_dir_by_id(struct storage_dirs *sd, int64_t id);

/* DIR/rel of a dir into out. */
nvr_err storage_dir_abs(const struct storage_dir *d, const char *rel, char *out, size_t n);

/* A segment row's file: its dir's path + its path.  NVR_EOFFLINE if the dir
 * is offline (nothing is touched), NVR_ENOTFOUND if the dir is unknown. */
nvr_err storage_segment_abs(struct storage_dirs *sd, const struct index_segment *seg, char *out, size_t n);

/* "@DIR/rel" (index_qualify_path) -> rel, with *dir its dir; anything else
 * is data_dir's (0).  Points into q. */
const char *storage_unqualify(const char *q, int64_t *dir);

/* A path of the garbage table (index_qualify_path) into an absolute one. */
nvr_err storage_qualified_abs(struct storage_dirs *sd, const char *qpath, char *out, size_t n);

/* Chooses the dir for a new segment of camera (pin: a dir path or NULL),
 * counts it as busy and registers row_id later with storage_dir_hold.
 * NVR_EOFFLINE if no dir can take it. */
nvr_err storage_dir_pick(struct storage_dirs *sd, const char *pin, struct storage_dir **out);

/* D1 before a new segment: d's marker names the id the index knows
 * (else d is made offline with the reason, and NVR_EOFFLINE).  One small
 * read. */
nvr_err storage_dir_check_marker(struct storage_dirs *sd, struct storage_dir *d);

/* A segment being written in d: its row (so a returning disk's recovery
 * leaves it alone), and the end of it. */
void storage_dir_hold(struct storage_dirs *sd, int64_t row_id);
void storage_dir_release(struct storage_dirs *sd, struct storage_dir *d, int64_t row_id);

/* A write in d failed with rc: an I/O-like error marks the dir failed
 * (read-only for NVR_EROFS, else offline) with what said in the reason.
 * Returns 1 if the dir is (now) not OK. */
int storage_dir_failed(struct storage_dirs *sd, struct storage_dir *d, nvr_err rc, const char *what);

/* Whether d may be read now (OK or read-only). */
int storage_dir_readable(struct storage_dirs *sd, struct storage_dir *d);

#endif
