/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtsp_conn.c - the RTSP client's byte stream: TCP, TLS, or an RTSP-over-HTTP
 * tunnel (see rtsp_conn.h).
 *
 * A connection is one or two legs (struct leg: a socket, and an SSL object
 * with TLS).  Without a tunnel the one leg reads and writes.  With a tunnel,
 * `rd` is the GET leg and `wr` the POST leg.
 *
 * State: rtsp_conn_open leaves every leg connected (TLS handshaken) and, for
 * a tunnel, the GET response head consumed: bytes of the body that arrived
 * with the head wait in `pre` and are returned first by rtsp_conn_recv.
 * `out` holds queued bytes (already base64 for a tunnel) from opos on.
 *
 * Why OpenSSL and not GnuTLS: libcrypto is linked already (Digest, signing),
 * libssl comes with it, and the certificate fingerprint (X509_digest) is one
 * call; GnuTLS reaches us only through libmicrohttpd.
 */
#include "ingest/rtsp_conn.h"

#include "base/clock.h"
#include "base/err.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define POLL_SLICE_MS 100
#define HTTP_HEAD_MAX 4096
#define PINS_MAX 1024
#define FP_LEN (32 * 3)

struct leg {
    int fd;
    SSL *ssl;
};

struct rtsp_conn {
    struct leg rd, wr; /* wr.fd < 0 without a tunnel: writes go to rd */
    SSL_CTX *ctx;
    int tls, tunnel;
    const atomic_int *stop;
    uint8_t pre[HTTP_HEAD_MAX]; /* tunnel body bytes read with the GET head */
    size_t npre, ppre;
    uint8_t *out; /* queued bytes [opos, olen) */
    size_t olen, opos, ocap;
    char fingerprint[FP_LEN + 1];
    char tls_version[16];
};

/* ------------------------------------------------------------------ */
/* certificate pins                                                     */

static pthread_mutex_t pins_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pin {
    char *key;
    char fp[FP_LEN + 1];
} pins[PINS_MAX];
static int npins;

/* Pins fp under key if nothing is pinned yet: 1 fp is (now) the pin, 0 the
 * pin differs (*pinned gets it). */
static int pin_check(const char *key, const char *fp, char *pinned, size_t n)
{
    int ok = 1;
    pthread_mutex_lock(&pins_lock);
    int i;
    for (i = 0; i < npins && strcmp(pins[i].key, key) != 0; i++)
        ;
    if (i < npins) {
        ok = strcmp(pins[i].fp, fp) == 0;
        snprintf(pinned, n, "%s", pins[i].fp);
    } else if (npins < PINS_MAX && (pins[npins].key = strdup(key))) {
        snprintf(pins[npins++].fp, sizeof pins[0].fp, "%s", fp);
    }
    pthread_mutex_unlock(&pins_lock);
    return ok;
}

void rtsp_conn_forget_pins(void)
{
    pthread_mutex_lock(&pins_lock);
    for (int i = 0; i < npins; i++)
        free(pins[i].key);
    npins = 0;
    pthread_mutex_unlock(&pins_lock);
}

/* ------------------------------------------------------------------ */
/* helpers                                                              */

/* OpenSSL writes with write(2), which raises SIGPIPE on a connection the
 * camera closed; plain sends use MSG_NOSIGNAL.  Every SSL call that may
 * write runs with SIGPIPE blocked in this thread, and a SIGPIPE it raised is
 * consumed before the mask is restored (as curl does), so the library does
 * not depend on the process ignoring SIGPIPE. */
static void sigpipe_block(sigset_t *old)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &s, old);
}

static void sigpipe_restore(const sigset_t *old)
{
    if (sigismember(old, SIGPIPE))
        return; /* it was blocked before us: leave it pending */
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    struct timespec zero = {0, 0};
    int e = errno;
    while (sigtimedwait(&s, NULL, &zero) > 0)
        ;
    errno = e;
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

nvr_err rtsp_conn_wait_fd(int fd, short events, int64_t deadline, const atomic_int *stop)
{
    for (;;) {
        if (stop && atomic_load(stop))
            return NVR_ESTOPPED;
        int64_t now = nvr_clock_mono_us();
        if (now >= deadline)
            return NVR_ETIMEDOUT;
        int64_t ms = (deadline - now + 999) / 1000;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, (int)(ms < POLL_SLICE_MS ? ms : POLL_SLICE_MS));
        if (r > 0)
            return NVR_OK;
        if (r < 0 && errno != EINTR)
            return NVR_EIO;
    }
}

