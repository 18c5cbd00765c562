/* SPDX-License-Identifier: Apache-2.0 */
/* test_rtp_depack.c - RTP depacketization (nvr/media/rtp_depack.c) on hand-built
 * packets: H.264 single NAL / STAP-A / FU-A, H.265 AP / FU, AAC AU headers,
 * lost fragments, reordering, timestamp wrap, RTCP sender reports. */
#include "media/rtp_depack.h"

#include "check.h"
#include "base/err.h"
#include "base/nal_layout.h"

#include <libavutil/mem.h>
#include <stdlib.h>

struct pkt {
    uint8_t b[2048];
    size_t n;
};

/* An RTP packet: header (pt 96, ssrc 0x11223344) + payload. */
static struct pkt rtp(uint16_t seq, uint32_t ts, int marker, const uint8_t *payload, size_t len)
{
    struct pkt p;
    p.b[0] = 0x80;
    p.b[1] = (uint8_t)((marker ? 0x80 : 0) | 96);
    p.b[2] = (uint8_t)(seq >> 8);
    p.b[3] = (uint8_t)seq;
    p.b[4] = (uint8_t)(ts >> 24);
    p.b[5] = (uint8_t)(ts >> 16);
    p.b[6] = (uint8_t)(ts >> 8);
    p.b[7] = (uint8_t)ts;
    p.b[8] = 0x11;
    p.b[9] = 0x22;
    p.b[10] = 0x33;
    p.b[11] = 0x44;
    memcpy(p.b + 12, payload, len);
    p.n = 12 + len;
    return p;
}

static void push(struct rtp_depack *d, uint16_t seq, uint32_t ts, int marker, const uint8_t *payload, size_t len)
{
    struct pkt p = rtp(seq, ts, marker, payload, len);
    CHECK_EQ_INT(rtp_depack_push(d, p.b, p.n), NVR_OK);
}

static struct rtp_depack *make(enum sdp_codec codec)
{
    struct sdp_media m = {.codec = codec, .clock_rate = 90000, .size_length = 13, .index_length = 3,
                          .index_delta_length = 3};
    struct rtp_depack *d = NULL;
    CHECK_EQ_INT(rtp_depack_create(&d, &m), NVR_OK);
    return d;
}

/* A video frame's layout (base/nal_layout.h) describes it: L1, and L2 --
 * its units tile the bytes, each behind a 4-byte start code. */
static void check_layout(const struct rtp_frame *f)
{
    const struct nal_layout *l = f->layout;
    if (!l) {
        CHECK(!"a video frame without its NAL layout");
        return;
    }
    CHECK(l->magic == NAL_LAYOUT_MAGIC && l->data == f->data && l->size == f->size);
    size_t at = 0;
    for (uint32_t i = 0; i < l->n; i++) {
        CHECK(at + 4 + l->len[i] <= f->size && l->len[i] > 0);
        if (at + 4 + l->len[i] > f->size)
            return;
        CHECK(memcmp(f->data + at, "\0\0\0\1", 4) == 0);
        at += 4 + l->len[i];
    }
    CHECK_EQ_INT(at, f->size);
}

/* Pops one frame and compares it (and a video frame's layout); frees it. */
static void expect_frame(struct rtp_depack *d, const uint8_t *want, size_t n, int64_t ts, int key)
{
    struct rtp_frame f;
    if (!rtp_depack_pop(d, &f)) {
        CHECK(!"a frame was expected");
        return;
    }
    CHECK_EQ_INT(f.size, n);
    CHECK(f.size == n && memcmp(f.data, want, n) == 0);
    CHECK_EQ_INT(f.ts, ts);
    CHECK_EQ_INT(f.key, key);
    for (int i = 0; i < 16; i++)
        CHECK(f.data[n + i] == 0); /* libavcodec's padding */
    if (n >= 4 && memcmp(want, "\0\0\0\1", 4) == 0)
        check_layout(&f);
    else
        CHECK(f.layout == NULL);
    free(f.data);
}

static void expect_none(struct rtp_depack *d)
{
    struct rtp_frame f;
    int got = rtp_depack_pop(d, &f);
    CHECK_EQ_INT(got, 0);
    if (got)
        free(f.data);
}

static const uint8_t sps[] = {0x67, 0x42, 0x00, 0x1e, 0xaa};
static const uint8_t pps[] = {0x68, 0xce, 0x38, 0x80};
static const uint8_t idr[] = {0x65, 0x88, 0x84, 0x21, 0x43, 0x00, 0x07, 0x99};
static const uint8_t pslice[] = {0x41, 0x9a, 0x02, 0x03};

