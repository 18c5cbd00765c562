/* SPDX-License-Identifier: Apache-2.0 */
/* test_dts_gen.c - decode timestamps from presentation timestamps (nvr/media/dts_gen.c). */
#include "media/dts_gen.h"

#include "check.h"

#include <stdlib.h>

#define D 3600 /* one frame at 25 fps, 90 kHz */

/* Feeds pts (decode order) and collects every dts given, in order; flushes at the end. */
static int run(struct dts_gen *g, const int64_t *pts, int n, int64_t *dts)
{
    int k = 0;
    int64_t out[DTS_GEN_MAX_DEPTH + 1];
    for (int i = 0; i < n; i++) {
        if (dts_gen_jumps(g, pts[i])) {
            int m = dts_gen_flush(g, out);
            for (int j = 0; j < m; j++)
                dts[k++] = out[j];
        }
        int m = dts_gen_push(g, pts[i], out, NULL);
        for (int j = 0; j < m; j++)
            dts[k++] = out[j];
    }
    int m = dts_gen_flush(g, out);
    for (int j = 0; j < m; j++)
        dts[k++] = out[j];
    return k;
}

/* Decode order of a closed GOP pattern in frames: I P B B P B B ... (depth 1)
 * or with a B-pyramid I P B b B P ... (depth 2). */
static int pattern(int64_t *pts, int frames, int pyramid)
{
    int n = 0;
    for (int gop = 0; gop * 25 < frames; gop++) {
        int base = gop * 25;
        pts[n++] = base; /* I */
        int at = 1;
        while (at < 25) {
            int run = pyramid ? 3 : 2;
            if (at + run >= 25)
                run = 24 - at;
            pts[n++] = base + at + run; /* the anchor first */
            if (pyramid && run == 3) {
                pts[n++] = base + at + 1;
                pts[n++] = base + at;
                pts[n++] = base + at + 2;
            } else {
                for (int b = 0; b < run; b++)
                    pts[n++] = base + at + b;
            }
            at += run + 1;
        }
    }
    for (int i = 0; i < n; i++)
        pts[i] = 1000000 + pts[i] * D;
    return n;
}

static void check_valid(const int64_t *pts, const int64_t *dts, int n, int expect_clamped, const struct dts_gen *g)
{
    int ok_inc = 1, ok_le = 1;
    for (int i = 0; i < n; i++) {
        if (i && dts[i] <= dts[i - 1])
            ok_inc = 0;
        if (dts[i] > pts[i])
            ok_le = 0;
    }
    CHECK(ok_inc);
    CHECK(ok_le);
    CHECK_EQ_INT(g->clamped, expect_clamped);
}

static void test_no_reorder(void)
{
    struct dts_gen g;
    int64_t pts[100], dts[100], out[DTS_GEN_MAX_DEPTH + 1];
    dts_gen_reset(&g, 0, 2 * 90000, 45000);
    for (int i = 0; i < 100; i++)
        pts[i] = 5000 + i * D;
    for (int i = 0; i < 100; i++) {
        CHECK_EQ_INT(dts_gen_push(&g, pts[i], out, NULL), 1); /* no delay at depth 0 */
        dts[i] = out[0];
        CHECK_EQ_INT(dts[i], pts[i]);
    }
    /* depth declared but unused (an inferred depth): the same intervals, shifted by D frames */
    dts_gen_reset(&g, 4, 2 * 90000, 45000);
    CHECK_EQ_INT(run(&g, pts, 100, dts), 100);
    for (int i = 0; i < 100; i++)
        CHECK_EQ_INT(dts[i], pts[i] - 4 * D);
    check_valid(pts, dts, 100, 0, &g);
}

static void test_bframes(void)
{
    for (int pyr = 0; pyr <= 1; pyr++) {
        struct dts_gen g;
        int64_t pts[600], dts[600];
        int n = pattern(pts, 500, pyr);
        dts_gen_reset(&g, pyr ? 2 : 1, 2 * 90000, 45000);
        CHECK_EQ_INT(run(&g, pts, n, dts), n);
        check_valid(pts, dts, n, 0, &g);
        /* constant frame rate: every interval is one frame, and each keyframe
         * (every 25th in presentation) sits D frames after its dts */
        int regular = 1;
        for (int i = 1 + (pyr ? 2 : 1); i < n; i++)
            regular &= dts[i] - dts[i - 1] == D;
        CHECK(regular);
        CHECK_EQ_INT(pts[25] - dts[25], (pyr ? 2 : 1) * D);
    }
}

