/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fragments.c - packing of the per-segment fragment table (see fragments.h).
 */
#include "storage/fragments.h"

#include "base/err.h"

#include <stdlib.h>

nvr_err fragments_append(struct fragment_list *l, uint32_t bytes, uint32_t duration_us)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        struct nvr_fragment *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return NVR_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n].bytes = bytes;
    l->v[l->n].duration_us = duration_us;
    l->n++;
    return NVR_OK;
}

void fragments_free(struct fragment_list *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void fragments_pack(const struct fragment_list *l, uint8_t *buf)
{
    for (size_t i = 0; i < l->n; i++) {
        put_u32(buf + i * FRAGMENTS_RECORD_SIZE, l->v[i].bytes);
        put_u32(buf + i * FRAGMENTS_RECORD_SIZE + 4, l->v[i].duration_us);
    }
}

nvr_err fragments_unpack(struct fragment_list *l, const uint8_t *blob, size_t len)
{
    if (len % FRAGMENTS_RECORD_SIZE)
        return NVR_EINVAL;
    l->n = 0;
    for (size_t off = 0; off < len; off += FRAGMENTS_RECORD_SIZE) {
        int rc = fragments_append(l, get_u32(blob + off), get_u32(blob + off + 4));
        if (rc)
            return rc;
    }
    return NVR_OK;
}

uint64_t fragments_bytes(const struct fragment_list *l, size_t n)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n && i < l->n; i++)
        s += l->v[i].bytes;
    return s;
}

uint64_t fragments_duration_us(const struct fragment_list *l, size_t n)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n && i < l->n; i++)
        s += l->v[i].duration_us;
    return s;
}