/* Waits for events on fd until the deadline or the stop flag. */
static nvr_err wait_fd(const struct rtsp_conn *c, int fd, short events, int64_t deadline)
{
    return rtsp_conn_wait_fd(fd, events, deadline, c->stop);
}

static nvr_err wait_error(int rc, const struct rtsp_conn_opts *o, const char *what, char *why, size_t whylen)
{
    if (rc == NVR_ESTOPPED)
        return nvr_fail(rc, why, whylen, "stopped");
    if (rc == NVR_ETIMEDOUT)
        return nvr_fail(rc, why, whylen, "no answer from %s port %s within %llds (%s)", o->host, o->port,
                        (long long)((o->timeout_us + 999999) / 1000000), what);
    return nvr_fail(rc, why, whylen, "poll failed: %s", strerror(errno));
}

static nvr_err leg_connect(struct rtsp_conn *c, const struct rtsp_conn_opts *o, struct leg *l, int64_t deadline,
                           char *why, size_t whylen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int gai = getaddrinfo(o->host, o->port, &hints, &res);
    if (gai != 0)
        return nvr_fail(NVR_ECONN, why, whylen, "cannot resolve %s: %s (connection failed)", o->host,
                        gai_strerror(gai));
    int rc = NVR_ECONN, err = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        l->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (l->fd < 0) {
            err = errno;
            continue;
        }
        if (connect(l->fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            rc = NVR_OK;
            break;
        }
        if (errno == EINPROGRESS) {
            rc = wait_fd(c, l->fd, POLLOUT, deadline);
            socklen_t sl = sizeof err;
            if (rc == NVR_OK && getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &err, &sl) == 0 && err == 0)
                break;
            if (rc == NVR_OK)
                rc = NVR_ECONN;
        } else {
            err = errno;
            rc = NVR_ECONN;
        }
        close(l->fd);
        l->fd = -1;
        if (rc == NVR_ESTOPPED || rc == NVR_ETIMEDOUT)
            break;
    }
    freeaddrinfo(res);
    if (rc == NVR_ESTOPPED || rc == NVR_ETIMEDOUT)
        return wait_error(rc, o, "connecting", why, whylen);
    if (rc)
        return nvr_fail(NVR_ECONN, why, whylen, "connection to %s port %s failed: %s", o->host, o->port, strerror(err));
    int one = 1;
    setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return NVR_OK;
}

/* The certificate's SHA-256 as AB:CD:... */
static void cert_fingerprint(SSL *ssl, char out[FP_LEN + 1])
{
    out[0] = '\0';
    X509 *cert = SSL_get1_peer_certificate(ssl);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (cert && X509_digest(cert, EVP_sha256(), md, &n) == 1 && n == 32)
        for (unsigned i = 0; i < n; i++)
            snprintf(out + 3 * i, 4, "%02X%s", md[i], i + 1 < n ? ":" : "");
    X509_free(cert);
}

static int is_address(const char *host)
{
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST}, *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return 0;
    freeaddrinfo(res);
    return 1;
}

