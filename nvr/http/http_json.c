/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_json.c - JSON request bodies (see http_json.h).
 */
#include "http/http_json.h"

#include "base/clock.h"

#include <stdio.h>

json_t *http_json_body(struct http_request *r, http_result *ret)
{
    size_t len;
    const char *body = http_body(r, &len);
    json_error_t jerr;
    json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!o) {
        *ret = http_reply_error(r, 400, "body is not JSON: %s (line %d)", jerr.text, jerr.line);
        return NULL;
    }
    if (!json_is_object(o)) {
        json_decref(o);
        *ret = http_reply_error(r, 400, "the body must be a JSON object");
        return NULL;
    }
    return o;
}

int http_json_text(json_t *o, const char *key, int required, char *dst, size_t n, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (!v) {
        if (required) {
            snprintf(err, errlen, "%s is required", key);
            return -1;
        }
        dst[0] = '\0';
        return 0;
    }
    if (!json_is_string(v)) {
        snprintf(err, errlen, "%s must be a string", key);
        return -1;
    }
    if (json_string_length(v) >= n) {
        snprintf(err, errlen, "%s is longer than %zu bytes", key, n - 1);
        return -1;
    }
    if (required && json_string_length(v) == 0) {
        snprintf(err, errlen, "%s must not be empty", key);
        return -1;
    }
    snprintf(dst, n, "%s", json_string_value(v));
    return 0;
}

int http_json_time(json_t *o, const char *key, int64_t *us, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v) || nvr_clock_parse_rfc3339(json_string_value(v), us)) {
        snprintf(err, errlen, "%s must be an RFC 3339 time, e.g. 2026-11-22T04:00:00Z", key);
        return -1;
    }
    return 0;
}
