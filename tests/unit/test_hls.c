/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_hls.c - HLS VOD playlists from index rows (nvr/playback/hls.c).
 *
 * No database: the segments are built in memory as index_segments_list would
 * return them, the playlist is written to an open_memstream buffer and its
 * lines are compared with exact text.  A model of the rules (fragments
 * overlapping the range, byte offsets from the fragment table, wall clock by
 * rule T1 of docs/design/time.md, discontinuities where hls_continues says
 * so) checks random ranges over a random timeline.
 */
#include "base/clock.h"
#include "base/err.h"
#include "playback/hls.h"

#include "check.h"

#include <math.h>
#include <stdlib.h>

#define S 1000000LL
#define T0 (1795320000LL * S) /* 2026-11-22T04:00:00Z */

#define HEADER(target)                                                                             \
    "#EXTM3U\n"                                                                                    \
    "#EXT-X-VERSION:7\n"                                                                           \
    "#EXT-X-TARGETDURATION:" target "\n"                                                           \
    "#EXT-X-MEDIA-SEQUENCE:0\n"                                                                    \
    "#EXT-X-PLAYLIST-TYPE:VOD\n"                                                                   \
    "#EXT-X-INDEPENDENT-SEGMENTS\n"

/* A complete segment of nfrag fragments of frag_us each (fragment k has
 * 1000 + k bytes), wall duration = media duration, init section 800 bytes. */
static struct index_segment make_seg(int64_t id, int64_t session, int64_t start, int64_t media_start, int nfrag,
                                     uint32_t frag_us)
{
    struct index_segment s;
    memset(&s, 0, sizeof s);
    s.id = id;
    snprintf(s.camera, sizeof s.camera, "lobby");
    s.session = session;
    s.start_us = start;
    s.media_start_us = media_start;
    snprintf(s.path, sizeof s.path, "recordings/lobby/%lld.mp4", (long long)id);
    snprintf(s.video_codec, sizeof s.video_codec, "h264");
    s.width = 1920;
    s.height = 1080;
    s.init_bytes = 800;
    s.bytes = 800;
    for (int k = 0; k < nfrag; k++) {
        fragments_append(&s.frags, 1000 + (uint32_t)k, frag_us);
        s.bytes += 1000 + (uint64_t)k;
        s.media_us += frag_us;
    }
    s.end_us = start + s.media_us;
    return s;
}

/* The segment that continues a in the same run. */
static struct index_segment next_in_run(const struct index_segment *a, int64_t id, int nfrag, uint32_t frag_us)
{
    return make_seg(id, a->session, a->end_us, a->media_start_us + a->media_us, nfrag, frag_us);
}

static void free_segs(struct index_segment *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fragments_free(&v[i].frags);
}

/* The playlist text (a new string, "" if nothing was written); *rc gets
 * hls_write_vod's result. */
static char *playlist(const struct index_segment *v, size_t n, int64_t from, int64_t to, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        abort();
    *rc = hls_write_vod(f, v, n, from, to);
    fclose(f);
    return buf;
}

static int count_lines(const char *text, const char *prefix)
{
    int c = 0;
    size_t np = strlen(prefix);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, prefix, np) == 0)
            c++;
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : NULL;
    }
    return c;
}

/* The line after the first line equal to `line`, copied into out ("" if none). */
static const char *line_after(const char *text, const char *line, char *out, size_t n)
{
    size_t nl = strlen(line);
    out[0] = '\0';
    for (const char *p = text; p && *p;) {
        const char *e = strchr(p, '\n');
        if (e && (size_t)(e - p) == nl && strncmp(p, line, nl) == 0) {
            const char *q = e + 1, *qe = strchr(q, '\n');
            size_t len = qe ? (size_t)(qe - q) : strlen(q);
            snprintf(out, n, "%.*s", (int)(len < n ? len : n - 1), q);
            return out;
        }
        p = e ? e + 1 : NULL;
    }
    return out;
}

/* The last line (without its newline). */
static const char *last_line(const char *text, char *out, size_t n)
{
    size_t len = strlen(text);
    if (len && text[len - 1] == '\n')
        len--;
    size_t b = len;
    while (b > 0 && text[b - 1] != '\n')
        b--;
    snprintf(out, n, "%.*s", (int)(len - b), text + b);
    return out;
}

