/* SPDX-License-Identifier: Apache-2.0 */
/* test_live_mux.c - several hub viewers framed into one stream
 * (nvr/live/live_mux.c), without a camera and without HTTP: a clip's packets
 * (argv[1], the clips fixture) are handed to two hubs as the ingest thread
 * would, and the mux is read like the HTTP adapter reads it.
 *
 * Checks: the stream's status comes first; each camera's "live" status (with
 * its MSE type), its init segment, then its fragments from a keyframe, with
 * the keyframe flag; cameras take turns; a camera without a hub says
 * "unavailable" and the others go on; one camera's payloads demux as an
 * fMP4; a reader that reads nothing is bounded per camera and resumes each
 * at a keyframe; a camera whose session ends says "ended" and, when it is
 * back, sends a new status and init on the same stream; closing frees every
 * viewer. */
#include "base/err.h"
#include "ingest/ingest.h"
#include "live/live.h"
#include "live/live_mux.h"

#include "check.h"
#include "clip.h"

#include <libavformat/avformat.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static const char *clip_path;

/* Hands frames [from, from + count) of the clip to the hub (as test_live_hub). */
static void feed(struct live_hub *h, struct clip *c, size_t from, size_t count, int new_params)
{
    struct ingest_info info = {.video = c->par, .video_tb = c->tb};
    for (size_t k = from; k < from + count; k++) {
        AVPacket *p = clip_packet(c, k);
        struct ingest_meta m = {.recv_us = 1795305600000000LL + clip_us(c, k), .rtcp_origin_us = INT64_MIN,
                                .new_params = new_params && k == from};
        live_hub_packet(h, p, &m, &info);
        av_packet_free(&p);
    }
}

static int wakes;
static void count_wake(void *cls)
{
    (void)cls;
    wakes++;
}

/* The hubs the cameras are watched on: NULL for "unavailable". */
static struct live_hub *hubs[3];
static struct live_hub *source(void *cls, size_t i, char *why, size_t whylen)
{
    (void)cls;
    if (!hubs[i])
        snprintf(why, whylen, "the camera is disabled");
    return hubs[i];
}

/* One frame of a read stream. */
struct frame {
    char kind;
    int index, flags;
    const uint8_t *payload;
    uint32_t len;
};

/* Everything the mux has now (reads until 0), in one buffer. */
static uint8_t *drain(struct live_mux *m, size_t *len)
{
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (cap - n < 32768)
            buf = realloc(buf, cap *= 2);
        long r = live_mux_read(m, (char *)buf + n, 32768); /* libmicrohttpd's block size */
        CHECK(r >= 0);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    *len = n;
    return buf;
}

/* Splits buf into frames (at most max); the count, -1 if the framing is broken. */
static int parse(const uint8_t *buf, size_t len, struct frame *f, int max)
{
    int n = 0;
    size_t off = 0;
    while (off + LIVE_MUX_HEADER <= len && n < max) {
        const uint8_t *h = buf + off;
        uint32_t sz = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
        if ((h[0] != 'S' && h[0] != 'I' && h[0] != 'F') || h[3] != 0 || off + LIVE_MUX_HEADER + sz > len)
            return -1;
        f[n++] = (struct frame){(char)h[0], h[1], h[2], h + LIVE_MUX_HEADER, sz};
        off += LIVE_MUX_HEADER + sz;
    }
    return off == len ? n : -1;
}

static int has(const struct frame *f, const char *text)
{
    char s[1024];
    snprintf(s, sizeof s, "%.*s", (int)f->len, (const char *)f->payload);
    return strstr(s, text) != NULL;
}

#define MAXF 4096

