/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_motion.h - the motion routes (docs/ref/http-api.md "motion",
 * docs/design/motion.md "Search" and "Density"):
 *   GET /api/v1/cameras/{id}/motion?start=T&end=T[&region=x0,y0,x1,y1][&limit=N]
 *   GET /api/v1/motion?cameras=ID,ID,...&start=T&end=T[&region=...][&limit=N]
 *   GET /api/v1/cameras/{id}/motion/density?start=T&end=T[&buckets=N]
 *
 * Threads: HTTP worker threads (libmicrohttpd), one request each; the
 * handlers keep no state of their own: what they share lives in struct nvr
 * (docs/design/overview.md, Threads).  Searches read the index's reader
 * connection (motion_search.h).
 */
#ifndef NVR_HTTP_MOTION_H
#define NVR_HTTP_MOTION_H

#include "http/http_server.h"

#define MOTION_MAX_CAMERAS 16           /* cameras in one search */
#define MOTION_DENSITY_MAX_BUCKETS 2000 /* buckets of one density answer */

http_result http_motion_search(struct http_request *r, struct nvr *nvr);
http_result http_motion_search_many(struct http_request *r, struct nvr *nvr);
http_result http_motion_density(struct http_request *r, struct nvr *nvr);

#endif
