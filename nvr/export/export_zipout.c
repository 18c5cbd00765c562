/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export_zipout.c - a buffered, write-to-temporary-then-rename libzip
 * source (see export_zipout.h).
 *
 * libzip drives it: STAT says the archive is empty, BEGIN_WRITE creates
 * PATH.XXXXXX, WRITE appends to a 4 MiB buffer written out with pwrite at
 * the logical position where it starts, SEEK_WRITE/TELL_WRITE move that
 * position (libzip seeks back to finish each local header; the buffer is
 * flushed first), COMMIT_WRITE flushes and renames, ROLLBACK_WRITE unlinks.
 */
#include "export/export_zipout.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZIPOUT_BUFSZ (4u << 20)

struct zipout {
    char path[PATH_MAX], tmp[PATH_MAX + 8];
    int fd;
    uint8_t *buf;
    size_t len;   /* bytes in buf, which start at file offset at */
    uint64_t at;  /* file offset of buf[0] */
    uint64_t end; /* file size so far */
    zip_error_t error;
};

static int flush_buf(struct zipout *z)
{
    size_t done = 0;
    while (done < z->len) {
        ssize_t n = pwrite(z->fd, z->buf + done, z->len - done, (off_t)(z->at + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            zip_error_set(&z->error, ZIP_ER_WRITE, errno);
            return -1;
        }
        done += (size_t)n;
    }
    z->at += z->len;
    if (z->at > z->end)
        z->end = z->at;
    z->len = 0;
    return 0;
}

static zip_int64_t zipout_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
    struct zipout *z = ud;
    switch (cmd) {
    case ZIP_SOURCE_STAT: {
        zip_stat_t *st = data;
        zip_stat_init(st);
        st->size = 0;
        st->valid |= ZIP_STAT_SIZE;
        return sizeof *st;
    }
    case ZIP_SOURCE_OPEN:
    case ZIP_SOURCE_CLOSE: return 0;
    case ZIP_SOURCE_READ: return 0;
    case ZIP_SOURCE_SEEK: return 0;
    case ZIP_SOURCE_TELL: return 0;
    case ZIP_SOURCE_ACCEPT_EMPTY: return 1;
    case ZIP_SOURCE_BEGIN_WRITE:
        snprintf(z->tmp, sizeof z->tmp, "%s.XXXXXX", z->path);
        if ((z->fd = mkostemp(z->tmp, O_CLOEXEC)) < 0) {
            zip_error_set(&z->error, ZIP_ER_TMPOPEN, errno);
            return -1;
        }
        fchmod(z->fd, 0640);
        z->at = z->end = 0;
        z->len = 0;
        return 0;
    case ZIP_SOURCE_WRITE:
        if (z->len + len > ZIPOUT_BUFSZ && flush_buf(z))
            return -1;
        if (len >= ZIPOUT_BUFSZ) {
            /* larger than the buffer (which is empty now): straight out */
            const uint8_t *p = data;
            zip_uint64_t done = 0;
            while (done < len) {
                ssize_t n = pwrite(z->fd, p + done, (size_t)(len - done), (off_t)(z->at + done));
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0) {
                    zip_error_set(&z->error, ZIP_ER_WRITE, errno);
                    return -1;
                }
                done += (zip_uint64_t)n;
            }
            z->at += len;
            if (z->at > z->end)
                z->end = z->at;
            return (zip_int64_t)len;
        }
        memcpy(z->buf + z->len, data, (size_t)len);
        z->len += (size_t)len;
        return (zip_int64_t)len;
    case ZIP_SOURCE_TELL_WRITE: return (zip_int64_t)(z->at + z->len);
    case ZIP_SOURCE_SEEK_WRITE: {
        zip_source_args_seek_t *a = ZIP_SOURCE_GET_ARGS(zip_source_args_seek_t, data, len, &z->error);
        if (!a || flush_buf(z))
            return -1;
        int64_t base = a->whence == SEEK_SET ? 0 : a->whence == SEEK_CUR ? (int64_t)z->at : (int64_t)z->end;
        if (base + a->offset < 0) {
            zip_error_set(&z->error, ZIP_ER_INVAL, 0);
            return -1;
        }
        z->at = (uint64_t)(base + a->offset);
        return 0;
    }
    case ZIP_SOURCE_COMMIT_WRITE:
        if (flush_buf(z))
            return -1;
        if (close(z->fd) != 0 || rename(z->tmp, z->path) != 0) {
            zip_error_set(&z->error, ZIP_ER_RENAME, errno);
            z->fd = -1;
            unlink(z->tmp);
            return -1;
        }
        z->fd = -1;
        return 0;
    case ZIP_SOURCE_ROLLBACK_WRITE:
        if (z->fd >= 0) {
            close(z->fd);
            z->fd = -1;
            unlink(z->tmp);
        }
        return 0;
    case ZIP_SOURCE_REMOVE:
        if (unlink(z->path) != 0 && errno != ENOENT) {
            zip_error_set(&z->error, ZIP_ER_REMOVE, errno);
            return -1;
        }
        return 0;
    case ZIP_SOURCE_ERROR: return zip_error_to_data(&z->error, data, len);
    case ZIP_SOURCE_FREE:
        if (z->fd >= 0) {
            close(z->fd);
            unlink(z->tmp);
        }
        zip_error_fini(&z->error);
        free(z->buf);
        free(z);
        return 0;
    case ZIP_SOURCE_SUPPORTS:
        return ZIP_SOURCE_SUPPORTS_WRITABLE | zip_source_make_command_bitmap(ZIP_SOURCE_ACCEPT_EMPTY, -1);
    default: zip_error_set(&z->error, ZIP_ER_OPNOTSUPP, 0); return -1;
    }
}