static void test_framing_turns_and_demux(void)
{
    struct clip c;
    CHECK(clip_open(&c, clip_path) == 0);
    CHECK(live_hub_create(&hubs[0], "a", "main") == NVR_OK);
    CHECK(live_hub_create(&hubs[1], "b", "main") == NVR_OK);
    hubs[2] = NULL;
    feed(hubs[0], &c, 0, 60, 1); /* a keyframe every 50 frames: 9 frames of the second GOP are muxed */
    feed(hubs[1], &c, 0, 60, 1);
    const char *ids[] = {"a", "b", "off"};
    struct live_mux *m = NULL;
    CHECK_EQ_INT(live_mux_create(&m, 0, ids, source, NULL), NVR_EINVAL);
    CHECK_EQ_INT(live_mux_create(&m, LIVE_MUX_MAX_CAMERAS + 1, ids, source, NULL), NVR_EINVAL);
    CHECK(live_mux_create(&m, 3, ids, source, NULL) == NVR_OK);
    CHECK_EQ_INT(live_hub_viewers(hubs[0]), 1);
    live_mux_attach(m, count_wake, NULL);

    size_t len;
    uint8_t *b = drain(m, &len);
    static struct frame f[MAXF];
    int n = parse(b, len, f, MAXF);
    CHECK(n > 0);
    CHECK(n > 0 && f[0].kind == 'S' && f[0].index == LIVE_MUX_STREAM && has(&f[0], "\"cameras\":[\"a\",\"b\",\"off\"]"));
    int seen[3][3] = {{0}}; /* per camera: statuses, inits, fragments */
    int last = -1, alternations = 0, first_frag_key[2] = {-1, -1};
    uint8_t *file = malloc(len);
    size_t flen = 0;
    for (int i = 1; i < n; i++) {
        int k = f[i].index;
        CHECK(k >= 0 && k < 3);
        if (k < 0 || k > 2)
            continue;
        if (f[i].kind == 'S') {
            CHECK(seen[k][1] == 0); /* the status goes before the init */
            seen[k][0]++;
            if (k < 2)
                CHECK(has(&f[i], "\"state\":\"live\"") && has(&f[i], "avc1."));
            else
                CHECK(has(&f[i], "\"state\":\"unavailable\"") && has(&f[i], "disabled"));
        } else if (f[i].kind == 'I') {
            CHECK(seen[k][0] == 1 && seen[k][2] == 0);
            CHECK(f[i].len > 8 && memcmp(f[i].payload + 4, "ftyp", 4) == 0);
            seen[k][1]++;
        } else {
            CHECK(seen[k][1] == 1);
            if (first_frag_key[k] < 0)
                first_frag_key[k] = f[i].flags & LIVE_MUX_KEY;
            CHECK(f[i].len > 32 && memcmp(f[i].payload + 4, "prft", 4) == 0);
            seen[k][2]++;
            alternations += last >= 0 && last != k;
            last = k;
        }
        if (k == 0 && f[i].kind != 'S') {
            memcpy(file + flen, f[i].payload, f[i].len);
            flen += f[i].len;
        }
    }
    CHECK_EQ_INT(seen[0][2], 9);
    CHECK_EQ_INT(seen[1][2], 9);
    CHECK_EQ_INT(seen[2][0], 1);
    CHECK_EQ_INT(seen[2][1] + seen[2][2], 0);
    CHECK(first_frag_key[0] == 1 && first_frag_key[1] == 1);
    CHECK(alternations >= 16); /* a b a b ...: the cameras take turns */
    int key = 0;
    CHECK_EQ_INT(clip_demux(file, flen, &key), 9);
    CHECK(key);
    free(file);
    free(b);

    /* new frames wake the reader and come framed for their camera */
    wakes = 0;
    feed(hubs[0], &c, 60, 5, 0);
    CHECK(wakes >= 5);
    b = drain(m, &len);
    n = parse(b, len, f, MAXF);
    CHECK_EQ_INT(n, 5);
    for (int i = 0; i < n; i++)
        CHECK(f[i].kind == 'F' && f[i].index == 0);
    free(b);

    live_mux_close(&m);
    CHECK(m == NULL);
    CHECK_EQ_INT(live_hub_viewers(hubs[0]), 0);
    CHECK_EQ_INT(live_hub_viewers(hubs[1]), 0);
    live_hub_destroy(&hubs[0]);
    live_hub_destroy(&hubs[1]);
    clip_close(&c);
}

