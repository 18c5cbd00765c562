/* SPDX-License-Identifier: Apache-2.0 */
/* test_writer.c - the recorder's writer state machine (nvr/core/writer.c)
 * without a camera: a clip's packets (argv[1], the clips fixture) are queued
 * items as the ingest thread makes them, the writer runs on a simulated
 * clock (struct nvr_clock), and what it wrote is read back from the real
 * index in a scratch data_dir.
 *
 * Checks, each against the rules at the top of writer.c and in
 * docs/design/time.md: segments end at the first keyframe after
 * segment_seconds and follow each other without a gap; footage before the
 * first keyframe is dropped; a camera timestamp jump (T5) ends the segment
 * and the next starts at the arrival time with the media timeline going on;
 * new codec parameters start a segment; a step back of our clock (T6) ends
 * the segment, marks the footage now in the future clock_suspect, and
 * labels what follows with the new time, without overlap; a camera whose
 * timestamps jump at every frame (T7) is recorded on arrival time in
 * segments of normal length, without losing a frame, and goes back to its
 * own timestamps once they are sane again. */
#include "base/clock.h"
#include "base/err.h"
#include "core/writer.h"
#include "ingest/packet_queue.h"
#include "storage/index.h"
#include "storage/storage.h"

#include "check.h"
#include "clip.h"

#include <stdlib.h>
#include <unistd.h>

#define T0 1795305600000000LL /* 2026-11-22T00:00:00Z */
#define S 1000000LL
#define NEAR(a, b) (llabs((long long)((a) - (b))) <= 2000) /* within 2 ms */

static const char *clip_path;

/* ---- a simulated clock: the test sets the wall clock, mono runs with it ---- */

struct sim {
    int64_t wall, mono;
};

static int64_t sim_now(void *cls)
{
    return ((struct sim *)cls)->wall;
}

static int64_t sim_mono(void *cls)
{
    return ((struct sim *)cls)->mono;
}

/* ---- a scratch recorder: storage, clip, writer ---- */

struct rig {
    char dir[64];
    struct storage *st;
    struct clip c;
    struct sim sim;
    struct nvr_clock clock;
    struct writer_counters counters;
    struct writer *w;
    int write_errors;
};

static void on_write(void *cls, int rc, const char *op)
{
    (void)op;
    if (rc)
        ((struct rig *)cls)->write_errors++;
}

static int rig_open(struct rig *r, int segment_seconds)
{
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "/tmp/test_writer_XXXXXX");
    if (!mkdtemp(r->dir) || storage_open(&r->st, r->dir, STORAGE_WRITER) != NVR_OK ||
        index_camera_upsert(storage_index(r->st), "cam", "Cam") != NVR_OK ||
        clip_open(&r->c, clip_path) != 0)
        return -1;
    r->sim = (struct sim){.wall = T0, .mono = 1000 * S};
    r->clock = (struct nvr_clock){.now_us = sim_now, .mono_us = sim_mono, .cls = &r->sim};
    struct writer_opts o = {.camera = "cam", .segment_seconds = segment_seconds, .st = r->st,
                            .counters = &r->counters, .on_write = on_write, .cls = r, .clock = &r->clock};
    r->w = writer_create(&o);
    return r->w ? 0 : -1;
}

static void item(struct rig *r, enum pq_kind kind, AVPacket *pkt, int64_t recv, struct pq_params *params)
{
    struct pq_item *it = calloc(1, sizeof *it);
    it->kind = kind;
    it->pkt = pkt;
    it->meta = (struct ingest_meta){.recv_us = recv, .rtcp_origin_us = INT64_MIN, .new_params = params != NULL};
    it->params = params;
    writer_item(r->w, it);
    pq_item_free(it);
}

static struct pq_params *params(struct rig *r)
{
    struct ingest_info info = {.video = r->c.par, .video_tb = r->c.tb};
    return pq_params_from_info(&info, r->sim.wall);
}

/* Frames [from, to) of the clip arrive in real time: each at wall clock
 * `wall0` + its media time since frame `from`, the simulated clock with it.
 * jump_us is added to the camera's timestamps (not to the arrival). */
static void frames(struct rig *r, size_t from, size_t to, int64_t wall0, int64_t jump_us)
{
    int64_t jump = av_rescale_q(jump_us, AV_TIME_BASE_Q, r->c.tb);
    for (size_t k = from; k < to; k++) {
        int64_t t = clip_us(&r->c, k) - clip_us(&r->c, from);
        int64_t step = wall0 + t - r->sim.wall;
        r->sim.wall = wall0 + t;
        r->sim.mono += step > 0 ? step : 0; /* a clock step moves only the wall clock */
        AVPacket *p = clip_packet(&r->c, k);
        p->pts += jump;
        p->dts += jump;
        item(r, PQ_PACKET, p, r->sim.wall, NULL);
    }
}

