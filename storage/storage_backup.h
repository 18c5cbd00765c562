/* SPDX-License-Identifier: Apache-2.0 */
/*
 * backup.h - the data_dir side of `nvr backup` and `nvr restore`
 * (docs/guide/disaster-recovery.md): a consistent copy of the index taken
 * while `nvr run` records, the state documents that are not footage, and
 * putting them back so that the footage on disk is found again.
 *
 * What a backup carries from data_dir: index.db (segments, users, grants,
 * sessions, API tokens, holds, the access log, alerts, cameras added over
 * the API) and the documents in storage_backup_documents (the export
 * signing key, the audit's observations).  Never the footage
 * (recordings/), exports/, quarantine/, the ballast, the lock, or an index
 * set aside as damaged.
 *
 * Restoring keeps these invariants:
 *   R1 never while another process holds data_dir/nvr.lock (a running nvr);
 *      the lock is held from the first change to the end of reconciliation;
 *   R2 nothing in data_dir is deleted: an index or document it replaces
 *      (only with force) is renamed NAME.before-restore-YYYYMMDDTHHMMSSZ;
 *   R3 the restored index never brings a stale -wal or -shm with it: the old
 *      ones are renamed aside before the new index.db is renamed in;
 *   R4 a segment still being written when the backup was taken is not
 *      completed from the backup's row (that would cut off what was recorded
 *      after it): its row is dropped and the file indexed from its content,
 *      like every file recorded after the backup; rows whose file is gone
 *      (retention since) are removed.
 *
 * Threads: the caller's (`nvr backup`, `nvr restore`); no state.
 * storage_backup_index opens SQLite connections of its own, so it may run
 * while `nvr run` records (another process); storage_restore refuses while
 * `nvr run` holds data_dir/nvr.lock, and holds it itself while it works (R1).
 */
#ifndef NVR_STORAGE_BACKUP_H
#define NVR_STORAGE_BACKUP_H

#include "base/err.h"
#include "storage/storage.h"

#include <stddef.h>
#include <stdio.h>

#define STORAGE_BACKUP_INDEX "index.db"
#define STORAGE_BACKUP_STEP_PAGES 256 /* pages copied per step (1 MiB at 4 KiB pages) */
#define STORAGE_BACKUP_SLEEP_MS 5     /* pause between steps: the disk stays the recorder's */

/* The documents under data_dir a backup carries besides the index,
 * ended by NULL; secret ones are restored with mode 0600. */
struct storage_backup_document {
    const char *name;
    int secret;
};
extern const struct storage_backup_document storage_backup_documents[];

/* Copies data_dir/index.db to dest (created 0600, must not exist) with
 * SQLite's online backup API, STORAGE_BACKUP_STEP_PAGES at a time, all
 * steps inside one read transaction: the copy is the index as of one
 * commit, and in WAL mode the recorder's writers are never blocked by it.
 * The copy is checked with PRAGMA quick_check.  NVR_ENOTFOUND if there is
 * no index. */
nvr_err storage_backup_index(const char *data_dir, const char *dest);

struct storage_restore_doc {
    const char *name; /* one of storage_backup_documents */
    const void *buf;  /* borrowed */
    size_t len;
};

struct storage_restore_in {
    const char *data_dir;
    /* Writes the backup's index into fd (a new file in data_dir; the callee
     * does not close it).  Called once, with the lock held. */
    nvr_err (*write_index)(void *arg, int fd);
    void *arg;
    const struct storage_restore_doc *docs;
    size_t ndocs;
    int force; /* replace an existing index and documents (R2) */
};

struct storage_restore_stats {
    int dropped_writing; /* rows of segments being written at backup time (R4) */
    struct storage_rebuild_stats rebuild;
    int problems, unresolved; /* storage_check's, after the repair */
    int changed;              /* data_dir was changed (a failure after step 2) */
};

/* Puts a backup back into in->data_dir (created if missing) under R1..R4,
 * then indexes the segment files the restored index does not list
 * (storage_rebuild_index) and repairs the rest (storage_check with
 * STORAGE_CHECK_REPAIR), one line per action to report.  Refuses with
 * NVR_EIO while data_dir is in use, NVR_EINVAL when it already has an index
 * or one of the documents and force is 0, NVR_EDAMAGED when the backup's
 * index fails PRAGMA quick_check; why then says so in words, and nothing
 * in data_dir has changed. */
nvr_err storage_restore(const struct storage_restore_in *in, FILE *report, struct storage_restore_stats *stats,
                        char *why, size_t whylen);

#endif
