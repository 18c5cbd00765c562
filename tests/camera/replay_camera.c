/* SPDX-License-Identifier: Apache-2.0 */
/*
 * replay_camera.c - nvr-replay-camera: an RTSP server that replays a clip
 * cut once into RTP packets (replay_clip.c) to many clients from one thread,
 * cheaply enough that 256 cameras can be simulated beside the recorder under
 * test (bench/ingest).  RTSP over TCP with interleaved RTP/RTCP only.
 *
 * Behaves as nvr-test-camera does towards a client: OPTIONS, DESCRIBE (SDP
 * with the parameter sets), SETUP (RTP/AVP/TCP;interleaved), PLAY (RTP-Info),
 * GET_PARAMETER/SET_PARAMETER keep-alives, TEARDOWN; each client gets the
 * clip from its first frame, in real time, looped, with its own SSRC, random
 * first sequence number and timestamp, both advancing across loops, and RTCP
 * sender reports (at PLAY, then every 5 s) tying RTP time to the wall clock.
 * Mounts /camN as nvr-test-camera --mounts N.  --donl in-order|reversed: H.265
 * with DONL fields, each access unit's NAL units sent in decoding order or
 * last first (replay_clip.h).
 *
 * One thread, one epoll: every TICK_MS the playing clients send what is due:
 * one writev per access unit (a 16-byte header per packet written for the
 * client, the payload straight from the clip's blob; no copy in user space),
 * or with --packet-writes one per RTP packet, as a camera's network stack
 * sends them (more, smaller TCP segments for the recorder to receive).
 * Invariants: a client's bytes leave in order — while a client has unsent
 * bytes (`pend`, a short write's remainder), everything else for it is
 * appended there and sent on EPOLLOUT; `pend` is bounded (PEND_MAX), a
 * client that does not read is closed (logged), never waited for.
 */
#include "replay_clip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define TICK_MS 5
#define MAX_CLIENTS 4096
#define IN_CAP 16384
#define PEND_MAX (8u << 20)
#define SR_EVERY_US 5000000
#define HDR 16 /* '$' channel length(2) + RTP header(12) */
#define IOV_CHUNK 512

struct opts {
    const char *clip, *bind, *mount;
    int port, mounts, audio;
    enum replay_donl donl; /* --donl in-order|reversed (H.265) */
    int packet_writes; /* one writev per RTP packet, as most cameras send */
};

struct client {
    int fd;
    char in[IN_CAP];
    size_t in_len;
    int mount;                 /* 1.. (or 1 with one mount) once DESCRIBEd or SETUP */
    int ch[REPLAY_MAX_TRACKS]; /* RTP channel, -1 not set up; RTCP is ch + 1 */
    uint32_t ssrc[REPLAY_MAX_TRACKS], seq0[REPLAY_MAX_TRACKS], ts0[REPLAY_MAX_TRACKS];
    uint32_t pkts[REPLAY_MAX_TRACKS], octets[REPLAY_MAX_TRACKS];
    char session[20];
    int playing, closing;
    int64_t start_us, next_sr_us;
    uint64_t loop;
    size_t unit;
    uint8_t *pend;
    size_t pend_len, pend_cap;
    int want_out;
};

struct server {
    struct opts o;
    struct replay_clip clip;
    char sdp[4096];
    int sdp_len;
    int lfd, ep;
    struct client *c[MAX_CLIENTS];
    int nc;
    uint8_t hdr[IOV_CHUNK / 2][HDR];
    struct iovec iov[IOV_CHUNK];
    uint64_t rnd;
};

static volatile sig_atomic_t stopping;

static void on_signal(int s)
{
    (void)s;
    stopping = 1;
}

static int64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static uint32_t rnd32(struct server *s)
{
    s->rnd ^= s->rnd << 13;
    s->rnd ^= s->rnd >> 7;
    s->rnd ^= s->rnd << 17;
    return (uint32_t)(s->rnd >> 16);
}

