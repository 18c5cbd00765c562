/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest_libav.c - the libavformat RTSP implementation of ingest.h (see
 * ingest_libav.h); ingest.c picks it for UDP, auto's UDP fallback, rtsps://
 * and when NVR_RTSP_READER=libav.
 *
 * Connection: avformat_open_input with rtsp_transport tcp (interleaved) or
 * udp.  Digest and basic authentication come from the URL's user:password
 * and are handled by libavformat.  Timeouts: every blocking libav call is
 * bounded by the interrupt callback, which checks a monotonic deadline
 * (pushed forward by each packet) and the stop flag.
 *
 * Video parameters: the SDP's sprop-parameter-sets are the initial
 * extradata; nvr/media/video_params.c follows in-band changes on keyframes.
 *
 * Audio: AAC (with its config) and G.711 (pcm_mulaw/pcm_alaw, which
 * ingest.c transcodes) are handed over; another codec is named in
 * info.audio_unsupported.
 */
#include "ingest/ingest_libav.h"

#include "media/video_params.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"

#include <libavformat/avformat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ingest_libav {
    const struct ingest_opts *o;
    AVFormatContext *ic;
    int video_idx, audio_idx; /* libav stream indices, -1 if none */
    struct video_params *video;
    struct ingest_info info;
    int64_t deadline_us; /* monotonic */
    uint64_t bytes;
    int warned_no_params;
    int seen_video_pts; /* a video packet with a pts was read */
    AVPacket *held;     /* first keyframe, read without a pts */
    struct ingest_meta held_meta;
    AVPacket *next; /* the packet read after `held` */
    struct ingest_meta next_meta;
    int interrupted; /* the interrupt callback has ended a read: final */
};

/* Called by libavformat inside its blocking calls, on the ingest thread.
 * Once it has said stop, every packet read is suspect (see read_raw). */
static int interrupt_cb(void *opaque)
{
    struct ingest_libav *in = opaque;
    if ((in->o->stop && atomic_load(in->o->stop)) || nvr_clock_mono_us() > in->deadline_us)
        in->interrupted = 1;
    return in->interrupted;
}

static void describe_error(struct ingest_libav *in, int averr, char *why, size_t n)
{
    char buf[AV_ERROR_MAX_STRING_SIZE] = "";
    if (in->o->stop && atomic_load(in->o->stop)) {
        snprintf(why, n, "stopped");
        return;
    }
    if (averr == AVERROR_EXIT && nvr_clock_mono_us() > in->deadline_us) {
        snprintf(why, n, "no answer or no data for %llds", (long long)(in->o->timeout_us / 1000000));
        return;
    }
    av_strerror(averr, buf, sizeof buf);
    snprintf(why, n, "%s", buf);
}

static nvr_err map_error(struct ingest_libav *in, int averr)
{
    if (in->o->stop && atomic_load(in->o->stop))
        return NVR_ESTOPPED;
    if (averr == AVERROR_EXIT)
        return NVR_ETIMEDOUT;
    /* libavformat maps RTSP 401 to AVERROR_HTTP_UNAUTHORIZED... in some versions
     * and to EPERM/EACCES in others */
    if (averr == AVERROR(EPERM) || averr == AVERROR(EACCES))
        return NVR_EAUTH;
    return nvr_err_from_av(averr);
}