static void test_stalled_reader_is_bounded_per_camera(void)
{
    struct clip c;
    CHECK(clip_open(&c, clip_path) == 0);
    CHECK(live_hub_create(&hubs[0], "a", "main") == NVR_OK);
    CHECK(live_hub_create(&hubs[1], "b", "main") == NVR_OK);
    feed(hubs[0], &c, 0, 10, 1);
    feed(hubs[1], &c, 0, 10, 1);
    const char *ids[] = {"a", "b"};
    struct live_mux *m = NULL;
    CHECK(live_mux_create(&m, 2, ids, source, NULL) == NVR_OK);
    live_mux_attach(m, count_wake, NULL);
    /* 20 s of both cameras that nobody reads: more than LIVE_MAX_LAG_US and two GOPs */
    feed(hubs[0], &c, 10, 500, 0);
    feed(hubs[1], &c, 10, 500, 0);
    size_t len;
    uint8_t *b = drain(m, &len);
    static struct frame f[MAXF];
    int n = parse(b, len, f, MAXF);
    CHECK(n > 0);
    /* each camera: its init segment (kept though nothing was read) and then
     * fragments from a keyframe, bounded by LIVE_MAX_LAG_US (or two GOPs, 100
     * frames) plus the GOP being muxed: still a playable fMP4 */
    for (int k = 0; k < 2; k++) {
        uint8_t *file = malloc(len);
        size_t flen = 0;
        int frags = 0, inits = 0;
        for (int i = 0; i < n; i++)
            if (f[i].index == k && f[i].kind != 'S') {
                inits += f[i].kind == 'I';
                frags += f[i].kind == 'F';
                memcpy(file + flen, f[i].payload, f[i].len);
                flen += f[i].len;
            }
        CHECK_EQ_INT(inits, 1);
        CHECK(frags > 0 && frags < 200);
        int key = 0;
        CHECK_EQ_INT(clip_demux(file, flen, &key), frags);
        CHECK(key);
        free(file);
    }
    free(b);
    live_mux_close(&m);
    live_hub_destroy(&hubs[0]);
    live_hub_destroy(&hubs[1]);
    clip_close(&c);
}

static void test_session_end_and_back_on_the_same_stream(void)
{
    struct clip c;
    CHECK(clip_open(&c, clip_path) == 0);
    CHECK(live_hub_create(&hubs[0], "a", "main") == NVR_OK);
    CHECK(live_hub_create(&hubs[1], "b", "main") == NVR_OK);
    feed(hubs[0], &c, 0, 10, 1);
    feed(hubs[1], &c, 0, 10, 1);
    const char *ids[] = {"a", "b"};
    struct live_mux *m = NULL;
    CHECK(live_mux_create(&m, 2, ids, source, NULL) == NVR_OK);
    live_mux_attach(m, count_wake, NULL);
    size_t len;
    free(drain(m, &len));

    wakes = 0;
    live_hub_session_end(hubs[1]);
    CHECK(wakes >= 1);
    uint8_t *b = drain(m, &len);
    static struct frame f[MAXF];
    int n = parse(b, len, f, MAXF);
    CHECK_EQ_INT(n, 1);
    CHECK(n == 1 && f[0].kind == 'S' && f[0].index == 1 && has(&f[0], "\"state\":\"ended\""));
    free(b);
    CHECK_EQ_INT(live_hub_viewers(hubs[1]), 1); /* a new viewer waits for the next picture */

    /* the camera is back (new parameters): a new status and init segment, then frames */
    feed(hubs[1], &c, 0, 55, 1);
    b = drain(m, &len);
    n = parse(b, len, f, MAXF);
    CHECK(n >= 3);
    CHECK(n >= 3 && f[0].kind == 'S' && f[0].index == 1 && has(&f[0], "\"state\":\"live\""));
    CHECK(n >= 3 && f[1].kind == 'I' && f[1].index == 1);
    CHECK(n >= 3 && f[2].kind == 'F' && f[2].index == 1 && (f[2].flags & LIVE_MUX_KEY));
    free(b);
    live_mux_close(&m);
    CHECK_EQ_INT(live_hub_viewers(hubs[1]), 0);
    live_mux_close(&m); /* tolerates NULL */
    live_hub_destroy(&hubs[0]);
    live_hub_destroy(&hubs[1]);
    clip_close(&c);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_live_mux CLIP.mp4\n");
        return 2;
    }
    clip_path = argv[1];
    av_log_set_level(AV_LOG_ERROR);
    RUN(test_framing_turns_and_demux);
    RUN(test_stalled_reader_is_bounded_per_camera);
    RUN(test_session_end_and_back_on_the_same_stream);
    return check_summary();
}