static void test_single_segment(void)
{
    struct index_segment s = make_seg(7, T0, T0, 0, 0, 0);
    fragments_append(&s.frags, 1000, 2000000);
    fragments_append(&s.frags, 1100, 2500000);
    fragments_append(&s.frags, 1200, 1500000);
    s.media_us = 6 * S;
    s.end_us = T0 + 6 * S;
    s.bytes = 800 + 3300;
    int rc;
    char *p = playlist(&s, 1, T0 - 10 * S, T0 + 100 * S, &rc);
    CHECK_EQ_INT(rc, NVR_OK);
    CHECK_EQ_STR(p, HEADER("3") /* ceil(2.5) */
                 "#EXT-X-MAP:URI=\"segments/7.mp4\",BYTERANGE=\"800@0\"\n"
                 "#EXT-X-PROGRAM-DATE-TIME:2026-11-22T04:00:00.000000Z\n"
                 "#EXTINF:2.000000,\n"
                 "#EXT-X-BYTERANGE:1000@800\n"
                 "segments/7.mp4\n"
                 "#EXTINF:2.500000,\n"
                 "#EXT-X-BYTERANGE:1100\n"
                 "segments/7.mp4\n"
                 "#EXTINF:1.500000,\n"
                 "#EXT-X-BYTERANGE:1200\n"
                 "segments/7.mp4\n"
                 "#EXT-X-ENDLIST\n");
    free(p);
    /* the exact range of the segment gives the same playlist */
    p = playlist(&s, 1, T0, T0 + 6 * S, &rc);
    CHECK_EQ_INT(rc, NVR_OK);
    CHECK_EQ_INT(count_lines(p, "#EXTINF:"), 3);
    free(p);
    fragments_free(&s.frags);
}

static void test_target_duration(void)
{
    /* exactly 2 s -> 2; one microsecond more -> 3 */
    struct index_segment s = make_seg(1, T0, T0, 0, 4, 2000000);
    int rc;
    char *p = playlist(&s, 1, T0, T0 + 60 * S, &rc);
    CHECK_EQ_INT(rc, NVR_OK);
    CHECK_EQ_INT(count_lines(p, "#EXT-X-TARGETDURATION:2\n"), 1);
    free(p);
    s.frags.v[2].duration_us = 2000001;
    s.media_us += 1;
    s.end_us += 1;
    p = playlist(&s, 1, T0, T0 + 60 * S, &rc);
    CHECK_EQ_INT(count_lines(p, "#EXT-X-TARGETDURATION:3\n"), 1);
    CHECK_EQ_INT(count_lines(p, "#EXTINF:2.000001,"), 1);
    free(p);
    /* only the fragments listed count: the long one is outside [0 s, 4 s) */
    p = playlist(&s, 1, T0, T0 + 4 * S, &rc);
    CHECK_EQ_INT(count_lines(p, "#EXT-X-TARGETDURATION:2\n"), 1);
    CHECK_EQ_INT(count_lines(p, "#EXTINF:"), 2);
    free(p);
    fragments_free(&s.frags);
}

static void test_run_continues(void)
{
    struct index_segment v[2];
    v[0] = make_seg(1, T0, T0, 0, 3, 2000000);
    v[1] = next_in_run(&v[0], 2, 2, 2000000);
    CHECK_EQ_INT(hls_continues(&v[0], &v[1]), 1);
    CHECK_EQ_INT(hls_continues(&v[1], &v[0]), 0);
    int rc;
    char *p = playlist(v, 2, T0, T0 + 3600 * S, &rc);
    CHECK_EQ_INT(rc, NVR_OK);
    CHECK_EQ_STR(p, HEADER("2")
                 "#EXT-X-MAP:URI=\"segments/1.mp4\",BYTERANGE=\"800@0\"\n"
                 "#EXT-X-PROGRAM-DATE-TIME:2026-11-22T04:00:00.000000Z\n"
                 "#EXTINF:2.000000,\n"
                 "#EXT-X-BYTERANGE:1000@800\n"
                 "segments/1.mp4\n"
                 "#EXTINF:2.000000,\n"
                 "#EXT-X-BYTERANGE:1001\n"
                 "segments/1.mp4\n"
                 "#EXTINF:2.000000,\n"
                 "#EXT-X-BYTERANGE:1002\n"
                 "segments/1.mp4\n"
                 "#EXT-X-MAP:URI=\"segments/2.mp4\",BYTERANGE=\"800@0\"\n"
                 "#EXT-X-PROGRAM-DATE-TIME:2026-11-22T04:00:06.000000Z\n"
                 "#EXTINF:2.000000,\n"
                 "#EXT-X-BYTERANGE:1000@800\n"
                 "segments/2.mp4\n"
                 "#EXTINF:2.000000,\n"
                 "#EXT-X-BYTERANGE:1001\n"
                 "segments/2.mp4\n"
                 "#EXT-X-ENDLIST\n");
    free(p);
    free_segs(v, 2);
}

