/* SPDX-License-Identifier: Apache-2.0 */
/*
 * motion_decode.c - a keyframe decoded alone (see motion_decode.h).
 *
 * Opening a decoder costs more than decoding the keyframe (its frame pool is
 * allocated and faulted in each time: 23 ms against 8 ms per 1080p keyframe,
 * bench/README.md "bench/motion"), so a worker keeps the last SLOTS decoders
 * it opened, keyed by the stream parameters (codec, size, extradata):
 * cameras of one model share one.  After each keyframe the decoder is
 * drained and flushed, so nothing of one camera's picture is a reference
 * for another's.
 */
#include "motion/motion_decode.h"

#include "base/err.h"

#include <libavutil/pixdesc.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 3

struct slot {
    AVCodecContext *ctx; /* NULL: free */
    enum AVCodecID codec;
    int width, height;
    uint8_t *extradata;
    int extradata_size;
    uint64_t used;
};

struct motion_decoder {
    AVFrame *frame;
    struct slot slot[SLOTS];
    uint64_t tick;
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

static void slot_clear(struct slot *s)
{
    avcodec_free_context(&s->ctx);
    free(s->extradata);
    memset(s, 0, sizeof *s);
}

void motion_decoder_destroy(struct motion_decoder **dp)
{
    struct motion_decoder *d = *dp;
    if (!d)
        return;
    for (int i = 0; i < SLOTS; i++)
        slot_clear(&d->slot[i]);
    av_frame_free(&d->frame);
    free(d);
    *dp = NULL;
}

static int slot_matches(const struct slot *s, const AVCodecParameters *par)
{
    return s->ctx && s->codec == par->codec_id && s->width == par->width && s->height == par->height &&
           s->extradata_size == par->extradata_size &&
           (par->extradata_size == 0 || memcmp(s->extradata, par->extradata, (size_t)par->extradata_size) == 0);
}

/* The decoder for par: a kept one, or a new one in the least recently used
 * slot.  NULL if it cannot be opened. */
static AVCodecContext *decoder_for(struct motion_decoder *d, const AVCodecParameters *par)
{
    struct slot *victim = &d->slot[0];
    for (int i = 0; i < SLOTS; i++) {
        struct slot *s = &d->slot[i];
        if (slot_matches(s, par)) {
            s->used = ++d->tick;
            return s->ctx;
        }
        if (!s->ctx || (victim->ctx && s->used < victim->used))
            victim = s;
    }
    slot_clear(victim);
    const AVCodec *dec = avcodec_find_decoder(par->codec_id);
    AVCodecContext *ctx = dec ? avcodec_alloc_context3(dec) : NULL;
    if (!ctx)
        return NULL;
    if (avcodec_parameters_to_context(ctx, par) < 0)
        goto fail;
    ctx->thread_count = 1;
    ctx->skip_loop_filter = AVDISCARD_ALL;
    ctx->skip_frame = AVDISCARD_NONKEY;
    ctx->flags2 |= AV_CODEC_FLAG2_FAST;
    if (avcodec_open2(ctx, dec, NULL) < 0)
        goto fail;
    if (par->extradata_size > 0) {
        if (!(victim->extradata = malloc((size_t)par->extradata_size)))
            goto fail;
        memcpy(victim->extradata, par->extradata, (size_t)par->extradata_size);
    }
    victim->ctx = ctx;
    victim->codec = par->codec_id;
    victim->width = par->width;
    victim->height = par->height;
    victim->extradata_size = par->extradata_size;
    victim->used = ++d->tick;
    return ctx;
fail:
    avcodec_free_context(&ctx);
    return NULL;
}

nvr_err motion_decoder_keyframe(struct motion_decoder *d, const AVCodecParameters *par, const AVPacket *pkt,
                                const AVFrame **frame, int *depth)
{
    nvr_err rc = NVR_ECODEC;
    AVCodecContext *ctx = decoder_for(d, par);
    av_frame_unref(d->frame);
    if (!ctx)
        return NVR_ECODEC;
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
    /* ready for the next keyframe, of any camera: no reference kept, the EOF
     * of the drain cleared; the frame pool stays (the point of keeping it) */
    avcodec_flush_buffers(ctx);
    if (rc)
        av_frame_unref(d->frame);
    return rc;
}
