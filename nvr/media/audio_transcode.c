/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audio_transcode.c - G.711 to AAC-LC for the ingest (see audio_transcode.h).
 *
 * Pipeline: pcm_mulaw/pcm_alaw decoder (signed 16-bit interleaved out) ->
 * conversion to planar float (what the `aac` encoder takes; a plain scale,
 * no resampling: the encoder accepts 8 and 16 kHz) -> a FIFO that cuts
 * frames of exactly 1024 samples -> the `aac` encoder.
 *
 * Timestamps: `fifo_pts` is the pts (1/sample_rate) of the first sample in
 * the FIFO; each input packet is placed at its own pts: a gap is filled with
 * silence (up to MAX_GAP_S), an overlap loses the repeated samples, a larger
 * jump flushes the partial frame (padded with silence) and restarts the FIFO
 * at the new pts.  Each frame handed to the encoder carries fifo_pts; the
 * encoder subtracts its priming delay.
 *
 * The encoder's packets are drained into a queue right after every frame
 * sent (libavcodec refuses a frame while a packet waits), and receive takes
 * them from there.
 *
 * State: `flushing` once send(NULL) was called; after that only receive.
 */
#include "media/audio_transcode.h"

#include "base/err.h"
#include "base/log.h"

#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <stdlib.h>
#include <string.h>

#define AAC_FRAME 1024
#define MAX_GAP_S 2

struct audio_transcode {
    const char *camera;
    int rate, channels;
    AVCodecContext *dec, *enc;
    AVCodecParameters *par;   /* the encoder's, for the muxer */
    AVFrame *decoded, *frame; /* decoder output; encoder input */
    AVAudioFifo *fifo;        /* planar float */
    int have_pts;
    int64_t fifo_pts; /* pts of the FIFO's first sample */
    AVPacket **q;     /* encoded packets not yet taken, q[qhead..qlen) */
    size_t qhead, qlen, qcap;
    int flushing;
    uint64_t filled, dropped; /* samples of silence inserted, samples dropped */
};

static nvr_err av_rc(int averr)
{
    return averr == AVERROR(ENOMEM) ? NVR_ENOMEM : NVR_ECODEC;
}

nvr_err audio_transcode_create(struct audio_transcode **out, enum AVCodecID in_codec, int sample_rate, int channels,
                               const char *camera)
{
    int rc = NVR_EINVAL;
    struct audio_transcode *t;
    const AVCodec *dc, *ec;
    *out = NULL;
    if ((in_codec != AV_CODEC_ID_PCM_MULAW && in_codec != AV_CODEC_ID_PCM_ALAW) || sample_rate < 8000 ||
        sample_rate > 48000 || channels < 1 || channels > 2)
        return NVR_EINVAL;
    if (!(t = calloc(1, sizeof *t)))
        return NVR_ENOMEM;
    t->camera = camera;
    t->rate = sample_rate;
    t->channels = channels;
    rc = NVR_ECODEC;
    if (!(dc = avcodec_find_decoder(in_codec)) || !(ec = avcodec_find_encoder_by_name("aac")))
        goto out;
    rc = NVR_ENOMEM;
    if (!(t->dec = avcodec_alloc_context3(dc)) || !(t->enc = avcodec_alloc_context3(ec)) ||
        !(t->par = avcodec_parameters_alloc()) || !(t->decoded = av_frame_alloc()) || !(t->frame = av_frame_alloc()))
        goto out;
    t->dec->sample_rate = sample_rate;
    av_channel_layout_default(&t->dec->ch_layout, channels);
    t->dec->time_base = (AVRational){1, sample_rate};
    rc = NVR_ECODEC;
    if (avcodec_open2(t->dec, dc, NULL) < 0)
        goto out;
    t->enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
    t->enc->sample_rate = sample_rate;
    av_channel_layout_default(&t->enc->ch_layout, channels);
    t->enc->time_base = (AVRational){1, sample_rate};
    t->enc->profile = FF_PROFILE_AAC_LOW;
    t->enc->bit_rate = (int64_t)channels * (sample_rate <= 8000 ? 24000 : 32000);
    t->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER; /* AudioSpecificConfig as extradata */
    if (avcodec_open2(t->enc, ec, NULL) < 0 || t->enc->frame_size != AAC_FRAME)
        goto out;
    rc = NVR_ENOMEM;
    if (avcodec_parameters_from_context(t->par, t->enc) < 0 ||
        !(t->fifo = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, channels, AAC_FRAME * 4)))
        goto out;
    t->frame->format = AV_SAMPLE_FMT_FLTP;
    t->frame->sample_rate = sample_rate;
    t->frame->nb_samples = AAC_FRAME;
    if (av_channel_layout_copy(&t->frame->ch_layout, &t->enc->ch_layout) < 0 || av_frame_get_buffer(t->frame, 0) < 0)
        goto out;
    *out = t;
    t = NULL;
    rc = NVR_OK;
