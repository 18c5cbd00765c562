/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_onvif.h - POST /api/v1/onvif: what an ONVIF camera says about itself
 * (maker, model, firmware, serial, MAC, clock offset, main and sub stream
 * URIs), so the camera page can fill in a new camera from an address and
 * credentials.
 *
 * Threads: HTTP worker threads (libmicrohttpd), one request each; the
 * handlers keep no state of their own: what they share lives in struct nvr
 * (docs/design/overview.md, Threads).  The SOAP calls run on a thread of
 * their own (http_reply_later), which owns its copy of the request.
 */
#ifndef NVR_HTTP_ONVIF_H
#define NVR_HTTP_ONVIF_H

#include "http/http_server.h"

/* Body {"address": "host[:port]" or "http://host[:port]/path", "user",
 * "password"}; see docs/ref/http-api.md for the answer. */
http_result http_onvif_device(struct http_request *r, struct nvr *nvr);

#endif
