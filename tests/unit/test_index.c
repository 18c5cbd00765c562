/* SPDX-License-Identifier: Apache-2.0 */
/* test_index.c - the SQLite catalog (storage/index.c), on a real file. */
#include "base/err.h"
#include "storage/alert_store.h"
#include "storage/api_cameras.h"
#include "storage/index.h"
#include "storage/index_stmt.h"
#include "storage/users.h"

#include "check.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define S 1000000LL
#define T0 (1795320000LL * S)

static char dir[64];

static void db_path(char *out, size_t n)
{
    snprintf(out, n, "%s/index.db", dir);
}

static struct index_segment make_seg(const char *cam, int64_t start, int64_t dur, int nfrag)
{
    struct index_segment s;
    memset(&s, 0, sizeof s);
    snprintf(s.camera, sizeof s.camera, "%s", cam);
    s.session = start;
    s.start_us = start;
    s.end_us = start + dur;
    s.media_us = dur;
    snprintf(s.path, sizeof s.path, "recordings/%s/%lld.mp4", cam, (long long)start);
    snprintf(s.video_codec, sizeof s.video_codec, "h264");
    s.width = 1920;
    s.height = 1080;
    s.init_bytes = 800;
    s.bytes = 800;
    for (int i = 0; i < nfrag; i++) {
        fragments_append(&s.frags, 1000 + (uint32_t)i, (uint32_t)(dur / nfrag));
        s.bytes += 1000 + (uint64_t)i;
    }
    return s;
}

static void test_open_migrates_and_reopens(void)
{
    char p[128];
    nvr_index *ix = NULL;
    db_path(p, sizeof p);
    CHECK_EQ_INT(index_open(&ix, p), NVR_OK);
    CHECK_EQ_INT(index_schema_version(ix), 16);
    index_close(&ix);
    CHECK(ix == NULL);
    index_close(&ix); /* tolerates NULL */
    CHECK_EQ_INT(index_open(&ix, p), NVR_OK);
    CHECK_EQ_INT(index_schema_version(ix), 16);
    index_close(&ix);
}

/* Migration 14: an account added without a source is local; a directory
 * account keeps its source, and the CHECK refuses any other. */
static void test_user_source(void)
{
    char p[128];
    nvr_index *ix = NULL;
    struct user u, got;
    db_path(p, sizeof p);
    CHECK_EQ_INT(index_open(&ix, p), NVR_OK);
    memset(&u, 0, sizeof u);
    snprintf(u.name, sizeof u.name, "pat");
    u.role = USER_VIEWER;
    snprintf(u.pwhash, sizeof u.pwhash, "x");
    CHECK_EQ_INT(users_add(ix, &u), NVR_OK);
    CHECK_EQ_INT(users_get(ix, "pat", &got), NVR_OK);
    CHECK_EQ_STR(got.source, "local");
    memset(&u, 0, sizeof u);
    snprintf(u.name, sizeof u.name, "dir.user");
    u.role = USER_INVESTIGATOR;
    snprintf(u.pwhash, sizeof u.pwhash, "!");
    snprintf(u.source, sizeof u.source, "ldap");
    CHECK_EQ_INT(users_add(ix, &u), NVR_OK);
    CHECK_EQ_INT(users_get_id(ix, u.id, &got), NVR_OK);
    CHECK_EQ_STR(got.source, "ldap");
    memset(&u, 0, sizeof u);
    snprintf(u.name, sizeof u.name, "odd");
    u.role = USER_VIEWER;
    snprintf(u.source, sizeof u.source, "nis");
    CHECK(users_add(ix, &u) != NVR_OK);
    index_close(&ix);
}

static void skipped_name(const char *name, void *arg)
{
    snprintf(arg, 32, "%s", name);
}

/* The catalog's people mirrored (users_replace_catalog): added, changed
 * (a new pwhash ends sessions), removed (sessions and tokens with them),
 * and a local account of the same name never taken over. */
