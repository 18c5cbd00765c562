/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rendition.c - the playback rendition's plan (nvr/playback/rendition.c
 * rendition_plan_segments): which segments, from which fragment, what wall
 * clock, where it ends, copy or transcode and the output size.
 *
 * No database and no files: segments are built in memory as
 * index_segments_list returns them (the transcoding itself is exercised
 * end to end by tests/integration/test_playback_rendition.py).
 */
#include "base/err.h"
#include "playback/rendition.h"

#include "check.h"

#include <stdlib.h>

#define S 1000000LL
#define T0 (1795320000LL * S) /* 2026-11-22T04:00:00Z */

/* nfrag fragments of 2 s; wall span = media * wall_permille / 1000. */
static struct index_segment make_seg(int64_t session, int64_t start, int nfrag, const char *codec, int w, int h,
                                     int wall_permille)
{
    struct index_segment s;
    memset(&s, 0, sizeof s);
    snprintf(s.camera, sizeof s.camera, "hall");
    s.session = session;
    s.start_us = start;
    snprintf(s.video_codec, sizeof s.video_codec, "%s", codec);
    s.width = w;
    s.height = h;
    s.init_bytes = 800;
    for (int k = 0; k < nfrag; k++) {
        fragments_append(&s.frags, 1000, 2 * S);
        s.media_us += 2 * S;
    }
    s.end_us = start + s.media_us * wall_permille / 1000;
    return s;
}

static void free_segs(struct index_segment *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fragments_free(&v[i].frags);
}

/* Three adjacent 4 s HEVC 1080p segments of one session, T0 .. T0+12 s. */
static void run3(struct index_segment v[3], const char *codec)
{
    v[0] = make_seg(1, T0, 2, codec, 1920, 1080, 1000);
    v[1] = make_seg(1, v[0].end_us, 2, codec, 1920, 1080, 1000);
    v[2] = make_seg(1, v[1].end_us, 2, codec, 1920, 1080, 1000);
}

static void test_start_fragment_and_end(void)
{
    struct index_segment v[3];
    struct rendition_plan p;
    run3(v, "hevc");
    /* 5 s: segment 1, fragment 0 (4..6 s) */
    CHECK_EQ_INT(rendition_plan_segments(v, 3, T0 + 5 * S, T0 + 11 * S, 0, &p), NVR_OK);
    CHECK_EQ_INT(p.n, 2);
    CHECK_EQ_INT(p.segs[0].start_us, T0 + 4 * S);
    CHECK_EQ_INT(p.first_frag, 0);
    CHECK_EQ_INT(p.start_us, T0 + 4 * S);
    CHECK_EQ_INT(p.end_us, T0 + 11 * S);
    CHECK_EQ_INT(p.segs[1].frags.n, 2);    /* moved into the plan */
    CHECK_EQ_INT(v[1].frags.n, 0);         /* ... out of the list */
    CHECK_EQ_INT(v[0].frags.n, 2);         /* not chosen: left */
    rendition_plan_free(&p);
    free_segs(v, 3);

    /* 6.5 s: fragment 1 (6..8 s); the range past the footage ends with it */
    run3(v, "hevc");
    CHECK_EQ_INT(rendition_plan_segments(v, 3, T0 + 6 * S + S / 2, T0 + 60 * S, 0, &p), NVR_OK);
    CHECK_EQ_INT(p.first_frag, 1);
    CHECK_EQ_INT(p.start_us, T0 + 6 * S);
    CHECK_EQ_INT(p.n, 2);
    CHECK_EQ_INT(p.end_us, T0 + 12 * S);
    rendition_plan_free(&p);
    free_segs(v, 3);

    /* exactly at a fragment's start: that fragment */
    run3(v, "hevc");
    CHECK_EQ_INT(rendition_plan_segments(v, 3, T0 + 2 * S, T0 + 3 * S, 0, &p), NVR_OK);
    CHECK_EQ_INT(p.first_frag, 1);
    CHECK_EQ_INT(p.start_us, T0 + 2 * S);
    CHECK_EQ_INT(p.n, 1);
    rendition_plan_free(&p);
    free_segs(v, 3);
}

static void test_run_ends(void)
{
    struct index_segment v[3];
    struct rendition_plan p;
    /* a gap of 5 s before the third segment */
    run3(v, "hevc");
    v[2].start_us += 5 * S;
    v[2].end_us += 5 * S;
    CHECK_EQ_INT(rendition_plan_segments(v, 3, T0 + S, T0 + 60 * S, 0, &p), NVR_OK);
    CHECK_EQ_INT(p.n, 2);
    CHECK_EQ_INT(p.end_us, T0 + 8 * S);
    rendition_plan_free(&p);
    free_segs(v, 3);
    /* 0.5 s apart is still one run */
    run3(v, "hevc");
    v[2].start_us += S / 2;
    v[2].end_us += S / 2;
    CHECK_EQ_INT(rendition_plan_segments(v, 3, T0 + S, T0 + 60 * S, 0, &p), NVR_OK);
    CHECK_EQ_INT(p.n, 3);
    rendition_plan_free(&p);
    free_segs(v, 3);
    /* another ingest session */
    run3(v, "hevc");
    v[2].session = 2;
    CHECK_EQ_INT(rendition_plan_segments(v, 3, T0 + S, T0 + 60 * S, 0, &p), NVR_OK);
    CHECK_EQ_INT(p.n, 2);
    rendition_plan_free(&p);
    free_segs(v, 3);
    /* a new picture size */
    run3(v, "hevc");
    v[1].width = 1280;
    v[1].height = 720;
    CHECK_EQ_INT(rendition_plan_segments(v, 3, T0 + S, T0 + 60 * S, 0, &p), NVR_OK);
    CHECK_EQ_INT(p.n, 1);
    CHECK_EQ_INT(p.end_us, T0 + 4 * S);
    rendition_plan_free(&p);
    free_segs(v, 3);
    /* a new codec */
    run3(v, "hevc");
    snprintf(v[2].video_codec, sizeof v[2].video_codec, "h264");
    CHECK_EQ_INT(rendition_plan_segments(v, 3, T0 + S, T0 + 60 * S, 0, &p), NVR_OK);
    CHECK_EQ_INT(p.n, 2);
    rendition_plan_free(&p);
    free_segs(v, 3);
}

