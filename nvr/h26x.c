/*
 * h26x.c - Annex-B scanning for parameter sets (see h26x.h).
 */
#include "h26x.h"

#include <libavcodec/avcodec.h>
#include <libavutil/mem.h>
#include <string.h>

/* Calls fn for each NAL unit (payload without start code) of Annex-B data;
 * stops when fn returns non-zero and returns that value. */
static int each_nal(const uint8_t *d, size_t size,
                    int (*fn)(void *ctx, const uint8_t *nal, size_t len), void *ctx)
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

int h26x_find_sps(enum AVCodecID codec, const uint8_t *data, size_t size, const uint8_t **sps,
                  size_t *len)
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
