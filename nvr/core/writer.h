/* SPDX-License-Identifier: Apache-2.0 */
/*
 * writer.h - one camera's writer state machine: the items the ingest thread
 * queues (session start, packets, gaps, session end) in; segments, fragments
 * and index rows out, through storage/.  The rules are at the top of
 * writer.c and in docs/design/time.md.
 *
 * It owns the camera's timemap, the open storage_segment and the held-back
 * packets.  Time is read only through opts->clock, so a test can run the
 * machine on a simulated clock (test_writer); the recorder passes the
 * system's (nvr_clock_system).
 *
 * Invariants it keeps (storage.md, index.md): a segment starts at a
 * keyframe; segments of one camera never overlap in wall time and their
 * media time never goes back; every packet written has a duration (held
 * back by one); a clock step back marks the footage later than the clock
 * clock_suspect once; a camera timestamp jump never ends a segment shorter
 * than the floor, and a camera whose timestamps jump all the time is timed
 * by arrival (T7), so its segments keep their normal length.
 *
 * Threads: a writer is used by one thread (the recorder's writer thread);
 * counters may be read from any thread, on_write runs on the writer's.
 */
#ifndef NVR_CORE_WRITER_H
#define NVR_CORE_WRITER_H

#include "base/clock.h"
#include "ingest/packet_queue.h"
#include "storage/storage.h"

#include <stdatomic.h>
#include <stdint.h>

/* What the writer counts, owned by the caller (read from any thread). */
struct writer_counters {
    atomic_uint_fast64_t dropped;       /* packets not written: before a keyframe,
                                         * duplicates, undecodable leading pictures,
                                         * write errors */
    atomic_uint_fast64_t segments;      /* segments finished */
    atomic_uint_fast64_t frag_writes;   /* fragments cut (written and fsynced) */
    atomic_uint_fast64_t frag_write_us; /* ... the time they took */
    atomic_uint_fast64_t frag_write_max_us;
    atomic_uint_fast64_t frame_interval_ns; /* the latest frame duration */
    atomic_uint_fast64_t ts_jumps;          /* camera timestamp discontinuities (T5) */
    atomic_int ts_arrival;                  /* 1 while the camera's timestamps are
                                             * chaotic and video is timed by its
                                             * arrival instead (T7) */
    atomic_int clock_rtcp;                  /* 1 while segments are placed by the
                                             * camera's RTCP clock (T2: known and
                                             * plausible), 0 by arrival time */
};

struct writer_opts {
    const char *camera;               /* id, borrowed for the writer's life */
    int segment_seconds;              /* a segment ends at the first keyframe after this */
    const char *storage_dir;          /* the dir new segments are pinned to, NULL: any (borrowed) */
    struct storage *st;               /* borrowed */
    struct writer_counters *counters; /* borrowed */
    /* the outcome of each storage operation (op: "begin", "write", "cut",
     * "finish"), for the caller's write health; may be NULL */
    void (*on_write)(void *cls, int rc, const char *op);
    void *cls;
    const struct nvr_clock *clock; /* NULL: nvr_clock_system */
};

struct writer;

/* A writer for one camera, continuing its footage in the index (the last
 * segment's end and media time).  NULL on ENOMEM. */
struct writer *writer_create(const struct writer_opts *o);

/* Handles one queued item.  Takes what it keeps from it (it->pkt, it->params
 * are set NULL when taken); the caller frees the item afterwards. */
void writer_item(struct writer *w, struct pq_item *it);

/* Frees the writer (the open segment must have been finished: a PQ_QUIT or
 * PQ_SESSION_END item does that); sets *w NULL; tolerates NULL. */
void writer_destroy(struct writer **w);

#endif