static struct index_segment *segments(struct rig *r, size_t *n)
{
    struct index_segment *segs = NULL;
    *n = 0;
    CHECK(index_segments_list(storage_index(r->st), "cam", 0, INT64_MAX, &segs, n) == NVR_OK);
    return segs;
}

static void rig_close(struct rig *r)
{
    writer_destroy(&r->w);
    storage_close(&r->st);
    clip_close(&r->c);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", r->dir);
    CHECK(system(cmd) == 0);
}

/* The clip has a keyframe every 2 s (50 frames at 25 fps). */

static void test_segments_end_at_keyframes_after_segment_seconds(void)
{
    struct rig r;
    CHECK(rig_open(&r, 3) == 0);
    item(&r, PQ_SESSION_START, NULL, T0, params(&r));
    frames(&r, 0, 250, T0, 0); /* 10 s */
    item(&r, PQ_SESSION_END, NULL, r.sim.wall, NULL);
    size_t n;
    struct index_segment *s = segments(&r, &n);
    /* 3 s segments end at the keyframes at 4 s and 8 s; the last ends a frame after its last picture */
    CHECK_EQ_INT(n, 3);
    if (n == 3) {
        CHECK(NEAR(s[0].start_us, T0));
        CHECK(NEAR(s[0].end_us, T0 + 4 * S));
        CHECK_EQ_INT(s[1].start_us, s[0].end_us);
        CHECK(NEAR(s[1].end_us, T0 + 8 * S));
        CHECK_EQ_INT(s[2].start_us, s[1].end_us);
        CHECK(NEAR(s[2].end_us, T0 + 10 * S));
        CHECK_EQ_INT(s[0].frames, 100);
        CHECK_EQ_INT(s[1].frames, 100);
        CHECK_EQ_INT(s[2].frames, 50);
        CHECK_EQ_INT(s[1].media_start_us, s[0].media_start_us + s[0].media_us); /* one run */
        for (size_t i = 0; i < n; i++) {
            CHECK_EQ_INT(s[i].state, INDEX_SEG_COMPLETE);
            CHECK(!s[i].clock_suspect);
            CHECK(strcmp(s[i].video_codec, "h264") == 0);
        }
    }
    CHECK_EQ_INT(atomic_load(&r.counters.segments), 3);
    CHECK_EQ_INT(atomic_load(&r.counters.dropped), 0);
    CHECK(atomic_load(&r.counters.frag_writes) >= 2);
    CHECK_EQ_INT(r.write_errors, 0);
    index_segments_free(&s, n);
    rig_close(&r);
}

static void test_footage_before_the_first_keyframe_is_dropped(void)
{
    struct rig r;
    CHECK(rig_open(&r, 60) == 0);
    item(&r, PQ_SESSION_START, NULL, T0, params(&r));
    frames(&r, 10, 150, T0, 0); /* joins 0.4 s into a GOP */
    item(&r, PQ_SESSION_END, NULL, r.sim.wall, NULL);
    size_t n;
    struct index_segment *s = segments(&r, &n);
    CHECK_EQ_INT(n, 1);
    if (n == 1) {
        CHECK(NEAR(s[0].start_us, T0 + 40 * S / 25)); /* the keyframe at frame 50 */
        CHECK_EQ_INT(s[0].frames, 100);
    }
    CHECK_EQ_INT(atomic_load(&r.counters.dropped), 40);
    index_segments_free(&s, n);
    rig_close(&r);
}

static void test_camera_timestamp_jump_starts_a_new_segment(void)
{
    struct rig r;
    CHECK(rig_open(&r, 60) == 0);
    item(&r, PQ_SESSION_START, NULL, T0, params(&r));
    frames(&r, 0, 100, T0, 0);
    /* the camera's timestamps jump 10 minutes ahead; arrival goes on */
    frames(&r, 100, 200, T0 + 4 * S, 600 * S);
    item(&r, PQ_SESSION_END, NULL, r.sim.wall, NULL);
    size_t n;
    struct index_segment *s = segments(&r, &n);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK(NEAR(s[0].start_us, T0));
        CHECK(s[0].end_us <= s[1].start_us);
        CHECK(llabs((long long)(s[1].start_us - (T0 + 4 * S))) <= 100000); /* at its arrival, not 10 min on */
        CHECK(s[1].media_start_us >= s[0].media_start_us + s[0].media_us); /* media time never goes back */
        CHECK(s[1].end_us < T0 + 9 * S);
    }
    index_segments_free(&s, n);
    rig_close(&r);
}

