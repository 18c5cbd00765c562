/* SPDX-License-Identifier: Apache-2.0 */
/* test_h26x.c - parameter-set scanning in Annex-B data (nvr/media/h26x.c). */
#include "media/h26x.h"

#include "check.h"

#include <libavutil/mem.h>
#include <stdlib.h>

/* AUD, SPS, PPS, IDR slice with 3- and 4-byte start codes */
static const uint8_t h264_key[] = {
    0, 0, 0, 1, 0x09, 0xf0,                   /* AUD */
    0, 0, 0, 1, 0x67, 0x42, 0x00, 0x1e, 0xaa, /* SPS */
    0, 0, 1, 0x68, 0xce, 0x38, 0x80,          /* PPS */
    0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x00,    /* IDR (trailing zeros belong to the next start code) */
    0, 0, 1, 0x06, 0x05,                      /* SEI */
};

static void test_find_sps_h264(void)
{
    const uint8_t *sps = NULL;
    size_t len = 0;
    CHECK_EQ_INT(h26x_find_sps(AV_CODEC_ID_H264, h264_key, sizeof h264_key, &sps, &len), 1);
    CHECK_EQ_INT(len, 5);
    CHECK(sps && sps[0] == 0x67 && sps[4] == 0xaa);
    static const uint8_t p_frame[] = {0, 0, 0, 1, 0x41, 0x9a, 0x00};
    CHECK_EQ_INT(h26x_find_sps(AV_CODEC_ID_H264, p_frame, sizeof p_frame, &sps, &len), 0);
    CHECK_EQ_INT(h26x_find_sps(AV_CODEC_ID_H264, NULL, 0, &sps, &len), 0);
}

static void test_extract_h264(void)
{
    uint8_t *ps = NULL;
    int n = h26x_extract_parameter_sets(AV_CODEC_ID_H264, h264_key, sizeof h264_key, &ps);
    static const uint8_t want[] = {0, 0, 0, 1, 0x67, 0x42, 0x00, 0x1e, 0xaa,
                                   0, 0, 0, 1, 0x68, 0xce, 0x38, 0x80};
    CHECK_EQ_INT(n, sizeof want);
    CHECK(ps && memcmp(ps, want, sizeof want) == 0);
    av_free(ps);
    static const uint8_t none[] = {0, 0, 1, 0x41, 1, 2, 3};
    CHECK_EQ_INT(h26x_extract_parameter_sets(AV_CODEC_ID_H264, none, sizeof none, &ps), 0);
    CHECK(ps == NULL);
}

static void test_hevc(void)
{
    /* HEVC NAL type is bits 1..6 of the first byte: VPS 32 (0x40), SPS 33 (0x42), PPS 34 (0x44) */
    static const uint8_t key[] = {0, 0, 0, 1, 0x40, 0x01, 0x0c, 0, 0, 0, 1, 0x42, 0x01, 0x01, 0x60,
                                  0, 0, 0, 1, 0x44, 0x01, 0xc1, 0, 0, 0, 1, 0x26, 0x01, 0xaf};
    const uint8_t *sps = NULL;
    size_t len = 0;
    CHECK_EQ_INT(h26x_find_sps(AV_CODEC_ID_HEVC, key, sizeof key, &sps, &len), 1);
    CHECK_EQ_INT(len, 4);
    CHECK(sps && sps[0] == 0x42);
    uint8_t *ps = NULL;
    CHECK_EQ_INT(h26x_extract_parameter_sets(AV_CODEC_ID_HEVC, key, sizeof key, &ps), 3 * 4 + 3 + 4 + 3);
    av_free(ps);
    /* the same bytes read as H.264 hold no SPS (0x42 & 0x1f = 2) */
    CHECK_EQ_INT(h26x_find_sps(AV_CODEC_ID_H264, key, sizeof key, &sps, &len), 0);
}

