/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_export_videos.c - the videos of an export zip (export_videos.h), on
 * zips written by libzip as exports are: a stored MP4's span holds exactly
 * its bytes (also with a zip comment and extra fields of different lengths
 * in the local header and the central directory); a deflated entry is
 * refused (NVR_ECODEC), a missing one is NVR_ENOTFOUND, a file that is not
 * a zip or a zip cut short is NVR_EINVAL; the manifest's MP4s are listed
 * with camera, part, first frame and the burn-time copy marked derivative.
 */
#include "check.h"

#include "base/clock.h"
#include "export/export_videos.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

static char dir[64];

static const char manifest[] =
    "{\"format\":\"nvr-export/1\",\"cameras\":["
    "{\"id\":\"lobby\",\"name\":\"Main lobby\",\"files\":["
    "{\"name\":\"a.mp4\",\"first_frame\":\"2026-11-22T04:00:00.250000Z\",\"end\":\"2026-11-22T04:00:20Z\","
    "\"duration\":19.75},"
    "{\"name\":\"a-with-time.mp4\",\"first_frame\":\"2026-11-22T04:00:00.250000Z\",\"end\":\"2026-11-22T04:00:20Z\","
    "\"duration\":19.75,\"derivative\":{\"of\":\"a.mp4\"}},"
    "{\"name\":\"a-part2.mp4\",\"first_frame\":\"2026-11-22T04:00:30Z\",\"end\":\"2026-11-22T04:00:40Z\","
    "\"duration\":10}]},"
    "{\"id\":\"gym\",\"name\":\"\",\"files\":["
    "{\"name\":\"native/x.mp4.txt\",\"first_frame\":\"2026-11-22T04:00:00Z\",\"end\":\"2026-11-22T04:00:01Z\"},"
    "{\"name\":\"g.mp4\",\"first_frame\":\"2026-11-22T04:00:01Z\",\"end\":\"2026-11-22T04:00:21Z\",\"duration\":20}]}]"
    "}";

