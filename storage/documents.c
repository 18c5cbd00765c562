/* SPDX-License-Identifier: Apache-2.0 */
/*
 * documents.c - atomic whole-file documents under data_dir (see documents.h).
 * Called from any thread; keeps no state.
 */
#include "storage/documents.h"

#include "base/err.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int valid_name(const char *name)
{
    if (!name[0] || name[0] == '.')
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
            return 0;
    return 1;
}

/* Writes buf to a new data_dir/NAME.tmp.XXXXXX (a name of its own, mkostemp;
 * mode) and fsyncs it; path and tmp receive the two names.  On failure
 * nothing is left behind. */
static nvr_err write_tmp(const char *data_dir, const char *name, const void *buf, size_t len, mode_t mode, char *path,
                         char *tmp)
{
    int fd = -1, rc = NVR_OK;
    if (!valid_name(name))
        return NVR_EINVAL;
    if (snprintf(path, PATH_MAX, "%s/%s", data_dir, name) >= PATH_MAX ||
        snprintf(tmp, PATH_MAX, "%s/%s.tmp.XXXXXX", data_dir, name) >= PATH_MAX)
        return NVR_EINVAL;
    if (mkdir(data_dir, 0750) != 0 && errno != EEXIST)
        return nvr_err_from_errno(errno);
    if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
        return nvr_err_from_errno(errno);
    if (fchmod(fd, mode) != 0)
        rc = nvr_err_from_errno(errno);
    for (size_t off = 0; rc == NVR_OK && off < len;) {
        ssize_t w = write(fd, (const char *)buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = nvr_err_from_errno(errno);
            break;
        }
        off += (size_t)w;
    }
    if (rc == NVR_OK && fsync(fd) != 0)
        rc = nvr_err_from_errno(errno);
    if (close(fd) != 0 && rc == NVR_OK)
        rc = nvr_err_from_errno(errno);
    if (rc)
        unlink(tmp);
    return rc;
}

static void fsync_dir(const char *data_dir)
{
    int dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}

static nvr_err put(const char *data_dir, const char *name, const void *buf, size_t len, mode_t mode)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    int rc = write_tmp(data_dir, name, buf, len, mode, path, tmp);
    if (rc)
        return rc;
    if (rename(tmp, path) != 0) {
        rc = nvr_err_from_errno(errno);
        unlink(tmp);
        return rc;
    }
    fsync_dir(data_dir);
    return NVR_OK;
}

nvr_err storage_document_put(const char *data_dir, const char *name, const void *buf, size_t len)
{
    return put(data_dir, name, buf, len, 0640);
}

nvr_err storage_document_put_secret(const char *data_dir, const char *name, const void *buf, size_t len)
{
    return put(data_dir, name, buf, len, 0600);
}

nvr_err storage_document_create(const char *data_dir, const char *name, const void *buf, size_t len, int *created)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    *created = 0;
    int rc = write_tmp(data_dir, name, buf, len, 0600, path, tmp);
    if (rc)
        return rc;
    if (link(tmp, path) == 0)
        *created = 1;
    else if (errno != EEXIST)
        rc = nvr_err_from_errno(errno);
    unlink(tmp);
    if (*created)
        fsync_dir(data_dir);
    return rc;
}

nvr_err storage_document_get(const char *data_dir, const char *name, size_t max, char **out, size_t *len)
{
    char path[PATH_MAX];
    struct stat sb;
    char *buf = NULL;
    size_t n = 0;
    int fd = -1, rc = NVR_OK;
    *out = NULL;
    if (len)
        *len = 0;
    if (!valid_name(name) || snprintf(path, sizeof path, "%s/%s", data_dir, name) >= (int)sizeof path)
        return NVR_EINVAL;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return errno == ENOENT ? NVR_ENOTFOUND : nvr_err_from_errno(errno);
    if (fstat(fd, &sb) != 0) {
        rc = nvr_err_from_errno(errno);
        goto out;
    }
    if ((uint64_t)sb.st_size > max) {
        rc = NVR_EINVAL;
        goto out;
    }
    if (!(buf = malloc((size_t)sb.st_size + 1))) {
        rc = NVR_ENOMEM;
        goto out;
    }
    while (n < (size_t)sb.st_size) {
        ssize_t r = read(fd, buf + n, (size_t)sb.st_size - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = nvr_err_from_errno(errno);
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *out = buf;
    buf = NULL;
    if (len)
        *len = n;
out:
    free(buf);
    close(fd);
    return rc;
}