static void test_replace_catalog(void)
{
    char p[128], skipped[32] = "", csrf[USER_CSRF_LEN];
    nvr_index *ix = NULL;
    struct user v[2], got;
    uint8_t h1[32] = {1}, h2[32] = {2};
    int64_t uid = 0, c = 0, l = 0, tid = 0;
    int removed = -1;
    db_path(p, sizeof p);
    CHECK_EQ_INT(index_open(&ix, p), NVR_OK); /* pat (local) from test_user_source */
    memset(v, 0, sizeof v);
    snprintf(v[0].name, sizeof v[0].name, "cat.ann");
    v[0].role = USER_VIEWER;
    snprintf(v[0].pwhash, sizeof v[0].pwhash, "h1");
    v[0].ngrants = 2;
    snprintf(v[0].grants[0], USER_GRANT_LEN, "lobby");
    snprintf(v[0].grants[1], USER_GRANT_LEN, "group:east");
    snprintf(v[1].name, sizeof v[1].name, "pat");
    v[1].role = USER_ADMIN;
    snprintf(v[1].pwhash, sizeof v[1].pwhash, "h-pat");
    struct user swap[2] = {v[1], v[0]};
    CHECK_EQ_INT(users_replace_catalog(ix, swap, 2, T0, NULL, NULL, &removed), NVR_EINVAL); /* not sorted */
    CHECK_EQ_INT(users_replace_catalog(ix, v, 2, T0, skipped_name, skipped, &removed), NVR_OK);
    CHECK_EQ_INT(removed, 0);
    CHECK_EQ_STR(skipped, "pat");
    CHECK_EQ_INT(users_get(ix, "pat", &got), NVR_OK);
    CHECK_EQ_STR(got.source, "local"); /* not taken over */
    CHECK_EQ_INT(got.role, USER_VIEWER);
    CHECK_EQ_INT(users_get(ix, "cat.ann", &got), NVR_OK);
    CHECK_EQ_STR(got.source, "catalog");
    CHECK_EQ_STR(got.pwhash, "h1");
    CHECK_EQ_INT((int)got.ngrants, 2);
    CHECK_EQ_INT(users_session_add(ix, h1, got.id, "c", "127.0.0.1", T0), NVR_OK);
    CHECK_EQ_INT(users_token_add(ix, h2, got.id, "t", T0, &tid), NVR_OK);
    /* the same again: nothing changes, the session stays */
    CHECK_EQ_INT(users_replace_catalog(ix, v, 1, T0 + S, NULL, NULL, &removed), NVR_OK);
    CHECK_EQ_INT(users_session_get(ix, h1, &uid, csrf, &c, &l), NVR_OK);
    /* a new role, grants and pwhash: the session ends */
    v[0].role = USER_INVESTIGATOR;
    v[0].ngrants = 1;
    snprintf(v[0].pwhash, sizeof v[0].pwhash, "h2");
    CHECK_EQ_INT(users_replace_catalog(ix, v, 1, T0 + 2 * S, NULL, NULL, &removed), NVR_OK);
    CHECK_EQ_INT(users_get(ix, "cat.ann", &got), NVR_OK);
    CHECK_EQ_INT(got.role, USER_INVESTIGATOR);
    CHECK_EQ_INT((int)got.ngrants, 1);
    CHECK_EQ_STR(got.pwhash, "h2");
    CHECK_EQ_INT(users_session_get(ix, h1, &uid, csrf, &c, &l), NVR_ENOTFOUND);
    CHECK_EQ_INT(users_token_find(ix, h2, &uid), NVR_OK);
    /* gone from the catalog: deleted, its token with it; the local account stays */
    CHECK_EQ_INT(users_replace_catalog(ix, NULL, 0, T0 + 3 * S, NULL, NULL, &removed), NVR_OK);
    CHECK_EQ_INT(removed, 1);
    CHECK_EQ_INT(users_get(ix, "cat.ann", &got), NVR_ENOTFOUND);
    CHECK_EQ_INT(users_token_find(ix, h2, &uid), NVR_ENOTFOUND);
    CHECK_EQ_INT(users_get(ix, "pat", &got), NVR_OK);
    index_close(&ix);
}

