/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest_dts.c - decode timestamps for the ingest's video (see ingest_dts.h,
 * and dts_gen.h for the scheme).
 *
 * State: `fifo` holds video packets in decode order, each with a `ready`
 * flag once its dts is set; the ready ones are always the oldest (a hold
 * ends by giving the oldest waiting entries their dts).  At most D + 1 wait
 * between pops, so a fixed array is enough.
 */
#include "ingest/ingest_dts.h"

#include "media/dts_gen.h"
#include "media/h26x.h"
#include "base/err.h"
#include "base/log.h"

#include <stdlib.h>
#include <string.h>

#define FIFO_MAX (2 * DTS_GEN_MAX_DEPTH + 4)

struct held {
    AVPacket *pkt;
    struct ingest_meta meta;
    int ready; /* pkt->dts is set */
};

struct ingest_dts {
    const char *camera;
    struct dts_gen gen;
    int depth; /* -1 until the first parameters */
    uint64_t clamped_logged;
    int skip_to_key;  /* a guessed timestamp with B-frames: wait for a keyframe */
    int carry_params; /* a skipped packet had new_params: the next one says so */
    struct held fifo[FIFO_MAX];
    int nfifo;
};

nvr_err ingest_dts_create(struct ingest_dts **out, const char *camera)
{
    struct ingest_dts *d = calloc(1, sizeof *d);
    *out = d;
    if (!d)
        return NVR_ENOMEM;
    d->camera = camera;
    d->depth = -1;
    return NVR_OK;
}

void ingest_dts_destroy(struct ingest_dts **dp)
{
    struct ingest_dts *d = *dp;
    if (!d)
        return;
    for (int i = 0; i < d->nfifo; i++)
        av_packet_free(&d->fifo[i].pkt);
    free(d);
    *dp = NULL;
}

/* Marks the oldest n waiting packets ready with the given decode times. */
static void fifo_ready(struct ingest_dts *d, const int64_t *dts, int n)
{
    for (int i = 0, k = 0; i < d->nfifo && k < n; i++) {
        if (d->fifo[i].ready)
            continue;
        d->fifo[i].pkt->dts = dts[k++];
        d->fifo[i].ready = 1;
    }
}

void ingest_dts_flush(struct ingest_dts *d)
{
    int64_t out[DTS_GEN_MAX_DEPTH + 1];
    fifo_ready(d, out, dts_gen_flush(&d->gen, out));
}

/* New parameters: the held frames get their dts now, and a new hold with the
 * new SPS's depth begins. */
static void new_depth(struct ingest_dts *d, const struct ingest_info *info)
{
    const AVCodecParameters *v = info->video;
    int depth = h26x_reorder_depth(v->codec_id, v->extradata, v->extradata ? (size_t)v->extradata_size : 0);
    if (depth < 0)
        depth = d->depth >= 0 ? d->depth : 0;
    ingest_dts_flush(d);
    if (d->depth < 0) {
        int64_t sec = info->video_tb.num > 0 ? info->video_tb.den / info->video_tb.num : 90000;
        dts_gen_reset(&d->gen, depth, 2 * sec, sec / 2);
    } else {
        dts_gen_set_depth(&d->gen, depth);
    }
    if (depth != d->depth)
        nvr_log(NVR_INFO, d->camera, "video reorder_depth=%d%s", depth,
                depth ? " (B-frames: decode times derived)" : "");
    d->depth = depth;
}

nvr_err ingest_dts_push(struct ingest_dts *d, AVPacket *pkt, const struct ingest_meta *meta,
                        const struct ingest_info *info)
{
    int64_t out[DTS_GEN_MAX_DEPTH + 1];
    struct ingest_meta m = *meta;
    if (m.new_params || d->depth < 0)
        new_depth(d, info);
    if (m.pts_guessed && d->depth > 0) {
        /* a frame without a timestamp cannot be placed among B-frames:
         * the session starts at the next keyframe instead */
        d->skip_to_key = 1;
        d->carry_params |= m.new_params;
        av_packet_unref(pkt);
        return NVR_OK;
    }
    if (d->skip_to_key && !(pkt->flags & AV_PKT_FLAG_KEY)) {
        d->carry_params |= m.new_params;
        av_packet_unref(pkt);
        return NVR_OK;
    }
    d->skip_to_key = 0;
    m.new_params |= d->carry_params;
    d->carry_params = 0;
    if (dts_gen_jumps(&d->gen, pkt->pts))
        ingest_dts_flush(d);
    if (d->nfifo == FIFO_MAX) /* cannot happen: at most D + 1 wait and pop drains the rest */
        return NVR_EINVAL;
    AVPacket *p = av_packet_alloc();
    if (!p)
        return NVR_ENOMEM;
    av_packet_move_ref(p, pkt);
    d->fifo[d->nfifo++] = (struct held){.pkt = p, .meta = m, .ready = 0};
    fifo_ready(d, out, dts_gen_push(&d->gen, p->pts, out, NULL));
    if (d->gen.clamped > d->clamped_logged) {
        if (d->clamped_logged == 0)
            nvr_log(NVR_WARN, d->camera, "video reorders deeper than its SPS declares depth=%d: decode times adjusted",
                    d->depth);
        d->clamped_logged = d->gen.clamped;
    }
    return NVR_OK;
}

int ingest_dts_pop(struct ingest_dts *d, AVPacket *pkt, struct ingest_meta *meta)
{
    if (!d->nfifo || !d->fifo[0].ready)
        return 0;
    struct held h = d->fifo[0];
    memmove(d->fifo, d->fifo + 1, (size_t)(d->nfifo - 1) * sizeof *d->fifo);
    d->nfifo--;
    av_packet_move_ref(pkt, h.pkt);
    av_packet_free(&h.pkt);
    *meta = h.meta;
    return 1;
}
