/* SPDX-License-Identifier: Apache-2.0 */
/*
 * motion_rebuild.c - detection re-run over the stored footage (see
 * motion_rebuild.h).
 *
 * A segment file is read through libavformat from the descriptor storage
 * opens (storage stays the one door to the files): an AVIOContext over
 * pread, so nothing else opens the path.  Rows are collected through the
 * tracker's sink and written every REBUILD_BATCH seconds and at the end of
 * each camera, in one transaction each.
 */
#include "motion/motion_rebuild.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "motion/motion_decode.h"
#include "motion/motion_detect.h"
#include "motion/motion_events.h"
#include "storage/index.h"
#include "storage/motion_store.h"

#include <libavformat/avformat.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REBUILD_BATCH 512
#define IO_BUFSZ 65536
#define PROGRESS_US 10000000LL

struct rows {
    struct motion_second *secs;
    size_t nsec, capsec;
    struct motion_event *evs;
    size_t nev, capev;
    int oom;
};

static void on_second(void *cls, const struct motion_second *s)
{
    struct rows *r = cls;
    if (r->nsec == r->capsec) {
        size_t cap = r->capsec ? r->capsec * 2 : 64;
        struct motion_second *v = realloc(r->secs, cap * sizeof *v);
        if (!v) {
            r->oom = 1;
            return;
        }
        r->secs = v;
        r->capsec = cap;
    }
    r->secs[r->nsec++] = *s;
}

static void on_event(void *cls, const struct motion_event *e, int closed)
{
    struct rows *r = cls;
    if (!closed)
        return; /* the rebuild writes each event once, finished */
    if (r->nev == r->capev) {
        size_t cap = r->capev ? r->capev * 2 : 16;
        struct motion_event *v = realloc(r->evs, cap * sizeof *v);
        if (!v) {
            r->oom = 1;
            return;
        }
        r->evs = v;
        r->capev = cap;
    }
    r->evs[r->nev] = *e;
    r->evs[r->nev++].id = 0;
}

static nvr_err rows_flush(nvr_index *ix, const char *camera, struct rows *r, struct motion_rebuild_stats *stats)
{
    nvr_err rc = r->oom ? NVR_ENOMEM : NVR_OK;
    if (!rc && (r->nsec || r->nev))
        rc = motion_store_put(ix, camera, r->secs, r->nsec, r->evs, r->nev);
    for (size_t i = 0; !rc && i < r->nev; i++)
        stats->events += r->evs[i].id != 0;
    r->nsec = r->nev = 0;
    return rc;
}

/* ---- reading a file from its descriptor ---- */

struct src {
    int fd;
    int64_t pos, size;
};

static int src_read(void *opaque, uint8_t *buf, int n)
{
    struct src *s = opaque;
    ssize_t got;
    do
        got = pread(s->fd, buf, (size_t)n, (off_t)s->pos);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return AVERROR(EIO);
    if (got == 0)
        return AVERROR_EOF;
    s->pos += got;
    return (int)got;
}

static int64_t src_seek(void *opaque, int64_t off, int whence)
{
    struct src *s = opaque;
    switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE: return s->size;
    case SEEK_SET: s->pos = off; break;
    case SEEK_CUR: s->pos += off; break;
    case SEEK_END: s->pos = s->size + off; break;
    default: return -1;
    }
    return s->pos;
}

struct cam_state {
    const struct nvr_camera_config *cam;
    struct motion_detector *det;
    struct motion_tracker tr;
    struct rows rows;
    int64_t session;
    int width, height;
};

/* One segment file's keyframes into the camera's detector and tracker. */
static nvr_err segment(struct storage *st, const struct index_segment *seg, struct cam_state *cs,
                       struct motion_decoder *dec, struct motion_rebuild_stats *stats)
{
    struct src s = {.fd = -1, .pos = 0};
    AVFormatContext *ic = NULL;
    AVIOContext *pb = NULL;
    AVPacket *pkt = NULL;
    uint8_t *iobuf = NULL;
    nvr_err rc = storage_segment_open_read(st, seg, &s.fd);
    if (rc)
        return rc;
    s.size = lseek(s.fd, 0, SEEK_END);
    rc = NVR_ENOMEM;
    if (!(iobuf = av_malloc(IO_BUFSZ)) || !(pb = avio_alloc_context(iobuf, IO_BUFSZ, 0, &s, src_read, NULL, src_seek)))
        goto out;
    iobuf = NULL; /* pb's now */
    if (!(ic = avformat_alloc_context()) || !(pkt = av_packet_alloc()))
        goto out;
    ic->pb = pb;
    rc = NVR_ECODEC;
    if (avformat_open_input(&ic, NULL, av_find_input_format("mp4"), NULL) < 0) /* frees ic on failure */
        goto out;
    int vi = av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (vi < 0)
        goto out;
    AVStream *vs = ic->streams[vi];
    if (seg->session != cs->session || vs->codecpar->width != cs->width || vs->codecpar->height != cs->height) {
        /* a new session or picture: as a reconnection does live */
        motion_tracker_flush(&cs->tr);
        motion_detector_reset(cs->det);
        cs->session = seg->session;
        cs->width = vs->codecpar->width;
        cs->height = vs->codecpar->height;
    }
    int64_t first = AV_NOPTS_VALUE;
    rc = NVR_OK;
    while (av_read_frame(ic, pkt) >= 0) {
        if (pkt->stream_index == vi && (pkt->flags & AV_PKT_FLAG_KEY)) {
            int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
            if (ts != AV_NOPTS_VALUE) {
                if (first == AV_NOPTS_VALUE)
                    first = ts;
                int64_t t = seg->start_us + av_rescale_q(ts - first, vs->time_base, AV_TIME_BASE_Q);
                const AVFrame *f;
                int depth;
                if (motion_decoder_keyframe(dec, vs->codecpar, pkt, &f, &depth) == NVR_OK) {
                    struct motion_result r;
                    motion_detector_frame(cs->det, f->data[0], f->width, f->height, f->linesize[0], depth, &r);
                    motion_tracker_sample(&cs->tr, t, &r);
                    stats->keyframes++;
                }
            }
        } else if (pkt->stream_index == vi && first == AV_NOPTS_VALUE && pkt->pts != AV_NOPTS_VALUE) {
            first = pkt->pts; /* a file starts with a keyframe; this only guards odd ones */
        }
        av_packet_unref(pkt);
    }
out:
    av_packet_free(&pkt);
    avformat_close_input(&ic);
    if (pb) {
        av_freep(&pb->buffer);
        avio_context_free(&pb);
    }
    av_free(iobuf);
    close(s.fd);
    return rc;
}

