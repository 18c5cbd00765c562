/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rendition.c - stored footage -> H.264 fragmented MP4 (see rendition.h).
 *
 * Pipeline, all on the rendition's own thread:
 *   segment file (pread: init section + the selected fragments, through a
 *   custom AVIOContext)  -> libavformat's mov demuxer -> video packets
 *   -> [copy] or [decode (libavcodec) -> scale (swscale) -> libx264]
 *   -> libavformat's mp4 muxer (empty_moov, a fragment per second and at
 *      every keyframe) -> out buffer -> rendition_read (HTTP thread).
 *
 * Time: a packet's media offset within its segment (from the fragment table:
 * the fragments before the first one read, plus its decode-time distance
 * from the first packet read) is mapped onto the segment's wall-clock span
 * (rule T1); the output timestamp is that wall time minus the plan's start.
 * So output media time is wall-clock time since start_us, continuous across
 * segment boundaries, and strictly increasing (forced by one tick if not).
 *
 * Lifetime: a rendition has two owners, the thread and the caller (the HTTP
 * stream); whichever lets go last frees it.  `gone` (caller left) makes the
 * thread stop at its next packet or buffer wait; `done` (thread finished)
 * makes the reader end the body once the buffer is drained.  The pool slot
 * is given back as the thread's very last act.
 *
 * Locks: pool->mu guards the slot count; r->mu guards the buffer, flags and
 * the caller's wake hook.  wake() runs under r->mu (so rendition_release
 * can guarantee it is not called afterwards).
 */
#include "playback/rendition.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"

#include <errno.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUT_TB ((AVRational){1, 90000})
#define US_TB ((AVRational){1, 1000000})
#define IO_BUFSZ (64 * 1024)

struct rendition_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int active;
};

struct rendition {
    char camera[72];
    struct rendition_pool *pool;
    struct storage *st;
    struct rendition_plan plan;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* buffer drained / gone */
    int refs;          /* thread + caller */
    int gone, done;
    void (*wake)(void *cls);
    void *cls;
    uint8_t *buf; /* muxed bytes [off, len) */
    size_t len, off, cap;
    /* thread-owned */
    AVFormatContext *oc;
    AVCodecContext *dec, *enc;
    AVCodecParameters *inpar; /* parameters the decoder (or copy) was set up with */
    struct SwsContext *sws;
    AVFrame *frame, *scaled;
    AVPacket *opkt;
    int64_t last_dts, last_enc_pts; /* OUT_TB, strictly increasing */
    int header_done;
    uint64_t frames;
};

/* ---- pool ---- */

nvr_err rendition_pool_create(struct rendition_pool **out)
{
    struct rendition_pool *p = calloc(1, sizeof *p);
    *out = p;
    if (!p)
        return NVR_ENOMEM;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    return NVR_OK;
}

void rendition_pool_destroy(struct rendition_pool **pp)
{
    struct rendition_pool *p = *pp;
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    while (p->active > 0)
        pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
    *pp = NULL;
}

int rendition_pool_active(struct rendition_pool *p)
{
    pthread_mutex_lock(&p->mu);
    int n = p->active;
    pthread_mutex_unlock(&p->mu);
    return n;
}

int rendition_pool_take(struct rendition_pool *p)
{
    pthread_mutex_lock(&p->mu);
    int ok = p->active < RENDITION_MAX_JOBS;
    if (ok)
        p->active++;
    pthread_mutex_unlock(&p->mu);
    return ok;
}