static void test_new_codec_parameters_start_a_segment(void)
{
    struct rig r;
    CHECK(rig_open(&r, 60) == 0);
    item(&r, PQ_SESSION_START, NULL, T0, params(&r));
    frames(&r, 0, 100, T0, 0);
    /* the keyframe at 4 s carries new parameters (the same here: any change counts) */
    r.sim.wall = T0 + clip_us(&r.c, 100);
    item(&r, PQ_PACKET, clip_packet(&r.c, 100), r.sim.wall, params(&r));
    frames(&r, 101, 150, T0 + clip_us(&r.c, 101), 0);
    item(&r, PQ_SESSION_END, NULL, r.sim.wall, NULL);
    size_t n;
    struct index_segment *s = segments(&r, &n);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK(NEAR(s[0].end_us, T0 + 4 * S));
        CHECK_EQ_INT(s[1].start_us, s[0].end_us);
        CHECK_EQ_INT(s[0].frames, 100);
        CHECK_EQ_INT(s[1].frames, 50);
    }
    index_segments_free(&s, n);
    rig_close(&r);
}

static void test_clock_step_back_marks_the_future_and_follows(void)
{
    struct rig r;
    CHECK(rig_open(&r, 60) == 0);
    item(&r, PQ_SESSION_START, NULL, T0, params(&r));
    frames(&r, 0, 150, T0, 0); /* 6 s labelled from T0 */
    /* NTP steps our clock back an hour (the monotonic clock goes on) */
    int64_t back = T0 - 3600 * S + 6 * S;
    frames(&r, 150, 300, back, 0);
    item(&r, PQ_SESSION_END, NULL, r.sim.wall, NULL);
    size_t n;
    struct index_segment *s = segments(&r, &n);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        /* by start time: the new footage, labelled with the true time, comes first */
        CHECK(llabs((long long)(s[0].start_us - back)) <= 100000);
        CHECK(!s[0].clock_suspect);
        CHECK(s[0].end_us <= s[1].start_us); /* no overlap */
        CHECK(NEAR(s[1].start_us, T0));
        /* its end is the media length, slewed at most 500 ppm towards the stepped clock (time.md) */
        CHECK(llabs((long long)(s[1].end_us - (T0 + 6 * S))) <= 6 * S / 2000 + 1000);
        CHECK(s[1].clock_suspect); /* in the future of the corrected clock */
        CHECK_EQ_INT(s[1].frames + s[0].frames, 300);
    }
    index_segments_free(&s, n);
    rig_close(&r);
}

/* ---- chaotic camera timestamps (T7) ---- */

/* A small deterministic generator (the test must not depend on libc's rand). */
static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* A jump of 3 to 600 s, forward or back, in microseconds. */
static int64_t chaos_jump(uint64_t *s)
{
    int64_t j = 3 * S + (int64_t)(lcg(s) % (597 * (uint64_t)S));
    return lcg(s) & 1 ? j : -j;
}

/* Frames [from, to) arrive in real time from wall0, read in batches as the
 * RTSP reader does (each frame's arrival is the end of its 0.1 s batch); the
 * camera's timestamps jump by a new random amount at every frame when chaos
 * is set.  Returns the next frame. */
static size_t chaotic_frames(struct rig *r, size_t from, size_t to, int64_t wall0, uint64_t *seed, int chaos)
{
    for (size_t k = from; k < to; k++) {
        int64_t t = clip_us(&r->c, k) - clip_us(&r->c, from);
        int64_t arrive = wall0 + (t / 100000 + 1) * 100000;
        if (arrive > r->sim.wall) {
            r->sim.mono += arrive - r->sim.wall;
            r->sim.wall = arrive;
        }
        AVPacket *p = clip_packet(&r->c, k);
        if (chaos) {
            int64_t j = av_rescale_q(chaos_jump(seed), AV_TIME_BASE_Q, r->c.tb);
            p->pts += j;
            p->dts += j;
        }
        item(r, PQ_PACKET, p, r->sim.wall, NULL);
    }
    return to;
}

/* Reads the video packets of every segment back from its file, in the
 * index's order: their decode times must strictly increase within each file
 * and from one file of a run to the next, and their durations be regular:
 * at least 80 % of them equal to the file's last one, and none shorter
 * than it once it was reached (a player takes the frame rate from them: two
 * frames must never fall on one tick of it).  Returns the packets read. */
