/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_server.h - the embedded HTTP server (libmicrohttpd) and the small
 * toolkit handlers use to answer.
 *
 * Routing: a handler is registered for a method and a path pattern whose
 * "{}" parts match one path segment each ("/api/v1/cameras/{}/recordings");
 * the matched parts are the request's params.  An unknown path answers 404,
 * a known path with another method 405 (with Allow), both as JSON errors.
 * Every answer is counted per route and status for /metrics.
 *
 * Threads: libmicrohttpd's thread pool calls the handlers; a handler runs in
 * one call, after the whole request body (if any) has arrived, and everything it allocates is either on
 * its stack or owned by the response, which libmicrohttpd frees when the
 * request completes -- the per-request arena is the response itself.
 */
#ifndef NVR_HTTP_SERVER_H
#define NVR_HTTP_SERVER_H

#include "base/err.h"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct nvr;
struct http_server;
struct http_request;

#define HTTP_MAX_PARAMS 4
#define HTTP_MAX_BODY (64 * 1024) /* larger request bodies answer 413 */

/* What a handler returns, and the http_reply* calls it ends with: whether an
 * answer was handed to libmicrohttpd.  HTTP_QUEUED: it was (whatever its
 * status); HTTP_FAILED: it could not be (out of memory, connection gone) and
 * libmicrohttpd closes the connection.  The values are MHD_YES and MHD_NO.  A
 * guard returns HTTP_PASS to let the handler answer instead.  Being an enum
 * with no negative value, it is not int: a handler declared to return int
 * does not fit a route table (-Wincompatible-pointer-types). */
typedef enum http_result { HTTP_FAILED = 0, HTTP_QUEUED = 1, HTTP_PASS = 2 } http_result;

typedef http_result (*http_handler)(struct http_request *req, struct nvr *nvr);

/* Who may call a route.  The zero value is the safe default: any signed-in
 * user, and a "{}" right after /api/v1/cameras/ must be a camera they may
 * see (else 404, the same answer as for an unknown camera). */
enum http_access {
    HTTP_USER = 0,
    HTTP_PUBLIC,       /* no sign-in (health, log in, first setup, the UI's files) */
    HTTP_INVESTIGATOR, /* investigator or admin */
    HTTP_ADMIN,
};

struct http_route {
    const char *method;  /* "GET" (which also answers HEAD), "POST", "PUT", "DELETE" */
    const char *pattern; /* "/api/v1/cameras/{}/recordings"; a final "*" matches any rest */
    http_handler fn;
    enum http_access access;
};

/* Runs before every handler (http_server_set_guard): authenticates and
 * authorises the request.  Returns HTTP_PASS to let the handler run, or the
 * result of the reply it made (401/403/404/...). */
typedef http_result (*http_guard)(struct http_request *req, const struct http_route *route, struct nvr *nvr);

/* TLS 1.3 and 1.2 only, forward-secret key exchange and AEAD suites only
 * (RFC 8996, NIST SP 800-52r2); `tls_priority` in [server] replaces it. */
#define HTTP_TLS_PRIORITY                                                                                              \
    "SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:"                  \
    "+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:%SERVER_PRECEDENCE"

/* TLS: PEM certificate chain and key (borrowed strings, read at start). */
struct http_tls {
    const char *cert_pem;
    const char *key_pem;
    const char *priority; /* GnuTLS priority string; NULL: HTTP_TLS_PRIORITY */
};

/* Connections beyond the limits get an answer, not silence: up to
 * HTTP_BUSY_EXTRA more per address (and HTTP_BUSY_EXTRA_TOTAL in all) are
 * answered 503 with Retry-After once their request arrives; past that a
 * connection is closed as soon as it is accepted. */
#define HTTP_BUSY_EXTRA 8
#define HTTP_BUSY_EXTRA_TOTAL 64
#define HTTP_RETRY_AFTER_S 10

