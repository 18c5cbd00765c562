/* SPDX-License-Identifier: Apache-2.0 */
/* test_tcp_probe.c - the reconnection probe (nvr/ingest/tcp_probe.c): host and port
 * from camera URLs, and a probe against a listening and a closed port on
 * loopback. */
#include "ingest/tcp_probe.h"

#include "base/err.h"

#include "check.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static void test_parse_url(void)
{
    char host[TCP_PROBE_HOST_MAX];
    int port = 0;
    CHECK_EQ_INT(tcp_probe_parse_url("rtsp://admin:secret@192.0.2.10:8554/Streaming/Channels/101", host, &port),
                 NVR_OK);
    CHECK_EQ_STR(host, "192.0.2.10");
    CHECK_EQ_INT(port, 8554);
    CHECK_EQ_INT(tcp_probe_parse_url("rtsp://cam.example/stream", host, &port), NVR_OK);
    CHECK_EQ_STR(host, "cam.example");
    CHECK_EQ_INT(port, 554);
    CHECK_EQ_INT(tcp_probe_parse_url("rtsps://cam.example", host, &port), NVR_OK);
    CHECK_EQ_INT(port, 322);
    /* a password with '@' and ':' in it: the host follows the last '@' of the authority */
    CHECK_EQ_INT(tcp_probe_parse_url("rtsp://u:p@ss:w@rd@10.0.0.1:1554/x", host, &port), NVR_OK);
    CHECK_EQ_STR(host, "10.0.0.1");
    CHECK_EQ_INT(port, 1554);
    /* '@' after the path is not user information */
    CHECK_EQ_INT(tcp_probe_parse_url("rtsp://host:99/a@b:c", host, &port), NVR_OK);
    CHECK_EQ_STR(host, "host");
    CHECK_EQ_INT(port, 99);
    CHECK_EQ_INT(tcp_probe_parse_url("rtsp://[2001:db8::1]:10554/s?x=1", host, &port), NVR_OK);
    CHECK_EQ_STR(host, "2001:db8::1");
    CHECK_EQ_INT(port, 10554);
    CHECK_EQ_INT(tcp_probe_parse_url("http://host/", host, &port), NVR_EINVAL);
    CHECK_EQ_INT(tcp_probe_parse_url("rtsp://host:0/", host, &port), NVR_EINVAL);
    CHECK_EQ_INT(tcp_probe_parse_url("rtsp://host:70000/", host, &port), NVR_EINVAL);
    CHECK_EQ_INT(tcp_probe_parse_url("rtsp://host:12x/", host, &port), NVR_EINVAL);
    CHECK_EQ_INT(tcp_probe_parse_url("rtsp:///path", host, &port), NVR_EINVAL);
}

static void test_probe_loopback(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 4) == 0);
    CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    int port = ntohs(a.sin_port);
    CHECK_EQ_INT(tcp_probe("127.0.0.1", port, 500000), 1);
    close(fd);
    /* the port is closed now: refused at once */
    CHECK_EQ_INT(tcp_probe("127.0.0.1", port, 500000), 0);
}

int main(void)
{
    RUN(test_parse_url);
    RUN(test_probe_loopback);
    return check_summary();
}
