/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_probe.c - a bounded TCP connect to a camera's RTSP port (see
 * tcp_probe.h).  The name is resolved with getaddrinfo (numeric hosts, the
 * usual case for cameras, resolve without a lookup); every address is tried
 * in turn within the one timeout.
 */
#include "ingest/tcp_probe.h"

#include "base/clock.h"
#include "base/err.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

nvr_err tcp_probe_parse_url(const char *url, char host[TCP_PROBE_HOST_MAX], int *port)
{
    const char *p;
    int def;
    if (strncasecmp(url, "rtsp://", 7) == 0) {
        p = url + 7;
        def = 554;
    } else if (strncasecmp(url, "rtsps://", 8) == 0) {
        p = url + 8;
        def = 322;
    } else {
        return NVR_EINVAL;
    }
    size_t auth_end = strcspn(p, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < auth_end; i++)
        if (p[i] == '@')
            at = p + i; /* the last '@' before the path ends the user information */
    if (at) {
        auth_end -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    const char *hend, *rest;
    if (*p == '[') {
        const char *close = memchr(p, ']', auth_end);
        if (!close)
            return NVR_EINVAL;
        hend = close;
        rest = close + 1;
        p++;
    } else {
        const char *colon = memchr(p, ':', auth_end);
        hend = colon ? colon : p + auth_end;
        rest = hend;
    }
    size_t hlen = (size_t)(hend - p);
    if (hlen == 0 || hlen >= TCP_PROBE_HOST_MAX)
        return NVR_EINVAL;
    memcpy(host, p, hlen);
    host[hlen] = '\0';
    *port = def;
    if (*rest == ':') {
        char *e;
        long v = strtol(rest + 1, &e, 10);
        if (e == rest + 1 || v <= 0 || v > 65535 || (*e && !strchr("/?#", *e)))
            return NVR_EINVAL;
        *port = (int)v;
    } else if (*rest && !strchr("/?#", *rest)) {
        return NVR_EINVAL;
    }
    return NVR_OK;
}

/* 1 if fd's pending connect completed within ms, else 0. */
static int connected_within(int fd, int ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    int n;
    do {
        n = poll(&pfd, 1, ms);
    } while (n < 0 && errno == EINTR);
    if (n != 1)
        return 0;
    int err = 0;
    socklen_t len = sizeof err;
    return getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
}

int tcp_probe(const char *host, int port, int64_t timeout_us)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    char service[16];
    int up = 0;
    int64_t deadline = nvr_clock_mono_us() + timeout_us;
    snprintf(service, sizeof service, "%d", port);
    if (getaddrinfo(host, service, &hints, &res) != 0)
        return 0;
    for (struct addrinfo *a = res; a && !up; a = a->ai_next) {
        int64_t left = deadline - nvr_clock_mono_us();
        if (left <= 0)
            break;
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            up = 1;
        else if (errno == EINPROGRESS)
            up = connected_within(fd, (int)((left + 999) / 1000));
        close(fd);
    }
    freeaddrinfo(res);
    return up;
}
