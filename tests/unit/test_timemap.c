/* SPDX-License-Identifier: Apache-2.0 */
/* test_timemap.c - the wall-clock rules T1-T5 (nvr/media/timemap.c). */
#include "media/timemap.h"

#include "check.h"

#define S 1000000LL
#define T0 (1795320000LL * S) /* 2026-11-22T04:00:00Z */

static void test_contiguous_segments_perfect_clock(void)
{
    struct timemap tm;
    timemap_init(&tm, TIMEMAP_NONE);
    timemap_session_start(&tm);
    /* camera media time starts at 0; frames arrive exactly in real time */
    int64_t start = timemap_segment_start(&tm, timemap_reference(&tm, 0, T0, TIMEMAP_NONE, NULL), NULL);
    CHECK_EQ_INT(start, T0);
    for (int seg = 0; seg < 5; seg++) {
        int64_t media = 60 * S;
        int64_t end = timemap_segment_end(&tm, start, media, T0 + (seg + 1) * 60 * S);
        CHECK_EQ_INT(end, start + media);
        timemap_segment_done(&tm, end);
        int64_t next = timemap_segment_start(&tm, T0 + (seg + 1) * 60 * S + 3000 /* jitter */, NULL);
        CHECK_EQ_INT(next, end); /* T3: contiguous within a session */
        start = next;
    }
    CHECK_EQ_INT(start, T0 + 300 * S);
}

static void test_slew_follows_fast_camera(void)
{
    /* the camera's clock runs 0.1 % fast: 60 s of media take 59.94 s of real time */
    struct timemap tm;
    timemap_init(&tm, TIMEMAP_NONE);
    int64_t start = timemap_segment_start(&tm, T0, NULL), real = T0;
    for (int seg = 0; seg < 20; seg++) {
        real += 59940000;
        int64_t end = timemap_segment_end(&tm, start, 60 * S, real);
        /* T1: wall duration within 500 ppm of media duration */
        CHECK(end - start >= 60 * S - 30000 && end - start <= 60 * S + 30000);
        timemap_segment_done(&tm, end);
        start = timemap_segment_start(&tm, real, NULL);
        CHECK_EQ_INT(start, end);
    }
    /* after 20 minutes the error is bounded by the real drift minus what slew absorbed */
    int64_t err = start - real;
    CHECK(err >= 0 && err <= 1200000 - 20 * 30000 + 1);
}

static void test_discontinuity(void)
{
    struct timemap tm;
    timemap_init(&tm, TIMEMAP_NONE);
    CHECK_EQ_INT(timemap_discontinuity(&tm, 0), 0);
    CHECK_EQ_INT(timemap_discontinuity(&tm, 40000), 0);
    CHECK_EQ_INT(timemap_discontinuity(&tm, 1040000), 0);  /* 1 s pause: still a frame interval */
    CHECK_EQ_INT(timemap_discontinuity(&tm, 4000000), 1);  /* jump forward 3 s */
    CHECK_EQ_INT(timemap_discontinuity(&tm, 4040000), 0);
    CHECK_EQ_INT(timemap_discontinuity(&tm, 1000), 1);     /* backwards (camera restarted its clock) */
    timemap_session_start(&tm);
    CHECK_EQ_INT(timemap_discontinuity(&tm, 99 * S), 0);   /* new session: nothing to compare */
}

static void test_gap_after_outage_and_never_backwards(void)
{
    struct timemap tm;
    timemap_init(&tm, T0 + 100 * S); /* index says the last segment ended at +100 s */
    timemap_session_start(&tm);
    /* reconnect 30 s later: the new segment starts at the reference, leaving a gap */
    CHECK_EQ_INT(timemap_segment_start(&tm, T0 + 130 * S, NULL), T0 + 130 * S);
    /* our clock stepped back 50 s (NTP): never before the previous end (T4) */
    timemap_init(&tm, T0 + 100 * S);
    CHECK_EQ_INT(timemap_segment_start(&tm, T0 + 50 * S, NULL), T0 + 100 * S);
    /* within a session, a reference far off re-anchors with a visible gap (T3) */
    timemap_init(&tm, TIMEMAP_NONE);
    timemap_segment_done(&tm, T0);
    int re = 0;
    CHECK_EQ_INT(timemap_segment_start(&tm, T0 + 20 * S, &re), T0 + 20 * S);
    CHECK_EQ_INT(re, 1);
    /* after a break (dropped packets), no contiguity even if close */
    timemap_segment_done(&tm, T0 + 80 * S);
    timemap_break(&tm);
    CHECK_EQ_INT(timemap_segment_start(&tm, T0 + 81 * S, &re), T0 + 81 * S);
    CHECK_EQ_INT(re, 0);
}

