/* SPDX-License-Identifier: Apache-2.0 */
/*
 * motion_search.c - the region search over the motion index (see
 * motion_search.h).
 *
 * Cost: one indexed range read of the events (at most an hour each, so the
 * range read starts an hour early), and for each event that touches the
 * region one read of its seconds; it stops at max hits, so a 31-day query
 * of a busy camera reads at most max events' seconds.
 */
#include "motion/motion_search.h"

#include "base/err.h"
#include "base/json.h"
#include "motion/motion_detect.h"
#include "motion/motion_events.h"
#include "storage/motion_store.h"

#include <stdlib.h>
#include <string.h>

#define SCAN_MAX 500000 /* events read for one query: 31 days of one every 6 s */

static int64_t sec_of(int64_t us)
{
    return us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
}

static int and_any(const uint8_t *a, const uint8_t *b, uint8_t *out)
{
    int any = 0;
    for (int i = 0; i < MOTION_BITMAP_BYTES; i++) {
        out[i] = a[i] & b[i];
        any |= out[i];
    }
    return any != 0;
}

/* Appends a hit. */
static nvr_err add_hit(struct motion_hit **v, size_t *n, size_t *cap, int64_t s, int64_t e, int score,
                       const uint8_t *cells)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        struct motion_hit *nv = realloc(*v, c * sizeof *nv);
        if (!nv)
            return NVR_ENOMEM;
        *v = nv;
        *cap = c;
    }
    struct motion_hit *h = &(*v)[(*n)++];
    h->start_us = s;
    h->end_us = e;
    h->score = score;
    if (!motion_cells_box(cells, &h->box))
        h->box = (struct nvr_rect){0, 0, 0, 0};
    return NVR_OK;
}

/* The region's part of event ev: runs of seconds touching mask. */
static nvr_err refine(nvr_index *ix, const struct motion_query *q, const struct motion_event *ev, const uint8_t *mask,
                      size_t max, struct motion_hit **v, size_t *n, size_t *cap, int *full)
{
    struct motion_second *secs = NULL;
    size_t ns = 0;
    int64_t s0 = sec_of(ev->start_us), s1 = sec_of(ev->end_us);
    nvr_err rc = motion_store_seconds(ix, q->camera, s0, s1, 3700, &secs, &ns);
    if (rc)
        return rc;
    if (ns == 0) {
        /* an event just opened, its seconds not written yet: the event's own cells */
        uint8_t hit[MOTION_BITMAP_BYTES];
        and_any(ev->cells, mask, hit);
        if (*n >= max)
            *full = 1;
        else
            rc = add_hit(v, n, cap, ev->start_us, ev->end_us, motion_cells_count(hit), hit);
        return rc;
    }
    int open = 0, score = 0;
    int64_t run_s = 0, run_last = 0;
    /* a run from the event's first row starts where the event does, one to
     * its last row ends with it; others at their seconds' edges */
    s0 = ns ? secs[0].sec : s0;
    s1 = ns ? secs[ns - 1].sec : s1;
    uint8_t uni[MOTION_BITMAP_BYTES], hit[MOTION_BITMAP_BYTES];
    for (size_t i = 0; i <= ns && rc == NVR_OK && !*full; i++) {
        int touches = i < ns && and_any(secs[i].cells, mask, hit);
        if (open && (i == ns || (touches && (secs[i].sec - run_last) * 1000000 > MOTION_MERGE_GAP_US))) {
            int64_t a = run_s == s0 ? ev->start_us : run_s * 1000000;
            int64_t b = run_last == s1 ? ev->end_us : (run_last + 1) * 1000000;
            if (a < ev->start_us)
                a = ev->start_us;
            if (b > ev->end_us)
                b = ev->end_us;
            if (b < a)
                b = a;
            if (a < q->to_us && b >= q->from_us) {
                if (*n >= max)
                    *full = 1;
                else
                    rc = add_hit(v, n, cap, a, b, score, uni);
            }
            open = 0;
        }
        if (!touches)
            continue;
        int c = motion_cells_count(hit);
        if (!open) {
            open = 1;
            run_s = secs[i].sec;
            score = 0;
            memset(uni, 0, sizeof uni);
        }
        run_last = secs[i].sec;
        score = c > score ? c : score;
        for (int k = 0; k < MOTION_BITMAP_BYTES; k++)
            uni[k] |= hit[k];
    }
    free(secs);
    return rc;
}

nvr_err motion_search(nvr_index *ix, const struct motion_query *q, struct motion_hit **out, size_t *n, int *truncated)
{
    struct motion_event *evs = NULL;
    struct motion_hit *v = NULL;
    size_t nev = 0, len = 0, cap = 0, max = q->max ? q->max : MOTION_SEARCH_MAX_HITS;
    int more = 0, full = 0;
    uint8_t mask[MOTION_BITMAP_BYTES] = {0}, hit[MOTION_BITMAP_BYTES];
    *out = NULL;
    *n = 0;
    *truncated = 0;
    nvr_err rc =
        motion_store_events(ix, q->camera, q->from_us, q->to_us, q->region ? SCAN_MAX : max, &evs, &nev, &more);
    if (rc)
        return rc;
    if (q->region)
        motion_rect_cells(q->region, mask);
    for (size_t i = 0; i < nev && rc == NVR_OK && !full; i++) {
        if (!q->region) {
            rc = add_hit(&v, &len, &cap, evs[i].start_us, evs[i].end_us, evs[i].score, evs[i].cells);
        } else if (and_any(evs[i].cells, mask, hit)) {
            rc = refine(ix, q, &evs[i], mask, max, &v, &len, &cap, &full);
        }
    }
    free(evs);
    if (rc) {
        free(v);
        return rc;
    }
    *truncated = full || more;
    *out = v;
    *n = len;
    return NVR_OK;
}

void motion_search_write_json(FILE *f, const struct motion_hit *hits, size_t n, int truncated)
{
    struct json_w w;
    json_w_init(&w, f);
    json_w_object(&w, NULL);
    json_w_array(&w, "events");
    for (size_t i = 0; i < n; i++) {
        json_w_object(&w, NULL);
        json_w_time(&w, "start", hits[i].start_us);
        json_w_time(&w, "end", hits[i].end_us);
        json_w_int(&w, "score", hits[i].score);
        json_w_array(&w, "region");
        json_w_fixed(&w, NULL, hits[i].box.x0, 4);
        json_w_fixed(&w, NULL, hits[i].box.y0, 4);
        json_w_fixed(&w, NULL, hits[i].box.x1, 4);
        json_w_fixed(&w, NULL, hits[i].box.y1, 4);
        json_w_end_array(&w);
        json_w_end_object(&w);
    }
    json_w_end_array(&w);
    json_w_bool(&w, "truncated", truncated);
    json_w_end_object(&w);
    fputc('\n', f);
}
