/* SPDX-License-Identifier: Apache-2.0 */
/*
 * live_api.h - the live view and snapshot routes (docs/ref/http-api.md):
 *   GET /api/v1/cameras/{id}/live.mp4[?stream=main|sub][&codec=h264]
 *   GET /api/v1/cameras/{id}/snapshot.jpg[?time=T][&width=N]
 *   GET /api/v1/live/mux?cameras=ID,ID,...[&stream=main|sub][&codec=h264]
 *       (several cameras' live.mp4 framed into one body: live/live_mux.h)
 */
#ifndef NVR_LIVE_API_H
#define NVR_LIVE_API_H

#include "http/http_server.h"

http_result live_api_live(struct http_request *r, struct nvr *nvr);
http_result live_api_snapshot(struct http_request *r, struct nvr *nvr);
http_result live_api_mux(struct http_request *r, struct nvr *nvr);

#define LIVE_API_MUX_TYPE "application/vnd.nvr.live-mux"

#endif