/* ------------------------------------------------------------ sending -- */

static void drop(struct server *s, int i, const char *why)
{
    struct client *c = s->c[i];
    if (why)
        fprintf(stderr, "nvr-replay-camera: client %d closed: %s\n", c->fd, why);
    close(c->fd);
    free(c->pend);
    free(c);
    s->c[i] = s->c[--s->nc];
}

static int pend_add(struct client *c, const void *p, size_t n)
{
    if (c->pend_len + n > PEND_MAX)
        return -1;
    if (c->pend_len + n > c->pend_cap) {
        size_t cap = c->pend_cap ? c->pend_cap : 65536;
        while (cap < c->pend_len + n)
            cap *= 2;
        uint8_t *q = realloc(c->pend, cap);
        if (!q)
            return -1;
        c->pend = q;
        c->pend_cap = cap;
    }
    memcpy(c->pend + c->pend_len, p, n);
    c->pend_len += n;
    return 0;
}

/* Sends iov[0..n) after anything pending; keeps what the socket did not
 * take.  -1: the client is gone or too slow. */
static int send_iov(struct client *c, struct iovec *iov, int n)
{
    size_t done = 0;
    if (!c->pend_len) {
        ssize_t w = writev(c->fd, iov, n);
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        done = w > 0 ? (size_t)w : 0;
    }
    for (int i = 0; i < n; i++) {
        if (done >= iov[i].iov_len) {
            done -= iov[i].iov_len;
            continue;
        }
        if (pend_add(c, (const uint8_t *)iov[i].iov_base + done, iov[i].iov_len - done))
            return -1;
        done = 0;
    }
    return 0;
}

static int send_bytes(struct client *c, const void *p, size_t n)
{
    struct iovec v = {(void *)p, n};
    return send_iov(c, &v, 1);
}

