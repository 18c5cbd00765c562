/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export.c - benchmark of investigation exports: nvr's export (a signed zip
 * of faststart MP4s) against `ffmpeg -f concat -safe 0 -i LIST -c copy` on
 * the same segment files, in the same run.
 *
 * A benchmark, never run by CI.  It builds once (cached under --data) an
 * hour (--minutes) of one 1080p25 4 Mbit/s H.264 camera without recording
 * for an hour: the packets of a pre-made clip (--clip, by default
 * build/bench-clips/1080p_4M.mp4, made with tests/camera/make_clip.sh if
 * missing) are looped with continuous timestamps and written through
 * storage/'s own segment writer (60 s segments, a fragment per 2 s GOP, rows
 * and SHA-256 in the index exactly as `nvr run` makes them, fsync off).
 * Cameras 2..N (--cameras, default 8) get the same files as hard links
 * under their own paths and index rows, so the footage costs the disk once.
 *
 * Then, with the footage in the page cache (read once first), it times:
 *   1 camera   export_run of camera 1 over the whole hour (one zip), then
 *              one ffmpeg concat of its segments into one MP4;
 *   N cameras  one export_run of all N cameras (one zip), then N ffmpeg
 *              concats at once (N processes in parallel).
 * each --repeat times (default 3, alternating which side goes first), and
 * prints the best and the median seconds, the ratio to real time (footage hours / elapsed) and
 * nvr / ffmpeg side by side.  Outputs are deleted after each step.  Target
 * (issue 4): one camera-hour in under 3 s.
 *
 * Exit status: 0 after printing (whatever the figures), 1 if it could not
 * measure, 2 on bad usage.  See bench/README.md.
 */
#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "export/export.h"
#include "export/sign.h"
#include "storage/storage.h"

#include <errno.h>
#include <fcntl.h>
#include <libavformat/avformat.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef BENCH_DEFAULT_DATA
#define BENCH_DEFAULT_DATA "build/bench-data/export"
#endif
#ifndef BENCH_DEFAULT_CLIP
#define BENCH_DEFAULT_CLIP "build/bench-clips/1080p_4M.mp4"
#endif
#ifndef BENCH_SOURCE_DIR
#define BENCH_SOURCE_DIR "."
#endif

#define T0_US 1795305600000000LL /* 2026-11-22T00:00:00Z */
#define SEGMENT_US 60000000LL

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void cam_id(int c, char *out)
{
    snprintf(out, INDEX_ID_MAX, "cam%d", c + 1);
}

/* The clip's video packets, in memory. */
struct clip {
    AVFormatContext *fc;
    int vi;
    AVPacket **pkts;
    size_t n;
    int64_t dur; /* in the stream's time base */
};

