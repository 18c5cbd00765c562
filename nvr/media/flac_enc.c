/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flac_enc.c - the FLAC encoder of flac_enc.h (RFC 9639 section numbers in
 * the comments).
 *
 * Per channel of a frame: CONSTANT if every sample is the same; else the
 * FIXED predictor order with the smallest sum of absolute residuals over the
 * block (9.2.5.2), its residual cut into the Rice partition order that the
 * sums per partition say is cheapest, each partition with its own parameter
 * (9.2.7); else, if that would take more bits than the samples themselves,
 * VERBATIM.  An upper bound of the chosen coding's size (the Rice estimate
 * from the partition sums) is counted before anything is written, which is
 * what keeps F1 (flac_enc.h); an exact count would cost another pass over
 * the residual to pick VERBATIM a little more often.  A channel's samples and
 * residual live in a struct chan on the stack (32 KiB at FLAC_MAX_BLOCK
 * 4096), so nothing is allocated and nothing kept between calls (F3).
 */
#include "media/flac_enc.h"

#include <libavutil/bswap.h>
#include <libavutil/crc.h>
#include <libavutil/intreadwrite.h>
#include <string.h>

#define MAX_ORDER 4
#define MAX_RICE 14 /* 4-bit parameters; 15 is the escape code, not used */

/* ---- bits out, most significant first ---- */

struct bits {
    uint8_t *p;
    size_t cap, pos;
    uint64_t acc;
    int n; /* bits in acc not yet stored, < 32 between calls */
    int overflow;
};

/* Stores the 32 bits of acc above its lowest n, when n has reached 32 (the
 * one store of put and put_partition, which keep acc, n and pos in locals
 * or in b). */
static inline void store32(uint8_t *p, size_t *pos, size_t cap, uint64_t acc, int *n, int *overflow)
{
    if (*n < 32)
        return;
    *n -= 32;
    if (*pos + 4 <= cap) {
        AV_WB32(p + *pos, (uint32_t)(acc >> *n));
        *pos += 4;
    } else {
        *overflow = 1;
    }
}

/* Appends the low `count` (1..32) bits of v; stores 32 bits at a time. */
static void put(struct bits *b, uint32_t v, int count)
{
    b->acc = (b->acc << count) | ((uint64_t)v & ((1ull << count) - 1));
    b->n += count;
    store32(b->p, &b->pos, b->cap, b->acc, &b->n, &b->overflow);
}

static void put_signed(struct bits *b, int32_t v, int count)
{
    put(b, (uint32_t)v, count);
}

/* Stores the whole bytes still in acc (b->n < 8 after). */
static void drain(struct bits *b)
{
    while (b->n >= 8) {
        b->n -= 8;
        if (b->pos < b->cap)
            b->p[b->pos++] = (uint8_t)(b->acc >> b->n);
        else
            b->overflow = 1;
    }
}

/* Pads with zeros to a byte boundary and stores everything. */
static void align(struct bits *b)
{
    if (b->n & 7)
        put(b, 0, 8 - (b->n & 7));
    drain(b);
}

/* ---- checksums (9.1.8, 9.3): libavutil's table-driven CRCs, the same
 * polynomials (x^8+x^2+x+1 and x^16+x^15+x^2+1, no reflection) ---- */

static uint8_t crc8(const uint8_t *p, size_t n)
{
    return (uint8_t)av_crc(av_crc_get_table(AV_CRC_8_ATM), 0, p, n);
}

static uint16_t crc16(const uint8_t *p, size_t n)
{
    return av_bswap16((uint16_t)av_crc(av_crc_get_table(AV_CRC_16_ANSI), 0, p, n));
}

/* ---- frame header (9.1) ---- */

static int block_code(int n)
{
    if (n == 192)
        return 1;
    for (int k = 0; k < 4; k++)
        if (n == 576 << k)
            return 2 + k;
    for (int k = 0; k < 8; k++)
        if (n == 256 << k)
            return 8 + k;
    return n <= 256 ? 6 : 7; /* n - 1 follows in 8 or 16 bits */
}

static int rate_code(int rate)
{
    static const int rates[] = {0, 88200, 176400, 192000, 8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000};
    for (int i = 1; i < (int)(sizeof rates / sizeof *rates); i++)
        if (rate == rates[i])
            return i;
    return rate <= 65535 ? 13 : 0; /* in Hz in 16 bits, or as in STREAMINFO */
}

