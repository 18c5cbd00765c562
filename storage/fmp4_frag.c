/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmp4_frag.c - the moof box of one fragment (see fmp4_frag.h).
 */
#include "storage/fmp4_frag.h"

#include <string.h>

#define MFHD 16
#define TFHD 16             /* header 8, version/flags 4, track_ID 4 */
#define TFDT 20             /* header 8, version/flags 4, 64-bit time */
#define TRUN_FIXED 20       /* header 8, version/flags 4, count 4, data offset 4 */
#define TRUN_PER_SAMPLE 16  /* duration, size, flags, composition offset */
#define TRUN_FLAGS 0x000f01 /* data offset, sample duration, size, flags, cto */
#define TFHD_BASE_IS_MOOF 0x020000

static uint8_t *be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return p + 4;
}

static uint8_t *box(uint8_t *p, uint32_t size, const char type[4])
{
    p = be32(p, size);
    memcpy(p, type, 4);
    return p + 4;
}

static size_t traf_size(const struct fmp4_traf *t)
{
    return 8 + TFHD + TFDT + TRUN_FIXED + TRUN_PER_SAMPLE * t->n;
}

size_t fmp4_frag_header_size(const struct fmp4_traf *t, int ntracks)
{
    size_t n = 8 + MFHD;
    for (int i = 0; i < ntracks; i++)
        n += traf_size(&t[i]);
    return n + 8;
}

static uint8_t *write_traf(uint8_t *p, const struct fmp4_traf *t, uint32_t data_offset)
{
    p = box(p, (uint32_t)traf_size(t), "traf");
    p = box(p, TFHD, "tfhd");
    p = be32(p, TFHD_BASE_IS_MOOF);
    p = be32(p, t->track_id);
    p = box(p, TFDT, "tfdt");
    p = be32(p, 1u << 24); /* version 1 */
    p = be32(p, (uint32_t)(t->base_dts >> 32));
    p = be32(p, (uint32_t)t->base_dts);
    p = box(p, (uint32_t)(TRUN_FIXED + TRUN_PER_SAMPLE * t->n), "trun");
    p = be32(p, 1u << 24 | TRUN_FLAGS); /* version 1: signed composition offsets */
    p = be32(p, (uint32_t)t->n);
    p = be32(p, data_offset);
    for (size_t i = 0; i < t->n; i++) {
        p = be32(p, t->s[i].duration);
        p = be32(p, t->s[i].size);
        p = be32(p, t->s[i].flags);
        p = be32(p, (uint32_t)t->s[i].cto);
    }
    return p;
}

size_t fmp4_frag_write_header(uint8_t *out, uint32_t seq, const struct fmp4_traf *t, int ntracks)
{
    size_t total = fmp4_frag_header_size(t, ntracks);
    uint64_t payload = 0;
    for (int i = 0; i < ntracks; i++)
        payload += t[i].bytes;
    uint8_t *p = box(out, (uint32_t)(total - 8), "moof");
    p = box(p, MFHD, "mfhd");
    p = be32(p, 0);
    p = be32(p, seq);
    uint32_t offset = (uint32_t)total; /* the first sample, from the moof's first byte */
    for (int i = 0; i < ntracks; i++) {
        p = write_traf(p, &t[i], offset);
        offset += (uint32_t)t[i].bytes;
    }
    box(p, (uint32_t)(8 + payload), "mdat");
    return total;
}
