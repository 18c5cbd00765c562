/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_server.c - libmicrohttpd glue, routing, replies, byte ranges, and
 * request counters (see http_server.h).
 */
#include "http/http_server.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* status codes counted separately; everything else is "other" */
static const unsigned counted_status[] = {200, 201, 202, 206, 304, 400, 403, 404, 405, 413, 416, 421, 429, 500, 503};
#define NSTATUS (sizeof counted_status / sizeof counted_status[0] + 1)

/* ---- connection guard ----
 * Every connection is tracked from accept to close (MHD_OPTION_NOTIFY_CONNECTION):
 * its address (an IPv4 address or an IPv6 /64), whether it came in over the
 * limits (then its request is answered 503), and the phase it is in.  A
 * sweeper thread shuts down connections still reading their request past
 * the deadline: libmicrohttpd's own timeout is an idle timeout that every
 * trickled byte resets.  Answers (live streams, downloads, deferred
 * answers) are not timed by the sweeper. */
enum conn_phase { PHASE_HEADERS = 0, PHASE_BODY, PHASE_ANSWER };

struct conn_addr {         /* connections open from one address / prefix */
    unsigned char key[17]; /* family byte + 16 */
    unsigned count;
    struct conn_addr *next;
};

struct conn_slot {
    struct conn_slot *prev, *next;
    int fd;
    int over;        /* came in over a limit: answered 503 */
    unsigned weight; /* counts as this many more (http_conn_charge) */
    enum conn_phase phase;
    int64_t phase_us; /* monotonic start of the phase */
    struct conn_addr *addr;
};

#define CONN_BUCKETS 1024

struct conn_guard {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    pthread_t sweeper;
    int running, stop;
    unsigned max_total, max_per_addr;
    int64_t deadline_us;
    unsigned open;
    struct conn_slot *slots;
    struct conn_addr *buckets[CONN_BUCKETS];
    atomic_uint_fast64_t busy_total, busy_addr, refused, cut; /* for /metrics */
};

struct http_server {
    struct MHD_Daemon *d;
    struct conn_guard guard_conns;
    struct nvr *nvr;
    const struct http_route *routes;
    size_t nroutes;
    http_guard guard;
    int tls;
    atomic_uint_fast64_t (*counts)[NSTATUS]; /* [nroutes + 1][NSTATUS], last row: no route */
    pthread_mutex_t streams_mu;              /* guards the list of open streams */
    struct http_stream *streams;
    int stopping;
    atomic_int works; /* http_reply_later threads not yet done */
};

/* An answer being computed by http_reply_later's thread; owned by that
 * thread until it resumes the connection, then by the connection's upload
 * state (freed when the answer is queued or the request completes). */
struct http_later {
    struct http_server *srv;
    struct MHD_Connection *conn;
    size_t route;
    http_work_fn work;
    void *arg;
    void (*free_arg)(void *arg);
    unsigned status;
    char *body;
    size_t len;
};

/* A streamed answer.  Suspension protocol (all under mu): the reader found
 * nothing -> if a wake-up came meanwhile, read again, else suspend; a wake-up
 * resumes a suspended connection or leaves `woken` for the reader to see. */
struct http_stream {
    struct http_server *srv;
    struct MHD_Connection *conn;
    http_stream_read fn;
    void *cls;
    void (*free_fn)(void *cls);
    pthread_mutex_t mu;
    int suspended, woken, closing;
    struct http_stream *prev, *next; /* srv->streams, under srv->streams_mu */
};

struct http_request {
    struct http_server *srv;
    struct MHD_Connection *conn;
    struct upload *up; /* body methods: the connection's upload state */
    const char *method;
    const char *url; /* the path, percent-decoded, without the query */
    int head;
    size_t route; /* index, or nroutes for none */
    const char *params[HTTP_MAX_PARAMS];
    char pbuf[HTTP_MAX_PARAMS][128];
    const char *body; /* request body (POST, DELETE), NUL-terminated */
    size_t body_len;
    void *user; /* set by the guard */
    void (*release_user)(void *user);
    char addr[64]; /* client address, "" until asked */
    int nextra;
    char extra_name[6][64];    /* headers for the next reply */
    char extra_value[6][2048]; /* (a Location to an OpenID provider can be long) */
};

/* Headers on every answer: no sniffing, no framing, no referrer leaks, and a
 * Content-Security-Policy that forbids inline and foreign script (the UI
 * loads only its own files). */
static const char *const security_headers[][2] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
     "media-src 'self' blob:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; "
     "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
};

/* A request body being received (libmicrohttpd's per-connection pointer);
 * freed by on_completed. */
struct upload {
    char *buf;
    size_t len;
    int too_big;
    struct http_later *later; /* set while (and after) http_reply_later works */
};

static void count(struct http_server *s, size_t route, unsigned status)
{
    size_t k = NSTATUS - 1;
    for (size_t i = 0; i < NSTATUS - 1; i++)
        if (counted_status[i] == status)
            k = i;
    atomic_fetch_add(&s->counts[route][k], 1);
}

/* libmicrohttpd's answer for a handler's result (HTTP_PASS never gets here). */
static enum MHD_Result to_mhd(http_result r)
{
    return r == HTTP_QUEUED ? MHD_YES : MHD_NO;
}

