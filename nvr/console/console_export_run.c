/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console_export_run.c - one district export's thread (console_export.h):
 *   1. asks every site's recorder for an export of its cameras
 *      (POST /api/v1/exports with the person's own token, so the recorder
 *      applies its grants and logs the person);
 *   2. polls each (GET /api/v1/exports/ID, once a second) until done;
 *   3. downloads each zip to DIR/JOB.parts/SITE.zip, streamed to disk,
 *      all of them together at most [console] export_max_bytes;
 *   4. writes DIR/JOB.zip (export_district_write: each inner zip verified,
 *      the manifest signed with the console's key, data_dir/signing-key.pem,
 *      made on first use) and removes the parts.
 * Any failure ends the job failed with a message naming the site; stopping
 * the console aborts a transfer and the waits.
 */
#include "console/console_export.h"

#include "base/clock.h"
#include "base/log.h"
#include "export/sign.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define POLL_US 1000000LL
#define WAIT_MAX_US (6LL * 3600 * 1000000) /* a site's export that takes longer is given up */

static void set_site(struct console_exports *e, struct cx_site *s, const char *state)
{
    pthread_mutex_lock(&e->mu);
    snprintf(s->state, sizeof s->state, "%s", state);
    pthread_mutex_unlock(&e->mu);
}

static struct console_target target(struct console_exports *e, struct cx_job *j, struct cx_site *s)
{
    return (struct console_target){.base = s->d.url, .pin = s->pin, .secret = j->secret, .stop = &e->stop};
}

/* "site S: ..." from a recorder's answer that was not the one wanted. */
static void answer_error(const struct cx_site *s, const struct console_answer *a, const char *what, char *err,
                         size_t errlen)
{
    json_t *doc = a->body ? json_loads(a->body, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(doc, "error"));
    if (a->error[0])
        snprintf(err, errlen, "site %s: %s: %s", s->d.site, what, a->error);
    else if (a->status == 401)
        snprintf(err, errlen, "site %s: %s: the recorder did not accept your sign-in", s->d.site, what);
    else
        snprintf(err, errlen, "site %s: %s: the recorder answered %ld%s%s", s->d.site, what, a->status, msg ? ": " : "",
                 msg ? msg : "");
    json_decref(doc);
}

/* POST /api/v1/exports at every site; each one's id into d.export_id. */
static nvr_err ask(struct console_exports *e, struct cx_job *j, char *err, size_t errlen)
{
    char from[NVR_TIME_BUFSZ], to[NVR_TIME_BUFSZ];
    nvr_clock_format_rfc3339(j->from_us, from);
    nvr_clock_format_rfc3339(j->to_us, to);
    for (size_t i = 0; i < j->nsites; i++) {
        struct cx_site *s = &j->sites[i];
        json_t *cams = json_array();
        for (size_t k = 0; k < s->d.ncameras; k++)
            json_array_append_new(cams, json_string(s->local[k]));
        json_t *doc = json_pack("{s:o,s:s,s:s,s:s,s:s}", "cameras", cams, "start", from, "end", to, "reason", j->reason,
                                "case", j->case_id);
        char *body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_decref(doc);
        if (!body)
            return NVR_ENOMEM;
        struct console_target t = target(e, j, s);
        struct console_answer a;
        nvr_err rc = console_fetch(&t, "POST", "/api/v1/exports", body, NULL, 0, &a);
        free(body);
        json_t *ans = !rc && a.status == 202 && a.body ? json_loads(a.body, 0, NULL) : NULL;
        const char *id = json_string_value(json_object_get(ans, "id"));
        if (id && strlen(id) < sizeof s->d.export_id) {
            pthread_mutex_lock(&e->mu);
            snprintf(s->d.export_id, sizeof s->d.export_id, "%s", id);
            snprintf(s->state, sizeof s->state, "running");
            pthread_mutex_unlock(&e->mu);
        } else {
            answer_error(s, &a, "asking for its export", err, errlen);
            rc = rc ? rc : NVR_EIO;
        }
        json_decref(ans);
        free(a.body);
        if (!s->d.export_id[0])
            return rc ? rc : NVR_EIO;
    }
    return NVR_OK;
}

