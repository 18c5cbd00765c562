/* SPDX-License-Identifier: Apache-2.0 */
/* test_flac_enc.c - the FLAC encoder (nvr/media/flac_enc.c) against FFmpeg's
 * FLAC decoder as the independent reader, with its CRC checks on
 * (AV_EF_CRCCHECK | AV_EF_EXPLODE: a bad CRC-8 or CRC-16 is an error):
 * every frame decodes to exactly the samples given (F2), never larger than
 * flac_frame_bound (F1), over signals that take each coding -- silence and
 * a constant (CONSTANT), a sine and G.711-decoded speech-like noise (FIXED),
 * full-scale noise and a full-scale square wave (VERBATIM, the largest
 * residuals) -- block sizes with every kind of header code (192, 256,
 * 2048, 4096, 576, 1152, 100, 1000, 1, 16), stereo, sample rates from the table and
 * not (11025 Hz), and frame numbers of every UTF-8 length.  Prints the size
 * beside FFmpeg's own encoder (level 5) and the encoder's CPU cost. */
#include "media/flac_enc.h"

#include "check.h"
#include "base/err.h"

#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint32_t rng = 12345;

static uint32_t next(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* The linear value of a G.711 u-law byte (ITU-T G.711). */
static int16_t ulaw(uint8_t u)
{
    u = (uint8_t)~u;
    int t = ((u & 0x0F) << 3) + 0x84;
    t <<= (u & 0x70) >> 4;
    return (int16_t)(u & 0x80 ? 0x84 - t : t - 0x84);
}

static int cmp16(const void *a, const void *b)
{
    return *(const int16_t *)a - *(const int16_t *)b;
}

/* y as a G.711 u-law camera would send it, decoded: the nearest level. */
static int g711(double y)
{
    static int16_t levels[256];
    static int ready;
    if (!ready) {
        for (int i = 0; i < 256; i++)
            levels[i] = ulaw((uint8_t)i);
        qsort(levels, 256, sizeof *levels, cmp16);
        ready = 1;
    }
    int lo = 0, hi = 255;
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (levels[mid] <= y)
            lo = mid;
        else
            hi = mid;
    }
    return fabs(levels[lo] - y) <= fabs(levels[hi] - y) ? levels[lo] : levels[hi];
}

enum signal { SILENCE, CONSTANT, SINE, SPEECHY, NOISE, SQUARE };

static void make(enum signal s, int16_t *x, int n, int channels, int rate, int64_t first)
{
    for (int i = 0; i < n; i++)
        for (int c = 0; c < channels; c++) {
            int64_t t = first + i;
            int v = 0;
            switch (s) {
            case SILENCE: v = 0; break;
            case CONSTANT: v = -1234; break;
            case SINE: v = (int)lrint(16000 * sin(2 * M_PI * (1000.0 + 300 * c) * (double)t / rate)); break;
            case SPEECHY: { /* a wobbling tone plus noise, through G.711 */
                double a = 6000 * (1 + sin(2 * M_PI * 3 * (double)t / rate));
                v = g711(a * sin(2 * M_PI * 440 * (double)t / rate) + (double)((int)(next() % 2001) - 1000));
                break;
            }
            case NOISE: v = (int)(next() & 0xFFFF) - 32768; break;
            case SQUARE: v = (t / 3) % 2 ? 32767 : -32768; break;
            }
            x[(size_t)i * (size_t)channels + (size_t)c] = (int16_t)v;
        }
}

struct run {
    size_t bytes, ffmpeg_bytes;
    int frames, bad;
    double cpu_s;
};

