/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_api.h - the routes of /api/v1 and /metrics (docs/ref/http-api.md).
 *
 * Threads: HTTP worker threads (libmicrohttpd), one request each; the
 * handlers keep no state of their own: what they share lives in struct nvr
 * (docs/design/overview.md, Threads).  http_api_routes returns a constant
 * table (read by the main thread at start-up and by `nvr routes`).
 */
#ifndef NVR_HTTP_API_H
#define NVR_HTTP_API_H

#include "http/http_server.h"

/* The route table (static), *n set to its length. */
const struct http_route *http_api_routes(size_t *n);

/* Reads ?start= and ?end= (RFC 3339) into from and to.  When not required,
 * a missing one defaults to 24 h from the other (or the last 24 h).  On a
 * missing (when required) or bad value, end not after start, or a range
 * longer than max_us it answers 400 itself and returns the answer's result;
 * else it answers nothing and returns HTTP_PASS. */
http_result http_api_time_range(struct http_request *r, int required, int64_t max_us, int64_t *from, int64_t *to);

/* Longest range a playback playlist may cover. */
#define HTTP_API_MAX_PLAYLIST_US (25LL * 3600 * 1000000)
/* Longest range a recordings query may cover. */
#define HTTP_API_MAX_RECORDINGS_US (31LL * 86400 * 1000000)

#endif
