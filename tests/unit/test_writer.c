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
 * labels what follows with the new time, without overlap. */
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
    return check_summary();
}