static void test_garbage_never_crashes(void)
{
    uint8_t buf[512];
    unsigned seed = 7;
    for (int round = 0; round < 2000; round++) {
        size_t n = (size_t)(rand_r(&seed) % sizeof buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)(rand_r(&seed) % 4 == 0 ? 0 : rand_r(&seed));
        const uint8_t *sps;
        size_t len;
        uint8_t *ps = NULL;
        if (h26x_find_sps(AV_CODEC_ID_H264, buf, n, &sps, &len))
            CHECK(sps >= buf && sps + len <= buf + n);
        int m = h26x_extract_parameter_sets(AV_CODEC_ID_HEVC, buf, n, &ps);
        CHECK(m >= 0);
        int d = h26x_reorder_depth(round % 2 ? AV_CODEC_ID_HEVC : AV_CODEC_ID_H264, buf, n);
        CHECK(d >= -1 && d <= 16);
        av_free(ps);
    }
}

static void test_codec_string(void)
{
    char buf[64];
    static const uint8_t avc[] = {0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0, 0, 0, 1, 0x68, 0xeb};
    CHECK_EQ_INT(h26x_codec_string(AV_CODEC_ID_H264, avc, sizeof avc, buf, sizeof buf), 0);
    CHECK(strcmp(buf, "avc1.64001f") == 0);
    /* x265 main profile, level 2.1: emulation prevention bytes inside the
     * profile_tier_level must be skipped */
    static const uint8_t hevc[] = {0, 0, 0, 1, 0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00,
                                   0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x3f, 0xa0, 0x05, 0x02};
    CHECK_EQ_INT(h26x_codec_string(AV_CODEC_ID_HEVC, hevc, sizeof hevc, buf, sizeof buf), 0);
    CHECK(strcmp(buf, "hvc1.1.6.L63.90") == 0);
    /* no SPS, or one cut short: -1 and an empty string */
    static const uint8_t pps[] = {0, 0, 0, 1, 0x68, 0xeb};
    CHECK_EQ_INT(h26x_codec_string(AV_CODEC_ID_H264, pps, sizeof pps, buf, sizeof buf), -1);
    CHECK(buf[0] == '\0');
    CHECK_EQ_INT(h26x_codec_string(AV_CODEC_ID_HEVC, hevc, 12, buf, sizeof buf), -1);
    CHECK_EQ_INT(h26x_codec_string(AV_CODEC_ID_H264, NULL, 0, buf, sizeof buf), -1);
}

/* SPSs written by real encoders (x264/x265, 320x240), with what ffprobe
 * reports as the stream's has_b_frames */
static const uint8_t sps_x264_bf0[] = {0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x0d, 0xda, 0x05, 0x07, 0xec, 0x04, 0x40, 0x00,
                                       0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x0c, 0x83, 0xc5, 0x0a, 0xa8};
static const uint8_t sps_x264_bf1[] = {0, 0, 0, 1, 0x67, 0x64, 0x00, 0x0d, 0xac, 0xe4, 0x05, 0x07, 0xec, 0x04,
                                       0x40, 0x00, 0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x0c, 0x83, 0xc5, 0x0a,
                                       0x44, 0x80};
static const uint8_t sps_x264_pyramid[] = {0, 0, 0, 1, 0x67, 0x64, 0x00, 0x0d, 0xac, 0xd9, 0x41, 0x41, 0xfb,
                                           0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03,
                                           0x20, 0xf1, 0x42, 0x99, 0x60};
static const uint8_t sps_x265_bf0[] = {0, 0, 0, 1, 0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90,
                                       0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x3c, 0xa0, 0x0a, 0x08, 0x0f,
                                       0x16, 0x59, 0x2a, 0x49, 0x32, 0xbc, 0x05, 0xa0, 0x20, 0x00, 0x00, 0x03,
                                       0x00, 0x20, 0x00, 0x00, 0x03, 0x03, 0x21};
static const uint8_t sps_x265_default[] = {0, 0, 0, 1, 0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00,
                                           0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x3c, 0xa0, 0x0a,
                                           0x08, 0x0f, 0x16, 0x59, 0x59, 0xa4, 0x93, 0x2b, 0xc0, 0x5a, 0x02,
                                           0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x32, 0x10};

