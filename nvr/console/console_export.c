/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console_export.c - the district export's routes and job list
 * (console_export.h; docs/ref/http-api.md "Console"):
 *   POST /api/v1/exports               {"cameras":["SITE.ID"...],"start","end","reason","case"}
 *   GET  /api/v1/exports               the person's jobs (an admin: all)
 *   GET  /api/v1/exports/{id}          one job
 *   GET  /api/v1/exports/{id}/download its zip (Range)
 * The request is checked whole here (400 naming the field; 403, naming
 * none, when the person may not see every camera; 404 for a camera the
 * catalog does not list); the work is the job's thread's
 * (console_export_run.c).  What a client can make the console spend is
 * bounded: [console] max_exports jobs running (one more: 503), CX_JOBS_MAX
 * jobs kept, export_max_bytes per job, export_keep_hours before a finished
 * one is deleted.
 */
#include "console/console_export.h"

#include "base/clock.h"
#include "base/json.h"
#include "base/log.h"
#include "http/http_json.h"
#include "storage/users.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cx_zip_path(const struct console_exports *e, const char *id, char *out, size_t n)
{
    snprintf(out, n, "%s/%s.zip", e->dir, id);
}

/* Removes what path holds: files, and folders of files (a job's parts). */
static void empty_dir(const char *path, int depth)
{
    DIR *d = opendir(path);
    struct dirent *de;
    char p[4400];
    while (d && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", path, de->d_name);
        if (de->d_type == DT_DIR && depth == 0) {
            empty_dir(p, 1);
            rmdir(p);
        } else if (de->d_type != DT_DIR) {
            unlink(p);
        }
    }
    if (d)
        closedir(d);
}

nvr_err console_exports_start(struct console_exports **out, struct console *c)
{
    struct console_exports *e = calloc(1, sizeof *e);
    if (!e)
        return NVR_ENOMEM;
    e->c = c;
    pthread_mutex_init(&e->mu, NULL);
    snprintf(e->dir, sizeof e->dir, "%s/%s", c->cfg->data_dir, CX_DIR);
    if (mkdir(e->dir, 0700) != 0 && errno != EEXIST) {
        nvr_log(NVR_ERROR, NULL, "console: cannot make %s: %s", e->dir, strerror(errno));
        pthread_mutex_destroy(&e->mu);
        free(e);
        return NVR_EIO;
    }
    empty_dir(e->dir, 0); /* the list was in memory: what a previous run left is no job's */
    *out = e;
    return NVR_OK;
}

static void job_free(struct cx_job *j)
{
    if (!j)
        return;
    sodium_memzero(j->secret, sizeof j->secret);
    free(j->sites);
    free(j);
}

void console_exports_stop(struct console_exports **ep)
{
    struct console_exports *e = *ep;
    if (!e)
        return;
    atomic_store(&e->stop, 1);
    for (size_t i = 0; i < e->njobs; i++) {
        if (e->jobs[i]->has_thread)
            pthread_join(e->jobs[i]->thread, NULL);
        job_free(e->jobs[i]);
    }
    pthread_mutex_destroy(&e->mu);
    free(e);
    *ep = NULL;
}

/* Deletes the jobs finished more than export_keep_hours ago (under mu). */
static void prune(struct console_exports *e)
{
    int64_t keep = (int64_t)e->c->cfg->console.export_keep_hours * 3600 * 1000000, now = nvr_clock_now_us();
    size_t k = 0;
    for (size_t i = 0; i < e->njobs; i++) {
        struct cx_job *j = e->jobs[i];
        if (j->state != CX_RUNNING && now - j->finished_us > keep) {
            char path[4200];
            if (j->has_thread)
                pthread_join(j->thread, NULL); /* it has ended: its last step was the state */
            cx_zip_path(e, j->id, path, sizeof path);
            unlink(path);
            nvr_log(NVR_INFO, NULL, "console: district export deleted id=%s (kept %d h)", j->id,
                    e->c->cfg->console.export_keep_hours);
            job_free(j);
        } else {
            e->jobs[k++] = j;
        }
    }
    e->njobs = k;
}

