/* SPDX-License-Identifier: Apache-2.0 */
/* test_audio_transcode.c - G.711 to AAC (nvr/media/audio_transcode.c): a 1 kHz sine
 * as µ-law at 8 kHz and A-law at 16 kHz, in 20 ms packets like a camera's,
 * comes out as AAC-LC frames of 1024 samples with continuous timestamps, and
 * decodes back to a 1 kHz tone at the right level; lost packets become
 * silence without breaking the timeline; a flush empties the encoder.  Also
 * prints the CPU cost: CPU-seconds per stream-minute for 8 kHz mono. */
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
    int64_t first_pts, last_pts;
    int gaps;            /* consecutive packets not 1024 apart */
    double rms_db;       /* of the decoded audio after the first 0.5 s */
    double crossings_per_s;
    double cpu_s;        /* transcode only */
    int64_t decoded_samples;
};

/* Sends `seconds` of the sine as law packets of 20 ms through a transcoder,
 * skipping the packets whose index is in [lose_from, lose_to), flushes, and
 * decodes the AAC back. */
static struct result run(enum AVCodecID law, int rate, int seconds, int lose_from, int lose_to, int64_t pts0)
{
    struct result r = {.first_pts = AV_NOPTS_VALUE};
    struct audio_transcode *t = NULL;
    CHECK_EQ_INT(audio_transcode_create(&t, law, rate, 1, "test"), NVR_OK);
    if (!t)
        return r;
    const AVCodecParameters *par = audio_transcode_params(t);
    CHECK_EQ_INT(par->codec_id, AV_CODEC_ID_AAC);
    CHECK_EQ_INT(par->sample_rate, rate);
    CHECK_EQ_INT(par->frame_size, 1024);
    CHECK_EQ_INT(par->ch_layout.nb_channels, 1);
    CHECK(par->extradata_size >= 2); /* AudioSpecificConfig */
    CHECK_EQ_INT(audio_transcode_time_base(t).den, rate);

    const AVCodec *adec = avcodec_find_decoder(AV_CODEC_ID_AAC);
    AVCodecContext *dec = avcodec_alloc_context3(adec);
    CHECK(avcodec_parameters_to_context(dec, par) == 0);
    CHECK(avcodec_open2(dec, adec, NULL) == 0);
    AVCodecContext *lawenc = law_encoder(law, rate);
    AVPacket *in = av_packet_alloc(), *out = av_packet_alloc();
    AVFrame *f = av_frame_alloc();
    int per = rate / 50, n = seconds * 50;
    double sumsq = 0;
    int64_t counted = 0, crossings = 0;
    float prev = 0;
    clock_t cpu = 0;
    for (int i = 0; i <= n; i++) {
        clock_t c0;
        if (i < n) {
            make_packet(lawenc, in, (int64_t)i * per, per, rate);
            in->pts = in->dts = pts0 + (int64_t)i * per;
            c0 = clock();
            if (i < lose_from || i >= lose_to)
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
            else if (out->pts - r.last_pts != 1024)
                r.gaps++;
            r.last_pts = out->pts;
            r.packets++;
            CHECK(avcodec_send_packet(dec, out) == 0);
            while (avcodec_receive_frame(dec, f) == 0) {
                const float *s = (const float *)f->data[0];
                for (int k = 0; k < f->nb_samples; k++, r.decoded_samples++) {
                    if (r.decoded_samples < rate / 2)
                        continue;
                    sumsq += (double)s[k] * s[k];
                    counted++;
                    if ((prev < 0) != (s[k] < 0))
                        crossings++;
                    prev = s[k];
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
    avcodec_free_context(&dec);
    audio_transcode_destroy(&t);
    CHECK(t == NULL);
    audio_transcode_destroy(&t); /* tolerates NULL */
    return r;
}

static void test_pcmu_8k_60s(void)
{
    struct result r = run(AV_CODEC_ID_PCM_MULAW, 8000, 60, -1, -1, 0);
    /* 60 s = 468.75 frames of input, + the priming frame, last one padded */
    CHECK(r.packets >= 469 && r.packets <= 471);
    CHECK_EQ_INT(r.first_pts, -1024); /* the encoder's priming delay */
    CHECK_EQ_INT(r.gaps, 0);
    CHECK(r.last_pts >= 60 * 8000 - 1024);
    CHECK(r.rms_db > -10 && r.rms_db < -8); /* a sine of amplitude 0.5 is -9 dBFS */
    CHECK(r.crossings_per_s > 1950 && r.crossings_per_s < 2050); /* 1 kHz */
    printf("pcmu 8 kHz mono: %d AAC packets, rms %.2f dBFS, %.0f zero crossings/s, "
           "transcode CPU %.3f s for 60 s of audio = %.4f CPU-s per stream-minute\n",
           r.packets, r.rms_db, r.crossings_per_s, r.cpu_s, r.cpu_s);
}

static void test_pcma_16k(void)
{
    struct result r = run(AV_CODEC_ID_PCM_ALAW, 16000, 60, -1, -1, 123456);
    CHECK_EQ_INT(r.first_pts, 123456 - 1024);
    CHECK_EQ_INT(r.gaps, 0);
    CHECK(r.packets >= 939 && r.packets <= 941); /* 937.5 + priming + padded last */
    CHECK(r.rms_db > -10 && r.rms_db < -8);
    CHECK(r.crossings_per_s > 1950 && r.crossings_per_s < 2050);
    printf("pcma 16 kHz mono: %d AAC packets, rms %.2f dBFS, transcode CPU %.3f s for 60 s of audio = %.4f "
           "CPU-s per stream-minute\n", r.packets, r.rms_db, r.cpu_s, r.cpu_s);
}

/* 0.5 s of lost packets: filled with silence, the timeline stays whole. */
static void test_loss_filled(void)
{
    struct result r = run(AV_CODEC_ID_PCM_MULAW, 8000, 5, 100, 125, 0);
    CHECK_EQ_INT(r.gaps, 0);
    CHECK(r.packets >= 40 && r.packets <= 41); /* 39.06 + priming + padded last */
    CHECK(r.decoded_samples >= 5 * 8000);
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
    RUN(test_bad_args);
    return check_summary();
}