out:
    audio_transcode_destroy(&t);
    return rc;
}

const AVCodecParameters *audio_transcode_params(const struct audio_transcode *t)
{
    return t->par;
}

AVRational audio_transcode_time_base(const struct audio_transcode *t)
{
    return (AVRational){1, t->rate};
}

/* Moves every packet the encoder has ready into the queue. */
static nvr_err drain(struct audio_transcode *t)
{
    for (;;) {
        if (t->qlen == t->qcap) {
            if (t->qhead > 0) {
                memmove(t->q, t->q + t->qhead, (t->qlen - t->qhead) * sizeof *t->q);
                t->qlen -= t->qhead;
                t->qhead = 0;
            } else {
                size_t cap = t->qcap ? t->qcap * 2 : 8;
                AVPacket **q = realloc(t->q, cap * sizeof *q);
                if (!q)
                    return NVR_ENOMEM;
                t->q = q;
                t->qcap = cap;
            }
        }
        AVPacket *p = av_packet_alloc();
        if (!p)
            return NVR_ENOMEM;
        int ret = avcodec_receive_packet(t->enc, p);
        if (ret < 0) {
            av_packet_free(&p);
            return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? NVR_OK : av_rc(ret);
        }
        t->q[t->qlen++] = p;
    }
}

/* Sends the FIFO's first n samples (n <= AAC_FRAME; fewer only at a flush or
 * a restart, padded with silence to a whole frame) to the encoder. */
static nvr_err encode_front(struct audio_transcode *t, int n)
{
    int ret = av_frame_make_writable(t->frame);
    if (ret < 0)
        return av_rc(ret);
    t->frame->nb_samples = AAC_FRAME;
    if (av_audio_fifo_read(t->fifo, (void **)t->frame->data, n) != n)
        return NVR_EIO;
    for (int c = 0; c < t->channels && n < AAC_FRAME; c++)
        memset(t->frame->data[c] + (size_t)n * sizeof(float), 0, (size_t)(AAC_FRAME - n) * sizeof(float));
    t->frame->pts = t->fifo_pts;
    t->fifo_pts += AAC_FRAME;
    ret = avcodec_send_frame(t->enc, t->frame);
    return ret < 0 ? av_rc(ret) : drain(t);
}

/* Encodes every whole frame in the FIFO. */
static nvr_err encode_ready(struct audio_transcode *t)
{
    int rc = NVR_OK;
    while (rc == NVR_OK && av_audio_fifo_size(t->fifo) >= AAC_FRAME)
        rc = encode_front(t, AAC_FRAME);
    return rc;
}

/* Appends silence (n samples) to the FIFO. */
static nvr_err fifo_silence(struct audio_transcode *t, int64_t n)
{
    float zero[256] = {0};
    void *planes[2] = {zero, zero};
    while (n > 0) {
        int k = n > 256 ? 256 : (int)n;
        if (av_audio_fifo_write(t->fifo, planes, k) != k)
            return NVR_ENOMEM;
        n -= k;
        int rc = encode_ready(t);
        if (rc)
            return rc;
    }
    return NVR_OK;
}

/* Appends the decoded frame's samples, from sample `skip` on, converted to
 * planar float. */
