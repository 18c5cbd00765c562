/* SPDX-License-Identifier: Apache-2.0 */
/*
 * live_api.c - handlers of live.mp4 and snapshot.jpg (see live_api.h).
 *
 * Inputs are checked before anything is looked up: stream must be main or
 * sub, codec h264 (or absent), width digits only in [16, 3840], time RFC
 * 3339; anything else is a 400 with a JSON error.  Snapshots are decoded on
 * the HTTP thread that asked, bounded to one keyframe (snapshot.h).
 */
#include "http/live_api.h"

#include "base/clock.h"
#include "base/err.h"
#include "http/http_auth.h"
#include "live/live.h"
#include "core/nvr.h"
#include "live/snapshot.h"

#include <stdlib.h>
#include <string.h>

/* ---- the adapter: a live hub viewer served as an HTTP stream body ---- */

static long viewer_read(void *cls, char *buf, size_t max)
{
    return live_viewer_read(cls, buf, max);
}

static void viewer_wake(void *stream)
{
    http_stream_wake(stream);
}

static void viewer_attach(void *cls, struct http_stream *s)
{
    live_viewer_attach(cls, viewer_wake, s);
}

static void viewer_free(void *cls)
{
    live_viewer_close(cls);
}

/* Answers r with the endless live.mp4 body of h (see live_viewer_open for wait). */
static http_result serve_hub(struct http_request *r, struct live_hub *h, int wait)
{
    struct live_viewer *v;
    int rc = live_viewer_open(h, wait, &v);
    if (rc == NVR_ENOMEM)
        return http_reply_error(r, 500, "out of memory");
    if (rc != NVR_OK)
        return http_reply_error(r, 503, "the camera has no picture yet");
    return http_reply_stream(r, "video/mp4", "no-store", viewer_read, v, viewer_attach, viewer_free);
}

http_result live_api_live(struct http_request *r, struct nvr *nvr)
{
    const struct nvr_camera_config *cam;
    struct recorder *rec = nvr_recorder(nvr, http_param(r, 0), &cam);
    const char *stream = http_query(r, "stream"), *codec = http_query(r, "codec");
    if (!rec)
        return http_reply_error(r, 404, "no such camera");
    if (stream && strcmp(stream, "main") != 0 && strcmp(stream, "sub") != 0)
        return http_reply_error(r, 400, "stream must be main or sub");
    if (codec && strcmp(codec, "h264") != 0)
        return http_reply_error(r, 400, "codec must be h264");
    if (!cam->enabled)
        return http_reply_error(r, 503, "the camera is disabled");
    int sub = stream && strcmp(stream, "sub") == 0 && cam->sub_url;
    char mime[96] = "";
    if (codec)
        live_hub_mime(recorder_live(rec, 0), mime, sizeof mime);
    if (http_is_head(r)) {
        char *empty = malloc(1);
        if (!empty)
            return http_reply_error(r, 500, "out of memory");
        return http_reply(r, 200, "video/mp4", empty, 0, "no-store");
    }
    http_auth_log(r, nvr, "live_view", cam->id, "stream=%s%s", sub ? "sub" : "main",
                  strstr(mime, "hvc1") ? " codec=h264" : "");
    if (strstr(mime, "hvc1")) {
        /* an H.265 camera asked for as H.264: the shared on-demand rendition */
        struct live_hub *h = recorder_live_h264(rec, 1);
        if (!h)
            return http_reply_error(r, 500, "the H.264 rendition cannot start");
        return serve_hub(r, h, 1);
    }
    /* the sub stream connects on demand, so its first viewers wait for it */
    return serve_hub(r, recorder_live(rec, sub), sub);
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

http_result live_api_snapshot(struct http_request *r, struct nvr *nvr)
{
    const struct nvr_camera_config *cam;
    struct recorder *rec = nvr_recorder(nvr, http_param(r, 0), &cam);
    const char *ws = http_query(r, "width"), *ts = http_query(r, "time");
    int width = 0;
    int64_t t = 0;
    uint8_t *jpeg = NULL;
    size_t len = 0;
    int rc;
    if (!rec)
        return http_reply_error(r, 404, "no such camera");
    if (ws && (parse_width(ws, &width) || width < SNAPSHOT_MIN_WIDTH || width > SNAPSHOT_MAX_WIDTH))
        return http_reply_error(r, 400, "width must be a whole number from %d to %d", SNAPSHOT_MIN_WIDTH,
                                SNAPSHOT_MAX_WIDTH);
    if (ts && nvr_clock_parse_rfc3339(ts, &t))
        return http_reply_error(r, 400, "time is not an RFC 3339 time: %.64s", ts);
    if (ts) {
        /* a picture of stored footage is a disclosure; the live grid's
         * thumbnails are covered by their viewer's live_view entries */
        http_auth_log(r, nvr, "snapshot", cam->id, "time=%.64s", ts);
        rc = snapshot_stored(nvr->st, cam->id, t, width, &jpeg, &len);
    } else {
        rc = snapshot_live(recorder_snapshots(rec), recorder_live(rec, 0), width, &jpeg, &len);
    }
    if (rc == NVR_ENOTFOUND)
        return http_reply_error(r, 404, ts ? "nothing recorded at that time" : "the camera has no picture yet");
    if (rc)
        return http_reply_error(r, 500, "snapshot failed: %s", nvr_strerror(rc));
    /* a moment of stored footage never changes; the newest picture does */
    return http_reply(r, 200, "image/jpeg", (char *)jpeg, len, ts ? "private, max-age=86400" : "no-cache");
}
