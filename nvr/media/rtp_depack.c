/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtp_depack.c - RTP depacketization for H.264, H.265, AAC and G.711, and RTCP
 * sender reports (see rtp_depack.h for the rules).
 *
 * State of a video track:
 *   building    - `au_open`: NAL units of the access unit at `au_ts` are
 *                 appended to `buf` (Annex-B); `fu_open` while a fragmented
 *                 NAL unit is incomplete.
 *   damaged     - `au_damaged`: the access unit lost a packet; it is thrown
 *                 away when it ends.
 *   need_key    - after a loss, finished access units are dropped until a
 *                 keyframe.
 * A finished frame is copied out of `buf` into its own buffer (padded for
 * libavcodec) and queued; `buf` is reused for the next one, so its size is
 * that of the largest access unit seen.  `nal_off` holds where each start
 * code of the access unit in `buf` was written; a video frame carries them
 * as its nal_layout (base/nal_layout.h), after its padding.
 *
 * H.265 with DONL fields (`donl`, sprop-max-don-diff > 0): each unit's
 * decoding order number (DON) is noted beside its offset (`nal_don`).  The
 * sender may send the units of an access unit out of decoding order; at its
 * end they are put back in DON order (`au_reordered`).  Units of different
 * access units interleaved (a DON at or before the previous access unit's
 * last, by at most max_don_diff) are not put back: that access unit is
 * counted malformed and dropped, as after a loss.  A DON that goes back by
 * more than max_don_diff is a new numbering (the sender restarted).
 */
#include "media/rtp_depack.h"

#include "base/err.h"
#include "base/nal_layout.h"

#include <libavcodec/avcodec.h>
#include <libavutil/mem.h>
#include <stdlib.h>
#include <string.h>

#define AAC_FRAME_SAMPLES 1024
#define LATE_RESYNC 64 /* this many "late" packets in a row: the sender restarted */
#define MAX_FRAME_BYTES (32u << 20)
#define G711_JOIN_MAX 4096 /* bytes of joined G.711: 0.5 s at 8 kHz, 0.13 s at 16 kHz stereo */

struct rtp_depack {
    enum sdp_codec codec;
    int size_length, index_length, index_delta_length; /* AAC */
    int channels;                                      /* G.711: bytes per sample instant */

    int have_seq;
    uint16_t max_seq;
    uint32_t seq_cycles; /* multiples of 65536 */
    int late_streak;
    uint32_t ssrc;

    int have_ts;
    uint32_t last_ts;
    int64_t ts64;

    uint8_t *buf; /* the frame being assembled */
    size_t len, cap;
    uint32_t *nal_off; /* offsets in buf of its start codes (0 first) */
    size_t nnal, nal_cap;
    int64_t au_ts;
    int au_open, au_damaged, au_key, au_recovery, au_slice;
    int fu_open;
    int donl;          /* H.265: DONL/DOND fields in the payloads */
    int max_don_diff;  /* sprop-max-don-diff */
    uint16_t don;      /* the DON of the unit being started */
    uint16_t *nal_don; /* donl: the DON of each unit in buf, beside nal_off */
    int au_reordered;  /* donl: a unit came before an earlier one's DON */
    int have_last_don; /* last_don holds the previous access unit's highest DON */
    uint16_t last_don;
    uint8_t *spare; /* donl: where a reordered access unit is rebuilt */
    size_t spare_cap;
    int damage_next; /* the next frame to begin may lack its start */
    int need_key;
    size_t aac_expected; /* size of a fragmented AAC frame, 0 if none */

    struct rtp_frame *q; /* completed frames, q[qhead..qlen) */
    size_t qhead, qlen, qcap;

    struct rtp_stats st;
};

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

