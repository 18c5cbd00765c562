/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest_rtsp.c - ingest.h on the project's own RTSP reader (see
 * ingest_rtsp.h): rtsp_client.c for the connection, sdp.c for the
 * description, rtp_depack.c per track.
 *
 * Tracks: every video and audio m= line is set up (some servers, the
 * gst-rtsp-server test camera among them, stall a session in which only some
 * announced tracks are set up); the first video track is recorded, the first
 * audio track only when it is AAC (mpeg4-generic or MP4A-LATM) or G.711 (PCMU/PCMA, handed over as such:
 * ingest.c transcodes it) and audio is on; another audio codec is reported in
 * info.audio_unsupported.  RTP of other tracks is dropped as it arrives.
 *
 * Timestamps, in each track's RTP clock (the track time base):
 *   video pts = unwrapped RTP timestamp - that of the first video frame;
 *   audio pts = unwrapped RTP timestamp + an offset fixed at the first audio
 *     frame: from the two tracks' RTCP sender reports when both were seen
 *     (lip sync), otherwise so that audio, like video, starts at 0.
 * rtcp_origin_us: the camera's wall clock at video pts 0, from the latest
 * video sender report (INT64_MIN before the first).
 *
 * Pace (TCP): the reader reads promptly (rtsp_client_set_pace) until the
 * video's RTCP sender report is known and then whenever o->relaxed says so;
 * without that report the reference wall clock of a segment is the arrival
 * time (timemap T2), which a relaxed read would put up to 0.4 s late.
 *
 * Liveness: the deadline (timeout_us) moves forward with each video RTP
 * packet; RTCP, audio or keep-alive replies alone do not keep a stream alive.
 * Every 5 s a receiver report per recorded track goes out, and lost RTP
 * packets, if any, are logged.
 *
 * RTP over UDP (udp set at open): each track gets a socket pair (rtp_udp.c)
 * announced in SETUP as client_port; recorded tracks' RTP goes through a
 * reorder buffer (rtp_reorder.c: 128 packets, 50 ms) into the
 * depacketizer.  One poll(2) waits on the RTSP connection (keep-alives,
 * requests from the server, its closing) and the recorded tracks' sockets,
 * at most until the next timer (liveness deadline, keep-alive, receiver
 * report, reorder wait) or 100 ms (the stop flag).  Receiver reports go to
 * the camera's RTCP port; an empty one right after PLAY opens a NAT's way
 * back.
 */
#include "ingest/ingest_rtsp.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "media/rtp_depack.h"
#include "media/rtp_reorder.h"
#include "ingest/rtp_udp.h"
#include "ingest/rtsp_client.h"
#include "media/sdp.h"
#include "media/video_params.h"

#include <libavutil/channel_layout.h>
#include <libavutil/mathematics.h>
#include <errno.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RR_INTERVAL_US 5000000
#define REORDER_SLOTS 128
#define REORDER_WAIT_US 50000
#define POLL_SLICE_US 100000
#define UDP_BATCHES 8           /* recvmmsg calls per socket per wake-up, at most */
#define UDP_IGNORED_RCVBUF 8192 /* tracks set up but not recorded: their packets are never read */

enum track_role { TRACK_IGNORED, TRACK_VIDEO, TRACK_AUDIO };

struct track {
    enum track_role role;
    const struct sdp_media *m;
    int rtp_ch, rtcp_ch;
    struct rtp_depack *dp; /* recorded tracks only */
    int have_sr;
    struct rtcp_sr sr;
    int64_t sr_ts64;    /* the report's RTP time, unwrapped */
    int64_t sr_wall_us; /* the report's NTP time, Unix us */
    int64_t sr_mono_us; /* when it arrived (for the RR's DLSR) */
    uint64_t lost_logged;
    uint64_t malformed_logged;
    struct rtp_udp *udp;    /* RTP over UDP only */
    struct rtp_reorder *ro; /* RTP over UDP, recorded tracks */
    uint64_t reordered_logged;
};

