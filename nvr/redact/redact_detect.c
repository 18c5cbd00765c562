/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redact_detect.c - faces in an export proposed as shapes (see
 * redact_detect.h): the scan over the export's videos and the tracks.
 * The detector itself is redact_detect_cv.cpp (or _none.c).
 *
 * Each stream-copied MP4 listed in the manifest is extracted to a
 * temporary file (TMPDIR, removed at once after use), decoded, and one
 * frame every every_s seconds of wall-clock time turned to gray (swscale)
 * for the detector.  A detection joins the open track it overlaps most
 * (IoU >= 0.2, seen within TRACK_GAP_US), else starts a new one.
 */
#include "redact/redact_detect.h"

#include "base/clock.h"

#include <jansson.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#define TRACK_GAP_US 1500000
#define MIN_IOU 0.2
#define PAD 0.25

struct track {
    char camera[INDEX_ID_MAX];
    double last[4];
    int64_t first_t, last_t;
    struct redact_key *keys;
    size_t n, cap;
};

struct scan {
    struct redact_detector *det;
    struct track *tracks;
    size_t ntracks, cap;
    int64_t every_us;
    struct redact_detect_stats *stats;
};

static double iou(const double a[4], const double b[4])
{
    double x0 = a[0] > b[0] ? a[0] : b[0], y0 = a[1] > b[1] ? a[1] : b[1];
    double x1 = a[2] < b[2] ? a[2] : b[2], y1 = a[3] < b[3] ? a[3] : b[3];
    if (x1 <= x0 || y1 <= y0)
        return 0;
    double in = (x1 - x0) * (y1 - y0);
    return in / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - in);
}

static nvr_err add_detection(struct scan *s, const char *camera, int64_t t, const double box[4])
{
    struct track *best = NULL;
    double best_iou = MIN_IOU;
    for (size_t i = 0; i < s->ntracks; i++) {
        struct track *tr = &s->tracks[i];
        if (strcmp(tr->camera, camera) != 0 || tr->last_t >= t || t - tr->last_t > TRACK_GAP_US)
            continue;
        double v = iou(tr->last, box);
        if (v >= best_iou) {
            best_iou = v;
            best = tr;
        }
    }
    if (!best) {
        if (s->ntracks == REDACT_MAX_SHAPES)
            return NVR_OK; /* enough to review; the rest is left out */
        if (s->ntracks == s->cap) {
            size_t cap = s->cap ? 2 * s->cap : 16;
            struct track *v = realloc(s->tracks, cap * sizeof *v);
            if (!v)
                return NVR_ENOMEM;
            s->tracks = v;
            s->cap = cap;
        }
        best = &s->tracks[s->ntracks++];
        memset(best, 0, sizeof *best);
        snprintf(best->camera, sizeof best->camera, "%s", camera);
        best->first_t = t;
    }
    if (best->n == best->cap) {
        size_t cap = best->cap ? 2 * best->cap : 16;
        struct redact_key *v = realloc(best->keys, cap * sizeof *v);
        if (!v)
            return NVR_ENOMEM;
        best->keys = v;
        best->cap = cap;
    }
    struct redact_key *k = &best->keys[best->n++];
    double w = box[2] - box[0], h = box[3] - box[1];
    k->t_us = t;
    k->box[0] = box[0] - PAD * w < 0 ? 0 : box[0] - PAD * w;
    k->box[1] = box[1] - PAD * h < 0 ? 0 : box[1] - PAD * h;
    k->box[2] = box[2] + PAD * w > 1 ? 1 : box[2] + PAD * w;
    k->box[3] = box[3] + PAD * h > 1 ? 1 : box[3] + PAD * h;
    memcpy(best->last, box, sizeof best->last);
    best->last_t = t;
    s->stats->detections++;
    return NVR_OK;
}