nvr_err rtp_parse_header(const uint8_t *p, size_t len, struct rtp_header *h)
{
    if (len < 12 || (p[0] >> 6) != 2)
        return NVR_EINVAL;
    size_t off = 12 + (size_t)(p[0] & 0x0f) * 4;
    if (off > len)
        return NVR_EINVAL;
    if (p[0] & 0x10) { /* header extension */
        if (off + 4 > len)
            return NVR_EINVAL;
        off += 4 + (size_t)((p[off + 2] << 8) | p[off + 3]) * 4;
        if (off > len)
            return NVR_EINVAL;
    }
    size_t end = len;
    if (p[0] & 0x20) { /* padding: the last byte says how much */
        size_t pad = p[len - 1];
        if (pad == 0 || pad > end - off)
            return NVR_EINVAL;
        end -= pad;
    }
    h->payload_type = p[1] & 0x7f;
    h->marker = p[1] >> 7;
    h->seq = (uint16_t)(p[2] << 8 | p[3]);
    h->ts = rd32(p + 4);
    h->ssrc = rd32(p + 8);
    h->payload = p + off;
    h->payload_len = end - off;
    return NVR_OK;
}

nvr_err rtp_depack_create(struct rtp_depack **out, const struct sdp_media *m)
{
    *out = NULL;
    if (m->codec != SDP_CODEC_H264 && m->codec != SDP_CODEC_H265 && m->codec != SDP_CODEC_AAC &&
        m->codec != SDP_CODEC_PCMU && m->codec != SDP_CODEC_PCMA && m->codec != SDP_CODEC_AAC_LATM)
        return NVR_EINVAL;
    struct rtp_depack *d = calloc(1, sizeof *d);
    if (!d)
        return NVR_ENOMEM;
    d->codec = m->codec;
    d->size_length = m->size_length;
    d->index_length = m->index_length;
    d->index_delta_length = m->index_delta_length;
    d->channels = m->channels > 0 ? m->channels : 1;
    d->donl = m->codec == SDP_CODEC_H265 && m->max_don_diff > 0;
    d->max_don_diff = m->max_don_diff;
    *out = d;
    return NVR_OK;
}

void rtp_depack_destroy(struct rtp_depack **dp)
{
    struct rtp_depack *d = *dp;
    if (!d)
        return;
    for (size_t i = d->qhead; i < d->qlen; i++)
        free(d->q[i].data);
    free(d->q);
    free(d->buf);
    free(d->nal_off);
    free(d->nal_don);
    free(d->spare);
    free(d);
    *dp = NULL;
}

static nvr_err reserve(struct rtp_depack *d, size_t add)
{
    if (d->len + add <= d->cap)
        return NVR_OK;
    if (d->len + add > MAX_FRAME_BYTES)
        return NVR_EINVAL;
    size_t cap = d->cap ? d->cap : 16384;
    while (cap < d->len + add)
        cap *= 2;
    uint8_t *b = realloc(d->buf, cap);
    if (!b)
        return NVR_ENOMEM;
    d->buf = b;
    d->cap = cap;
    return NVR_OK;
}

static nvr_err append(struct rtp_depack *d, const uint8_t *p, size_t n)
{
    if (n == 0)
        return NVR_OK;
    int rc = reserve(d, n);
    if (rc)
        return rc;
    memcpy(d->buf + d->len, p, n);
    d->len += n;
    return NVR_OK;
}

/* Whether DON a comes before DON b in decoding order (modulo 2^16): for
 * the units of one access unit, which lie close together. */
static int don_less(uint16_t a, uint16_t b)
{
    uint16_t back = (uint16_t)(b - a);
    return back != 0 && back < 0x8000;
}

/* Whether DON a is before DON b by at most max_don_diff: a unit of an
 * earlier access unit sent late.  Further back is a new numbering. */
static int don_before(const struct rtp_depack *d, uint16_t a, uint16_t b)
{
    int back = (int)(uint16_t)(b - a);
    return back > 0 && back <= d->max_don_diff;
}

/* donl: the DON of the unit starting now, against the previous access unit
 * (interleaved: damaged) and the units before it in this one. */
static void note_don(struct rtp_depack *d)
{
    uint16_t *dn = &d->nal_don[d->nnal];
    *dn = d->don;
    if (d->have_last_don && (d->don == d->last_don || don_before(d, d->don, d->last_don))) {
        d->st.malformed++; /* a unit of an earlier access unit: interleaved */
        d->au_damaged = 1;
    }
    for (size_t i = 0; i < d->nnal; i++)
        if (don_less(d->don, d->nal_don[i]))
            d->au_reordered = 1;
}

/* Notes that a start code is about to be written at d->len (a new access
 * unit begins at 0). */
