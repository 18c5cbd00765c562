/* SPDX-License-Identifier: Apache-2.0 */
/* clip.c - see clip.h. */
#include "clip.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int clip_open(struct clip *c, const char *path)
{
    memset(c, 0, sizeof *c);
    if (avformat_open_input(&c->fc, path, NULL, NULL) < 0 || avformat_find_stream_info(c->fc, NULL) < 0)
        return -1;
    c->vi = av_find_best_stream(c->fc, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (c->vi < 0)
        return -1;
    AVStream *vs = c->fc->streams[c->vi];
    const AVBitStreamFilter *f = av_bsf_get_by_name(vs->codecpar->codec_id == AV_CODEC_ID_HEVC ? "hevc_mp4toannexb"
                                                                                              : "h264_mp4toannexb");
    if (!f || av_bsf_alloc(f, &c->bsf) < 0 || avcodec_parameters_copy(c->bsf->par_in, vs->codecpar) < 0)
        return -1;
    c->bsf->time_base_in = vs->time_base;
    if (av_bsf_init(c->bsf) < 0)
        return -1;
    c->tb = vs->time_base;
    c->par = c->bsf->par_out;
    AVPacket *p = av_packet_alloc();
    while (av_read_frame(c->fc, p) >= 0) {
        if (p->stream_index == c->vi && av_bsf_send_packet(c->bsf, p) == 0) {
            while (av_bsf_receive_packet(c->bsf, p) == 0) {
                AVPacket **grown = realloc(c->pkts, (c->n + 1) * sizeof *c->pkts);
                if (!grown)
                    break;
                c->pkts = grown;
                c->pkts[c->n++] = av_packet_clone(p);
                av_packet_unref(p);
            }
        }
        av_packet_unref(p);
    }
    av_packet_free(&p);
    if (c->n < 2)
        return -1;
    c->frame = c->pkts[1]->dts - c->pkts[0]->dts;
    c->span = c->frame * (int64_t)c->n;
    return 0;
}

AVPacket *clip_packet(const struct clip *c, size_t k)
{
    const AVPacket *src = c->pkts[k % c->n];
    int64_t loop = (int64_t)(k / c->n) * c->span;
    AVPacket *p = av_packet_clone(src);
    if (!p)
        return NULL;
    p->stream_index = 0;
    p->pts = src->pts - c->pkts[0]->dts + loop;
    p->dts = src->dts - c->pkts[0]->dts + loop;
    return p;
}

int64_t clip_us(const struct clip *c, size_t k)
{
    int64_t loop = (int64_t)(k / c->n) * c->span;
    return av_rescale_q(c->pkts[k % c->n]->dts - c->pkts[0]->dts + loop, c->tb, AV_TIME_BASE_Q);
}

void clip_close(struct clip *c)
{
    for (size_t i = 0; i < c->n; i++)
        av_packet_free(&c->pkts[i]);
    free(c->pkts);
    av_bsf_free(&c->bsf);
    avformat_close_input(&c->fc);
}

int clip_demux(const uint8_t *buf, size_t len, int *first_key)
{
    char path[] = "/tmp/test_clip_demux_XXXXXX";
    int fd = mkstemp(path), n = 0;
    *first_key = 0;
    if (fd < 0 || write(fd, buf, len) != (ssize_t)len) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    AVFormatContext *fc = NULL;
    if (avformat_open_input(&fc, path, NULL, NULL) == 0 && avformat_find_stream_info(fc, NULL) >= 0) {
        AVPacket *p = av_packet_alloc();
        while (av_read_frame(fc, p) >= 0) {
            if (n++ == 0)
                *first_key = (p->flags & AV_PKT_FLAG_KEY) != 0;
            av_packet_unref(p);
        }
        av_packet_free(&p);
    } else {
        n = -1;
    }
    avformat_close_input(&fc);
    unlink(path);
    return n;
}
