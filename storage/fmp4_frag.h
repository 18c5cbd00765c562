/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmp4_frag.h - the moof box of one fragment, written by us (segment
 * writer, docs/design/storage.md "Segment files").
 *
 *   moof { mfhd, traf { tfhd, tfdt, trun } per track } mdat-header
 *
 * tfhd: default-base-is-moof, nothing else (the trex defaults of the init
 * section are not relied upon); tfdt version 1 (64-bit base decode time);
 * trun: data offset and, per sample, duration, size, flags and composition
 * offset (version 1, signed offsets).  The mdat that follows holds every
 * track's samples, track after track, in the order given; trun i's data
 * offset points at its first sample, counted from the moof's first byte.
 *
 * Pure: no I/O, no allocation.
 *
 * Threads: any; no state.
 */
#ifndef NVR_STORAGE_FMP4_FRAG_H
#define NVR_STORAGE_FMP4_FRAG_H

#include <stddef.h>
#include <stdint.h>

#define FMP4_SAMPLE_SYNC 0x02000000u     /* depends on no other sample */
#define FMP4_SAMPLE_NON_SYNC 0x01010000u /* depends on others, not a sync sample */

struct fmp4_sample {
    uint32_t size;     /* bytes in mdat */
    uint32_t duration; /* track timescale */
    uint32_t flags;    /* FMP4_SAMPLE_* */
    int32_t cto;       /* pts - dts, track timescale */
};

struct fmp4_traf {
    uint32_t track_id; /* 1-based, as in the moov */
    uint64_t base_dts; /* the first sample's decode time, track timescale */
    const struct fmp4_sample *s;
    size_t n;       /* > 0 */
    uint64_t bytes; /* sum of s[].size */
};

/* Bytes of the moof plus the 8-byte mdat header for these tracks. */
size_t fmp4_frag_header_size(const struct fmp4_traf *t, int ntracks);

/* Writes moof (sequence number seq) and the mdat header into out, which
 * holds fmp4_frag_header_size() bytes; returns that size.  The mdat's
 * payload, sum of t[].bytes, must fit in 32 bits minus the header (a
 * fragment is one GOP). */
size_t fmp4_frag_write_header(uint8_t *out, uint32_t seq, const struct fmp4_traf *t, int ntracks);

#endif
