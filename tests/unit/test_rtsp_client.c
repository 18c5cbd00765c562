/* SPDX-License-Identifier: Apache-2.0 */
/* test_rtsp_client.c - the RTSP client (nvr/ingest/rtsp_client.c, nvr/ingest/rtsp_conn.c):
 * URL splitting, reply parsing, Digest answers (RFC 2617's own example), and
 * whole sessions against a scripted server on loopback that does what
 * cameras do and the test camera does not: interleaved frames cut at odd
 * places, garbage between them, replies mixed into the media, 461 at SETUP,
 * silence, a refused password.  The same session runs over TLS (a
 * certificate made here; a SHA-256 Digest challenge offered before an MD5
 * one), through an RTSP-over-HTTP tunnel (the server decodes the POST's
 * base64), and a changed certificate on a reconnection is refused. */
#include "ingest/rtsp_client.h"

#include "ingest/rtsp_auth.h"

#include "check.h"
#include "base/clock.h"
#include "base/err.h"

#include "ingest/rtsp_conn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static void test_url(void)
{
    struct rtsp_url u;
    CHECK_EQ_INT(rtsp_url_parse("rtsp://admin:p%40ss:w@rd@192.0.2.10:8554/Streaming/Channels/101?x=1", &u), NVR_OK);
    CHECK_EQ_STR(u.host, "192.0.2.10");
    CHECK_EQ_STR(u.port, "8554");
    CHECK_EQ_STR(u.user, "admin");
    CHECK_EQ_STR(u.password, "p@ss:w@rd");
    CHECK_EQ_INT(u.has_user, 1);
    CHECK_EQ_STR(u.request_url, "rtsp://192.0.2.10:8554/Streaming/Channels/101?x=1");
    CHECK_EQ_INT(rtsp_url_parse("RTSP://[::1]/cam", &u), NVR_OK);
    CHECK_EQ_STR(u.host, "::1");
    CHECK_EQ_STR(u.port, "554");
    CHECK_EQ_INT(u.has_user, 0);
    CHECK_EQ_STR(u.request_url, "rtsp://[::1]/cam");
    CHECK_EQ_INT(rtsp_url_parse("rtsp://cam.local", &u), NVR_OK);
    CHECK_EQ_STR(u.request_url, "rtsp://cam.local");
    CHECK_EQ_INT(rtsp_url_parse("rtsp://u:a%23b@cam/live#1", &u), NVR_OK);
    CHECK_EQ_STR(u.password, "a#b");
    CHECK_EQ_STR(u.request_url, "rtsp://cam/live#1");
    CHECK_EQ_INT(rtsp_url_parse("rtsps://cam.local/x", &u), NVR_OK);
    CHECK_EQ_STR(u.port, "322");
    CHECK_EQ_INT(u.tls, 1);
    CHECK_EQ_INT(u.has_port, 0);
    CHECK_EQ_STR(u.request_url, "rtsps://cam.local/x");
    CHECK_EQ_INT(rtsp_url_parse("RTSPS://u:p@[::1]:8322/x", &u), NVR_OK);
    CHECK_EQ_STR(u.port, "8322");
    CHECK_EQ_INT(u.has_port, 1);
    CHECK_EQ_STR(u.request_url, "rtsps://[::1]:8322/x");
    CHECK_EQ_INT(rtsp_url_parse("http://cam/", &u), NVR_EINVAL);
    CHECK_EQ_INT(rtsp_url_parse("rtsp://:554/", &u), NVR_EINVAL);
    CHECK_EQ_INT(rtsp_url_parse("rtsp://h:12x/", &u), NVR_EINVAL);
    CHECK_EQ_INT(rtsp_url_parse("rtsp://[::1/", &u), NVR_EINVAL);
}

