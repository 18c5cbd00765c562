/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/archive_put - the archive tier's upload path (storage/s3.c: one
 * signed PUT per file with its SHA-256, then HEAD) over a list of files,
 * timed as a whole; bench/archive runs it beside `curl -T` of the same files.
 *
 *   archive_put ENDPOINT s3://BUCKET/PREFIX ACCESS SECRET FILE...
 * prints "files=N bytes=B seconds=S" on stdout; exit 0 only if every PUT
 * and HEAD succeeded.
 */
#include "base/err.h"
#include "storage/s3.h"
#include "storage/sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* SHA-256 of a file (what the index already holds for a segment: not timed). */
static int file_sha(const char *path, uint8_t out[32])
{
    FILE *f = fopen(path, "rb");
    struct sha256 *s = sha256_new();
    static uint8_t buf[1 << 20];
    size_t n;
    if (!f || !s)
        return -1;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sha256_update(s, buf, n);
    sha256_final(s, out);
    sha256_free(&s);
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: archive_put ENDPOINT s3://BUCKET/PREFIX ACCESS SECRET FILE...\n");
        return 2;
    }
    char why[512];
    struct s3_client *c = NULL;
    struct s3_config cfg = {.url = argv[2], .endpoint = argv[1], .access_key = argv[3], .secret_key = argv[4],
                            .path_style = 1};
    if (s3_client_new(&c, &cfg, why, sizeof why)) {
        fprintf(stderr, "archive_put: %s\n", why);
        return 2;
    }
    int nf = argc - 5;
    uint8_t(*sha)[32] = calloc((size_t)nf, 32);
    uint64_t *size = calloc((size_t)nf, sizeof *size);
    for (int i = 0; i < nf; i++) {
        struct stat sb;
        if (stat(argv[5 + i], &sb) != 0 || file_sha(argv[5 + i], sha[i]) != 0) {
            fprintf(stderr, "archive_put: cannot read %s\n", argv[5 + i]);
            return 1;
        }
        size[i] = (uint64_t)sb.st_size;
    }
    uint64_t total = 0;
    double t0 = now_s();
    for (int i = 0; i < nf; i++) {
        const char *base = strrchr(argv[5 + i], '/');
        char *url = s3_object_url(c, base ? base + 1 : argv[5 + i]);
        uint64_t got = 0;
        if (!url || s3_put_file(c, url, argv[5 + i], size[i], sha[i], why, sizeof why) ||
            s3_head(c, url, &got, why, sizeof why) || got != size[i]) {
            fprintf(stderr, "archive_put: %s\n", why);
            return 1;
        }
        total += size[i];
        free(url);
    }
    double t = now_s() - t0;
    printf("files=%d bytes=%llu seconds=%.3f\n", nf, (unsigned long long)total, t);
    s3_client_free(&c);
    free(sha);
    free(size);
    return 0;
}