/* Where and how to listen (borrowed for the call). */
struct http_listen {
    const char *host;
    int port;
    unsigned threads;           /* worker threads; 0 = http_server_default_threads() */
    const struct http_tls *tls; /* HTTPS when not NULL */
    unsigned max_connections;   /* served at once; 0 = 1000 */
    unsigned max_per_address;   /* from one IPv4 address or IPv6 /64; 0 = no limit */
    unsigned read_timeout_s;    /* a request's headers (from the connection's start or the previous
                                 * answer's end), and then its body, must each arrive within this;
                                 * bytes trickling in do not extend it; 0 = 15 */
};

/* Whether host (a name or an address) resolves, and only to loopback
 * addresses (127.0.0.0/8, ::1); a name that does not resolve is not. */
int http_listen_is_loopback(const char *host);

/* Listens as l says and serves routes (a static table, borrowed).
 * *out owns the server; stop with http_server_stop. */
nvr_err http_server_start(struct http_server **out, struct nvr *nvr, const struct http_listen *l,
                          const struct http_route *routes, size_t nroutes);

/* One worker per online CPU, at least 2 and at most 16: more threads than
 * cores only add context switches on the sendfile path (bench/serve). */
unsigned http_server_default_threads(void);

/* Sets the guard (before requests arrive). */
void http_server_set_guard(struct http_server *s, http_guard guard);

/* Whether the server speaks HTTPS. */
int http_server_is_tls(const struct http_server *s);

/* Stops accepting, finishes requests in flight, frees; sets *s NULL. */
void http_server_stop(struct http_server **s);


/* Writes the request counters in Prometheus text format (nothing for s NULL:
 * a request served before http_server_start returned). */
void http_server_write_metrics(struct http_server *s, FILE *f);

/* ---- for handlers ---- */

/* Path parameter i (the i-th "{}"), already percent-decoded. */
const char *http_param(const struct http_request *r, int i);

/* The request's path (percent-decoded by libmicrohttpd, no query string). */
const char *http_path(const struct http_request *r);

/* A query argument, NULL if absent. */
const char *http_query(const struct http_request *r, const char *key);

/* The query string rebuilt from its arguments ("a=1&b=x%2Fy", percent-
 * encoded again; "" when none) into out; -1 when it does not fit in n. */
int http_query_string(const struct http_request *r, char *out, size_t n);

/* The request body (NUL-terminated, "" if none; borrowed for the call),
 * its length in *len if len is not NULL.  GET and HEAD have none. */
const char *http_body(const struct http_request *r, size_t *len);

/* The request's method ("GET", "HEAD", "POST", ...). */
const char *http_method(const struct http_request *r);

/* The client's address as text ("127.0.0.1", "::1"). */
const char *http_client_address(struct http_request *r);

/* The signed-in user the guard attached (NULL if none), and attaching it:
 * the request owns it and calls release(user) when the handler returns. */
void *http_user(const struct http_request *r);
void http_set_user(struct http_request *r, void *user, void (*release)(void *user));

/* The server (for http_server_is_tls). */
struct http_server *http_request_server(const struct http_request *r);

/* A header to add to the reply the handler makes next (e.g. Set-Cookie);
 * up to 6; strings copied. */
void http_add_reply_header(struct http_request *r, const char *name, const char *value);

/* A request header, NULL if absent. */
const char *http_header(const struct http_request *r, const char *name);

/* Counts the request's connection as 1 + extra connections against
 * max_connections and max_connections_per_address until the request
 * completes (GET /api/v1/live/mux: N cameras on one connection count as the
 * N live.mp4 connections they replace).  0, or -1 when that would pass a
 * limit (nothing is counted then: answer 503). */
int http_conn_charge(struct http_request *r, unsigned extra);

/* Answers with body (malloc'ed; ownership passes, also on failure). */
http_result http_reply(struct http_request *r, unsigned status, const char *content_type, char *body, size_t len,
                       const char *cache_control);

