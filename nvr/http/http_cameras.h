/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_cameras.h - managing cameras over HTTP (admins): add, change,
 * disable, remove, and "test connection" before saving
 * (docs/ref/http-api.md, docs/design/cameras.md).
 *
 * Threads: HTTP worker threads (libmicrohttpd), one request each; the
 * handlers keep no state of their own: what they share lives in struct nvr
 * (docs/design/overview.md, Threads).  A change goes through the camera set's
 * mutex (cameras.h); a connection test runs on a thread of its own
 * (http_reply_later), which owns its copy of the request.
 */
#ifndef NVR_HTTP_CAMERAS_H
#define NVR_HTTP_CAMERAS_H

#include "http/http_server.h"

http_result http_cameras_create(struct http_request *r, struct nvr *nvr);
http_result http_cameras_update(struct http_request *r, struct nvr *nvr);
http_result http_cameras_delete(struct http_request *r, struct nvr *nvr);
http_result http_camera_test(struct http_request *r, struct nvr *nvr);

#endif
