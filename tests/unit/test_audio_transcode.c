/* SPDX-License-Identifier: Apache-2.0 */
/* test_audio_transcode.c - G.711 to FLAC (nvr/media/audio_transcode.c): a 1 kHz
 * sine as µ-law at 8 kHz and A-law at 16 kHz, in 20 ms packets like a
 * camera's, comes out as FLAC frames of 2048 samples with continuous
 * timestamps from the first input pts, and decodes back to exactly the
 * G.711 decoder's samples (lossless), a 1 kHz tone at the right level; lost
 * packets become silence (exactly zero, at their place) without breaking
 * the timeline; a flush empties the encoder; every code of both laws comes
 * out as libavcodec's G.711 decoder makes it.  Also prints the CPU cost:
 * CPU-seconds per stream-minute. */
#include "media/audio_transcode.h"

#include "check.h"
#include "base/err.h"

#include <libavutil/channel_layout.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#define AMPLITUDE 0.5   /* -6 dBFS peak, -9 dBFS RMS */

/* Encodes n samples of the sine, starting at sample `first`, with the
 * libavcodec encoder of `codec` into pkt. */
static void make_packet(AVCodecContext *enc, AVPacket *pkt, int64_t first, int n, int rate)
{
    AVFrame *f = av_frame_alloc();
    f->format = AV_SAMPLE_FMT_S16;
    f->sample_rate = rate;
    f->nb_samples = n;
    av_channel_layout_default(&f->ch_layout, 1);
    CHECK(av_frame_get_buffer(f, 0) == 0);
    int16_t *s = (int16_t *)f->data[0];
    for (int i = 0; i < n; i++)
        s[i] = (int16_t)lrint(32767.0 * AMPLITUDE * sin(2 * M_PI * 1000.0 * (double)(first + i) / rate));
    f->pts = first;
    CHECK(avcodec_send_frame(enc, f) == 0);
    CHECK(avcodec_receive_packet(enc, pkt) == 0);
    pkt->pts = pkt->dts = first;
    av_frame_free(&f);
}

/* The samples a G.711 decoder makes of pkt, into dst (n of them). */
static void law_decode(AVCodecContext *dec, const AVPacket *pkt, int16_t *dst, int n)
{
    AVFrame *f = av_frame_alloc();
    CHECK(avcodec_send_packet(dec, pkt) == 0);
    CHECK(avcodec_receive_frame(dec, f) == 0);
    CHECK_EQ_INT(f->nb_samples, n);
    if (f->nb_samples == n)
        memcpy(dst, f->data[0], (size_t)n * sizeof *dst);
    av_frame_free(&f);
}

static AVCodecContext *law_encoder(enum AVCodecID id, int rate)
{
    const AVCodec *c = avcodec_find_encoder(id);
    AVCodecContext *e = avcodec_alloc_context3(c);
    e->sample_fmt = AV_SAMPLE_FMT_S16;
    e->sample_rate = rate;
    e->time_base = (AVRational){1, rate};
    av_channel_layout_default(&e->ch_layout, 1);
    CHECK(avcodec_open2(e, c, NULL) == 0);
    return e;
}

struct result {
    int packets;
    int64_t mismatches;  /* decoded samples that differ from what G.711 decodes to */
    int64_t first_pts, last_pts;
    int gaps;            /* consecutive packets not 1024 apart */
    double rms_db;       /* of the decoded audio after the first 0.5 s */
    double crossings_per_s;
    double cpu_s;        /* transcode only */
    int64_t decoded_samples;
};

/* Sends `seconds` of the sine as law packets of 20 ms through a transcoder,
 * skipping the packets whose index is in [lose_from, lose_to), flushes, and
 * decodes the FLAC back, comparing every sample with what the G.711 decoder
 * makes of the packets sent (zero for the lost ones and the padding). */
