/* SPDX-License-Identifier: Apache-2.0 */
/* test_url.c - credential redaction (lib/base/url.c). */
#include "base/url.h"

#include "check.h"

static void test_redact_url(void)
{
    char out[256];
    nvr_url_redact("rtsp://admin:secret@192.0.2.10:554/Streaming/Channels/101", out, sizeof out);
    CHECK_EQ_STR(out, "rtsp://admin:***@192.0.2.10:554/Streaming/Channels/101");
    nvr_url_redact("rtsp://192.0.2.10/stream", out, sizeof out);
    CHECK_EQ_STR(out, "rtsp://192.0.2.10/stream");
    nvr_url_redact("rtsp://user@192.0.2.10/stream", out, sizeof out);
    CHECK_EQ_STR(out, "rtsp://user@192.0.2.10/stream");
    /* a password with '@' and ':' in it: everything up to the last '@' of the authority */
    nvr_url_redact("rtsp://u:p@ss:w@rd@host/x", out, sizeof out);
    CHECK_EQ_STR(out, "rtsp://u:***@host/x");
    /* '@' after the path is not credentials */
    nvr_url_redact("rtsp://host/a@b:c", out, sizeof out);
    CHECK_EQ_STR(out, "rtsp://host/a@b:c");
}

static void test_redact_text(void)
{
    char out[256];
    nvr_url_redact_text("failed url=rtsp://a:topsecret@h/1 and http://b:pw@h2:80/x done", out, sizeof out);
    CHECK_EQ_STR(out, "failed url=rtsp://a:***@h/1 and http://b:***@h2:80/x done");
    CHECK(strstr(out, "topsecret") == NULL);
    nvr_url_redact_text("no urls here: just text", out, sizeof out);
    CHECK_EQ_STR(out, "no urls here: just text");
}

static void test_keep_password(void)
{
    char out[256] = "untouched";
    const char *old = "rtsp://admin:s3cr@t:x@192.0.2.10:554/Streaming/Channels/101";
    /* the shown URL, unchanged or with a new path: the stored password stays */
    CHECK_EQ_INT(nvr_url_keep_password("rtsp://admin:***@192.0.2.10:554/Streaming/Channels/101", old, out, sizeof out), 1);
    CHECK_EQ_STR(out, old);
    CHECK_EQ_INT(nvr_url_keep_password("rtsp://admin:***@192.0.2.10:554/Streaming/Channels/102", old, out, sizeof out), 1);
    CHECK_EQ_STR(out, "rtsp://admin:s3cr@t:x@192.0.2.10:554/Streaming/Channels/102");
    /* a new password, or none: not ours to touch */
    strcpy(out, "untouched");
    CHECK_EQ_INT(nvr_url_keep_password("rtsp://admin:new@192.0.2.10:554/x", old, out, sizeof out), 0);
    CHECK_EQ_INT(nvr_url_keep_password("rtsp://192.0.2.10/x", old, out, sizeof out), 0);
    CHECK_EQ_STR(out, "untouched");
    /* "***" towards another host, port, user or scheme: refused */
    CHECK_EQ_INT(nvr_url_keep_password("rtsp://admin:***@192.0.2.11:554/x", old, out, sizeof out), -1);
    CHECK_EQ_INT(nvr_url_keep_password("rtsp://admin:***@192.0.2.10:8554/x", old, out, sizeof out), -1);
    CHECK_EQ_INT(nvr_url_keep_password("rtsp://root:***@192.0.2.10:554/x", old, out, sizeof out), -1);
    CHECK_EQ_INT(nvr_url_keep_password("rtsps://admin:***@192.0.2.10:554/x", old, out, sizeof out), -1);
    CHECK_EQ_INT(nvr_url_keep_password("rtsp://admin:***@192.0.2.10:554/x", "rtsp://192.0.2.10:554/x", out, sizeof out), -1);
    CHECK_EQ_INT(nvr_url_keep_password("rtsp://admin:***@192.0.2.10:554/x", NULL, out, sizeof out), -1);
    CHECK_EQ_STR(out, "untouched");
}

static void test_truncation(void)
{
    char out[12];
    nvr_url_redact_text("rtsp://a:secret@host/very/long", out, sizeof out);
    CHECK(strlen(out) == sizeof out - 1);
    CHECK(strstr(out, "secret") == NULL);
    char tiny[1] = {'x'};
    nvr_url_redact_text("abc", tiny, sizeof tiny);
    CHECK(tiny[0] == '\0');
}

int main(void)
{
    RUN(test_keep_password);
    RUN(test_redact_url);
    RUN(test_redact_text);
    RUN(test_truncation);
    return check_summary();
}
