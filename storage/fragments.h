/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fragments.h - the per-segment fragment table, packed for the index.
 *
 * A segment file is an fMP4: an init section (ftyp+moov) followed by one
 * fragment (moof+mdat) per GOP.  The index keeps, per segment, the byte size
 * and media duration of every fragment, so a byte range of ~2 s can be served
 * without opening the file.  Fragment k starts at
 *   init_bytes + sum(bytes[0..k))
 * and at media time sum(duration_us[0..k)) from the segment start.
 *
 * Packed form (a BLOB column): 8 bytes per fragment, little endian
 *   u32 bytes, u32 duration_us
 * so a segment of 60 s in 2 s GOPs costs 240 bytes.
 *
 * Threads: any; no state: a fragment_list is its owner's, used by one thread
 * at a time.
 */
#ifndef NVR_STORAGE_FRAGMENTS_H
#define NVR_STORAGE_FRAGMENTS_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

#define FRAGMENTS_RECORD_SIZE 8

struct nvr_fragment {
    uint32_t bytes;
    uint32_t duration_us;
};

/* A growable array of fragments. Zero-initialise before use. */
struct fragment_list {
    struct nvr_fragment *v;
    size_t n, cap;
};

/* Appends one fragment. Returns NVR_OK or NVR_ENOMEM. */
nvr_err fragments_append(struct fragment_list *l, uint32_t bytes, uint32_t duration_us);

/* Frees the array (the struct itself is the caller's). */
void fragments_free(struct fragment_list *l);

/* Packs l into buf, which must hold l->n * FRAGMENTS_RECORD_SIZE bytes. */
void fragments_pack(const struct fragment_list *l, uint8_t *buf);

/* Unpacks a blob into l (replacing its contents). Returns NVR_EINVAL if the
 * blob's size is not a multiple of the record size, NVR_ENOMEM on failure. */
nvr_err fragments_unpack(struct fragment_list *l, const uint8_t *blob, size_t len);

/* Sum of bytes / durations of the first n fragments. */
uint64_t fragments_bytes(const struct fragment_list *l, size_t n);
uint64_t fragments_duration_us(const struct fragment_list *l, size_t n);

#endif
