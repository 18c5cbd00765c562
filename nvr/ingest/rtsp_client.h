/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtsp_client.h - an RTSP 1.0 client (RFC 2326) for TCP-interleaved
 * streaming: the control connection and the media share one byte stream
 * (rtsp_conn.h): a TCP connection (rtsp://), TLS (rtsps://), or an
 * RTSP-over-HTTP tunnel (opts.tunnel; over TLS for rtsps://).
 *
 * Sequence: rtsp_client_open (connect, OPTIONS, DESCRIBE, following up to 3
 * redirects), rtsp_client_setup per track, rtsp_client_play, then
 * rtsp_client_read for each interleaved frame ('$', channel, 16-bit length,
 * RTP or RTCP packet) until an error, rtsp_client_close (TEARDOWN).
 *
 * Authentication: Basic and Digest (RFC 2617 and RFC 7616: MD5, MD5-sess,
 * SHA-256, SHA-256-sess; qop=auth or none) with the user:password of the URL, answered on the first 401 and
 * then sent with every request (a stale nonce is renewed once).
 *
 * I/O: the socket (a tunnel's GET connection) is non-blocking.  Reads go into one 128 KiB buffer, at
 * least 64 KiB at a time, and frames are returned as pointers into it, so a
 * burst of RTP packets costs one recv(2); poll(2) waits only when the socket
 * is drained, and while streaming only until 32 KiB have arrived or 100 ms
 * have passed (SO_RCVLOWAT).  Every wait ends by a deadline (CLOCK_MONOTONIC us) or, within
 * 100 ms, when *stop becomes non-zero.  While streaming, replies the server
 * interleaves with the media (to our keep-alives) are consumed and dropped,
 * and a keep-alive (GET_PARAMETER if the server offers it, else OPTIONS) is
 * sent every half session timeout.
 *
 * Errors: NVR_EAUTH (401/403, a TLS certificate other than the pinned one), NVR_ECONN (refused, reset, unreachable,
 * another 4xx/5xx status), NVR_ETIMEDOUT, NVR_ESTOPPED, NVR_EEOF (the
 * camera closed the connection), NVR_EIO (malformed protocol, or the camera
 * refused interleaved transport at SETUP: the caller may try UDP), NVR_ENOMEM.
 * `why` gets one line for a person; it never contains the password.
 *
 * Threads: a client is used by one thread.
 */
#ifndef NVR_RTSP_CLIENT_H
#define NVR_RTSP_CLIENT_H

#include "base/err.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct rtsp_client;

struct rtsp_client_opts {
    const char *url;        /* rtsp[s]://[user[:password]@]host[:port]/path; borrowed */
    int tunnel;             /* RTSP over HTTP(S) to the URL's host; port: the URL's, else 80 (443) */
    const char *camera;     /* the TLS certificate is pinned per camera, host and port; may be NULL */
    int64_t timeout_us;     /* bound of every exchange with the camera */
    const atomic_int *stop; /* non-zero: give up at once; may be NULL */
};

/* Connects and sends OPTIONS and DESCRIBE.  On success *out is the client
 * (the caller owns it) and *sdp the session description (malloc'ed,
 * NUL-terminated, *sdp_len bytes; the caller frees it). */
nvr_err rtsp_client_open(struct rtsp_client **out, const struct rtsp_client_opts *o, char **sdp, size_t *sdp_len,
                         char *why, size_t whylen);

/* Sets up one track for interleaved transport on channels (2k, 2k+1), k =
 * 0, 1, ... per call.  control is the track's a=control (borrowed; relative
 * ones are resolved against the Content-Base).  *rtp_ch and *rtcp_ch get the
 * channels the server confirmed. */
nvr_err rtsp_client_setup(struct rtsp_client *c, const char *control, int *rtp_ch, int *rtcp_ch, char *why,
                          size_t whylen);

/* Sets up one track for RTP over UDP to our ports client_port (RTP, even)
 * and client_port + 1 (RTCP).  *server_rtp and *server_rtcp get the camera's
 * ports from the answer's server_port= (0 if it gave none).  A refusal is
 * NVR_EIO. */
nvr_err rtsp_client_setup_udp(struct rtsp_client *c, const char *control, int client_port, int *server_rtp,
                              int *server_rtcp, char *why, size_t whylen);

/* For RTP over UDP, where the media do not come on the RTSP connection: its
 * descriptor (to poll for POLLIN), the camera's address, and
 * rtsp_client_service, which without waiting consumes what the connection
 * has (answering the server's requests, dropping replies), sends a
 * keep-alive when one is due (rtsp_client_next_keepalive, CLOCK_MONOTONIC
 * us), and returns NVR_OK, or NVR_EEOF when the camera closed the connection,
 * or another error. */
int rtsp_client_fd(const struct rtsp_client *c);
nvr_err rtsp_client_peer(const struct rtsp_client *c, struct sockaddr_storage *addr, socklen_t *len);
nvr_err rtsp_client_service(struct rtsp_client *c, char *why, size_t whylen);
int64_t rtsp_client_next_keepalive(const struct rtsp_client *c);

/* Sends PLAY for the whole session (session_control: the SDP's session-level
 * a=control, "" or "*" for the Content-Base). */
nvr_err rtsp_client_play(struct rtsp_client *c, const char *session_control, char *why, size_t whylen);

/* The pace of reading while playing over TCP (see rtsp_client.c): 0 prompt
 * (a frame is read at most 0.1 s after it arrived; the default at PLAY), 1
 * relaxed (at most 0.4 s: a quarter of the wake-ups, for a stream that only
 * goes to disk).  Cheap when the pace does not change; no-op over UDP. */
void rtsp_client_set_pace(struct rtsp_client *c, int relaxed);

/* Returns the next interleaved frame: its channel and bytes, which point into
 * the client's buffer and stay valid until the next call on c.  Waits at most
 * until deadline_us (CLOCK_MONOTONIC, us): NVR_ETIMEDOUT after it. */
nvr_err rtsp_client_read(struct rtsp_client *c, int64_t deadline_us, int *channel, const uint8_t **data, size_t *len,
                         char *why, size_t whylen);

/* 1 if the next rtsp_client_read returns an interleaved frame already in
 * the client's buffer, without waiting; 0 if it may wait (or the buffer
 * starts with something else: a message, or too few bytes). */
int rtsp_client_frame_ready(const struct rtsp_client *c);

/* Sends one interleaved frame (an RTCP receiver report); len <= 65535. */
nvr_err rtsp_client_send_frame(struct rtsp_client *c, int channel, const uint8_t *data, size_t len);

/* How the session travels: "tcp", "tls", "http" or "https"; and with TLS
 * the certificate's SHA-256 fingerprint and the TLS version ("" without). */
const char *rtsp_client_transport(const struct rtsp_client *c);
const char *rtsp_client_tls_fingerprint(const struct rtsp_client *c);
const char *rtsp_client_tls_version(const struct rtsp_client *c);

/* Sends TEARDOWN if playing (waiting at most 0.5 s for its answer, even when
 * stopping), closes the socket and frees; sets *c NULL; tolerates NULL. */
void rtsp_client_close(struct rtsp_client **c);

/* Splits an rtsp:// or rtsps:// URL (default ports 554 and 322).  user/password are percent-decoded; request_url is
 * the URL without the user information (what goes on the request line).
 * Returns NVR_OK or NVR_EINVAL.  (Exposed for the unit tests.) */
struct rtsp_url {
    char host[256];
    char port[8];
    char user[128];
    char password[128];
    int has_user;
    int has_port; /* the URL gave the port */
    int tls;      /* rtsps:// */
    char request_url[1024];
};
nvr_err rtsp_url_parse(const char *url, struct rtsp_url *u);

/* Parsed RTSP reply head.  (Exposed for the unit tests and the fuzz target.) */
#define RTSP_MAX_AUTH 4
struct rtsp_reply {
    int status;
    char reason[64];
    int cseq;
    size_t content_length;
    char session[128];
    int session_timeout; /* seconds; 60 if not given */
    char transport[256];
    char content_base[512];
    char content_location[512];
    char location[512];
    char public_methods[256];
    char www_authenticate[RTSP_MAX_AUTH][512];
    int nauth;
    int is_request;  /* a request from the server, not a reply */
    char method[32]; /* its method */
};

/* Parses a message head (status line and headers) of len bytes, which must
 * end with the empty line.  Returns NVR_OK or NVR_EINVAL. */
nvr_err rtsp_reply_parse(const char *head, size_t len, struct rtsp_reply *r);

/* Framing of the byte stream from the server.  (Exposed for the unit tests
 * and the fuzz target.) */
enum rtsp_item_kind {
    RTSP_ITEM_FRAME,   /* an interleaved frame: channel, data/len its payload */
    RTSP_ITEM_MESSAGE, /* a reply or request: *r its head, data/len its body */
    RTSP_ITEM_SKIP,    /* len bytes of garbage */
};
struct rtsp_item {
    enum rtsp_item_kind kind;
    int channel;
    const uint8_t *data; /* points into the buffer */
    size_t len;
};

/* Looks at the n bytes at p: returns 1 and sets *it and *used (bytes the
 * item takes) when an item is complete, 0 when more bytes are needed, or
 * NVR_EIO for a malformed message head (over 16 KiB, unparsable, or a body
 * over 64 KiB). */
int rtsp_frame_next(const uint8_t *p, size_t n, struct rtsp_item *it, struct rtsp_reply *r, size_t *used);

#endif
