/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtsp_conn.h - the byte stream under the RTSP client (rtsp_client.c): one
 * of
 *
 *   plain   one TCP connection (rtsp://, default port 554);
 *   tls     TLS over one TCP connection (rtsps://, default port 322),
 *           OpenSSL, SNI with the host name;
 *   tunnel  RTSP over HTTP (the Apple/QuickTime scheme): a GET connection
 *           whose response body carries everything from the server (RTSP
 *           replies and interleaved RTP), and a POST connection that carries
 *           our requests and frames, each base64-encoded on its own; the two
 *           are tied by the x-sessioncookie header.  Over TLS for rtsps://
 *           (HTTPS).  Default port 80 (443 with TLS).
 *
 * Certificates (docs/design/ingest.md, "rtsps://"): cameras' certificates
 * are almost always self-signed, so none is verified against a CA.  The
 * first certificate a camera (pin_key: camera id, host and port) presents
 * after nvr starts is pinned in memory and its SHA-256 fingerprint returned
 * for the log; a different certificate on a later connection is refused
 * (NVR_EAUTH) until nvr restarts.
 *
 * I/O is non-blocking after rtsp_conn_open: rtsp_conn_recv and
 * rtsp_conn_flush never wait; they say which event on which descriptor to
 * poll for.  Writes are queued whole (rtsp_conn_write) and encoded then, so
 * a tunnel never splits a message's base64.
 *
 * Threads: a connection is used by one thread; the pin table is locked.
 */
#ifndef NVR_RTSP_CONN_H
#define NVR_RTSP_CONN_H

#include "base/err.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct rtsp_conn;

struct rtsp_conn_opts {
    const char *host; /* name or address literal (no brackets); borrowed */
    const char *port;
    int tls;                 /* rtsps:// */
    int tunnel;              /* RTSP over HTTP */
    const char *tunnel_path; /* the GET/POST target: the URL's path and query */
    const char *pin_key;     /* pins the certificate under this key; NULL: no pinning */
    int64_t timeout_us;      /* bound of the connect, the handshake, the tunnel's GET */
    const atomic_int *stop;  /* non-zero: give up at once; may be NULL */
};

/* Connects (and handshakes, and opens the tunnel).  Errors: NVR_ECONN,
 * NVR_ETIMEDOUT, NVR_ESTOPPED, NVR_EAUTH (a changed certificate, or the
 * tunnel's GET answered 401/403), NVR_EIO (TLS or HTTP protocol error),
 * NVR_ENOMEM; `why` gets one line for a person. */
nvr_err rtsp_conn_open(struct rtsp_conn **out, const struct rtsp_conn_opts *o, char *why, size_t whylen);

/* Reads what is there, up to cap bytes (for TLS: records until none is
 * left or buf is full).  Returns the number of bytes (> 0); 0 when nothing
 * is there: *want gets the poll event to wait for on rtsp_conn_fd (POLLIN,
 * or POLLOUT during a TLS renegotiation); NVR_EEOF when the server closed;
 * NVR_ECONN or NVR_EIO (errno set for a socket error). */
ssize_t rtsp_conn_recv(struct rtsp_conn *c, void *buf, size_t cap, short *want);

/* Queues one whole message or frame (copied; base64 for a tunnel). */
nvr_err rtsp_conn_write(struct rtsp_conn *c, const void *data, size_t len);

/* Writes what is queued: 1 all written, 0 would block (*want, *fd: what to
 * poll), NVR_ECONN/NVR_EIO (errno set). */
int rtsp_conn_flush(struct rtsp_conn *c, short *want, int *fd);

/* The descriptor the server's bytes arrive on (for poll and SO_RCVLOWAT). */
int rtsp_conn_fd(const struct rtsp_conn *c);

/* Waits until fd is ready for events (poll), the monotonic deadline passes
 * (NVR_ETIMEDOUT) or *stop becomes non-zero (NVR_ESTOPPED; stop may be NULL),
 * looking at *stop every 0.1 s.  Shared by the RTSP client. */
nvr_err rtsp_conn_wait_fd(int fd, short events, int64_t deadline, const atomic_int *stop);

/* The server's address (getpeername of the connection that reads). */
nvr_err rtsp_conn_peer(const struct rtsp_conn *c, struct sockaddr_storage *addr, socklen_t *len);

/* "tcp", "tls", "http" or "https": how the RTSP messages travel. */
const char *rtsp_conn_kind(const struct rtsp_conn *c);

/* The server certificate's SHA-256 fingerprint ("AB:CD:..." as
 * `openssl x509 -noout -fingerprint -sha256` prints it) and the TLS version;
 * "" without TLS. */
const char *rtsp_conn_fingerprint(const struct rtsp_conn *c);
const char *rtsp_conn_tls_version(const struct rtsp_conn *c);

/* Closes (TLS close_notify without waiting) and frees; sets *c NULL;
 * tolerates NULL. */
void rtsp_conn_close(struct rtsp_conn **c);

/* Forgets every pinned certificate.  (For the unit tests.) */
void rtsp_conn_forget_pins(void);

#endif
