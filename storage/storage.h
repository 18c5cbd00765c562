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
 *   data_dir/recordings/CAM/YYYY-MM-DD/CAM-YYYYMMDDTHHMMSS.uuuuuuZ.mp4
 *
 * Threads: a storage handle is shared by all camera writers (the index
 * serialises itself); a storage_segment belongs to one camera's writer thread.
 */
#ifndef NVR_STORAGE_STORAGE_H
#define NVR_STORAGE_STORAGE_H

#include "storage/index.h"

#include <libavcodec/avcodec.h>
#include <stdint.h>
#include <stdio.h>

struct storage;
struct storage_segment;

enum storage_open_flags {
    STORAGE_WRITER = 1, /* take the lock and recover unfinished segments (nvr run) */
};

/* Opens data_dir (creating it and the index if needed).  With STORAGE_WRITER
 * it takes data_dir/nvr.lock (failing with NVR_EIO and a clear log line if
 * another process holds it) and recovers unfinished segments.  *out owns it. */
int storage_open(struct storage **out, const char *data_dir, int flags);

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

struct storage_segment_params {
    const char *camera;              /* borrowed, must outlive the segment */
    int64_t session;                 /* ingest session (run) id */
    int64_t start_us;                /* wall clock of the first frame */
    int64_t media_start_us;          /* media time of the first frame within its run */
    const AVCodecParameters *video;  /* borrowed (copied) */
    AVRational video_tb;
    const AVCodecParameters *audio;  /* NULL: no audio track */
    AVRational audio_tb;
    int sync;                        /* fdatasync each fragment (1 in production) */
};

/* Starts a segment: inserts its row (state writing), creates its file with
 * O_EXCL, fsyncs the directory, writes the init section. */
int storage_segment_begin(struct storage *st, const struct storage_segment_params *p,
                          struct storage_segment **out);

/* Adds a packet to the current fragment (see segment_writer_write). */
int storage_segment_write(struct storage_segment *seg, AVPacket *pkt, int track);

/* Ends the current fragment at media time media_end_us (from the segment
 * start) and wall clock wall_end_us: writes and fsyncs it, then records it
 * in the index.  A no-op if no packet was added since the last cut. */
int storage_segment_cut(struct storage_segment *seg, int64_t media_end_us, int64_t wall_end_us);

/* Cuts the last fragment, closes the file and marks the segment complete
 * with its SHA-256; a segment with no fragment is removed instead.  Frees
 * *seg and sets it NULL (also on failure); tolerates NULL. */
int storage_segment_finish(struct storage_segment **seg, int64_t media_end_us, int64_t wall_end_us);

/* Wall clock start of the segment. */
int64_t storage_segment_start(const struct storage_segment *seg);

/* Media duration recorded in the segment so far (durable fragments). */
int64_t storage_segment_media_us(const struct storage_segment *seg);

/* Checks the invariants of index.h against the files; writes one line per
 * problem to report; with repair, fixes what it can (removes rows whose file
 * is missing, truncates long files, completes writing segments, deletes
 * files the index does not know).  *problems counts what was found. */
int storage_check(struct storage *st, int repair, FILE *report, int *problems);

/* ---- deletion (storage_delete.c) ---- */

/* Deletes the oldest unheld footage: up to max complete segments of camera
 * (NULL: any camera, oldest first over all) ending at or before before_us,
 * stopping once want_bytes are freed.  Rows go to the garbage table and are
 * deleted in one transaction, then the files are unlinked, their
 * directories fsynced, and the garbage rows dropped; empty day directories
 * older than yesterday are removed.  *freed and *count say what went; a
 * count of 0 means nothing unheld was left to delete. */
int storage_delete_oldest(struct storage *st, const char *camera, int64_t before_us, uint64_t want_bytes,
                          int max, uint64_t *freed, int *count);

/* Sets the function told (from a writer thread) when a segment write fails
 * because the file system is full, so retention can make room at once.
 * Call before recording starts. */
void storage_set_full_hook(struct storage *st, void (*fn)(void *arg), void *arg);

/* ---- reading footage and verifying it (storage_read.c) ---- */

/* Opens a segment's file read-only (O_CLOEXEC) into *fd (the caller closes
 * it).  NVR_ENOTFOUND if the file is gone (deleted by retention meanwhile). */
int storage_segment_open_read(struct storage *st, const struct index_segment *seg, int *fd);

/* Re-hashes every complete segment file against the SHA-256 the index
 * recorded when it was written (I2), one camera page at a time.  Writes one
 * line per altered or missing file to report ("altered: PATH ..." /
 * "missing: PATH"); a file deleted together with its row meanwhile
 * (retention) is not a problem.  *checked counts the files hashed,
 * *problems the altered and missing ones. */
int storage_verify(struct storage *st, FILE *report, uint64_t *checked, int *problems);

#endif