/* Each way of breaking the run gives exactly one discontinuity, right before
 * the second file's init section. */
static void test_discontinuities(void)
{
    enum { GAP, SESSION, CODEC, WIDTH, HEIGHT, AUDIO, MEDIA_START, NCASES };
    static const char *const names[] = {"gap", "session", "codec", "width", "height", "audio", "media_start"};
    for (int c = 0; c < NCASES; c++) {
        struct index_segment v[2];
        v[0] = make_seg(1, T0, T0, 0, 3, 2000000);
        v[1] = next_in_run(&v[0], 2, 3, 2000000);
        switch (c) {
        case GAP:
            v[1].start_us += 1;
            v[1].end_us += 1;
            break;
        case SESSION:
            v[1].session = v[0].end_us; /* a reconnection: new session, timestamps still continue */
            break;
        case CODEC:
            snprintf(v[1].video_codec, sizeof v[1].video_codec, "hevc");
            break;
        case WIDTH:
            v[1].width = 1280;
            break;
        case HEIGHT:
            v[1].height = 720;
            break;
        case AUDIO:
            snprintf(v[1].audio_codec, sizeof v[1].audio_codec, "aac");
            break;
        case MEDIA_START:
            v[1].media_start_us += 1;
            break;
        }
        int rc;
        char line[256];
        char *p = playlist(v, 2, T0, T0 + 3600 * S, &rc);
        CHECK_EQ_INT(rc, NVR_OK);
        if (hls_continues(&v[0], &v[1]) != 0 || count_lines(p, "#EXT-X-DISCONTINUITY") != 1)
            fprintf(stderr, "case %s:\n%s", names[c], p);
        CHECK_EQ_INT(hls_continues(&v[0], &v[1]), 0);
        CHECK_EQ_INT(count_lines(p, "#EXT-X-DISCONTINUITY"), 1);
        CHECK_EQ_STR(line_after(p, "#EXT-X-DISCONTINUITY", line, sizeof line),
                     "#EXT-X-MAP:URI=\"segments/2.mp4\",BYTERANGE=\"800@0\"");
        CHECK_EQ_INT(count_lines(p, "#EXT-X-MAP:"), 2);
        CHECK_EQ_INT(count_lines(p, "#EXT-X-PROGRAM-DATE-TIME:"), 2);
        free(p);
        free_segs(v, 2);
    }

    /* a gap gives the second file its own wall-clock time */
    struct index_segment v[3];
    v[0] = make_seg(1, T0, T0, 0, 3, 2000000);
    v[1] = make_seg(2, T0, T0 + 10 * S, 6 * S, 3, 2000000);
    v[2] = next_in_run(&v[1], 3, 3, 2000000);
    int rc;
    char line[256];
    char *p = playlist(v, 3, T0, T0 + 3600 * S, &rc);
    CHECK_EQ_INT(count_lines(p, "#EXT-X-DISCONTINUITY"), 1); /* only 1 -> 2 */
    CHECK_EQ_STR(line_after(p, "#EXT-X-MAP:URI=\"segments/2.mp4\",BYTERANGE=\"800@0\"", line, sizeof line),
                 "#EXT-X-PROGRAM-DATE-TIME:2026-11-22T04:00:10.000000Z");
    CHECK_EQ_STR(line_after(p, "#EXT-X-MAP:URI=\"segments/3.mp4\",BYTERANGE=\"800@0\"", line, sizeof line),
                 "#EXT-X-PROGRAM-DATE-TIME:2026-11-22T04:00:16.000000Z");
    CHECK_EQ_STR(last_line(p, line, sizeof line), "#EXT-X-ENDLIST");
    free(p);
    /* the playlist starts with the second file: no discontinuity at the start */
    p = playlist(v, 3, T0 + 8 * S, T0 + 3600 * S, &rc);
    CHECK_EQ_INT(rc, NVR_OK);
    CHECK_EQ_INT(count_lines(p, "#EXT-X-DISCONTINUITY"), 0);
    CHECK_EQ_INT(count_lines(p, "#EXT-X-MAP:"), 2);
    free(p);
    free_segs(v, 3);
}

