/* SPDX-License-Identifier: Apache-2.0 */
/*
 * motion_events.h - detector verdicts over time -> motion events and the
 * per-second cell bitmaps (docs/design/motion.md, "Events").
 *
 * Samples come a keyframe apart (0.5 to a few seconds).  An event opens at
 * the first picture that moved; its start is placed half way between that
 * picture and the one before it (the motion began somewhere in between, so
 * the error is at most half the interval), its end likewise after the last
 * picture that moved.  Pictures that moved less than merge_gap_us apart
 * belong to one event; an event longer than MOTION_EVENT_MAX_US is cut.
 * A global change (MOTION_GLOBAL) or a learning picture neither opens nor
 * extends an event.  A picture where fewer than MOTION_MIN_CELLS cells
 * moved opens an event only when the next picture (within the merge gap)
 * moved too, next to those cells: one or two cells that flash once (rain
 * drops near the lens, an insect) are not an event, a small figure that
 * keeps moving is, from its first picture.
 *
 * The tracker hands out what changed through a sink: each second's bitmap
 * once the second is over, and the open event each time it grows
 * (closed = 0) and once when it closes (closed = 1).  No I/O, no clock: the
 * caller gives every time.  One per camera; not thread-safe.
 */
#ifndef NVR_MOTION_EVENTS_H
#define NVR_MOTION_EVENTS_H

#include "motion/motion_detect.h"
#include "storage/motion_store.h"

#include <stdint.h>

#define MOTION_MERGE_GAP_US 4000000LL
#define MOTION_SAMPLE_GAP_US 10000000LL /* samples further apart are not neighbours */
#define MOTION_MIN_CELLS 3

struct motion_sink {
    void *cls;
    void (*second)(void *cls, const struct motion_second *s);
    void (*event)(void *cls, const struct motion_event *e, int closed);
};

struct motion_tracker {
    struct motion_sink sink;
    int64_t merge_gap_us;
    int64_t prev_t;       /* the last sample's time, INT64_MIN if none */
    int64_t last_moved_t; /* the open event's last picture that moved */
    int64_t interval_us;  /* the last interval between samples (for a close without a next) */
    int open;
    struct motion_event ev; /* the open event */
    int have_sec;
    struct motion_second sec; /* the second being filled */
    int pending;              /* a small motion waiting for the next picture */
    int64_t pend_t, pend_start;
    int pend_score;
    uint8_t pend_cells[MOTION_BITMAP_BYTES];
};

/* Starts a tracker (merge_gap_us 0: MOTION_MERGE_GAP_US). */
void motion_tracker_init(struct motion_tracker *tr, const struct motion_sink *sink, int64_t merge_gap_us);

/* One detector result at t_us. */
void motion_tracker_sample(struct motion_tracker *tr, int64_t t_us, const struct motion_result *r);

/* No more samples for now (session end, camera stopped): closes the open
 * event and hands out the second being filled. */
void motion_tracker_flush(struct motion_tracker *tr);

#endif
