/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtsp_client.c - RTSP over one byte stream with interleaved media (see
 * rtsp_client.h); the stream (TCP, TLS or an HTTP tunnel) is rtsp_conn.c's.
 *
 * The read buffer holds bytes [rpos, wpos) not yet consumed.
 * rtsp_frame_next() looks at rpos: '$' starts an interleaved frame (4-byte header), a line
 * "RTSP/1.x ..." or "METHOD url RTSP/1.x" starts a message (head up to the
 * empty line, then Content-Length bytes of body), anything else is skipped
 * up to the next byte that may begin one (resynchronisation after garbage).
 * An item is returned only when it is complete in the buffer; fill() then
 * reads more.  Items point into the buffer, which fill() compacts (moves the
 * unconsumed tail to the front) only when less than 64 KiB is free, so a
 * returned item stays valid until the next call.
 *
 * fill() calls rtsp_conn_recv (recv(2), or SSL_read until OpenSSL has
 * nothing left) without waiting while the socket may still hold data
 * (`drained` clear) and poll(2)s only after a short read, so receiving a
 * burst costs one poll and one recv.  While streaming, SO_RCVLOWAT makes
 * poll wake only once `lowat` bytes are waiting (the kernel also wakes us
 * when the receive window closes), and each poll slice (`slice_ms`) ends
 * with a recv of whatever there is, so a slow stream is read at most one
 * slice late.  Two paces (rtsp_client_set_pace):
 *   prompt  - 64 KiB or 100 ms: at 4 Mbit/s about 10 wake-ups a second
 *             instead of 25, one per frame (the default);
 *   relaxed - 256 KiB or 400 ms: about 2.5 a second, for a stream that only
 *             goes to disk (nobody watches it live; bench/README.md, "read
 *             pace", has the figures).
 * Waking up is most of what ingest costs (context switches), hence the care.
 * The stop flag is looked at once per slice, so a stop takes up to one.
 */
#include "ingest/rtsp_client.h"

#include "ingest/rtsp_auth.h"
#include "ingest/rtsp_conn.h"
#include "base/clock.h"
#include "base/err.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_CAP (128 * 1024)
#define READ_MIN (64 * 1024)
#define HEAD_MAX (16 * 1024)
#define BODY_MAX (64 * 1024)
#define LINE_PROBE 512    /* a message's first line must fit in this */
#define POLL_SLICE_MS 100 /* how often a wait looks at *stop (prompt pace) */
#define RELAXED_SLICE_MS 400
#define PROMPT_LOWAT (64 * 1024) /* while streaming, poll wakes for this many bytes */
#define RELAXED_LOWAT (256 * 1024)
#define TEARDOWN_WAIT_US 500000
#define MAX_REDIRECTS 3
#define USER_AGENT "nvr"

struct rtsp_client {
    struct rtsp_url url;
    int64_t timeout_us;
    const atomic_int *stop;
    int ignore_stop;        /* while tearing down */
    int tunnel;             /* RTSP over HTTP */
    const char *camera;     /* pins the TLS certificate; may be NULL */
    struct rtsp_conn *conn; /* NULL while not connected */

    uint8_t *buf; /* BUF_CAP bytes; [rpos, wpos) unread */
    size_t rpos, wpos;
    int drained;  /* the last recv found the socket empty */
    int lowat;    /* SO_RCVLOWAT while streaming, 0 if not set */
    int slice_ms; /* the poll slice while lowat is set (the pace) */

    int cseq;
    char base[1024]; /* Content-Base: relative controls resolve here */
    char session[128];
    int session_timeout;
    int channels; /* interleaved channels handed out */
    int udp;      /* a track was set up for UDP: no SO_RCVLOWAT */
    int playing;
    int use_get_parameter;
    int64_t keepalive_us, next_keepalive;
    char challenge[512]; /* the WWW-Authenticate we answer, "" if none */
    unsigned nc;

    struct rtsp_reply reply; /* the last message taken from the stream */
    const uint8_t *body;
    size_t body_len;
};

/* ------------------------------------------------------------------ */
/* URLs                                                                 */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void percent_decode(char *dst, size_t cap, const char *src, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        if (src[i] == '%' && i + 2 < n && hexval(src[i + 1]) >= 0 && hexval(src[i + 2]) >= 0) {
            dst[o++] = (char)(hexval(src[i + 1]) << 4 | hexval(src[i + 2]));
            i += 2;
        } else {
            dst[o++] = src[i];
        }
    }
    dst[o] = '\0';
}

