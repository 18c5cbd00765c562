/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h26x.c - Annex-B scanning for parameter sets (see h26x.h).
 */
#include "media/h26x.h"

#include <libavcodec/avcodec.h>
#include <libavutil/mem.h>
#include <stdio.h>
#include <string.h>

/* Calls fn for each NAL unit (payload without start code) of Annex-B data;
 * stops when fn returns non-zero and returns that value. */
static int each_nal(const uint8_t *d, size_t size, int (*fn)(void *ctx, const uint8_t *nal, size_t len), void *ctx)
{
    size_t i = 0, start = SIZE_MAX;
    while (i + 3 <= size) {
        if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1) {
            if (start != SIZE_MAX) {
                size_t end = i;
                while (end > start && d[end - 1] == 0)
                    end--; /* trailing zero of a 4-byte start code */
                int r = fn(ctx, d + start, end - start);
                if (r)
                    return r;
            }
            i += 3;
            start = i;
            continue;
        }
        i++;
    }
    if (start != SIZE_MAX && start < size)
        return fn(ctx, d + start, size - start);
    return 0;
}

static int nal_type(enum AVCodecID codec, const uint8_t *nal, size_t len)
{
    if (len < 1)
        return -1;
    return codec == AV_CODEC_ID_HEVC ? (nal[0] >> 1) & 0x3f : nal[0] & 0x1f;
}

static int is_sps(enum AVCodecID codec, int t)
{
    return codec == AV_CODEC_ID_HEVC ? t == 33 : t == 7;
}

static int is_param_set(enum AVCodecID codec, int t)
{
    return codec == AV_CODEC_ID_HEVC ? (t >= 32 && t <= 34) : (t == 7 || t == 8);
}

struct find_ctx {
    enum AVCodecID codec;
    const uint8_t *sps;
    size_t len;
};

static int find_fn(void *ctx, const uint8_t *nal, size_t len)
{
    struct find_ctx *f = ctx;
    if (is_sps(f->codec, nal_type(f->codec, nal, len))) {
        f->sps = nal;
        f->len = len;
        return 1;
    }
    return 0;
}

int h26x_find_sps(enum AVCodecID codec, const uint8_t *data, size_t size, const uint8_t **sps, size_t *len)
{
    struct find_ctx f = {codec, NULL, 0};
    if (!data || !each_nal(data, size, find_fn, &f))
        return 0;
    *sps = f.sps;
    *len = f.len;
    return 1;
}

struct extract_ctx {
    enum AVCodecID codec;
    uint8_t *buf; /* NULL: counting pass */
    size_t n;
};

static int extract_fn(void *ctx, const uint8_t *nal, size_t len)
{
    struct extract_ctx *e = ctx;
    if (!is_param_set(e->codec, nal_type(e->codec, nal, len)))
        return 0;
    if (e->buf) {
        static const uint8_t sc[4] = {0, 0, 0, 1};
        memcpy(e->buf + e->n, sc, 4);
        memcpy(e->buf + e->n + 4, nal, len);
    }
    e->n += 4 + len;
    return 0;
}

int h26x_extract_parameter_sets(enum AVCodecID codec, const uint8_t *data, size_t size, uint8_t **out)
{
    struct extract_ctx e = {codec, NULL, 0};
    *out = NULL;
    each_nal(data, size, extract_fn, &e);
    if (e.n == 0 || e.n > INT32_MAX / 2)
        return 0;
    size_t total = e.n;
    if (!(e.buf = av_mallocz(total + AV_INPUT_BUFFER_PADDING_SIZE)))
        return -1;
    e.n = 0;
    each_nal(data, size, extract_fn, &e);
    *out = e.buf;
    return (int)total;
}

int h26x_codec_string(enum AVCodecID codec, const uint8_t *extradata, size_t size, char *buf, size_t n)
{
    const uint8_t *sps;
    size_t len;
    uint8_t r[16];
    size_t k = 0;
    if (n)
        buf[0] = '\0';
    if (!h26x_find_sps(codec, extradata, size, &sps, &len))
        return -1;
    /* the first bytes of the RBSP: drop emulation prevention bytes */
    for (size_t i = 0, zeros = 0; i < len && k < sizeof r; i++) {
        if (zeros >= 2 && sps[i] == 3) {
            zeros = 0;
            continue;
        }
        zeros = sps[i] == 0 ? zeros + 1 : 0;
        r[k++] = sps[i];
    }
    if (codec == AV_CODEC_ID_H264) {
        if (k < 4)
            return -1;
        snprintf(buf, n, "avc1.%02x%02x%02x", r[1], r[2], r[3]);
        return 0;
    }
    if (k < 15)
        return -1;
    /* r[0..1] NAL header, r[2] vps id / sub layers, then profile_tier_level */
    int space = r[3] >> 6, tier = (r[3] >> 5) & 1, profile = r[3] & 0x1f;
    uint32_t compat = (uint32_t)r[4] << 24 | (uint32_t)r[5] << 16 | (uint32_t)r[6] << 8 | r[7], rev = 0;
    for (int i = 0; i < 32; i++)
        rev |= ((compat >> i) & 1u) << (31 - i);
    const uint8_t *cons = r + 8;
    int ncons = 6;
    while (ncons > 0 && cons[ncons - 1] == 0)
        ncons--;
    int w = snprintf(buf, n, "hvc1.%s%d.%X.%c%d",
                     space ? (space == 1   ? "A"
                              : space == 2 ? "B"
                                           : "C")
                           : "",
                     profile, rev, tier ? 'H' : 'L', r[14]);
    for (int i = 0; i < ncons && w > 0 && (size_t)w < n; i++)
        w += snprintf(buf + w, n - (size_t)w, ".%X", cons[i]);
    return 0;
}
