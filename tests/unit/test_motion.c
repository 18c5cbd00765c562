/* SPDX-License-Identifier: Apache-2.0 */
/* test_motion.c - motion detection on generated pictures (nvr/motion:
 * the detector and the event tracker), and the motion index
 * (storage/motion_store.c) with the region search on a real SQLite file:
 * events found where an object moves, none for sensor noise, a brightness
 * ramp, auto-exposure steps, an IR switch, flicker and rain; masks
 * honoured; motion deleted with its footage by retention, kept by a hold. */
#include "base/err.h"
#include "motion/motion_detect.h"
#include "motion/motion_events.h"
#include "motion/motion_search.h"
#include "storage/holds.h"
#include "storage/index.h"
#include "storage/motion_store.h"

#include "check.h"
#include "seg_fixture.h"

#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define WMAX 640
#define HMAX 360
static int W = 320, H = 180; /* 640 x 360 for rain: thin streaks need the resolution */
#define S 1000000LL
#define T0 (1795320000LL * S)

static char dir[64];

/* ---- pictures ---- */

static uint32_t rng_state = 12345;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static uint8_t clamp8(double v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* The static scene: smooth shapes plus fixed texture. */
static double scene(int x, int y)
{
    uint32_t h = (uint32_t)(x * 73856093u) ^ (uint32_t)(y * 19349663u);
    h ^= h >> 13;
    h *= 0x5bd1e995u;
    return 100 + 40 * sin(x / 9.0) + 30 * cos(y / 7.0) + (double)(h % 21) - 10;
}

enum distractor { D_NONE, D_RAMP, D_EXPOSURE, D_IR, D_FLICKER, D_RAIN };

struct object {
    int present;
    int x, y, size;
};

/* Picture k of a clip: the scene, the distractor at step k, an object,
 * sensor noise (uniform +-12, sigma ~7). */
static void picture(uint8_t *img, int k, enum distractor d, const struct object *o)
{
    double gain = 1.0, offset = 0.0;
    if (d == D_RAMP) /* a slow brightness ramp, up and down, and a contrast swing (into saturation) */
        offset = k < 160 ? k * 0.5 : 80 - (k - 160) * 0.5, gain = 1.0 + 0.3 * sin(k / 40.0);
    if (d == D_EXPOSURE) /* auto-exposure steps every 20 pictures */
        gain = (k / 20) % 2 ? 1.35 : 0.8, offset = (k / 20) % 3 ? 10 : -10;
    if (d == D_FLICKER)
        offset = (double)(rnd() % 41) - 20;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double v = scene(x, y);
            if (o && o->present && x >= o->x && x < o->x + o->size && y >= o->y && y < o->y + o->size)
                v = 235 - ((x + y) % 8) * 4;
            if (d == D_IR && k >= 40 && (k / 40) % 2) /* IR: another response curve, no colour */
                v = 255 * pow(v / 255, 0.6) * 0.7 + 30 + ((x / 16 + y / 16) % 2) * 12;
            v = v * gain + offset + (double)(rnd() % 25) - 12;
            img[y * W + x] = clamp8(v);
        }
    if (d == D_RAIN) /* 600 short bright streaks, one pixel wide, a picture, anywhere */
        for (int i = 0; i < 600; i++) {
            int x = (int)(rnd() % W), y = (int)(rnd() % (H - 24));
            for (int j = 0; j < 24; j++)
                img[(y + j) * W + x] = clamp8(img[(y + j) * W + x] + 70);
        }
}

/* ---- the tracker's output, collected ---- */

struct collected {
    struct motion_event ev[64];
    int nev;
    int nsec;
};

static void got_second(void *cls, const struct motion_second *s)
{
    (void)s;
    ((struct collected *)cls)->nsec++;
}

static void got_event(void *cls, const struct motion_event *e, int closed)
{
    struct collected *c = cls;
    if (closed && c->nev < 64)
        c->ev[c->nev++] = *e;
}

