/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_holds.h - the routes for evidence holds and storage/retention status
 * (docs/ref/http-api.md): GET/POST /api/v1/holds, GET/DELETE
 * /api/v1/holds/{id}, GET /api/v1/storage.
 *
 * Threads: HTTP worker threads (libmicrohttpd), one request each; the
 * handlers keep no state of their own: what they share lives in struct nvr
 * (docs/design/overview.md, Threads).  http_storage_write_metrics runs in the
 * /metrics handler.
 */
#ifndef NVR_HTTP_HOLDS_H
#define NVR_HTTP_HOLDS_H

#include "http/http_server.h"

http_result http_holds_list(struct http_request *r, struct nvr *nvr);
http_result http_holds_create(struct http_request *r, struct nvr *nvr);
http_result http_holds_get(struct http_request *r, struct nvr *nvr);
http_result http_holds_release(struct http_request *r, struct nvr *nvr);
http_result http_storage_status(struct http_request *r, struct nvr *nvr);

/* Writes the storage/retention gauges and counters for /metrics. */
void http_storage_write_metrics(struct nvr *nvr, FILE *f);

#endif
