/* SPDX-License-Identifier: Apache-2.0 */
/*
 * live_mux.c - several live hub viewers framed into one stream (see
 * live_mux.h).
 *
 * State (only the reader's thread touches it after attach):
 *   cam[i].v      the camera's viewer, NULL while it has none (unavailable)
 *   cam[i].say    a status owed for camera i (ended / unavailable), sent
 *                 before anything else of that camera
 *   cam[i].held   an init chunk taken from the viewer, sent right after the
 *                 camera's "live" status
 *   frame         the frame being copied out: head[], then payload (a chunk
 *                 reference in fchunk, or the text in status[]); pos counts
 *                 the bytes of header + payload already copied
 * Invariant: at most one chunk reference is in `frame`, and each camera's
 * chunks go out in the order its viewer queued them.
 */
#include "live/live_mux.h"

#include "base/json.h"
#include "base/log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_MAX 1024

enum mux_say { SAY_NONE = 0, SAY_ENDED, SAY_UNAVAILABLE };

struct mux_cam {
    char id[64];
    struct live_hub *hub; /* the hub v watches */
    struct live_viewer *v;
    enum mux_say say;
    char why[96]; /* the reason of SAY_UNAVAILABLE */
    struct live_chunk *held;
};

struct mux_frame {
    uint8_t head[LIVE_MUX_HEADER];
    struct live_chunk *chunk; /* payload: a chunk, or */
    const uint8_t *payload;   /* ... these bytes (chunk data or status) */
    size_t len, pos;          /* payload length; header + payload bytes copied */
    int active;
};

struct live_mux {
    size_t n, next; /* cameras; the one to look at first */
    struct mux_cam cam[LIVE_MUX_MAX_CAMERAS];
    live_mux_source_fn src;
    void *src_cls;
    live_wake_fn wake;
    void *wake_cls;
    int hello_sent;
    struct mux_frame frame;
    char status[STATUS_MAX];
};

/* ---- viewers ---- */

/* Opens camera i's viewer (waiting for a picture); attaches it when the mux
 * is attached.  On failure the camera owes an "unavailable" status. */
static void cam_open(struct live_mux *m, size_t i)
{
    struct mux_cam *c = &m->cam[i];
    c->why[0] = '\0';
    c->hub = m->src(m->src_cls, i, c->why, sizeof c->why);
    if (c->hub && live_viewer_open(c->hub, 1, &c->v) != NVR_OK) {
        snprintf(c->why, sizeof c->why, "out of memory");
        c->v = NULL;
    }
    if (!c->v) {
        c->hub = NULL;
        c->say = SAY_UNAVAILABLE;
        nvr_log(NVR_WARN, c->id, "live mux camera unavailable reason=\"%s\"", c->why);
        return;
    }
    if (m->wake)
        live_viewer_attach(c->v, m->wake, m->wake_cls);
}

static void cam_close(struct mux_cam *c)
{
    if (c->v)
        live_viewer_close(c->v);
    c->v = NULL;
    c->hub = NULL;
    live_chunk_unref(c->held);
    c->held = NULL;
}

/* ---- frames ---- */

static void frame_start(struct live_mux *m, char kind, size_t index, int flags, const uint8_t *payload, size_t len,
                        struct live_chunk *chunk)
{
    struct mux_frame *f = &m->frame;
    f->head[0] = (uint8_t)kind;
    f->head[1] = (uint8_t)index;
    f->head[2] = (uint8_t)flags;
    f->head[3] = 0;
    for (int k = 0; k < 4; k++)
        f->head[4 + k] = (uint8_t)((uint32_t)len >> (24 - 8 * k));
    f->payload = payload;
    f->len = len;
    f->pos = 0;
    f->chunk = chunk;
    f->active = 1;
}

/* Starts an 'S' frame of what write(w, arg) puts in one JSON object. */
static void status_start(struct live_mux *m, size_t index, void (*write)(struct json_w *w, const void *arg),
                         const void *arg)
{
    size_t len = 0;
    FILE *f = fmemopen(m->status, sizeof m->status, "w");
    if (f) {
        struct json_w w;
        json_w_init(&w, f);
        json_w_object(&w, NULL);
        write(&w, arg);
        json_w_end_object(&w);
        long at = ftell(f);
        /* a document cut short by the buffer is not sent: {} instead */
        len = fclose(f) == 0 && at > 0 && (size_t)at < sizeof m->status ? (size_t)at : 0;
    }
    if (!len) {
        memcpy(m->status, "{}", 2);
        len = 2;
    }
    frame_start(m, 'S', index, 0, (const uint8_t *)m->status, len, NULL);
}

static void write_hello(struct json_w *w, const void *arg)
{
    const struct live_mux *m = arg;
    json_w_int(w, "version", 1);
    json_w_array(w, "cameras");
    for (size_t i = 0; i < m->n; i++)
        json_w_string(w, NULL, m->cam[i].id);
    json_w_end_array(w);
}

static void write_cam_status(struct json_w *w, const void *arg)
{
    const struct mux_cam *c = arg;
    json_w_string(w, "camera", c->id);
    if (c->held) {
        char mime[96];
        live_hub_mime(c->hub, mime, sizeof mime);
        json_w_string(w, "state", "live");
        json_w_string(w, "mime", mime);
    } else if (c->say == SAY_ENDED) {
        json_w_string(w, "state", "ended");
    } else {
        json_w_string(w, "state", "unavailable");
        json_w_string(w, "reason", c->why);
    }
}