/* The frame number as UTF-8 codes it (9.1.5), up to 31 bits. */
static void put_utf8(struct bits *b, uint32_t v)
{
    if (v < 0x80) {
        put(b, v, 8);
        return;
    }
    int extra = v < 0x800 ? 1 : v < 0x10000 ? 2 : v < 0x200000 ? 3 : v < 0x4000000 ? 4 : 5;
    uint32_t lead = (0xFF00u >> (extra + 1)) & 0xFF; /* extra + 1 one bits, then a zero */
    put(b, lead | (v >> (6 * extra)), 8);
    for (int i = extra - 1; i >= 0; i--)
        put(b, 0x80 | ((v >> (6 * i)) & 0x3F), 8);
}

static void put_header(struct bits *b, int n, int channels, int rate, uint32_t frame)
{
    int bc = block_code(n), rc = rate_code(rate);
    put(b, 0xFFF8, 16); /* sync, reserved, fixed block size */
    put(b, (uint32_t)bc, 4);
    put(b, (uint32_t)rc, 4);
    put(b, (uint32_t)(channels - 1), 4); /* independent channels */
    put(b, 4, 3);                        /* 16 bits per sample */
    put(b, 0, 1);
    put_utf8(b, frame & 0x7FFFFFFFu);
    if (bc == 6)
        put(b, (uint32_t)(n - 1), 8);
    else if (bc == 7)
        put(b, (uint32_t)(n - 1), 16);
    if (rc == 13)
        put(b, (uint32_t)rate, 16);
    drain(b); /* the header is whole bytes so far */
    put(b, crc8(b->p, b->pos), 8);
}

/* ---- one channel ---- */

/* A channel's samples (x), and the residual of the chosen predictor order
 * folded to unsigned (u[i] for i >= order), on the caller's stack:
 * 2 * 4 * FLAC_MAX_BLOCK bytes. */
struct chan {
    int32_t x[FLAC_MAX_BLOCK];
    uint32_t u[FLAC_MAX_BLOCK];
    int n, order, porder;
    int k[1 << FLAC_MAX_PARTITION_ORDER];
};

/* 2e for e >= 0, -2e - 1 below (9.2.7.1), without a branch: for e < 0,
 * ~(2e) = -2e - 1. */
static uint32_t fold(int32_t e)
{
    return ((uint32_t)e << 1) ^ -(uint32_t)(e < 0);
}

/* The FIXED predictor order (9.2.5.2) with the smallest sum of |residual|,
 * from sample 4 on for every order so that they compare alike: the
 * residuals of orders 0..4 are successive differences. */
static int best_order(const struct chan *c)
{
    if (c->n <= MAX_ORDER)
        return 0;
    uint64_t sum[MAX_ORDER + 1] = {0};
    const int32_t *x = c->x;
    int32_t d1 = x[3] - x[2], d2 = d1 - (x[2] - x[1]), d3 = d2 - ((x[2] - x[1]) - (x[1] - x[0]));
    for (int i = MAX_ORDER; i < c->n; i++) {
        int32_t e0 = x[i], e1 = e0 - x[i - 1], e2 = e1 - d1, e3 = e2 - d2, e4 = e3 - d3;
        sum[0] += (uint32_t)(e0 < 0 ? -e0 : e0);
        sum[1] += (uint32_t)(e1 < 0 ? -e1 : e1);
        sum[2] += (uint32_t)(e2 < 0 ? -e2 : e2);
        sum[3] += (uint32_t)(e3 < 0 ? -e3 : e3);
        sum[4] += (uint32_t)(e4 < 0 ? -e4 : e4);
        d1 = e1;
        d2 = e2;
        d3 = e3;
    }
    int best = 0;
    for (int o = 1; o <= MAX_ORDER; o++)
        if (sum[o] < sum[best])
            best = o;
    return best;
}

/* c->u from c->x for c->order (a loop per order: the predictor is not
 * chosen per sample). */
static void fold_residual(struct chan *c)
{
    const int32_t *x = c->x;
    uint32_t *u = c->u;
    int n = c->n;
    switch (c->order) {
    case 0:
        for (int i = 0; i < n; i++)
            u[i] = fold(x[i]);
        break;
    case 1:
        for (int i = 1; i < n; i++)
            u[i] = fold(x[i] - x[i - 1]);
        break;
    case 2:
        for (int i = 2; i < n; i++)
            u[i] = fold(x[i] - 2 * x[i - 1] + x[i - 2]);
        break;
    case 3:
        for (int i = 3; i < n; i++)
            u[i] = fold(x[i] - 3 * x[i - 1] + 3 * x[i - 2] - x[i - 3]);
        break;
    default:
        for (int i = 4; i < n; i++)
            u[i] = fold(x[i] - 4 * x[i - 1] + 6 * x[i - 2] - 4 * x[i - 3] + x[i - 4]);
        break;
    }
}