/* A WRITING segment with no durable fragment yet lists nothing, not even
 * its init section. */
static void test_empty_segment(void)
{
    struct index_segment v[2];
    v[0] = make_seg(1, T0, T0, 0, 3, 2000000);
    v[1] = next_in_run(&v[0], 2, 0, 2000000);
    v[1].state = INDEX_SEG_WRITING;
    int rc;
    char *p = playlist(v, 2, T0, T0 + 3600 * S, &rc);
    CHECK_EQ_INT(rc, NVR_OK);
    CHECK_EQ_INT(count_lines(p, "#EXT-X-MAP:"), 1);
    CHECK_EQ_INT(count_lines(p, "segments/2.mp4"), 0);
    free(p);
    p = playlist(&v[1], 1, T0, T0 + 3600 * S, &rc);
    CHECK_EQ_INT(rc, NVR_ENOTFOUND);
    CHECK_EQ_STR(p, "");
    free(p);
    free_segs(v, 2);
}

static void test_range_clipping(void)
{
    /* 60 s in 2 s fragments: fragment k is [2k s, 2k+2 s), 1000 + k bytes */
    struct index_segment v[2];
    v[0] = make_seg(3, T0, T0, 0, 30, 2000000);
    v[1] = next_in_run(&v[0], 4, 30, 2000000);
    int rc;

    /* [4 s, 10 s): fragment 1 ends at 4 s and fragment 5 starts at 10 s, so
     * 2, 3, 4; the first at offset 800 + 1000 + 1001 */
    char *p = playlist(v, 2, T0 + 4 * S, T0 + 10 * S, &rc);
    CHECK_EQ_INT(rc, NVR_OK);
    CHECK_EQ_STR(p, HEADER("2")
                 "#EXT-X-MAP:URI=\"segments/3.mp4\",BYTERANGE=\"800@0\"\n"
                 "#EXT-X-PROGRAM-DATE-TIME:2026-11-22T04:00:04.000000Z\n"
                 "#EXTINF:2.000000,\n"
                 "#EXT-X-BYTERANGE:1002@2801\n"
                 "segments/3.mp4\n"
                 "#EXTINF:2.000000,\n"
                 "#EXT-X-BYTERANGE:1003\n"
                 "segments/3.mp4\n"
                 "#EXTINF:2.000000,\n"
                 "#EXT-X-BYTERANGE:1004\n"
                 "segments/3.mp4\n"
                 "#EXT-X-ENDLIST\n");
    free(p);

    /* inside one fragment: that fragment, dated at its own start */
    p = playlist(v, 2, T0 + 5 * S, T0 + 5 * S + 500000, &rc);
    CHECK_EQ_INT(rc, NVR_OK);
    CHECK_EQ_INT(count_lines(p, "#EXTINF:"), 1);
    CHECK_EQ_INT(count_lines(p, "#EXT-X-PROGRAM-DATE-TIME:2026-11-22T04:00:04.000000Z"), 1);
    CHECK_EQ_INT(count_lines(p, "#EXT-X-BYTERANGE:1002@2801"), 1);
    free(p);

    /* one microsecond either side of a boundary */
    p = playlist(v, 2, T0 + 4 * S - 1, T0 + 4 * S, &rc);
    CHECK_EQ_INT(count_lines(p, "#EXT-X-BYTERANGE:1001@1800"), 1);
    CHECK_EQ_INT(count_lines(p, "#EXTINF:"), 1);
    free(p);
    p = playlist(v, 2, T0 + 4 * S, T0 + 4 * S + 1, &rc);
    CHECK_EQ_INT(count_lines(p, "#EXT-X-BYTERANGE:1002@2801"), 1);
    CHECK_EQ_INT(count_lines(p, "#EXTINF:"), 1);
    free(p);

    /* across the files of the run: [56 s, 64 s) = fragments 28, 29 of the
     * first file, 0, 1 of the second; no discontinuity */
    p = playlist(v, 2, T0 + 56 * S, T0 + 64 * S, &rc);
    CHECK_EQ_INT(rc, NVR_OK);
    CHECK_EQ_STR(p, HEADER("2")
                 "#EXT-X-MAP:URI=\"segments/3.mp4\",BYTERANGE=\"800@0\"\n"
                 "#EXT-X-PROGRAM-DATE-TIME:2026-11-22T04:00:56.000000Z\n"
                 "#EXTINF:2.000000,\n"
                 "#EXT-X-BYTERANGE:1028@29178\n" /* 800 + 28 * 1000 + (0 + ... + 27) */
                 "segments/3.mp4\n"
                 "#EXTINF:2.000000,\n"
                 "#EXT-X-BYTERANGE:1029\n"
                 "segments/3.mp4\n"
                 "#EXT-X-MAP:URI=\"segments/4.mp4\",BYTERANGE=\"800@0\"\n"
                 "#EXT-X-PROGRAM-DATE-TIME:2026-11-22T04:01:00.000000Z\n"
                 "#EXTINF:2.000000,\n"
                 "#EXT-X-BYTERANGE:1000@800\n"
                 "segments/4.mp4\n"
                 "#EXTINF:2.000000,\n"
                 "#EXT-X-BYTERANGE:1001\n"
                 "segments/4.mp4\n"
                 "#EXT-X-ENDLIST\n");
    free(p);

    /* the range starts exactly where the second file starts: only it */
    p = playlist(v, 2, T0 + 60 * S, T0 + 62 * S, &rc);
    CHECK_EQ_INT(count_lines(p, "segments/3.mp4"), 0);
    CHECK_EQ_INT(count_lines(p, "#EXT-X-BYTERANGE:1000@800"), 1);
    free(p);

    /* no fragment in range: NVR_ENOTFOUND and nothing written */
    p = playlist(v, 2, T0 + 120 * S, T0 + 130 * S, &rc);
    CHECK_EQ_INT(rc, NVR_ENOTFOUND);
    CHECK_EQ_STR(p, "");
    free(p);
    p = playlist(v, 2, T0 - 10 * S, T0, &rc);
    CHECK_EQ_INT(rc, NVR_ENOTFOUND);
    CHECK_EQ_STR(p, "");
    free(p);
    p = playlist(v, 2, T0 + 10 * S, T0 + 10 * S, &rc); /* empty range */
    CHECK_EQ_INT(rc, NVR_ENOTFOUND);
    CHECK_EQ_STR(p, "");
    free(p);
    p = playlist(v, 0, T0, T0 + 10 * S, &rc);
    CHECK_EQ_INT(rc, NVR_ENOTFOUND);
    CHECK_EQ_STR(p, "");
    free(p);
    free_segs(v, 2);

    /* a range that falls in a gap between two files */
    struct index_segment g[2];
    g[0] = make_seg(1, T0, T0, 0, 3, 2000000);
    g[1] = make_seg(2, T0 + 100 * S, T0 + 100 * S, 0, 3, 2000000);
    p = playlist(g, 2, T0 + 6 * S, T0 + 100 * S, &rc);
    CHECK_EQ_INT(rc, NVR_ENOTFOUND);
    CHECK_EQ_STR(p, "");
    free(p);
    free_segs(g, 2);
}

