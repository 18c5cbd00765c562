/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console_proxy.c - GET /api/v1/cameras/SITE.ID/...: a camera's routes,
 * forwarded to the recorder of SITE (docs/design/catalog.md "The console").
 *
 * Each transfer is one libcurl easy handle on a detached thread of its own.
 * The handler waits (at most HEADERS_WAIT_S) for the recorder's status and
 * headers, then answers with them and a body read from a ring buffer of
 * RING bytes: curl's write callback blocks while the ring is full (so a
 * slow browser slows the recorder down instead of growing the console), and
 * the HTTP server suspends the connection while the ring is empty.  When
 * the browser goes, the stream is freed: the write and progress callbacks
 * see `closed` and abort the transfer.  The transfer and the HTTP side
 * each hold a reference; the last one frees.
 */
#include "console/console_int.h"

#include "base/clock.h"
#include "base/log.h"
#include "storage/users.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RING (256 * 1024)
#define HEADERS_WAIT_S 15
#define NKEEP 6

/* Response headers copied back to the browser. */
static const char *const keep[NKEEP] = {"Content-Range", "Accept-Ranges", "ETag",
                                        "Last-Modified", "X-End-Time",    "Content-Disposition"};

struct xfer {
    struct console *c;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs;
    /* set by the transfer */
    int headers_done, done, failed;
    long status;
    char ctype[128], cache[128];
    long long length; /* -1: not given */
    char hv[NKEEP][256];
    char err[CURL_ERROR_SIZE];
    /* the ring */
    char *buf;
    size_t head, fill;
    /* set by the HTTP side */
    int closed;
    struct http_stream *stream;
    /* the request */
    char url[2048], auth[96], pin[128], range[128], inm[160], ims[96], ifrange[160];
    int head_only;
    char method[8];
    char *body; /* a POST/PUT/DELETE body, copied */
    size_t body_len;
};

static void unref(struct xfer *x)
{
    pthread_mutex_lock(&x->mu);
    int left = --x->refs;
    pthread_mutex_unlock(&x->mu);
    if (left)
        return;
    sodium_memzero(x->auth, sizeof x->auth);
    pthread_mutex_destroy(&x->mu);
    pthread_cond_destroy(&x->cv);
    free(x->buf);
    free(x->body);
    free(x);
}

static void wake(struct xfer *x)
{
    if (x->stream)
        http_stream_wake(x->stream);
    pthread_cond_broadcast(&x->cv);
}

static size_t on_header(char *p, size_t size, size_t n, void *cls)
{
    struct xfer *x = cls;
    size_t len = size * n;
    if (len <= 2 && (p[0] == '\r' || p[0] == '\n')) {
        pthread_mutex_lock(&x->mu);
        if (x->status >= 200 || x->status == 0) {
            x->headers_done = 1;
            wake(x);
        }
        pthread_mutex_unlock(&x->mu);
        return len;
    }
    if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
        const char *sp = memchr(p, ' ', len);
        pthread_mutex_lock(&x->mu);
        x->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        x->ctype[0] = x->cache[0] = '\0';
        x->length = -1;
        for (int i = 0; i < NKEEP; i++)
            x->hv[i][0] = '\0';
        pthread_mutex_unlock(&x->mu);
        return len;
    }
    const char *colon = memchr(p, ':', len);
    if (!colon)
        return len;
    size_t kl = (size_t)(colon - p);
    const char *v = colon + 1;
    while (v < p + len && (*v == ' ' || *v == '\t'))
        v++;
    int vl = (int)(p + len - v);
    while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        vl--;
    pthread_mutex_lock(&x->mu);
    if (kl == 12 && strncasecmp(p, "Content-Type", kl) == 0)
        snprintf(x->ctype, sizeof x->ctype, "%.*s", vl, v);
    else if (kl == 13 && strncasecmp(p, "Cache-Control", kl) == 0)
        snprintf(x->cache, sizeof x->cache, "%.*s", vl, v);
    else if (kl == 14 && strncasecmp(p, "Content-Length", kl) == 0)
        x->length = strtoll(v, NULL, 10);
    for (int i = 0; i < NKEEP; i++)
        if (kl == strlen(keep[i]) && strncasecmp(p, keep[i], kl) == 0)
            snprintf(x->hv[i], sizeof x->hv[i], "%.*s", vl, v);
    pthread_mutex_unlock(&x->mu);
    return len;
}

