/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_cameras.c - camera management routes (see http_cameras.h).
 *
 * A request body is turned into `key = "value"` lines of a [camera ID]
 * section and parsed by the config file's own parser (camera_store_parse),
 * so the API accepts exactly what the file accepts, with the same messages.
 * The body's fields are the rows of the camera settings table
 * (base/camera_config.h), with the JSON type of each row's kind.  Text
 * values are always written quoted (\" and \\ escaped) and control
 * characters are refused, so no value can smuggle in another line or key.
 * Every JSON answer is written with the escaping writer (json_w).
 * Cameras declared in the config file answer 409 to changes: the file is
 * their authority (edit it, then SIGHUP).
 *
 * Threads: HTTP threads; a connection test runs on a thread of its own
 * (http_reply_later) and owns its struct camera_test.
 */
#include "http/http_cameras.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "base/url.h"
#include "core/auth.h"
#include "core/camera_store.h"
#include "core/cameras.h"
#include "http/http_auth.h"
#include "http/http_json.h"
#include "ingest/ingest.h"
#include "live/snapshot.h"
#include "core/nvr.h"

#include <libavutil/mathematics.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 1024 /* bytes of a text field in a body */

/* Checks a body's text value v for setting s (a string of at most TEXT_MAX
 * bytes without control characters); 0, or -1 with err. */
static int body_text(const struct nvr_camera_setting *s, json_t *v, char *err, size_t errlen)
{
    if (!json_is_string(v) || json_string_length(v) > TEXT_MAX) {
        snprintf(err, errlen, "%s must be a string of at most %d bytes", s->key, TEXT_MAX);
        return -1;
    }
    for (const unsigned char *p = (const unsigned char *)json_string_value(v); *p; p++)
        if (*p < 0x20 || *p == 0x7f) {
            snprintf(err, errlen, "%s must not hold control characters", s->key);
            return -1;
        }
    return 0;
}

/* Writes the line of setting s from body value v (checked against the JSON
 * type of its kind), over base (NULL for a new camera); 0, or -1 with err. */
static int body_line(FILE *f, const struct nvr_camera_setting *s, json_t *v, const struct nvr_camera_config *base,
                     char *err, size_t errlen)
{
    char num[32];
    switch (s->kind) {
    case NVR_CS_INT:
        if (!json_is_integer(v)) {
            snprintf(err, errlen, "%s must be an integer", s->key);
            return -1;
        }
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        nvr_camera_ini_write(f, s, num);
        return 0;
    case NVR_CS_BOOL:
        if (!json_is_boolean(v)) {
            snprintf(err, errlen, "%s must be true or false", s->key);
            return -1;
        }
        nvr_camera_ini_write(f, s, json_is_true(v) ? "yes" : "no");
        return 0;
    default: /* the text kinds and TRANSPORT: a string */
        if (body_text(s, v, err, errlen))
            return -1;
        if (base && (s->flags & NVR_CS_SECRET)) {
            /* an edited URL still showing the stored password as "***" */
            char kept[TEXT_MAX + 1100];
            int k = nvr_url_keep_password(json_string_value(v), nvr_camera_setting_str(s, base), kept, sizeof kept);
            if (k < 0) {
                snprintf(err, errlen,
                         "%s shows the password as ***: type the password again (the stored one "
                         "is kept only for the same user and host)",
                         s->key);
                return -1;
            }
            if (k > 0) {
                nvr_camera_ini_write(f, s, kept);
                return 0;
            }
        }
        nvr_camera_ini_write(f, s, json_string_value(v));
        return 0;
    }
}

/* Builds the [camera] lines from body over base (NULL for a new camera):
 * every setting of the table that is not NVR_CS_FILE_ONLY is a body field;
 * one the body leaves out keeps base's value, one it sets to null is unset
 * (its default).  Returns a new string, or NULL with err. */
static char *build_ini(json_t *body, const struct nvr_camera_config *base, char *err, size_t errlen)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        const struct nvr_camera_setting *s = nvr_camera_setting_find(key);
        if ((!s || (s->flags & NVR_CS_FILE_ONLY)) && strcmp(key, "id") != 0) {
            snprintf(err, errlen, "unknown field %.40s", key);
            return NULL;
        }
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int bad = 0;
    for (size_t i = 0; i < nvr_camera_nsettings && !bad; i++) {
        const struct nvr_camera_setting *s = &nvr_camera_settings[i];
        v = json_object_get(body, s->key);
        if (!v || json_is_null(v)) {
            if (base && !v)
                nvr_camera_setting_write_ini(f, s, base);
            continue;
        }
        bad = body_line(f, s, v, base, err, errlen) != 0;
    }
    fclose(f);
    if (bad) {
        free(text);
        return NULL;
    }
    return text;
}

