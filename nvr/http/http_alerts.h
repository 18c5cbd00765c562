/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_alerts.h - the alert routes (docs/ref/http-api.md, "Alerts"):
 * GET /api/v1/alerts, POST /api/v1/alerts/{id}/ack, POST /api/v1/alerts/test.
 *
 * Threads: HTTP worker threads (libmicrohttpd), one request each; the
 * handlers keep no state of their own: what they share lives in struct nvr
 * (docs/design/overview.md, Threads).  The test alert is sent from a thread
 * of its own (http_reply_later).
 */
#ifndef NVR_HTTP_ALERTS_H
#define NVR_HTTP_ALERTS_H

#include "http/http_server.h"

http_result http_alerts_list(struct http_request *r, struct nvr *nvr);
http_result http_alerts_ack(struct http_request *r, struct nvr *nvr);
http_result http_alerts_test(struct http_request *r, struct nvr *nvr);

#endif
