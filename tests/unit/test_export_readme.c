/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_export_readme.c - README.txt and SHA256SUMS.txt of an export
 * (export_readme.h) from a made-up export, in America/Chicago over the end
 * of daylight saving time: both zones' abbreviations and offsets, the zone
 * named, user texts wrapped to 100 columns with their control characters
 * made spaces, every file's SHA-256, the commands for each system.
 */
#include "check.h"

#include "export/export_readme.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Characters of the longest line; -1 if a control character other than \n. */
static int widest(const char *s)
{
    int w = 0, best = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n') {
            w = 0;
            continue;
        }
        if (*p < 0x20 || *p == 0x7f)
            return -1;
        if ((*p & 0xC0) != 0x80 && ++w > best)
            best = w;
    }
    return best;
}

static void test_readme(void)
{
    static struct export_request req;
    uint8_t h[3][32];
    char *text = NULL, *sums = NULL;
    size_t len = 0, slen = 0;
    setenv("TZ", "America/Chicago", 1);
    tzset();
    memset(&req, 0, sizeof req);
    req.ncameras = 2;
    strcpy(req.cameras[0], "cam3");
    strcpy(req.names[0], "Front door\n(east)");
    strcpy(req.cameras[1], "gym");
    strcpy(req.makers[0], "Axis");
    strcpy(req.models[0], "P3245-V");
    req.native = 1;
    req.from_us = 1793512800LL * 1000000; /* 2026-11-01T06:00:00Z = 01:00 CDT */
    req.to_us = 1793523600LL * 1000000;   /* 2026-11-01T09:00:00Z = 03:00 CST */
    strcpy(req.case_id, "2026-17");
    strcpy(req.operator_name, "ivy");
    for (size_t i = 0; i < 30; i++)
        strcat(req.reason, i == 10 ? "a\tfight\r\nin " : "the lobby "); /* ~300 bytes, controls inside */
    strcat(req.reason,
           "averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword");
    for (int i = 0; i < 3; i++)
        memset(h[i], 0x11 * (i + 1), 32);
    struct export_readme_file files[3] = {
        {.name = "front-door-east_cam3.mp4",
         .bytes = 12345678,
         .sha256 = h[0],
         .cam = 0,
         .first_us = req.from_us - 1500000,
         .end_us = req.to_us,
         .duration_us = req.to_us - req.from_us + 1500000},
        {.name = "native/front-door-east_cam3/cam3-x.mp4", .bytes = 100, .sha256 = h[1], .cam = 0, .native = 1},
        {.name = "gym.mp4", .bytes = 5, .sha256 = h[2], .cam = 1, .first_us = req.from_us, .end_us = req.to_us},
    };
    struct export_readme in = {.req = &req,
                               .exported_us = 1795338000LL * 1000000,
                               .fingerprint = "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
                               .files = files,
                               .nfiles = 3,
                               .sums_name = EXPORT_SUMS_NAME};
    CHECK(export_readme_text(&in, &text, &len) == NVR_OK && text && strlen(text) == len);
    if (!text)
        return;
    int w = widest(text);
    CHECK(w > 0 && w <= EXPORT_README_COLUMNS);
    if (w <= 0 || w > EXPORT_README_COLUMNS)
        fprintf(stderr, "widest line %d:\n%s\n", w, text);
    CHECK(strstr(text, "Case:         2026-17\n"));
    CHECK(strstr(text, "Exported by:  ivy\n"));
    CHECK(strstr(text, "Reason:       the lobby the lobby"));
    CHECK(strstr(text, "a fight ") || strstr(text, "a fight\n")); /* tab, CR, LF: spaces */
    CHECK(strstr(text, "averyvery"));
    CHECK(strstr(text, "1. Front door (east) (camera id \"cam3\"; Axis P3245-V)\n"));
    CHECK(strstr(text, "2. gym (camera id \"gym\")\n"));
    /* the range in UTC and in the zone on each side of the change */
    CHECK(strstr(text, "from 2026-11-01 06:00:00 UTC\n"));
    CHECK(strstr(text, "  to 2026-11-01 09:00:00 UTC\n"));
    CHECK(strstr(text, "from 2026-11-01 01:00:00 CDT (UTC-05:00)\n"));
    CHECK(strstr(text, "  to 2026-11-01 03:00:00 CST (UTC-06:00)\n"));
    CHECK(strstr(text, "Exported at:  2026-11-22 09:00:00 UTC\n"));
    CHECK(strstr(text, "2026-11-22 03:00:00 CST (UTC-06:00), the recorder's local time"));
    CHECK(strstr(text, "Time zone:    America/Chicago (CST, UTC-06:00 at the time of export)"));
    CHECK(strstr(text, "first frame 2026-11-01 05:59:58.500 UTC = 2026-11-01 00:59:58.500 CDT (UTC-05:00)"));
    CHECK(strstr(text, "Video file front-door-east_cam3.mp4, 3 h 0 min 2 s long:"));
    CHECK(strstr(text, "Original recorded files: 1, in native/front-door-east_cam3/\n"));
    CHECK(strstr(text, "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"));
    CHECK(strstr(text, "  front-door-east_cam3.mp4 (12,345,678 bytes)\n    SHA-256: "
                       "1111111111111111111111111111111111111111111111111111111111111111\n"));
    CHECK(strstr(text, "  native/front-door-east_cam3/cam3-x.mp4 (100 bytes)\n    SHA-256: "
                       "2222222222222222222222222222222222222222222222222222222222222222\n"));
    CHECK(strstr(text, "    sha256sum -c SHA256SUMS.txt\n"));
    CHECK(strstr(text, "    shasum -a 256 -c SHA256SUMS.txt\n"));
    CHECK(strstr(text, "    Get-FileHash -Algorithm SHA256 front-door-east_cam3.mp4\n"));
    CHECK(strstr(text, "    certutil -hashfile gym.mp4 SHA256\n"));
    CHECK(strstr(text, "    certutil -hashfile native\\front-door-east_cam3\\cam3-x.mp4 SHA256\n"));
    CHECK(strstr(text, "nvr verify EXPORT.zip --fingerprint"));
    CHECK(strstr(text, "openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin"));

    CHECK(export_sums_text(files, 3, &sums, &slen) == NVR_OK && sums);
    CHECK(sums && strcmp(sums, "1111111111111111111111111111111111111111111111111111111111111111  "
                               "front-door-east_cam3.mp4\n"
                               "2222222222222222222222222222222222222222222222222222222222222222  "
                               "native/front-door-east_cam3/cam3-x.mp4\n"
                               "3333333333333333333333333333333333333333333333333333333333333333  gym.mp4\n") == 0);
    free(text);
    free(sums);
}

int main(void)
{
    RUN(test_readme);
    return check_summary();
}