static nvr_err leg_handshake(struct rtsp_conn *c, const struct rtsp_conn_opts *o, struct leg *l, int64_t deadline,
                             char *why, size_t whylen)
{
    if (!(l->ssl = SSL_new(c->ctx)) || SSL_set_fd(l->ssl, l->fd) != 1)
        return nvr_fail(NVR_ENOMEM, why, whylen, "out of memory (TLS)");
    if (!is_address(o->host))
        SSL_set_tlsext_host_name(l->ssl, o->host);
    for (;;) {
        sigset_t old;
        ERR_clear_error();
        sigpipe_block(&old);
        int r = SSL_connect(l->ssl);
        sigpipe_restore(&old);
        if (r == 1)
            break;
        int e = SSL_get_error(l->ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            char msg[160] = "connection closed";
            unsigned long ec = ERR_peek_error();
            if (ec)
                ERR_error_string_n(ec, msg, sizeof msg);
            else if (e == SSL_ERROR_SYSCALL && errno)
                snprintf(msg, sizeof msg, "%s", strerror(errno));
            return nvr_fail(NVR_EIO, why, whylen, "TLS handshake with %s port %s failed: %s", o->host, o->port, msg);
        }
        int rc = wait_fd(c, l->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
        if (rc)
            return wait_error(rc, o, "TLS handshake", why, whylen);
    }
    char fp[FP_LEN + 1], pinned[FP_LEN + 1] = "";
    cert_fingerprint(l->ssl, fp);
    if (!fp[0])
        return nvr_fail(NVR_EIO, why, whylen, "the camera sent no TLS certificate");
    if (o->pin_key && !pin_check(o->pin_key, fp, pinned, sizeof pinned))
        return nvr_fail(NVR_EAUTH, why, whylen,
                        "the camera's TLS certificate changed (sha256 %s, pinned %s): refused until nvr restarts", fp,
                        pinned);
    snprintf(c->fingerprint, sizeof c->fingerprint, "%s", fp);
    snprintf(c->tls_version, sizeof c->tls_version, "%s", SSL_get_version(l->ssl));
    return NVR_OK;
}

static nvr_err leg_open(struct rtsp_conn *c, const struct rtsp_conn_opts *o, struct leg *l, int64_t deadline, char *why,
                        size_t whylen)
{
    int rc = leg_connect(c, o, l, deadline, why, whylen);
    if (rc == NVR_OK && c->tls)
        rc = leg_handshake(c, o, l, deadline, why, whylen);
    return rc;
}

static void leg_close(struct leg *l)
{
    if (l->ssl) {
        sigset_t old;
        sigpipe_block(&old);
        SSL_shutdown(l->ssl); /* one close_notify, without waiting for the answer */
        sigpipe_restore(&old);
        SSL_free(l->ssl);
        l->ssl = NULL;
    }
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
}

static ssize_t ssl_read_some(struct leg *l, void *buf, size_t cap, size_t *gotp, short *want);

/* One non-blocking read on a leg: bytes, 0 with *want, or an error. */
static ssize_t leg_recv(struct leg *l, void *buf, size_t cap, short *want)
{
    *want = POLLIN;
    if (!l->ssl) {
        for (;;) {
            ssize_t n = recv(l->fd, buf, cap, MSG_DONTWAIT);
            if (n > 0)
                return n;
            if (n == 0)
                return NVR_EEOF;
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return nvr_err_from_errno(errno) == NVR_ECONN ? NVR_ECONN : NVR_EIO;
        }
    }
    size_t got = 0;
    sigset_t old;
    sigpipe_block(&old);
    ssize_t rc = ssl_read_some(l, buf, cap, &got, want);
    sigpipe_restore(&old);
    return rc;
}

/* leg_recv for TLS: *got bytes read; returns *got, or an error before any byte. */
static ssize_t ssl_read_some(struct leg *l, void *buf, size_t cap, size_t *gotp, short *want)
{
    size_t got = 0;
    while (got < cap) {
        size_t n = 0;
        ERR_clear_error();
        if (SSL_read_ex(l->ssl, (uint8_t *)buf + got, cap - got, &n) == 1) {
            got += n;
            continue;
        }
        int e = SSL_get_error(l->ssl, 0);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            *want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
            break;
        }
        if (got > 0)
            break; /* the error again on the next call */
        if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0))
            return NVR_EEOF;
        if (e == SSL_ERROR_SYSCALL)
            return nvr_err_from_errno(errno) == NVR_ECONN ? NVR_ECONN : NVR_EIO;
        errno = EPROTO;
        return NVR_EIO;
    }
    *gotp = got;
    return (ssize_t)got;
}

static ssize_t leg_send(struct leg *l, const void *data, size_t len, short *want)
{
    *want = POLLOUT;
    if (!l->ssl) {
        for (;;) {
            ssize_t n = send(l->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n >= 0)
                return n;
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return nvr_err_from_errno(errno) == NVR_ECONN ? NVR_ECONN : NVR_EIO;
        }
    }
    size_t n = 0;
    sigset_t old;
    ERR_clear_error();
    sigpipe_block(&old);
    int ok = SSL_write_ex(l->ssl, data, len, &n);
    sigpipe_restore(&old);
    if (ok == 1)
        return (ssize_t)n;
    int e = SSL_get_error(l->ssl, 0);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        *want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        return 0;
    }
    if (e == SSL_ERROR_SYSCALL && errno)
        return nvr_err_from_errno(errno) == NVR_ECONN ? NVR_ECONN : NVR_EIO;
    errno = EPROTO;
    return NVR_EIO;
}

/* Writes all of data on a leg (during open). */
static nvr_err leg_send_all(struct rtsp_conn *c, const struct rtsp_conn_opts *o, struct leg *l, const char *data,
                            size_t len, int64_t deadline, char *why, size_t whylen)
{
    while (len > 0) {
        short want;
        ssize_t n = leg_send(l, data, len, &want);
        if (n < 0)
            return nvr_fail((int)n, why, whylen, "sending to %s port %s failed: %s", o->host, o->port, strerror(errno));
        data += n;
        len -= (size_t)n;
        if (n == 0) {
            int rc = wait_fd(c, l->fd, want, deadline);
            if (rc)
                return wait_error(rc, o, "sending", why, whylen);
        }
    }
    return NVR_OK;
}