static int64_t check_files_dts(struct rig *r, const struct index_segment *s, size_t n)
{
    int64_t frames = 0, last = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", r->dir, s[i].path);
        AVFormatContext *fc = NULL;
        if (avformat_open_input(&fc, path, NULL, NULL) < 0) {
            CHECK(!"segment file opens");
            continue;
        }
        AVPacket *p = av_packet_alloc();
        AVRational tb = fc->streams[0]->time_base;
        int64_t prev = INT64_MIN, bad = 0, nd = 0;
        int64_t *d = calloc(4096, sizeof *d);
        while (av_read_frame(fc, p) >= 0) {
            if (p->stream_index == 0) {
                CHECK(p->dts != AV_NOPTS_VALUE);
                int64_t us = av_rescale_q(p->dts, tb, AV_TIME_BASE_Q);
                if (prev != INT64_MIN && p->dts <= prev)
                    bad++;
                if (prev != INT64_MIN && nd < 4096)
                    d[nd++] = p->dts - prev;
                if (last != INT64_MIN && us <= last - 1000)
                    bad++; /* the next file goes on from the previous (1 ms of rounding) */
                prev = p->dts;
                last = us;
                frames++;
            }
            av_packet_unref(p);
        }
        CHECK_EQ_INT(bad, 0);
        if (nd > 1) {
            int64_t tail = d[nd - 1], same = 0, shorter = 0, reached = 0;
            for (int64_t k = 0; k < nd; k++) {
                same += d[k] == tail;
                reached |= d[k] == tail;
                shorter += reached && d[k] < tail;
            }
            CHECK(same * 5 >= nd * 4);
            CHECK_EQ_INT(shorter, 0);
        }
        free(d);
        av_packet_free(&p);
        avformat_close_input(&fc);
    }
    return frames;
}

/* 60 s of frames whose timestamps jump 3-600 s forward or back at every
 * frame.  Before T7 every jump ended the segment and the frames up to the
 * next keyframe were lost: one 1-frame segment per keyframe (30 a minute
 * with this clip), 96 % of the frames dropped.  Now: segments of
 * segment_seconds (20 s) on arrival time, so at most 60 / 20 + 1 = 4 of them,
 * not a frame dropped, decode times strictly increasing in the files, and
 * the footage covers the minute. */
static void test_chaotic_timestamps_keep_segments_long(void)
{
    struct rig r;
    uint64_t seed = 13;
    CHECK(rig_open(&r, 20) == 0);
    item(&r, PQ_SESSION_START, NULL, T0, params(&r));
    chaotic_frames(&r, 0, 1500, T0, &seed, 1); /* 60 s at 25 fps */
    CHECK_EQ_INT(atomic_load(&r.counters.ts_arrival), 1);
    CHECK(atomic_load(&r.counters.ts_jumps) >= 1400);
    item(&r, PQ_SESSION_END, NULL, r.sim.wall, NULL);
    size_t n;
    struct index_segment *s = segments(&r, &n);
    printf("chaotic timestamps, 60 s: %zu segments, %llu dropped, %llu jumps\n", n,
           (unsigned long long)atomic_load(&r.counters.dropped), (unsigned long long)atomic_load(&r.counters.ts_jumps));
    CHECK(n >= 3 && n <= 4);
    CHECK_EQ_INT(atomic_load(&r.counters.segments), n);
    CHECK_EQ_INT(atomic_load(&r.counters.dropped), 0);
    int64_t frames = 0, media = 0;
    for (size_t i = 0; i < n; i++) {
        frames += s[i].frames;
        media += s[i].media_us;
        CHECK_EQ_INT(s[i].state, INDEX_SEG_COMPLETE);
        if (i > 0) {
            CHECK_EQ_INT(s[i].start_us, s[i - 1].end_us); /* back to back */
            CHECK_EQ_INT(s[i].media_start_us, s[i - 1].media_start_us + s[i - 1].media_us);
        }
        if (i + 1 < n)
            CHECK(s[i].media_us >= 20 * S); /* ends at the first keyframe after 20 s */
    }
    CHECK_EQ_INT(frames, 1500);
    CHECK(media >= 59 * S && media <= 61 * S);
    if (n > 0) {
        CHECK(llabs((long long)(s[0].start_us - (T0 + 100000))) <= 1000); /* the first batch's arrival */
        CHECK(llabs((long long)(s[n - 1].end_us - r.sim.wall)) <= S / 2);
    }
    CHECK_EQ_INT(check_files_dts(&r, s, n), 1500);
    CHECK_EQ_INT(r.write_errors, 0);
    index_segments_free(&s, n);
    rig_close(&r);
}

