/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_cameras.h - managing cameras over HTTP (admins): add, change,
 * disable, remove, and "test connection" before saving
 * (docs/ref/http-api.md, docs/design/cameras.md).
 */
#ifndef NVR_HTTP_CAMERAS_H
#define NVR_HTTP_CAMERAS_H

#include "http/http_server.h"

http_result http_cameras_create(struct http_request *r, struct nvr *nvr);
http_result http_cameras_update(struct http_request *r, struct nvr *nvr);
http_result http_cameras_delete(struct http_request *r, struct nvr *nvr);
http_result http_camera_test(struct http_request *r, struct nvr *nvr);

#endif
