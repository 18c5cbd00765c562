/* SPDX-License-Identifier: Apache-2.0 */
/* test_retention_index.c - retention's index side (storage/index_retention.c,
 * storage/holds.c) on a real SQLite file: usage kept by the triggers, the
 * oldest unheld segments retired first, holds honoured, garbage rows. */
#include "base/err.h"
#include "storage/holds.h"
#include "storage/index.h"

#include "check.h"
#include "seg_fixture.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define S 1000000LL
#define T0 (1795320000LL * S)

static char dir[64];

/* A finished 60 s segment of cam starting at T0 + k minutes, of bytes b. */
static void add_seg(nvr_index *ix, const char *cam, int k, uint64_t b)
{
    fixture_segment(ix, cam, k, T0, T0 + k * 60 * S, b);
}

static void test_usage_and_retire_oldest_over_all_cameras(void)
{
    char p[128];
    nvr_index *ix = NULL;
    snprintf(p, sizeof p, "%s/a.db", dir);
    CHECK_EQ_INT(index_open(&ix, p), NVR_OK);
    index_camera_upsert(ix, "a", "A");
    index_camera_upsert(ix, "b", "B");
    for (int k = 0; k < 10; k++) {
        add_seg(ix, "a", k, 1000);
        add_seg(ix, "b", k, 3000);
    }
    struct index_usage u;
    uint64_t total;
    CHECK_EQ_INT(index_usage(ix, "a", &u), NVR_OK);
    CHECK_EQ_INT(u.bytes, 10000);
    CHECK_EQ_INT(u.media_us, 600 * S);
    CHECK_EQ_INT(u.oldest_us, T0);
    CHECK_EQ_INT(index_usage_total(ix, &total), NVR_OK);
    CHECK_EQ_INT(total, 40000);

    /* hold camera a's minutes 0..2 (overlap rule: minute 2 ends at 3:00, hold ends 2:30) */
    struct hold h;
    memset(&h, 0, sizeof h);
    h.ncameras = 1;
    snprintf(h.cameras[0], sizeof h.cameras[0], "a");
    h.start_us = T0;
    h.end_us = T0 + 150 * S;
    snprintf(h.reason, sizeof h.reason, "incident");
    snprintf(h.created_by, sizeof h.created_by, "test");
    h.created_us = T0;
    CHECK_EQ_INT(holds_add(ix, &h), NVR_OK);
    CHECK(h.id > 0);
    uint64_t held;
    CHECK_EQ_INT(holds_held_bytes(ix, "a", &held), NVR_OK);
    CHECK_EQ_INT(held, 3000);

    /* want 7000 bytes over all cameras: oldest first, a's held ones (a0..a2)
     * skipped: b0, b1, b2 (3000 each; the batch stops once 7000 are reached) */
    struct index_retired *v = NULL;
    size_t n = 0;
    CHECK_EQ_INT(index_retire(ix, NULL, INT64_MAX, 7000, 256, &v, &n), NVR_OK);
    CHECK_EQ_INT(n, 3);
    if (n == 3) {
        CHECK_EQ_STR(v[0].path, "recordings/b/000.mp4");
        CHECK_EQ_STR(v[1].path, "recordings/b/001.mp4");
        CHECK_EQ_STR(v[2].path, "recordings/b/002.mp4");
    }
    free(v);
    CHECK_EQ_INT(index_usage_total(ix, &total), NVR_OK);
    CHECK_EQ_INT(total, 31000);
    char **g = NULL;
    size_t ng = 0;
    CHECK_EQ_INT(index_garbage_list(ix, &g, &ng), NVR_OK);
    CHECK_EQ_INT(ng, 3);
    for (size_t i = 0; i < ng; i++) {
        CHECK_EQ_INT(index_garbage_drop(ix, g[i]), NVR_OK);
        free(g[i]);
    }
    free(g);
    CHECK_EQ_INT(index_garbage_list(ix, &g, &ng), NVR_OK);
    CHECK_EQ_INT(ng, 0);
    free(g);

    /* per camera, by age: a's segments ending by minute 6 -> a3, a4, a5 (a0..a2 held) */
    CHECK_EQ_INT(index_retire(ix, "a", T0 + 6 * 60 * S, UINT64_MAX, 256, &v, &n), NVR_OK);
    CHECK_EQ_INT(n, 3);
    if (n == 3)
        CHECK_EQ_STR(v[0].path, "recordings/a/003.mp4");
    free(v);

    /* everything unheld of a: only the held ones remain; then nothing to retire */
    CHECK_EQ_INT(index_retire(ix, "a", INT64_MAX, UINT64_MAX, 256, &v, &n), NVR_OK);
    CHECK_EQ_INT(n, 4);
    free(v);
    CHECK_EQ_INT(index_retire(ix, "a", INT64_MAX, UINT64_MAX, 256, &v, &n), NVR_OK);
    CHECK_EQ_INT(n, 0);
    CHECK(v == NULL);
    CHECK_EQ_INT(index_usage(ix, "a", &u), NVR_OK);
    CHECK_EQ_INT(u.bytes, 3000);

    /* releasing the hold frees them for retention; a second release is refused */
    CHECK_EQ_INT(holds_release(ix, h.id, "test", T0 + S), NVR_OK);
    CHECK_EQ_INT(holds_release(ix, h.id, "test", T0 + S), NVR_ENOTFOUND);
    CHECK_EQ_INT(index_retire(ix, "a", INT64_MAX, UINT64_MAX, 256, &v, &n), NVR_OK);
    CHECK_EQ_INT(n, 3);
    free(v);
    index_close(&ix);
}