/* Runs n pictures, one a second from T0, through a detector and a tracker. */
static void run_clip(int n, enum distractor d, struct object (*obj)(int k), const struct motion_detect_opts *o,
                     struct collected *out)
{
    static uint8_t img[WMAX * HMAX];
    struct motion_detector *det = NULL;
    struct motion_tracker tr;
    struct motion_sink sink = {.cls = out, .second = got_second, .event = got_event};
    memset(out, 0, sizeof *out);
    W = d == D_RAIN ? WMAX : 320;
    H = d == D_RAIN ? HMAX : 180;
    CHECK_EQ_INT(motion_detector_create(&det, o), NVR_OK);
    motion_tracker_init(&tr, &sink, 0);
    for (int k = 0; k < n; k++) {
        struct object ob = obj ? obj(k) : (struct object){0};
        struct motion_result r;
        picture(img, k, d, &ob);
        motion_detector_frame(det, img, W, H, W, 8, &r);
        if (getenv("MOTION_DEBUG"))
            fprintf(stderr, "d=%d k=%d verdict=%d score=%d gain=%.3f offset=%.1f noise=%.2f\n", d, k, r.verdict,
                    r.score, r.gain, r.offset, r.noise);
        motion_tracker_sample(&tr, T0 + k * S, &r);
    }
    motion_tracker_flush(&tr);
    motion_detector_destroy(&det);
    CHECK(det == NULL);
}

/* A 40-pixel object crossing the picture from picture 20 to 29. */
static struct object crossing(int k)
{
    struct object o = {k >= 20 && k < 30, (20 + (k - 20) * 26) * W / 320, 70 * H / 180, 40 * W / 320};
    return o;
}

/* The same object, crossing the left half only. */
static struct object crossing_left(int k)
{
    struct object o = {k >= 20 && k < 30, 4 + (k - 20) * 10, 70, 30};
    return o;
}

static const struct motion_detect_opts DEFAULT_OPTS = {.sensitivity = 5};

static void test_object_makes_one_event(void)
{
    struct collected c;
    run_clip(60, D_NONE, crossing, &DEFAULT_OPTS, &c);
    CHECK_EQ_INT(c.nev, 1);
    if (c.nev != 1)
        return;
    /* the object appeared between pictures 19 and 20, left between 29 and 30 */
    CHECK(c.ev[0].start_us >= T0 + 19 * S && c.ev[0].start_us <= T0 + 20 * S);
    CHECK(c.ev[0].end_us >= T0 + 29 * S && c.ev[0].end_us <= T0 + 30 * S);
    CHECK(c.ev[0].score >= 4);
    CHECK(c.nsec >= 10);
    struct nvr_rect box;
    CHECK(motion_cells_box(c.ev[0].cells, &box));
    CHECK(box.y0 <= 70.0 / H && box.y1 >= 110.0 / H);
}

static void test_object_under_every_distractor(void)
{
    for (int d = D_NONE; d <= D_RAIN; d++) {
        if (d == D_IR || d == D_EXPOSURE) /* a global change during the object may cut it: below */
            continue;
        struct collected c;
        run_clip(60, (enum distractor)d, crossing, &DEFAULT_OPTS, &c);
        if (c.nev != 1)
            fprintf(stderr, "distractor %d: %d events\n", d, c.nev);
        CHECK_EQ_INT(c.nev, 1);
    }
}

static void test_distractors_make_no_event(void)
{
    for (int d = D_NONE; d <= D_RAIN; d++) {
        struct collected c;
        run_clip(300, (enum distractor)d, NULL, &DEFAULT_OPTS, &c);
        if (c.nev)
            fprintf(stderr, "distractor %d: %d false events\n", d, c.nev);
        CHECK_EQ_INT(c.nev, 0);
    }
}

static void test_mask_honoured(void)
{
    struct nvr_rect left = {0, 0, 0.5, 1}, right = {0.5, 0, 1, 1};
    struct motion_detect_opts o = {.sensitivity = 5, .mask = &left, .nmask = 1};
    struct collected c;
    run_clip(60, D_NONE, crossing_left, &o, &c);
    CHECK_EQ_INT(c.nev, 0);
    o.mask = &right;
    run_clip(60, D_NONE, crossing_left, &o, &c);
    CHECK_EQ_INT(c.nev, 1);
}