static int flush_pend(struct client *c)
{
    size_t off = 0;
    if (!c->pend_len)
        return 0;
    while (off < c->pend_len) {
        ssize_t w = send(c->fd, c->pend + off, c->pend_len - off, MSG_NOSIGNAL);
        if (w < 0)
            break;
        off += (size_t)w;
    }
    if (off < c->pend_len && errno != EAGAIN && errno != EWOULDBLOCK)
        return -1;
    memmove(c->pend, c->pend + off, c->pend_len - off);
    c->pend_len -= off;
    return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* One access unit (or audio packet) to one client. */
static int send_unit(struct server *s, struct client *c, const struct replay_unit *u)
{
    const struct replay_clip *k = &s->clip;
    int n = 0;
    for (uint32_t i = 0; i < u->n; i++) {
        const struct replay_pkt *p = &k->pkts[u->first + i];
        const struct replay_track *t = &k->tracks[p->track];
        if (c->ch[p->track] < 0)
            continue;
        uint8_t *h = s->hdr[n / 2];
        uint16_t len = (uint16_t)(p->len + 12);
        uint32_t seq = c->seq0[p->track] + (uint32_t)c->loop * t->npkt + p->seq_idx;
        uint32_t ts = c->ts0[p->track] + (uint32_t)c->loop * t->loop_ts + p->ts_off;
        h[0] = '$';
        h[1] = (uint8_t)c->ch[p->track];
        h[2] = (uint8_t)(len >> 8);
        h[3] = (uint8_t)len;
        h[4] = 0x80;
        h[5] = (uint8_t)((p->marker ? 0x80 : 0) | t->pt);
        h[6] = (uint8_t)(seq >> 8);
        h[7] = (uint8_t)seq;
        put32(h + 8, ts);
        put32(h + 12, c->ssrc[p->track]);
        s->iov[n++] = (struct iovec){h, HDR};
        s->iov[n++] = (struct iovec){k->blob + p->off, p->len};
        c->pkts[p->track]++;
        c->octets[p->track] += p->len;
        if (n == IOV_CHUNK || s->o.packet_writes) {
            if (send_iov(c, s->iov, n))
                return -1;
            n = 0;
        }
    }
    return n ? send_iov(c, s->iov, n) : 0;
}

/* RTCP sender report (RFC 3550 6.4.1) on each track's RTCP channel. */
static int send_sr(struct server *s, struct client *c, int64_t now)
{
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    uint64_t ntp_s = (uint64_t)wall.tv_sec + 2208988800u;
    uint32_t frac = (uint32_t)(((uint64_t)wall.tv_nsec << 32) / 1000000000u);
    for (int t = 0; t < s->clip.ntracks; t++) {
        if (c->ch[t] < 0)
            continue;
        const struct replay_track *k = &s->clip.tracks[t];
        uint8_t b[4 + 28];
        uint32_t ts = c->ts0[t] + (uint32_t)((uint64_t)(now - c->start_us) * (uint64_t)k->clock / 1000000u);
        b[0] = '$';
        b[1] = (uint8_t)(c->ch[t] + 1);
        b[2] = 0;
        b[3] = 28;
        b[4] = 0x80;
        b[5] = 200;
        b[6] = 0;
        b[7] = 6;
        put32(b + 8, c->ssrc[t]);
        put32(b + 12, (uint32_t)ntp_s);
        put32(b + 16, frac);
        put32(b + 20, ts);
        put32(b + 24, c->pkts[t]);
        put32(b + 28, c->octets[t]);
        if (send_bytes(c, b, sizeof b))
            return -1;
    }
    return 0;
}

/* Everything due for one playing client. */
static int pump(struct server *s, struct client *c, int64_t now)
{
    const struct replay_clip *k = &s->clip;
    if (now >= c->next_sr_us) {
        if (send_sr(s, c, now))
            return -1;
        c->next_sr_us += SR_EVERY_US;
    }
    for (;;) {
        const struct replay_unit *u = &k->units[c->unit];
        if (c->start_us + (int64_t)c->loop * k->loop_us + u->due_us > now)
            return 0;
        if (send_unit(s, c, u))
            return -1;
        if (++c->unit == k->nunits) {
            c->unit = 0;
            c->loop++;
        }
    }
}

/* -------------------------------------------------------------- RTSP -- */

static int reply(struct client *c, int code, const char *status, int cseq, const char *extra, const char *body)
{
    char b[8192];
    size_t blen = body ? strlen(body) : 0;
    int n = snprintf(b, sizeof b, "RTSP/1.0 %d %s\r\nCSeq: %d\r\nServer: nvr-replay-camera\r\n%s", code, status, cseq,
                     extra ? extra : "");
    if (c->session[0] && n > 0 && (size_t)n < sizeof b)
        n += snprintf(b + n, sizeof b - (size_t)n, "Session: %s;timeout=60\r\n", c->session);
    if (n > 0 && (size_t)n < sizeof b)
        n += snprintf(b + n, sizeof b - (size_t)n, "%s\r\n%s", body ? "Content-Type: application/sdp\r\n" : "",
                      body ? body : "");
    if (n < 0 || (size_t)n >= sizeof b)
        return -1;
    (void)blen;
    return send_bytes(c, b, (size_t)n);
}

/* The value of header `name` in the request head, into out. */
static int header(const char *head, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *l = strstr(head, "\r\n"); l && l[2]; l = strstr(l + 2, "\r\n")) {
        const char *p = l + 2;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            p += nl + 1;
            while (*p == ' ')
                p++;
            size_t n = strcspn(p, "\r\n");
            if (n >= cap)
                n = cap - 1;
            memcpy(out, p, n);
            out[n] = 0;
            return 0;
        }
    }
    out[0] = 0;
    return -1;
}

