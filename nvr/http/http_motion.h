/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_motion.h - GET /api/v1/cameras/{id}/motion?start=T&end=T[&region=x0,y0,x1,y1]
 * (docs/ref/http-api.md "motion", docs/design/motion.md "Search").
 */
#ifndef NVR_HTTP_MOTION_H
#define NVR_HTTP_MOTION_H

#include "http/http_server.h"

http_result http_motion_search(struct http_request *r, struct nvr *nvr);

#endif
