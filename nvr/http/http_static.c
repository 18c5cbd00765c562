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
 * and an unchanged file costs one 304.  The same files are also served at
 * /s/ID/PATH (the pages refer to their scripts and styles that way, see
 * web/build_static.py): when ID is web_dir's build-id the answer is
 * "public, max-age=31536000, immutable" -- a new build has a new ID, so such a
 * URL's bytes never change; another ID (a page loaded before an upgrade)
 * gets the current file with "no-cache".
 *
 * Compression: the build leaves FILE.br and FILE.gz beside each text file;
 * when the request's Accept-Encoding allows br (or else gzip) and that copy
 * exists as a regular file, it is sent with Content-Encoding and its own
 * ETag.  Every answer for a file that has such copies says
 * "Vary: Accept-Encoding".  Nothing is compressed on the fly.
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
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATIC_MAX_SEGMENTS 8
#define STATIC_MAX_SEGMENT 100
#define STATIC_ID_LEN 16 /* hex digits of web/build_static.py's build id */
#define STATIC_IMMUTABLE "public, max-age=31536000, immutable"

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
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '-'))
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

/* Whether Accept-Encoding value ae accepts coding (a token, not "q=0"). */
static int accepts(const char *ae, const char *coding)
{
    size_t cl = strlen(coding);
    for (const char *p = ae; p && *p;) {
        p += strspn(p, " \t,");
        size_t n = strcspn(p, ",;");
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        const char *end = p + strcspn(p, ",");
        if (n == cl && strncasecmp(p, coding, cl) == 0) {
            const char *q = strstr(p, "q=");
            return !(q && q < end && strtod(q + 2, NULL) <= 0.0);
        }
        p = *end ? end + 1 : end;
    }
    return 0;
}

/* Whether id (not NUL-terminated, STATIC_ID_LEN long) is web_dir's build id. */
static int is_current_build(const char *web_dir, const char *id)
{
    char path[PATH_MAX], cur[STATIC_ID_LEN + 2] = "";
    if ((size_t)snprintf(path, sizeof path, "%s/build-id", web_dir) >= sizeof path)
        return 0;
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    int ok = fgets(cur, sizeof cur, f) && strlen(cur) >= STATIC_ID_LEN && memcmp(cur, id, STATIC_ID_LEN) == 0;
    fclose(f);
    return ok;
}

/* The path inside web_dir a request path names: "/s/ID/REST" is "/REST"
 * (*versioned = 1, *current when ID is the build's); anything else itself. */
static const char *strip_version(const char *path, const char *web_dir, int *current)
{
    *current = 0;
    if (strncmp(path, "/s/", 3) != 0 || strlen(path) < 3 + STATIC_ID_LEN + 2 || path[3 + STATIC_ID_LEN] != '/')
        return path;
    for (int i = 0; i < STATIC_ID_LEN; i++)
        if (!strchr("0123456789abcdef", path[3 + i]))
            return path;
    *current = is_current_build(web_dir, path + 3);
    return path + 3 + STATIC_ID_LEN;
}

/* Opens real, or its .br/.gz copy the client accepts; *coding names the copy
 * ("" for the file itself), *vary whether copies exist.  -1 if none opens. */
static int open_encoded(struct http_request *r, const char *real, const char **coding, int *vary)
{
    static const char *const codings[][2] = {{"br", ".br"}, {"gzip", ".gz"}};
    const char *ae = http_header(r, "Accept-Encoding");
    char alt[PATH_MAX];
    struct stat st;
    *coding = "";
    *vary = 0;
    for (size_t i = 0; i < sizeof codings / sizeof codings[0]; i++) {
        if ((size_t)snprintf(alt, sizeof alt, "%s%s", real, codings[i][1]) >= sizeof alt)
            continue;
        if (lstat(alt, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        *vary = 1;
        if (!ae || !accepts(ae, codings[i][0]))
            continue;
        int fd = open(alt, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
            *coding = codings[i][0];
            return fd;
        }
    }
    return open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

http_result http_static_serve(struct http_request *r, const char *web_dir)
{
    const char *path = http_path(r);
    char want[PATH_MAX], real[PATH_MAX], root[PATH_MAX], etag[96];
    const char *coding;
    int current, vary;
    struct stat st;
    if (!http_static_path_ok(path))
        return http_reply_error(r, 404, "not found");
    path = strip_version(path, web_dir, &current);
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
    int fd = open_encoded(r, real, &coding, &vary);
    if (fd < 0)
        return http_reply_error(r, 404, "not found");
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return http_reply_error(r, 404, "not found");
    }
    snprintf(etag, sizeof etag, "\"%llx-%llx-%llx%s%s\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtim.tv_sec * 1000000000ULL + (unsigned long long)st.st_mtim.tv_nsec,
             (unsigned long long)st.st_ino, *coding ? "-" : "", coding);
    if (*coding)
        http_add_reply_header(r, "Content-Encoding", coding);
    if (vary)
        http_add_reply_header(r, "Vary", "Accept-Encoding");
    /* http_reply_file takes fd */
    return http_reply_file(r, fd, (uint64_t)st.st_size, http_static_content_type(real), etag,
                           current ? STATIC_IMMUTABLE : "no-cache");
}