/* The mount (1..mounts) a request URL names, 0 if none. */
static int mount_of(const struct server *s, const char *url, const char **rest)
{
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    size_t ml = strlen(s->o.mount);
    if (!p || strncmp(p, s->o.mount, ml) != 0)
        return 0;
    p += ml;
    int m = 1;
    if (s->o.mounts > 1) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > s->o.mounts)
            return 0;
        m = (int)v;
        p = end;
    }
    if (*p && *p != '/')
        return 0;
    *rest = p;
    return m;
}

static int do_setup(struct server *s, struct client *c, const char *url, int cseq, const char *head)
{
    const char *rest;
    char tr[256], extra[512];
    int a = -1, b = -1;
    const char *tid = strstr(url, "trackID=");
    int t = tid ? atoi(tid + 8) : 0;
    if (!mount_of(s, url, &rest) || t < 0 || t >= s->clip.ntracks)
        return reply(c, 404, "Not Found", cseq, NULL, NULL);
    header(head, "Transport", tr, sizeof tr);
    if (!strstr(tr, "RTP/AVP/TCP"))
        return reply(c, 461, "Unsupported Transport", cseq, NULL, NULL);
    const char *il = strstr(tr, "interleaved=");
    if (!il || sscanf(il + 12, "%d-%d", &a, &b) < 1 || a < 0 || a > 254)
        a = 2 * t;
    c->ch[t] = a;
    c->ssrc[t] = rnd32(s);
    c->seq0[t] = rnd32(s) & 0xffff;
    c->ts0[t] = rnd32(s);
    if (!c->session[0])
        snprintf(c->session, sizeof c->session, "%08X%08X", rnd32(s), rnd32(s));
    snprintf(extra, sizeof extra, "Transport: RTP/AVP/TCP;unicast;interleaved=%d-%d;ssrc=%08X;mode=\"PLAY\"\r\n", a,
             a + 1, c->ssrc[t]);
    return reply(c, 200, "OK", cseq, extra, NULL);
}

static int do_play(struct server *s, struct client *c, const char *url, int cseq)
{
    char extra[3000];
    int n = 0, any = 0;
    char base[1024];
    snprintf(base, sizeof base, "%s", url);
    size_t bl = strlen(base);
    if (bl && base[bl - 1] == '/')
        base[bl - 1] = 0;
    n = snprintf(extra, sizeof extra, "Range: npt=0.000-\r\nRTP-Info: ");
    for (int t = 0; t < s->clip.ntracks; t++) {
        if (c->ch[t] < 0)
            continue;
        n += snprintf(extra + n, sizeof extra - (size_t)n, "%surl=%.1000s/trackID=%d;seq=%u;rtptime=%u", any ? "," : "",
                      base, t, c->seq0[t], c->ts0[t]);
        any = 1;
    }
    if (!any)
        return reply(c, 455, "Method Not Valid in This State", cseq, NULL, NULL);
    snprintf(extra + n, sizeof extra - (size_t)n, "\r\n");
    if (reply(c, 200, "OK", cseq, extra, NULL))
        return -1;
    if (!c->playing) {
        c->playing = 1;
        c->start_us = c->next_sr_us = now_us();
        c->unit = 0;
        c->loop = 0;
    }
    return 0;
}

static int handle(struct server *s, struct client *c, char *head)
{
    char method[32], url[1024], cs[32], extra[256];
    if (sscanf(head, "%31s %1023s", method, url) != 2)
        return -1;
    header(head, "CSeq", cs, sizeof cs);
    int cseq = atoi(cs);
    const char *rest;
    if (!strcmp(method, "OPTIONS") || !strcmp(method, "GET_PARAMETER") || !strcmp(method, "SET_PARAMETER"))
        return reply(c, 200, "OK", cseq, "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER\r\n", NULL);
    if (!strcmp(method, "DESCRIBE")) {
        if (!mount_of(s, url, &rest))
            return reply(c, 404, "Not Found", cseq, NULL, NULL);
        size_t ul = strlen(url);
        snprintf(extra, sizeof extra, "Content-Base: %.200s%s\r\nContent-Length: %d\r\n", url,
                 ul && url[ul - 1] == '/' ? "" : "/", s->sdp_len);
        return reply(c, 200, "OK", cseq, extra, s->sdp);
    }
    if (!strcmp(method, "SETUP"))
        return do_setup(s, c, url, cseq, head);
    if (!strcmp(method, "PLAY"))
        return do_play(s, c, url, cseq);
    if (!strcmp(method, "TEARDOWN")) {
        c->closing = 1;
        return reply(c, 200, "OK", cseq, NULL, NULL);
    }
    return reply(c, 501, "Not Implemented", cseq, NULL, NULL);
}