static nvr_err scan_file(struct scan *s, const char *path, const char *camera, int64_t first_us, char *err,
                         size_t errlen)
{
    AVFormatContext *ic = NULL;
    AVCodecContext *dec = NULL;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *f = av_frame_alloc();
    struct SwsContext *sws = NULL;
    uint8_t *gray = NULL;
    int rc = NVR_ECODEC, vin = -1;
    int64_t next = INT64_MIN;
    if (!pkt || !f || avformat_open_input(&ic, path, NULL, NULL) < 0 || avformat_find_stream_info(ic, NULL) < 0)
        goto out;
    vin = av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (vin < 0)
        goto out;
    AVStream *vs = ic->streams[vin];
    const AVCodec *d = avcodec_find_decoder(vs->codecpar->codec_id);
    if (!d || !(dec = avcodec_alloc_context3(d)) || avcodec_parameters_to_context(dec, vs->codecpar) < 0)
        goto out;
    dec->thread_count = 2;
    dec->pkt_timebase = vs->time_base;
    if (avcodec_open2(dec, d, NULL) < 0)
        goto out;
    int64_t origin = vs->start_time != AV_NOPTS_VALUE ? av_rescale_q(vs->start_time, vs->time_base, AV_TIME_BASE_Q) : 0;
    rc = NVR_OK;
    int eof = 0;
    while (rc == NVR_OK) {
        int ret = avcodec_receive_frame(dec, f);
        if (ret == AVERROR(EAGAIN) && !eof) {
            if (av_read_frame(ic, pkt) < 0) {
                eof = 1;
                avcodec_send_packet(dec, NULL);
            } else {
                if (pkt->stream_index == vin && avcodec_send_packet(dec, pkt) < 0)
                    rc = NVR_ECODEC;
                av_packet_unref(pkt);
            }
            continue;
        }
        if (ret < 0)
            break;
        int64_t pts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
        int64_t t = first_us + av_rescale_q(pts == AV_NOPTS_VALUE ? 0 : pts, vs->time_base, AV_TIME_BASE_Q) - origin;
        if (t >= next) {
            next = t + s->every_us;
            if (!gray && !(gray = malloc((size_t)f->width * (size_t)f->height))) {
                rc = NVR_ENOMEM;
                break;
            }
            sws = sws_getCachedContext(sws, f->width, f->height, (enum AVPixelFormat)f->format, f->width, f->height,
                                       AV_PIX_FMT_GRAY8, SWS_BILINEAR, NULL, NULL, NULL);
            if (!sws) {
                rc = NVR_ECODEC;
                break;
            }
            uint8_t *dst[4] = {gray, NULL, NULL, NULL};
            int dstride[4] = {f->width, 0, 0, 0};
            sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, dstride);
            double boxes[REDACT_DETECT_MAX][4];
            int n = redact_detector_run(s->det, gray, f->width, f->height, f->width, boxes, REDACT_DETECT_MAX);
            s->stats->frames_sampled++;
            for (int i = 0; i < n && rc == NVR_OK; i++)
                rc = add_detection(s, camera, t, boxes[i]);
        }
        av_frame_unref(f);
    }
out:
    if (rc == NVR_ECODEC)
        snprintf(err, errlen, "cannot decode the video");
    free(gray);
    sws_freeContext(sws);
    avcodec_free_context(&dec);
    avformat_close_input(&ic);
    av_frame_free(&f);
    av_packet_free(&pkt);
    return rc;
}

static nvr_err extract(zip_t *z, const char *name, char *path, size_t n)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, n, "%s/nvr-detect-XXXXXX", dir && dir[0] ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return NVR_EIO;
    zip_file_t *zf = zip_fopen(z, name, 0);
    char buf[65536];
    int rc = zf ? NVR_OK : NVR_EIO;
    while (rc == NVR_OK) {
        zip_int64_t k = zip_fread(zf, buf, sizeof buf);
        if (k < 0)
            rc = NVR_ECORRUPT;
        if (k <= 0)
            break;
        if (write(fd, buf, (size_t)k) != (ssize_t)k)
            rc = NVR_EIO;
    }
    if (zf)
        zip_fclose(zf);
    close(fd);
    return rc;
}

