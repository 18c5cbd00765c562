/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_discover.h - POST /api/v1/discover: WS-Discovery of the cameras on
 * the local network (wsdiscovery.h), for the camera page's "Find cameras".
 *
 * Threads: HTTP worker threads (libmicrohttpd), one request each; the
 * handlers keep no state of their own: what they share lives in struct nvr
 * (docs/design/overview.md, Threads).  The probe runs on a thread of its own
 * (http_reply_later), which owns its copy of the request.
 */
#ifndef NVR_HTTP_DISCOVER_H
#define NVR_HTTP_DISCOVER_H

#include "http/http_server.h"

/* Body (optional members): {"timeout": seconds (0.1..10, default 3),
 * "target": "IP:PORT" (a unicast probe, else multicast on the local link)}.
 * Answers {"devices":[...]} as `nvr discover --json`. */
http_result http_discover(struct http_request *r, struct nvr *nvr);

#endif
