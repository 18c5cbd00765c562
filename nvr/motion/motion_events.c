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

static int64_t sec_of(int64_t t)
{
    return t >= 0 ? t / 1000000 : -((-t + 999999) / 1000000);
}

/* ORs cells into the bitmap of t's second (handing out the one before). */
static void add_second(struct motion_tracker *tr, int64_t t, const uint8_t *cells)
{
    int64_t sec = sec_of(t);
    if (tr->have_sec && tr->sec.sec != sec)
        put_second(tr);
    if (!tr->have_sec) {
        memset(&tr->sec, 0, sizeof tr->sec);
        tr->sec.sec = sec;
        tr->have_sec = 1;
    }
    for (int i = 0; i < MOTION_BITMAP_BYTES; i++)
        tr->sec.cells[i] |= cells[i];
}

/* Whether a cell of b is in a or next to one of a's. */
static int touches(const uint8_t *a, const uint8_t *b)
{
    for (int row = 0; row < MOTION_ROWS; row++)
        for (int col = 0; col < MOTION_COLS; col++) {
            if (!motion_cell_get(b, col, row))
                continue;
            for (int y = row - 1; y <= row + 1; y++)
                for (int x = col - 1; x <= col + 1; x++)
                    if (x >= 0 && y >= 0 && x < MOTION_COLS && y < MOTION_ROWS && motion_cell_get(a, x, y))
                        return 1;
        }
    return 0;
}

void motion_tracker_sample(struct motion_tracker *tr, int64_t t, const struct motion_result *r)
{
    int neighbour = tr->prev_t != INT64_MIN && t > tr->prev_t && t - tr->prev_t <= MOTION_SAMPLE_GAP_US;
    if (neighbour)
        tr->interval_us = t - tr->prev_t;
    int64_t half = tr->interval_us / 2;
    if (tr->pending) {
        /* a small motion is confirmed by motion next to it in the next picture */
        int confirmed = r->verdict == MOTION_MOVED && t - tr->pend_t <= tr->merge_gap_us &&
                        (r->score >= MOTION_MIN_CELLS || touches(tr->pend_cells, r->cells));
        tr->pending = 0;
        if (confirmed) {
            add_second(tr, tr->pend_t, tr->pend_cells);
            memset(&tr->ev, 0, sizeof tr->ev);
            tr->ev.start_us = tr->pend_start;
            tr->ev.score = tr->pend_score;
            memcpy(tr->ev.cells, tr->pend_cells, sizeof tr->ev.cells);
            tr->open = 1;
            tr->last_moved_t = tr->pend_t;
        }
    }
    if (tr->open) {
        /* the open event ends half way to a still picture, or where its last
         * moving picture was seen when the samples broke off */
        int64_t gap_end = neighbour
                              ? tr->last_moved_t + (t - tr->last_moved_t > 2 * half ? half : (t - tr->last_moved_t) / 2)
                              : tr->last_moved_t + half;
        if (!neighbour || t - tr->last_moved_t > tr->merge_gap_us ||
            (r->verdict == MOTION_MOVED && t - tr->ev.start_us > MOTION_EVENT_MAX_US))
            close_event(tr, gap_end);
    }
    if (r->verdict == MOTION_MOVED && !tr->open && r->score < MOTION_MIN_CELLS) {
        tr->pending = 1;
        tr->pend_t = t;
        tr->pend_start = neighbour ? t - (t - tr->prev_t) / 2 : t;
        tr->pend_score = r->score;
        memcpy(tr->pend_cells, r->cells, sizeof tr->pend_cells);
        if (tr->have_sec && sec_of(t) != tr->sec.sec)
            put_second(tr);
    } else if (r->verdict == MOTION_MOVED) {
        add_second(tr, t, r->cells);
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
    } else if (tr->have_sec && sec_of(t) != tr->sec.sec) {
        put_second(tr);
    }
    tr->prev_t = t;
}

void motion_tracker_flush(struct motion_tracker *tr)
{
    tr->pending = 0;
    if (tr->open)
        close_event(tr, tr->last_moved_t + tr->interval_us / 2);
    put_second(tr);
    tr->prev_t = INT64_MIN;
}
