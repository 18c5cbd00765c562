/* SPDX-License-Identifier: Apache-2.0 */
/*
 * timemap.c - media time to wall clock, rules T1-T6 (see timemap.h).
 */
#include "media/timemap.h"

#include <stddef.h>

void timemap_init(struct timemap *tm, int64_t prev_end_us)
{
    tm->max_skew_us = TIMEMAP_MAX_SKEW_US;
    tm->max_error_us = 5 * 1000000LL;
    tm->max_frame_gap_us = 2 * 1000000LL;
    tm->slew_ppm = 500;
    tm->prev_end_us = prev_end_us;
    tm->contiguous = 0;
    tm->last_stream_us = TIMEMAP_NONE;
    tm->rtcp_rejected = 0;
    tm->max_step_us = 2000000;
    tm->clock_offset_us = TIMEMAP_NONE;
    tm->ceiling_us = TIMEMAP_NONE;
    tm->after_us = TIMEMAP_NONE;
}

void timemap_session_start(struct timemap *tm)
{
    tm->contiguous = 0;
    tm->last_stream_us = TIMEMAP_NONE;
}

void timemap_break(struct timemap *tm)
{
    tm->contiguous = 0;
}

static int64_t abs64(int64_t v)
{
    return v < 0 ? -v : v;
}

/* T2 as a rule, with no state: the camera's clock at stream_us when it is
 * known and within max_skew_us of recv_us, else recv_us.  *rtcp: 1 the
 * camera's clock was used, -1 it was known but implausible, 0 unknown. */
static int64_t reference_wall(int64_t stream_us, int64_t recv_us, int64_t rtcp_origin_us, int64_t max_skew_us,
                              int *rtcp)
{
    *rtcp = 0;
    if (rtcp_origin_us == TIMEMAP_NONE)
        return recv_us;
    int64_t camera_wall = rtcp_origin_us + stream_us;
    *rtcp = abs64(camera_wall - recv_us) <= max_skew_us ? 1 : -1;
    return *rtcp == 1 ? camera_wall : recv_us;
}

int64_t timemap_reference(struct timemap *tm, int64_t stream_us, int64_t recv_us, int64_t rtcp_origin_us,
                          int *used_rtcp)
{
    int rtcp;
    int64_t wall = reference_wall(stream_us, recv_us, rtcp_origin_us, tm->max_skew_us, &rtcp);
    if (rtcp < 0)
        tm->rtcp_rejected = 1;
    if (used_rtcp)
        *used_rtcp = rtcp == 1;
    return wall;
}

int64_t timemap_frame_wall(int64_t stream_us, int64_t recv_us, int64_t rtcp_origin_us)
{
    int rtcp;
    return reference_wall(stream_us, recv_us, rtcp_origin_us, TIMEMAP_MAX_SKEW_US, &rtcp);
}

int timemap_discontinuity(struct timemap *tm, int64_t stream_us)
{
    int64_t last = tm->last_stream_us;
    tm->last_stream_us = stream_us;
    if (last == TIMEMAP_NONE)
        return 0;
    int64_t d = stream_us - last;
    return d < 0 || d > tm->max_frame_gap_us;
}

int64_t timemap_segment_start(struct timemap *tm, int64_t ref_us, int *reanchored)
{
    int64_t start = ref_us;
    if (reanchored)
        *reanchored = 0;
    if (tm->prev_end_us != TIMEMAP_NONE) {
        if (tm->contiguous) {
            if (abs64(ref_us - tm->prev_end_us) <= tm->max_error_us)
                start = tm->prev_end_us;
            else if (reanchored)
                *reanchored = 1;
        }
        if (start < tm->prev_end_us)
            start = tm->prev_end_us;
    }
    if (tm->ceiling_us != TIMEMAP_NONE && start >= tm->ceiling_us) {
        /* T6: new footage reached the suspect footage; it goes after it */
        if (tm->after_us != TIMEMAP_NONE && start < tm->after_us)
            start = tm->after_us;
        tm->ceiling_us = TIMEMAP_NONE;
        tm->after_us = TIMEMAP_NONE;
    }
    return start;
}

int64_t timemap_segment_end(const struct timemap *tm, int64_t start_us, int64_t media_us, int64_t ref_end_us)
{
    int64_t end = start_us + media_us;
    int64_t max_adj = media_us * tm->slew_ppm / 1000000;
    int64_t err = ref_end_us - end;
    if (err > max_adj)
        err = max_adj;
    if (err < -max_adj)
        err = -max_adj;
    end += err;
    if (tm->ceiling_us != TIMEMAP_NONE && start_us < tm->ceiling_us && end > tm->ceiling_us)
        end = tm->ceiling_us; /* T6: never over the suspect footage */
    return end < start_us ? start_us : end;
}

void timemap_segment_done(struct timemap *tm, int64_t end_us)
{
    if (tm->prev_end_us == TIMEMAP_NONE || end_us > tm->prev_end_us)
        tm->prev_end_us = end_us;
    tm->contiguous = 1;
}

int64_t timemap_clock_observe(struct timemap *tm, int64_t real_us, int64_t mono_us)
{
    int64_t off = real_us - mono_us, prev = tm->clock_offset_us;
    tm->clock_offset_us = off;
    if (prev == TIMEMAP_NONE || abs64(off - prev) <= tm->max_step_us)
        return 0;
    return off - prev;
}

void timemap_clock_step_back(struct timemap *tm, int64_t floor_us, int64_t ceiling_us, int64_t after_us)
{
    tm->prev_end_us = floor_us;
    tm->contiguous = 0;
    tm->ceiling_us = ceiling_us;
    tm->after_us = ceiling_us == TIMEMAP_NONE ? TIMEMAP_NONE : after_us;
}

int timemap_reaches_ceiling(const struct timemap *tm, int64_t wall_us)
{
    return tm->ceiling_us != TIMEMAP_NONE && wall_us >= tm->ceiling_us;
}
