/* SPDX-License-Identifier: Apache-2.0 */
/*
 * storage_dirs.c - the segment directories: which disk a new segment goes
 * to, which disks work, and noticing when one stops or comes back (see
 * storage_dirs.h for its handle and what it is given; storage.h, "segment
 * directories"; docs/design/storage.md, "Several disks").
 *
 * Invariants:
 *   D1 a dir is written only while its marker (DIR/.nvr-dir) names the id
 *      the index knows it by: an empty mount point is never filled;
 *   D2 nothing of an offline dir is touched by a reader, retention or a new
 *      segment: every such path answers NVR_EOFFLINE from memory;
 *   D3 a segment's row stays `writing` while its dir is not ok, and is
 *      settled (as at start-up, by the settle function storage.c gives)
 *      only after its dir works again and only if no writer holds it
 *      (open_rows).
 *
 * Threads: the probe threads (one per dir, writers only) and every caller
 * share dirs[] under mu (storage_dirs.h); a probe does its I/O without the
 * lock, so a hung disk holds up only its own probe, and a probe running
 * longer than STORAGE_DIR_DEADLINE_MS makes its dir offline for everyone
 * else (deadline(), evaluated under the lock by every reader of the state).
 */
#include "storage/storage_dirs.h"
#include "storage/storage_fs.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define PROBE_BYTES 4096
#define MARKER_MAGIC "nvr-dir "

