/* SPDX-License-Identifier: Apache-2.0 */
/* test_backup.c - the backup archive's pieces (nvr/backup): the strict ustar
 * reader against the writer (round trip; a changed header byte, non-zero
 * padding, a cut-short archive and trailing bytes refused) and the
 * passphrase seal (round trip; a wrong passphrase, a changed byte and a
 * buffer that is not sealed refused). */
#include "backup/backup_seal.h"
#include "backup/backup_tar.h"
#include "base/err.h"

#include "check.h"

#include <stdlib.h>
#include <string.h>

/* An archive of two members ("a.txt": 5 bytes, "b.bin": 1000 bytes) in a
 * memory buffer; *len its size. */
static unsigned char *make_tar(size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    unsigned char big[1000];
    FILE *f = open_memstream(&buf, &n);
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)(i * 7);
    CHECK_EQ_INT(backup_tar_header(f, "a.txt", 5, 1700000000), NVR_OK);
    fwrite("hello", 1, 5, f);
    CHECK_EQ_INT(backup_tar_pad(f, 5), NVR_OK);
    CHECK_EQ_INT(backup_tar_header(f, "b.bin", sizeof big, 1700000000), NVR_OK);
    fwrite(big, 1, sizeof big, f);
    CHECK_EQ_INT(backup_tar_pad(f, sizeof big), NVR_OK);
    CHECK_EQ_INT(backup_tar_end(f), NVR_OK);
    fclose(f);
    *len = n;
    return (unsigned char *)buf;
}

/* Reads every member of buf; NVR_OK when the whole archive reads, else the
 * first error.  *members counts the members read. */
static int read_tar(const unsigned char *buf, size_t len, int *members)
{
    FILE *f = fmemopen((void *)buf, len, "rb");
    char name[BACKUP_TAR_NAME_MAX + 1], data[1024];
    uint64_t size;
    int rc;
    *members = 0;
    while ((rc = backup_tar_next(f, name, &size)) == NVR_OK) {
        if (size > sizeof data || fread(data, 1, (size_t)size, f) != size) {
            rc = NVR_ECORRUPT;
            break;
        }
        if ((rc = backup_tar_skip_pad(f, size)))
            break;
        if (*members == 0)
            CHECK(strcmp(name, "a.txt") == 0 && size == 5 && memcmp(data, "hello", 5) == 0);
        (*members)++;
    }
    fclose(f);
    return rc == NVR_EEOF ? NVR_OK : rc;
}

static void test_tar(void)
{
    size_t len;
    int members;
    unsigned char *tar = make_tar(&len);
    CHECK_EQ_INT(len, 512 + 512 + 512 + 1024 + 1024);
    CHECK_EQ_INT(read_tar(tar, len, &members), NVR_OK);
    CHECK_EQ_INT(members, 2);
    unsigned char *copy = malloc(len + 512);
    /* a changed byte of a header (its name, its size) */
    for (size_t at = 0; at < 512; at += 61) {
        memcpy(copy, tar, len);
        copy[at] ^= 0x10;
        CHECK(read_tar(copy, len, &members) == NVR_ECORRUPT);
    }
    /* non-zero padding after the first member */
    memcpy(copy, tar, len);
    copy[512 + 100] = 'x';
    CHECK_EQ_INT(read_tar(copy, len, &members), NVR_ECORRUPT);
    /* cut short: in the data, before the end blocks */
    CHECK_EQ_INT(read_tar(tar, 512 + 512 + 512 + 300, &members), NVR_ECORRUPT);
    CHECK_EQ_INT(read_tar(tar, len - 1024, &members), NVR_ECORRUPT);
    /* zeros may follow the end (a tar record), nothing else */
    memcpy(copy, tar, len);
    memset(copy + len, 0, 512);
    CHECK_EQ_INT(read_tar(copy, len + 512, &members), NVR_OK);
    copy[len + 200] = 1;
    CHECK_EQ_INT(read_tar(copy, len + 512, &members), NVR_ECORRUPT);
    /* names that do not fit */
    char longname[BACKUP_TAR_NAME_MAX + 2];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    FILE *f = fopen("/dev/null", "wb");
    CHECK_EQ_INT(backup_tar_header(f, longname, 1, 0), NVR_EINVAL);
    CHECK_EQ_INT(backup_tar_header(f, "", 1, 0), NVR_EINVAL);
    fclose(f);
    free(copy);
    free(tar);
}

static void test_seal(void)
{
    static const char key[] = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI...\n-----END PRIVATE KEY-----\n";
    unsigned char *sealed = NULL, *sealed2 = NULL;
    size_t n = 0, n2 = 0, outlen = 0;
    char *out = NULL;
    CHECK_EQ_INT(backup_seal("a long passphrase", key, strlen(key), &sealed, &n), NVR_OK);
    CHECK(sealed && backup_is_sealed(sealed, n) && n > strlen(key));
    CHECK(!memmem(sealed, n, "PRIVATE KEY", 11));
    CHECK_EQ_INT(backup_unseal("a long passphrase", sealed, n, &out, &outlen), NVR_OK);
    CHECK(out && outlen == strlen(key) && strcmp(out, key) == 0);
    free(out);
    out = NULL;
    /* a new salt and nonce every time */
    CHECK_EQ_INT(backup_seal("a long passphrase", key, strlen(key), &sealed2, &n2), NVR_OK);
    CHECK(n2 == n && memcmp(sealed, sealed2, n) != 0);
    CHECK_EQ_INT(backup_unseal("a long passphrasE", sealed, n, &out, &outlen), NVR_EAUTH);
    CHECK(out == NULL);
    for (size_t at = 11; at < n; at += 17) { /* salt, nonce, ciphertext, tag */
        sealed[at] ^= 1;
        CHECK_EQ_INT(backup_unseal("a long passphrase", sealed, n, &out, &outlen), NVR_EAUTH);
        sealed[at] ^= 1;
    }
    CHECK_EQ_INT(backup_unseal("a long passphrase", (const unsigned char *)key, strlen(key), &out, &outlen),
                 NVR_EINVAL);
    CHECK_EQ_INT(backup_unseal("a long passphrase", sealed, 20, &out, &outlen), NVR_EINVAL);
    free(sealed);
    free(sealed2);
}

int main(void)
{
    RUN(test_tar);
    RUN(test_seal);
    return check_summary();
}