static void test_reply_parse(void)
{
    static const char head[] = "RTSP/1.0 401 Unauthorized\r\n"
                               "CSeq: 3\r\n"
                               "WWW-Authenticate: Basic realm=\"cam\"\r\n"
                               "www-authenticate: Digest realm=\"cam\", nonce=\"abc\"\r\n"
                               "Session:  12345678;timeout=30\r\n"
                               "Content-Length: 0\r\n"
                               "\r\n";
    struct rtsp_reply r;
    CHECK_EQ_INT(rtsp_reply_parse(head, sizeof head - 1, &r), NVR_OK);
    CHECK_EQ_INT(r.status, 401);
    CHECK_EQ_STR(r.reason, "Unauthorized");
    CHECK_EQ_INT(r.cseq, 3);
    CHECK_EQ_INT(r.nauth, 2);
    CHECK_EQ_STR(r.www_authenticate[1], "Digest realm=\"cam\", nonce=\"abc\"");
    CHECK_EQ_STR(r.session, "12345678");
    CHECK_EQ_INT(r.session_timeout, 30);
    CHECK_EQ_INT(r.is_request, 0);
    static const char req[] = "ANNOUNCE rtsp://x/ RTSP/1.0\nCSeq: 7\n\n";
    CHECK_EQ_INT(rtsp_reply_parse(req, sizeof req - 1, &r), NVR_OK);
    CHECK_EQ_INT(r.is_request, 1);
    CHECK_EQ_INT(rtsp_reply_parse("HTTP/1.1 200 OK\r\n\r\n", 19, &r), NVR_EINVAL);
    CHECK_EQ_INT(rtsp_reply_parse("RTSP/1.0 2 OK\r\n\r\n", 17, &r), NVR_EINVAL);
    CHECK_EQ_INT(rtsp_reply_parse("RTSP/1.0 200 OK\r\nContent-Length: -5\r\n\r\n", 39, &r), NVR_EINVAL);
}

