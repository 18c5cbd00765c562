/* SPDX-License-Identifier: Apache-2.0 */
/*
 * retention.c - the retention thread and its passes (see retention.h).
 *
 * One pass:
 *   1. per camera (configured or only in the index): delete what ended
 *      more than retain_days ago;
 *   2. while all footage + reserve > max_bytes, or the file system's free
 *      space < min_free + reserve: delete the oldest unheld segments over
 *      all cameras, in batches of BATCH;
 *   3. refresh the status and the sizing figures.
 * reserve = 2 x the bytes written since the previous pass (measured from the
 * index's usage totals), so the limits hold between passes; after a write
 * failed for lack of space it is at least FULL_RESERVE.
 *
 * The ballast: deleting footage needs a few pages of index writes, which a
 * file system filled to the last byte by another program refuses.  So
 * retention keeps data_dir/reserve.bin (BALLAST_MAX, or 1/32 of a small file
 * system) allocated; when a pass fails for lack of space it removes the
 * ballast and runs again, and it puts the ballast back once there is room.
 * storage_open releases it too when nvr starts on a full disk, so the index
 * can be opened at all (a start-up finds it gone and makes it again later).
 *
 * Threads: the retention thread runs passes and owns prev_*; mu guards the
 * camera list, the status, the sizing figures and the wake flag.
 */
#include "storage/retention.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define BATCH 256
#define MAX_BATCHES_PER_PASS 64
#define FULL_RESERVE (64ull << 20) /* at most fs_size / 16 */
#define BALLAST_MAX (16ull << 20)  /* at most fs_size / 32 */
#define LOUD_EVERY_US (60LL * 1000000)
#define DAY_US (86400LL * 1000000)
#define MIN_MEASURED_US (10LL * 1000000) /* footage needed before bytes/day is estimated */

struct retention {
    struct storage *st;
    struct retention_limits lim;
    struct retention_camera *cams; /* owned copies (ids too), guarded by mu */
    size_t ncams;

    pthread_t tid;
    int started;

    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t cv;
    int stop, wake, full;
    struct retention_status status;
    double rate_per_day; /* all configured cameras together */
    double capacity;     /* bytes the limits allow, -1 if unbounded */

    /* retention thread only */
    char ballast[4096]; /* path of the reserve file */
    int have_ballast;
    uint64_t prev_used; /* footage at the end of the previous pass */
    int have_prev;
    int64_t last_loud_us; /* when the current trouble was last logged */
    enum retention_state last_loud_state;
};

static void on_full(void *arg)
{
    struct retention *r = arg;
    pthread_mutex_lock(&r->mu);
    r->full = 1;
    r->wake = 1;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

void retention_wake(struct retention *r)
{
    pthread_mutex_lock(&r->mu);
    r->wake = 1;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static int retain_days_of(struct retention *r, const char *id)
{
    int days = r->lim.default_retain_days;
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->ncams; i++)
        if (strcmp(r->cams[i].id, id) == 0)
            days = r->cams[i].retain_days;
    pthread_mutex_unlock(&r->mu);
    return days;
}

static void free_cams(struct retention_camera *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((char *)v[i].id);
    free(v);
}

nvr_err retention_set_cameras(struct retention *r, const struct retention_camera *cams, size_t n)
{
    struct retention_camera *v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        return NVR_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        v[i].retain_days = cams[i].retain_days;
        if (!(v[i].id = strdup(cams[i].id))) {
            free_cams(v, i);
            return NVR_ENOMEM;
        }
    }
    pthread_mutex_lock(&r->mu);
    struct retention_camera *old = r->cams;
    size_t nold = r->ncams;
    r->cams = v;
    r->ncams = n;
    pthread_mutex_unlock(&r->mu);
    free_cams(old, nold);
    return NVR_OK;
}

