/* SPDX-License-Identifier: Apache-2.0 */
/* test_bookmark_store.c - bookmarks in a real index (storage/bookmark_store.c):
 * added only where footage is (B1), a note of at most 500 bytes (B2), the
 * per-user bound (B3), the listing by cameras, time, text and limit;
 * retention deletes a bookmark with its footage and a hold keeps both; the
 * check finds and repairs a bookmark without footage. */
#include "base/err.h"
#include "storage/bookmark_store.h"
#include "storage/fragments.h"
#include "storage/holds.h"
#include "storage/index.h"

#include "check.h"
#include "seg_fixture.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S 1000000LL
#define T0 (1795320000LL * S)

static char dir[64];

/* A finished minute k of camera cam. */
static void add_seg(nvr_index *ix, const char *cam, int k)
{
    fixture_segment(ix, cam, k, T0, T0 + k * 60 * S, 1000);
}

/* Adds a bookmark; its refusal (BOOKMARK_ADDED when added). */
static int add(nvr_index *ix, const char *cam, int64_t t, const char *note, const char *author, int64_t max,
               int64_t *id)
{
    struct bookmark b;
    enum bookmark_refusal why = BOOKMARK_ADDED;
    memset(&b, 0, sizeof b);
    snprintf(b.camera, sizeof b.camera, "%s", cam);
    b.time_us = t;
    snprintf(b.note, sizeof b.note, "%s", note);
    snprintf(b.author, sizeof b.author, "%s", author);
    b.created_us = T0;
    CHECK_EQ_INT(bookmark_add(ix, &b, max, &why), NVR_OK);
    if (id)
        *id = b.id;
    CHECK(why != BOOKMARK_ADDED || b.id > 0);
    return (int)why;
}

static size_t list(nvr_index *ix, const char *const *cams, size_t ncam, const char *text, size_t max, int *more,
                   struct bookmark **v)
{
    struct bookmark_query q = {
        .cameras = cams, .ncameras = ncam, .from_us = T0, .to_us = T0 + 3600 * S, .text = text, .max = max};
    size_t n = 0;
    CHECK_EQ_INT(bookmark_list(ix, &q, v, &n, more), NVR_OK);
    return n;
}

