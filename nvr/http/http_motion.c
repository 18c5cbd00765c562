/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_motion.c - the motion routes (see http_motion.h): a camera's search,
 * one search across several cameras, and a camera's motion density.
 *
 * start and end are required (a range of at most 31 days); region is one
 * box in 0..1 frame coordinates; limit (1..1000, default 1000) caps the
 * hits, and "truncated": true says there were more (ask again from the last
 * hit's start).  Every bad parameter is a 400 with {"error"}; an unknown
 * camera, or one the user may not see, 404 (in a list of cameras: for the
 * whole request, naming it, as live/mux does).  A search is an access to
 * footage, logged as action "motion" per camera like playback; density is
 * coverage-like metadata the timeline polls and is not logged (as
 * recordings is not).
 *
 * Several cameras: each camera's first `limit` hits by start, merged by
 * start (ties in the order the cameras were listed) and cut to `limit`; the
 * merged first `limit` are exactly the first `limit` of all the cameras'
 * hits, since no camera can contribute more than its own first `limit`.
 */
#include "http/http_motion.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "core/nvr.h"
#include "http/http_api.h"
#include "http/http_auth.h"
#include "http/http_query.h"
#include "motion/motion_search.h"
#include "storage/motion_store.h"
#include "storage/storage.h"

#include <stdlib.h>
#include <string.h>

/* region and limit of a search request: HTTP_PASS, or the 400 answered. */
static http_result search_params(struct http_request *r, struct nvr_rect *box, int *nbox, long *max)
{
    const char *region = http_query(r, "region"), *limit = http_query(r, "limit");
    *nbox = 0;
    *max = MOTION_SEARCH_MAX_HITS;
    if (region && nvr_rects_parse(region, box, 1, nbox))
        return http_reply_error(r, 400,
                                "region must be x0,y0,x1,y1 in 0..1 frame coordinates with x0 < x1 and y0 < y1");
    if (limit) {
        char *end;
        *max = strtol(limit, &end, 10);
        if (end == limit || *end || *max < 1 || *max > MOTION_SEARCH_MAX_HITS)
            return http_reply_error(r, 400, "limit must be an integer from 1 to %d", MOTION_SEARCH_MAX_HITS);
    }
    return HTTP_PASS;
}

static void log_search(struct http_request *r, struct nvr *nvr, const char *id, int64_t from, int64_t to,
                       const struct nvr_rect *box, int nbox, size_t n)
{
    char a[NVR_TIME_BUFSZ], z[NVR_TIME_BUFSZ];
    nvr_clock_format_rfc3339(from, a);
    nvr_clock_format_rfc3339(to, z);
    if (nbox)
        http_auth_log(r, nvr, "motion", id, "start=%s end=%s region=%.4f,%.4f,%.4f,%.4f hits=%zu", a, z, box->x0,
                      box->y0, box->x1, box->y1, n);
    else
        http_auth_log(r, nvr, "motion", id, "start=%s end=%s hits=%zu", a, z, n);
}

http_result http_motion_search(struct http_request *r, struct nvr *nvr)
{
    const char *id = http_param(r, 0);
    struct nvr_rect box;
    int nbox = 0;
    int64_t from, to;
    long max;
    http_result ret;
    if (!nvr_recorder(nvr, id, NULL))
        return http_reply_error(r, 404, "no such camera");
    if ((ret = http_api_time_range(r, 1, MOTION_SEARCH_MAX_RANGE_US, &from, &to)) != HTTP_PASS)
        return ret;
    if ((ret = search_params(r, &box, &nbox, &max)) != HTTP_PASS)
        return ret;
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
    log_search(r, nvr, id, from, to, &box, nbox, n);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

/* ---- several cameras ---- */

struct tagged {
    const struct motion_hit *h;
    int cam; /* index in the list */
};

static int by_start(const void *a, const void *b)
{
    const struct tagged *x = a, *y = b;
    if (x->h->start_us != y->h->start_us)
        return x->h->start_us < y->h->start_us ? -1 : 1;
    return x->cam - y->cam;
}

http_result http_motion_search_many(struct http_request *r, struct nvr *nvr)
{
    char ids[MOTION_MAX_CAMERAS][INDEX_ID_MAX], err[128];
    struct motion_hit *hits[MOTION_MAX_CAMERAS] = {0};
    size_t nh[MOTION_MAX_CAMERAS] = {0}, total = 0, keep;
    struct tagged *all = NULL;
    struct nvr_rect box;
    int nbox = 0, truncated = 0;
    int64_t from, to;
    long max;
    http_result ret;
    int n = http_query_ids(http_query(r, "cameras"), ids, MOTION_MAX_CAMERAS, err, sizeof err);
    if (n < 0)
        return http_reply_error(r, 400, "%s", err);
    for (int i = 0; i < n; i++)
        /* a camera this user may not see answers as one that does not exist */
        if (!http_auth_camera(r, nvr, ids[i]) || !nvr_recorder(nvr, ids[i], NULL))
            return http_reply_error(r, 404, "no such camera: %s", ids[i]);
    if ((ret = http_api_time_range(r, 1, MOTION_SEARCH_MAX_RANGE_US, &from, &to)) != HTTP_PASS)
        return ret;
    if ((ret = search_params(r, &box, &nbox, &max)) != HTTP_PASS)
        return ret;
    for (int i = 0; i < n; i++) {
        struct motion_query q = {
            .camera = ids[i], .from_us = from, .to_us = to, .region = nbox ? &box : NULL, .max = (size_t)max};
        int more = 0;
        if (motion_search(storage_index_reader(nvr->st), &q, &hits[i], &nh[i], &more)) {
            ret = http_reply_error(r, 500, "index error");
            goto out;
        }
        truncated |= more;
        total += nh[i];
    }
    if (total && !(all = malloc(total * sizeof *all))) {
        ret = http_reply_error(r, 500, "out of memory");
        goto out;
    }
    total = 0;
    for (int i = 0; i < n; i++)
        for (size_t k = 0; k < nh[i]; k++)
            all[total++] = (struct tagged){&hits[i][k], i};
    if (total)
        qsort(all, total, sizeof *all, by_start);
    keep = total > (size_t)max ? (size_t)max : total;
    truncated |= keep < total;
    struct http_body b;
    if (http_body_open(&b)) {
        ret = http_reply_error(r, 500, "out of memory");
        goto out;
    }
    struct json_w w;
    json_w_init(&w, b.f);
    json_w_object(&w, NULL);
    json_w_array(&w, "events");
    for (size_t i = 0; i < keep; i++) {
        const struct motion_hit *h = all[i].h;
        json_w_object(&w, NULL);
        json_w_string(&w, "camera", ids[all[i].cam]);
        json_w_time(&w, "start", h->start_us);
        json_w_time(&w, "end", h->end_us);
        json_w_int(&w, "score", h->score);
        json_w_array(&w, "region");
        json_w_fixed(&w, NULL, h->box.x0, 4);
        json_w_fixed(&w, NULL, h->box.y0, 4);
        json_w_fixed(&w, NULL, h->box.x1, 4);
        json_w_fixed(&w, NULL, h->box.y1, 4);
        json_w_end_array(&w);
        json_w_end_object(&w);
    }
    json_w_end_array(&w);
    json_w_bool(&w, "truncated", truncated);
    json_w_end_object(&w);
    fputc('\n', b.f);
    for (int i = 0; i < n; i++) {
        size_t shown = 0;
        for (size_t k = 0; k < keep; k++)
            shown += all[k].cam == i;
        log_search(r, nvr, ids[i], from, to, &box, nbox, shown);
    }
    ret = http_body_send(r, &b, 200, "application/json", "no-store");
out:
    free(all);
    for (int i = 0; i < n; i++)
        free(hits[i]);
    return ret;
}

/* ---- density ---- */

http_result http_motion_density(struct http_request *r, struct nvr *nvr)
{
    const char *id = http_param(r, 0), *nb = http_query(r, "buckets");
    int64_t from, to;
    long buckets = 200;
    http_result ret;
    if (!nvr_recorder(nvr, id, NULL))
        return http_reply_error(r, 404, "no such camera");
    if ((ret = http_api_time_range(r, 1, MOTION_SEARCH_MAX_RANGE_US, &from, &to)) != HTTP_PASS)
        return ret;
    if (nb) {
        char *end;
        buckets = strtol(nb, &end, 10);
        if (end == nb || *end || buckets < 1 || buckets > MOTION_DENSITY_MAX_BUCKETS)
            return http_reply_error(r, 400, "buckets must be an integer from 1 to %d", MOTION_DENSITY_MAX_BUCKETS);
    }
    double *frac = malloc((size_t)buckets * sizeof *frac);
    if (!frac)
        return http_reply_error(r, 500, "out of memory");
    if (motion_store_density(storage_index_reader(nvr->st), id, from, to, (size_t)buckets, frac)) {
        free(frac);
        return http_reply_error(r, 500, "index error");
    }
    struct http_body b;
    if (http_body_open(&b)) {
        free(frac);
        return http_reply_error(r, 500, "out of memory");
    }
    struct json_w w;
    json_w_init(&w, b.f);
    json_w_object(&w, NULL);
    json_w_time(&w, "start", from);
    json_w_time(&w, "end", to);
    json_w_fixed(&w, "bucket_seconds", (double)(to - from) / 1e6 / (double)buckets, 3);
    json_w_array(&w, "motion");
    for (long i = 0; i < buckets; i++)
        json_w_fixed(&w, NULL, frac[i], 3);
    json_w_end_array(&w);
    json_w_end_object(&w);
    fputc('\n', b.f);
    free(frac);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}