/* Step 1 for one camera. */
static nvr_err expire_camera(struct retention *r, const char *id, int64_t now)
{
    int days = retain_days_of(r, id), count = 0, total = 0;
    uint64_t freed = 0, total_bytes = 0;
    int rc = NVR_OK;
    int64_t cutoff = now - days * DAY_US;
    struct index_usage u;
    if (days <= 0)
        return NVR_OK;
    /* Only a segment that starts before the cutoff can go; when even the
     * oldest starts after it (every camera, nearly every pass), a read
     * answers and no write transaction is opened. */
    if (index_usage(storage_index(r->st), id, &u) == NVR_OK && (u.oldest_us == INT64_MIN || u.oldest_us >= cutoff))
        return NVR_OK;
    do {
        rc = storage_delete_oldest(r->st, id, cutoff, UINT64_MAX, BATCH, &freed, &count);
        total += count;
        total_bytes += freed;
    } while (rc == NVR_OK && count == BATCH);
    if (total) {
        nvr_log(NVR_INFO, id, "retention deleted reason=retain_days days=%d segments=%d bytes=%llu", days, total,
                (unsigned long long)total_bytes);
        pthread_mutex_lock(&r->mu);
        r->status.deleted_segments += (uint64_t)total;
        r->status.deleted_bytes += total_bytes;
        pthread_mutex_unlock(&r->mu);
    }
    return rc;
}

static nvr_err fs_space(const char *dir, uint64_t *size, uint64_t *avail)
{
    struct statvfs sv;
    if (statvfs(dir, &sv) != 0)
        return nvr_err_from_errno(errno);
    *size = (uint64_t)sv.f_blocks * sv.f_frsize;
    *avail = (uint64_t)sv.f_bavail * sv.f_frsize;
    return NVR_OK;
}

static uint64_t min_free_bytes(const struct retention *r, uint64_t fs_size)
{
    if (r->lim.min_free_pct > 0)
        return (uint64_t)((double)fs_size * r->lim.min_free_pct / 100.0);
    return r->lim.min_free_bytes;
}

/* What must go for max_bytes, given the reserve. */
static uint64_t max_bytes_need(const struct retention *r, uint64_t used, uint64_t reserve)
{
    if (r->lim.max_bytes && used + reserve > r->lim.max_bytes)
        return used + reserve - r->lim.max_bytes;
    return 0;
}

static void count_deleted(struct retention *r, const char *why, int total, uint64_t bytes)
{
    if (!total)
        return;
    nvr_log(NVR_INFO, NULL, "retention deleted reason=%s segments=%d bytes=%llu", why, total,
            (unsigned long long)bytes);
    pthread_mutex_lock(&r->mu);
    r->status.deleted_segments += (uint64_t)total;
    r->status.deleted_bytes += bytes;
    pthread_mutex_unlock(&r->mu);
}

/* Step 2a: max_bytes, over every dir, oldest first. */
static nvr_err enforce_max_bytes(struct retention *r, uint64_t reserve, int *held_full)
{
    int rc = NVR_OK, batches = 0, total = 0;
    uint64_t total_bytes = 0;
    while (batches++ < MAX_BATCHES_PER_PASS) {
        uint64_t used = 0, freed = 0;
        int count = 0;
        if ((rc = index_usage_total(storage_index(r->st), &used)))
            break;
        uint64_t need = max_bytes_need(r, used, reserve);
        if (need == 0)
            break;
        if ((rc = storage_delete_oldest(r->st, NULL, INT64_MAX, need, BATCH, &freed, &count)))
            break;
        if (count == 0) {
            *held_full = 1;
            break;
        }
        total += count;
        total_bytes += freed;
    }
    count_deleted(r, "max_bytes", total, total_bytes);
    return rc;
}

/* Step 2b: min_free on each file system that holds data_dir or a storage
 * dir: the oldest unheld footage of the working dirs on that file system
 * goes (footage on another disk frees nothing here).  Sets *held_full if a
 * file system with footage on it stays short with only held footage left. */