static http_result queue(struct http_request *r, unsigned status, struct MHD_Response *resp)
{
    if (!resp)
        return HTTP_FAILED;
    for (size_t i = 0; i < sizeof security_headers / sizeof security_headers[0]; i++)
        MHD_add_response_header(resp, security_headers[i][0], security_headers[i][1]);
    if (r->srv->tls)
        MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    for (int i = 0; i < r->nextra; i++)
        MHD_add_response_header(resp, r->extra_name[i], r->extra_value[i]);
    r->nextra = 0;
    enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    count(r->srv, r->route, status);
    return ret == MHD_YES ? HTTP_QUEUED : HTTP_FAILED;
}

int http_is_head(const struct http_request *r)
{
    return r->head;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct http_stream *s = cls;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        int closing = s->closing;
        s->woken = 0;
        pthread_mutex_unlock(&s->mu);
        if (closing)
            return MHD_CONTENT_READER_END_OF_STREAM;
        long n = s->fn(s->cls, buf, max);
        if (n < 0)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (n > 0)
            return (ssize_t)n;
        pthread_mutex_lock(&s->mu);
        if (s->woken || s->closing) {
            pthread_mutex_unlock(&s->mu);
            continue;
        }
        s->suspended = 1;
        MHD_suspend_connection(s->conn);
        pthread_mutex_unlock(&s->mu);
        return 0;
    }
}

static void stream_free(void *cls)
{
    struct http_stream *s = cls;
    struct http_server *srv = s->srv;
    pthread_mutex_lock(&srv->streams_mu);
    if (s->prev)
        s->prev->next = s->next;
    else
        srv->streams = s->next;
    if (s->next)
        s->next->prev = s->prev;
    pthread_mutex_unlock(&srv->streams_mu);
    s->free_fn(s->cls);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

void http_stream_wake(struct http_stream *s)
{
    pthread_mutex_lock(&s->mu);
    s->woken = 1;
    if (s->suspended) {
        s->suspended = 0;
        MHD_resume_connection(s->conn);
    }
    pthread_mutex_unlock(&s->mu);
}

http_result http_reply_stream(struct http_request *r, const char *content_type, const char *cache_control,
                              http_stream_read fn, void *cls, void (*attach)(void *cls, struct http_stream *s),
                              void (*free_fn)(void *cls))
{
    return http_reply_stream_status(r, 200, UINT64_MAX, content_type, cache_control, fn, cls, attach, free_fn);
}

http_result http_reply_stream_status(struct http_request *r, unsigned status, uint64_t size, const char *content_type,
                                     const char *cache_control, http_stream_read fn, void *cls,
                                     void (*attach)(void *cls, struct http_stream *s), void (*free_fn)(void *cls))
{
    struct http_server *srv = r->srv;
    struct http_stream *s = calloc(1, sizeof *s);
    if (!s) {
        free_fn(cls);
        return HTTP_FAILED;
    }
    s->srv = srv;
    s->conn = r->conn;
    s->fn = fn;
    s->cls = cls;
    s->free_fn = free_fn;
    pthread_mutex_init(&s->mu, NULL);
    struct MHD_Response *resp = MHD_create_response_from_callback(size == UINT64_MAX ? MHD_SIZE_UNKNOWN : size,
                                                                  32 * 1024, stream_read, s, stream_free);
    if (!resp) {
        pthread_mutex_destroy(&s->mu);
        free(s);
        free_fn(cls);
        return HTTP_FAILED;
    }
    pthread_mutex_lock(&srv->streams_mu);
    s->closing = srv->stopping;
    s->next = srv->streams;
    if (srv->streams)
        srv->streams->prev = s;
    srv->streams = s;
    pthread_mutex_unlock(&srv->streams_mu);
    /* bound what the kernel holds for a slow client (Linux autotunes up to
     * 4 MB, half a minute of a 1 Mbit/s camera): the lag stays visible to
     * the producer, which skips the viewer ahead */
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci) {
        int sz = HTTP_STREAM_SNDBUF;
        setsockopt(ci->connect_fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    }
    attach(cls, s);
    if (content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache_control ? cache_control : "no-store");
    return queue(r, status, resp);
}

static void *later_thread(void *p)
{
    struct http_later *l = p;
    struct http_server *srv = l->srv;
    l->status = l->work(l->arg, &l->body, &l->len);
    l->free_arg(l->arg);
    l->arg = NULL;
    /* from here l belongs to the connection: libmicrohttpd calls the handler
     * again, which queues the answer (the mutex orders these writes before it) */
    pthread_mutex_lock(&srv->streams_mu);
    MHD_resume_connection(l->conn);
    pthread_mutex_unlock(&srv->streams_mu);
    atomic_fetch_sub(&srv->works, 1);
    return NULL;
}

http_result http_reply_later(struct http_request *r, http_work_fn work, void *arg, void (*free_arg)(void *arg))
{
    struct http_later *l = r->up && !r->up->later ? calloc(1, sizeof *l) : NULL;
    pthread_attr_t attr;
    pthread_t t;
    if (!l) {
        free_arg(arg);
        return http_reply_error(r, 500, "cannot defer this answer");
    }
    *l = (struct http_later){
        .srv = r->srv, .conn = r->conn, .route = r->route, .work = work, .arg = arg, .free_arg = free_arg};
    atomic_fetch_add(&r->srv->works, 1);
    pthread_mutex_lock(&r->srv->streams_mu);
    MHD_suspend_connection(r->conn);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = r->srv->stopping ? -1 : pthread_create(&t, &attr, later_thread, l);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        MHD_resume_connection(r->conn);
        pthread_mutex_unlock(&r->srv->streams_mu);
        atomic_fetch_sub(&r->srv->works, 1);
        free_arg(arg);
        free(l);
        return http_reply_error(r, 503, "the server is busy or stopping");
    }
    r->up->later = l;
    pthread_mutex_unlock(&r->srv->streams_mu);
    return HTTP_QUEUED;
}

