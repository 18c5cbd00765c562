/* SPDX-License-Identifier: Apache-2.0 */
/*
 * snapshot.c - keyframe -> JPEG, with a per-camera cache (see snapshot.h).
 *
 * The cache holds CACHE_SLOTS pictures: (keyframe sequence, width) -> JPEG.
 * A request whose keyframe is still the hub's newest and whose width was
 * encoded before is a copy of the cached bytes; otherwise the keyframe is
 * decoded and encoded and replaces the least recently used slot.
 */
#include "live/snapshot.h"

#include "base/err.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CACHE_SLOTS 6

struct slot {
    uint64_t seq;
    int width;
    uint8_t *jpeg;
    size_t len;
    uint64_t used;
};

struct snapshot_cache {
    pthread_mutex_t mu;
    struct slot s[CACHE_SLOTS];
    uint64_t tick, hits, misses;
};

nvr_err snapshot_cache_create(struct snapshot_cache **out)
{
    struct snapshot_cache *c = calloc(1, sizeof *c);
    *out = c;
    if (!c)
        return NVR_ENOMEM;
    pthread_mutex_init(&c->mu, NULL);
    return NVR_OK;
}

void snapshot_cache_destroy(struct snapshot_cache **cp)
{
    struct snapshot_cache *c = *cp;
    if (!c)
        return;
    for (int i = 0; i < CACHE_SLOTS; i++)
        free(c->s[i].jpeg);
    pthread_mutex_destroy(&c->mu);
    free(c);
    *cp = NULL;
}

void snapshot_cache_stats(struct snapshot_cache *c, uint64_t *hits, uint64_t *misses)
{
    pthread_mutex_lock(&c->mu);
    *hits = c->hits;
    *misses = c->misses;
    pthread_mutex_unlock(&c->mu);
}

static nvr_err decode(const AVCodecParameters *par, const AVPacket *pkt, AVFrame *frame)
{
    int rc = NVR_ECODEC;
    const AVCodec *dec = avcodec_find_decoder(par->codec_id);
    AVCodecContext *ctx = dec ? avcodec_alloc_context3(dec) : NULL;
    if (!ctx)
        return dec ? NVR_ENOMEM : NVR_ECODEC;
    ctx->thread_count = 1;
    if (avcodec_parameters_to_context(ctx, par) < 0 || avcodec_open2(ctx, dec, NULL) < 0)
        goto out;
    if (avcodec_send_packet(ctx, pkt) < 0)
        goto out;
    avcodec_send_packet(ctx, NULL);
    if (avcodec_receive_frame(ctx, frame) == 0 && frame->width > 0 && frame->height > 0)
        rc = NVR_OK;
out:
    avcodec_free_context(&ctx);
    return rc;
}

static nvr_err encode_jpeg(const AVFrame *src, int width, uint8_t **jpeg, size_t *len)
{
    int rc = NVR_ENOMEM;
    AVFrame *dst = NULL;
    AVPacket *out = NULL;
    struct SwsContext *sws = NULL;
    AVCodecContext *enc = NULL;
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
    int w = width > 0 ? width : src->width;
    /* keep the aspect ratio (square pixels assumed); even sizes for 4:2:0 */
    int h = (int)(((int64_t)src->height * w + src->width) / (2 * (int64_t)src->width)) * 2;
    w = (w + 1) & ~1;
    h = h < 2 ? 2 : h;
    if (!codec)
        return NVR_ECODEC;
    if (!(dst = av_frame_alloc()) || !(out = av_packet_alloc()) || !(enc = avcodec_alloc_context3(codec)))
        goto out;
    dst->format = AV_PIX_FMT_YUV420P;
    dst->color_range = AVCOL_RANGE_JPEG;
    dst->width = w;
    dst->height = h;
    if (av_frame_get_buffer(dst, 0) < 0)
        goto out;
    sws = sws_getContext(src->width, src->height, (enum AVPixelFormat)src->format, w, h, AV_PIX_FMT_YUV420P,
                         SWS_BICUBIC, NULL, NULL, NULL);
    if (!sws) {
        rc = NVR_ECODEC;
        goto out;
    }
    /* JPEG is full range; cameras send limited range (or say full) */
    const int *coef = sws_getCoefficients(SWS_CS_ITU709);
    sws_setColorspaceDetails(sws, coef, src->color_range == AVCOL_RANGE_JPEG, coef, 1, 0, 1 << 16, 1 << 16);
    sws_scale(sws, (const uint8_t *const *)src->data, src->linesize, 0, src->height, dst->data, dst->linesize);
    enc->width = w;
    enc->height = h;
    enc->pix_fmt = AV_PIX_FMT_YUV420P;
    enc->color_range = AVCOL_RANGE_JPEG;
    enc->time_base = (AVRational){1, 25};
    enc->flags |= AV_CODEC_FLAG_QSCALE;
    enc->global_quality = FF_QP2LAMBDA * 4;
    dst->quality = enc->global_quality;
    if (avcodec_open2(enc, codec, NULL) < 0 || avcodec_send_frame(enc, dst) < 0 ||
        avcodec_receive_packet(enc, out) < 0) {
        rc = NVR_ECODEC;
        goto out;
    }
    if (!(*jpeg = malloc((size_t)out->size)))
        goto out;
    memcpy(*jpeg, out->data, (size_t)out->size);
    *len = (size_t)out->size;
    rc = NVR_OK;
out:
    sws_freeContext(sws);
    avcodec_free_context(&enc);
    av_packet_free(&out);
    av_frame_free(&dst);
    return rc;
}