/* Answers {"error": message} with status. */
http_result http_reply_error(struct http_request *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Answers 404 {"error":"no such route"}, counted as no route at all (for a
 * catch-all handler that finds the path is not its own). */
http_result http_reply_no_route(struct http_request *r);

/* Serves bytes [0, size) of fd (ownership passes, also on failure) with
 * Range/206/416, ETag/If-None-Match/304 and HEAD support, through
 * sendfile where the connection allows.  etag may be NULL. */
http_result http_reply_file(struct http_request *r, int fd, uint64_t size, const char *content_type, const char *etag,
                            const char *cache_control);

/* The same for bytes [offset, offset + size) of fd, served as a file of
 * size bytes (an uncompressed entry inside a zip). */
http_result http_reply_file_at(struct http_request *r, int fd, uint64_t offset, uint64_t size, const char *content_type,
                               const char *etag, const char *cache_control);

/* Whether the request is a HEAD (answer headers only). */
int http_is_head(const struct http_request *r);

/* ---- streamed answers (live view) ----
 * An endless body (chunked) produced by a reader.  read() copies up to max
 * bytes into buf and returns how many; 0 when it has nothing now (the
 * connection is then suspended -- no thread waits -- until http_stream_wake),
 * or -1 to end the body.  free_fn(cls) runs once when the connection is done
 * with the answer (client gone, body ended, or server stopping); after it the
 * stream must not be woken.  http_server_stop ends every stream first. */
struct http_stream;
#define HTTP_STREAM_SNDBUF (256 * 1024) /* SO_SNDBUF of a streamed connection (no autotuning) */
#define HTTP_NOTSENT_LOWAT (128 * 1024) /* TCP_NOTSENT_LOWAT of every connection */
typedef long (*http_stream_read)(void *cls, char *buf, size_t max);

/* Answers 200 with a streamed body.  attach(cls, s) runs once the stream
 * exists, before the answer is queued: s is the handle for
 * http_stream_wake, valid until free_fn.  free_fn(cls) always runs once,
 * also on failure (possibly before this returns). */
http_result http_reply_stream(struct http_request *r, const char *content_type, const char *cache_control,
                              http_stream_read fn, void *cls, void (*attach)(void *cls, struct http_stream *s),
                              void (*free_fn)(void *cls));

/* The same with another status and, when size is not UINT64_MAX, a body of
 * exactly size bytes (Content-Length instead of chunked): the console's
 * proxy copies a recorder's 206 answer this way.  content_type NULL: none;
 * headers added with http_add_reply_header go with it. */
http_result http_reply_stream_status(struct http_request *r, unsigned status, uint64_t size, const char *content_type,
                                     const char *cache_control, http_stream_read fn, void *cls,
                                     void (*attach)(void *cls, struct http_stream *s), void (*free_fn)(void *cls));

/* Makes a suspended stream call its reader again (from any thread). */
void http_stream_wake(struct http_stream *s);

/* ---- answers that take seconds (connection tests) ----
 * work(arg, &body, &len) runs on a thread of its own while the connection
 * waits suspended (no HTTP thread is held); it returns the status and sets
 * body to a malloc'ed JSON document of len bytes (ownership passes to the
 * server; NULL answers 500).  free_arg(arg) runs after work.  Only for
 * requests with a body method (POST/PUT/DELETE).  http_server_stop waits
 * for the works in progress. */
typedef unsigned (*http_work_fn)(void *arg, char **body, size_t *len);

/* Takes ownership of arg (freed with free_arg also on failure). */
http_result http_reply_later(struct http_request *r, http_work_fn work, void *arg, void (*free_arg)(void *arg));

/* A memory stream for building a body: http_body_send() closes it and
 * answers with what was written. */
struct http_body {
    FILE *f;
    char *buf;
    size_t len;
};
nvr_err http_body_open(struct http_body *b);
http_result http_body_send(struct http_request *r, struct http_body *b, unsigned status, const char *content_type,
                           const char *cache_control);

#endif