nvr_err redact_detect_export(const char *export_zip, const char *cascade, double every_s, struct redact_doc **out,
                             struct redact_detect_stats *stats, char *err, size_t errlen)
{
    struct scan s = {.every_us = (int64_t)((every_s > 0 ? every_s : 0.2) * 1e6), .stats = stats};
    zip_t *z = NULL;
    json_t *man = NULL;
    char *raw = NULL;
    int rc, zerr;
    *out = NULL;
    memset(stats, 0, sizeof *stats);
    if ((rc = redact_detector_open(cascade, &s.det, err, errlen)))
        return rc;
    zip_stat_t st;
    if (!(z = zip_open(export_zip, ZIP_RDONLY, &zerr)) || zip_stat(z, "manifest.json", 0, &st) != 0 ||
        !(st.valid & ZIP_STAT_SIZE) || st.size > (64u << 20) || !(raw = malloc(st.size + 1))) {
        rc = NVR_EINVAL;
        snprintf(err, errlen, "%s is not a readable export", export_zip);
        goto out;
    }
    zip_file_t *mf = zip_fopen(z, "manifest.json", 0);
    zip_int64_t got = mf ? zip_fread(mf, raw, st.size) : -1;
    if (mf)
        zip_fclose(mf);
    if (got != (zip_int64_t)st.size || !(man = json_loadb(raw, st.size, 0, NULL))) {
        rc = NVR_EINVAL;
        snprintf(err, errlen, "%s: manifest.json cannot be read", export_zip);
        goto out;
    }
    json_t *cams = json_object_get(man, "cameras");
    for (size_t c = 0; c < json_array_size(cams) && rc == NVR_OK; c++) {
        json_t *cam = json_array_get(cams, c), *files = json_object_get(cam, "files");
        const char *id = json_string_value(json_object_get(cam, "id"));
        for (size_t k = 0; id && k < json_array_size(files) && rc == NVR_OK; k++) {
            json_t *fe = json_array_get(files, k);
            const char *name = json_string_value(json_object_get(fe, "name"));
            const char *first = json_string_value(json_object_get(fe, "first_frame"));
            int64_t first_us;
            char path[4200];
            if (json_object_get(fe, "derivative") || !name || !first || nvr_clock_parse_rfc3339(first, &first_us))
                continue;
            if ((rc = extract(z, name, path, sizeof path))) {
                snprintf(err, errlen, "cannot extract %s", name);
                unlink(path);
                break;
            }
            rc = scan_file(&s, path, id, first_us, err, errlen);
            unlink(path);
        }
    }
    if (rc == NVR_OK && (rc = redact_doc_new(out)) == NVR_OK) {
        for (size_t i = 0; i < s.ntracks && rc == NVR_OK; i++) {
            struct track *tr = &s.tracks[i];
            struct redact_shape sh = {.start_us = tr->first_t - s.every_us,
                                      .end_us = tr->last_t + s.every_us,
                                      .mode = REDACT_BLUR,
                                      .assisted = 1,
                                      .keys = tr->keys,
                                      .nkeys = tr->n};
            memcpy(sh.box, tr->keys[0].box, sizeof sh.box);
            snprintf(sh.camera, sizeof sh.camera, "%s", tr->camera);
            rc = redact_doc_add_shape(*out, &sh);
        }
        stats->tracks = s.ntracks;
        if (rc)
            redact_doc_free(out);
    }
out:
    for (size_t i = 0; i < s.ntracks; i++)
        free(s.tracks[i].keys);
    free(s.tracks);
    json_decref(man);
    free(raw);
    if (z)
        zip_discard(z);
    redact_detector_close(&s.det);
    return rc;
}
