/* SPDX-License-Identifier: Apache-2.0 */
/*
 * storage.h - the one door to recorded footage: segment files and the index.
 *
 * Everything that writes under data_dir goes through here (Moonfire NVR's
 * rule for its db crate): the directory layout, the order of file and index
 * operations that makes a crash harmless, recovery at start-up, and the
 * consistency check.  docs/design/storage.md describes the layout and the
 * crash-safety argument; the invariants are listed in index.h.
 *
 *   data_dir/nvr.lock                      held (flock) by the running server
 *   data_dir/index.db                      the SQLite index (+ -wal, -shm)
 *   data_dir/index.db.damaged-T            a damaged index set aside (never deleted)
 *   data_dir/index.damaged                 marker: the index was set aside, rebuild it
 *   data_dir/reserve.bin                   retention's ballast for a full disk
 *   data_dir/quarantine/recordings/...     files no index row could be made for
 *   data_dir/recordings/CAM/YYYY-MM-DD/CAM-YYYYMMDDTHHMMSS.uuuuuuZ.mp4
 *
 * Threads: a storage handle is shared by all camera writers (the index
 * serialises itself); a storage_segment belongs to one camera's writer thread.
 */
#ifndef NVR_STORAGE_STORAGE_H
#define NVR_STORAGE_STORAGE_H

#include "base/err.h"
#include "storage/dir_state.h"
#include "storage/index.h"

#include <libavcodec/avcodec.h>
#include <stdint.h>
#include <stdio.h>

struct storage;
struct storage_segment;

#define STORAGE_RESERVE_NAME "reserve.bin"  /* the ballast, in data_dir */
#define STORAGE_QUARANTINE_DIR "quarantine" /* in data_dir */
#define STORAGE_DAMAGE_MARKER "index.damaged"
#define STORAGE_STARTUP_CHECK_MS 3000 /* quick_check budget at start-up */

enum storage_open_flags {
    STORAGE_WRITER = 1,  /* take the lock and recover unfinished segments (nvr run) */
    STORAGE_LOCK = 2,    /* take the lock only (a dry run of a repair) */
    STORAGE_REBUILD = 4, /* with WRITER: a damaged index is set aside whatever the
                          * quick_check costs (nvr check --rebuild-index) */
    STORAGE_CHECKER = 8, /* with WRITER: no start-up sweep of the newest day directories
                          * (nvr check reports and repairs those files itself) */
};

/* Opens data_dir (creating it and the index if needed).  With STORAGE_WRITER
 * it takes data_dir/nvr.lock (failing with NVR_EIO and a clear log line if
 * another process holds it), makes room for the index on a full disk
 * (releases the ballast, reserve.bin), checks the index (PRAGMA quick_check
 * within STORAGE_STARTUP_CHECK_MS) and, if it is damaged, sets it aside as
 * index.db.damaged-T (with its -wal and -shm) and starts a new one
 * (storage_damage then says so), and recovers unfinished segments.
 * NVR_ENOSPC if the disk is still too full to open the index (the caller
 * retries).  *out owns it. */
nvr_err storage_open(struct storage **out, const char *data_dir, int flags);

/* Why the index in use is not the one the footage was recorded into (it
 * was damaged and set aside: until `nvr check --storage --rebuild-index`
 * the older footage is not indexed), or NULL.  Borrowed, constant while st
 * is open. */
const char *storage_damage(const struct storage *st);

/* How many unfinished segments storage_open recovered (the last run did
 * not stop cleanly), constant while st is open. */
int storage_recovered(const struct storage *st);

/* Closes *st and sets it NULL; tolerates NULL. */
void storage_close(struct storage **st);

/* The index (borrowed; lives as long as st): the connection the camera
 * writers commit through. */
nvr_index *storage_index(struct storage *st);

/* A second connection to the same index, for readers (HTTP): WAL lets it
 * read while the writers commit, so a long query never holds up a camera's
 * fragment commit.  Borrowed; lives as long as st. */
nvr_index *storage_index_reader(struct storage *st);

/* The data directory (borrowed). */
const char *storage_data_dir(const struct storage *st);

