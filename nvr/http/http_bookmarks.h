/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_bookmarks.h - the bookmark routes (docs/ref/http-api.md): GET/POST
 * /api/v1/bookmarks, DELETE /api/v1/bookmarks/{id}.
 *
 * Threads: HTTP worker threads (libmicrohttpd), one request each; the
 * handlers keep no state of their own: what they share lives in struct nvr
 * (docs/design/overview.md, Threads).
 */
#ifndef NVR_HTTP_BOOKMARKS_H
#define NVR_HTTP_BOOKMARKS_H

#include "http/http_server.h"

http_result http_bookmarks_list(struct http_request *r, struct nvr *nvr);
http_result http_bookmarks_create(struct http_request *r, struct nvr *nvr);
http_result http_bookmarks_delete(struct http_request *r, struct nvr *nvr);

#endif
