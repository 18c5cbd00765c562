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
#include <jansson.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

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
    export_job_fn run;          /* or this (export_jobs_submit_fn), NULL once run */
    void (*free_arg)(void *);
    void *arg;
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

/* Fills s->cameras, s->camera_names and s->download_name from n cameras
 * (names[i] "" or NULL: unnamed).  A camera that does not fit is left off
 * whole (from both lists); the download name counts every camera. */
static void set_cameras(struct export_job_status *s, const char *const *ids, const char *const *names, size_t n)
{
    char(*stems)[EXPORT_STEM_MAX] = calloc(n ? n : 1, sizeof *stems);
    size_t at = 0, atn = 0;
    s->cameras[0] = s->camera_names[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *name = names[i] && names[i][0] ? names[i] : ids[i];
        int w = snprintf(s->cameras + at, sizeof s->cameras - at, "%s%s", i ? "," : "", ids[i]);
        int wn = snprintf(s->camera_names + atn, sizeof s->camera_names - atn, "%s%s", i ? "\n" : "", name);
        if (w < 0 || (size_t)w >= sizeof s->cameras - at || wn < 0 || (size_t)wn >= sizeof s->camera_names - atn) {
            s->cameras[at] = s->camera_names[atn] = '\0';
            break;
        }
        for (char *c = s->camera_names + atn + (i ? 1 : 0); *c; c++)
            if ((unsigned char)*c < 0x20)
                *c = ' '; /* a name's own line breaks would split it */
        at += (size_t)w;
        atn += (size_t)wn;
    }
    if (stems) {
        export_camera_stems(ids, names, n, stems);
        export_download_name((const char(*)[EXPORT_STEM_MAX])stems, n, s->from_us, s->download_name);
    } else {
        snprintf(s->download_name, sizeof s->download_name, "export_%s.zip", s->id);
    }
    free(stems);
}

static void copy_string(json_t *o, const char *key, char *dst, size_t n)
{
    const char *v = json_string_value(json_object_get(o, key));
    snprintf(dst, n, "%s", v ? v : "");
}

void export_jobs_redacted_name(char name[EXPORT_DOWNLOAD_NAME_MAX])
{
    size_t n = strlen(name);
    if (n >= 4 && strcmp(name + n - 4, ".zip") == 0 && n + 9 < EXPORT_DOWNLOAD_NAME_MAX)
        memcpy(name + n - 4, "-redacted.zip", 14);
}

/* What a finished zip's manifest.json says of the job: its cameras and
 * names, range, operator, case, reason and export time.  Leaves s as it is
 * where the manifest cannot be read (an export of an older version keeps
 * its ids; a damaged zip is listed with what its directory entry gives). */