nvr_err snapshot_encode(const AVCodecParameters *par, const AVPacket *pkt, int width, uint8_t **jpeg, size_t *len)
{
    *jpeg = NULL;
    *len = 0;
    AVFrame *f = av_frame_alloc();
    if (!f)
        return NVR_ENOMEM;
    int rc = decode(par, pkt, f);
    if (rc == NVR_OK)
        rc = encode_jpeg(f, width, jpeg, len);
    av_frame_free(&f);
    return rc;
}

static nvr_err copy_out(const struct slot *s, uint8_t **jpeg, size_t *len)
{
    if (!(*jpeg = malloc(s->len)))
        return NVR_ENOMEM;
    memcpy(*jpeg, s->jpeg, s->len);
    *len = s->len;
    return NVR_OK;
}

nvr_err snapshot_live(struct snapshot_cache *c, struct live_hub *hub, int width, uint8_t **jpeg, size_t *len)
{
    int rc;
    AVPacket *pkt = NULL;
    AVCodecParameters *par = NULL;
    uint64_t seq = live_hub_keyframe_seq(hub);
    *jpeg = NULL;
    *len = 0;
    if (!seq)
        return NVR_ENOTFOUND;
    pthread_mutex_lock(&c->mu);
    c->tick++;
    for (int i = 0; i < CACHE_SLOTS; i++)
        if (c->s[i].jpeg && c->s[i].seq == seq && c->s[i].width == width) {
            c->s[i].used = c->tick;
            c->hits++;
            rc = copy_out(&c->s[i], jpeg, len);
            goto out;
        }
    c->misses++;
    if ((rc = live_hub_keyframe(hub, &pkt, &par, &seq)))
        goto out;
    uint8_t *j;
    size_t n;
    if ((rc = snapshot_encode(par, pkt, width, &j, &n)))
        goto out;
    int victim = 0;
    for (int i = 1; i < CACHE_SLOTS; i++)
        if (c->s[i].used < c->s[victim].used)
            victim = i;
    free(c->s[victim].jpeg);
    c->s[victim] = (struct slot){.seq = seq, .width = width, .jpeg = j, .len = n, .used = c->tick};
    rc = copy_out(&c->s[victim], jpeg, len);
out:
    pthread_mutex_unlock(&c->mu);
    av_packet_free(&pkt);
    avcodec_parameters_free(&par);
    return rc;
}

/* ---- stored footage ---- */

struct membuf {
    const uint8_t *p;
    size_t len, pos;
};

static int mem_read(void *opaque, uint8_t *buf, int n)
{
    struct membuf *m = opaque;
    size_t left = m->len - m->pos;
    if (!left)
        return AVERROR_EOF;
    size_t k = (size_t)n < left ? (size_t)n : left;
    memcpy(buf, m->p + m->pos, k);
    m->pos += k;
    return (int)k;
}

