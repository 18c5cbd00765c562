/* SPDX-License-Identifier: Apache-2.0 */
/*
 * live_transcode.c - H.265 -> H.264 for live view (see live_transcode.h).
 *
 * Thread states: idle (waits for demand) -> running (tap installed; pops
 * packets, decodes, scales, encodes, feeds the dest hub) -> idle when the
 * dest hub has had no viewer for LIVE_IDLE_US (tap removed, queue drained,
 * codecs freed, dest hub's viewers ended).  The codecs are (re)opened at the
 * first keyframe and whenever the source's parameters change.
 */
#include "live/live_transcode.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"

#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QUEUE_MAX 100 /* packets: 4 s at 25 fps */

struct item {
    AVPacket *pkt;
    struct ingest_meta meta;
    AVCodecParameters *par; /* set when the parameters changed */
    AVRational tb;
    struct item *next;
};

struct live_transcode {
    char camera[72];
    struct live_hub *src, *dst;
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, demanded, running;
    int joined;      /* the thread is gone (live_transcode_join) */
    int64_t started; /* monotonic: a new run waits for its first viewer */
    struct item *head, *tail;
    int n;
    int dropping;  /* queue was full: wait for a keyframe */
    int tap_fresh; /* first packet since the tap was set */
    /* thread-owned */
    AVCodecContext *dec, *enc;
    struct SwsContext *sws;
    AVFrame *scaled;
    AVRational tb;
    int enc_new; /* next output packet announces parameters */
    AVCodecParameters *encpar;
    uint64_t frames;
};

static void item_free(struct item *it)
{
    av_packet_free(&it->pkt);
    avcodec_parameters_free(&it->par);
    free(it);
}

/* The tap: on the source's ingest thread, under the source hub's lock. */
static void tap(void *cls, const AVPacket *pkt, const struct ingest_meta *meta, const AVCodecParameters *par,
                AVRational tb)
{
    struct live_transcode *t = cls;
    int key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
    pthread_mutex_lock(&t->mu);
    if (t->n >= QUEUE_MAX)
        t->dropping = 1;
    if (t->dropping && !key)
        goto out;
    struct item *it = calloc(1, sizeof *it);
    if (!it || !(it->pkt = av_packet_clone(pkt))) {
        free(it);
        goto out;
    }
    t->dropping = 0;
    it->meta = *meta;
    it->tb = tb;
    if (meta->new_params || t->tap_fresh) {
        if ((it->par = avcodec_parameters_alloc()))
            avcodec_parameters_copy(it->par, par);
        t->tap_fresh = 0;
    }
    if (t->tail)
        t->tail->next = it;
    else
        t->head = it;
    t->tail = it;
    t->n++;
    pthread_cond_signal(&t->cv);
out:
    pthread_mutex_unlock(&t->mu);
}

static void close_codecs(struct live_transcode *t)
{
    avcodec_free_context(&t->dec);
    avcodec_free_context(&t->enc);
    sws_freeContext(t->sws);
    t->sws = NULL;
    av_frame_free(&t->scaled);
    avcodec_parameters_free(&t->encpar);
}

static nvr_err open_codecs(struct live_transcode *t, const AVCodecParameters *par, AVRational tb)
{
    int rc = NVR_ECODEC;
    AVDictionary *opts = NULL;
    close_codecs(t);
    const AVCodec *d = avcodec_find_decoder(par->codec_id);
    const AVCodec *e = avcodec_find_encoder_by_name("libx264");
    if (!e)
        e = avcodec_find_encoder(AV_CODEC_ID_H264);
    if (!d || !e || par->width <= 0 || par->height <= 0)
        goto out;
    if (!(t->dec = avcodec_alloc_context3(d)) || !(t->enc = avcodec_alloc_context3(e)) ||
        !(t->scaled = av_frame_alloc()) || !(t->encpar = avcodec_parameters_alloc())) {
        rc = NVR_ENOMEM;
        goto out;
    }
    t->dec->thread_count = 1; /* frame threads would add a frame of delay each */
    if (avcodec_parameters_to_context(t->dec, par) < 0 || avcodec_open2(t->dec, d, NULL) < 0)
        goto out;
    int w = par->width > LIVE_TRANSCODE_MAX_WIDTH ? LIVE_TRANSCODE_MAX_WIDTH : par->width;
    int h = (int)(((int64_t)par->height * w + par->width) / (2 * (int64_t)par->width)) * 2;
    w &= ~1;
    t->enc->width = w;
    t->enc->height = h < 2 ? 2 : h;
    t->enc->pix_fmt = AV_PIX_FMT_YUV420P;
    t->enc->time_base = tb;
    t->enc->framerate = (AVRational){25, 1};
    t->enc->gop_size = 250; /* keyframes follow the camera's (below) */
    t->enc->max_b_frames = 0;
    t->enc->bit_rate = 1000000;
    t->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    t->enc->thread_count = 1;
    av_dict_set(&opts, "preset", "ultrafast", 0);
    av_dict_set(&opts, "tune", "zerolatency", 0);
    if (avcodec_open2(t->enc, e, &opts) < 0)
        goto out;
    if (avcodec_parameters_from_context(t->encpar, t->enc) < 0)
        goto out;
    t->scaled->format = AV_PIX_FMT_YUV420P;
    t->scaled->width = t->enc->width;
    t->scaled->height = t->enc->height;
    if (av_frame_get_buffer(t->scaled, 0) < 0) {
        rc = NVR_ENOMEM;
        goto out;
    }
    t->tb = tb;
    t->enc_new = 1;
    rc = NVR_OK;
    nvr_log(NVR_INFO, t->camera, "live h264 rendition started encoder=%s width=%d height=%d", e->name, t->enc->width,
            t->enc->height);
out:
    av_dict_free(&opts);
    if (rc) {
        nvr_log(NVR_WARN, t->camera, "live h264 rendition cannot start error=\"%s\"", nvr_strerror(rc));
        close_codecs(t);
    }
    return rc;
}

