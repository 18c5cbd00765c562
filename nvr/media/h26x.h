/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h26x.h - just enough H.264/H.265 bitstream knowledge for the ingest:
 * finding parameter sets (VPS/SPS/PPS) in Annex-B data, so that a keyframe
 * carrying new ones can start a new segment with them as extradata, and the
 * SPS's reorder depth, which says how far decode order may run ahead of
 * presentation order (B-frames).
 *
 * Threads: any; no state.
 */
#ifndef NVR_H26X_H
#define NVR_H26X_H

#include <libavcodec/codec_id.h>
#include <stddef.h>
#include <stdint.h>

/* Finds the first SPS NAL unit (without start code) in Annex-B data.
 * Returns 1 and sets *sps and *len if found, else 0. */
int h26x_find_sps(enum AVCodecID codec, const uint8_t *data, size_t size, const uint8_t **sps, size_t *len);

/* Copies every parameter-set NAL unit (H.264 SPS/PPS, H.265 VPS/SPS/PPS) of
 * data, each with a 4-byte start code, into a new av_malloc'ed buffer with
 * AV_INPUT_BUFFER_PADDING_SIZE zeroed padding.  Returns the size (0 and
 * *out NULL if there is none, -1 on allocation failure). */
int h26x_extract_parameter_sets(enum AVCodecID codec, const uint8_t *data, size_t size, uint8_t **out);

/* The RFC 6381 codecs string of a stream from its parameter sets (Annex-B
 * extradata): "avc1.PPCCLL" (profile, constraints, level of the SPS) or
 * "hvc1.P.C.Tl.B..." for H.265 (ISO/IEC 14496-15 annex E), as MSE's
 * isTypeSupported wants it.  Returns 0, or -1 (buf "") without an SPS. */
int h26x_codec_string(enum AVCodecID codec, const uint8_t *extradata, size_t size, char *buf, size_t n);

/* The stream's reorder depth: how many frames may precede a frame in decode
 * order and follow it in presentation order (0 without B-frames), from the
 * first SPS in Annex-B data: H.265 sps_max_num_reorder_pics, H.264 the VUI's
 * max_num_reorder_frames or, when absent, what the standard infers from the
 * profile and level (h26x_sps.c).  Returns 0..16, or -1 without a readable SPS. */
int h26x_reorder_depth(enum AVCodecID codec, const uint8_t *data, size_t size);

#endif
