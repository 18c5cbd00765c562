/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_static.c - serves the browser UI's files (web/, built into web_dir)
 * at "/" (see http_static.h and docs/design/web.md).
 *
 * Safety: the request path is checked before any file system call.  Every
 * path segment must be 1..100 characters from [A-Za-z0-9._-] and must not
 * start with a dot, so "..", "." and hidden files never reach open(); empty
 * segments ("//") and more than 8 segments are refused.  The resolved file
 * (realpath, which follows symlinks) must still lie under the resolved
 * web_dir, so a symlink inside web_dir cannot lead out of it; only regular
 * files are served.  Any refusal answers 404 without saying why.
 *
 * Caching: an ETag made of the file's size, modification time and inode;
 * If-None-Match answers 304 (http_reply_file).  Cache-Control is "no-cache":
 * browsers keep the files but revalidate them, so a new build shows at once
 * and an unchanged file costs one 304.
 *
 * Threads: called on libmicrohttpd's threads; no state of its own.
 */
#include "http/http_static.h"

#include "base/err.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATIC_MAX_SEGMENTS 8
#define STATIC_MAX_SEGMENT 100

static const struct {
    const char *ext, *type;
} content_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
};

const char *http_static_content_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof content_types / sizeof content_types[0]; i++)
            if (strcmp(dot, content_types[i].ext) == 0)
                return content_types[i].type;
    return "application/octet-stream";
}

int http_static_path_ok(const char *path)
{
    if (!path || path[0] != '/')
        return 0;
    int nseg = 0;
    const char *p = path + 1;
    if (*p == '\0')
        return 1; /* "/" itself */
    for (;;) {
        size_t n = strcspn(p, "/");
        if (n == 0 || n > STATIC_MAX_SEGMENT || p[0] == '.' || ++nseg > STATIC_MAX_SEGMENTS)
            return 0;
        for (size_t i = 0; i < n; i++) {
            char c = p[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == '-'))
                return 0;
        }
        p += n;
        if (*p == '\0')
            return 1;
        p++; /* the '/' */
        if (*p == '\0')
            return 1; /* a directory: "/sub/" serves its index.html */
    }
}

http_result http_static_serve(struct http_request *r, const char *web_dir)
{
    const char *path = http_path(r);
    char want[PATH_MAX], real[PATH_MAX], root[PATH_MAX], etag[80];
    struct stat st;
    if (!http_static_path_ok(path))
        return http_reply_error(r, 404, "not found");
    size_t len = strlen(path);
    int n = snprintf(want, sizeof want, "%s%s%s", web_dir, path, path[len - 1] == '/' ? "index.html" : "");
    if (n < 0 || (size_t)n >= sizeof want)
        return http_reply_error(r, 404, "not found");
    if (!realpath(web_dir, root))
        return http_reply_error(r, 404, "the web UI is not installed (see [server] web_dir)");
    if (!realpath(want, real))
        return http_reply_error(r, 404, "not found");
    size_t rootlen = strlen(root);
    if (strncmp(real, root, rootlen) != 0 || (real[rootlen] != '/' && strcmp(root, "/") != 0))
        return http_reply_error(r, 404, "not found");
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return http_reply_error(r, 404, "not found");
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return http_reply_error(r, 404, "not found");
    }
    snprintf(etag, sizeof etag, "\"%llx-%llx-%llx\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtim.tv_sec * 1000000000ULL + (unsigned long long)st.st_mtim.tv_nsec,
             (unsigned long long)st.st_ino);
    /* http_reply_file takes fd */
    return http_reply_file(r, fd, (uint64_t)st.st_size, http_static_content_type(real), etag, "no-cache");
}
