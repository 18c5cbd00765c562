/* SPDX-License-Identifier: Apache-2.0 */
/*
 * playlist.c - benchmark of HLS VOD playlist latency (index query + text).
 *
 * A benchmark, never run by CI.  It builds (once, cached at --db) a real
 * SQLite index of --cameras cameras x --days days of 60 s segments (30
 * fragments of 2 s, ~1 MB each, reconnections every few hours), then for
 * --iterations random (camera, start) pairs times, for a 1-hour and a 24-hour
 * range:
 *   query     index_segments_list alone (the baseline);
 *   playlist  index_segments_list + hls_write_vod into an open_memstream
 *             buffer, which is what GET /api/cameras/ID/playback does;
 *   text      hls_write_vod alone, on the rows just read, into a reused
 *             buffer that is already paged in (a diagnostic: playlist minus
 *             query minus text is the cost of the fresh buffers, mostly
 *             page faults).
 * It prints p50/p90/p99/max in ms of the three, side by side, and the
 * playlist sizes.  Targets (from the issue): p99 under 10 ms (1 h) and 50 ms
 * (24 h).  Warm (the default): the index file is read once first, so the
 * page cache holds it if it fits in RAM.  --cold evicts the index file from
 * the page cache (POSIX_FADV_DONTNEED) before every timed call instead.
 *
 * Building the index: the schema is created by index_open (so it is exactly
 * the server's), cameras go through index_camera_upsert, and a sample of
 * segments through index_segment_insert + index_segment_finish to measure
 * that path's rate.  The full set (200 x 90 x 1440 = 25.9 M rows) would take
 * an hour or more through the public API (two commits per segment), so the
 * rows are bulk-inserted with the sqlite3 API: one prepared statement, into
 * PATH.tmp, renamed to PATH when complete.  By default in time order (every
 * camera's segment of minute 1, then of minute 2...; a transaction per hour
 * of footage), as the recorder writes them, so one camera's rows are spread
 * over the table as in production; --layout camera inserts camera by camera
 * (a transaction each), which packs a camera's rows together.
 *
 * Exit status: 0 after printing results (whether or not targets are met),
 * 1 if it could not measure, 2 on bad usage.  See bench/README.md.
 */
#include "base/alloc.h"
#include "base/err.h"
#include "playback/hls.h"
#include "http/http_server.h"
#include "storage/index.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef BENCH_DEFAULT_DB
#define BENCH_DEFAULT_DB "build/bench-data/playlist-index.db"
#endif

#define S 1000000LL
#define DAY_US (86400 * S)
#define T_END (1795305600LL * S) /* 2026-11-22T00:00:00Z: the newest footage ends about here */
#define SEG_FRAGS 30
#define FRAG_US 2000000u
#define SEG_MEDIA_US ((int64_t)SEG_FRAGS * FRAG_US)
#define INIT_BYTES 1187u
#define API_SAMPLE 20000 /* segments inserted through the public API to measure its rate */

struct opts {
    const char *db;
    int cameras, days, iterations, rebuild;
    int camera_major; /* --layout camera: rows inserted camera by camera */
    int cold;         /* --cold: the index file evicted from the page cache before each timed call */
    unsigned long long seed;
};

/* ---- small helpers ---- */

static uint64_t rng_state;

