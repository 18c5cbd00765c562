/* SPDX-License-Identifier: Apache-2.0 */
/* test_fmp4_scan.c - a segment file read back into its index row
 * (storage/fmp4_scan.c), on fMP4 files built box by box here, and the
 * segment path parser and the damaged-index start-up of storage/. */
#include "base/err.h"
#include "storage/fmp4_scan.h"
#include "storage/storage.h"

#include "check.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static uint8_t buf[1 << 16];
static size_t len;
static size_t stack[16];
static int depth;

static void u8(uint8_t v) { buf[len++] = v; }
static void u16(uint16_t v) { u8((uint8_t)(v >> 8)); u8((uint8_t)v); }
static void u32(uint32_t v) { u16((uint16_t)(v >> 16)); u16((uint16_t)v); }
static void u64(uint64_t v) { u32((uint32_t)(v >> 32)); u32((uint32_t)v); }
static void zeros(size_t n) { while (n--) u8(0); }
static void open_box(const char *type)
{
    stack[depth++] = len;
    u32(0);
    for (int i = 0; i < 4; i++)
        u8((uint8_t)type[i]);
}
static void close_box(void)
{
    size_t at = stack[--depth], end = len, size = end - at;
    len = at;
    u32((uint32_t)size);
    len = end;
}

/* moov with a 90 kHz video track (id 1, avc1 640x360, trex default 3600)
 * and a 48 kHz audio track (id 2, sample entry `audio`: "mp4a", "fLaC"). */
static void moov(const char *audio)
{
    open_box("ftyp"); u32(0x69736f6d); u32(512); close_box();
    open_box("moov");
    for (int t = 1; t <= 2; t++) {
        open_box("trak");
        open_box("tkhd"); u32(3); u32(0); u32(0); u32((uint32_t)t); zeros(64); close_box();
        open_box("mdia");
        open_box("mdhd"); u32(0); u32(0); u32(0); u32(t == 1 ? 90000 : 48000); u32(0); u32(0); close_box();
        open_box("hdlr"); u32(0); u32(0); u32(t == 1 ? 0x76696465 : 0x736f756e); zeros(12); u8(0); close_box();
        open_box("minf");
        open_box("stbl");
        open_box("stsd"); u32(0); u32(1);
        if (t == 1) {
            open_box("avc1"); zeros(6); u16(1); zeros(16); u16(640); u16(360); zeros(50); close_box();
        } else {
            open_box(audio); zeros(6); u16(1); zeros(20); close_box();
        }
        close_box(); /* stsd */
        close_box(); /* stbl */
        close_box(); /* minf */
        close_box(); /* mdia */
        close_box(); /* trak */
    }
    open_box("mvex");
    open_box("trex"); u32(0); u32(1); u32(1); u32(3600); u32(0); u32(0); close_box();
    open_box("trex"); u32(0); u32(2); u32(1); u32(1024); u32(0); u32(0); close_box();
    close_box();
    close_box();
}

/* One fragment: video samples from tfdt (per-sample durations if dur,
 * else trex's default), an audio traf, an mdat of 1000 bytes. */
static void fragment(uint64_t tfdt, uint32_t samples, uint32_t dur)
{
    open_box("moof");
    open_box("mfhd"); u32(0); u32(1); close_box();
    open_box("traf");
    open_box("tfhd"); u32(0x020000); u32(1); close_box();
    open_box("tfdt"); u32(0x01000000); u64(tfdt); close_box();
    open_box("trun"); u32(dur ? 0x000301 : 0x000201); u32(samples); u32(0);
    for (uint32_t i = 0; i < samples; i++) {
        if (dur)
            u32(dur);
        u32(10);
    }
    close_box();
    close_box();
    open_box("traf");
    open_box("tfhd"); u32(0x020000); u32(2); close_box();
    open_box("tfdt"); u32(0); u32((uint32_t)(tfdt / 90000 * 48000)); close_box();
    open_box("trun"); u32(0x000200); u32(3); u32(10); u32(10); u32(10); close_box();
    close_box();
    close_box();
    open_box("mdat"); zeros(1000); close_box();
}

static long mem_read(void *arg, uint64_t off, void *out, size_t n)
{
    (void)arg;
    if (off >= len)
        return 0;
    if (off + n > len)
        n = len - off;
    memcpy(out, buf + off, n);
    return (long)n;
}

