/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export_videos.c - the MP4s of an export zip and their spans (see
 * export_videos.h).
 *
 * The span: the end of central directory record (EOCD) is searched in the
 * last 64 KiB + 22 bytes; a zip64 locator right before it gives the zip64
 * record with 64-bit counts and offsets.  The central directory (at most
 * 64 MiB) is walked for the name; its zip64 extra field (0x0001) supplies
 * the sizes and local header offset that do not fit 32 bits.  The data
 * starts after the local header (30 bytes, the name and the local extra
 * field, whose lengths may differ from the central directory's), and every
 * number is checked against the file's size before it is believed.
 */
#include "export/export_videos.h"

#include "base/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#define CD_MAX (64u << 20)
#define MANIFEST_MAX (64u << 20)

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static nvr_err read_at(int fd, void *buf, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(fd, (uint8_t *)buf + got, n - got, (off_t)(off + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return k == 0 ? NVR_EINVAL : NVR_EIO;
        got += (size_t)k;
    }
    return NVR_OK;
}

/* The central directory's offset and size. */
static nvr_err find_cd(int fd, uint64_t fsize, uint64_t *cd_off, uint64_t *cd_size)
{
    size_t tail = fsize < 65557 ? (size_t)fsize : 65557;
    uint8_t *buf = malloc(tail);
    nvr_err rc = NVR_EINVAL;
    if (!buf)
        return NVR_ENOMEM;
    if (tail < 22 || (rc = read_at(fd, buf, tail, fsize - tail)))
        goto out;
    rc = NVR_EINVAL;
    for (size_t i = tail - 22 + 1; i-- > 0;) {
        if (le32(buf + i) != 0x06054b50u || i + 22 + le16(buf + i + 20) != tail)
            continue;
        uint64_t eocd = fsize - tail + i;
        *cd_size = le32(buf + i + 12);
        *cd_off = le32(buf + i + 16);
        if (*cd_size == 0xffffffffu || *cd_off == 0xffffffffu || le16(buf + i + 10) == 0xffffu) {
            uint8_t loc[20], z[56];
            if (eocd < 20 || read_at(fd, loc, 20, eocd - 20) || le32(loc) != 0x07064b50u)
                goto out;
            uint64_t z64 = le64(loc + 8);
            if (z64 + 56 > fsize || read_at(fd, z, 56, z64) || le32(z) != 0x06064b50u)
                goto out;
            *cd_size = le64(z + 40);
            *cd_off = le64(z + 48);
        }
        rc = *cd_off <= fsize && *cd_size <= fsize - *cd_off && *cd_size <= CD_MAX ? NVR_OK : NVR_EINVAL;
        goto out;
    }
out:
    free(buf);
    return rc;
}

nvr_err export_videos_span(const char *zip_path, const char *name, uint64_t *offset, uint64_t *size)
{
    int fd = open(zip_path, O_RDONLY | O_CLOEXEC);
    uint8_t *cd = NULL;
    struct stat sb;
    uint64_t cd_off, cd_size;
    size_t nlen = strlen(name);
    nvr_err rc;
    if (fd < 0)
        return errno == ENOENT ? NVR_ENOTFOUND : NVR_EIO;
    if (fstat(fd, &sb) != 0) {
        rc = NVR_EIO;
        goto out;
    }
    if ((rc = find_cd(fd, (uint64_t)sb.st_size, &cd_off, &cd_size)))
        goto out;
    if (!(cd = malloc(cd_size ? cd_size : 1))) {
        rc = NVR_ENOMEM;
        goto out;
    }
    if ((rc = read_at(fd, cd, cd_size, cd_off)))
        goto out;
    rc = NVR_ENOTFOUND;
    for (uint64_t p = 0; p + 46 <= cd_size;) {
        const uint8_t *h = cd + p;
        if (le32(h) != 0x02014b50u) {
            rc = NVR_EINVAL;
            break;
        }
        size_t hn = le16(h + 28), hx = le16(h + 30), hc = le16(h + 32);
        if (p + 46 + hn + hx + hc > cd_size) {
            rc = NVR_EINVAL;
            break;
        }
        if (hn == nlen && memcmp(h + 46, name, nlen) == 0) {
            uint64_t csize = le32(h + 20), usize = le32(h + 24), lho = le32(h + 42);
            /* zip64: the fields that overflowed, in this order */
            for (const uint8_t *x = h + 46 + hn, *xe = x + hx; x + 4 <= xe;) {
                size_t xl = le16(x + 2);
                if (x + 4 + xl > xe)
                    break;
                if (le16(x) == 0x0001) {
                    const uint8_t *v = x + 4, *ve = v + xl;
                    if (usize == 0xffffffffu && v + 8 <= ve)
                        usize = le64(v), v += 8;
                    if (csize == 0xffffffffu && v + 8 <= ve)
                        csize = le64(v), v += 8;
                    if (lho == 0xffffffffu && v + 8 <= ve)
                        lho = le64(v);
                }
                x += 4 + xl;
            }
            if ((le16(h + 8) & 1) || le16(h + 10) != 0 || csize != usize) {
                rc = NVR_ECODEC; /* encrypted or compressed: not a span of the file */
                break;
            }
            uint8_t lh[30];
            if (lho + 30 > (uint64_t)sb.st_size || (rc = read_at(fd, lh, 30, lho)))
                break;
            uint64_t data = lho + 30 + le16(lh + 26) + le16(lh + 28);
            if (le32(lh) != 0x04034b50u || data > (uint64_t)sb.st_size || csize > (uint64_t)sb.st_size - data) {
                rc = NVR_EINVAL;
                break;
            }
            *offset = data;
            *size = csize;
            rc = NVR_OK;
            break;
        }
        p += 46 + hn + hx + hc;
    }
out:
    free(cd);
    close(fd);
    return rc;
}

static void copy(char *dst, size_t n, json_t *v)
{
    const char *s = json_string_value(v);
    snprintf(dst, n, "%s", s ? s : "");
}

nvr_err export_videos_list(const char *zip_path, struct export_video *out, size_t max, size_t *n)
{
    int zerr;
    zip_t *z = zip_open(zip_path, ZIP_RDONLY, &zerr);
    zip_file_t *f = NULL;
    char *buf = NULL;
    json_t *doc = NULL;
    zip_stat_t st;
    nvr_err rc = NVR_ENOTFOUND;
    *n = 0;
    if (!z || zip_stat(z, "manifest.json", 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) || st.size > MANIFEST_MAX)
        goto out;
    if (!(buf = malloc(st.size + 1)) || !(f = zip_fopen(z, "manifest.json", 0)) ||
        zip_fread(f, buf, st.size) != (zip_int64_t)st.size)
        goto out;
    rc = NVR_EINVAL;
    if (!(doc = json_loadb(buf, st.size, 0, NULL)) || !json_is_array(json_object_get(doc, "cameras")))
        goto out;
    json_t *cams = json_object_get(doc, "cameras");
    for (size_t c = 0; c < json_array_size(cams); c++) {
        json_t *cam = json_array_get(cams, c), *files = json_object_get(cam, "files");
        int part = 0;
        for (size_t k = 0; k < json_array_size(files) && *n < max; k++) {
            json_t *fe = json_array_get(files, k);
            const char *name = json_string_value(json_object_get(fe, "name"));
            const char *first = json_string_value(json_object_get(fe, "first_frame"));
            const char *end = json_string_value(json_object_get(fe, "end"));
            size_t len = name ? strlen(name) : 0;
            struct export_video *v = &out[*n];
            if (!name || len < 5 || len >= sizeof v->name || strcmp(name + len - 4, ".mp4") != 0 || !first || !end)
                continue;
            memset(v, 0, sizeof *v);
            if (nvr_clock_parse_rfc3339(first, &v->first_us) || nvr_clock_parse_rfc3339(end, &v->end_us))
                goto out;
            copy(v->camera, sizeof v->camera, json_object_get(cam, "id"));
            copy(v->camera_name, sizeof v->camera_name, json_object_get(cam, "name"));
            snprintf(v->name, sizeof v->name, "%s", name);
            v->derivative = json_object_get(fe, "derivative") != NULL;
            v->part = v->derivative ? part : ++part;
            v->duration = json_number_value(json_object_get(fe, "duration"));
            (*n)++;
        }
    }
    rc = NVR_OK;
out:
    json_decref(doc);
    free(buf);
    if (f)
        zip_fclose(f);
    if (z)
        zip_discard(z);
    return rc;
}