static void test_rects_parse(void)
{
    struct nvr_rect r[4];
    int n;
    CHECK_EQ_INT(nvr_rects_parse("0,0,0.5,1", r, 4, &n), NVR_OK);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(nvr_rects_parse(" 0.1, 0.2 ,0.3,0.4; 0.5,0.5,1,1;", r, 4, &n), NVR_OK);
    CHECK_EQ_INT(n, 2);
    CHECK(fabs(r[0].y0 - 0.2) < 1e-9 && r[1].x1 == 1.0);
    CHECK_EQ_INT(nvr_rects_parse("", r, 4, &n), NVR_EINVAL);
    CHECK_EQ_INT(nvr_rects_parse("0,0,1", r, 4, &n), NVR_EINVAL);
    CHECK_EQ_INT(nvr_rects_parse("0,0,1,1.5", r, 4, &n), NVR_EINVAL);
    CHECK_EQ_INT(nvr_rects_parse("0.5,0,0.5,1", r, 4, &n), NVR_EINVAL);
    CHECK_EQ_INT(nvr_rects_parse("-0,0,1,1", r, 4, &n), NVR_EINVAL);
    CHECK_EQ_INT(nvr_rects_parse("0,0,1,1;0,0,1,1", r, 1, &n), NVR_EINVAL);
    CHECK_EQ_INT(nvr_rects_parse("0,0,1,1 x", r, 4, &n), NVR_EINVAL);
    uint8_t cells[MOTION_BITMAP_BYTES] = {0};
    struct nvr_rect q = {0, 0, 0.5, 0.5};
    motion_rect_cells(&q, cells);
    CHECK_EQ_INT(motion_cells_count(cells), 16 * 9);
}

/* ---- the tracker alone ---- */

/* moved: 0 still, else that many cells in a row from column col */
static void sample_at(struct motion_tracker *tr, int64_t t, int moved, int col)
{
    struct motion_result r;
    memset(&r, 0, sizeof r);
    r.verdict = moved ? MOTION_MOVED : MOTION_STILL;
    for (int i = 0; i < moved; i++)
        motion_cell_set(r.cells, col + i, 4);
    r.score = moved;
    motion_tracker_sample(tr, t, &r);
}

static void sample(struct motion_tracker *tr, int64_t t, int moved)
{
    sample_at(tr, t, moved ? 3 : 0, 3);
}

static void test_tracker_merges_and_splits(void)
{
    struct collected c;
    struct motion_tracker tr;
    struct motion_sink sink = {.cls = &c, .second = got_second, .event = got_event};
    memset(&c, 0, sizeof c);
    motion_tracker_init(&tr, &sink, 0);
    /* samples every 2 s: moved at 10, 12, (still 14), 16 -> one event (gap 4 s);
     * then still until 30, moved at 30 -> a second event */
    for (int t = 0; t <= 40; t += 2)
        sample(&tr, T0 + t * S, t == 10 || t == 12 || t == 16 || t == 30);
    motion_tracker_flush(&tr);
    CHECK_EQ_INT(c.nev, 2);
    CHECK_EQ_INT(c.ev[0].start_us, T0 + 9 * S);
    CHECK_EQ_INT(c.ev[0].end_us, T0 + 17 * S);
    CHECK_EQ_INT(c.ev[1].start_us, T0 + 29 * S);
    CHECK_EQ_INT(c.ev[1].end_us, T0 + 31 * S);
    CHECK_EQ_INT(c.nsec, 4);

    /* one cell once is no event; one cell, then one next to it, is, from the first */
    memset(&c, 0, sizeof c);
    motion_tracker_init(&tr, &sink, 0);
    for (int t = 0; t <= 40; t += 2)
        sample_at(&tr, T0 + t * S, t == 10 || t == 30 || t == 32 ? 1 : 0, t == 32 ? 4 : t == 10 ? 20 : 3);
    motion_tracker_flush(&tr);
    CHECK_EQ_INT(c.nev, 1);
    CHECK_EQ_INT(c.ev[0].start_us, T0 + 29 * S);
    CHECK_EQ_INT(c.ev[0].end_us, T0 + 33 * S);
    CHECK_EQ_INT(c.nsec, 2);
}