/* ------------------------------------------------------------------ */
/* the tunnel                                                           */

/* Sends the GET, reads its response head (keeping body bytes in pre), then
 * sends the POST head. */
static nvr_err tunnel_open(struct rtsp_conn *c, const struct rtsp_conn_opts *o, int64_t deadline, char *why,
                           size_t whylen)
{
    unsigned char rnd[16];
    char cookie[33], req[2048], host[300];
    if (RAND_bytes(rnd, sizeof rnd) != 1)
        return nvr_fail(NVR_EIO, why, whylen, "no random bytes for the tunnel's session cookie");
    for (unsigned i = 0; i < sizeof rnd; i++)
        snprintf(cookie + 2 * i, 3, "%02x", rnd[i]);
    snprintf(host, sizeof host, strchr(o->host, ':') ? "[%s]:%s" : "%s:%s", o->host, o->port);
    const char *path = o->tunnel_path && o->tunnel_path[0] ? o->tunnel_path : "/";
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: nvr\r\nx-sessioncookie: %s\r\n"
                     "Accept: application/x-rtsp-tunnelled\r\nPragma: no-cache\r\nCache-Control: no-cache\r\n\r\n",
                     path, host, cookie);
    if (n < 0 || (size_t)n >= sizeof req)
        return nvr_fail(NVR_EINVAL, why, whylen, "URL too long for the HTTP tunnel");
    int rc = leg_send_all(c, o, &c->rd, req, (size_t)n, deadline, why, whylen);
    if (rc)
        return rc;
    /* the GET's response head */
    size_t got = 0;
    const uint8_t *end = NULL;
    while (!end) {
        if (got == sizeof c->pre)
            return nvr_fail(NVR_EIO, why, whylen, "the camera's HTTP tunnel answer is malformed (head too long)");
        short want;
        ssize_t k = leg_recv(&c->rd, c->pre + got, sizeof c->pre - got, &want);
        if (k == NVR_EEOF)
            return nvr_fail(NVR_ECONN, why, whylen, "the camera closed the HTTP tunnel (no RTSP over HTTP on port %s?)",
                            o->port);
        if (k < 0)
            return nvr_fail((int)k, why, whylen, "receiving from %s port %s failed: %s", o->host, o->port,
                            strerror(errno));
        if (k == 0) {
            if ((rc = wait_fd(c, c->rd.fd, want, deadline)))
                return wait_error(rc, o, "HTTP tunnel", why, whylen);
            continue;
        }
        got += (size_t)k;
        end = memmem(c->pre, got, "\r\n\r\n", 4);
    }
    size_t hl = (size_t)(end - c->pre) + 4;
    int status = 0;
    if (sscanf((const char *)c->pre, "HTTP/1.%*d %d", &status) != 1)
        return nvr_fail(NVR_EIO, why, whylen, "the camera's HTTP tunnel answer is malformed");
    if (status == 401 || status == 403)
        return nvr_fail(NVR_EAUTH, why, whylen,
                        "the camera refused the HTTP tunnel (HTTP %d; HTTP authentication of "
                        "the tunnel is not supported)",
                        status);
    if (status != 200)
        return nvr_fail(NVR_ECONN, why, whylen, "the camera answered HTTP %d to the tunnel's GET", status);
    c->npre = got;
    c->ppre = hl;
    /* the POST: no answer comes to it */
    if ((rc = leg_open(c, o, &c->wr, deadline, why, whylen)))
        return rc;
    n = snprintf(req, sizeof req,
                 "POST %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: nvr\r\nx-sessioncookie: %s\r\n"
                 "Content-Type: application/x-rtsp-tunnelled\r\nPragma: no-cache\r\nCache-Control: no-cache\r\n"
                 "Content-Length: 32767\r\nExpires: Sun, 9 Jan 1972 00:00:00 GMT\r\n\r\n",
                 path, host, cookie);
    if (n < 0 || (size_t)n >= sizeof req)
        return nvr_fail(NVR_EINVAL, why, whylen, "URL too long for the HTTP tunnel");
    return leg_send_all(c, o, &c->wr, req, (size_t)n, deadline, why, whylen);
}

