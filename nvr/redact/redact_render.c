/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redact_render.c - burning redactions into an export MP4 (see
 * redact_render.h).
 *
 * One pass: packets are read in file order; video is decoded, each frame's
 * shapes are drawn (inverted shapes first: the kept boxes saved, the mode
 * applied to the whole picture, the kept boxes put back; then the others),
 * and libx264 encodes it; audio, when a mute range touches this camera, is
 * decoded, zeroed sample by sample inside the ranges and encoded again in
 * the codec it was recorded in (AAC: same rate, layout and bit rate; FLAC,
 * a G.711 camera's: lossless, so only the muted samples change), else
 * copied; the text track is
 * copied.  Boxes are widened to even pixel edges so the 4:2:0 chroma of
 * the box is covered whole.
 */
#include "redact/redact_render.h"

#include "export/export_burn.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STREAMS 16

int redact_block_size(int height)
{
    int b = (height + 8) / 16;
    b += b & 1;
    return b < 8 ? 8 : b;
}

/* ---- drawing on one plane ---- */

struct rect {
    int x0, y0, x1, y1;
};

struct plane {
    uint8_t *p;
    int stride, w, h;
};

static void fill_rect(const struct plane *pl, struct rect r, uint8_t v)
{
    for (int y = r.y0; y < r.y1; y++)
        memset(pl->p + (size_t)y * pl->stride + r.x0, v, (size_t)(r.x1 - r.x0));
}

/* Means of the b x b blocks of r (the last row and column of blocks may be
 * smaller) into m[nby][nbx]. */
static void block_means(const struct plane *pl, struct rect r, int b, uint8_t *m, int nbx, int nby)
{
    for (int by = 0; by < nby; by++)
        for (int bx = 0; bx < nbx; bx++) {
            int x0 = r.x0 + bx * b, y0 = r.y0 + by * b;
            int x1 = x0 + b < r.x1 ? x0 + b : r.x1, y1 = y0 + b < r.y1 ? y0 + b : r.y1;
            uint64_t sum = 0;
            for (int y = y0; y < y1; y++) {
                const uint8_t *row = pl->p + (size_t)y * pl->stride;
                for (int x = x0; x < x1; x++)
                    sum += row[x];
            }
            uint64_t n = (uint64_t)(x1 - x0) * (uint64_t)(y1 - y0);
            m[by * nbx + bx] = (uint8_t)((sum + n / 2) / n);
        }
}

static void pixelate_rect(const struct plane *pl, struct rect r, int b, uint8_t *m)
{
    int nbx = (r.x1 - r.x0 + b - 1) / b, nby = (r.y1 - r.y0 + b - 1) / b;
    block_means(pl, r, b, m, nbx, nby);
    for (int y = r.y0; y < r.y1; y++) {
        uint8_t *row = pl->p + (size_t)y * pl->stride;
        const uint8_t *mr = m + (size_t)((y - r.y0) / b) * nbx;
        for (int x = r.x0; x < r.x1; x++)
            row[x] = mr[(x - r.x0) / b];
    }
}

static void blur_rect(const struct plane *pl, struct rect r, int b, uint8_t *m)
{
    int nbx = (r.x1 - r.x0 + b - 1) / b, nby = (r.y1 - r.y0 + b - 1) / b;
    block_means(pl, r, b, m, nbx, nby);
    for (int y = r.y0; y < r.y1; y++) {
        float fy = ((float)(y - r.y0) + 0.5f) / (float)b - 0.5f;
        int j0 = fy < 0 ? 0 : (int)fy;
        if (j0 > nby - 1)
            j0 = nby - 1;
        int j1 = j0 + 1 < nby ? j0 + 1 : nby - 1;
        float ay = fy - (float)j0;
        ay = ay < 0 ? 0 : ay > 1 ? 1 : ay;
        const uint8_t *m0 = m + (size_t)j0 * nbx, *m1 = m + (size_t)j1 * nbx;
        uint8_t *row = pl->p + (size_t)y * pl->stride;
        for (int x = r.x0; x < r.x1; x++) {
            float fx = ((float)(x - r.x0) + 0.5f) / (float)b - 0.5f;
            int i0 = fx < 0 ? 0 : (int)fx;
            if (i0 > nbx - 1)
                i0 = nbx - 1;
            int i1 = i0 + 1 < nbx ? i0 + 1 : nbx - 1;
            float ax = fx - (float)i0;
            ax = ax < 0 ? 0 : ax > 1 ? 1 : ax;
            float top = m0[i0] + ax * (float)(m0[i1] - m0[i0]);
            float bot = m1[i0] + ax * (float)(m1[i1] - m1[i0]);
            row[x] = (uint8_t)(top + ay * (bot - top) + 0.5f);
        }
    }
}

static struct plane plane_of(AVFrame *f, int i)
{
    struct plane pl = {f->data[i], f->linesize[i], f->width, f->height};
    if (i) {
        pl.w = (f->width + 1) / 2;
        pl.h = (f->height + 1) / 2;
    }
    return pl;
}

/* The box in luma pixels, widened to even edges; empty if nothing is left. */
static struct rect rect_of(const double box[4], int w, int h)
{
    struct rect r;
    r.x0 = (int)floor(box[0] * w) & ~1;
    r.y0 = (int)floor(box[1] * h) & ~1;
    r.x1 = ((int)ceil(box[2] * w) + 1) & ~1;
    r.y1 = ((int)ceil(box[3] * h) + 1) & ~1;
    r.x1 = r.x1 > w ? w : r.x1;
    r.y1 = r.y1 > h ? h : r.y1;
    r.x0 = r.x0 < 0 ? 0 : r.x0;
    r.y0 = r.y0 < 0 ? 0 : r.y0;
    return r;
}

static struct rect chroma_of(struct rect r, const struct plane *pl)
{
    struct rect c = {r.x0 / 2, r.y0 / 2, (r.x1 + 1) / 2, (r.y1 + 1) / 2};
    c.x1 = c.x1 > pl->w ? pl->w : c.x1;
    c.y1 = c.y1 > pl->h ? pl->h : c.y1;
    return c;
}

/* m: scratch for block means, enough for the whole picture at block 2. */
static void apply_mode(AVFrame *f, struct rect r, enum redact_mode mode, uint8_t *m)
{
    int b = redact_block_size(f->height);
    if (r.x1 <= r.x0 || r.y1 <= r.y0)
        return;
    for (int i = 0; i < 3; i++) {
        struct plane pl = plane_of(f, i);
        struct rect pr = i ? chroma_of(r, &pl) : r;
        int pb = i ? b / 2 : b;
        if (pr.x1 <= pr.x0 || pr.y1 <= pr.y0)
            continue;
        switch (mode) {
        case REDACT_FILL: fill_rect(&pl, pr, i ? 128 : 16); break;
        case REDACT_PIXELATE: pixelate_rect(&pl, pr, pb, m); break;
        case REDACT_BLUR: blur_rect(&pl, pr, pb, m); break;
        }
    }
}

/* Copies rect r of every plane to (save=1) or from (save=0) buf. */
static size_t rect_bytes(struct rect r)
{
    return (size_t)(r.x1 - r.x0) * (size_t)(r.y1 - r.y0) * 3 / 2 + 16;
}

static void rect_copy(AVFrame *f, struct rect r, uint8_t *buf, int save)
{
    for (int i = 0; i < 3; i++) {
        struct plane pl = plane_of(f, i);
        struct rect pr = i ? chroma_of(r, &pl) : r;
        size_t w = (size_t)(pr.x1 - pr.x0);
        for (int y = pr.y0; y < pr.y1; y++, buf += w) {
            uint8_t *row = pl.p + (size_t)y * pl.stride + pr.x0;
            if (save)
                memcpy(buf, row, w);
            else
                memcpy(row, buf, w);
        }
    }
}

struct render {
    AVFormatContext *ic, *oc;
    AVCodecContext *dec, *enc, *adec, *aenc;
    struct SwsContext *sws;
    AVFrame *frame, *conv, *aframe;
    AVPacket *pkt;
    int vin, ain;
    int map[MAX_STREAMS];
    int64_t last_pts, origin_us, first_us, total_frames;
    const struct redact_doc *doc;
    const char *camera;
    struct redact_render_stats *st;
    uint8_t *means; /* scratch: block means */
    uint8_t *saved; /* scratch: kept boxes of inverted shapes */
    size_t saved_cap;
    struct rect *kept; /* doc->nshapes */
    redact_progress_fn progress;
    void *progress_arg;
    int stopped;
};

static nvr_err draw_frame(struct render *R, AVFrame *f, int64_t t)
{
    const struct redact_doc *d = R->doc;
    size_t nkept = 0, need = 0;
    int any = 0;
    for (size_t i = 0; i < d->nshapes; i++) {
        const struct redact_shape *s = &d->shapes[i];
        if (!redact_shape_active(s, R->camera, t))
            continue;
        any = 1;
        R->st->shape_frames[i]++;
        if (R->st->shape_first[i] < 0) {
            R->st->shape_first[i] = (int64_t)R->st->frames;
            R->st->shape_first_us[i] = t;
        }
        R->st->shape_last[i] = (int64_t)R->st->frames;
        R->st->shape_last_us[i] = t;
        if (s->invert) {
            double box[4];
            redact_shape_box_at(s, t, box);
            R->kept[nkept] = rect_of(box, f->width, f->height);
            need += rect_bytes(R->kept[nkept++]);
        }
    }
    R->st->frames_redacted += any;
    if (nkept) {
        if (need > R->saved_cap) {
            uint8_t *v = realloc(R->saved, need);
            if (!v)
                return NVR_ENOMEM;
            R->saved = v;
            R->saved_cap = need;
        }
        for (size_t i = 0; i < d->nshapes; i++) {
            const struct redact_shape *s = &d->shapes[i];
            if (!s->invert || !redact_shape_active(s, R->camera, t))
                continue;
            uint8_t *p = R->saved;
            for (size_t k = 0; k < nkept; p += rect_bytes(R->kept[k]), k++)
                if (R->kept[k].x1 > R->kept[k].x0 && R->kept[k].y1 > R->kept[k].y0)
                    rect_copy(f, R->kept[k], p, 1);
            apply_mode(f, (struct rect){0, 0, f->width, f->height}, s->mode, R->means);
            p = R->saved;
            for (size_t k = 0; k < nkept; p += rect_bytes(R->kept[k]), k++)
                if (R->kept[k].x1 > R->kept[k].x0 && R->kept[k].y1 > R->kept[k].y0)
                    rect_copy(f, R->kept[k], p, 0);
        }
    }
    for (size_t i = 0; i < d->nshapes; i++) {
        const struct redact_shape *s = &d->shapes[i];
        if (s->invert || !redact_shape_active(s, R->camera, t))
            continue;
        double box[4];
        redact_shape_box_at(s, t, box);
        apply_mode(f, rect_of(box, f->width, f->height), s->mode, R->means);
    }
    return NVR_OK;
}

static int mutes_for(const struct redact_doc *d, const char *camera)
{
    for (size_t i = 0; i < d->nmutes; i++)
        if (!d->mutes[i].camera[0] || strcmp(d->mutes[i].camera, camera) == 0)
            return 1;
    return 0;
}

static nvr_err open_audio(struct render *R, AVStream *as, AVStream *os)
{
    enum AVCodecID id = as->codecpar->codec_id;
    const AVCodec *d = avcodec_find_decoder(id);
    const AVCodec *e = avcodec_find_encoder(id == AV_CODEC_ID_FLAC ? AV_CODEC_ID_FLAC : AV_CODEC_ID_AAC);
    enum AVSampleFormat fmt = id == AV_CODEC_ID_FLAC ? AV_SAMPLE_FMT_S16 : AV_SAMPLE_FMT_FLTP;
    if (!d || !e || !(R->adec = avcodec_alloc_context3(d)) || !(R->aenc = avcodec_alloc_context3(e)))
        return NVR_ECODEC;
    R->adec->pkt_timebase = as->time_base;
    if (avcodec_parameters_to_context(R->adec, as->codecpar) < 0 || avcodec_open2(R->adec, d, NULL) < 0)
        return NVR_ECODEC;
    R->aenc->sample_rate = R->adec->sample_rate;
    R->aenc->sample_fmt = fmt;
    if (av_channel_layout_copy(&R->aenc->ch_layout, &R->adec->ch_layout) < 0)
        return NVR_ECODEC;
    if (id != AV_CODEC_ID_FLAC)
        R->aenc->bit_rate = as->codecpar->bit_rate > 0 ? as->codecpar->bit_rate : 64000;
    else /* frames of any size up to the FLAC subset's largest block: the decoder's come as recorded */
        R->aenc->frame_size = 16384;
    R->aenc->time_base = (AVRational){1, R->adec->sample_rate};
    R->aenc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (R->adec->sample_fmt != fmt || avcodec_open2(R->aenc, e, NULL) < 0)
        return NVR_ECODEC;
    if (avcodec_parameters_from_context(os->codecpar, R->aenc) < 0)
        return NVR_ECODEC;
    os->time_base = R->aenc->time_base;
    return NVR_OK;
}

static nvr_err open_io(struct render *R, const char *in_path, const char *out_path, const char *preset)
{
    AVDictionary *opts = NULL;
    if (avformat_open_input(&R->ic, in_path, NULL, NULL) < 0 || avformat_find_stream_info(R->ic, NULL) < 0)
        return NVR_ECODEC;
    R->vin = R->ain = -1;
    for (unsigned i = 0; i < R->ic->nb_streams; i++) {
        enum AVMediaType t = R->ic->streams[i]->codecpar->codec_type;
        if (t == AVMEDIA_TYPE_VIDEO && R->vin < 0)
            R->vin = (int)i;
        if (t == AVMEDIA_TYPE_AUDIO && R->ain < 0)
            R->ain = (int)i;
    }
    if (R->vin < 0 || R->ic->nb_streams > MAX_STREAMS)
        return NVR_ECODEC;
    AVStream *vs = R->ic->streams[R->vin];
    R->origin_us = vs->start_time != AV_NOPTS_VALUE ? av_rescale_q(vs->start_time, vs->time_base, AV_TIME_BASE_Q) : 0;
    const AVCodec *d = avcodec_find_decoder(vs->codecpar->codec_id);
    const AVCodec *e = avcodec_find_encoder_by_name("libx264");
    if (!d || !e || !(R->dec = avcodec_alloc_context3(d)) || !(R->enc = avcodec_alloc_context3(e)))
        return NVR_ECODEC;
    R->dec->thread_count = 2;
    R->dec->pkt_timebase = vs->time_base;
    if (avcodec_parameters_to_context(R->dec, vs->codecpar) < 0 || avcodec_open2(R->dec, d, NULL) < 0)
        return NVR_ECODEC;
    AVRational fps = vs->avg_frame_rate.num ? vs->avg_frame_rate : (AVRational){25, 1};
    R->total_frames = vs->nb_frames > 0     ? vs->nb_frames
                      : R->ic->duration > 0 ? av_rescale_q(R->ic->duration, AV_TIME_BASE_Q, av_inv_q(fps))
                                            : 0;
    R->enc->width = vs->codecpar->width;
    R->enc->height = vs->codecpar->height;
    R->enc->pix_fmt = AV_PIX_FMT_YUV420P;
    R->enc->time_base = vs->time_base;
    R->enc->framerate = fps;
    R->enc->gop_size = 2 * (fps.den ? (fps.num + fps.den / 2) / fps.den : 25);
    R->enc->max_b_frames = 0;
    R->enc->thread_count = 2;
    R->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    av_dict_set(&opts, "preset", preset ? preset : "veryfast", 0);
    av_dict_set(&opts, "crf", "20", 0);
    int ok = avcodec_open2(R->enc, e, &opts) >= 0;
    av_dict_free(&opts);
    if (!ok || avformat_alloc_output_context2(&R->oc, NULL, "mp4", out_path) < 0 || !R->oc)
        return NVR_ECODEC;
    int mute = mutes_for(R->doc, R->camera);
    for (unsigned i = 0; i < R->ic->nb_streams; i++) {
        AVStream *is = R->ic->streams[i];
        enum AVMediaType t = is->codecpar->codec_type;
        R->map[i] = -1;
        if ((int)i != R->vin && t != AVMEDIA_TYPE_AUDIO && t != AVMEDIA_TYPE_SUBTITLE)
            continue;
        if ((int)i != R->vin && t == AVMEDIA_TYPE_VIDEO)
            continue;
        AVStream *os = avformat_new_stream(R->oc, NULL);
        if (!os)
            return NVR_ENOMEM;
        if ((int)i == R->vin) {
            if (avcodec_parameters_from_context(os->codecpar, R->enc) < 0)
                return NVR_ECODEC;
            os->time_base = R->enc->time_base;
            os->avg_frame_rate = fps;
        } else if ((int)i == R->ain && mute) {
            int rc = open_audio(R, is, os);
            if (rc)
                return rc;
        } else {
            if (avcodec_parameters_copy(os->codecpar, is->codecpar) < 0)
                return NVR_ECODEC;
            os->codecpar->codec_tag = 0;
            os->time_base = is->time_base;
        }
        av_dict_copy(&os->metadata, is->metadata, 0);
        R->map[i] = os->index;
    }
    av_dict_copy(&R->oc->metadata, R->ic->metadata, 0);
    av_dict_set(&R->oc->metadata, "comment", "derivative: redacted, re-encoded (nvr redact)", 0);
    return export_derivative_header(R->oc, out_path);
}

static nvr_err write_encoded(struct render *R, AVCodecContext *enc, int in_stream)
{
    AVStream *os = R->oc->streams[R->map[in_stream]];
    int ret;
    while ((ret = avcodec_receive_packet(enc, R->pkt)) == 0) {
        av_packet_rescale_ts(R->pkt, enc->time_base, os->time_base);
        R->pkt->stream_index = os->index;
        if (av_interleaved_write_frame(R->oc, R->pkt) < 0)
            return NVR_EIO;
    }
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? NVR_OK : NVR_ECODEC;
}

static int64_t wall_of(struct render *R, int64_t pts, AVRational tb)
{
    return R->first_us + av_rescale_q(pts, tb, AV_TIME_BASE_Q) - R->origin_us;
}

/* Decoded video frames -> drawn -> encoder. */
static nvr_err drain_video(struct render *R)
{
    AVStream *vs = R->ic->streams[R->vin];
    int rc = NVR_OK;
    while (rc == NVR_OK && avcodec_receive_frame(R->dec, R->frame) == 0) {
        AVFrame *f = R->frame, *out = f;
        int64_t pts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
        if (f->format != AV_PIX_FMT_YUV420P || f->width != R->enc->width || f->height != R->enc->height) {
            R->sws = sws_getCachedContext(R->sws, f->width, f->height, (enum AVPixelFormat)f->format, R->enc->width,
                                          R->enc->height, AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
            if (!R->sws || av_frame_make_writable(R->conv) < 0) {
                rc = NVR_ECODEC;
                break;
            }
            sws_scale(R->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, R->conv->data,
                      R->conv->linesize);
            out = R->conv;
        } else if (av_frame_make_writable(f) < 0) {
            rc = NVR_ENOMEM;
            break;
        }
        if (pts == AV_NOPTS_VALUE)
            pts = R->last_pts == INT64_MIN ? 0 : R->last_pts + 1;
        if ((rc = draw_frame(R, out, wall_of(R, pts, vs->time_base))))
            break;
        if (pts <= R->last_pts)
            pts = R->last_pts + 1;
        R->last_pts = pts;
        out->pts = pts;
        out->pict_type = AV_PICTURE_TYPE_NONE;
        R->st->frames++;
        if (avcodec_send_frame(R->enc, out) < 0)
            rc = NVR_ECODEC;
        else
            rc = write_encoded(R, R->enc, R->vin);
        av_frame_unref(f);
        if (rc == NVR_OK && R->progress && R->total_frames > 0 && R->st->frames % 25 == 0) {
            double p = (double)R->st->frames / (double)R->total_frames;
            if (R->progress(R->progress_arg, p > 0.999 ? 0.999 : p)) {
                R->stopped = 1;
                rc = NVR_ESTOPPED;
            }
        }
    }
    return rc;
}

/* Decoded audio frames -> silence in the mute ranges -> encoder. */
static nvr_err drain_audio(struct render *R)
{
    AVStream *as = R->ic->streams[R->ain];
    int rc = NVR_OK;
    while (rc == NVR_OK && avcodec_receive_frame(R->adec, R->aframe) == 0) {
        AVFrame *f = R->aframe;
        int64_t pts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
        if (pts == AV_NOPTS_VALUE) {
            av_frame_unref(f);
            continue;
        }
        int64_t t0 = wall_of(R, pts, as->time_base);
        int channels = f->ch_layout.nb_channels;
        for (int s = 0; s < f->nb_samples; s++) {
            int64_t t = t0 + (int64_t)s * 1000000 / f->sample_rate;
            int mute = 0;
            for (size_t i = 0; i < R->doc->nmutes && !mute; i++)
                mute = redact_mute_active(&R->doc->mutes[i], R->camera, t);
            if (!mute)
                continue;
            for (int c = 0; c < channels; c++) {
                if (f->format == AV_SAMPLE_FMT_S16) /* FLAC: interleaved */
                    ((int16_t *)f->data[0])[(size_t)s * (size_t)channels + (size_t)c] = 0;
                else
                    ((float *)f->extended_data[c])[s] = 0.0f;
            }
            R->st->samples_muted++;
        }
        f->pts = av_rescale_q(pts, as->time_base, R->aenc->time_base);
        if (avcodec_send_frame(R->aenc, f) < 0)
            rc = NVR_ECODEC;
        else
            rc = write_encoded(R, R->aenc, R->ain);
        av_frame_unref(f);
    }
    return rc;
}

nvr_err redact_render_file(const char *in_path, const char *out_path, const struct redact_doc *doc, const char *camera,
                           int64_t first_us, const char *preset, redact_progress_fn progress, void *arg,
                           struct redact_render_stats *stats, char *err, size_t errlen)
{
    struct render R = {.last_pts = INT64_MIN,
                       .doc = doc,
                       .camera = camera,
                       .first_us = first_us,
                       .st = stats,
                       .progress = progress,
                       .progress_arg = arg};
    AVPacket *in = NULL;
    int rc;
    err[0] = '\0';
    stats->frames = stats->frames_redacted = stats->samples_muted = 0;
    for (size_t i = 0; i < doc->nshapes; i++) {
        stats->shape_frames[i] = 0;
        stats->shape_first[i] = stats->shape_last[i] = -1;
        stats->shape_first_us[i] = stats->shape_last_us[i] = 0;
    }
    if ((rc = open_io(&R, in_path, out_path, preset))) {
        snprintf(err, errlen, "cannot set up the transcode (libx264%s): %s", R.aenc || R.adec ? ", AAC" : "",
                 nvr_strerror(rc));
        goto out;
    }
    stats->width = R.enc->width;
    stats->height = R.enc->height;
    rc = NVR_ENOMEM;
    if (!(R.frame = av_frame_alloc()) || !(R.conv = av_frame_alloc()) || !(R.aframe = av_frame_alloc()) ||
        !(R.pkt = av_packet_alloc()) || !(in = av_packet_alloc()) ||
        !(R.kept = calloc(doc->nshapes ? doc->nshapes : 1, sizeof *R.kept)) ||
        !(R.means = malloc((size_t)(R.enc->width / 4 + 2) * (size_t)(R.enc->height / 4 + 2))))
        goto out;
    R.conv->format = AV_PIX_FMT_YUV420P;
    R.conv->width = R.enc->width;
    R.conv->height = R.enc->height;
    if (av_frame_get_buffer(R.conv, 0) < 0)
        goto out;
    rc = NVR_OK;
    while (rc == NVR_OK && av_read_frame(R.ic, in) >= 0) {
        int si = in->stream_index;
        if (si == R.vin) {
            rc = avcodec_send_packet(R.dec, in) < 0 ? NVR_ECODEC : drain_video(&R);
        } else if (si == R.ain && R.adec) {
            rc = avcodec_send_packet(R.adec, in) < 0 ? NVR_ECODEC : drain_audio(&R);
        } else if (si < MAX_STREAMS && R.map[si] >= 0) {
            AVStream *os = R.oc->streams[R.map[si]];
            av_packet_rescale_ts(in, R.ic->streams[si]->time_base, os->time_base);
            in->stream_index = os->index;
            in->pos = -1;
            if (av_interleaved_write_frame(R.oc, in) < 0)
                rc = NVR_EIO;
        }
        av_packet_unref(in);
    }
    if (rc == NVR_OK) { /* flush the decoders, then the encoders */
        avcodec_send_packet(R.dec, NULL);
        rc = drain_video(&R);
    }
    if (rc == NVR_OK && R.adec) {
        avcodec_send_packet(R.adec, NULL);
        rc = drain_audio(&R);
    }
    if (rc == NVR_OK && (avcodec_send_frame(R.enc, NULL) < 0 || (rc = write_encoded(&R, R.enc, R.vin))))
        rc = rc ? rc : NVR_ECODEC;
    if (rc == NVR_OK && R.aenc && (avcodec_send_frame(R.aenc, NULL) < 0 || (rc = write_encoded(&R, R.aenc, R.ain))))
        rc = rc ? rc : NVR_ECODEC;
    if (rc == NVR_OK && av_write_trailer(R.oc) < 0)
        rc = NVR_EIO;
    if (rc == NVR_OK && R.last_pts != INT64_MIN)
        stats->seconds = (double)av_rescale_q(R.last_pts, R.ic->streams[R.vin]->time_base, AV_TIME_BASE_Q) / 1e6 -
                         (double)R.origin_us / 1e6;
    if (rc)
        snprintf(err, errlen, "%s", R.stopped ? "stopped" : "transcode failed");
    if (rc && rc != NVR_ESTOPPED)
        snprintf(err, errlen, "transcode failed: %s", nvr_strerror(rc));
out:
    if (R.oc) {
        if (R.oc->pb)
            avio_closep(&R.oc->pb);
        avformat_free_context(R.oc);
    }
    avformat_close_input(&R.ic);
    avcodec_free_context(&R.dec);
    avcodec_free_context(&R.enc);
    avcodec_free_context(&R.adec);
    avcodec_free_context(&R.aenc);
    sws_freeContext(R.sws);
    av_frame_free(&R.frame);
    av_frame_free(&R.conv);
    av_frame_free(&R.aframe);
    av_packet_free(&R.pkt);
    av_packet_free(&in);
    free(R.kept);
    free(R.means);
    free(R.saved);
    return rc;
}