static nvr_err pick_streams(struct ingest_libav *in, char *why, size_t whylen)
{
    AVFormatContext *ic = in->ic;
    in->video_idx = in->audio_idx = -1;
    for (unsigned i = 0; i < ic->nb_streams; i++) {
        AVStream *st = ic->streams[i];
        const AVCodecParameters *par = st->codecpar;
        st->discard = AVDISCARD_ALL;
        if (par->codec_type == AVMEDIA_TYPE_VIDEO && in->video_idx < 0) {
            if (par->codec_id != AV_CODEC_ID_H264 && par->codec_id != AV_CODEC_ID_HEVC) {
                snprintf(why, whylen, "unsupported video codec %s (H.264 or H.265 needed)",
                         avcodec_get_name(par->codec_id));
                return NVR_ECODEC;
            }
            in->video_idx = (int)i;
            st->discard = AVDISCARD_DEFAULT;
        } else if (par->codec_type == AVMEDIA_TYPE_AUDIO && !in->o->audio) {
            nvr_log(NVR_INFO, in->o->camera, "audio not recorded codec=%s (audio = off)",
                    avcodec_get_name(par->codec_id));
        } else if (par->codec_type == AVMEDIA_TYPE_AUDIO && in->audio_idx < 0) {
            int g711 = par->codec_id == AV_CODEC_ID_PCM_MULAW || par->codec_id == AV_CODEC_ID_PCM_ALAW;
            if ((par->codec_id == AV_CODEC_ID_AAC && par->extradata_size > 0) ||
                (g711 && par->sample_rate > 0 && par->ch_layout.nb_channels >= 1 && par->ch_layout.nb_channels <= 2)) {
                in->audio_idx = (int)i;
                st->discard = AVDISCARD_DEFAULT;
            } else if (!in->info.audio_unsupported) {
                in->info.audio_unsupported = avcodec_get_name(par->codec_id);
            }
        } else {
            nvr_log(NVR_INFO, in->o->camera, "stream ignored index=%u type=%s codec=%s", i,
                    av_get_media_type_string(par->codec_type) ? av_get_media_type_string(par->codec_type) : "?",
                    avcodec_get_name(par->codec_id));
        }
    }
    if (in->video_idx < 0) {
        snprintf(why, whylen, "the camera offers no video track");
        return NVR_ECODEC;
    }
    if (video_params_create(&in->video, ic->streams[in->video_idx]->codecpar))
        return NVR_ENOMEM;
    in->info.video = video_params_get(in->video);
    in->info.video_tb = ic->streams[in->video_idx]->time_base;
    if (in->audio_idx >= 0) {
        in->info.audio = ic->streams[in->audio_idx]->codecpar;
        in->info.audio_tb = ic->streams[in->audio_idx]->time_base;
    }
    return NVR_OK;
}

static nvr_err try_open(struct ingest_libav *in, const char *transport, char *why, size_t whylen)
{
    AVDictionary *opts = NULL;
    char tmo[32];
    int ret;
    in->ic = avformat_alloc_context();
    if (!in->ic)
        return NVR_ENOMEM;
    in->ic->interrupt_callback.callback = interrupt_cb;
    in->ic->interrupt_callback.opaque = in;
    /* libavformat's socket I/O timeout, a little under ours: its RTSP reader
     * ends a silent TCP stream through this path more promptly than through
     * the interrupt callback, which bounds everything else. */
    snprintf(tmo, sizeof tmo, "%lld", (long long)(in->o->timeout_us * 3 / 4));
    av_dict_set(&opts, "rtsp_transport", transport, 0);
    av_dict_set(&opts, "timeout", tmo, 0);
    /* Every track is set up, even audio when it is not recorded: some RTSP
     * servers (gst-rtsp-server among them) stall a session in which only
     * some of the announced tracks are set up.  Unrecorded audio is dropped in
     * memory below and never written. */
    av_dict_set(&opts, "allowed_media_types", "video+audio", 0);
    if (strcmp(transport, "udp") == 0)
        av_dict_set(&opts, "buffer_size", "2097152", 0);
    in->deadline_us = nvr_clock_mono_us() + in->o->timeout_us;
    ret = avformat_open_input(&in->ic, in->o->url, NULL, &opts); /* frees ic on failure */
    av_dict_free(&opts);
    if (ret < 0) {
        describe_error(in, ret, why, whylen);
        return map_error(in, ret);
    }
    in->info.transport = transport;
    return NVR_OK;
}

nvr_err ingest_libav_open(struct ingest_libav **out, const struct ingest_opts *o, const char *transport, char *why,
                          size_t whylen)
{
    int rc;
    struct ingest_libav *in = calloc(1, sizeof *in);
    *out = NULL;
    snprintf(why, whylen, "ok");
    if (!in)
        return NVR_ENOMEM;
    in->o = o;
    if ((rc = try_open(in, transport, why, whylen)))
        goto out;
    if ((rc = pick_streams(in, why, whylen)))
        goto out;
    *out = in;
    in = NULL;
out:
    ingest_libav_close(&in);
    return rc;
}

const struct ingest_info *ingest_libav_get_info(const struct ingest_libav *in)
{
    return &in->info;
}