static void test_insert_update_finish_list(void)
{
    char p[128];
    nvr_index *ix = NULL;
    db_path(p, sizeof p);
    CHECK_EQ_INT(index_open(&ix, p), NVR_OK);
    CHECK_EQ_INT(index_camera_upsert(ix, "lobby", "Main lobby"), NVR_OK);
    CHECK_EQ_INT(index_camera_upsert(ix, "lobby", "Lobby (renamed)"), NVR_OK);
    CHECK_EQ_INT(index_camera_upsert(ix, "gym", "Gym"), NVR_OK);

    struct index_segment a = make_seg("lobby", T0, 60 * S, 30);
    CHECK_EQ_INT(index_segment_insert(ix, &a), NVR_OK);
    CHECK(a.id > 0);
    CHECK_EQ_INT(a.state, INDEX_SEG_WRITING);
    a.has_sha256 = 1;
    memset(a.sha256, 0xab, 32);
    CHECK_EQ_INT(index_segment_finish(ix, &a), NVR_OK);

    /* I1: a segment that starts before the previous end is refused */
    struct index_segment bad = make_seg("lobby", T0 + 59 * S, 60 * S, 1);
    CHECK_EQ_INT(index_segment_insert(ix, &bad), NVR_EINVAL);
    /* another camera is independent */
    struct index_segment g = make_seg("gym", T0 + 10 * S, 5 * S, 2);
    CHECK_EQ_INT(index_segment_insert(ix, &g), NVR_OK);

    struct index_segment b = make_seg("lobby", T0 + 60 * S, 0, 0);
    b.media_start_us = 60 * S;
    CHECK_EQ_INT(index_segment_insert(ix, &b), NVR_OK);
    fragments_append(&b.frags, 5000, 2 * S);
    b.end_us = T0 + 62 * S;
    b.media_us = 2 * S;
    b.bytes = 5800;
    CHECK_EQ_INT(index_segment_update(ix, &b), NVR_OK);

    int64_t last = 0, media_end = -1;
    CHECK_EQ_INT(index_camera_last_end(ix, "lobby", &last, &media_end), NVR_OK);
    CHECK_EQ_INT(last, T0 + 62 * S);
    CHECK_EQ_INT(media_end, b.media_start_us + 2 * S);
    CHECK_EQ_INT(index_camera_last_end(ix, "nobody", &last, &media_end), NVR_OK);
    CHECK(last == INT64_MIN);
    CHECK_EQ_INT(media_end, 0);

    struct index_segment *v = NULL;
    size_t n = 0;
    CHECK_EQ_INT(index_segments_list(ix, "lobby", T0 + 30 * S, T0 + 61 * S, &v, &n), NVR_OK);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_INT(v[0].id, a.id);
        CHECK_EQ_INT(v[0].state, INDEX_SEG_COMPLETE);
        CHECK_EQ_INT(v[0].frags.n, 30);
        CHECK_EQ_INT(v[0].has_sha256, 1);
        CHECK_EQ_INT(v[0].sha256[31], 0xab);
        CHECK_EQ_STR(v[0].path, a.path);
        CHECK_EQ_INT(v[0].bytes, a.bytes);
        CHECK_EQ_INT(v[1].state, INDEX_SEG_WRITING);
        CHECK_EQ_INT(v[1].frags.n, 1);
        CHECK_EQ_INT(v[1].end_us, T0 + 62 * S);
        CHECK_EQ_INT(v[1].has_sha256, 0);
    }
    index_segments_free(&v, n);
    CHECK(v == NULL);
    /* a range touching only the end boundary does not include the segment */
    CHECK_EQ_INT(index_segments_list(ix, "lobby", T0 + 62 * S, T0 + 100 * S, &v, &n), NVR_OK);
    CHECK_EQ_INT(n, 0);
    index_segments_free(&v, n);
    CHECK_EQ_INT(index_segments_list(ix, "lobby", T0 - 100 * S, T0, &v, &n), NVR_OK);
    CHECK_EQ_INT(n, 0);
    index_segments_free(&v, n);

    CHECK_EQ_INT(index_segments_writing(ix, &v, &n), NVR_OK);
    CHECK_EQ_INT(n, 2); /* b and g */
    index_segments_free(&v, n);

    char **ids = NULL;
    size_t nids = 0;
    CHECK_EQ_INT(index_cameras(ix, &ids, &nids), NVR_OK);
    CHECK_EQ_INT(nids, 2);
    if (nids == 2) {
        CHECK_EQ_STR(ids[0], "gym");
        CHECK_EQ_STR(ids[1], "lobby");
    }
    for (size_t i = 0; i < nids; i++)
        free(ids[i]);
    free(ids);

    CHECK_EQ_INT(index_segment_delete(ix, b.id), NVR_OK);
    CHECK_EQ_INT(index_segments_all(ix, &v, &n), NVR_OK);
    CHECK_EQ_INT(n, 2);
    index_segments_free(&v, n);
    /* updating a deleted row reports it */
    CHECK_EQ_INT(index_segment_update(ix, &b), NVR_ENOTFOUND);

    fragments_free(&a.frags);
    fragments_free(&b.frags);
    fragments_free(&g.frags);
    fragments_free(&bad.frags);
    index_close(&ix);
}

