/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp_probe.h - "is the camera's port answering?": one non-blocking TCP
 * connect, bounded by a timeout, closed at once (nothing is sent).
 *
 * The recorder uses it while it backs off after a lost camera
 * (docs/design/ingest.md, "Reconnection"): a probe costs a SYN and a FIN,
 * where a full RTSP session costs four exchanges and the camera's encoder
 * set-up, so probing often is what lets recording resume within a second
 * or two of the camera coming back, without hammering a camera that is
 * still down.
 *
 * Threads: any; no state.
 */
#ifndef NVR_TCP_PROBE_H
#define NVR_TCP_PROBE_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

#define TCP_PROBE_HOST_MAX 256

/* The host and port of an rtsp:// or rtsps:// URL (user information and
 * IPv6 brackets removed; port 554, or 322 for rtsps, when absent).
 * Returns NVR_OK or NVR_EINVAL for anything else. */
nvr_err tcp_probe_parse_url(const char *url, char host[TCP_PROBE_HOST_MAX], int *port);

/* 1 if a TCP connection to host:port is accepted within timeout_us, 0 if
 * it is refused, unreachable, unresolved or times out. */
int tcp_probe(const char *host, int port, int64_t timeout_us);

#endif