/* Copies the recorder's bytes into the ring, waiting while it is full;
 * 0 (curl aborts) once the browser is gone. */
static size_t on_body(char *p, size_t size, size_t n, void *cls)
{
    struct xfer *x = cls;
    size_t len = size * n, put = 0;
    pthread_mutex_lock(&x->mu);
    while (put < len) {
        while (x->fill == RING && !x->closed)
            pthread_cond_wait(&x->cv, &x->mu);
        if (x->closed)
            break;
        size_t tail = (x->head + x->fill) % RING;
        size_t room = RING - x->fill, chunk = len - put;
        if (chunk > room)
            chunk = room;
        if (chunk > RING - tail)
            chunk = RING - tail;
        memcpy(x->buf + tail, p + put, chunk);
        x->fill += chunk;
        put += chunk;
        wake(x);
    }
    pthread_mutex_unlock(&x->mu);
    return put == len ? len : 0;
}

static int on_progress(void *cls, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    struct xfer *x = cls;
    pthread_mutex_lock(&x->mu);
    int closed = x->closed;
    pthread_mutex_unlock(&x->mu);
    return closed;
}

static void *run(void *arg)
{
    struct xfer *x = arg;
    CURL *h = curl_easy_init();
    struct curl_slist *hs = NULL;
    CURLcode cc = CURLE_OUT_OF_MEMORY;
    if (h) {
        hs = curl_slist_append(hs, x->auth);
        if (x->range[0])
            hs = curl_slist_append(hs, x->range);
        if (x->inm[0])
            hs = curl_slist_append(hs, x->inm);
        if (x->ims[0])
            hs = curl_slist_append(hs, x->ims);
        if (x->ifrange[0])
            hs = curl_slist_append(hs, x->ifrange);
        curl_easy_setopt(h, CURLOPT_URL, x->url);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->err);
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, NULL);
        if (x->head_only)
            curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        else if (strcmp(x->method, "GET") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, x->method);
        if (x->body_len) {
            hs = curl_slist_append(hs, "Content-Type: application/json");
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, x->body);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
        }
        if (x->pin[0]) {
            /* recorders make their own certificates: the pinned key is the trust */
            curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, x->pin);
            curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
            curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        cc = curl_easy_perform(h);
        curl_slist_free_all(hs);
        curl_easy_cleanup(h);
    }
    pthread_mutex_lock(&x->mu);
    x->done = 1;
    x->failed = cc != CURLE_OK;
    if (x->failed && !x->err[0])
        snprintf(x->err, sizeof x->err, "%s", curl_easy_strerror(cc));
    wake(x);
    pthread_mutex_unlock(&x->mu);
    atomic_fetch_sub(&x->c->proxied, 1);
    unref(x);
    return NULL;
}

/* The stream's reader (an HTTP thread): what the ring holds. */
static long reader(void *cls, char *buf, size_t max)
{
    struct xfer *x = cls;
    pthread_mutex_lock(&x->mu);
    size_t n = x->fill < max ? x->fill : max;
    if (n > RING - x->head)
        n = RING - x->head;
    if (n) {
        memcpy(buf, x->buf + x->head, n);
        x->head = (x->head + n) % RING;
        x->fill -= n;
        pthread_cond_broadcast(&x->cv);
    }
    long ret = n ? (long)n : x->done ? -1 : 0;
    pthread_mutex_unlock(&x->mu);
    return ret;
}

