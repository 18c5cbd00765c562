/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export_burn.c - the time burned into a copy of an export MP4 (see
 * export_burn.h).
 *
 * Two passes over the input: the first reads the text track's cues (one a
 * second: "2026-11-22 03:00:01 CST (UTC-06:00) | 2026-11-22 09:00:01 UTC"),
 * the second decodes the video, draws the cue covering each frame (its two
 * halves on two lines) and encodes it, and copies the other streams'
 * packets.  Drawing is on the 8-bit 4:2:0 picture the encoder takes: the
 * box's luma black and chroma neutral, the glyphs' luma white.
 */
#include "export/export_burn.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BOX_CHARS 36 /* the longest line drawn whole: "2026-11-22 03:00:01 CEST (UTC+02:00)" */
#define BOX_LINES 2

/* 5x7 glyphs, one row a byte, bit 4 the leftmost column. */
static const char glyph_chars[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-:.,()+|/_?";
static const uint8_t glyphs[][7] = {
    {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}, {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E},
    {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}, {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E},
    {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}, {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E},
    {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}, {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08},
    {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}, {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C},
    {0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11}, {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E},
    {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}, {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C},
    {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}, {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10},
    {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}, {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11},
    {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}, {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C},
    {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}, {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F},
    {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}, {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11},
    {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}, {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10},
    {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}, {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11},
    {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}, {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04},
    {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}, {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04},
    {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}, {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11},
    {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04}, {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F},
    {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}, {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00},
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}, {0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08},
    {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}, {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08},
    {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00}, {0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04},
    {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00}, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F},
    {0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04},
};

static const uint8_t *glyph(char c)
{
    if (c >= 'a' && c <= 'z')
        c = (char)(c - 'a' + 'A');
    if (c == ' ')
        return NULL;
    const char *p = strchr(glyph_chars, c);
    return glyphs[p && c ? p - glyph_chars : (ptrdiff_t)(sizeof glyph_chars - 2)];
}

static int scale_of(int height)
{
    return height >= 270 ? height / 270 : 1;
}

void export_burn_box(int width, int height, int *x, int *y, int *w, int *h)
{
    int s = scale_of(height);
    *x = *y = 4 * s;
    *w = 2 * 2 * s + BOX_CHARS * 6 * s;
    *h = 2 * 2 * s + BOX_LINES * 9 * s;
    if (*x + *w > width)
        *w = width > *x ? width - *x : 0;
    if (*y + *h > height)
        *h = height > *y ? height - *y : 0;
}

/* Draws text (two lines split at " | ") into f, 8-bit 4:2:0. */
static void draw(AVFrame *f, const char *text)
{
    int bx, by, bw, bh, s = scale_of(f->height);
    export_burn_box(f->width, f->height, &bx, &by, &bw, &bh);
    for (int yy = by; yy < by + bh; yy++)
        memset(f->data[0] + (size_t)yy * f->linesize[0] + bx, 16, (size_t)bw);
    for (int p = 1; p <= 2; p++)
        for (int yy = by / 2; yy < (by + bh + 1) / 2; yy++)
            memset(f->data[p] + (size_t)yy * f->linesize[p] + bx / 2, 128, (size_t)(bw + 1) / 2);
    const char *sep = strstr(text, " | ");
    for (int line = 0; line < BOX_LINES && text; line++) {
        size_t n = sep && line == 0 ? (size_t)(sep - text) : strlen(text);
        int y0 = by + 2 * s + line * 9 * s;
        for (size_t i = 0; i < n && i < BOX_CHARS; i++) {
            const uint8_t *g = glyph(text[i]);
            int x0 = bx + 2 * s + (int)i * 6 * s;
            for (int r = 0; g && r < 7; r++)
                for (int c = 0; c < 5; c++) {
                    if (!(g[r] & (0x10 >> c)))
                        continue;
                    for (int dy = 0; dy < s; dy++) {
                        int yy = y0 + r * s + dy, xx = x0 + c * s;
                        if (yy >= by + bh || xx + s > bx + bw)
                            continue;
                        memset(f->data[0] + (size_t)yy * f->linesize[0] + xx, 235, (size_t)s);
                    }
                }
        }
        text = sep && line == 0 ? sep + 3 : NULL;
    }
}

