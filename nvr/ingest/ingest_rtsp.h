/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest_rtsp.h - ingest.h implemented with the project's own RTSP reader
 * (nvr/ingest/rtsp_client.c, nvr/media/sdp.c, nvr/media/rtp_depack.c): RTP interleaved in the
 * RTSP connection (TCP, TLS or an HTTP tunnel), or over UDP.
 * nvr/ingest/ingest.c dispatches to it; the functions mean what their ingest_*
 * counterparts in ingest.h say.
 *
 * Threads: an ingest_rtsp is used by one thread.
 */
#ifndef NVR_INGEST_RTSP_H
#define NVR_INGEST_RTSP_H

#include "base/err.h"

#include "ingest/ingest.h"

struct ingest_rtsp;

/* o is borrowed for the ingest's lifetime; udp: RTP over UDP instead of
 * interleaved (o->transport is not looked at for that).  Besides ingest.h's
 * errors, NVR_EIO means the camera refused the transport or spoke malformed
 * RTSP: another transport or implementation may do better. */
nvr_err ingest_rtsp_open(struct ingest_rtsp **out, const struct ingest_opts *o, int udp, char *why, size_t whylen);
const struct ingest_info *ingest_rtsp_get_info(const struct ingest_rtsp *in);
nvr_err ingest_rtsp_read(struct ingest_rtsp *in, AVPacket *pkt, struct ingest_meta *meta, char *why, size_t whylen);
uint64_t ingest_rtsp_bytes(const struct ingest_rtsp *in);
void ingest_rtsp_close(struct ingest_rtsp **in);

#endif
