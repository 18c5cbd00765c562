/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audio_transcode.c - G.711 to FLAC for the ingest (see audio_transcode.h).
 *
 * Pipeline: G.711 decoded here (ITU-T G.711's expansion, the same values as
 * libavcodec's pcm_mulaw/pcm_alaw: the unit test compares them; no decoder
 * context, no frame allocated per 20 ms packet) into `buf`, which collects
 * exactly FLAC_FRAME samples -> flac_enc.h (our own encoder: FFmpeg's holds
 * ~5 MiB per stream; lossless: the decoded FLAC is the decoded G.711,
 * sample for sample) -> a queue of packets.
 *
 * Timestamps: `buf_pts` is the pts (1/sample_rate) of buf's first sample;
 * each input packet is placed at its own pts: a gap is filled with silence
 * (up to MAX_GAP_S), an overlap loses the repeated samples, a larger jump
 * encodes the partial frame (padded with silence) and starts buf over at
 * the new pts.  A packet's pts is its first sample's (FLAC has no priming
 * delay).
 *
 * State: `flushing` once send(NULL) was called; after that only receive.
 * Memory: the struct (buf: 16 KiB) and the packets not yet taken.
 */
#include "media/audio_transcode.h"

#include "base/err.h"
#include "base/log.h"
#include "media/flac_enc.h"

#include <libavutil/channel_layout.h>
#include <stdlib.h>
#include <string.h>

#define FLAC_FRAME 2048 /* 256 ms at 8 kHz: half the packets AAC made, and no look-ahead */
#define MAX_GAP_S 2

struct audio_transcode {
    const char *camera;
    int rate, channels;
    int alaw;                    /* A-law, else µ-law */
    AVCodecParameters *par;      /* FLAC, for the muxer */
    int16_t buf[FLAC_FRAME * 2]; /* interleaved, as decoded: the frame being filled */
    int fill;                    /* samples (per channel) in buf */
    int have_pts;
    int64_t buf_pts;   /* pts of buf's first sample */
    uint32_t frame_no; /* FLAC frame number of the next frame */
    AVPacket **q;      /* encoded packets not yet taken, q[qhead..qlen) */
    size_t qhead, qlen, qcap;
    int flushing;
    uint64_t filled, dropped; /* samples of silence inserted, samples dropped */
};

/* G.711 expansion (ITU-T G.711, as libavcodec's pcm_mulaw/pcm_alaw). */
static int16_t ulaw_linear(uint8_t v)
{
    int u = (uint8_t)~v, t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4);
    return (int16_t)(u & 0x80 ? 0x84 - t : t - 0x84);
}

static int16_t alaw_linear(uint8_t v)
{
    int a = v ^ 0x55, seg = (a & 0x70) >> 4, t = (a & 0x0F) << 4;
    t = seg == 0 ? t + 8 : (t + 0x108) << (seg - 1);
    return (int16_t)(a & 0x80 ? t : -t);
}

/* The FLAC parameters: what the segment writer and the muxer need. */
static nvr_err make_params(struct audio_transcode *t)
{
    AVCodecParameters *par = t->par;
    par->codec_type = AVMEDIA_TYPE_AUDIO;
    par->codec_id = AV_CODEC_ID_FLAC;
    par->format = AV_SAMPLE_FMT_S16;
    par->bits_per_raw_sample = 16;
    par->sample_rate = t->rate;
    par->frame_size = FLAC_FRAME;
    av_channel_layout_default(&par->ch_layout, t->channels);
    if (!(par->extradata = av_mallocz(FLAC_STREAMINFO_BYTES + AV_INPUT_BUFFER_PADDING_SIZE)))
        return NVR_ENOMEM;
    par->extradata_size = FLAC_STREAMINFO_BYTES;
    flac_streaminfo(par->extradata, t->rate, t->channels, FLAC_FRAME);
    return NVR_OK;
}

