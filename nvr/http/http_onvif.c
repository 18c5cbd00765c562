/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_onvif.c - the ONVIF device route (see http_onvif.h).
 *
 * The body is checked on the HTTP thread; the SOAP calls (onvif.h: up to
 * four, each with its own timeout) run on a thread of their own while the
 * connection waits (http_reply_later).  Only the address the admin names is
 * contacted (onvif.c never follows the device elsewhere).  The answer never
 * holds the password: stream URIs are redacted in case a device embeds
 * credentials in them.
 *
 * Threads: HTTP threads; the query thread owns its struct onvif_req.
 */
#include "http/http_onvif.h"

#include "base/err.h"
#include "base/json.h"
#include "base/url.h"
#include "http/http_auth.h"
#include "http/http_json.h"
#include "onvif/onvif.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define ONVIF_CALL_TIMEOUT_MS 4000

struct onvif_req {
    char url[600];
    char user[128], password[128];
};

static void onvif_req_free(void *arg)
{
    sodium_memzero(arg, sizeof(struct onvif_req));
    free(arg);
}

static const char *failure_kind(int rc)
{
    switch (rc) {
    case NVR_EAUTH: return "unauthorized";
    case NVR_ECONN: return "unreachable";
    case NVR_ETIMEDOUT: return "timeout";
    case NVR_EINVAL: return "invalid_reply";
    default: return "error";
    }
}

static void write_text(FILE *f, const char *key, const char *v, int first)
{
    fprintf(f, "%s\"%s\":", first ? "" : ",", key);
    if (v[0])
        json_write_string(f, v);
    else
        fputs("null", f);
}

static void write_uri(FILE *f, const char *key, const char *uri)
{
    char shown[ONVIF_URI_MAX];
    nvr_url_redact(uri, shown, sizeof shown);
    write_text(f, key, shown, 0);
}

static void write_call(FILE *f, const char *key, int rc, int first)
{
    fprintf(f, "%s\"%s\":", first ? "" : ",", key);
    if (rc)
        json_write_string(f, failure_kind(rc));
    else
        fputs("null", f);
}

static unsigned onvif_work(void *arg, char **body, size_t *len)
{
    struct onvif_req *q = arg;
    struct onvif_client *c = NULL;
    struct onvif_info info;
    struct http_body b;
    memset(&info, 0, sizeof info);
    *body = NULL;
    int rc = onvif_client_create(&c, q->url, q->user, q->password, ONVIF_CALL_TIMEOUT_MS);
    if (rc == NVR_OK)
        rc = onvif_query(c, &info);
    onvif_client_destroy(&c);
    if (rc == NVR_OK && info.info_err && info.streams_err)
        rc = info.info_err; /* only the unauthenticated clock answered: the credentials were refused */
    if (http_body_open(&b))
        return 500;
    if (rc) {
        fputs("{\"ok\":false,\"failure\":", b.f);
        json_write_string(b.f, failure_kind(rc));
        fprintf(b.f, ",\"error\":\"%s\"}\n", nvr_strerror(rc));
    } else {
        fputs("{\"ok\":true,", b.f);
        write_text(b.f, "manufacturer", info.manufacturer, 1);
        write_text(b.f, "model", info.model, 0);
        write_text(b.f, "firmware", info.firmware, 0);
        write_text(b.f, "serial", info.serial, 0);
        write_text(b.f, "hardware_id", info.hardware_id, 0);
        write_text(b.f, "mac", info.mac, 0);
        write_uri(b.f, "main_uri", info.main_uri);
        write_uri(b.f, "sub_uri", info.sub_uri);
        fputs(",\"clock_offset_ms\":", b.f);
        if (info.time_err == 0)
            fprintf(b.f, "%lld", (long long)(info.clock_offset_us / 1000));
        else
            fputs("null", b.f);
        fputs(",\"calls\":{", b.f);
        write_call(b.f, "device_information", info.info_err, 1);
        write_call(b.f, "network_interfaces", info.net_err, 0);
        write_call(b.f, "stream_uris", info.streams_err, 0);
        write_call(b.f, "date_and_time", info.time_err, 0);
        fputs("}}\n", b.f);
    }
    if (fclose(b.f) != 0) {
        free(b.buf);
        return 500;
    }
    *body = b.buf;
    *len = b.len;
    return 200;
}

/* "host[:port]" -> "http://host[:port]/onvif/device_service"; an http(s)
 * URL is taken as it is.  -1 for anything else (credentials in the URL,
 * spaces, quotes, other schemes). */
static int device_url(const char *address, char *out, size_t n)
{
    if (!address[0] || strpbrk(address, " \t\"'\\<>@"))
        return -1;
    if (strncmp(address, "http://", 7) == 0 || strncmp(address, "https://", 8) == 0)
        return snprintf(out, n, "%s", address) < (int)n ? 0 : -1;
    if (strchr(address, '/') || strstr(address, "://"))
        return -1;
    return snprintf(out, n, "http://%s/onvif/device_service", address) < (int)n ? 0 : -1;
}

http_result http_onvif_device(struct http_request *r, struct nvr *nvr)
{
    char address[512], err[256];
    http_result ret;
    json_t *o = http_json_body(r, &ret);
    if (!o)
        return ret;
    struct onvif_req *q = calloc(1, sizeof *q);
    if (!q) {
        json_decref(o);
        return http_reply_error(r, 500, "out of memory");
    }
    if (http_json_text(o, "address", 1, address, sizeof address, err, sizeof err) ||
        http_json_text(o, "user", 0, q->user, sizeof q->user, err, sizeof err) ||
        http_json_text(o, "password", 0, q->password, sizeof q->password, err, sizeof err)) {
        json_decref(o);
        onvif_req_free(q);
        return http_reply_error(r, 400, "%s", err);
    }
    json_decref(o);
    if (device_url(address, q->url, sizeof q->url)) {
        onvif_req_free(q);
        return http_reply_error(r, 400,
                                "address must be host[:port] or the device service's http(s) URL, "
                                "without credentials (give user and password apart)");
    }
    http_auth_log(r, nvr, "camera_onvif_read", "", "address=%s", address);
    return http_reply_later(r, onvif_work, q, onvif_req_free);
}
