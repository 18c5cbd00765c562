/* SPDX-License-Identifier: Apache-2.0 */
/*
 * live_api.c - handlers of live.mp4 and snapshot.jpg (see live_api.h).
 *
 * Inputs are checked before anything is looked up: stream must be main or
 * sub, codec h264 (or absent), width digits only in [16, 3840], time RFC
 * 3339; anything else is a 400 with a JSON error.  Snapshots are decoded on
 * the HTTP thread that asked, bounded to one keyframe (snapshot.h).
 *
 * The mux (live/mux) checks its whole camera list before it answers: every
 * id must be one the user may see (else 404 for the whole request, the same
 * answer as an unknown camera: nothing tells a hidden camera from a missing
 * one), at most LIVE_MUX_MAX_CAMERAS, no duplicates; its connection then
 * counts as one per camera against the connection limits (http_conn_charge).
 */
#include "http/live_api.h"

#include "base/clock.h"
#include "base/err.h"
#include "http/http_auth.h"
#include "http/http_query.h"
#include "live/live.h"
#include "live/live_mux.h"
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

/* The answer to a HEAD that passed every check: the headers, no body. */
static http_result reply_head(struct http_request *r, const char *type)
{
    char *empty = malloc(1);
    if (!empty)
        return http_reply_error(r, 500, "out of memory");
    return http_reply(r, 200, type, empty, 0, "no-store");
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
    if (http_is_head(r))
        return reply_head(r, "video/mp4");
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

/* ---- GET /api/v1/live/mux: several cameras on one connection (live_mux.h) ---- */

/* One mux answer: what its source callback needs.  A camera's recorder is
 * looked up again each time its stream is opened (a change that restarts the
 * camera gives it a new one); the configs stay readable until the server
 * stops (nvr.h). */
struct mux_req {
    struct nvr *nvr;
    int sub, h264;
    char id[LIVE_MUX_MAX_CAMERAS][INDEX_ID_MAX];
    const struct nvr_camera_config *cam[LIVE_MUX_MAX_CAMERAS];
    struct live_mux *mux;
};

/* The hub camera i is watched on: as live.mp4 chooses it (the sub stream
 * when asked and configured; an H.265 camera's H.264 rendition with codec). */
static struct live_hub *mux_source(void *cls, size_t i, char *why, size_t whylen)
{
    struct mux_req *q = cls;
    /* the camera as it is now: a change that restarted it has a new
     * recorder, a removed one none (the old one is stopped for good) */
    struct recorder *rec = nvr_recorder(q->nvr, q->id[i], &q->cam[i]);
    if (!rec) {
        snprintf(why, whylen, "the camera was removed");
        return NULL;
    }
    if (!q->cam[i]->enabled) {
        snprintf(why, whylen, "the camera is disabled");
        return NULL;
    }
    if (q->h264) {
        char mime[96];
        live_hub_mime(recorder_live(rec, 0), mime, sizeof mime);
        if (strstr(mime, "hvc1")) {
            struct live_hub *h = recorder_live_h264(rec, 1);
            if (!h)
                snprintf(why, whylen, "the H.264 rendition cannot start");
            return h;
        }
    }
    return recorder_live(rec, q->sub && q->cam[i]->sub_url);
}

static long mux_read(void *cls, char *buf, size_t max)
{
    return live_mux_read(((struct mux_req *)cls)->mux, buf, max);
}

static void mux_attach(void *cls, struct http_stream *s)
{
    live_mux_attach(((struct mux_req *)cls)->mux, viewer_wake, s);
}

static void mux_free(void *cls)
{
    struct mux_req *q = cls;
    live_mux_close(&q->mux);
    free(q);
}

http_result live_api_mux(struct http_request *r, struct nvr *nvr)
{
    const char *stream = http_query(r, "stream"), *codec = http_query(r, "codec");
    char ids[LIVE_MUX_MAX_CAMERAS][INDEX_ID_MAX], err[128];
    const char *idp[LIVE_MUX_MAX_CAMERAS];
    if (stream && strcmp(stream, "main") != 0 && strcmp(stream, "sub") != 0)
        return http_reply_error(r, 400, "stream must be main or sub");
    if (codec && strcmp(codec, "h264") != 0)
        return http_reply_error(r, 400, "codec must be h264");
    int n = http_query_ids(http_query(r, "cameras"), ids, LIVE_MUX_MAX_CAMERAS, err, sizeof err);
    if (n < 0)
        return http_reply_error(r, 400, "%s", err);
    struct mux_req *q = calloc(1, sizeof *q);
    if (!q)
        return http_reply_error(r, 500, "out of memory");
    q->nvr = nvr;
    q->sub = stream && strcmp(stream, "sub") == 0;
    q->h264 = codec != NULL;
    for (int i = 0; i < n; i++) {
        idp[i] = ids[i];
        memcpy(q->id[i], ids[i], sizeof q->id[i]); /* (same size, NUL-terminated) */
        /* a camera this user may not see answers as one that does not exist */
        if (!http_auth_camera(r, nvr, ids[i]) || !nvr_recorder(nvr, ids[i], &q->cam[i])) {
            free(q);
            return http_reply_error(r, 404, "no such camera: %s", ids[i]);
        }
    }
    if (http_is_head(r)) {
        free(q);
        return reply_head(r, LIVE_API_MUX_TYPE);
    }
    if (http_conn_charge(r, (unsigned)n - 1)) {
        free(q);
        http_add_reply_header(r, "Retry-After", "10");
        http_add_reply_header(r, "Connection", "close");
        return http_reply_error(r, 503,
                                "too many live streams from your address: %d cameras count as %d "
                                "connections; try again in 10 s",
                                n, n);
    }
    for (int i = 0; i < n; i++)
        http_auth_log(r, nvr, "live_view", ids[i], "stream=%s mux=%d", q->sub && q->cam[i]->sub_url ? "sub" : "main",
                      n);
    if (live_mux_create(&q->mux, (size_t)n, idp, mux_source, q) != NVR_OK) {
        free(q);
        return http_reply_error(r, 500, "out of memory");
    }
    return http_reply_stream(r, LIVE_API_MUX_TYPE, "no-store", mux_read, q, mux_attach, mux_free);
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
