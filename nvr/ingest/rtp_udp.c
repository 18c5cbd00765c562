/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtp_udp.c - a track's RTP/RTCP UDP socket pair (see rtp_udp.h).
 *
 * Binding: the RTP socket is bound to port 0 until the kernel gives an even
 * port whose successor can be bound for RTCP (a few tries; odd ports are
 * closed and tried again).  Buffers: RTP_UDP_BATCH slots of 64 KiB + 1 for
 * RTP (the + 1 detects truncation) and as many for RTCP, allocated once.
 */
#include "ingest/rtp_udp.h"

#include "base/err.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SLOT_BYTES (65536 + 1)
#define BIND_TRIES 64

struct rtp_udp {
    int fd[2]; /* RTP, RTCP */
    int port;
    int rcvbuf;
    struct sockaddr_storage peer; /* the camera */
    socklen_t peer_len;
    int peer_port[2];
    uint8_t *buf; /* RTP_UDP_BATCH slots */
    uint64_t foreign;
};

static int bind_port(int family, int port, int *got)
{
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_any;
        a->sin6_port = htons((uint16_t)port);
        sl = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_ANY);
        a->sin_port = htons((uint16_t)port);
        sl = sizeof *a;
    }
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        close(fd);
        return -1;
    }
    *got = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

nvr_err rtp_udp_open(struct rtp_udp **out, int family, int rcvbuf, char *why, size_t whylen)
{
    int rc = NVR_ENOMEM;
    struct rtp_udp *u = calloc(1, sizeof *u);
    *out = NULL;
    if (!u)
        return nvr_fail(NVR_ENOMEM, why, whylen, "out of memory");
    u->fd[0] = u->fd[1] = -1;
    if (!(u->buf = malloc((size_t)RTP_UDP_BATCH * SLOT_BYTES))) {
        rc = nvr_fail(NVR_ENOMEM, why, whylen, "out of memory");
        goto out;
    }
    for (int i = 0; i < BIND_TRIES && u->fd[1] < 0; i++) {
        int port = 0, p2 = 0;
        if ((u->fd[0] = bind_port(family, 0, &port)) < 0)
            break;
        if (port % 2 == 0 && port < 65535 && (u->fd[1] = bind_port(family, port + 1, &p2)) >= 0) {
            u->port = port;
            break;
        }
        close(u->fd[0]);
        u->fd[0] = -1;
    }
    if (u->fd[0] < 0 || u->fd[1] < 0) {
        rc = nvr_fail(NVR_EIO, why, whylen, "no free UDP port pair for RTP/RTCP: %s", strerror(errno));
        goto out;
    }
    int want = rcvbuf;
    socklen_t sl = sizeof u->rcvbuf;
    setsockopt(u->fd[0], SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
    getsockopt(u->fd[0], SOL_SOCKET, SO_RCVBUF, &u->rcvbuf, &sl);
    u->rcvbuf /= 2; /* Linux reports twice what it counts as payload */
    *out = u;
    u = NULL;
    rc = NVR_OK;
out:
    rtp_udp_close(&u);
    return rc;
}

int rtp_udp_port(const struct rtp_udp *u)
{
    return u->port;
}

int rtp_udp_rcvbuf(const struct rtp_udp *u)
{
    return u->rcvbuf;
}

void rtp_udp_set_peer(struct rtp_udp *u, const struct sockaddr *addr, socklen_t len, int rtp_port, int rtcp_port)
{
    if (len > sizeof u->peer)
        len = sizeof u->peer;
    memcpy(&u->peer, addr, len);
    u->peer_len = len;
    u->peer_port[0] = rtp_port;
    u->peer_port[1] = rtcp_port;
}

int rtp_udp_fd(const struct rtp_udp *u, int rtcp)
{
    return u->fd[rtcp ? 1 : 0];
}

/* Same address as the camera (v4-mapped forms compared as they come). */
static int from_peer(const struct rtp_udp *u, const struct sockaddr_storage *a)
{
    if (a->ss_family != u->peer.ss_family)
        return 0;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)&u->peer)->sin_addr.s_addr;
    if (a->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)&u->peer)->sin6_addr,
                      sizeof(struct in6_addr)) == 0;
    return 0;
}

nvr_err rtp_udp_recv(struct rtp_udp *u, int rtcp, struct rtp_udp_pkt *pkts)
{
    struct mmsghdr msgs[RTP_UDP_BATCH];
    struct iovec iov[RTP_UDP_BATCH];
    struct sockaddr_storage from[RTP_UDP_BATCH];
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < RTP_UDP_BATCH; i++) {
        iov[i].iov_base = u->buf + (size_t)i * SLOT_BYTES;
        iov[i].iov_len = SLOT_BYTES;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    int n;
    do
        n = recvmmsg(u->fd[rtcp ? 1 : 0], msgs, RTP_UDP_BATCH, MSG_DONTWAIT, NULL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNREFUSED ? 0 : NVR_EIO;
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (!from_peer(u, &from[i])) {
            u->foreign++;
            continue;
        }
        if (msgs[i].msg_len >= SLOT_BYTES || (msgs[i].msg_hdr.msg_flags & MSG_TRUNC))
            continue;
        pkts[k].data = iov[i].iov_base;
        pkts[k].len = msgs[i].msg_len;
        k++;
    }
    return k;
}

nvr_err rtp_udp_send(struct rtp_udp *u, int rtcp, const uint8_t *data, size_t len)
{
    struct sockaddr_storage to = u->peer;
    int port = u->peer_port[rtcp ? 1 : 0];
    if (port <= 0 || !u->peer_len)
        return NVR_EIO;
    if (to.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&to)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)&to)->sin_port = htons((uint16_t)port);
    ssize_t n =
        sendto(u->fd[rtcp ? 1 : 0], data, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&to, u->peer_len);
    return n == (ssize_t)len ? NVR_OK : NVR_EIO;
}

uint64_t rtp_udp_foreign(const struct rtp_udp *u)
{
    return u->foreign;
}

void rtp_udp_close(struct rtp_udp **up)
{
    struct rtp_udp *u = *up;
    if (!u)
        return;
    for (int i = 0; i < 2; i++)
        if (u->fd[i] >= 0)
            close(u->fd[i]);
    free(u->buf);
    free(u);
    *up = NULL;
}