static nvr_err note_start(struct rtp_depack *d)
{
    if (d->len == 0)
        d->nnal = 0;
    if (d->nnal == d->nal_cap) {
        size_t cap = d->nal_cap ? d->nal_cap * 2 : 16;
        uint32_t *o = realloc(d->nal_off, cap * sizeof *o);
        if (!o)
            return NVR_ENOMEM;
        d->nal_off = o;
        if (d->donl) {
            uint16_t *dn = realloc(d->nal_don, cap * sizeof *dn);
            if (!dn)
                return NVR_ENOMEM;
            d->nal_don = dn;
        }
        d->nal_cap = cap;
    }
    if (d->donl)
        note_don(d);
    d->nal_off[d->nnal++] = (uint32_t)d->len;
    return NVR_OK;
}

/* Rebuilds the access unit in buf with its units in DON order (the order
 * they were sent in among equals), swapping buf and spare. */
static nvr_err reorder_units(struct rtp_depack *d)
{
    size_t n = d->nnal;
    if (d->spare_cap < d->cap) {
        uint8_t *b = realloc(d->spare, d->cap);
        if (!b)
            return NVR_ENOMEM;
        d->spare = b;
        d->spare_cap = d->cap;
    }
    uint8_t *scratch = malloc(n * (2 * sizeof(uint32_t) + sizeof(uint16_t) + 1));
    if (!scratch)
        return NVR_ENOMEM;
    uint32_t *off = (uint32_t *)scratch, *len = off + n;
    uint16_t *don = (uint16_t *)(len + n);
    uint8_t *taken = (uint8_t *)(don + n);
    for (size_t i = 0; i < n; i++) {
        len[i] = (uint32_t)((i + 1 < n ? d->nal_off[i + 1] : d->len) - d->nal_off[i]);
        taken[i] = 0;
    }
    size_t at = 0;
    for (size_t k = 0; k < n; k++) {
        size_t j = n;
        for (size_t i = 0; i < n; i++)
            if (!taken[i] && (j == n || don_less(d->nal_don[i], d->nal_don[j])))
                j = i;
        taken[j] = 1;
        memcpy(d->spare + at, d->buf + d->nal_off[j], len[j]);
        off[k] = (uint32_t)at;
        don[k] = d->nal_don[j];
        at += len[j];
    }
    memcpy(d->nal_off, off, n * sizeof *off);
    memcpy(d->nal_don, don, n * sizeof *don);
    free(scratch);
    uint8_t *b = d->buf;
    size_t cap = d->cap;
    d->buf = d->spare;
    d->cap = d->spare_cap;
    d->spare = b;
    d->spare_cap = cap;
    return NVR_OK;
}

/* The number of units of the access unit in buf[0..len) if nal_off
 * describes it whole (L2 of nal_layout.h), else 0. */
static uint32_t layout_units(const struct rtp_depack *d, const uint8_t *data, size_t len)
{
    if (data != d->buf || d->nnal == 0 || d->nal_off[0] != 0 || d->nnal > UINT32_MAX)
        return 0;
    for (size_t i = 0; i < d->nnal; i++) {
        size_t end = i + 1 < d->nnal ? d->nal_off[i + 1] : len;
        if (end > len || end <= (size_t)d->nal_off[i] + 4)
            return 0;
    }
    return (uint32_t)d->nnal;
}

/* Writes the layout of the access unit (n units) at out, for copy. */
static const struct nal_layout *write_layout(const struct rtp_depack *d, uint8_t *out, uint32_t n, const uint8_t *copy,
                                             size_t len)
{
    struct nal_layout *l = (struct nal_layout *)out;
    *l = (struct nal_layout){.magic = NAL_LAYOUT_MAGIC, .n = n, .data = copy, .size = len};
    for (uint32_t i = 0; i < n; i++) {
        size_t end = i + 1 < n ? d->nal_off[i + 1] : len;
        l->len[i] = (uint32_t)(end - d->nal_off[i] - 4);
    }
    return l;
}

/* Queues a copy of d->buf[0..len) as a frame at ts (a video frame with its
 * NAL layout after the padding). */
