/* SPDX-License-Identifier: Apache-2.0 */
/* test_export_mp4.c - the export's MP4 planning (nvr/export/export_mp4.c) on
 * footage with exactly known wall-clock times: segments written through
 * storage/'s own writer from a clip's packets (argv[1], the clips fixture),
 * two contiguous, then one after a short gap, then one after a 100-hour gap.
 * Checks the cut at the keyframe at or before `from`, the frame-exact end,
 * the held frame across a short gap, a new part after a gap one sample
 * cannot span, and that the whole export (zip) verifies. */
#include "base/err.h"
#include "export/export.h"
#include "export/export_mp4.h"
#include "export/sign.h"
#include "storage/storage.h"

#include "check.h"

#include <libavformat/avformat.h>
#include <stdlib.h>
#include <unistd.h>

#define T0 1795305600000000LL /* 2026-11-22T00:00:00Z */
#define S 1000000LL

static AVFormatContext *fc;
static int vi;

/* Writes one segment of `seconds` of the clip (looped) starting at wall
 * clock start_us and media time media_start_us. */
static int write_segment(struct storage *st, int64_t start_us, int64_t media_start_us, int seconds)
{
    AVStream *vs = fc->streams[vi];
    AVRational us = {1, 1000000};
    struct storage_segment *seg = NULL;
    struct storage_segment_params p = {.camera = "cam", .session = start_us, .start_us = start_us,
                                       .media_start_us = media_start_us, .video = vs->codecpar,
                                       .video_tb = vs->time_base, .sync = 0};
    int rc = storage_segment_begin(st, &p, &seg);
    int64_t base = av_rescale_q(media_start_us, us, vs->time_base), first = AV_NOPTS_VALUE, media = 0;
    AVPacket *pkt = av_packet_alloc();
    avformat_seek_file(fc, vi, INT64_MIN, 0, 0, 0);
    while (rc == NVR_OK && av_read_frame(fc, pkt) >= 0) {
        if (pkt->stream_index != vi) {
            av_packet_unref(pkt);
            continue;
        }
        if (first == AV_NOPTS_VALUE)
            first = pkt->dts;
        int64_t t = pkt->dts - first;
        media = av_rescale_q(t, vs->time_base, us);
        if ((pkt->flags & AV_PKT_FLAG_KEY) && media > 0) {
            if (media >= seconds * S) {
                av_packet_unref(pkt);
                break;
            }
            rc = storage_segment_cut(seg, media, start_us + media); /* wall = media: no slew */
        }
        pkt->pts = pkt->pts - first + base;
        pkt->dts = t + base;
        if (rc == NVR_OK)
            rc = storage_segment_write(seg, pkt, 0);
        av_packet_unref(pkt);
    }
    if (rc == NVR_OK)
        rc = storage_segment_finish(&seg, media, start_us + media);
    av_packet_free(&pkt);
    return rc;
}

static const char *clip_path;

