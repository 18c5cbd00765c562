/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_motion.c - the motion search route (see http_motion.h).
 *
 * start and end are required (a range of at most 31 days); region is one
 * box in 0..1 frame coordinates; limit (1..1000, default 1000) caps the
 * hits, and "truncated": true says there were more (ask again from the last
 * hit's end).  Every bad parameter is a 400 with {"error"}; an unknown
 * camera, or one the user may not see, 404.  A search is an access to
 * footage, logged as action "motion" like playback.
 */
#include "http/http_motion.h"

#include "base/clock.h"
#include "base/err.h"
#include "core/nvr.h"
#include "http/http_api.h"
#include "http/http_auth.h"
#include "motion/motion_search.h"
#include "storage/storage.h"

#include <stdlib.h>
#include <string.h>

http_result http_motion_search(struct http_request *r, struct nvr *nvr)
{
    const char *id = http_param(r, 0), *region = http_query(r, "region"), *limit = http_query(r, "limit");
    struct nvr_rect box;
    int nbox = 0;
    int64_t from, to;
    long max = MOTION_SEARCH_MAX_HITS;
    http_result ret;
    if (!nvr_recorder(nvr, id, NULL))
        return http_reply_error(r, 404, "no such camera");
    if ((ret = http_api_time_range(r, 1, MOTION_SEARCH_MAX_RANGE_US, &from, &to)) != HTTP_PASS)
        return ret;
    if (region && nvr_rects_parse(region, &box, 1, &nbox))
        return http_reply_error(r, 400,
                                "region must be x0,y0,x1,y1 in 0..1 frame coordinates with x0 < x1 and y0 < y1");
    if (limit) {
        char *end;
        max = strtol(limit, &end, 10);
        if (end == limit || *end || max < 1 || max > MOTION_SEARCH_MAX_HITS)
            return http_reply_error(r, 400, "limit must be an integer from 1 to %d", MOTION_SEARCH_MAX_HITS);
    }
    struct motion_query q = {
        .camera = id, .from_us = from, .to_us = to, .region = nbox ? &box : NULL, .max = (size_t)max};
    struct motion_hit *hits = NULL;
    size_t n = 0;
    int truncated = 0;
    if (motion_search(storage_index_reader(nvr->st), &q, &hits, &n, &truncated))
        return http_reply_error(r, 500, "index error");
    struct http_body b;
    if (http_body_open(&b)) {
        free(hits);
        return http_reply_error(r, 500, "out of memory");
    }
    motion_search_write_json(b.f, hits, n, truncated);
    free(hits);
    char a[NVR_TIME_BUFSZ], z[NVR_TIME_BUFSZ];
    nvr_clock_format_rfc3339(from, a);
    nvr_clock_format_rfc3339(to, z);
    if (nbox)
        http_auth_log(r, nvr, "motion", id, "start=%s end=%s region=%.4f,%.4f,%.4f,%.4f hits=%zu", a, z, box.x0, box.y0,
                      box.x1, box.y1, n);
    else
        http_auth_log(r, nvr, "motion", id, "start=%s end=%s hits=%zu", a, z, n);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}