static struct result run(enum AVCodecID law, int rate, int seconds, int lose_from, int lose_to, int64_t pts0)
{
    struct result r = {.first_pts = AV_NOPTS_VALUE};
    struct audio_transcode *t = NULL;
    CHECK_EQ_INT(audio_transcode_create(&t, law, rate, 1, "test"), NVR_OK);
    if (!t)
        return r;
    const AVCodecParameters *par = audio_transcode_params(t);
    CHECK_EQ_INT(par->codec_id, AV_CODEC_ID_FLAC);
    CHECK_EQ_INT(par->sample_rate, rate);
    CHECK_EQ_INT(par->frame_size, 2048);
    CHECK_EQ_INT(par->ch_layout.nb_channels, 1);
    CHECK_EQ_INT(par->extradata_size, 34); /* STREAMINFO */
    CHECK_EQ_INT(audio_transcode_time_base(t).den, rate);

    const AVCodec *adec = avcodec_find_decoder(AV_CODEC_ID_FLAC);
    AVCodecContext *dec = avcodec_alloc_context3(adec);
    CHECK(avcodec_parameters_to_context(dec, par) == 0);
    CHECK(avcodec_open2(dec, adec, NULL) == 0);
    AVCodecContext *lawenc = law_encoder(law, rate);
    const AVCodec *ld = avcodec_find_decoder(law);
    AVCodecContext *lawdec = avcodec_alloc_context3(ld);
    lawdec->sample_rate = rate;
    av_channel_layout_default(&lawdec->ch_layout, 1);
    CHECK(avcodec_open2(lawdec, ld, NULL) == 0);
    AVPacket *in = av_packet_alloc(), *out = av_packet_alloc();
    AVFrame *f = av_frame_alloc();
    int per = rate / 50, n = seconds * 50;
    int64_t total = (int64_t)n * per;
    int16_t *want = calloc((size_t)total, sizeof *want); /* zero: lost */
    double sumsq = 0;
    int64_t counted = 0, crossings = 0;
    double prev = 0;
    clock_t cpu = 0;
    for (int i = 0; i <= n; i++) {
        clock_t c0;
        if (i < n) {
            make_packet(lawenc, in, (int64_t)i * per, per, rate);
            in->pts = in->dts = pts0 + (int64_t)i * per;
            int keep = i < lose_from || i >= lose_to;
            if (keep)
                law_decode(lawdec, in, want + (int64_t)i * per, per);
            c0 = clock();
            if (keep)
                CHECK_EQ_INT(audio_transcode_send(t, in), NVR_OK);
            av_packet_unref(in);
        } else {
            c0 = clock();
            CHECK_EQ_INT(audio_transcode_send(t, NULL), NVR_OK);
        }
        int got;
        while ((got = audio_transcode_receive(t, out)) == 1) {
            cpu += clock() - c0;
            CHECK_EQ_INT(out->stream_index, 1);
            CHECK(out->flags & AV_PKT_FLAG_KEY);
            CHECK_EQ_INT(out->dts, out->pts);
            if (r.first_pts == AV_NOPTS_VALUE)
                r.first_pts = out->pts;
            else if (out->pts - r.last_pts != 2048)
                r.gaps++;
            r.last_pts = out->pts;
            r.packets++;
            CHECK(avcodec_send_packet(dec, out) == 0);
            while (avcodec_receive_frame(dec, f) == 0) {
                const int16_t *s = (const int16_t *)f->data[0];
                CHECK_EQ_INT(f->format, AV_SAMPLE_FMT_S16);
                for (int k = 0; k < f->nb_samples; k++, r.decoded_samples++) {
                    int64_t at = f->pts - pts0 + k; /* the sample's place on the input timeline */
                    if (s[k] != (at >= 0 && at < total ? want[at] : 0))
                        r.mismatches++;
                    if (r.decoded_samples < rate / 2 || at >= total)
                        continue;
                    double v = s[k] / 32768.0;
                    sumsq += v * v;
                    counted++;
                    if ((prev < 0) != (v < 0))
                        crossings++;
                    prev = v;
                }
                av_frame_unref(f);
            }
            av_packet_unref(out);
            c0 = clock();
        }
        cpu += clock() - c0;
        CHECK(got == 0);
    }
    r.cpu_s = (double)cpu / CLOCKS_PER_SEC;
    r.rms_db = counted ? 10 * log10(sumsq / (double)counted) : -200;
    r.crossings_per_s = counted ? (double)crossings / ((double)counted / rate) : 0;
    CHECK_EQ_INT(audio_transcode_receive(t, out), 0); /* flushed: nothing more */
    av_frame_free(&f);
    av_packet_free(&in);
    av_packet_free(&out);
    avcodec_free_context(&lawenc);
    avcodec_free_context(&lawdec);
    free(want);
    avcodec_free_context(&dec);
    audio_transcode_destroy(&t);
    CHECK(t == NULL);
    audio_transcode_destroy(&t); /* tolerates NULL */
    return r;
}