struct ingest_rtsp {
    const struct ingest_opts *o;
    struct rtsp_client *c;
    struct sdp sdp;
    int sdp_parsed;
    struct track tracks[SDP_MAX_MEDIA];
    int ntracks;
    struct track *video, *audio;
    signed char chan_track[256]; /* interleaved channel -> track index, -1 */
    signed char chan_rtcp[256];  /* 1 if the channel carries RTCP */
    struct video_params *vparams;
    AVCodecParameters *apar;
    struct ingest_info info;
    int64_t deadline_us; /* monotonic */
    uint64_t bytes;
    int have_video_base;
    int64_t video_base;
    int have_audio_offset;
    int64_t audio_offset;
    int64_t rtcp_origin_us;
    int64_t next_rr_us;
    uint32_t ssrc; /* ours, for receiver reports */
    int warned_no_params;
    char audio_unsupported[40]; /* codec name, "" if none */
    int udp;                    /* RTP over UDP */
};

static const char *codec_name(const struct sdp_media *m)
{
    switch (m->codec) {
    case SDP_CODEC_H264: return "h264";
    case SDP_CODEC_H265: return "hevc";
    case SDP_CODEC_AAC:
    case SDP_CODEC_AAC_LATM: return "aac";
    case SDP_CODEC_PCMU: return "pcm_mulaw";
    case SDP_CODEC_PCMA: return "pcm_alaw";
    default: return m->encoding[0] ? m->encoding : "unknown";
    }
}

static enum AVCodecID codec_id(enum sdp_codec c)
{
    switch (c) {
    case SDP_CODEC_H264: return AV_CODEC_ID_H264;
    case SDP_CODEC_H265: return AV_CODEC_ID_HEVC;
    case SDP_CODEC_PCMU: return AV_CODEC_ID_PCM_MULAW;
    case SDP_CODEC_PCMA: return AV_CODEC_ID_PCM_ALAW;
    default: return AV_CODEC_ID_AAC;
    }
}

/* An audio track the recorder can take: AAC, or G.711 that ingest.c turns
 * into AAC. */
