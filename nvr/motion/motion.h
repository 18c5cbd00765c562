/* SPDX-License-Identifier: Apache-2.0 */
/*
 * motion.h - motion detection for every recorded camera (docs/design/motion.md).
 *
 * A motion_pool is a few worker threads shared by all cameras; each camera
 * with `motion = on` has a motion_cam.  The camera's ingest thread hands it
 * every video keyframe (motion_cam_packet: a reference, no copy, never
 * blocking); the camera keeps at most MOTION_QUEUE of them, dropping the
 * oldest when the workers are behind, so motion can fall behind and lose
 * samples but the recording never waits for it.  A worker decodes the
 * keyframe (motion_decode.h), runs the detector (motion_detect.h) and the
 * event tracker (motion_events.h), and writes the seconds and events into
 * the index (motion_store.h) about every MOTION_FLUSH_US and when an event
 * closes.
 *
 * Threads: motion_cam_packet and motion_cam_session_end from the camera's
 * ingest thread; create/destroy from the thread that starts and stops the
 * recorder; a camera is worked on by one worker at a time.
 */
#ifndef NVR_MOTION_H
#define NVR_MOTION_H

#include "base/config.h"
#include "base/err.h"
#include "storage/index.h"

#include <libavcodec/avcodec.h>
#include <stdint.h>

#define MOTION_QUEUE 2
#define MOTION_FLUSH_US 5000000LL /* fewer, larger transactions: the index (and its WAL) grows less */

struct motion_pool;
struct motion_cam;

/* Starts threads workers (0: 2) that write into ix (borrowed: must outlive
 * the pool). */
nvr_err motion_pool_create(struct motion_pool **out, nvr_index *ix, int threads);

/* The index the pool writes into (borrowed). */
nvr_index *motion_pool_index(struct motion_pool *p);

/* Stops the workers and frees *p (every camera must be destroyed first);
 * sets *p NULL; tolerates NULL. */
void motion_pool_destroy(struct motion_pool **p);

/* Motion detection for cam (borrowed: must outlive *out) on pool.  *out is
 * NULL when the camera has motion off. */
nvr_err motion_cam_create(struct motion_cam **out, struct motion_pool *pool, const struct nvr_camera_config *cam);

/* Stops detecting: waits for a worker that holds the camera, closes its
 * open event and writes what is left.  Frees *mc, sets it NULL; tolerates NULL. */
void motion_cam_destroy(struct motion_cam **mc);

/* A video packet of the camera (only keyframes are kept: a new reference);
 * par (borrowed, copied) when the stream's parameters are new; wall_us its
 * wall-clock time.  Never blocks on the workers. */
void motion_cam_packet(struct motion_cam *mc, const AVPacket *pkt, const AVCodecParameters *par, int64_t wall_us);

/* The session ended (stream lost): the open event closes. */
void motion_cam_session_end(struct motion_cam *mc);

struct motion_stats {
    uint64_t keyframes; /* handed over */
    uint64_t dropped;   /* dropped because the workers were behind */
    uint64_t analysed;  /* decoded and run through the detector */
    uint64_t errors;    /* keyframes that did not decode */
    uint64_t global;    /* global changes (lights, IR switch) */
    uint64_t events;    /* events closed */
    uint64_t busy_us;   /* worker time spent on the camera (thread CPU) */
};

void motion_cam_stats(struct motion_cam *mc, struct motion_stats *out);

#endif