static nvr_err emit(struct rtp_depack *d, const uint8_t *data, size_t len, int64_t ts, int key)
{
    if (d->qlen == d->qcap) {
        if (d->qhead > 0) {
            memmove(d->q, d->q + d->qhead, (d->qlen - d->qhead) * sizeof *d->q);
            d->qlen -= d->qhead;
            d->qhead = 0;
        } else {
            size_t cap = d->qcap ? d->qcap * 2 : 8;
            struct rtp_frame *q = realloc(d->q, cap * sizeof *q);
            if (!q)
                return NVR_ENOMEM;
            d->q = q;
            d->qcap = cap;
        }
    }
    int video = d->codec == SDP_CODEC_H264 || d->codec == SDP_CODEC_H265;
    uint32_t units = video ? layout_units(d, data, len) : 0;
    size_t at = (len + AV_INPUT_BUFFER_PADDING_SIZE + 7) & ~(size_t)7; /* the layout, aligned */
    uint8_t *copy = malloc(units ? at + nal_layout_bytes(units) : len + AV_INPUT_BUFFER_PADDING_SIZE);
    if (!copy) /* (see rtp_frame.data) */
        return NVR_ENOMEM;
    if (len > 0)
        memcpy(copy, data, len);
    memset(copy + len, 0, AV_INPUT_BUFFER_PADDING_SIZE);
    const struct nal_layout *layout = units ? write_layout(d, copy + at, units, copy, len) : NULL;
    d->q[d->qlen++] = (struct rtp_frame){.data = copy, .size = len, .ts = ts, .key = key, .layout = layout};
    d->st.frames++;
    return NVR_OK;
}

/* Ends the access unit being built: queues it, or drops it (damaged, or not
 * a keyframe while one is needed). */
static nvr_err finish_au(struct rtp_depack *d)
{
    int rc = NVR_OK;
    if (!d->au_open)
        return NVR_OK;
    int key = d->au_key || (d->au_recovery && d->au_slice);
    if (d->fu_open)
        d->au_damaged = 1; /* the last NAL unit never ended */
    if (d->au_damaged) {
        d->st.frames_dropped++;
        d->need_key = 1;
    } else if (d->len == 0) {
        /* nothing: only empty packets */
    } else if (d->need_key && !key) {
        d->st.frames_dropped++;
    } else {
        d->need_key = 0;
        if (d->au_reordered)
            rc = reorder_units(d);
        if (rc == NVR_OK)
            rc = emit(d, d->buf, d->len, d->au_ts, key);
    }
    if (d->donl && d->len > 0) {
        uint16_t hi = d->nal_don[0];
        for (size_t i = 1; i < d->nnal; i++)
            if (don_less(hi, d->nal_don[i]))
                hi = d->nal_don[i];
        d->last_don = hi;
        d->have_last_don = 1;
    }
    d->au_reordered = 0;
    d->au_open = d->au_damaged = d->au_key = d->au_recovery = d->au_slice = 0;
    d->fu_open = 0;
    d->len = 0;
    return rc;
}

/* Looks at the first bytes of a NAL unit for the keyframe rules. */
static void note_nal(struct rtp_depack *d, const uint8_t *nal, size_t n)
{
    if (n < 1)
        return;
    if (d->codec == SDP_CODEC_H264) {
        int t = nal[0] & 0x1f;
        if (t == 5)
            d->au_key = 1;
        if (t >= 1 && t <= 5)
            d->au_slice = 1;
        if (t == 6) { /* SEI: the first message's payload type */
            size_t i = 1;
            int type = 0;
            while (i < n && nal[i] == 0xff) {
                type += 255;
                i++;
            }
            if (i < n && type + nal[i] == 6)
                d->au_recovery = 1;
        }
    } else {
        int t = (nal[0] >> 1) & 0x3f;
        if (t >= 16 && t <= 23)
            d->au_key = 1;
        if (t < 32)
            d->au_slice = 1;
    }
}

static nvr_err add_nal(struct rtp_depack *d, const uint8_t *nal, size_t n)
{
    static const uint8_t sc[4] = {0, 0, 0, 1};
    int rc;
    if (n == 0)
        return NVR_OK;
    note_nal(d, nal, n);
    if ((rc = reserve(d, n + 4)) || (rc = note_start(d)))
        return rc;
    memcpy(d->buf + d->len, sc, 4);
    memcpy(d->buf + d->len + 4, nal, n);
    d->len += n + 4;
    return NVR_OK;
}

/* An H.265 single NAL unit packet with a DONL field between the unit's
 * 2-byte header and its payload (RFC 7798 4.4.1). */
