/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_exports.c - export requests over HTTP (see http_exports.h).  The
 * body is JSON (jansson); every field is checked and a bad one answers 400
 * naming it; a range with no footage answers 404.  The export itself runs
 * on the export worker (export_jobs.h), never on an HTTP thread: the only
 * work here is an index lookup.
 *
 * The operator recorded in the manifest is the signed-in user; a user may
 * export only cameras they may see (others answer 404, as unknown ones),
 * and sees and downloads only their own exports (an admin: all of them).
 *
 * The videos of a finished export (or redacted copy) are served from
 * inside its zip, for the redaction editor (web/ui/redact.html): the list
 * from its manifest, and one MP4's span of the zip with Range through
 * sendfile -- nothing is extracted or copied.  Opening one (a request
 * without Range, or one from byte 0) is logged as `export_viewed`; the
 * player's further ranges are not.
 *
 * A redacted copy (POST /api/v1/exports/{id}/redact, nvr/redact/redact.h)
 * is asked of a finished export the user may see: the body, the
 * redactions document, is checked here whole (400 naming the field) and
 * the render is a job of the same queue; when it is done the access log
 * gets `export_redacted` with the request reference, per camera.
 */
#include "http/http_exports.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "export/export_jobs.h"
#include "export/export_videos.h"
#include "http/http_auth.h"
#include "core/nvr.h"
#include "redact/redact.h"
#include "storage/access_log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether the request's user may see job s: its maker, or an admin. */
static int may_see(const struct http_request *r, const struct export_job_status *s)
{
    const struct auth_user *u = http_auth_user(r);
    return u && (u->u.role == USER_ADMIN || strcmp(u->u.name, s->operator_name) == 0);
}

static int get_string(json_t *o, const char *key, char *dst, size_t n, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);
    dst[0] = '\0';
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        snprintf(err, errlen, "%s must be a string", key);
        return -1;
    }
    if (json_string_length(v) >= n) {
        snprintf(err, errlen, "%s is longer than %zu bytes", key, n - 1);
        return -1;
    }
    snprintf(dst, n, "%s", json_string_value(v));
    return 0;
}

static int parse_request(struct http_request *r, struct nvr *nvr, json_t *o, struct export_request *req, int *status,
                         char *err, size_t errlen)
{
    *status = 400;
    if (!json_is_object(o)) {
        snprintf(err, errlen, "the body must be a JSON object");
        return -1;
    }
    json_t *cams = json_object_get(o, "cameras");
    if (!json_is_array(cams) || json_array_size(cams) == 0 || json_array_size(cams) > EXPORT_MAX_CAMERAS) {
        snprintf(err, errlen, "cameras must be a list of 1 to %d camera ids", EXPORT_MAX_CAMERAS);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(cams); i++) {
        json_t *c = json_array_get(cams, i);
        const struct nvr_camera_config *cam = NULL;
        if (!json_is_string(c) || json_string_length(c) >= INDEX_ID_MAX ||
            !(cam = http_auth_camera(r, nvr, json_string_value(c)))) {
            snprintf(err, errlen, "cameras[%zu] is not a configured camera", i);
            *status = 404;
            return -1;
        }
        snprintf(req->names[req->ncameras], sizeof req->names[0], "%s", cam->name ? cam->name : "");
        snprintf(req->cameras[req->ncameras++], INDEX_ID_MAX, "%s", json_string_value(c));
    }
    static const char *const tkeys[2] = {"start", "end"};
    int64_t *tv[2] = {&req->from_us, &req->to_us};
    for (int i = 0; i < 2; i++) {
        json_t *v = json_object_get(o, tkeys[i]);
        if (!json_is_string(v) || nvr_clock_parse_rfc3339(json_string_value(v), tv[i])) {
            snprintf(err, errlen, "%s must be an RFC 3339 time, e.g. 2026-11-22T04:00:00Z", tkeys[i]);
            return -1;
        }
    }
    if (get_string(o, "reason", req->reason, sizeof req->reason, err, errlen) ||
        get_string(o, "case", req->case_id, sizeof req->case_id, err, errlen))
        return -1;
    json_t *native = json_object_get(o, "native");
    if (native && !json_is_boolean(native)) {
        snprintf(err, errlen, "native must be true or false");
        return -1;
    }
    req->native = json_is_true(native);
    json_t *burn = json_object_get(o, "burn_time");
    if (burn && !json_is_boolean(burn)) {
        snprintf(err, errlen, "burn_time must be true or false");
        return -1;
    }
    req->burn_time = json_is_true(burn);
    snprintf(req->operator_name, sizeof req->operator_name, "%s", http_auth_name(r));
    if (export_check_request(req, err, errlen))
        return -1;
    return 0;
}