static void add(zip_t *z, const char *name, const void *data, size_t n, int store)
{
    zip_source_t *s = zip_source_buffer(z, data, n, 0);
    zip_int64_t i = zip_file_add(z, name, s, ZIP_FL_ENC_UTF_8);
    CHECK(i >= 0);
    if (store)
        CHECK(zip_set_file_compression(z, (zip_uint64_t)i, ZIP_CM_STORE, 0) == 0);
    if (strcmp(name, "a.mp4") == 0) { /* extra fields of different lengths in the two headers */
        static const uint8_t local[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
        static const uint8_t central[] = {9, 9};
        CHECK(zip_file_extra_field_set(z, (zip_uint64_t)i, 0x7a7a, ZIP_EXTRA_FIELD_NEW, local, sizeof local,
                                       ZIP_FL_LOCAL) == 0);
        CHECK(zip_file_extra_field_set(z, (zip_uint64_t)i, 0x7a7b, ZIP_EXTRA_FIELD_NEW, central, sizeof central,
                                       ZIP_FL_CENTRAL) == 0);
    }
}

static uint8_t *video, *text;
#define VIDEO_BYTES 300000
#define TEXT_BYTES 50000

static void make_zip(const char *path)
{
    int err;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
    CHECK(z != NULL);
    if (!z)
        return;
    add(z, "README.txt", text, TEXT_BYTES, 0);
    add(z, "a.mp4", video, VIDEO_BYTES, 1);
    add(z, "g.mp4", video + 1000, 5000, 1);
    add(z, "manifest.json", manifest, strlen(manifest), 0);
    CHECK(zip_set_archive_comment(z, "an export", 9) == 0);
    CHECK(zip_close(z) == 0);
}

static uint8_t *read_span(const char *path, uint64_t off, uint64_t n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b = malloc(n ? n : 1);
    if (!f || !b || fseek(f, (long)off, SEEK_SET) != 0 || fread(b, 1, n, f) != n) {
        if (f)
            fclose(f);
        free(b);
        return NULL;
    }
    fclose(f);
    return b;
}

static void test_span(void)
{
    char path[128], junk[128], cut[128];
    snprintf(path, sizeof path, "%s/export.zip", dir);
    make_zip(path);
    uint64_t off = 0, n = 0;
    CHECK_EQ_INT(export_videos_span(path, "a.mp4", &off, &n), NVR_OK);
    CHECK_EQ_INT(n, VIDEO_BYTES);
    uint8_t *b = read_span(path, off, n);
    CHECK(b && memcmp(b, video, VIDEO_BYTES) == 0);
    free(b);
    CHECK_EQ_INT(export_videos_span(path, "g.mp4", &off, &n), NVR_OK);
    b = read_span(path, off, n);
    CHECK(n == 5000 && b && memcmp(b, video + 1000, 5000) == 0);
    free(b);
    CHECK_EQ_INT(export_videos_span(path, "README.txt", &off, &n), NVR_ECODEC);
    CHECK_EQ_INT(export_videos_span(path, "b.mp4", &off, &n), NVR_ENOTFOUND);
    CHECK_EQ_INT(export_videos_span(path, "a.mp", &off, &n), NVR_ENOTFOUND);
    snprintf(junk, sizeof junk, "%s/missing.zip", dir);
    CHECK_EQ_INT(export_videos_span(junk, "a.mp4", &off, &n), NVR_ENOTFOUND);
    /* not a zip */
    snprintf(junk, sizeof junk, "%s/junk.zip", dir);
    FILE *f = fopen(junk, "wb");
    fwrite(text, 1, 1000, f);
    fclose(f);
    CHECK_EQ_INT(export_videos_span(junk, "a.mp4", &off, &n), NVR_EINVAL);
    /* cut short: the end record is gone */
    snprintf(cut, sizeof cut, "%s/cut.zip", dir);
    FILE *in = fopen(path, "rb"), *out = fopen(cut, "wb");
    fseek(in, 0, SEEK_END);
    long size = ftell(in);
    uint8_t *all = read_span(path, 0, (uint64_t)size);
    fwrite(all, 1, (size_t)size - 15, out);
    fclose(in);
    fclose(out);
    free(all);
    CHECK_EQ_INT(export_videos_span(cut, "a.mp4", &off, &n), NVR_EINVAL);
}

static void test_list(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/export.zip", dir);
    struct export_video v[8];
    size_t n = 0;
    CHECK_EQ_INT(export_videos_list(path, v, 8, &n), NVR_OK);
    CHECK_EQ_INT(n, 4);
    if (n != 4)
        return;
    int64_t t0 = 0;
    nvr_clock_parse_rfc3339("2026-11-22T04:00:00.25Z", &t0);
    CHECK_EQ_STR(v[0].camera, "lobby");
    CHECK_EQ_STR(v[0].camera_name, "Main lobby");
    CHECK_EQ_STR(v[0].name, "a.mp4");
    CHECK(v[0].part == 1 && !v[0].derivative && v[0].first_us == t0 && v[0].duration == 19.75);
    CHECK(v[1].derivative && strcmp(v[1].name, "a-with-time.mp4") == 0);
    CHECK(v[2].part == 2 && !v[2].derivative && strcmp(v[2].name, "a-part2.mp4") == 0);
    CHECK(v[3].part == 1 && strcmp(v[3].camera, "gym") == 0 && v[3].camera_name[0] == '\0');
    /* at most max */
    CHECK_EQ_INT(export_videos_list(path, v, 2, &n), NVR_OK);
    CHECK_EQ_INT(n, 2);
    char junk[128];
    snprintf(junk, sizeof junk, "%s/junk.zip", dir);
    CHECK_EQ_INT(export_videos_list(junk, v, 8, &n), NVR_ENOTFOUND);
}

int main(void)
{
    if (check_tmpdir(dir, sizeof dir, "videos"))
        return 1;
    video = malloc(VIDEO_BYTES);
    text = malloc(TEXT_BYTES);
    uint32_t x = 12345;
    for (size_t i = 0; i < VIDEO_BYTES; i++) {
        x = x * 1103515245u + 12345u;
        video[i] = (uint8_t)(x >> 16);
    }
    for (size_t i = 0; i < TEXT_BYTES; i++)
        text[i] = (uint8_t) "the same words again and again\n"[i % 31];
    RUN(test_span);
    RUN(test_list);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    free(video);
    free(text);
    return check_summary();
}
