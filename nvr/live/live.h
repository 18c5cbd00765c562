/* SPDX-License-Identifier: Apache-2.0 */
/*
 * live.h - the live fan-out hub of one camera stream: the recorder's own
 * packets, muxed once into per-frame fMP4 fragments, shared by every viewer.
 *
 * One producer (the thread that reads the camera: the recorder's ingest
 * thread for the main stream, live_sub's thread for the sub stream) hands
 * every video packet to live_hub_packet.  That is cheap when nobody watches:
 * the hub keeps references to the packets since the last keyframe (the
 * buffers libavformat already allocated) and the last keyframe for
 * snapshots.  While viewers are connected (and 10 s after the last leaves)
 * the hub is "active": it runs libavformat's mp4 muxer and turns each frame
 * into one moof+mdat fragment (a refcounted chunk), preceded by a `prft` box
 * carrying the camera's wall clock (RTCP) for that frame.  A frame is muxed
 * when the next one arrives (its duration is the pts difference), so the hub
 * adds one frame interval of latency.
 *
 * A viewer is a cursor: a queue of chunk references.  A new viewer gets the
 * init segment (ftyp+moov) and every chunk since the most recent keyframe, so
 * a picture shows at once.  Its backlog is bounded (LIVE_VIEWER_MAX_BYTES,
 * and LIVE_MAX_LAG_US of media or two GOPs, whichever is longer; the kernel's
 * send buffer of a live connection is capped at HTTP_STREAM_SNDBUF so that
 * the lag shows here rather than in megabytes of socket buffer):
 * one that falls behind drops its queue and resumes at the next keyframe (a
 * jump in the timeline), and libmicrohttpd closes a connection that accepts
 * nothing for 60 s.  The producer never waits for a viewer.
 *
 * When the camera's codec parameters change, or its session ends, every
 * viewer's body ends (after what was queued): clients reconnect and get the
 * new init segment.  The media timeline of a stream starts at 0 at the
 * keyframe where the hub became active, and continues while it stays active.
 *
 * Threads: live_hub_packet/live_hub_session_end from one producer thread at
 * a time; everything else from any thread.  One mutex per hub guards all.
 */
#ifndef NVR_LIVE_H
#define NVR_LIVE_H

#include "base/err.h"

#include "ingest/ingest.h"

#include <libavcodec/avcodec.h>
#include <stdint.h>

#define LIVE_VIEWER_MAX_BYTES (8u << 20) /* backlog after which a viewer skips ahead */
#define LIVE_MAX_LAG_US (4 * 1000000LL)  /* ... or this much media (2 GOPs if longer) */
#define LIVE_IDLE_US (10 * 1000000LL)    /* active this long after the last viewer */

struct live_hub;

/* A hub for camera (borrowed, for logs) and stream ("main", "sub"). */
nvr_err live_hub_create(struct live_hub **out, const char *camera, const char *stream);

/* Frees the hub; no viewer may remain (stop the HTTP server first).  Sets
 * *h NULL; tolerates NULL. */
void live_hub_destroy(struct live_hub **h);

/* ---- producer ---- */

/* One packet of the camera (borrowed; the hub takes its own reference).
 * Only video (stream_index 0) is used.  meta->new_params (or a first packet)
 * takes info->video as the stream's parameters. */
void live_hub_packet(struct live_hub *h, const AVPacket *pkt, const struct ingest_meta *meta,
                     const struct ingest_info *info);

/* The camera session ended: viewers' bodies end, the hub waits for new
 * parameters.  The last keyframe is kept for snapshots. */
void live_hub_session_end(struct live_hub *h);

/* A packet tap: fn(cls, pkt, meta, par, tb) runs for every video packet the
 * producer hands in (after the parameters are taken), on the producer's
 * thread, under the hub's lock: it must only copy and queue (live_transcode
 * does).  par/tb are the stream's current parameters (borrowed for the
 * call).  Setting a tap first replays the packets since the last keyframe
 * (their meta carries only recv_us = the frame's camera time).  NULL fn
 * removes the tap; once this returns, fn is not running. */
