/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest_floor.c - the floor bench/ingest measures nvr against: what any
 * recorder must spend to take N RTSP streams to disk, and nothing else.
 *
 * One thread, epoll over every camera's socket.  Each camera: DESCRIBE,
 * SETUP of the first track (RTP over the RTSP connection, interleaved
 * 0-1), PLAY; then every byte the camera sends (RTP packets with their
 * interleaved headers, unparsed) is read in reads of up to 64 KiB and
 * appended to one file per camera with write(2).  With --durable, what a
 * recorder that loses at most a second must add: every --sync-ms each file
 * with new bytes is fdatasync'ed and its durable pages are dropped from the
 * page cache (as nvr's segment writer does, docs/design/storage.md "Page
 * cache"), and every byte is hashed with SHA-256 (OpenSSL, as nvr's
 * segments are).
 *
 * No parsing, no index, no reconnects: a camera that closes ends that
 * camera.  Prints "camN connected" per camera (bench/ingest waits for them)
 * and a summary on SIGTERM/SIGINT.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_SIZE (64 * 1024)

struct cam {
    int sock, file;
    uint64_t bytes, synced; /* appended; durable and dropped up to here */
    EVP_MD_CTX *sha;
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "ingest_floor: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(2);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int dial(const char *host, const char *port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
        die("cannot resolve", host);
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
        die("cannot connect", strerror(errno));
    freeaddrinfo(ai);
    return fd;
}

/* Sends one request and reads its response (headers and body) into buf;
 * bytes after the response (the stream after PLAY) are left in *extra. */
static void request(int fd, const char *req, char *buf, size_t cap, size_t *len, size_t *extra)
{
    size_t n = strlen(req), got = 0;
    if (write(fd, req, n) != (ssize_t)n)
        die("cannot send a request", strerror(errno));
    for (;;) {
        ssize_t r = read(fd, buf + got, cap - 1 - got);
        if (r <= 0)
            die("the camera closed during set-up", NULL);
        got += (size_t)r;
        buf[got] = 0;
        char *end = strstr(buf, "\r\n\r\n");
        if (!end)
            continue;
        size_t head = (size_t)(end + 4 - buf), body = 0;
        const char *cl = strcasestr(buf, "\r\nContent-Length:");
        if (cl && cl < end)
            body = strtoul(cl + 17, NULL, 10);
        if (got < head + body)
            continue;
        if (strncmp(buf, "RTSP/1.0 200", 12) != 0)
            die("the camera refused", buf);
        *len = head + body;
        *extra = got - *len;
        return;
    }
}

/* The first m= section's a=control, as an absolute URL. */
static void track_url(const char *sdp, const char *base, char *out, size_t n)
{
    const char *m = strstr(sdp, "\nm=");
    const char *c = m ? strstr(m, "a=control:") : NULL;
    if (!c)
        die("no track control in the SDP", sdp);
    c += 10;
    size_t len = strcspn(c, "\r\n");
    if (strncmp(c, "rtsp://", 7) == 0)
        snprintf(out, n, "%.*s", (int)len, c);
    else
        snprintf(out, n, "%s/%.*s", base, (int)len, c);
}

static void open_camera(struct cam *c, const char *host, const char *port, const char *url, const char *path,
                        int durable)
{
    static char buf[READ_SIZE];
    char req[2048], track[1024], session[256];
    size_t len, extra;
    c->sock = dial(host, port);
    snprintf(req, sizeof req, "DESCRIBE %s RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n", url);
    request(c->sock, req, buf, sizeof buf, &len, &extra);
    track_url(buf, url, track, sizeof track);
    snprintf(req, sizeof req, "SETUP %s RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n",
             track);
    request(c->sock, req, buf, sizeof buf, &len, &extra);
    const char *s = strcasestr(buf, "\r\nSession:");
    if (!s)
        die("no session in the SETUP response", buf);
    s += 10;
    s += strspn(s, " ");
    snprintf(session, sizeof session, "%.*s", (int)strcspn(s, ";\r\n"), s);
    snprintf(req, sizeof req, "PLAY %s RTSP/1.0\r\nCSeq: 3\r\nSession: %s\r\nRange: npt=0-\r\n\r\n", url, session);
    request(c->sock, req, buf, sizeof buf, &len, &extra);
    c->file = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (c->file < 0)
        die("cannot create", path);
    if (durable && (!(c->sha = EVP_MD_CTX_new()) || EVP_DigestInit_ex(c->sha, EVP_sha256(), NULL) != 1))
        die("no SHA-256", NULL);
    if (extra > 0) {
        if (write(c->file, buf + len, extra) != (ssize_t)extra)
            die("cannot write", strerror(errno));
        if (c->sha)
            EVP_DigestUpdate(c->sha, buf + len, extra);
        c->bytes += extra;
    }
    fcntl(c->sock, F_SETFL, fcntl(c->sock, F_GETFL) | O_NONBLOCK);
}

