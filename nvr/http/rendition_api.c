/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rendition_api.c - the playback.mp4 handler (see rendition_api.h).
 *
 * Inputs are checked before anything runs: start and end RFC 3339, end
 * after start, at most RENDITION_API_MAX_US apart; codec h264 (or absent);
 * width digits only in [RENDITION_MIN_WIDTH, 3840].  Then the index says
 * what footage there is (404 if none, 410 if its file is missing or
 * shorter than the index); then a transcoding slot is taken
 * (503 with Retry-After if all are busy).  The answer is a streamed body:
 * the rendition starts in the stream's attach hook (so its wake-ups always
 * have a stream to wake), and the stream's free hook -- the client left or
 * the body ended -- cancels it.  Headers tell the wall clock:
 *   X-Start-Time  wall clock of media time 0 (the first frame)
 *   X-End-Time    where the body ends at the latest (the range's end or a
 *                 gap in the recording); the client asks again from there
 *   X-Rendition   "transcode" or "copy"
 */
#include "http/rendition_api.h"

#include "base/clock.h"
#include "base/err.h"
#include "http/http_api.h"
#include "http/http_auth.h"
#include "core/nvr.h"
#include "playback/rendition.h"

#include <stdlib.h>
#include <string.h>

#define RENDITION_API_MAX_US (25LL * 3600 * 1000000)
#define RENDITION_API_MAX_WIDTH 3840
#define RENDITION_API_RETRY_AFTER "5"

/* The stream's side of one answer; freed by stream_free. */
struct glue {
    struct nvr *nvr;
    char camera[72];
    struct rendition_plan plan; /* until the rendition takes it */
    struct rendition *r;        /* NULL until attach (or if it failed) */
    int slot;                   /* a pool slot is held and not yet passed on */
    struct http_stream *s;
};

static void glue_wake(void *cls)
{
    struct glue *g = cls;
    http_stream_wake(g->s);
}

static void glue_attach(void *cls, struct http_stream *s)
{
    struct glue *g = cls;
    g->s = s;
    g->slot = 0; /* rendition_start passes it on or gives it back */
    if (rendition_start(g->nvr->renditions, g->nvr->st, g->camera, &g->plan, glue_wake, g, &g->r))
        g->r = NULL;
}

static long glue_read(void *cls, char *buf, size_t max)
{
    struct glue *g = cls;
    return g->r ? rendition_read(g->r, buf, max) : -1;
}

static void glue_free(void *cls)
{
    struct glue *g = cls;
    rendition_release(&g->r);
    rendition_plan_free(&g->plan);
    if (g->slot)
        rendition_pool_give(g->nvr->renditions);
    free(g);
}

/* Strict positive decimal: digits only, at most 6. */
static int parse_width(const char *s, int *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 6 || strspn(s, "0123456789") != n)
        return -1;
    *out = atoi(s);
    return 0;
}

http_result rendition_api_playback(struct http_request *r, struct nvr *nvr)
{
    const struct nvr_camera_config *cam;
    const char *codec = http_query(r, "codec"), *ws = http_query(r, "width");
    int64_t from, to;
    int width = 0;
    http_result ret;
    char a[NVR_TIME_BUFSZ], z[NVR_TIME_BUFSZ];
    if (!nvr_recorder(nvr, http_param(r, 0), &cam))
        return http_reply_error(r, 404, "no such camera");
    if ((ret = http_api_time_range(r, 1, RENDITION_API_MAX_US, &from, &to)) != HTTP_PASS)
        return ret;
    if (codec && strcmp(codec, "h264") != 0)
        return http_reply_error(r, 400, "codec must be h264");
    if (ws && (parse_width(ws, &width) || width < RENDITION_MIN_WIDTH || width > RENDITION_API_MAX_WIDTH))
        return http_reply_error(r, 400, "width must be a whole number from %d to %d", RENDITION_MIN_WIDTH,
                                RENDITION_API_MAX_WIDTH);
    struct glue *g = calloc(1, sizeof *g);
    if (!g)
        return http_reply_error(r, 500, "out of memory");
    g->nvr = nvr;
    snprintf(g->camera, sizeof g->camera, "%s", cam->id);
    int rc = rendition_plan(nvr->st, cam->id, from, to, width, &g->plan);
    if (rc) {
        free(g);
        if (rc == NVR_ENOTFOUND)
            return http_reply_error(r, 404, "no recordings in that range");
        if (rc == NVR_ECORRUPT)
            return http_reply_error(r, 410,
                                    "the recording in that range is no longer on disk (file missing or "
                                    "shorter than the index)");
        return http_reply_error(r, 500, "index error");
    }
    nvr_clock_format_rfc3339(g->plan.start_us, a);
    nvr_clock_format_rfc3339(g->plan.end_us, z);
    int head = http_is_head(r);
    if (!head && !rendition_pool_take(nvr->renditions)) {
        rendition_plan_free(&g->plan);
        free(g);
        http_add_reply_header(r, "Retry-After", RENDITION_API_RETRY_AFTER);
        return http_reply_error(r, 503, "too many playback renditions running (at most %d); try again shortly",
                                RENDITION_MAX_JOBS);
    }
    http_add_reply_header(r, "X-Start-Time", a);
    http_add_reply_header(r, "X-End-Time", z);
    http_add_reply_header(r, "X-Rendition", g->plan.copy ? "copy" : "transcode");
    if (head) {
        rendition_plan_free(&g->plan);
        free(g);
        char *empty = malloc(1);
        if (!empty)
            return http_reply_error(r, 500, "out of memory");
        return http_reply(r, 200, "video/mp4", empty, 0, "no-store");
    }
    g->slot = 1;
    http_auth_log(r, nvr, "playback", cam->id, "start=%s end=%s codec=h264 width=%d", a, z, g->plan.width);
    return http_reply_stream(r, "video/mp4", "no-store", glue_read, g, glue_attach, glue_free);
}