static void test_newer_schema_refused(void)
{
    char p[128];
    nvr_index *ix = NULL;
    db_path(p, sizeof p);
    /* pretend a future version wrote the file */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "sqlite3 %s 'PRAGMA user_version = 99'", p);
    if (system(cmd) != 0) {
        fprintf(stderr, "sqlite3 CLI missing: skipping the newer-schema check\n");
        return;
    }
    CHECK_EQ_INT(index_open(&ix, p), NVR_EDB);
    CHECK(ix == NULL);
}

/* A file with 2000 API camera rows (~60 pages), closed. */
static void make_big(const char *p)
{
    nvr_index *ix = NULL;
    sqlite3 *db = NULL;
    CHECK_EQ_INT(index_open(&ix, p), NVR_OK);
    index_close(&ix);
    CHECK(sqlite3_open(p, &db) == SQLITE_OK);
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    for (int i = 0; i < 2000; i++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "INSERT INTO api_cameras VALUES ('cam%04d', 'url = rtsp://10.0.0.1/stream%04d "
                 "segment_seconds = 60 retain_days = 30 ..........', %d)", i, i, i);
        sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db); /* checkpoints the WAL into the file */
}

/* 4 KiB of garbage over page pageno (1-based). */
static void garble(const char *p, long pageno)
{
    char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)(i * 151 + 7);
    int fd = open(p, O_WRONLY);
    CHECK(fd >= 0);
    CHECK(pwrite(fd, junk, sizeof junk, (pageno - 1) * 4096) == (ssize_t)sizeof junk);
    close(fd);
}

/* A leaf page of table in the middle of its leaves (SQLite's dbstat). */
static long leaf_of(const char *p, const char *table)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long pages[4096];
    int n = 0;
    CHECK(sqlite3_open(p, &db) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "SELECT pageno FROM dbstat WHERE name = ?1 AND pagetype = 'leaf' ORDER BY pageno",
                             -1, &st, NULL) == SQLITE_OK);
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    while (n < 4096 && sqlite3_step(st) == SQLITE_ROW)
        pages[n++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n ? pages[n / 2] : 0;
}

static void test_damage_detected_and_salvaged(void)
{
    char p[128], fresh[128], problem[256];
    nvr_index *ix = NULL, *nx = NULL;
    snprintf(p, sizeof p, "%s/damaged.db", dir);
    snprintf(fresh, sizeof fresh, "%s/fresh.db", dir);
    make_big(p);
    CHECK_EQ_INT(index_open(&ix, p), NVR_OK);
    CHECK_EQ_INT(index_quick_check(ix, 1000, problem, sizeof problem), NVR_OK);
    CHECK_EQ_STR(problem, "");
    index_close(&ix);
    long leaf = leaf_of(p, "api_cameras");
    CHECK(leaf > 1);
    garble(p, leaf); /* one leaf of api_cameras, in the middle of the table */
    CHECK_EQ_INT(index_open(&ix, p), NVR_OK); /* the header is intact */
    CHECK_EQ_INT(index_quick_check(ix, 0, problem, sizeof problem), NVR_EDAMAGED);
    CHECK(problem[0] != '\0');
    index_close(&ix);
    /* what is still readable is copied: every row but those of the bad page */
    CHECK_EQ_INT(index_open(&nx, fresh), NVR_OK);
    CHECK_EQ_INT(index_salvage(nx, p, NULL), NVR_OK);
    index_close(&nx);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rows = 0;
    CHECK(sqlite3_open(fresh, &db) == SQLITE_OK);
    if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM api_cameras", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        rows = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    CHECK(rows > 1900 && rows < 2000);
    /* garbage over the header: not a database at all */
    garble(p, 1);
    CHECK_EQ_INT(index_open(&ix, p), NVR_EDAMAGED);
    CHECK(ix == NULL);
}