/* ---- the index ---- */

static void add_seg(nvr_index *ix, const char *cam, int k)
{
    fixture_segment(ix, cam, k, T0, T0 + k * 60 * S, 1000);
}

/* An event of minute k: 10 s of motion from second 20, in cell (col, row). */
static void add_motion(nvr_index *ix, const char *cam, int k, int col, int row)
{
    struct motion_second secs[10];
    struct motion_event ev;
    memset(secs, 0, sizeof secs);
    memset(&ev, 0, sizeof ev);
    for (int i = 0; i < 10; i++) {
        secs[i].sec = (T0 + k * 60 * S) / S + 20 + i;
        motion_cell_set(secs[i].cells, col, row);
        if (i >= 5)
            motion_cell_set(secs[i].cells, col + 10, row);
    }
    ev.start_us = T0 + k * 60 * S + 20 * S - S / 2;
    ev.end_us = ev.start_us + 10 * S;
    ev.score = 2;
    motion_cell_set(ev.cells, col, row);
    motion_cell_set(ev.cells, col + 10, row);
    CHECK_EQ_INT(motion_store_put(ix, cam, secs, 10, &ev, 1), NVR_OK);
    CHECK(ev.id > 0);
    ev.score = 3; /* an update keeps the row */
    CHECK_EQ_INT(motion_store_put(ix, cam, NULL, 0, &ev, 1), NVR_OK);
}

static size_t search(nvr_index *ix, const char *cam, const struct nvr_rect *region, struct motion_hit **hits)
{
    struct motion_query q = {.camera = cam, .from_us = T0, .to_us = T0 + 3600 * S, .region = region};
    size_t n = 0;
    int truncated = 1;
    *hits = NULL;
    CHECK_EQ_INT(motion_search(ix, &q, hits, &n, &truncated), NVR_OK);
    CHECK_EQ_INT(truncated, 0);
    return n;
}

