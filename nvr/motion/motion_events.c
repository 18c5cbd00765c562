/* SPDX-License-Identifier: Apache-2.0 */
/*
 * motion_events.c - the event tracker (see motion_events.h).
 */
#include "motion/motion_events.h"

#include <string.h>

void motion_tracker_init(struct motion_tracker *tr, const struct motion_sink *sink, int64_t merge_gap_us)
{
    memset(tr, 0, sizeof *tr);
    tr->sink = *sink;
    tr->merge_gap_us = merge_gap_us > 0 ? merge_gap_us : MOTION_MERGE_GAP_US;
    tr->prev_t = INT64_MIN;
    tr->interval_us = 1000000;
}

static void put_second(struct motion_tracker *tr)
{
    if (tr->have_sec && tr->sink.second)
        tr->sink.second(tr->sink.cls, &tr->sec);
    tr->have_sec = 0;
}

/* Closes the open event, ending it at end_us. */
static void close_event(struct motion_tracker *tr, int64_t end_us)
{
    if (!tr->open)
        return;
    if (end_us < tr->ev.start_us)
        end_us = tr->ev.start_us;
    if (end_us - tr->ev.start_us > MOTION_EVENT_MAX_US)
        end_us = tr->ev.start_us + MOTION_EVENT_MAX_US;
    tr->ev.end_us = end_us;
    if (tr->sink.event)
        tr->sink.event(tr->sink.cls, &tr->ev, 1);
    tr->open = 0;
}

void motion_tracker_sample(struct motion_tracker *tr, int64_t t, const struct motion_result *r)
{
    int neighbour = tr->prev_t != INT64_MIN && t > tr->prev_t && t - tr->prev_t <= MOTION_SAMPLE_GAP_US;
    if (neighbour)
        tr->interval_us = t - tr->prev_t;
    int64_t half = tr->interval_us / 2;
    if (tr->open) {
        /* the open event ends half way to a still picture, or where its last
         * moving picture was seen when the samples broke off */
        int64_t gap_end = neighbour ? tr->last_moved_t + (t - tr->last_moved_t > 2 * half ? half : (t - tr->last_moved_t) / 2)
                                    : tr->last_moved_t + half;
        if (!neighbour || t - tr->last_moved_t > tr->merge_gap_us ||
            (r->verdict == MOTION_MOVED && t - tr->ev.start_us > MOTION_EVENT_MAX_US))
            close_event(tr, gap_end);
    }
    if (r->verdict == MOTION_MOVED) {
        int64_t sec = t >= 0 ? t / 1000000 : -((-t + 999999) / 1000000);
        if (tr->have_sec && tr->sec.sec != sec)
            put_second(tr);
        if (!tr->have_sec) {
            memset(&tr->sec, 0, sizeof tr->sec);
            tr->sec.sec = sec;
            tr->have_sec = 1;
        }
        for (int i = 0; i < MOTION_BITMAP_BYTES; i++)
            tr->sec.cells[i] |= r->cells[i];
        if (!tr->open) {
            memset(&tr->ev, 0, sizeof tr->ev);
            tr->ev.start_us = neighbour ? t - (t - tr->prev_t) / 2 : t;
            tr->open = 1;
        }
        tr->last_moved_t = t;
        tr->ev.end_us = t;
        if (r->score > tr->ev.score)
            tr->ev.score = r->score;
        for (int i = 0; i < MOTION_BITMAP_BYTES; i++)
            tr->ev.cells[i] |= r->cells[i];
        if (tr->sink.event)
            tr->sink.event(tr->sink.cls, &tr->ev, 0);
    } else if (tr->have_sec && t / 1000000 != tr->sec.sec) {
        put_second(tr);
    }
    tr->prev_t = t;
}

void motion_tracker_flush(struct motion_tracker *tr)
{
    if (tr->open)
        close_event(tr, tr->last_moved_t + tr->interval_us / 2);
    put_second(tr);
    tr->prev_t = INT64_MIN;
}
