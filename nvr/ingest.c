/*
 * ingest.c - picks the implementation of ingest.h for a camera and forwards
 * to it.
 *
 *   transport = tcp   the project's RTSP reader (ingest_rtsp.c), rtsp:// and
 *                     rtsps:// (TLS) alike
 *   transport = http  the RTSP reader through an RTSP-over-HTTP tunnel
 *                     (HTTPS for rtsps://); no fallback
 *   transport = udp   the RTSP reader with RTP over UDP; libavformat over UDP
 *                     (ingest_libav.c) when the reader fails as below
 *   transport = auto  the RTSP reader interleaved first; when the camera
 *                     refuses that or speaks RTSP the reader does not
 *                     understand, the reader over UDP, then libavformat over
 *                     UDP -- not after an authentication failure, a timeout
 *                     or a refused connection, where another way cannot do
 *                     better.
 * The environment variable NVR_RTSP_READER=libav puts libavformat in the
 * reader's place (TCP and HTTP too): a diagnostic switch to compare the two, read at
 * each connection.
 *
 * Decode timestamps are made here, for both readers alike (dts_gen.h): the
 * readers give video packets their RTP (presentation) time; this layer
 * derives the dts from the reorder depth of the current SPS.  Video packets
 * wait in `fifo` while a run's first D frames are held (D frames at the
 * start of a session and after a timestamp jump or new parameters: about
 * 0.1-0.2 s at D = 2-4); audio packets pass straight through.
 */
#include "ingest.h"

#include "dts_gen.h"
#include "h26x.h"
#include "ingest_libav.h"
#include "ingest_rtsp.h"
#include "nvr/base/err.h"
#include "nvr/base/log.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FIFO_MAX (2 * DTS_GEN_MAX_DEPTH + 4)

struct held {
    AVPacket *pkt;
    struct ingest_meta meta;
    int ready;                  /* pkt->dts is set */
};

struct ingest {
    struct ingest_rtsp *rtsp;   /* exactly one of the two is set */
    struct ingest_libav *lav;
    const char *camera;
    struct dts_gen gen;
    int depth;                  /* -1 until the first parameters */
    uint64_t clamped_logged;
    int skip_to_key;            /* a guessed timestamp with B-frames: wait for a keyframe */
    int carry_params;           /* a skipped packet had new_params: the next one says so */
    struct held fifo[FIFO_MAX]; /* video packets in decode order */
    int nfifo;
};

static int use_reader(const struct ingest_opts *o)
{
    const char *env = getenv("NVR_RTSP_READER");
    return (strncasecmp(o->url, "rtsp://", 7) == 0 || strncasecmp(o->url, "rtsps://", 8) == 0) &&
           !(env && strcmp(env, "libav") == 0);
}

/* Whether another transport or reader may do better after this error. */
static int worth_another(int rc)
{
    return rc && rc != NVR_EAUTH && rc != NVR_ESTOPPED && rc != NVR_ETIMEDOUT && rc != NVR_ECONN &&
           rc != NVR_ENOMEM;
}

/* RTP over UDP: the reader, else libavformat. */
static int open_udp(struct ingest *in, const struct ingest_opts *o, char *why, size_t whylen)
{
    if (!use_reader(o))
        return ingest_libav_open(&in->lav, o, "udp", why, whylen);
    int rc = ingest_rtsp_open(&in->rtsp, o, 1, why, whylen);
    if (worth_another(rc)) {
        nvr_log(NVR_INFO, o->camera, "udp failed with the own reader, trying libavformat reason=\"%s\"", why);
        rc = ingest_libav_open(&in->lav, o, "udp", why, whylen);
    }
    return rc;
}

int ingest_open(struct ingest **out, const struct ingest_opts *o, char *why, size_t whylen)
{
    int rc;
    struct ingest *in = calloc(1, sizeof *in);
    *out = NULL;
    if (!in)
        return NVR_ENOMEM;
    if (o->transport == NVR_TRANSPORT_UDP) {
        rc = open_udp(in, o, why, whylen);
    } else if (o->transport == NVR_TRANSPORT_HTTP) {
        rc = use_reader(o) ? ingest_rtsp_open(&in->rtsp, o, 0, why, whylen)
                           : ingest_libav_open(&in->lav, o, "http", why, whylen);
    } else {
        rc = use_reader(o) ? ingest_rtsp_open(&in->rtsp, o, 0, why, whylen)
                           : ingest_libav_open(&in->lav, o, "tcp", why, whylen);
        if (o->transport == NVR_TRANSPORT_AUTO && worth_another(rc)) {
            nvr_log(NVR_INFO, o->camera, "tcp refused, trying udp reason=\"%s\"", why);
            rc = open_udp(in, o, why, whylen);
        }
    }
    if (rc) {
        free(in);
        return rc;
    }
    nvr_log(NVR_INFO, o->camera, "ingest reader=%s transport=%s", in->rtsp ? "own" : "libav",
            ingest_get_info(in)->transport);
    in->camera = o->camera;
    in->depth = -1;
    *out = in;
    return NVR_OK;
}

const struct ingest_info *ingest_get_info(const struct ingest *in)
{
    return in->rtsp ? ingest_rtsp_get_info(in->rtsp) : ingest_libav_get_info(in->lav);
}