static void test_index_search_retention_holds(void)
{
    char p[128];
    nvr_index *ix = NULL;
    snprintf(p, sizeof p, "%s/m.db", dir);
    CHECK_EQ_INT(index_open(&ix, p), NVR_OK);
    index_camera_upsert(ix, "a", "A");
    for (int k = 0; k < 6; k++) {
        add_seg(ix, "a", k);
        add_motion(ix, "a", k, 2 + k, 3); /* cell (2+k, 3), then (12+k, 3) too */
    }
    struct motion_hit *hits;
    CHECK_EQ_INT(search(ix, "a", NULL, &hits), 6);
    if (hits)
        CHECK_EQ_INT(hits[0].score, 3);
    free(hits);
    /* a region around cell (4, 3) only: minute 2's motion, all 10 s */
    struct nvr_rect r = {4.0 / 32 + 0.001, 3.0 / 18 + 0.001, 5.0 / 32 - 0.001, 4.0 / 18 - 0.001};
    CHECK_EQ_INT(search(ix, "a", &r, &hits), 1);
    if (hits) {
        CHECK_EQ_INT(hits[0].start_us, T0 + 2 * 60 * S + 20 * S - S / 2);
        CHECK_EQ_INT(hits[0].end_us, T0 + 2 * 60 * S + 30 * S - S / 2);
        CHECK_EQ_INT(hits[0].score, 1);
        CHECK(fabs(hits[0].box.x0 - 4.0 / 32) < 1e-9);
    }
    free(hits);
    /* a region around cell (14, 3): minute 2's second half only */
    r.x0 += 10.0 / 32;
    r.x1 += 10.0 / 32;
    CHECK_EQ_INT(search(ix, "a", &r, &hits), 1);
    if (hits) {
        CHECK_EQ_INT(hits[0].start_us, T0 + 2 * 60 * S + 25 * S);
        CHECK_EQ_INT(hits[0].end_us, T0 + 2 * 60 * S + 30 * S - S / 2);
    }
    free(hits);
    /* nowhere near */
    struct nvr_rect far = {0.9, 0.9, 1, 1};
    CHECK_EQ_INT(search(ix, "a", &far, &hits), 0);
    free(hits);
    /* density: 10 s buckets over the 6 minutes, motion in each minute's 20..30 s */
    double d[36];
    CHECK_EQ_INT(motion_store_density(ix, "a", T0, T0 + 360 * S, 36, d), NVR_OK);
    for (int i = 0; i < 36; i++)
        CHECK(fabs(d[i] - (i % 6 == 2 ? 1.0 : 0.0)) < 1e-9);
    /* buckets of 4 s over 18..34 s of minute 0: half, full, full, none */
    CHECK_EQ_INT(motion_store_density(ix, "a", T0 + 18 * S, T0 + 34 * S, 4, d), NVR_OK);
    CHECK(fabs(d[0] - 0.5) < 1e-9 && fabs(d[1] - 1) < 1e-9 && fabs(d[2] - 1) < 1e-9 && fabs(d[3]) < 1e-9);
    /* buckets narrower than a second: each covered whole */
    CHECK_EQ_INT(motion_store_density(ix, "a", T0 + 29 * S + S / 2, T0 + 30 * S + S / 2, 4, d), NVR_OK);
    CHECK(fabs(d[0] - 1) < 1e-9 && fabs(d[1] - 1) < 1e-9 && fabs(d[2]) < 1e-9 && fabs(d[3]) < 1e-9);
    CHECK_EQ_INT(motion_store_density(ix, "b", T0, T0 + 360 * S, 36, d), NVR_OK);
    CHECK(d[2] == 0);
    /* retention: minute 1 held, everything before minute 4 retired */
    struct hold h;
    memset(&h, 0, sizeof h);
    h.ncameras = 1;
    snprintf(h.cameras[0], sizeof h.cameras[0], "a");
    h.start_us = T0 + 60 * S + 10 * S;
    h.end_us = T0 + 60 * S + 20 * S;
    snprintf(h.reason, sizeof h.reason, "test");
    CHECK_EQ_INT(holds_add(ix, &h), NVR_OK);
    struct index_retired *gone = NULL;
    size_t ngone = 0;
    CHECK_EQ_INT(index_retire(ix, "a", T0 + 4 * 60 * S, UINT64_MAX, 100, &gone, &ngone), NVR_OK);
    CHECK_EQ_INT(ngone, 3);
    free(gone);
    size_t n = search(ix, "a", NULL, &hits);
    CHECK_EQ_INT(n, 3); /* minute 1 (held), 4 and 5 */
    if (n == 3) {
        CHECK(hits[0].start_us > T0 + 60 * S && hits[0].start_us < T0 + 120 * S);
        CHECK(hits[1].start_us > T0 + 240 * S);
    }
    free(hits);
    struct motion_second *secs = NULL;
    CHECK_EQ_INT(motion_store_seconds(ix, "a", T0 / S, T0 / S + 3600, 10000, &secs, &n), NVR_OK);
    CHECK_EQ_INT(n, 30);
    free(secs);
    /* nvr check: nothing to say; then an orphan of a camera without footage */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    int problems = -1;
    CHECK_EQ_INT(motion_store_check(ix, 0, f, &problems), NVR_OK);
    CHECK_EQ_INT(problems, 0);
    /* motion of a camera without footage is not written (M2) */
    struct motion_second orphan = {.sec = T0 / S};
    struct motion_event lone = {.start_us = T0, .end_us = T0 + S, .score = 1};
    CHECK_EQ_INT(motion_store_put(ix, "gone", &orphan, 1, &lone, 1), NVR_OK);
    CHECK_EQ_INT(lone.id, 0);
    CHECK_EQ_INT(motion_store_seconds(ix, "gone", 0, INT64_MAX / S, 10, &secs, &n), NVR_OK);
    CHECK_EQ_INT(n, 0);
    free(secs);
    /* one written behind its back (an older nvr, a hand edit) is found and repaired */
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(p, &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, "INSERT INTO motion_seconds VALUES ('gone', 1795320000, zeroblob(72))", NULL, NULL,
                              NULL),
                 SQLITE_OK);
    sqlite3_close(db);
    CHECK_EQ_INT(motion_store_check(ix, 0, f, &problems), NVR_OK);
    CHECK_EQ_INT(problems, 1);
    CHECK_EQ_INT(motion_store_check(ix, 1, f, &problems), NVR_OK);
    CHECK_EQ_INT(motion_store_check(ix, 0, f, &problems), NVR_OK);
    CHECK_EQ_INT(problems, 0);
    fclose(f);
    CHECK(strstr(text, "motion seconds older than their camera's footage") != NULL);
    free(text);
    index_close(&ix);
}

