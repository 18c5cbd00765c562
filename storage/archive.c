/* SPDX-License-Identifier: Apache-2.0 */
/*
 * archive.c - the archive tier (see archive.h for the order of writes).
 */
#include "storage/archive.h"
#include "storage/storage_priv.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "storage/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DAY_US (86400LL * 1000000)
#define BATCH 8
#define BACKOFF_MS 10000
#define CACHE_AREA "archive_cache"

struct archive {
    struct storage *st;
    struct s3_client *s3;
    struct archive_params p;
    pthread_t tid;
    int started;
    pthread_mutex_t mu; /* guards stop and status */
    pthread_cond_t cv;
    int stop;
    struct archive_status status;
};

/* ---- reading (any thread; deleting an object is storage_delete.c's) ---- */

/* Keeps the cache under its cap: the least recently used copies go. */
static void cache_trim(const char *dir, uint64_t cap)
{
    DIR *d = opendir(dir);
    struct ent {
        char name[64];
        time_t t;
        uint64_t size;
    } *v = NULL;
    size_t n = 0, cap_n = 0;
    uint64_t total = 0;
    struct dirent *de;
    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        char path[PATH_MAX + 64];
        struct stat sb;
        if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof v->name)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        if (n == cap_n) {
            size_t nc = cap_n ? 2 * cap_n : 64;
            void *nv = realloc(v, nc * sizeof *v);
            if (!nv)
                break;
            v = nv;
            cap_n = nc;
        }
        size_t nl = strlen(de->d_name); /* < sizeof name: checked above */
        memcpy(v[n].name, de->d_name, nl + 1);
        v[n].t = sb.st_atime > sb.st_mtime ? sb.st_atime : sb.st_mtime;
        v[n].size = (uint64_t)sb.st_size;
        total += v[n].size;
        n++;
    }
    closedir(d);
    while (total > cap && n > 0) {
        size_t oldest = 0;
        for (size_t i = 1; i < n; i++)
            if (v[i].t < v[oldest].t)
                oldest = i;
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s", dir, v[oldest].name);
        unlink(path); /* a reader holding it open keeps reading */
        total -= v[oldest].size;
        v[oldest] = v[--n];
    }
    free(v);
}