static void test_pcmu_8k_60s(void)
{
    struct result r = run(AV_CODEC_ID_PCM_MULAW, 8000, 60, -1, -1, 0);
    /* 60 s = 234.375 frames of input, the last one padded */
    CHECK_EQ_INT(r.packets, 235);
    CHECK_EQ_INT(r.first_pts, 0); /* no priming delay */
    CHECK_EQ_INT(r.gaps, 0);
    CHECK_EQ_INT(r.last_pts, 234 * 2048);
    CHECK_EQ_INT(r.decoded_samples, 235 * 2048);
    CHECK_EQ_INT(r.mismatches, 0); /* lossless */
    CHECK(r.rms_db > -10 && r.rms_db < -8); /* a sine of amplitude 0.5 is -9 dBFS */
    CHECK(r.crossings_per_s > 1950 && r.crossings_per_s < 2050); /* 1 kHz */
    printf("pcmu 8 kHz mono: %d FLAC packets, %lld samples differ, rms %.2f dBFS, %.0f zero crossings/s, "
           "transcode CPU %.3f s for 60 s of audio = %.4f CPU-s per stream-minute\n",
           r.packets, (long long)r.mismatches, r.rms_db, r.crossings_per_s, r.cpu_s, r.cpu_s);
}

static void test_pcma_16k(void)
{
    struct result r = run(AV_CODEC_ID_PCM_ALAW, 16000, 60, -1, -1, 123456);
    CHECK_EQ_INT(r.first_pts, 123456);
    CHECK_EQ_INT(r.gaps, 0);
    CHECK_EQ_INT(r.packets, 469); /* 468.75, the last padded */
    CHECK_EQ_INT(r.mismatches, 0);
    CHECK(r.rms_db > -10 && r.rms_db < -8);
    CHECK(r.crossings_per_s > 1950 && r.crossings_per_s < 2050);
    printf("pcma 16 kHz mono: %d FLAC packets, %lld samples differ, rms %.2f dBFS, transcode CPU %.3f s for 60 s "
           "of audio = %.4f CPU-s per stream-minute\n",
           r.packets, (long long)r.mismatches, r.rms_db, r.cpu_s, r.cpu_s);
}

/* 0.5 s of lost packets: filled with silence at their place (the
 * comparison wants zeros there), the timeline stays whole. */
static void test_loss_filled(void)
{
    struct result r = run(AV_CODEC_ID_PCM_MULAW, 8000, 5, 100, 125, 0);
    CHECK_EQ_INT(r.gaps, 0);
    CHECK_EQ_INT(r.packets, 20); /* 19.53, the last padded */
    CHECK_EQ_INT(r.decoded_samples, 20 * 2048);
    CHECK_EQ_INT(r.mismatches, 0);
}

/* A jump of 10 s (a camera restarting its clock): a new start, no 10 s of silence. */
static void test_jump_restarts(void)
{
    struct result r = run(AV_CODEC_ID_PCM_MULAW, 8000, 2, -1, -1, 0);
    CHECK_EQ_INT(r.gaps, 0);
    struct audio_transcode *t = NULL;
    CHECK_EQ_INT(audio_transcode_create(&t, AV_CODEC_ID_PCM_MULAW, 8000, 1, "test"), NVR_OK);
    AVPacket *in = av_packet_alloc(), *out = av_packet_alloc();
    uint8_t *buf = av_mallocz(160 + AV_INPUT_BUFFER_PADDING_SIZE);
    int packets = 0;
    for (int i = 0; i < 100; i++) {
        CHECK(av_new_packet(in, 160) == 0);
        memset(in->data, 0xff, 160);
        in->pts = (i < 50 ? 0 : 80000) + (int64_t)i * 160;
        CHECK_EQ_INT(audio_transcode_send(t, in), NVR_OK);
        av_packet_unref(in);
        while (audio_transcode_receive(t, out) == 1) {
            packets++;
            av_packet_unref(out);
        }
    }
    CHECK(packets < 20); /* 16000 samples of input: not 80000 of silence */
    av_free(buf);
    av_packet_free(&in);
    av_packet_free(&out);
    audio_transcode_destroy(&t);
}