static void test_restore_any_order(void)
{
    char p[128];
    nvr_index *ix = NULL;
    struct index_segment got;
    snprintf(p, sizeof p, "%s/restore.db", dir);
    CHECK_EQ_INT(index_open(&ix, p), NVR_OK);
    struct index_segment late = make_seg("lobby", T0 + 100 * S, 10 * S, 5);
    struct index_segment early = make_seg("lobby", T0, 10 * S, 5);
    struct index_segment over = make_seg("lobby", T0 + 5 * S, 10 * S, 5);
    late.has_sha256 = 1;
    memset(late.sha256, 0x5a, 32);
    CHECK_EQ_INT(index_segment_restore(ix, &late), NVR_OK);
    CHECK_EQ_INT(index_segment_restore(ix, &early), NVR_OK); /* before the newest: fine */
    CHECK_EQ_INT(index_segment_restore(ix, &over), NVR_EINVAL); /* I1 */
    CHECK_EQ_INT(index_segment_restore(ix, &early), NVR_EINVAL); /* same path */
    CHECK_EQ_INT(index_segment_by_path(ix, late.path, &got), NVR_OK);
    CHECK_EQ_INT(got.state, INDEX_SEG_COMPLETE);
    CHECK(got.has_sha256 && got.sha256[0] == 0x5a);
    CHECK_EQ_INT(got.frags.n, 5);
    fragments_free(&got.frags);
    CHECK_EQ_INT(index_segment_by_path(ix, "recordings/nope.mp4", &got), NVR_ENOTFOUND);
    fragments_free(&late.frags);
    fragments_free(&early.frags);
    fragments_free(&over.frags);
    index_close(&ix);
}

/* T6 (time.md): after a step back of the server clock, the footage later
 * than the clock now is marked clock_suspect, and a segment fits in the room
 * before it (I1 still refuses an overlap) */
static void test_clock_step_back(void)
{
    char p[128];
    nvr_index *ix = NULL;
    snprintf(p, sizeof p, "%s/step.db", dir);
    CHECK_EQ_INT(index_open(&ix, p), NVR_OK);
    CHECK_EQ_INT(index_camera_upsert(ix, "cam", "Cam"), NVR_OK);
    struct index_segment a = make_seg("cam", T0, 10 * S, 1), b = make_seg("cam", T0 + 3600 * S, 10 * S, 1),
                         c = make_seg("cam", T0 + 3610 * S, 10 * S, 1);
    CHECK_EQ_INT(index_segment_insert(ix, &a), NVR_OK);
    CHECK_EQ_INT(index_segment_insert(ix, &b), NVR_OK);
    CHECK_EQ_INT(index_segment_insert(ix, &c), NVR_OK);
    int64_t floor_us, ceiling_us, after_us;
    int marked = -1;
    CHECK_EQ_INT(index_clock_step_back(ix, "cam", T0 + 20 * S, &floor_us, &ceiling_us, &after_us, &marked), NVR_OK);
    CHECK_EQ_INT(marked, 2);
    CHECK_EQ_INT(floor_us, T0 + 10 * S);
    CHECK_EQ_INT(ceiling_us, T0 + 3600 * S);
    CHECK_EQ_INT(after_us, T0 + 3620 * S);
    /* marked once */
    CHECK_EQ_INT(index_clock_step_back(ix, "cam", T0 + 20 * S, &floor_us, &ceiling_us, &after_us, &marked), NVR_OK);
    CHECK_EQ_INT(marked, 0);
    /* new footage at the true time fits before the suspect footage, not over the old */
    struct index_segment d = make_seg("cam", T0 + 20 * S, 10 * S, 1), e = make_seg("cam", T0 + 5 * S, 2 * S, 1);
    CHECK_EQ_INT(index_segment_insert(ix, &d), NVR_OK);
    CHECK_EQ_INT(index_segment_insert(ix, &e), NVR_EINVAL);
    struct index_segment *v = NULL;
    size_t n = 0;
    CHECK_EQ_INT(index_segments_list(ix, "cam", T0, T0 + 4000 * S, &v, &n), NVR_OK);
    CHECK_EQ_INT(n, 4);
    if (n == 4) {
        CHECK_EQ_INT(v[0].clock_suspect, 0);
        CHECK_EQ_INT(v[1].clock_suspect, 0);
        CHECK_EQ_INT(v[1].start_us, T0 + 20 * S);
        CHECK_EQ_INT(v[2].clock_suspect, 1);
        CHECK_EQ_INT(v[3].clock_suspect, 1);
    }
    index_segments_free(&v, n);
    /* nothing before the clock now: no floor */
    CHECK_EQ_INT(index_clock_step_back(ix, "cam", T0 - 100 * S, &floor_us, &ceiling_us, &after_us, &marked), NVR_OK);
    CHECK(floor_us == INT64_MIN);
    CHECK_EQ_INT(ceiling_us, T0);
    for (struct index_segment *x = &a; x; x = x == &a ? &b : x == &b ? &c : x == &c ? &d : x == &d ? &e : NULL)
        fragments_free(&x->frags);
    index_close(&ix);
}