static void test_header(void)
{
    struct rtp_header h;
    uint8_t pl[4] = {1, 2, 3, 4};
    struct pkt p = rtp(7, 1000, 1, pl, 4);
    CHECK_EQ_INT(rtp_parse_header(p.b, p.n, &h), NVR_OK);
    CHECK_EQ_INT(h.seq, 7);
    CHECK_EQ_INT(h.ts, 1000);
    CHECK_EQ_INT(h.marker, 1);
    CHECK_EQ_INT(h.payload_type, 96);
    CHECK_EQ_INT(h.payload_len, 4);
    /* one CSRC, an extension of one word, two bytes of padding */
    uint8_t x[32] = {0xb1, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, /* csrc */ 9, 9, 9, 9,
                     /* ext */ 0xbe, 0xde, 0, 1, 5, 5, 5, 5, /* payload */ 0xaa, 0xbb, /* padding */ 0, 2};
    CHECK_EQ_INT(rtp_parse_header(x, 28, &h), NVR_OK);
    CHECK_EQ_INT(h.payload_len, 2);
    CHECK(h.payload[0] == 0xaa && h.payload[1] == 0xbb);
    x[27] = 9; /* more padding than payload */
    CHECK_EQ_INT(rtp_parse_header(x, 28, &h), NVR_EINVAL);
    x[0] = 0x40; /* version 1 */
    CHECK_EQ_INT(rtp_parse_header(x, 28, &h), NVR_EINVAL);
    CHECK_EQ_INT(rtp_parse_header(x, 5, &h), NVR_EINVAL);
}

static void test_h264_single_and_stap(void)
{
    struct rtp_depack *d = make(SDP_CODEC_H264);
    /* STAP-A with SPS + PPS, then the IDR in a single NAL packet with the marker */
    uint8_t stap[1 + 2 + sizeof sps + 2 + sizeof pps];
    size_t o = 0;
    stap[o++] = 24 | 0x60;
    stap[o++] = 0;
    stap[o++] = sizeof sps;
    memcpy(stap + o, sps, sizeof sps);
    o += sizeof sps;
    stap[o++] = 0;
    stap[o++] = sizeof pps;
    memcpy(stap + o, pps, sizeof pps);
    o += sizeof pps;
    push(d, 100, 5000, 0, stap, o);
    expect_none(d);
    push(d, 101, 5000, 1, idr, sizeof idr);
    uint8_t want[4 + sizeof sps + 4 + sizeof pps + 4 + sizeof idr];
    size_t w = 0;
    const uint8_t *nals[] = {sps, pps, idr};
    size_t lens[] = {sizeof sps, sizeof pps, sizeof idr};
    for (int i = 0; i < 3; i++) {
        memcpy(want + w, "\0\0\0\1", 4);
        memcpy(want + w + 4, nals[i], lens[i]);
        w += 4 + lens[i];
    }
    expect_frame(d, want, w, 5000, 1);
    /* a P frame without the marker bit: ends when the timestamp changes */
    push(d, 102, 8600, 0, pslice, sizeof pslice);
    expect_none(d);
    push(d, 103, 12200, 0, pslice, sizeof pslice);
    uint8_t pw[4 + sizeof pslice] = {0, 0, 0, 1};
    memcpy(pw + 4, pslice, sizeof pslice);
    expect_frame(d, pw, sizeof pw, 8600, 0);
    CHECK_EQ_INT(rtp_depack_joining(d), 0);
    CHECK_EQ_INT(rtp_depack_flush_joined(d), NVR_OK); /* for G.711 only: the access unit stays open */
    expect_none(d);
    CHECK_EQ_INT(rtp_depack_flush(d), NVR_OK);
    expect_frame(d, pw, sizeof pw, 12200, 0);
    CHECK_EQ_INT(rtp_depack_stats(d)->lost, 0);
    CHECK_EQ_INT(rtp_depack_stats(d)->frames, 3);
    rtp_depack_destroy(&d);
    CHECK(d == NULL);
}

