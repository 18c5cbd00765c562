/* SPDX-License-Identifier: Apache-2.0 */
/*
 * index.h - the catalog of recorded footage: one SQLite file (WAL mode).
 *
 * Tables (docs/design/index.md has the schema and the migrations):
 *   cameras   - every camera that ever recorded, by id
 *   segments  - one row per segment file: camera, ingest session (run), wall
 *               clock start/end (UTC us), media duration, path relative to
 *               data_dir, bytes, codec parameters, the packed fragment table
 *               (fragments.h), SHA-256 of the finished file, and state
 *               (writing / complete)
 *   garbage   - files whose rows are gone but that may still exist (deletion
 *               is: move row to garbage, unlink file, fsync dir, drop garbage)
 *
 * Invariants (checked by storage_check):
 *   I1 per camera, segments never overlap: start(n+1) >= end(n)
 *   I2 a complete segment's file has exactly `bytes` bytes and hashes to sha256
 *   I3 a writing segment's file has at least `bytes` bytes (the fragments
 *      listed are durable); at start-up it is truncated to `bytes` and completed
 *
 * Threads: a handle is one connection behind one mutex; every function may be
 * called from any thread and is serialised per handle.  storage/ opens two
 * handles: one for the writers, one for readers (WAL readers do not block).  Commits use synchronous=NORMAL: a power
 * cut may lose the last commits but never corrupts the file, and the segment writer fsyncs the data before the row that
 * points at it is committed.
 */
#ifndef NVR_STORAGE_INDEX_H
#define NVR_STORAGE_INDEX_H

#include "base/err.h"
#include "storage/fragments.h"

#include <stdint.h>
#include <stdio.h>

typedef struct nvr_index nvr_index;

enum index_segment_state { INDEX_SEG_COMPLETE = 0, INDEX_SEG_WRITING = 1 };

#define INDEX_ID_MAX 65
#define INDEX_PATH_MAX 256

struct index_segment {
    int64_t id;
    char camera[INDEX_ID_MAX];
    int64_t session;           /* ingest session (run) id: wall clock us at connect */
    int64_t start_us, end_us;  /* wall clock UTC, microseconds */
    int64_t media_us;          /* media duration = sum of fragment durations */
    int64_t media_start_us;    /* media time (file timestamps) of the first frame: the
                                * segments of one run continue each other's timestamps */
    char path[INDEX_PATH_MAX]; /* relative to its dir */
    int64_t dir;               /* the segment directory holding it: 0 data_dir,
                                * else a row of the dirs table (index_dirs) */
    uint64_t bytes;            /* init_bytes + sum of fragment bytes */
    uint32_t init_bytes;       /* ftyp+moov at the start of the file */
    int state;                 /* enum index_segment_state */
    char video_codec[16];      /* "h264" or "hevc" */
    int width, height;
    int64_t frames;       /* video frames in the segment */
    char audio_codec[16]; /* "aac", "flac" or "" */
    struct fragment_list frags;
    uint8_t sha256[32];
    int has_sha256;
    int clock_suspect;                  /* labelled by a server clock that later stepped back past
                                         * it (docs/design/time.md, T6) */
    char archive[INDEX_PATH_MAX + 128]; /* s3://bucket/key when the footage is only in the
                                         * archive tier (archive.h), "" while it is local */
};

/* Opens (creating if needed) the index at path and applies migrations.
 * *out owns the handle; close with index_close. */
nvr_err index_open(nvr_index **out, const char *path);

/* Closes *ix and sets it NULL; tolerates NULL. */
void index_close(nvr_index **ix);

/* The schema version the file is at after index_open. */
int index_schema_version(nvr_index *ix);

/* Records a camera (insert or update its display name). */
nvr_err index_camera_upsert(nvr_index *ix, const char *id, const char *name);

/* Inserts a segment in state WRITING.  Reads every field of seg but id,
 * state, sha256; sets seg->id.  Fails with NVR_EINVAL if it would overlap
 * the camera's previous segment (invariant I1). */
nvr_err index_segment_insert(nvr_index *ix, struct index_segment *seg);

/* Updates end_us, media_us, bytes, frames, width/height and the fragment
 * table of a WRITING segment (after its newest fragment is durable). */