static nvr_err enforce_min_free(struct retention *r, uint64_t reserve, int *held_full)
{
    struct storage_dir_status *v = NULL;
    size_t n = 0;
    int rc = storage_dirs_status(r->st, 0, &v, &n), total = 0;
    uint64_t total_bytes = 0;
    if (rc)
        return rc;
    dev_t *dev = calloc(n ? n : 1, sizeof *dev);
    char *done = calloc(n ? n : 1, 1);
    if (!dev || !done) {
        rc = NVR_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        done[i] = v[i].state != STORAGE_DIR_OK || stat(v[i].path, &sb) != 0; /* offline/read-only: nothing to do */
        dev[i] = done[i] ? 0 : sb.st_dev;
    }
    for (size_t i = 0; i < n && rc == NVR_OK; i++) {
        if (done[i])
            continue;
        for (int batches = 0; batches < MAX_BATCHES_PER_PASS && rc == NVR_OK; batches++) {
            uint64_t size = 0, avail = 0;
            if ((rc = fs_space(v[i].path, &size, &avail)))
                break;
            uint64_t mf = min_free_bytes(r, size);
            if (avail >= mf + reserve)
                break;
            uint64_t need = mf + reserve - avail;
            int count = 0;
            int64_t footage = 0;
            for (size_t j = i; j < n && rc == NVR_OK && need > 0; j++) {
                uint64_t freed = 0;
                int c = 0;
                if (done[j] || dev[j] != dev[i])
                    continue;
                if ((rc = storage_delete_oldest_in(r->st, NULL, v[j].id, INT64_MAX, need, BATCH, &freed, &c)))
                    break;
                count += c;
                total += c;
                total_bytes += freed;
                need = freed >= need ? 0 : need - freed;
                struct dir_usage u;
                if (c == 0 && dir_store_usage(storage_index(r->st), v[j].id, &u) == NVR_OK)
                    footage += u.segments;
            }
            if (count == 0) {
                if (footage > 0)
                    *held_full = 1;
                break;
            }
        }
        for (size_t j = i; j < n; j++)
            if (dev[j] == dev[i])
                done[j] = 1;
    }
out:
    count_deleted(r, "min_free", total, total_bytes);
    free(dev);
    free(done);
    free(v);
    return rc;
}

/* Step 2.  Sets *held_full if the limits still bind with nothing unheld left. */
static nvr_err enforce_global(struct retention *r, uint64_t reserve, int *held_full)
{
    *held_full = 0;
    int rc = enforce_max_bytes(r, reserve, held_full);
    if (rc == NVR_OK)
        rc = enforce_min_free(r, reserve, held_full);
    return rc;
}