static void test_holds_list_and_history(void)
{
    char p[128];
    nvr_index *ix = NULL;
    snprintf(p, sizeof p, "%s/b.db", dir);
    CHECK_EQ_INT(index_open(&ix, p), NVR_OK);
    struct hold h;
    memset(&h, 0, sizeof h);
    h.ncameras = 2;
    snprintf(h.cameras[0], sizeof h.cameras[0], "x");
    snprintf(h.cameras[1], sizeof h.cameras[1], "y");
    h.start_us = T0;
    h.end_us = T0 + S;
    snprintf(h.case_id, sizeof h.case_id, "2026-0042");
    snprintf(h.reason, sizeof h.reason, "fight \"in\" hall");
    snprintf(h.created_by, sizeof h.created_by, "ann");
    CHECK_EQ_INT(holds_add(ix, &h), NVR_OK);
    struct hold bad = h;
    bad.end_us = bad.start_us;
    CHECK_EQ_INT(holds_add(ix, &bad), NVR_EINVAL);
    bad = h;
    bad.ncameras = 0;
    CHECK_EQ_INT(holds_add(ix, &bad), NVR_EINVAL);

    struct hold *v = NULL;
    size_t n = 0;
    CHECK_EQ_INT(holds_list(ix, 0, &v, &n), NVR_OK);
    CHECK_EQ_INT(n, 1);
    if (n == 1) {
        CHECK_EQ_INT(v[0].ncameras, 2);
        CHECK_EQ_STR(v[0].cameras[1], "y");
        CHECK_EQ_STR(v[0].case_id, "2026-0042");
        CHECK_EQ_STR(v[0].reason, "fight \"in\" hall");
        CHECK_EQ_INT(v[0].released_us, 0);
    }
    free(v);
    CHECK_EQ_INT(holds_release(ix, h.id, "bob", T0 + 2 * S), NVR_OK);
    CHECK_EQ_INT(holds_list(ix, 0, &v, &n), NVR_OK);
    CHECK_EQ_INT(n, 0);
    free(v);
    CHECK_EQ_INT(holds_list(ix, 1, &v, &n), NVR_OK);
    CHECK_EQ_INT(n, 1);
    if (n == 1) {
        CHECK_EQ_STR(v[0].released_by, "bob");
        CHECK_EQ_INT(v[0].released_us, T0 + 2 * S);
    }
    free(v);
    struct hold got;
    CHECK_EQ_INT(holds_get(ix, h.id, &got), NVR_OK);
    CHECK_EQ_STR(got.created_by, "ann");
    CHECK_EQ_INT(holds_get(ix, h.id + 100, &got), NVR_ENOTFOUND);
    index_close(&ix);
}

/* An export's temporary hold outlives its process only until
 * holds_release_orphans: a dead exporter's hold is released, a live one's
 * (this process) is kept, and an evidence hold is never touched. */
static void test_export_holds_and_orphans(void)
{
    char p[128];
    nvr_index *ix = NULL;
    snprintf(p, sizeof p, "%s/c.db", dir);
    CHECK_EQ_INT(index_open(&ix, p), NVR_OK);
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    CHECK(child > 0);
    waitpid(child, NULL, 0); /* a pid that no longer runs */
    struct hold h[3];
    memset(h, 0, sizeof h);
    const int64_t pids[3] = {0, getpid(), child};
    for (int i = 0; i < 3; i++) {
        h[i].ncameras = 1;
        snprintf(h[i].cameras[0], sizeof h[i].cameras[0], "x");
        h[i].start_us = T0;
        h[i].end_us = T0 + S;
        snprintf(h[i].reason, sizeof h[i].reason, "r%d", i);
        snprintf(h[i].created_by, sizeof h[i].created_by, "ann");
        h[i].export_pid = pids[i];
        CHECK_EQ_INT(holds_add(ix, &h[i]), NVR_OK);
    }
    int released = -1;
    CHECK_EQ_INT(holds_release_orphans(ix, T0 + 5 * S, &released), NVR_OK);
    CHECK_EQ_INT(released, 1);
    struct hold got;
    CHECK_EQ_INT(holds_get(ix, h[0].id, &got), NVR_OK);
    CHECK_EQ_INT(got.export_pid, 0);
    CHECK_EQ_INT(got.released_us, 0);
    CHECK_EQ_INT(holds_get(ix, h[1].id, &got), NVR_OK);
    CHECK_EQ_INT(got.export_pid, getpid());
    CHECK_EQ_INT(got.released_us, 0);
    CHECK_EQ_INT(holds_get(ix, h[2].id, &got), NVR_OK);
    CHECK_EQ_INT(got.released_us, T0 + 5 * S);
    CHECK_EQ_STR(got.released_by, "nvr");
    CHECK_EQ_INT(holds_release_orphans(ix, T0 + 6 * S, &released), NVR_OK);
    CHECK_EQ_INT(released, 0);
    index_close(&ix);
}

int main(void)
{
    if (check_tmpdir(dir, sizeof dir, "retention"))
        return 2;
    RUN(test_usage_and_retire_oldest_over_all_cameras);
    RUN(test_holds_list_and_history);
    RUN(test_export_holds_and_orphans);
    check_rmdir(dir);
    return check_summary();
}
