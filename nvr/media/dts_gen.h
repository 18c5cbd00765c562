/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dts_gen.h - decode timestamps for a video stream that carries only
 * presentation timestamps (RTP), as cameras with B-frames send it.
 *
 * RTP timestamps are presentation times.  With B-frames, frames arrive in
 * decode order and their presentation times go back and forth; an MP4 file
 * needs a decode time per sample that strictly increases, with the
 * presentation time given as an offset from it (docs/design/time.md, "Decode
 * and presentation order").
 *
 * The scheme, for a stream of reorder depth D (h26x_reorder_depth: at most D
 * frames precede a frame in decode order and follow it in presentation
 * order):
 *   dts(i) = the (i-D)-th smallest pts of frames 0..i      (i >= D)
 * which is known when frame i arrives (no later frame can be among the
 * i-D+1 smallest), strictly increases, and is <= pts(i).  The first D frames
 * of a run have no such value: they are held until frame D arrives and get
 * dts(i) = dts(D) - (D-i) * d, with d the smallest gap between the held
 * frames' pts (a frame interval, or a small multiple of one: only these
 * frames' decode durations depend on it).  So D = 0 gives dts = pts (no reordering, no delay), and a stream
 * without B-frames whose depth is declared or inferred > 0 gets dts = pts
 * shifted by D frames: its composition offsets are then all the same.
 *
 * Invariants:
 *  G1 Within a run, dts strictly increases.
 *  G2 A frame whose pts is below the last dts (the stream reorders deeper
 *     than declared) gets last dts + 1 tick and counts in `clamped`; it is
 *     kept, not dropped.
 *  G3 A pts that jumps back by more than `max_back` below the last dts, or
 *     forward by more than `max_forward` past the previous pts, starts a new run
 *     (a new hold): the jump shows in the dts too, so the writer's
 *     discontinuity rule (T5) still sees it.
 *
 * A dts_gen is plain data owned by one thread (the camera's ingest thread).
 */
#ifndef NVR_DTS_GEN_H
#define NVR_DTS_GEN_H

#include <stdint.h>

#define DTS_GEN_MAX_DEPTH 16

struct dts_gen {
    int depth;                           /* D */
    int64_t max_forward, max_back;       /* G3, in the stream's ticks */
    int64_t heap[DTS_GEN_MAX_DEPTH + 2]; /* min-heap of pts not yet used as a dts */
    int nheap;
    int nheld;        /* frames held at the start of a run */
    int64_t prev_pts; /* pts of the previous frame, decode order */
    int64_t last;     /* last dts given, INT64_MIN at a run start */
    uint64_t clamped; /* G2 count, for the log and tests */
};

/* Starts a new run with depth (clamped to 0..DTS_GEN_MAX_DEPTH); the G3
 * bounds are in the stream's ticks (the ingest uses 2 s and 0.5 s). */
void dts_gen_reset(struct dts_gen *g, int depth, int64_t max_forward, int64_t max_back);

/* A new hold with another depth (new codec parameters) that keeps G1 across
 * it: the next dts still follow the last one given.  Call dts_gen_flush first. */
void dts_gen_set_depth(struct dts_gen *g, int depth);

/* Takes the next frame's pts (decode order).  Writes the decode timestamps
 * that became known, in decode order, for the oldest frames still waiting,
 * to out (room for DTS_GEN_MAX_DEPTH + 1), and returns how many: 0 while a
 * run's first frames are held, 1 in steady state, D + 1 when a hold ends.
 * If the frame starts a new run (G3), *restarted is set (may be NULL) and
 * the frames still held from the old run are NOT answered: call
 * dts_gen_flush first (dts_gen_jumps says whether pts would start one). */
int dts_gen_push(struct dts_gen *g, int64_t pts, int64_t *out, int *restarted);

/* 1 if pts would start a new run (G3). */
int dts_gen_jumps(const struct dts_gen *g, int64_t pts);

/* Ends the hold early (new parameters, the end of a stream, a jump): writes
 * the dts of the held frames to out and returns their number; the frames
 * get dts = smallest held pts - (n-1-k) * d. */
int dts_gen_flush(struct dts_gen *g, int64_t *out);

#endif
