/* SPDX-License-Identifier: Apache-2.0 */
/*
 * motion_decode.c - a keyframe decoded alone (see motion_decode.h).
 */
#include "motion/motion_decode.h"

#include "base/err.h"

#include <libavutil/pixdesc.h>
#include <stdlib.h>

struct motion_decoder {
    AVFrame *frame;
};

nvr_err motion_decoder_create(struct motion_decoder **out)
{
    struct motion_decoder *d = calloc(1, sizeof *d);
    *out = NULL;
    if (!d || !(d->frame = av_frame_alloc())) {
        free(d);
        return NVR_ENOMEM;
    }
    *out = d;
    return NVR_OK;
}

void motion_decoder_destroy(struct motion_decoder **dp)
{
    struct motion_decoder *d = *dp;
    if (!d)
        return;
    av_frame_free(&d->frame);
    free(d);
    *dp = NULL;
}

nvr_err motion_decoder_keyframe(struct motion_decoder *d, const AVCodecParameters *par, const AVPacket *pkt,
                                const AVFrame **frame, int *depth)
{
    nvr_err rc = NVR_ECODEC;
    const AVCodec *dec = avcodec_find_decoder(par->codec_id);
    AVCodecContext *ctx = dec ? avcodec_alloc_context3(dec) : NULL;
    av_frame_unref(d->frame);
    if (!ctx)
        return dec ? NVR_ENOMEM : NVR_ECODEC;
    if (avcodec_parameters_to_context(ctx, par) < 0)
        goto out;
    ctx->thread_count = 1;
    ctx->skip_loop_filter = AVDISCARD_ALL;
    ctx->skip_frame = AVDISCARD_NONKEY;
    ctx->flags2 |= AV_CODEC_FLAG2_FAST;
    if (avcodec_open2(ctx, dec, NULL) < 0)
        goto out;
    if (avcodec_send_packet(ctx, pkt) < 0)
        goto out;
    avcodec_send_packet(ctx, NULL); /* drain: the picture comes out now */
    if (avcodec_receive_frame(ctx, d->frame) < 0)
        goto out;
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get((enum AVPixelFormat)d->frame->format);
    if (!desc || (desc->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_HWACCEL)) ||
        desc->comp[0].plane != 0 || d->frame->width < MOTION_MIN_W || d->frame->height < MOTION_MIN_H)
        goto out;
    *depth = desc->comp[0].depth;
    if (*depth > 8 && (desc->flags & AV_PIX_FMT_FLAG_BE))
        goto out;
    *frame = d->frame;
    rc = NVR_OK;
out:
    avcodec_free_context(&ctx);
    return rc;
}