static void test_gaps_and_nothing(void)
{
    struct index_segment v[3];
    struct rendition_plan p;
    /* start in a gap: the first footage after it */
    run3(v, "hevc");
    v[2].start_us += 20 * S;
    v[2].end_us += 20 * S;
    CHECK_EQ_INT(rendition_plan_segments(v, 3, T0 + 15 * S, T0 + 60 * S, 0, &p), NVR_OK);
    CHECK_EQ_INT(p.n, 1);
    CHECK_EQ_INT(p.first_frag, 0);
    CHECK_EQ_INT(p.start_us, T0 + 28 * S);
    rendition_plan_free(&p);
    /* nothing at or after from (a list can hold a segment ending at from) */
    CHECK_EQ_INT(rendition_plan_segments(v, 3, T0 + 32 * S, T0 + 60 * S, 0, &p), NVR_ENOTFOUND);
    CHECK_EQ_INT(p.n, 0);
    CHECK(p.segs == NULL);
    /* a segment being written with no durable fragment yet is skipped */
    fragments_free(&v[0].frags);
    CHECK_EQ_INT(rendition_plan_segments(v, 1, T0, T0 + 60 * S, 0, &p), NVR_ENOTFOUND);
    free_segs(v, 3);
    CHECK_EQ_INT(rendition_plan_segments(NULL, 0, T0, T0 + 60 * S, 0, &p), NVR_ENOTFOUND);
}

static void test_wall_clock_drift(void)
{
    /* the wall span is 1 % longer than the media (a camera clock running slow) */
    struct index_segment v[1] = {make_seg(1, T0, 5, "hevc", 1920, 1080, 1010)};
    struct rendition_plan p;
    /* wall 6.1 s = media ~6.04 s: fragment 3 (6..8 s media), wall 6.06 s */
    CHECK_EQ_INT(rendition_plan_segments(v, 1, T0 + 6 * S + S / 10, T0 + 60 * S, 0, &p), NVR_OK);
    CHECK_EQ_INT(p.first_frag, 3);
    CHECK_EQ_INT(p.start_us, T0 + 6 * S + 60000);
    CHECK_EQ_INT(p.end_us, T0 + 10 * S + 100000);
    rendition_plan_free(&p);
    free_segs(v, 1);
}

static void test_copy_or_transcode(void)
{
    struct index_segment v[3];
    struct rendition_plan p;
    struct {
        const char *codec;
        int width, copy, w, h;
    } cases[] = {
        {"hevc", 0, 0, 1280, 720},     /* default: at most 1280 wide */
        {"hevc", 320, 0, 320, 180},
        {"hevc", 641, 0, 640, 360},    /* even */
        {"hevc", 3840, 0, 1920, 1080}, /* never enlarged */
        {"h264", 0, 1, 1920, 1080},    /* stream copy */
        {"h264", 1920, 1, 1920, 1080},
        {"h264", 640, 0, 640, 360},    /* smaller: transcode */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run3(v, cases[i].codec);
        CHECK_EQ_INT(rendition_plan_segments(v, 3, T0, T0 + 60 * S, cases[i].width, &p), NVR_OK);
        CHECK_EQ_INT(p.copy, cases[i].copy);
        CHECK_EQ_INT(p.width, cases[i].w);
        CHECK_EQ_INT(p.height, cases[i].h);
        rendition_plan_free(&p);
        free_segs(v, 3);
    }
}

static void test_pool(void)
{
    struct rendition_pool *pool;
    CHECK_EQ_INT(rendition_pool_create(&pool), NVR_OK);
    for (int i = 0; i < RENDITION_MAX_JOBS; i++)
        CHECK(rendition_pool_take(pool));
    CHECK(!rendition_pool_take(pool));
    CHECK_EQ_INT(rendition_pool_active(pool), RENDITION_MAX_JOBS);
    rendition_pool_give(pool);
    CHECK(rendition_pool_take(pool));
    for (int i = 0; i < RENDITION_MAX_JOBS; i++)
        rendition_pool_give(pool);
    CHECK_EQ_INT(rendition_pool_active(pool), 0);
    rendition_pool_destroy(&pool);
    CHECK(pool == NULL);
    rendition_pool_destroy(&pool);
}

int main(void)
{
    RUN(test_start_fragment_and_end);
    RUN(test_run_ends);
    RUN(test_gaps_and_nothing);
    RUN(test_wall_clock_drift);
    RUN(test_copy_or_transcode);
    RUN(test_pool);
    return check_summary();
}
