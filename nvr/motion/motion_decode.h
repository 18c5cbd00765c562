/* SPDX-License-Identifier: Apache-2.0 */
/*
 * motion_decode.h - one keyframe -> its picture, as cheaply as libavcodec
 * allows: decoded alone (no reference pictures kept between keyframes, so
 * memory does not grow with the number of cameras: a worker keeps a few
 * decoders, by stream parameters, not one per camera), one thread, the
 * deblocking filter skipped (AVDISCARD_ALL: motion does not need it),
 * every non-key frame skipped.
 *
 * Not thread-safe: one per worker thread.
 */
#ifndef NVR_MOTION_DECODE_H
#define NVR_MOTION_DECODE_H

#include "base/err.h"

#include <libavcodec/avcodec.h>

#define MOTION_MIN_W 32 /* the grid needs a pixel per cell at least */
#define MOTION_MIN_H 18

struct motion_decoder;

nvr_err motion_decoder_create(struct motion_decoder **out);
void motion_decoder_destroy(struct motion_decoder **d);

/* Decodes the keyframe pkt of a stream with parameters par.  On NVR_OK
 * *frame is the picture (borrowed until the next call); *depth its luma bit
 * depth.  NVR_ECODEC if it does not decode alone. */
nvr_err motion_decoder_keyframe(struct motion_decoder *d, const AVCodecParameters *par, const AVPacket *pkt,
                                const AVFrame **frame, int *depth);

#endif