static int load_clip(const char *path, struct clip *c)
{
    memset(c, 0, sizeof *c);
    if (avformat_open_input(&c->fc, path, NULL, NULL) < 0 || avformat_find_stream_info(c->fc, NULL) < 0)
        return -1;
    c->vi = av_find_best_stream(c->fc, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (c->vi < 0)
        return -1;
    AVPacket *p = av_packet_alloc();
    int64_t first = AV_NOPTS_VALUE, last = 0, lastdur = 0;
    while (av_read_frame(c->fc, p) >= 0) {
        if (p->stream_index != c->vi) {
            av_packet_unref(p);
            continue;
        }
        if (first == AV_NOPTS_VALUE)
            first = p->dts;
        p->pts -= first;
        p->dts -= first;
        last = p->dts;
        lastdur = p->duration;
        c->pkts = realloc(c->pkts, (c->n + 1) * sizeof *c->pkts);
        c->pkts[c->n++] = av_packet_clone(p);
        av_packet_unref(p);
    }
    av_packet_free(&p);
    c->dur = last + (lastdur > 0 ? lastdur : 1);
    return c->n ? 0 : -1;
}

/* Writes camera 1's footage through storage/ (as the recorder would). */
static int build_camera1(struct storage *st, const struct clip *c, int minutes)
{
    AVStream *vs = c->fc->streams[c->vi];
    AVRational tb = vs->time_base, us = {1, 1000000};
    struct storage_segment *seg = NULL;
    int64_t total_ts = av_rescale_q((int64_t)minutes * 60 * 1000000, us, tb);
    int64_t seg_start_ts = 0;
    int rc = index_camera_upsert(storage_index(st), "cam1", "Bench camera 1");
    for (int64_t loop = 0; rc == NVR_OK; loop++) {
        for (size_t i = 0; i < c->n && rc == NVR_OK; i++) {
            AVPacket *p = av_packet_clone(c->pkts[i]);
            int64_t ts = loop * c->dur + p->dts;
            int key = p->flags & AV_PKT_FLAG_KEY;
            if (key && seg) {
                int64_t media = av_rescale_q(ts - seg_start_ts, tb, us);
                int64_t wall = T0_US + av_rescale_q(ts, tb, us);
                if (ts >= total_ts || media >= SEGMENT_US)
                    rc = storage_segment_finish(&seg, media, wall);
                else
                    rc = storage_segment_cut(seg, media, wall);
            }
            if (ts >= total_ts) {
                av_packet_free(&p);
                return rc;
            }
            if (key && !seg && rc == NVR_OK) {
                struct storage_segment_params sp = {
                    .camera = "cam1", .session = T0_US, .start_us = T0_US + av_rescale_q(ts, tb, us),
                    .media_start_us = av_rescale_q(ts, tb, us), .video = vs->codecpar, .video_tb = tb, .sync = 0};
                rc = storage_segment_begin(st, &sp, &seg);
                seg_start_ts = ts;
            }
            if (seg && rc == NVR_OK) {
                p->pts = loop * c->dur + p->pts;
                p->dts = ts;
                rc = storage_segment_write(seg, p, 0);
            }
            av_packet_free(&p);
        }
    }
    return rc;
}

static int mkdir_p(const char *path)
{
    char b[PATH_MAX];
    snprintf(b, sizeof b, "%s", path);
    for (char *p = b + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(b, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(b, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Cameras 2..n: camera 1's files as hard links, with their own rows. */
static int clone_cameras(struct storage *st, const char *data, int n)
{
    struct index_segment *segs = NULL;
    size_t ns = 0;
    int rc = index_segments_list(storage_index(st), "cam1", 0, INT64_MAX, &segs, &ns);
    for (int c = 1; c < n && rc == NVR_OK; c++) {
        char id[INDEX_ID_MAX], name[64];
        cam_id(c, id);
        snprintf(name, sizeof name, "Bench camera %d", c + 1);
        if ((rc = index_camera_upsert(storage_index(st), id, name)))
            break;
        for (size_t i = 0; i < ns && rc == NVR_OK; i++) {
            struct index_segment s = segs[i];
            char src[PATH_MAX], dst[PATH_MAX + 16], dir[PATH_MAX + 16];
            const char *base = strrchr(segs[i].path, '/') + 1;
            snprintf(s.camera, sizeof s.camera, "%s", id);
            snprintf(s.path, sizeof s.path, "recordings/%s/2026-11-22/%s-%s", id, id, base + 5);
            snprintf(src, sizeof src, "%s/%s", data, segs[i].path);
            snprintf(dst, sizeof dst, "%s/%s", data, s.path);
            snprintf(dir, sizeof dir, "%s/recordings/%s/2026-11-22", data, id);
            if (mkdir_p(dir) || (link(src, dst) != 0 && errno != EEXIST)) {
                rc = NVR_EIO;
                break;
            }
            if ((rc = index_segment_insert(storage_index(st), &s)) == NVR_OK)
                rc = index_segment_finish(storage_index(st), &s);
        }
    }
    index_segments_free(&segs, ns);
    return rc;
}

static uint64_t warm(struct storage *st, const char *data)
{
    struct index_segment *segs = NULL;
    size_t n = 0;
    uint64_t bytes = 0;
    static char buf[1 << 20];
    index_segments_list(storage_index(st), "cam1", 0, INT64_MAX, &segs, &n);
    for (size_t i = 0; i < n; i++) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", data, segs[i].path);
        int fd = open(p, O_RDONLY);
        ssize_t k;
        while (fd >= 0 && (k = read(fd, buf, sizeof buf)) > 0)
            bytes += (uint64_t)k;
        if (fd >= 0)
            close(fd);
    }
    index_segments_free(&segs, n);
    return bytes;
}

/* ffmpeg concat of camera c's segments into out; the shell command only. */
static int concat_cmd(struct storage *st, const char *data, int c, const char *dir, char *cmd, size_t n)
{
    char id[INDEX_ID_MAX], list[PATH_MAX + 128];
    struct index_segment *segs = NULL;
    size_t ns = 0;
    cam_id(c, id);
    snprintf(list, sizeof list, "%s/%s.txt", dir, id);
    FILE *f = fopen(list, "w");
    if (!f || index_segments_list(storage_index(st), id, 0, INT64_MAX, &segs, &ns)) {
        if (f)
            fclose(f);
        return -1;
    }
    for (size_t i = 0; i < ns; i++)
        fprintf(f, "file '%s/%s'\n", data, segs[i].path);
    fclose(f);
    index_segments_free(&segs, ns);
    return snprintf(cmd, n, "ffmpeg -nostdin -v error -f concat -safe 0 -i %s -c copy -y %s/%s.mp4", list, dir, id) >=
                   (int)n
               ? -1
               : 0;
}

int main(int argc, char **argv)
{
    const char *data = BENCH_DEFAULT_DATA, *clip = BENCH_DEFAULT_CLIP;
    int minutes = 60, ncams = 8, rebuild = 0, status = 1, repeat = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc)
            data = argv[++i];
        else if (!strcmp(argv[i], "--clip") && i + 1 < argc)
            clip = argv[++i];
        else if (!strcmp(argv[i], "--minutes") && i + 1 < argc)
            minutes = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--cameras") && i + 1 < argc)
            ncams = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rebuild"))
            rebuild = 1;
        else if (!strcmp(argv[i], "--rt")) {
            /* both sides (ffmpeg inherits it) shielded from other work on the machine */
            struct sched_param sp = {.sched_priority = 10};
            if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) {
                fprintf(stderr, "--rt: %s (needs root)\n", strerror(errno));
                return 2;
            }
        } else {
            fprintf(stderr, "usage: %s [--data DIR] [--clip FILE] [--minutes N] [--cameras N] [--repeat N] [--rebuild] [--rt]\n", argv[0]);
            return 2;
        }
    }
    if (minutes < 1 || ncams < 1 || ncams > EXPORT_MAX_CAMERAS || repeat < 1 || repeat > 20)
        return 2;
    char path[PATH_MAX + 64], cmd[8 * PATH_MAX + 256];
    if (access(clip, R_OK) != 0) {
        snprintf(cmd, sizeof cmd,
                 "mkdir -p $(dirname %s) && %s/tests/camera/make_clip.sh %s h264 --size 1920x1080 --bitrate 4000 "
                 "--seconds 20",
                 clip, BENCH_SOURCE_DIR, clip);
        if (system(cmd) != 0) {
            fprintf(stderr, "cannot make the clip %s\n", clip);
            return 1;
        }
    }
    /* the footage, cached between runs (marker file written when complete) */
    char marker[PATH_MAX];
    snprintf(marker, sizeof marker, "%s/complete-%dmin-%dcam", data, minutes, ncams);
    if (rebuild || access(marker, F_OK) != 0) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", data);
        if (system(cmd) != 0 || mkdir_p(data))
            return 1;
        struct clip c;
        struct storage *st = NULL;
        double t = now_s();
        printf("building %d min of footage x %d cameras in %s ...\n", minutes, ncams, data);
        fflush(stdout);
        if (load_clip(clip, &c) || storage_open(&st, data, STORAGE_WRITER) || build_camera1(st, &c, minutes) ||
            clone_cameras(st, data, ncams)) {
            fprintf(stderr, "cannot build the footage\n");
            storage_close(&st);
            return 1;
        }
        storage_close(&st);
        printf("built in %.1f s\n", now_s() - t);
        FILE *m = fopen(marker, "w");
        if (m)
            fclose(m);
    }
    char cfgtext[8192];
    int len = snprintf(cfgtext, sizeof cfgtext, "[server]\ndata_dir = %s\n", data);
    for (int i = 0; i < ncams; i++)
        len += snprintf(cfgtext + len, sizeof cfgtext - (size_t)len,
                        "[camera cam%d]\nname = Bench camera %d\nurl = rtsp://127.0.0.1/cam%d\n", i + 1, i + 1, i + 1);
    struct nvr_config *cfg = NULL;
    struct storage *st = NULL;
    struct sign_key *key = NULL;
    struct export_request *req = calloc(1, sizeof *req);
    char err[512], outdir[PATH_MAX];
    snprintf(outdir, sizeof outdir, "%s/out", data);
    mkdir_p(outdir);
    if (!req || nvr_config_parse("bench.conf", cfgtext, (size_t)len, &cfg, stderr) ||
        storage_open(&st, data, 0) || sign_key_load_or_create(data, &key))
        goto out;
    uint64_t bytes = warm(st, data);
    req->from_us = T0_US;
    req->to_us = T0_US + (int64_t)minutes * 60 * 1000000;
    snprintf(req->reason, sizeof req->reason, "benchmark");
    snprintf(req->operator_name, sizeof req->operator_name, "bench");
    double hours = minutes / 60.0, r_nvr[2][20], r_ff[2][20];
    uint64_t zbytes[2];
    for (int round = 0; round < 2; round++) {
        int n = round == 0 ? 1 : ncams;
        req->ncameras = (size_t)n;
        for (int c = 0; c < n; c++)
            cam_id(c, req->cameras[c]);
        for (int k = 0; k < repeat; k++) {
            /* alternate who goes first, so neither always meets a cache the other warmed */
            for (int side = 0; side < 2; side++) {
                if ((side == 0) == (k % 2 == 0)) {
                    snprintf(path, sizeof path, "%s/export.zip", outdir);
                    double t = now_s();
                    if (export_run(st, key, req, path, NULL, NULL, &zbytes[round], err, sizeof err)) {
                        fprintf(stderr, "export failed: %s\n", err);
                        goto out;
                    }
                    r_nvr[round][k] = now_s() - t;
                    unlink(path);
                } else {
                    /* ffmpeg: n processes at once */
                    int l = snprintf(cmd, sizeof cmd, "(");
                    for (int c = 0; c < n; c++) {
                        char one[2 * PATH_MAX + 200];
                        if (concat_cmd(st, data, c, outdir, one, sizeof one))
                            goto out;
                        l += snprintf(cmd + l, sizeof cmd - (size_t)l, "%s & ", one);
                    }
                    snprintf(cmd + l, sizeof cmd - (size_t)l, "wait)");
                    double t = now_s();
                    if (system(cmd) != 0) {
                        fprintf(stderr, "ffmpeg failed\n");
                        goto out;
                    }
                    r_ff[round][k] = now_s() - t;
                    snprintf(cmd, sizeof cmd, "rm -f %s/*.mp4 %s/*.txt", outdir, outdir);
                    if (system(cmd) != 0)
                        goto out;
                }
            }
        }
    }
    printf("\nexport of %d min of 1080p25 H.264 at %.1f Mbit/s per camera (%.2f GB per camera), footage in page "
           "cache, best of %d (median)\n",
           minutes, bytes * 8.0 / (minutes * 60.0) / 1e6, bytes / 1e9, repeat);
    printf("%-34s %18s %24s\n", "", "nvr export", "ffmpeg concat -c copy");
    double best1 = 0;
    for (int round = 0; round < 2; round++) {
        int n = round == 0 ? 1 : ncams;
        char what[64], a[64], b[64];
        qsort(r_nvr[round], (size_t)repeat, sizeof(double), cmp_double);
        qsort(r_ff[round], (size_t)repeat, sizeof(double), cmp_double);
        double bn = r_nvr[round][0], mn = r_nvr[round][repeat / 2], bf = r_ff[round][0], mf = r_ff[round][repeat / 2];
        if (round == 0)
            best1 = bn;
        snprintf(what, sizeof what, "%d camera%s%s", n, n == 1 ? "" : "s", n == 1 ? "" : " at once");
        snprintf(a, sizeof a, "%.2f (%.2f)", bn, mn);
        snprintf(b, sizeof b, "%.2f (%.2f)", bf, mf);
        printf("%-18s %-15s %18s %24s\n", what, "seconds", a, b);
        snprintf(a, sizeof a, "%.0fx (%.0fx)", n * hours * 3600 / bn, n * hours * 3600 / mn);
        snprintf(b, sizeof b, "%.0fx (%.0fx)", n * hours * 3600 / bf, n * hours * 3600 / mf);
        printf("%-18s %-15s %18s %24s\n", "", "x real time", a, b);
        printf("%-18s %-15s %18.0f %24.0f\n", "", "MB/s written", zbytes[round] / 1e6 / bn, n * bytes / 1e6 / bf);
        snprintf(a, sizeof a, "%.2f (%.2f)", bn / bf, mn / mf);
        printf("%-18s %-15s %18s\n", "", "nvr / ffmpeg", a);
    }
    printf("target: 1 camera-hour in < 3 s: %s (best %.2f s for %d min)\n", best1 * 60.0 / minutes < 3 ? "PASS" : "FAIL",
           best1, minutes);
    double load[3];
    if (getloadavg(load, 3) == 3)
        printf("load average at the end: %.2f %.2f %.2f (2 cores; other work skews these figures)\n", load[0], load[1],
               load[2]);
    status = 0;
out:
    if (status)
        fprintf(stderr, "could not measure\n");
    free(req);
    sign_key_free(&key);
    storage_close(&st);
    nvr_config_free(&cfg);
    return status;
}
