/* SPDX-License-Identifier: Apache-2.0 */
/*
 * frame_pool.h - reusable memory for one stream's frames: the depacketizer
 * copies each finished frame into a buffer from here instead of a fresh
 * malloc (issue 21: per-frame malloc was 12 % of nvr's CPU, and its cost per
 * stream grew with the number of cameras).
 *
 * Frames are carved one after the other out of chunks of FRAME_POOL_CHUNK
 * bytes; each frame is an AVBufferRef (refcounted, so it becomes a packet's
 * buf without a copy) that holds a reference on its chunk.  A chunk whose
 * frames are all released goes back to the pool (at most FRAME_POOL_SPARE
 * spare chunks are kept, the others are freed), so a camera in steady state
 * reuses the same few chunks: no allocation and no page fault per frame.  A
 * frame larger than FRAME_POOL_CHUNK / 4 (a big keyframe) gets a buffer of
 * its own.  Every buffer has AV_INPUT_BUFFER_PADDING_SIZE zeroed bytes after
 * its size (what libavcodec's parsers expect).
 *
 * Threads: frame_pool_get and frame_pool_destroy are called by the owner's
 * thread only; the buffers may be unreferenced from any thread, also after
 * frame_pool_destroy (the pool's memory is freed with its last buffer).
 */
#ifndef NVR_MEDIA_FRAME_POOL_H
#define NVR_MEDIA_FRAME_POOL_H

#include "base/err.h"

#include <libavutil/buffer.h>
#include <stddef.h>

#define FRAME_POOL_CHUNK (256u * 1024u)
#define FRAME_POOL_SPARE 2

struct frame_pool;

nvr_err frame_pool_create(struct frame_pool **out);

/* A buffer of size bytes (+ zeroed padding), NULL on ENOMEM.  Its data is
 * uninitialised; the caller owns the reference. */
AVBufferRef *frame_pool_get(struct frame_pool *p, size_t size);

/* Gives up the owner's part; buffers still referenced stay valid.  Sets *p
 * NULL; tolerates NULL. */
void frame_pool_destroy(struct frame_pool **p);

#endif