/* Rule T1: wall clock inside a segment scales the media offset by the
 * segment's wall/media ratio. */
static void test_wall_media_ratio(void)
{
    struct index_segment s = make_seg(5, T0, T0, 0, 30, 2000000);
    s.end_us = T0 + 60030000; /* 60.03 s of wall clock for 60 s of media */
    int rc;
    /* the fragment at media 30 s starts at 30 * 60.03 / 60 = 30.015 s; the
     * one before ends there, so it is not listed */
    char *p = playlist(&s, 1, T0 + 30015000, T0 + 32 * S, &rc);
    CHECK_EQ_INT(rc, NVR_OK);
    CHECK_EQ_STR(p, HEADER("2")
                 "#EXT-X-MAP:URI=\"segments/5.mp4\",BYTERANGE=\"800@0\"\n"
                 "#EXT-X-PROGRAM-DATE-TIME:2026-11-22T04:00:30.015000Z\n"
                 "#EXTINF:2.000000,\n" /* media duration, not wall */
                 "#EXT-X-BYTERANGE:1015@15905\n" /* 800 + 15 * 1000 + (0 + ... + 14) */
                 "segments/5.mp4\n"
                 "#EXT-X-ENDLIST\n");
    free(p);
    /* one microsecond earlier takes fragment 14 (wall [28.014 s, 30.015 s)) too */
    p = playlist(&s, 1, T0 + 30015000 - 1, T0 + 32 * S, &rc);
    CHECK_EQ_INT(count_lines(p, "#EXT-X-PROGRAM-DATE-TIME:2026-11-22T04:00:28.014000Z"), 1);
    CHECK_EQ_INT(count_lines(p, "#EXTINF:"), 2);
    free(p);
    /* the last fragment is wall [58.029 s, 60.03 s): in range up to end_us */
    p = playlist(&s, 1, T0 + 60030000 - 1, T0 + 70 * S, &rc);
    CHECK_EQ_INT(rc, NVR_OK);
    CHECK_EQ_INT(count_lines(p, "#EXT-X-PROGRAM-DATE-TIME:2026-11-22T04:00:58.029000Z"), 1);
    free(p);
    p = playlist(&s, 1, T0 + 60030000, T0 + 70 * S, &rc);
    CHECK_EQ_INT(rc, NVR_ENOTFOUND);
    free(p);
    /* a slow camera clock: 59.97 s of wall for 60 s of media */
    s.end_us = T0 + 59970000;
    p = playlist(&s, 1, T0 + 29985000, T0 + 32 * S, &rc);
    CHECK_EQ_INT(count_lines(p, "#EXT-X-PROGRAM-DATE-TIME:2026-11-22T04:00:29.985000Z"), 1);
    CHECK_EQ_INT(count_lines(p, "#EXTINF:"), 2); /* fragments 15 and 16 (starts 29.985, 31.984) */
    free(p);
    fragments_free(&s.frags);
}

