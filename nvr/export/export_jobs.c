/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export_jobs.c - the export queue and its worker thread (see
 * export_jobs.h).
 *
 * States: QUEUED -> RUNNING -> DONE | FAILED.  The worker takes the oldest
 * queued job, runs export_run into data_dir/exports/ID.zip (libzip writes
 * a temporary file and renames it, so the zip appears only when complete)
 * and records the outcome.  Stopping sets a flag the export's progress
 * callback reads, so a long export ends within a few MB.
 */
#include "export/export_jobs.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* fsync()s the directory holding path (so a rename into it is durable). */
static void fsync_dir_of(const char *path)
{
    char dir[PATH_MAX + 128];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return;
    *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

struct job {
    struct export_job_status s;
    struct export_request *req; /* NULL once run */
};

struct export_jobs {
    struct storage *st;
    const struct sign_key *key;
    char dir[PATH_MAX];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t worker;
    int worker_started;
    atomic_int stopping;
    struct job *jobs; /* oldest first */
    size_t n, cap;
};

int export_jobs_valid_id(const char *id)
{
    if (!id || strlen(id) != EXPORT_ID_LEN)
        return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

static struct job *find(struct export_jobs *j, const char *id)
{
    for (size_t i = 0; i < j->n; i++)
        if (strcmp(j->jobs[i].s.id, id) == 0)
            return &j->jobs[i];
    return NULL;
}

static nvr_err add_job(struct export_jobs *j, const struct job *job)
{
    if (j->n == j->cap) {
        size_t cap = j->cap ? j->cap * 2 : 16;
        struct job *v = realloc(j->jobs, cap * sizeof *v);
        if (!v)
            return NVR_ENOMEM;
        j->jobs = v;
        j->cap = cap;
    }
    j->jobs[j->n++] = *job;
    return NVR_OK;
}

/* Lists finished zips as done jobs and removes libzip's leftovers. */
static void scan_dir(struct export_jobs *j)
{
    DIR *d = opendir(j->dir);
    struct dirent *de;
    if (!d)
        return;
    while ((de = readdir(d))) {
        char id[EXPORT_ID_LEN + 1], path[PATH_MAX + 300];
        struct stat sb;
        size_t len = strlen(de->d_name);
        if (len < EXPORT_ID_LEN + 4 || memcmp(de->d_name + EXPORT_ID_LEN, ".zip", 4) != 0)
            continue;
        memcpy(id, de->d_name, EXPORT_ID_LEN);
        id[EXPORT_ID_LEN] = '\0';
        if (!export_jobs_valid_id(id))
            continue;
        snprintf(path, sizeof path, "%s/%s", j->dir, de->d_name);
        if (len != EXPORT_ID_LEN + 4) {
            unlink(path); /* ID.zip.XXXXXX: an export cut short by a stop or crash */
            continue;
        }
        if (stat(path, &sb) != 0)
            continue;
        struct job job = {0};
        snprintf(job.s.id, sizeof job.s.id, "%s", id);
        job.s.state = EXPORT_DONE;
        job.s.progress = 1;
        job.s.size = (uint64_t)sb.st_size;
        job.s.created_us = job.s.finished_us = (int64_t)sb.st_mtime * 1000000;
        add_job(j, &job);
    }
    closedir(d);
}

/* What the progress callback needs: the queue and the running job's id. */
struct progress_arg {
    struct export_jobs *j;
    const char *id;
};

static int on_progress(void *arg, double f)
{
    struct progress_arg *pa = arg;
    struct export_jobs *j = pa->j;
    pthread_mutex_lock(&j->mu);
    struct job *job = find(j, pa->id);
    if (job)
        job->s.progress = f;
    pthread_mutex_unlock(&j->mu);
    return atomic_load(&j->stopping);
}

static void *worker(void *arg)
{
    struct export_jobs *j = arg;
    pthread_mutex_lock(&j->mu);
    while (!atomic_load(&j->stopping)) {
        struct job *job = NULL;
        for (size_t i = 0; i < j->n && !job; i++)
            if (j->jobs[i].s.state == EXPORT_QUEUED)
                job = &j->jobs[i];
        if (!job) {
            pthread_cond_wait(&j->cv, &j->mu);
            continue;
        }
        char id[EXPORT_ID_LEN + 1], path[PATH_MAX + 64], err[256];
        struct export_request *req = job->req;
        uint64_t bytes = 0;
        job->req = NULL;
        job->s.state = EXPORT_RUNNING;
        snprintf(id, sizeof id, "%s", job->s.id);
        pthread_mutex_unlock(&j->mu);

        snprintf(path, sizeof path, "%s/%s.zip", j->dir, id);
        nvr_log(NVR_INFO, NULL, "export started id=%s cameras=%zu operator=%s", id, req->ncameras, req->operator_name);
        int64_t t0 = nvr_clock_mono_us();
        struct progress_arg parg = {j, id};
        int rc = export_run(j->st, j->key, req, path, on_progress, &parg, &bytes, err, sizeof err);
        if (rc == NVR_OK) {
            /* listed as done again after a restart: make it durable first */
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                fsync(fd);
                close(fd);
            }
            fsync_dir_of(path);
        }
        if (rc)
            nvr_log(NVR_WARN, NULL, "export failed id=%s error=\"%s\"", id, err);
        else
            nvr_log(NVR_INFO, NULL, "export done id=%s bytes=%llu seconds=%.2f", id, (unsigned long long)bytes,
                    (nvr_clock_mono_us() - t0) / 1e6);
        free(req);

        pthread_mutex_lock(&j->mu);
        if ((job = find(j, id))) {
            job->s.state = rc ? EXPORT_FAILED : EXPORT_DONE;
            job->s.finished_us = nvr_clock_now_us();
            job->s.size = bytes;
            if (rc)
                snprintf(job->s.error, sizeof job->s.error, "%s", err);
            else
                job->s.progress = 1;
        }
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

nvr_err export_jobs_start(struct export_jobs **out, struct storage *st, const struct sign_key *key)
{
    struct export_jobs *j = calloc(1, sizeof *j);
    *out = NULL;
    if (!j)
        return NVR_ENOMEM;
    j->st = st;
    j->key = key;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    int rc = storage_area_dir(st, "exports", j->dir, sizeof j->dir);
    if (rc) {
        export_jobs_stop(&j);
        return rc;
    }
    scan_dir(j);
    if (pthread_create(&j->worker, NULL, worker, j) != 0) {
        export_jobs_stop(&j);
        return NVR_ENOMEM;
    }
    j->worker_started = 1;
    *out = j;
    return NVR_OK;
}

void export_jobs_stop(struct export_jobs **jp)
{
    struct export_jobs *j = *jp;
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    atomic_store(&j->stopping, 1);
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    if (j->worker_started)
        pthread_join(j->worker, NULL);
    for (size_t i = 0; i < j->n; i++)
        free(j->jobs[i].req);
    free(j->jobs);
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
    free(j);
    *jp = NULL;
}

nvr_err export_jobs_submit(struct export_jobs *j, const struct export_request *req, char id[EXPORT_ID_LEN + 1])
{
    char ref[EXPORT_REF_MAX];
    if (export_new_id(ref))
        return NVR_EIO;
    memcpy(id, ref, EXPORT_ID_LEN);
    id[EXPORT_ID_LEN] = '\0';
    struct job job = {0};
    if (!(job.req = malloc(sizeof *job.req)))
        return NVR_ENOMEM;
    *job.req = *req;
    snprintf(job.s.id, sizeof job.s.id, "%s", id);
    job.s.state = EXPORT_QUEUED;
    job.s.created_us = nvr_clock_now_us();
    snprintf(job.req->ref, sizeof job.req->ref, "%s", id); /* its access-log entries: "export=ID" */
    job.req->requested_us = job.s.created_us;
    job.s.from_us = req->from_us;
    job.s.to_us = req->to_us;
    snprintf(job.s.operator_name, sizeof job.s.operator_name, "%s", req->operator_name);
    for (size_t i = 0, at = 0; i < req->ncameras && at < sizeof job.s.cameras; i++) {
        int w = snprintf(job.s.cameras + at, sizeof job.s.cameras - at, "%s%s", i ? "," : "", req->cameras[i]);
        if (w < 0 || (size_t)w >= sizeof job.s.cameras - at) {
            job.s.cameras[at] = '\0'; /* a camera that does not fit is left off whole */
            break;
        }
        at += (size_t)w;
    }
    snprintf(job.s.case_id, sizeof job.s.case_id, "%.255s", req->case_id);
    snprintf(job.s.reason, sizeof job.s.reason, "%.255s", req->reason);
    pthread_mutex_lock(&j->mu);
    size_t pending = 0;
    for (size_t i = 0; i < j->n; i++)
        pending += j->jobs[i].s.state == EXPORT_QUEUED || j->jobs[i].s.state == EXPORT_RUNNING;
    int rc = pending >= EXPORT_MAX_JOBS ? NVR_ENOMEM : add_job(j, &job);
    if (rc == NVR_OK)
        pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    if (rc)
        free(job.req);
    return rc;
}

nvr_err export_jobs_get(struct export_jobs *j, const char *id, struct export_job_status *out)
{
    pthread_mutex_lock(&j->mu);
    struct job *job = find(j, id);
    if (job)
        *out = job->s;
    pthread_mutex_unlock(&j->mu);
    return job ? NVR_OK : NVR_ENOTFOUND;
}

static const char *state_name(enum export_state s)
{
    switch (s) {
    case EXPORT_QUEUED: return "queued";
    case EXPORT_RUNNING: return "running";
    case EXPORT_DONE: return "done";
    case EXPORT_FAILED: return "failed";
    }
    return "failed";
}

void export_jobs_write_status(FILE *f, const struct export_job_status *s)
{
    fputs("{\"id\":", f);
    json_write_string(f, s->id);
    fputs(",\"status\":", f);
    json_write_string(f, state_name(s->state));
    fprintf(f, ",\"progress\":%.3f,\"error\":", s->progress);
    if (s->state == EXPORT_FAILED)
        json_write_string(f, s->error);
    else
        fputs("null", f);
    if (s->state == EXPORT_DONE)
        fprintf(f, ",\"size\":%llu,\"download\":\"/api/v1/exports/%s/download\"", (unsigned long long)s->size, s->id);
    else
        fputs(",\"size\":null,\"download\":null", f);
    fputs(",\"created\":", f);
    json_write_time(f, s->created_us);
    fputs(",\"finished\":", f);
    if (s->finished_us)
        json_write_time(f, s->finished_us);
    else
        fputs("null", f);
    fputs(",\"start\":", f);
    if (s->from_us || s->to_us) {
        json_write_time(f, s->from_us);
        fputs(",\"end\":", f);
        json_write_time(f, s->to_us);
    } else {
        fputs("null,\"end\":null", f);
    }
    fputs(",\"operator\":", f);
    if (s->operator_name[0])
        json_write_string(f, s->operator_name);
    else
        fputs("null", f);
    fputs(",\"cameras\":[", f);
    char list[sizeof s->cameras];
    snprintf(list, sizeof list, "%s", s->cameras);
    int first = 1;
    for (char *save = NULL, *c = strtok_r(list, ",", &save); c; c = strtok_r(NULL, ",", &save), first = 0) {
        if (!first)
            fputc(',', f);
        json_write_string(f, c);
    }
    fputs("],\"case\":", f);
    json_write_string(f, s->case_id);
    fputs(",\"reason\":", f);
    json_write_string(f, s->reason);
    fputc('}', f);
}

void export_jobs_write_list(struct export_jobs *j, FILE *f, const char *operator_name)
{
    int first = 1;
    fputs("{\"exports\":[", f);
    pthread_mutex_lock(&j->mu);
    for (size_t i = j->n; i-- > 0;) {
        if (operator_name && strcmp(j->jobs[i].s.operator_name, operator_name) != 0)
            continue;
        if (!first)
            fputc(',', f);
        first = 0;
        export_jobs_write_status(f, &j->jobs[i].s);
    }
    pthread_mutex_unlock(&j->mu);
    fputs("]}\n", f);
}

nvr_err export_jobs_zip_path(struct export_jobs *j, const char *id, char *path, size_t n)
{
    if (!export_jobs_valid_id(id) || snprintf(path, n, "%s/%s.zip", j->dir, id) >= (int)n)
        return NVR_EINVAL;
    return NVR_OK;
}
