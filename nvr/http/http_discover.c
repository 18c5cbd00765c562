/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_discover.c - the WS-Discovery route (see http_discover.h).
 *
 * The probe waits for answers for its whole timeout, so it runs on a thread
 * of its own while the connection waits (http_reply_later); the request is
 * checked and logged on the HTTP thread.  Only a fixed Probe message is
 * sent, to the local link's multicast group or to the one numeric address
 * an admin names.
 *
 * Threads: HTTP threads; the probe thread owns its struct discover.
 */
#include "http/http_discover.h"

#include "base/err.h"
#include "http/http_auth.h"
#include "http/http_json.h"
#include "audit/wsdiscovery.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define DISCOVER_MAX_S 10.0

struct discover {
    struct wsd_opts o;
    char target[64];
};

static void discover_free(void *arg)
{
    free(arg);
}

static unsigned discover_work(void *arg, char **body, size_t *len)
{
    struct discover *d = arg;
    struct wsd_match *m = NULL;
    size_t n = 0;
    struct http_body b;
    *body = NULL;
    int rc = wsd_probe(&d->o, &m, &n);
    if (http_body_open(&b)) {
        free(m);
        return 500;
    }
    unsigned status = 200;
    if (rc) {
        fprintf(b.f, "{\"error\":\"cannot send the WS-Discovery probe: %s\"}\n", nvr_strerror(rc));
        status = 502;
    } else {
        wsd_write_json(b.f, m, n);
    }
    free(m);
    if (fclose(b.f) != 0) {
        free(b.buf);
        return 500;
    }
    *body = b.buf;
    *len = b.len;
    return status;
}

/* "IP:PORT" with a numeric IPv4 address and a port. */
static int numeric_target(const char *t)
{
    char host[INET_ADDRSTRLEN];
    const char *colon = strrchr(t, ':');
    struct in_addr a;
    if (!colon || (size_t)(colon - t) >= sizeof host)
        return 0;
    memcpy(host, t, (size_t)(colon - t));
    host[colon - t] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    return inet_pton(AF_INET, host, &a) == 1 && *end == '\0' && colon[1] && port > 0 && port < 65536;
}

http_result http_discover(struct http_request *r, struct nvr *nvr)
{
    size_t blen = 0;
    http_body(r, &blen);
    struct discover *d = calloc(1, sizeof *d);
    char err[256];
    http_result ret;
    if (!d)
        return http_reply_error(r, 500, "out of memory");
    d->o.timeout_ms = 3000;
    if (blen > 0) {
        json_t *o = http_json_body(r, &ret);
        if (!o) {
            free(d);
            return ret;
        }
        json_t *t = json_object_get(o, "timeout");
        if (t && (!json_is_number(t) || !(json_number_value(t) >= 0.1 && json_number_value(t) <= DISCOVER_MAX_S))) {
            json_decref(o);
            free(d);
            return http_reply_error(r, 400, "timeout must be seconds from 0.1 to %g", DISCOVER_MAX_S);
        }
        if (t)
            d->o.timeout_ms = (int)(json_number_value(t) * 1000);
        if (http_json_text(o, "target", 0, d->target, sizeof d->target, err, sizeof err) ||
            (d->target[0] && !numeric_target(d->target))) {
            if (d->target[0])
                snprintf(err, sizeof err, "target must be IP:PORT, e.g. 192.0.2.10:3702");
            json_decref(o);
            free(d);
            return http_reply_error(r, 400, "%s", err);
        }
        json_decref(o);
    }
    d->o.target = d->target[0] ? d->target : NULL;
    http_auth_log(r, nvr, "cameras_discovered", "", "target=%s", d->target[0] ? d->target : "multicast");
    return http_reply_later(r, discover_work, d, discover_free);
}
