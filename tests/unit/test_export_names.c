/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_export_names.c - the names of an export's files (export_names.h):
 * slugs keep only a-z, 0-9 and inner "-", whatever the camera's name holds
 * (path separators, dots, control characters, other scripts); stems are
 * the slug and the id, unique within an export; the download name.
 */
#include "check.h"

#include "export/export_names.h"

#include <stdint.h>
#include <string.h>

static const char *slug(const char *s)
{
    static char out[EXPORT_SLUG_MAX + 1];
    export_slug(s, out, sizeof out);
    return out;
}

static int safe(const char *s)
{
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return 0;
    return s[0] != '\0' && s[0] != '-';
}

static void test_slug(void)
{
    CHECK_EQ_STR(slug("Front Door"), "front-door");
    CHECK_EQ_STR(slug("  Main lobby (east) "), "main-lobby-east");
    CHECK_EQ_STR(slug("../../etc/passwd"), "etc-passwd");
    CHECK_EQ_STR(slug("..."), "");
    CHECK_EQ_STR(slug("."), "");
    CHECK_EQ_STR(slug("a\\b/c"), "a-b-c");
    CHECK_EQ_STR(slug("tab\there\nnew\x01line\x7f"), "tab-here-new-line");
    CHECK_EQ_STR(slug("Caf\xc3\xa9 \xc3\x86sir \xc3\x9f"), "cafe-aesir-ss"); /* Café Æsir ß */
    CHECK_EQ_STR(slug("\xe6\xa0\xa1\xe9\x97\xa8 2"), "2");                   /* 校门 2 */
    CHECK_EQ_STR(slug("\xe6\xa0\xa1\xe9\x97\xa8"), "");
    CHECK_EQ_STR(slug("cam_1"), "cam-1");
    CHECK_EQ_STR(slug(""), "");
    CHECK_EQ_STR(slug(NULL), "");
    /* long names are cut at EXPORT_SLUG_MAX without a trailing "-" */
    const char *l = slug("a very long camera name that goes on and on past forty characters");
    CHECK(strlen(l) <= EXPORT_SLUG_MAX && l[strlen(l) - 1] != '-' && safe(l));
    CHECK_EQ_STR(slug("abcdefghijklmnopqrstuvwxyzabcdefghijklm x"), "abcdefghijklmnopqrstuvwxyzabcdefghijklm");
    /* a truncated UTF-8 sequence at the end is skipped, not read past */
    CHECK_EQ_STR(slug("ab\xc3"), "ab");
}

static void test_stems(void)
{
    char st[EXPORT_STEM_MAX];
    export_camera_stem("cam3", "Front door", st);
    CHECK_EQ_STR(st, "front-door_cam3");
    export_camera_stem("gym", "", st);
    CHECK_EQ_STR(st, "gym");
    export_camera_stem("gym", NULL, st);
    CHECK_EQ_STR(st, "gym");
    export_camera_stem("gym", "GYM", st);
    CHECK_EQ_STR(st, "gym");
    export_camera_stem("x1", "...", st);
    CHECK_EQ_STR(st, "x1");

    /* unique within an export: "front_door" unnamed and "door" named "front" */
    const char *ids[] = {"front_door", "door", "a", "b"};
    const char *names[] = {"", "Front", "Same", "Same"};
    char stems[4][EXPORT_STEM_MAX];
    export_camera_stems(ids, names, 4, stems);
    CHECK_EQ_STR(stems[0], "front_door");
    CHECK_EQ_STR(stems[1], "front_door-2");
    CHECK_EQ_STR(stems[2], "same_a");
    CHECK_EQ_STR(stems[3], "same_b");
    for (int i = 0; i < 4; i++) {
        CHECK(safe(stems[i]));
        for (int j = 0; j < i; j++)
            CHECK(strcmp(stems[i], stems[j]) != 0);
    }
}

static void test_download_name(void)
{
    char stems[5][EXPORT_STEM_MAX] = {"main-lobby_lobby", "gym", "c", "d", "e"};
    char out[EXPORT_DOWNLOAD_NAME_MAX];
    int64_t t = 1795338000LL * 1000000 + 250000; /* 2026-11-22T09:00:00.25Z */
    export_download_name((const char(*)[EXPORT_STEM_MAX])stems, 2, t, out);
    CHECK_EQ_STR(out, "export_main-lobby_lobby+gym_2026-11-22_090000Z.zip");
    export_download_name((const char(*)[EXPORT_STEM_MAX])stems, 5, t, out);
    CHECK_EQ_STR(out, "export_main-lobby_lobby+gym+c+2-more_2026-11-22_090000Z.zip");
    export_download_name(NULL, 0, t, out);
    CHECK_EQ_STR(out, "export_2026-11-22_090000Z.zip");
    /* the longest stems still leave a name that fits, ends in .zip and is safe */
    char big[3][EXPORT_STEM_MAX];
    for (int i = 0; i < 3; i++) {
        memset(big[i], 'a' + i, EXPORT_STEM_MAX - 1);
        big[i][EXPORT_STEM_MAX - 1] = '\0';
    }
    export_download_name((const char(*)[EXPORT_STEM_MAX])big, 3, t, out);
    CHECK(strlen(out) < EXPORT_DOWNLOAD_NAME_MAX && strstr(out, "-more_2026-11-22_090000Z.zip"));
}

int main(void)
{
    RUN(test_slug);
    RUN(test_stems);
    RUN(test_download_name);
    return check_summary();
}
