/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_exports.h - the export routes (docs/ref/http-api.md):
 *   POST /api/v1/exports               queue an export -> 202 {"id":...}
 *   GET  /api/v1/exports               every job, newest first
 *   GET  /api/v1/exports/{id}          status, progress, error, size
 *   GET  /api/v1/exports/{id}/download the zip (Range supported)
 *   GET  /api/v1/exports/{id}/videos   its MP4s: camera, part, first frame, end
 *   GET  /api/v1/exports/{id}/video?camera=ID[&part=N]  one MP4, played from
 *                                      inside the zip (Range supported)
 *   POST /api/v1/exports/{id}/redact   queue a redacted copy of it (body: the
 *                                      redactions document; ?request=, ?requester=)
 *                                      -> 202, a job like an export
 *
 * Threads: HTTP worker threads (libmicrohttpd), one request each; the
 * handlers keep no state of their own: what they share lives in struct nvr
 * (docs/design/overview.md, Threads).  Exports run on the export worker: the
 * handlers queue and read jobs under its mutex (export_jobs.h) and serve a
 * finished zip themselves.
 */
#ifndef NVR_HTTP_EXPORTS_H
#define NVR_HTTP_EXPORTS_H

#include "http/http_server.h"

http_result http_exports_create(struct http_request *r, struct nvr *nvr);
http_result http_exports_list(struct http_request *r, struct nvr *nvr);
http_result http_exports_get(struct http_request *r, struct nvr *nvr);
http_result http_exports_download(struct http_request *r, struct nvr *nvr);
http_result http_exports_videos(struct http_request *r, struct nvr *nvr);
http_result http_exports_video(struct http_request *r, struct nvr *nvr);
http_result http_exports_redact(struct http_request *r, struct nvr *nvr);

#endif