/* Reads what the socket has, appends it; 0 when the camera closed. */
static int drain(struct cam *c, uint8_t *buf)
{
    for (;;) {
        ssize_t r = read(c->sock, buf, READ_SIZE);
        if (r == 0)
            return 0;
        if (r < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        if (write(c->file, buf, (size_t)r) != r)
            die("cannot write", strerror(errno));
        if (c->sha)
            EVP_DigestUpdate(c->sha, buf, (size_t)r);
        c->bytes += (uint64_t)r;
        if (r < READ_SIZE)
            return 1;
    }
}

static void make_durable(struct cam *c)
{
    if (c->file < 0 || c->bytes == c->synced)
        return;
    if (fdatasync(c->file) != 0)
        die("fdatasync failed", strerror(errno));
    off_t from = (off_t)(c->synced & ~(uint64_t)4095); /* the partial last page stays */
    posix_fadvise(c->file, from, (off_t)(c->bytes & ~(uint64_t)4095) - from, POSIX_FADV_DONTNEED);
    c->synced = c->bytes;
}

int main(int argc, char **argv)
{
    const char *base = NULL, *dir = NULL;
    int n = 0, durable = 0, sync_ms = 1000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--url-base") && i + 1 < argc)
            base = argv[++i];
        else if (!strcmp(argv[i], "--cameras") && i + 1 < argc)
            n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--sync-ms") && i + 1 < argc)
            sync_ms = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--durable"))
            durable = 1;
        else
            die("usage: ingest_floor --url-base rtsp://HOST:PORT/cam --cameras N --dir DIR [--durable] "
                "[--sync-ms MS]",
                NULL);
    }
    char host[256], port[16];
    if (!base || !dir || n <= 0 || sync_ms <= 0 || sscanf(base, "rtsp://%255[^:/]:%15[0-9]", host, port) != 2)
        die("usage: ingest_floor --url-base rtsp://HOST:PORT/cam --cameras N --dir DIR [--durable] [--sync-ms MS]",
            NULL);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);

    struct cam *cams = calloc((size_t)n, sizeof *cams);
    uint8_t *buf = malloc(READ_SIZE);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (!cams || !buf || ep < 0)
        die("out of memory", NULL);
    for (int i = 0; i < n; i++) {
        char url[512], path[4096];
        snprintf(url, sizeof url, "%s%d", base, i + 1);
        snprintf(path, sizeof path, "%s/cam%d.rtp", dir, i + 1);
        open_camera(&cams[i], host, port, url, path, durable);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, cams[i].sock, &ev) != 0)
            die("epoll_ctl", strerror(errno));
        printf("cam%d connected\n", i + 1);
        fflush(stdout);
    }

    int64_t next_sync = now_ms() + sync_ms;
    int open_n = n;
    struct epoll_event evs[64];
    while (!stopping && open_n > 0) {
        int64_t wait = durable ? next_sync - now_ms() : 1000;
        int k = epoll_wait(ep, evs, 64, wait < 0 ? 0 : (int)wait);
        for (int j = 0; j < k; j++) {
            struct cam *c = &cams[evs[j].data.u32];
            if (!drain(c, buf)) {
                epoll_ctl(ep, EPOLL_CTL_DEL, c->sock, NULL);
                close(c->sock);
                c->sock = -1;
                open_n--;
            }
        }
        if (durable && now_ms() >= next_sync) {
            for (int i = 0; i < n; i++)
                make_durable(&cams[i]);
            next_sync += sync_ms;
        }
    }
    uint64_t total = 0;
    for (int i = 0; i < n; i++) {
        total += cams[i].bytes;
        if (cams[i].sha) {
            unsigned char md[32];
            unsigned int mdlen = 0;
            EVP_DigestFinal_ex(cams[i].sha, md, &mdlen);
            EVP_MD_CTX_free(cams[i].sha);
        }
        if (cams[i].sock >= 0)
            close(cams[i].sock);
        close(cams[i].file);
    }
    printf("stopped cameras=%d bytes=%llu closed_early=%d\n", n, (unsigned long long)total, n - open_n);
    free(cams);
    free(buf);
    close(ep);
    return 0;
}