nvr_err index_segment_update(nvr_index *ix, const struct index_segment *seg);

/* Marks a segment COMPLETE with its final fields and SHA-256. */
nvr_err index_segment_finish(nvr_index *ix, const struct index_segment *seg);

/* Deletes a segment row. */
nvr_err index_segment_delete(nvr_index *ix, int64_t id);

/* One segment by id into *out (free out->frags with fragments_free).
 * NVR_ENOTFOUND if there is none. */
nvr_err index_segment_get(nvr_index *ix, int64_t id, struct index_segment *out);

/* The [start_us, end_us) of camera's segments overlapping [from_us, to_us),
 * by start: what coverage needs, without reading fragments or paths (the
 * catalog's publisher; index_spans.c).  *out is a new array of *n spans
 * (free(); NULL when there is none). */
struct index_span {
    int64_t start_us, end_us;
};
nvr_err index_segment_spans(nvr_index *ix, const char *camera, int64_t from_us, int64_t to_us, struct index_span **out,
                            size_t *n);

/* Segments of camera overlapping [from_us, to_us), by start time.  *out is
 * a new array of *n segments (free with index_segments_free). */
nvr_err index_segments_list(nvr_index *ix, const char *camera, int64_t from_us, int64_t to_us,
                            struct index_segment **out, size_t *n);

/* Up to limit segments of camera starting after after_us, by start time
 * (for walking a camera's whole history in pages). */
nvr_err index_segments_page(nvr_index *ix, const char *camera, int64_t after_us, int limit, struct index_segment **out,
                            size_t *n);

/* All segments in state WRITING (for recovery at start-up). */
nvr_err index_segments_writing(nvr_index *ix, struct index_segment **out, size_t *n);

/* Every segment of every camera (for storage_check). */
nvr_err index_segments_all(nvr_index *ix, struct index_segment **out, size_t *n);

/* Frees an array returned above; sets *segs NULL. */
void index_segments_free(struct index_segment **segs, size_t n);

/* Wall-clock end of the camera's newest segment, or INT64_MIN if it has
 * none; and (if media_end_us is not NULL) its media end, media_start_us +
 * media_us, or 0.  The recorder never starts a segment before the first
 * (invariant I1 across restarts) and continues the camera's media timeline
 * after the second. */
nvr_err index_camera_last_end(nvr_index *ix, const char *camera, int64_t *end_us, int64_t *media_end_us);

/* The server clock stepped back to now_us (time.md, T6): the camera's
 * segments that start at or after now_us are marked clock_suspect (*marked
 * says how many were not already), and the room new footage has: *floor_us,
 * the latest end of the segments that start before now_us (INT64_MIN if
 * none), *ceiling_us, the earliest start of the marked ones, and *after_us,
 * the end of the camera's newest segment (both INT64_MIN if none). */
nvr_err index_clock_step_back(nvr_index *ix, const char *camera, int64_t now_us, int64_t *floor_us, int64_t *ceiling_us,
                              int64_t *after_us, int *marked);

/* Camera ids present in the index, as a new array of n strings
 * (free each and the array). */
nvr_err index_cameras(nvr_index *ix, char ***ids, size_t *n);

/* ---- damage and rebuilding ---- */

/* PRAGMA quick_check within budget_ms (0: no bound).  NVR_OK if the file is
 * sound; NVR_EDAMAGED with SQLite's first finding in problem if not;
 * NVR_ETIMEDOUT if the budget ran out first (the file is then neither
 * passed nor failed); another error if the check itself failed. */
nvr_err index_quick_check(nvr_index *ix, int64_t budget_ms, char *problem, size_t n);

/* The segment whose file is path (relative to data_dir) into *out (free
 * out->frags with fragments_free); NVR_ENOTFOUND if none. */
nvr_err index_segment_by_path(nvr_index *ix, const char *path, struct index_segment *out);

/* Inserts a COMPLETE segment with its SHA-256 (rebuilt from its file, or
 * read from a damaged index), in any order of start times; its camera row
 * is created if missing.  NVR_EINVAL if it would overlap a segment of the
 * same camera (I1) or its path is already indexed.  Sets seg->id. */
nvr_err index_segment_restore(nvr_index *ix, struct index_segment *seg);

