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

int storage_document_put(const char *data_dir, const char *name, const void *buf, size_t len)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    int fd = -1, dfd = -1, rc = NVR_OK;
    if (!valid_name(name))
        return NVR_EINVAL;
    if (snprintf(path, sizeof path, "%s/%s", data_dir, name) >= (int)sizeof path ||
        snprintf(tmp, sizeof tmp, "%s/%s.tmp.%ld", data_dir, name, (long)getpid()) >= (int)sizeof tmp)
        return NVR_EINVAL;
    if (mkdir(data_dir, 0750) != 0 && errno != EEXIST)
        return nvr_err_from_errno(errno);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0) {
        rc = nvr_err_from_errno(errno);
        goto out;
    }
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, (const char *)buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = nvr_err_from_errno(errno);
            goto out;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        rc = nvr_err_from_errno(errno);
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        rc = nvr_err_from_errno(errno);
        goto out;
    }
    if ((dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
        fsync(dfd);
out:
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    if (rc)
        unlink(tmp);
    return rc;
}

int storage_document_get(const char *data_dir, const char *name, size_t max, char **out, size_t *len)
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