static const char *state_name(enum cx_state s)
{
    return s == CX_RUNNING ? "running" : s == CX_DONE ? "done" : "failed";
}

/* One job as JSON (under mu). */
static void write_job(FILE *f, const struct cx_job *j)
{
    size_t sites_done = 0;
    for (size_t i = 0; i < j->nsites; i++)
        sites_done += strcmp(j->sites[i].state, "done") == 0;
    fputs("{\"id\":", f);
    json_write_string(f, j->id);
    fprintf(f, ",\"status\":\"%s\",\"progress\":%.3f,\"error\":", state_name(j->state),
            j->state == CX_DONE ? 1.0
            : j->nsites         ? 0.95 * (double)sites_done / (double)j->nsites
                                : 0);
    if (j->state == CX_FAILED)
        json_write_string(f, j->error);
    else
        fputs("null", f);
    if (j->state == CX_DONE)
        fprintf(f, ",\"size\":%llu,\"download\":\"/api/v1/exports/%s/download\"", (unsigned long long)j->size, j->id);
    else
        fputs(",\"size\":null,\"download\":null", f);
    fprintf(f, ",\"download_name\":\"district-export_%s.zip\",\"created\":", j->id);
    json_write_time(f, j->created_us);
    fputs(",\"finished\":", f);
    if (j->state != CX_RUNNING)
        json_write_time(f, j->finished_us);
    else
        fputs("null", f);
    fputs(",\"start\":", f);
    json_write_time(f, j->from_us);
    fputs(",\"end\":", f);
    json_write_time(f, j->to_us);
    fputs(",\"requester\":", f);
    json_write_string(f, j->requester);
    fputs(",\"reason\":", f);
    json_write_string(f, j->reason);
    fputs(",\"case\":", f);
    json_write_string(f, j->case_id);
    fputs(",\"cameras\":[", f);
    for (size_t i = 0, n = 0; i < j->nsites; i++)
        for (size_t k = 0; k < j->sites[i].d.ncameras; k++) {
            fputs(n++ ? "," : "", f);
            json_write_string(f, j->sites[i].d.cameras[k]);
        }
    fputs("],\"sites\":[", f);
    for (size_t i = 0; i < j->nsites; i++) {
        const struct cx_site *s = &j->sites[i];
        fputs(i ? ",{\"site\":" : "{\"site\":", f);
        json_write_string(f, s->d.site);
        fputs(",\"cameras\":[", f);
        for (size_t k = 0; k < s->d.ncameras; k++) {
            fputs(k ? "," : "", f);
            json_write_string(f, s->d.cameras[k]);
        }
        fputs("],\"export_id\":", f);
        if (s->d.export_id[0])
            json_write_string(f, s->d.export_id);
        else
            fputs("null", f);
        fputs(",\"status\":", f);
        json_write_string(f, s->state);
        fputc('}', f);
    }
    fputs("]}", f);
}

static int valid_name(const char *p, size_t n)
{
    if (n == 0 || n >= CONSOLE_NAME_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '_' || p[i] == '-'))
            return 0;
    return 1;
}

/* The site's entry of job for site (added if new); NULL past the bound. */
static struct cx_site *site_of(struct cx_job *j, const char *site, size_t cap)
{
    for (size_t i = 0; i < j->nsites; i++)
        if (strcmp(j->sites[i].d.site, site) == 0)
            return &j->sites[i];
    if (j->nsites == cap)
        return NULL;
    struct cx_site *s = &j->sites[j->nsites++];
    snprintf(s->d.site, sizeof s->d.site, "%s", site);
    snprintf(s->state, sizeof s->state, "asked");
    return s;
}

/* cameras: 1 to DISTRICT_CAMERAS_MAX distinct "SITE.ID", grouped by site
 * into j->sites; -1 with *status 400 and err otherwise (what the person
 * may see is checked with the catalog, find_sites). */