static int valid_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 64)
        return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

static http_result reply_camera(struct http_request *r, struct nvr *nvr, unsigned status, const char *id)
{
    const struct camera *c = cameras_find(nvr->cams, id);
    char url[4200];
    struct http_body b;
    struct json_w w;
    if (!c)
        return http_reply_error(r, 500, "the camera did not start");
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    nvr_url_redact(c->cfg.url, url, sizeof url);
    json_w_init(&w, b.f);
    json_w_object(&w, NULL);
    json_w_string(&w, "id", c->cfg.id);
    json_w_string(&w, "name", c->cfg.name);
    json_w_string(&w, "url", url);
    json_w_string(&w, "source", c->source == CAMERA_FILE ? "file" : "api");
    json_w_bool(&w, "enabled", c->cfg.enabled);
    json_w_end_object(&w);
    fputc('\n', b.f);
    return http_body_send(r, &b, status, "application/json", "no-store");
}

static http_result refuse_file_camera(struct http_request *r, struct nvr *nvr, const struct camera *c)
{
    return http_reply_error(r, 409, "camera %s is declared in %s (line %d): edit the file, then reload with SIGHUP",
                            c->cfg.id, nvr->cfg->path, c->cfg.line);
}

http_result http_cameras_create(struct http_request *r, struct nvr *nvr)
{
    char id[80], err[512];
    http_result ret;
    json_t *o = http_json_body(r, &ret);
    char *ini = NULL;
    if (!o)
        return ret;
    if (http_json_text(o, "id", 1, id, sizeof id, err, sizeof err) || !valid_id(id)) {
        ret = http_reply_error(r, 400, "id is required: 1 to 64 of a-z 0-9 _ -");
        goto out;
    }
    if (!json_object_get(o, "url")) {
        ret = http_reply_error(r, 400, "url is required");
        goto out;
    }
    if (cameras_find(nvr->cams, id)) {
        ret = http_reply_error(r, 409, "a camera %s exists", id);
        goto out;
    }
    if (!(ini = build_ini(o, NULL, err, sizeof err))) {
        ret = http_reply_error(r, 400, "%s", err);
        goto out;
    }
    int rc = camera_store_save(nvr, id, ini, 0, err, sizeof err);
    if (rc == NVR_EINVAL)
        ret = http_reply_error(r, 400, "%s", err);
    else if (rc == NVR_EEXIST) /* added meanwhile (a second click) */
        ret = http_reply_error(r, 409, "a camera %s exists", id);
    else if (rc)
        ret = http_reply_error(r, 500, "cannot add the camera: %s", err);
    else {
        http_auth_log(r, nvr, "camera_added", id, "%s", "");
        ret = reply_camera(r, nvr, 201, id);
    }
out:
    free(ini);
    json_decref(o);
    return ret;
}

http_result http_cameras_update(struct http_request *r, struct nvr *nvr)
{
    char err[512];
    http_result ret;
    const char *id = http_param(r, 0);
    const struct camera *c = cameras_find(nvr->cams, id);
    if (!c)
        return http_reply_error(r, 404, "no such camera");
    if (c->source == CAMERA_FILE)
        return refuse_file_camera(r, nvr, c);
    json_t *o = http_json_body(r, &ret);
    char *ini = NULL;
    if (!o)
        return ret;
    json_t *jid = json_object_get(o, "id");
    if (jid && (!json_is_string(jid) || strcmp(json_string_value(jid), id) != 0)) {
        ret = http_reply_error(r, 400, "id cannot change (add a new camera instead)");
        goto out;
    }
    if (!(ini = build_ini(o, &c->cfg, err, sizeof err))) {
        ret = http_reply_error(r, 400, "%s", err);
        goto out;
    }
    int rc = camera_store_save(nvr, id, ini, 1, err, sizeof err);
    if (rc == NVR_EINVAL)
        ret = http_reply_error(r, 400, "%s", err);
    else if (rc == NVR_ENOTFOUND) /* removed meanwhile */
        ret = http_reply_error(r, 404, "no such camera");
    else if (rc == NVR_EACCES) /* declared in the file meanwhile (SIGHUP) */
        ret = http_reply_error(r, 409, "camera %s is declared in %s: edit the file", id, nvr->cfg->path);
    else if (rc)
        ret = http_reply_error(r, 500, "cannot change the camera: %s", err);
    else {
        http_auth_log(r, nvr, "camera_changed", id, "%s", "");
        ret = reply_camera(r, nvr, 200, id);
    }
out:
    free(ini);
    json_decref(o);
    return ret;
}

