/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_holds.c - evidence holds and the storage report over HTTP (see
 * http_holds.h).  Request bodies are JSON parsed with jansson; every field
 * is checked (type, camera configured, RFC 3339 times, end after start) and
 * a bad one answers 400 naming it.  Holds are written through the writers'
 * index connection (a hold must be seen by retention's next transaction);
 * reads use the reader connection.
 *
 * The operator recorded is the signed-in user; a user sees, makes and
 * releases only holds all of whose cameras they may see (a hold on one
 * granted and one hidden camera is neither listed nor releasable: it would
 * name the hidden camera, and releasing it would lift protection from
 * footage the user may not see).
 */
#include "http/http_holds.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "http/http_auth.h"
#include "http/http_json.h"
#include "core/nvr.h"
#include "storage/holds.h"
#include "storage/archive.h"
#include "storage/retention.h"
#include "storage/storage.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void write_time_or_null(FILE *f, int64_t us, int present)
{
    if (present)
        json_write_time(f, us);
    else
        fputs("null", f);
}

static http_result reply_hold(struct http_request *r, unsigned status, const struct hold *h)
{
    struct http_body b;
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    holds_write_json(b.f, h);
    fputc('\n', b.f);
    return http_body_send(r, &b, status, "application/json", "no-store");
}

/* A hold is shown to (and released by) a user who may see every one of its
 * cameras (admins: every hold, also of cameras since removed); any other
 * hold answers like one that does not exist. */
static int hold_visible(const struct http_request *r, const struct nvr *nvr, const struct hold *h)
{
    const struct auth_user *u = http_auth_user(r);
    if (u && u->u.role == USER_ADMIN)
        return 1;
    for (size_t i = 0; i < h->ncameras; i++)
        if (!http_auth_camera(r, nvr, h->cameras[i]))
            return 0;
    return h->ncameras > 0;
}

http_result http_holds_list(struct http_request *r, struct nvr *nvr)
{
    struct hold *v = NULL;
    size_t n = 0;
    const char *all = http_query(r, "all");
    int with_released = all && (strcmp(all, "1") == 0 || strcmp(all, "true") == 0);
    if (all && !with_released && strcmp(all, "0") != 0 && strcmp(all, "false") != 0)
        return http_reply_error(r, 400, "all must be true or false");
    int rc = holds_list(storage_index_reader(nvr->st), with_released, &v, &n);
    if (rc)
        return http_reply_error(r, 500, "cannot read holds: %s", nvr_strerror(rc));
    struct http_body b;
    if (http_body_open(&b)) {
        free(v);
        return http_reply_error(r, 500, "out of memory");
    }
    fputs("{\"holds\":[", b.f);
    for (size_t i = 0, k = 0; i < n; i++) {
        if (!hold_visible(r, nvr, &v[i]))
            continue;
        if (k++)
            fputc(',', b.f);
        holds_write_json(b.f, &v[i]);
    }
    fputs("]}\n", b.f);
    free(v);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

/* Fills h from the request body; -1 with err on a bad field. */
static int parse_hold(struct http_request *r, struct nvr *nvr, json_t *o, struct hold *h, char *err, size_t errlen)
{
    json_t *cams = json_object_get(o, "cameras");
    if (!json_is_array(cams) || json_array_size(cams) == 0 || json_array_size(cams) > HOLD_CAMERAS_MAX) {
        snprintf(err, errlen, "cameras must be a list of 1 to %d camera ids", HOLD_CAMERAS_MAX);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(cams); i++) {
        json_t *c = json_array_get(cams, i);
        if (!json_is_string(c) || !http_auth_camera(r, nvr, json_string_value(c))) {
            snprintf(err, errlen, "cameras[%zu] is not a configured camera", i);
            return -1;
        }
        snprintf(h->cameras[h->ncameras++], INDEX_ID_MAX, "%s", json_string_value(c));
    }
    if (http_json_time(o, "start", &h->start_us, err, errlen) || http_json_time(o, "end", &h->end_us, err, errlen))
        return -1;
    if (h->end_us <= h->start_us) {
        snprintf(err, errlen, "end must be after start");
        return -1;
    }
    if (http_json_text(o, "reason", 1, h->reason, sizeof h->reason, err, errlen) ||
        http_json_text(o, "case", 0, h->case_id, sizeof h->case_id, err, errlen))
        return -1;
    return 0;
}

http_result http_holds_create(struct http_request *r, struct nvr *nvr)
{
    char err[160];
    http_result ret;
    struct hold *h = calloc(1, sizeof *h);
    if (!h)
        return http_reply_error(r, 500, "out of memory");
    json_t *o = http_json_body(r, &ret);
    if (!o)
        goto out;
    if (parse_hold(r, nvr, o, h, err, sizeof err)) {
        ret = http_reply_error(r, 400, "%s", err);
        goto out;
    }
    snprintf(h->created_by, sizeof h->created_by, "%s", http_auth_name(r));
    h->created_us = nvr_clock_now_us();
    int rc = holds_add(storage_index(nvr->st), h);
    if (rc) {
        ret = http_reply_error(r, 500, "cannot store the hold: %s", nvr_strerror(rc));
        goto out;
    }
    nvr_log(NVR_INFO, NULL, "hold created id=%lld cameras=%zu by=%s", (long long)h->id, h->ncameras, h->created_by);
    for (size_t i = 0; i < h->ncameras; i++)
        http_auth_log(r, nvr, "hold_created", h->cameras[i], "hold=%lld case=%s", (long long)h->id, h->case_id);
    ret = reply_hold(r, 201, h);
out:
    json_decref(o);
    free(h);
    return ret;
}

/* The {id} parameter as a hold id; -1 if it is not a positive integer. */
static int64_t hold_id(struct http_request *r)
{
    const char *s = http_param(r, 0);
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v <= 0 || s[0] == '+')
        return -1;
    return v;
}

http_result http_holds_get(struct http_request *r, struct nvr *nvr)
{
    int64_t id = hold_id(r);
    if (id < 0)
        return http_reply_error(r, 400, "a hold id is a positive integer");
    struct hold *h = calloc(1, sizeof *h);
    if (!h)
        return http_reply_error(r, 500, "out of memory");
    int rc = holds_get(storage_index_reader(nvr->st), id, h);
    if (rc == NVR_OK && !hold_visible(r, nvr, h))
        rc = NVR_ENOTFOUND;
    http_result ret = rc == NVR_ENOTFOUND ? http_reply_error(r, 404, "no such hold")
                      : rc                ? http_reply_error(r, 500, "cannot read the hold: %s", nvr_strerror(rc))
                                          : reply_hold(r, 200, h);
    free(h);
    return ret;
}

http_result http_holds_release(struct http_request *r, struct nvr *nvr)
{
    int64_t id = hold_id(r);
    if (id < 0)
        return http_reply_error(r, 400, "a hold id is a positive integer");
    struct hold *h = calloc(1, sizeof *h);
    if (!h)
        return http_reply_error(r, 500, "out of memory");
    http_result ret;
    int rc = holds_get(storage_index(nvr->st), id, h);
    if (rc == NVR_OK && !hold_visible(r, nvr, h))
        rc = NVR_ENOTFOUND;
    if (rc == NVR_OK && h->export_pid && !h->released_us) {
        free(h);
        return http_reply_error(r, 409, "this hold belongs to an export in progress; it ends with the export");
    }
    if (rc == NVR_OK)
        rc = holds_release(storage_index(nvr->st), id, http_auth_name(r), nvr_clock_now_us());
    if (rc == NVR_ENOTFOUND)
        ret = http_reply_error(r, 404, "no active hold with that id");
    else if (rc || (rc = holds_get(storage_index(nvr->st), id, h)))
        ret = http_reply_error(r, 500, "cannot release the hold: %s", nvr_strerror(rc));
    else {
        nvr_log(NVR_INFO, NULL, "hold released id=%lld by=%s", (long long)id, http_auth_name(r));
        for (size_t i = 0; i < h->ncameras; i++)
            http_auth_log(r, nvr, "hold_released", h->cameras[i], "hold=%lld", (long long)id);
        ret = reply_hold(r, 200, h);
    }
    free(h);
    return ret;
}

static const char *state_name(enum retention_state s)
{
    switch (s) {
    case RETENTION_OK: return "ok";
    case RETENTION_HELD_FULL: return "held_full";
    case RETENTION_ERROR: return "error";
    }
    return "error";
}

/* A number, or null when the disk does not report it (-1). */
static void num_or_null(FILE *f, const char *key, int64_t v)
{
    fprintf(f, ",\"%s\":", key);
    if (v < 0)
        fputs("null", f);
    else
        fprintf(f, "%lld", (long long)v);
}

/* ,"smart":{...} of a dir's disk (disk_smart.h). */
static void write_smart(FILE *f, const struct disk_smart *s)
{
    fputs(",\"smart\":{\"device\":", f);
    json_write_string(f, s->device);
    fprintf(f, ",\"available\":%s,\"passed\":", s->available ? "true" : "false");
    fputs(s->available ? (s->passed ? "true" : "false") : "null", f);
    num_or_null(f, "temperature_c", s->temperature_c);
    num_or_null(f, "power_on_hours", s->power_on_hours);
    num_or_null(f, "reallocated_sectors", s->reallocated);
    num_or_null(f, "pending_sectors", s->pending);
    num_or_null(f, "uncorrectable_sectors", s->uncorrectable);
    num_or_null(f, "media_errors", s->media_errors);
    num_or_null(f, "percentage_used", s->percentage_used);
    fputs(",\"message\":", f);
    json_write_string(f, s->checked_us ? s->message : "not read yet");
    fputs(",\"checked\":", f);
    write_time_or_null(f, s->checked_us, s->checked_us != 0);
    fputc('}', f);
}

/* The storage dirs (storage.h): where footage lives, which disks work. */
static void write_dirs(FILE *f, struct nvr *nvr)
{
    struct storage_dir_status *v = NULL;
    size_t n = 0;
    fputc('[', f);
    if (storage_dirs_status(nvr->st, 1, &v, &n) == NVR_OK) {
        for (size_t i = 0; i < n; i++) {
            const struct storage_dir_status *d = &v[i];
            fprintf(f, "%s{\"id\":%lld,\"path\":", i ? "," : "", (long long)d->id);
            json_write_string(f, d->path);
            fprintf(f, ",\"data_dir\":%s,\"writable\":%s,\"state\":\"%s\",\"since\":", d->id == 0 ? "true" : "false",
                    d->writable ? "true" : "false", storage_dir_state_name(d->state));
            write_time_or_null(f, d->since_us, d->since_us != 0);
            fputs(",\"reason\":", f);
            json_write_string(f, d->reason);
            fprintf(f,
                    ",\"fs_size_bytes\":%llu,\"fs_avail_bytes\":%llu,\"write_latency_ms\":%.1f,"
                    "\"open_segments\":%d,\"segments\":%lld,\"bytes\":%llu,\"held_segments\":%lld",
                    (unsigned long long)d->fs_size, (unsigned long long)d->fs_avail,
                    d->latency_us < 0 ? -1.0 : d->latency_us / 1000.0, d->open_segments, (long long)d->usage.segments,
                    (unsigned long long)d->usage.bytes, (long long)d->usage.held);
            write_smart(f, &d->smart);
            fputc('}', f);
        }
        free(v);
    }
    fputc(']', f);
}

http_result http_storage_status(struct http_request *r, struct nvr *nvr)
{
    struct retention_status s;
    struct http_body b;
    retention_get_status(nvr->ret, &s);
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    fputs("{\"state\":", b.f);
    json_write_string(b.f, state_name(s.state));
    fputs(",\"message\":", b.f);
    json_write_string(b.f, s.message);
    fprintf(b.f,
            ",\"used_bytes\":%llu,\"max_bytes\":%llu,\"fs_size_bytes\":%llu,\"fs_avail_bytes\":%llu,"
            "\"min_free_bytes\":%llu,\"deleted_segments\":%llu,\"deleted_bytes\":%llu,\"last_pass\":",
            (unsigned long long)s.used_bytes, (unsigned long long)s.max_bytes, (unsigned long long)s.fs_size,
            (unsigned long long)s.fs_avail, (unsigned long long)s.min_free, (unsigned long long)s.deleted_segments,
            (unsigned long long)s.deleted_bytes);
    write_time_or_null(b.f, s.last_pass_us, s.last_pass_us != 0);
    fputs(",\"cameras\":[", b.f);
    for (size_t i = 0, n = 0, ns = cameras_slots(nvr->cams); i < ns; i++) {
        const struct camera *c = cameras_at(nvr->cams, i);
        if (!c)
            continue;
        const struct nvr_camera_config *cam = &c->cfg;
        struct retention_estimate e;
        uint64_t held = 0;
        retention_estimate(nvr->ret, storage_index_reader(nvr->st), cam->id, &e);
        holds_held_bytes(storage_index_reader(nvr->st), cam->id, &held);
        if (n++)
            fputc(',', b.f);
        fputs("{\"id\":", b.f);
        json_write_string(b.f, cam->id);
        fprintf(b.f, ",\"bytes\":%llu,\"held_bytes\":%llu,\"bytes_per_day\":%.0f,\"retain_days\":%d,\"oldest\":",
                (unsigned long long)e.bytes, (unsigned long long)held, e.bytes_per_day, cam->retain_days);
        write_time_or_null(b.f, e.oldest_us, e.oldest_us != INT64_MIN);
        fputs(",\"days_estimate\":", b.f);
        if (e.days >= 0)
            fprintf(b.f, "%.1f", e.days);
        else
            fputs("null", b.f);
        fputc('}', b.f);
    }
    fputs("],\"dirs\":", b.f);
    write_dirs(b.f, nvr);
    struct archive_status a;
    archive_get_status(nvr->archive, &a);
    fputs(",\"archive\":", b.f);
    if (!a.configured) {
        fputs("null", b.f);
    } else {
        fputs("{\"url\":", b.f);
        json_write_string(b.f, a.url);
        fprintf(b.f, ",\"ok\":%s,\"last_error\":", a.ok ? "true" : "false");
        json_write_string(b.f, a.last_error);
        fprintf(b.f, ",\"uploaded\":%llu,\"uploaded_bytes\":%llu,\"last_upload\":", (unsigned long long)a.uploaded,
                (unsigned long long)a.uploaded_bytes);
        write_time_or_null(b.f, a.last_upload_us, a.last_upload_us != 0);
        fprintf(b.f, ",\"upload_bytes_per_second\":%.0f}", a.upload_bytes_per_s);
    }
    fputs("}\n", b.f);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

void http_storage_write_metrics(struct nvr *nvr, FILE *f)
{
    struct retention_status s;
    retention_get_status(nvr->ret, &s);
    fprintf(f,
            "# HELP nvr_storage_used_bytes Footage stored, all cameras.\n# TYPE nvr_storage_used_bytes gauge\n"
            "nvr_storage_used_bytes %llu\n"
            "# HELP nvr_storage_fs_avail_bytes Free space on the file system of data_dir.\n"
            "# TYPE nvr_storage_fs_avail_bytes gauge\nnvr_storage_fs_avail_bytes %llu\n"
            "# HELP nvr_retention_deleted_bytes_total Footage deleted by retention.\n"
            "# TYPE nvr_retention_deleted_bytes_total counter\nnvr_retention_deleted_bytes_total %llu\n"
            "# HELP nvr_storage_held_full 1 when the limits are exceeded and only held footage is left.\n"
            "# TYPE nvr_storage_held_full gauge\nnvr_storage_held_full %d\n",
            (unsigned long long)s.used_bytes, (unsigned long long)s.fs_avail, (unsigned long long)s.deleted_bytes,
            s.state == RETENTION_HELD_FULL);
    struct storage_dir_status *v = NULL;
    size_t n = 0;
    if (storage_dirs_status(nvr->st, 0, &v, &n))
        return;
    fputs("# HELP nvr_storage_dir_ok 1 while the storage dir works (0: read-only or offline).\n"
          "# TYPE nvr_storage_dir_ok gauge\n",
          f);
    for (size_t i = 0; i < n; i++) {
        fputs("nvr_storage_dir_ok{dir=", f);
        json_write_string(f, v[i].path);
        fprintf(f, "} %d\n", v[i].state == STORAGE_DIR_OK);
    }
    fputs("# HELP nvr_storage_dir_avail_bytes Free space on the storage dir's file system.\n"
          "# TYPE nvr_storage_dir_avail_bytes gauge\n",
          f);
    for (size_t i = 0; i < n; i++) {
        fputs("nvr_storage_dir_avail_bytes{dir=", f);
        json_write_string(f, v[i].path);
        fprintf(f, "} %llu\n", (unsigned long long)v[i].fs_avail);
    }
    fputs(
        "# HELP nvr_storage_dir_smart_passed The disk's SMART assessment (1 passed, 0 failing; absent without SMART).\n"
        "# TYPE nvr_storage_dir_smart_passed gauge\n",
        f);
    for (size_t i = 0; i < n; i++) {
        if (!v[i].smart.available)
            continue;
        fputs("nvr_storage_dir_smart_passed{dir=", f);
        json_write_string(f, v[i].path);
        fprintf(f, "} %d\n", v[i].smart.passed);
    }
    fputs("# HELP nvr_storage_dir_write_latency_seconds The last probe's 4 KiB write and fdatasync.\n"
          "# TYPE nvr_storage_dir_write_latency_seconds gauge\n",
          f);
    for (size_t i = 0; i < n; i++) {
        if (v[i].latency_us < 0)
            continue;
        fputs("nvr_storage_dir_write_latency_seconds{dir=", f);
        json_write_string(f, v[i].path);
        fprintf(f, "} %.6f\n", v[i].latency_us / 1e6);
    }
    free(v);
    struct archive_status a;
    archive_get_status(nvr->archive, &a);
    if (a.configured)
        fprintf(f,
                "# HELP nvr_archive_ok 1 while the archive tier's last request succeeded.\n"
                "# TYPE nvr_archive_ok gauge\nnvr_archive_ok %d\n"
                "# HELP nvr_archive_uploaded_bytes_total Footage moved to the archive tier since start.\n"
                "# TYPE nvr_archive_uploaded_bytes_total counter\nnvr_archive_uploaded_bytes_total %llu\n",
                a.ok, (unsigned long long)a.uploaded_bytes);
}
