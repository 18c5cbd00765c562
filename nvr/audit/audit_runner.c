/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_runner.c - the audit's background thread (see audit_runner.h).
 *
 * State machine of the thread: build report -> wait for a request (or
 * stop) -> probe every camera recording now (checking stop between
 * cameras) -> save the observations -> build report -> wait ...  While
 * waiting it compares the live camera set with the report's every
 * REBUILD_CHECK_S seconds and rebuilds the report when a camera came or
 * went.  Everything under mu is small (flags, times, the report text); the
 * work happens outside it.  The camera set is read without a lock
 * (cameras.h: slots and their configs stay valid until the set is freed,
 * after this thread is joined).
 */
#include "audit/audit_runner.h"

#include "audit/audit.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REBUILD_CHECK_S 2 /* how often the camera set is compared with the report's */

struct audit_runner {
    const struct nvr_config *cfg;
    const struct cameras *cams; /* the live set, or NULL */
    uint64_t set_sig;           /* signature of the camera ids the report was built for */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int stop, requested, running;
    int64_t started_us, finished_us;
    char error[160];
    char *report; /* owned; the audit_write_json document */
    size_t report_len;
    char *csv; /* owned; the same report as audit_write_csv, built with it */
    size_t csv_len;
    struct audit_contain contain; /* owned; the cameras to contain, built with the report */
    int have_contain;
};

/* The cameras recording now, as a config to report on: a shallow copy of
 * cfg whose camera array (freed with free_view) borrows the live slots'
 * immutable configs.  NULL when out of memory. */
static struct nvr_config *camera_view(const struct audit_runner *r)
{
    struct nvr_config *v = malloc(sizeof *v);
    if (!v)
        return NULL;
    *v = *r->cfg;
    if (!r->cams)
        return v;
    size_t ns = cameras_slots(r->cams), n = 0;
    v->cameras = ns ? calloc(ns, sizeof *v->cameras) : NULL;
    if (ns && !v->cameras) {
        free(v);
        return NULL;
    }
    for (size_t i = 0; i < ns; i++) {
        const struct camera *c = cameras_at(r->cams, i);
        if (c)
            v->cameras[n++] = c->cfg;
    }
    v->ncameras = n;
    return v;
}

static void free_view(const struct audit_runner *r, struct nvr_config *v)
{
    if (v && r->cams)
        free(v->cameras);
    free(v);
}

/* FNV-1a over the ids, to notice a camera added or removed. */
static uint64_t ids_signature(const struct nvr_config *v)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < v->ncameras; i++)
        for (const char *p = v->cameras[i].id;; p++) {
            h = (h ^ (uint8_t)*p) * 1099511628211ULL;
            if (!*p)
                break;
        }
    return h;
}

/* The vendor knowledge, read afresh (an edited data file applies at the
 * next report); NULL after logging and recording the error. */
static struct vendors *load_vendors(struct audit_runner *r)
{
    struct vendors *v = NULL;
    char *errs = NULL;
    size_t elen = 0;
    FILE *ef = open_memstream(&errs, &elen);
    char path[4096];
    audit_default_vendors_path(path, sizeof path);
    int rc = vendors_load(&v, path, NULL, ef);
    if (ef)
        fclose(ef);
    if (rc) {
        nvr_log(NVR_ERROR, NULL, "audit: cannot load the vendor data file: %s", errs ? errs : nvr_strerror(rc));
        pthread_mutex_lock(&r->mu);
        snprintf(r->error, sizeof r->error, "cannot load the vendor data file: %s", nvr_strerror(rc));
        pthread_mutex_unlock(&r->mu);
        v = NULL;
    }
    free(errs);
    return v;
}