nvr_err rtsp_url_parse(const char *url, struct rtsp_url *u)
{
    memset(u, 0, sizeof *u);
    if (strncasecmp(url, "rtsps://", 8) == 0)
        u->tls = 1;
    else if (strncasecmp(url, "rtsp://", 7) != 0)
        return NVR_EINVAL;
    const char *scheme = u->tls ? "rtsps" : "rtsp";
    const char *auth = url + strlen(scheme) + 3;
    size_t alen = strcspn(auth, "/?#");
    const char *rest = auth + alen;
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
        if (auth[i] == '@')
            at = auth + i; /* the last '@': passwords may contain one */
    const char *hostport = auth;
    if (at) {
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        size_t ulen = colon ? (size_t)(colon - auth) : (size_t)(at - auth);
        percent_decode(u->user, sizeof u->user, auth, ulen);
        if (colon)
            percent_decode(u->password, sizeof u->password, colon + 1, (size_t)(at - colon - 1));
        u->has_user = 1;
        hostport = at + 1;
    }
    size_t hplen = (size_t)(auth + alen - hostport);
    const char *port = NULL;
    size_t hlen;
    if (hplen > 0 && hostport[0] == '[') {
        const char *close = memchr(hostport, ']', hplen);
        if (!close)
            return NVR_EINVAL;
        hlen = (size_t)(close - hostport - 1);
        if (hlen >= sizeof u->host)
            return NVR_EINVAL;
        memcpy(u->host, hostport + 1, hlen);
        if (close + 1 < hostport + hplen) {
            if (close[1] != ':')
                return NVR_EINVAL;
            port = close + 2;
        }
    } else {
        const char *colon = memchr(hostport, ':', hplen);
        hlen = colon ? (size_t)(colon - hostport) : hplen;
        if (hlen >= sizeof u->host)
            return NVR_EINVAL;
        memcpy(u->host, hostport, hlen);
        if (colon)
            port = colon + 1;
    }
    if (u->host[0] == '\0')
        return NVR_EINVAL;
    size_t plen = port ? (size_t)(hostport + hplen - port) : 0;
    if (port && plen > 0) {
        if (plen >= sizeof u->port)
            return NVR_EINVAL;
        for (size_t i = 0; i < plen; i++)
            if (!isdigit((unsigned char)port[i]))
                return NVR_EINVAL;
        memcpy(u->port, port, plen);
        u->has_port = 1;
    } else {
        snprintf(u->port, sizeof u->port, u->tls ? "322" : "554");
    }
    /* the rest goes on the request line as it is, a '#' included: cameras
     * have paths such as /live#1 (as libavformat sends them) */
    int n = snprintf(u->request_url, sizeof u->request_url, "%s://%.*s%s", scheme, (int)hplen, hostport, rest);
    if (n < 0 || (size_t)n >= sizeof u->request_url)
        return NVR_EINVAL;
    return NVR_OK;
}

/* Resolves a control attribute against the Content-Base, the way cameras
 * expect it (and libavformat does it): absolute URLs as they are, "*" or ""
 * is the base, anything else is appended to the base after a '/'. */
static void resolve_control(const struct rtsp_client *c, const char *control, char *out, size_t n)
{
    if (strncasecmp(control, "rtsp://", 7) == 0 || strncasecmp(control, "rtsps://", 8) == 0) {
        snprintf(out, n, "%s", control);
    } else if (control[0] == '\0' || strcmp(control, "*") == 0) {
        snprintf(out, n, "%s", c->base);
    } else {
        size_t bl = strlen(c->base);
        int slash = bl > 0 && c->base[bl - 1] == '/';
        int k = snprintf(out, n, "%s%s", c->base, slash ? "" : "/");
        if (k >= 0 && (size_t)k < n)
            snprintf(out + k, n - (size_t)k, "%s", control);
    }
}

/* ------------------------------------------------------------------ */
/* message heads                                                        */