static nvr_err fifo_append(struct audio_transcode *t, const AVFrame *f, int skip)
{
    float buf[2][512];
    void *planes[2] = {buf[0], buf[1]};
    const int16_t *s = (const int16_t *)f->data[0];
    int ch = t->channels;
    for (int i = skip; i < f->nb_samples;) {
        int k = f->nb_samples - i > 512 ? 512 : f->nb_samples - i;
        for (int j = 0; j < k; j++)
            for (int c = 0; c < ch; c++)
                buf[c][j] = (float)s[(size_t)(i + j) * (size_t)ch + (size_t)c] * (1.0f / 32768.0f);
        if (av_audio_fifo_write(t->fifo, planes, k) != k)
            return NVR_ENOMEM;
        i += k;
        int rc = encode_ready(t);
        if (rc)
            return rc;
    }
    return NVR_OK;
}

/* Places one decoded frame at pts on the FIFO's timeline. */
static nvr_err place(struct audio_transcode *t, const AVFrame *f, int64_t pts)
{
    int rc;
    if (f->format != AV_SAMPLE_FMT_S16 || f->nb_samples <= 0)
        return NVR_OK;
    if (!t->have_pts) {
        t->have_pts = 1;
        t->fifo_pts = pts;
    }
    int64_t end = t->fifo_pts + av_audio_fifo_size(t->fifo), d = pts - end;
    if (d > (int64_t)MAX_GAP_S * t->rate || d <= -(int64_t)f->nb_samples) {
        /* a jump: finish the partial frame, start over at pts */
        int n = av_audio_fifo_size(t->fifo);
        if (n > 0 && (rc = encode_front(t, n)))
            return rc;
        t->fifo_pts = pts;
        return fifo_append(t, f, 0);
    }
    if (d > 0) {
        t->filled += (uint64_t)d;
        if ((rc = fifo_silence(t, d)))
            return rc;
        d = 0;
    }
    t->dropped += (uint64_t)-d;
    return fifo_append(t, f, (int)-d);
}

nvr_err audio_transcode_send(struct audio_transcode *t, const AVPacket *in)
{
    int ret, rc;
    if (t->flushing)
        return NVR_OK;
    if (!in) {
        t->flushing = 1;
        int n = av_audio_fifo_size(t->fifo);
        if (n > 0 && (rc = encode_front(t, n)))
            return rc;
        ret = avcodec_send_frame(t->enc, NULL);
        return ret < 0 ? av_rc(ret) : drain(t);
    }
    if (in->pts == AV_NOPTS_VALUE || in->size <= 0)
        return NVR_OK;
    if ((ret = avcodec_send_packet(t->dec, in)) < 0)
        return NVR_OK; /* a broken packet: G.711 cannot be broken, but skip it */
    for (;;) {
        ret = avcodec_receive_frame(t->dec, t->decoded);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return NVR_OK;
        if (ret < 0)
            return av_rc(ret);
        /* the decoder keeps the packet's pts (same time base) */
        int64_t pts = t->decoded->pts != AV_NOPTS_VALUE ? t->decoded->pts : in->pts;
        rc = place(t, t->decoded, pts);
        av_frame_unref(t->decoded);
        if (rc)
            return rc;
    }
}

int audio_transcode_receive(struct audio_transcode *t, AVPacket *out)
{
    if (t->qhead == t->qlen)
        return 0;
    AVPacket *p = t->q[t->qhead++];
    if (t->qhead == t->qlen)
        t->qhead = t->qlen = 0;
    av_packet_move_ref(out, p);
    av_packet_free(&p);
    out->stream_index = 1;
    out->flags |= AV_PKT_FLAG_KEY;
    out->dts = out->pts;
    return 1;
}

void audio_transcode_destroy(struct audio_transcode **tp)
{
    struct audio_transcode *t = *tp;
    if (!t)
        return;
    if (t->filled || t->dropped)
        nvr_log(NVR_INFO, t->camera, "audio transcode ended silence_filled=%llu samples_dropped=%llu",
                (unsigned long long)t->filled, (unsigned long long)t->dropped);
    for (size_t i = t->qhead; i < t->qlen; i++)
        av_packet_free(&t->q[i]);
    free(t->q);
    avcodec_free_context(&t->dec);
    avcodec_free_context(&t->enc);
    avcodec_parameters_free(&t->par);
    av_frame_free(&t->decoded);
    av_frame_free(&t->frame);
    if (t->fifo)
        av_audio_fifo_free(t->fifo);
    free(t);
    *tp = NULL;
}
