/* SPDX-License-Identifier: Apache-2.0 */
/*
 * replay_clip.c - a clip cut once into RTP packets (see replay_clip.h).
 */
#include "replay_clip.h"

#include <libavformat/avformat.h>
#include <libavutil/base64.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PS 8        /* parameter sets kept from the configuration record */

struct ps {
    const uint8_t *p;
    int n;
};

struct builder {
    struct replay_clip *c;
    size_t blob_cap, pkts_cap, units_cap;
    int nal_len; /* bytes of each NAL unit's length prefix */
    struct ps ps[MAX_PS];
    int nps;
    int64_t origin_us; /* the clip's first decode time */
    enum replay_donl donl;
    uint16_t don;       /* the next NAL unit's decoding order number */
    int max_units;      /* most NAL units in an access unit */
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 1024;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

/* One packet: `h` (h_len bytes of FU headers, may be 0) then `d`. */
static int add_pkt(struct builder *b, int track, uint32_t ts_off, const uint8_t *h, size_t h_len, const uint8_t *d,
                   size_t d_len)
{
    struct replay_clip *c = b->c;
    if (grow((void **)&c->blob, &b->blob_cap, c->blob_len + h_len + d_len, 1) ||
        grow((void **)&c->pkts, &b->pkts_cap, c->npkts + 1, sizeof *c->pkts))
        return -1;
    struct replay_pkt *p = &c->pkts[c->npkts++];
    *p = (struct replay_pkt){
        .off = (uint32_t)c->blob_len, .len = (uint16_t)(h_len + d_len), .track = (uint8_t)track, .ts_off = ts_off};
    if (h_len) /* (h may be NULL then: memcpy must not see it) */
        memcpy(c->blob + c->blob_len, h, h_len);
    if (d_len)
        memcpy(c->blob + c->blob_len + h_len, d, d_len);
    c->blob_len += h_len + d_len;
    c->payload_bytes += d_len;
    return 0;
}

/* One NAL unit as a single packet or fragmentation units (RFC 6184 5.8,
 * RFC 7798 4.4.3); with b->donl, `don` in a DONL field after the unit's
 * header, or after the first fragment's FU header (RFC 7798 4.4.1, 4.4.3). */
static int add_nal(struct builder *b, uint32_t ts_off, const uint8_t *nal, size_t n, uint16_t don)
{
    int h265 = b->c->tracks[0].codec == REPLAY_H265;
    size_t nh = h265 ? 2 : 1;
    if (b->donl && n >= 2 && n <= REPLAY_MTU) {
        uint8_t hd[4] = {nal[0], nal[1], (uint8_t)(don >> 8), (uint8_t)don};
        return add_pkt(b, 0, ts_off, hd, 4, nal + 2, n - 2);
    }
    if (n <= REPLAY_MTU)
        return add_pkt(b, 0, ts_off, NULL, 0, nal, n);
    if (n <= nh)
        return 0;
    uint8_t h[5];
    uint8_t type;
    if (h265) {
        h[0] = (uint8_t)((nal[0] & 0x81) | (49 << 1));
        h[1] = nal[1];
        type = (uint8_t)((nal[0] >> 1) & 0x3f);
    } else {
        h[0] = (uint8_t)((nal[0] & 0xe0) | 28);
        type = (uint8_t)(nal[0] & 0x1f);
    }
    size_t chunk = REPLAY_MTU - nh - 1;
    for (size_t pos = nh; pos < n; pos += chunk) {
        size_t k = n - pos < chunk ? n - pos : chunk, hl = nh + 1;
        h[nh] = (uint8_t)(type | (pos == nh ? 0x80 : 0) | (pos + k == n ? 0x40 : 0));
        if (b->donl && pos == nh) {
            h[hl++] = (uint8_t)(don >> 8);
            h[hl++] = (uint8_t)don;
        }
        if (add_pkt(b, 0, ts_off, h, hl, nal + pos, k))
            return -1;
    }
    return 0;
}

static int add_unit(struct builder *b, int64_t due_us, size_t first)
{
    struct replay_clip *c = b->c;
    if (c->npkts == first)
        return 0;
    if (grow((void **)&c->units, &b->units_cap, c->nunits + 1, sizeof *c->units))
        return -1;
    c->units[c->nunits++] =
        (struct replay_unit){.due_us = due_us, .first = (uint32_t)first, .n = (uint32_t)(c->npkts - first)};
    return 0;
}

/* The parameter sets and NAL length size of an avcC/hvcC record. */
static int parse_config(struct builder *b, const uint8_t *x, int n, int h265)
{
    int pos, narrays;
    if (h265) {
        if (n < 23)
            return -1;
        b->nal_len = (x[21] & 3) + 1;
        narrays = x[22];
        pos = 23;
    } else {
        if (n < 7 || x[0] != 1)
            return -1;
        b->nal_len = (x[4] & 3) + 1;
        narrays = 2; /* SPS list, then PPS list */
        pos = 5;
    }
    for (int a = 0; a < narrays; a++) {
        int count;
        if (h265) {
            if (pos + 3 > n)
                return -1;
            count = x[pos + 1] << 8 | x[pos + 2];
            pos += 3;
        } else {
            if (pos + 1 > n)
                return -1;
            count = x[pos] & (a == 0 ? 0x1f : 0xff);
            pos += 1;
        }
        for (int i = 0; i < count; i++) {
            if (pos + 2 > n)
                return -1;
            int len = x[pos] << 8 | x[pos + 1];
            pos += 2;
            if (pos + len > n)
                return -1;
            if (b->nps < MAX_PS)
                b->ps[b->nps++] = (struct ps){x + pos, len};
            pos += len;
        }
    }
    return b->nps ? 0 : -1;
}

static int b64(const struct ps *p, char *out, size_t cap)
{
    return av_base64_encode(out, (int)cap, p->p, p->n) ? 0 : -1;
}

static int make_fmtp(struct builder *b, struct replay_track *t)
{
    char e[3][400] = {{0}};
    const char *names[3] = {"sprop-vps", "sprop-sps", "sprop-pps"};
    if (t->codec == REPLAY_H265) {
        /* one of each type, in VPS/SPS/PPS order (types 32, 33, 34) */
        for (int i = 0; i < b->nps; i++) {
            int type = (b->ps[i].p[0] >> 1) & 0x3f;
            if (type >= 32 && type <= 34 && !e[type - 32][0] && b64(&b->ps[i], e[type - 32], sizeof e[0]))
                return -1;
        }
        snprintf(t->fmtp, sizeof t->fmtp, "%s=%s;%s=%s;%s=%s", names[0], e[0], names[1], e[1], names[2], e[2]);
        return 0;
    }
    const struct ps *sps = NULL, *pps = NULL;
    for (int i = 0; i < b->nps; i++) {
        int type = b->ps[i].p[0] & 0x1f;
        if (type == 7 && !sps)
            sps = &b->ps[i];
        else if (type == 8 && !pps)
            pps = &b->ps[i];
    }
    if (!sps || !pps || sps->n < 4 || b64(sps, e[0], sizeof e[0]) || b64(pps, e[1], sizeof e[1]))
        return -1;
    snprintf(t->fmtp, sizeof t->fmtp, "packetization-mode=1;profile-level-id=%02x%02x%02x;sprop-parameter-sets=%s,%s",
             sps->p[1], sps->p[2], sps->p[3], e[0], e[1]);
    return 0;
}

static uint32_t to_clock(int64_t us, int clock)
{
    return (uint32_t)av_rescale(us, clock, 1000000);
}

/* One video access unit: parameter sets first on a keyframe; each unit
 * numbered in decoding order, sent in it or (REPLAY_DONL_REVERSED) last
 * first. */
static int add_video(struct builder *b, const AVPacket *pk, AVRational tb)
{
    int64_t dts_us = av_rescale_q(pk->dts, tb, AV_TIME_BASE_Q) - b->origin_us;
    int64_t pts_us = av_rescale_q(pk->pts, tb, AV_TIME_BASE_Q) - b->origin_us;
    uint32_t ts = to_clock(pts_us < 0 ? 0 : pts_us, 90000);
    size_t first = b->c->npkts;
    struct ps u[REPLAY_MAX_UNITS];
    int nu = 0;
    if (pk->flags & AV_PKT_FLAG_KEY)
        for (int i = 0; i < b->nps && nu < REPLAY_MAX_UNITS; i++)
            u[nu++] = b->ps[i];
    for (int pos = 0; pos + b->nal_len <= pk->size;) {
        size_t len = 0;
        for (int i = 0; i < b->nal_len; i++)
            len = len << 8 | pk->data[pos + i];
        pos += b->nal_len;
        if (len > (size_t)(pk->size - pos) || nu == REPLAY_MAX_UNITS)
            return -1;
        if (len)
            u[nu++] = (struct ps){pk->data + pos, (int)len};
        pos += (int)len;
    }
    if (nu > b->max_units)
        b->max_units = nu;
    uint16_t don0 = b->don;
    b->don = (uint16_t)(b->don + nu);
    for (int k = 0; k < nu; k++) {
        int i = b->donl == REPLAY_DONL_REVERSED ? nu - 1 - k : k;
        if (add_nal(b, ts, u[i].p, (size_t)u[i].n, (uint16_t)(don0 + i)))
            return -1;
    }
    if (b->c->npkts > first)
        b->c->pkts[b->c->npkts - 1].marker = 1;
    return add_unit(b, dts_us < 0 ? 0 : dts_us, first);
}

/* G.711 samples in 20 ms packets (rate / 50 sample periods of every
 * channel, interleaved), each its own unit. */
static int add_audio(struct builder *b, const AVPacket *pk, AVRational tb)
{
    const struct replay_track *a = &b->c->tracks[1];
    int64_t dts_us = av_rescale_q(pk->dts, tb, AV_TIME_BASE_Q) - b->origin_us;
    int chunk = a->clock / 50 * a->channels;
    for (int pos = 0; pos < pk->size; pos += chunk) {
        int k = pk->size - pos < chunk ? pk->size - pos : chunk;
        int64_t at = dts_us + (int64_t)(pos / a->channels) * 1000000 / a->clock;
        size_t first = b->c->npkts;
        if (add_pkt(b, 1, to_clock(at, a->clock), NULL, 0, pk->data + pos, (size_t)k) || add_unit(b, at, first))
            return -1;
    }
    return 0;
}

static int by_due(const void *a, const void *b)
{
    const struct replay_unit *x = a, *y = b;
    if (x->due_us != y->due_us)
        return x->due_us < y->due_us ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* Sending order, per-track sequence numbers, loop lengths. */
static void finish(struct replay_clip *c, int64_t end_us)
{
    qsort(c->units, c->nunits, sizeof *c->units, by_due);
    uint32_t seq[REPLAY_MAX_TRACKS] = {0};
    for (size_t u = 0; u < c->nunits; u++)
        for (uint32_t i = 0; i < c->units[u].n; i++) {
            struct replay_pkt *p = &c->pkts[c->units[u].first + i];
            p->seq_idx = seq[p->track]++;
        }
    c->loop_us = end_us;
    for (int t = 0; t < c->ntracks; t++) {
        c->tracks[t].npkt = seq[t];
        c->tracks[t].loop_ts = to_clock(end_us, c->tracks[t].clock);
    }
}

static int open_tracks(struct builder *b, AVFormatContext *fc, int audio, int *vi, int *ai)
{
    struct replay_clip *c = b->c;
    *vi = av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (*vi < 0)
        return -1;
    const AVCodecParameters *v = fc->streams[*vi]->codecpar;
    int h265 = v->codec_id == AV_CODEC_ID_HEVC;
    if ((!h265 && v->codec_id != AV_CODEC_ID_H264) || parse_config(b, v->extradata, v->extradata_size, h265))
        return -1;
    c->tracks[0] = (struct replay_track){.codec = h265 ? REPLAY_H265 : REPLAY_H264, .pt = 96, .clock = 90000};
    if (make_fmtp(b, &c->tracks[0]))
        return -1;
    c->ntracks = 1;
    *ai = audio ? av_find_best_stream(fc, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0) : -1;
    if (*ai >= 0) {
        const AVCodecParameters *a = fc->streams[*ai]->codecpar;
        int mu = a->codec_id == AV_CODEC_ID_PCM_MULAW, al = a->codec_id == AV_CODEC_ID_PCM_ALAW;
        int rate = a->sample_rate, ch = a->ch_layout.nb_channels;
        if ((!mu && !al) || rate < 50 || rate % 50 || ch < 1 || rate / 50 * ch > REPLAY_MTU) {
            *ai = -1; /* only G.711 is replayed, in 20 ms packets of at most REPLAY_MTU bytes */
        } else {
            /* 8 kHz mono has its static payload type (RFC 3551); any other
             * rate or channel count a dynamic one, "PCMA/16000/2" */
            int fixed = rate == 8000 && ch == 1;
            c->tracks[1] = (struct replay_track){.codec = mu ? REPLAY_PCMU : REPLAY_PCMA,
                                                 .pt = fixed ? (mu ? 0 : 8) : 97,
                                                 .clock = rate,
                                                 .channels = ch};
            c->ntracks = 2;
        }
    }
    return 0;
}

/* The first decode time of streams vi and ai (with B-frames, before the
 * first presentation time), in a pass of its own over the clip. */
static int scan_origin(const char *path, int vi, int ai, int64_t *origin)
{
    AVFormatContext *fc = NULL;
    AVPacket *pk = av_packet_alloc();
    *origin = INT64_MAX;
    if (pk && avformat_open_input(&fc, path, NULL, NULL) == 0) {
        while (av_read_frame(fc, pk) >= 0) {
            int64_t t = pk->dts != AV_NOPTS_VALUE ? pk->dts : pk->pts;
            if ((pk->stream_index == vi || pk->stream_index == ai) && t != AV_NOPTS_VALUE) {
                int64_t us = av_rescale_q(t, fc->streams[pk->stream_index]->time_base, AV_TIME_BASE_Q);
                if (us < *origin)
                    *origin = us;
            }
            av_packet_unref(pk);
        }
    }
    av_packet_free(&pk);
    avformat_close_input(&fc);
    return *origin == INT64_MAX ? -1 : 0;
}

int replay_clip_load(const char *path, int audio, enum replay_donl donl, struct replay_clip *c)
{
    AVFormatContext *fc = NULL;
    AVPacket *pk = av_packet_alloc();
    struct builder b = {.c = c, .donl = donl};
    int vi, ai, ret = -1;
    int64_t end_us = 0;

    memset(c, 0, sizeof *c);
    if (!pk || avformat_open_input(&fc, path, NULL, NULL) < 0 || avformat_find_stream_info(fc, NULL) < 0) {
        fprintf(stderr, "nvr-replay-camera: cannot read %s\n", path);
        goto out;
    }
    if (open_tracks(&b, fc, audio, &vi, &ai)) {
        fprintf(stderr, "nvr-replay-camera: %s: no H.264/H.265 video with a configuration record\n", path);
        goto out;
    }
    if (donl && c->tracks[0].codec != REPLAY_H265) {
        fprintf(stderr, "nvr-replay-camera: %s: DONL fields are H.265's (RFC 7798)\n", path);
        goto out;
    }
    if (scan_origin(path, vi, ai, &b.origin_us)) {
        fprintf(stderr, "nvr-replay-camera: %s: no frames\n", path);
        goto out;
    }
    while (av_read_frame(fc, pk) >= 0) {
        int s = pk->stream_index, rc = 0;
        AVRational tb = fc->streams[s]->time_base;
        if (pk->dts == AV_NOPTS_VALUE)
            pk->dts = pk->pts;
        if (s == vi) {
            rc = add_video(&b, pk, tb);
        } else if (s == ai) {
            rc = add_audio(&b, pk, tb);
        }
        if ((s == vi || s == ai) && !rc) {
            int64_t dur = pk->duration > 0 ? pk->duration : 0;
            int64_t e = av_rescale_q(pk->dts + dur, tb, AV_TIME_BASE_Q) - b.origin_us;
            if (s == ai && dur == 0)
                e += (int64_t)pk->size / b.c->tracks[1].channels * 1000000 / b.c->tracks[1].clock;
            if (e > end_us)
                end_us = e;
        }
        av_packet_unref(pk);
        if (rc) {
            fprintf(stderr, "nvr-replay-camera: %s: cannot packetize\n", path);
            goto out;
        }
    }
    if (!c->nunits) {
        fprintf(stderr, "nvr-replay-camera: %s: no frames\n", path);
        goto out;
    }
    if (donl) { /* how far a unit may be sent ahead of its decoding order */
        size_t at = strlen(c->tracks[0].fmtp);
        snprintf(c->tracks[0].fmtp + at, sizeof c->tracks[0].fmtp - at, ";sprop-max-don-diff=%d",
                 b.max_units > 1 ? b.max_units - 1 : 1);
    }
    finish(c, end_us);
    ret = 0;
out:
    if (ret)
        replay_clip_free(c);
    av_packet_free(&pk);
    avformat_close_input(&fc);
    return ret;
}

void replay_clip_free(struct replay_clip *c)
{
    free(c->blob);
    free(c->pkts);
    free(c->units);
    memset(c, 0, sizeof *c);
}

int replay_clip_sdp(const struct replay_clip *c, char *out, size_t cap)
{
    static const char *const names[] = {"H264", "H265", "PCMU", "PCMA"};
    int n = snprintf(out, cap,
                     "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=nvr replay camera\r\nc=IN IP4 0.0.0.0\r\n"
                     "t=0 0\r\na=control:*\r\n");
    for (int t = 0; t < c->ntracks && n >= 0 && (size_t)n < cap; t++) {
        const struct replay_track *k = &c->tracks[t];
        n += snprintf(out + n, cap - (size_t)n, "m=%s 0 RTP/AVP %d\r\na=rtpmap:%d %s/%d", t ? "audio" : "video",
                      k->pt, k->pt, names[k->codec], k->clock);
        if (k->channels > 1 && n >= 0 && (size_t)n < cap)
            n += snprintf(out + n, cap - (size_t)n, "/%d", k->channels);
        if (n >= 0 && (size_t)n < cap)
            n += snprintf(out + n, cap - (size_t)n, "\r\n");
        if (k->fmtp[0] && n >= 0 && (size_t)n < cap)
            n += snprintf(out + n, cap - (size_t)n, "a=fmtp:%d %s\r\n", k->pt, k->fmtp);
        if (n >= 0 && (size_t)n < cap)
            n += snprintf(out + n, cap - (size_t)n, "a=control:trackID=%d\r\n", t);
    }
    return n >= 0 && (size_t)n < cap ? n : -1;
}
