/* SPDX-License-Identifier: Apache-2.0 */
/*
 * netprobe.h - the few read-only network requests the ONVIF client and the
 * compliance audit make: an HTTP GET or SOAP POST, and an RTSP
 * OPTIONS + DESCRIBE.  Built on libcurl (Debian's libcurl4-openssl-dev):
 * it gives us tested HTTP/1.1 and RTSP framing, digest authentication
 * (RFC 7616, both protocols), connect/total timeouts and TLS, which a
 * hand-written client would have to re-implement and re-test.
 *
 * Every request is bounded and confined:
 *  - one URL, no redirects followed (only the address asked for is
 *    contacted), protocols restricted to http/https or rtsp;
 *  - connect and total timeouts; the reply body is capped (cap bytes; a
 *    larger reply fails with NVR_EINVAL and sets truncated);
 *  - credentials go by digest only (never Basic, which would send the
 *    password in clear text to whatever answers);
 *  - header values kept (Server, WWW-Authenticate realm) are cleaned to
 *    printable ASCII and cut to NETPROBE_TEXT_MAX.
 *  - a caller's cancel flag aborts a request in progress (a long poll of
 *    the ONVIF events service stops when its camera does).
 * Threads: any; each call uses its own curl handle.
 */
#ifndef NVR_NETPROBE_H
#define NVR_NETPROBE_H

#include "base/err.h"
#include <stddef.h>

#define NETPROBE_TEXT_MAX 256

struct netprobe_reply {
    long status; /* HTTP/RTSP status of the last answer, 0 if none */
    char *body;  /* malloc'ed, NUL-terminated, or NULL */
    size_t len;
    int truncated;                  /* the body exceeded the cap */
    int authenticated;              /* HTTP: the answer came to a request with digest credentials
                                       (0: it answered a request without any) */
    char server[NETPROBE_TEXT_MAX]; /* first Server: header, "" if none */
    char realm[NETPROBE_TEXT_MAX];  /* realm of the first WWW-Authenticate, "" if none */
    char content_type[NETPROBE_TEXT_MAX];
};

struct netprobe_req {
    const char *url;  /* without credentials (see netprobe_url_split) */
    const char *user; /* NULL: no authentication */
    const char *password;
    const char *body;          /* POST body, NULL for GET */
    const char *content_type;  /* of the POST body */
    size_t cap;                /* largest reply body accepted */
    int timeout_ms;            /* whole request */
    const _Atomic int *cancel; /* NULL, or a flag that aborts the request (NVR_ESTOPPED)
                                * within about a second of being set: a long poll can be
                                * stopped without waiting out its timeout */
};

/* HTTP GET (body NULL) or POST.  Fills *out (clear it with
 * netprobe_reply_clear, also after a failure).  Returns 0 when an answer
 * arrived (whatever its status), NVR_ECONN / NVR_ETIMEDOUT / NVR_EINVAL
 * (reply too large or not HTTP) otherwise. */
nvr_err netprobe_http(const struct netprobe_req *req, struct netprobe_reply *out);

/* RTSP OPTIONS then DESCRIBE of req->url; out gets the DESCRIBE answer (the
 * SDP in body), and the Server header of whichever answer had one. */
nvr_err netprobe_rtsp_describe(const struct netprobe_req *req, struct netprobe_reply *out);

/* Frees the body and zeroes *r. */
void netprobe_reply_clear(struct netprobe_reply *r);

/* Splits "scheme://user:pass@host:port/path" into the URL without
 * credentials (url_out) and the percent-decoded user and password (empty
 * when absent).  host_out (may be NULL) gets the host without port or
 * brackets.  Returns 0, or NVR_EINVAL for a URL we do not understand. */
nvr_err netprobe_url_split(const char *url, char *url_out, size_t url_cap, char *user, size_t user_cap, char *pass,
                           size_t pass_cap, char *host_out, size_t host_cap);

#endif
