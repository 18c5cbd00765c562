/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rendition.h - an H.264 rendition of recorded footage, made on demand for
 * browsers that cannot decode the stored codec (H.265 in Debian's Chromium):
 * the stored fMP4 segments of one run are read through the index's fragment
 * table, decoded (libavcodec), scaled, encoded again (libx264) and muxed as a
 * fragmented MP4 that Media Source Extensions can play
 * (docs/design/playback.md).
 *
 * A rendition covers one contiguous stretch of footage: it starts at the
 * fragment (GOP, so a keyframe) holding `from` -- or the first footage after
 * `from` when that falls in a gap -- and ends at `to`, at a gap in the
 * recording, or where the stored codec or picture size changes, whichever
 * comes first.  Media time 0 is the first frame, whose wall-clock time is
 * rendition_plan's *start_us; a frame at media time t shows
 * start_us + t (rule T1 of docs/design/time.md maps each segment's media
 * time onto its wall-clock span, so the rendition's media time is wall time).
 *
 * Stored H.264 is stream-copied (no decode) unless a smaller width is asked;
 * H.265 is always transcoded, by default to at most RENDITION_MAX_WIDTH.
 *
 * At most RENDITION_MAX_JOBS renditions run at once per server (each costs
 * about a core): a caller takes a slot (rendition_pool_take) before
 * rendition_start, and the slot is given back when the rendition's thread
 * ends (or by rendition_start when it fails).
 *
 * Threads: each rendition runs on its own detached thread, which reads the
 * segment files and writes the muxed bytes into a bounded buffer (waiting
 * while it is full: the client's pace is the transcoder's); any thread
 * reads that buffer (rendition_read) and may cancel (rendition_release).
 * The pool is shared; its destroy waits for every rendition thread.
 */
#ifndef NVR_RENDITION_H
#define NVR_RENDITION_H

#include "base/err.h"

#include "storage/storage.h"

#include <stddef.h>
#include <stdint.h>

#define RENDITION_MAX_JOBS 2     /* concurrent renditions per server */
#define RENDITION_MAX_WIDTH 1280 /* default: at most this wide */
#define RENDITION_MIN_WIDTH 64
#define RENDITION_BUFFER (2u << 20) /* muxed bytes held for a slow client */
#define RENDITION_GAP_US 1000000    /* segments further apart than this are a gap */

struct rendition_pool;
struct rendition;

nvr_err rendition_pool_create(struct rendition_pool **out);

/* Waits until every rendition's thread has ended (their clients must be
 * gone: stop the HTTP server first), frees the pool, sets *p NULL;
 * tolerates NULL. */
void rendition_pool_destroy(struct rendition_pool **p);

/* Renditions running now. */
int rendition_pool_active(struct rendition_pool *p);

/* Takes a slot: 1 if one was free (now taken), 0 if RENDITION_MAX_JOBS run. */
int rendition_pool_take(struct rendition_pool *p);

/* Gives back a slot taken but not passed to rendition_start. */
void rendition_pool_give(struct rendition_pool *p);

/* What to play, chosen from the index by rendition_plan. */
struct rendition_plan {
    struct index_segment *segs; /* owned: the run's segments (index_segments_free) */
    size_t n;
    size_t first_frag; /* fragment of segs[0] to start at */
    int64_t start_us;  /* wall clock of the first frame */
    int64_t end_us;    /* wall clock where the rendition ends */
    int copy;          /* 1: stream copy (stored H.264 at its size) */
    int width, height; /* output picture size */
};

/* Plans the rendition of camera's footage in [from_us, to_us) at width
 * (0: the default).  NVR_ENOTFOUND when nothing is recorded there. */
nvr_err rendition_plan(struct storage *st, const char *camera, int64_t from_us, int64_t to_us, int width,
                       struct rendition_plan *plan);

/* The rule rendition_plan applies, on segs[0..n) (one camera, by start
 * time, as index_segments_list gives them): the chosen segments are copied
 * into plan and their fragment lists moved (emptied in segs, which the
 * caller still frees).  The first usable segment (with fragments, a size,
 * overlapping the range) starts the run; following ones join while they
 * belong to the same session, start within RENDITION_GAP_US of the
 * previous one's end, before to_us, with the same codec and size. */
nvr_err rendition_plan_segments(struct index_segment *segs, size_t n, int64_t from_us, int64_t to_us, int width,
                                struct rendition_plan *plan);

void rendition_plan_free(struct rendition_plan *plan);

/* Starts a rendition of plan (consumed, also on failure) on its own
 * thread, in a slot the caller took from pool (passed on; given back when
 * the thread ends, or here on failure); st and pool are borrowed and must
 * outlive it.  wake(cls) is called (from that thread) whenever new bytes or
 * the end are ready, until rendition_release.  *out is shared by the thread
 * and the caller, who gives up its share with rendition_release. */
nvr_err rendition_start(struct rendition_pool *pool, struct storage *st, const char *camera,
                        struct rendition_plan *plan, void (*wake)(void *cls), void *cls, struct rendition **out);

/* Copies up to max muxed bytes into buf: the count, 0 if none is ready yet
 * (wake follows), -1 at the end of the body (done, or failed: a file that
 * vanished or does not decode ends the body early, with a log line). */
long rendition_read(struct rendition *r, char *buf, size_t max);

/* The caller is done (client gone or body sent): cancels the thread if it
 * still runs, wake is not called after this returns; frees r when the
 * thread has ended too. */
void rendition_release(struct rendition **r);

#endif