/* Chaos for 10 s, then sane timestamps: at the first keyframe after 60 s
 * without a jump the camera's own timestamps are used again (a new segment
 * starts there, back to back), and a single jump later on ends the segment
 * as T5 says. */
static void test_chaos_ends_when_timestamps_are_sane_again(void)
{
    struct rig r;
    uint64_t seed = 7;
    CHECK(rig_open(&r, 300) == 0);
    item(&r, PQ_SESSION_START, NULL, T0, params(&r));
    size_t k = chaotic_frames(&r, 0, 250, T0, &seed, 1); /* 10 s */
    CHECK_EQ_INT(atomic_load(&r.counters.ts_arrival), 1);
    k = chaotic_frames(&r, k, k + 1550, T0 + 10 * S, &seed, 0); /* 62 s sane */
    CHECK_EQ_INT(atomic_load(&r.counters.ts_arrival), 0);
    k = chaotic_frames(&r, k, k + 300, T0 + 72 * S, &seed, 0); /* 12 s more */
    uint64_t jumps = atomic_load(&r.counters.ts_jumps);
    /* one jump of 10 minutes at a keyframe (k is 2100, frame 0 of a GOP) */
    frames(&r, k, k + 250, T0 + 84 * S + 100000, 600 * S);
    CHECK_EQ_INT(atomic_load(&r.counters.ts_jumps), jumps + 1);
    CHECK_EQ_INT(atomic_load(&r.counters.ts_arrival), 0);
    item(&r, PQ_SESSION_END, NULL, r.sim.wall, NULL);
    size_t n;
    struct index_segment *s = segments(&r, &n);
    CHECK_EQ_INT(n, 3);
    if (n == 3) {
        /* frame 1750 (a keyframe) arrives 60.1 s after the last jump */
        CHECK(llabs((long long)(s[0].end_us - (T0 + 70 * S))) <= S / 2);
        CHECK_EQ_INT(s[1].start_us, s[0].end_us);
        CHECK_EQ_INT(s[1].media_start_us, s[0].media_start_us + s[0].media_us);
        CHECK(llabs((long long)(s[1].end_us - (T0 + 84 * S))) <= S / 2);
        CHECK(llabs((long long)(s[2].start_us - (T0 + 84 * S))) <= S / 2);
        CHECK_EQ_INT(s[0].frames, 1750);
        CHECK_EQ_INT(s[1].frames, 350);
        CHECK_EQ_INT(s[2].frames, 250);
    }
    CHECK_EQ_INT(atomic_load(&r.counters.dropped), 0);
    CHECK_EQ_INT(check_files_dts(&r, s, n), 2350);
    index_segments_free(&s, n);
    rig_close(&r);
}

/* A single jump 1 s into a segment (shorter than the 2 s floor) does not end
 * it: the segment goes on, one frame later, and nothing is lost. */
static void test_jump_in_a_short_segment_is_absorbed(void)
{
    struct rig r;
    CHECK(rig_open(&r, 60) == 0);
    item(&r, PQ_SESSION_START, NULL, T0, params(&r));
    frames(&r, 0, 25, T0, 0);
    frames(&r, 25, 150, T0 + S, -300 * S); /* back 5 minutes */
    CHECK_EQ_INT(atomic_load(&r.counters.ts_arrival), 0);
    item(&r, PQ_SESSION_END, NULL, r.sim.wall, NULL);
    size_t n;
    struct index_segment *s = segments(&r, &n);
    CHECK_EQ_INT(n, 1);
    if (n == 1) {
        CHECK_EQ_INT(s[0].frames, 150);
        CHECK(NEAR(s[0].start_us, T0));
        CHECK(NEAR(s[0].end_us, T0 + 6 * S));
    }
    CHECK_EQ_INT(atomic_load(&r.counters.dropped), 0);
    CHECK_EQ_INT(check_files_dts(&r, s, n), 150);
    index_segments_free(&s, n);
    rig_close(&r);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_writer CLIP.mp4\n");
        return 2;
    }
    clip_path = argv[1];
    av_log_set_level(AV_LOG_ERROR);
    RUN(test_segments_end_at_keyframes_after_segment_seconds);
    RUN(test_footage_before_the_first_keyframe_is_dropped);
    RUN(test_camera_timestamp_jump_starts_a_new_segment);
    RUN(test_new_codec_parameters_start_a_segment);
    RUN(test_clock_step_back_marks_the_future_and_follows);
    RUN(test_chaotic_timestamps_keep_segments_long);
    RUN(test_chaos_ends_when_timestamps_are_sane_again);
    RUN(test_jump_in_a_short_segment_is_absorbed);
    return check_summary();
}