/* Step 3: status and sizing figures. */
static void refresh(struct retention *r, int rc, int held_full, int64_t now)
{
    uint64_t used = 0, size = 0, avail = 0;
    double rate = 0;
    index_usage_total(storage_index(r->st), &used);
    fs_space(storage_data_dir(r->st), &size, &avail);
    char **ids = NULL;
    size_t nids = 0;
    pthread_mutex_lock(&r->mu);
    if ((ids = calloc(r->ncams ? r->ncams : 1, sizeof *ids)) != NULL)
        for (; nids < r->ncams; nids++)
            if (!(ids[nids] = strdup(r->cams[nids].id)))
                break;
    pthread_mutex_unlock(&r->mu);
    for (size_t i = 0; i < nids; i++) {
        struct index_usage u;
        if (index_usage(storage_index(r->st), ids[i], &u) == NVR_OK && u.media_us >= MIN_MEASURED_US)
            rate += (double)u.bytes * DAY_US / (double)u.media_us;
        free(ids[i]);
    }
    free(ids);
    uint64_t mf = min_free_bytes(r, size);
    double cap = (double)used + (double)avail - (double)mf;
    if (r->lim.max_bytes && (double)r->lim.max_bytes < cap)
        cap = (double)r->lim.max_bytes;

    pthread_mutex_lock(&r->mu);
    struct retention_status *s = &r->status;
    s->used_bytes = used;
    s->fs_size = size;
    s->fs_avail = avail;
    s->min_free = mf;
    s->max_bytes = r->lim.max_bytes;
    s->last_pass_us = now;
    r->rate_per_day = rate;
    r->capacity = cap;
    if (rc) {
        s->state = RETENTION_ERROR;
        snprintf(s->message, sizeof s->message, "retention pass failed: %s", nvr_strerror(rc));
    } else if (held_full) {
        s->state = RETENTION_HELD_FULL;
        snprintf(s->message, sizeof s->message,
                 "storage limits exceeded and only held footage is left to delete: release holds or add disk");
    } else {
        s->state = RETENTION_OK;
        s->message[0] = '\0';
    }
    pthread_mutex_unlock(&r->mu);

    enum retention_state state = rc ? RETENTION_ERROR : held_full ? RETENTION_HELD_FULL : RETENTION_OK;
    if ((rc || held_full) && (state != r->last_loud_state || now - r->last_loud_us >= LOUD_EVERY_US)) {
        nvr_log(NVR_ERROR, NULL, "%s used=%llu avail=%llu min_free=%llu max_bytes=%llu",
                rc ? "retention pass failed" : "storage full: only held footage is left to delete",
                (unsigned long long)used, (unsigned long long)avail, (unsigned long long)mf,
                (unsigned long long)r->lim.max_bytes);
        r->last_loud_us = now;
        r->last_loud_state = state;
    } else if (!rc && !held_full) {
        r->last_loud_us = 0;
        r->last_loud_state = RETENTION_OK;
    }
}

