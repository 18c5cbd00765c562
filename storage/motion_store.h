/* SPDX-License-Identifier: Apache-2.0 */
/*
 * motion_store.h - the motion index (migration 12; docs/design/motion.md):
 * per camera and second, the cells of the 32x18 grid that moved (a 576-bit
 * bitmap), and motion events (start, end, peak score, the union of the
 * cells that moved).
 *
 * The bitmap: cell (col, row), col 0..31 left to right, row 0..17 top to
 * bottom, is bit (row * 32 + col): byte index / 8, bit index % 8 (LSB
 * first).  Only seconds with motion have a row.
 *
 * Invariants (motion_store_check):
 *   M1 every bitmap is MOTION_BITMAP_BYTES long; an event's end >= start and
 *      end - start <= MOTION_EVENT_MAX_US (longer motion is cut into events)
 *   M2 motion exists only where footage does: it is written only where a
 *      segment of the camera is (or is being written), and deleting a
 *      segment row deletes the motion of its time, and of the gaps beside
 *      it, that no other segment of the camera covers (a trigger of
 *      migration 12), so retention removes it with the footage and holds
 *      keep it
 *
 * Threads: any thread (the index serialises; a put is one transaction).
 */
#ifndef NVR_STORAGE_MOTION_STORE_H
#define NVR_STORAGE_MOTION_STORE_H

#include "base/err.h"
#include "storage/index.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MOTION_COLS 32
#define MOTION_ROWS 18
#define MOTION_CELLS (MOTION_COLS * MOTION_ROWS)
#define MOTION_BITMAP_BYTES (MOTION_CELLS / 8)
#define MOTION_EVENT_MAX_US (3600LL * 1000000) /* M1: the trigger relies on it */

struct motion_second {
    int64_t sec; /* UTC seconds: motion seen in [sec, sec + 1) */
    uint8_t cells[MOTION_BITMAP_BYTES];
};

struct motion_event {
    int64_t id; /* 0 until stored */
    int64_t start_us, end_us;
    int score; /* peak: the most cells moved in one picture */
    uint8_t cells[MOTION_BITMAP_BYTES];
};

/* Stores nsec seconds (a second already stored is replaced, unless its
 * bitmap is full: every cell, as the camera's own events write it) and nev events
 * of camera in one transaction: an event with id 0 is inserted (its id is
 * set), another updated (end, score, cells).  Either may be 0.  Seconds and
 * new events without footage (M2) are left out (an event's id stays 0). */
nvr_err motion_store_put(nvr_index *ix, const char *camera, const struct motion_second *secs, size_t nsec,
                         struct motion_event *evs, size_t nev);

/* Deletes the motion our detector wrote for camera in [from_us, to_us): the
 * seconds in it whose bitmap is not full and the events overlapping it
 * whose score is below MOTION_CELLS (the detector never reports more than
 * half the cells: a full bitmap and a full score are the camera's own ONVIF
 * events, which cannot be derived again and are kept).  *deleted (may be
 * NULL) counts the events deleted.  For re-running detection
 * (motion_rebuild.h). */
nvr_err motion_store_clear_detected(nvr_index *ix, const char *camera, int64_t from_us, int64_t to_us, int *deleted);

/* Events of camera that overlap [from_us, to_us), by start, at most max
 * (*more = 1 if there were more; more may be NULL).  *out is malloc'ed
 * (free()), NULL when none. */
nvr_err motion_store_events(nvr_index *ix, const char *camera, int64_t from_us, int64_t to_us, size_t max,
                            struct motion_event **out, size_t *n, int *more);

/* Seconds of camera in [from_sec, to_sec], by time, at most max.  *out is
 * malloc'ed (free()), NULL when none. */
nvr_err motion_store_seconds(nvr_index *ix, const char *camera, int64_t from_sec, int64_t to_sec, size_t max,
                             struct motion_second **out, size_t *n);

/* Motion density of camera over [from_us, to_us) cut into nb equal
 * buckets: frac[i] (0..1) is the part of bucket i covered by seconds with
 * motion.  One indexed range read of motion_seconds (its primary key);
 * cost O(rows + nb).  nb >= 1, to_us > from_us. */
nvr_err motion_store_density(nvr_index *ix, const char *camera, int64_t from_us, int64_t to_us, size_t nb,
                             double *frac);

/* Checks M1 and M2 (rows without footage) and writes one line per problem
 * to report; with repair, deletes the rows that break them.  *problems
 * counts what was found. */
nvr_err motion_store_check(nvr_index *ix, int repair, FILE *report, int *problems);

/* Bitmap helpers. */
static inline int motion_cell_get(const uint8_t *b, int col, int row)
{
    int i = row * MOTION_COLS + col;
    return (b[i >> 3] >> (i & 7)) & 1;
}
static inline void motion_cell_set(uint8_t *b, int col, int row)
{
    int i = row * MOTION_COLS + col;
    b[i >> 3] |= (uint8_t)(1u << (i & 7));
}

#endif