/* Copies into ix what the damaged index file at damaged still yields
 * (index_salvage.c): cameras, users and their grants and tokens, holds,
 * API cameras, and the access log if ix has none yet.  Rows on damaged
 * pages are skipped; rows ix already has are kept.  One line per table
 * to report (may be NULL).  The damaged file is opened read-only. */
nvr_err index_salvage(nvr_index *ix, const char *damaged, FILE *report);

/* Calls fn on every segment row the damaged index file still yields (fn
 * borrows the row; an error from fn other than NVR_EINVAL stops the walk).
 * *lost counts the damaged stretches skipped. */
nvr_err index_salvage_segments(const char *damaged, int (*fn)(struct index_segment *seg, void *arg), void *arg,
                               int *lost);

/* Recomputes every camera's usage totals (bytes, media_us) from its
 * segments: after rows were copied from a damaged index, whose cameras
 * rows carry the totals of that index. */
nvr_err index_usage_recount(nvr_index *ix);

/* ---- retention (index_retention.c) ---- */

struct index_usage {
    uint64_t bytes;    /* footage of the camera, all segments */
    int64_t media_us;  /* its recorded duration */
    int64_t oldest_us; /* start of its oldest segment, INT64_MIN if none */
};

/* Usage of one camera (kept by triggers: no scan). */
nvr_err index_usage(nvr_index *ix, const char *camera, struct index_usage *u);

/* Bytes of footage of all cameras. */
nvr_err index_usage_total(nvr_index *ix, uint64_t *bytes);

struct index_retired {
    int64_t id, dir;
    char camera[INDEX_ID_MAX];
    char path[INDEX_PATH_MAX + 24]; /* qualified (index_qualify_path), as in the garbage table */
    uint64_t bytes;
    int64_t start_us, end_us;
};

/* Retires the oldest complete segments not covered by an active hold: of
 * camera (or of every camera if camera is NULL), ending at or before
 * before_us, by start time, until want_bytes are retired or max segments.
 * In one transaction their paths go to the garbage table and their rows
 * are deleted; the caller then unlinks the files and drops the garbage rows
 * (index_garbage_drop).  *out is a new array of *n (free with free()); *n
 * is 0 when nothing unheld is left to retire. */
nvr_err index_retire(nvr_index *ix, const char *camera, int64_t before_us, uint64_t want_bytes, int max,
                     struct index_retired **out, size_t *n);

/* Complete local segments that ended at or before before_us, earliest end first,
 * at most max: what the archive may upload. */
nvr_err index_archive_candidates(nvr_index *ix, int64_t before_us, int max, struct index_segment **out, size_t *n);

/* In one transaction: the segment's footage is the object url now, and its
 * local file (local_qpath, index_qualify_path) is garbage to unlink.
 * NVR_ENOTFOUND if the row is gone or already archived. */
nvr_err index_segment_set_archived(nvr_index *ix, int64_t id, const char *url, const char *local_qpath);

/* Which segments index_retire_in may take: of camera (NULL: any), in dir
 * (-1: any), never in a dir whose bit is set in skip_dirs (a disk that is
 * offline: its files cannot be unlinked now; dirs above 62 are not masked). */
struct index_retire_filter {
    const char *camera;
    int64_t dir;
    uint64_t skip_dirs;
};

/* index_retire with a filter. */
nvr_err index_retire_in(nvr_index *ix, const struct index_retire_filter *f, int64_t before_us, uint64_t want_bytes,
                        int max, struct index_retired **out, size_t *n);

/* A segment's path as the garbage table keeps it: rel for dir 0 (data_dir),
 * "@DIR/rel" for another dir. */
void index_qualify_path(int64_t dir, const char *rel, char *out, size_t n);

/* Paths waiting in the garbage table (after a crash mid-deletion): a new
 * array of *n strings (free each and the array). */
nvr_err index_garbage_list(nvr_index *ix, char ***paths, size_t *n);

/* Whether path is in the garbage table (a deletion in progress). */
nvr_err index_garbage_has(nvr_index *ix, const char *path, int *has);

/* Removes path from the garbage table once its file is gone. */
nvr_err index_garbage_drop(nvr_index *ix, const char *path);

#endif
