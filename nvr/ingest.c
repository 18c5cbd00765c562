/*
 * ingest.c - the libavformat RTSP implementation of ingest.h.
 *
 * Connection: avformat_open_input with rtsp_transport tcp (interleaved) or
 * udp; `auto` tries TCP and falls back to UDP when the camera refuses TCP
 * (some do) -- not after an authentication failure, a timeout or a refused
 * connection, where UDP cannot do better.  Digest and basic authentication
 * come from the URL's user:password and are handled by libavformat.
 * Timeouts: every blocking libav call is bounded by the interrupt callback,
 * which checks a monotonic deadline (pushed forward by each packet) and the
 * stop flag.
 *
 * Video parameters: the SDP's sprop-parameter-sets are the initial
 * extradata.  Each keyframe is scanned for an in-band SPS; one that differs
 * from the current one (or the first one, when the SDP had none) replaces
 * the extradata and is reported with meta->new_params, so the recorder
 * starts a new segment.  Width and height come from libavcodec's parser,
 * which reads the SPS without decoding anything.
 */
#include "ingest.h"

#include "h26x.h"
#include "nvr/base/clock.h"
#include "nvr/base/err.h"
#include "nvr/base/log.h"

#include <libavformat/avformat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ingest {
    const struct ingest_opts *o;
    AVFormatContext *ic;
    int video_idx, audio_idx;          /* libav stream indices, -1 if none */
    AVCodecParameters *video;          /* our copy: extradata follows in-band changes */
    AVCodecContext *pctx;              /* for the parser */
    AVCodecParserContext *parser;
    struct ingest_info info;
    int64_t deadline_us;               /* monotonic */
    uint64_t bytes;
    int params_ready;                  /* extradata and size known */
    int warned_no_params;
    int seen_video_pts;                /* a video packet with a pts was read */
    AVPacket *held;                    /* first keyframe, read without a pts */
    struct ingest_meta held_meta;
    AVPacket *next;                    /* the packet read after `held` */
    struct ingest_meta next_meta;
};

static int interrupt_cb(void *opaque)
{
    struct ingest *in = opaque;
    if (in->o->stop && atomic_load(in->o->stop))
        return 1;
    return nvr_clock_mono_us() > in->deadline_us;
}

static void describe_error(struct ingest *in, int averr, char *why, size_t n)
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

static int map_error(struct ingest *in, int averr)
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

/* Re-reads width/height from the current extradata + this keyframe. */
static void parse_dimensions(struct ingest *in, const AVPacket *pkt)
{
    if (!in->parser) {
        in->parser = av_parser_init(in->video->codec_id);
        in->pctx = avcodec_alloc_context3(NULL);
        if (!in->parser || !in->pctx)
            return;
        in->parser->flags |= PARSER_FLAG_COMPLETE_FRAMES;
    }
    av_freep(&in->pctx->extradata);
    in->pctx->extradata_size = 0;
    if (in->video->extradata_size > 0) {
        in->pctx->extradata = av_mallocz((size_t)in->video->extradata_size + AV_INPUT_BUFFER_PADDING_SIZE);
        if (in->pctx->extradata) {
            memcpy(in->pctx->extradata, in->video->extradata, (size_t)in->video->extradata_size);
            in->pctx->extradata_size = in->video->extradata_size;
        }
    }
    uint8_t *out = NULL;
    int outlen = 0;
    av_parser_parse2(in->parser, in->pctx, &out, &outlen, pkt->data, pkt->size, pkt->pts, pkt->dts, 0);
    if (in->parser->width > 0 && in->parser->height > 0) {
        in->video->width = in->parser->width;
        in->video->height = in->parser->height;
    } else if (in->pctx->width > 0 && in->pctx->height > 0) {
        in->video->width = in->pctx->width;
        in->video->height = in->pctx->height;
    }
}

/* Looks at a video keyframe for new parameter sets; returns 1 if the
 * parameters changed (or became known), 0 if not, negative on ENOMEM. */
static int check_params(struct ingest *in, const AVPacket *pkt)
{
    enum AVCodecID codec = in->video->codec_id;
    const uint8_t *sps_in = NULL, *sps_cur = NULL;
    size_t len_in = 0, len_cur = 0;
    int have_in = h26x_find_sps(codec, pkt->data, (size_t)pkt->size, &sps_in, &len_in);
    int have_cur = h26x_find_sps(codec, in->video->extradata, (size_t)in->video->extradata_size,
                                 &sps_cur, &len_cur);
    int changed = 0;
    if (have_in && (!have_cur || len_in != len_cur || memcmp(sps_in, sps_cur, len_in) != 0)) {
        uint8_t *ps = NULL;
        int n = h26x_extract_parameter_sets(codec, pkt->data, (size_t)pkt->size, &ps);
        if (n < 0)
            return NVR_ENOMEM;
        if (n > 0) {
            av_freep(&in->video->extradata);
            in->video->extradata = ps;
            in->video->extradata_size = n;
            changed = 1;
        }
    }
    if (changed && in->parser) {
        /* a fresh parser reads the new SPS rather than remembering the old one */
        av_parser_close(in->parser);
        in->parser = NULL;
        avcodec_free_context(&in->pctx);
    }
    if (changed || !in->params_ready || in->video->width <= 0)
        parse_dimensions(in, pkt);
    int ready = in->video->extradata_size > 0 && in->video->width > 0 && in->video->height > 0;
    if (ready && (!in->params_ready || changed)) {
        in->params_ready = 1;
        return 1;
    }
    return 0;
}