static nvr_err add_nal_donl(struct rtp_depack *d, const uint8_t *p, size_t n)
{
    static const uint8_t sc[4] = {0, 0, 0, 1};
    int rc;
    if (n < 4) {
        d->st.malformed++;
        d->au_damaged = 1;
        return NVR_OK;
    }
    d->don = rd16(p + 2);
    note_nal(d, p, 2);
    if ((rc = reserve(d, n + 2)) || (rc = note_start(d)))
        return rc;
    memcpy(d->buf + d->len, sc, 4);
    memcpy(d->buf + d->len + 4, p, 2);
    memcpy(d->buf + d->len + 6, p + 4, n - 4);
    d->len += n + 2;
    return NVR_OK;
}

/* Aggregation packet body: 16-bit size + NAL unit, repeated; with `donl`
 * (H.265) the first unit is preceded by a 16-bit DONL and each next one by
 * an 8-bit DOND (RFC 7798 4.4.2). */
static nvr_err add_aggregate(struct rtp_depack *d, const uint8_t *p, size_t n, int donl)
{
    for (int first = 1; n >= 2; first = 0) {
        size_t dn = donl ? (first ? 2 : 1) : 0;
        if (n < dn + 2) {
            d->st.malformed++;
            d->au_damaged = 1;
            return NVR_OK;
        }
        if (donl)
            d->don = first ? rd16(p) : (uint16_t)(d->don + p[0] + 1);
        p += dn;
        n -= dn;
        size_t size = (size_t)(p[0] << 8 | p[1]);
        p += 2;
        n -= 2;
        if (size == 0 || size > n) {
            d->st.malformed++;
            d->au_damaged = 1;
            return NVR_OK;
        }
        int rc = add_nal(d, p, size);
        if (rc)
            return rc;
        p += size;
        n -= size;
    }
    return NVR_OK;
}

/* A fragment: hdr/hlen is the rebuilt NAL header, data the fragment's bytes. */
static nvr_err add_fragment(struct rtp_depack *d, int start, int end, const uint8_t *hdr, size_t hlen,
                            const uint8_t *data, size_t n)
{
    static const uint8_t sc[4] = {0, 0, 0, 1};
    int rc;
    if (start) {
        if (d->fu_open)
            d->au_damaged = 1; /* the previous fragmented NAL unit lost its end */
        uint8_t first[2 + 64];
        size_t k = n < 64 ? n : 64;
        memcpy(first, hdr, hlen);
        memcpy(first + hlen, data, k);
        note_nal(d, first, hlen + k);
        if ((rc = note_start(d)) || (rc = append(d, sc, 4)) || (rc = append(d, hdr, hlen)))
            return rc;
        d->fu_open = 1;
    } else if (!d->fu_open) {
        d->au_damaged = 1; /* its start was lost (or we joined mid-way) */
        return NVR_OK;
    }
    if ((rc = append(d, data, n)))
        return rc;
    if (end)
        d->fu_open = 0;
    return NVR_OK;
}

static nvr_err push_h264(struct rtp_depack *d, const uint8_t *p, size_t n)
{
    int t = p[0] & 0x1f;
    if (t >= 1 && t <= 23)
        return add_nal(d, p, n);
    if (t == 24)
        return add_aggregate(d, p + 1, n - 1, 0);
    if (t == 28 && n >= 2) {
        uint8_t hdr = (uint8_t)((p[0] & 0xe0) | (p[1] & 0x1f));
        return add_fragment(d, p[1] & 0x80, p[1] & 0x40, &hdr, 1, p + 2, n - 2);
    }
    d->st.malformed++; /* STAP-B, MTAP, FU-B (interleaved mode) or reserved */
    d->au_damaged = 1;
    return NVR_OK;
}