/* Takes camera i's next chunk into *chunk: 1, or 0 if it has none now.  A
 * stream that ended is replaced by a new viewer, and the camera owes a status. */
static int cam_take(struct live_mux *m, size_t i, struct live_chunk **chunk)
{
    struct mux_cam *c = &m->cam[i];
    int rc = c->v ? live_viewer_take(c->v, chunk) : 0;
    if (rc >= 0)
        return rc;
    nvr_log(NVR_INFO, c->id, "live mux camera stream ended, waiting for the next picture");
    cam_close(c);
    cam_open(m, i);
    if (c->say == SAY_NONE)
        c->say = SAY_ENDED;
    return 0;
}

/* Starts camera i's next frame if it has one; 1 if it did.  In order: the
 * init segment held back for its "live" status, a status owed, the next
 * chunk (an init segment is held back and its status goes first). */
static int cam_next(struct live_mux *m, size_t i)
{
    struct mux_cam *c = &m->cam[i];
    struct live_chunk *chunk = c->held;
    int announced = chunk != NULL;
    size_t len;
    enum live_chunk_kind kind;
    c->held = NULL;
    if (!chunk && c->say == SAY_NONE && !cam_take(m, i, &chunk) && c->say == SAY_NONE)
        return 0; /* nothing queued, nothing owed */
    if (!chunk) { /* a status is owed only before a new viewer's first chunk */
        status_start(m, i, write_cam_status, c);
        c->say = SAY_NONE;
        return 1;
    }
    const uint8_t *data = live_chunk_data(chunk, &len, &kind);
    if (kind == LIVE_CHUNK_INIT && !announced) {
        c->held = chunk;
        status_start(m, i, write_cam_status, c);
        return 1;
    }
    frame_start(m, kind == LIVE_CHUNK_INIT ? 'I' : 'F', i, kind == LIVE_CHUNK_KEY ? LIVE_MUX_KEY : 0, data, len, chunk);
    return 1;
}

/* Starts the next frame: the stream's status first, then the cameras in
 * turn, one frame each.  0 if nothing is ready. */
static int next_frame(struct live_mux *m)
{
    if (!m->hello_sent) {
        m->hello_sent = 1;
        status_start(m, LIVE_MUX_STREAM, write_hello, m);
        return 1;
    }
    for (size_t k = 0; k < m->n; k++) {
        size_t i = (m->next + k) % m->n;
        if (cam_next(m, i)) {
            m->next = (i + 1) % m->n;
            return 1;
        }
    }
    return 0;
}

/* Copies what fits of the current frame; ends it when all is copied. */
static size_t frame_copy(struct live_mux *m, char *buf, size_t max)
{
    struct mux_frame *f = &m->frame;
    size_t n = 0;
    while (n < max && f->pos < LIVE_MUX_HEADER)
        buf[n++] = (char)f->head[f->pos++];
    size_t off = f->pos - LIVE_MUX_HEADER, take = f->len - off < max - n ? f->len - off : max - n;
    memcpy(buf + n, f->payload + off, take);
    n += take;
    f->pos += take;
    if (f->pos == LIVE_MUX_HEADER + f->len) {
        /* the status text or the chunk is no longer needed: the held init of
         * a "live" status is a separate reference (cam.held) */
        live_chunk_unref(f->chunk);
        f->chunk = NULL;
        f->active = 0;
    }
    return n;
}

long live_mux_read(struct live_mux *m, char *buf, size_t max)
{
    size_t n = 0;
    while (n < max) {
        if (!m->frame.active && !next_frame(m))
            break;
        n += frame_copy(m, buf + n, max - n);
    }
    return (long)n;
}

void live_mux_attach(struct live_mux *m, live_wake_fn wake, void *wake_cls)
{
    m->wake = wake;
    m->wake_cls = wake_cls;
    for (size_t i = 0; i < m->n; i++)
        if (m->cam[i].v)
            live_viewer_attach(m->cam[i].v, wake, wake_cls);
}

nvr_err live_mux_create(struct live_mux **out, size_t n, const char *const ids[], live_mux_source_fn src, void *src_cls)
{
    *out = NULL;
    if (n == 0 || n > LIVE_MUX_MAX_CAMERAS)
        return NVR_EINVAL;
    struct live_mux *m = calloc(1, sizeof *m);
    if (!m)
        return NVR_ENOMEM;
    m->n = n;
    m->src = src;
    m->src_cls = src_cls;
    for (size_t i = 0; i < n; i++) {
        snprintf(m->cam[i].id, sizeof m->cam[i].id, "%s", ids[i]);
        cam_open(m, i);
    }
    nvr_log(NVR_INFO, NULL, "live mux opened cameras=%zu", n);
    *out = m;
    return NVR_OK;
}

void live_mux_close(struct live_mux **mp)
{
    struct live_mux *m = *mp;
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        cam_close(&m->cam[i]);
    live_chunk_unref(m->frame.chunk);
    free(m);
    *mp = NULL;
}