static void attach(void *cls, struct http_stream *s)
{
    struct xfer *x = cls;
    pthread_mutex_lock(&x->mu);
    x->stream = s;
    pthread_mutex_unlock(&x->mu);
}

static void stream_gone(void *cls)
{
    struct xfer *x = cls;
    pthread_mutex_lock(&x->mu);
    x->closed = 1;
    x->stream = NULL;
    pthread_cond_broadcast(&x->cv);
    pthread_mutex_unlock(&x->mu);
    unref(x);
}

/* "SITE.ID" into its parts; -1 when it is not one. */
static int split_id(const char *full, char site[CONSOLE_NAME_LEN], char id[CONSOLE_NAME_LEN])
{
    const char *dot = strchr(full, '.');
    if (!dot || dot == full || (size_t)(dot - full) >= CONSOLE_NAME_LEN || strlen(dot + 1) >= CONSOLE_NAME_LEN ||
        !dot[1])
        return -1;
    for (const char *p = full; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
            return -1;
    snprintf(site, CONSOLE_NAME_LEN, "%.*s", (int)(dot - full), full);
    snprintf(id, CONSOLE_NAME_LEN, "%s", dot + 1);
    return strchr(id, '.') ? -1 : 0;
}

/* The path after /api/v1/cameras/SITE.ID, percent-encoded; -1 if it has
 * characters a camera route never has. */
static int rest_of(const char *path, size_t skip, char *out, size_t n)
{
    const char *p = path + skip;
    for (const char *q = p; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '_' ||
              *q == '-' || *q == '.' || *q == '/'))
            return -1;
    if (strstr(p, "/../") || strstr(p, "/./") || strlen(p) >= n)
        return -1;
    snprintf(out, n, "%s", p);
    return 0;
}

/* The site's url and pin for a camera the catalog lists and u may see: 1,
 * 0 (no such camera, or hidden from u), -1 (the catalog cannot answer). */
static int locate(struct console *c, const struct console_user *u, const char *site, const char *id, char *url,
                  size_t un, char *pin, size_t pn)
{
    const char *p[] = {site, id};
    PGresult *res;
    if (console_pg_exec(c->pg,
                        "SELECT s.url, s.tls_pin, k.group_name FROM nvr_cameras k JOIN nvr_sites s ON s.name = k.site "
                        "WHERE k.site = $1 AND k.id = $2 AND k.status <> 'removed'",
                        2, p, &res))
        return -1;
    int found =
        PQntuples(res) == 1 && console_may_see(u, site, id, PQgetisnull(res, 0, 2) ? NULL : PQgetvalue(res, 0, 2));
    if (found) {
        snprintf(url, un, "%s", PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0));
        snprintf(pin, pn, "%s", PQgetisnull(res, 0, 1) ? "" : PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return found;
}

static void copy_header(struct http_request *r, const char *name, char *dst, size_t n)
{
    const char *v = http_header(r, name);
    dst[0] = '\0';
    size_t nl = strlen(name);
    if (v && nl + 2 + strlen(v) < n && !strpbrk(v, "\r\n")) {
        memcpy(dst, name, nl);
        memcpy(dst + nl, ": ", 2);
        memcpy(dst + nl + 2, v, strlen(v) + 1);
    }
}

/* Waits for the recorder's headers; 0 when they came, -1 when the transfer
 * failed first or took too long. */
static int wait_headers(struct xfer *x)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += HEADERS_WAIT_S;
    int rc = 0;
    pthread_mutex_lock(&x->mu);
    while (!x->headers_done && !x->done && rc == 0)
        rc = pthread_cond_timedwait(&x->cv, &x->mu, &until);
    int ok = x->headers_done && x->status >= 100;
    pthread_mutex_unlock(&x->mu);
    return ok ? 0 : -1;
}

static long upstream_status(struct xfer *x)
{
    pthread_mutex_lock(&x->mu);
    long st = x->status;
    pthread_mutex_unlock(&x->mu);
    return st;
}

