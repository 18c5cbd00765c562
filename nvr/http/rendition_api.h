/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rendition_api.h - the playback rendition route (docs/ref/http-api.md):
 *   GET /api/v1/cameras/{id}/playback.mp4?start=T&end=T[&codec=h264][&width=N]
 * an MSE-playable fragmented MP4 of H.264 made from the stored footage
 * (rendition.h), for browsers that cannot decode the camera's codec.
 *
 * Threads: HTTP worker threads (libmicrohttpd), one request each; the
 * handlers keep no state of their own: what they share lives in struct nvr
 * (docs/design/overview.md, Threads).  The rendition runs on a detached
 * thread of its own (playback/rendition.h), started by the body's attach hook
 * and cancelled by its free hook.
 */
#ifndef NVR_RENDITION_API_H
#define NVR_RENDITION_API_H

#include "http/http_server.h"

http_result rendition_api_playback(struct http_request *r, struct nvr *nvr);

#endif