/*
 * Regression: wall_at() used to compute start + (double)m * wall / media and
 * truncate.  For long segments (segment_seconds goes up to 3600) m * wall
 * exceeds 2^53, and at m = media_us the result could be end_us - 1: the last
 * fragment ended 1 us early, and a range [end_us - 1, end_us) that
 * index_segments_list answers with this segment gave NVR_ENOTFOUND.
 */
static void test_wall_precision_long_segment(void)
{
    /* 3599 s of media in 1799 fragments of 2 s and one of 1 s, wall 1.798503 s
     * shorter (-500 ppm, within the slew of rule T1) */
    struct index_segment s = make_seg(9, T0, T0, 0, 1799, 2000000);
    fragments_append(&s.frags, 1000, 1000000);
    s.media_us = 3599000000LL;
    s.end_us = T0 + 3597201497LL;
    int rc;
    char *p = playlist(&s, 1, s.end_us - 1, s.end_us, &rc);
    CHECK_EQ_INT(rc, NVR_OK); /* was NVR_ENOTFOUND: the last fragment ended 1 us early */
    CHECK_EQ_INT(count_lines(p, "#EXTINF:1.000000,"), 1);
    free(p);
    /* every wall duration within the slew: the last fragment ends at end_us */
    int misses = 0;
    for (int64_t wall = s.media_us - s.media_us / 2000; wall <= s.media_us + s.media_us / 2000; wall += 997) {
        s.end_us = T0 + wall;
        p = playlist(&s, 1, s.end_us - 1, s.end_us, &rc);
        if (rc != NVR_OK || count_lines(p, "#EXTINF:1.000000,") != 1) {
            if (misses++ < 3)
                fprintf(stderr, "media_us=%lld wall=%lld: last fragment not listed\n", (long long)s.media_us,
                        (long long)wall);
        }
        free(p);
    }
    CHECK_EQ_INT(misses, 0);
    fragments_free(&s.frags);
}

/* ---- a model of the playlist, checked over random ranges ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33) % n;
}

/* floor(a / b) for b > 0 */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* Rule T1 in exact integers. */
static int64_t model_wall(const struct index_segment *s, int64_t m)
{
    int64_t wall = s->end_us - s->start_us;
    if (s->media_us <= 0)
        return s->start_us;
    return s->start_us + m + floor_div(m * (wall - s->media_us), s->media_us);
}

struct listed {
    int64_t id;
    uint64_t off, len;
    int64_t dur_us;
    int64_t w0;
};