/* Sends idr (header byte + body) as FU-A fragments of `chunk` body bytes. */
static uint16_t send_fu_a(struct rtp_depack *d, uint16_t seq, uint32_t ts, const uint8_t *nal, size_t n,
                          size_t chunk, int skip_index)
{
    size_t off = 1;
    int i = 0;
    while (off < n) {
        size_t k = n - off < chunk ? n - off : chunk;
        uint8_t fu[2 + 64];
        fu[0] = (uint8_t)((nal[0] & 0xe0) | 28);
        fu[1] = (uint8_t)((off == 1 ? 0x80 : 0) | (off + k == n ? 0x40 : 0) | (nal[0] & 0x1f));
        memcpy(fu + 2, nal + off, k);
        if (i != skip_index)
            push(d, seq, ts, off + k == n, fu, 2 + k);
        seq++;
        i++;
        off += k;
    }
    return seq;
}

static void test_h264_fu_a(void)
{
    struct rtp_depack *d = make(SDP_CODEC_H264);
    uint8_t want[4 + sizeof idr] = {0, 0, 0, 1};
    memcpy(want + 4, idr, sizeof idr);
    uint16_t seq = send_fu_a(d, 65534, 90000, idr, sizeof idr, 3, -1); /* sequence numbers wrap too */
    expect_frame(d, want, sizeof want, 90000, 1);
    CHECK_EQ_INT(rtp_depack_stats(d)->lost, 0);
    CHECK_EQ_INT(rtp_depack_ext_seq(d), 65536 + seq - 1);
    /* a continuation fragment without its start (joined mid-way) is dropped */
    uint8_t mid[4] = {28 | 0x60, 0x05, 0x11, 0x22};
    push(d, seq++, 93600, 1, mid, sizeof mid);
    expect_none(d);
    CHECK_EQ_INT(rtp_depack_stats(d)->frames_dropped, 1);
    rtp_depack_destroy(&d);
}

static void test_h264_lost_fragment(void)
{
    struct rtp_depack *d = make(SDP_CODEC_H264);
    uint8_t kw[4 + sizeof idr] = {0, 0, 0, 1}, pw[4 + sizeof pslice] = {0, 0, 0, 1};
    memcpy(kw + 4, idr, sizeof idr);
    memcpy(pw + 4, pslice, sizeof pslice);
    /* keyframe with its middle fragment lost: dropped */
    uint16_t seq = send_fu_a(d, 10, 1000, idr, sizeof idr, 2, 1);
    expect_none(d);
    CHECK_EQ_INT(rtp_depack_stats(d)->lost, 1);
    /* the following P frame refers to it: dropped too */
    push(d, seq++, 4600, 1, pslice, sizeof pslice);
    expect_none(d);
    CHECK_EQ_INT(rtp_depack_stats(d)->frames_dropped, 2);
    /* the next keyframe is whole: recording resumes */
    seq = send_fu_a(d, seq, 8200, idr, sizeof idr, 2, -1);
    expect_frame(d, kw, sizeof kw, 8200, 1);
    push(d, seq++, 11800, 1, pslice, sizeof pslice);
    expect_frame(d, pw, sizeof pw, 11800, 0);
    /* the first packet of the next frame is lost, its second arrives: the frame is
     * incomplete even though its timestamp is new */
    seq++;
    push(d, seq++, 15400, 1, pslice, sizeof pslice);
    expect_none(d);
    CHECK_EQ_INT(rtp_depack_stats(d)->lost, 2);
    /* a repeated packet is ignored, not counted as loss */
    push(d, (uint16_t)(seq - 1), 15400, 1, pslice, sizeof pslice);
    CHECK_EQ_INT(rtp_depack_stats(d)->late, 1);
    CHECK_EQ_INT(rtp_depack_stats(d)->lost, 2);
    rtp_depack_destroy(&d);
}

static void test_timestamp_wrap(void)
{
    struct rtp_depack *d = make(SDP_CODEC_H264);
    uint8_t pw[4 + sizeof pslice] = {0, 0, 0, 1};
    memcpy(pw + 4, pslice, sizeof pslice);
    uint32_t ts = 0xffffffffu - 3600 + 1; /* the second frame is at 2^32 */
    push(d, 1, ts, 1, pslice, sizeof pslice);
    expect_frame(d, pw, sizeof pw, ts, 0);
    push(d, 2, ts + 3600, 1, pslice, sizeof pslice);
    expect_frame(d, pw, sizeof pw, 4294967296LL, 0);
    push(d, 3, ts + 7200, 1, pslice, sizeof pslice);
    expect_frame(d, pw, sizeof pw, 4294967296LL + 3600, 0);
    int64_t u = 0;
    CHECK_EQ_INT(rtp_depack_unwrap(d, 0xfffffff0u, &u), 1);
    CHECK_EQ_INT(u, 0xfffffff0LL);
    CHECK_EQ_INT(rtp_depack_unwrap(d, 10, &u), 1);
    CHECK_EQ_INT(u, 4294967296LL + 10);
    rtp_depack_destroy(&d);
}