/* The camera's own events (full bitmaps, score MOTION_CELLS) beside the
 * detector's: a full second is never narrowed by the detector, a detector
 * second is widened by a full one, and clearing the detector's motion (the
 * rebuild) keeps the camera's. */
static void test_onvif_rows_kept(void)
{
    char p[128];
    nvr_index *ix = NULL;
    snprintf(p, sizeof p, "%s/o.db", dir);
    CHECK_EQ_INT(index_open(&ix, p), NVR_OK);
    index_camera_upsert(ix, "b", "B");
    add_seg(ix, "b", 0);
    struct motion_second full = {.sec = T0 / S + 10}, part = {.sec = T0 / S + 10}, part2 = {.sec = T0 / S + 11};
    memset(full.cells, 0xff, sizeof full.cells);
    motion_cell_set(part.cells, 1, 1);
    motion_cell_set(part2.cells, 2, 2);
    struct motion_event cam = {.start_us = T0 + 10 * S, .end_us = T0 + 12 * S, .score = MOTION_CELLS};
    memset(cam.cells, 0xff, sizeof cam.cells);
    struct motion_event det = {.start_us = T0 + 10 * S, .end_us = T0 + 12 * S, .score = 1};
    motion_cell_set(det.cells, 1, 1);
    CHECK_EQ_INT(motion_store_put(ix, "b", &full, 1, &cam, 1), NVR_OK);
    CHECK_EQ_INT(motion_store_put(ix, "b", &part, 1, &det, 1), NVR_OK); /* second 10: stays full */
    CHECK_EQ_INT(motion_store_put(ix, "b", &part2, 1, NULL, 0), NVR_OK);
    full.sec = part2.sec;
    CHECK_EQ_INT(motion_store_put(ix, "b", &full, 1, NULL, 0), NVR_OK); /* second 11: widened */
    struct motion_second *secs = NULL;
    size_t n = 0;
    CHECK_EQ_INT(motion_store_seconds(ix, "b", T0 / S, T0 / S + 60, 100, &secs, &n), NVR_OK);
    CHECK_EQ_INT(n, 2);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_INT(motion_cells_count(secs[i].cells), MOTION_CELLS);
    free(secs);
    /* the rebuild clears the detector's rows only */
    motion_cell_set(part.cells, 3, 3);
    part.sec = T0 / S + 20;
    CHECK_EQ_INT(motion_store_put(ix, "b", &part, 1, NULL, 0), NVR_OK);
    int deleted = -1;
    CHECK_EQ_INT(motion_store_clear_detected(ix, "b", T0, T0 + 60 * S, &deleted), NVR_OK);
    CHECK_EQ_INT(deleted, 1);
    struct motion_event *evs = NULL;
    int more = 1;
    CHECK_EQ_INT(motion_store_events(ix, "b", T0, T0 + 60 * S, 10, &evs, &n, &more), NVR_OK);
    CHECK(n == 1 && evs && evs[0].score == MOTION_CELLS);
    free(evs);
    CHECK_EQ_INT(motion_store_seconds(ix, "b", T0 / S, T0 / S + 60, 100, &secs, &n), NVR_OK);
    CHECK_EQ_INT(n, 2); /* the two full seconds; second 20 is gone */
    free(secs);
    index_close(&ix);
}

int main(void)
{
    if (check_tmpdir(dir, sizeof dir, "motion"))
        return 1;
    RUN(test_rects_parse);
    RUN(test_object_makes_one_event);
    RUN(test_object_under_every_distractor);
    RUN(test_distractors_make_no_event);
    RUN(test_mask_honoured);
    RUN(test_tracker_merges_and_splits);
    RUN(test_index_search_retention_holds);
    RUN(test_onvif_rows_kept);
    check_rmdir(dir);
    return check_summary();
}