/* Encodes nframes frames of the signal and decodes them with FFmpeg. */
static struct run roundtrip(enum signal s, int n, int channels, int rate, int nframes, uint32_t first_frame)
{
    struct run r = {0};
    uint8_t si[FLAC_STREAMINFO_BYTES];
    flac_streaminfo(si, rate, channels, n);
    const AVCodec *dc = avcodec_find_decoder(AV_CODEC_ID_FLAC);
    AVCodecContext *dec = avcodec_alloc_context3(dc);
    dec->extradata = av_mallocz(FLAC_STREAMINFO_BYTES + AV_INPUT_BUFFER_PADDING_SIZE);
    memcpy(dec->extradata, si, FLAC_STREAMINFO_BYTES);
    dec->extradata_size = FLAC_STREAMINFO_BYTES;
    dec->err_recognition = AV_EF_CRCCHECK | AV_EF_EXPLODE;
    CHECK(avcodec_open2(dec, dc, NULL) == 0);
    CHECK_EQ_INT(dec->sample_rate, rate);
    CHECK_EQ_INT(dec->ch_layout.nb_channels, channels);
    size_t cap = flac_frame_bound(n, channels);
    int16_t *x = malloc((size_t)n * (size_t)channels * sizeof *x);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *f = av_frame_alloc();
    clock_t cpu = 0;
    for (int k = 0; k < nframes; k++) {
        make(s, x, n, channels, rate, (int64_t)k * n);
        CHECK(av_new_packet(pkt, (int)cap) == 0);
        size_t len = 0;
        clock_t c0 = clock();
        int rc = flac_encode_frame(x, n, channels, rate, first_frame + (uint32_t)k, pkt->data, cap, &len);
        cpu += clock() - c0;
        CHECK_EQ_INT(rc, NVR_OK);
        CHECK(len > 0 && len <= cap);
        av_shrink_packet(pkt, (int)len);
        r.bytes += len;
        r.frames++;
        int ret = avcodec_send_packet(dec, pkt);
        if (ret != 0) {
            r.bad++;
            av_packet_unref(pkt);
            continue;
        }
        ret = avcodec_receive_frame(dec, f);
        if (ret != 0 || f->nb_samples != n || f->format != AV_SAMPLE_FMT_S16 ||
            memcmp(f->data[0], x, (size_t)n * (size_t)channels * sizeof *x) != 0)
            r.bad++;
        av_frame_unref(f);
        av_packet_unref(pkt);
    }
    r.cpu_s = (double)cpu / CLOCKS_PER_SEC;
    av_frame_free(&f);
    av_packet_free(&pkt);
    free(x);
    avcodec_free_context(&dec);
    return r;
}

static void test_every_coding_decodes_exactly(void)
{
    static const char *names[] = {"silence", "constant", "sine", "speechy", "noise", "square"};
    for (int s = SILENCE; s <= SQUARE; s++)
        for (int channels = 1; channels <= 2; channels++) {
            struct run r = roundtrip((enum signal)s, 2048, channels, 8000, 8, 0);
            CHECK_EQ_INT(r.bad, 0);
            CHECK_EQ_INT(r.frames, 8);
            if (r.bad)
                printf("%s, %d channel(s): %d of %d frames do not decode to their samples\n", names[s], channels,
                       r.bad, r.frames);
            if (s == SILENCE)
                CHECK(r.bytes < 8 * 16); /* CONSTANT: a few bytes a frame */
            if (s == NOISE || s == SQUARE) /* VERBATIM at most */
                CHECK(r.bytes <= 8 * flac_frame_bound(2048, channels));
        }
}

static void test_block_sizes_rates_and_frame_numbers(void)
{
    static const int sizes[] = {192, 256, 2048, 4096, 576, 1152, 100, 1000, 1, 16};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        struct run r = roundtrip(SPEECHY, sizes[i], 1, 8000, 3, 0);
        CHECK_EQ_INT(r.bad, 0);
    }
    static const int rates[] = {8000, 16000, 11025, 48000, 44100};
    for (size_t i = 0; i < sizeof rates / sizeof *rates; i++) {
        struct run r = roundtrip(SINE, 2048, 1, rates[i], 3, 0);
        CHECK_EQ_INT(r.bad, 0);
    }
    /* frame numbers of 1 to 6 UTF-8 bytes, and the wrap at 2^31 */
    static const uint32_t numbers[] = {0, 126, 2046, 65534, 2097150, 67108862, 0x7FFFFFFE, 0xFFFFFFFEu};
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++) {
        struct run r = roundtrip(SPEECHY, 2048, 1, 8000, 3, numbers[i]);
        CHECK_EQ_INT(r.bad, 0);
    }
}

