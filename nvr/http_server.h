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
 * one call (GET/HEAD have no body) and everything it allocates is either on
 * its stack or owned by the response, which libmicrohttpd frees when the
 * request completes -- the per-request arena is the response itself.
 */
#ifndef NVR_HTTP_SERVER_H
#define NVR_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct nvr;
struct http_server;
struct http_request;

#define HTTP_MAX_PARAMS 4

typedef int (*http_handler)(struct http_request *req, struct nvr *nvr);

struct http_route {
    const char *method;   /* "GET" (which also answers HEAD) */
    const char *pattern;  /* "/api/v1/cameras/{}/recordings"; a final "*" matches any rest */
    http_handler fn;
};

/* Listens on host:port and serves routes (a static table, borrowed).
 * *out owns the server; stop with http_server_stop. */
int http_server_start(struct http_server **out, struct nvr *nvr, const char *host, int port,
                      const struct http_route *routes, size_t nroutes);

/* Stops accepting, finishes requests in flight, frees; sets *s NULL. */
void http_server_stop(struct http_server **s);

/* Tunes glibc's allocator for serving: responses of a few MB (a 24-hour
 * playlist is ~3 MB) are built in memory, and with glibc's defaults each one
 * is mmap'ed fresh and returned to the kernel afterwards, costing ~1000 page
 * faults a request.  Raises the mmap and trim thresholds so such buffers are
 * reused from the heap.  Call once at start-up, before threads start. */
void http_server_tune_allocator(void);

/* Writes the request counters in Prometheus text format. */
void http_server_write_metrics(struct http_server *s, FILE *f);

/* ---- for handlers ---- */

/* Path parameter i (the i-th "{}"), already percent-decoded. */
const char *http_param(const struct http_request *r, int i);

/* The request's path (percent-decoded by libmicrohttpd, no query string). */
const char *http_path(const struct http_request *r);

/* A query argument, NULL if absent. */
const char *http_query(const struct http_request *r, const char *key);

/* A request header, NULL if absent. */
const char *http_header(const struct http_request *r, const char *name);

/* Answers with body (malloc'ed; ownership passes, also on failure). */
int http_reply(struct http_request *r, unsigned status, const char *content_type, char *body, size_t len,
               const char *cache_control);

/* Answers {"error": message} with status. */
int http_reply_error(struct http_request *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Answers 404 {"error":"no such route"}, counted as no route at all (for a
 * catch-all handler that finds the path is not its own). */
int http_reply_no_route(struct http_request *r);

/* Serves bytes [0, size) of fd (ownership passes, also on failure) with
 * Range/206/416, ETag/If-None-Match/304 and HEAD support, through
 * sendfile where the connection allows.  etag may be NULL. */
int http_reply_file(struct http_request *r, int fd, uint64_t size, const char *content_type,
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
#define HTTP_STREAM_SNDBUF (256 * 1024)   /* SO_SNDBUF of a streamed connection (no autotuning) */
typedef long (*http_stream_read)(void *cls, char *buf, size_t max);

/* Answers 200 with a streamed body.  attach(cls, s) runs once the stream
 * exists, before the answer is queued: s is the handle for
 * http_stream_wake, valid until free_fn.  free_fn(cls) always runs once,
 * also on failure (possibly before this returns). */
int http_reply_stream(struct http_request *r, const char *content_type, const char *cache_control,
                      http_stream_read fn, void *cls, void (*attach)(void *cls, struct http_stream *s),
                      void (*free_fn)(void *cls));

/* Makes a suspended stream call its reader again (from any thread). */
void http_stream_wake(struct http_stream *s);

/* A memory stream for building a body: http_body_send() closes it and
 * answers with what was written. */
struct http_body {
    FILE *f;
    char *buf;
    size_t len;
};
int http_body_open(struct http_body *b);
int http_body_send(struct http_request *r, struct http_body *b, unsigned status, const char *content_type,
                   const char *cache_control);

#endif