static nvr_err camera(struct storage *st, const struct nvr_camera_config *cam, int64_t from_us, int64_t to_us,
                      FILE *progress, struct motion_decoder *dec, struct motion_rebuild_stats *stats)
{
    nvr_index *ix = storage_index(st);
    struct index_segment *segs = NULL;
    size_t n = 0;
    struct nvr_rect mask[NVR_RECTS_MAX];
    int nmask = 0, deleted = 0;
    struct cam_state cs = {.cam = cam, .session = INT64_MIN};
    int64_t t0 = nvr_clock_mono_us(), last_report = t0;
    int64_t k0 = stats->keyframes;
    int e0 = stats->events;
    nvr_err rc = index_segments_list(ix, cam->id, from_us, to_us, &segs, &n);
    if (rc || !n)
        goto out;
    if (cam->motion_mask && nvr_rects_parse(cam->motion_mask, mask, NVR_RECTS_MAX, &nmask)) {
        rc = NVR_EINVAL;
        goto out;
    }
    struct motion_detect_opts o = {.sensitivity = cam->motion_sensitivity, .mask = mask, .nmask = nmask};
    if ((rc = motion_detector_create(&cs.det, &o)))
        goto out;
    struct motion_sink sink = {.cls = &cs.rows, .second = on_second, .event = on_event};
    motion_tracker_init(&cs.tr, &sink, 0);
    int64_t a = segs[0].start_us > from_us ? segs[0].start_us : from_us;
    int64_t b = segs[n - 1].end_us < to_us ? segs[n - 1].end_us : to_us;
    if ((rc = motion_store_clear_detected(ix, cam->id, a, b, &deleted)))
        goto out;
    stats->deleted += deleted;
    stats->cameras++;
    for (size_t i = 0; i < n && rc == NVR_OK; i++) {
        if (segs[i].archive[0] || segment(st, &segs[i], &cs, dec, stats) != NVR_OK) {
            stats->skipped++;
            continue;
        }
        stats->segments++;
        if (cs.rows.nsec >= REBUILD_BATCH)
            rc = rows_flush(ix, cam->id, &cs.rows, stats);
        int64_t now = nvr_clock_mono_us();
        if (progress && now - last_report >= PROGRESS_US) {
            last_report = now;
            fprintf(progress, "motion: camera %s: segment %zu of %zu, %lld keyframes\n", cam->id, i + 1, n,
                    (long long)(stats->keyframes - k0));
            fflush(progress);
        }
    }
    motion_tracker_flush(&cs.tr);
    if (rc == NVR_OK)
        rc = rows_flush(ix, cam->id, &cs.rows, stats);
    if (progress && rc == NVR_OK)
        fprintf(progress, "motion: camera %s: %zu segment%s, %lld keyframes, %d event%s (%d replaced) in %.1f s\n",
                cam->id, n, n == 1 ? "" : "s", (long long)(stats->keyframes - k0), stats->events - e0,
                stats->events - e0 == 1 ? "" : "s", deleted, (double)(nvr_clock_mono_us() - t0) / 1e6);
out:
    motion_detector_destroy(&cs.det);
    free(cs.rows.secs);
    free(cs.rows.evs);
    index_segments_free(&segs, n);
    return rc;
}

nvr_err motion_rebuild_camera(struct storage *st, const struct nvr_camera_config *cam, int64_t from_us, int64_t to_us,
                              FILE *progress, struct motion_rebuild_stats *stats)
{
    struct motion_decoder *dec = NULL;
    if (!cam->motion || cam->motion_source == NVR_MOTION_ONVIF) {
        if (progress)
            fprintf(progress, "motion: camera %s: skipped (%s)\n", cam->id,
                    !cam->motion ? "motion = off" : "motion_source = onvif: the camera's events are not in the files");
        return NVR_OK;
    }
    nvr_err rc = motion_decoder_create(&dec);
    if (rc == NVR_OK)
        rc = camera(st, cam, from_us, to_us, progress, dec, stats);
    motion_decoder_destroy(&dec);
    return rc;
}