/* The second call after http_reply_later: queues the answer it computed. */
static http_result reply_later_done(struct http_request *r)
{
    struct http_later *l = r->up->later;
    r->up->later = NULL;
    r->route = l->route;
    http_result ret = l->body ? http_reply(r, l->status, "application/json", l->body, l->len, "no-store")
                              : http_reply_error(r, 500, "out of memory");
    free(l);
    return ret;
}

/* Ends every open stream and waits (bounded) until libmicrohttpd has let go
 * of them: it must not be stopped with a connection suspended. */
static void end_streams(struct http_server *s)
{
    for (int i = 0; i < 300; i++) {
        pthread_mutex_lock(&s->streams_mu);
        s->stopping = 1;
        int open = s->streams != NULL;
        for (struct http_stream *st = s->streams; st; st = st->next) {
            pthread_mutex_lock(&st->mu);
            st->closing = 1;
            st->woken = 1;
            if (st->suspended) {
                st->suspended = 0;
                MHD_resume_connection(st->conn);
            }
            pthread_mutex_unlock(&st->mu);
        }
        pthread_mutex_unlock(&s->streams_mu);
        if (!open)
            return;
        usleep(10000);
    }
    nvr_log(NVR_WARN, NULL, "http: streams still open at shutdown");
}

const char *http_param(const struct http_request *r, int i)
{
    return i >= 0 && i < HTTP_MAX_PARAMS ? r->params[i] : NULL;
}

const char *http_path(const struct http_request *r)
{
    return r->url;
}

const char *http_query(const struct http_request *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *http_method(const struct http_request *r)
{
    return r->method;
}

const char *http_client_address(struct http_request *r)
{
    if (!r->addr[0]) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const struct sockaddr *sa = ci ? ci->client_addr : NULL;
        socklen_t len = sa && sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
        if (!sa || getnameinfo(sa, len, r->addr, sizeof r->addr, NULL, 0, NI_NUMERICHOST) != 0)
            snprintf(r->addr, sizeof r->addr, "unknown");
    }
    return r->addr;
}

void *http_user(const struct http_request *r)
{
    return r->user;
}

void http_set_user(struct http_request *r, void *user, void (*release)(void *user))
{
    if (r->user && r->release_user)
        r->release_user(r->user);
    r->user = user;
    r->release_user = release;
}

struct http_server *http_request_server(const struct http_request *r)
{
    return r->srv;
}

struct qs {
    char *out;
    size_t n, len;
    int over;
};

static void qs_put(struct qs *q, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char e[4] = {(char)*p, 0, 0, 0};
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '.' || *p == '_' || *p == '~'))
            e[0] = '%', e[1] = hex[*p >> 4], e[2] = hex[*p & 15];
        size_t el = strlen(e);
        if (q->len + el >= q->n) {
            q->over = 1;
            return;
        }
        memcpy(q->out + q->len, e, el + 1);
        q->len += el;
    }
}

static enum MHD_Result qs_each(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct qs *q = cls;
    if (q->len && q->len + 1 < q->n)
        q->out[q->len++] = '&', q->out[q->len] = '\0';
    qs_put(q, key);
    if (value) {
        if (q->len + 1 < q->n)
            q->out[q->len++] = '=', q->out[q->len] = '\0';
        qs_put(q, value);
    }
    return q->over ? MHD_NO : MHD_YES;
}

int http_query_string(const struct http_request *r, char *out, size_t n)
{
    struct qs q = {.out = out, .n = n};
    if (n)
        out[0] = '\0';
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, qs_each, &q);
    return q.over || n == 0 ? -1 : 0;
}

void http_add_reply_header(struct http_request *r, const char *name, const char *value)
{
    if (r->nextra >= 6)
        return;
    snprintf(r->extra_name[r->nextra], sizeof r->extra_name[0], "%s", name);
    snprintf(r->extra_value[r->nextra], sizeof r->extra_value[0], "%s", value);
    r->nextra++;
}

void http_server_set_guard(struct http_server *s, http_guard guard)
{
    s->guard = guard;
}

int http_server_is_tls(const struct http_server *s)
{
    return s->tls;
}

const char *http_body(const struct http_request *r, size_t *len)
{
    if (len)
        *len = r->body_len;
    return r->body;
}

const char *http_header(const struct http_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

http_result http_reply(struct http_request *r, unsigned status, const char *content_type, char *body, size_t len,
                       const char *cache_control)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return HTTP_FAILED;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache_control ? cache_control : "no-store");
    return queue(r, status, resp);
}

nvr_err http_body_open(struct http_body *b)
{
    b->buf = NULL;
    b->len = 0;
    b->f = open_memstream(&b->buf, &b->len);
    return b->f ? NVR_OK : NVR_ENOMEM;
}