static int reader_read(struct ingest *in, AVPacket *pkt, struct ingest_meta *meta, char *why, size_t whylen)
{
    return in->rtsp ? ingest_rtsp_read(in->rtsp, pkt, meta, why, whylen)
                    : ingest_libav_read(in->lav, pkt, meta, why, whylen);
}

/* Marks the oldest n waiting packets ready with the given decode times. */
static void fifo_ready(struct ingest *in, const int64_t *dts, int n)
{
    for (int i = 0, k = 0; i < in->nfifo && k < n; i++) {
        if (in->fifo[i].ready)
            continue;
        in->fifo[i].pkt->dts = dts[k++];
        in->fifo[i].ready = 1;
    }
}

/* New parameters: the held frames get their dts now, and a new hold with the
 * new SPS's depth begins. */
static void new_depth(struct ingest *in, const struct ingest_info *info)
{
    const AVCodecParameters *v = info->video;
    int d = h26x_reorder_depth(v->codec_id, v->extradata, v->extradata ? (size_t)v->extradata_size : 0);
    if (d < 0)
        d = in->depth >= 0 ? in->depth : 0;
    int64_t out[DTS_GEN_MAX_DEPTH + 1];
    fifo_ready(in, out, dts_gen_flush(&in->gen, out));
    if (in->depth < 0) {
        int64_t sec = info->video_tb.num > 0 ? info->video_tb.den / info->video_tb.num : 90000;
        dts_gen_reset(&in->gen, d, 2 * sec, sec / 2);
    } else {
        dts_gen_set_depth(&in->gen, d);
    }
    if (d != in->depth)
        nvr_log(NVR_INFO, in->camera, "video reorder_depth=%d%s", d, d ? " (B-frames: decode times derived)" : "");
    in->depth = d;
}

/* Adds a video packet (taking its reference) and gives dts to those that can have one. */
static void video_in(struct ingest *in, AVPacket *pkt, struct ingest_meta *meta)
{
    int64_t out[DTS_GEN_MAX_DEPTH + 1];
    if (meta->new_params || in->depth < 0)
        new_depth(in, ingest_get_info(in));
    if (meta->pts_guessed && in->depth > 0) {
        /* a frame without a timestamp cannot be placed among B-frames:
         * the session starts at the next keyframe instead */
        in->skip_to_key = 1;
        in->carry_params |= meta->new_params;
        av_packet_unref(pkt);
        return;
    }
    if (in->skip_to_key && !(pkt->flags & AV_PKT_FLAG_KEY)) {
        in->carry_params |= meta->new_params;
        av_packet_unref(pkt);
        return;
    }
    in->skip_to_key = 0;
    meta->new_params |= in->carry_params;
    in->carry_params = 0;
    if (dts_gen_jumps(&in->gen, pkt->pts))
        fifo_ready(in, out, dts_gen_flush(&in->gen, out));
    struct held *h = &in->fifo[in->nfifo++];
    h->pkt = av_packet_alloc();
    if (h->pkt)
        av_packet_move_ref(h->pkt, pkt);
    h->meta = *meta;
    h->ready = 0;
    int n = dts_gen_push(&in->gen, h->pkt ? h->pkt->pts : 0, out, NULL);
    fifo_ready(in, out, n);
    if (in->gen.clamped > in->clamped_logged) {
        if (in->clamped_logged == 0)
            nvr_log(NVR_WARN, in->camera, "video reorders deeper than its SPS declares depth=%d: decode times adjusted",
                    in->depth);
        in->clamped_logged = in->gen.clamped;
    }
}

int ingest_read(struct ingest *in, AVPacket *pkt, struct ingest_meta *meta, char *why, size_t whylen)
{
    for (;;) {
        if (in->nfifo && in->fifo[0].ready) {
            struct held h = in->fifo[0];
            memmove(in->fifo, in->fifo + 1, (size_t)(in->nfifo - 1) * sizeof *in->fifo);
            in->nfifo--;
            if (!h.pkt)
                return NVR_ENOMEM;
            av_packet_move_ref(pkt, h.pkt);
            av_packet_free(&h.pkt);
            *meta = h.meta;
            return NVR_OK;
        }
        *meta = (struct ingest_meta){0};
        int rc = reader_read(in, pkt, meta, why, whylen);
        if (rc)
            return rc;
        if (pkt->stream_index != 0)
            return NVR_OK;
        if (in->nfifo + DTS_GEN_MAX_DEPTH + 1 >= FIFO_MAX) { /* cannot happen: at most D + 1 wait */
            int64_t out[DTS_GEN_MAX_DEPTH + 1];
            fifo_ready(in, out, dts_gen_flush(&in->gen, out));
        }
        video_in(in, pkt, meta);
    }
}

uint64_t ingest_bytes(const struct ingest *in)
{
    return in->rtsp ? ingest_rtsp_bytes(in->rtsp) : ingest_libav_bytes(in->lav);
}

void ingest_close(struct ingest **inp)
{
    struct ingest *in = *inp;
    if (!in)
        return;
    ingest_rtsp_close(&in->rtsp);
    ingest_libav_close(&in->lav);
    for (int i = 0; i < in->nfifo; i++)
        av_packet_free(&in->fifo[i].pkt);
    free(in);
    *inp = NULL;
}
