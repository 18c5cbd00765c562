/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flac_enc.h - a small FLAC encoder (RFC 9639) for 16-bit PCM, for the
 * G.711 audio of cameras (audio_transcode.h).
 *
 * Why our own: FFmpeg's `flac` encoder context holds the buffers of eight
 * channels of 65535-sample blocks, zeroed when it opens: about 5 MiB of
 * resident memory per camera, more than the whole rest of a camera's
 * recorder (bench/README.md, "G.711").  A G.711 camera needs one channel of
 * 2048-sample blocks; this encoder needs no memory between frames.
 *
 * What it writes: a fixed-blocksize stream of 16-bit samples, 1 or 2
 * channels (stereo coded as independent channels), every frame's samples
 * coded per channel as the smallest of CONSTANT, FIXED (predictor order 0 to
 * 4, the residual in Rice partitions of order 0 to FLAC_MAX_PARTITION_ORDER,
 * one 4-bit Rice parameter each) and VERBATIM.  Frame header with CRC-8,
 * frame with CRC-16.  No LPC: for the noise G.711 carries, a fixed
 * predictor does nearly as well, at a fraction of the work.
 *
 * Invariants:
 *   F1  flac_encode_frame never writes more than flac_frame_bound(...)
 *       bytes: VERBATIM is chosen whenever anything would be larger.
 *   F2  Decoding a frame gives back exactly the samples given (checked in
 *       tests/unit/test_flac_enc.c with FFmpeg's decoder, CRCs verified).
 *   F3  Nothing is kept between calls: the caller numbers the frames.
 *
 * Threads: no state; any thread.
 */
#ifndef NVR_MEDIA_FLAC_ENC_H
#define NVR_MEDIA_FLAC_ENC_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

#define FLAC_STREAMINFO_BYTES 34
#define FLAC_MAX_PARTITION_ORDER 6
#define FLAC_MAX_BLOCK 4096 /* the largest block encoded (32 KiB of stack to encode it) */

/* The STREAMINFO block (the `dfLa` box's and libavcodec's extradata) of a
 * stream of blocks of `block` samples (16 if fewer: the format's least):
 * frame sizes, sample count and MD5 left unknown (0), as the format allows. */
void flac_streaminfo(uint8_t out[FLAC_STREAMINFO_BYTES], int rate, int channels, int block);

/* The most bytes a frame of n samples of `channels` channels can take. */
size_t flac_frame_bound(int n, int channels);

/* Encodes one frame: n samples (1 <= n <= FLAC_MAX_BLOCK) of `channels`
 * (1 or 2) interleaved in pcm (borrowed), frame number `frame` (taken
 * modulo 2^31), into out (cap bytes, at least flac_frame_bound).  *len
 * receives the frame's size.  NVR_EINVAL for arguments out of range. */
nvr_err flac_encode_frame(const int16_t *pcm, int n, int channels, int rate, uint32_t frame, uint8_t *out, size_t cap,
                          size_t *len);

#endif
