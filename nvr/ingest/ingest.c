/* SPDX-License-Identifier: Apache-2.0 */
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
 * reader's place (TCP and HTTP too): a diagnostic switch to compare the two,
 * read at each connection.
 *
 * Decode timestamps, the same for both implementations (ingest_dts.h): the
 * implementations give video packets their RTP (presentation) time; every
 * video packet passes through the decode-order stage, which derives its dts
 * from the SPS's reorder depth (a delay of D frames at the start of a run
 * only: 0.08 s at D = 2 and 25 fps).
 *
 * Audio, the same for both implementations: G.711 (pcm_mulaw/pcm_alaw) from
 * the implementation goes through an audio_transcode (FLAC out, lossless,
 * same sample rate and time base), so track 1 is AAC (as the camera sent
 * it) or FLAC.  An audio codec that
 * cannot be recorded is logged once per connection at WARN
 * (`audio not recorded codec=NAME reason=...`).  The ingest_info handed out
 * is a copy of the implementation's, refreshed at open and after every read,
 * with the audio fields replaced.
 *
 * Interleaving: a FLAC packet comes out of the transcoder when its last
 * sample arrived, up to 0.26 s after its first (a 2048-sample frame at
 * 8 kHz takes 256 ms to arrive).  The recorder puts audio into
 * the segment open when it arrives and drops audio older than that segment,
 * so audio this late would be lost at every segment cut.  While a transcoder
 * runs, video packets are therefore held back (a FIFO) until the audio has
 * caught up with them -- the FLAC output reaches the video packet's time --
 * or for at most HOLD_MAX_US after they arrived (a camera whose audio
 * stalls).  Packets leave in the order video and audio times say; the cost
 * is up to ~0.26 s more latency for the live view of G.711 cameras only.  An error
 * from the implementation is returned after the held packets.
 */
#include "ingest/ingest.h"

#include "media/audio_transcode.h"
#include "ingest/ingest_dts.h"
#include "ingest/ingest_libav.h"
#include "ingest/ingest_rtsp.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"

#include <libavutil/mathematics.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ingest {
    struct ingest_rtsp *rtsp; /* exactly one of the two is set */
    struct ingest_libav *lav;
    struct ingest_dts *dts;        /* the decode-order stage */
    struct audio_transcode *tc;    /* G.711 audio, else NULL */
    int drop_audio;                /* the implementation's audio is not recorded */
    struct ingest_meta audio_meta; /* of the last G.711 packet sent to tc */
    struct ingest_info info;
    char audio_status[64];
    struct held *held;      /* video held back: a ring of hcap (0 or a power of 2) slots, */
    size_t hhead, hn, hcap; /* hn of them from hhead; a slot keeps its AVPacket */
    int64_t audio_end_us;   /* end of the last FLAC packet out, INT64_MIN before */
    int err;                /* the implementation's error, returned once held is empty */
    char err_why[256];
};

#define HOLD_MAX_US 600000

struct held {
    AVPacket *pkt;
    struct ingest_meta meta;
};

static const AVRational US = {1, 1000000};

static nvr_err hold_video(struct ingest *in, AVPacket *pkt, const struct ingest_meta *meta)
{
    if (in->hn == in->hcap) { /* full: twice the slots, oldest first */
        size_t cap = in->hcap ? in->hcap * 2 : 32;
        struct held *h = calloc(cap, sizeof *h);
        if (!h)
            return NVR_ENOMEM;
        for (size_t i = 0; i < in->hcap; i++)
            h[i] = in->held[(in->hhead + i) & (in->hcap - 1)];
        free(in->held);
        in->held = h;
        in->hhead = 0;
        in->hcap = cap;
    }
    /* a slot's AVPacket is allocated once: no allocation per held frame */
    struct held *h = &in->held[(in->hhead + in->hn) & (in->hcap - 1)];
    if (!h->pkt && !(h->pkt = av_packet_alloc()))
        return NVR_ENOMEM;
    av_packet_move_ref(h->pkt, pkt);
    h->meta = *meta;
    in->hn++;
    return NVR_OK;
}

/* Hands over the oldest held video packet if the audio caught up with it,
 * it waited long enough, or the stream ended (err): 1 if it did. */
static int release_video(struct ingest *in, AVPacket *pkt, struct ingest_meta *meta)
{
    if (in->hn == 0)
        return 0;
    struct held *h = &in->held[in->hhead];
    int64_t v_us = av_rescale_q(h->pkt->pts, in->info.video_tb, US);
    if (!in->err && in->audio_end_us < v_us && nvr_clock_now_us() - h->meta.recv_us < HOLD_MAX_US)
        return 0;
    av_packet_move_ref(pkt, h->pkt); /* the slot's packet stays, blank */
    *meta = h->meta;
    in->hhead = (in->hhead + 1) & (in->hcap - 1);
    in->hn--;
    return 1;
}

static const struct ingest_info *inner_info(const struct ingest *in)
{
    return in->rtsp ? ingest_rtsp_get_info(in->rtsp) : ingest_libav_get_info(in->lav);
}

static void sync_info(struct ingest *in)
{
    in->info = *inner_info(in);
    if (in->tc) {
        in->info.audio = audio_transcode_params(in->tc);
        in->info.audio_tb = audio_transcode_time_base(in->tc);
    } else if (in->drop_audio) {
        in->info.audio = NULL;
    }
    in->info.audio_status = in->audio_status;
}

/* Decides what becomes of the audio: kept (AAC), transcoded to FLAC (G.711) or
 * dropped with a warning. */