http_result http_body_send(struct http_request *r, struct http_body *b, unsigned status, const char *content_type,
                           const char *cache_control)
{
    if (fclose(b->f) != 0) {
        free(b->buf);
        return http_reply_error(r, 500, "out of memory");
    }
    b->f = NULL;
    return http_reply(r, status, content_type, b->buf, b->len, cache_control);
}

http_result http_reply_error(struct http_request *r, unsigned status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct http_body b;
    if (http_body_open(&b))
        return HTTP_FAILED;
    fputs("{\"error\":", b.f);
    json_write_string(b.f, msg);
    fputs("}\n", b.f);
    return http_body_send(r, &b, status, "application/json", "no-store");
}

http_result http_reply_no_route(struct http_request *r)
{
    r->route = r->srv->nroutes;
    return http_reply_error(r, 404, "no such route");
}

/* Parses a single "bytes=a-b" / "bytes=a-" / "bytes=-n" range against size.
 * Returns 1 and sets [*from, *to] (inclusive) if satisfiable, 0 if the
 * header is absent or not a single byte range (serve everything), -1 if it
 * is a byte range that cannot be satisfied (416). */
static int parse_range(const char *h, uint64_t size, uint64_t *from, uint64_t *to)
{
    if (!h || strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
        return 0;
    const char *p = h + 6;
    char *end;
    if (*p == '-') {
        if (p[1] < '0' || p[1] > '9')
            return 0;
        unsigned long long n = strtoull(p + 1, &end, 10);
        if (*end || n == 0)
            return n == 0 && !*end ? -1 : 0;
        if (size == 0)
            return -1;
        *from = n >= size ? 0 : size - n;
        *to = size - 1;
        return 1;
    }
    if (*p < '0' || *p > '9')
        return 0;
    unsigned long long a = strtoull(p, &end, 10), b;
    if (*end != '-')
        return 0;
    if (end[1] == '\0') {
        b = size ? size - 1 : 0;
    } else {
        if (end[1] < '0' || end[1] > '9')
            return 0;
        b = strtoull(end + 1, &end, 10);
        if (*end)
            return 0;
        if (b < a)
            return 0; /* syntactically invalid: ignore it (RFC 9110 14.2) */
    }
    if (a >= size)
        return -1;
    *from = a;
    *to = b >= size ? size - 1 : b;
    return 1;
}

static int etag_matches(const char *inm, const char *etag)
{
    if (!inm || !etag)
        return 0;
    if (strcmp(inm, "*") == 0)
        return 1;
    size_t n = strlen(etag);
    for (const char *p = strstr(inm, etag); p; p = strstr(p + 1, etag))
        if ((p == inm || p[-1] == ' ' || p[-1] == ',') && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
            return 1;
    return 0;
}

http_result http_reply_file(struct http_request *r, int fd, uint64_t size, const char *content_type, const char *etag,
                            const char *cache_control)
{
    return http_reply_file_at(r, fd, 0, size, content_type, etag, cache_control);
}

http_result http_reply_file_at(struct http_request *r, int fd, uint64_t offset, uint64_t size, const char *content_type,
                               const char *etag, const char *cache_control)
{
    struct MHD_Response *resp;
    unsigned status = 200;
    uint64_t from = 0, to = size ? size - 1 : 0;
    if (etag_matches(http_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH), etag)) {
        close(fd);
        resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (!resp)
            return HTTP_FAILED;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache_control);
        return queue(r, 304, resp);
    }
    const char *if_range = http_header(r, MHD_HTTP_HEADER_IF_RANGE);
    int ranged = (!if_range || (etag && strcmp(if_range, etag) == 0))
                     ? parse_range(http_header(r, MHD_HTTP_HEADER_RANGE), size, &from, &to)
                     : 0;
    if (ranged < 0) {
        char cr[64];
        close(fd);
        snprintf(cr, sizeof cr, "bytes */%llu", (unsigned long long)size);
        char *body = strdup("{\"error\":\"range not satisfiable\"}\n");
        if (!body)
            return HTTP_FAILED;
        resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
        if (!resp)
            return HTTP_FAILED;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        return queue(r, 416, resp);
    }
    uint64_t len = size ? to - from + 1 : 0;
    if (len == 0) {
        close(fd);
        resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    } else {
        resp = MHD_create_response_from_fd_at_offset64(len, fd, offset + from); /* closes fd */
        if (!resp)
            close(fd);
    }
    if (!resp)
        return HTTP_FAILED;
    if (ranged > 0) {
        char cr[96];
        snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", (unsigned long long)from, (unsigned long long)to,
                 (unsigned long long)size);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
        status = 206;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache_control);
    if (etag)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    return queue(r, status, resp);
}

/* Matches url against pattern, copying the "{}" parts into r->params; 1 if
 * it matches.  A "{}" matches one non-empty path segment; a literal suffix
 * right after it (".mp4") must end that segment and is not part of the param.
 * A "*" at the end of the pattern matches any rest, empty included. */
static int match(struct http_request *r, const char *pattern, const char *url)
{
    int np = 0;
    const char *p = url, *q = pattern;
    while (*q) {
        if (q[0] == '*' && q[1] == '\0')
            return 1;
        if (q[0] == '{' && q[1] == '}') {
            const char *lit = q + 2;
            size_t litlen = strcspn(lit, "/");
            size_t seglen = strcspn(p, "/");
            if (seglen <= litlen || np >= HTTP_MAX_PARAMS || seglen - litlen >= sizeof r->pbuf[0])
                return 0;
            if (litlen && strncmp(p + seglen - litlen, lit, litlen) != 0)
                return 0;
            memcpy(r->pbuf[np], p, seglen - litlen);
            r->pbuf[np][seglen - litlen] = '\0';
            r->params[np] = r->pbuf[np];
            np++;
            p += seglen;
            q = lit + litlen;
            continue;
        }
        if (*p != *q)
            return 0;
        p++;
        q++;
    }
    return *p == '\0';
}

