/* SPDX-License-Identifier: Apache-2.0 */
/*
 * storage_fs.c - the small file-system helpers of storage/ (storage_fs.h):
 * mkdir -p with durable parents, fsync of a directory, path joins, the
 * SHA-256 of a file.  They know no handle; every other file of storage/
 * uses them, and they use none of those files.
 */
#include "storage/storage_fs.h"

#include "base/err.h"
#include "base/log.h"
#include "storage/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

nvr_err storage_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return nvr_err_from_errno(errno);
    int rc = fsync(fd) == 0 ? NVR_OK : nvr_err_from_errno(errno);
    close(fd);
    return rc;
}

nvr_err storage_parent_dir(const char *path, char *out, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash || (size_t)(slash - path) >= n)
        return NVR_EINVAL;
    memcpy(out, path, (size_t)(slash - path));
    out[slash - path] = '\0';
    if (out[0] == '\0')
        strcpy(out, "/");
    return NVR_OK;
}

nvr_err storage_mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return NVR_EINVAL;
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0750) == 0) {
                char parent[PATH_MAX];
                if (storage_parent_dir(buf, parent, sizeof parent) == NVR_OK)
                    storage_fsync_dir(parent);
            } else if (errno != EEXIST) {
                int e = errno;
                nvr_log(NVR_ERROR, NULL, "cannot create directory path=%s error=\"%s\"", buf, strerror(e));
                return nvr_err_from_errno(e);
            }
            *p = c;
            if (c == '\0')
                break;
        }
    }
    return NVR_OK;
}

nvr_err storage_join_path(const char *dir, const char *rel, char *out, size_t n)
{
    if (snprintf(out, n, "%s/%s", dir, rel) >= (int)n)
        return NVR_EINVAL;
    return NVR_OK;
}

nvr_err storage_sha256_file(const char *path, uint8_t out[32])
{
    int rc = NVR_ENOMEM;
    struct sha256 *sha = sha256_new();
    uint8_t *buf = malloc(1 << 20);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = nvr_err_from_errno(errno);
        goto out;
    }
    if (!sha || !buf)
        goto out;
    for (;;) {
        ssize_t r = read(fd, buf, 1 << 20);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = nvr_err_from_errno(errno);
            goto out;
        }
        if (r == 0)
            break;
        sha256_update(sha, buf, (size_t)r);
    }
    sha256_final(sha, out);
    rc = NVR_OK;
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    sha256_free(&sha);
    return rc;
}
