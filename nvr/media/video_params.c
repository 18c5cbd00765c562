/* SPDX-License-Identifier: Apache-2.0 */
/*
 * video_params.c - codec parameters that follow in-band SPS changes (see
 * video_params.h).
 */
#include "media/video_params.h"

#include "media/h26x.h"
#include "base/err.h"

#include <stdlib.h>
#include <string.h>

struct video_params {
    AVCodecParameters *par; /* extradata follows in-band changes */
    AVCodecContext *pctx;   /* for the parser */
    AVCodecParserContext *parser;
    int ready; /* extradata and size known */
};

nvr_err video_params_create(struct video_params **out, const AVCodecParameters *initial)
{
    struct video_params *vp = calloc(1, sizeof *vp);
    *out = NULL;
    if (!vp)
        return NVR_ENOMEM;
    if (!(vp->par = avcodec_parameters_alloc()) || avcodec_parameters_copy(vp->par, initial) < 0) {
        video_params_destroy(&vp);
        return NVR_ENOMEM;
    }
    *out = vp;
    return NVR_OK;
}

static void close_parser(struct video_params *vp)
{
    if (vp->parser)
        av_parser_close(vp->parser);
    vp->parser = NULL;
    avcodec_free_context(&vp->pctx);
}

void video_params_destroy(struct video_params **vpp)
{
    struct video_params *vp = *vpp;
    if (!vp)
        return;
    avcodec_parameters_free(&vp->par);
    close_parser(vp);
    free(vp);
    *vpp = NULL;
}

const AVCodecParameters *video_params_get(const struct video_params *vp)
{
    return vp->par;
}

int video_params_ready(const struct video_params *vp)
{
    return vp->ready;
}

/* Re-reads width/height from the current extradata + this keyframe. */
static void parse_dimensions(struct video_params *vp, const AVPacket *pkt)
{
    if (!vp->parser) {
        vp->parser = av_parser_init(vp->par->codec_id);
        vp->pctx = avcodec_alloc_context3(NULL);
        if (!vp->parser || !vp->pctx) {
            close_parser(vp);
            return;
        }
        vp->parser->flags |= PARSER_FLAG_COMPLETE_FRAMES;
    }
    av_freep(&vp->pctx->extradata);
    vp->pctx->extradata_size = 0;
    if (vp->par->extradata_size > 0) {
        vp->pctx->extradata = av_mallocz((size_t)vp->par->extradata_size + AV_INPUT_BUFFER_PADDING_SIZE);
        if (vp->pctx->extradata) {
            memcpy(vp->pctx->extradata, vp->par->extradata, (size_t)vp->par->extradata_size);
            vp->pctx->extradata_size = vp->par->extradata_size;
        }
    }
    uint8_t *out = NULL;
    int outlen = 0;
    av_parser_parse2(vp->parser, vp->pctx, &out, &outlen, pkt->data, pkt->size, pkt->pts, pkt->dts, 0);
    if (vp->parser->width > 0 && vp->parser->height > 0) {
        vp->par->width = vp->parser->width;
        vp->par->height = vp->parser->height;
    } else if (vp->pctx->width > 0 && vp->pctx->height > 0) {
        vp->par->width = vp->pctx->width;
        vp->par->height = vp->pctx->height;
    }
}

int video_params_keyframe(struct video_params *vp, const AVPacket *pkt)
{
    enum AVCodecID codec = vp->par->codec_id;
    const uint8_t *sps_in = NULL, *sps_cur = NULL;
    size_t len_in = 0, len_cur = 0;
    int have_in = h26x_find_sps(codec, pkt->data, (size_t)pkt->size, &sps_in, &len_in);
    int have_cur = h26x_find_sps(codec, vp->par->extradata, (size_t)vp->par->extradata_size, &sps_cur, &len_cur);
    int changed = 0;
    if (have_in && (!have_cur || len_in != len_cur || memcmp(sps_in, sps_cur, len_in) != 0)) {
        uint8_t *ps = NULL;
        int n = h26x_extract_parameter_sets(codec, pkt->data, (size_t)pkt->size, &ps);
        if (n < 0)
            return NVR_ENOMEM;
        if (n > 0) {
            av_freep(&vp->par->extradata);
            vp->par->extradata = ps;
            vp->par->extradata_size = n;
            changed = 1;
        }
    }
    if (changed)
        close_parser(vp); /* a fresh parser reads the new SPS rather than remembering the old one */
    if (changed || !vp->ready || vp->par->width <= 0)
        parse_dimensions(vp, pkt);
    int ready = vp->par->extradata_size > 0 && vp->par->width > 0 && vp->par->height > 0;
    if (ready && (!vp->ready || changed)) {
        vp->ready = 1;
        return 1;
    }
    return 0;
}