static void test_bad_args(void)
{
    int16_t x[4] = {0};
    uint8_t out[64];
    size_t len = 7;
    CHECK_EQ_INT(flac_encode_frame(x, 0, 1, 8000, 0, out, sizeof out, &len), NVR_EINVAL);
    CHECK_EQ_INT(len, 0);
    CHECK_EQ_INT(flac_encode_frame(x, 4, 3, 8000, 0, out, sizeof out, &len), NVR_EINVAL);
    CHECK_EQ_INT(flac_encode_frame(x, 4, 1, 8000, 0, out, 8, &len), NVR_EINVAL); /* cap below the bound */
    CHECK_EQ_INT(flac_encode_frame(x, FLAC_MAX_BLOCK + 1, 1, 8000, 0, out, sizeof out, &len), NVR_EINVAL);
}

/* Size and CPU beside FFmpeg's encoder (compression level 5, its default)
 * on 60 s of the speech-like G.711 signal at 8 kHz. */
static void test_size_and_cost(void)
{
    struct run r = roundtrip(SPEECHY, 2048, 1, 8000, 235, 0);
    CHECK_EQ_INT(r.bad, 0);
    const AVCodec *ec = avcodec_find_encoder(AV_CODEC_ID_FLAC);
    AVCodecContext *enc = avcodec_alloc_context3(ec);
    enc->sample_fmt = AV_SAMPLE_FMT_S16;
    enc->sample_rate = 8000;
    enc->frame_size = 2048;
    enc->time_base = (AVRational){1, 8000};
    av_channel_layout_default(&enc->ch_layout, 1);
    CHECK(avcodec_open2(enc, ec, NULL) == 0);
    AVFrame *f = av_frame_alloc();
    AVPacket *p = av_packet_alloc();
    f->format = AV_SAMPLE_FMT_S16;
    f->sample_rate = 8000;
    f->nb_samples = 2048;
    av_channel_layout_default(&f->ch_layout, 1);
    CHECK(av_frame_get_buffer(f, 0) == 0);
    rng = 12345;
    int16_t *all = malloc(235 * 2048 * sizeof *all);
    make(SPEECHY, all, 235 * 2048, 1, 8000, 0);
    clock_t c0 = clock();
    for (int k = 0; k < 235; k++) {
        CHECK(av_frame_make_writable(f) == 0);
        memcpy(f->data[0], all + (size_t)k * 2048, 2048 * sizeof *all);
        f->pts = (int64_t)k * 2048;
        CHECK(avcodec_send_frame(enc, f) == 0);
        while (avcodec_receive_packet(enc, p) == 0) {
            r.ffmpeg_bytes += (size_t)p->size;
            av_packet_unref(p);
        }
    }
    double ff_cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    printf("60 s of 8 kHz G.711 speech-like audio: flac_enc %zu bytes (%.1f kbit/s), %.4f CPU s; "
           "FFmpeg flac level 5 %zu bytes (%.1f kbit/s), %.4f CPU s\n",
           r.bytes, (double)r.bytes * 8 / 60 / 1000, r.cpu_s, r.ffmpeg_bytes,
           (double)r.ffmpeg_bytes * 8 / 60 / 1000, ff_cpu);
    CHECK(r.bytes < 235u * 2 * 2048); /* smaller than the 16-bit samples */
    free(all);
    av_frame_free(&f);
    av_packet_free(&p);
    avcodec_free_context(&enc);
}

int main(void)
{
    RUN(test_every_coding_decodes_exactly);
    RUN(test_block_sizes_rates_and_frame_numbers);
    RUN(test_bad_args);
    RUN(test_size_and_cost);
    return check_summary();
}
