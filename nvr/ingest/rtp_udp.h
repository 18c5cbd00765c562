/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtp_udp.h - one track's pair of UDP sockets for RTP over UDP (RFC 3550:
 * RTP on an even port, RTCP on the next one), for the own RTSP reader.
 *
 * The pair is bound on the wildcard address of the camera's family, to a
 * free even/odd port pair the kernel picks.  The receive buffer asks for
 * 4 MiB (SO_RCVBUF; the kernel caps it at net.core.rmem_max: the size got
 * is reported, a burst of a 4K keyframe is about 1 MB).  Datagrams are read
 * in batches (recvmmsg) without waiting; only those from the camera's
 * address are returned (any source port: some cameras send from ports other
 * than those they announce), others are counted and dropped.
 *
 * Threads: one thread.
 */
#ifndef NVR_RTP_UDP_H
#define NVR_RTP_UDP_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RTP_UDP_BATCH 32
#define RTP_UDP_RCVBUF (4 * 1024 * 1024)

struct rtp_udp;

struct rtp_udp_pkt {
    const uint8_t *data; /* into the pair's buffers; valid until the next recv */
    size_t len;
};

/* family: AF_INET or AF_INET6 (the camera's); rcvbuf: the receive buffer
 * to ask for (RTP_UDP_RCVBUF for a recorded track, little for one whose
 * packets are never read). */
nvr_err rtp_udp_open(struct rtp_udp **out, int family, int rcvbuf, char *why, size_t whylen);

/* The RTP port (RTCP is the next one), and the receive buffer got, bytes. */
int rtp_udp_port(const struct rtp_udp *u);
int rtp_udp_rcvbuf(const struct rtp_udp *u);

/* The camera: its address (port ignored) and the ports it announced. */
void rtp_udp_set_peer(struct rtp_udp *u, const struct sockaddr *addr, socklen_t len, int rtp_port, int rtcp_port);

/* Descriptor of the RTP (rtcp = 0) or RTCP socket, for poll. */
int rtp_udp_fd(const struct rtp_udp *u, int rtcp);

/* Up to RTP_UDP_BATCH datagrams from the camera, without waiting: returns
 * how many (0: none waiting), or NVR_EIO.  Datagrams over 64 KiB cannot
 * exist; a truncated one is dropped. */
nvr_err rtp_udp_recv(struct rtp_udp *u, int rtcp, struct rtp_udp_pkt *pkts);

/* Sends one datagram to the camera's RTP (rtcp = 0) or RTCP port (NAT
 * keep-open packets, receiver reports).  Best effort: NVR_OK or NVR_EIO. */
nvr_err rtp_udp_send(struct rtp_udp *u, int rtcp, const uint8_t *data, size_t len);

/* Datagrams dropped because they came from another address. */
uint64_t rtp_udp_foreign(const struct rtp_udp *u);

void rtp_udp_close(struct rtp_udp **u);

#endif
