/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_static.h - static files of the browser UI, served from web_dir at "/".
 *
 * Only paths made of plain names ([A-Za-z0-9._-], not starting with a dot)
 * are served, only regular files, and only when the file, symlinks resolved,
 * lies inside web_dir.  A path ending in "/" serves that directory's
 * index.html.  Answers carry a content type from the extension, an ETag
 * (If-None-Match answers 304), Range support and "Cache-Control: no-cache".
 * "/s/ID/PATH" is PATH, immutable for a year when ID is web_dir/build-id's;
 * FILE.br / FILE.gz copies are sent when Accept-Encoding allows (see
 * http_static.c and web/build_static.py).
 *
 * Threads: http_static_serve on HTTP worker threads (libmicrohttpd), one
 * request each; the others any.  No state: web_dir is the config's, constant
 * while the server runs.
 */
#ifndef NVR_HTTP_STATIC_H
#define NVR_HTTP_STATIC_H

#include "http/http_server.h"

/* Answers r with the file http_path(r) names under web_dir (borrowed), or a
 * 404 JSON error.  Returns the reply's result, like every handler. */
http_result http_static_serve(struct http_request *r, const char *web_dir);

/* 1 if the request path may be served (the checks above), else 0. */
int http_static_path_ok(const char *path);

/* The Content-Type for a file name, by its extension. */
const char *http_static_content_type(const char *path);

#endif
