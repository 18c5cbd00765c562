/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export_names.c - slugs and file names of an export (see export_names.h).
 */
#include "export/export_names.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* U+00C0 .. U+00FF folded to ASCII ("" : a separator, as for x and /). */
static const char *const latin1_fold[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e",  "e",  "e", "e", "i", "i", "i", "i", "d",  "n", "o",  "o", "o", "o",
    "o", "",  "o", "u", "u", "u", "u",  "y", "th", "ss", "a", "a", "a", "a", "a", "a", "ae", "c", "e",  "e", "e", "e",
    "i", "i", "i", "i", "d", "n", "o",  "o", "o",  "o",  "o", "",  "o", "u", "u", "u", "u",  "y", "th", "y",
};

/* Appends the ASCII of one piece to out, a "-" first if a separator is
 * pending; returns 0, or -1 when it does not fit (the slug is then done). */
static int put(char *out, size_t cap, size_t *len, int *sep, const char *s)
{
    size_t k = strlen(s), dash = *sep && *len > 0;
    if (*len + dash + k > cap)
        return -1;
    if (dash)
        out[(*len)++] = '-';
    memcpy(out + *len, s, k);
    *len += k;
    *sep = 0;
    return 0;
}

void export_slug(const char *text, char *out, size_t n)
{
    size_t cap = n - 1 < EXPORT_SLUG_MAX ? n - 1 : EXPORT_SLUG_MAX, len = 0;
    int sep = 0;
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    int full = 0;
    while (*p && !full) {
        char one[2] = {0, 0};
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')) {
            one[0] = (char)*p++;
            full = put(out, cap, &len, &sep, one);
        } else if (*p >= 'A' && *p <= 'Z') {
            one[0] = (char)(*p++ - 'A' + 'a');
            full = put(out, cap, &len, &sep, one);
        } else if (*p == 0xC3 && p[1] >= 0x80 && p[1] <= 0xBF) {
            const char *f = latin1_fold[p[1] - 0x80];
            p += 2;
            if (f[0])
                full = put(out, cap, &len, &sep, f);
            else
                sep = 1;
        } else {
            /* anything else (punctuation, space, control, other scripts): one
             * separator for the whole run, multi-byte sequences skipped whole */
            p++;
            while ((*p & 0xC0) == 0x80)
                p++;
            sep = 1;
        }
    }
    out[len] = '\0';
}

void export_camera_stem(const char *id, const char *name, char out[EXPORT_STEM_MAX])
{
    char slug[EXPORT_SLUG_MAX + 1];
    export_slug(name, slug, sizeof slug);
    if (!slug[0] || strcmp(slug, id) == 0)
        snprintf(out, EXPORT_STEM_MAX, "%s", id);
    else
        snprintf(out, EXPORT_STEM_MAX, "%s_%s", slug, id);
}

void export_camera_stems(const char *const *ids, const char *const *names, size_t n, char (*stems)[EXPORT_STEM_MAX])
{
    for (size_t i = 0; i < n; i++) {
        char base[EXPORT_STEM_MAX];
        export_camera_stem(ids[i], names[i], base);
        snprintf(stems[i], EXPORT_STEM_MAX, "%s", base);
        for (unsigned k = 2;; k++) {
            size_t j = 0;
            while (j < i && strcmp(stems[j], stems[i]) != 0)
                j++;
            if (j == i)
                break;
            snprintf(stems[i], EXPORT_STEM_MAX, "%.100s-%u", base, k);
        }
    }
}

void export_download_name(const char (*stems)[EXPORT_STEM_MAX], size_t n, int64_t from_us,
                          char out[EXPORT_DOWNLOAD_NAME_MAX])
{
    /* "export" + "_" stem + 2 x "+" stem (<= 6 + 3 * 112) is cut to what fits
     * before the "+N-more" (<= 9) and the time (24) */
    enum { ROOM = EXPORT_DOWNLOAD_NAME_MAX - 24 - 9 - 1 };
    time_t t = (time_t)(from_us >= 0 ? from_us / 1000000 : (from_us - 999999) / 1000000);
    struct tm tm;
    char when[32] = "";
    size_t len = 6, shown = 0;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d_%H%M%SZ", &tm);
    memcpy(out, "export", 7);
    while (shown < n && shown < 3 && len + 1 + strlen(stems[shown]) <= ROOM) {
        len += (size_t)snprintf(out + len, EXPORT_DOWNLOAD_NAME_MAX - len, "%s%s", shown ? "+" : "_", stems[shown]);
        shown++;
    }
    if (shown < n)
        len += (size_t)snprintf(out + len, EXPORT_DOWNLOAD_NAME_MAX - len, "+%zu-more", n - shown);
    snprintf(out + len, EXPORT_DOWNLOAD_NAME_MAX - len, "_%s.zip", when);
}
