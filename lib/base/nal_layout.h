/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nal_layout.h - where the NAL units of one Annex-B access unit are, as the
 * code that assembled it knows.
 *
 * The RTSP reader's depacketizer (nvr/media/rtp_depack.c) writes every NAL
 * unit of a frame behind a 4-byte start code and knows each one's length;
 * the segment writer (storage/segment_writer.c) stores them length-prefixed
 * and would otherwise find them again by scanning every byte for start
 * codes (about 5 % of the recorder's CPU at 64 cameras: bench/README.md,
 * issue 21).  The layout travels with the packet in AVPacket.opaque (which
 * av_packet_ref copies) and lives in the frame's own buffer, after the
 * padding, so it costs no allocation and dies with the frame.
 *
 * Invariants (a consumer checks L1 and L2 and scans the bytes itself when
 * either fails: a packet rebuilt from another one keeps a stale opaque):
 *   L1. magic is NAL_LAYOUT_MAGIC and data/size are the packet's data/size.
 *   L2. The units tile the data: unit i is the len[i] > 0 bytes that follow
 *       a start code 00 00 00 01, in order, nothing before the first start
 *       code, between two units or after the last.
 *
 * Threads: no state of its own.  A layout is written once, by the
 * depacketizer on the thread that reads the stream, before the packet is
 * handed on, and only read after that (the segment writer, on the camera's
 * writer thread).
 */
#ifndef NVR_BASE_NAL_LAYOUT_H
#define NVR_BASE_NAL_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define NAL_LAYOUT_MAGIC 0x4e414c31u /* "NAL1" */

struct nal_layout {
    uint32_t magic;
    uint32_t n;          /* units */
    const uint8_t *data; /* the packet's bytes it describes */
    size_t size;
    uint32_t len[]; /* n unit lengths, start codes not counted */
};

/* Bytes of a layout of n units. */
static inline size_t nal_layout_bytes(uint32_t n)
{
    return sizeof(struct nal_layout) + (size_t)n * sizeof(uint32_t);
}

#endif