struct cue {
    int64_t start, end; /* in the text stream's time base */
    char text[96];
};

struct burn {
    AVFormatContext *ic, *oc;
    AVCodecContext *dec, *enc;
    struct SwsContext *sws;
    AVFrame *frame, *conv;
    AVPacket *pkt;
    int vin, tin; /* input video and text stream, -1 none */
    int map[16];  /* input stream -> output stream, -1 dropped */
    struct cue *cues;
    size_t ncues;
    int64_t last_pts;
    AVRational text_tb;
};

static nvr_err read_cues(struct burn *b, const char *in_path)
{
    AVFormatContext *ic = NULL;
    AVPacket *pkt = av_packet_alloc();
    int rc = NVR_ECODEC;
    size_t cap = 0;
    if (!pkt || avformat_open_input(&ic, in_path, NULL, NULL) < 0 || avformat_find_stream_info(ic, NULL) < 0)
        goto out;
    rc = NVR_OK;
    if (b->tin < 0)
        goto out;
    b->text_tb = ic->streams[b->tin]->time_base;
    while (av_read_frame(ic, pkt) >= 0) {
        if (pkt->stream_index == b->tin && pkt->size >= 2 && pkt->pts != AV_NOPTS_VALUE) {
            if (b->ncues == cap) {
                cap = cap ? cap * 2 : 256;
                struct cue *v = realloc(b->cues, cap * sizeof *v);
                if (!v) {
                    rc = NVR_ENOMEM;
                    av_packet_unref(pkt);
                    break;
                }
                b->cues = v;
            }
            struct cue *c = &b->cues[b->ncues++];
            size_t len = (size_t)(pkt->data[0] << 8 | pkt->data[1]);
            if (len > (size_t)pkt->size - 2)
                len = (size_t)pkt->size - 2;
            snprintf(c->text, sizeof c->text, "%.*s", (int)len, (const char *)pkt->data + 2);
            c->start = pkt->pts;
            c->end = pkt->pts + (pkt->duration > 0 ? pkt->duration : 0);
        }
        av_packet_unref(pkt);
    }
out:
    av_packet_free(&pkt);
    avformat_close_input(&ic);
    return rc;
}

/* The cue covering time t of the video stream, "" if none. */
static const char *cue_at(struct burn *b, int64_t t, AVRational tb)
{
    if (!b->ncues)
        return "";
    int64_t tt = av_rescale_q(t, tb, b->text_tb);
    size_t lo = 0, hi = b->ncues;
    while (hi - lo > 1) { /* the last cue starting at or before tt */
        size_t mid = (lo + hi) / 2;
        if (b->cues[mid].start <= tt)
            lo = mid;
        else
            hi = mid;
    }
    return b->cues[lo].start <= tt ? b->cues[lo].text : "";
}