/* Encoded packets -> the dest hub. */
static void drain_encoder(struct live_transcode *t, const struct ingest_meta *meta)
{
    AVPacket *out = av_packet_alloc();
    if (!out)
        return;
    while (avcodec_receive_packet(t->enc, out) == 0) {
        struct ingest_meta m = *meta;
        struct ingest_info info = {.video = t->encpar, .video_tb = t->enc->time_base, .transport = "tcp"};
        m.new_params = t->enc_new;
        t->enc_new = 0;
        out->stream_index = 0;
        out->dts = out->pts;
        live_hub_packet(t->dst, out, &m, &info);
        av_packet_unref(out);
    }
    av_packet_free(&out);
}

static void transcode(struct live_transcode *t, struct item *it)
{
    int key = (it->pkt->flags & AV_PKT_FLAG_KEY) != 0;
    if (it->par && key && open_codecs(t, it->par, it->tb))
        return;
    if (!t->dec || (it->par && !key))
        return;
    if (avcodec_send_packet(t->dec, it->pkt) < 0)
        return;
    AVFrame *f = av_frame_alloc();
    while (f && avcodec_receive_frame(t->dec, f) == 0) {
        if (!t->sws || f->width != t->dec->width || f->height != t->dec->height)
            t->sws = sws_getCachedContext(t->sws, f->width, f->height, (enum AVPixelFormat)f->format, t->scaled->width,
                                          t->scaled->height, AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
        if (!t->sws || av_frame_make_writable(t->scaled) < 0)
            break;
        sws_scale(t->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, t->scaled->data,
                  t->scaled->linesize);
        t->scaled->pts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
        t->scaled->pict_type = f->key_frame ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
        if (avcodec_send_frame(t->enc, t->scaled) == 0)
            drain_encoder(t, &it->meta);
        t->frames++;
        av_frame_unref(f);
    }
    av_frame_free(&f);
}

static void *transcode_main(void *arg)
{
    struct live_transcode *t = arg;
    pthread_mutex_lock(&t->mu);
    while (!t->stop) {
        if (!t->running) {
            while (!t->demanded && !t->stop)
                pthread_cond_wait(&t->cv, &t->mu);
            t->demanded = 0;
            if (t->stop)
                break;
            t->running = 1;
            t->started = nvr_clock_mono_us();
            t->tap_fresh = 1;
            t->dropping = 1; /* start at a keyframe */
            pthread_mutex_unlock(&t->mu);
            live_hub_set_tap(t->src, tap, t);
            pthread_mutex_lock(&t->mu);
            continue;
        }
        if (!t->head) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&t->cv, &t->mu, &ts);
        }
        struct item *it = t->head;
        if (it) {
            t->head = it->next;
            if (!t->head)
                t->tail = NULL;
            t->n--;
        }
        pthread_mutex_unlock(&t->mu);
        if (it) {
            transcode(t, it);
            item_free(it);
        }
        int64_t idle = live_hub_idle_since(t->dst);
        if (idle && idle < t->started)
            idle = t->started;
        int quit = idle && nvr_clock_mono_us() - idle > LIVE_IDLE_US;
        pthread_mutex_lock(&t->mu);
        if (quit || t->stop) {
            pthread_mutex_unlock(&t->mu);
            live_hub_set_tap(t->src, NULL, NULL); /* after this, tap() is not running */
            live_hub_session_end(t->dst);
            close_codecs(t);
            nvr_log(NVR_INFO, t->camera, "live h264 rendition stopped frames=%llu", (unsigned long long)t->frames);
            pthread_mutex_lock(&t->mu);
            while (t->head) {
                struct item *x = t->head;
                t->head = x->next;
                item_free(x);
            }
            t->tail = NULL;
            t->n = 0;
            t->running = 0;
            /* a viewer that asked after the idle check, or came meanwhile:
             * start again rather than leave it waiting */
            t->demanded = t->demanded || live_hub_viewers(t->dst) > 0;
        } else {
            t->demanded = 0; /* this run serves whoever asked so far */
        }
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

nvr_err live_transcode_start(struct live_transcode **out, const char *camera, struct live_hub *source,
                             struct live_hub *dest)
{
    struct live_transcode *t = calloc(1, sizeof *t);
    *out = NULL;
    if (!t)
        return NVR_ENOMEM;
    snprintf(t->camera, sizeof t->camera, "%s", camera);
    t->src = source;
    t->dst = dest;
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    if (pthread_create(&t->tid, NULL, transcode_main, t) != 0) {
        pthread_cond_destroy(&t->cv);
        pthread_mutex_destroy(&t->mu);
        free(t);
        return NVR_ENOMEM;
    }
    *out = t;
    return NVR_OK;
}

void live_transcode_demand(struct live_transcode *t)
{
    pthread_mutex_lock(&t->mu);
    t->demanded = 1; /* (even while running: it may be about to quit) */
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

void live_transcode_join(struct live_transcode *t)
{
    if (!t || t->joined)
        return;
    pthread_mutex_lock(&t->mu);
    t->stop = 1;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->tid, NULL);
    t->joined = 1;
}

void live_transcode_stop(struct live_transcode **tp)
{
    struct live_transcode *t = *tp;
    if (!t)
        return;
    live_transcode_join(t);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    free(t);
    *tp = NULL;
}
