/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_api.c - handlers of the JSON API, the HLS playback route, segment
 * bytes and /metrics (see docs/ref/http-api.md).
 *
 * Every malformed input answers a 4xx with {"error": ...}: unknown camera
 * (404), bad or missing times, end not after start, ranges longer than the
 * route allows (400), unknown segment or one of another camera (404).  Camera
 * ids are only ever looked up in the config, so no path or SQL is built from
 * request text.
 */
#include "http/http_api.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "base/url.h"
#include "playback/coverage.h"
#include "playback/hls.h"
#include "http/http_auth.h"
#include "http/http_oidc.h"
#include "http/http_bookmarks.h"
#include "http/http_cameras.h"
#include "http/http_discover.h"
#include "http/http_onvif.h"
#include "http/http_audit.h"
#include "http/http_exports.h"
#include "http/http_alerts.h"
#include "http/http_holds.h"
#include "http/http_motion.h"
#include "http/http_sign.h"
#include "http/http_static.h"
#include "http/http_totp.h"
#include "http/live_api.h"
#include "core/nvr.h"
#include "playback/rendition.h"
#include "http/rendition_api.h"
#include "catalog/catalog.h"
#include "catalog/catalog_dir.h"
#include "version.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct recorder *nvr_recorder(const struct nvr *nvr, const char *camera, const struct nvr_camera_config **cam)
{
    const struct camera *c = camera ? cameras_find(nvr->cams, camera) : NULL;
    if (c && cam)
        *cam = &c->cfg;
    return c ? c->rec : NULL;
}