static int audio_usable(const struct sdp_media *m)
{
    if (m->clock_rate <= 0)
        return 0;
    if (m->codec == SDP_CODEC_PCMU || m->codec == SDP_CODEC_PCMA)
        return m->channels >= 1 && m->channels <= 2;
    return m->codec == SDP_CODEC_AAC || m->codec == SDP_CODEC_AAC_LATM;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Decides each track's role and logs what is not recorded. */
static nvr_err pick_tracks(struct ingest_rtsp *in, char *why, size_t whylen)
{
    for (int i = 0; i < in->sdp.nmedia; i++) {
        const struct sdp_media *m = &in->sdp.media[i];
        struct track *t = &in->tracks[in->ntracks];
        int video = strcasecmp(m->type, "video") == 0, audio = strcasecmp(m->type, "audio") == 0;
        if (!video && !audio) {
            nvr_log(NVR_INFO, in->o->camera, "stream ignored index=%d type=%s codec=%s", i, m->type, codec_name(m));
            continue;
        }
        t->m = m;
        t->role = TRACK_IGNORED;
        in->ntracks++;
        if (video && !in->video) {
            if (m->codec != SDP_CODEC_H264 && m->codec != SDP_CODEC_H265) {
                snprintf(why, whylen, "unsupported video codec %s (H.264 or H.265 needed)", codec_name(m));
                return NVR_ECODEC;
            }
            t->role = TRACK_VIDEO;
            in->video = t;
        } else if (audio && !in->o->audio) {
            nvr_log(NVR_INFO, in->o->camera, "audio not recorded codec=%s (audio = off)", codec_name(m));
        } else if (audio && !in->audio) {
            if (audio_usable(m)) {
                t->role = TRACK_AUDIO;
                in->audio = t;
            } else if (!in->audio_unsupported[0]) {
                snprintf(in->audio_unsupported, sizeof in->audio_unsupported, "%s", codec_name(m));
                in->info.audio_unsupported = in->audio_unsupported;
            }
        } else {
            nvr_log(NVR_INFO, in->o->camera, "stream ignored index=%d type=%s codec=%s", i, m->type, codec_name(m));
        }
    }
    if (!in->video) {
        snprintf(why, whylen, "the camera offers no video track");
        return NVR_ECODEC;
    }
    return NVR_OK;
}

static nvr_err make_params(struct ingest_rtsp *in)
{
    const struct sdp_media *v = in->video->m;
    AVCodecParameters *par = avcodec_parameters_alloc();
    int rc = NVR_ENOMEM;
    if (!par)
        return NVR_ENOMEM;
    par->codec_type = AVMEDIA_TYPE_VIDEO;
    par->codec_id = codec_id(v->codec);
    if (v->extradata_size > 0) {
        if (!(par->extradata = av_mallocz((size_t)v->extradata_size + AV_INPUT_BUFFER_PADDING_SIZE)))
            goto out;
        memcpy(par->extradata, v->extradata, (size_t)v->extradata_size);
        par->extradata_size = v->extradata_size;
    }
    if ((rc = video_params_create(&in->vparams, par)))
        goto out;
    in->info.video = video_params_get(in->vparams);
    in->info.video_tb = (AVRational){1, v->clock_rate > 0 ? v->clock_rate : 90000};
    if (in->audio) {
        const struct sdp_media *a = in->audio->m;
        rc = NVR_ENOMEM;
        if (!(in->apar = avcodec_parameters_alloc()) ||
            !(in->apar->extradata = av_mallocz((size_t)a->extradata_size + AV_INPUT_BUFFER_PADDING_SIZE)))
            goto out;
        if (a->extradata_size > 0)
            memcpy(in->apar->extradata, a->extradata, (size_t)a->extradata_size);
        in->apar->extradata_size = a->extradata_size;
        in->apar->codec_type = AVMEDIA_TYPE_AUDIO;
        in->apar->codec_id = codec_id(a->codec);
        in->apar->sample_rate = a->clock_rate; /* AAC and G.711: the RTP clock is the sample rate */
        if (a->codec == SDP_CODEC_AAC || a->codec == SDP_CODEC_AAC_LATM)
            in->apar->frame_size = 1024; /* AAC-LC */
        av_channel_layout_default(&in->apar->ch_layout, a->channels > 0 ? a->channels : 1);
        in->info.audio = in->apar;
        in->info.audio_tb = (AVRational){1, a->clock_rate};
    }
    rc = NVR_OK;
out:
    avcodec_parameters_free(&par);
    return rc;
}

static nvr_err emit_rtp(void *ctx, const uint8_t *pkt, size_t len)
{
    return rtp_depack_push(ctx, pkt, len);
}

/* SETUP of every track for UDP: a socket pair each, a reorder buffer for the
 * recorded ones. */
static int setup_udp(struct ingest_rtsp *in, char *why, size_t whylen)
{
    struct sockaddr_storage peer;
    socklen_t pl;
    int rc;
    if (rtsp_client_peer(in->c, &peer, &pl))
        return snprintf(why, whylen, "the camera's address is unknown"), NVR_ECONN;
    for (int i = 0; i < in->ntracks; i++) {
        struct track *t = &in->tracks[i];
        int srtp = 0, srtcp = 0;
        int rcvbuf = t->role == TRACK_IGNORED ? UDP_IGNORED_RCVBUF : RTP_UDP_RCVBUF;
        if ((rc = rtp_udp_open(&t->udp, peer.ss_family, rcvbuf, why, whylen)) ||
            (rc = rtsp_client_setup_udp(in->c, t->m->control, rtp_udp_port(t->udp), &srtp, &srtcp, why, whylen)))
            return rc;
        rtp_udp_set_peer(t->udp, (struct sockaddr *)&peer, pl, srtp, srtcp);
        if (t->role != TRACK_IGNORED &&
            ((rc = rtp_depack_create(&t->dp, t->m)) ||
             (rc = rtp_reorder_create(&t->ro, REORDER_SLOTS, REORDER_WAIT_US, emit_rtp, t->dp))))
            return rc;
        nvr_log(NVR_INFO, in->o->camera, "rtp over udp track=%s client_port=%d-%d server_port=%d-%d rcvbuf=%d%s",
                t->role == TRACK_VIDEO   ? "video"
                : t->role == TRACK_AUDIO ? "audio"
                                         : "ignored",
                rtp_udp_port(t->udp), rtp_udp_port(t->udp) + 1, srtp, srtcp, rtp_udp_rcvbuf(t->udp),
                rtp_udp_rcvbuf(t->udp) < rcvbuf ? " (capped by net.core.rmem_max)" : "");
    }
    return NVR_OK;
}

nvr_err ingest_rtsp_open(struct ingest_rtsp **out, const struct ingest_opts *o, int udp, char *why, size_t whylen)
{
    int rc;
    char *sdp_text = NULL;
    size_t sdp_len = 0;
    struct ingest_rtsp *in = calloc(1, sizeof *in);
    *out = NULL;
    snprintf(why, whylen, "ok");
    if (!in)
        return NVR_ENOMEM;
    in->o = o;
    in->udp = udp;
    in->rtcp_origin_us = INT64_MIN;
    memset(in->chan_track, -1, sizeof in->chan_track);
    if (RAND_bytes((unsigned char *)&in->ssrc, sizeof in->ssrc) != 1)
        in->ssrc = (uint32_t)nvr_clock_now_us();
    struct rtsp_client_opts copts = {.url = o->url,
                                     .tunnel = o->transport == NVR_TRANSPORT_HTTP,
                                     .camera = o->camera,
                                     .timeout_us = o->timeout_us,
                                     .stop = o->stop};
    if ((rc = rtsp_client_open(&in->c, &copts, &sdp_text, &sdp_len, why, whylen)))
        goto out;
    in->info.transport = rtsp_client_transport(in->c);
    if (rtsp_client_tls_fingerprint(in->c)[0])
        nvr_log(NVR_INFO, o->camera, "tls certificate accepted version=%s sha256=%s (pinned until restart)",
                rtsp_client_tls_version(in->c), rtsp_client_tls_fingerprint(in->c));
    if ((rc = sdp_parse(&in->sdp, sdp_text, sdp_len))) {
        if (rc == NVR_EINVAL) {
            snprintf(why, whylen, "the camera's session description has no media");
            rc = NVR_EIO;
        }
        goto out;
    }
    in->sdp_parsed = 1;
    if ((rc = pick_tracks(in, why, whylen)))
        goto out;
    for (int i = 0; i < in->ntracks && !in->udp; i++) {
        struct track *t = &in->tracks[i];
        if ((rc = rtsp_client_setup(in->c, t->m->control, &t->rtp_ch, &t->rtcp_ch, why, whylen)))
            goto out;
        if (t->role != TRACK_IGNORED && (rc = rtp_depack_create(&t->dp, t->m)))
            goto out;
        in->chan_track[t->rtp_ch] = (signed char)i;
        in->chan_track[t->rtcp_ch] = (signed char)i;
        in->chan_rtcp[t->rtcp_ch] = 1;
        in->chan_rtcp[t->rtp_ch] = 0;
    }
    if (in->udp && (rc = setup_udp(in, why, whylen)))
        goto out;
    if ((rc = make_params(in)))
        goto out;
    if (in->udp)
        in->info.transport = "udp";
    if ((rc = rtsp_client_play(in->c, in->sdp.control, why, whylen)))
        goto out;
    for (int i = 0; i < in->ntracks && in->udp; i++) {
        static const uint8_t empty_rr[8] = {0x80, 201, 0, 1, 0, 0, 0, 0};
        uint8_t rr[8];
        memcpy(rr, empty_rr, sizeof rr);
        put32(rr + 4, in->ssrc);
        rtp_udp_send(in->tracks[i].udp, 1, rr, sizeof rr); /* opens a NAT's way back */
    }
    in->deadline_us = nvr_clock_mono_us() + o->timeout_us;
    in->next_rr_us = nvr_clock_mono_us() + RR_INTERVAL_US;
    *out = in;
    in = NULL;
out:
    free(sdp_text);
    ingest_rtsp_close(&in);
    return rc;
}

const struct ingest_info *ingest_rtsp_get_info(const struct ingest_rtsp *in)
{
    return &in->info;
}

uint64_t ingest_rtsp_bytes(const struct ingest_rtsp *in)
{
    return in->bytes;
}

/* The camera's wall clock at video pts 0, from the last video report. */
static void update_origin(struct ingest_rtsp *in)
{
    struct track *v = in->video;
    if (!v->have_sr || !in->have_video_base)
        return;
    int64_t rate = in->info.video_tb.den;
    in->rtcp_origin_us = v->sr_wall_us - av_rescale(v->sr_ts64 - in->video_base, 1000000, rate);
}

static void on_rtcp(struct ingest_rtsp *in, struct track *t, const uint8_t *p, size_t n)
{
    struct rtcp_sr sr;
    if (!t->dp || !rtcp_parse_sr(p, n, &sr) || !rtp_depack_unwrap(t->dp, sr.rtp_ts, &t->sr_ts64))
        return;
    t->have_sr = 1;
    t->sr = sr;
    t->sr_wall_us = rtcp_ntp_to_unix_us(sr.ntp);
    t->sr_mono_us = nvr_clock_mono_us();
    if (t == in->video)
        update_origin(in);
}

/* RTCP RR + SDES(CNAME) for one track (RFC 3550 6.4.2, 6.5). */
static void send_rr(struct ingest_rtsp *in, struct track *t)
{
    uint8_t b[64];
    const struct rtp_stats *st = rtp_depack_stats(t->dp);
    uint32_t lost = st->lost > 0x7fffff ? 0x7fffff : (uint32_t)st->lost;
    uint32_t lsr = 0, dlsr = 0;
    if (t->have_sr) {
        lsr = (uint32_t)(t->sr.ntp >> 16);
        dlsr = (uint32_t)av_rescale(nvr_clock_mono_us() - t->sr_mono_us, 65536, 1000000);
    }
    b[0] = 0x81; /* V=2, one report block */
    b[1] = 201;
    b[2] = 0;
    b[3] = 7;
    put32(b + 4, in->ssrc);
    put32(b + 8, rtp_depack_ssrc(t->dp));
    put32(b + 12, lost); /* fraction lost 0 */
    put32(b + 16, rtp_depack_ext_seq(t->dp));
    put32(b + 20, 0); /* jitter: not computed */
    put32(b + 24, lsr);
    put32(b + 28, dlsr);
    /* SDES: CNAME "nvr", padded to a 32-bit boundary */
    static const char cname[] = "nvr";
    size_t o = 32, item = 2 + sizeof cname - 1, words = (4 + item + 1 + 3) / 4;
    b[o] = 0x81;
    b[o + 1] = 202;
    b[o + 2] = 0;
    b[o + 3] = (uint8_t)words;
    put32(b + o + 4, in->ssrc);
    b[o + 8] = 1;
    b[o + 9] = (uint8_t)(sizeof cname - 1);
    memcpy(b + o + 10, cname, sizeof cname - 1);
    size_t end = o + 4 + words * 4;
    memset(b + o + 10 + sizeof cname - 1, 0, end - (o + 10 + sizeof cname - 1));
    if (t->udp)
        rtp_udp_send(t->udp, 1, b, end);
    else
        rtsp_client_send_frame(in->c, t->rtcp_ch, b, end);
}

/* Logs the loss, malformed packets and reordering since the last line, if
 * any. */
static void log_loss(struct ingest_rtsp *in, struct track *t)
{
    const struct rtp_stats *st = rtp_depack_stats(t->dp);
    if (st->lost > t->lost_logged) {
        nvr_log(NVR_WARN, in->o->camera, "rtp packets lost track=%s lost=%llu total_lost=%llu frames_dropped=%llu",
                t == in->video ? "video" : "audio", (unsigned long long)(st->lost - t->lost_logged),
                (unsigned long long)st->lost, (unsigned long long)st->frames_dropped);
        t->lost_logged = st->lost;
    }
    if (st->malformed > t->malformed_logged) { /* what the depacketizer cannot read: not recorded */
        nvr_log(NVR_WARN, in->o->camera,
                "rtp packets malformed track=%s malformed=%llu total_malformed=%llu frames_dropped=%llu",
                t == in->video ? "video" : "audio", (unsigned long long)(st->malformed - t->malformed_logged),
                (unsigned long long)st->malformed, (unsigned long long)st->frames_dropped);
        t->malformed_logged = st->malformed;
    }
    const struct rtp_reorder_stats *rs = t->ro ? rtp_reorder_stats(t->ro) : NULL;
    if (rs && rs->reordered > t->reordered_logged) {
        nvr_log(NVR_INFO, in->o->camera, "rtp packets out of order track=%s reordered=%llu held=%llu late=%llu",
                t == in->video ? "video" : "audio", (unsigned long long)rs->reordered, (unsigned long long)rs->held,
                (unsigned long long)rs->late);
        t->reordered_logged = rs->reordered;
    }
}

/* Every RR_INTERVAL_US: receiver reports, and a line if packets were lost. */
static void housekeeping(struct ingest_rtsp *in, int64_t now)
{
    in->next_rr_us = now + RR_INTERVAL_US;
    for (int i = 0; i < in->ntracks; i++) {
        struct track *t = &in->tracks[i];
        if (!t->dp || rtp_depack_ssrc(t->dp) == 0)
            continue;
        send_rr(in, t);
        log_loss(in, t);
    }
}

/* Fixes the audio offset at the first audio frame (see the file comment). */
static void audio_offset(struct ingest_rtsp *in, int64_t ts)
{
    const struct track *a = in->audio, *v = in->video;
    in->have_audio_offset = 1;
    in->audio_offset = -ts;
    if (a->have_sr && v->have_sr && in->rtcp_origin_us != INT64_MIN) {
        int64_t rate = in->info.audio_tb.den;
        in->audio_offset = av_rescale(a->sr_wall_us - in->rtcp_origin_us, rate, 1000000) - a->sr_ts64;
        if (ts + in->audio_offset < 0)
            in->audio_offset = -ts; /* a report that does not fit: no lip sync */
    }
}

/* The packet's buffer release: the depacketizer's frames are malloc'ed. */
static void free_frame(void *opaque, uint8_t *data)
{
    (void)opaque;
    free(data);
}

/* Turns the next completed frame into pkt: 1 if one was ready, 0 if none,
 * or an error. */
static int pop_frame(struct ingest_rtsp *in, AVPacket *pkt, struct ingest_meta *meta)
{
    struct rtp_frame f;
    int video;
    if (rtp_depack_pop(in->video->dp, &f))
        video = 1;
    else if (in->audio && rtp_depack_pop(in->audio->dp, &f))
        video = 0;
    else
        return 0;
    in->bytes += f.size;
    if (!(pkt->buf = av_buffer_create(f.data, f.size + AV_INPUT_BUFFER_PADDING_SIZE, free_frame, NULL, 0))) {
        free(f.data);
        return NVR_ENOMEM;
    }
    pkt->data = f.data;
    pkt->size = (int)f.size;
    meta->recv_us = nvr_clock_now_us();
    meta->new_params = 0;
    if (video) {
        if (!in->have_video_base) {
            in->have_video_base = 1;
            in->video_base = f.ts;
            update_origin(in);
        }
        pkt->stream_index = 0;
        pkt->pts = pkt->dts = f.ts - in->video_base;
        pkt->opaque = (void *)f.layout; /* its NAL units, for the segment writer */
        if (f.key) {
            pkt->flags |= AV_PKT_FLAG_KEY;
            int c = video_params_keyframe(in->vparams, pkt);
            if (c < 0)
                return c;
            meta->new_params = c;
        }
        if (!video_params_ready(in->vparams)) {
            if (!in->warned_no_params) {
                nvr_log(NVR_INFO, in->o->camera, "waiting for a keyframe with codec parameters");
                in->warned_no_params = 1;
            }
            av_packet_unref(pkt);
            return 0;
        }
    } else {
        if (!in->have_audio_offset)
            audio_offset(in, f.ts);
        pkt->stream_index = 1;
        pkt->flags |= AV_PKT_FLAG_KEY;
        pkt->pts = pkt->dts = f.ts + in->audio_offset;
    }
    meta->rtcp_origin_us = in->rtcp_origin_us;
    return 1;
}

/* Reads what a track's socket has (RTP through the reorder buffer, or
 * RTCP). */
static nvr_err drain_udp(struct ingest_rtsp *in, struct track *t, int rtcp, int64_t now)
{
    struct rtp_udp_pkt pk[RTP_UDP_BATCH];
    for (int b = 0; b < UDP_BATCHES; b++) {
        int n = rtp_udp_recv(t->udp, rtcp, pk);
        if (n < 0)
            return n;
        for (int i = 0; i < n; i++) {
            if (rtcp) {
                on_rtcp(in, t, pk[i].data, pk[i].len);
                continue;
            }
            if (t == in->video)
                in->deadline_us = now + in->o->timeout_us;
            int rc = rtp_reorder_push(t->ro, pk[i].data, pk[i].len, now);
            if (rc)
                return rc;
        }
        if (n < RTP_UDP_BATCH)
            break;
    }
    return NVR_OK;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* One wait for RTP over UDP (see the file comment). */
static int step_udp(struct ingest_rtsp *in, char *why, size_t whylen)
{
    struct pollfd p[1 + 2 * SDP_MAX_MEDIA];
    struct track *who[1 + 2 * SDP_MAX_MEDIA];
    int n = 0, rc;
    int64_t now = nvr_clock_mono_us();
    if (in->o->stop && atomic_load(in->o->stop))
        return snprintf(why, whylen, "stopped"), NVR_ESTOPPED;
    if (now >= in->deadline_us)
        return snprintf(why, whylen, "no video over UDP for %llds (a firewall or NAT may drop it)",
                        (long long)((in->o->timeout_us + 999999) / 1000000)),
               NVR_ETIMEDOUT;
    int64_t wake =
        min64(min64(in->deadline_us, in->next_rr_us), min64(rtsp_client_next_keepalive(in->c), now + POLL_SLICE_US));
    p[n] = (struct pollfd){.fd = rtsp_client_fd(in->c), .events = POLLIN};
    who[n++] = NULL;
    for (int i = 0; i < in->ntracks; i++) {
        struct track *t = &in->tracks[i];
        if (!t->ro)
            continue;
        wake = min64(wake, rtp_reorder_deadline(t->ro));
        p[n] = (struct pollfd){.fd = rtp_udp_fd(t->udp, 0), .events = POLLIN};
        who[n++] = t;
        p[n] = (struct pollfd){.fd = rtp_udp_fd(t->udp, 1), .events = POLLIN};
        who[n++] = t;
    }
    int ms = wake > now ? (int)((wake - now + 999) / 1000) : 0;
    if (poll(p, (nfds_t)n, ms) < 0 && errno != EINTR)
        return snprintf(why, whylen, "poll failed: %s", strerror(errno)), NVR_EIO;
    now = nvr_clock_mono_us();
    if ((p[0].revents || now >= rtsp_client_next_keepalive(in->c)) && (rc = rtsp_client_service(in->c, why, whylen)))
        return rc;
    for (int i = 1; i < n; i++)
        if (p[i].revents && (rc = drain_udp(in, who[i], p[i].fd == rtp_udp_fd(who[i]->udp, 1), now)))
            return rc == NVR_EIO ? (snprintf(why, whylen, "receiving RTP over UDP failed"), rc) : rc;
    for (int i = 0; i < in->ntracks; i++)
        if (in->tracks[i].ro && (rc = rtp_reorder_tick(in->tracks[i].ro, now)))
            return rc;
    if (now >= in->next_rr_us)
        housekeeping(in, now);
    return NVR_OK;
}

nvr_err ingest_rtsp_read(struct ingest_rtsp *in, AVPacket *pkt, struct ingest_meta *meta, char *why, size_t whylen)
{
    if (!in->udp)
        rtsp_client_set_pace(in->c,
                             in->rtcp_origin_us != INT64_MIN && in->o->relaxed && in->o->relaxed(in->o->relaxed_cls));
    for (;;) {
        int r = pop_frame(in, pkt, meta);
        if (r < 0)
            return r;
        if (r == 1)
            return NVR_OK;
        /* G.711 joined in the depacketizer goes out before any wait */
        if (in->audio && in->audio->dp && rtp_depack_joining(in->audio->dp) &&
            (in->udp || !rtsp_client_frame_ready(in->c))) {
            if ((r = rtp_depack_flush_joined(in->audio->dp)))
                return r;
            continue;
        }
        if (in->udp) {
            if ((r = step_udp(in, why, whylen)))
                return r;
            continue;
        }
        int ch;
        const uint8_t *data;
        size_t len;
        int rc = rtsp_client_read(in->c, in->deadline_us, &ch, &data, &len, why, whylen);
        if (rc)
            return rc;
        int ti = in->chan_track[ch];
        if (ti < 0)
            continue;
        struct track *t = &in->tracks[ti];
        if (in->chan_rtcp[ch]) {
            on_rtcp(in, t, data, len);
            continue;
        }
        if (!t->dp)
            continue;
        int64_t now = nvr_clock_mono_us();
        if (t == in->video)
            in->deadline_us = now + in->o->timeout_us;
        if ((rc = rtp_depack_push(t->dp, data, len)))
            return rc;
        if (now >= in->next_rr_us)
            housekeeping(in, now);
    }
}

void ingest_rtsp_close(struct ingest_rtsp **inp)
{
    struct ingest_rtsp *in = *inp;
    if (!in)
        return;
    rtsp_client_close(&in->c);
    for (int i = 0; i < in->ntracks; i++)
        if (in->tracks[i].dp)
            log_loss(in, &in->tracks[i]); /* what happened since the last 5 s line */
    for (int i = 0; i < in->ntracks; i++) {
        rtp_reorder_destroy(&in->tracks[i].ro);
        rtp_depack_destroy(&in->tracks[i].dp);
        rtp_udp_close(&in->tracks[i].udp);
    }
    if (in->sdp_parsed)
        sdp_free(&in->sdp);
    video_params_destroy(&in->vparams);
    avcodec_parameters_free(&in->apar);
    free(in);
    *inp = NULL;
}