http_result http_exports_create(struct http_request *r, struct nvr *nvr)
{
    size_t len;
    const char *body = http_body(r, &len);
    json_error_t jerr;
    char err[256], id[EXPORT_ID_LEN + 1];
    int status, ret;
    struct export_request *req = calloc(1, sizeof *req);
    json_t *o = NULL;
    if (!req)
        return http_reply_error(r, 500, "out of memory");
    if (!(o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr))) {
        ret = http_reply_error(r, 400, "body is not JSON: %s (line %d)", jerr.text, jerr.line);
        goto out;
    }
    if (parse_request(r, nvr, o, req, &status, err, sizeof err)) {
        ret = http_reply_error(r, status, "%s", err);
        goto out;
    }
    export_request_devices(req, nvr->cfg->data_dir);
    int has = export_has_footage(storage_index_reader(nvr->st), req);
    if (has < 0) {
        ret = http_reply_error(r, 500, "index error");
        goto out;
    }
    if (has == 0) {
        ret = http_reply_error(r, 404, "no recordings in that range");
        goto out;
    }
    int rc = export_jobs_submit(nvr->exports, req, id);
    if (rc) {
        ret = http_reply_error(r, 503, "cannot queue the export: %s", nvr_strerror(rc));
        goto out;
    }
    for (size_t i = 0; i < req->ncameras; i++)
        http_auth_log(r, nvr, "export_created", req->cameras[i], "export=%s", id);
    struct export_job_status s;
    struct http_body b;
    if (export_jobs_get(nvr->exports, id, &s) || http_body_open(&b)) {
        ret = http_reply_error(r, 500, "out of memory");
        goto out;
    }
    export_jobs_write_status(b.f, &s);
    fputc('\n', b.f);
    ret = http_body_send(r, &b, 202, "application/json", "no-store");
out:
    json_decref(o);
    free(req);
    return ret;
}

