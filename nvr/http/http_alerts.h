/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_alerts.h - the alert routes (docs/ref/http-api.md, "Alerts"):
 * GET /api/v1/alerts, POST /api/v1/alerts/{id}/ack, POST /api/v1/alerts/test.
 */
#ifndef NVR_HTTP_ALERTS_H
#define NVR_HTTP_ALERTS_H

#include "http/http_server.h"

http_result http_alerts_list(struct http_request *r, struct nvr *nvr);
http_result http_alerts_ack(struct http_request *r, struct nvr *nvr);
http_result http_alerts_test(struct http_request *r, struct nvr *nvr);

#endif