/* ---- the statement/transaction helper (index_stmt.h) ---- */

struct locker {
    nvr_index *ix;
    volatile int done;
};

static void *take_lock(void *arg)
{
    struct locker *l = arg;
    index_lock(l->ix);
    index_unlock(l->ix);
    l->done = 1;
    return NULL;
}

/* Whether another thread can take ix's lock within 5 s (a leaked lock
 * would hang it: then the test stops here rather than time out). */
static int lock_is_free(nvr_index *ix)
{
    struct locker l = {ix, 0};
    pthread_t t;
    if (pthread_create(&t, NULL, take_lock, &l) != 0)
        return 0;
    for (int i = 0; i < 500 && !l.done; i++)
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    if (!l.done) {
        fprintf(stderr, "the index's lock was left held\n");
        exit(1);
    }
    pthread_join(t, NULL);
    return 1;
}

static int64_t count_rows(nvr_index *ix, const char *sql)
{
    index_stmt st;
    int64_t n = -1;
    index_lock(ix);
    index_prepare(&st, ix, sql, "count");
    if (index_step_row(&st) == NVR_OK)
        n = index_col_int64(&st, 0);
    index_finalize(&st);
    index_unlock(ix);
    return n;
}

static void test_stmt_errors(void)
{
    char p[128];
    nvr_index *ix = NULL;
    index_stmt st = INDEX_STMT_INIT;
    snprintf(p, sizeof p, "%s/stmt.db", dir);
    CHECK_EQ_INT(index_open(&ix, p), NVR_OK);
    index_finalize(&st); /* safe on an empty statement */
    index_finalize(NULL);

    /* a statement that does not prepare: the error is kept, binds are
     * no-ops, every step returns it, finalize is safe */
    index_lock(ix);
    CHECK_EQ_INT(index_prepare(&st, ix, "SELEC nonsense", "test_bad_sql"), NVR_EDB);
    index_bind_int64(&st, 1, 7);
    index_bind_text(&st, 2, "x");
    CHECK_EQ_INT(index_step(&st), NVR_EDB);
    CHECK_EQ_INT(index_step_done(&st), NVR_EDB);
    CHECK_EQ_INT(index_step_row(&st), NVR_EDB);
    index_finalize(&st);
    index_finalize(&st);
    index_unlock(ix);
    CHECK(lock_is_free(ix));

    /* a bind to a parameter the SQL does not have is the statement's error */
    index_lock(ix);
    CHECK_EQ_INT(index_prepare(&st, ix, "SELECT ?1", "test_bind_range"), NVR_OK);
    index_bind_int64(&st, 2, 1);
    CHECK(index_step(&st) < 0);
    index_finalize(&st);
    index_unlock(ix);

    /* row / done / not found, and the typed columns */
    index_lock(ix);
    index_prepare(&st, ix, "SELECT ?1, ?2, ?3, ?4", "test_columns");
    index_bind_int64(&st, 1, INT64_MIN);
    index_bind_text(&st, 2, "a text");
    index_bind_blob(&st, 3, "0123456789abcdef0123456789abcdef", 32);
    index_bind_null(&st, 4);
    CHECK_EQ_INT(index_step(&st), INDEX_ROW);
    CHECK(index_col_int64(&st, 0) == INT64_MIN);
    char small[4], *dup = index_col_strdup(&st, 1);
    index_col_text(&st, 1, small, sizeof small);
    CHECK_EQ_STR(small, "a t");
    CHECK(dup && strcmp(dup, "a text") == 0);
    free(dup);
    uint8_t b32[32], b16[16] = {0};
    CHECK(index_col_blob(&st, 2, b32, 32) == 1 && memcmp(b32, "0123456789abcdef0123456789abcdef", 32) == 0);
    CHECK(index_col_blob(&st, 2, b16, 16) == 0 && b16[0] == 0); /* not exactly 16 bytes: untouched */
    CHECK(index_col_null(&st, 3) && !index_col_null(&st, 0));
    CHECK(index_col_str(&st, 3) == NULL);
    index_col_text(&st, 3, small, sizeof small);
    CHECK_EQ_STR(small, "");
    CHECK_EQ_INT(index_step(&st), NVR_OK);
    index_finalize(&st);
    index_prepare(&st, ix, "SELECT 1 WHERE 0", "test_none");
    CHECK_EQ_INT(index_step_row(&st), NVR_ENOTFOUND);
    index_finalize(&st);
    index_prepare(&st, ix, "DELETE FROM alert_meta WHERE key = 'none'", "test_change");
    CHECK_EQ_INT(index_step_change(&st), NVR_ENOTFOUND);
    index_finalize(&st);
    index_unlock(ix);
    index_close(&ix);
}

