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
 *     camera's timestamps or our clock do.
 *  T5 A video timestamp that goes backwards, or jumps forward by more than
 *     max_frame_gap, is a discontinuity: the current segment ends at its last
 *     frame and the next starts at the next keyframe, under T3/T4 with no
 *     contiguity, so an outage is a gap, never a stretched segment.
 *
 * A timemap is plain data owned by one camera's writer thread.
 */
#ifndef NVR_TIMEMAP_H
#define NVR_TIMEMAP_H

#include <stdint.h>

#define TIMEMAP_NONE INT64_MIN

struct timemap {
    /* tunables, set by timemap_init */
    int64_t max_skew_us;      /* RTCP plausibility bound (T2), 10 s */
    int64_t max_error_us;     /* re-anchor threshold (T3), 5 s */
    int64_t max_frame_gap_us; /* discontinuity threshold (T5), 2 s */
    int64_t slew_ppm;         /* rate adjustment bound (T1), 500 */
    /* state */
    int64_t prev_end_us;      /* wall end of the last segment, TIMEMAP_NONE if none */
    int contiguous;           /* the next segment may continue prev_end (T3) */
    int64_t last_stream_us;   /* last video timestamp seen, TIMEMAP_NONE if none */
    int rtcp_rejected;        /* RTCP was seen but implausible (for one log line) */
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
int64_t timemap_reference(struct timemap *tm, int64_t stream_us, int64_t recv_us,
                          int64_t rtcp_origin_us, int *used_rtcp);

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
int64_t timemap_segment_end(const struct timemap *tm, int64_t start_us, int64_t media_us,
                            int64_t ref_end_us);

/* Records that a segment ended at end_us; the next may continue it. */
void timemap_segment_done(struct timemap *tm, int64_t end_us);

#endif
