/* SPDX-License-Identifier: Apache-2.0 */
/* test_retention_pass.c - a retention pass (storage/retention.c) on a real
 * data directory: a camera with nothing older than retain_days costs the
 * pass a read, not a write transaction (it completes while another
 * connection holds the index's write lock, which recorders take every
 * fragment); once a segment is due, the pass deletes it and its file. */
#include "base/clock.h"
#include "base/err.h"
#include "storage/index.h"
#include "storage/retention.h"
#include "storage/storage.h"

#include "check.h"
#include "seg_fixture.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define S 1000000LL
#define DAY (86400 * S)

static char dir[64];

/* A finished 60 s segment of camera "a" starting at start_us, its file
 * written under dir. */
static void add_seg(nvr_index *ix, int k, int64_t start_us)
{
    char full[512];
    snprintf(full, sizeof full, "%s/recordings/a/%03d.mp4", dir, k);
    FILE *f = fopen(full, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("segment", f);
        fclose(f);
    }
    fixture_segment(ix, "a", k, start_us, start_us, 1000);
}

static int exists(int k)
{
    char full[256];
    struct stat sb;
    snprintf(full, sizeof full, "%s/recordings/a/%03d.mp4", dir, k);
    return stat(full, &sb) == 0;
}

static void test_nothing_due_needs_no_write_lock(void)
{
    struct storage *st = NULL;
    struct retention *r = NULL;
    sqlite3 *other = NULL;
    char path[128];
    int64_t now = nvr_clock_now_us();
    CHECK_EQ_INT(storage_open(&st, dir, STORAGE_WRITER), NVR_OK);
    if (!st)
        return;
    snprintf(path, sizeof path, "%s/recordings/a", dir);
    mkdir(path, 0755);
    nvr_index *ix = storage_index(st);
    index_camera_upsert(ix, "a", "A");
    add_seg(ix, 0, now - 2 * 3600 * S);
    add_seg(ix, 1, now - 3600 * S);

    struct retention_limits lim = {.default_retain_days = 1, .interval_us = 0};
    struct retention_camera cam = {.id = "a", .retain_days = 1};
    CHECK_EQ_INT(retention_start(&r, st, &lim, &cam, 1), NVR_OK);

    /* another writer holds the write lock (as a recorder does while it
     * commits a fragment); a pass with nothing due must not wait for it */
    snprintf(path, sizeof path, "%s/index.db", dir);
    CHECK_EQ_INT(sqlite3_open(path, &other), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    int64_t t0 = nvr_clock_mono_us();
    CHECK_EQ_INT(retention_pass(r), NVR_OK);
    int64_t waited = nvr_clock_mono_us() - t0;
    if (waited >= 5 * S)
        fprintf(stderr, "a pass with nothing due waited %.1f s for the write lock\n", (double)waited / S);
    CHECK(waited < 5 * S);
    CHECK(exists(0) && exists(1));
    CHECK_EQ_INT(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);

    /* a segment past retain_days: the pass takes it, file and row */
    add_seg(ix, 2, now - 2 * DAY);
    CHECK(exists(2));
    CHECK_EQ_INT(retention_pass(r), NVR_OK);
    CHECK(!exists(2));
    CHECK(exists(0) && exists(1));
    struct index_usage u;
    CHECK_EQ_INT(index_usage(ix, "a", &u), NVR_OK);
    CHECK_EQ_INT(u.oldest_us, now - 2 * 3600 * S);
    struct retention_status rs;
    retention_get_status(r, &rs);
    CHECK_EQ_INT(rs.deleted_segments, 1);

    retention_stop(&r);
    storage_close(&st);
}

int main(void)
{
    if (check_tmpdir(dir, sizeof dir, "retpass"))
        return 2;
    RUN(test_nothing_due_needs_no_write_lock);
    check_rmdir(dir);
    return check_summary();
}