static nvr_err open_io(struct burn *b, const char *in_path, const char *out_path)
{
    AVDictionary *opts = NULL;
    if (avformat_open_input(&b->ic, in_path, NULL, NULL) < 0 || avformat_find_stream_info(b->ic, NULL) < 0)
        return NVR_ECODEC;
    b->vin = b->tin = -1;
    for (unsigned i = 0; i < b->ic->nb_streams; i++) {
        enum AVMediaType t = b->ic->streams[i]->codecpar->codec_type;
        if (t == AVMEDIA_TYPE_VIDEO && b->vin < 0)
            b->vin = (int)i;
        if (t == AVMEDIA_TYPE_SUBTITLE && b->tin < 0)
            b->tin = (int)i;
    }
    if (b->vin < 0 || b->ic->nb_streams > 16)
        return NVR_ECODEC;
    AVStream *vs = b->ic->streams[b->vin];
    const AVCodec *d = avcodec_find_decoder(vs->codecpar->codec_id);
    const AVCodec *e = avcodec_find_encoder_by_name("libx264");
    if (!d || !e || !(b->dec = avcodec_alloc_context3(d)) || !(b->enc = avcodec_alloc_context3(e)))
        return NVR_ECODEC;
    b->dec->thread_count = 2;
    b->dec->pkt_timebase = vs->time_base;
    if (avcodec_parameters_to_context(b->dec, vs->codecpar) < 0 || avcodec_open2(b->dec, d, NULL) < 0)
        return NVR_ECODEC;
    AVRational fps = vs->avg_frame_rate.num ? vs->avg_frame_rate : (AVRational){25, 1};
    b->enc->width = vs->codecpar->width;
    b->enc->height = vs->codecpar->height;
    b->enc->pix_fmt = AV_PIX_FMT_YUV420P;
    b->enc->time_base = vs->time_base;
    b->enc->framerate = fps;
    b->enc->gop_size = 2 * (fps.den ? (fps.num + fps.den / 2) / fps.den : 25);
    b->enc->max_b_frames = 0;
    b->enc->thread_count = 2;
    b->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    av_dict_set(&opts, "preset", "veryfast", 0);
    av_dict_set(&opts, "crf", "20", 0);
    int ok = avcodec_open2(b->enc, e, &opts) >= 0;
    av_dict_free(&opts);
    if (!ok || avformat_alloc_output_context2(&b->oc, NULL, "mp4", out_path) < 0 || !b->oc)
        return NVR_ECODEC;
    for (unsigned i = 0; i < b->ic->nb_streams; i++) {
        AVStream *is = b->ic->streams[i];
        enum AVMediaType t = is->codecpar->codec_type;
        b->map[i] = -1;
        if ((int)i != b->vin && t != AVMEDIA_TYPE_AUDIO && t != AVMEDIA_TYPE_SUBTITLE)
            continue;
        AVStream *os = avformat_new_stream(b->oc, NULL);
        if (!os)
            return NVR_ENOMEM;
        if ((int)i == b->vin) {
            if (avcodec_parameters_from_context(os->codecpar, b->enc) < 0)
                return NVR_ECODEC;
            os->time_base = b->enc->time_base;
            os->avg_frame_rate = fps;
        } else {
            if (avcodec_parameters_copy(os->codecpar, is->codecpar) < 0)
                return NVR_ECODEC;
            os->codecpar->codec_tag = 0;
            os->time_base = is->time_base;
        }
        av_dict_copy(&os->metadata, is->metadata, 0);
        b->map[i] = os->index;
    }
    av_dict_copy(&b->oc->metadata, b->ic->metadata, 0);
    av_dict_set(&b->oc->metadata, "comment", "derivative: wall-clock time burned in, re-encoded (nvr export)", 0);
    return export_derivative_header(b->oc, out_path);
}

nvr_err export_derivative_header(AVFormatContext *oc, const char *out_path)
{
    AVDictionary *opts = NULL;
    if (avio_open(&oc->pb, out_path, AVIO_FLAG_WRITE) < 0)
        return NVR_EIO;
    av_dict_set(&opts, "movflags", "+faststart", 0);
    for (unsigned i = 0; i < oc->nb_streams; i++)
        if (oc->streams[i]->codecpar->codec_id == AV_CODEC_ID_FLAC)
            oc->strict_std_compliance = FF_COMPLIANCE_EXPERIMENTAL;
    int ok = avformat_write_header(oc, &opts) >= 0;
    av_dict_free(&opts);
    return ok ? NVR_OK : NVR_ECODEC;
}

static nvr_err write_encoded(struct burn *b)
{
    AVStream *os = b->oc->streams[b->map[b->vin]];
    int ret;
    while ((ret = avcodec_receive_packet(b->enc, b->pkt)) == 0) {
        av_packet_rescale_ts(b->pkt, b->enc->time_base, os->time_base);
        b->pkt->stream_index = os->index;
        if (av_interleaved_write_frame(b->oc, b->pkt) < 0)
            return NVR_EIO;
    }
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? NVR_OK : NVR_ECODEC;
}