/* Partition i of order p: residual samples [*from, *to). */
static void partition(const struct chan *c, int p, int i, int *from, int *to)
{
    int len = c->n >> p;
    *from = i == 0 ? c->order : i * len;
    *to = (i + 1) * len;
}

/* Bits of m folded values of sum s with parameter k, as estimated from the
 * sum (each value's quotient is about its share of s >> k). */
static uint64_t rice_estimate(uint64_t s, uint64_t m, int k)
{
    return m * (uint64_t)(k + 1) + (s >> k);
}

/* The parameter for m folded values of sum s: the estimate's best among
 * floor(log2(s / m)) and its neighbours. */
static int rice_param(uint64_t s, uint64_t m)
{
    int k = 0;
    while (k < MAX_RICE && m && (m << (k + 1)) <= s)
        k++;
    int best = k;
    for (int j = k > 0 ? k - 1 : 0; j <= k + 1 && j <= MAX_RICE; j++)
        if (rice_estimate(s, m, j) < rice_estimate(s, m, best))
            best = j;
    return best;
}

/* Chooses the partition order and each partition's parameter (by the
 * estimate); returns the estimated bits of the subframe's residual section,
 * never fewer than it takes: sum(u >> k) <= sum(u) >> k, so rice_estimate
 * is an upper bound of the exact size. */
static uint64_t plan_residual(struct chan *c)
{
    int pmax = 0;
    while (pmax < FLAC_MAX_PARTITION_ORDER && c->n % (2 << pmax) == 0 && (c->n >> (pmax + 1)) > c->order)
        pmax++;
    uint64_t sums[1 << FLAC_MAX_PARTITION_ORDER], best_sums[1 << FLAC_MAX_PARTITION_ORDER];
    for (int i = 0; i < (1 << pmax); i++) {
        int from, to;
        partition(c, pmax, i, &from, &to);
        sums[i] = 0;
        for (int j = from; j < to; j++)
            sums[i] += c->u[j];
    }
    uint64_t best_bits = UINT64_MAX;
    for (int p = pmax;; p--) {
        uint64_t bits = 6; /* method, partition order */
        for (int i = 0; i < (1 << p); i++) {
            int from, to;
            partition(c, p, i, &from, &to);
            uint64_t m = (uint64_t)(to - from);
            bits += 4 + rice_estimate(sums[i], m, rice_param(sums[i], m));
        }
        if (bits <= best_bits) {
            best_bits = bits;
            c->porder = p;
            memcpy(best_sums, sums, sizeof(uint64_t) << p);
        }
        if (p == 0)
            break;
        for (int i = 0; i < (1 << (p - 1)); i++) /* the sums of the next coarser order */
            sums[i] = sums[2 * i] + sums[2 * i + 1];
    }
    for (int i = 0; i < (1 << c->porder); i++) {
        int from, to;
        partition(c, c->porder, i, &from, &to);
        c->k[i] = rice_param(best_sums[i], (uint64_t)(to - from));
    }
    return best_bits;
}

static void put_rice(struct bits *b, uint32_t u, int k)
{
    uint32_t q = u >> k;
    if (q + 1 + (uint32_t)k <= 32) { /* nearly always: quotient, stop bit and remainder at once */
        put(b, (1u << k) | (u & ((1u << k) - 1)), (int)q + 1 + k);
        return;
    }
    while (q >= 32) {
        put(b, 0, 32);
        q -= 32;
    }
    put(b, 1, (int)q + 1); /* q zeros, then a one */
    if (k)
        put(b, u & ((1u << k) - 1), k);
}

/* put_rice over u[from, to): the same bits, with the writer's state in
 * locals for the loop (stores through b->p are char stores, which would
 * make the compiler reload b's fields after each one). */