static int pick_streams(struct ingest *in, char *why, size_t whylen)
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
            if (par->codec_id == AV_CODEC_ID_AAC && par->extradata_size > 0) {
                in->audio_idx = (int)i;
                st->discard = AVDISCARD_DEFAULT;
            } else {
                nvr_log(NVR_INFO, in->o->camera, "audio dropped codec=%s (only AAC is recorded)",
                        avcodec_get_name(par->codec_id));
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
    in->video = avcodec_parameters_alloc();
    if (!in->video || avcodec_parameters_copy(in->video, ic->streams[in->video_idx]->codecpar) < 0)
        return NVR_ENOMEM;
    in->info.video = in->video;
    in->info.video_tb = ic->streams[in->video_idx]->time_base;
    if (in->audio_idx >= 0) {
        in->info.audio = ic->streams[in->audio_idx]->codecpar;
        in->info.audio_tb = ic->streams[in->audio_idx]->time_base;
    }
    return NVR_OK;
}

static int try_open(struct ingest *in, const char *transport, char *why, size_t whylen)
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

int ingest_open(struct ingest **out, const struct ingest_opts *o, char *why, size_t whylen)
{
    int rc;
    struct ingest *in = calloc(1, sizeof *in);
    *out = NULL;
    snprintf(why, whylen, "ok");
    if (!in)
        return NVR_ENOMEM;
    in->o = o;
    if (o->transport == NVR_TRANSPORT_UDP) {
        rc = try_open(in, "udp", why, whylen);
    } else {
        rc = try_open(in, "tcp", why, whylen);
        if (rc && o->transport == NVR_TRANSPORT_AUTO && rc != NVR_EAUTH && rc != NVR_ESTOPPED &&
            rc != NVR_ETIMEDOUT && rc != NVR_ECONN) {
            nvr_log(NVR_INFO, o->camera, "tcp refused, trying udp reason=\"%s\"", why);
            rc = try_open(in, "udp", why, whylen);
        }
    }
    if (rc)
        goto out;
    if ((rc = pick_streams(in, why, whylen)))
        goto out;
    *out = in;
    in = NULL;
out:
    ingest_close(&in);
    return rc;
}

const struct ingest_info *ingest_get_info(const struct ingest *in)
{
    return &in->info;
}

/* Reads one packet of a selected track, renumbered (0 video, 1 audio). */
static int read_raw(struct ingest *in, AVPacket *pkt, struct ingest_meta *meta, char *why, size_t whylen)
{
    for (;;) {
        int ret = av_read_frame(in->ic, pkt);
        if (ret < 0) {
            describe_error(in, ret, why, whylen);
            if (ret == AVERROR_EOF)
                snprintf(why, whylen, "the camera ended the stream");
            return map_error(in, ret);
        }
        in->bytes += (uint64_t)pkt->size;
        meta->recv_us = nvr_clock_now_us();
        meta->rtcp_origin_us = in->ic->start_time_realtime == AV_NOPTS_VALUE ? INT64_MIN
                                                                            : in->ic->start_time_realtime;
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
static int64_t frame_duration(const struct ingest *in)
{
    const AVStream *st = in->ic->streams[in->video_idx];
    AVRational fr = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    if (fr.num <= 0 || fr.den <= 0 || av_q2d(fr) < 1 || av_q2d(fr) > 240)
        fr = (AVRational){25, 1};
    return av_rescale_q(1, av_inv_q(fr), st->time_base);
}

int ingest_read(struct ingest *in, AVPacket *pkt, struct ingest_meta *meta, char *why, size_t whylen)
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
        pkt->dts = pkt->pts; /* IP cameras send no B-frames: decode order = presentation order */
        if (pkt->flags & AV_PKT_FLAG_KEY) {
            int c = check_params(in, pkt);
            if (c < 0) {
                av_packet_unref(pkt);
                return c;
            }
            meta->new_params = c;
        }
        if (!in->params_ready) {
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

uint64_t ingest_bytes(const struct ingest *in)
{
    return in->bytes;
}

void ingest_close(struct ingest **inp)
{
    struct ingest *in = *inp;
    if (!in)
        return;
    if (in->ic) {
        /* bound the TEARDOWN by a short deadline */
        in->deadline_us = nvr_clock_mono_us() + 1000000;
        avformat_close_input(&in->ic);
    }
    avcodec_parameters_free(&in->video);
    av_packet_free(&in->held);
    av_packet_free(&in->next);
    if (in->parser)
        av_parser_close(in->parser);
    avcodec_free_context(&in->pctx);
    free(in);
    *inp = NULL;
}
