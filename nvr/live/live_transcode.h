/* SPDX-License-Identifier: Apache-2.0 */
/*
 * live_transcode.h - an H.264 rendition of an H.265 camera's live stream,
 * for browsers that cannot decode HEVC, made only while someone watches it.
 *
 * On demand (live_transcode_demand: a `live.mp4?codec=h264` viewer) a tap on
 * the camera's main hub copies each video packet into a small queue; this
 * module's thread decodes them (libavcodec), scales to at most
 * LIVE_TRANSCODE_MAX_WIDTH pixels wide, encodes H.264 (libx264, ultrafast,
 * zerolatency, a keyframe wherever the camera has one) and feeds the result
 * to its own live hub, which viewers share like any other.  When that hub
 * has had no viewer for LIVE_IDLE_US the tap is removed and the codecs freed.
 * The queue is bounded: if the thread falls behind, packets are dropped until
 * the next keyframe; the camera's ingest thread never waits for it.
 *
 * Threads: the tap runs on the camera's ingest thread; the transcoder's own
 * thread owns the codecs; demand/stop from any thread.
 */
#ifndef NVR_LIVE_TRANSCODE_H
#define NVR_LIVE_TRANSCODE_H

#include "base/err.h"

#include "live/live.h"

#define LIVE_TRANSCODE_MAX_WIDTH 640

struct live_transcode;

/* Starts the idle thread: source and out are borrowed and must outlive it. */
nvr_err live_transcode_start(struct live_transcode **out, const char *camera, struct live_hub *source,
                             struct live_hub *dest);

/* A viewer arrived: start transcoding if not running. */
void live_transcode_demand(struct live_transcode *t);

/* Stops and joins the thread (the destination hub's viewers are told the
 * stream ended); the struct stays, and live_transcode_demand does nothing
 * after.  Idempotent; tolerates NULL.  For a recorder retired while HTTP
 * threads may still hold its hubs. */
void live_transcode_join(struct live_transcode *t);

/* live_transcode_join, then frees; sets *t NULL; tolerates NULL. */
void live_transcode_stop(struct live_transcode **t);

#endif