/* ---- segment directories (storage_dirs.c; docs/design/storage.md, "Several disks") ----
 *
 * Segments live in data_dir (dir 0) or in the dirs of `[storage] dirs`, each
 * typically its own disk, marked by DIR/.nvr-dir (the id the index knows it
 * by: a mount point without its disk has no marker and is never written).
 * A dir is ok, read_only (writes fail, footage still plays) or offline
 * (I/O errors, marker gone, or a probe write + fdatasync took longer than
 * STORAGE_DIR_DEADLINE_MS): new segments go to the other dirs at once, its
 * footage reads as NVR_EOFFLINE without touching the disk, and retention
 * leaves it alone.  A probe thread per dir (writers only) notices within
 * STORAGE_DIR_PROBE_MS when it works again; its unfinished segments are then
 * settled as at start-up and its footage plays again.  The states and the
 * status record are in dir_state.h, the timings in storage_dirs.h. */

/* Registers the dirs new segments go to: dirs is [storage] dirs (absolute
 * paths joined by ","), NULL for data_dir alone.  A dir seen for the first
 * time is created if missing and gets a marker; one the index knows must
 * carry its marker (else it is offline: not mounted).  With STORAGE_WRITER
 * the probe threads start.  Call once, before recording. */
nvr_err storage_set_dirs(struct storage *st, const char *dirs);

/* Every known dir's status: *out a new array of *n (free()).  with_usage
 * also counts each dir's footage and held segments in the index (a scan of
 * its rows: for the storage page, not for every /metrics scrape). */
nvr_err storage_dirs_status(struct storage *st, int with_usage, struct storage_dir_status **out, size_t *n);

struct storage_segment_params {
    const char *camera;             /* borrowed, must outlive the segment */
    const char *pin_dir;            /* the camera's storage_dir, NULL: any */
    int64_t session;                /* ingest session (run) id */
    int64_t start_us;               /* wall clock of the first frame */
    int64_t media_start_us;         /* media time of the first frame within its run */
    const AVCodecParameters *video; /* borrowed (copied) */
    AVRational video_tb;
    const AVCodecParameters *audio; /* NULL: no audio track */
    AVRational audio_tb;
    int sync; /* fdatasync each fragment (1 in production) */
};

/* Starts a segment: inserts its row (state writing), creates its file with
 * O_EXCL, fsyncs the directory, writes the init section. */
nvr_err storage_segment_begin(struct storage *st, const struct storage_segment_params *p, struct storage_segment **out);

/* Adds a packet to the current fragment (see segment_writer_write). */
nvr_err storage_segment_write(struct storage_segment *seg, AVPacket *pkt, int track);

/* Ends the current fragment at media time media_end_us (from the segment
 * start) and wall clock wall_end_us: writes and fsyncs it, then records it
 * in the index.  A no-op if no packet was added since the last cut. */
nvr_err storage_segment_cut(struct storage_segment *seg, int64_t media_end_us, int64_t wall_end_us);

/* Cuts the last fragment, closes the file and marks the segment complete
 * with its SHA-256; a segment with no fragment is removed instead.  Frees
 * *seg and sets it NULL (also on failure); tolerates NULL. */
nvr_err storage_segment_finish(struct storage_segment **seg, int64_t media_end_us, int64_t wall_end_us);

/* Wall clock start of the segment. */
int64_t storage_segment_start(const struct storage_segment *seg);

/* Media duration recorded in the segment so far (durable fragments). */
int64_t storage_segment_media_us(const struct storage_segment *seg);

enum storage_check_mode {
    STORAGE_CHECK_REPORT = 0, /* only report */
    STORAGE_CHECK_DRY_RUN,    /* report what a repair would do, change nothing */
    STORAGE_CHECK_REPAIR,     /* repair (needs the lock: storage_open with STORAGE_WRITER) */
};

/* Checks the index file (PRAGMA quick_check) and the invariants of index.h
 * against the files; writes one line per problem to report; a repair fixes
 * what it can (removes rows whose file is missing, truncates long files,
 * completes writing segments) and moves files the index does not know to
 * data_dir/quarantine/ (never deletes them).  *problems counts what was
 * found, *unresolved what is left needing a person: a damaged index, files
 * in quarantine, everything when not repairing. */
nvr_err storage_check(struct storage *st, enum storage_check_mode mode, FILE *report, int *problems, int *unresolved);

/* ---- rebuilding the index from the files (storage_rebuild.c) ---- */

struct storage_rebuild_stats {
    int files;        /* segment files found under recordings/ */
    int indexed;      /* already in the index */
    int from_damaged; /* rows taken from a damaged index (file matched) */
    int scanned;      /* rows made by reading the file */
    int quarantined;  /* files no row could be made for (moved to quarantine/) */
    int truncated;    /* files whose torn last fragment was cut off */
};