static void test_h265(void)
{
    struct rtp_depack *d = make(SDP_CODEC_H265);
    static const uint8_t vps[] = {0x40, 0x01, 0x0c, 0x01};
    static const uint8_t hsps[] = {0x42, 0x01, 0x01, 0x60};
    static const uint8_t hpps[] = {0x44, 0x01, 0xc1, 0x73};
    static const uint8_t idr_nal[] = {0x26, 0x01, 0xaf, 0x11, 0x22, 0x33, 0x44, 0x55}; /* IDR_W_RADL (19) */
    /* AP with VPS/SPS/PPS */
    uint8_t ap[2 + 3 * (2 + 4)] = {48 << 1, 1};
    size_t o = 2;
    const uint8_t *ps[] = {vps, hsps, hpps};
    for (int i = 0; i < 3; i++) {
        ap[o++] = 0;
        ap[o++] = 4;
        memcpy(ap + o, ps[i], 4);
        o += 4;
    }
    push(d, 1, 0, 0, ap, o);
    /* FU: header 49, FU header S/E + type 19, in three pieces */
    uint8_t fu1[3 + 2] = {49 << 1, 1, 0x80 | 19, 0xaf, 0x11};
    uint8_t fu2[3 + 2] = {49 << 1, 1, 19, 0x22, 0x33};
    uint8_t fu3[3 + 2] = {49 << 1, 1, 0x40 | 19, 0x44, 0x55};
    push(d, 2, 0, 0, fu1, sizeof fu1);
    push(d, 3, 0, 0, fu2, sizeof fu2);
    push(d, 4, 0, 1, fu3, sizeof fu3);
    uint8_t want[4 * 8 + sizeof idr_nal];
    size_t w = 0;
    for (int i = 0; i < 3; i++) {
        memcpy(want + w, "\0\0\0\1", 4);
        memcpy(want + w + 4, ps[i], 4);
        w += 8;
    }
    memcpy(want + w, "\0\0\0\1", 4);
    memcpy(want + w + 4, idr_nal, sizeof idr_nal);
    w += 4 + sizeof idr_nal;
    expect_frame(d, want, w, 0, 1);
    /* TRAIL_R (1) in a single packet: not a keyframe */
    static const uint8_t trail[] = {0x02, 0x01, 0xd0, 0x01};
    push(d, 5, 3600, 1, trail, sizeof trail);
    uint8_t tw[4 + sizeof trail] = {0, 0, 0, 1};
    memcpy(tw + 4, trail, sizeof trail);
    expect_frame(d, tw, sizeof tw, 3600, 0);
    /* CRA (21) is a keyframe */
    static const uint8_t cra[] = {0x2a, 0x01, 0xaa};
    push(d, 6, 7200, 1, cra, sizeof cra);
    uint8_t cw[4 + sizeof cra] = {0, 0, 0, 1};
    memcpy(cw + 4, cra, sizeof cra);
    expect_frame(d, cw, sizeof cw, 7200, 1);
    rtp_depack_destroy(&d);
}

static void test_h264_recovery_point(void)
{
    /* SEI recovery point (payload type 6) + non-IDR I slice: a keyframe, as for
     * libavcodec's parser */
    struct rtp_depack *d = make(SDP_CODEC_H264);
    static const uint8_t sei[] = {0x06, 0x06, 0x01, 0xc4, 0x80};
    push(d, 1, 0, 0, sei, sizeof sei);
    push(d, 2, 0, 1, pslice, sizeof pslice);
    struct rtp_frame f;
    CHECK_EQ_INT(rtp_depack_pop(d, &f), 1);
    CHECK_EQ_INT(f.key, 1);
    free(f.data);
    rtp_depack_destroy(&d);
}