static void copy_value(char *dst, size_t cap, const char *v, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

nvr_err rtsp_reply_parse(const char *head, size_t len, struct rtsp_reply *r)
{
    memset(r, 0, sizeof *r);
    r->session_timeout = 60;
    const char *p = head, *end = head + len;
    const char *eol = memchr(p, '\n', len);
    if (!eol)
        return NVR_EINVAL;
    size_t l0 = (size_t)(eol - p);
    if (l0 > 0 && p[l0 - 1] == '\r')
        l0--;
    if (l0 >= 9 && strncmp(p, "RTSP/1.", 7) == 0 && p[8] == ' ') {
        int status = 0;
        size_t i = 9;
        while (i < l0 && isdigit((unsigned char)p[i]) && status < 1000)
            status = status * 10 + (p[i++] - '0');
        if (status < 100 || status > 999)
            return NVR_EINVAL;
        r->status = status;
        while (i < l0 && p[i] == ' ')
            i++;
        copy_value(r->reason, sizeof r->reason, p + i, l0 - i);
    } else {
        size_t i = 0;
        while (i < l0 && ((p[i] >= 'A' && p[i] <= 'Z') || p[i] == '_'))
            i++;
        if (i == 0 || i >= l0 || p[i] != ' ')
            return NVR_EINVAL;
        r->is_request = 1;
        copy_value(r->method, sizeof r->method, p, i);
    }
    for (p = eol + 1; p < end;) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        size_t n = e ? (size_t)(e - p) : (size_t)(end - p);
        const char *next = e ? e + 1 : end;
        if (n > 0 && p[n - 1] == '\r')
            n--;
        const char *colon = n > 0 && p[0] != ' ' && p[0] != '\t' ? memchr(p, ':', n) : NULL;
        if (colon) {
            size_t kl = (size_t)(colon - p);
            const char *v = colon + 1, *ve = p + n;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            size_t vl = (size_t)(ve - v);
#define IS(name) (kl == sizeof name - 1 && strncasecmp(p, name, kl) == 0)
            char tmp[512];
            copy_value(tmp, sizeof tmp, v, vl);
            if (IS("CSeq")) {
                r->cseq = atoi(tmp);
            } else if (IS("Content-Length")) {
                char *ep;
                unsigned long long cl = strtoull(tmp, &ep, 10);
                if (ep == tmp || tmp[0] == '-' || cl > (1u << 30))
                    return NVR_EINVAL;
                r->content_length = (size_t)cl;
            } else if (IS("Session")) {
                size_t idl = strcspn(tmp, "; ");
                copy_value(r->session, sizeof r->session, tmp, idl);
                const char *t = strcasestr(tmp, "timeout=");
                if (t && atoi(t + 8) > 0)
                    r->session_timeout = atoi(t + 8);
            } else if (IS("Transport")) {
                copy_value(r->transport, sizeof r->transport, v, vl);
            } else if (IS("Content-Base")) {
                copy_value(r->content_base, sizeof r->content_base, v, vl);
            } else if (IS("Content-Location")) {
                copy_value(r->content_location, sizeof r->content_location, v, vl);
            } else if (IS("Location")) {
                copy_value(r->location, sizeof r->location, v, vl);
            } else if (IS("Public")) {
                copy_value(r->public_methods, sizeof r->public_methods, v, vl);
            } else if (IS("WWW-Authenticate") && r->nauth < RTSP_MAX_AUTH) {
                copy_value(r->www_authenticate[r->nauth++], sizeof r->www_authenticate[0], v, vl);
            }
#undef IS
        }
        p = next;
    }
    return NVR_OK;
}

/* Picks the challenge to answer: the first Digest whose algorithm we know
 * (servers list them in order of preference, RFC 7616 section 3.7), else
 * Basic, else the first Digest (whose answer then fails as NVR_EAUTH). */
static const char *pick_challenge(const struct rtsp_reply *r)
{
    const char *basic = NULL, *digest = NULL;
    for (int i = 0; i < r->nauth; i++) {
        const char *ch = r->www_authenticate[i];
        if (strncasecmp(ch, "Digest", 6) == 0) {
            char alg[32];
            if (!rtsp_auth_param(ch + 6, "algorithm", alg, sizeof alg) || rtsp_auth_digest_algorithm(alg, NULL) >= 0)
                return ch;
            if (!digest)
                digest = ch;
        }
        if (strncasecmp(ch, "Basic", 5) == 0 && !basic)
            basic = ch;
    }
    return basic ? basic : digest;
}

/* ------------------------------------------------------------------ */
/* socket I/O                                                           */

static int stopped(const struct rtsp_client *c)
{
    return !c->ignore_stop && c->stop && atomic_load(c->stop);
}

static nvr_err wait_error(const struct rtsp_client *c, int rc, char *why, size_t whylen)
{
    if (rc == NVR_ESTOPPED)
        return nvr_fail(rc, why, whylen, "stopped");
    if (rc == NVR_ETIMEDOUT)
        return nvr_fail(rc, why, whylen, "no answer or no data for %llds",
                        (long long)((c->timeout_us + 999999) / 1000000));
    return nvr_fail(rc, why, whylen, "poll failed: %s", strerror(errno));
}

/* Waits until fd is ready for events, the deadline passes or we are stopped. */
static nvr_err wait_fd(const struct rtsp_client *c, int fd, short events, int64_t deadline)
{
    return rtsp_conn_wait_fd(fd, events, deadline, c->ignore_stop ? NULL : c->stop);
}

/* One poll of at most one slice: NVR_OK whether or not fd became ready. */
static nvr_err wait_once(const struct rtsp_client *c, short events, int64_t deadline)
{
    int slice = c->lowat ? c->slice_ms : POLL_SLICE_MS;
    if (stopped(c))
        return NVR_ESTOPPED;
    int64_t now = nvr_clock_mono_us();
    if (now >= deadline)
        return NVR_ETIMEDOUT;
    int64_t ms = (deadline - now + 999) / 1000;
    struct pollfd p = {.fd = rtsp_conn_fd(c->conn), .events = events};
    if (poll(&p, 1, (int)(ms < slice ? ms : slice)) < 0 && errno != EINTR)
        return NVR_EIO;
    return NVR_OK;
}

static nvr_err send_all(struct rtsp_client *c, const void *data, size_t len, int64_t deadline, char *why, size_t whylen)
{
    if (rtsp_conn_write(c->conn, data, len))
        return nvr_fail(NVR_ENOMEM, why, whylen, "out of memory");
    for (;;) {
        short want;
        int fd;
        int r = rtsp_conn_flush(c->conn, &want, &fd);
        if (r == 1)
            return NVR_OK;
        if (r < 0)
            return nvr_fail(r, why, whylen, "sending to the camera failed: %s", strerror(errno));
        int rc = wait_fd(c, fd, want, deadline);
        if (rc)
            return wait_error(c, rc, why, whylen);
    }
}