/* The per-connection pointer of a GET/HEAD after its first call (only its
 * address is used; never written). */
static const char first_call_seen = 0;

static struct conn_slot *conn_slot_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void conn_phase(struct http_server *s, struct MHD_Connection *conn, enum conn_phase phase)
{
    struct conn_slot *c = conn_slot_of(conn);
    if (!c)
        return;
    pthread_mutex_lock(&s->guard_conns.mu);
    c->phase = phase;
    c->phase_us = nvr_clock_mono_us();
    pthread_mutex_unlock(&s->guard_conns.mu);
}

int http_conn_charge(struct http_request *r, unsigned extra)
{
    struct conn_guard *g = &r->srv->guard_conns;
    struct conn_slot *c = conn_slot_of(r->conn);
    int rc = 0;
    if (!c || !extra)
        return 0;
    pthread_mutex_lock(&g->mu);
    if ((g->max_per_addr && c->addr && c->addr->count + extra > g->max_per_addr) || g->open + extra > g->max_total) {
        rc = -1;
    } else {
        c->weight += extra;
        if (c->addr)
            c->addr->count += extra;
        g->open += extra;
    }
    pthread_mutex_unlock(&g->mu);
    return rc;
}

/* Gives back what http_conn_charge counted (the request is done); under g->mu. */
static void conn_uncharge_locked(struct conn_guard *g, struct conn_slot *c)
{
    if (c->addr)
        c->addr->count -= c->weight;
    g->open -= c->weight;
    c->weight = 0;
}

static void conn_uncharge(struct http_server *s, struct MHD_Connection *conn)
{
    struct conn_slot *c = conn_slot_of(conn);
    if (!c)
        return;
    pthread_mutex_lock(&s->guard_conns.mu);
    conn_uncharge_locked(&s->guard_conns, c);
    pthread_mutex_unlock(&s->guard_conns.mu);
}

