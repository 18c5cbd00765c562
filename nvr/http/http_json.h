/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_json.h - reading JSON request bodies (jansson) with errors that name
 * the field, for the handlers of POST/PUT routes.
 *
 * Threads: http_json_body on the HTTP worker thread (libmicrohttpd) of its
 * request; http_json_text and http_json_time any.  No state.
 */
#ifndef NVR_HTTP_JSON_H
#define NVR_HTTP_JSON_H

#include "http/http_server.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Parses the body as a JSON object.  On failure answers 400 itself and
 * returns NULL with *ret set to the reply's result.  The caller owns the
 * object (json_decref). */
json_t *http_json_body(struct http_request *r, http_result *ret);

/* A string member into dst (n bytes).  Absent: "" unless required.  -1 with
 * a message in err when it is missing, not a string, too long, or (when
 * required) empty. */
int http_json_text(json_t *o, const char *key, int required, char *dst, size_t n, char *err, size_t errlen);

/* An RFC 3339 string member into *us; -1 with a message otherwise. */
int http_json_time(json_t *o, const char *key, int64_t *us, char *err, size_t errlen);

#endif