static int parse_cameras(json_t *cams, struct cx_job *j, int *status, char *err, size_t errlen)
{
    size_t n = json_array_size(cams);
    *status = 400;
    if (!json_is_array(cams) || n == 0 || n > DISTRICT_CAMERAS_MAX) {
        snprintf(err, errlen, "cameras must be a list of 1 to %d camera ids (SITE.ID)", DISTRICT_CAMERAS_MAX);
        return -1;
    }
    if (!(j->sites = calloc(n, sizeof *j->sites))) {
        snprintf(err, errlen, "out of memory");
        *status = 500;
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *full = json_string_value(json_array_get(cams, i));
        const char *dot = full ? strchr(full, '.') : NULL;
        if (!dot || !valid_name(full, (size_t)(dot - full)) || !valid_name(dot + 1, strlen(dot + 1))) {
            snprintf(err, errlen, "cameras[%zu] must be a camera id SITE.ID", i);
            return -1;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(full, json_string_value(json_array_get(cams, k))) == 0) {
                snprintf(err, errlen, "cameras[%zu] is given twice", i);
                return -1;
            }
        char site[CONSOLE_NAME_LEN];
        snprintf(site, sizeof site, "%.*s", (int)(dot - full), full);
        struct cx_site *s = site_of(j, site, n);
        snprintf(s->d.cameras[s->d.ncameras], sizeof s->d.cameras[0], "%s", full);
        snprintf(s->local[s->d.ncameras++], CONSOLE_NAME_LEN, "%s", dot + 1);
    }
    return 0;
}

static int parse_body(json_t *o, struct cx_job *j, int *status, char *err, size_t errlen)
{
    if (parse_cameras(json_object_get(o, "cameras"), j, status, err, errlen))
        return -1;
    *status = 400;
    if (http_json_time(o, "start", &j->from_us, err, errlen) || http_json_time(o, "end", &j->to_us, err, errlen) ||
        http_json_text(o, "reason", 0, j->reason, sizeof j->reason, err, errlen) ||
        http_json_text(o, "case", 0, j->case_id, sizeof j->case_id, err, errlen))
        return -1;
    if (j->to_us <= j->from_us || j->to_us - j->from_us > EXPORT_MAX_RANGE_US) {
        snprintf(err, errlen, "end must be after start, at most 7 days later");
        return -1;
    }
    return 0;
}

/* One camera of s from the catalog (its site's url and pin into s): 1, 0
 * (unknown), -1 (the catalog down); *visible: whether u may see it (by its
 * group too). */