static void test_txn_rollback(void)
{
    char p[128];
    nvr_index *ix = NULL;
    index_stmt st;
    snprintf(p, sizeof p, "%s/txn.db", dir);
    CHECK_EQ_INT(index_open(&ix, p), NVR_OK);

    /* a failing statement inside a transaction: index_end rolls back the
     * rows written before it and returns its error; the lock is free */
    nvr_err rc = index_begin(ix);
    CHECK_EQ_INT(rc, NVR_OK);
    index_prepare(&st, ix, "INSERT INTO api_cameras(id, ini, updated_us) VALUES (?1, ?2, 1)", "test_txn");
    index_bind_text(&st, 1, "cam1");
    index_bind_text(&st, 2, "url = rtsp://x/");
    CHECK_EQ_INT(rc = index_step_done(&st), NVR_OK);
    index_reset(&st);
    index_bind_text(&st, 1, "cam2");
    index_bind_text(&st, 2, NULL); /* ini is NOT NULL */
    CHECK_EQ_INT(rc = index_step_done(&st), NVR_EDB);
    index_finalize(&st);
    CHECK_EQ_INT(index_end(ix, rc), NVR_EDB);
    CHECK(lock_is_free(ix));
    CHECK_EQ_INT(count_rows(ix, "SELECT COUNT(*) FROM api_cameras"), 0);

    /* a caller's own error rolls back too */
    CHECK_EQ_INT(index_begin(ix), NVR_OK);
    index_prepare(&st, ix, "INSERT INTO alert_meta(key, value) VALUES ('k', 'v')", "test_txn");
    CHECK_EQ_INT(index_step_done(&st), NVR_OK);
    index_finalize(&st);
    CHECK_EQ_INT(index_end(ix, NVR_EINVAL), NVR_EINVAL);
    CHECK_EQ_INT(count_rows(ix, "SELECT COUNT(*) FROM alert_meta"), 0);

    /* a constraint mapped by the statement returns that code */
    CHECK_EQ_INT(api_cameras_put(ix, "cam1", "url = rtsp://x/", 1), NVR_OK);
    index_lock(ix);
    index_prepare(&st, ix, "INSERT INTO api_cameras(id, ini, updated_us) VALUES ('cam1', '', 2)", "test_unique");
    index_on_constraint(&st, NVR_EINVAL);
    CHECK_EQ_INT(index_step_done(&st), NVR_EINVAL);
    index_finalize(&st);
    index_unlock(ix);

    /* the next transaction and the table files work: nothing was left open */
    CHECK_EQ_INT(index_begin(ix), NVR_OK);
    CHECK_EQ_INT(index_end(ix, NVR_OK), NVR_OK);
    CHECK_EQ_INT(alert_meta_set(ix, "k", "v2"), NVR_OK);
    char v[16];
    CHECK_EQ_INT(alert_meta_get(ix, "k", v, sizeof v), NVR_OK);
    CHECK_EQ_STR(v, "v2");
    CHECK_EQ_INT(alert_meta_get(ix, "none", v, sizeof v), NVR_ENOTFOUND);
    CHECK_EQ_INT(api_cameras_delete(ix, "none"), NVR_ENOTFOUND);
    CHECK_EQ_INT(count_rows(ix, "SELECT COUNT(*) FROM api_cameras"), 1);
    index_close(&ix);
}

int main(void)
{
    if (check_tmpdir(dir, sizeof dir, "index"))
        return 2;
    RUN(test_open_migrates_and_reopens);
    RUN(test_user_source);
    RUN(test_replace_catalog);
    RUN(test_insert_update_finish_list);
    RUN(test_newer_schema_refused);
    RUN(test_damage_detected_and_salvaged);
    RUN(test_restore_any_order);
    RUN(test_clock_step_back);
    RUN(test_stmt_errors);
    RUN(test_txn_rollback);
    check_rmdir(dir);
    return check_summary();
}