/* Allocates the ballast if there is room for it above min_free. */
static void ballast_make(struct retention *r)
{
    uint64_t size = 0, avail = 0;
    if (r->have_ballast || fs_space(storage_data_dir(r->st), &size, &avail))
        return;
    uint64_t want = size / 32 < BALLAST_MAX ? size / 32 : BALLAST_MAX;
    if (want == 0 || avail < min_free_bytes(r, size) + 2 * want)
        return;
    int fd = open(r->ballast, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return;
    if (posix_fallocate(fd, 0, (off_t)want) == 0 && fsync(fd) == 0)
        r->have_ballast = 1;
    else
        unlink(r->ballast);
    close(fd);
}

/* Frees the ballast; 1 if there was one. */
static int ballast_release(struct retention *r)
{
    if (!r->have_ballast)
        return 0;
    unlink(r->ballast);
    r->have_ballast = 0;
    nvr_log(NVR_WARN, NULL, "storage full: released the reserve file so deletions can be recorded path=%s", r->ballast);
    return 1;
}

nvr_err retention_pass(struct retention *r)
{
    int64_t now = nvr_clock_now_us();
    char **ids = NULL;
    size_t nids = 0;
    uint64_t used = 0, reserve = 0;
    int held_full = 0, full;

    pthread_mutex_lock(&r->mu);
    full = r->full;
    r->full = 0;
    pthread_mutex_unlock(&r->mu);

    int rc = index_usage_total(storage_index(r->st), &used);
    if (rc == NVR_OK && r->have_prev) /* only passes delete, so growth since the last one is what was written */
        reserve = used > r->prev_used ? 2 * (used - r->prev_used) : 0;
    if (full) {
        uint64_t size = 0, avail = 0, cap = FULL_RESERVE;
        if (fs_space(storage_data_dir(r->st), &size, &avail) == NVR_OK && size / 16 < cap)
            cap = size / 16;
        if (reserve < cap)
            reserve = cap;
    }

    if (rc == NVR_OK)
        rc = index_cameras(storage_index(r->st), &ids, &nids);
    for (size_t i = 0; i < nids && rc == NVR_OK; i++)
        rc = expire_camera(r, ids[i], now);
    for (size_t i = 0; i < nids; i++)
        free(ids[i]);
    free(ids);
    if (rc == NVR_OK)
        rc = enforce_global(r, reserve, &held_full);
    if (rc == NVR_ENOSPC && ballast_release(r))
        rc = enforce_global(r, reserve, &held_full);
    if (rc == NVR_OK && !held_full)
        ballast_make(r);

    if (index_usage_total(storage_index(r->st), &r->prev_used) == NVR_OK)
        r->have_prev = 1;
    refresh(r, rc, held_full, now);
    return rc;
}

static void *retention_main(void *arg)
{
    struct retention *r = arg;
    for (;;) {
        retention_pass(r);
        pthread_mutex_lock(&r->mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        int64_t ns = until.tv_nsec + (r->lim.interval_us % 1000000) * 1000;
        until.tv_sec += r->lim.interval_us / 1000000 + ns / 1000000000;
        until.tv_nsec = ns % 1000000000;
        while (!r->stop && !r->wake)
            if (pthread_cond_timedwait(&r->cv, &r->mu, &until) == ETIMEDOUT)
                break;
        int stop = r->stop;
        r->wake = 0;
        pthread_mutex_unlock(&r->mu);
        if (stop)
            break;
    }
    return NULL;
}

nvr_err retention_start(struct retention **out, struct storage *st, const struct retention_limits *lim,
                        const struct retention_camera *cams, size_t n)
{
    struct retention *r = calloc(1, sizeof *r);
    *out = NULL;
    if (!r)
        return NVR_ENOMEM;
    r->st = st;
    r->lim = *lim;
    r->capacity = -1;
    snprintf(r->ballast, sizeof r->ballast, "%s/" STORAGE_RESERVE_NAME, storage_data_dir(st));
    struct stat sb;
    r->have_ballast = stat(r->ballast, &sb) == 0 && sb.st_size > 0;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    if (retention_set_cameras(r, cams, n)) {
        pthread_cond_destroy(&r->cv);
        pthread_mutex_destroy(&r->mu);
        free(r);
        return NVR_ENOMEM;
    }
    if (lim->interval_us > 0) {
        storage_set_full_hook(st, on_full, r);
        if (pthread_create(&r->tid, NULL, retention_main, r) != 0) {
            storage_set_full_hook(st, NULL, NULL);
            free_cams(r->cams, r->ncams);
            pthread_cond_destroy(&r->cv);
            pthread_mutex_destroy(&r->mu);
            free(r);
            return NVR_ENOMEM;
        }
        r->started = 1;
    }
    *out = r;
    return NVR_OK;
}

void retention_stop(struct retention **rp)
{
    struct retention *r = *rp;
    if (!r)
        return;
    if (r->started) {
        pthread_mutex_lock(&r->mu);
        r->stop = 1;
        pthread_cond_signal(&r->cv);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->tid, NULL);
        storage_set_full_hook(r->st, NULL, NULL);
    }
    free_cams(r->cams, r->ncams);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
    *rp = NULL;
}

void retention_get_status(struct retention *r, struct retention_status *out)
{
    pthread_mutex_lock(&r->mu);
    *out = r->status;
    pthread_mutex_unlock(&r->mu);
}

nvr_err retention_estimate(struct retention *r, nvr_index *ix, const char *id, struct retention_estimate *out)
{
    struct index_usage u;
    int rc = index_usage(ix, id, &u);
    memset(out, 0, sizeof *out);
    out->oldest_us = INT64_MIN;
    out->days = -1;
    if (rc)
        return rc;
    out->bytes = u.bytes;
    out->oldest_us = u.oldest_us;
    if (u.media_us >= MIN_MEASURED_US)
        out->bytes_per_day = (double)u.bytes * DAY_US / (double)u.media_us;
    pthread_mutex_lock(&r->mu);
    double rate = r->rate_per_day, cap = r->capacity;
    pthread_mutex_unlock(&r->mu);
    int days = retain_days_of(r, id);
    if (rate > 0 && cap > 0)
        out->days = cap / rate;
    if (days > 0 && (out->days < 0 || out->days > days))
        out->days = days;
    return NVR_OK;
}