static uint64_t rnd64(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint64_t rnd(uint64_t n)
{
    return n ? rnd64() % n : 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void camera_id(int c, char out[INDEX_ID_MAX])
{
    snprintf(out, INDEX_ID_MAX, "cam%03d", c);
}

/* mkdir -p of the directory part of path. */
static int make_parent_dirs(const char *path)
{
    char d[1024];
    snprintf(d, sizeof d, "%s", path);
    char *slash = strrchr(d, '/');
    if (!slash || slash == d)
        return 0;
    *slash = '\0';
    for (char *p = d + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(d, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return (mkdir(d, 0755) != 0 && errno != EEXIST) ? -1 : 0;
}

static void remove_db(const char *path)
{
    char p[1100];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

/* ---- the synthetic footage ---- */

/* Generates one camera's segments in order.  Each camera has its own clock
 * error (wall/media ratio within +-200 ppm, rule T1) and reconnects every
 * 2-12 hours (a gap of 3-30 s and a new session: an EXT-X-DISCONTINUITY). */
struct camgen {
    int64_t t, session, media, until_reconnect, slew_us;
    int audio;
    int n;
};

static void camgen_init(struct camgen *g, int days)
{
    g->t = T_END - days * DAY_US + (int64_t)rnd(60 * S);
    g->session = g->t;
    g->media = 0;
    g->until_reconnect = 120 + (int64_t)rnd(600);
    g->slew_us = (int64_t)rnd(25) - 12; /* per 60 s: up to 200 ppm */
    g->audio = (int)rnd(2);
    g->n = 0;
}

/* Fills s (frags must be a zeroed or reusable list) with the next segment. */
static void camgen_next(struct camgen *g, struct index_segment *s)
{
    if (g->until_reconnect-- == 0) {
        /* a new run: the media timeline continues by the gap (index.md) */
        int64_t gap = 3 * S + (int64_t)rnd(27 * S);
        g->t += gap;
        g->media += gap;
        g->session = g->t;
        g->until_reconnect = 120 + (int64_t)rnd(600);
    }
    s->session = g->session;
    s->start_us = g->t;
    s->media_us = SEG_MEDIA_US;
    s->end_us = g->t + SEG_MEDIA_US + g->slew_us;
    s->media_start_us = g->media;
    s->init_bytes = INIT_BYTES;
    s->bytes = INIT_BYTES;
    s->frags.n = 0;
    for (int k = 0; k < SEG_FRAGS; k++) {
        uint32_t b = 900000u + (uint32_t)rnd(200001);
        fragments_append(&s->frags, b, FRAG_US);
        s->bytes += b;
    }
    snprintf(s->path, sizeof s->path, "recordings/%s/%lld.mp4", s->camera, (long long)s->start_us);
    snprintf(s->video_codec, sizeof s->video_codec, "h264");
    snprintf(s->audio_codec, sizeof s->audio_codec, "%s", g->audio ? "aac" : "");
    s->width = 1920;
    s->height = 1080;
    s->frames = 1500;
    for (int i = 0; i < 32; i += 8) {
        uint64_t r = rnd64();
        memcpy(s->sha256 + i, &r, 8);
    }
    s->has_sha256 = 1;
    g->t = s->end_us;
    g->media += SEG_MEDIA_US;
    g->n++;
}

/* ---- building the index ---- */

/* Rate of the public API (insert + finish, each its own commit), measured on
 * a scratch index next to path.  Returns segments per second, or -1. */
static double api_insert_rate(const char *path, int days)
{
    char p[1100];
    snprintf(p, sizeof p, "%s.api-sample", path);
    remove_db(p);
    nvr_index *ix = NULL;
    struct index_segment s;
    struct camgen g;
    double rate = -1;
    memset(&s, 0, sizeof s);
    if (index_open(&ix, p) || index_camera_upsert(ix, "cam000", "cam000"))
        goto out;
    snprintf(s.camera, sizeof s.camera, "cam000");
    camgen_init(&g, days);
    double t0 = now_ms();
    for (int i = 0; i < API_SAMPLE; i++) {
        camgen_next(&g, &s);
        if (index_segment_insert(ix, &s) || index_segment_finish(ix, &s))
            goto out;
    }
    rate = API_SAMPLE / ((now_ms() - t0) / 1e3);
out:
    fragments_free(&s.frags);
    index_close(&ix);
    remove_db(p);
    return rate;
}

static int exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "playlist: sqlite: %s: %s\n", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Inserts s (complete, with its SHA-256) with the prepared statement st. */
static int insert_row(sqlite3 *db, sqlite3_stmt *st, const struct index_segment *s)
{
    uint8_t blob[SEG_FRAGS * FRAGMENTS_RECORD_SIZE];
    fragments_pack(&s->frags, blob);
    sqlite3_bind_text(st, 1, s->camera, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, s->session);
    sqlite3_bind_int64(st, 3, s->start_us);
    sqlite3_bind_int64(st, 4, s->end_us);
    sqlite3_bind_int64(st, 5, s->media_us);
    sqlite3_bind_text(st, 6, s->path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)s->bytes);
    sqlite3_bind_int64(st, 8, s->init_bytes);
    sqlite3_bind_text(st, 9, s->video_codec, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 10, s->width);
    sqlite3_bind_int(st, 11, s->height);
    sqlite3_bind_int64(st, 12, s->frames);
    sqlite3_bind_text(st, 13, s->audio_codec, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 14, blob, (int)(s->frags.n * FRAGMENTS_RECORD_SIZE), SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 15, s->sha256, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 16, s->media_start_us);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    if (rc)
        fprintf(stderr, "playlist: insert: %s\n", sqlite3_errmsg(db));
    sqlite3_reset(st);
    return rc;
}

static int build_index(const struct opts *o)
{
    char tmp[1100];
    int rc = -1;
    nvr_index *ix = NULL;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    struct index_segment s;
    struct camgen *g = NULL;
    memset(&s, 0, sizeof s);

    if (make_parent_dirs(o->db) != 0) {
        fprintf(stderr, "playlist: cannot create the directory of %s: %s\n", o->db, strerror(errno));
        return -1;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", o->db);
    remove_db(tmp);

    double rate = api_insert_rate(o->db, o->days);
    double total = (double)o->cameras * o->days * 1440;
    if (rate > 0)
        printf("public API (index_segment_insert + index_segment_finish, a commit each): %.0f segments/s\n"
               "  -> %.0f segments would take %.1f h that way; bulk-inserting with sqlite3 instead\n",
               rate, total, total / rate / 3600);

    /* the schema and the cameras through the real code */
    if (index_open(&ix, tmp) != NVR_OK)
        goto out;
    for (int c = 0; c < o->cameras; c++) {
        char id[INDEX_ID_MAX];
        camera_id(c, id);
        if (index_camera_upsert(ix, id, id) != NVR_OK)
            goto out;
    }
    index_close(&ix);

    if (sqlite3_open(tmp, &db) != SQLITE_OK) {
        fprintf(stderr, "playlist: cannot open %s\n", tmp);
        goto out;
    }
    if (exec_sql(db, "PRAGMA synchronous=OFF; PRAGMA cache_size=-262144; PRAGMA foreign_keys=ON;"))
        goto out;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO segments(camera, session, start_us, end_us, media_us, path, bytes, "
                           "init_bytes, state, video_codec, width, height, frames, audio_codec, fragments, "
                           "sha256, media_start_us) VALUES "
                           "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                           -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "playlist: prepare: %s\n", sqlite3_errmsg(db));
        goto out;
    }
    /* time-major (the default): outer loop over minutes, inner over cameras */
    double t0 = now_ms();
    int per_camera = o->days * 1440, done = 0;
    g = calloc((size_t)o->cameras, sizeof *g);
    if (!g)
        goto out;
    for (int c = 0; c < o->cameras; c++)
        camgen_init(&g[c], o->days);
    int outer = o->camera_major ? o->cameras : per_camera, inner = o->camera_major ? per_camera : o->cameras;
    int commit_every = o->camera_major ? 1 : 60; /* a camera, or an hour of every camera */
    for (int a = 0; a < outer; a++) {
        if (a % commit_every == 0 && exec_sql(db, "BEGIN"))
            goto out;
        for (int b = 0; b < inner; b++) {
            int c = o->camera_major ? a : b;
            camera_id(c, s.camera);
            camgen_next(&g[c], &s);
            if (insert_row(db, st, &s) != 0)
                goto out;
            done++;
        }
        if ((a + 1) % commit_every == 0 || a + 1 == outer) {
            if (exec_sql(db, "COMMIT"))
                goto out;
        }
        if ((a + 1) % (o->camera_major ? 10 : 10 * 1440) == 0 || a + 1 == outer) {
            double el = (now_ms() - t0) / 1e3;
            printf("  built %d/%lld rows, %.0f s, %.0f rows/s\n", done, (long long)per_camera * o->cameras, el,
                   done / el);
            fflush(stdout);
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    if (exec_sql(db, "PRAGMA wal_checkpoint(TRUNCATE)"))
        goto out;
    sqlite3_close(db);
    db = NULL;
    remove_db(o->db);
    if (rename(tmp, o->db) != 0) {
        fprintf(stderr, "playlist: rename %s: %s\n", tmp, strerror(errno));
        goto out;
    }
    printf("built %s in %.0f s\n", o->db, (now_ms() - t0) / 1e3);
    rc = 0;
out:
    free(g);
    sqlite3_finalize(st);
    sqlite3_close(db);
    index_close(&ix);
    fragments_free(&s.frags);
    if (rc)
        remove_db(tmp);
    return rc;
}

/* 1 if the cached index at o->db has o's shape (camera count, the segment
 * count of the first and last camera, the layout). */
static int cached_index_fits(const struct opts *o)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int fits = 0;
    if (access(o->db, R_OK) != 0)
        return 0;
    if (sqlite3_open_v2(o->db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_prepare_v2(db, "SELECT (SELECT COUNT(*) FROM cameras), "
                               "(SELECT COUNT(*) FROM segments WHERE camera = ?1), "
                               "(SELECT COUNT(*) FROM segments WHERE camera = ?2), "
                               "(SELECT camera FROM segments WHERE id = 1) = "
                               "(SELECT camera FROM segments WHERE id = 2)",
                           -1, &st, NULL) != SQLITE_OK)
        goto out;
    char first[INDEX_ID_MAX], last[INDEX_ID_MAX];
    camera_id(0, first);
    camera_id(o->cameras - 1, last);
    sqlite3_bind_text(st, 1, first, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, last, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW)
        goto out;
    int64_t want = (int64_t)o->days * 1440;
    fits = sqlite3_column_int64(st, 0) == o->cameras && sqlite3_column_int64(st, 1) == want &&
           sqlite3_column_int64(st, 2) == want &&
           (o->cameras == 1 || sqlite3_column_int(st, 3) == o->camera_major);
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return fits;
}

/* ---- timing ---- */

struct series {
    double *v;
    int n;
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted series. */
static double pct(const struct series *s, double q)
{
    int k = (int)ceil(q * s->n);
    if (k < 1)
        k = 1;
    return s->v[k - 1];
}

static void print_row(const char *range, const char *what, struct series *s)
{
    qsort(s->v, (size_t)s->n, sizeof *s->v, cmp_double);
    printf("%-6s %-24s %8.3f %8.3f %8.3f %8.3f\n", range, what, pct(s, 0.50), pct(s, 0.90), pct(s, 0.99),
           s->v[s->n - 1]);
}

/* One measurement of each kind for [from, to) of cam: *query_ms, or
 * *playlist_ms, *text_ms and *bytes.  Returns 0, or -1 on error. */
static int time_query(nvr_index *ix, const char *cam, int64_t from, int64_t to, double *query_ms)
{
    struct index_segment *segs = NULL;
    size_t n = 0;
    double t0 = now_ms();
    if (index_segments_list(ix, cam, from, to, &segs, &n) != NVR_OK)
        return -1;
    *query_ms = now_ms() - t0;
    index_segments_free(&segs, n);
    return 0;
}

static int time_playlist(nvr_index *ix, const char *cam, int64_t from, int64_t to, char *scratch,
                         size_t scratch_len, double *playlist_ms, double *text_ms, double *bytes, size_t *nsegs)
{
    struct index_segment *segs = NULL;
    size_t n = 0, len = 0;
    char *buf = NULL;
    int rc = -1, hrc = NVR_ENOMEM;
    FILE *f = NULL;

    /* what the HTTP handler does: query, then the text into a new memstream */
    double t0 = now_ms();
    if (index_segments_list(ix, cam, from, to, &segs, &n) != NVR_OK)
        goto out;
    if ((f = open_memstream(&buf, &len)))
        hrc = hls_write_vod(f, segs, n, from, to);
    if (f && fclose(f) != 0)
        hrc = NVR_ENOMEM;
    f = NULL;
    *playlist_ms = now_ms() - t0;
    if (hrc != NVR_OK) {
        fprintf(stderr, "playlist: %s [%lld, %lld): %s\n", cam, (long long)from, (long long)to,
                nvr_strerror(hrc));
        goto out;
    }
    *bytes = (double)len;
    *nsegs = n;

    /* the text alone, on the same rows, into memory that is already paged in */
    t0 = now_ms();
    if (!(f = fmemopen(scratch, scratch_len, "w")))
        goto out;
    hls_write_vod(f, segs, n, from, to);
    long wrote = ftell(f);
    fclose(f);
    *text_ms = now_ms() - t0;
    if (wrote < 0 || (size_t)wrote != len) {
        fprintf(stderr, "playlist: scratch buffer too small for %zu bytes\n", len);
        goto out;
    }
    rc = 0;
out:
    free(buf);
    index_segments_free(&segs, n);
    return rc;
}

/* Times o->iterations random (camera, start) pairs for ranges of range_us.
 * Warm: each pair is measured both ways, in a random order, so neither side
 * always runs with the other's pages in SQLite's cache.  Cold: the index
 * file is evicted from the OS page cache before each call, and the two
 * sides use different pairs (SQLite's own cache would serve the second). */
static int time_range(nvr_index *ix, const struct opts *o, int64_t range_us, const char *label, double target_ms,
                      char *scratch, size_t scratch_len)
{
    struct series q = {calloc((size_t)o->iterations, sizeof(double)), o->iterations};
    struct series p = {calloc((size_t)o->iterations, sizeof(double)), o->iterations};
    struct series t = {calloc((size_t)o->iterations, sizeof(double)), o->iterations};
    struct series sz = {calloc((size_t)o->iterations, sizeof(double)), o->iterations};
    long long segs_total = 0;
    int rc = -1, fd = -1;
    if (!q.v || !p.v || !t.v || !sz.v)
        goto out;
    if (o->cold && (fd = open(o->db, O_RDONLY)) < 0) {
        fprintf(stderr, "playlist: %s: %s\n", o->db, strerror(errno));
        goto out;
    }
    int64_t lo = T_END - o->days * DAY_US + 60 * S, hi = T_END - range_us;
    for (int i = 0; i < o->iterations; i++) {
        char cam[2][INDEX_ID_MAX];
        int64_t from[2];
        for (int k = 0; k < 2; k++) {
            camera_id((int)rnd((uint64_t)o->cameras), cam[k]);
            from[k] = lo + (int64_t)rnd((uint64_t)(hi - lo));
        }
        int first_playlist = (int)rnd(2);
        for (int pass = 0; pass < 2; pass++) {
            int k = o->cold ? pass : 0;
            size_t n = 0;
            if (fd >= 0)
                posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
            if (pass != first_playlist) {
                if (time_query(ix, cam[k], from[k], from[k] + range_us, &q.v[i]) != 0)
                    goto out;
            } else {
                if (time_playlist(ix, cam[k], from[k], from[k] + range_us, scratch, scratch_len, &p.v[i], &t.v[i],
                                  &sz.v[i], &n) != 0)
                    goto out;
                segs_total += (long long)n;
            }
        }
    }
    print_row(label, "query only", &q);
    print_row(label, "query + playlist", &p);
    print_row(label, "(text only, warm buffer)", &t);
    qsort(sz.v, (size_t)sz.n, sizeof *sz.v, cmp_double);
    printf("%-6s %-24s %.0f segments/playlist, %.0f..%.0f bytes (median %.0f); p99 target %.0f ms: %s\n", label,
           "", (double)segs_total / o->iterations, sz.v[0], sz.v[sz.n - 1], pct(&sz, 0.5), target_ms,
           pct(&p, 0.99) < target_ms ? "PASS" : "FAIL");
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    free(q.v);
    free(p.v);
    free(t.v);
    free(sz.v);
    return rc;
}

/* Reads the whole file once so that a warm run finds it in the page cache
 * (if it fits in RAM).  Returns the seconds it took, or -1. */
static double preload(const char *path)
{
    static char buf[1 << 20];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    double t0 = now_ms();
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0)
        ;
    close(fd);
    return r < 0 ? -1 : (now_ms() - t0) / 1e3;
}

/* ---- main ---- */

static void usage(void)
{
    fprintf(stderr, "usage: playlist [--db PATH] [--cameras N] [--days D] [--iterations N] [--seed S]\n"
                    "                [--layout time|camera] [--cold] [--rebuild]\n"
                    "  defaults: --db %s --cameras 200 --days 90 --iterations 1000 --layout time\n",
            BENCH_DEFAULT_DB);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--rebuild") == 0) {
            o->rebuild = 1;
            continue;
        }
        if (strcmp(a, "--cold") == 0) {
            o->cold = 1;
            continue;
        }
        if (i + 1 >= argc)
            return -1;
        const char *v = argv[++i];
        char *end;
        long long x = strtoll(v, &end, 10);
        int numeric = *v && !*end && x > 0 && x <= 100000000;
        if (strcmp(a, "--db") == 0)
            o->db = v;
        else if (strcmp(a, "--layout") == 0 && (strcmp(v, "time") == 0 || strcmp(v, "camera") == 0))
            o->camera_major = v[0] == 'c';
        else if (strcmp(a, "--cameras") == 0 && numeric && x <= 1000)
            o->cameras = (int)x;
        else if (strcmp(a, "--days") == 0 && numeric && x <= 3650)
            o->days = (int)x;
        else if (strcmp(a, "--iterations") == 0 && numeric)
            o->iterations = (int)x;
        else if (strcmp(a, "--seed") == 0 && numeric)
            o->seed = (unsigned long long)x;
        else
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o = {BENCH_DEFAULT_DB, 200, 90, 1000, 0, 0, 0, 1};
    nvr_index *ix = NULL;
    if (parse_args(argc, argv, &o) != 0) {
        usage();
        return 2;
    }
    if (o.rebuild || !cached_index_fits(&o)) {
        if (!o.rebuild && access(o.db, F_OK) == 0)
            printf("%s does not hold %d cameras x %d days (%s-major): rebuilding\n", o.db, o.cameras, o.days,
                   o.camera_major ? "camera" : "time");
        printf("building %s: %d cameras x %d days x 1440 segments of 60 s = %lld rows, %s-major\n", o.db,
               o.cameras, o.days, (long long)o.cameras * o.days * 1440, o.camera_major ? "camera" : "time");
        fflush(stdout);
        rng_state = o.seed;
        if (build_index(&o) != 0)
            return 1;
        /* Time in a fresh process: the build leaves malloc's heap grown and
         * its mmap threshold raised, and the playlist timings depend on that
         * state (bench/README.md); a fresh process starts from glibc's
         * defaults, as a cached run does. */
        char **av = calloc((size_t)argc + 1, sizeof *av);
        int ac = 0;
        for (int i = 0; av && i < argc; i++)
            if (strcmp(argv[i], "--rebuild") != 0)
                av[ac++] = argv[i];
        fflush(stdout);
        if (av)
            execv("/proc/self/exe", av);
        fprintf(stderr, "playlist: cannot re-execute for timing (%s): timing in this process\n", strerror(errno));
        free(av);
    }
    nvr_alloc_tune((size_t)o.cameras); /* as `nvr run` does before serving */
    struct stat sb;
    if (stat(o.db, &sb) != 0 || index_open(&ix, o.db) != NVR_OK) {
        fprintf(stderr, "playlist: cannot open %s\n", o.db);
        return 1;
    }
    printf("index %s: %d cameras x %d days of 60 s segments (%lld rows, %.2f GB, %s-major)\n", o.db, o.cameras,
           o.days, (long long)o.cameras * o.days * 1440, (double)sb.st_size / 1e9,
           o.camera_major ? "camera" : "time");
    if (!o.cold)
        printf("read the index once to warm the page cache: %.1f s\n", preload(o.db));
    printf("%d random (camera, start) pairs per range, %s page cache; times in ms\n\n", o.iterations,
           o.cold ? "COLD (index evicted before each call)" : "warm");
    printf("%-6s %-24s %8s %8s %8s %8s\n", "range", "", "p50", "p90", "p99", "max");
    rng_state = o.seed ^ 0x5bd1e995ULL;
    int rc = 1;
    size_t scratch_len = 64u << 20; /* a 24-hour playlist is ~2.8 MB */
    char *scratch = malloc(scratch_len);
    if (!scratch)
        goto out;
    memset(scratch, 0, scratch_len);
    if (time_range(ix, &o, 3600 * S, "1 h", 10, scratch, scratch_len) == 0 &&
        time_range(ix, &o, 24 * 3600 * S, "24 h", 50, scratch, scratch_len) == 0)
        rc = 0;
out:
    free(scratch);
    index_close(&ix);
    return rc;
}