/* Appends one reason to buf (n bytes, *len used), "; "-separated. */
static void reason_add(char *buf, size_t n, size_t *len, int *count, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void reason_add(char *buf, size_t n, size_t *len, int *count, const char *fmt, ...)
{
    va_list ap;
    int k = *len < n ? snprintf(buf + *len, n - *len, "%s", *count ? "; " : "") : 0;
    *len += k > 0 ? (size_t)k : 0;
    if (*len < n) {
        va_start(ap, fmt);
        k = vsnprintf(buf + *len, n - *len, fmt, ap);
        va_end(ap);
        *len += k > 0 ? (size_t)k : 0;
    }
    if (*len >= n)
        *len = n - 1;
    (*count)++;
}

/* Why the server is degraded, "; "-separated into buf ("" if it is not):
 * a damaged index set aside (the older footage is not indexed until a
 * rebuild), a camera whose recordings cannot be written (write_ok, see
 * recorder.c: it clears by itself at the next successful write), a failed
 * retention pass.  Returns the number of reasons. */
static int health_reasons(struct nvr *nvr, const struct retention_status *rs, char *buf, size_t n)
{
    int count = 0;
    size_t len = 0;
    buf[0] = '\0';
    const char *damage = storage_damage(nvr->st);
    if (damage)
        reason_add(buf, n, &len, &count, "%s", damage);
    for (size_t i = 0, ns = cameras_slots(nvr->cams); i < ns; i++) {
        const struct camera *c = cameras_at(nvr->cams, i);
        struct recorder_stats s;
        if (!c || !c->cfg.enabled)
            continue;
        recorder_get_stats(c->rec, &s);
        if (!s.write_ok)
            reason_add(buf, n, &len, &count, "camera %s: %s", c->cfg.id,
                       s.write_error[0] ? s.write_error : "cannot write recordings");
    }
    if (rs->state == RETENTION_ERROR)
        reason_add(buf, n, &len, &count, "storage: %s", rs->message[0] ? rs->message : "retention failed");
    struct storage_dir_status *v = NULL;
    size_t nd = 0;
    if (storage_dirs_status(nvr->st, 0, &v, &nd) == NVR_OK) {
        for (size_t i = 0; i < nd; i++) {
            char since[NVR_TIME_BUFSZ];
            if (v[i].state == STORAGE_DIR_OK)
                continue;
            nvr_clock_format_rfc3339(v[i].since_us, since);
            reason_add(buf, n, &len, &count, "storage dir %s %s since %s: %s", v[i].path,
                       storage_dir_state_name(v[i].state), since, v[i].reason);
        }
        free(v);
    }
    return count;
}

static http_result h_health(struct http_request *r, struct nvr *nvr)
{
    struct http_body b;
    char reason[1024];
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    struct retention_status rs;
    retention_get_status(nvr->ret, &rs);
    /* degraded: the server answers, but something needs a person */
    int degraded = health_reasons(nvr, &rs, reason, sizeof reason) > 0;
    fprintf(b.f, "{\"status\":\"%s\",", degraded ? "degraded" : "ok");
    if (degraded) {
        fputs("\"reason\":", b.f);
        json_write_string(b.f, reason);
        fputc(',', b.f);
    }
    fputs("\"version\":", b.f);
    json_write_string(b.f, NVR_VERSION);
    /* the storage condition, so a monitor sees a disk full of held footage */
    fprintf(b.f, ",\"storage\":\"%s\"",
            rs.state == RETENTION_OK          ? "ok"
            : rs.state == RETENTION_HELD_FULL ? "held_full"
                                              : "error");
    /* the district catalog: off (none configured), ok (the last publish
     * went through) or down (it is being retried; recording goes on) */
    struct catalog_status cs;
    catalog_status(nvr->catalog, &cs);
    fprintf(b.f, ",\"catalog\":\"%s\"}\n", !nvr->catalog ? "off" : cs.connected ? "ok" : "down");
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

/* One CAMERA object (docs/ref/http-api.md): the id, every setting of the
 * table in its order (base/camera_config.h: URLs redacted), then what the
 * recorder reports. */
static void write_camera(struct json_w *w, const struct camera *c)
{
    struct recorder *rec = c->rec;
    struct recorder_stats s;
    recorder_get_stats(rec, &s);
    json_w_object(w, NULL);
    json_w_string(w, "id", c->cfg.id);
    nvr_camera_config_write_json(w, &c->cfg);
    json_w_string(w, "status", recorder_status_name(s.status));
    json_w_string(w, "source", c->source == CAMERA_FILE ? "file" : "api");
    if (s.codec[0]) {
        char mime[96];
        live_hub_mime(recorder_live(rec, 0), mime, sizeof mime);
        json_w_object(w, "video");
        json_w_string(w, "codec", s.codec);
        json_w_int(w, "width", s.width);
        json_w_int(w, "height", s.height);
        json_w_fixed(w, "fps", s.fps, 2);
        json_w_string(w, "mime", mime[0] ? mime : NULL);
        json_w_end_object(w);
    } else {
        json_w_null(w, "video");
    }
    json_w_string(w, "audio_status", s.audio[0] ? s.audio : NULL);
    /* what times the video: its own timestamps, or its arrival (chaotic ones, time.md T7) */
    json_w_string(w, "timestamps", s.timestamps_arrival ? "arrival" : "camera");
    json_w_bool(w, "write_ok", s.write_ok);
    json_w_string(w, "write_error", s.write_ok ? NULL : s.write_error);
    json_w_string(w, "last_error", s.last_error[0] ? s.last_error : NULL);
    json_w_object(w, "stats");
    json_w_uint(w, "bytes_received", s.bytes_received);
    json_w_uint(w, "frames", s.frames);
    json_w_uint(w, "reconnects", s.reconnects);
    json_w_uint(w, "dropped", s.dropped);
    json_w_uint(w, "segments", s.segments);
    json_w_uint(w, "timestamp_jumps", s.timestamp_jumps);
    json_w_end_object(w);
    json_w_end_object(w);
}

static http_result h_cameras(struct http_request *r, struct nvr *nvr)
{
    struct http_body b;
    struct json_w w;
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    json_w_init(&w, b.f);
    json_w_object(&w, NULL);
    json_w_array(&w, "cameras");
    for (size_t i = 0, ns = cameras_slots(nvr->cams); i < ns; i++) {
        const struct camera *c = cameras_at(nvr->cams, i);
        if (!c || !http_auth_camera(r, nvr, c->cfg.id))
            continue; /* only the cameras this user may see */
        write_camera(&w, c);
    }
    json_w_end_array(&w);
    json_w_end_object(&w);
    fputc('\n', b.f);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

static http_result h_camera(struct http_request *r, struct nvr *nvr)
{
    const struct camera *c = cameras_find(nvr->cams, http_param(r, 0));
    if (!c)
        return http_reply_error(r, 404, "no such camera");
    struct http_body b;
    struct json_w w;
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    json_w_init(&w, b.f);
    write_camera(&w, c);
    fputc('\n', b.f);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

http_result http_api_time_range(struct http_request *r, int required, int64_t max_us, int64_t *from, int64_t *to)
{
    const char *s = http_query(r, "start"), *e = http_query(r, "end");
    int64_t now = nvr_clock_now_us();
    if (required && (!s || !e))
        return http_reply_error(r, 400, "start and end are required (RFC 3339, e.g. 2026-11-22T04:00:00Z)");
    *to = now + 60LL * 1000000;
    *from = *to - 24LL * 3600 * 1000000;
    if (s && nvr_clock_parse_rfc3339(s, from))
        return http_reply_error(r, 400, "start is not an RFC 3339 time: %.64s", s);
    if (e && nvr_clock_parse_rfc3339(e, to))
        return http_reply_error(r, 400, "end is not an RFC 3339 time: %.64s", e);
    if (s && !e)
        *to = *from + 24LL * 3600 * 1000000;
    if (e && !s)
        *from = *to - 24LL * 3600 * 1000000;
    if (*to <= *from)
        return http_reply_error(r, 400, "end must be after start");
    if (*to - *from > max_us)
        return http_reply_error(r, 400, "the range is longer than %lld hours", (long long)(max_us / 3600000000LL));
    return HTTP_PASS;
}

/* The common start of the range routes: the camera must exist, the range
 * must be valid, and the camera's segments overlapping it are loaded into
 * *segs.  Returns HTTP_PASS when they are, else the result of the error
 * answer it made. */
static http_result load_range(struct http_request *r, struct nvr *nvr, int required, int64_t max_us, int64_t *from,
                              int64_t *to, struct index_segment **segs, size_t *n)
{
    const char *id = http_param(r, 0);
    http_result ret;
    *segs = NULL;
    *n = 0;
    if (!nvr_recorder(nvr, id, NULL))
        return http_reply_error(r, 404, "no such camera");
    if ((ret = http_api_time_range(r, required, max_us, from, to)) != HTTP_PASS)
        return ret;
    if (index_segments_list(storage_index_reader(nvr->st), id, *from, *to, segs, n))
        return http_reply_error(r, 500, "index error");
    return HTTP_PASS;
}

static http_result h_recordings(struct http_request *r, struct nvr *nvr)
{
    int64_t from, to;
    struct index_segment *segs;
    size_t n;
    struct http_body b;
    http_result ret;
    if ((ret = load_range(r, nvr, 0, HTTP_API_MAX_RECORDINGS_US, &from, &to, &segs, &n)) != HTTP_PASS)
        return ret;
    if (http_body_open(&b)) {
        index_segments_free(&segs, n);
        return http_reply_error(r, 500, "out of memory");
    }
    coverage_write_json(b.f, http_param(r, 0), segs, n);
    index_segments_free(&segs, n);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

static http_result h_playback(struct http_request *r, struct nvr *nvr)
{
    int64_t from, to;
    struct index_segment *segs;
    size_t n;
    struct http_body b;
    http_result ret;
    if ((ret = load_range(r, nvr, 1, HTTP_API_MAX_PLAYLIST_US, &from, &to, &segs, &n)) != HTTP_PASS)
        return ret;
    /* only files that hold what the index says: a missing or short one
     * leaves a gap (a discontinuity), and with none left the footage is gone */
    size_t kept = 0, gone = 0;
    for (size_t i = 0; i < n; i++) {
        if (storage_segment_present(nvr->st, &segs[i], NULL) == NVR_OK) {
            struct index_segment t = segs[kept];
            segs[kept++] = segs[i];
            segs[i] = t;
        } else {
            gone++;
        }
    }
    if (gone) {
        nvr_log(NVR_WARN, http_param(r, 0),
                "playback: segment files missing, shorter than the index or on an offline disk count=%zu", gone);
        if (!kept) {
            index_segments_free(&segs, n);
            return http_reply_error(r, 410,
                                    "the recording in that range is no longer on disk (file missing or "
                                    "shorter than the index)");
        }
    }
    if (http_body_open(&b)) {
        index_segments_free(&segs, n);
        return http_reply_error(r, 500, "out of memory");
    }
    int rc = hls_write_vod(b.f, segs, kept, from, to);
    index_segments_free(&segs, n);
    if (rc == NVR_ENOTFOUND) {
        fclose(b.f);
        free(b.buf);
        return http_reply_error(r, 404, "no recordings in that range");
    }
    char a[NVR_TIME_BUFSZ], z[NVR_TIME_BUFSZ];
    nvr_clock_format_rfc3339(from, a);
    nvr_clock_format_rfc3339(to, z);
    http_auth_log(r, nvr, "playback", http_param(r, 0), "start=%s end=%s", a, z);
    return http_body_send(r, &b, 200, "application/vnd.apple.mpegurl", "no-store");
}

/* Strict decimal id: digits only, no sign, no overflow. */
static int parse_id(const char *s, int64_t *out)
{
    if (!s || !*s || strlen(s) > 18)
        return -1;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return 0;
}

static http_result h_segment(struct http_request *r, struct nvr *nvr)
{
    const char *cam = http_param(r, 0);
    int64_t id;
    struct index_segment seg;
    char etag[40];
    if (!nvr_recorder(nvr, cam, NULL))
        return http_reply_error(r, 404, "no such camera");
    if (parse_id(http_param(r, 1), &id))
        return http_reply_error(r, 404, "no such segment");
    int rc = index_segment_get(storage_index_reader(nvr->st), id, &seg);
    if (rc == NVR_ENOTFOUND || (rc == NVR_OK && strcmp(seg.camera, cam) != 0)) {
        fragments_free(&seg.frags);
        return http_reply_error(r, 404, "no such segment");
    }
    if (rc)
        return http_reply_error(r, 500, "index error");
    fragments_free(&seg.frags);
    int fd;
    if ((rc = storage_segment_open_read(nvr->st, &seg, &fd)))
        return http_reply_error(r, rc == NVR_ENOTFOUND ? 404 : 500, "segment file unavailable");
    /* never promise more than the file holds: a file cut short on disk is
     * served as it is (a Content-Length past its end would stall the client) */
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return http_reply_error(r, 500, "segment file unavailable");
    }
    uint64_t size = seg.bytes;
    if ((uint64_t)sb.st_size < seg.bytes) {
        nvr_log(NVR_WARN, cam, "segment file shorter than the index segment=%lld path=%s size=%lld indexed=%llu",
                (long long)id, seg.path, (long long)sb.st_size, (unsigned long long)seg.bytes);
        size = (uint64_t)sb.st_size;
        return http_reply_file(r, fd, size, "video/mp4", NULL, "no-store");
    }
    /* players fetch fragments with Range (their playlist was logged as the
     * playback); a whole-file fetch is a download and is logged itself */
    if (!http_header(r, "Range") && strcmp(http_method(r), "HEAD") != 0)
        http_auth_log(r, nvr, "segment_download", cam, "segment=%lld", (long long)id);
    if (seg.state == INDEX_SEG_COMPLETE && seg.has_sha256) {
        /* a finished segment never changes: its hash is its identity */
        static const char hex[] = "0123456789abcdef";
        etag[0] = '"';
        for (int i = 0; i < 16; i++) {
            etag[1 + 2 * i] = hex[seg.sha256[i] >> 4];
            etag[2 + 2 * i] = hex[seg.sha256[i] & 15];
        }
        etag[33] = '"';
        etag[34] = '\0';
        return http_reply_file(r, fd, size, "video/mp4", etag, "private, max-age=31536000, immutable");
    }
    /* still being written: serve the durable part only */
    return http_reply_file(r, fd, size, "video/mp4", NULL, "no-cache");
}

static void metric_header(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The mirror of the district's people (catalog/catalog_dir.h), with a
 * [catalog] only. */
static void write_directory_metrics(const struct nvr *nvr, FILE *f)
{
    struct catalog_dir_stats ds;
    if (!nvr->catdir)
        return;
    catalog_dir_stats(nvr->catdir, &ds);
    metric_header(f, "nvr_catalog_directory_reads_total", "counter",
                  "Reads of the catalog's people: kind=version (the version) or tables (all of them).");
    fprintf(f, "nvr_catalog_directory_reads_total{kind=\"version\"} %llu\n", (unsigned long long)ds.version_reads);
    fprintf(f, "nvr_catalog_directory_reads_total{kind=\"tables\"} %llu\n", (unsigned long long)ds.table_reads);
    metric_header(f, "nvr_catalog_directory_refresh_requests_total", "counter",
                  "Immediate refreshes asked for by tokens the mirror did not know (at most one a second).");
    fprintf(f, "nvr_catalog_directory_refresh_requests_total %llu\n", (unsigned long long)ds.refresh_requests);
    metric_header(f, "nvr_catalog_directory_users", "gauge", "The catalog's users mirrored here.");
    fprintf(f, "nvr_catalog_directory_users %llu\n", (unsigned long long)ds.users);
    metric_header(f, "nvr_catalog_directory_tokens", "gauge", "The console's tokens mirrored here.");
    fprintf(f, "nvr_catalog_directory_tokens %llu\n", (unsigned long long)ds.tokens);
    metric_header(f, "nvr_catalog_directory_up", "gauge", "1 while the last read of the catalog's people succeeded.");
    fprintf(f, "nvr_catalog_directory_up %d\n", ds.connected);
}

static http_result h_metrics(struct http_request *r, struct nvr *nvr)
{
    struct http_body b;
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    /* one consistent list of the active cameras for every metric below */
    size_t nslots = cameras_slots(nvr->cams), ncam = 0;
    struct recorder_stats *st = calloc(nslots ? nslots : 1, sizeof *st);
    const char **ids = calloc(nslots ? nslots : 1, sizeof *ids);
    if (!st || !ids) {
        free(st);
        free(ids);
        fclose(b.f);
        free(b.buf);
        return http_reply_error(r, 500, "out of memory");
    }
    for (size_t i = 0; i < nslots; i++) {
        const struct camera *c = cameras_at(nvr->cams, i);
        if (!c)
            continue;
        recorder_get_stats(c->rec, &st[ncam]);
        ids[ncam++] = c->cfg.id;
    }
    static const struct {
        const char *name, *type, *help;
        size_t off;
    } counters[] = {
        {"nvr_camera_received_bytes_total", "counter", "Payload bytes received from the camera.",
         offsetof(struct recorder_stats, bytes_received)},
        {"nvr_camera_frames_total", "counter", "Video frames received.", offsetof(struct recorder_stats, frames)},
        {"nvr_camera_reconnects_total", "counter", "Connections that ended and were retried.",
         offsetof(struct recorder_stats, reconnects)},
        {"nvr_camera_dropped_packets_total", "counter", "Packets dropped (writer behind, waiting for a keyframe).",
         offsetof(struct recorder_stats, dropped)},
        {"nvr_camera_segments_total", "counter", "Segments finished.", offsetof(struct recorder_stats, segments)},
        {"nvr_camera_timestamp_jumps_total", "counter", "Camera timestamp discontinuities (back, or over 2 s ahead).",
         offsetof(struct recorder_stats, timestamp_jumps)},
        {"nvr_fragment_write_seconds_count", "counter", "Fragments written (write, fdatasync, index update).",
         offsetof(struct recorder_stats, fragment_writes)},
    };
    for (size_t c = 0; c < sizeof counters / sizeof counters[0]; c++) {
        metric_header(b.f, counters[c].name, counters[c].type, counters[c].help);
        for (size_t i = 0; i < ncam; i++)
            fprintf(b.f, "%s{camera=\"%s\"} %llu\n", counters[c].name, ids[i],
                    (unsigned long long)*(const uint64_t *)((const char *)&st[i] + counters[c].off));
    }
    metric_header(b.f, "nvr_fragment_write_seconds_sum", "counter", "Total time spent writing fragments.");
    for (size_t i = 0; i < ncam; i++)
        fprintf(b.f, "nvr_fragment_write_seconds_sum{camera=\"%s\"} %.6f\n", ids[i], st[i].fragment_write_us / 1e6);
    metric_header(b.f, "nvr_fragment_write_seconds_max", "gauge", "Longest fragment write since start.");
    for (size_t i = 0; i < ncam; i++)
        fprintf(b.f, "nvr_fragment_write_seconds_max{camera=\"%s\"} %.6f\n", ids[i], st[i].fragment_write_max_us / 1e6);
    metric_header(b.f, "nvr_camera_status", "gauge", "1 for the camera's current status.");
    static const enum recorder_status all[] = {REC_CONNECTING, REC_RECORDING, REC_OFFLINE, REC_DISABLED};
    for (size_t i = 0; i < ncam; i++)
        for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
            fprintf(b.f, "nvr_camera_status{camera=\"%s\",status=\"%s\"} %d\n", ids[i], recorder_status_name(all[k]),
                    st[i].status == all[k]);
    metric_header(b.f, "nvr_camera_audio_unsupported", "gauge",
                  "1 if the camera sends audio in a codec that cannot be recorded (audio = on).");
    for (size_t i = 0; i < ncam; i++)
        fprintf(b.f, "nvr_camera_audio_unsupported{camera=\"%s\"} %d\n", ids[i],
                strncmp(st[i].audio, "unsupported", 11) == 0);
    metric_header(b.f, "nvr_camera_timestamps_arrival", "gauge",
                  "1 while the camera's timestamps are chaotic and its video is timed by arrival.");
    for (size_t i = 0; i < ncam; i++)
        fprintf(b.f, "nvr_camera_timestamps_arrival{camera=\"%s\"} %d\n", ids[i], st[i].timestamps_arrival);
    metric_header(b.f, "nvr_camera_write_ok", "gauge",
                  "1 if the camera's recordings are being written, 0 while writing fails.");
    int writes_ok = 1;
    for (size_t i = 0; i < ncam; i++) {
        fprintf(b.f, "nvr_camera_write_ok{camera=\"%s\"} %d\n", ids[i], st[i].write_ok);
        writes_ok &= st[i].write_ok;
    }
    struct retention_status rs;
    retention_get_status(nvr->ret, &rs);
    metric_header(b.f, "nvr_storage_ok", "gauge",
                  "1 if the index is intact, every camera writes and retention works (GET /api/v1/health ok).");
    fprintf(b.f, "nvr_storage_ok %d\n", writes_ok && !storage_damage(nvr->st) && rs.state != RETENTION_ERROR);
    free(st);
    metric_header(b.f, "nvr_camera_live_viewers", "gauge", "Live view connections now, per stream.");
    for (size_t i = 0, ns = cameras_slots(nvr->cams); i < ns; i++) {
        const struct camera *c = cameras_at(nvr->cams, i);
        if (!c)
            continue;
        struct live_hub *sub = recorder_live_sub(c->rec);
        fprintf(b.f, "nvr_camera_live_viewers{camera=\"%s\",stream=\"main\"} %d\n", c->cfg.id,
                live_hub_viewers(recorder_live(c->rec, 0)));
        if (sub)
            fprintf(b.f, "nvr_camera_live_viewers{camera=\"%s\",stream=\"sub\"} %d\n", c->cfg.id,
                    live_hub_viewers(sub));
        struct live_hub *h264 = recorder_live_h264(c->rec, 0);
        if (h264)
            fprintf(b.f, "nvr_camera_live_viewers{camera=\"%s\",stream=\"h264\"} %d\n", c->cfg.id,
                    live_hub_viewers(h264));
    }
    for (int m = 0; m < 2; m++) {
        metric_header(b.f, m ? "nvr_snapshot_cache_misses_total" : "nvr_snapshot_cache_hits_total", "counter",
                      m ? "Snapshots of the newest picture that were decoded and encoded."
                        : "Snapshots of the newest picture served from the cache.");
        for (size_t i = 0, ns = cameras_slots(nvr->cams); i < ns; i++) {
            const struct camera *c = cameras_at(nvr->cams, i);
            uint64_t hits, misses;
            if (!c)
                continue;
            snapshot_cache_stats(recorder_snapshots(c->rec), &hits, &misses);
            fprintf(b.f, "%s{camera=\"%s\"} %llu\n",
                    m ? "nvr_snapshot_cache_misses_total" : "nvr_snapshot_cache_hits_total", c->cfg.id,
                    (unsigned long long)(m ? misses : hits));
        }
    }
    free(ids);
    metric_header(b.f, "nvr_playback_renditions", "gauge", "playback.mp4 transcodes running now.");
    fprintf(b.f, "nvr_playback_renditions %d\n", nvr->renditions ? rendition_pool_active(nvr->renditions) : 0);
    http_storage_write_metrics(nvr, b.f);
    http_server_write_metrics(nvr->http, b.f);
    write_directory_metrics(nvr, b.f);
    return http_body_send(r, &b, 200, "text/plain; version=0.0.4; charset=utf-8", "no-store");
}

/* Everything outside the API: the browser UI's files. */
static http_result h_static(struct http_request *r, struct nvr *nvr)
{
    if (strncmp(http_path(r), "/api/", 5) == 0)
        return http_reply_no_route(r);
    return http_static_serve(r, nvr->cfg->web_dir);
}

/* Access (http_server.h): the zero value is "signed-in user, and the camera
 * in the path must be one they may see"; everything else is said here. */
static const struct http_route routes[] = {
    {"GET", "/api/v1/health", h_health, HTTP_PUBLIC},
    {"POST", "/api/v1/session", http_session_create, HTTP_PUBLIC},
    {"GET", "/api/v1/session", http_session_get, HTTP_PUBLIC},
    {"DELETE", "/api/v1/session", http_session_delete, HTTP_USER},
    {"POST", "/api/v1/session/totp", http_session_totp, HTTP_PUBLIC},
    {"GET", "/api/v1/account/totp", http_totp_get, HTTP_USER},
    {"POST", "/api/v1/account/totp", http_totp_begin, HTTP_USER},
    {"POST", "/api/v1/account/totp/confirm", http_totp_confirm, HTTP_USER},
    {"POST", "/api/v1/account/totp/disable", http_totp_disable, HTTP_USER},
    {"GET", "/api/v1/setup", http_setup_state, HTTP_PUBLIC},
    {"GET", "/api/v1/auth/methods", http_auth_methods, HTTP_PUBLIC},
    {"GET", "/api/v1/oidc/start", http_oidc_start, HTTP_PUBLIC},
    {"GET", "/api/v1/oidc/callback", http_oidc_callback, HTTP_PUBLIC},
    {"POST", "/api/v1/setup", http_setup, HTTP_PUBLIC},
    {"GET", "/api/v1/cameras", h_cameras, HTTP_USER},
    {"POST", "/api/v1/cameras", http_cameras_create, HTTP_ADMIN},
    {"POST", "/api/v1/camera-test", http_camera_test, HTTP_ADMIN},
    {"POST", "/api/v1/discover", http_discover, HTTP_ADMIN},
    {"POST", "/api/v1/onvif", http_onvif_device, HTTP_ADMIN},
    {"GET", "/api/v1/cameras/{}", h_camera, HTTP_USER},
    {"PUT", "/api/v1/cameras/{}", http_cameras_update, HTTP_ADMIN},
    {"DELETE", "/api/v1/cameras/{}", http_cameras_delete, HTTP_ADMIN},
    {"GET", "/api/v1/cameras/{}/recordings", h_recordings, HTTP_USER},
    {"GET", "/api/v1/cameras/{}/playback.m3u8", h_playback, HTTP_USER},
    {"GET", "/api/v1/cameras/{}/playback.mp4", rendition_api_playback, HTTP_USER},
    {"GET", "/api/v1/cameras/{}/segments/{}.mp4", h_segment, HTTP_USER},
    {"GET", "/api/v1/cameras/{}/motion", http_motion_search, HTTP_USER},
    {"GET", "/api/v1/cameras/{}/motion/density", http_motion_density, HTTP_USER},
    {"GET", "/api/v1/motion", http_motion_search_many, HTTP_USER}, /* checks each camera itself */
    {"GET", "/api/v1/cameras/{}/live.mp4", live_api_live, HTTP_USER},
    {"GET", "/api/v1/cameras/{}/snapshot.jpg", live_api_snapshot, HTTP_USER},
    {"GET", "/api/v1/live/mux", live_api_mux, HTTP_USER}, /* checks each camera itself */
    {"GET", "/api/v1/holds", http_holds_list, HTTP_INVESTIGATOR},
    {"POST", "/api/v1/holds", http_holds_create, HTTP_INVESTIGATOR},
    {"GET", "/api/v1/holds/{}", http_holds_get, HTTP_INVESTIGATOR},
    {"DELETE", "/api/v1/holds/{}", http_holds_release, HTTP_INVESTIGATOR},
    {"GET", "/api/v1/bookmarks", http_bookmarks_list, HTTP_USER},         /* checks each camera itself */
    {"POST", "/api/v1/bookmarks", http_bookmarks_create, HTTP_USER},      /* the camera in the body */
    {"DELETE", "/api/v1/bookmarks/{}", http_bookmarks_delete, HTTP_USER}, /* author or admin */
    {"GET", "/api/v1/audit", http_audit_get, HTTP_ADMIN},
    {"POST", "/api/v1/audit", http_audit_post, HTTP_ADMIN},
    {"GET", "/api/v1/audit/containment", http_audit_containment, HTTP_ADMIN},
    {"GET", "/api/v1/storage", http_storage_status, HTTP_ADMIN},
    {"GET", "/api/v1/users", http_users_list, HTTP_ADMIN},
    {"POST", "/api/v1/users", http_users_create, HTTP_ADMIN},
    {"PUT", "/api/v1/users/{}", http_users_update, HTTP_ADMIN},
    {"DELETE", "/api/v1/users/{}", http_users_delete, HTTP_ADMIN},
    {"POST", "/api/v1/users/{}/tokens", http_tokens_create, HTTP_ADMIN},
    {"DELETE", "/api/v1/users/{}/totp", http_totp_reset, HTTP_ADMIN},
    {"DELETE", "/api/v1/tokens/{}", http_tokens_revoke, HTTP_ADMIN},
    {"GET", "/api/v1/access-log", http_access_log, HTTP_ADMIN},
    {"GET", "/api/v1/exports", http_exports_list, HTTP_INVESTIGATOR},
    {"POST", "/api/v1/exports", http_exports_create, HTTP_INVESTIGATOR},
    {"GET", "/api/v1/exports/{}", http_exports_get, HTTP_INVESTIGATOR},
    {"GET", "/api/v1/exports/{}/download", http_exports_download, HTTP_INVESTIGATOR},
    {"GET", "/api/v1/exports/{}/videos", http_exports_videos, HTTP_INVESTIGATOR},
    {"GET", "/api/v1/exports/{}/video", http_exports_video, HTTP_INVESTIGATOR},
    {"POST", "/api/v1/exports/{}/redact", http_exports_redact, HTTP_INVESTIGATOR},
    {"GET", "/api/v1/signing-key", http_signing_key, HTTP_INVESTIGATOR},
    {"GET", "/api/v1/alerts", http_alerts_list, HTTP_INVESTIGATOR},
    {"POST", "/api/v1/alerts/test", http_alerts_test, HTTP_ADMIN},
    {"POST", "/api/v1/alerts/{}/ack", http_alerts_ack, HTTP_INVESTIGATOR},
    {"GET", "/metrics", h_metrics, HTTP_ADMIN},
    {"GET", "/*", h_static, HTTP_PUBLIC}, /* last: the web UI (it signs in itself) */
};

const struct http_route *http_api_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
