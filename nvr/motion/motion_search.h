/* SPDX-License-Identifier: Apache-2.0 */
/*
 * motion_search.h - "when did something move there": motion events of a
 * camera in a range, optionally only the motion that touched a region
 * (GET /api/v1/cameras/{id}/motion, `nvr motion`; docs/design/motion.md
 * "Search").
 *
 * Without a region the stored events are the answer.  With one, an event
 * whose cells miss the region is left out, and one that touches it is cut
 * down to the seconds whose cells touch it (runs closer than the merge gap
 * are one hit), with the score and box of that motion alone.
 *
 * Threads: any; no state of its own.  ix serialises each read (HTTP handlers
 * pass the reader connection); the events and their seconds are separate
 * reads, not one snapshot, while a motion worker may be writing them (an
 * event whose seconds are not written yet is judged by its own cells).
 */
#ifndef NVR_MOTION_SEARCH_H
#define NVR_MOTION_SEARCH_H

#include "base/camera_config.h"
#include "base/err.h"
#include "storage/index.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MOTION_SEARCH_MAX_RANGE_US (31LL * 86400 * 1000000) /* 31 days */
#define MOTION_SEARCH_MAX_HITS 1000

struct motion_hit {
    int64_t start_us, end_us;
    int score;           /* the most cells (of the region) moved in one second */
    struct nvr_rect box; /* the cells that moved (in the region), 0..1 */
};

struct motion_query {
    const char *camera;
    int64_t from_us, to_us;
    const struct nvr_rect *region; /* NULL: the whole picture */
    size_t max;                    /* hits at most (0: MOTION_SEARCH_MAX_HITS) */
};

/* The hits of q by start into *out (malloc'ed, free(); NULL when none);
 * *truncated = 1 when there were more than max. */
nvr_err motion_search(nvr_index *ix, const struct motion_query *q, struct motion_hit **out, size_t *n, int *truncated);

/* {"events":[{"start","end","score","region":[x0,y0,x1,y1]}],"truncated":B}
 * and a newline. */
void motion_search_write_json(FILE *f, const struct motion_hit *hits, size_t n, int truncated);

#endif