/* Every one of the 256 codes of both laws comes out as libavcodec's G.711
 * decoder makes it (the transcoder expands G.711 itself). */
static void test_every_code(void)
{
    for (int alaw = 0; alaw <= 1; alaw++) {
        enum AVCodecID law = alaw ? AV_CODEC_ID_PCM_ALAW : AV_CODEC_ID_PCM_MULAW;
        struct audio_transcode *t = NULL;
        CHECK_EQ_INT(audio_transcode_create(&t, law, 8000, 1, "test"), NVR_OK);
        if (!t)
            return;
        AVPacket *in = av_packet_alloc(), *out = av_packet_alloc();
        CHECK(av_new_packet(in, 2048) == 0);
        for (int i = 0; i < 2048; i++)
            in->data[i] = (uint8_t)(i * 7); /* 7 is odd: every code, 8 times */
        in->pts = in->dts = 0;
        int16_t want[2048];
        const AVCodec *ld = avcodec_find_decoder(law);
        AVCodecContext *lawdec = avcodec_alloc_context3(ld);
        lawdec->sample_rate = 8000;
        av_channel_layout_default(&lawdec->ch_layout, 1);
        CHECK(avcodec_open2(lawdec, ld, NULL) == 0);
        law_decode(lawdec, in, want, 2048);
        CHECK_EQ_INT(audio_transcode_send(t, in), NVR_OK);
        CHECK_EQ_INT(audio_transcode_receive(t, out), 1);
        const AVCodec *fd = avcodec_find_decoder(AV_CODEC_ID_FLAC);
        AVCodecContext *dec = avcodec_alloc_context3(fd);
        CHECK(avcodec_parameters_to_context(dec, audio_transcode_params(t)) == 0);
        CHECK(avcodec_open2(dec, fd, NULL) == 0);
        AVFrame *f = av_frame_alloc();
        CHECK(avcodec_send_packet(dec, out) == 0);
        CHECK(avcodec_receive_frame(dec, f) == 0);
        CHECK_EQ_INT(f->nb_samples, 2048);
        int differ = 0;
        for (int i = 0; i < 2048 && f->nb_samples == 2048; i++)
            differ += ((const int16_t *)f->data[0])[i] != want[i];
        CHECK_EQ_INT(differ, 0);
        av_frame_free(&f);
        avcodec_free_context(&dec);
        avcodec_free_context(&lawdec);
        av_packet_free(&in);
        av_packet_free(&out);
        audio_transcode_destroy(&t);
    }
}

static void test_bad_args(void)
{
    struct audio_transcode *t = (struct audio_transcode *)1;
    CHECK_EQ_INT(audio_transcode_create(&t, AV_CODEC_ID_ADPCM_G726, 8000, 1, "test"), NVR_EINVAL);
    CHECK(t == NULL);
    CHECK_EQ_INT(audio_transcode_create(&t, AV_CODEC_ID_PCM_MULAW, 0, 1, "test"), NVR_EINVAL);
    CHECK_EQ_INT(audio_transcode_create(&t, AV_CODEC_ID_PCM_ALAW, 8000, 6, "test"), NVR_EINVAL);
}

int main(void)
{
    RUN(test_pcmu_8k_60s);
    RUN(test_pcma_16k);
    RUN(test_loss_filled);
    RUN(test_jump_restarts);
    RUN(test_every_code);
    RUN(test_bad_args);
    return check_summary();
}