static nvr_err push_h265(struct rtp_depack *d, const uint8_t *p, size_t n)
{
    if (n < 2) {
        d->st.malformed++;
        return NVR_OK;
    }
    int t = (p[0] >> 1) & 0x3f;
    if (t < 48)
        return d->donl ? add_nal_donl(d, p, n) : add_nal(d, p, n);
    if (t == 48)
        return add_aggregate(d, p + 2, n - 2, d->donl);
    /* a fragmentation unit: the start one carries a DONL after its FU header */
    size_t dl = d->donl && n >= 3 && (p[2] & 0x80) ? 2 : 0;
    if (t == 49 && n >= 3 + dl) {
        uint8_t hdr[2] = {(uint8_t)((p[0] & 0x81) | (p[2] & 0x3f) << 1), p[1]};
        if (dl)
            d->don = rd16(p + 3);
        return add_fragment(d, p[2] & 0x80, p[2] & 0x40, hdr, 2, p + 3 + dl, n - 3 - dl);
    }
    d->st.malformed++; /* PACI or reserved */
    d->au_damaged = 1;
    return NVR_OK;
}

/* Reads `bits` bits at bit offset *pos of p. */
static unsigned read_bits(const uint8_t *p, size_t *pos, int bits)
{
    unsigned v = 0;
    for (int i = 0; i < bits; i++, (*pos)++)
        v = v << 1 | ((p[*pos >> 3] >> (7 - (*pos & 7))) & 1);
    return v;
}

/* RFC 3640 AAC-hbr/lbr: AU-headers-length, AU headers, then the frames. */
static nvr_err push_aac(struct rtp_depack *d, const struct rtp_header *h)
{
    const uint8_t *p = h->payload;
    size_t n = h->payload_len;
    if (n < 2)
        goto bad;
    size_t hbits = (size_t)(p[0] << 8 | p[1]), hbytes = (hbits + 7) / 8;
    if (2 + hbytes > n)
        goto bad;
    const uint8_t *hdr = p + 2, *data = p + 2 + hbytes;
    size_t avail = n - 2 - hbytes, pos = 0;
    size_t sizes[64], nau = 0;
    while (nau < 64) {
        int ib = nau == 0 ? d->index_length : d->index_delta_length;
        if (pos + (size_t)d->size_length + (size_t)ib > hbits)
            break;
        sizes[nau++] = read_bits(hdr, &pos, d->size_length);
        read_bits(hdr, &pos, ib);
    }
    if (nau == 0)
        goto bad;
    if (nau == 1 && (sizes[0] > avail || d->aac_expected)) {
        /* one frame over several packets: each carries its whole size */
        if (d->aac_expected && (d->aac_expected != sizes[0] || d->au_ts != d->ts64)) {
            d->st.frames_dropped++; /* a different frame began: the old one is incomplete */
            d->len = d->aac_expected = 0;
        }
        if (!d->aac_expected) {
            d->aac_expected = sizes[0];
            d->au_ts = d->ts64;
            d->len = 0;
        }
        int rc = append(d, data, avail);
        if (rc)
            return rc == NVR_ENOMEM ? rc : NVR_OK;
        if (d->len >= d->aac_expected || h->marker) {
            if (d->len == d->aac_expected && d->len > 0)
                rc = emit(d, d->buf, d->len, d->au_ts, 1);
            else
                d->st.frames_dropped++;
            d->len = d->aac_expected = 0;
        }
        return rc;
    }
    for (size_t i = 0; i < nau; i++) {
        if (sizes[i] > avail)
            goto bad;
        if (sizes[i] == 0)
            continue; /* nothing to record */
        int rc = emit(d, data, sizes[i], d->ts64 + (int64_t)i * AAC_FRAME_SAMPLES, 1);
        if (rc)
            return rc;
        data += sizes[i];
        avail -= sizes[i];
    }
    return NVR_OK;
bad:
    d->st.malformed++;
    return NVR_OK;
}

static int is_g711(const struct rtp_depack *d)
{
    return d->codec == SDP_CODEC_PCMU || d->codec == SDP_CODEC_PCMA;
}

/* G.711: queues the samples joined so far (buf, from au_ts) as one frame. */
static nvr_err g711_emit(struct rtp_depack *d)
{
    int rc = d->au_open ? emit(d, d->buf, d->len, d->au_ts, 1) : NVR_OK;
    d->au_open = 0;
    d->len = 0;
    return rc;
}

/* G.711: a packet's samples join the frame being joined when they follow
 * it on the RTP clock (one tick a sample instant: RFC 3551) and the frame
 * stays within G711_JOIN_MAX; otherwise that frame is queued first and a
 * new one begins.  A loss leaves a hole in the timestamps, so it never
 * joins. */
