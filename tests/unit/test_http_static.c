/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_http_static.c - which request paths the web UI's file server accepts,
 * and the content types it gives (nvr/http/http_static.c).  Serving itself (open,
 * symlinks, ETag/304) is tested over HTTP in tests/integration/test_static.py.
 */
#include "http/http_static.h"

#include "check.h"

#include <string.h>

static void test_paths_accepted(void)
{
    static const char *ok[] = {
        "/", "/index.html", "/js/app.js", "/vendor/hls.mjs", "/css/", "/a-b_c.1.css", "/a/b/c/d/e/f/g/h",
        "/favicon.ico",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (!http_static_path_ok(ok[i]))
            fprintf(stderr, "  refused: %s\n", ok[i]);
        CHECK(http_static_path_ok(ok[i]));
    }
}

static void test_paths_refused(void)
{
    char longseg[200];
    memset(longseg, 'a', sizeof longseg - 1);
    longseg[0] = '/';
    longseg[sizeof longseg - 1] = '\0';
    const char *bad[] = {
        NULL, "", "index.html", "/..", "/../etc/passwd", "/js/../../etc/passwd", "/.", "/./index.html",
        "/.git/config", "/js/.hidden", "//index.html", "/js//app.js", "/a b.html", "/a%2e.html",
        "/a\\b", "/a?b", "/a/b/c/d/e/f/g/h/i", "/é.html", longseg, "/js/..", "/...",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (http_static_path_ok(bad[i]))
            fprintf(stderr, "  accepted: %s\n", bad[i] ? bad[i] : "(null)");
        CHECK(!http_static_path_ok(bad[i]));
    }
}

static void test_content_types(void)
{
    CHECK_EQ_STR(http_static_content_type("/w/index.html"), "text/html; charset=utf-8");
    CHECK_EQ_STR(http_static_content_type("/w/js/a.js"), "text/javascript; charset=utf-8");
    CHECK_EQ_STR(http_static_content_type("/w/vendor/hls.mjs"), "text/javascript; charset=utf-8");
    CHECK_EQ_STR(http_static_content_type("/w/css/app.css"), "text/css; charset=utf-8");
    CHECK_EQ_STR(http_static_content_type("/w/i.svg"), "image/svg+xml");
    CHECK_EQ_STR(http_static_content_type("/w/LICENSE"), "application/octet-stream");
    CHECK_EQ_STR(http_static_content_type("/w.d/LICENSE"), "application/octet-stream");
    CHECK_EQ_STR(http_static_content_type("/w/a.HTML"), "application/octet-stream");
}

int main(void)
{
    RUN(test_paths_accepted);
    RUN(test_paths_refused);
    RUN(test_content_types);
    return check_summary();
}