/* Reads more bytes into the buffer (see the file comment). */
static nvr_err fill(struct rtsp_client *c, int64_t deadline, char *why, size_t whylen)
{
    if (c->rpos == c->wpos) {
        c->rpos = c->wpos = 0;
    } else if (BUF_CAP - c->wpos < READ_MIN) {
        memmove(c->buf, c->buf + c->rpos, c->wpos - c->rpos);
        c->wpos -= c->rpos;
        c->rpos = 0;
    }
    size_t space = BUF_CAP - c->wpos;
    if (space == 0)
        return nvr_fail(NVR_EIO, why, whylen, "malformed RTSP stream (message too long)");
    for (;;) {
        if (stopped(c))
            return wait_error(c, NVR_ESTOPPED, why, whylen);
        if (nvr_clock_mono_us() >= deadline)
            return wait_error(c, NVR_ETIMEDOUT, why, whylen);
        short want = POLLIN;
        if (!c->drained) {
            ssize_t n = rtsp_conn_recv(c->conn, c->buf + c->wpos, space, &want);
            if (n > 0) {
                c->wpos += (size_t)n;
                c->drained = (size_t)n < space;
                return NVR_OK;
            }
            if (n == NVR_EEOF)
                return nvr_fail(NVR_EEOF, why, whylen, "the camera closed the connection");
            if (n < 0)
                return nvr_fail((int)n, why, whylen, "receiving from the camera failed: %s", strerror(errno));
            c->drained = 1;
        }
        /* with SO_RCVLOWAT, poll waits for that many bytes: after a slice
         * without, read what there is anyway */
        int rc = c->lowat && want == POLLIN ? wait_once(c, POLLIN, deadline)
                                            : wait_fd(c, rtsp_conn_fd(c->conn), want, deadline);
        if (rc)
            return wait_error(c, rc, why, whylen);
        c->drained = 0;
    }
}

/* ------------------------------------------------------------------ */
/* framing                                                              */

/* Does the buffer at p (n bytes) start a message?  1 yes, 0 no, -1 not known yet. */
static int message_start(const uint8_t *p, size_t n)
{
    const uint8_t *eol = memchr(p, '\n', n < LINE_PROBE ? n : LINE_PROBE);
    if (!eol)
        return n < LINE_PROBE && (n < 7 || memcmp(p, "RTSP/1.", 7) == 0 || isupper(p[0])) ? -1 : 0;
    size_t l = (size_t)(eol - p);
    if (l > 0 && p[l - 1] == '\r')
        l--;
    if (l >= 12 && memcmp(p, "RTSP/1.", 7) == 0)
        return 1;
    /* a request from the server: METHOD SP url SP RTSP/1.x */
    return l >= 11 && isupper(p[0]) && memcmp(p + l - 9, " RTSP/1.", 8) == 0;
}