/* ------------------------------------------------------------------ */
/* interface                                                            */

nvr_err rtsp_conn_open(struct rtsp_conn **out, const struct rtsp_conn_opts *o, char *why, size_t whylen)
{
    int rc = NVR_ENOMEM;
    int64_t deadline = nvr_clock_mono_us() + o->timeout_us;
    struct rtsp_conn *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return nvr_fail(NVR_ENOMEM, why, whylen, "out of memory");
    c->rd.fd = c->wr.fd = -1;
    c->tls = o->tls;
    c->tunnel = o->tunnel;
    c->stop = o->stop;
    if (c->tls) {
        if (!(c->ctx = SSL_CTX_new(TLS_client_method()))) {
            rc = nvr_fail(NVR_ENOMEM, why, whylen, "out of memory (TLS)");
            goto out;
        }
        /* self-signed certificates are the rule: pinned, not verified (rtsp_conn.h) */
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
        SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
        SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF); /* a closed socket is the end */
        SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    }
    if ((rc = leg_open(c, o, &c->rd, deadline, why, whylen)))
        goto out;
    if (c->tunnel && (rc = tunnel_open(c, o, deadline, why, whylen)))
        goto out;
    *out = c;
    c = NULL;
    rc = NVR_OK;
out:
    rtsp_conn_close(&c);
    return rc;
}

ssize_t rtsp_conn_recv(struct rtsp_conn *c, void *buf, size_t cap, short *want)
{
    if (c->ppre < c->npre) {
        /* the tunnel's first body bytes, then what the connection has (so
         * that nothing stays buffered in OpenSSL when the caller polls) */
        size_t n = c->npre - c->ppre < cap ? c->npre - c->ppre : cap;
        memcpy(buf, c->pre + c->ppre, n);
        c->ppre += n;
        if (n < cap) {
            ssize_t k = leg_recv(&c->rd, (uint8_t *)buf + n, cap - n, want);
            if (k > 0)
                n += (size_t)k;
        }
        return (ssize_t)n;
    }
    return leg_recv(&c->rd, buf, cap, want);
}

nvr_err rtsp_conn_write(struct rtsp_conn *c, const void *data, size_t len)
{
    size_t need = c->tunnel ? 4 * ((len + 2) / 3) + 1 : len;
    if (c->opos == c->olen)
        c->opos = c->olen = 0;
    if (c->olen + need > c->ocap) {
        size_t cap = c->ocap ? c->ocap : 4096;
        while (cap < c->olen + need)
            cap *= 2;
        uint8_t *p = realloc(c->out, cap);
        if (!p)
            return NVR_ENOMEM;
        c->out = p;
        c->ocap = cap;
    }
    if (c->tunnel)
        c->olen += (size_t)EVP_EncodeBlock(c->out + c->olen, data, (int)len);
    else
        memcpy(c->out + c->olen, data, len), c->olen += len;
    return NVR_OK;
}

int rtsp_conn_flush(struct rtsp_conn *c, short *want, int *fd)
{
    struct leg *l = c->tunnel ? &c->wr : &c->rd;
    *fd = l->fd;
    while (c->opos < c->olen) {
        ssize_t n = leg_send(l, c->out + c->opos, c->olen - c->opos, want);
        if (n < 0)
            return (int)n;
        if (n == 0)
            return 0;
        c->opos += (size_t)n;
    }
    return 1;
}

int rtsp_conn_fd(const struct rtsp_conn *c)
{
    return c->rd.fd;
}

nvr_err rtsp_conn_peer(const struct rtsp_conn *c, struct sockaddr_storage *addr, socklen_t *len)
{
    *len = sizeof *addr;
    return getpeername(c->rd.fd, (struct sockaddr *)addr, len) == 0 ? NVR_OK : NVR_EIO;
}

const char *rtsp_conn_kind(const struct rtsp_conn *c)
{
    return c->tunnel ? (c->tls ? "https" : "http") : c->tls ? "tls" : "tcp";
}

const char *rtsp_conn_fingerprint(const struct rtsp_conn *c)
{
    return c->fingerprint;
}

const char *rtsp_conn_tls_version(const struct rtsp_conn *c)
{
    return c->tls_version;
}

void rtsp_conn_close(struct rtsp_conn **cp)
{
    struct rtsp_conn *c = *cp;
    if (!c)
        return;
    leg_close(&c->wr);
    leg_close(&c->rd);
    SSL_CTX_free(c->ctx);
    free(c->out);
    free(c);
    *cp = NULL;
}
