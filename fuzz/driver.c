/* SPDX-License-Identifier: Apache-2.0 */
/*
 * driver.c - runs a fuzz target without libFuzzer: every file named on the
 * command line (directories: every file in them), then a deterministic
 * stream of mutations of those inputs (bit flips, byte inserts, truncation,
 * splices).  CTest runs it on fuzz/corpus/NAME, so every build exercises the
 * parsers on hostile input under the same sanitizers as the rest of the
 * suite; `cmake -DNVR_FUZZ=ON` with clang builds real libFuzzer binaries.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct corpus {
    uint8_t **v;
    size_t *len, n;
};

static void add_file(struct corpus *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    uint8_t *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    if (!buf)
        return;
    c->v = realloc(c->v, (c->n + 1) * sizeof *c->v);
    c->len = realloc(c->len, (c->n + 1) * sizeof *c->len);
    c->v[c->n] = buf;
    c->len[c->n++] = n;
}

static void add_path(struct corpus *c, const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return;
    if (!S_ISDIR(sb.st_mode)) {
        add_file(c, path);
        return;
    }
    DIR *d = opendir(path);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        char p[4096];
        if (de->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", path, de->d_name);
        add_file(c, p);
    }
    if (d)
        closedir(d);
}

int main(int argc, char **argv)
{
    struct corpus c = {0};
    long rounds = 20000;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "-runs=", 6) == 0)
            rounds = atol(argv[i] + 6);
        else
            add_path(&c, argv[i]);
    }
    if (c.n == 0) {
        fprintf(stderr, "no corpus\n");
        return 2;
    }
    for (size_t i = 0; i < c.n; i++)
        LLVMFuzzerTestOneInput(c.v[i], c.len[i]);
    unsigned seed = 12345;
    uint8_t *buf = malloc(1 << 21);
    for (long r = 0; r < rounds; r++) {
        size_t k = (size_t)rand_r(&seed) % c.n, n = c.len[k];
        memcpy(buf, c.v[k], n);
        int edits = 1 + rand_r(&seed) % 8;
        for (int e = 0; e < edits; e++) {
            int op = rand_r(&seed) % 5;
            size_t at = n ? (size_t)rand_r(&seed) % n : 0;
            if (op == 0 && n)
                buf[at] ^= (uint8_t)(1u << (rand_r(&seed) % 8));
            else if (op == 1 && n < (1 << 20))
                memmove(buf + at + 1, buf + at, n - at), buf[at] = (uint8_t)rand_r(&seed), n++;
            else if (op == 2 && n)
                n = at;
            else if (op == 3 && n)
                buf[at] = "\0\n\r;#=[]\"\\%:@/"[rand_r(&seed) % 15];
            else if (op == 4) {
                size_t k2 = (size_t)rand_r(&seed) % c.n, take = c.len[k2] / 2;
                if (n + take < (1 << 21)) {
                    memcpy(buf + n, c.v[k2], take);
                    n += take;
                }
            }
        }
        LLVMFuzzerTestOneInput(buf, n);
    }
    free(buf);
    for (size_t i = 0; i < c.n; i++)
        free(c.v[i]);
    free(c.v);
    free(c.len);
    printf("%zu inputs and %ld mutations: 1 passed, 0 failed\n", c.n, rounds);
    return 0;
}