static void setup_audio(struct ingest *in, const struct ingest_opts *o)
{
    const struct ingest_info *ii = inner_info(in);
    const AVCodecParameters *a = ii->audio;
    const char *bad = ii->audio_unsupported, *reason = "only AAC and G.711 (PCMU/PCMA) are recorded";
    snprintf(in->audio_status, sizeof in->audio_status, "%s", !o->audio ? "off" : "none");
    if (a && a->codec_id == AV_CODEC_ID_AAC) {
        snprintf(in->audio_status, sizeof in->audio_status, "aac");
    } else if (a) {
        int rc = audio_transcode_create(&in->tc, a->codec_id, a->sample_rate, a->ch_layout.nb_channels, o->camera);
        if (rc == NVR_OK) {
            snprintf(in->audio_status, sizeof in->audio_status, "g711 -> flac");
            nvr_log(NVR_INFO, o->camera, "audio transcode codec=%s sample_rate=%d channels=%d to=flac",
                    avcodec_get_name(a->codec_id), a->sample_rate, a->ch_layout.nb_channels);
        } else {
            in->drop_audio = 1;
            bad = avcodec_get_name(a->codec_id);
            reason = "the FLAC transcoder could not be set up for it";
        }
    }
    if (o->audio && !in->tc && !(a && a->codec_id == AV_CODEC_ID_AAC) && bad) {
        snprintf(in->audio_status, sizeof in->audio_status, "unsupported: %s", bad);
        nvr_log(NVR_WARN, o->camera, "audio not recorded codec=%s reason=\"%s\"", bad, reason);
    }
    sync_info(in);
}

static int use_reader(const struct ingest_opts *o)
{
    const char *env = getenv("NVR_RTSP_READER");
    return (strncasecmp(o->url, "rtsp://", 7) == 0 || strncasecmp(o->url, "rtsps://", 8) == 0) &&
           !(env && strcmp(env, "libav") == 0);
}

/* Whether another transport or reader may do better after this error. */
static int worth_another(int rc)
{
    return rc && rc != NVR_EAUTH && rc != NVR_ESTOPPED && rc != NVR_ETIMEDOUT && rc != NVR_ECONN && rc != NVR_ENOMEM;
}

/* RTP over UDP: the reader, else libavformat. */
static nvr_err open_udp(struct ingest *in, const struct ingest_opts *o, char *why, size_t whylen)
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

nvr_err ingest_open(struct ingest **out, const struct ingest_opts *o, char *why, size_t whylen)
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
            inner_info(in)->transport);
    in->audio_end_us = INT64_MIN;
    if ((rc = ingest_dts_create(&in->dts, o->camera))) {
        ingest_close(&in);
        return rc;
    }
    setup_audio(in, o);
    *out = in;
    return NVR_OK;
}

const struct ingest_info *ingest_get_info(const struct ingest *in)
{
    return &in->info;
}

nvr_err ingest_read(struct ingest *in, AVPacket *pkt, struct ingest_meta *meta, char *why, size_t whylen)
{
    for (;;) {
        if (release_video(in, pkt, meta)) {
            sync_info(in);
            return NVR_OK;
        }
        if (ingest_dts_pop(in->dts, pkt, meta)) {
            sync_info(in);
            if (!in->tc)
                return NVR_OK;
            int rc = hold_video(in, pkt, meta);
            if (rc)
                return rc;
            continue;
        }
        if (in->err) {
            snprintf(why, whylen, "%s", in->err_why);
            return in->err;
        }
        if (in->tc) {
            int r = audio_transcode_receive(in->tc, pkt);
            if (r < 0) {
                snprintf(why, whylen, "audio transcoding failed");
                return r;
            }
            if (r == 1) {
                int64_t end = av_rescale_q(pkt->pts + (pkt->duration > 0 ? pkt->duration : 1024),
                                           audio_transcode_time_base(in->tc), US);
                if (end > in->audio_end_us)
                    in->audio_end_us = end;
                *meta = in->audio_meta;
                sync_info(in);
                return NVR_OK;
            }
        }
        *meta = (struct ingest_meta){0};
        int rc = in->rtsp ? ingest_rtsp_read(in->rtsp, pkt, meta, why, whylen)
                          : ingest_libav_read(in->lav, pkt, meta, why, whylen);
        if (rc) {
            /* hand over what is held first */
            ingest_dts_flush(in->dts);
            in->err = rc;
            snprintf(in->err_why, sizeof in->err_why, "%s", why);
            continue;
        }
        if (pkt->stream_index == 0) {
            if ((rc = ingest_dts_push(in->dts, pkt, meta, inner_info(in))))
                return rc;
            continue;
        }
        if (pkt->stream_index == 1 && (in->tc || in->drop_audio)) {
            if (in->tc) {
                in->audio_meta = *meta;
                in->audio_meta.new_params = 0;
                /* the G.711 RTP clock is the sample rate, but do not rely on it */
                av_packet_rescale_ts(pkt, inner_info(in)->audio_tb, audio_transcode_time_base(in->tc));
                rc = audio_transcode_send(in->tc, pkt);
            }
            av_packet_unref(pkt);
            if (rc) {
                snprintf(why, whylen, "audio transcoding failed");
                return rc;
            }
            continue;
        }
        sync_info(in);
        return NVR_OK;
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
    audio_transcode_destroy(&in->tc);
    ingest_dts_destroy(&in->dts);
    for (size_t i = 0; i < in->hcap; i++)
        av_packet_free(&in->held[i].pkt);
    free(in->held);
    free(in);
    *inp = NULL;
}