nvr_err storage_archive_fetch(struct storage *st, const struct index_segment *seg, int *fd)
{
    char dir[PATH_MAX], path[PATH_MAX + 64], tmp[PATH_MAX + 64], why[512];
    struct stat sb;
    uint8_t sha[32];
    uint64_t got = 0;
    *fd = -1;
    if (!st->s3)
        return NVR_EOFFLINE;
    int rc = storage_area_dir(st, CACHE_AREA, dir, sizeof dir);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "%s/%lld.mp4", dir, (long long)seg->id);
    if ((*fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
        if (fstat(*fd, &sb) == 0 && (uint64_t)sb.st_size == seg->bytes) {
            futimens(*fd, NULL); /* recently used */
            return NVR_OK;
        }
        close(*fd);
        *fd = -1;
    }
    snprintf(tmp, sizeof tmp, "%s/.%lld.XXXXXX", dir, (long long)seg->id);
    int w = mkostemp(tmp, O_CLOEXEC);
    if (w < 0)
        return nvr_err_from_errno(errno);
    int64_t t0 = nvr_clock_mono_us();
    rc = s3_get_fd(st->s3, seg->archive, w, &got, why, sizeof why);
    if (rc == NVR_OK && got != seg->bytes)
        rc = nvr_fail(NVR_ECORRUPT, why, sizeof why, "%s has %llu bytes, the index says %llu", seg->archive,
                      (unsigned long long)got, (unsigned long long)seg->bytes);
    close(w);
    if (rc == NVR_OK && seg->has_sha256 &&
        (storage_sha256_file(tmp, sha) != NVR_OK || memcmp(sha, seg->sha256, 32) != 0))
        rc = nvr_fail(NVR_ECORRUPT, why, sizeof why, "%s does not hash to the segment's SHA-256", seg->archive);
    if (rc == NVR_OK && rename(tmp, path) != 0)
        rc = nvr_err_from_errno(errno);
    if (rc) {
        unlink(tmp);
        nvr_log(NVR_ERROR, seg->camera, "archive: cannot read archived footage error=\"%s\"", why);
        return rc == NVR_ENOTFOUND ? NVR_ENOTFOUND : rc == NVR_ECORRUPT ? NVR_ECORRUPT : NVR_EOFFLINE;
    }
    nvr_log(NVR_INFO, seg->camera, "archive: fetched path=%s bytes=%llu ms=%lld", seg->path, (unsigned long long)got,
            (long long)((nvr_clock_mono_us() - t0) / 1000));
    cache_trim(dir, st->cache_bytes ? st->cache_bytes : (uint64_t)2 << 30);
    if ((*fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return nvr_err_from_errno(errno);
    return NVR_OK;
}

/* ---- the archive thread ---- */

static void note(struct archive *a, int rc, const char *why)
{
    pthread_mutex_lock(&a->mu);
    int was_ok = a->status.ok;
    if (rc == NVR_OK) {
        a->status.ok = 1;
        a->status.last_error[0] = '\0';
    } else {
        a->status.ok = 0;
        snprintf(a->status.last_error, sizeof a->status.last_error, "%s", why);
        a->status.last_error_us = nvr_clock_now_us();
    }
    pthread_mutex_unlock(&a->mu);
    if (rc && was_ok)
        nvr_log(NVR_ERROR, NULL, "archive: cannot archive, recording goes on; retrying every %d s error=\"%s\"",
                BACKOFF_MS / 1000, why);
    else if (!rc && !was_ok)
        nvr_log(NVR_INFO, NULL, "archive: the object store answers again");
}

/* Moves one segment to the archive (archive.h, steps 1-3). */
static nvr_err archive_one(struct archive *a, const struct index_segment *seg)
{
    char path[PATH_MAX], qpath[INDEX_PATH_MAX + 32], why[512] = "";
    uint64_t size = 0;
    int rc = storage_segment_abs(&a->st->dirs, seg, path, sizeof path);
    if (rc)
        return NVR_OK; /* its disk is offline: later */
    char *url = s3_object_url(a->s3, seg->path);
    if (!url)
        return NVR_ENOMEM;
    int64_t t0 = nvr_clock_mono_us();
    rc = s3_put_file(a->s3, url, path, seg->bytes, seg->sha256, why, sizeof why);
    int64_t took = nvr_clock_mono_us() - t0;
    if (rc == NVR_OK && (rc = s3_head(a->s3, url, &size, why, sizeof why)) == NVR_OK && size != seg->bytes)
        rc = nvr_fail(NVR_ECORRUPT, why, sizeof why, "%s: the object has %llu bytes, the segment %llu", url,
                      (unsigned long long)size, (unsigned long long)seg->bytes);
    if (rc == NVR_ENOTFOUND && access(path, F_OK) != 0) {
        /* the local file is gone (nvr check reports it): skip it, the
         * bucket is not at fault */
        nvr_log(NVR_WARN, seg->camera, "archive: segment file missing, not archived path=%s", seg->path);
        free(url);
        return NVR_OK;
    }
    if (rc) {
        note(a, rc, why);
        free(url);
        return rc;
    }
    index_qualify_path(seg->dir, seg->path, qpath, sizeof qpath);
    rc = index_segment_set_archived(a->st->ix, seg->id, url, qpath);
    if (rc == NVR_ENOTFOUND) { /* retention took it meanwhile */
        s3_delete(a->s3, url, why, sizeof why);
        free(url);
        return NVR_OK;
    }
    if (rc == NVR_OK)
        rc = storage_drop_garbage(a->st, qpath); /* else the next start finishes it */
    note(a, NVR_OK, "");
    pthread_mutex_lock(&a->mu);
    a->status.uploaded++;
    a->status.uploaded_bytes += seg->bytes;
    a->status.last_upload_us = nvr_clock_now_us();
    a->status.upload_bytes_per_s = took > 0 ? (double)seg->bytes * 1e6 / (double)took : 0;
    pthread_mutex_unlock(&a->mu);
    nvr_log(NVR_INFO, seg->camera, "archive: moved path=%s url=%s bytes=%llu ms=%lld", seg->path, url,
            (unsigned long long)seg->bytes, (long long)(took / 1000));
    free(url);
    return NVR_OK;
}

/* One pass: the oldest segments due, a batch at a time. */
static nvr_err pass(struct archive *a)
{
    int64_t before = nvr_clock_now_us() - (int64_t)(a->p.after_days * (double)DAY_US);
    for (;;) {
        struct index_segment *segs = NULL;
        size_t n = 0;
        int rc = index_archive_candidates(a->st->ix, before, BATCH, &segs, &n), moved = 0;
        for (size_t i = 0; rc == NVR_OK && i < n; i++) {
            pthread_mutex_lock(&a->mu);
            int stop = a->stop;
            pthread_mutex_unlock(&a->mu);
            if (stop)
                break;
            struct storage_dir *d = storage_dir_by_id(&a->st->dirs, segs[i].dir);
            if (!d || storage_dir_failed(&a->st->dirs, d, NVR_OK, ""))
                continue; /* on a disk that does not work now */
            rc = archive_one(a, &segs[i]);
            moved++;
        }
        index_segments_free(&segs, n);
        if (rc || moved == 0 || n < BATCH)
            return rc;
    }
}

static void *archive_main(void *arg)
{
    struct archive *a = arg;
    int interval = a->p.interval_ms > 0 ? a->p.interval_ms : 5000;
    for (;;) {
        int rc = pass(a);
        int wait_ms = rc ? BACKOFF_MS : interval;
        pthread_mutex_lock(&a->mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += wait_ms / 1000;
        until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!a->stop && pthread_cond_timedwait(&a->cv, &a->mu, &until) != ETIMEDOUT)
            ;
        int stop = a->stop;
        pthread_mutex_unlock(&a->mu);
        if (stop)
            break;
    }
    return NULL;
}

nvr_err archive_start(struct archive **out, struct storage *st, const struct archive_params *p, char *why, size_t n)
{
    *out = NULL;
    struct archive *a = calloc(1, sizeof *a);
    if (!a)
        return NVR_ENOMEM;
    int rc = s3_client_new(&a->s3, &p->s3, why, n);
    if (rc) {
        free(a);
        return rc;
    }
    a->st = st;
    a->p = *p;
    a->p.s3 = (struct s3_config){0}; /* the client keeps its own copies */
    a->status.configured = 1;
    a->status.ok = 1;
    snprintf(a->status.url, sizeof a->status.url, "%s", p->s3.url);
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    st->cache_bytes = p->cache_bytes;
    st->s3 = a->s3;
    if (p->read_only) {
        *out = a;
        return NVR_OK;
    }
    if (pthread_create(&a->tid, NULL, archive_main, a) != 0) {
        st->s3 = NULL;
        archive_stop(&a);
        return NVR_ENOMEM;
    }
    a->started = 1;
    *out = a;
    return NVR_OK;
}

void archive_stop(struct archive **ap)
{
    struct archive *a = *ap;
    if (!a)
        return;
    if (a->started) {
        pthread_mutex_lock(&a->mu);
        a->stop = 1;
        pthread_cond_broadcast(&a->cv);
        pthread_mutex_unlock(&a->mu);
        pthread_join(a->tid, NULL);
    }
    if (a->st->s3 == a->s3)
        a->st->s3 = NULL;
    s3_client_free(&a->s3);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    free(a);
    *ap = NULL;
}

void archive_get_status(struct archive *a, struct archive_status *s)
{
    memset(s, 0, sizeof *s);
    if (!a)
        return;
    pthread_mutex_lock(&a->mu);
    *s = a->status;
    pthread_mutex_unlock(&a->mu);
}
