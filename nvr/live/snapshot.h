/* SPDX-License-Identifier: Apache-2.0 */
/*
 * snapshot.h - JPEG pictures of a camera: the newest keyframe (from the live
 * hub) or the keyframe at or before a moment of stored footage, decoded with
 * libavcodec, scaled with libswscale, encoded with the MJPEG encoder.
 *
 * Only keyframes are decoded (one frame, no reference chain), so a snapshot
 * costs one intra decode + one JPEG encode: about 10-30 ms for 1080p on one
 * core, done on the HTTP thread that asked.  The newest picture is cached per
 * camera and width: it is re-encoded only when a new keyframe has arrived, so
 * a grid of 16 thumbnails refreshing every few seconds mostly hits the cache.
 *
 * Threads: a cache may be used from any thread (one mutex, held while
 * encoding, so simultaneous requests for one camera encode once).
 */
#ifndef NVR_SNAPSHOT_H
#define NVR_SNAPSHOT_H

#include "base/err.h"

#include "live/live.h"
#include "storage/storage.h"

#include <stddef.h>
#include <stdint.h>

#define SNAPSHOT_MIN_WIDTH 16
#define SNAPSHOT_MAX_WIDTH 3840
#define SNAPSHOT_MAX_FRAGMENT (32u << 20) /* bigger stored fragments are refused */

struct snapshot_cache;

nvr_err snapshot_cache_create(struct snapshot_cache **out);
/* Sets *c NULL; tolerates NULL. */
void snapshot_cache_destroy(struct snapshot_cache **c);

/* Cache lookups and misses, for /metrics. */
void snapshot_cache_stats(struct snapshot_cache *c, uint64_t *hits, uint64_t *misses);

/* JPEG of hub's newest keyframe, width pixels wide (0: the camera's size).
 * *jpeg is a new malloc'ed buffer of *len bytes.  NVR_ENOTFOUND when the hub
 * has no keyframe yet. */
nvr_err snapshot_live(struct snapshot_cache *c, struct live_hub *hub, int width, uint8_t **jpeg, size_t *len);

/* JPEG of the keyframe at or before t_us in camera's stored footage (the
 * fragment of the segment covering t_us, read through the index's fragment
 * offsets).  NVR_ENOTFOUND when nothing is recorded at t_us. */
nvr_err snapshot_stored(struct storage *st, const char *camera, int64_t t_us, int width, uint8_t **jpeg, size_t *len);

/* Decodes pkt (a keyframe described by par) and encodes it as JPEG. */
nvr_err snapshot_encode(const AVCodecParameters *par, const AVPacket *pkt, int width, uint8_t **jpeg, size_t *len);

#endif