void rendition_pool_give(struct rendition_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->active--;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* ---- plan ---- */

void rendition_plan_free(struct rendition_plan *plan)
{
    index_segments_free(&plan->segs, plan->n);
    plan->n = 0;
}

/* Wall clock of media offset m (us from the segment's first frame). */
static int64_t seg_wall(const struct index_segment *s, int64_t m)
{
    int64_t wall = s->end_us - s->start_us;
    if (wall > 0 && s->media_us > 0)
        return s->start_us + (int64_t)((double)m * (double)wall / (double)s->media_us);
    return s->start_us + m;
}

static int even_height(int src_w, int src_h, int w)
{
    int h = (int)(((int64_t)src_h * w + src_w) / (2 * (int64_t)src_w)) * 2;
    return h < 2 ? 2 : h;
}

nvr_err rendition_plan(struct storage *st, const char *camera, int64_t from_us, int64_t to_us, int width,
                       struct rendition_plan *plan)
{
    struct index_segment *segs = NULL;
    size_t n = 0;
    memset(plan, 0, sizeof *plan);
    int rc = index_segments_list(storage_index_reader(st), camera, from_us, to_us, &segs, &n);
    if (rc == NVR_OK)
        rc = rendition_plan_segments(segs, n, from_us, to_us, width, plan);
    index_segments_free(&segs, n);
    if (rc)
        return rc;
    /* the files must hold what the index promises: the run ends before the
     * first one that is missing or shorter, and with none left the footage
     * is gone (the caller answers 410) */
    size_t ok = 0;
    for (; ok < plan->n; ok++) {
        const struct index_segment *s = &plan->segs[ok];
        uint64_t size;
        int present = storage_segment_present(st, s, &size);
        if (present != NVR_OK) {
            nvr_log(NVR_WARN, camera, "playback: segment file %s path=%s size=%llu indexed=%llu",
                    present == NVR_ECORRUPT ? "shorter than the index" : "missing", s->path, (unsigned long long)size,
                    (unsigned long long)s->bytes);
            break;
        }
    }
    if (ok == 0) {
        rendition_plan_free(plan);
        return NVR_ECORRUPT;
    }
    if (ok < plan->n) {
        for (size_t i = ok; i < plan->n; i++)
            fragments_free(&plan->segs[i].frags);
        plan->end_us = plan->segs[ok].start_us < plan->end_us ? plan->segs[ok].start_us : plan->end_us;
        plan->n = ok;
    }
    return NVR_OK;
}

nvr_err rendition_plan_segments(struct index_segment *segs, size_t n, int64_t from_us, int64_t to_us, int width,
                                struct rendition_plan *plan)
{
    size_t i0, i1;
    int rc;
    memset(plan, 0, sizeof *plan);
    for (i0 = 0; i0 < n; i0++)
        if (segs[i0].frags.n && segs[i0].end_us > from_us && segs[i0].start_us < to_us && segs[i0].width > 0 &&
            segs[i0].height > 0)
            break;
    rc = NVR_ENOTFOUND;
    if (i0 == n)
        goto out;
    const struct index_segment *s0 = &segs[i0];
    /* the fragment (GOP) holding from, as snapshot_stored finds it */
    size_t k = 0;
    int64_t mstart = 0;
    if (from_us > s0->start_us) {
        int64_t wall = s0->end_us - s0->start_us, off = from_us - s0->start_us;
        int64_t media = wall > 0 && s0->media_us > 0 ? (int64_t)((double)off * s0->media_us / wall) : off;
        int64_t m = 0;
        for (size_t i = 0; i < s0->frags.n && m <= media; i++) {
            k = i;
            mstart = m;
            m += s0->frags.v[i].duration_us;
        }
    }
    /* the run: adjacent segments of one session with the same codec and size */
    for (i1 = i0 + 1; i1 < n; i1++) {
        const struct index_segment *p = &segs[i1 - 1], *s = &segs[i1];
        if (!s->frags.n || s->start_us >= to_us || s->session != s0->session ||
            llabs(s->start_us - p->end_us) > RENDITION_GAP_US || strcmp(s->video_codec, s0->video_codec) != 0 ||
            s->width != s0->width || s->height != s0->height)
            break;
    }
    rc = NVR_ENOMEM;
    if (!(plan->segs = calloc(i1 - i0, sizeof *plan->segs)))
        goto out;
    for (size_t i = i0; i < i1; i++) {
        plan->segs[plan->n++] = segs[i];
        memset(&segs[i].frags, 0, sizeof segs[i].frags); /* moved */
    }
    plan->first_frag = k;
    plan->start_us = seg_wall(s0, mstart);
    plan->end_us = plan->segs[plan->n - 1].end_us < to_us ? plan->segs[plan->n - 1].end_us : to_us;
    plan->copy = strcmp(s0->video_codec, "h264") == 0 && (width <= 0 || width >= s0->width);
    int w = plan->copy ? s0->width : width > 0 ? width : RENDITION_MAX_WIDTH;
    if (w > s0->width)
        w = s0->width;
    w &= ~1;
    plan->width = w < 2 ? 2 : w;
    plan->height = plan->copy ? s0->height : even_height(s0->width, s0->height, plan->width);
    rc = NVR_OK;
out:
    return rc;
}

/* ---- reading one segment: init section + fragments [k, n) ---- */

struct src {
    int fd;
    uint64_t off[2], len[2]; /* the two byte ranges of the file read */
    uint64_t pos;            /* in the concatenation */
};

static int src_read(void *opaque, uint8_t *buf, int n)
{
    struct src *s = opaque;
    uint64_t at = s->pos;
    int part = 0;
    if (at >= s->len[0]) {
        at -= s->len[0];
        part = 1;
        if (at >= s->len[1])
            return AVERROR_EOF;
    }
    uint64_t left = s->len[part] - at;
    size_t want = (size_t)n < left ? (size_t)n : (size_t)left;
    ssize_t got;
    do
        got = pread(s->fd, buf, want, (off_t)(s->off[part] + at));
    while (got < 0 && errno == EINTR);
    if (got <= 0)
        return got == 0 ? AVERROR_EOF : AVERROR(errno);
    s->pos += (uint64_t)got;
    return (int)got;
}

static void input_close(AVFormatContext **ic, AVIOContext **pb)
{
    avformat_close_input(ic);
    if (*pb) {
        av_freep(&(*pb)->buffer);
        avio_context_free(pb);
    }
}

static nvr_err input_open(struct src *s, AVFormatContext **icp, AVIOContext **pbp, int *vidx)
{
    AVFormatContext *ic = avformat_alloc_context();
    unsigned char *iobuf = av_malloc(IO_BUFSZ);
    AVIOContext *pb = iobuf ? avio_alloc_context(iobuf, IO_BUFSZ, 0, s, src_read, NULL, NULL) : NULL;
    *icp = NULL;
    *pbp = pb;
    if (!ic || !pb) {
        if (!pb)
            av_free(iobuf);
        avformat_free_context(ic);
        return NVR_ENOMEM;
    }
    ic->pb = pb;
    ic->flags |= AVFMT_FLAG_CUSTOM_IO;
    if (avformat_open_input(&ic, NULL, av_find_input_format("mp4"), NULL) < 0) /* frees ic on failure */
        return NVR_ECORRUPT;
    *icp = ic;
    for (unsigned i = 0; i < ic->nb_streams; i++)
        if (ic->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
            *vidx = (int)i;
            return NVR_OK;
        }
    return NVR_ECORRUPT;
}

/* ---- output ---- */

/* The muxer's write callback: appends to the buffer, waiting while it is
 * full; AVERROR_EXIT once the client is gone. */
static int out_write(void *opaque, uint8_t *data, int n)
{
    struct rendition *r = opaque;
    int ret = n;
    pthread_mutex_lock(&r->mu);
    while (!r->gone && r->len - r->off >= RENDITION_BUFFER)
        pthread_cond_wait(&r->cv, &r->mu);
    if (r->gone) {
        ret = AVERROR_EXIT;
        goto out;
    }
    if (r->off && r->len + (size_t)n > r->cap) {
        memmove(r->buf, r->buf + r->off, r->len - r->off);
        r->len -= r->off;
        r->off = 0;
    }
    if (r->len + (size_t)n > r->cap) {
        size_t cap = r->cap ? r->cap : 256 * 1024;
        while (cap < r->len + (size_t)n)
            cap *= 2;
        uint8_t *p = realloc(r->buf, cap);
        if (!p) {
            ret = AVERROR(ENOMEM);
            goto out;
        }
        r->buf = p;
        r->cap = cap;
    }
    memcpy(r->buf + r->len, data, (size_t)n);
    r->len += (size_t)n;
    if (r->wake)
        r->wake(r->cls);
out:
    pthread_mutex_unlock(&r->mu);
    return ret;
}

static nvr_err output_open(struct rendition *r, const AVCodecParameters *par, AVRational fps)
{
    AVDictionary *opts = NULL;
    int rc = NVR_ENOMEM;
    if (avformat_alloc_output_context2(&r->oc, NULL, "mp4", NULL) < 0 || !r->oc)
        return NVR_ENOMEM;
    unsigned char *iobuf = av_malloc(IO_BUFSZ);
    if (!iobuf)
        goto out;
    if (!(r->oc->pb = avio_alloc_context(iobuf, IO_BUFSZ, 1, r, NULL, out_write, NULL))) {
        av_free(iobuf);
        goto out;
    }
    r->oc->flags |= AVFMT_FLAG_CUSTOM_IO | AVFMT_FLAG_FLUSH_PACKETS;
    AVStream *os = avformat_new_stream(r->oc, NULL);
    if (!os || avcodec_parameters_copy(os->codecpar, par) < 0)
        goto out;
    os->codecpar->codec_tag = 0;
    os->time_base = OUT_TB;
    os->avg_frame_rate = fps;
    /* a fragment per second (and at every keyframe): MSE can start playing
     * after the first, and a client's buffer fills in small steps */
    av_dict_set(&opts, "movflags", "empty_moov+default_base_moof+frag_keyframe+skip_trailer", 0);
    av_dict_set(&opts, "frag_duration", "1000000", 0);
    rc = NVR_ECODEC;
    if (avformat_write_header(r->oc, &opts) < 0)
        goto out;
    r->header_done = 1;
    rc = NVR_OK;
out:
    av_dict_free(&opts);
    return rc;
}

static void output_close(struct rendition *r)
{
    if (!r->oc)
        return;
    if (r->oc->pb) {
        av_freep(&r->oc->pb->buffer);
        avio_context_free(&r->oc->pb);
    }
    avformat_free_context(r->oc);
    r->oc = NULL;
}

/* Writes pkt (timestamps in OUT_TB) to the muxer. */
static nvr_err mux(struct rendition *r, AVPacket *pkt)
{
    if (pkt->dts == AV_NOPTS_VALUE)
        pkt->dts = pkt->pts;
    if (pkt->dts <= r->last_dts)
        pkt->dts = r->last_dts + 1;
    if (pkt->pts < pkt->dts)
        pkt->pts = pkt->dts;
    r->last_dts = pkt->dts;
    pkt->stream_index = 0;
    pkt->pos = -1;
    return av_write_frame(r->oc, pkt) < 0 ? NVR_EIO : NVR_OK;
}

/* ---- transcoding ---- */

static void codecs_close(struct rendition *r)
{
    avcodec_free_context(&r->dec);
    avcodec_free_context(&r->enc);
    sws_freeContext(r->sws);
    r->sws = NULL;
}

static nvr_err decoder_open(struct rendition *r, const AVCodecParameters *par)
{
    const AVCodec *d = avcodec_find_decoder(par->codec_id);
    avcodec_free_context(&r->dec);
    if (!d)
        return NVR_ECODEC;
    if (!(r->dec = avcodec_alloc_context3(d)))
        return NVR_ENOMEM;
    r->dec->thread_count = 2;
    r->dec->pkt_timebase = US_TB;
    if (avcodec_parameters_to_context(r->dec, par) < 0 || avcodec_open2(r->dec, d, NULL) < 0)
        return NVR_ECODEC;
    return NVR_OK;
}

static nvr_err encoder_open(struct rendition *r, AVRational fps)
{
    AVDictionary *opts = NULL;
    int rc = NVR_ECODEC;
    const AVCodec *e = avcodec_find_encoder_by_name("libx264");
    AVCodecParameters *par = avcodec_parameters_alloc();
    if (!e || !par)
        goto out;
    rc = NVR_ENOMEM;
    if (!(r->enc = avcodec_alloc_context3(e)))
        goto out;
    r->enc->width = r->plan.width;
    r->enc->height = r->plan.height;
    r->enc->pix_fmt = AV_PIX_FMT_YUV420P;
    r->enc->time_base = OUT_TB;
    r->enc->framerate = fps;
    r->enc->gop_size = 2 * (fps.den ? (fps.num + fps.den / 2) / fps.den : 25); /* a keyframe every ~2 s */
    r->enc->max_b_frames = 0;
    r->enc->rc_max_rate = 4000000;
    r->enc->rc_buffer_size = 8000000;
    r->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    r->enc->thread_count = 2;
    av_dict_set(&opts, "preset", "ultrafast", 0);
    av_dict_set(&opts, "tune", "zerolatency", 0);
    av_dict_set(&opts, "crf", "25", 0);
    rc = NVR_ECODEC;
    if (avcodec_open2(r->enc, e, &opts) < 0 || avcodec_parameters_from_context(par, r->enc) < 0)
        goto out;
    rc = output_open(r, par, fps);
out:
    av_dict_free(&opts);
    avcodec_parameters_free(&par);
    return rc;
}

static nvr_err encode(struct rendition *r, AVFrame *f)
{
    int rc = NVR_OK;
    if (avcodec_send_frame(r->enc, f) < 0)
        return NVR_ECODEC;
    while (rc == NVR_OK && avcodec_receive_packet(r->enc, r->opkt) == 0) {
        rc = mux(r, r->opkt);
        av_packet_unref(r->opkt);
    }
    return rc;
}

/* Frames the decoder has ready -> scaled -> encoder. */
static nvr_err drain_decoder(struct rendition *r)
{
    int rc = NVR_OK;
    while (rc == NVR_OK && avcodec_receive_frame(r->dec, r->frame) == 0) {
        AVFrame *f = r->frame;
        r->sws = sws_getCachedContext(r->sws, f->width, f->height, (enum AVPixelFormat)f->format, r->plan.width,
                                      r->plan.height, AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
        if (!r->sws || av_frame_make_writable(r->scaled) < 0) {
            rc = NVR_ECODEC;
            break;
        }
        sws_scale(r->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, r->scaled->data,
                  r->scaled->linesize);
        int64_t us = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
        int64_t pts = av_rescale_q(us, US_TB, OUT_TB);
        if (pts <= r->last_enc_pts)
            pts = r->last_enc_pts + 1;
        r->last_enc_pts = pts;
        r->scaled->pts = pts;
        r->scaled->pict_type = AV_PICTURE_TYPE_NONE;
        rc = encode(r, r->scaled);
        r->frames++;
        av_frame_unref(f);
    }
    return rc;
}

static nvr_err flush_decoder(struct rendition *r)
{
    if (!r->dec)
        return NVR_OK;
    avcodec_send_packet(r->dec, NULL);
    return drain_decoder(r);
}

/* ---- the thread ---- */

static int is_gone(struct rendition *r)
{
    pthread_mutex_lock(&r->mu);
    int g = r->gone;
    pthread_mutex_unlock(&r->mu);
    return g;
}

static int same_params(const AVCodecParameters *a, const AVCodecParameters *b)
{
    return a->codec_id == b->codec_id && a->width == b->width && a->height == b->height &&
           a->extradata_size == b->extradata_size &&
           (!a->extradata_size || memcmp(a->extradata, b->extradata, (size_t)a->extradata_size) == 0);
}

/* Plays segment i; *stop set at the plan's end or where the parameters
 * change in a way the output cannot follow (stream copy). */
static nvr_err play_segment(struct rendition *r, size_t i, int *stop)
{
    const struct index_segment *seg = &r->plan.segs[i];
    size_t k = i == 0 ? r->plan.first_frag : 0;
    struct src s = {.fd = -1};
    AVFormatContext *ic = NULL;
    AVIOContext *pb = NULL;
    AVPacket *pkt = av_packet_alloc();
    int vidx = -1, rc;
    if (!pkt)
        return NVR_ENOMEM;
    if ((rc = storage_segment_open_read(r->st, seg, &s.fd)))
        goto out;
    s.off[0] = 0;
    s.len[0] = seg->init_bytes;
    s.off[1] = seg->init_bytes + fragments_bytes(&seg->frags, k);
    s.len[1] = fragments_bytes(&seg->frags, seg->frags.n) - fragments_bytes(&seg->frags, k);
    int64_t mbase = (int64_t)fragments_duration_us(&seg->frags, k);
    if ((rc = input_open(&s, &ic, &pb, &vidx)))
        goto out;
    AVStream *in = ic->streams[vidx];
    AVRational fps = in->avg_frame_rate.num > 0 ? in->avg_frame_rate : (AVRational){25, 1};
    if (!r->inpar) {
        rc = NVR_ENOMEM;
        if (!(r->inpar = avcodec_parameters_alloc()) || avcodec_parameters_copy(r->inpar, in->codecpar) < 0)
            goto out;
        if (r->plan.copy)
            rc = output_open(r, in->codecpar, fps);
        else if (!(rc = decoder_open(r, in->codecpar)))
            rc = encoder_open(r, fps);
        if (rc)
            goto out;
    } else if (!same_params(r->inpar, in->codecpar)) {
        if (r->plan.copy) { /* the stored stream's set-up changed: the client asks again from here */
            *stop = 1;
            rc = NVR_OK;
            goto out;
        }
        if ((rc = flush_decoder(r)) || (rc = decoder_open(r, in->codecpar)) ||
            avcodec_parameters_copy(r->inpar, in->codecpar) < 0)
            goto out;
    }
    int64_t base_dts = AV_NOPTS_VALUE;
    while (!*stop) {
        int e = av_read_frame(ic, pkt);
        if (e == AVERROR_EOF)
            break;
        if (e < 0) {
            rc = NVR_ECORRUPT;
            goto out;
        }
        if (pkt->stream_index != vidx) {
            av_packet_unref(pkt);
            continue;
        }
        if (is_gone(r)) {
            rc = NVR_ESTOPPED;
            goto out;
        }
        int64_t dts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
        if (base_dts == AV_NOPTS_VALUE)
            base_dts = dts;
        int64_t m = mbase + av_rescale_q(dts - base_dts, in->time_base, US_TB);
        int64_t wall = seg_wall(seg, m);
        if (wall >= r->plan.end_us) {
            *stop = 1;
            break;
        }
        int64_t out_dts = wall - r->plan.start_us;
        int64_t out_pts =
            out_dts + (pkt->pts != AV_NOPTS_VALUE ? av_rescale_q(pkt->pts - dts, in->time_base, US_TB) : 0);
        if (r->plan.copy) {
            pkt->pts = av_rescale_q(out_pts, US_TB, OUT_TB);
            pkt->dts = av_rescale_q(out_dts, US_TB, OUT_TB);
            pkt->duration = 0;
            r->frames++;
            rc = mux(r, pkt);
        } else {
            pkt->pts = out_pts;
            pkt->dts = out_dts;
            pkt->duration = 0;
            rc = avcodec_send_packet(r->dec, pkt) < 0 ? NVR_OK : drain_decoder(r); /* a broken frame is skipped */
        }
        av_packet_unref(pkt);
        if (rc)
            goto out;
    }
    rc = NVR_OK;
out:
    input_close(&ic, &pb);
    if (s.fd >= 0)
        close(s.fd);
    av_packet_free(&pkt);
    return rc;
}

static nvr_err run(struct rendition *r)
{
    int rc = NVR_ENOMEM, stop = 0;
    r->last_dts = r->last_enc_pts = INT64_MIN;
    if (!(r->frame = av_frame_alloc()) || !(r->scaled = av_frame_alloc()) || !(r->opkt = av_packet_alloc()))
        goto out;
    r->scaled->format = AV_PIX_FMT_YUV420P;
    r->scaled->width = r->plan.width;
    r->scaled->height = r->plan.height;
    if (av_frame_get_buffer(r->scaled, 0) < 0)
        goto out;
    rc = NVR_OK;
    for (size_t i = 0; i < r->plan.n && !stop && !rc; i++)
        rc = play_segment(r, i, &stop);
    if (!rc && !r->plan.copy && r->enc && !(rc = flush_decoder(r)))
        rc = encode(r, NULL);
    if (!rc && r->header_done && av_write_trailer(r->oc) < 0)
        rc = NVR_EIO;
out:
    codecs_close(r);
    output_close(r);
    avcodec_parameters_free(&r->inpar);
    av_frame_free(&r->frame);
    av_frame_free(&r->scaled);
    av_packet_free(&r->opkt);
    return rc;
}

static void unref(struct rendition *r)
{
    pthread_mutex_lock(&r->mu);
    int last = --r->refs == 0;
    pthread_mutex_unlock(&r->mu);
    if (!last)
        return;
    rendition_plan_free(&r->plan);
    free(r->buf);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static void *rendition_main(void *arg)
{
    struct rendition *r = arg;
    struct rendition_pool *pool = r->pool;
    int64_t t0 = nvr_clock_mono_us();
    int rc = run(r);
    if (rc && is_gone(r))
        rc = NVR_ESTOPPED; /* the client left: the muxer's write was refused */
    double secs = (double)(nvr_clock_mono_us() - t0) / 1e6;
    pthread_mutex_lock(&r->mu);
    r->done = 1;
    if (r->wake)
        r->wake(r->cls);
    pthread_mutex_unlock(&r->mu);
    if (rc && rc != NVR_ESTOPPED)
        nvr_log(NVR_WARN, r->camera, "playback rendition failed error=\"%s\" frames=%llu", nvr_strerror(rc),
                (unsigned long long)r->frames);
    else
        nvr_log(NVR_INFO, r->camera, "playback rendition %s mode=%s frames=%llu seconds=%.1f fps=%.0f",
                rc ? "stopped" : "done", r->plan.copy ? "copy" : "transcode", (unsigned long long)r->frames, secs,
                secs > 0 ? (double)r->frames / secs : 0.0);
    unref(r);
    rendition_pool_give(pool); /* last: the pool may be destroyed right after */
    return NULL;
}

nvr_err rendition_start(struct rendition_pool *pool, struct storage *st, const char *camera,
                        struct rendition_plan *plan, void (*wake)(void *cls), void *cls, struct rendition **out)
{
    pthread_attr_t attr;
    pthread_t tid;
    struct rendition *r = calloc(1, sizeof *r);
    *out = NULL;
    if (!r) {
        rendition_plan_free(plan);
        rendition_pool_give(pool);
        return NVR_ENOMEM;
    }
    snprintf(r->camera, sizeof r->camera, "%s", camera);
    r->pool = pool;
    r->st = st;
    r->plan = *plan;
    memset(plan, 0, sizeof *plan);
    r->wake = wake;
    r->cls = cls;
    r->refs = 2;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int err = pthread_create(&tid, &attr, rendition_main, r);
    pthread_attr_destroy(&attr);
    if (err) {
        r->refs = 1;
        unref(r);
        rendition_pool_give(pool);
        return NVR_ENOMEM;
    }
    *out = r;
    return NVR_OK;
}

long rendition_read(struct rendition *r, char *buf, size_t max)
{
    long n;
    pthread_mutex_lock(&r->mu);
    size_t have = r->len - r->off;
    if (have) {
        size_t k = have < max ? have : max;
        memcpy(buf, r->buf + r->off, k);
        r->off += k;
        if (r->off == r->len)
            r->off = r->len = 0;
        pthread_cond_signal(&r->cv);
        n = (long)k;
    } else {
        n = r->done ? -1 : 0;
    }
    pthread_mutex_unlock(&r->mu);
    return n;
}

void rendition_release(struct rendition **rp)
{
    struct rendition *r = *rp;
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->gone = 1;
    r->wake = NULL;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    unref(r);
    *rp = NULL;
}