/* A bit writer for SPSs no encoder here writes (no VUI). */
struct bw {
    uint8_t b[64];
    size_t bits;
};
static void put(struct bw *w, uint32_t v, int n)
{
    while (n-- > 0) {
        if ((v >> n) & 1)
            w->b[w->bits / 8] |= (uint8_t)(0x80 >> (w->bits % 8));
        w->bits++;
    }
}
static void put_ue(struct bw *w, uint32_t v)
{
    int n = 0;
    while ((v + 1) >> (n + 1))
        n++;
    put(w, 0, n);
    put(w, v + 1, n + 1);
}

/* H.264 High (or Baseline) 1920x1088 at level 4.0 without a VUI */
static size_t sps_without_vui(uint8_t *out, unsigned profile)
{
    struct bw w = {{0}, 0};
    put(&w, 0, 24);
    put(&w, 1, 8); /* start code 00 00 00 01 */
    put(&w, 0x67, 8);
    put(&w, profile, 8);
    put(&w, 0, 8);
    put(&w, 40, 8);
    put_ue(&w, 0);
    if (profile == 100) {
        put_ue(&w, 1);
        put_ue(&w, 0);
        put_ue(&w, 0);
        put(&w, 0, 2); /* qpprime, no scaling matrix */
    }
    put_ue(&w, 0);
    put_ue(&w, 0);
    put_ue(&w, 2);
    put_ue(&w, 4);
    put(&w, 0, 1);
    put_ue(&w, 119);
    put_ue(&w, 67);
    put(&w, 1, 1);
    put(&w, 1, 1);
    put(&w, 0, 1);
    put(&w, 0, 1); /* no VUI */
    put(&w, 1, 1); /* rbsp stop bit */
    size_t n = (w.bits + 7) / 8;
    memcpy(out, w.b, n);
    return n;
}

static void test_reorder_depth(void)
{
    CHECK_EQ_INT(h26x_reorder_depth(AV_CODEC_ID_H264, sps_x264_bf0, sizeof sps_x264_bf0), 0);
    CHECK_EQ_INT(h26x_reorder_depth(AV_CODEC_ID_H264, sps_x264_bf1, sizeof sps_x264_bf1), 1);
    CHECK_EQ_INT(h26x_reorder_depth(AV_CODEC_ID_H264, sps_x264_pyramid, sizeof sps_x264_pyramid), 2);
    CHECK_EQ_INT(h26x_reorder_depth(AV_CODEC_ID_HEVC, sps_x265_bf0, sizeof sps_x265_bf0), 0);
    CHECK_EQ_INT(h26x_reorder_depth(AV_CODEC_ID_HEVC, sps_x265_default, sizeof sps_x265_default), 2);
    /* no VUI: High infers MaxDpbFrames (level 4.0: 32768 / 8160 macroblocks = 4), Baseline 0 */
    uint8_t b[64];
    size_t n = sps_without_vui(b, 100);
    CHECK_EQ_INT(h26x_reorder_depth(AV_CODEC_ID_H264, b, n), 4);
    n = sps_without_vui(b, 66);
    CHECK_EQ_INT(h26x_reorder_depth(AV_CODEC_ID_H264, b, n), 0);
    /* cut short, absent, or the wrong codec: unknown, never a crash */
    CHECK_EQ_INT(h26x_reorder_depth(AV_CODEC_ID_H264, sps_x264_pyramid, 12), -1);
    CHECK_EQ_INT(h26x_reorder_depth(AV_CODEC_ID_HEVC, sps_x265_default, 20), -1);
    CHECK_EQ_INT(h26x_reorder_depth(AV_CODEC_ID_H264, NULL, 0), -1);
    CHECK_EQ_INT(h26x_reorder_depth(AV_CODEC_ID_HEVC, sps_x264_bf1, sizeof sps_x264_bf1), -1);
    for (size_t cut = 4; cut < sizeof sps_x265_default; cut++)
        CHECK(h26x_reorder_depth(AV_CODEC_ID_HEVC, sps_x265_default, cut) <= 16);
}

int main(void)
{
    RUN(test_reorder_depth);
    RUN(test_codec_string);
    RUN(test_find_sps_h264);
    RUN(test_extract_h264);
    RUN(test_hevc);
    RUN(test_garbage_never_crashes);
    return check_summary();
}
