/* SPDX-License-Identifier: Apache-2.0 */
/* test_live_hub.c - the live hub (nvr/live/live.c) without a camera and
 * without HTTP: a clip's packets (argv[1], the clips fixture) are handed to
 * the hub as the ingest thread would, and viewers are driven through the
 * transport seam (live_viewer_open/attach/read/close) with a wake counter.
 *
 * Checks: a viewer gets the init segment and the GOP since the last keyframe
 * at once; a viewer that asked to wait gets its picture when it comes, one
 * that did not is refused; wake follows every chunk; a viewer that reads
 * nothing is held to its bound (LIVE_MAX_LAG_US of media, two GOPs if
 * longer) and resumes at a keyframe, so what it reads then is a playable
 * fMP4 (libavformat demuxes it, first frame a keyframe); the end of a session
 * ends every body after what was queued; the producer never waits; each
 * fragment's prft carries the frame's wall clock by rule T2. */
#include "base/err.h"
#include "ingest/ingest.h"
#include "live/live.h"

#include "check.h"
#include "clip.h"

#include <libavformat/avformat.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static const char *clip_path;

/* Hands frames [from, from + count) of the clip, looped, to the hub as
 * stream 0, the way the ingest thread does; media time runs on. */
static void feed(struct live_hub *h, struct clip *c, size_t from, size_t count)
{
    struct ingest_info info = {.video = c->par, .video_tb = c->tb};
    for (size_t k = from; k < from + count; k++) {
        AVPacket *p = clip_packet(c, k);
        struct ingest_meta m = {.recv_us = 1795305600000000LL + clip_us(c, k), .rtcp_origin_us = INT64_MIN,
                                .new_params = k == 0};
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

/* Everything queued for v (reads until 0 or -1); *ended = whether it ended. */
static uint8_t *drain(struct live_viewer *v, size_t *len, int *ended)
{
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    *ended = 0;
    for (;;) {
        if (cap - n < 65536)
            buf = realloc(buf, cap *= 2);
        long r = live_viewer_read(v, (char *)buf + n, 65536);
        if (r < 0) {
            *ended = 1;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *len = n;
    return buf;
}

/* Counts the top-level boxes of type t in buf. */
static int count_boxes(const uint8_t *buf, size_t len, const char *t)
{
    int n = 0;
    for (size_t off = 0; off + 8 <= len;) {
        uint32_t sz = (uint32_t)buf[off] << 24 | (uint32_t)buf[off + 1] << 16 | (uint32_t)buf[off + 2] << 8 | buf[off + 3];
        if (sz < 8 || off + sz > len)
            return -1; /* not a whole box: the stream is broken */
        if (memcmp(buf + off + 4, t, 4) == 0)
            n++;
        off += sz;
    }
    return n;
}

static void test_viewer_gets_init_and_gop(void)
{
    struct clip c;
    CHECK(clip_open(&c, clip_path) == 0);
    struct live_hub *h = NULL;
    CHECK(live_hub_create(&h, "cam", "main") == NVR_OK);
    feed(h, &c, 0, 60); /* a keyframe every 50 frames: 10 frames into the second GOP */

    char mime[96];
    live_hub_mime(h, mime, sizeof mime);
    CHECK(strncmp(mime, "video/mp4; codecs=\"avc1.", 24) == 0);

    struct live_viewer *v = NULL;
    CHECK(live_viewer_open(h, 0, &v) == NVR_OK);
    CHECK_EQ_INT(live_hub_viewers(h), 1);
    wakes = 0;
    live_viewer_attach(v, count_wake, NULL);
    size_t len;
    int ended;
    uint8_t *b = drain(v, &len, &ended);
    CHECK(!ended);
    CHECK(len > 8 && memcmp(b + 4, "ftyp", 4) == 0);
    CHECK_EQ_INT(count_boxes(b, len, "moov"), 1);
    /* the frames since the keyframe (frame 50) but the newest, which is muxed
     * when the next one comes */
    CHECK_EQ_INT(count_boxes(b, len, "moof"), 9);
    int key;
    CHECK_EQ_INT(clip_demux(b, len, &key), 9);
    CHECK(key);
    free(b);

    feed(h, &c, 60, 5);
    CHECK_EQ_INT(wakes, 5); /* one wake per chunk */
    b = drain(v, &len, &ended);
    CHECK_EQ_INT(count_boxes(b, len, "moof"), 5);
    free(b);

    live_viewer_close(v);
    CHECK_EQ_INT(live_hub_viewers(h), 0);
    CHECK(live_hub_idle_since(h) > 0);
    live_hub_destroy(&h);
    CHECK(h == NULL);
    clip_close(&c);
}

static void test_no_picture_yet(void)
{
    struct clip c;
    CHECK(clip_open(&c, clip_path) == 0);
    struct live_hub *h = NULL;
    CHECK(live_hub_create(&h, "cam", "sub") == NVR_OK);
    struct live_viewer *v = NULL, *w = NULL;
    CHECK_EQ_INT(live_viewer_open(h, 0, &v), NVR_ENOTFOUND); /* the API answers 503 */
    CHECK(v == NULL);
    CHECK_EQ_INT(live_viewer_open(h, 1, &w), NVR_OK); /* a sub-stream viewer waits */
    wakes = 0;
    live_viewer_attach(w, count_wake, NULL);
    size_t len;
    int ended;
    uint8_t *b = drain(w, &len, &ended);
    CHECK_EQ_INT(len, 0);
    CHECK(!ended);
    free(b);

    feed(h, &c, 0, 20);
    CHECK(wakes > 0);
    b = drain(w, &len, &ended);
    int key;
    CHECK(len > 8 && memcmp(b + 4, "ftyp", 4) == 0);
    CHECK(clip_demux(b, len, &key) > 0);
    CHECK(key);
    free(b);

    live_viewer_close(w);
    live_hub_destroy(&h);
    clip_close(&c);
}

static void test_slow_viewer_is_bounded_and_resumes_at_a_keyframe(void)
{
    struct clip c;
    CHECK(clip_open(&c, clip_path) == 0);
    int64_t frame_us = av_rescale_q(c.frame, c.tb, AV_TIME_BASE_Q);
    struct live_hub *h = NULL;
    CHECK(live_hub_create(&h, "cam", "main") == NVR_OK);
    feed(h, &c, 0, 1);
    struct live_viewer *fast = NULL, *slow = NULL;
    CHECK(live_viewer_open(h, 0, &fast) == NVR_OK);
    CHECK(live_viewer_open(h, 0, &slow) == NVR_OK);
    live_viewer_attach(fast, count_wake, NULL);
    live_viewer_attach(slow, count_wake, NULL);

    /* the init segment, to demux what a viewer reads after it as a file */
    struct live_viewer *probe = NULL;
    CHECK(live_viewer_open(h, 0, &probe) == NVR_OK);
    live_viewer_attach(probe, count_wake, NULL);
    size_t ilen, len;
    int ended;
    uint8_t *init = drain(probe, &ilen, &ended);
    size_t moov_end = 0;
    for (size_t off = 0; off + 8 <= ilen;) {
        uint32_t sz = (uint32_t)init[off] << 24 | (uint32_t)init[off + 1] << 16 | (uint32_t)init[off + 2] << 8 | init[off + 3];
        if (sz < 8)
            break;
        off += sz;
        if (memcmp(init + off - sz + 4, "moov", 4) == 0) {
            moov_end = off;
            break;
        }
    }
    CHECK(moov_end > 0);

    /* 40 s of media: `fast` reads every frame, `slow` only every 10 s (more
     * than the 4 s it may lag), so before each of its reads it fell behind */
    size_t frames = (size_t)(40 * 1000000LL / frame_us), got_fast = 0, every = (size_t)(10 * 1000000LL / frame_us);
    int64_t max_frames = LIVE_MAX_LAG_US / frame_us + 2; /* 2 GOPs = 4 s here */
    int reads = 0;
    for (size_t k = 1; k <= frames; k++) {
        feed(h, &c, k, 1);
        uint8_t *b = drain(fast, &len, &ended);
        int m = count_boxes(b, len, "moof");
        CHECK(m >= 0);
        got_fast += (size_t)(m > 0 ? m : 0);
        free(b);
        b = drain(probe, &len, &ended); /* keeps the probe current */
        free(b);
        if (k % every != 0)
            continue;
        b = drain(slow, &len, &ended);
        CHECK(!ended);
        int moofs = count_boxes(b, len, "moof");
        CHECK(moofs >= 0 && moofs <= max_frames); /* 4 s of media, never 10 s */
        CHECK(len <= LIVE_VIEWER_MAX_BYTES + 65536);
        if (moofs > 0) {
            reads++;
            /* it resumed at a keyframe: the bytes play as they are */
            size_t skip = memcmp(b + 4, "ftyp", 4) == 0 ? 0 : moov_end;
            uint8_t *whole = malloc(skip + len);
            memcpy(whole, init, skip);
            memcpy(whole + skip, b, len);
            int key = 0;
            CHECK_EQ_INT(clip_demux(whole, skip + len, &key), moofs);
            CHECK(key);
            free(whole);
        }
        free(b);
    }
    CHECK(got_fast + 1 >= frames); /* the fast one missed nothing but the newest */
    CHECK(reads >= 2);
    free(init);

    live_viewer_close(probe);
    live_viewer_close(fast);
    live_viewer_close(slow);
    live_hub_destroy(&h);
    clip_close(&c);
}

static void test_session_end_ends_bodies(void)
{
    struct clip c;
    CHECK(clip_open(&c, clip_path) == 0);
    struct live_hub *h = NULL;
    CHECK(live_hub_create(&h, "cam", "main") == NVR_OK);
    feed(h, &c, 0, 10);
    struct live_viewer *v = NULL;
    CHECK(live_viewer_open(h, 0, &v) == NVR_OK);
    live_viewer_attach(v, count_wake, NULL);
    wakes = 0;
    live_hub_session_end(h);
    CHECK(wakes >= 1);
    size_t len;
    int ended;
    uint8_t *b = drain(v, &len, &ended);
    CHECK(len > 0); /* what was queued comes first */
    CHECK(ended);
    free(b);
    /* the last keyframe stays for snapshots */
    AVPacket *k = NULL;
    AVCodecParameters *par = NULL;
    uint64_t seq = 0;
    CHECK_EQ_INT(live_hub_keyframe(h, &k, &par, &seq), NVR_OK);
    CHECK(k && (k->flags & AV_PKT_FLAG_KEY));
    av_packet_free(&k);
    avcodec_parameters_free(&par);
    live_viewer_close(v);
    live_hub_destroy(&h);
    clip_close(&c);
}

/* The wall clock in each fragment's prft (ISO/IEC 14496-12 8.16.5, version
 * 1: NTP time at byte 16) is the frame's by rule T2 (media/timemap.h): the
 * camera's RTCP clock when it is within 10 s of the arrival time, else the
 * arrival time -- a camera whose clock is a minute off does not label live
 * frames a minute off.  Frames 0..19 of the clip arrive at BASE + their media
 * time; the camera's clock says BASE + skew + media time. */
static void test_prft_follows_t2(void)
{
    static const int64_t BASE = 1795305600000000LL, skews[] = {3000000, 60000000};
    static const int64_t want[] = {3000000, 0}; /* RTCP believed; RTCP refused */
    for (int s = 0; s < 2; s++) {
        struct clip c;
        CHECK(clip_open(&c, clip_path) == 0);
        struct live_hub *h = NULL;
        CHECK(live_hub_create(&h, "cam", "main") == NVR_OK);
        struct ingest_info info = {.video = c.par, .video_tb = c.tb};
        for (size_t k = 0; k < 20; k++) {
            AVPacket *p = clip_packet(&c, k);
            struct ingest_meta m = {.recv_us = BASE + clip_us(&c, k), .rtcp_origin_us = BASE + skews[s],
                                    .new_params = k == 0};
            live_hub_packet(h, p, &m, &info);
            av_packet_free(&p);
        }
        struct live_viewer *v = NULL;
        CHECK(live_viewer_open(h, 0, &v) == NVR_OK);
        live_viewer_attach(v, count_wake, NULL);
        size_t len;
        int ended, n = 0;
        uint8_t *b = drain(v, &len, &ended);
        int64_t prev = INT64_MIN;
        for (size_t off = 0; off + 32 <= len;) {
            uint32_t sz = (uint32_t)b[off] << 24 | (uint32_t)b[off + 1] << 16 | (uint32_t)b[off + 2] << 8 | b[off + 3];
            if (sz < 8 || off + sz > len)
                break;
            if (memcmp(b + off + 4, "prft", 4) == 0) {
                uint64_t ntp = 0;
                for (int i = 0; i < 8; i++)
                    ntp = ntp << 8 | b[off + 16 + i];
                int64_t wall = ((int64_t)(ntp >> 32) - 2208988800LL) * 1000000 +
                               (int64_t)(((ntp & 0xFFFFFFFFu) * 1000000) >> 32);
                int64_t d = wall - BASE - want[s]; /* the frame's media time */
                CHECK(d >= -1 && d <= clip_us(&c, 19));
                CHECK(wall > prev);
                if (n == 0)
                    CHECK(d >= -1 && d <= 1); /* frame 0 exactly */
                prev = wall;
                n++;
            }
            off += sz;
        }
        CHECK_EQ_INT(n, 19); /* all frames but the newest, muxed when the next comes */
        free(b);
        live_viewer_close(v);
        live_hub_destroy(&h);
        clip_close(&c);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_live_hub CLIP.mp4\n");
        return 2;
    }
    clip_path = argv[1];
    av_log_set_level(AV_LOG_ERROR);
    RUN(test_viewer_gets_init_and_gop);
    RUN(test_no_picture_yet);
    RUN(test_slow_viewer_is_bounded_and_resumes_at_a_keyframe);
    RUN(test_session_end_ends_bodies);
    RUN(test_prft_follows_t2);
    return check_summary();
}
