/*
 * audit_runner.c - the audit's background thread (see audit_runner.h).
 *
 * State machine of the thread: build report -> wait for a request (or
 * stop) -> probe every camera (checking stop between cameras) -> save the
 * observations -> build report -> wait ...  Everything under mu is small
 * (flags, times, the report text); the work happens outside it.
 */
#include "audit_runner.h"

#include "nvr/audit.h"
#include "nvr/base/clock.h"
#include "nvr/base/err.h"
#include "nvr/base/json.h"
#include "nvr/base/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct audit_runner {
    const struct nvr_config *cfg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int stop, requested, running;
    int64_t started_us, finished_us;
    char error[160];
    char *report;   /* owned; the audit_write_json document */
    size_t report_len;
};

/* Builds the report from the stored observations (outside mu). */
static void rebuild(struct audit_runner *r, const struct audit_store *st)
{
    struct vendors *v = NULL;
    char *buf = NULL, *errs = NULL;
    size_t len = 0, elen = 0;
    FILE *ef = open_memstream(&errs, &elen);
    int rc = vendors_load(&v, audit_default_vendors_path(), NULL, ef);
    if (ef)
        fclose(ef);
    if (rc) {
        nvr_log(NVR_ERROR, NULL, "audit: cannot load the vendor data file: %s", errs ? errs : nvr_strerror(rc));
        pthread_mutex_lock(&r->mu);
        snprintf(r->error, sizeof r->error, "cannot load the vendor data file: %s", nvr_strerror(rc));
        pthread_mutex_unlock(&r->mu);
        free(errs);
        return;
    }
    free(errs);
    FILE *f = open_memstream(&buf, &len);
    if (f) {
        audit_write_json(f, v, r->cfg, st, nvr_clock_now_us());
        if (fclose(f) != 0) {
            free(buf);
            buf = NULL;
        }
    }
    vendors_destroy(&v);
    if (!buf)
        return;
    pthread_mutex_lock(&r->mu);
    free(r->report);
    r->report = buf;
    r->report_len = len;
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
        while (!r->stop && !r->requested)
            pthread_cond_wait(&r->cond, &r->mu);
        if (r->stop) {
            pthread_mutex_unlock(&r->mu);
            break;
        }
        r->requested = 0;
        pthread_mutex_unlock(&r->mu);

        nvr_log(NVR_INFO, NULL, "audit: probing cameras=%zu", r->cfg->ncameras);
        struct audit_probe_opts o = {0};
        size_t done = 0;
        for (size_t i = 0; i < r->cfg->ncameras; i++) {
            pthread_mutex_lock(&r->mu);
            int stop = r->stop;
            pthread_mutex_unlock(&r->mu);
            if (stop)
                break;
            struct audit_camera *c = malloc(sizeof *c);
            if (!c)
                break;
            audit_probe_camera(&r->cfg->cameras[i], &o, c);
            audit_store_put(&st, c);
            free(c);
            done++;
        }
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

int audit_runner_start(struct audit_runner **out, const struct nvr_config *cfg)
{
    struct audit_runner *r = calloc(1, sizeof *r);
    *out = NULL;
    if (!r)
        return NVR_ENOMEM;
    r->cfg = cfg;
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
    free(r);
    *rp = NULL;
}

int audit_runner_request(struct audit_runner *r)
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

int audit_runner_report(struct audit_runner *r, char **json, size_t *len)
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