/* Indexes every segment file under recordings/ the index does not list:
 * rows a damaged index (data_dir/index.db.damaged-*) still yields are taken
 * as they are when the file matches them; other files are read (fmp4_scan.h)
 * and hashed.  Users, holds and API cameras still readable in a damaged
 * index are copied (index_salvage).  A file that cannot be read as a
 * segment goes to quarantine.  One line per action to report.  Needs
 * STORAGE_WRITER.  Removes the damage marker when done. */
nvr_err storage_rebuild_index(struct storage *st, FILE *report, struct storage_rebuild_stats *stats);

/* Makes an index row for one segment file (rel under recordings/) from the
 * file itself: NVR_OK and *indexed = 1 if indexed, *indexed = 0 if the file
 * holds no whole fragment (nothing to index); NVR_ECODEC/NVR_EINVAL if it
 * cannot be (not a segment, a name that is not one, overlaps the index). */
nvr_err storage_index_file(struct storage *st, const char *rel, int64_t session, int64_t end_us, int *indexed);

/* Moves data_dir/rel to data_dir/quarantine/rel (never over another file);
 * the new relative path into out.  A file of another storage dir, named
 * "@DIR/rel" (index_qualify_path), goes to that dir's own quarantine/. */
nvr_err storage_quarantine(struct storage *st, const char *rel, char *out, size_t n);

/* Parses a segment file's relative path recordings/CAM/DAY/CAM-YYYYMMDDTHHMMSS.uuuuuuZ.mp4
 * into camera (INDEX_ID_MAX) and start time.  NVR_EINVAL if it is not one. */
nvr_err storage_parse_segment_path(const char *rel, char *camera, int64_t *start_us);

/* ---- deletion (storage_delete.c) ---- */

/* Deletes the oldest unheld footage: up to max complete segments of camera
 * (NULL: any camera, oldest first over all) ending at or before before_us,
 * stopping once want_bytes are freed.  Rows go to the garbage table and are
 * deleted in one transaction, then the files are unlinked, their
 * directories fsynced, and the garbage rows dropped; empty day directories
 * older than yesterday are removed.  *freed and *count say what went; a
 * count of 0 means nothing unheld was left to delete. */
nvr_err storage_delete_oldest(struct storage *st, const char *camera, int64_t before_us, uint64_t want_bytes, int max,
                              uint64_t *freed, int *count);

/* The same within one storage dir (dir -1: any).  Footage on an offline
 * dir is never chosen (its files cannot be unlinked now). */
nvr_err storage_delete_oldest_in(struct storage *st, const char *camera, int64_t dir, int64_t before_us,
                                 uint64_t want_bytes, int max, uint64_t *freed, int *count);

/* Sets the function told (from a writer thread) when a segment write fails
 * because the file system is full, so retention can make room at once.
 * Call before recording starts. */
void storage_set_full_hook(struct storage *st, void (*fn)(void *arg), void *arg);

/* The folder data_dir/name that one subsystem keeps its own files in
 * (name: [a-z_]+, e.g. "exports"), created 0700 and made durable if missing;
 * its path into out.  The subsystem works only inside it. */
nvr_err storage_area_dir(struct storage *st, const char *name, char *out, size_t n);

/* ---- reading footage and verifying it (storage_read.c) ---- */

/* Opens a segment's file read-only (O_CLOEXEC) into *fd (the caller closes
 * it).  NVR_ENOTFOUND if the file is gone (deleted by retention meanwhile). */
nvr_err storage_segment_open_read(struct storage *st, const struct index_segment *seg, int *fd);

/* Whether seg's file holds what the index promises: NVR_OK, NVR_ENOTFOUND
 * when the file is gone, NVR_ECORRUPT when it is shorter than seg->bytes
 * (*size, if not NULL, is its size then).  One stat, no reading. */
nvr_err storage_segment_present(struct storage *st, const struct index_segment *seg, uint64_t *size);

/* Re-hashes every complete segment file against the SHA-256 the index
 * recorded when it was written (I2), one camera page at a time.  Writes one
 * line per altered or missing file to report ("altered: PATH ..." /
 * "missing: PATH"); a file deleted together with its row meanwhile
 * (retention) is not a problem.  *checked counts the files hashed,
 * *problems the altered and missing ones. */
nvr_err storage_verify(struct storage *st, FILE *report, uint64_t *checked, int *problems);

#endif
