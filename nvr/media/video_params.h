/* SPDX-License-Identifier: Apache-2.0 */
/*
 * video_params.h - the current video codec parameters of a stream, following
 * in-band parameter-set changes.  Shared by both ingest implementations.
 *
 * The SDP's parameter sets are the initial extradata (Annex-B).  Each
 * keyframe is scanned for an in-band SPS; one that differs from the current
 * one (or the first one, when the SDP had none) replaces the extradata with
 * the keyframe's parameter sets, and the change is reported so the recorder
 * starts a new segment.  Width and height come from libavcodec's parser,
 * which reads the SPS without decoding anything.
 *
 * Threads: used by one thread (the camera's ingest thread).
 */
#ifndef NVR_VIDEO_PARAMS_H
#define NVR_VIDEO_PARAMS_H

#include "base/err.h"

#include <libavcodec/avcodec.h>

struct video_params;

/* Starts from a copy of initial (codec id, extradata).  NVR_ENOMEM. */
nvr_err video_params_create(struct video_params **out, const AVCodecParameters *initial);

/* Frees; sets *vp NULL; tolerates NULL. */
void video_params_destroy(struct video_params **vp);

/* The current parameters (borrowed; changes only in video_params_keyframe). */
const AVCodecParameters *video_params_get(const struct video_params *vp);

/* Extradata and size are known. */
int video_params_ready(const struct video_params *vp);

/* Looks at a keyframe (Annex-B, borrowed).  Returns 1 if the parameters
 * changed or became known with it, 0 if not, NVR_ENOMEM. */
int video_params_keyframe(struct video_params *vp, const AVPacket *pkt);

#endif