nvr_err audio_transcode_create(struct audio_transcode **out, enum AVCodecID in_codec, int sample_rate, int channels,
                               const char *camera)
{
    int rc = NVR_EINVAL;
    struct audio_transcode *t;
    *out = NULL;
    if ((in_codec != AV_CODEC_ID_PCM_MULAW && in_codec != AV_CODEC_ID_PCM_ALAW) || sample_rate < 8000 ||
        sample_rate > 48000 || channels < 1 || channels > 2)
        return NVR_EINVAL;
    if (!(t = calloc(1, sizeof *t)))
        return NVR_ENOMEM;
    t->camera = camera;
    t->rate = sample_rate;
    t->channels = channels;
    t->alaw = in_codec == AV_CODEC_ID_PCM_ALAW;
    rc = NVR_ENOMEM;
    if (!(t->par = avcodec_parameters_alloc()))
        goto out;
    if ((rc = make_params(t)))
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

static nvr_err enqueue(struct audio_transcode *t, AVPacket *p)
{
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
    t->q[t->qlen++] = p;
    return NVR_OK;
}

/* Encodes buf (its first `fill` samples; fewer than a frame only at a
 * flush or a restart, padded with silence to a whole frame) into a packet
 * on the queue, and empties buf. */
static nvr_err encode_buf(struct audio_transcode *t)
{
    size_t cap = flac_frame_bound(FLAC_FRAME, t->channels), len = 0;
    AVPacket *p = av_packet_alloc();
    int rc;
    if (!p || av_new_packet(p, (int)cap) < 0) {
        av_packet_free(&p);
        return NVR_ENOMEM;
    }
    if (t->fill < FLAC_FRAME)
        memset(t->buf + (size_t)t->fill * (size_t)t->channels, 0,
               (size_t)(FLAC_FRAME - t->fill) * (size_t)t->channels * sizeof *t->buf);
    if ((rc = flac_encode_frame(t->buf, FLAC_FRAME, t->channels, t->rate, t->frame_no++, p->data, cap, &len))) {
        av_packet_free(&p);
        return rc;
    }
    av_shrink_packet(p, (int)len);
    p->pts = p->dts = t->buf_pts;
    p->duration = FLAC_FRAME;
    t->buf_pts += FLAC_FRAME;
    t->fill = 0;
    if ((rc = enqueue(t, p)))
        av_packet_free(&p);
    return rc;
}

/* Appends n samples (interleaved; NULL: silence) to buf, encoding every
 * frame it fills. */
static nvr_err append(struct audio_transcode *t, const int16_t *s, int64_t n)
{
    while (n > 0) {
        int k = FLAC_FRAME - t->fill;
        if (k > n)
            k = (int)n;
        int16_t *dst = t->buf + (size_t)t->fill * (size_t)t->channels;
        size_t bytes = (size_t)k * (size_t)t->channels * sizeof *t->buf;
        if (s) {
            memcpy(dst, s, bytes);
            s += (size_t)k * (size_t)t->channels;
        } else {
            memset(dst, 0, bytes);
        }
        t->fill += k;
        n -= k;
        if (t->fill == FLAC_FRAME) {
            int rc = encode_buf(t);
            if (rc)
                return rc;
        }
    }
    return NVR_OK;
}

/* Places n decoded samples (interleaved) at pts on buf's timeline. */
static nvr_err place(struct audio_transcode *t, const int16_t *s, int n, int64_t pts)
{
    int rc;
    if (!t->have_pts) {
        t->have_pts = 1;
        t->buf_pts = pts;
    }
    int64_t end = t->buf_pts + t->fill, d = pts - end;
    if (d > (int64_t)MAX_GAP_S * t->rate || d <= -(int64_t)n) {
        /* a jump: finish the partial frame, start over at pts */
        if (t->fill > 0 && (rc = encode_buf(t)))
            return rc;
        t->buf_pts = pts;
        return append(t, s, n);
    }
    if (d > 0) {
        t->filled += (uint64_t)d;
        if ((rc = append(t, NULL, d)))
            return rc;
        d = 0;
    }
    t->dropped += (uint64_t)-d;
    return append(t, s + (size_t)-d * (size_t)t->channels, n + (int)d);
}

nvr_err audio_transcode_send(struct audio_transcode *t, const AVPacket *in)
{
    int16_t pcm[1024];
    if (t->flushing)
        return NVR_OK;
    if (!in) {
        t->flushing = 1;
        return t->fill > 0 ? encode_buf(t) : NVR_OK;
    }
    if (in->pts == AV_NOPTS_VALUE || in->size <= 0)
        return NVR_OK;
    /* a packet holds whole samples (a byte per channel each); longer ones
     * are decoded and placed a piece at a time */
    int total = in->size / t->channels, per = (int)(sizeof pcm / sizeof *pcm) / t->channels;
    for (int done = 0; done < total;) {
        int n = total - done < per ? total - done : per;
        const uint8_t *src = in->data + (size_t)done * (size_t)t->channels;
        for (int i = 0; i < n * t->channels; i++)
            pcm[i] = t->alaw ? alaw_linear(src[i]) : ulaw_linear(src[i]);
        int rc = place(t, pcm, n, in->pts + done);
        if (rc)
            return rc;
        done += n;
    }
    return NVR_OK;
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
    avcodec_parameters_free(&t->par);
    free(t);
    *tp = NULL;
}