static void put_partition(struct bits *b, const uint32_t *u, int from, int to, int k)
{
    uint64_t acc = b->acc;
    int n = b->n;
    uint8_t *p = b->p;
    size_t pos = b->pos, cap = b->cap;
    int overflow = 0;
    uint32_t mask = (1u << k) - 1;
    for (int j = from; j < to; j++) {
        uint32_t q = u[j] >> k;
        if (q + 1 + (uint32_t)k > 32) { /* a long quotient: the general path */
            b->acc = acc, b->n = n, b->pos = pos;
            put_rice(b, u[j], k);
            acc = b->acc, n = b->n, pos = b->pos;
            continue;
        }
        int len = (int)q + 1 + k; /* q zeros, a one, k bits */
        acc = (acc << len) | (mask + 1) | (u[j] & mask);
        n += len;
        store32(p, &pos, cap, acc, &n, &overflow);
    }
    b->acc = acc, b->n = n, b->pos = pos;
    b->overflow |= overflow;
}

static void put_channel(struct bits *b, struct chan *c)
{
    int constant = 1;
    for (int i = 1; i < c->n && constant; i++)
        constant = c->x[i] == c->x[0];
    if (constant) {
        put(b, 0x00, 8); /* CONSTANT */
        put_signed(b, c->x[0], 16);
        return;
    }
    c->order = best_order(c);
    fold_residual(c);
    uint64_t fixed = 8 + 16 * (uint64_t)c->order + plan_residual(c);
    if (fixed >= 8 + 16 * (uint64_t)c->n) {
        put(b, 0x02, 8); /* VERBATIM */
        for (int i = 0; i < c->n; i++)
            put_signed(b, c->x[i], 16);
        return;
    }
    put(b, (uint32_t)(0x08 | c->order) << 1, 8); /* FIXED (001xxx), order */
    for (int i = 0; i < c->order; i++)
        put_signed(b, c->x[i], 16);
    put(b, 0, 2); /* Rice, 4-bit parameters */
    put(b, (uint32_t)c->porder, 4);
    for (int i = 0; i < (1 << c->porder); i++) {
        int from, to;
        partition(c, c->porder, i, &from, &to);
        put(b, (uint32_t)c->k[i], 4);
        put_partition(b, c->u, from, to, c->k[i]);
    }
}

/* ---- the public functions ---- */

void flac_streaminfo(uint8_t out[FLAC_STREAMINFO_BYTES], int rate, int channels, int block)
{
    struct bits b = {.p = out, .cap = FLAC_STREAMINFO_BYTES};
    memset(out, 0, FLAC_STREAMINFO_BYTES);
    if (block < 16)
        block = 16;
    put(&b, (uint32_t)block, 16); /* min block size */
    put(&b, (uint32_t)block, 16); /* max */
    put(&b, 0, 24);               /* min frame size: unknown */
    put(&b, 0, 24);               /* max */
    put(&b, (uint32_t)rate, 20);
    put(&b, (uint32_t)(channels - 1), 3);
    put(&b, 15, 5); /* 16 bits per sample */
    put(&b, 0, 4);  /* total samples (36 bits): unknown */
    put(&b, 0, 32);
    drain(&b);
    /* the MD5 (128 bits) stays zero: unknown */
}

size_t flac_frame_bound(int n, int channels)
{
    /* header at most 16 bytes + per channel a subframe header and n
     * samples of 16 bits (VERBATIM is the fallback) + CRC-16 */
    return 16 + (size_t)channels * (1 + 2 * (size_t)n) + 2;
}

nvr_err flac_encode_frame(const int16_t *pcm, int n, int channels, int rate, uint32_t frame, uint8_t *out, size_t cap,
                          size_t *len)
{
    *len = 0;
    if (n < 1 || n > FLAC_MAX_BLOCK || channels < 1 || channels > 2 || rate < 1 || rate > 655350 ||
        cap < flac_frame_bound(n, channels))
        return NVR_EINVAL;
    struct bits b = {.p = out, .cap = cap};
    put_header(&b, n, channels, rate, frame);
    struct chan c; /* 2 * 4 * FLAC_MAX_BLOCK bytes of stack */
    for (int ch = 0; ch < channels; ch++) {
        c.n = n;
        for (int i = 0; i < n; i++)
            c.x[i] = pcm[(size_t)i * (size_t)channels + (size_t)ch];
        put_channel(&b, &c);
    }
    align(&b);
    uint16_t crc = crc16(out, b.pos);
    put(&b, crc, 16);
    drain(&b);
    if (b.overflow)
        return NVR_EINVAL; /* cannot happen (F1); never hand out a torn frame */
    *len = b.pos;
    return NVR_OK;
}
