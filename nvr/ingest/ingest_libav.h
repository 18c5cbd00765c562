/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest_libav.h - ingest.h implemented with libavformat's RTSP client
 * (TCP-interleaved or UDP transport).  nvr/ingest/ingest.c dispatches to it; the
 * functions mean what their ingest_* counterparts in ingest.h say.
 *
 * Threads: an ingest_libav is used by one thread.
 */
#ifndef NVR_INGEST_LIBAV_H
#define NVR_INGEST_LIBAV_H

#include "base/err.h"

#include "ingest/ingest.h"

struct ingest_libav;

/* transport: "tcp" or "udp" (no fallback here).  o is borrowed for the
 * ingest's lifetime. */
nvr_err ingest_libav_open(struct ingest_libav **out, const struct ingest_opts *o, const char *transport, char *why,
                          size_t whylen);
const struct ingest_info *ingest_libav_get_info(const struct ingest_libav *in);
nvr_err ingest_libav_read(struct ingest_libav *in, AVPacket *pkt, struct ingest_meta *meta, char *why, size_t whylen);
uint64_t ingest_libav_bytes(const struct ingest_libav *in);
void ingest_libav_close(struct ingest_libav **in);

#endif