/* 503 for a connection that came in over a limit, then close. */
static http_result reply_busy(struct http_request *r, const char *what)
{
    char ra[16];
    snprintf(ra, sizeof ra, "%d", HTTP_RETRY_AFTER_S);
    http_add_reply_header(r, "Retry-After", ra);
    http_add_reply_header(r, "Connection", "close");
    return http_reply_error(r, 503, "too many connections %s: try again in %d s", what, HTTP_RETRY_AFTER_S);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    struct http_server *s = cls;
    struct http_request r = {.srv = s, .conn = conn, .method = method, .url = url, .route = s->nroutes};
    int head = strcmp(method, "HEAD") == 0;
    r.head = head;
    if (!*con_cls) {
        /* the headers are in: a connection over a limit is answered now */
        struct conn_slot *c = conn_slot_of(conn);
        if (c && c->over) {
            *upload_data_size = 0;
            return to_mhd(reply_busy(&r, c->over == 1 ? "from your address" : "to this server"));
        }
    }
    if (strcmp(method, "GET") != 0 && !head) {
        /* a method that may carry a body: collect it, answer on the last call */
        struct upload *up = *con_cls;
        if (!up) {
            if (!(up = calloc(1, sizeof *up)))
                return MHD_NO;
            *con_cls = up;
            conn_phase(s, conn, PHASE_BODY);
            return MHD_YES;
        }
        if (*upload_data_size != 0) {
            if (up->len + *upload_data_size > HTTP_MAX_BODY) {
                up->too_big = 1;
            } else if (!up->too_big) {
                char *nb = realloc(up->buf, up->len + *upload_data_size + 1);
                if (!nb)
                    return MHD_NO;
                memcpy(nb + up->len, upload_data, *upload_data_size);
                up->buf = nb;
                up->len += *upload_data_size;
                up->buf[up->len] = '\0';
            }
            *upload_data_size = 0;
            return MHD_YES;
        }
        r.up = up;
        conn_phase(s, conn, PHASE_ANSWER);
        if (up->later) {
            pthread_mutex_lock(&s->streams_mu); /* pairs with later_thread's resume */
            pthread_mutex_unlock(&s->streams_mu);
            return to_mhd(reply_later_done(&r));
        }
        if (up->too_big)
            return to_mhd(http_reply_error(&r, 413, "request body larger than %d bytes", HTTP_MAX_BODY));
        r.body = up->buf ? up->buf : "";
        r.body_len = up->len;
    } else {
        /* libmicrohttpd 0.9.75 closes the connection after a response queued
         * in a request's first call (measured: every answer "Connection:
         * close", one TCP connection per HLS fragment); answering in the
         * second call keeps HTTP/1.1 connections alive. */
        if (!*con_cls) {
            *con_cls = (void *)(uintptr_t)&first_call_seen;
            conn_phase(s, conn, PHASE_ANSWER);
            return MHD_YES;
        }
        if (*upload_data_size != 0) {
            *upload_data_size = 0; /* a GET body is ignored */
            return MHD_YES;
        }
    }
    if (strlen(url) > 2048)
        return to_mhd(http_reply_error(&r, 414, "URL too long"));
    char allow[64] = "";
    for (size_t i = 0; i < s->nroutes; i++) {
        const struct http_route *rt = &s->routes[i];
        if (!match(&r, rt->pattern, url))
            continue;
        if (strcmp(rt->method, method) == 0 || (head && strcmp(rt->method, "GET") == 0)) {
            r.route = i;
            http_result ret = s->guard ? s->guard(&r, rt, s->nvr) : HTTP_PASS;
            if (ret == HTTP_PASS)
                ret = rt->fn(&r, s->nvr);
            http_set_user(&r, NULL, NULL);
            return to_mhd(ret);
        }
        if (strchr(rt->pattern, '*'))
            continue; /* a catch-all does not turn every unknown path into a 405 */
        size_t al = strlen(allow);
        snprintf(allow + al, sizeof allow - al, "%s%s", al ? ", " : "",
                 strcmp(rt->method, "GET") == 0 ? "GET, HEAD" : rt->method);
    }
    if (allow[0]) {
        struct http_body b;
        if (http_body_open(&b))
            return MHD_NO;
        fputs("{\"error\":\"method not allowed\"}\n", b.f);
        fclose(b.f);
        struct MHD_Response *resp = MHD_create_response_from_buffer(b.len, b.buf, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
            free(b.buf);
            return MHD_NO;
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
        return to_mhd(queue(&r, 405, resp));
    }
    return to_mhd(http_reply_no_route(&r));
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Percent-decodes in place like libmicrohttpd, except that %00 stays as it
 * is: a NUL would cut the path short ("/cameras/lobby%00/x" read as
 * "/cameras/lobby"), so it is left to match nothing. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    char *w = s;
    for (const char *p = s; *p; p++) {
        int hi, lo;
        if (p[0] == '%' && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0 && (hi | lo) != 0) {
            *w++ = (char)(hi * 16 + lo);
            p += 2;
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    conn_uncharge(cls, conn);
    conn_phase(cls, conn, PHASE_HEADERS); /* the next request on a kept-alive connection */
    struct upload *up = *con_cls;
    if (up && *con_cls != (const void *)&first_call_seen) {
        if (up->later) { /* the client left before the answer was queued */
            free(up->later->body);
            free(up->later);
        }
        free(up->buf);
        free(up);
        *con_cls = NULL;
    }
}

/* The key a connection counts under: an IPv4 address, or an IPv6 /64
 * (an IPv4-mapped IPv6 address counts as IPv4). */
static void addr_key(const struct sockaddr *sa, unsigned char key[17])
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memset(key, 0, 17);
    if (sa && sa->sa_family == AF_INET) {
        key[0] = 4;
        memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        const unsigned char *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        if (memcmp(a, mapped, 12) == 0) {
            key[0] = 4;
            memcpy(key + 1, a + 12, 4);
        } else {
            key[0] = 6;
            memcpy(key + 1, a, 8);
        }
    }
}

static unsigned key_bucket(const unsigned char key[17])
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 17; i++)
        h = (h ^ key[i]) * 16777619u;
    return h % CONN_BUCKETS;
}

/* Every accepted connection: tracked by the guard (counted per address,
 * marked when over a limit, closed at once when far over), and its bytes
 * queued in the kernel but not yet sent capped (one 128 KiB sendfile chunk
 * of libmicrohttpd's).  Without the cap a worker queues a whole fragment
 * beyond the client's window, and the rest is transmitted from the client's
 * ACKs, on the client's CPU time: on a loopback with 100 clients that
 * doubled their CPU per GB in most runs and cost 10-15 % of the throughput
 * (bench/serve; bench/README.md). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *s = cls;
    struct conn_guard *g = &s->guard_conns;
    if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        struct conn_slot *c = *socket_ctx;
        if (!c)
            return;
        pthread_mutex_lock(&g->mu);
        if (c->prev)
            c->prev->next = c->next;
        else
            g->slots = c->next;
        if (c->next)
            c->next->prev = c->prev;
        conn_uncharge_locked(g, c);
        g->open--;
        if (c->addr && --c->addr->count == 0) {
            struct conn_addr **pp = &g->buckets[key_bucket(c->addr->key)];
            while (*pp != c->addr)
                pp = &(*pp)->next;
            *pp = c->addr->next;
            free(c->addr);
        }
        pthread_mutex_unlock(&g->mu);
        free(c);
        *socket_ctx = NULL;
        return;
    }
    if (code != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *ai = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    int lowat = HTTP_NOTSENT_LOWAT;
    if (ci)
        setsockopt(ci->connect_fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof lowat);
    struct conn_slot *c = calloc(1, sizeof *c);
    if (!c) {
        if (ci)
            shutdown(ci->connect_fd, SHUT_RDWR);
        return;
    }
    unsigned char key[17];
    addr_key(ai ? ai->client_addr : NULL, key);
    c->fd = ci ? ci->connect_fd : -1;
    c->phase = PHASE_HEADERS;
    c->phase_us = nvr_clock_mono_us();
    int refuse = 0;
    pthread_mutex_lock(&g->mu);
    struct conn_addr **head = &g->buckets[key_bucket(key)], *a = *head;
    while (a && memcmp(a->key, key, sizeof key) != 0)
        a = a->next;
    if (!a && (a = calloc(1, sizeof *a))) {
        memcpy(a->key, key, sizeof key);
        a->next = *head;
        *head = a;
    }
    c->addr = a;
    if (a)
        a->count++;
    g->open++;
    c->next = g->slots;
    if (g->slots)
        g->slots->prev = c;
    g->slots = c;
    if (g->max_per_addr && a && a->count > g->max_per_addr) {
        c->over = 1;
        refuse = a->count > g->max_per_addr + HTTP_BUSY_EXTRA;
    } else if (g->open > g->max_total) {
        c->over = 2;
    }
    pthread_mutex_unlock(&g->mu);
    *socket_ctx = c;
    if (refuse) {
        /* far over its address's share (an IPv6 /64 spread over many addresses,
         * which libmicrohttpd's per-IP limit does not see): closed at once */
        atomic_fetch_add(&g->refused, 1);
        if (c->fd >= 0)
            shutdown(c->fd, SHUT_RDWR);
    } else if (c->over) {
        atomic_fetch_add(c->over == 1 ? &g->busy_addr : &g->busy_total, 1);
    }
}