/* Starts the transfer thread; 0, or -1 (nothing started). */
static int start(struct xfer *x)
{
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, run, x);
    pthread_attr_destroy(&attr);
    return rc ? -1 : 0;
}

/* Answers with the recorder's status, headers and (streamed) body. */
static http_result answer(struct http_request *r, struct xfer *x)
{
    pthread_mutex_lock(&x->mu);
    unsigned status = (unsigned)x->status;
    uint64_t size = status == 304 || status == 204 ? 0 : x->length >= 0 ? (uint64_t)x->length : UINT64_MAX;
    char ctype[128], cache[128];
    snprintf(ctype, sizeof ctype, "%s", x->ctype);
    snprintf(cache, sizeof cache, "%s", x->cache[0] ? x->cache : "no-store");
    for (int i = 0; i < NKEEP; i++)
        if (x->hv[i][0])
            http_add_reply_header(r, keep[i], x->hv[i]);
    pthread_mutex_unlock(&x->mu);
    return http_reply_stream_status(r, status, size, ctype[0] ? ctype : NULL, cache, reader, x, attach, stream_gone);
}

static http_result busy(struct http_request *r)
{
    http_add_reply_header(r, "Retry-After", "5");
    return http_reply_error(r, 503, "too many camera transfers through the console at once: try again in a moment");
}

/* Fills x's request from r: the recorder's URL is base + prefix + the
 * request path after skip bytes + the query; -1 with a 4xx made in *ret. */
static int prepare(struct http_request *r, struct xfer *x, const char *base, const char *prefix, size_t skip,
                   http_result *ret)
{
    char rest[512], qs[1024], secret[CONSOLE_SECRET_LEN];
    if (rest_of(http_path(r), skip, rest, sizeof rest) || http_query_string(r, qs, sizeof qs)) {
        *ret = http_reply_error(r, 400, "bad path or query");
        return -1;
    }
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    snprintf(x->url, sizeof x->url, "%.*s%s%s%s%s", (int)bl, base, prefix, rest, qs[0] ? "?" : "", qs);
    console_secret(r, secret);
    snprintf(x->auth, sizeof x->auth, "Authorization: Bearer %s", secret);
    sodium_memzero(secret, sizeof secret);
    copy_header(r, "Range", x->range, sizeof x->range);
    copy_header(r, "If-None-Match", x->inm, sizeof x->inm);
    copy_header(r, "If-Modified-Since", x->ims, sizeof x->ims);
    copy_header(r, "If-Range", x->ifrange, sizeof x->ifrange);
    x->head_only = http_is_head(r);
    snprintf(x->method, sizeof x->method, "%s", x->head_only ? "GET" : http_method(r));
    size_t blen = 0;
    const char *body = http_body(r, &blen);
    if (blen && !(x->body = malloc(blen))) {
        *ret = http_reply_error(r, 500, "out of memory");
        return -1;
    }
    if (blen)
        memcpy(x->body, body, blen);
    x->body_len = blen;
    return 0;
}

/* Forwards r to the recorder of site at base (pin: its tls_pin) as base +
 * prefix + the path after skip bytes; logs user, site and what. */
