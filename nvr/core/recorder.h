/* SPDX-License-Identifier: Apache-2.0 */
/*
 * recorder.h - records one camera, forever: connect, stream, segment, index,
 * and on any failure reconnect with capped exponential backoff and jitter.
 *
 * Each recorder runs two threads: the ingest thread (network: ingest.h) and
 * the writer thread (disk: timemap.h + storage.h), joined by a bounded
 * packet_queue.  One camera's failure or slow disk never stalls another's.
 */
#ifndef NVR_RECORDER_H
#define NVR_RECORDER_H

#include "base/err.h"
#include "base/config.h"
#include "live/live.h"
#include "live/snapshot.h"
#include "storage/storage.h"

#include <stdint.h>

struct recorder;

enum recorder_status { REC_CONNECTING = 0, REC_RECORDING, REC_OFFLINE, REC_DISABLED };

struct recorder_stats {
    enum recorder_status status;
    char last_error[256];    /* "" if none; never holds credentials */
    uint64_t bytes_received; /* payload bytes from the camera */
    uint64_t frames;         /* video frames received */
    uint64_t reconnects;     /* sessions that ended */
    uint64_t dropped;        /* packets dropped (queue full, waiting for keyframe) */
    uint64_t segments;       /* segments finished */
    char codec[16];          /* "h264", "hevc", "" before the first connection */
    char audio[48];          /* the last connection's audio: "aac", "g711 -> flac",
                              * "none", "off", "unsupported: NAME" (ingest.h
                              * audio_status); "" before the first connection */
    int width, height;
    double fps;                 /* from the last frame interval, 0 if unknown */
    uint64_t fragment_writes;   /* fragments written (write + fdatasync + index) */
    uint64_t fragment_write_us; /* total time they took */
    uint64_t fragment_write_max_us;
    int write_ok;             /* 0 while the last segment begin/write/cut/finish failed */
    char write_error[256];    /* why, "" when write_ok */
    int timestamps_arrival;   /* 1 while the camera's timestamps are chaotic and its
                               * video is timed by arrival (docs/design/time.md, T7) */
    uint64_t timestamp_jumps; /* camera timestamp discontinuities seen */
};

struct motion_pool;

/* Starts recording cam (borrowed: must outlive the recorder) into st, with
 * motion detection on motion (borrowed; NULL: none) when cam has it on:
 * recorder_create, then recorder_run. */
nvr_err recorder_start(struct recorder **out, const struct nvr_camera_config *cam, struct storage *st,
                       struct motion_pool *motion);

/* The recorder with its hubs (live viewers may open them: they wait for a
 * picture) but no thread that reads the camera or writes: for a camera whose
 * old recorder must stop first (cameras_replace).  recorder_stop frees it. */
nvr_err recorder_create(struct recorder **out, const struct nvr_camera_config *cam, struct storage *st,
                        struct motion_pool *motion);

/* Starts the threads of a created recorder (the camera's reader, the
 * writer, the ONVIF events).  On failure what started runs on: recorder_join
 * or recorder_stop stops it. */
nvr_err recorder_run(struct recorder *r);

/* Asks the recorder to stop, without waiting. */
void recorder_request_stop(struct recorder *r);

/* Stops (finishing the open segment) and joins the threads, the sub
 * stream's and the H.264 rendition's too (their viewers, like the main
 * hub's, are told the stream ended, and nothing starts them again), but
 * keeps r and its hubs readable until recorder_stop: for a camera removed or
 * restarted while the server runs, whose recorder other threads may still be
 * looking at. */
void recorder_join(struct recorder *r);

/* Stops (finishing the open segment), joins the threads and frees *r;
 * sets *r NULL; tolerates NULL. */
void recorder_stop(struct recorder **r);

/* A consistent snapshot of the recorder's state, from any thread. */
void recorder_get_stats(struct recorder *r, struct recorder_stats *out);

/* The live hub of the camera's main stream (sub = 0), fed by the ingest
 * thread, or of its sub stream (sub = 1): asking for that one starts the
 * on-demand sub ingest (live_sub.h); without sub_url it is the main hub.
 * Borrowed; lives as long as r. */
struct live_hub *recorder_live(struct recorder *r, int sub);

/* The hub of the sub stream if the camera has one (no ingest is started),
 * else NULL.  For metrics. */
struct live_hub *recorder_live_sub(struct recorder *r);

/* The hub of the H.264 rendition of an H.265 camera (live_transcode.h),
 * created on first use.  With demand, the transcoder is started if idle;
 * without, NULL if it was never created (for metrics).  Borrowed. */
struct live_hub *recorder_live_h264(struct recorder *r, int demand);

/* The camera's snapshot cache (borrowed; lives as long as r). */
struct snapshot_cache *recorder_snapshots(struct recorder *r);

/* "connecting", "recording", "offline", "disabled". */
const char *recorder_status_name(enum recorder_status s);

#endif
