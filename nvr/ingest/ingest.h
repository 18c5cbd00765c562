/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest.h - pulls one camera's RTSP stream: timestamped packets out, codec
 * parameters beside them.
 *
 * This is the narrow interface the recorder depends on.  Two implementations
 * sit behind it (ingest.c picks one per connection, see there and
 * docs/design/ingest.md): the project's own RTSP reader for TCP-interleaved
 * streams, over TLS (rtsps://) or an HTTP tunnel too, and RTP over UDP
 * (ingest_rtsp.c), and libavformat's RTSP client as the fallback
 * (ingest_libav.c).  Tracks are renumbered: track 0 is the
 * video (H.264 or H.265), track 1 the audio (only if asked for: AAC from
 * the camera as it is, G.711 transcoded to FLAC, losslessly, here in
 * ingest.c with audio_transcode.h).  Every other stream is dropped with one log line;
 * an audio codec that cannot be recorded is logged at WARN once per
 * connection and shown in ingest_info.audio_status.
 *
 * Blocking calls return within `timeout_us` of the camera going silent, or
 * promptly (within 0.1 s) once *stop becomes non-zero.
 *
 * Threads: an ingest is used by one thread (the camera's ingest thread).
 */
#ifndef NVR_INGEST_H
#define NVR_INGEST_H

#include "base/err.h"

#include "base/config.h"

#include <libavcodec/avcodec.h>
#include <stdatomic.h>
#include <stdint.h>

struct ingest;

struct ingest_opts {
    const char *camera;           /* for log lines; borrowed */
    const char *url;              /* may carry user:password; never logged */
    enum nvr_transport transport; /* auto tries TCP, then UDP; http tunnels */
    int audio;                    /* keep the audio (AAC, or G.711 as FLAC) */
    int64_t timeout_us;           /* connect and read timeout: silence after
                                   * which the stream counts as lost */
    const atomic_int *stop;       /* non-zero: give up at once */
    /* 1 while nothing needs this stream's frames promptly (nobody watches
     * it live, its timestamps are not taken from arrival times): the own
     * reader then lets up to 0.4 s of it gather in the kernel before it
     * wakes, instead of 0.1 s (rtsp_client_set_pace).  Called on the reading
     * thread about once per frame; must be cheap and never block.  NULL:
     * always prompt. */
    int (*relaxed)(void *cls);
    void *relaxed_cls;
};

struct ingest_info {
    const AVCodecParameters *video; /* current video parameters (borrowed) */
    AVRational video_tb;
    const AVCodecParameters *audio; /* NULL without audio */
    AVRational audio_tb;
    const char *transport;         /* how RTSP travels: "tcp", "tls" (rtsps://),
                                    * "http" or "https" (tunnelled) with the
                                    * own reader; "tcp", "udp" or "http" with
                                    * libavformat */
    const char *audio_status;      /* what happens to the camera's audio:
                                    * "aac", "g711 -> flac", "none" (no audio
                                    * track), "off" (audio = off), or
                                    * "unsupported: NAME" (NAME is the codec) */
    const char *audio_unsupported; /* set by the implementations: the codec
                                    * name of an audio track that cannot be
                                    * recorded (audio on), else NULL */
};

struct ingest_meta {
    int64_t recv_us;        /* CLOCK_REALTIME when the packet arrived (was
                             * read from the socket: the project's reader
                             * batches reads, up to 0.1 s, or 0.4 s at the
                             * relaxed pace, which it takes only once the
                             * camera's RTCP clock is known) */
    int64_t rtcp_origin_us; /* camera wall clock at media time 0 from RTCP,
                             * INT64_MIN until a sender report was seen */
    int new_params;         /* the video parameters changed with this
                             * keyframe (or became known): ingest_info has them */
    int pts_guessed;        /* the reader had no timestamp for this frame and
                             * placed it one frame before the next (libavformat's
                             * first packet); with B-frames that guess is wrong */
};

/* Connects (OPTIONS/DESCRIBE/SETUP/PLAY).  On failure returns an nvr_err
 * (NVR_EAUTH for 401/403, NVR_ECONN, NVR_ETIMEDOUT, NVR_ECODEC, NVR_ESTOPPED)
 * and writes a one-line reason, without credentials, into why. */
nvr_err ingest_open(struct ingest **out, const struct ingest_opts *o, char *why, size_t whylen);

/* Current stream description (borrowed; valid until the next ingest_read). */
const struct ingest_info *ingest_get_info(const struct ingest *in);

/* Reads the next packet into pkt (which the caller owns and unrefs):
 * stream_index is the track, pts and dts in the track's time base, flags has
 * AV_PKT_FLAG_KEY for video keyframes.  Video comes in decode order with a
 * strictly increasing dts (within a run: a timestamp jump shows in both);
 * pts is the camera's presentation time, dts <= pts, equal without B-frames
 * (dts_gen.h).  Audio has dts = pts.  Video packets before the parameters
 * are known are skipped.  Returns NVR_OK or an error as for ingest_open. */
nvr_err ingest_read(struct ingest *in, AVPacket *pkt, struct ingest_meta *meta, char *why, size_t whylen);

/* Payload bytes received so far. */
uint64_t ingest_bytes(const struct ingest *in);

/* Sends TEARDOWN and frees; sets *in NULL; tolerates NULL. */
void ingest_close(struct ingest **in);

#endif