static nvr_err push_g711(struct rtp_depack *d, const struct rtp_header *h)
{
    int rc;
    if (h->payload_len == 0)
        return NVR_OK;
    size_t ch = (size_t)d->channels;
    if (d->au_open &&
        (d->len % ch != 0 || d->ts64 != d->au_ts + (int64_t)(d->len / ch) || d->len + h->payload_len > G711_JOIN_MAX) &&
        (rc = g711_emit(d)))
        return rc;
    if (!d->au_open) {
        d->au_open = 1;
        d->au_ts = d->ts64;
    }
    if ((rc = append(d, h->payload, h->payload_len)) == NVR_EINVAL) { /* cannot be: payloads are < 64 KiB */
        d->st.malformed++;
        d->au_open = 0;
        d->len = 0;
        return NVR_OK;
    }
    return rc;
}

/* The audioMuxElements of one LATM frame (RFC 6416, cpresent=0: each is a
 * PayloadLengthInfo -- bytes of 255 then one below 255, summed -- and that
 * many bytes of one AAC frame), queued 1024 samples apart. */
static nvr_err latm_split(struct rtp_depack *d)
{
    size_t pos = 0, i = 0;
    int rc = NVR_OK;
    while (pos < d->len && rc == NVR_OK) {
        size_t size = 0;
        uint8_t b;
        do {
            if (pos >= d->len)
                goto bad;
            b = d->buf[pos++];
            size += b;
        } while (b == 255);
        if (size == 0 || size > d->len - pos)
            goto bad;
        rc = emit(d, d->buf + pos, size, d->au_ts + (int64_t)i++ * AAC_FRAME_SAMPLES, 1);
        pos += size;
    }
    return rc;
bad:
    d->st.malformed++;
    d->st.frames_dropped++;
    return NVR_OK;
}

/* MP4A-LATM: the payloads of one timestamp up to the marker bit make one
 * LATM frame. */
static nvr_err push_latm(struct rtp_depack *d, const struct rtp_header *h)
{
    if (d->au_open && d->au_ts != d->ts64) {
        d->st.frames_dropped++; /* a frame without its marker: incomplete */
        d->au_open = 0;
        d->len = 0;
    }
    if (!d->au_open) {
        d->au_open = 1;
        d->au_ts = d->ts64;
        d->len = 0;
    }
    int rc = append(d, h->payload, h->payload_len);
    if (rc == NVR_EINVAL) { /* absurdly large */
        d->st.malformed++;
        d->au_open = 0;
        d->len = 0;
        return NVR_OK;
    }
    if (rc || !h->marker)
        return rc;
    rc = latm_split(d);
    d->au_open = 0;
    d->len = 0;
    return rc;
}

/* A gap of sequence numbers (or a new source) before the packet at ts. */
static void on_loss(struct rtp_depack *d, int64_t ts)
{
    if (is_g711(d))
        return; /* every packet is whole: nothing to throw away */
    if (d->codec == SDP_CODEC_AAC_LATM) {
        if (d->au_open)
            d->st.frames_dropped++;
        d->au_open = 0;
        d->len = 0;
        return;
    }
    if (d->codec == SDP_CODEC_AAC) {
        if (d->aac_expected)
            d->st.frames_dropped++;
        d->len = d->aac_expected = 0;
        return;
    }
    /* the frame being built lost packets at its end or its middle, or the
     * lost packets began the next one */
    int same = d->au_open && d->au_ts == ts;
    if (d->au_open)
        d->au_damaged = 1;
    d->have_last_don = 0; /* the lost packets may have held any DON */
    d->damage_next = !same;
    d->need_key = 1;
}