/* Reads one packet of a selected track, renumbered (0 video, 1 audio). */
static nvr_err read_raw(struct ingest_libav *in, AVPacket *pkt, struct ingest_meta *meta, char *why, size_t whylen)
{
    for (;;) {
        int ret = av_read_frame(in->ic, pkt);
        if (ret >= 0 && in->interrupted) {
            /* An interrupted read makes libavformat flush its parsers: the
             * access unit being received comes out as a packet, cut where
             * the read stopped.  It is dropped (a stop or a dead camera
             * loses at most that frame); the next read returns the error. */
            av_packet_unref(pkt);
            continue;
        }
        if (ret < 0) {
            describe_error(in, ret, why, whylen);
            if (ret == AVERROR_EOF)
                snprintf(why, whylen, "the camera ended the stream");
            return map_error(in, ret);
        }
        in->bytes += (uint64_t)pkt->size;
        meta->recv_us = nvr_clock_now_us();
        meta->rtcp_origin_us = in->ic->start_time_realtime == AV_NOPTS_VALUE ? INT64_MIN : in->ic->start_time_realtime;
        meta->new_params = 0;
        /* Only media counts as a sign of life: libavformat also returns empty
         * packets while the camera is silent, which must not push the deadline. */
        if (pkt->size > 0 && pkt->stream_index == in->video_idx) {
            pkt->stream_index = 0;
            in->deadline_us = nvr_clock_mono_us() + in->o->timeout_us;
            return NVR_OK;
        }
        if (pkt->size > 0 && pkt->stream_index == in->audio_idx && pkt->pts != AV_NOPTS_VALUE) {
            pkt->stream_index = 1;
            return NVR_OK;
        }
        av_packet_unref(pkt);
    }
}

/* Duration of one video frame in the stream time base, as announced (SDP
 * a=framerate) or assumed (25 fps). */
static int64_t frame_duration(const struct ingest_libav *in)
{
    const AVStream *st = in->ic->streams[in->video_idx];
    AVRational fr = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    if (fr.num <= 0 || fr.den <= 0 || av_q2d(fr) < 1 || av_q2d(fr) > 240)
        fr = (AVRational){25, 1};
    return av_rescale_q(1, av_inv_q(fr), st->time_base);
}

nvr_err ingest_libav_read(struct ingest_libav *in, AVPacket *pkt, struct ingest_meta *meta, char *why, size_t whylen)
{
    for (;;) {
        if (in->next) {
            av_packet_move_ref(pkt, in->next);
            av_packet_free(&in->next);
            *meta = in->next_meta;
        } else {
            int rc = read_raw(in, pkt, meta, why, whylen);
            if (rc)
                return rc;
        }
        if (pkt->stream_index == 1)
            return NVR_OK;
        if (pkt->pts == AV_NOPTS_VALUE) {
            /* libavformat's parser gives the very first frame of a stream no
             * timestamp; it is the keyframe we need, so keep it until the
             * next frame tells us where it sits. */
            if (!in->seen_video_pts && !in->held && (pkt->flags & AV_PKT_FLAG_KEY) &&
                (in->held = av_packet_alloc()) != NULL) {
                av_packet_move_ref(in->held, pkt);
                in->held_meta = *meta;
            } else {
                av_packet_unref(pkt);
            }
            continue;
        }
        in->seen_video_pts = 1;
        if (in->held) {
            in->held->pts = pkt->pts - frame_duration(in);
            in->held_meta.pts_guessed = 1;
            if (!(in->next = av_packet_alloc())) {
                av_packet_unref(pkt);
                return NVR_ENOMEM;
            }
            av_packet_move_ref(in->next, pkt);
            in->next_meta = *meta;
            av_packet_move_ref(pkt, in->held);
            av_packet_free(&in->held);
            *meta = in->held_meta;
        }
        if (pkt->flags & AV_PKT_FLAG_KEY) {
            int c = video_params_keyframe(in->video, pkt);
            if (c < 0) {
                av_packet_unref(pkt);
                return c;
            }
            meta->new_params = c;
        }
        if (!video_params_ready(in->video)) {
            if (!in->warned_no_params) {
                nvr_log(NVR_INFO, in->o->camera, "waiting for a keyframe with codec parameters");
                in->warned_no_params = 1;
            }
            av_packet_unref(pkt);
            continue;
        }
        return NVR_OK;
    }
}

uint64_t ingest_libav_bytes(const struct ingest_libav *in)
{
    return in->bytes;
}

void ingest_libav_close(struct ingest_libav **inp)
{
    struct ingest_libav *in = *inp;
    if (!in)
        return;
    if (in->ic) {
        /* bound the TEARDOWN by a short deadline */
        in->deadline_us = nvr_clock_mono_us() + 1000000;
        avformat_close_input(&in->ic);
    }
    video_params_destroy(&in->video);
    av_packet_free(&in->held);
    av_packet_free(&in->next);
    free(in);
    *inp = NULL;
}