/* Builds the report from the stored observations (outside mu). */
static void rebuild(struct audit_runner *r, const struct audit_store *st)
{
    struct nvr_config *view = camera_view(r);
    if (!view)
        return;
    r->set_sig = ids_signature(view);
    char *buf = NULL;
    size_t len = 0;
    struct vendors *v = load_vendors(r);
    if (!v) {
        free_view(r, view);
        return;
    }
    char *csv = NULL;
    size_t csv_len = 0;
    struct audit_contain contain = {0};
    int have_contain = audit_contain_targets(v, view, st, &contain) == 0;
    FILE *f = open_memstream(&buf, &len);
    FILE *c = open_memstream(&csv, &csv_len);
    int ok = f && c;
    if (ok) {
        audit_write_json(f, v, view, st, nvr_clock_now_us());
        audit_write_csv(c, v, view, st);
    }
    if (f && fclose(f) != 0)
        ok = 0;
    if (c && fclose(c) != 0)
        ok = 0;
    if (!ok) {
        free(buf);
        free(csv);
        buf = csv = NULL;
    }
    vendors_destroy(&v);
    free_view(r, view);
    if (!buf) {
        audit_contain_clear(&contain);
        return;
    }
    pthread_mutex_lock(&r->mu);
    audit_contain_clear(&r->contain);
    r->contain = contain;
    r->have_contain = have_contain;
    free(r->report);
    free(r->csv);
    r->report = buf;
    r->report_len = len;
    r->csv = csv;
    r->csv_len = csv_len;
    pthread_mutex_unlock(&r->mu);
}

static void *run(void *arg)
{
    struct audit_runner *r = arg;
    struct audit_store st;
    int rc = audit_store_load(r->cfg->data_dir, &st);
    if (rc)
        nvr_log(NVR_WARN, NULL, "audit: ignoring %s/audit.json error=\"%s\"", r->cfg->data_dir, nvr_strerror(rc));
    rebuild(r, &st);
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (!r->stop && !r->requested) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += REBUILD_CHECK_S;
            if (pthread_cond_timedwait(&r->cond, &r->mu, &until) == ETIMEDOUT)
                break;
        }
        if (r->stop) {
            pthread_mutex_unlock(&r->mu);
            break;
        }
        int requested = r->requested;
        r->requested = 0;
        pthread_mutex_unlock(&r->mu);
        struct nvr_config *view = camera_view(r);
        if (!view)
            continue;
        if (!requested) { /* a camera added or removed: report on the new set */
            if (ids_signature(view) != r->set_sig)
                rebuild(r, &st);
            free_view(r, view);
            continue;
        }

        nvr_log(NVR_INFO, NULL, "audit: probing cameras=%zu", view->ncameras);
        struct audit_probe_opts o = {0};
        struct vendors *v = load_vendors(r);
        size_t done = 0;
        for (size_t i = 0; v && i < view->ncameras; i++) {
            pthread_mutex_lock(&r->mu);
            int stop = r->stop;
            pthread_mutex_unlock(&r->mu);
            if (stop)
                break;
            struct audit_camera *c = malloc(sizeof *c);
            if (!c)
                break;
            audit_probe_camera(&view->cameras[i], &o, c);
            audit_store_put_probe(&st, v, c);
            free(c);
            done++;
        }
        vendors_destroy(&v);
        free_view(r, view);
        rc = audit_store_save(r->cfg->data_dir, &st);
        if (rc)
            nvr_log(NVR_ERROR, NULL, "audit: cannot write %s/audit.json error=\"%s\"", r->cfg->data_dir,
                    nvr_strerror(rc));
        rebuild(r, &st);
        nvr_log(NVR_INFO, NULL, "audit: probe finished cameras=%zu", done);
        pthread_mutex_lock(&r->mu);
        r->running = 0;
        r->finished_us = nvr_clock_now_us();
        if (rc)
            snprintf(r->error, sizeof r->error, "cannot write audit.json: %s", nvr_strerror(rc));
        pthread_mutex_unlock(&r->mu);
    }
    audit_store_clear(&st);
    return NULL;
}