http_result http_cameras_delete(struct http_request *r, struct nvr *nvr)
{
    const char *id = http_param(r, 0);
    const struct camera *c = cameras_find(nvr->cams, id);
    if (!c)
        return http_reply_error(r, 404, "no such camera");
    if (c->source == CAMERA_FILE)
        return refuse_file_camera(r, nvr, c);
    int rc = camera_store_delete(nvr, id);
    if (rc == NVR_ENOTFOUND) /* removed meanwhile */
        return http_reply_error(r, 404, "no such camera");
    if (rc == NVR_EACCES)
        return http_reply_error(r, 409, "camera %s is declared in %s: edit the file", id, nvr->cfg->path);
    if (rc)
        return http_reply_error(r, 500, "cannot remove the camera: %s", nvr_strerror(rc));
    http_auth_log(r, nvr, "camera_removed", id, "%s", "");
    struct http_body b;
    struct json_w w;
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    json_w_init(&w, b.f);
    json_w_object(&w, NULL);
    json_w_string(&w, "id", id);
    json_w_bool(&w, "removed", 1);
    json_w_string(&w, "footage", "kept (retention applies)");
    json_w_end_object(&w);
    fputc('\n', b.f);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

#define TEST_READ_US 3000000
#define TEST_TIMEOUT_US 5000000

static const char *failure_kind(int rc)
{
    switch (rc) {
    case NVR_EAUTH: return "unauthorized";
    case NVR_ECONN: return "unreachable";
    case NVR_ETIMEDOUT: return "timeout";
    case NVR_ECODEC: return "no_video";
    default: return "error";
    }
}

/* A connection test, run by http_reply_later's thread (it takes up to
 * TEST_TIMEOUT_US + TEST_READ_US). */
struct camera_test {
    struct nvr *nvr;
    struct nvr_config *one;      /* the URL and transport, parsed as a camera */
    char user[128], address[64]; /* for the access log */
};

static void camera_test_free(void *arg)
{
    struct camera_test *t = arg;
    nvr_config_free(&t->one);
    free(t);
}

/* "snapshot": the first keyframe as a 320-wide JPEG data URL (the check
 * that the video decodes), or null. */
static void write_test_snapshot(struct json_w *w, const struct ingest_info *info, const AVPacket *key)
{
    static const char prefix[] = "data:image/jpeg;base64,";
    uint8_t *jpeg = NULL;
    size_t len = 0;
    char *data = NULL;
    if (key && snapshot_encode(info->video, key, 320, &jpeg, &len) == NVR_OK) {
        size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
        if ((data = malloc(sizeof prefix - 1 + n))) {
            memcpy(data, prefix, sizeof prefix - 1);
            sodium_bin2base64(data + sizeof prefix - 1, n, jpeg, len, sodium_base64_VARIANT_ORIGINAL);
        }
    }
    json_w_string(w, "snapshot", data); /* NULL: null */
    free(data);
    free(jpeg);
}

static unsigned camera_test_work(void *arg, char **body, size_t *len)
{
    struct camera_test *t = arg;
    char why[256] = "";
    atomic_int stop = 0;
    struct ingest_opts opts = {.camera = "test",
                               .url = t->one->cameras[0].url,
                               .transport = t->one->cameras[0].transport,
                               .audio = 1,
                               .timeout_us = TEST_TIMEOUT_US,
                               .stop = &stop};
    struct ingest *in = NULL;
    int64_t t0 = nvr_clock_mono_us();
    int rc = ingest_open(&in, &opts, why, sizeof why);
    struct http_body b;
    struct json_w w;
    *body = NULL;
    if (http_body_open(&b)) {
        ingest_close(&in);
        return 500;
    }
    json_w_init(&w, b.f);
    json_w_object(&w, NULL);
    if (rc) {
        json_w_bool(&w, "ok", 0);
        json_w_string(&w, "failure", failure_kind(rc));
        json_w_string(&w, "error", why[0] ? why : nvr_strerror(rc));
    } else {
        /* read for a while: frame rate and bit rate as the camera sends them */
        AVPacket *pkt = av_packet_alloc(), *key = av_packet_alloc();
        struct ingest_meta meta;
        int64_t first_pts = INT64_MIN, last_pts = 0, frames = 0, keyframes = 0, start = nvr_clock_mono_us();
        uint64_t bytes = 0;
        while (pkt && key && nvr_clock_mono_us() - start < TEST_READ_US &&
               ingest_read(in, pkt, &meta, why, sizeof why) == NVR_OK) {
            bytes += (uint64_t)pkt->size;
            if (pkt->stream_index == 0) {
                if (first_pts == INT64_MIN)
                    first_pts = pkt->pts;
                last_pts = pkt->pts;
                frames++;
                if ((pkt->flags & AV_PKT_FLAG_KEY) && keyframes++ == 0)
                    av_packet_ref(key, pkt);
            }
            av_packet_unref(pkt);
        }
        av_packet_free(&pkt);
        const struct ingest_info *info = ingest_get_info(in);
        double secs =
            frames > 1 ? (double)av_rescale_q(last_pts - first_pts, info->video_tb, (AVRational){1, 1000000}) / 1e6 : 0;
        json_w_bool(&w, "ok", 1);
        json_w_string(&w, "transport", info->transport);
        json_w_object(&w, "video");
        json_w_string(&w, "codec", avcodec_get_name(info->video->codec_id));
        json_w_int(&w, "width", info->video->width);
        json_w_int(&w, "height", info->video->height);
        json_w_fixed(&w, "fps", secs > 0 ? (frames - 1) / secs : 0, 2);
        json_w_int(&w, "keyframes", keyframes);
        json_w_fixed(&w, "bitrate_kbps", secs > 0 ? (double)bytes * 8 / secs / 1000 : 0, 0);
        json_w_end_object(&w);
        if (info->audio) {
            json_w_object(&w, "audio");
            json_w_string(&w, "codec", avcodec_get_name(info->audio->codec_id));
            json_w_end_object(&w);
        } else {
            json_w_null(&w, "audio");
        }
        json_w_string(&w, "audio_status", info->audio_status ? info->audio_status : "none");
        json_w_int(&w, "connect_ms", (start - t0) / 1000);
        write_test_snapshot(&w, info, key && key->size ? key : NULL);
        av_packet_free(&key);
    }
    json_w_end_object(&w);
    fputc('\n', b.f);
    ingest_close(&in);
    auth_log(t->nvr->auth, t->user, t->address, "camera_tested", "", rc ? "ok=no" : "ok=yes");
    if (fclose(b.f) != 0) {
        free(b.buf);
        return 500;
    }
    *body = b.buf;
    *len = b.len;
    return 200;
}

http_result http_camera_test(struct http_request *r, struct nvr *nvr)
{
    char url[1100], transport[16], err[256];
    http_result ret;
    json_t *o = http_json_body(r, &ret);
    if (!o)
        return ret;
    if (http_json_text(o, "url", 1, url, sizeof url, err, sizeof err) ||
        http_json_text(o, "transport", 0, transport, sizeof transport, err, sizeof err)) {
        json_decref(o);
        return http_reply_error(r, 400, "%s", err);
    }
    json_decref(o);
    /* the same checks as a saved camera, without saving it */
    char ini[1300];
    struct camera_test *t = calloc(1, sizeof *t);
    if (!t)
        return http_reply_error(r, 500, "out of memory");
    snprintf(ini, sizeof ini, "url = \"%s\"\n%s%s%s", url, transport[0] ? "transport = " : "", transport,
             transport[0] ? "\n" : "");
    if (strpbrk(url, "\"\\\r\n") || camera_store_parse("test", ini, &t->one, err, sizeof err)) {
        camera_test_free(t);
        return http_reply_error(r, 400, "%s", err[0] ? err : "url must not hold quotes, backslashes or newlines");
    }
    t->nvr = nvr;
    snprintf(t->user, sizeof t->user, "%s", http_auth_name(r));
    snprintf(t->address, sizeof t->address, "%s", http_client_address(r));
    return http_reply_later(r, camera_test_work, t, camera_test_free);
}