/* The status of site s's export: 1 done, 0 still running, -1 failed. */
static int poll_site(struct console_exports *e, struct cx_job *j, struct cx_site *s, char *err, size_t errlen)
{
    char path[160];
    snprintf(path, sizeof path, "/api/v1/exports/%s", s->d.export_id);
    struct console_target t = target(e, j, s);
    struct console_answer a;
    nvr_err rc = console_fetch(&t, "GET", path, NULL, NULL, 0, &a);
    json_t *doc = !rc && a.status == 200 && a.body ? json_loads(a.body, 0, NULL) : NULL;
    const char *st = json_string_value(json_object_get(doc, "status"));
    int ret = -1;
    if (st && (strcmp(st, "queued") == 0 || strcmp(st, "running") == 0))
        ret = 0;
    else if (st && strcmp(st, "done") == 0)
        ret = 1;
    else if (st && strcmp(st, "failed") == 0)
        snprintf(err, errlen, "site %s: its export failed: %s", s->d.site,
                 json_string_value(json_object_get(doc, "error")) ? json_string_value(json_object_get(doc, "error"))
                                                                  : "?");
    else
        answer_error(s, &a, "its export's state", err, errlen);
    json_decref(doc);
    free(a.body);
    return ret;
}

/* Waits until every site's export is done. */
static nvr_err wait_all(struct console_exports *e, struct cx_job *j, char *err, size_t errlen)
{
    int64_t until = nvr_clock_mono_us() + WAIT_MAX_US;
    size_t left = j->nsites;
    int *done = calloc(j->nsites, sizeof *done);
    nvr_err rc = done ? NVR_OK : NVR_ENOMEM;
    while (!rc && left) {
        for (size_t i = 0; i < j->nsites && !rc; i++) {
            if (done[i])
                continue;
            int st = poll_site(e, j, &j->sites[i], err, errlen);
            if (st < 0)
                rc = NVR_EIO;
            else if (st > 0) {
                done[i] = 1;
                left--;
                set_site(e, &j->sites[i], "downloading");
            }
        }
        for (int64_t slept = 0; !rc && left && slept < POLL_US; slept += 100000) {
            if (atomic_load(&e->stop))
                rc = NVR_ESTOPPED;
            nvr_clock_sleep_us(100000);
        }
        if (!rc && left && nvr_clock_mono_us() > until) {
            snprintf(err, errlen, "the sites' exports took more than %lld hours", WAIT_MAX_US / 3600000000LL);
            rc = NVR_ETIMEDOUT;
        }
    }
    free(done);
    return rc;
}

/* Downloads every site's zip into parts/SITE.zip within the size cap. */
static nvr_err download_all(struct console_exports *e, struct cx_job *j, const char *parts, char *err, size_t errlen)
{
    uint64_t budget = e->c->cfg->console.export_max_bytes;
    for (size_t i = 0; i < j->nsites; i++) {
        struct cx_site *s = &j->sites[i];
        char path[160];
        snprintf(s->d.path, sizeof s->d.path, "%.3900s/%s.zip", parts, s->d.site);
        snprintf(path, sizeof path, "/api/v1/exports/%s/download", s->d.export_id);
        FILE *f = fopen(s->d.path, "wb");
        if (!f) {
            snprintf(err, errlen, "cannot write %.300s", s->d.path);
            return NVR_EIO;
        }
        struct console_target t = target(e, j, s);
        struct console_answer a;
        nvr_err rc = console_fetch(&t, "GET", path, NULL, f, budget, &a);
        if (fclose(f) != 0 && !rc)
            rc = NVR_EIO;
        if (rc == NVR_ENOSPC)
            snprintf(err, errlen, "the sites' exports are larger than [console] export_max_bytes (%llu bytes)",
                     (unsigned long long)e->c->cfg->console.export_max_bytes);
        else if (rc || a.status != 200)
            answer_error(s, &a, "downloading its export", err, errlen);
        free(a.body);
        if (rc || a.status != 200)
            return rc ? rc : NVR_EIO;
        budget -= a.bytes;
        set_site(e, s, "done");
    }
    return NVR_OK;
}