http_result http_exports_list(struct http_request *r, struct nvr *nvr)
{
    struct http_body b;
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    const struct auth_user *u = http_auth_user(r);
    export_jobs_write_list(nvr->exports, b.f, u && u->u.role == USER_ADMIN ? NULL : http_auth_name(r));
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

http_result http_exports_get(struct http_request *r, struct nvr *nvr)
{
    struct export_job_status s;
    struct http_body b;
    const char *id = http_param(r, 0);
    if (!export_jobs_valid_id(id) || export_jobs_get(nvr->exports, id, &s) || !may_see(r, &s))
        return http_reply_error(r, 404, "no such export");
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    export_jobs_write_status(b.f, &s);
    fputc('\n', b.f);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

http_result http_exports_download(struct http_request *r, struct nvr *nvr)
{
    struct export_job_status s;
    char path[4200];
    const char *id = http_param(r, 0);
    struct stat sb;
    if (!export_jobs_valid_id(id) || export_jobs_get(nvr->exports, id, &s) || !may_see(r, &s))
        return http_reply_error(r, 404, "no such export");
    if (s.state != EXPORT_DONE)
        return http_reply_error(r, 409, "the export is %s", s.state == EXPORT_FAILED ? "failed" : "not finished");
    http_auth_log(r, nvr, "export_downloaded", NULL, "export=%s", id);
    if (export_jobs_zip_path(nvr->exports, id, path, sizeof path))
        return http_reply_error(r, 404, "no such export");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return http_reply_error(r, errno == ENOENT ? 404 : 500, "export file unavailable");
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return http_reply_error(r, 500, "export file unavailable");
    }
    char etag[EXPORT_ID_LEN + 3], disp[EXPORT_DOWNLOAD_NAME_MAX + 32];
    snprintf(etag, sizeof etag, "\"%s\"", id); /* an export never changes */
    /* the cameras' names and ids and the start (export_names.h: only a-z, 0-9, "_+-.") */
    snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", s.download_name);
    http_add_reply_header(r, "Content-Disposition", disp);
    return http_reply_file(r, fd, (uint64_t)sb.st_size, "application/zip", etag, "private, no-cache");
}

/* ---- the videos inside a finished export ---- */

/* Looks up job id for the request: the zip's path into path, and its status
 * into s.  An answer already made (404/409) when it returns non-zero. */
static int done_job(struct http_request *r, struct nvr *nvr, struct export_job_status *s, char *path, size_t n,
                    http_result *ret)
{
    const char *id = http_param(r, 0);
    if (!export_jobs_valid_id(id) || export_jobs_get(nvr->exports, id, s) || !may_see(r, s) ||
        export_jobs_zip_path(nvr->exports, id, path, n)) {
        *ret = http_reply_error(r, 404, "no such export");
        return -1;
    }
    if (s->state != EXPORT_DONE) {
        *ret = http_reply_error(r, 409, "the export is %s", s->state == EXPORT_FAILED ? "failed" : "not finished");
        return -1;
    }
    return 0;
}

http_result http_exports_videos(struct http_request *r, struct nvr *nvr)
{
    struct export_job_status s;
    char path[4200];
    http_result ret;
    size_t n;
    struct http_body b;
    if (done_job(r, nvr, &s, path, sizeof path, &ret))
        return ret;
    struct export_video *v = calloc(EXPORT_VIDEOS_MAX, sizeof *v);
    if (!v)
        return http_reply_error(r, 500, "out of memory");
    int rc = export_videos_list(path, v, EXPORT_VIDEOS_MAX, &n);
    if (rc || http_body_open(&b)) {
        free(v);
        return http_reply_error(r, 500, "cannot read the export's manifest: %s", nvr_strerror(rc));
    }
    fputs("{\"id\":", b.f);
    json_write_string(b.f, s.id);
    fputs(",\"redacted_from\":", b.f);
    if (s.redacted_from[0])
        json_write_string(b.f, s.redacted_from);
    else
        fputs("null", b.f);
    fputs(",\"videos\":[", b.f);
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (v[i].derivative)
            continue; /* a burn-time copy: the editor shows the evidence itself */
        fputs(first ? "{\"camera\":" : ",{\"camera\":", b.f);
        first = 0;
        json_write_string(b.f, v[i].camera);
        fputs(",\"camera_name\":", b.f);
        json_write_string(b.f, v[i].camera_name);
        fprintf(b.f, ",\"part\":%d,\"name\":", v[i].part);
        json_write_string(b.f, v[i].name);
        fputs(",\"first_frame\":", b.f);
        json_write_time(b.f, v[i].first_us);
        fputs(",\"end\":", b.f);
        json_write_time(b.f, v[i].end_us);
        fprintf(b.f, ",\"duration\":%.6f,\"url\":\"/api/v1/exports/%s/video?camera=", v[i].duration, s.id);
        for (const char *c = v[i].camera; *c; c++) /* ids are [a-z0-9_-]; anything else percent-encoded */
            if ((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-')
                fputc(*c, b.f);
            else
                fprintf(b.f, "%%%02X", (unsigned char)*c);
        fprintf(b.f, "&part=%d\"}", v[i].part);
    }
    fputs("]}\n", b.f);
    free(v);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

http_result http_exports_video(struct http_request *r, struct nvr *nvr)
{
    struct export_job_status s;
    char path[4200];
    http_result ret;
    size_t n;
    const char *cam = http_query(r, "camera"), *part_q = http_query(r, "part");
    long part = 1;
    if (!cam || !*cam)
        return http_reply_error(r, 400, "camera is required");
    if (part_q) {
        char *end;
        part = strtol(part_q, &end, 10);
        if (*end || part < 1 || part > EXPORT_VIDEOS_MAX)
            return http_reply_error(r, 400, "part must be a number from 1");
    }
    if (done_job(r, nvr, &s, path, sizeof path, &ret))
        return ret;
    struct export_video *v = calloc(EXPORT_VIDEOS_MAX, sizeof *v);
    if (!v)
        return http_reply_error(r, 500, "out of memory");
    int rc = export_videos_list(path, v, EXPORT_VIDEOS_MAX, &n);
    const struct export_video *hit = NULL;
    for (size_t i = 0; !rc && i < n && !hit; i++)
        if (!v[i].derivative && v[i].part == part && strcmp(v[i].camera, cam) == 0)
            hit = &v[i];
    char name[sizeof v->name], etag[EXPORT_ID_LEN + 16];
    snprintf(name, sizeof name, "%s", hit ? hit->name : "");
    free(v);
    if (rc)
        return http_reply_error(r, 500, "cannot read the export's manifest: %s", nvr_strerror(rc));
    if (!hit)
        return http_reply_error(r, 404, "no such video in this export");
    uint64_t off, size;
    if ((rc = export_videos_span(path, name, &off, &size)))
        return http_reply_error(r, rc == NVR_ENOTFOUND ? 404 : 500, "the video is unavailable: %s", nvr_strerror(rc));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return http_reply_error(r, errno == ENOENT ? 404 : 500, "export file unavailable");
    const char *range = http_header(r, "Range");
    if (!http_is_head(r) && (!range || strncmp(range, "bytes=0-", 8) == 0))
        http_auth_log(r, nvr, "export_viewed", cam, "export=%s file=%.200s", s.id, name);
    snprintf(etag, sizeof etag, "\"%s-%ld\"", s.id, part); /* an export never changes */
    return http_reply_file_at(r, fd, off, size, "video/mp4", etag, "private, no-cache");
}

/* ---- redacted copies ---- */

struct redact_job {
    struct redact_doc *doc;
    struct redact_request req;
    char original[4200]; /* the original's zip */
    char address[64];    /* who asked, from where: for the access log */
};

static void redact_job_free(void *arg)
{
    struct redact_job *rj = arg;
    if (!rj)
        return;
    redact_doc_free(&rj->doc);
    free(rj);
}

static nvr_err redact_job_run(void *arg, const char *id, struct storage *st, const struct sign_key *key,
                              const char *out_path, export_progress_fn progress, void *progress_arg,
                              uint64_t *zip_bytes, char *err, size_t errlen)
{
    struct redact_job *rj = arg;
    struct redact_result res;
    snprintf(rj->req.ref, sizeof rj->req.ref, "%s", id);
    int rc = redact_run(key, rj->original, rj->doc, &rj->req, out_path, progress, progress_arg, &res, err, errlen);
    if (rc)
        return rc;
    *zip_bytes = res.zip_bytes;
    char detail[ACCESS_TEXT_MAX], cams[sizeof res.cameras];
    redact_log_detail(&rj->req, &res, detail, sizeof detail);
    snprintf(cams, sizeof cams, "%s", res.cameras);
    int64_t now = nvr_clock_now_us();
    for (char *save = NULL, *c = strtok_r(cams, ",", &save); c; c = strtok_r(NULL, ",", &save))
        access_log_append(storage_index(st), now, rj->req.operator_name, rj->address, "export_redacted", c, detail);
    return NVR_OK;
}

/* ?request= and ?requester= into dst (at most n - 1 bytes, UTF-8). */
static int query_text(struct http_request *r, const char *key, char *dst, size_t n, char *err, size_t errlen)
{
    const char *v = http_query(r, key);
    dst[0] = '\0';
    if (!v)
        return 0;
    if (strlen(v) >= n) {
        snprintf(err, errlen, "%s is longer than %zu bytes", key, n - 1);
        return -1;
    }
    snprintf(dst, n, "%s", v);
    return 0;
}

http_result http_exports_redact(struct http_request *r, struct nvr *nvr)
{
    struct export_job_status s, info;
    const char *id = http_param(r, 0);
    size_t len;
    const char *body = http_body(r, &len);
    char err[256], nid[EXPORT_ID_LEN + 1];
    struct http_body b;
    if (!export_jobs_valid_id(id) || export_jobs_get(nvr->exports, id, &s) || !may_see(r, &s))
        return http_reply_error(r, 404, "no such export");
    if (s.state != EXPORT_DONE)
        return http_reply_error(r, 409, "the export is %s", s.state == EXPORT_FAILED ? "failed" : "not finished");
    if (s.redacted_from[0])
        return http_reply_error(r, 409, "this is a redacted copy; redact the original export %s", s.redacted_from);
    if (len > REDACT_DOC_MAX_BODY)
        return http_reply_error(r, 413, "the redactions document is larger than %d bytes", REDACT_DOC_MAX_BODY);
    struct redact_job *rj = calloc(1, sizeof *rj);
    if (!rj)
        return http_reply_error(r, 500, "out of memory");
    if (redact_doc_parse(body ? body : "", len, &rj->doc, err, sizeof err) ||
        query_text(r, "request", rj->req.request_number, sizeof rj->req.request_number, err, sizeof err) ||
        query_text(r, "requester", rj->req.requester, sizeof rj->req.requester, err, sizeof err)) {
        redact_job_free(rj);
        return http_reply_error(r, 400, "%s", err);
    }
    snprintf(rj->req.operator_name, sizeof rj->req.operator_name, "%s", http_auth_name(r));
    snprintf(rj->address, sizeof rj->address, "%s", http_client_address(r));
    if (redact_check_request(&rj->req, err, sizeof err) ||
        export_jobs_zip_path(nvr->exports, id, rj->original, sizeof rj->original)) {
        redact_job_free(rj);
        return http_reply_error(r, 400, "%s", err);
    }
    info = s;
    snprintf(info.operator_name, sizeof info.operator_name, "%s", rj->req.operator_name);
    snprintf(info.reason, sizeof info.reason, "redacted copy for records request %.200s",
             rj->req.request_number[0] ? rj->req.request_number : "(no number)");
    snprintf(info.redacted_from, sizeof info.redacted_from, "%s", id);
    export_jobs_redacted_name(info.download_name);
    char number[REDACT_TEXT_MAX];
    snprintf(number, sizeof number, "%s", rj->req.request_number);
    int rc = export_jobs_submit_fn(nvr->exports, &info, redact_job_run, redact_job_free, rj, nid);
    if (rc)
        return http_reply_error(r, 503, "cannot queue the redaction: %s", nvr_strerror(rc));
    http_auth_log(r, nvr, "export_redaction_requested", NULL, "redacted=%s of=%s request=%.120s", nid, id, number);
    if (export_jobs_get(nvr->exports, nid, &s) || http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    export_jobs_write_status(b.f, &s);
    fputc('\n', b.f);
    return http_body_send(r, &b, 202, "application/json", "no-store");
}
