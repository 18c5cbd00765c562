/* SPDX-License-Identifier: Apache-2.0 */
/*
 * timemap.h - maps a camera's media timestamps to wall-clock UTC.
 *
 * The rules (docs/design/time.md explains why):
 *  T1 Inside a segment, media time is authoritative: the file's timestamps are
 *     the camera's, unchanged.  The segment's wall duration may differ from its
 *     media duration by at most `slew_ppm` (500 ppm = 30 ms a minute), which
 *     is how a camera clock that runs fast or slow is followed.
 *  T2 The reference wall clock of a frame is the camera's RTCP sender-report
 *     clock when it is known and plausible (within max_skew of our receive
 *     clock), else our own receive clock (CLOCK_REALTIME when the frame
 *     arrived).
 *  T3 Within one ingest session, a segment starts where the previous one
 *     ended (no gap, no overlap) unless the reference clock disagrees by more
 *     than max_error; then it starts at the reference time (a visible gap) or,
 *     if that is earlier, still at the previous end.
 *  T4 Per camera, a segment never starts before the previous segment's end,
 *     across sessions and restarts (the recorder seeds prev_end from the
 *     index): the index never overlaps and never goes backwards, whatever the
 *     camera's timestamps or our clock do (after a step back of our clock,
 *     T6 lets new footage fill the room before the suspect footage).
 *  T5 A video timestamp that goes backwards, or jumps forward by more than
 *     max_frame_gap, is a discontinuity: the current segment ends at its last
 *     frame and the next starts at the next keyframe, under T3/T4 with no
 *     contiguity, so an outage is a gap, never a stretched segment.
 *  T6 A step of our own clock (CLOCK_REALTIME moving against CLOCK_MONOTONIC
 *     by more than max_step) is followed, not slewed: the segment ends at the
 *     next keyframe and the next one starts at the reference time.  After a
 *     step back, the footage labelled later than the clock now is marked
 *     clock_suspect (the recorder does that in the index) and new footage
 *     goes at its true time, into the room before it: it starts no earlier
 *     than floor (the end of the footage before it, so I1/T4 hold) and, if
 *     it reaches the suspect footage (ceiling), continues after that
 *     footage's end, as T4 alone would have put it.
 *
 * A timemap is plain data owned by one camera's writer thread.
 */
#ifndef NVR_TIMEMAP_H
#define NVR_TIMEMAP_H

#include <stdint.h>

#define TIMEMAP_NONE INT64_MIN
#define TIMEMAP_MAX_SKEW_US (10 * 1000000LL) /* T2's bound, the default max_skew_us */

struct timemap {
    /* tunables, set by timemap_init */
    int64_t max_skew_us;      /* RTCP plausibility bound (T2), 10 s */
    int64_t max_error_us;     /* re-anchor threshold (T3), 5 s */
    int64_t max_frame_gap_us; /* discontinuity threshold (T5), 2 s */
    int64_t slew_ppm;         /* rate adjustment bound (T1), 500 */
    /* state */
    int64_t prev_end_us;     /* wall end of the last segment, TIMEMAP_NONE if none */
    int contiguous;          /* the next segment may continue prev_end (T3) */
    int64_t last_stream_us;  /* last video timestamp seen, TIMEMAP_NONE if none */
    int rtcp_rejected;       /* RTCP was seen but implausible (for one log line) */
    int64_t max_step_us;     /* clock step threshold (T6), 2 s */
    int64_t clock_offset_us; /* CLOCK_REALTIME - CLOCK_MONOTONIC last seen, TIMEMAP_NONE */
    int64_t ceiling_us;      /* after a step back: where the suspect footage starts (T6),
                              * TIMEMAP_NONE if there is none ahead */
    int64_t after_us;        /* ... and where it ends */
};

/* Initialises tm; prev_end_us is the camera's last indexed end or TIMEMAP_NONE. */
void timemap_init(struct timemap *tm, int64_t prev_end_us);

/* A new ingest session (reconnect): the next segment is not contiguous. */
void timemap_session_start(struct timemap *tm);

/* A discontinuity or dropped packets: the next segment is not contiguous. */
void timemap_break(struct timemap *tm);

/* T2: reference wall clock of a frame at stream_us (media time in us) that
 * arrived at recv_us.  rtcp_origin_us is the camera's wall clock at media
 * time 0 from RTCP, or TIMEMAP_NONE.  Sets *used_rtcp (may be NULL). */
int64_t timemap_reference(struct timemap *tm, int64_t stream_us, int64_t recv_us, int64_t rtcp_origin_us,
                          int *used_rtcp);

/* T2 without a timemap, with the default bound (TIMEMAP_MAX_SKEW_US): the
 * wall clock of one frame, for those who label a single frame (motion
 * pictures, the live view's prft boxes). */
int64_t timemap_frame_wall(int64_t stream_us, int64_t recv_us, int64_t rtcp_origin_us);

/* T5: 1 if this video timestamp does not continue the previous one, 0 if it
 * does.  Records stream_us.  After ending the segment, the caller calls
 * timemap_break() so the next segment does not continue it. */
int timemap_discontinuity(struct timemap *tm, int64_t stream_us);

/* T3/T4: wall start of a segment whose first frame has reference ref_us.
 * *reanchored (may be NULL) is set when contiguity was possible but the
 * reference disagreed by more than max_error. */
int64_t timemap_segment_start(struct timemap *tm, int64_t ref_us, int *reanchored);

/* T1: wall end of a segment that started at start_us and holds media_us of
 * media, given the reference clock ref_end_us at its end. */
int64_t timemap_segment_end(const struct timemap *tm, int64_t start_us, int64_t media_us, int64_t ref_end_us);

/* Records that a segment ended at end_us; the next may continue it. */
void timemap_segment_done(struct timemap *tm, int64_t end_us);

/* T6: our two clocks read now (real_us = CLOCK_REALTIME, mono_us =
 * CLOCK_MONOTONIC).  Returns how far the wall clock stepped since the
 * previous call (positive: forward) when that is more than max_step_us,
 * else 0 (NTP's slew, at most 500 ppm, never counts). */
int64_t timemap_clock_observe(struct timemap *tm, int64_t real_us, int64_t mono_us);

/* T6 after a step back: the next segment starts at or after floor_us (the
 * end of the footage before the clock now, TIMEMAP_NONE if none) with no
 * contiguity; footage from ceiling_us to after_us (TIMEMAP_NONE: none) is
 * the suspect footage that new segments must not overlap. */
void timemap_clock_step_back(struct timemap *tm, int64_t floor_us, int64_t ceiling_us, int64_t after_us);

/* T6: 1 if a segment that reached wall_us must end (at this keyframe)
 * because it reached the suspect footage; the next starts after it. */
int timemap_reaches_ceiling(const struct timemap *tm, int64_t wall_us);

#endif