nvr_err audit_runner_start(struct audit_runner **out, const struct nvr_config *cfg, const struct cameras *cams)
{
    struct audit_runner *r = calloc(1, sizeof *r);
    *out = NULL;
    if (!r)
        return NVR_ENOMEM;
    r->cfg = cfg;
    r->cams = cams;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cond, NULL);
    if (pthread_create(&r->thread, NULL, run, r) != 0) {
        pthread_cond_destroy(&r->cond);
        pthread_mutex_destroy(&r->mu);
        free(r);
        return NVR_ENOMEM;
    }
    *out = r;
    return NVR_OK;
}

void audit_runner_stop(struct audit_runner **rp)
{
    struct audit_runner *r = rp ? *rp : NULL;
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->mu);
    free(r->report);
    free(r->csv);
    audit_contain_clear(&r->contain);
    free(r);
    *rp = NULL;
}

nvr_err audit_runner_request(struct audit_runner *r)
{
    int rc = NVR_OK;
    pthread_mutex_lock(&r->mu);
    if (r->running)
        rc = NVR_EINVAL;
    else {
        r->running = r->requested = 1;
        r->started_us = nvr_clock_now_us();
        r->finished_us = 0;
        r->error[0] = '\0';
        pthread_cond_signal(&r->cond);
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

nvr_err audit_runner_report(struct audit_runner *r, char **json, size_t *len)
{
    FILE *f = open_memstream(json, len);
    int rc = NVR_OK;
    if (!f)
        return NVR_ENOMEM;
    pthread_mutex_lock(&r->mu);
    if (!r->report) {
        rc = NVR_ENOTFOUND;
    } else {
        fprintf(f, "{\"running\":%s,\"probe_started\":", r->running ? "true" : "false");
        if (r->started_us)
            json_write_time(f, r->started_us);
        else
            fputs("null", f);
        fputs(",\"probe_finished\":", f);
        if (r->finished_us)
            json_write_time(f, r->finished_us);
        else
            fputs("null", f);
        fputs(",\"error\":", f);
        if (r->error[0])
            json_write_string(f, r->error);
        else
            fputs("null", f);
        fputc(',', f);
        fwrite(r->report + 1, 1, r->report_len - 1, f); /* the document without its "{" */
        fputc('\n', f);
    }
    pthread_mutex_unlock(&r->mu);
    if (fclose(f) != 0 && !rc)
        rc = NVR_ENOMEM;
    if (rc) {
        free(*json);
        *json = NULL;
    }
    return rc;
}

nvr_err audit_runner_report_csv(struct audit_runner *r, char **csv, size_t *len)
{
    int rc = NVR_OK;
    *csv = NULL;
    *len = 0;
    pthread_mutex_lock(&r->mu);
    if (!r->csv)
        rc = NVR_ENOTFOUND;
    else if (!(*csv = malloc(r->csv_len + 1)))
        rc = NVR_ENOMEM;
    else {
        memcpy(*csv, r->csv, r->csv_len + 1);
        *len = r->csv_len;
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

nvr_err audit_runner_containment(struct audit_runner *r, const struct audit_contain_opts *o, char **text, size_t *len)
{
    struct audit_contain_opts oo = *o;
    int rc = NVR_OK;
    if (!oo.now_us)
        oo.now_us = nvr_clock_now_us();
    FILE *f = open_memstream(text, len);
    if (!f)
        return NVR_ENOMEM;
    pthread_mutex_lock(&r->mu);
    if (!r->report || !r->have_contain)
        rc = NVR_ENOTFOUND;
    else if (audit_contain_write(f, &r->contain, &oo))
        rc = NVR_ENOMEM;
    pthread_mutex_unlock(&r->mu);
    if (fclose(f) != 0 && !rc)
        rc = NVR_ENOMEM;
    if (rc) {
        free(*text);
        *text = NULL;
    }
    return rc;
}