static http_result forward(struct http_request *r, struct console *c, const char *site, const char *what,
                           const char *base, const char *pin, const char *prefix, size_t skip)
{
    const struct console_user *u = console_user(r);
    if (!base[0])
        return http_reply_error(r, 502, "site %s has not advertised where it can be reached ([catalog] advertise)",
                                site);
    struct xfer *x = calloc(1, sizeof *x);
    if (!x || !(x->buf = malloc(RING))) {
        free(x);
        return http_reply_error(r, 500, "out of memory");
    }
    x->c = c;
    x->refs = 1;
    x->length = -1;
    pthread_mutex_init(&x->mu, NULL);
    pthread_cond_init(&x->cv, NULL);
    snprintf(x->pin, sizeof x->pin, "%s", strncmp(base, "https://", 8) == 0 ? pin : "");
    http_result ret;
    if (prepare(r, x, base, prefix, skip, &ret)) {
        unref(x);
        return ret;
    }
    if (atomic_fetch_add(&c->proxied, 1) >= c->cfg->console.max_proxied) {
        atomic_fetch_sub(&c->proxied, 1);
        unref(x);
        return busy(r);
    }
    console_log(c, u->name, http_client_address(r), "proxy", site, what, http_path(r));
    x->refs = 2;
    if (start(x)) {
        atomic_fetch_sub(&c->proxied, 1);
        x->refs = 1;
        unref(x);
        return http_reply_error(r, 500, "cannot start the transfer");
    }
    if (wait_headers(x)) {
        pthread_mutex_lock(&x->mu);
        nvr_log(NVR_WARN, NULL, "console: site %s did not answer: %s", site, x->err[0] ? x->err : "timed out");
        pthread_mutex_unlock(&x->mu);
        stream_gone(x);
        return http_reply_error(r, 502, "the recorder of site %s cannot be reached", site);
    }
    if (upstream_status(x) == 401) {
        /* passed on, the browser would take its console session for ended */
        stream_gone(x);
        return http_reply_error(r, 502,
                                "the recorder of site %s did not accept your sign-in (a console break-glass account, "
                                "or a recorder that cannot reach the catalog)",
                                site);
    }
    return answer(r, x);
}

http_result console_proxy(struct http_request *r, struct nvr *nvr)
{
    struct console *c = console_of(nvr);
    const struct console_user *u = console_user(r);
    const char *full = http_param(r, 0);
    char site[CONSOLE_NAME_LEN], id[CONSOLE_NAME_LEN], base[1024], pin[128], prefix[128];
    if (split_id(full, site, id))
        return http_reply_error(r, 404, "no such camera");
    int found = locate(c, u, site, id, base, sizeof base, pin, sizeof pin);
    if (found < 0)
        return console_reply_catalog_down(r);
    if (!found)
        return http_reply_error(r, 404, "no such camera");
    snprintf(prefix, sizeof prefix, "/api/v1/cameras/%s", id);
    return forward(r, c, site, id, base, pin, prefix, strlen("/api/v1/cameras/") + strlen(full));
}

/* A site's url and pin: 1, 0 (no such site), -1 (the catalog cannot answer). */
static int locate_site(struct console *c, const char *site, char *url, size_t un, char *pin, size_t pn)
{
    const char *p[] = {site};
    PGresult *res;
    if (console_pg_exec(c->pg, "SELECT url, tls_pin FROM nvr_sites WHERE name = $1", 1, p, &res))
        return -1;
    int found = PQntuples(res) == 1;
    if (found) {
        snprintf(url, un, "%s", PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0));
        snprintf(pin, pn, "%s", PQgetisnull(res, 0, 1) ? "" : PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return found;
}

http_result console_site_proxy(struct http_request *r, struct nvr *nvr)
{
    struct console *c = console_of(nvr);
    const struct console_user *u = console_user(r);
    const char *site = http_param(r, 0);
    char base[1024], pin[128], head[24];
    size_t skip = strlen("/api/v1/sites/") + strlen(site) + 1; /* up to "holds..." / "exports..." */
    const char *rest = http_path(r) + skip;
    if (strlen(http_path(r)) < skip)
        return http_reply_error(r, 404, "no such route");
    snprintf(head, sizeof head, "%.*s", (int)strcspn(rest, "/"), rest);
    if (strcmp(head, "holds") != 0 && strcmp(head, "exports") != 0)
        return http_reply_error(r, 404, "no such route");
    int visible = console_site_visible(c, u, site);
    int found = visible > 0 ? locate_site(c, site, base, sizeof base, pin, sizeof pin) : visible;
    if (found < 0)
        return console_reply_catalog_down(r);
    if (!found)
        return http_reply_error(r, 404, "no such site");
    return forward(r, c, site, head, base, pin, "/api/v1/", skip);
}
