/*
 * http_api.h - the routes of /api/v1 and /metrics (docs/ref/http-api.md).
 */
#ifndef NVR_HTTP_API_H
#define NVR_HTTP_API_H

#include "nvr/http_server.h"

/* The route table (static), *n set to its length. */
const struct http_route *http_api_routes(size_t *n);

/* Longest range a playback playlist may cover. */
#define HTTP_API_MAX_PLAYLIST_US (25LL * 3600 * 1000000)
/* Longest range a recordings query may cover. */
#define HTTP_API_MAX_RECORDINGS_US (31LL * 86400 * 1000000)

#endif