/* The fragments the model says are listed, in order. */
static size_t model_list(const struct index_segment *v, size_t n, int64_t from, int64_t to, struct listed *out,
                         int *discont, int64_t *sum_us)
{
    size_t c = 0;
    const struct index_segment *prev = NULL;
    *discont = 0;
    *sum_us = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t off = v[i].init_bytes;
        int64_t m = 0;
        int any = 0;
        for (size_t k = 0; k < v[i].frags.n; k++) {
            const struct nvr_fragment *fr = &v[i].frags.v[k];
            int64_t w0 = model_wall(&v[i], m), w1 = model_wall(&v[i], m + fr->duration_us);
            if (w1 > from && w0 < to) {
                if (!any && prev && !hls_continues(prev, &v[i]))
                    (*discont)++;
                any = 1;
                out[c++] = (struct listed){v[i].id, off, fr->bytes, fr->duration_us, w0};
                *sum_us += fr->duration_us;
            }
            off += fr->bytes;
            m += fr->duration_us;
        }
        if (any)
            prev = &v[i];
    }
    return c;
}

/* Parses the playlist into the fragments it lists.  Returns the count, or
 * (size_t)-1 if a line is not what it should be. */
static size_t parse_list(const char *text, struct listed *out, size_t max, int64_t *sum_us)
{
    size_t c = 0;
    int64_t dur = -1, map_id = -1;
    uint64_t len = 0, off = 0, next_off = 0;
    int have_range = 0, have_pdt = 0;
    int64_t prev_id = -1;
    *sum_us = 0;
    char line[256];
    for (const char *p = text; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), p);
        p = e ? e + 1 : NULL;
        long long id;
        unsigned long long a, b;
        double d;
        if (sscanf(line, "#EXT-X-MAP:URI=\"segments/%lld.mp4\"", &id) == 1) {
            map_id = id;
            have_pdt = 0;
        } else if (strncmp(line, "#EXT-X-PROGRAM-DATE-TIME:", 25) == 0) {
            have_pdt = 1;
        } else if (sscanf(line, "#EXTINF:%lf,", &d) == 1) {
            dur = llround(d * 1e6);
        } else if (sscanf(line, "#EXT-X-BYTERANGE:%llu@%llu", &a, &b) == 2) {
            len = a;
            off = b;
            have_range = 1;
        } else if (sscanf(line, "#EXT-X-BYTERANGE:%llu", &a) == 1) {
            len = a;
            off = next_off;
            have_range = 2;
        } else if (sscanf(line, "segments/%lld.mp4", &id) == 1) {
            /* a byte range without offset continues the previous one of the
             * same file; each file is announced by its MAP and dated */
            if (dur < 0 || !have_range || id != map_id || !have_pdt || (have_range == 2 && id != prev_id) ||
                c == max)
                return (size_t)-1;
            out[c++] = (struct listed){id, off, len, dur, 0};
            *sum_us += dur;
            next_off = off + len;
            prev_id = id;
            dur = -1;
            have_range = 0;
        }
    }
    return c;
}