static void read_manifest(const char *zip_path, struct export_job_status *s)
{
    int zerr;
    zip_t *z = zip_open(zip_path, ZIP_RDONLY, &zerr);
    zip_file_t *f = NULL;
    char *buf = NULL;
    json_t *doc = NULL;
    zip_stat_t st;
    const char *ids[EXPORT_MAX_CAMERAS], *names[EXPORT_MAX_CAMERAS];
    size_t n = 0;
    if (!z || zip_stat(z, "manifest.json", 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) || st.size > (64u << 20))
        goto out;
    if (!(buf = malloc(st.size + 1)) || !(f = zip_fopen(z, "manifest.json", 0)) ||
        zip_fread(f, buf, st.size) != (zip_int64_t)st.size)
        goto out;
    if (!(doc = json_loadb(buf, st.size, 0, NULL)) || !json_is_array(json_object_get(doc, "cameras")))
        goto out;
    json_t *cams = json_object_get(doc, "cameras"), *range = json_object_get(doc, "range");
    for (size_t i = 0; i < json_array_size(cams) && n < EXPORT_MAX_CAMERAS; i++) {
        json_t *c = json_array_get(cams, i);
        const char *id = json_string_value(json_object_get(c, "id"));
        const char *name = json_string_value(json_object_get(c, "name"));
        if (id) {
            ids[n] = id;
            names[n++] = name ? name : "";
        }
    }
    const char *t = json_string_value(json_object_get(range, "start")),
               *u = json_string_value(json_object_get(range, "end"));
    int64_t from, to, at;
    if (t && u && nvr_clock_parse_rfc3339(t, &from) == NVR_OK && nvr_clock_parse_rfc3339(u, &to) == NVR_OK) {
        s->from_us = from;
        s->to_us = to;
    }
    t = json_string_value(json_object_get(doc, "exported_at"));
    if (t && nvr_clock_parse_rfc3339(t, &at) == NVR_OK)
        s->created_us = at;
    copy_string(doc, "operator", s->operator_name, sizeof s->operator_name);
    copy_string(doc, "case", s->case_id, sizeof s->case_id);
    copy_string(doc, "reason", s->reason, sizeof s->reason);
    set_cameras(s, ids, names, n);
    json_t *df = json_object_get(doc, "derived_from");
    if (json_is_object(df)) { /* a redacted copy (nvr/redact) */
        const char *of = json_string_value(json_object_get(df, "export_id"));
        snprintf(s->redacted_from, sizeof s->redacted_from, "%s", of && export_jobs_valid_id(of) ? of : "");
        export_jobs_redacted_name(s->download_name);
    }
out:
    json_decref(doc);
    free(buf);
    if (f)
        zip_fclose(f);
    if (z)
        zip_discard(z);
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
            unlink(path); /* ID.zip.XXXXXX, ID.zip.burn-*: an export cut short by a stop or crash */
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
        snprintf(job.s.download_name, sizeof job.s.download_name, "export_%s.zip", id);
        read_manifest(path, &job.s);
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
        export_job_fn run = job->run;
        void (*free_arg)(void *) = job->free_arg;
        void *run_arg = job->arg;
        uint64_t bytes = 0;
        job->req = NULL;
        job->run = NULL;
        job->arg = NULL;
        job->s.state = EXPORT_RUNNING;
        snprintf(id, sizeof id, "%s", job->s.id);
        pthread_mutex_unlock(&j->mu);

        snprintf(path, sizeof path, "%s/%s.zip", j->dir, id);
        int64_t t0 = nvr_clock_mono_us();
        struct progress_arg parg = {j, id};
        int rc;
        if (run) {
            nvr_log(NVR_INFO, NULL, "export job started id=%s (redacted copy)", id);
            rc = run(run_arg, id, j->st, j->key, path, on_progress, &parg, &bytes, err, sizeof err);
            if (free_arg)
                free_arg(run_arg);
        } else {
            nvr_log(NVR_INFO, NULL, "export started id=%s cameras=%zu operator=%s", id, req->ncameras,
                    req->operator_name);
            rc = export_run(j->st, j->key, req, path, on_progress, &parg, &bytes, err, sizeof err);
        }
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
    for (size_t i = 0; i < j->n; i++) {
        free(j->jobs[i].req);
        if (j->jobs[i].arg && j->jobs[i].free_arg)
            j->jobs[i].free_arg(j->jobs[i].arg);
    }
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
    const char *ids[EXPORT_MAX_CAMERAS], *names[EXPORT_MAX_CAMERAS];
    for (size_t i = 0; i < req->ncameras; i++) {
        ids[i] = req->cameras[i];
        names[i] = req->names[i];
    }
    set_cameras(&job.s, ids, names, req->ncameras);
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

nvr_err export_jobs_submit_fn(struct export_jobs *j, const struct export_job_status *info, export_job_fn run,
                              void (*free_arg)(void *), void *arg, char id[EXPORT_ID_LEN + 1])
{
    char ref[EXPORT_REF_MAX];
    struct job job = {0};
    if (export_new_id(ref)) {
        if (free_arg)
            free_arg(arg);
        return NVR_EIO;
    }
    memcpy(id, ref, EXPORT_ID_LEN);
    id[EXPORT_ID_LEN] = '\0';
    job.s = *info;
    snprintf(job.s.id, sizeof job.s.id, "%s", id);
    job.s.state = EXPORT_QUEUED;
    job.s.progress = 0;
    job.s.error[0] = '\0';
    job.s.size = 0;
    job.s.created_us = nvr_clock_now_us();
    job.s.finished_us = 0;
    job.run = run;
    job.free_arg = free_arg;
    job.arg = arg;
    pthread_mutex_lock(&j->mu);
    size_t pending = 0;
    for (size_t i = 0; i < j->n; i++)
        pending += j->jobs[i].s.state == EXPORT_QUEUED || j->jobs[i].s.state == EXPORT_RUNNING;
    int rc = pending >= EXPORT_MAX_JOBS ? NVR_ENOMEM : add_job(j, &job);
    if (rc == NVR_OK)
        pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    if (rc && free_arg)
        free_arg(arg);
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
    fputs("],\"camera_names\":[", f);
    char names[sizeof s->camera_names];
    snprintf(names, sizeof names, "%s", s->camera_names);
    first = 1;
    for (char *save = NULL, *c = strtok_r(names, "\n", &save); c; c = strtok_r(NULL, "\n", &save), first = 0) {
        if (!first)
            fputc(',', f);
        json_write_string(f, c);
    }
    fputs("],\"download_name\":", f);
    json_write_string(f, s->download_name);
    fputs(",\"case\":", f);
    json_write_string(f, s->case_id);
    fputs(",\"reason\":", f);
    json_write_string(f, s->reason);
    fputs(",\"redacted_from\":", f);
    if (s->redacted_from[0])
        json_write_string(f, s->redacted_from);
    else
        fputs("null", f);
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
