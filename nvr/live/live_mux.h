/* SPDX-License-Identifier: Apache-2.0 */
/*
 * live_mux.h - several cameras' live streams carried as one byte stream of
 * framed chunks (the body of GET /api/v1/live/mux, docs/ref/http-api.md and
 * docs/design/live.md "One connection for a grid"): a browser allows six
 * HTTP/1.1 connections per host, so a 16-tile grid cannot hold 16 endless
 * live.mp4 bodies, but it can hold one of these.
 *
 * The stream is a sequence of frames, each an 8-byte header and a payload:
 *
 *   byte 0    kind: 'I' init segment (ftyp+moov), 'F' one frame's fragment
 *             (prft+moof+mdat, the bytes live.mp4 carries), 'S' status
 *             (a UTF-8 JSON object)
 *   byte 1    the camera's index in the request's list (0-based);
 *             LIVE_MUX_STREAM for a status of the whole stream
 *   byte 2    flags: bit 0 (LIVE_MUX_KEY) on an 'F' holding a keyframe
 *   byte 3    0
 *   bytes 4-7 payload length, unsigned 32-bit big-endian
 *
 * The first frame is the stream's status {"version":1,"cameras":[ids]}.
 * Before each camera's init segment comes its status {"camera","state":"live",
 * "mime"}; an 'I' for a camera that already had one starts a new timeline
 * (the client resets that camera's decoder).  When a camera's stream ends
 * (camera reconnect, new parameters) its status {"state":"ended"} is sent,
 * the mux opens a new viewer of its hub at once, and the next init segment
 * follows when the camera has a picture again; the body itself does not end.
 * A camera whose hub cannot be had gets {"state":"unavailable","reason"}.
 *
 * Each camera is an ordinary live hub viewer (live.h), so the hub's
 * per-viewer bound and drop policy apply to each camera separately: a
 * reader too slow for the sum drops each camera's backlog and resumes it at
 * its next keyframe; the producers never wait.  Chunks are taken whole from
 * the viewers in turn (round robin, one chunk per camera per turn), so one
 * busy camera cannot starve the others.  The mux holds at most one chunk
 * reference of its own (the frame being copied out).
 *
 * Threads: create, attach, read and close from the transport's threads, one
 * call at a time (libmicrohttpd calls a body's reader from one thread at a
 * time); the wake function runs on producers' threads under a hub's lock
 * and must only signal, as for live_viewer_attach.
 */
#ifndef NVR_LIVE_MUX_H
#define NVR_LIVE_MUX_H

#include "base/err.h"
#include "live/live.h"

#include <stddef.h>

#define LIVE_MUX_MAX_CAMERAS 16 /* cameras per stream: the largest grid */
#define LIVE_MUX_HEADER 8       /* bytes of a frame header */
#define LIVE_MUX_STREAM 255     /* index byte of the stream's own status */
#define LIVE_MUX_KEY 1          /* flags bit of a keyframe fragment */

struct live_mux;

/* The hub camera i is to be watched on, NULL if there is none (then a
 * reason in why, NUL-terminated, at most whylen bytes).  Called by
 * live_mux_create for every camera and again whenever a camera's stream
 * ended, from the caller's or the reader's thread, holding no lock. */
typedef struct live_hub *(*live_mux_source_fn)(void *cls, size_t i, char *why, size_t whylen);

/* A mux of n (1..LIVE_MUX_MAX_CAMERAS) cameras: ids[i] (copied; at most 63
 * bytes, JSON-safe or not: they are escaped) is watched on src(src_cls, i).
 * Opens one viewer per camera (waiting for a picture).  src_cls is borrowed
 * and must outlive the mux.  NVR_EINVAL (bad n), NVR_ENOMEM. */
nvr_err live_mux_create(struct live_mux **out, size_t n, const char *const ids[], live_mux_source_fn src,
                        void *src_cls);

/* The transport's answer exists: from now on wake(wake_cls) is called when
 * there is more to read (live_viewer_attach, for every camera). */
void live_mux_attach(struct live_mux *m, live_wake_fn wake, void *wake_cls);

/* Copies up to max bytes of frames into buf: the count, 0 when nothing is
 * ready (wait for wake).  The stream never ends by itself. */
long live_mux_read(struct live_mux *m, char *buf, size_t max);

/* Closes every viewer and frees the mux; sets *m NULL; tolerates NULL. */
void live_mux_close(struct live_mux **m);

#endif
