/* test_rtsp_client.c - the RTSP client (nvr/rtsp_client.c): URL splitting,
 * reply parsing, Digest answers (RFC 2617's own example), and whole sessions
 * against a scripted server on loopback that does what cameras do and the
 * test camera does not: interleaved frames cut at odd places, garbage
 * between them, replies mixed into the media, 461 at SETUP, silence, a
 * refused password. */
#include "nvr/rtsp_client.h"

#include "nvr/rtsp_auth.h"

#include "check.h"
#include "nvr/base/clock.h"
#include "nvr/base/err.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
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

struct server {
    int lfd, port;
    enum script script;
    pthread_t tid;
    char log[8192];       /* the requests' first lines and auth, in order */
};

static int read_request(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t k = read(fd, buf + n, 1);
        if (k <= 0)
            return -1;
        n++;
        buf[n] = '\0';
        if (n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0)
            return 0;
    }
    return -1;
}

static int cseq_of(const char *req)
{
    const char *c = strstr(req, "CSeq: ");
    return c ? atoi(c + 6) : -1;
}

static void send_bytes(int fd, const void *data, size_t n)
{
    const char *s = data;
    while (n > 0) {
        ssize_t k = write(fd, s, n);
        if (k <= 0)
            return;
        s += k;
        n -= (size_t)k;
    }
}

static void send_str(int fd, const char *s)
{
    send_bytes(fd, s, strlen(s));
}

static void reply(int fd, const char *req, const char *status, const char *headers, const char *body)
{
    char out[4096];
    snprintf(out, sizeof out, "RTSP/1.0 %s\r\nCSeq: %d\r\n%s%s%zu\r\n\r\n%s", status, cseq_of(req), headers,
             "Content-Length: ", strlen(body), body);
    send_str(fd, out);
}

static const char sdp_body[] = "v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:track1\r\n";

static void *server_main(void *arg)
{
    struct server *s = arg;
    int fd = accept(s->lfd, NULL, NULL);
    char req[4096];
    if (fd < 0)
        return NULL;
    while (read_request(fd, req, sizeof req) == 0) {
        char line[256];
        sscanf(req, "%255[^\r]", line);
        strncat(s->log, line, sizeof s->log - strlen(s->log) - 2);
        strcat(s->log, "\n");
        int authed = strstr(req, "Authorization: Digest username=\"u\"") != NULL;
        if (!authed) {
            reply(fd, req, "401 Unauthorized", "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\", qop=\"auth\"\r\n", "");
            continue;
        }
        if (s->script == SCRIPT_WRONG_PASSWORD) {
            reply(fd, req, "401 Unauthorized", "WWW-Authenticate: Digest realm=\"r\", nonce=\"n2\"\r\n", "");
            continue;
        }
        if (strncmp(req, "OPTIONS", 7) == 0) {
            reply(fd, req, "200 OK", "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n", "");
        } else if (strncmp(req, "DESCRIBE", 8) == 0) {
            reply(fd, req, "200 OK", "Content-Base: rtsp://127.0.0.1/cam/\r\nContent-Type: application/sdp\r\n",
                  sdp_body);
        } else if (strncmp(req, "SETUP", 5) == 0) {
            if (s->script == SCRIPT_461)
                reply(fd, req, "461 Unsupported Transport", "", "");
            else
                reply(fd, req, "200 OK", "Transport: RTP/AVP/TCP;unicast;interleaved=4-5\r\nSession: s1;timeout=60\r\n", "");
        } else if (strncmp(req, "PLAY", 4) == 0) {
            reply(fd, req, "200 OK", "Session: s1\r\n", "");
            if (s->script == SCRIPT_SILENT)
                continue; /* no media; the next request is the TEARDOWN */
            /* frame 1 (3 bytes) cut after the '$', garbage, an unsolicited reply
             * with a body, frame 2 (RTCP channel) and a frame of 1000 bytes in 3 writes */
            send_str(fd, "$");
            usleep(20000);
            send_bytes(fd, "\x04\x00\x03" "abc", 6);
            send_str(fd, "\r\nxx");
            send_str(fd, "RTSP/1.0 200 OK\r\nCSeq: 99\r\nContent-Length: 4\r\n\r\n$$$$");
            send_str(fd, "OPTIONS * RTSP/1.0\r\nCSeq: 7\r\n\r\n");
            send_bytes(fd, "$\x05\x00\x02zz", 6);
            uint8_t big[4 + 1000];
            big[0] = '$';
            big[1] = 4;
            big[2] = 1000 >> 8;
            big[3] = 1000 & 0xff;
            for (int i = 0; i < 1000; i++)
                big[4 + i] = (uint8_t)i;
            send_bytes(fd, big, 2);
            usleep(20000);
            send_bytes(fd, big + 2, 500);
            usleep(20000);
            send_bytes(fd, big + 502, sizeof big - 502);
            /* the client answers our OPTIONS */
            char ans[256] = "";
            size_t an = 0;
            while (an + 1 < sizeof ans && !strstr(ans, "\r\n\r\n")) {
                ssize_t k = read(fd, ans + an, 1);
                if (k <= 0)
                    break;
                an++;
                ans[an] = '\0';
            }
            strncat(s->log, ans, sizeof s->log - strlen(s->log) - 1);
            break; /* then close: the client sees the end */
        } else {
            reply(fd, req, "200 OK", "", "");
        }
    }
    close(fd);
    return NULL;
}

static void server_start(struct server *s, enum script script)
{
    memset(s, 0, sizeof *s);
    s->script = script;
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    CHECK(bind(s->lfd, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(listen(s->lfd, 1) == 0);
    getsockname(s->lfd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    pthread_create(&s->tid, NULL, server_main, s);
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
    snprintf(url, sizeof url, "rtsp://u:%s@127.0.0.1:%d/cam", password, s->port);
    struct rtsp_client_opts o = {.url = url, .timeout_us = 10000000, .stop = stop};
    *rc = rtsp_client_open(&c, &o, &sdp, &sdp_len, why, whylen);
    if (*rc == NVR_OK)
        CHECK(sdp_len == sizeof sdp_body - 1 && strcmp(sdp, sdp_body) == 0);
    free(sdp);
    return c;
}

static void test_session(void)
{
    struct server s;
    char why[256];
    int rc, rtp = -1, rtcp = -1;
    server_start(&s, SCRIPT_STREAM);
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
    CHECK_EQ_INT(rtsp_client_read(c, deadline, &ch, &d, &n, why, sizeof why), NVR_EEOF);
    CHECK(strstr(why, "closed") != NULL);
    rtsp_client_close(&c);
    CHECK(c == NULL);
    server_stop(&s);
    /* every request answered the Digest challenge; the relative control was
     * resolved against the Content-Base */
    CHECK(strstr(s.log, "OPTIONS rtsp://127.0.0.1:") != NULL);
    CHECK(strstr(s.log, "SETUP rtsp://127.0.0.1/cam/track1 RTSP/1.0") != NULL);
    CHECK(strstr(s.log, "PLAY rtsp://127.0.0.1/cam/ RTSP/1.0") != NULL);
    CHECK(strstr(s.log, "pw") == NULL);
    CHECK(strstr(s.log, "RTSP/1.0 200 OK\r\nCSeq: 7\r\nSession: s1\r\n\r\n") != NULL);
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
    RUN(test_461_and_wrong_password);
    RUN(test_silence_and_stop);
    RUN(test_refused);
    return check_summary();
}