static void test_plan_and_export(void)
{
    char dir[] = "/tmp/nvr-test-export-XXXXXX";
    struct storage *st = NULL;
    struct index_segment *segs = NULL;
    size_t n = 0, part_end[8], nparts = 0;
    struct export_mp4 *m = NULL;
    CHECK(mkdtemp(dir) != NULL);
    if (avformat_open_input(&fc, clip_path, NULL, NULL) < 0 || avformat_find_stream_info(fc, NULL) < 0 ||
        (vi = av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0)) < 0) {
        CHECK(!"cannot read the clip");
        return;
    }
    CHECK_EQ_INT(storage_open(&st, dir, STORAGE_WRITER), NVR_OK);
    CHECK_EQ_INT(index_camera_upsert(storage_index(st), "cam", "Cam"), NVR_OK);
    /* run 1: [T0, T0+8) [T0+8, T0+16); run 2 after a 5 s gap: [T0+21, T0+25);
     * run 3 after 100 h: longer than one sample can last at the clip's timescale
     * (12800 Hz: 93 h; a camera's 90 kHz: 13 h) */
    CHECK_EQ_INT(write_segment(st, T0, 0, 8), NVR_OK);
    CHECK_EQ_INT(write_segment(st, T0 + 8 * S, 8 * S, 8), NVR_OK);
    CHECK_EQ_INT(write_segment(st, T0 + 21 * S, 21 * S, 4), NVR_OK);
    CHECK_EQ_INT(write_segment(st, T0 + 100 * 3600 * S, 100 * 3600 * S, 4), NVR_OK);
    CHECK_EQ_INT(index_segments_list(storage_index(st), "cam", 0, INT64_MAX, &segs, &n), NVR_OK);
    CHECK_EQ_INT(n, 4);
    if (n != 4)
        goto out;
    CHECK_EQ_INT(segs[1].start_us, segs[0].end_us);
    /* parts: the 100 h gap is longer than a held frame may last */
    CHECK_EQ_INT(export_mp4_split(st, segs, n, part_end, &nparts), NVR_OK);
    CHECK_EQ_INT(nparts, 2);
    CHECK_EQ_INT(part_end[0], 3);
    CHECK_EQ_INT(part_end[1], 4);
    /* from mid-GOP (T0+3.1 s) to mid-GOP (T0+23.3 s): starts at the keyframe at T0+2 s,
     * ends with the frame before T0+23.3 s; 16 s + 5 s gap + 2.3 s */
    int64_t first, end, dur;
    CHECK_EQ_INT(export_mp4_open(st, segs, 3, T0 + 3100000, T0 + 23300000, &m), NVR_OK);
    if (m) {
        export_mp4_span(m, &first, &end, &dur);
        CHECK_EQ_INT(first, T0 + 2 * S);
        CHECK(end > T0 + 23300000 - 1 && end <= T0 + 23300000 + 40000); /* the last frame's end */
        CHECK(llabs(dur - (end - first)) <= 1000); /* the gap is held: file time = wall time */
        CHECK(export_mp4_size(m) > 1000);
        /* the file is all there and starts with ftyp, moov */
        uint8_t *buf = malloc(export_mp4_size(m)), *p = buf;
        int64_t k, total = 0;
        while (buf && (k = export_mp4_read(m, p, 1000003)) > 0) {
            p += k;
            total += k;
        }
        CHECK_EQ_INT(total, (int64_t)export_mp4_size(m));
        CHECK(buf && memcmp(buf + 4, "ftyp", 4) == 0 && memcmp(buf + 36, "moov", 4) == 0);
        free(buf);
        export_mp4_free(&m);
    }
    /* a range in the gap only: nothing to export */
    CHECK_EQ_INT(export_mp4_open(st, segs, 3, T0 + 17 * S, T0 + 20 * S, &m), NVR_ENOTFOUND);
    CHECK(m == NULL);
    /* the whole export over all of it: two parts, and it verifies */
    {
        static const char text[] = "[server]\ndata_dir = /tmp/x\n[camera cam]\nurl = rtsp://h/1\n";
        struct nvr_config *cfg = NULL;
        struct sign_key *key = NULL;
        struct export_request *req = calloc(1, sizeof *req);
        char zip[256], err[256];
        uint64_t bytes = 0;
        int problems = -1;
        snprintf(zip, sizeof zip, "%s/out.zip", dir);
        CHECK_EQ_INT(nvr_config_parse("t.conf", text, sizeof text - 1, &cfg, NULL), NVR_OK);
        CHECK_EQ_INT(sign_key_load_or_create(dir, &key), NVR_OK);
        req->ncameras = 1;
        strcpy(req->cameras[0], "cam");
        req->from_us = T0;
        req->to_us = T0 + 101 * 3600 * S;
        CHECK_EQ_INT(export_run(st, key, req, zip, NULL, NULL, &bytes, err, sizeof err), NVR_OK);
        CHECK(bytes > 0);
        FILE *devnull = fopen("/dev/null", "w");
        CHECK_EQ_INT(export_verify(zip, devnull, &problems), NVR_OK);
        CHECK_EQ_INT(problems, 0);
        fclose(devnull);
        unlink(zip);
        free(req);
        sign_key_free(&key);
        nvr_config_free(&cfg);
    }
out:
    index_segments_free(&segs, n);
    storage_close(&st);
    avformat_close_input(&fc);
    check_rmdir(dir);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_export_mp4 CLIP.mp4\n");
        return 2;
    }
    clip_path = argv[1];
    RUN(test_plan_and_export);
    return check_summary();
}
