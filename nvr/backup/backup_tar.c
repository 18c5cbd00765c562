/* SPDX-License-Identifier: Apache-2.0 */
/*
 * backup_tar.c - ustar writing and strict reading (see backup_tar.h).
 * Keeps no state: the FILE's position is the reader's.
 */
#include "backup/backup_tar.h"

#include "base/err.h"

#include <string.h>

#define BLOCK 512

static unsigned checksum(const unsigned char *h)
{
    unsigned sum = 0;
    for (int i = 0; i < BLOCK; i++)
        sum += (i >= 148 && i < 156) ? ' ' : h[i];
    return sum;
}

/* v as w-1 octal digits and a NUL (the caller checked that it fits). */
static void put_octal(unsigned char *p, int w, uint64_t v)
{
    p[w - 1] = '\0';
    for (int i = w - 2; i >= 0; i--, v >>= 3)
        p[i] = (unsigned char)('0' + (v & 7));
}

nvr_err backup_tar_header(FILE *f, const char *name, uint64_t size, int64_t mtime)
{
    unsigned char h[BLOCK] = {0};
    size_t n = strlen(name);
    if (n == 0 || n > BACKUP_TAR_NAME_MAX || size >= 077777777777ULL)
        return NVR_EINVAL;
    memcpy(h, name, n);
    put_octal(h + 100, 8, 0600);
    put_octal(h + 108, 8, 0);
    put_octal(h + 116, 8, 0);
    put_octal(h + 124, 12, size);
    put_octal(h + 136, 12, mtime > 0 && mtime < 077777777777LL ? (uint64_t)mtime : 0);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memcpy(h + 265, "root", 4);
    memcpy(h + 297, "root", 4);
    put_octal(h + 148, 7, checksum(h)); /* six digits, NUL, then a space */
    h[155] = ' ';
    return fwrite(h, 1, BLOCK, f) == BLOCK ? NVR_OK : NVR_EIO;
}

nvr_err backup_tar_pad(FILE *f, uint64_t size)
{
    static const unsigned char zero[BLOCK];
    size_t pad = (size_t)((BLOCK - size % BLOCK) % BLOCK);
    return fwrite(zero, 1, pad, f) == pad ? NVR_OK : NVR_EIO;
}

nvr_err backup_tar_end(FILE *f)
{
    static const unsigned char zero[2 * BLOCK];
    return fwrite(zero, 1, sizeof zero, f) == sizeof zero ? NVR_OK : NVR_EIO;
}

static int all_zero(const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

/* An octal field of width w (digits, then NUL or spaces). */
static int parse_octal(const unsigned char *p, int w, uint64_t *out)
{
    uint64_t v = 0;
    int i = 0, digits = 0;
    while (i < w && p[i] == ' ')
        i++;
    for (; i < w && p[i] >= '0' && p[i] <= '7'; i++, digits++)
        v = v * 8 + (uint64_t)(p[i] - '0');
    for (; i < w; i++)
        if (p[i] != ' ' && p[i] != '\0')
            return -1;
    if (!digits)
        return -1;
    *out = v;
    return 0;
}

nvr_err backup_tar_next(FILE *f, char name[BACKUP_TAR_NAME_MAX + 1], uint64_t *size)
{
    unsigned char h[BLOCK];
    uint64_t sum;
    size_t got = fread(h, 1, BLOCK, f);
    if (got != BLOCK)
        return NVR_ECORRUPT; /* cut short: no end blocks */
    if (all_zero(h, BLOCK)) {
        int c;
        if (fread(h, 1, BLOCK, f) != BLOCK || !all_zero(h, BLOCK))
            return NVR_ECORRUPT;
        while ((c = fgetc(f)) != EOF) /* tar pads to a record: only zeros may follow */
            if (c)
                return NVR_ECORRUPT;
        return NVR_EEOF;
    }
    if (parse_octal(h + 148, 8, &sum) || sum != checksum(h) || memcmp(h + 257, "ustar", 5) != 0 ||
        (h[156] != '0' && h[156] != '\0') || h[345] != '\0' || parse_octal(h + 124, 12, size))
        return NVR_ECORRUPT;
    if (!memchr(h, '\0', 100) || h[0] == '\0')
        return NVR_ECORRUPT;
    memcpy(name, h, BACKUP_TAR_NAME_MAX + 1);
    name[BACKUP_TAR_NAME_MAX] = '\0';
    return NVR_OK;
}

nvr_err backup_tar_skip_pad(FILE *f, uint64_t size)
{
    unsigned char b[BLOCK];
    size_t pad = (size_t)((BLOCK - size % BLOCK) % BLOCK);
    if (fread(b, 1, pad, f) != pad || !all_zero(b, pad))
        return NVR_ECORRUPT;
    return NVR_OK;
}