static void test_rtcp_reference(void)
{
    struct timemap tm;
    int used = -1;
    timemap_init(&tm, TIMEMAP_NONE);
    /* RTCP says media 0 was at T0 - 3 s; the frame at media 5 s arrived at T0 + 2.2 s */
    CHECK_EQ_INT(timemap_reference(&tm, 5 * S, T0 + 2200000, T0 - 3 * S, &used), T0 + 2 * S);
    CHECK_EQ_INT(used, 1);
    CHECK_EQ_INT(tm.rtcp_rejected, 0);
    /* a camera whose clock is a year off is ignored in favour of our receive clock */
    CHECK_EQ_INT(timemap_reference(&tm, 5 * S, T0, T0 - 365 * 86400 * S, &used), T0);
    CHECK_EQ_INT(used, 0);
    CHECK_EQ_INT(tm.rtcp_rejected, 1);
    /* no RTCP yet */
    CHECK_EQ_INT(timemap_reference(&tm, 5 * S, T0, TIMEMAP_NONE, &used), T0);
    CHECK_EQ_INT(used, 0);
    /* one frame's wall clock (motion): the same rule with the default bound; a
     * frame read 0.4 s after it was sent keeps the camera's time */
    CHECK_EQ_INT(timemap_frame_wall(5 * S, T0 + 2400000, T0 - 3 * S), T0 + 2 * S);
    CHECK_EQ_INT(timemap_frame_wall(5 * S, T0 + 2 * S + TIMEMAP_MAX_SKEW_US + 1, T0 - 3 * S),
                 T0 + 2 * S + TIMEMAP_MAX_SKEW_US + 1);
    CHECK_EQ_INT(timemap_frame_wall(5 * S, T0, TIMEMAP_NONE), T0);
}

static void test_end_never_before_start(void)
{
    struct timemap tm;
    timemap_init(&tm, TIMEMAP_NONE);
    CHECK_EQ_INT(timemap_segment_end(&tm, T0, 0, T0 - 10 * S), T0);
    CHECK_EQ_INT(timemap_segment_end(&tm, T0, 2 * S, T0 - 10 * S), T0 + 2 * S - 1000);
}

/* T6: a step of our clock is seen against the monotonic clock; NTP's slew is not a step */
static void test_clock_step_detected(void)
{
    struct timemap tm;
    timemap_init(&tm, TIMEMAP_NONE);
    int64_t mono = 1000 * S;
    CHECK_EQ_INT(timemap_clock_observe(&tm, T0, mono), 0);
    /* 10 minutes of 500 ppm slew: 0.3 s, in steps of 40 ms frames */
    int64_t real = T0;
    for (int i = 0; i < 15000; i++) {
        mono += 40000;
        real += 40000 + 20;
        CHECK_EQ_INT(timemap_clock_observe(&tm, real, mono), 0);
    }
    /* forward an hour, then back an hour: each reported once */
    mono += 40000;
    CHECK_EQ_INT(timemap_clock_observe(&tm, real + 40000 + 3600 * S, mono), 3600 * S);
    mono += 40000;
    CHECK_EQ_INT(timemap_clock_observe(&tm, real + 80000 + 3600 * S, mono), 0);
    mono += 40000;
    CHECK_EQ_INT(timemap_clock_observe(&tm, real + 120000, mono), -3600 * S);
    mono += 40000;
    CHECK_EQ_INT(timemap_clock_observe(&tm, real + 160000, mono), 0);
}

/* T6: after a step back, new footage goes at its true time, after the footage
 * before it (floor) and never over the suspect footage (ceiling..after) */
static void test_clock_step_back_room(void)
{
    struct timemap tm;
    int re = -1;
    /* recorded to T0 + 10 s with a right clock, then T0 + 3600..3630 s with a clock an hour ahead */
    timemap_init(&tm, T0 + 3630 * S);
    timemap_segment_done(&tm, T0 + 3630 * S);
    /* without T6, the true time T0 + 40 s would be pushed to the previous end (T4) */
    CHECK_EQ_INT(timemap_segment_start(&tm, T0 + 40 * S, &re), T0 + 3630 * S);
    timemap_clock_step_back(&tm, T0 + 10 * S, T0 + 3600 * S, T0 + 3630 * S);
    CHECK_EQ_INT(tm.contiguous, 0);
    int64_t start = timemap_segment_start(&tm, T0 + 40 * S, &re);
    CHECK_EQ_INT(start, T0 + 40 * S);
    CHECK_EQ_INT(re, 0);
    CHECK_EQ_INT(timemap_segment_end(&tm, start, 60 * S, T0 + 100 * S), T0 + 100 * S);
    timemap_segment_done(&tm, T0 + 100 * S);
    /* contiguous again, at the true time */
    CHECK_EQ_INT(timemap_segment_start(&tm, T0 + 100 * S, &re), T0 + 100 * S);
    /* a segment that runs into the suspect footage ends at its start */
    CHECK_EQ_INT(timemap_reaches_ceiling(&tm, T0 + 3599 * S), 0);
    CHECK_EQ_INT(timemap_reaches_ceiling(&tm, T0 + 3600 * S), 1);
    CHECK_EQ_INT(timemap_segment_end(&tm, T0 + 3590 * S, 15 * S, T0 + 3605 * S), T0 + 3600 * S);
    timemap_segment_done(&tm, T0 + 3600 * S);
    timemap_break(&tm);
    /* and the next goes after it, as T4 puts it */
    CHECK_EQ_INT(timemap_segment_start(&tm, T0 + 3601 * S, &re), T0 + 3630 * S);
    CHECK(tm.ceiling_us == TIMEMAP_NONE);
    /* a step back with no footage before the clock now: no floor */
    timemap_clock_step_back(&tm, TIMEMAP_NONE, T0, T0 + 10 * S);
    CHECK_EQ_INT(timemap_segment_start(&tm, T0 - 50 * S, &re), T0 - 50 * S);
}

int main(void)
{
    RUN(test_contiguous_segments_perfect_clock);
    RUN(test_slew_follows_fast_camera);
    RUN(test_discontinuity);
    RUN(test_gap_after_outage_and_never_backwards);
    RUN(test_rtcp_reference);
    RUN(test_end_never_before_start);
    RUN(test_clock_step_detected);
    RUN(test_clock_step_back_room);
    return check_summary();
}