/* The district zip from the downloaded parts, signed with the console's key. */
static nvr_err write_zip(struct console_exports *e, struct cx_job *j, uint64_t *size, char *err, size_t errlen)
{
    struct sign_key *key = NULL;
    char out[4200];
    struct district_site *ds = calloc(j->nsites, sizeof *ds);
    nvr_err rc = ds ? sign_key_load_or_create(e->c->cfg->data_dir, &key) : NVR_ENOMEM;
    if (rc) {
        snprintf(err, errlen, "the console's signing key: %s", nvr_strerror(rc));
        free(ds);
        return rc;
    }
    for (size_t i = 0; i < j->nsites; i++)
        ds[i] = j->sites[i].d;
    struct district_request req = {.from_us = j->from_us, .to_us = j->to_us, .nsites = j->nsites, .sites = ds};
    snprintf(req.id, sizeof req.id, "%s", j->id);
    snprintf(req.requester, sizeof req.requester, "%s", j->requester);
    snprintf(req.reason, sizeof req.reason, "%s", j->reason);
    snprintf(req.case_id, sizeof req.case_id, "%s", j->case_id);
    cx_zip_path(e, j->id, out, sizeof out);
    rc = export_district_write(key, &req, out, size, err, errlen);
    sign_key_free(&key);
    free(ds);
    return rc;
}

void *cx_run(void *arg)
{
    struct cx_run_arg *a = arg;
    struct console_exports *e = a->e;
    struct cx_job *j = a->job;
    free(a);
    char err[512] = "", parts[4200];
    uint64_t size = 0;
    snprintf(parts, sizeof parts, "%s/%s.parts", e->dir, j->id);
    nvr_err rc = mkdir(parts, 0700) == 0 ? NVR_OK : NVR_EIO;
    if (rc)
        snprintf(err, sizeof err, "cannot make %.300s", parts);
    if (!rc)
        rc = ask(e, j, err, sizeof err);
    if (!rc)
        rc = wait_all(e, j, err, sizeof err);
    if (!rc)
        rc = download_all(e, j, parts, err, sizeof err);
    if (!rc)
        rc = write_zip(e, j, &size, err, sizeof err);
    for (size_t i = 0; i < j->nsites; i++)
        if (j->sites[i].d.path[0])
            unlink(j->sites[i].d.path);
    rmdir(parts);
    if (rc && !err[0])
        snprintf(err, sizeof err, "%s", nvr_strerror(rc));
    if (rc)
        nvr_log(NVR_WARN, NULL, "console: district export failed id=%s error=%s", j->id, err);
    else
        nvr_log(NVR_INFO, NULL, "console: district export done id=%s bytes=%llu", j->id, (unsigned long long)size);
    pthread_mutex_lock(&e->mu); /* the last step: prune joins this thread once the state is not running */
    sodium_memzero(j->secret, sizeof j->secret);
    snprintf(j->error, sizeof j->error, "%s", err);
    j->size = size;
    j->finished_us = nvr_clock_now_us();
    j->state = rc ? CX_FAILED : CX_DONE;
    for (size_t i = 0; rc && i < j->nsites; i++)
        if (strcmp(j->sites[i].state, "done") != 0)
            snprintf(j->sites[i].state, sizeof j->sites[i].state, "failed");
    e->running--;
    pthread_mutex_unlock(&e->mu);
    return NULL;
}