typedef void (*live_tap_fn)(void *cls, const AVPacket *pkt, const struct ingest_meta *meta,
                            const AVCodecParameters *par, AVRational tb);
void live_hub_set_tap(struct live_hub *h, live_tap_fn fn, void *cls);

/* ---- consumers ---- */

/* A viewer is a cursor that a transport drives; the hub knows no HTTP type
 * (http/live_api.c serves a viewer as the endless live.mp4 body):
 *   live_viewer_open -> the transport's answer exists -> live_viewer_attach
 *   -> live_viewer_read whenever woken -> live_viewer_close, exactly once.
 * wake(cls) runs under the hub's lock, on the producer's thread, whenever
 * data arrives or the body ends: it must only signal (http_stream_wake). */
struct live_viewer;
typedef void (*live_wake_fn)(void *cls);

/* A new viewer of h.  With wait, a hub without a picture yet keeps the
 * viewer until it has one; without, NVR_ENOTFOUND ("no picture yet").
 * NVR_ENOMEM.  The viewer receives nothing until attached. */
nvr_err live_viewer_open(struct live_hub *h, int wait, struct live_viewer **out);

/* Queues the init segment and the chunks since the keyframe, and from now on
 * calls wake(wake_cls) when there is more to read. */
void live_viewer_attach(struct live_viewer *v, live_wake_fn wake, void *wake_cls);

/* Copies up to max queued bytes into buf: the count, 0 when nothing is
 * queued yet (wait for wake), -1 when the body has ended. */
long live_viewer_read(struct live_viewer *v, char *buf, size_t max);

/* Chunk-wise reading, for a transport that frames each chunk (live_mux.h):
 * takes the next queued chunk out of v's queue whole.  1 and *out set (a
 * reference the caller drops with live_chunk_unref; it no longer counts in
 * v's backlog), 0 when nothing is queued (wait for wake), -1 when the body
 * has ended.  A viewer is read either this way or with live_viewer_read,
 * never both. */
struct live_chunk;
int live_viewer_take(struct live_viewer *v, struct live_chunk **out);

enum live_chunk_kind {
    LIVE_CHUNK_INIT,  /* the init segment (ftyp+moov) */
    LIVE_CHUNK_KEY,   /* one keyframe's fragment (prft+moof+mdat) */
    LIVE_CHUNK_FRAME, /* one other frame's fragment */
};

/* The bytes of c (borrowed while the caller holds its reference), their
 * count in *len, and what they are in *kind. */
const uint8_t *live_chunk_data(const struct live_chunk *c, size_t *len, enum live_chunk_kind *kind);

/* Drops a reference from live_viewer_take; tolerates NULL. */
void live_chunk_unref(struct live_chunk *c);

/* Unregisters and frees the viewer (v is invalid afterwards). */
void live_viewer_close(struct live_viewer *v);

/* Viewers connected now. */
int live_hub_viewers(struct live_hub *h);

/* 1 while the hub has viewers, a tap, or its muxer running (up to
 * LIVE_IDLE_US after the last viewer left): its producer should then read
 * the camera promptly (ingest_opts.relaxed).  Lock-free, for the producer's
 * per-frame check; may lag a change by that change's own lock. */
int live_hub_hot(const struct live_hub *h);

/* Monotonic us since which the hub has had no viewer; 0 while it has one. */
int64_t live_hub_idle_since(struct live_hub *h);

/* The MSE type of the stream ("video/mp4; codecs=\"avc1.64001f\"") into buf,
 * "" when the parameters are not known.  Also its size when known. */
void live_hub_mime(struct live_hub *h, char *buf, size_t n);

/* The newest keyframe: *pkt and *par are new references/copies the caller
 * frees (av_packet_free, avcodec_parameters_free); *seq grows by one with
 * every keyframe.  NVR_ENOTFOUND if the hub has seen none. */
nvr_err live_hub_keyframe(struct live_hub *h, AVPacket **pkt, AVCodecParameters **par, uint64_t *seq);

/* Sequence number of the newest keyframe (0: none yet), without copying. */
uint64_t live_hub_keyframe_seq(struct live_hub *h);

#endif