/* Decoded frames -> drawn -> encoder. */
static nvr_err drain(struct burn *b)
{
    AVStream *vs = b->ic->streams[b->vin];
    int rc = NVR_OK;
    while (rc == NVR_OK && avcodec_receive_frame(b->dec, b->frame) == 0) {
        AVFrame *f = b->frame;
        int64_t pts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
        b->sws = sws_getCachedContext(b->sws, f->width, f->height, (enum AVPixelFormat)f->format, b->enc->width,
                                      b->enc->height, AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
        if (!b->sws || av_frame_make_writable(b->conv) < 0) {
            rc = NVR_ECODEC;
            break;
        }
        sws_scale(b->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, b->conv->data, b->conv->linesize);
        draw(b->conv, cue_at(b, pts, vs->time_base));
        if (pts == AV_NOPTS_VALUE || pts <= b->last_pts)
            pts = b->last_pts + 1;
        b->last_pts = pts;
        b->conv->pts = pts;
        b->conv->pict_type = AV_PICTURE_TYPE_NONE;
        if (avcodec_send_frame(b->enc, b->conv) < 0)
            rc = NVR_ECODEC;
        else
            rc = write_encoded(b);
        av_frame_unref(f);
    }
    return rc;
}

nvr_err export_burn_file(const char *in_path, const char *out_path, char *err, size_t errlen)
{
    struct burn b = {.last_pts = INT64_MIN};
    int rc;
    err[0] = '\0';
    if ((rc = open_io(&b, in_path, out_path))) {
        snprintf(err, errlen, "cannot set up the transcode (libx264): %s", nvr_strerror(rc));
        goto out;
    }
    if ((rc = read_cues(&b, in_path))) {
        snprintf(err, errlen, "cannot read the time cues: %s", nvr_strerror(rc));
        goto out;
    }
    rc = NVR_ENOMEM;
    if (!(b.frame = av_frame_alloc()) || !(b.conv = av_frame_alloc()) || !(b.pkt = av_packet_alloc()))
        goto out;
    b.conv->format = AV_PIX_FMT_YUV420P;
    b.conv->width = b.enc->width;
    b.conv->height = b.enc->height;
    if (av_frame_get_buffer(b.conv, 0) < 0)
        goto out;
    AVPacket *in = av_packet_alloc();
    if (!in)
        goto out;
    rc = NVR_OK;
    while (rc == NVR_OK && av_read_frame(b.ic, in) >= 0) {
        int si = in->stream_index;
        if (si == b.vin) {
            rc = avcodec_send_packet(b.dec, in) < 0 ? NVR_ECODEC : drain(&b);
        } else if (si < 16 && b.map[si] >= 0) {
            AVStream *os = b.oc->streams[b.map[si]];
            av_packet_rescale_ts(in, b.ic->streams[si]->time_base, os->time_base);
            in->stream_index = os->index;
            in->pos = -1;
            if (av_interleaved_write_frame(b.oc, in) < 0)
                rc = NVR_EIO;
        }
        av_packet_unref(in);
    }
    av_packet_free(&in);
    if (rc == NVR_OK) { /* flush the decoder, then the encoder */
        avcodec_send_packet(b.dec, NULL);
        rc = drain(&b);
    }
    if (rc == NVR_OK && (avcodec_send_frame(b.enc, NULL) < 0 || (rc = write_encoded(&b))))
        rc = rc ? rc : NVR_ECODEC;
    if (rc == NVR_OK && av_write_trailer(b.oc) < 0)
        rc = NVR_EIO;
    if (rc)
        snprintf(err, errlen, "transcode failed: %s", nvr_strerror(rc));
out:
    if (b.oc) {
        if (b.oc->pb)
            avio_closep(&b.oc->pb);
        avformat_free_context(b.oc);
    }
    avformat_close_input(&b.ic);
    avcodec_free_context(&b.dec);
    avcodec_free_context(&b.enc);
    sws_freeContext(b.sws);
    av_frame_free(&b.frame);
    av_frame_free(&b.conv);
    av_packet_free(&b.pkt);
    free(b.cues);
    return rc;
}