/* Requests and the client's own interleaved frames (RTCP receiver reports,
 * skipped) in c->in. */
static int parse_in(struct server *s, struct client *c)
{
    size_t pos = 0;
    while (pos < c->in_len) {
        char *p = c->in + pos;
        size_t left = c->in_len - pos;
        if (p[0] == '$') {
            if (left < 4)
                break;
            size_t n = 4 + ((size_t)(uint8_t)p[2] << 8 | (uint8_t)p[3]);
            if (left < n)
                break;
            pos += n;
            continue;
        }
        char *end = memmem(p, left, "\r\n\r\n", 4);
        if (!end)
            break;
        *end = 0;
        char cl[32];
        header(p, "Content-Length", cl, sizeof cl);
        size_t body = (size_t)atoi(cl);
        size_t total = (size_t)(end - p) + 4 + body;
        if (total > left) {
            *end = '\r';
            break;
        }
        if (handle(s, c, p))
            return -1;
        pos += total;
    }
    memmove(c->in, c->in + pos, c->in_len - pos);
    c->in_len -= pos;
    return c->in_len == sizeof c->in ? -1 : 0;
}

static int on_readable(struct server *s, struct client *c)
{
    for (;;) {
        ssize_t r = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, 0);
        if (r == 0)
            return -1;
        if (r < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        c->in_len += (size_t)r;
        if (parse_in(s, c))
            return -1;
    }
}

/* ------------------------------------------------------------- server -- */

static void accept_all(struct server *s)
{
    for (;;) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        struct client *c = calloc(1, sizeof *c);
        if (!c || s->nc == MAX_CLIENTS) {
            free(c);
            close(fd);
            continue;
        }
        c->fd = fd;
        for (int t = 0; t < REPLAY_MAX_TRACKS; t++)
            c->ch[t] = -1;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev);
        s->c[s->nc++] = c;
    }
}

static int find(const struct server *s, const struct client *c)
{
    for (int i = 0; i < s->nc; i++)
        if (s->c[i] == c)
            return i;
    return -1;
}

/* EPOLLOUT only while something waits to be sent. */
static void watch_out(struct server *s, struct client *c)
{
    int want = c->pend_len > 0;
    if (want == c->want_out)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = want;
}

static int listen_on(struct server *s)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICHOST}, *ai = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", s->o.port);
    if (getaddrinfo(s->o.bind, port, &hints, &ai) || !ai)
        return -1;
    int one = 1;
    s->lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->lfd < 0 || setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(s->lfd, ai->ai_addr, ai->ai_addrlen) || listen(s->lfd, 1024)) {
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage a;
    socklen_t al = sizeof a;
    getsockname(s->lfd, (struct sockaddr *)&a, &al);
    s->o.port =
        ntohs(a.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&a)->sin6_port : ((struct sockaddr_in *)&a)->sin_port);
    return 0;
}