static int find_camera(struct console *c, const struct console_user *u, struct cx_site *s, size_t k, int *visible)
{
    const char *p[] = {s->d.site, s->local[k]};
    PGresult *res;
    if (console_pg_exec(c->pg,
                        "SELECT s.url, s.tls_pin, k.group_name FROM nvr_cameras k JOIN nvr_sites s ON s.name = k.site "
                        "WHERE k.site = $1 AND k.id = $2 AND k.status <> 'removed'",
                        2, p, &res))
        return -1;
    int found = PQntuples(res) == 1;
    *visible =
        console_may_see(u, s->d.site, s->local[k], found && !PQgetisnull(res, 0, 2) ? PQgetvalue(res, 0, 2) : NULL);
    if (found) {
        snprintf(s->d.url, sizeof s->d.url, "%s", PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0));
        snprintf(s->pin, sizeof s->pin, "%s", PQgetisnull(res, 0, 1) ? "" : PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return found;
}

/* Each camera in the catalog, its site's url and pin into the job: 0, or
 * -1 with *status and err (403 a camera u may not see, known or not; 404 an
 * unknown camera; 503 the catalog down; 502 a site that has not said where
 * it is). */
static int find_sites(struct console *c, const struct console_user *u, struct cx_job *j, int *status, char *err,
                      size_t errlen)
{
    int hidden = 0;
    const char *unknown = NULL;
    for (size_t i = 0; i < j->nsites; i++) {
        struct cx_site *s = &j->sites[i];
        for (size_t k = 0; k < s->d.ncameras; k++) {
            int visible, found = find_camera(c, u, s, k, &visible);
            if (found < 0) {
                *status = 503;
                snprintf(err, errlen, "the catalog is not available: try again in a moment");
                return -1;
            }
            hidden |= !visible;
            if (!found && !unknown)
                unknown = s->d.cameras[k];
        }
    }
    if (hidden || unknown) {
        *status = hidden ? 403 : 404;
        if (hidden)
            snprintf(err, errlen, "you may not export every camera asked for");
        else
            snprintf(err, errlen, "%s is not a camera of the district", unknown);
        return -1;
    }
    for (size_t i = 0; i < j->nsites; i++) {
        struct cx_site *s = &j->sites[i];
        if (!s->d.url[0]) {
            *status = 502;
            snprintf(err, errlen, "site %s has not advertised where it can be reached ([catalog] advertise)",
                     s->d.site);
            return -1;
        }
    }
    return 0;
}

/* Takes a place for j and starts its thread: 0, or -1 (*status 503 or 500). */
static int admit(struct console_exports *e, struct cx_job *j, int *status, char *err, size_t errlen)
{
    struct cx_run_arg *a = malloc(sizeof *a);
    int rc = -1;
    *status = 503;
    pthread_mutex_lock(&e->mu);
    prune(e);
    if (!a) {
        *status = 500;
        snprintf(err, errlen, "out of memory");
    } else if (e->running >= e->c->cfg->console.max_exports) {
        snprintf(err, errlen, "%d district exports are running ([console] max_exports): try again when one is done",
                 e->running);
    } else if (e->njobs >= CX_JOBS_MAX) {
        snprintf(err, errlen, "%d district exports are kept: try again when older ones are deleted", CX_JOBS_MAX);
    } else {
        *a = (struct cx_run_arg){.e = e, .job = j};
        if (pthread_create(&j->thread, NULL, cx_run, a) == 0) {
            j->has_thread = 1;
            e->jobs[e->njobs++] = j;
            e->running++;
            a = NULL;
            rc = 0;
        } else {
            *status = 500;
            snprintf(err, errlen, "cannot start the export");
        }
    }
    pthread_mutex_unlock(&e->mu);
    free(a);
    return rc;
}

http_result console_export_create(struct http_request *r, struct nvr *nvr)
{
    struct console *c = console_of(nvr);
    const struct console_user *u = console_user(r);
    http_result ret;
    char err[320], id[EXPORT_REF_MAX];
    int status = 500;
    json_t *o = http_json_body(r, &ret);
    if (!o)
        return ret;
    struct cx_job *j = calloc(1, sizeof *j);
    if (!j || export_new_id(id)) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    snprintf(j->id, sizeof j->id, "%.32s", id);
    snprintf(j->requester, sizeof j->requester, "%s", u->name);
    snprintf(j->address, sizeof j->address, "%s", http_client_address(r));
    console_secret(r, j->secret);
    j->created_us = nvr_clock_now_us();
    j->state = CX_RUNNING;
    if (parse_body(o, j, &status, err, sizeof err) || find_sites(c, u, j, &status, err, sizeof err) ||
        admit(c->exports, j, &status, err, sizeof err))
        goto fail;
    json_decref(o);
    char sites[512] = "";
    for (size_t i = 0; i < j->nsites; i++)
        snprintf(sites + strlen(sites), sizeof sites - strlen(sites), "%s%s", i ? "," : "", j->sites[i].d.site);
    for (size_t i = 0; i < j->nsites; i++)
        for (size_t k = 0; k < j->sites[i].d.ncameras; k++) {
            char detail[640];
            snprintf(detail, sizeof detail, "district_export=%s sites=%s", id, sites);
            console_log(c, u->name, http_client_address(r), "district_export", j->sites[i].d.site, j->sites[i].local[k],
                        detail);
        }
    nvr_log(NVR_INFO, NULL, "console: district export started id=%s user=%s sites=%s", id, u->name, sites);
    struct http_body b;
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    pthread_mutex_lock(&c->exports->mu);
    write_job(b.f, j); /* j stays in the list while mu is held */
    pthread_mutex_unlock(&c->exports->mu);
    fputc('\n', b.f);
    return http_body_send(r, &b, 202, "application/json", "no-store");
fail:
    json_decref(o);
    job_free(j);
    if (status == 503)
        http_add_reply_header(r, "Retry-After", "30");
    return http_reply_error(r, (unsigned)status, "%s", err);
}

static int may_see_job(const struct console_user *u, const struct cx_job *j)
{
    return u->role == USER_ADMIN || strcmp(u->name, j->requester) == 0;
}

http_result console_export_list(struct http_request *r, struct nvr *nvr)
{
    struct console_exports *e = console_of(nvr)->exports;
    const struct console_user *u = console_user(r);
    struct http_body b;
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    fputs("{\"exports\":[", b.f);
    pthread_mutex_lock(&e->mu);
    prune(e);
    int n = 0;
    for (size_t i = e->njobs; i-- > 0;) /* newest first */
        if (may_see_job(u, e->jobs[i])) {
            fputs(n++ ? "," : "", b.f);
            write_job(b.f, e->jobs[i]);
        }
    pthread_mutex_unlock(&e->mu);
    fputs("]}\n", b.f);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

/* Job id of the request as the person may see it, under mu (NULL: none). */
static struct cx_job *find_job(struct console_exports *e, struct http_request *r)
{
    const char *id = http_param(r, 0);
    for (size_t i = 0; i < e->njobs; i++)
        if (strcmp(e->jobs[i]->id, id) == 0)
            return may_see_job(console_user(r), e->jobs[i]) ? e->jobs[i] : NULL;
    return NULL;
}

http_result console_export_get(struct http_request *r, struct nvr *nvr)
{
    struct console_exports *e = console_of(nvr)->exports;
    struct http_body b;
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    pthread_mutex_lock(&e->mu);
    prune(e);
    struct cx_job *j = find_job(e, r);
    if (j)
        write_job(b.f, j);
    pthread_mutex_unlock(&e->mu);
    if (!j) {
        fclose(b.f);
        free(b.buf);
        return http_reply_error(r, 404, "no such export");
    }
    fputc('\n', b.f);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

http_result console_export_download(struct http_request *r, struct nvr *nvr)
{
    struct console *c = console_of(nvr);
    struct console_exports *e = c->exports;
    char path[4200], disp[128], etag[CX_ID_LEN + 3];
    pthread_mutex_lock(&e->mu);
    prune(e);
    struct cx_job *j = find_job(e, r);
    enum cx_state st = j ? j->state : CX_FAILED;
    int fd = j && st == CX_DONE ? (cx_zip_path(e, j->id, path, sizeof path), open(path, O_RDONLY | O_CLOEXEC)) : -1;
    pthread_mutex_unlock(&e->mu); /* an open fd outlives a prune's unlink */
    if (!j)
        return http_reply_error(r, 404, "no such export");
    if (st != CX_DONE)
        return http_reply_error(r, 409, "the district export is %s", st == CX_FAILED ? "failed" : "not finished");
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        if (fd >= 0)
            close(fd);
        return http_reply_error(r, 500, "district export file unavailable");
    }
    const char *id = http_param(r, 0);
    const char *range = http_header(r, "Range");
    if (!http_is_head(r) && (!range || strncmp(range, "bytes=0-", 8) == 0))
        console_log(c, console_user(r)->name, http_client_address(r), "district_export_downloaded", "", "",
                    id); /* detail: the district export's id */
    snprintf(etag, sizeof etag, "\"%s\"", id);
    snprintf(disp, sizeof disp, "attachment; filename=\"district-export_%s.zip\"", id);
    http_add_reply_header(r, "Content-Disposition", disp);
    return http_reply_file(r, fd, (uint64_t)sb.st_size, "application/zip", etag, "private, no-cache");
}