static void test_model_random_ranges(void)
{
    enum { NSEG = 60, MAXF = NSEG * 40 };
    struct index_segment v[NSEG];
    int64_t t = T0, session = T0, media = 0;
    int64_t id = 100;
    for (int i = 0; i < NSEG; i++) {
        int r = (int)rnd(10);
        if (i > 0 && r == 0) { /* a gap and a new session: media time continues by the gap */
            int64_t gap = 1 + (int64_t)rnd(30 * S);
            t += gap;
            media += gap;
            session = t;
        } else if (i > 0 && r == 1) { /* a clock re-anchor inside the session */
            t += 1 + (int64_t)rnd(10 * S);
        } else if (i > 0 && r == 2) { /* an older index: every run's media time from 0 */
            media = 0;
        }
        struct index_segment s = make_seg(id++, session, t, media, 0, 0);
        int nf = 1 + (int)rnd(35);
        for (int k = 0; k < nf; k++) {
            uint32_t d = 1500000 + rnd(1000001), b = 200000 + rnd(800000);
            fragments_append(&s.frags, b, d);
            s.media_us += d;
            s.bytes += b;
        }
        /* a slew of up to 500 ppm either way */
        int64_t slew = s.media_us / 2000;
        s.end_us = s.start_us + s.media_us - slew + (int64_t)rnd((uint32_t)(2 * slew + 1));
        if (rnd(15) == 0)
            snprintf(s.video_codec, sizeof s.video_codec, "hevc");
        v[i] = s;
        t = s.end_us;
        media = s.media_start_us + s.media_us;
    }
    static struct listed want[MAXF], got[MAXF];
    int bad = 0;
    for (int iter = 0; iter < 2000 && bad < 5; iter++) {
        int64_t span = v[NSEG - 1].end_us - T0;
        int64_t from = T0 - 10 * S + (int64_t)(((uint64_t)rnd(1u << 30) << 12 | rnd(4096)) % (uint64_t)(span + 20 * S));
        if (iter % 4 == 1) { /* exactly on a fragment boundary */
            const struct index_segment *s = &v[rnd(NSEG)];
            size_t k = rnd((uint32_t)s->frags.n);
            from = model_wall(s, (int64_t)fragments_duration_us(&s->frags, k));
        }
        int64_t to = from + (iter % 3 == 0 ? (int64_t)rnd(5 * S) : (int64_t)rnd(600u * 1000000u));
        int disc, rc;
        int64_t want_sum, got_sum;
        size_t nw = model_list(v, NSEG, from, to, want, &disc, &want_sum);
        char *p = playlist(v, NSEG, from, to, &rc);
        if (nw == 0) {
            if (rc != NVR_ENOTFOUND || *p)
                bad++;
            CHECK_EQ_INT(rc, NVR_ENOTFOUND);
            CHECK_EQ_STR(p, "");
            free(p);
            continue;
        }
        size_t ng = parse_list(p, got, MAXF, &got_sum);
        int ok = rc == NVR_OK && ng == nw && got_sum == want_sum && count_lines(p, "#EXT-X-DISCONTINUITY") == disc;
        for (size_t i = 0; ok && i < nw; i++)
            ok = got[i].id == want[i].id && got[i].off == want[i].off && got[i].len == want[i].len &&
                 got[i].dur_us == want[i].dur_us;
        /* the first fragment is dated at its wall-clock start */
        char ts[NVR_TIME_BUFSZ + 32], date[NVR_TIME_BUFSZ];
        nvr_clock_format_rfc3339(want[0].w0, date);
        snprintf(ts, sizeof ts, "#EXT-X-PROGRAM-DATE-TIME:%s", date);
        ok = ok && count_lines(p, ts) == 1;
        if (!ok) {
            bad++;
            fprintf(stderr, "model mismatch from=%lld to=%lld: %zu listed, want %zu; sum %lld want %lld\n",
                    (long long)(from - T0), (long long)(to - T0), ng, nw, (long long)got_sum,
                    (long long)want_sum);
        }
        CHECK(ok);
        free(p);
    }
    free_segs(v, NSEG);
}

/* The EXTINF values add up to the media time of the fragments listed. */
static void test_extinf_sum(void)
{
    struct index_segment v[3];
    v[0] = make_seg(1, T0, T0, 0, 0, 0);
    static const uint32_t d[] = {1999989, 2000011, 33367, 2002002, 1001001};
    for (int k = 0; k < 5; k++) {
        fragments_append(&v[0].frags, 5000, d[k]);
        v[0].media_us += d[k];
        v[0].bytes += 5000;
    }
    v[0].end_us = T0 + v[0].media_us;
    v[1] = next_in_run(&v[0], 2, 7, 1966667);
    v[2] = make_seg(3, T0 + 40 * S, T0 + 40 * S, 0, 4, 2033333);
    int rc;
    int64_t sum;
    struct listed got[32];
    char *p = playlist(v, 3, T0, T0 + 3600 * S, &rc);
    CHECK_EQ_INT(rc, NVR_OK);
    CHECK_EQ_INT(parse_list(p, got, 32, &sum), 16);
    CHECK_EQ_INT(sum, v[0].media_us + v[1].media_us + v[2].media_us);
    free(p);
    /* clipped to the last two fragments of the first file and the first of the second */
    p = playlist(v, 3, T0 + 4033367, T0 + v[0].media_us + 1, &rc);
    CHECK_EQ_INT(parse_list(p, got, 32, &sum), 3);
    CHECK_EQ_INT(sum, 2002002 + 1001001 + 1966667);
    free(p);
    free_segs(v, 3);
}

int main(void)
{
    RUN(test_single_segment);
    RUN(test_target_duration);
    RUN(test_run_continues);
    RUN(test_discontinuities);
    RUN(test_empty_segment);
    RUN(test_range_clipping);
    RUN(test_wall_media_ratio);
    RUN(test_wall_precision_long_segment);
    RUN(test_model_random_ranges);
    RUN(test_extinf_sum);
    return check_summary();
}