const char *storage_dir_state_name(enum storage_dir_state s)
{
    switch (s) {
    case STORAGE_DIR_OK: return "ok";
    case STORAGE_DIR_READONLY: return "read_only";
    default: return "offline";
    }
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

nvr_err storage_dir_abs(const struct storage_dir *d, const char *rel, char *out, size_t n)
{
    return storage_join_path(d->path, rel, out, n);
}

struct storage_dir *storage_dir_by_id(struct storage_dirs *sd, int64_t id)
{
    for (size_t i = 0; i < sd->ndirs; i++)
        if (sd->dirs[i].id == id)
            return &sd->dirs[i];
    return NULL;
}

/* Changes d's state (locked), with one log line. */
static void set_state(struct storage_dir *d, enum storage_dir_state s, const char *reason)
{
    if (d->state == s) /* the first cause of a failure stays until it is over */
        return;
    enum storage_dir_state was = d->state;
    d->state = s;
    d->since_us = nvr_clock_now_us();
    snprintf(d->reason, sizeof d->reason, "%s", s == STORAGE_DIR_OK ? "" : reason);
    if (s == STORAGE_DIR_OK) {
        nvr_log(NVR_WARN, NULL, "storage dir works again dir=%s was=%s", d->path, storage_dir_state_name(was));
        d->recover = 1;
    } else {
        nvr_log(NVR_ERROR, NULL, "storage dir %s dir=%s reason=\"%s\" open_segments=%d", storage_dir_state_name(s),
                d->path, reason, d->open_segments);
    }
}

/* A probe that has run past the deadline makes its dir offline (locked). */
static void deadline(struct storage_dir *d, int64_t now_mono)
{
    if (d->probe_started_mono && now_mono - d->probe_started_mono > (int64_t)STORAGE_DIR_DEADLINE_MS * 1000 &&
        d->state != STORAGE_DIR_OFFLINE) {
        char why[96];
        snprintf(why, sizeof why, "not answering: a 4 KiB write and fdatasync took more than %d s",
                 STORAGE_DIR_DEADLINE_MS / 1000);
        set_state(d, STORAGE_DIR_OFFLINE, why);
    }
}

/* ---- the marker ---- */

static void new_uuid(char out[DIR_STORE_UUID_MAX])
{
    uint8_t b[16] = {0};
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        int64_t t = nvr_clock_now_us() ^ (int64_t)getpid();
        memcpy(b, &t, sizeof t);
    }
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* Reads DIR/.nvr-dir: NVR_OK with its id in uuid, NVR_ENOTFOUND if there is
 * none, else the error. */
static nvr_err read_marker(const char *dir, char uuid[DIR_STORE_UUID_MAX])
{
    char path[PATH_MAX], buf[128];
    if (snprintf(path, sizeof path, "%s/" STORAGE_DIR_MARKER, dir) >= (int)sizeof path)
        return NVR_EINVAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? NVR_ENOTFOUND : nvr_err_from_errno(errno);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    int e = errno;
    close(fd);
    if (n < 0)
        return nvr_err_from_errno(e);
    buf[n] = '\0';
    size_t m = strlen(MARKER_MAGIC);
    if ((size_t)n < m + 8 || memcmp(buf, MARKER_MAGIC, m) != 0)
        return NVR_ECORRUPT;
    size_t len = strspn(buf + m, "0123456789abcdef");
    if (len < 8 || len >= DIR_STORE_UUID_MAX)
        return NVR_ECORRUPT;
    memcpy(uuid, buf + m, len);
    uuid[len] = '\0';
    return NVR_OK;
}

static nvr_err write_marker(const char *dir, const char *uuid)
{
    char path[PATH_MAX], buf[128];
    if (snprintf(path, sizeof path, "%s/" STORAGE_DIR_MARKER, dir) >= (int)sizeof path)
        return NVR_EINVAL;
    int len = snprintf(buf, sizeof buf, MARKER_MAGIC "%s\n", uuid);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        return nvr_err_from_errno(errno);
    int rc = write(fd, buf, (size_t)len) == len && fsync(fd) == 0 ? NVR_OK : nvr_err_from_errno(errno);
    close(fd);
    if (rc == NVR_OK)
        rc = storage_fsync_dir(dir);
    return rc;
}

/* Whether d's disk is the one the index knows: NVR_OK, or why not in why. */
static nvr_err check_marker(const struct storage_dir *d, char *why, size_t n)
{
    char uuid[DIR_STORE_UUID_MAX];
    if (d->id == 0)
        return NVR_OK; /* data_dir: the index beside it is the proof */
    int rc = read_marker(d->path, uuid);
    if (rc == NVR_ENOTFOUND)
        return nvr_fail(NVR_EOFFLINE, why, n, "not mounted? %s/" STORAGE_DIR_MARKER " is missing", d->path);
    if (rc)
        return nvr_fail(rc == NVR_ECORRUPT ? NVR_EOFFLINE : rc, why, n, "cannot read %s/" STORAGE_DIR_MARKER ": %s",
                        d->path, nvr_strerror(rc));
    if (strcmp(uuid, d->uuid) != 0)
        return nvr_fail(NVR_EOFFLINE, why, n, "another disk is mounted there (marker %s, expected %s)", uuid, d->uuid);
    return NVR_OK;
}

nvr_err storage_dir_check_marker(struct storage_dirs *sd, struct storage_dir *d)
{
    char why[256];
    int rc = check_marker(d, why, sizeof why);
    if (rc) {
        pthread_mutex_lock(&sd->mu);
        set_state(d, STORAGE_DIR_OFFLINE, why);
        pthread_mutex_unlock(&sd->mu);
    }
    return rc;
}

/* ---- loading and registering ---- */

static struct storage_dir *append(struct storage_dirs *sd, int64_t id, const char *path, const char *uuid)
{
    if (sd->ndirs >= STORAGE_DIRS_MAX)
        return NULL;
    struct storage_dir *d = &sd->dirs[sd->ndirs++];
    memset(d, 0, sizeof *d);
    d->id = id;
    d->sd = sd;
    d->latency_us = -1;
    snprintf(d->path, sizeof d->path, "%s", path);
    snprintf(d->uuid, sizeof d->uuid, "%s", uuid);
    return d;
}

/* Space and the marker now, without the lock (before threads start). */
static void first_look(struct storage_dir *d)
{
    char why[256];
    struct statvfs sv;
    if (check_marker(d, why, sizeof why) != NVR_OK) {
        d->state = STORAGE_DIR_OFFLINE;
        d->since_us = nvr_clock_now_us();
        snprintf(d->reason, sizeof d->reason, "%s", why);
        nvr_log(NVR_ERROR, NULL, "storage dir offline dir=%s reason=\"%s\"", d->path, why);
        return;
    }
    if (statvfs(d->path, &sv) == 0) {
        d->fs_size = (uint64_t)sv.f_blocks * sv.f_frsize;
        d->fs_avail = (uint64_t)sv.f_bavail * sv.f_frsize;
    }
}

void storage_dirs_init(struct storage_dirs *sd, int writer, storage_dirs_settle_fn settle, void *settle_arg)
{
    sd->writer = writer;
    sd->settle = settle;
    sd->settle_arg = settle_arg;
    pthread_mutex_init(&sd->mu, NULL);
    pthread_cond_init(&sd->cv, NULL);
}

void storage_dirs_fini(struct storage_dirs *sd)
{
    pthread_cond_destroy(&sd->cv);
    pthread_mutex_destroy(&sd->mu);
}

nvr_err storage_dirs_load(struct storage_dirs *sd, const char *data_dir, nvr_index *ix)
{
    struct dir_row *rows = NULL;
    size_t n = 0;
    sd->data_dir = data_dir;
    sd->ix = ix;
    sd->ndirs = 0;
    struct storage_dir *d0 = append(sd, 0, data_dir, "");
    d0->writable = 1; /* until storage_dirs_set says otherwise */
    first_look(d0);
    int rc = dir_store_list(sd->ix, &rows, &n);
    for (size_t i = 0; rc == NVR_OK && i < n; i++) {
        struct storage_dir *d = append(sd, rows[i].id, rows[i].path, rows[i].uuid);
        if (!d) {
            nvr_log(NVR_ERROR, NULL, "too many storage dirs known max=%d", STORAGE_DIRS_MAX);
            break;
        }
        first_look(d);
    }
    free(rows);
    return rc;
}

static int same_path(const char *a, const char *b, size_t blen)
{
    size_t alen = strlen(a);
    while (alen > 1 && a[alen - 1] == '/')
        alen--;
    return alen == blen && memcmp(a, b, blen) == 0;
}

/* One entry of [storage] dirs: found, adopted or new. */
static nvr_err register_dir(struct storage_dirs *sd, const char *path)
{
    char uuid[DIR_STORE_UUID_MAX];
    for (size_t i = 0; i < sd->ndirs; i++)
        if (same_path(sd->dirs[i].path, path, strlen(path))) {
            sd->dirs[i].writable = 1; /* known: its marker decided its state (D1) */
            return NVR_OK;
        }
    int rc = storage_mkdir_p(path);
    if (rc)
        return rc;
    rc = read_marker(path, uuid);
    if (rc == NVR_OK) {
        for (size_t i = 0; i < sd->ndirs; i++)
            if (strcmp(sd->dirs[i].uuid, uuid) == 0) { /* a known disk mounted elsewhere now */
                struct storage_dir *d = &sd->dirs[i];
                nvr_log(NVR_WARN, NULL, "storage dir moved dir=%s was=%s", path, d->path);
                if ((rc = dir_store_set_path(sd->ix, d->id, path)))
                    return rc;
                snprintf(d->path, sizeof d->path, "%s", path);
                d->writable = 1;
                first_look(d);
                return NVR_OK;
            }
    } else if (rc == NVR_ENOTFOUND) {
        new_uuid(uuid);
        if ((rc = write_marker(path, uuid)))
            return rc;
    } else {
        return rc;
    }
    int64_t id;
    if ((rc = dir_store_add(sd->ix, path, uuid, nvr_clock_now_us(), &id)))
        return rc;
    struct storage_dir *d = append(sd, id, path, uuid);
    if (!d)
        return NVR_EINVAL;
    d->writable = 1;
    first_look(d);
    nvr_log(NVR_INFO, NULL, "storage dir added dir=%s id=%lld", path, (long long)id);
    return NVR_OK;
}

static void *probe_main(void *arg);
static void *smart_main(void *arg);

nvr_err storage_dirs_set(struct storage_dirs *sd, const char *dirs)
{
    int rc = NVR_OK;
    if (dirs) {
        sd->dirs[0].writable = 0;
        for (const char *p = dirs; *p && rc == NVR_OK;) {
            size_t n = strcspn(p, ",");
            char path[DIR_STORE_PATH_MAX];
            if (n == 0 || n >= sizeof path)
                return NVR_EINVAL;
            memcpy(path, p, n);
            path[n] = '\0';
            if (same_path(sd->data_dir, path, n)) {
                sd->dirs[0].writable = 1;
            } else if ((rc = register_dir(sd, path)) != NVR_OK && rc != NVR_ENOMEM) {
                /* one disk that cannot be set up does not stop the others */
                nvr_log(NVR_ERROR, NULL, "storage dir cannot be used dir=%s error=\"%s\"", path, nvr_strerror(rc));
                rc = NVR_OK;
            }
            p += n + (p[n] == ',');
        }
    }
    if (rc || !sd->writer)
        return rc;
    for (size_t i = 0; i < sd->ndirs; i++) {
        struct storage_dir *d = &sd->dirs[i];
        if (pthread_create(&d->tid, NULL, probe_main, d) == 0)
            d->has_thread = 1;
    }
    if (pthread_create(&sd->smart_tid, NULL, smart_main, sd) == 0)
        sd->has_smart_thread = 1;
    return NVR_OK;
}

/* SMART of every dir's disk now and every STORAGE_SMART_INTERVAL_S; a
 * failing assessment or growing bad-sector counts are logged. */
static void *smart_main(void *arg)
{
    struct storage_dirs *sd = arg;
    pthread_mutex_lock(&sd->mu);
    while (!sd->stop) {
        size_t n = sd->ndirs;
        pthread_mutex_unlock(&sd->mu);
        for (size_t i = 0; i < n; i++) {
            struct storage_dir *d = &sd->dirs[i];
            struct disk_smart sm;
            disk_smart_read(d->path, 10, &sm);
            pthread_mutex_lock(&sd->mu);
            struct disk_smart was = d->smart;
            d->smart = sm;
            pthread_mutex_unlock(&sd->mu);
            if (sm.available && !sm.passed && (!was.available || was.passed))
                nvr_log(NVR_ERROR, NULL, "storage dir disk fails its SMART assessment dir=%s device=%s", d->path,
                        sm.device);
            else if (sm.available && (sm.pending > was.pending || sm.reallocated > was.reallocated))
                nvr_log(NVR_WARN, NULL,
                        "storage dir disk has bad sectors dir=%s device=%s reallocated=%lld pending=%lld", d->path,
                        sm.device, (long long)sm.reallocated, (long long)sm.pending);
            else if (!was.checked_us)
                nvr_log(NVR_INFO, NULL, "storage dir smart dir=%s device=%s %s", d->path,
                        sm.device[0] ? sm.device : "-", sm.available ? (sm.passed ? "passed" : "FAILED") : sm.message);
        }
        pthread_mutex_lock(&sd->mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += STORAGE_SMART_INTERVAL_S;
        while (!sd->stop && pthread_cond_timedwait(&sd->cv, &sd->mu, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&sd->mu);
    return NULL;
}

void storage_dirs_stop(struct storage_dirs *sd)
{
    pthread_mutex_lock(&sd->mu);
    sd->stop = 1;
    pthread_cond_broadcast(&sd->cv);
    pthread_mutex_unlock(&sd->mu);
    if (sd->has_smart_thread) /* smartctl is bounded by its timeout */
        pthread_join(sd->smart_tid, NULL);
    sd->has_smart_thread = 0;
    for (size_t i = 0; i < sd->ndirs; i++) {
        struct storage_dir *d = &sd->dirs[i];
        if (!d->has_thread)
            continue;
        /* a probe stuck in the kernel on a hung disk is not waited for */
        pthread_mutex_lock(&sd->mu);
        int stuck = d->probe_started_mono && mono_us() - d->probe_started_mono > 1000000;
        pthread_mutex_unlock(&sd->mu);
        if (stuck)
            pthread_detach(d->tid);
        else
            pthread_join(d->tid, NULL);
        d->has_thread = 0;
    }
}

/* ---- the probe ---- */

/* One look at d's disk, without the lock: the marker, a 4 KiB write and
 * fdatasync when it takes segments, the free space. */
static enum storage_dir_state probe_once(struct storage_dir *d, char *why, size_t n, uint64_t *size, uint64_t *avail)
{
    char path[PATH_MAX];
    struct statvfs sv;
    int rc = check_marker(d, why, n);
    if (rc)
        return STORAGE_DIR_OFFLINE;
    if (statvfs(d->path, &sv) != 0) {
        nvr_fail(NVR_EIO, why, n, "statvfs: %s", strerror(errno));
        return STORAGE_DIR_OFFLINE;
    }
    *size = (uint64_t)sv.f_blocks * sv.f_frsize;
    *avail = (uint64_t)sv.f_bavail * sv.f_frsize;
    if (!d->writable)
        return STORAGE_DIR_OK;
    if (sv.f_flag & ST_RDONLY) {
        nvr_fail(NVR_EROFS, why, n, "mounted read-only");
        return STORAGE_DIR_READONLY;
    }
    static const char zeros[PROBE_BYTES];
    storage_dir_abs(d, STORAGE_DIR_PROBE, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    int ok = fd >= 0 && write(fd, zeros, sizeof zeros) == (ssize_t)sizeof zeros && fdatasync(fd) == 0;
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (ok)
        return STORAGE_DIR_OK;
    if (e == ENOSPC || e == EDQUOT) /* full is retention's business, not a failure */
        return STORAGE_DIR_OK;
    nvr_fail(NVR_EIO, why, n, "probe write failed: %s", strerror(e));
    return e == EROFS ? STORAGE_DIR_READONLY : STORAGE_DIR_OFFLINE;
}

/* Settles the unfinished segments of a dir that came back (D3). */
static void recover_dir(struct storage_dirs *sd, struct storage_dir *d)
{
    struct index_segment *segs = NULL;
    size_t n = 0;
    if (index_segments_writing(sd->ix, &segs, &n))
        return;
    int settled = 0;
    for (size_t i = 0; i < n; i++) {
        if (segs[i].dir != d->id)
            continue;
        int held = 0;
        pthread_mutex_lock(&sd->mu);
        for (size_t j = 0; j < sd->nopen_rows; j++)
            held |= sd->open_rows[j] == segs[i].id;
        pthread_mutex_unlock(&sd->mu);
        if (!held && sd->settle(sd->settle_arg, &segs[i]) == NVR_OK)
            settled++;
    }
    index_segments_free(&segs, n);
    if (settled)
        nvr_log(NVR_INFO, NULL, "storage dir settled unfinished segments dir=%s count=%d", d->path, settled);
}

static void *probe_main(void *arg)
{
    struct storage_dir *d = arg;
    struct storage_dirs *sd = d->sd;
    pthread_mutex_lock(&sd->mu);
    while (!sd->stop) {
        d->probe_started_mono = mono_us();
        pthread_mutex_unlock(&sd->mu);
        char why[256] = "";
        uint64_t size = 0, avail = 0;
        enum storage_dir_state s = probe_once(d, why, sizeof why, &size, &avail);
        int64_t took = mono_us();
        pthread_mutex_lock(&sd->mu);
        took -= d->probe_started_mono;
        d->probe_started_mono = 0;
        if (s != STORAGE_DIR_OFFLINE) {
            d->fs_size = size;
            d->fs_avail = avail;
        }
        if (s == STORAGE_DIR_OK && took > (int64_t)STORAGE_DIR_DEADLINE_MS * 1000) {
            s = STORAGE_DIR_OFFLINE; /* answered, but too late to be trusted with recording */
            snprintf(why, sizeof why, "too slow: a 4 KiB write and fdatasync took %.1f s", (double)took / 1e6);
        }
        d->latency_us = took;
        /* a writer's own failure is kept until a probe finds the disk works */
        set_state(d, s, why);
        int recover = d->recover;
        d->recover = 0;
        if (recover) {
            pthread_mutex_unlock(&sd->mu);
            recover_dir(sd, d);
            pthread_mutex_lock(&sd->mu);
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += STORAGE_DIR_PROBE_MS / 1000;
        until.tv_nsec += (STORAGE_DIR_PROBE_MS % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!sd->stop && pthread_cond_timedwait(&sd->cv, &sd->mu, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&sd->mu);
    return NULL;
}

/* ---- what the rest of storage asks ---- */

nvr_err storage_segment_abs(struct storage_dirs *sd, const struct index_segment *seg, char *out, size_t n)
{
    struct storage_dir *d = storage_dir_by_id(sd, seg->dir);
    if (!d)
        return NVR_ENOTFOUND;
    if (!storage_dir_readable(sd, d))
        return NVR_EOFFLINE;
    return storage_dir_abs(d, seg->path, out, n);
}

const char *storage_unqualify(const char *q, int64_t *dir)
{
    *dir = 0;
    if (q[0] != '@')
        return q;
    char *end = NULL;
    long long id = strtoll(q + 1, &end, 10);
    if (!end || *end != '/')
        return q;
    *dir = id;
    return end + 1;
}

nvr_err storage_qualified_abs(struct storage_dirs *sd, const char *qpath, char *out, size_t n)
{
    if (qpath[0] != '@')
        return storage_join_path(sd->data_dir, qpath, out, n);
    char *end = NULL;
    long long id = strtoll(qpath + 1, &end, 10);
    if (!end || *end != '/')
        return NVR_EINVAL;
    struct storage_dir *d = storage_dir_by_id(sd, id);
    if (!d)
        return NVR_ENOTFOUND;
    if (!storage_dir_readable(sd, d))
        return NVR_EOFFLINE;
    return storage_dir_abs(d, end + 1, out, n);
}

int storage_dir_readable(struct storage_dirs *sd, struct storage_dir *d)
{
    pthread_mutex_lock(&sd->mu);
    deadline(d, mono_us());
    int ok = d->state != STORAGE_DIR_OFFLINE;
    pthread_mutex_unlock(&sd->mu);
    return ok;
}

nvr_err storage_dir_pick(struct storage_dirs *sd, const char *pin, struct storage_dir **out)
{
    struct storage_dir *best = NULL;
    double best_score = -1;
    int64_t now = mono_us();
    *out = NULL;
    pthread_mutex_lock(&sd->mu);
    for (size_t i = 0; i < sd->ndirs; i++) {
        struct storage_dir *d = &sd->dirs[i];
        deadline(d, now);
        if (!d->writable || d->state != STORAGE_DIR_OK)
            continue;
        if (pin && same_path(pin, d->path, strlen(d->path))) {
            best = d;
            break;
        }
        double score = (double)d->fs_avail / (1.0 + d->open_segments);
        if (score > best_score) {
            best_score = score;
            best = d;
        }
    }
    /* none works: a read-only (or refusing) one is tried again rather than
     * nothing, so the camera's error stays the disk's own; an offline one
     * never is (D1) */
    for (size_t i = 0; !best && i < sd->ndirs; i++) {
        struct storage_dir *d = &sd->dirs[i];
        if (d->writable && d->state == STORAGE_DIR_READONLY && (!best || d->since_us < best->since_us))
            best = d;
    }
    if (best)
        best->open_segments++;
    pthread_mutex_unlock(&sd->mu);
    if (!best)
        return NVR_EOFFLINE;
    *out = best;
    return NVR_OK;
}

void storage_dir_hold(struct storage_dirs *sd, int64_t row_id)
{
    pthread_mutex_lock(&sd->mu);
    if (sd->nopen_rows < STORAGE_OPEN_ROWS_MAX)
        sd->open_rows[sd->nopen_rows++] = row_id;
    pthread_mutex_unlock(&sd->mu);
}

void storage_dir_release(struct storage_dirs *sd, struct storage_dir *d, int64_t row_id)
{
    pthread_mutex_lock(&sd->mu);
    if (d && d->open_segments > 0)
        d->open_segments--;
    for (size_t j = 0; j < sd->nopen_rows; j++)
        if (sd->open_rows[j] == row_id) {
            sd->open_rows[j] = sd->open_rows[--sd->nopen_rows];
            break;
        }
    pthread_mutex_unlock(&sd->mu);
}

int storage_dir_failed(struct storage_dirs *sd, struct storage_dir *d, nvr_err rc, const char *what)
{
    if (!d)
        return 0;
    int io = rc == NVR_EIO || rc == NVR_EROFS || rc == NVR_EACCES || rc == NVR_ENOTFOUND || rc == NVR_ETIMEDOUT ||
             rc == NVR_EOFFLINE;
    pthread_mutex_lock(&sd->mu);
    if (io) {
        char why[256];
        snprintf(why, sizeof why, "%s failed: %s", what, nvr_strerror(rc));
        set_state(d, rc == NVR_EROFS || rc == NVR_EACCES ? STORAGE_DIR_READONLY : STORAGE_DIR_OFFLINE, why);
    }
    int bad = d->state != STORAGE_DIR_OK;
    pthread_mutex_unlock(&sd->mu);
    return bad;
}

nvr_err storage_dirs_snapshot(struct storage_dirs *sd, nvr_index *usage_ix, struct storage_dir_status **out, size_t *n)
{
    struct storage_dir_status *v = calloc(sd->ndirs ? sd->ndirs : 1, sizeof *v);
    *out = NULL;
    *n = 0;
    if (!v)
        return NVR_ENOMEM;
    int64_t now = mono_us();
    pthread_mutex_lock(&sd->mu);
    for (size_t i = 0; i < sd->ndirs; i++) {
        struct storage_dir *d = &sd->dirs[i];
        struct storage_dir_status *s = &v[i];
        deadline(d, now);
        s->id = d->id;
        snprintf(s->path, sizeof s->path, "%s", d->path);
        s->writable = d->writable;
        s->state = d->state;
        s->since_us = d->since_us;
        snprintf(s->reason, sizeof s->reason, "%s", d->reason);
        s->fs_size = d->fs_size;
        s->fs_avail = d->fs_avail;
        s->latency_us = d->probe_started_mono ? now - d->probe_started_mono : d->latency_us;
        if (d->probe_started_mono && s->latency_us < d->latency_us)
            s->latency_us = d->latency_us;
        s->open_segments = d->open_segments;
        s->smart = d->smart;
    }
    size_t count = sd->ndirs;
    pthread_mutex_unlock(&sd->mu);
    for (size_t i = 0; usage_ix && i < count; i++)
        dir_store_usage(usage_ix, v[i].id, &v[i].usage);
    *out = v;
    *n = count;
    return NVR_OK;
}