static void test_aac(void)
{
    struct rtp_depack *d = make(SDP_CODEC_AAC);
    /* two AUs in one packet: headers 13+3 bits each */
    uint8_t p[2 + 4 + 3 + 2] = {0, 32, (uint8_t)(3 >> 5), (uint8_t)(3 << 3), (uint8_t)(2 >> 5), (uint8_t)(2 << 3),
                                0xa1, 0xa2, 0xa3, 0xb1, 0xb2};
    push(d, 1, 48000, 1, p, sizeof p);
    static const uint8_t a[] = {0xa1, 0xa2, 0xa3}, b[] = {0xb1, 0xb2};
    expect_frame(d, a, 3, 48000, 1);
    expect_frame(d, b, 2, 48000 + 1024, 1);
    /* one AU of 6 bytes in two fragments */
    uint8_t f1[2 + 2 + 4] = {0, 16, 0, 6 << 3, 1, 2, 3, 4};
    uint8_t f2[2 + 2 + 2] = {0, 16, 0, 6 << 3, 5, 6};
    push(d, 2, 50048, 0, f1, sizeof f1);
    expect_none(d);
    push(d, 3, 50048, 1, f2, sizeof f2);
    static const uint8_t whole[] = {1, 2, 3, 4, 5, 6};
    expect_frame(d, whole, 6, 50048, 1);
    /* a fragment lost: that frame is dropped, the next one is whole */
    push(d, 4, 51072, 0, f1, sizeof f1);
    push(d, 6, 52096, 1, p, sizeof p);
    expect_frame(d, a, 3, 52096, 1);
    expect_frame(d, b, 2, 52096 + 1024, 1);
    expect_none(d);
    CHECK_EQ_INT(rtp_depack_stats(d)->lost, 1);
    CHECK_EQ_INT(rtp_depack_stats(d)->frames_dropped, 1);
    /* AU size larger than the packet without more fragments: malformed, no frame */
    uint8_t bad[2 + 2 + 1] = {0, 16, 0x10, 0, 1};
    push(d, 7, 60000, 1, bad, sizeof bad);
    expect_none(d);
    rtp_depack_destroy(&d);
}

static void test_garbage(void)
{
    struct rtp_depack *d = make(SDP_CODEC_H264);
    uint8_t junk[3] = {1, 2, 3};
    CHECK_EQ_INT(rtp_depack_push(d, junk, sizeof junk), NVR_OK);
    CHECK_EQ_INT(rtp_depack_stats(d)->malformed, 1);
    uint8_t stap_bad[] = {24, 0, 50, 0x41}; /* a size past the end */
    push(d, 1, 0, 1, stap_bad, sizeof stap_bad);
    expect_none(d);
    struct sdp_media m = {.codec = SDP_CODEC_OTHER};
    struct rtp_depack *none = NULL;
    CHECK_EQ_INT(rtp_depack_create(&none, &m), NVR_EINVAL);
    rtp_depack_destroy(&d);
    rtp_depack_destroy(&none);
}

static void test_rtcp_sr(void)
{
    /* RR (PT 201, empty) then SR (PT 200) in one compound packet */
    uint8_t p[8 + 28] = {0x80, 201, 0, 1, 0, 0, 0, 9,
                         0x80, 200, 0, 6, 0xaa, 0xbb, 0xcc, 0xdd,
                         /* NTP 2026-11-22T00:00:00.5Z */ 0, 0, 0, 0, 0x80, 0, 0, 0,
                         0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1, 0, 0, 0, 2};
    uint32_t secs = (uint32_t)(1795305600LL + 2208988800LL);
    p[16] = (uint8_t)(secs >> 24);
    p[17] = (uint8_t)(secs >> 16);
    p[18] = (uint8_t)(secs >> 8);
    p[19] = (uint8_t)secs;
    struct rtcp_sr sr;
    CHECK_EQ_INT(rtcp_parse_sr(p, sizeof p, &sr), 1);
    CHECK_EQ_INT(sr.ssrc, 0xaabbccdd);
    CHECK_EQ_INT(sr.rtp_ts, 0x12345678);
    CHECK_EQ_INT(rtcp_ntp_to_unix_us(sr.ntp), 1795305600500000LL);
    CHECK_EQ_INT(rtcp_parse_sr(p, 8, &sr), 0);       /* the RR alone */
    CHECK_EQ_INT(rtcp_parse_sr(p, sizeof p - 1, &sr), 0); /* truncated */
}

/* G.711: packets that follow one another on the RTP clock are joined into
 * one frame at the first one's timestamp, queued only at a flush, when a
 * packet does not follow (a loss, a jump, an overlap), or at 4 KiB; empty
 * packets add nothing; stereo advances the clock a tick per two bytes; a
 * clock that is not one tick a sample never joins. */