/* Shuts down connections still reading a request past the deadline, once a
 * second.  The fd is still the connection's: libmicrohttpd reports
 * MHD_CONNECTION_NOTIFY_CLOSED (which takes mu) before it closes it. */
static void *sweeper(void *p)
{
    struct conn_guard *g = p;
    pthread_mutex_lock(&g->mu);
    while (!g->stop) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        t.tv_sec += 1;
        pthread_cond_timedwait(&g->cond, &g->mu, &t);
        if (g->stop)
            break;
        int64_t now = nvr_clock_mono_us();
        for (struct conn_slot *c = g->slots; c; c = c->next)
            if (c->phase != PHASE_ANSWER && c->fd >= 0 && now - c->phase_us > g->deadline_us) {
                shutdown(c->fd, SHUT_RDWR);
                c->fd = -1; /* once */
                atomic_fetch_add(&g->cut, 1);
            }
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

static void guard_stop(struct conn_guard *g)
{
    if (!g->running)
        return;
    pthread_mutex_lock(&g->mu);
    g->stop = 1;
    pthread_cond_signal(&g->cond);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->sweeper, NULL);
    g->running = 0;
}

/* Raises the open-file limit to what max connections need (the soft limit
 * is often 1024); returns how many connections fit. */
static unsigned fit_fd_limit(unsigned want)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)want + HTTP_BUSY_EXTRA_TOTAL + 1024; /* cameras, segment files, the index */
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return want;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        unsigned fit = rl.rlim_cur > 1024 + HTTP_BUSY_EXTRA_TOTAL + 16
                           ? (unsigned)(rl.rlim_cur - 1024 - HTTP_BUSY_EXTRA_TOTAL)
                           : 16;
        if (fit < want) {
            nvr_log(NVR_WARN, NULL,
                    "http: the open-file limit (%llu) fits only %u connections, not max_connections=%u: "
                    "raise LimitNOFILE",
                    (unsigned long long)rl.rlim_cur, fit, want);
            return fit;
        }
    }
    return want;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    nvr_log(NVR_WARN, NULL, "http: %s", msg);
}

int http_listen_is_loopback(const char *host)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (!host || getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai)
        return 0;
    int all = 1;
    for (struct addrinfo *p = ai; p && all; p = p->ai_next) {
        if (p->ai_family == AF_INET) {
            all = (ntohl(((struct sockaddr_in *)p->ai_addr)->sin_addr.s_addr) >> 24) == 127;
        } else if (p->ai_family == AF_INET6) {
            const struct in6_addr *a = &((struct sockaddr_in6 *)p->ai_addr)->sin6_addr;
            all = IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
        } else {
            all = 0;
        }
    }
    freeaddrinfo(ai);
    return all;
}

unsigned http_server_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 2 ? 2 : n > 16 ? 16 : (unsigned)n;
}