static void test_held_start(void)
{
    struct dts_gen g;
    int64_t out[DTS_GEN_MAX_DEPTH + 1];
    dts_gen_reset(&g, 2, 2 * 90000, 45000);
    /* I0 P3 B1 B2 ... with depth 2: nothing for two frames, then three at once */
    CHECK_EQ_INT(dts_gen_push(&g, 0, out, NULL), 0);
    CHECK_EQ_INT(dts_gen_push(&g, 3 * D, out, NULL), 0);
    CHECK_EQ_INT(dts_gen_push(&g, 1 * D, out, NULL), 3);
    /* the held frames step back from the smallest pts by the hold's smallest gap */
    CHECK_EQ_INT(out[0], -2 * D);
    CHECK_EQ_INT(out[1], -1 * D);
    CHECK_EQ_INT(out[2], 0);
    CHECK_EQ_INT(dts_gen_push(&g, 2 * D, out, NULL), 1);
    CHECK_EQ_INT(out[0], 1 * D);
}

static void test_too_shallow(void)
{
    /* a camera that declares depth 0 but sends B-frames: kept, monotonic, counted */
    struct dts_gen g;
    int64_t pts[300], dts[300];
    int n = pattern(pts, 200, 0);
    dts_gen_reset(&g, 0, 2 * 90000, 45000);
    CHECK_EQ_INT(run(&g, pts, n, dts), n);
    int inc = 1;
    for (int i = 1; i < n; i++)
        inc &= dts[i] > dts[i - 1];
    CHECK(inc);
    CHECK(g.clamped > 0);
}

static void test_jumps(void)
{
    struct dts_gen g;
    int64_t pts[120], dts[140];
    /* 50 frames, a jump back by 10 s (camera restart), 50 more, a jump forward by 1 h */
    for (int i = 0; i < 40; i++)
        pts[i] = 900000 + i * D;
    for (int i = 40; i < 80; i++)
        pts[i] = 900000 + (i - 40) * D - 900000;
    for (int i = 80; i < 120; i++)
        pts[i] = 3600LL * 90000 + i * D;
    dts_gen_reset(&g, 2, 2 * 90000, 45000);
    int n = run(&g, pts, 120, dts);
    CHECK_EQ_INT(n, 120);
    /* the jumps show in the dts, and there is no clamping */
    CHECK(dts[40] < dts[39] - 80000);
    CHECK(dts[80] > dts[79] + 3000LL * 90000);
    CHECK_EQ_INT(g.clamped, 0);
    for (int i = 0; i < 120; i++)
        CHECK(dts[i] <= pts[i]);
}

static void test_depth_change_keeps_order(void)
{
    struct dts_gen g;
    int64_t out[DTS_GEN_MAX_DEPTH + 1], last = INT64_MIN;
    int ok = 1;
    dts_gen_reset(&g, 0, 2 * 90000, 45000);
    for (int i = 0; i < 10; i++) {
        int m = dts_gen_push(&g, i * D, out, NULL);
        for (int j = 0; j < m; j++) {
            ok &= out[j] > last;
            last = out[j];
        }
    }
    dts_gen_flush(&g, out);
    dts_gen_set_depth(&g, 3); /* new parameters with B-frames */
    for (int i = 10; i < 30; i++) {
        int m = dts_gen_push(&g, i * D, out, NULL);
        for (int j = 0; j < m; j++) {
            ok &= out[j] > last;
            last = out[j];
        }
    }
    CHECK(ok);
}

static void test_random_gops(void)
{
    /* random GOP shapes of depth <= declared: never clamped, always valid */
    unsigned seed = 11;
    for (int round = 0; round < 200; round++) {
        int depth = rand_r(&seed) % 5;
        int64_t pts[400], dts[420];
        int n = 0, frame = 0;
        while (n < 380) {
            int run = depth ? rand_r(&seed) % (depth + 1) : 0; /* B-frames before the next anchor */
            pts[n++] = (frame + run) * D + (rand_r(&seed) % 7) - 3; /* jitter of a few ticks */
            for (int b = 0; b < run; b++) /* backwards: the deepest reordering a depth allows */
                pts[n++] = (frame + run - 1 - b) * D;
            frame += run + 1;
        }
        struct dts_gen g;
        dts_gen_reset(&g, depth, 2 * 90000, 45000);
        CHECK_EQ_INT(run(&g, pts, n, dts), n);
        check_valid(pts, dts, n, 0, &g);
    }
}

int main(void)
{
    RUN(test_no_reorder);
    RUN(test_bframes);
    RUN(test_held_start);
    RUN(test_too_shallow);
    RUN(test_jumps);
    RUN(test_depth_change_keeps_order);
    RUN(test_random_gops);
    return check_summary();
}