/* The first video packet of an fMP4 held in memory, and its parameters. */
static nvr_err first_frame(const uint8_t *data, size_t len, AVPacket *pkt, AVCodecParameters *par)
{
    int rc = NVR_ENOMEM;
    struct membuf m = {data, len, 0};
    AVFormatContext *ic = avformat_alloc_context();
    unsigned char *iobuf = av_malloc(64 * 1024);
    AVIOContext *pb = iobuf ? avio_alloc_context(iobuf, 64 * 1024, 0, &m, mem_read, NULL, NULL) : NULL;
    if (!ic || !pb) {
        av_free(iobuf);
        avformat_free_context(ic);
        goto out;
    }
    ic->pb = pb;
    ic->flags |= AVFMT_FLAG_CUSTOM_IO;
    if (avformat_open_input(&ic, NULL, av_find_input_format("mp4"), NULL) < 0) { /* frees ic on failure */
        rc = NVR_ECORRUPT;
        goto out;
    }
    rc = NVR_ECORRUPT;
    for (int i = 0; i < 64; i++) {
        if (av_read_frame(ic, pkt) < 0)
            break;
        const AVStream *st = ic->streams[pkt->stream_index];
        if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
            rc = avcodec_parameters_copy(par, st->codecpar) < 0 ? NVR_ENOMEM : NVR_OK;
            break;
        }
        av_packet_unref(pkt);
    }
    avformat_close_input(&ic);
out:
    if (pb) {
        av_freep(&pb->buffer);
        avio_context_free(&pb);
    }
    return rc;
}

static nvr_err read_at(int fd, uint8_t *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return NVR_ECORRUPT;
        done += (size_t)n;
    }
    return NVR_OK;
}

nvr_err snapshot_stored(struct storage *st, const char *camera, int64_t t_us, int width, uint8_t **jpeg, size_t *len)
{
    struct index_segment *segs = NULL;
    size_t n = 0;
    uint8_t *buf = NULL;
    int fd = -1, rc;
    AVPacket *pkt = av_packet_alloc();
    AVCodecParameters *par = avcodec_parameters_alloc();
    *jpeg = NULL;
    *len = 0;
    if (!pkt || !par) {
        rc = NVR_ENOMEM;
        goto out;
    }
    if ((rc = index_segments_list(storage_index_reader(st), camera, t_us, t_us + 1, &segs, &n)))
        goto out;
    const struct index_segment *seg = NULL;
    for (size_t i = 0; i < n; i++)
        if (segs[i].start_us <= t_us && t_us < segs[i].end_us && segs[i].frags.n)
            seg = &segs[i];
    rc = NVR_ENOTFOUND;
    if (!seg)
        goto out;
    /* wall offset -> media offset (the two run at the same rate but for clock drift) */
    int64_t wall = seg->end_us - seg->start_us, off = t_us - seg->start_us;
    int64_t media = wall > 0 && seg->media_us > 0 ? (int64_t)((double)off * seg->media_us / wall) : off;
    /* the last fragment starting at or before that media offset */
    size_t k = 0;
    uint64_t at = seg->init_bytes, kat = at, mstart = 0;
    for (size_t i = 0; i < seg->frags.n && (int64_t)mstart <= media; i++) {
        k = i;
        kat = at;
        mstart += seg->frags.v[i].duration_us;
        at += seg->frags.v[i].bytes;
    }
    uint32_t fbytes = seg->frags.v[k].bytes;
    rc = NVR_ECORRUPT;
    if (fbytes > SNAPSHOT_MAX_FRAGMENT || seg->init_bytes > (1u << 20))
        goto out;
    if ((rc = storage_segment_open_read(st, seg, &fd)))
        goto out;
    size_t total = (size_t)seg->init_bytes + fbytes;
    if (!(buf = malloc(total))) {
        rc = NVR_ENOMEM;
        goto out;
    }
    if ((rc = read_at(fd, buf, seg->init_bytes, 0)) || (rc = read_at(fd, buf + seg->init_bytes, fbytes, kat)))
        goto out;
    if ((rc = first_frame(buf, total, pkt, par)))
        goto out;
    rc = snapshot_encode(par, pkt, width, jpeg, len);
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    av_packet_free(&pkt);
    avcodec_parameters_free(&par);
    index_segments_free(&segs, n);
    return rc;
}
