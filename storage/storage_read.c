/* SPDX-License-Identifier: Apache-2.0 */
/*
 * storage_read.c - the read side of the one door: opening a segment file
 * for reading (export), whether a file is there as indexed (playback
 * plans), and re-hashing stored files against the index
 * (`nvr verify --storage`).  Nothing here writes under data_dir.
 *
 * Threads: any; both go through the reader index connection, so a long
 * verification never holds up the writers' commits.
 */
#include "storage/storage.h"
#include "storage/storage_priv.h"

#include "base/err.h"
#include "storage/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VERIFY_PAGE 1024
#define VERIFY_BUFSZ (1 << 20)

nvr_err storage_segment_open_read(struct storage *st, const struct index_segment *seg, int *fd)
{
    char path[PATH_MAX];
    *fd = -1;
    if (seg->archive[0])
        return storage_archive_fetch(st, seg, fd);
    int rc = storage_segment_abs(&st->dirs, seg, path, sizeof path);
    if (rc)
        return rc;
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0)
        return errno == ENOENT ? NVR_ENOTFOUND : nvr_err_from_errno(errno);
    posix_fadvise(*fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return NVR_OK;
}

nvr_err storage_segment_present(struct storage *st, const struct index_segment *seg, uint64_t *size)
{
    char path[PATH_MAX];
    struct stat sb;
    if (seg->archive[0]) { /* the archive was checked when it took it */
        if (size)
            *size = seg->bytes;
        return st->s3 ? NVR_OK : NVR_EOFFLINE;
    }
    int rc = storage_segment_abs(&st->dirs, seg, path, sizeof path);
    if (size)
        *size = 0;
    if (rc)
        return rc;
    if (stat(path, &sb) != 0)
        return errno == ENOENT ? NVR_ENOTFOUND : nvr_err_from_errno(errno);
    if (size)
        *size = (uint64_t)sb.st_size;
    return (uint64_t)sb.st_size < seg->bytes ? NVR_ECORRUPT : NVR_OK;
}

/* Hashes fd to its end into out; *bytes is its length. */
static nvr_err hash_fd(int fd, uint8_t *buf, uint8_t out[32], uint64_t *bytes)
{
    struct sha256 *h = sha256_new();
    int rc = NVR_OK;
    *bytes = 0;
    if (!h)
        return NVR_ENOMEM;
    for (;;) {
        ssize_t n = read(fd, buf, VERIFY_BUFSZ);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = nvr_err_from_errno(errno);
            break;
        }
        if (n == 0)
            break;
        sha256_update(h, buf, (size_t)n);
        *bytes += (uint64_t)n;
    }
    sha256_final(h, out);
    sha256_free(&h);
    return rc;
}

/* Checks one complete row; counts and reports a problem. */
static nvr_err verify_one(struct storage *st, const struct index_segment *seg, uint8_t *buf, FILE *report,
                          uint64_t *checked, int *problems)
{
    int fd, rc = storage_segment_open_read(st, seg, &fd);
    uint8_t got[32];
    uint64_t bytes;
    if (rc == NVR_ENOTFOUND) {
        /* retention may have deleted row and file since the page was read */
        struct index_segment again;
        int g = index_segment_get(storage_index_reader(st), seg->id, &again);
        fragments_free(&again.frags);
        if (g == NVR_ENOTFOUND)
            return NVR_OK;
        (*problems)++;
        fprintf(report, "missing: %s\n", seg->path);
        return NVR_OK;
    }
    if (rc == NVR_EOFFLINE) {
        (*problems)++;
        fprintf(report, "offline: %s (its storage dir is offline or not mounted)\n", seg->path);
        return NVR_OK;
    }
    if (rc)
        return rc;
    rc = hash_fd(fd, buf, got, &bytes);
    close(fd);
    if (rc)
        return rc;
    (*checked)++;
    if (bytes != seg->bytes || memcmp(got, seg->sha256, 32) != 0) {
        (*problems)++;
        fprintf(report, "altered: %s (%s)\n", seg->path,
                bytes != seg->bytes ? "size differs from the index" : "SHA-256 differs from the index");
    }
    return NVR_OK;
}

nvr_err storage_verify(struct storage *st, FILE *report, uint64_t *checked, int *problems)
{
    nvr_index *ix = storage_index_reader(st);
    char **cams = NULL;
    size_t ncams = 0;
    uint8_t *buf = malloc(VERIFY_BUFSZ);
    int rc = buf ? index_cameras(ix, &cams, &ncams) : NVR_ENOMEM;
    *checked = 0;
    *problems = 0;
    for (size_t c = 0; c < ncams && rc == NVR_OK; c++) {
        int64_t after = INT64_MIN;
        for (;;) {
            struct index_segment *segs = NULL;
            size_t n = 0;
            if ((rc = index_segments_page(ix, cams[c], after, VERIFY_PAGE, &segs, &n)) || n == 0) {
                index_segments_free(&segs, n);
                break;
            }
            for (size_t i = 0; i < n && rc == NVR_OK; i++)
                /* archived footage is hashed when it is fetched back (archive.h) */
                if (segs[i].state == INDEX_SEG_COMPLETE && segs[i].has_sha256 && !segs[i].archive[0])
                    rc = verify_one(st, &segs[i], buf, report, checked, problems);
            after = segs[n - 1].start_us;
            index_segments_free(&segs, n);
            if (rc)
                break;
        }
    }
    for (size_t i = 0; i < ncams; i++)
        free(cams[i]);
    free(cams);
    free(buf);
    return rc;
}