static void test_g711(void)
{
    uint8_t p[160], want[4096 + 160];
    for (size_t i = 0; i < sizeof p; i++)
        p[i] = (uint8_t)(i * 7);
    for (int c = 0; c < 2; c++) {
        struct rtp_depack *d = make(c ? SDP_CODEC_PCMA : SDP_CODEC_PCMU);
        CHECK_EQ_INT(rtp_depack_joining(d), 0);
        push(d, 10, 1000, 1, p, sizeof p);
        push(d, 11, 1160, 0, p, 80);
        expect_none(d); /* joined, waiting for more */
        CHECK_EQ_INT(rtp_depack_joining(d), 1);
        push(d, 13, 1400, 0, p, sizeof p); /* 12 lost: a hole, a new frame */
        push(d, 14, 1560, 0, p, 0);        /* empty: nothing */
        push(d, 15, 1560, 0, p, 40);       /* follows 1400 + 160 */
        memcpy(want, p, 160);
        memcpy(want + 160, p, 80);
        expect_frame(d, want, 240, 1000, 1);
        expect_none(d);
        CHECK_EQ_INT(rtp_depack_flush_joined(d), NVR_OK);
        CHECK_EQ_INT(rtp_depack_joining(d), 0);
        memcpy(want + 160, p, 40);
        expect_frame(d, want, 200, 1400, 1);
        expect_none(d);
        push(d, 16, 1500, 0, p, sizeof p); /* behind the last one: starts over */
        push(d, 17, 1600, 0, p, sizeof p); /* overlaps it by 60: starts over */
        CHECK_EQ_INT(rtp_depack_flush_joined(d), NVR_OK);
        expect_frame(d, p, sizeof p, 1500, 1);
        expect_frame(d, p, sizeof p, 1600, 1);
        expect_none(d);
        CHECK_EQ_INT(rtp_depack_flush_joined(d), NVR_OK); /* nothing joined: nothing queued */
        expect_none(d);
        CHECK_EQ_INT(rtp_depack_stats(d)->lost, 1);
        CHECK_EQ_INT(rtp_depack_stats(d)->frames_dropped, 0);
        /* 26 packets of 160 follow one another: 25 fill 4000 bytes, the
         * 26th would pass 4 KiB and begins the next frame */
        for (int i = 0; i < 26; i++) {
            push(d, (uint16_t)(20 + i), 5000 + 160 * (uint32_t)i, 0, p, sizeof p);
            memcpy(want + 160 * i, p, sizeof p);
        }
        expect_frame(d, want, 4000, 5000, 1);
        expect_none(d);
        CHECK_EQ_INT(rtp_depack_flush(d), NVR_OK);
        expect_frame(d, p, sizeof p, 5000 + 4000, 1);
        rtp_depack_destroy(&d);
    }
    /* stereo: 160 bytes are 80 ticks; joined data is freed with d */
    struct sdp_media m = {.codec = SDP_CODEC_PCMU, .clock_rate = 8000, .channels = 2};
    struct rtp_depack *d = NULL;
    CHECK_EQ_INT(rtp_depack_create(&d, &m), NVR_OK);
    push(d, 1, 0, 0, p, sizeof p);
    push(d, 2, 80, 0, p, sizeof p);
    push(d, 3, 240, 0, p, sizeof p); /* 80 ticks missing */
    memcpy(want, p, 160);
    memcpy(want + 160, p, 160);
    expect_frame(d, want, 320, 0, 1);
    expect_none(d);
    CHECK_EQ_INT(rtp_depack_joining(d), 1);
    rtp_depack_destroy(&d);
    /* a camera whose RTP clock is not one tick a sample (here 16 kHz in
     * the SDP, 160 samples a packet stamped 320 apart): no packet follows
     * the one before, so none joins; every packet is its own frame at its
     * own timestamp, as before joining existed */
    m = (struct sdp_media){.codec = SDP_CODEC_PCMA, .clock_rate = 16000, .channels = 1};
    CHECK_EQ_INT(rtp_depack_create(&d, &m), NVR_OK);
    for (int i = 0; i < 3; i++)
        push(d, (uint16_t)(40 + i), 7000 + 320 * (uint32_t)i, 0, p, sizeof p);
    expect_frame(d, p, sizeof p, 7000, 1);
    expect_frame(d, p, sizeof p, 7320, 1);
    expect_none(d);
    CHECK_EQ_INT(rtp_depack_flush_joined(d), NVR_OK);
    expect_frame(d, p, sizeof p, 7640, 1);
    expect_none(d);
    CHECK_EQ_INT(rtp_depack_stats(d)->lost, 0);
    rtp_depack_destroy(&d);
}