static void test_bookmarks(void)
{
    char p[128];
    nvr_index *ix = NULL;
    snprintf(p, sizeof p, "%s/b.db", dir);
    CHECK_EQ_INT(index_open(&ix, p), NVR_OK);
    index_camera_upsert(ix, "a", "A");
    index_camera_upsert(ix, "b", "B");
    for (int k = 0; k < 6; k++)
        add_seg(ix, "a", k);
    add_seg(ix, "b", 0);
    /* B1: footage at the instant (a second either way), none elsewhere */
    int64_t id[6];
    for (int k = 0; k < 6; k++)
        CHECK_EQ_INT(add(ix, "a", T0 + k * 60 * S + 30 * S, k == 2 ? "Backpack LEFT" : "minute", "ann", 100, &id[k]),
                     BOOKMARK_ADDED);
    CHECK_EQ_INT(add(ix, "a", T0 + 6 * 60 * S + S / 2, "just after the end", "ann", 100, NULL), BOOKMARK_ADDED);
    CHECK_EQ_INT(add(ix, "a", T0 + 6 * 60 * S + 2 * S, "after the end", "ann", 100, NULL), BOOKMARK_NO_FOOTAGE);
    CHECK_EQ_INT(add(ix, "a", T0 - 2 * S, "before", "ann", 100, NULL), BOOKMARK_NO_FOOTAGE);
    CHECK_EQ_INT(add(ix, "c", T0 + 30 * S, "no such camera", "ann", 100, NULL), BOOKMARK_NO_FOOTAGE);
    int64_t bid;
    CHECK_EQ_INT(add(ix, "b", T0 + 10 * S, "on b", "bob", 100, &bid), BOOKMARK_ADDED);
    /* B2: the bound on a note; an empty author or camera */
    struct bookmark big;
    enum bookmark_refusal why;
    memset(&big, 0, sizeof big);
    snprintf(big.camera, sizeof big.camera, "a");
    snprintf(big.author, sizeof big.author, "ann");
    big.time_us = T0 + 30 * S;
    memset(big.note, 'x', BOOKMARK_NOTE_MAX);
    CHECK_EQ_INT(bookmark_add(ix, &big, 100, &why), NVR_OK);
    CHECK_EQ_INT(why, BOOKMARK_ADDED);
    CHECK_EQ_INT(bookmark_delete(ix, big.id), NVR_OK);
    big.author[0] = '\0';
    CHECK_EQ_INT(bookmark_add(ix, &big, 100, &why), NVR_EINVAL);
    /* B3: bob may keep 3 */
    CHECK_EQ_INT(add(ix, "b", T0 + 11 * S, "two", "bob", 3, NULL), BOOKMARK_ADDED);
    CHECK_EQ_INT(add(ix, "b", T0 + 12 * S, "three", "bob", 3, NULL), BOOKMARK_ADDED);
    CHECK_EQ_INT(add(ix, "b", T0 + 13 * S, "four", "bob", 3, NULL), BOOKMARK_USER_FULL);
    CHECK_EQ_INT(add(ix, "b", T0 + 13 * S, "ann's", "ann", 100, NULL), BOOKMARK_ADDED);
    int64_t count = 0;
    CHECK_EQ_INT(bookmark_count_author(ix, "bob", &count), NVR_OK);
    CHECK_EQ_INT(count, 3);
    /* listing: by cameras, text (case folded), limit */
    const char *a[] = {"a"}, *ab[] = {"b", "a"}, *none[] = {"zzz"};
    struct bookmark *v = NULL;
    int more = -1;
    CHECK_EQ_INT(list(ix, a, 1, NULL, 100, &more, &v), 7);
    CHECK_EQ_INT(more, 0);
    if (v) {
        CHECK_EQ_INT(v[0].id, id[0]);
        CHECK_EQ_INT(v[0].time_us, T0 + 30 * S);
        CHECK(strcmp(v[0].author, "ann") == 0 && strcmp(v[0].camera, "a") == 0);
    }
    free(v);
    CHECK_EQ_INT(list(ix, ab, 2, NULL, 100, &more, &v), 11);
    free(v);
    CHECK_EQ_INT(list(ix, ab, 2, NULL, 4, &more, &v), 4);
    CHECK_EQ_INT(more, 1);
    if (v) /* by time: a's minute 0 at 30 s after b's at 10..13 s */
        CHECK(strcmp(v[0].camera, "b") == 0 && v[3].time_us == T0 + 13 * S);
    free(v);
    CHECK_EQ_INT(list(ix, ab, 2, "backpack", 100, &more, &v), 1);
    if (v)
        CHECK_EQ_INT(v[0].id, id[2]);
    free(v);
    CHECK_EQ_INT(list(ix, ab, 2, "it's' OR 1=1 --", 100, &more, &v), 0);
    free(v);
    CHECK_EQ_INT(list(ix, none, 1, NULL, 100, &more, &v), 0);
    CHECK(v == NULL);
    struct bookmark_query bad = {.cameras = a, .ncameras = 1, .from_us = T0, .to_us = T0 + S, .max = 0};
    size_t n = 0;
    CHECK_EQ_INT(bookmark_list(ix, &bad, &v, &n, NULL), NVR_EINVAL);
    /* get and delete */
    struct bookmark one;
    CHECK_EQ_INT(bookmark_get(ix, bid, &one), NVR_OK);
    CHECK(strcmp(one.note, "on b") == 0);
    CHECK_EQ_INT(bookmark_delete(ix, bid), NVR_OK);
    CHECK_EQ_INT(bookmark_delete(ix, bid), NVR_ENOTFOUND);
    CHECK_EQ_INT(bookmark_get(ix, bid, &one), NVR_ENOTFOUND);
    /* retention: minute 1 held, everything before minute 4 retired: the bookmarks of minutes
     * 0, 2 and 3 go with their footage, minute 1's stays with the held footage */
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
    n = list(ix, a, 1, NULL, 100, &more, &v);
    CHECK_EQ_INT(n, 4);
    if (n == 4) {
        CHECK_EQ_INT(v[0].id, id[1]);
        CHECK_EQ_INT(v[1].id, id[4]);
        CHECK_EQ_INT(v[2].id, id[5]);
    }
    free(v);
    /* the check: nothing to say; then a row written behind its back, found and repaired */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    int problems = -1;
    CHECK_EQ_INT(bookmark_store_check(ix, 0, f, &problems), NVR_OK);
    CHECK_EQ_INT(problems, 0);
    sqlite3 *db = NULL;
    CHECK_EQ_INT(sqlite3_open(p, &db), SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db,
                              "INSERT INTO bookmarks (camera, time_us, note, author, created_us) "
                              "VALUES ('a', 1795320030000000, 'minute 0, retired', 'x', 0)",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    /* B2 is a CHECK of the table: a 501-byte note is refused even by hand */
    CHECK(sqlite3_exec(db,
                       "INSERT INTO bookmarks (camera, time_us, note, author, created_us) "
                       "VALUES ('a', 1795320270000000, substr(hex(zeroblob(501)), 1, 501), 'x', 0)",
                       NULL, NULL, NULL) != SQLITE_OK);
    sqlite3_close(db);
    CHECK_EQ_INT(bookmark_store_check(ix, 0, f, &problems), NVR_OK);
    CHECK_EQ_INT(problems, 1);
    CHECK_EQ_INT(bookmark_store_check(ix, 1, f, &problems), NVR_OK);
    CHECK_EQ_INT(bookmark_store_check(ix, 0, f, &problems), NVR_OK);
    CHECK_EQ_INT(problems, 0);
    fclose(f);
    CHECK(text && strstr(text, "1 bookmarks without footage (deleted)") != NULL);
    free(text);
    index_close(&ix);
}

int main(void)
{
    if (check_tmpdir(dir, sizeof dir, "bookmark"))
        return 1;
    RUN(test_bookmarks);
    check_rmdir(dir);
    return check_summary();
}