static void test_digest(void)
{
    /* RFC 2617 section 3.5 */
    char out[1024];
    CHECK_EQ_INT(rtsp_auth_header("Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
                                  "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
                                  "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
                                  "Mufasa", "Circle Of Life", "GET", "/dir/index.html", 1, "0a4f113b", out,
                                  sizeof out),
                 NVR_OK);
    CHECK(strstr(out, "response=\"6629fae49393a05397450978507c4ef1\"") != NULL);
    CHECK(strstr(out, "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"") != NULL);
    CHECK(strstr(out, "qop=auth, nc=00000001, cnonce=\"0a4f113b\"") != NULL);
    /* RFC 2069 style, no qop: MD5(HA1:nonce:HA2) */
    CHECK_EQ_INT(rtsp_auth_header("Digest realm=\"testrealm@host.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"",
                                  "Mufasa", "Circle Of Life", "GET", "/dir/index.html", 1, NULL, out, sizeof out),
                 NVR_OK);
    CHECK(strstr(out, "response=\"670fd8c2df070c60b045671b8b24ff02\"") != NULL);
    CHECK(strstr(out, "qop") == NULL);
    CHECK_EQ_INT(rtsp_auth_header("Basic realm=\"x\"", "Aladdin", "open sesame", "DESCRIBE", "rtsp://x/", 1, NULL,
                                  out, sizeof out),
                 NVR_OK);
    CHECK_EQ_STR(out, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    CHECK_EQ_INT(rtsp_auth_header("Digest realm=\"x\"", "u", "p", "GET", "/", 1, NULL, out, sizeof out), NVR_EINVAL);
    CHECK_EQ_INT(rtsp_auth_header("Digest nonce=\"n\", algorithm=SHA-512-256", "u", "p", "GET", "/", 1, NULL, out,
                                  sizeof out),
                 NVR_EINVAL);
    CHECK_EQ_INT(rtsp_auth_header("Bearer x", "u", "p", "GET", "/", 1, NULL, out, sizeof out), NVR_EINVAL);
}

/* ------------------------------------------------------------------ */
/* scripted server                                                      */

enum script { SCRIPT_STREAM, SCRIPT_461, SCRIPT_SILENT, SCRIPT_WRONG_PASSWORD };

enum server_mode { MODE_TCP, MODE_TLS, MODE_TUNNEL };

struct server {
    int lfd, port;
    enum script script;
    enum server_mode mode;
    SSL_CTX *tls;         /* MODE_TLS: the server's context (certificate made by make_tls) */
    SSL *ssl;
    int fd;               /* the connection (a tunnel's GET) */
    int post_fd;          /* a tunnel's POST */
    int sha256;           /* challenge with SHA-256 first, accept only its answer */
    pthread_t tid;
    char log[8192];       /* the requests' first lines and auth, in order */
};

/* One byte from the client: TLS, the tunnel's POST (base64, decoded by
 * read_request) or plain. */
static int read_byte(struct server *s, int fd, char *c)
{
    if (s->ssl)
        return SSL_read(s->ssl, c, 1) == 1 ? 0 : -1;
    return read(fd, c, 1) == 1 ? 0 : -1;
}

static int read_head(struct server *s, int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        if (read_byte(s, fd, buf + n) < 0)
            return -1;
        n++;
        buf[n] = '\0';
        if (n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0)
            return 0;
    }
    return -1;
}

/* A tunnelled request: base64 characters from the POST, decoded in groups
 * of four until the decoded text holds the empty line. */
static int read_tunnelled(struct server *s, char *buf, size_t cap)
{
    char b64[8192];
    size_t n = 0;
    while (n + 1 < sizeof b64) {
        if (read_byte(s, s->post_fd, b64 + n) < 0)
            return -1;
        if (b64[n] == '\r' || b64[n] == '\n')
            continue;
        n++;
        if (n % 4)
            continue;
        int pad = (b64[n - 1] == '=') + (b64[n - 2] == '=');
        if (n / 4 * 3 >= cap)
            return -1;
        int k = EVP_DecodeBlock((unsigned char *)buf, (unsigned char *)b64, (int)n);
        if (k < 0)
            return -1;
        k -= pad;
        buf[k] = '\0';
        if (k >= 4 && memcmp(buf + k - 4, "\r\n\r\n", 4) == 0)
            return 0;
    }
    return -1;
}

static int read_request(struct server *s, char *buf, size_t cap)
{
    return s->mode == MODE_TUNNEL ? read_tunnelled(s, buf, cap) : read_head(s, s->fd, buf, cap);
}

static int cseq_of(const char *req)
{
    const char *c = strstr(req, "CSeq: ");
    return c ? atoi(c + 6) : -1;
}

static void send_bytes(struct server *srv, const void *data, size_t n)
{
    const char *s = data;
    while (n > 0) {
        ssize_t k = srv->ssl ? SSL_write(srv->ssl, s, (int)n) : write(srv->fd, s, n);
        if (k <= 0)
            return;
        s += k;
        n -= (size_t)k;
    }
}

static void send_str(struct server *srv, const char *s)
{
    send_bytes(srv, s, strlen(s));
}

static void reply(struct server *srv, const char *req, const char *status, const char *headers, const char *body)
{
    char out[4096];
    snprintf(out, sizeof out, "RTSP/1.0 %s\r\nCSeq: %d\r\n%s%s%zu\r\n\r\n%s", status, cseq_of(req), headers,
             "Content-Length: ", strlen(body), body);
    send_str(srv, out);
}

/* Accepts the client: the TLS handshake, or the tunnel's GET (answered) and
 * POST (logged).  Returns 0 or -1. */
static int server_accept(struct server *s)
{
    char head[2048];
    if ((s->fd = accept(s->lfd, NULL, NULL)) < 0)
        return -1;
    if (s->mode == MODE_TLS) {
        s->ssl = SSL_new(s->tls);
        SSL_set_fd(s->ssl, s->fd);
        return SSL_accept(s->ssl) == 1 ? 0 : -1;
    }
    if (s->mode != MODE_TUNNEL)
        return 0;
    if (read_head(s, s->fd, head, sizeof head) < 0)
        return -1;
    strncat(s->log, head, sizeof s->log - strlen(s->log) - 1);
    send_str(s, "HTTP/1.0 200 OK\r\nContent-Type: application/x-rtsp-tunnelled\r\n\r\n");
    if ((s->post_fd = accept(s->lfd, NULL, NULL)) < 0 || read_head(s, s->post_fd, head, sizeof head) < 0)
        return -1;
    strncat(s->log, head, sizeof s->log - strlen(s->log) - 1);
    return 0;
}

static const char sdp_body[] = "v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:track1\r\n";

static void *server_main(void *arg)
{
    struct server *s = arg;
    char req[4096];
    sigset_t pipe;
    /* the server may write to a client that left (a TLS 1.3 session ticket
     * after a refused certificate): SIGPIPE is blocked in this thread only,
     * the client's side (the code under test) runs without that help */
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, NULL);
    s->post_fd = -1;
    if (server_accept(s) < 0)
        goto out;
    while (read_request(s, req, sizeof req) == 0) {
        char line[256];
        sscanf(req, "%255[^\r]", line);
        strncat(s->log, line, sizeof s->log - strlen(s->log) - 2);
        strcat(s->log, "\n");
        int authed = strstr(req, "Authorization: Digest username=\"u\"") != NULL &&
                     (!s->sha256 || strstr(req, "algorithm=SHA-256") != NULL);
        if (!authed) {
            reply(s, req, "401 Unauthorized",
                  s->sha256 ? "WWW-Authenticate: Basic realm=\"r\"\r\n"
                              "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\", algorithm=SHA-512-256\r\n"
                              "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\", qop=\"auth\", algorithm=SHA-256\r\n"
                              "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\", qop=\"auth\", algorithm=MD5\r\n"
                            : "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\", qop=\"auth\"\r\n",
                  "");
            continue;
        }
        if (s->script == SCRIPT_WRONG_PASSWORD) {
            reply(s, req, "401 Unauthorized", "WWW-Authenticate: Digest realm=\"r\", nonce=\"n2\"\r\n", "");
            continue;
        }
        if (strncmp(req, "OPTIONS", 7) == 0) {
            reply(s, req, "200 OK", "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n", "");
        } else if (strncmp(req, "DESCRIBE", 8) == 0) {
            reply(s, req, "200 OK", "Content-Base: rtsp://127.0.0.1/cam/\r\nContent-Type: application/sdp\r\n",
                  sdp_body);
        } else if (strncmp(req, "SETUP", 5) == 0) {
            if (s->script == SCRIPT_461)
                reply(s, req, "461 Unsupported Transport", "", "");
            else
                reply(s, req, "200 OK", "Transport: RTP/AVP/TCP;unicast;interleaved=4-5\r\nSession: s1;timeout=60\r\n", "");
        } else if (strncmp(req, "PLAY", 4) == 0) {
            reply(s, req, "200 OK", "Session: s1\r\n", "");
            if (s->script == SCRIPT_SILENT)
                continue; /* no media; the next request is the TEARDOWN */
            /* frame 1 (3 bytes) cut after the '$', garbage, an unsolicited reply
             * with a body, frame 2 (RTCP channel) and a frame of 1000 bytes in 3 writes */
            send_str(s, "$");
            usleep(20000);
            send_bytes(s, "\x04\x00\x03" "abc", 6);
            send_str(s, "\r\nxx");
            send_str(s, "RTSP/1.0 200 OK\r\nCSeq: 99\r\nContent-Length: 4\r\n\r\n$$$$");
            send_str(s, "OPTIONS * RTSP/1.0\r\nCSeq: 7\r\n\r\n");
            send_bytes(s, "$\x05\x00\x02zz", 6);
            uint8_t big[4 + 1000];
            big[0] = '$';
            big[1] = 4;
            big[2] = 1000 >> 8;
            big[3] = 1000 & 0xff;
            for (int i = 0; i < 1000; i++)
                big[4 + i] = (uint8_t)i;
            send_bytes(s, big, 2);
            usleep(20000);
            send_bytes(s, big + 2, 500);
            usleep(20000);
            send_bytes(s, big + 502, sizeof big - 502);
            /* the client answers our OPTIONS */
            char ans[256] = "";
            read_request(s, ans, sizeof ans);
            strncat(s->log, ans, sizeof s->log - strlen(s->log) - 1);
            break; /* then close: the client sees the end */
        } else {
            reply(s, req, "200 OK", "", "");
        }
    }
out:
    if (s->ssl) {
        SSL_shutdown(s->ssl);
        SSL_free(s->ssl);
        s->ssl = NULL;
    }
    if (s->post_fd >= 0)
        close(s->post_fd);
    if (s->fd >= 0)
        close(s->fd);
    return NULL;
}

/* Starts the server thread; port 0: any.  mode and tls as in struct server. */
static void server_start_on(struct server *s, enum script script, enum server_mode mode, SSL_CTX *tls, int port)
{
    memset(s, 0, sizeof *s);
    s->fd = s->post_fd = -1;
    s->script = script;
    s->mode = mode;
    s->tls = tls;
    s->sha256 = mode == MODE_TLS;
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)port)};
    socklen_t al = sizeof a;
    CHECK(bind(s->lfd, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(listen(s->lfd, 2) == 0);
    getsockname(s->lfd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    pthread_create(&s->tid, NULL, server_main, s);
}

static void server_start(struct server *s, enum script script)
{
    server_start_on(s, script, MODE_TCP, NULL, 0);
}

static void server_stop(struct server *s)
{
    shutdown(s->lfd, SHUT_RDWR);
    pthread_join(s->tid, NULL);
    close(s->lfd);
}

static struct rtsp_client *connect_client(struct server *s, const char *password, const atomic_int *stop,
                                          int *rc, char *why, size_t whylen)
{
    char url[128];
    char *sdp = NULL;
    size_t sdp_len = 0;
    struct rtsp_client *c = NULL;
    snprintf(url, sizeof url, "%s://u:%s@127.0.0.1:%d/cam", s->mode == MODE_TLS ? "rtsps" : "rtsp", password,
             s->port);
    struct rtsp_client_opts o = {
        .url = url, .tunnel = s->mode == MODE_TUNNEL, .camera = "unit", .timeout_us = 10000000, .stop = stop};
    *rc = rtsp_client_open(&c, &o, &sdp, &sdp_len, why, whylen);
    if (*rc == NVR_OK)
        CHECK(sdp_len == sizeof sdp_body - 1 && strcmp(sdp, sdp_body) == 0);
    free(sdp);
    return c;
}

/* A self-signed certificate (P-256) in a server context; fp gets its
 * SHA-256 fingerprint as rtsp_conn.h writes it. */
static SSL_CTX *make_tls(const char *cn, char fp[97])
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    CHECK(key && x && ctx);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    CHECK(X509_sign(x, key, EVP_sha256()) > 0);
    CHECK(SSL_CTX_use_certificate(ctx, x) == 1 && SSL_CTX_use_PrivateKey(ctx, key) == 1);
    X509_digest(x, EVP_sha256(), md, &n);
    for (unsigned i = 0; i < n; i++)
        snprintf(fp + 3 * i, 4, "%02X%s", md[i], i + 1 < n ? ":" : "");
    X509_free(x);
    EVP_PKEY_free(key);
    return ctx;
}

/* SO_RCVLOWAT of the client's socket. */
static int lowat_of(const struct rtsp_client *c)
{
    int v = -1;
    socklen_t l = sizeof v;
    getsockopt(rtsp_client_fd(c), SOL_SOCKET, SO_RCVLOWAT, &v, &l);
    return v;
}

/* A whole session; relaxed: read at the relaxed pace (rtsp_client_set_pace),
 * where the frames, all far below its low-water mark, still arrive. */
static void session(enum server_mode mode, int relaxed)
{
    struct server s;
    char why[256], fp[97] = "";
    int rc, rtp = -1, rtcp = -1;
    SSL_CTX *tls = mode == MODE_TLS ? make_tls("camera", fp) : NULL;
    server_start_on(&s, SCRIPT_STREAM, mode, tls, 0);
    struct rtsp_client *c = connect_client(&s, "pw", NULL, &rc, why, sizeof why);
    CHECK_EQ_INT(rc, NVR_OK);
    if (!c) {
        server_stop(&s);
        return;
    }
    CHECK_EQ_INT(rtsp_client_setup(c, "track1", &rtp, &rtcp, why, sizeof why), NVR_OK);
    CHECK_EQ_INT(rtp, 4); /* the server's choice, not our 0-1 */
    CHECK_EQ_INT(rtcp, 5);
    CHECK_EQ_INT(rtsp_client_play(c, "", why, sizeof why), NVR_OK);
    CHECK_EQ_INT(lowat_of(c), 64 * 1024); /* prompt from PLAY on */
    if (relaxed) {
        rtsp_client_set_pace(c, 1);
        CHECK_EQ_INT(lowat_of(c), 256 * 1024);
        rtsp_client_set_pace(c, 0);
        CHECK_EQ_INT(lowat_of(c), 64 * 1024);
        rtsp_client_set_pace(c, 1);
    }
    int64_t t_play = nvr_clock_mono_us();
    CHECK_EQ_STR(rtsp_client_transport(c), mode == MODE_TLS ? "tls" : mode == MODE_TUNNEL ? "http" : "tcp");
    CHECK_EQ_STR(rtsp_client_tls_fingerprint(c), fp);
    int ch;
    const uint8_t *d;
    size_t n;
    int64_t deadline = nvr_clock_mono_us() + 10000000;
    CHECK_EQ_INT(rtsp_client_read(c, deadline, &ch, &d, &n, why, sizeof why), NVR_OK);
    CHECK(ch == 4 && n == 3 && memcmp(d, "abc", 3) == 0);
    CHECK_EQ_INT(rtsp_client_read(c, deadline, &ch, &d, &n, why, sizeof why), NVR_OK);
    CHECK(ch == 5 && n == 2 && memcmp(d, "zz", 2) == 0);
    CHECK_EQ_INT(rtsp_client_read(c, deadline, &ch, &d, &n, why, sizeof why), NVR_OK);
    CHECK(ch == 4 && n == 1000 && d[999] == (uint8_t)999);
    /* the server sent it all within 0.1 s: read within a few slices, never
     * left waiting for the low-water mark until the deadline */
    CHECK(nvr_clock_mono_us() - t_play < 5000000);
    CHECK_EQ_INT(rtsp_client_read(c, deadline, &ch, &d, &n, why, sizeof why), NVR_EEOF);
    CHECK(strstr(why, "closed") != NULL);
    rtsp_client_close(&c);
    CHECK(c == NULL);
    server_stop(&s);
    /* every request answered the Digest challenge; the relative control was
     * resolved against the Content-Base */
    CHECK(strstr(s.log, mode == MODE_TLS ? "OPTIONS rtsps://127.0.0.1:" : "OPTIONS rtsp://127.0.0.1:") != NULL);
    CHECK(strstr(s.log, "SETUP rtsp://127.0.0.1/cam/track1 RTSP/1.0") != NULL);
    CHECK(strstr(s.log, "PLAY rtsp://127.0.0.1/cam/ RTSP/1.0") != NULL);
    CHECK(strstr(s.log, "pw") == NULL);
    CHECK(strstr(s.log, "RTSP/1.0 200 OK\r\nCSeq: 7\r\nSession: s1\r\n\r\n") != NULL);
    if (mode == MODE_TUNNEL) {
        /* GET then POST to the URL's path, tied by one cookie */
        const char *get = strstr(s.log, "GET /cam HTTP/1.0\r\n"), *post = strstr(s.log, "POST /cam HTTP/1.0\r\n");
        CHECK(get && post && get < post);
        CHECK(strstr(s.log, "Accept: application/x-rtsp-tunnelled\r\n") != NULL);
        CHECK(strstr(s.log, "Content-Type: application/x-rtsp-tunnelled\r\n") != NULL);
        const char *c1 = strstr(s.log, "x-sessioncookie: "), *c2 = c1 ? strstr(c1 + 1, "x-sessioncookie: ") : NULL;
        CHECK(c1 && c2 && strncmp(c1, c2, 17 + 32) == 0);
    }
    SSL_CTX_free(tls);
}

static void test_session(void)
{
    session(MODE_TCP, 0);
    session(MODE_TCP, 1);
}

static void test_tls_session(void)
{
    session(MODE_TLS, 0);
    session(MODE_TLS, 1);
}

static void test_tunnel_session(void)
{
    session(MODE_TUNNEL, 0);
    session(MODE_TUNNEL, 1);
}

/* A camera that presents another certificate on a reconnection (same
 * camera, host and port) is refused until the pins are forgotten. */
static void test_tls_pin(void)
{
    struct server s;
    char why[256], fp1[97], fp2[97];
    int rc;
    SSL_CTX *a = make_tls("camera", fp1), *b = make_tls("camera", fp2);
    server_start_on(&s, SCRIPT_STREAM, MODE_TLS, a, 0);
    int port = s.port;
    struct rtsp_client *c = connect_client(&s, "pw", NULL, &rc, why, sizeof why);
    CHECK_EQ_INT(rc, NVR_OK);
    rtsp_client_close(&c);
    server_stop(&s);
    server_start_on(&s, SCRIPT_STREAM, MODE_TLS, b, port);
    c = connect_client(&s, "pw", NULL, &rc, why, sizeof why);
    CHECK_EQ_INT(rc, NVR_EAUTH);
    CHECK(c == NULL);
    CHECK(strstr(why, "certificate changed") != NULL && strstr(why, fp2) != NULL && strstr(why, fp1) != NULL);
    server_stop(&s);
    rtsp_conn_forget_pins();
    server_start_on(&s, SCRIPT_STREAM, MODE_TLS, b, port);
    c = connect_client(&s, "pw", NULL, &rc, why, sizeof why);
    CHECK_EQ_INT(rc, NVR_OK);
    if (c)
        CHECK_EQ_STR(rtsp_client_tls_fingerprint(c), fp2);
    rtsp_client_close(&c);
    server_stop(&s);
    SSL_CTX_free(a);
    SSL_CTX_free(b);
}

static void test_461_and_wrong_password(void)
{
    struct server s;
    char why[256];
    int rc, rtp, rtcp;
    server_start(&s, SCRIPT_461);
    struct rtsp_client *c = connect_client(&s, "pw", NULL, &rc, why, sizeof why);
    CHECK_EQ_INT(rc, NVR_OK);
    if (c)
        CHECK_EQ_INT(rtsp_client_setup(c, "track1", &rtp, &rtcp, why, sizeof why), NVR_EIO);
    CHECK(strstr(why, "461") != NULL);
    rtsp_client_close(&c);
    server_stop(&s);

    server_start(&s, SCRIPT_WRONG_PASSWORD);
    c = connect_client(&s, "wrong-secret", NULL, &rc, why, sizeof why);
    CHECK_EQ_INT(rc, NVR_EAUTH);
    CHECK(c == NULL);
    CHECK(strstr(why, "refused the credentials") != NULL);
    CHECK(strstr(why, "wrong-secret") == NULL);
    server_stop(&s);
}

static void test_silence_and_stop(void)
{
    struct server s;
    char why[256];
    int rc, rtp, rtcp, ch;
    const uint8_t *d;
    size_t n;
    atomic_int stop = 0;
    server_start(&s, SCRIPT_SILENT);
    struct rtsp_client *c = connect_client(&s, "pw", &stop, &rc, why, sizeof why);
    CHECK_EQ_INT(rc, NVR_OK);
    if (c) {
        CHECK_EQ_INT(rtsp_client_setup(c, "track1", &rtp, &rtcp, why, sizeof why), NVR_OK);
        CHECK_EQ_INT(rtsp_client_play(c, "*", why, sizeof why), NVR_OK);
        rtsp_client_set_pace(c, 1); /* its 0.4 s slices still see the deadline and the stop */
        int64_t t0 = nvr_clock_mono_us();
        CHECK_EQ_INT(rtsp_client_read(c, t0 + 300000, &ch, &d, &n, why, sizeof why), NVR_ETIMEDOUT);
        int64_t waited = nvr_clock_mono_us() - t0;
        CHECK(waited >= 290000 && waited < 3000000); /* generous: CI machines are loaded */
        atomic_store(&stop, 1);
        t0 = nvr_clock_mono_us();
        CHECK_EQ_INT(rtsp_client_read(c, t0 + 5000000, &ch, &d, &n, why, sizeof why), NVR_ESTOPPED);
        CHECK(nvr_clock_mono_us() - t0 < 1000000);
    }
    rtsp_client_close(&c); /* TEARDOWN goes out even when stopping */
    server_stop(&s);
    CHECK(strstr(s.log, "TEARDOWN rtsp://127.0.0.1/cam/ RTSP/1.0") != NULL);
}

static void test_refused(void)
{
    /* a port bound but not listening (so no other test can take it meanwhile) */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    bind(fd, (struct sockaddr *)&a, sizeof a);
    getsockname(fd, (struct sockaddr *)&a, &al);
    char url[64], why[256], *sdp = NULL;
    size_t sdp_len;
    struct rtsp_client *c = NULL;
    snprintf(url, sizeof url, "rtsp://127.0.0.1:%d/x", ntohs(a.sin_port));
    struct rtsp_client_opts o = {.url = url, .timeout_us = 1000000};
    CHECK_EQ_INT(rtsp_client_open(&c, &o, &sdp, &sdp_len, why, sizeof why), NVR_ECONN);
    CHECK(strstr(why, "refused") != NULL);
    CHECK(c == NULL && sdp == NULL);
    close(fd);
}

int main(void)
{
    RUN(test_url);
    RUN(test_reply_parse);
    RUN(test_digest);
    RUN(test_session);
    RUN(test_tls_session);
    RUN(test_tunnel_session);
    RUN(test_tls_pin);
    RUN(test_461_and_wrong_password);
    RUN(test_silence_and_stop);
    RUN(test_refused);
    return check_summary();
}