/* MP4A-LATM, cpresent=0: length-prefixed frames; one frame over two packets;
 * two frames in one packet; a loss drops the frame being assembled. */
static void test_latm(void)
{
    struct rtp_depack *d = make(SDP_CODEC_AAC_LATM);
    uint8_t one[1 + 3] = {3, 0xa1, 0xa2, 0xa3};
    static const uint8_t a[] = {0xa1, 0xa2, 0xa3};
    push(d, 1, 1000, 1, one, sizeof one);
    expect_frame(d, a, 3, 1000, 1);
    /* a 300-byte frame (length 255 + 45) over two packets */
    uint8_t big[2 + 300];
    big[0] = 255;
    big[1] = 45;
    for (int i = 0; i < 300; i++)
        big[2 + i] = (uint8_t)i;
    push(d, 2, 2024, 0, big, 150);
    expect_none(d);
    push(d, 3, 2024, 1, big + 150, sizeof big - 150);
    expect_frame(d, big + 2, 300, 2024, 1);
    /* two frames in one packet */
    uint8_t two[1 + 3 + 1 + 2] = {3, 0xa1, 0xa2, 0xa3, 2, 0xb1, 0xb2};
    static const uint8_t b[] = {0xb1, 0xb2};
    push(d, 4, 3048, 1, two, sizeof two);
    expect_frame(d, a, 3, 3048, 1);
    expect_frame(d, b, 2, 3048 + 1024, 1);
    /* the second half of a frame lost: dropped; the next one is whole */
    push(d, 5, 5096, 0, big, 150);
    push(d, 7, 6120, 1, one, sizeof one);
    expect_frame(d, a, 3, 6120, 1);
    expect_none(d);
    CHECK_EQ_INT(rtp_depack_stats(d)->frames_dropped, 1);
    /* a length beyond the data: malformed */
    uint8_t bad[] = {9, 1, 2};
    push(d, 8, 7144, 1, bad, sizeof bad);
    expect_none(d);
    CHECK_EQ_INT(rtp_depack_stats(d)->malformed, 1);
    rtp_depack_destroy(&d);
}

/* Appends a start code and the unit to out at *w. */
static void put_unit(uint8_t *out, size_t *w, const uint8_t *u, size_t n)
{
    memcpy(out + *w, "\0\0\0\1", 4);
    memcpy(out + *w + 4, u, n);
    *w += 4 + n;
}

/* H.265 with DONL fields (sprop-max-don-diff = 4, RFC 7798 4.4): the fields
 * are taken out of single units, aggregation packets (DONL then DOND) and
 * fragmentation units (the start one); the units of an access unit sent out
 * of decoding order are put back in it; a unit of an earlier access unit
 * (interleaving) drops its access unit as malformed, until a keyframe; a DON
 * that goes back further is a new numbering. */