static void serve(struct server *s)
{
    struct epoll_event ev[64];
    while (!stopping) {
        int n = epoll_wait(s->ep, ev, 64, TICK_MS);
        for (int i = 0; i < n; i++) {
            if (ev[i].data.ptr == NULL) {
                accept_all(s);
                continue;
            }
            struct client *c = ev[i].data.ptr;
            int bad = (ev[i].events & (EPOLLERR | EPOLLHUP)) != 0;
            if (!bad && (ev[i].events & EPOLLIN))
                bad = on_readable(s, c) != 0;
            if (!bad && (ev[i].events & EPOLLOUT))
                bad = flush_pend(c) != 0;
            int k = find(s, c);
            if (bad && k >= 0)
                drop(s, k, NULL);
        }
        int64_t now = now_us();
        for (int i = 0; i < s->nc; i++) {
            struct client *c = s->c[i];
            if ((c->playing && pump(s, c, now)) || (c->pend_len && flush_pend(c))) {
                drop(s, i--, "too slow or gone");
                continue;
            }
            if (c->closing && !c->pend_len) {
                drop(s, i--, NULL);
                continue;
            }
            watch_out(s, c);
        }
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: nvr-replay-camera --clip FILE [--port N] [--bind ADDR] [--mount PATH] [--mounts N] "
                    "[--no-audio] [--packet-writes] [--donl in-order|reversed]\n");
    return 2;
}

static int parse(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.bind = "127.0.0.1", .mount = "/cam", .port = 8554, .mounts = 1, .audio = 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-audio")) {
            o->audio = 0;
            continue;
        }
        if (!strcmp(a, "--packet-writes")) {
            o->packet_writes = 1;
            continue;
        }
        if (!v)
            return -1;
        if (!strcmp(a, "--clip"))
            o->clip = v;
        else if (!strcmp(a, "--bind"))
            o->bind = v;
        else if (!strcmp(a, "--mount"))
            o->mount = v;
        else if (!strcmp(a, "--port"))
            o->port = atoi(v);
        else if (!strcmp(a, "--mounts"))
            o->mounts = atoi(v);
        else if (!strcmp(a, "--donl") && (!strcmp(v, "in-order") || !strcmp(v, "reversed")))
            o->donl = !strcmp(v, "in-order") ? REPLAY_DONL_IN_ORDER : REPLAY_DONL_REVERSED;
        else
            return -1;
        i++;
    }
    return o->clip && o->mounts >= 1 && o->port >= 0 && o->port < 65536 ? 0 : -1;
}

int main(int argc, char **argv)
{
    static struct server s; /* large (iovec scratch); one per process */
    int ret = 1;
    if (parse(argc, argv, &s.o))
        return usage();
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    s.rnd = (uint64_t)now_us() * 2654435761u | 1;
    s.lfd = s.ep = -1;
    if (replay_clip_load(s.o.clip, s.o.audio, s.o.donl, &s.clip))
        goto out;
    s.sdp_len = replay_clip_sdp(&s.clip, s.sdp, sizeof s.sdp);
    if (s.sdp_len < 0 || listen_on(&s) || (s.ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        fprintf(stderr, "nvr-replay-camera: cannot listen on %s:%d: %s\n", s.o.bind, s.o.port, strerror(errno));
        goto out;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(s.ep, EPOLL_CTL_ADD, s.lfd, &ev);
    fprintf(stderr, "nvr-replay-camera: %s: %zu units, %zu packets, %d track(s), %.3f s, %.0f kbit/s\n", s.o.clip,
            s.clip.nunits, s.clip.npkts, s.clip.ntracks, (double)s.clip.loop_us / 1e6,
            (double)s.clip.payload_bytes * 8 / ((double)s.clip.loop_us / 1e6) / 1000);
    int v6 = strchr(s.o.bind, ':') != NULL;
    printf("ready rtsp://%s%s%s:%d%s%s\n", v6 ? "[" : "", s.o.bind, v6 ? "]" : "", s.o.port, s.o.mount,
           s.o.mounts > 1 ? "1" : "");
    fflush(stdout);
    serve(&s);
    ret = 0;
out:
    while (s.nc)
        drop(&s, 0, NULL);
    if (s.lfd >= 0)
        close(s.lfd);
    if (s.ep >= 0)
        close(s.ep);
    replay_clip_free(&s.clip);
    return ret;
}