static void test_scan(void)
{
    struct fmp4_scan sc;
    len = 0;
    moov("mp4a");
    size_t init = len;
    uint64_t base = 900000; /* 10 s into the run */
    fragment(base, 50, 3600);              /* 2 s at 25 fps */
    size_t frag0 = len - init;
    fragment(base + 180000, 50, 0);        /* trex default */
    fragment(base + 360000, 25, 3600);     /* 1 s, the last */
    size_t whole = len;
    open_box("moof"); zeros(100); /* torn: its size says more than the file holds */
    buf[whole] = 0x7f;
    len = whole + 50;
    CHECK_EQ_INT(fmp4_scan(mem_read, NULL, len, &sc), NVR_OK);
    CHECK_EQ_INT(sc.init_bytes, init);
    CHECK_EQ_INT(sc.frags.n, 3);
    CHECK_EQ_INT(sc.frags.v[0].bytes, frag0);
    CHECK_EQ_INT(sc.frags.v[0].duration_us, 2000000);
    CHECK_EQ_INT(sc.frags.v[1].duration_us, 2000000);
    CHECK_EQ_INT(sc.frags.v[2].duration_us, 1000000);
    CHECK_EQ_INT(sc.media_us, 5000000);
    CHECK_EQ_INT(sc.media_start_us, 10000000);
    CHECK_EQ_INT(sc.frames, 125);
    CHECK_EQ_INT(sc.bytes, whole);
    CHECK_EQ_INT(sc.file_bytes, whole + 50);
    CHECK_EQ_STR(sc.video_codec, "h264");
    CHECK_EQ_STR(sc.audio_codec, "aac");
    CHECK_EQ_INT(sc.width, 640);
    CHECK_EQ_INT(sc.height, 360);
    fragments_free(&sc.frags);

    /* an init section alone: a segment with no whole fragment */
    len = init;
    CHECK_EQ_INT(fmp4_scan(mem_read, NULL, len, &sc), NVR_OK);
    CHECK_EQ_INT(sc.frags.n, 0);
    fragments_free(&sc.frags);
    /* not an fMP4 */
    memcpy(buf, "junkjunkjunkjunk", 16);
    CHECK_EQ_INT(fmp4_scan(mem_read, NULL, len, &sc), NVR_ECODEC);
}

/* A G.711 camera's track (FLAC since 2026-12-04) is named "flac", as the
 * writer names it in the index, so a rebuilt row matches. */
static void test_flac_track(void)
{
    struct fmp4_scan sc;
    len = 0;
    moov("fLaC");
    fragment(0, 25, 3600);
    CHECK_EQ_INT(fmp4_scan(mem_read, NULL, len, &sc), NVR_OK);
    CHECK_EQ_STR(sc.audio_codec, "flac");
    CHECK_EQ_STR(sc.video_codec, "h264");
    fragments_free(&sc.frags);
}

static void test_segment_path(void)
{
    char cam[INDEX_ID_MAX];
    int64_t t = 0;
    CHECK_EQ_INT(storage_parse_segment_path("recordings/lobby/2026-11-22/lobby-20261122T040000.123456Z.mp4", cam, &t),
                 NVR_OK);
    CHECK_EQ_STR(cam, "lobby");
    CHECK_EQ_INT(t, 1795320000123456LL);
    CHECK_EQ_INT(storage_parse_segment_path("recordings/lobby/2026-11-22/stray.mp4", cam, &t), NVR_EINVAL);
    CHECK_EQ_INT(storage_parse_segment_path("recordings/lobby/2026-11-23/lobby-20261122T040000.123456Z.mp4", cam, &t),
                 NVR_EINVAL); /* day directory and name disagree */
    CHECK_EQ_INT(storage_parse_segment_path("recordings/gym/2026-11-22/lobby-20261122T040000.123456Z.mp4", cam, &t),
                 NVR_EINVAL);
    CHECK_EQ_INT(storage_parse_segment_path("quarantine/x", cam, &t), NVR_EINVAL);
}

/* storage_open on a damaged index: set aside (kept byte for byte), a new
 * index, the damage said until a rebuild. */
static void test_damaged_index_set_aside(void)
{
    char dir[64] = "/tmp/nvr-test-fmp4-XXXXXX", path[256], cmd[128];
    struct storage *st = NULL;
    int problems = 0, unresolved = 0;
    if (!mkdtemp(dir))
        return;
    CHECK_EQ_INT(storage_open(&st, dir, STORAGE_WRITER), NVR_OK);
    CHECK(storage_damage(st) == NULL);
    storage_close(&st);
    snprintf(path, sizeof path, "%s/index.db", dir);
    int fd = open(path, O_WRONLY);
    CHECK(fd >= 0 && pwrite(fd, "this is not an SQLite header at all", 35, 0) == 35);
    close(fd);
    CHECK_EQ_INT(storage_open(&st, dir, STORAGE_WRITER), NVR_OK);
    CHECK(st && storage_damage(st) != NULL && strstr(storage_damage(st), "set aside as index.db.damaged-"));
    storage_close(&st);
    snprintf(cmd, sizeof cmd, "ls %s/index.db.damaged-*Z >/dev/null 2>&1", dir);
    CHECK(system(cmd) == 0);
    snprintf(path, sizeof path, "%s/" STORAGE_DAMAGE_MARKER, dir);
    CHECK(access(path, F_OK) == 0);
    /* a later start still says so; check reports it */
    CHECK_EQ_INT(storage_open(&st, dir, 0), NVR_OK);
    CHECK(st && storage_damage(st) != NULL);
    CHECK_EQ_INT(storage_check(st, STORAGE_CHECK_REPORT, stderr, &problems, &unresolved), NVR_OK);
    CHECK_EQ_INT(unresolved, 1);
    storage_close(&st);
    /* a rebuild (no files here) clears it */
    struct storage_rebuild_stats rs;
    CHECK_EQ_INT(storage_open(&st, dir, STORAGE_WRITER | STORAGE_REBUILD), NVR_OK);
    CHECK_EQ_INT(storage_rebuild_index(st, stderr, &rs), NVR_OK);
    CHECK(storage_damage(st) == NULL);
    storage_close(&st);
    CHECK(access(path, F_OK) != 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

int main(void)
{
    RUN(test_scan);
    RUN(test_flac_track);
    RUN(test_segment_path);
    RUN(test_damaged_index_set_aside);
    return check_summary();
}