static void test_h265_donl(void)
{
    struct sdp_media m = {.codec = SDP_CODEC_H265, .clock_rate = 90000, .max_don_diff = 4};
    struct rtp_depack *d = NULL;
    CHECK_EQ_INT(rtp_depack_create(&d, &m), NVR_OK);
    if (!d)
        return;
    static const uint8_t vps[] = {0x40, 0x01, 0x0c, 0x01};
    static const uint8_t hsps[] = {0x42, 0x01, 0x01, 0x60};
    static const uint8_t hpps[] = {0x44, 0x01, 0xc1, 0x73};
    /* AP: DONL 100 + VPS, DOND 0 + SPS (101), DOND 1 + PPS (103) */
    uint8_t ap[] = {48 << 1, 1, 0, 100, 0, 4, 0x40, 0x01, 0x0c, 0x01, 0, 0, 4, 0x42, 0x01, 0x01, 0x60,
                    1, 0, 4, 0x44, 0x01, 0xc1, 0x73};
    push(d, 1, 0, 0, ap, sizeof ap);
    /* FU of an IDR (19): DONL 104 in the start fragment only */
    uint8_t fu1[] = {49 << 1, 1, 0x80 | 19, 0, 104, 0xaf, 0x11};
    uint8_t fu2[] = {49 << 1, 1, 0x40 | 19, 0x22, 0x33};
    push(d, 2, 0, 0, fu1, sizeof fu1);
    push(d, 3, 0, 1, fu2, sizeof fu2);
    static const uint8_t hidr[] = {0x26, 0x01, 0xaf, 0x11, 0x22, 0x33};
    uint8_t want[128];
    size_t w = 0;
    put_unit(want, &w, vps, sizeof vps);
    put_unit(want, &w, hsps, sizeof hsps);
    put_unit(want, &w, hpps, sizeof hpps);
    put_unit(want, &w, hidr, sizeof hidr);
    expect_frame(d, want, w, 0, 1);

    /* two slices and an SEI sent last-first (DON 107, 106, 105): put back */
    static const uint8_t sei[] = {0x4e, 0x01, 0x05, 0x01};          /* prefix SEI (39) */
    static const uint8_t s1[] = {0x02, 0x01, 0xd0, 0x01, 0x02};     /* TRAIL_R, first slice */
    static const uint8_t s2[] = {0x02, 0x01, 0x40, 0x03, 0x04, 0x05}; /* its next slice */
    uint8_t p2[] = {0x02, 0x01, 0, 107, 0x40, 0x03, 0x04, 0x05};
    uint8_t p1[] = {0x02, 0x01, 0, 106, 0xd0, 0x01, 0x02};
    uint8_t p0[] = {0x4e, 0x01, 0, 105, 0x05, 0x01};
    push(d, 4, 3600, 0, p2, sizeof p2);
    push(d, 5, 3600, 0, p1, sizeof p1);
    push(d, 6, 3600, 1, p0, sizeof p0);
    w = 0;
    put_unit(want, &w, sei, sizeof sei);
    put_unit(want, &w, s1, sizeof s1);
    put_unit(want, &w, s2, sizeof s2);
    expect_frame(d, want, w, 3600, 0);
    CHECK_EQ_INT(rtp_depack_stats(d)->malformed, 0);

    /* in order again (DON 108): as sent */
    uint8_t p3[] = {0x02, 0x01, 0, 108, 0xd0, 0x01, 0x02};
    push(d, 7, 7200, 1, p3, sizeof p3);
    w = 0;
    put_unit(want, &w, s1, sizeof s1);
    expect_frame(d, want, w, 7200, 0);

    /* DON 106 after the access unit that ended at 108: an earlier access
     * unit's unit, interleaved: dropped, and the next non-keyframe too */
    uint8_t late[] = {0x02, 0x01, 0, 106, 0xd0, 0x01, 0x02};
    push(d, 8, 10800, 1, late, sizeof late);
    expect_none(d);
    CHECK_EQ_INT(rtp_depack_stats(d)->malformed, 1);
    uint8_t p4[] = {0x02, 0x01, 0, 109, 0xd0, 0x01, 0x02};
    push(d, 9, 14400, 1, p4, sizeof p4);
    expect_none(d);

    /* a CRA (21) at DON 110: a keyframe, recording resumes */
    static const uint8_t cra[] = {0x2a, 0x01, 0xaa};
    uint8_t p5[] = {0x2a, 0x01, 0, 110, 0xaa};
    push(d, 10, 18000, 1, p5, sizeof p5);
    w = 0;
    put_unit(want, &w, cra, sizeof cra);
    expect_frame(d, want, w, 18000, 1);

    /* the sender restarts its numbering (DON 3): not interleaving */
    uint8_t p6[] = {0x2a, 0x01, 0, 3, 0xaa};
    push(d, 11, 21600, 1, p6, sizeof p6);
    expect_frame(d, want, w, 21600, 1);
    CHECK_EQ_INT(rtp_depack_stats(d)->malformed, 1);

    /* a single unit too short for its DONL: malformed */
    uint8_t bad[] = {0x02, 0x01, 0};
    push(d, 12, 25200, 1, bad, sizeof bad);
    expect_none(d);
    CHECK_EQ_INT(rtp_depack_stats(d)->malformed, 2);
    rtp_depack_destroy(&d);
}

int main(void)
{
    RUN(test_header);
    RUN(test_h264_single_and_stap);
    RUN(test_h264_fu_a);
    RUN(test_h264_lost_fragment);
    RUN(test_timestamp_wrap);
    RUN(test_h265);
    RUN(test_h265_donl);
    RUN(test_h264_recovery_point);
    RUN(test_aac);
    RUN(test_g711);
    RUN(test_latm);
    RUN(test_garbage);
    RUN(test_rtcp_sr);
    return check_summary();
}