/* End of a message head (index after the empty line), 0 if not complete. */
static size_t head_end(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (p[i] != '\n')
            continue;
        if (p[i + 1] == '\n')
            return i + 2;
        if (p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* The bytes a whole interleaved frame at p takes ('$', channel, 16-bit
 * length, payload; RFC 2326 10.12), 0 if p does not start one or it is not
 * all buffered yet.  The one place that knows the framing. */
static size_t whole_frame(const uint8_t *p, size_t n)
{
    if (n < 4 || p[0] != '$')
        return 0;
    size_t len = (size_t)(p[2] << 8 | p[3]);
    return n - 4 >= len ? 4 + len : 0;
}

int rtsp_frame_next(const uint8_t *p, size_t n, struct rtsp_item *it, struct rtsp_reply *r, size_t *used)
{
    if (n == 0)
        return 0;
    if (p[0] == '$') {
        size_t whole = whole_frame(p, n);
        if (whole == 0)
            return 0;
        it->kind = RTSP_ITEM_FRAME;
        it->channel = p[1];
        it->data = p + 4;
        it->len = whole - 4;
        *used = whole;
        return 1;
    }
    int m = message_start(p, n);
    if (m < 0)
        return 0;
    if (m == 0) {
        size_t k = 1; /* garbage: skip to the next byte that may start something */
        while (k < n && p[k] != '$' && p[k] != 'R' && !isupper(p[k]))
            k++;
        it->kind = RTSP_ITEM_SKIP;
        it->data = p;
        it->len = k;
        *used = k;
        return 1;
    }
    size_t hl = head_end(p, n < HEAD_MAX ? n : HEAD_MAX);
    if (hl == 0)
        return n >= HEAD_MAX ? NVR_EIO : 0;
    if (rtsp_reply_parse((const char *)p, hl, r) != NVR_OK || r->content_length > BODY_MAX)
        return NVR_EIO;
    if (n < hl + r->content_length)
        return 0;
    it->kind = RTSP_ITEM_MESSAGE;
    it->channel = -1;
    it->data = p + hl;
    it->len = r->content_length;
    *used = hl + r->content_length;
    return 1;
}

/* Takes the next complete frame or message from the buffer (skipping
 * garbage): 1 taken, 0 more bytes needed, or an error. */
static int take_item(struct rtsp_client *c, struct rtsp_item *it, char *why, size_t whylen)
{
    for (;;) {
        size_t used = 0;
        int r = rtsp_frame_next(c->buf + c->rpos, c->wpos - c->rpos, it, &c->reply, &used);
        if (r < 0)
            return nvr_fail(NVR_EIO, why, whylen, "malformed RTSP reply from the camera");
        if (r == 0)
            return 0;
        c->rpos += used;
        if (it->kind == RTSP_ITEM_SKIP)
            continue;
        if (it->kind == RTSP_ITEM_MESSAGE) {
            c->body = it->data;
            c->body_len = it->len;
        }
        return 1;
    }
}

/* ------------------------------------------------------------------ */
/* requests                                                             */

/* Reads until the reply with our CSeq (frames and other messages before it
 * are dropped). */
static int read_reply(struct rtsp_client *c, int cseq, int64_t deadline, char *why, size_t whylen)
{
    for (;;) {
        struct rtsp_item it;
        int r = take_item(c, &it, why, whylen);
        if (r < 0)
            return r;
        if (r == 1) {
            if (it.kind == RTSP_ITEM_MESSAGE && !c->reply.is_request && c->reply.cseq == cseq)
                return NVR_OK;
            continue;
        }
        if ((r = fill(c, deadline, why, whylen)))
            return r;
    }
}

/* Writes a request with our standard headers; *cseq gets its CSeq. */
static nvr_err send_request(struct rtsp_client *c, const char *method, const char *url, const char *extra, int *cseq,
                            int64_t deadline, char *why, size_t whylen)
{
    char req[4096], auth[1024];
    int n = snprintf(req, sizeof req, "%s %s RTSP/1.0\r\nCSeq: %d\r\nUser-Agent: " USER_AGENT "\r\n", method, url,
                     ++c->cseq);
    *cseq = c->cseq;
    if (c->session[0] && n > 0 && (size_t)n < sizeof req)
        n += snprintf(req + n, sizeof req - (size_t)n, "Session: %s\r\n", c->session);
    if (c->challenge[0] &&
        rtsp_auth_header(c->challenge, c->url.user, c->url.password, method, url, ++c->nc, NULL, auth, sizeof auth) ==
            NVR_OK &&
        n > 0 && (size_t)n < sizeof req)
        n += snprintf(req + n, sizeof req - (size_t)n, "Authorization: %s\r\n", auth);
    if (n > 0 && (size_t)n < sizeof req)
        n += snprintf(req + n, sizeof req - (size_t)n, "%s\r\n", extra ? extra : "");
    if (n < 0 || (size_t)n >= sizeof req)
        return nvr_fail(NVR_EINVAL, why, whylen, "RTSP request too long");
    return send_all(c, req, (size_t)n, deadline, why, whylen);
}

/* One request and its reply, answering an authentication challenge.
 * Returns NVR_OK for 2xx, 1 for a redirect (3xx with Location), else an error. */
static int transact(struct rtsp_client *c, const char *method, const char *url, const char *extra, char *why,
                    size_t whylen)
{
    int64_t deadline = nvr_clock_mono_us() + c->timeout_us;
    int rc, cseq;
    c->reply.status = 0; /* stays 0 unless a reply arrives */
    for (int attempt = 0;; attempt++) {
        if ((rc = send_request(c, method, url, extra, &cseq, deadline, why, whylen)) ||
            (rc = read_reply(c, cseq, deadline, why, whylen)))
            return rc;
        const struct rtsp_reply *r = &c->reply;
        if (r->status != 401 || !c->url.has_user || attempt >= 2)
            break;
        const char *ch = pick_challenge(r);
        if (!ch)
            break;
        char stale[16];
        int is_stale = strncasecmp(ch, "Digest", 6) == 0 && rtsp_auth_param(ch + 6, "stale", stale, sizeof stale) &&
                       strcasecmp(stale, "true") == 0;
        if (c->challenge[0] && !is_stale)
            break; /* our answer to this challenge was refused: wrong credentials */
        snprintf(c->challenge, sizeof c->challenge, "%s", ch);
        c->nc = 0;
    }
    const struct rtsp_reply *r = &c->reply;
    if (r->status >= 200 && r->status < 300)
        return NVR_OK;
    if (r->status == 401 || r->status == 403)
        return nvr_fail(NVR_EAUTH, why, whylen, "%s (RTSP %d %s to %s)",
                        !c->url.has_user && r->status == 401 ? "the camera needs a user and password"
                                                             : "the camera refused the credentials",
                        r->status, r->reason, method);
    if (r->status >= 300 && r->status < 400 && r->location[0])
        return 1;
    return nvr_fail(NVR_ECONN, why, whylen, "the camera answered RTSP %d %s to %s", r->status, r->reason, method);
}

static nvr_err connect_to(struct rtsp_client *c, char *why, size_t whylen)
{
    char key[512], port[8];
    snprintf(port, sizeof port, "%s", c->url.port);
    if (c->tunnel && !c->url.has_port)
        snprintf(port, sizeof port, c->url.tls ? "443" : "80");
    snprintf(key, sizeof key, "%s %s %s", c->camera ? c->camera : "", c->url.host, port);
    const char *path = strstr(c->url.request_url, "://");
    path = path ? path + 3 + strcspn(path + 3, "/?#") : "/";
    struct rtsp_conn_opts co = {
        .host = c->url.host,
        .port = port,
        .tls = c->url.tls,
        .tunnel = c->tunnel,
        .tunnel_path = path,
        .pin_key = key,
        .timeout_us = c->timeout_us,
        .stop = c->stop,
    };
    return rtsp_conn_open(&c->conn, &co, why, whylen);
}

nvr_err rtsp_client_open(struct rtsp_client **out, const struct rtsp_client_opts *o, char **sdp, size_t *sdp_len,
                         char *why, size_t whylen)
{
    int rc;
    *out = NULL;
    *sdp = NULL;
    *sdp_len = 0;
    struct rtsp_client *c = calloc(1, sizeof *c);
    if (!c || !(c->buf = malloc(BUF_CAP))) {
        free(c);
        return nvr_fail(NVR_ENOMEM, why, whylen, "out of memory");
    }
    c->timeout_us = o->timeout_us;
    c->stop = o->stop;
    c->tunnel = o->tunnel;
    c->camera = o->camera;
    if (rtsp_url_parse(o->url, &c->url) != NVR_OK) {
        rc = nvr_fail(NVR_EINVAL, why, whylen, "not an rtsp:// or rtsps:// URL");
        goto out;
    }
    for (int redirects = 0;; redirects++) {
        if ((rc = connect_to(c, why, whylen)))
            goto out;
        /* OPTIONS: which keep-alive the server takes; its failure is not fatal,
         * some cameras answer it badly, but a refused password is */
        rc = transact(c, "OPTIONS", c->url.request_url, NULL, why, whylen);
        if (rc == NVR_EAUTH || rc == NVR_ETIMEDOUT || rc == NVR_ESTOPPED || rc == NVR_EEOF || rc == NVR_ENOMEM ||
            (rc < 0 && rc != NVR_ECONN))
            goto out;
        if (rc == NVR_ECONN && c->reply.status == 0)
            goto out; /* a socket error, not a status */
        c->use_get_parameter = rc == NVR_OK && strcasestr(c->reply.public_methods, "GET_PARAMETER") != NULL;
        rc = transact(c, "DESCRIBE", c->url.request_url, "Accept: application/sdp\r\n", why, whylen);
        if (rc < 0)
            goto out;
        if (rc == 0)
            break;
        /* redirect: same credentials unless the new URL brings its own */
        struct rtsp_url next;
        if (redirects >= MAX_REDIRECTS || rtsp_url_parse(c->reply.location, &next) != NVR_OK) {
            rc = nvr_fail(NVR_ECONN, why, whylen, "the camera redirects %s",
                          redirects >= MAX_REDIRECTS ? "in a loop" : "to a non-RTSP URL");
            goto out;
        }
        if (!next.has_user && c->url.has_user) {
            memcpy(next.user, c->url.user, sizeof next.user);
            memcpy(next.password, c->url.password, sizeof next.password);
            next.has_user = 1;
        }
        c->url = next;
        c->challenge[0] = '\0';
        rtsp_conn_close(&c->conn);
        c->rpos = c->wpos = 0;
        c->drained = 0;
    }
    const char *base = c->reply.content_base[0]       ? c->reply.content_base
                       : c->reply.content_location[0] ? c->reply.content_location
                                                      : c->url.request_url;
    snprintf(c->base, sizeof c->base, "%s", base);
    if (c->body_len == 0) {
        rc = nvr_fail(NVR_EIO, why, whylen, "the camera sent no session description");
        goto out;
    }
    if (!(*sdp = malloc(c->body_len + 1))) {
        rc = NVR_ENOMEM;
        goto out;
    }
    memcpy(*sdp, c->body, c->body_len);
    (*sdp)[c->body_len] = '\0';
    *sdp_len = c->body_len;
    *out = c;
    c = NULL;
    rc = NVR_OK;
out:
    rtsp_client_close(&c);
    return rc;
}

/* SETUP of one track with the given Transport header line; the session is
 * taken from the first answer.  A refusal is NVR_EIO (another transport may
 * do). */
static int setup_track(struct rtsp_client *c, const char *control, const char *transport, const char *what, char *why,
                       size_t whylen)
{
    char url[1024];
    resolve_control(c, control, url, sizeof url);
    int rc = transact(c, "SETUP", url, transport, why, whylen);
    if (rc == 1 || (rc == NVR_ECONN && c->reply.status != 0))
        return nvr_fail(NVR_EIO, why, whylen, "the camera refused %s (RTSP %d %s to SETUP)", what, c->reply.status,
                        c->reply.reason);
    if (rc)
        return rc;
    if (!c->session[0]) {
        if (!c->reply.session[0])
            return nvr_fail(NVR_EIO, why, whylen, "the camera gave no session to SETUP");
        snprintf(c->session, sizeof c->session, "%s", c->reply.session);
        c->session_timeout = c->reply.session_timeout;
    }
    return NVR_OK;
}

nvr_err rtsp_client_setup(struct rtsp_client *c, const char *control, int *rtp_ch, int *rtcp_ch, char *why,
                          size_t whylen)
{
    char transport[128];
    int ch = c->channels;
    snprintf(transport, sizeof transport, "Transport: RTP/AVP/TCP;unicast;interleaved=%d-%d\r\n", ch, ch + 1);
    int rc = setup_track(c, control, transport, "interleaved TCP", why, whylen);
    if (rc)
        return rc;
    c->channels += 2;
    *rtp_ch = ch;
    *rtcp_ch = ch + 1;
    const char *il = strcasestr(c->reply.transport, "interleaved=");
    if (il) {
        int a = -1, b = -1;
        int k = sscanf(il + 12, "%d-%d", &a, &b);
        if (k >= 1 && a >= 0 && a < 256) {
            *rtp_ch = a;
            *rtcp_ch = k == 2 && b >= 0 && b < 256 ? b : a + 1;
        }
    }
    return NVR_OK;
}

nvr_err rtsp_client_setup_udp(struct rtsp_client *c, const char *control, int client_port, int *server_rtp,
                              int *server_rtcp, char *why, size_t whylen)
{
    char transport[128];
    snprintf(transport, sizeof transport, "Transport: RTP/AVP;unicast;client_port=%d-%d\r\n", client_port,
             client_port + 1);
    int rc = setup_track(c, control, transport, "RTP over UDP", why, whylen);
    if (rc)
        return rc;
    c->udp = 1;
    *server_rtp = *server_rtcp = 0;
    if (strcasestr(c->reply.transport, "interleaved=") || strcasestr(c->reply.transport, "/TCP"))
        return nvr_fail(NVR_EIO, why, whylen, "the camera answered SETUP for UDP with interleaved TCP");
    const char *sp = strcasestr(c->reply.transport, "server_port=");
    if (sp) {
        int a = 0, b = 0;
        int k = sscanf(sp + 12, "%d-%d", &a, &b);
        if (k >= 1 && a > 0 && a < 65536) {
            *server_rtp = a;
            *server_rtcp = k == 2 && b > 0 && b < 65536 ? b : a + 1;
        }
    }
    return NVR_OK;
}

int rtsp_client_fd(const struct rtsp_client *c)
{
    return rtsp_conn_fd(c->conn);
}

nvr_err rtsp_client_peer(const struct rtsp_client *c, struct sockaddr_storage *addr, socklen_t *len)
{
    return rtsp_conn_peer(c->conn, addr, len);
}

nvr_err rtsp_client_play(struct rtsp_client *c, const char *session_control, char *why, size_t whylen)
{
    char url[1024];
    resolve_control(c, session_control ? session_control : "", url, sizeof url);
    int rc = transact(c, "PLAY", url, "Range: npt=0.000-\r\n", why, whylen);
    if (rc == 1)
        rc = nvr_fail(NVR_ECONN, why, whylen, "the camera redirected PLAY");
    if (rc)
        return rc;
    c->playing = 1;
    rtsp_client_set_pace(c, 0);
    int64_t every = (int64_t)(c->session_timeout > 10 ? c->session_timeout : 10) * 1000000 / 2;
    c->keepalive_us = every;
    c->next_keepalive = nvr_clock_mono_us() + every;
    return NVR_OK;
}

void rtsp_client_set_pace(struct rtsp_client *c, int relaxed)
{
    int lowat = relaxed ? RELAXED_LOWAT : PROMPT_LOWAT;
    if (!c->playing || c->udp || c->lowat == lowat)
        return;
    if (setsockopt(rtsp_conn_fd(c->conn), SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat) == 0) {
        c->lowat = lowat;
        c->slice_ms = relaxed ? RELAXED_SLICE_MS : POLL_SLICE_MS;
    }
}

/* Sends a keep-alive without waiting for its reply (take_item drops it). */
static nvr_err keepalive(struct rtsp_client *c, char *why, size_t whylen)
{
    char url[1024];
    int cseq;
    resolve_control(c, "", url, sizeof url);
    c->next_keepalive = nvr_clock_mono_us() + c->keepalive_us;
    return send_request(c, c->use_get_parameter ? "GET_PARAMETER" : "OPTIONS", url, NULL, &cseq,
                        nvr_clock_mono_us() + c->timeout_us, why, whylen);
}

/* Some servers ping their clients (OPTIONS, GET_PARAMETER) and drop those
 * that do not answer: say yes to those, 501 to anything else. */
static nvr_err answer_request(struct rtsp_client *c, char *why, size_t whylen)
{
    char out[256];
    const char *m = c->reply.method;
    int ok = strcmp(m, "OPTIONS") == 0 || strcmp(m, "GET_PARAMETER") == 0 || strcmp(m, "SET_PARAMETER") == 0;
    int n = snprintf(out, sizeof out, "RTSP/1.0 %s\r\nCSeq: %d\r\n%s%s%s\r\n", ok ? "200 OK" : "501 Not Implemented",
                     c->reply.cseq, c->session[0] ? "Session: " : "", c->session, c->session[0] ? "\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof out)
        return NVR_OK;
    return send_all(c, out, (size_t)n, nvr_clock_mono_us() + c->timeout_us, why, whylen);
}

nvr_err rtsp_client_read(struct rtsp_client *c, int64_t deadline_us, int *channel, const uint8_t **data, size_t *len,
                         char *why, size_t whylen)
{
    for (;;) {
        struct rtsp_item it;
        int r = take_item(c, &it, why, whylen);
        if (r < 0)
            return r;
        if (r == 1) {
            if (it.kind == RTSP_ITEM_MESSAGE && c->reply.is_request && (r = answer_request(c, why, whylen)))
                return r;
            if (it.kind != RTSP_ITEM_FRAME)
                continue; /* a keep-alive's reply, or a request from the server */
            *channel = it.channel;
            *data = it.data;
            *len = it.len;
            return NVR_OK;
        }
        if (c->playing && nvr_clock_mono_us() >= c->next_keepalive && (r = keepalive(c, why, whylen)))
            return r;
        if ((r = fill(c, deadline_us, why, whylen)))
            return r;
    }
}

int rtsp_client_frame_ready(const struct rtsp_client *c)
{
    return whole_frame(c->buf + c->rpos, c->wpos - c->rpos) != 0;
}

nvr_err rtsp_client_service(struct rtsp_client *c, char *why, size_t whylen)
{
    for (;;) {
        struct rtsp_item it;
        int r = take_item(c, &it, why, whylen);
        if (r < 0)
            return r;
        if (r == 1) {
            if (it.kind == RTSP_ITEM_MESSAGE && c->reply.is_request && (r = answer_request(c, why, whylen)))
                return r;
            continue; /* replies to keep-alives; stray frames */
        }
        if (c->playing && nvr_clock_mono_us() >= c->next_keepalive && (r = keepalive(c, why, whylen)))
            return r;
        if (c->rpos == c->wpos)
            c->rpos = c->wpos = 0;
        else if (BUF_CAP - c->wpos < READ_MIN) {
            memmove(c->buf, c->buf + c->rpos, c->wpos - c->rpos);
            c->wpos -= c->rpos;
            c->rpos = 0;
        }
        short want;
        ssize_t n = rtsp_conn_recv(c->conn, c->buf + c->wpos, BUF_CAP - c->wpos, &want);
        if (n == 0)
            return NVR_OK;
        if (n == NVR_EEOF)
            return nvr_fail(NVR_EEOF, why, whylen, "the camera closed the connection");
        if (n < 0)
            return nvr_fail((int)n, why, whylen, "receiving from the camera failed: %s", strerror(errno));
        c->wpos += (size_t)n;
    }
}

int64_t rtsp_client_next_keepalive(const struct rtsp_client *c)
{
    return c->next_keepalive;
}

nvr_err rtsp_client_send_frame(struct rtsp_client *c, int channel, const uint8_t *data, size_t len)
{
    uint8_t frame[4 + 1500];
    char why[64];
    if (len > sizeof frame - 4 || channel < 0 || channel > 255)
        return NVR_EINVAL;
    frame[0] = '$';
    frame[1] = (uint8_t)channel;
    frame[2] = (uint8_t)(len >> 8);
    frame[3] = (uint8_t)len;
    memcpy(frame + 4, data, len);
    return send_all(c, frame, len + 4, nvr_clock_mono_us() + c->timeout_us, why, sizeof why);
}

const char *rtsp_client_transport(const struct rtsp_client *c)
{
    return rtsp_conn_kind(c->conn);
}

const char *rtsp_client_tls_fingerprint(const struct rtsp_client *c)
{
    return rtsp_conn_fingerprint(c->conn);
}

const char *rtsp_client_tls_version(const struct rtsp_client *c)
{
    return rtsp_conn_tls_version(c->conn);
}

void rtsp_client_close(struct rtsp_client **cp)
{
    struct rtsp_client *c = *cp;
    if (!c)
        return;
    if (c->playing && c->conn) {
        char url[1024], why[128];
        int cseq;
        int64_t deadline = nvr_clock_mono_us() + TEARDOWN_WAIT_US;
        c->ignore_stop = 1;
        if (c->lowat) {
            int one = 1;
            setsockopt(rtsp_conn_fd(c->conn), SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
            c->lowat = 0;
        }
        resolve_control(c, "", url, sizeof url);
        if (send_request(c, "TEARDOWN", url, NULL, &cseq, deadline, why, sizeof why) == NVR_OK)
            read_reply(c, cseq, deadline, why, sizeof why);
    }
    rtsp_conn_close(&c->conn);
    free(c->buf);
    free(c);
    *cp = NULL;
}