nvr_err http_server_start(struct http_server **out, struct nvr *nvr, const struct http_listen *l,
                          const struct http_route *routes, size_t nroutes)
{
    const char *host = l->host;
    int port = l->port;
    const struct http_tls *tls = l->tls;
    unsigned threads = l->threads ? l->threads : http_server_default_threads();
    unsigned max_total = fit_fd_limit(l->max_connections ? l->max_connections : 1000);
    unsigned per_addr = l->max_per_address;
    unsigned read_timeout = l->read_timeout_s ? l->read_timeout_s : 15;
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    char portstr[16];
    int rc = NVR_ENOMEM;
    struct http_server *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return NVR_ENOMEM;
    s->nvr = nvr;
    s->routes = routes;
    s->nroutes = nroutes;
    pthread_mutex_init(&s->streams_mu, NULL);
    pthread_mutex_init(&s->guard_conns.mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->guard_conns.cond, &ca);
    pthread_condattr_destroy(&ca);
    s->guard_conns.max_total = max_total;
    s->guard_conns.max_per_addr = per_addr;
    s->guard_conns.deadline_us = (int64_t)read_timeout * 1000000;
    if (!(s->counts = calloc(nroutes + 1, sizeof *s->counts)))
        goto out;
    snprintf(portstr, sizeof portstr, "%d", port);
    int gai = getaddrinfo(host, portstr, &hints, &ai);
    if (gai != 0 || !ai) {
        nvr_log(NVR_ERROR, NULL, "cannot resolve listen address host=%s error=\"%s\"", host, gai_strerror(gai));
        rc = NVR_ECONFIG;
        goto out;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (tls) {
        flags |= MHD_USE_TLS;
        s->tls = 1;
    }
    const char *priority = tls && tls->priority ? tls->priority : HTTP_TLS_PRIORITY;
    struct MHD_OptionItem tls_opts[] = {
        {tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, tls ? (void *)tls->cert_pem : NULL},
        {tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, tls ? (void *)tls->key_pem : NULL},
        {tls ? MHD_OPTION_HTTPS_PRIORITIES : MHD_OPTION_END, 0, tls ? (void *)priority : NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    /* libmicrohttpd's own limits are the hard backstop, a little above the
     * guard's: the connections in between are answered 503 */
    unsigned mhd_per_ip = per_addr ? per_addr + HTTP_BUSY_EXTRA : 0;
    s->d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_log, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_THREAD_POOL_SIZE,
        threads, MHD_OPTION_CONNECTION_LIMIT, max_total + HTTP_BUSY_EXTRA_TOTAL, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        mhd_per_ip, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, /* idle: a stalled reader */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
        MHD_OPTION_END);
    if (!s->d) {
        nvr_log(NVR_ERROR, NULL, "cannot listen address=%s port=%d (in use, or not an address of this machine%s)", host,
                port, tls ? ", or tls_priority is not a valid GnuTLS priority string" : "");
        rc = NVR_EIO;
        goto out;
    }
    if (pthread_create(&s->guard_conns.sweeper, NULL, sweeper, &s->guard_conns) == 0)
        s->guard_conns.running = 1;
    nvr_log(NVR_INFO, NULL,
            "http listening url=%s://%s%s%s:%d/ threads=%u max_connections=%u per_address=%u read_timeout=%us",
            tls ? "https" : "http", strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", port, threads,
            max_total, per_addr, read_timeout);
    *out = s;
    s = NULL;
    rc = NVR_OK;
out:
    if (ai)
        freeaddrinfo(ai);
    http_server_stop(&s);
    return rc;
}

void http_server_stop(struct http_server **sp)
{
    struct http_server *s = *sp;
    if (!s)
        return;
    if (s->d) {
        end_streams(s);
        /* connections waiting for http_reply_later are resumed by its threads */
        for (int i = 0; i < 3000 && atomic_load(&s->works) > 0; i++)
            usleep(10000);
        if (atomic_load(&s->works) > 0)
            nvr_log(NVR_WARN, NULL, "http: deferred answers still running at shutdown");
        guard_stop(&s->guard_conns);
        MHD_stop_daemon(s->d);
    }
    guard_stop(&s->guard_conns);
    for (size_t i = 0; i < CONN_BUCKETS; i++) /* left only if libmicrohttpd never started */
        while (s->guard_conns.buckets[i]) {
            struct conn_addr *a = s->guard_conns.buckets[i];
            s->guard_conns.buckets[i] = a->next;
            free(a);
        }
    pthread_cond_destroy(&s->guard_conns.cond);
    pthread_mutex_destroy(&s->guard_conns.mu);
    pthread_mutex_destroy(&s->streams_mu);
    free(s->counts);
    free(s);
    *sp = NULL;
}

void http_server_write_metrics(struct http_server *s, FILE *f)
{
    if (!s) /* a request served before http_server_start returned (nvr->http not set yet) */
        return;
    struct conn_guard *g = &s->guard_conns;
    pthread_mutex_lock(&g->mu);
    unsigned open = g->open;
    pthread_mutex_unlock(&g->mu);
    fprintf(f,
            "# HELP nvr_http_connections Open HTTP connections.\n"
            "# TYPE nvr_http_connections gauge\n"
            "nvr_http_connections %u\n"
            "# HELP nvr_http_connections_refused_total Connections answered 503 (busy) or closed at accept, "
            "and closed for reading a request past read_timeout.\n"
            "# TYPE nvr_http_connections_refused_total counter\n"
            "nvr_http_connections_refused_total{reason=\"busy_address\"} %llu\n"
            "nvr_http_connections_refused_total{reason=\"busy_total\"} %llu\n"
            "nvr_http_connections_refused_total{reason=\"closed_at_accept\"} %llu\n"
            "nvr_http_connections_refused_total{reason=\"read_timeout\"} %llu\n",
            open, (unsigned long long)atomic_load(&g->busy_addr), (unsigned long long)atomic_load(&g->busy_total),
            (unsigned long long)atomic_load(&g->refused), (unsigned long long)atomic_load(&g->cut));
    fputs("# HELP nvr_http_requests_total HTTP requests answered, by route and status.\n"
          "# TYPE nvr_http_requests_total counter\n",
          f);
    for (size_t i = 0; i <= s->nroutes; i++)
        for (size_t k = 0; k < NSTATUS; k++) {
            uint64_t n = atomic_load(&s->counts[i][k]);
            if (!n)
                continue;
            fputs("nvr_http_requests_total{route=", f);
            json_write_string(f, i < s->nroutes ? s->routes[i].pattern : "(none)");
            if (k < NSTATUS - 1)
                fprintf(f, ",code=\"%u\"} %llu\n", counted_status[k], (unsigned long long)n);
            else
                fprintf(f, ",code=\"other\"} %llu\n", (unsigned long long)n);
        }
}