nvr_err rtp_depack_push(struct rtp_depack *d, const uint8_t *pkt, size_t len)
{
    struct rtp_header h;
    if (rtp_parse_header(pkt, len, &h) != NVR_OK) {
        d->st.malformed++;
        return NVR_OK;
    }
    int lost = 0;
    if (d->have_seq && h.ssrc != d->ssrc) {
        d->have_seq = 0; /* a new source (the camera restarted its stream) */
        lost = 1;
    }
    if (!d->have_seq) {
        d->have_seq = 1;
        d->max_seq = h.seq;
        d->late_streak = 0;
    } else {
        uint16_t delta = (uint16_t)(h.seq - d->max_seq);
        if (delta == 0 || delta >= 0x8000) {
            if (++d->late_streak < LATE_RESYNC) {
                d->st.late++;
                return NVR_OK;
            }
            lost = 1; /* so far behind for so long: the numbering restarted */
        } else {
            if (delta > 1) {
                d->st.lost += delta - 1u;
                lost = 1;
            }
            if (h.seq < d->max_seq)
                d->seq_cycles += 65536;
        }
        d->late_streak = 0;
        d->max_seq = h.seq;
    }
    d->ssrc = h.ssrc;
    if (!d->have_ts) {
        d->have_ts = 1;
        d->ts64 = h.ts;
    } else {
        d->ts64 += (int32_t)(h.ts - d->last_ts);
    }
    d->last_ts = h.ts;
    d->st.packets++;
    if (lost)
        on_loss(d, d->ts64);

    if (d->codec == SDP_CODEC_AAC)
        return push_aac(d, &h);
    if (is_g711(d))
        return push_g711(d, &h);
    if (d->codec == SDP_CODEC_AAC_LATM)
        return push_latm(d, &h);
    if (h.payload_len == 0)
        return NVR_OK;
    int rc = NVR_OK;
    if (d->au_open && d->ts64 != d->au_ts && (rc = finish_au(d)))
        return rc;
    if (!d->au_open) {
        d->au_open = 1;
        d->au_ts = d->ts64;
        d->au_damaged = d->damage_next;
        d->damage_next = 0;
    }
    rc = d->codec == SDP_CODEC_H264 ? push_h264(d, h.payload, h.payload_len) : push_h265(d, h.payload, h.payload_len);
    if (rc == NVR_EINVAL) { /* an absurdly large frame */
        d->st.malformed++;
        d->au_damaged = 1;
        d->len = 0;
        rc = NVR_OK;
    }
    if (rc == NVR_OK && h.marker)
        rc = finish_au(d);
    return rc;
}

nvr_err rtp_depack_flush(struct rtp_depack *d)
{
    if (is_g711(d))
        return g711_emit(d);
    return d->codec == SDP_CODEC_AAC || d->codec == SDP_CODEC_AAC_LATM ? NVR_OK : finish_au(d);
}

int rtp_depack_joining(const struct rtp_depack *d)
{
    return is_g711(d) && d->au_open;
}

nvr_err rtp_depack_flush_joined(struct rtp_depack *d)
{
    return is_g711(d) ? g711_emit(d) : NVR_OK;
}

int rtp_depack_pop(struct rtp_depack *d, struct rtp_frame *f)
{
    if (d->qhead == d->qlen)
        return 0;
    *f = d->q[d->qhead++];
    if (d->qhead == d->qlen)
        d->qhead = d->qlen = 0;
    return 1;
}

int rtp_depack_unwrap(const struct rtp_depack *d, uint32_t ts, int64_t *out)
{
    if (!d->have_ts)
        return 0;
    *out = d->ts64 + (int32_t)(ts - d->last_ts);
    return 1;
}

uint32_t rtp_depack_ext_seq(const struct rtp_depack *d)
{
    return d->seq_cycles + d->max_seq;
}

uint32_t rtp_depack_ssrc(const struct rtp_depack *d)
{
    return d->ssrc;
}

const struct rtp_stats *rtp_depack_stats(const struct rtp_depack *d)
{
    return &d->st;
}

int rtcp_parse_sr(const uint8_t *p, size_t len, struct rtcp_sr *sr)
{
    while (len >= 4) {
        if ((p[0] >> 6) != 2)
            return 0;
        size_t plen = ((size_t)(p[2] << 8 | p[3]) + 1) * 4;
        if (plen > len)
            return 0;
        if (p[1] == 200 && plen >= 28) {
            sr->ssrc = rd32(p + 4);
            sr->ntp = (uint64_t)rd32(p + 8) << 32 | rd32(p + 12);
            sr->rtp_ts = rd32(p + 16);
            return 1;
        }
        p += plen;
        len -= plen;
    }
    return 0;
}

int64_t rtcp_ntp_to_unix_us(uint64_t ntp)
{
    int64_t sec = (int64_t)(ntp >> 32) - 2208988800LL;
    int64_t frac = (int64_t)(((ntp & 0xffffffffu) * 1000000u) >> 32);
    return sec * 1000000 + frac;
}