zip_t *export_zipout_create(const char *path, char *err, size_t errlen)
{
    struct zipout *z = calloc(1, sizeof *z);
    zip_error_t ze;
    zip_source_t *src = NULL;
    zip_t *za = NULL;
    zip_error_init(&ze);
    if (!z || !(z->buf = malloc(ZIPOUT_BUFSZ)) || strlen(path) >= sizeof z->path) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    snprintf(z->path, sizeof z->path, "%s", path);
    z->fd = -1;
    zip_error_init(&z->error);
    if (!(src = zip_source_function_create(zipout_cb, z, &ze)))
        goto fail_ze;
    z = NULL; /* the source owns it now (ZIP_SOURCE_FREE) */
    if (!(za = zip_open_from_source(src, ZIP_TRUNCATE, &ze)))
        goto fail_ze;
    return za;
fail_ze:
    snprintf(err, errlen, "cannot create %s: %s", path, zip_error_strerror(&ze));
fail:
    if (src)
        zip_source_free(src);
    if (z) {
        free(z->buf);
        free(z);
    }
    zip_error_fini(&ze);
    return NULL;
}

nvr_err export_zip_read(zip_t *z, const char *name, char **out, size_t *len, size_t max)
{
    zip_stat_t st;
    *out = NULL;
    *len = 0;
    if (zip_stat(z, name, 0, &st) != 0)
        return NVR_ENOTFOUND;
    if (!(st.valid & ZIP_STAT_SIZE) || st.size > max)
        return NVR_EINVAL;
    zip_file_t *f = zip_fopen(z, name, 0);
    if (!f)
        return NVR_EIO;
    char *buf = malloc(st.size + 1);
    zip_int64_t n = buf ? zip_fread(f, buf, st.size) : -1;
    zip_fclose(f);
    if (n < 0 || (zip_uint64_t)n != st.size) {
        free(buf);
        return NVR_ECORRUPT;
    }
    buf[n] = '\0';
    *out = buf;
    *len = (size_t)n;
    return NVR_OK;
}
