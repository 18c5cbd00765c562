/* SPDX-License-Identifier: Apache-2.0 */
/*
 * live_api.h - the live view and snapshot routes (docs/ref/http-api.md):
 *   GET /api/v1/cameras/{id}/live.mp4[?stream=main|sub][&codec=h264]
 *   GET /api/v1/cameras/{id}/snapshot.jpg[?time=T][&width=N]
 *   GET /api/v1/live/mux?cameras=ID,ID,...[&stream=main|sub][&codec=h264]
 *       (several cameras' live.mp4 framed into one body: live/live_mux.h)
 *
 * Threads: HTTP worker threads (libmicrohttpd), one request each; the
 * handlers keep no state of their own: what they share lives in struct nvr
 * (docs/design/overview.md, Threads).  A live body is read on libmicrohttpd's
 * threads and woken (http_stream_wake) from the hubs' producer threads
 * (live/live.h); a snapshot is decoded on the thread that asked
 * (live/snapshot.h).
 */
#ifndef NVR_LIVE_API_H
#define NVR_LIVE_API_H

#include "http/http_server.h"

http_result live_api_live(struct http_request *r, struct nvr *nvr);
http_result live_api_snapshot(struct http_request *r, struct nvr *nvr);
http_result live_api_mux(struct http_request *r, struct nvr *nvr);

#define LIVE_API_MUX_TYPE "application/vnd.nvr.live-mux"

#endif
