/* SPDX-License-Identifier: Apache-2.0 */
/* test_sign.c - the export signing key (nvr/export/sign.c) and export request
 * checks (nvr/export/export.c): key made once with mode 0600 and reloaded the same,
 * signature round trip, any changed byte of data, signature or key refused. */
#include "base/config.h"
#include "base/err.h"
#include "export/export.h"
#include "export/sign.h"

#include "check.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/nvr-test-sign-XXXXXX";

static void test_key_round_trip(void)
{
    struct sign_key *k = NULL, *k2 = NULL;
    char path[256], f1[SIGN_FPR_BUFSZ], f2[SIGN_FPR_BUFSZ], *pem = NULL;
    struct stat sb;
    uint8_t sig[SIGN_SIG_BYTES];
    static const char msg[] = "{\"files\":[]}\n";
    CHECK_EQ_INT(sign_key_load(dir, &k), NVR_ENOTFOUND);
    CHECK_EQ_INT(sign_key_load_or_create(dir, &k), NVR_OK);
    snprintf(path, sizeof path, "%s/%s", dir, SIGN_KEY_FILE);
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    CHECK_EQ_INT(sign_key_load_or_create(dir, &k2), NVR_OK); /* the same key, not a new one */
    CHECK_EQ_INT(sign_fingerprint(k, f1), NVR_OK);
    CHECK_EQ_INT(sign_fingerprint(k2, f2), NVR_OK);
    CHECK_EQ_STR(f1, f2);
    CHECK(strncmp(f1, "sha256:", 7) == 0 && strlen(f1) == 71);
    CHECK_EQ_INT(sign_public_pem(k, &pem), NVR_OK);
    CHECK(pem && strstr(pem, "-----BEGIN PUBLIC KEY-----"));
    CHECK_EQ_INT(sign_data(k, msg, sizeof msg - 1, sig), NVR_OK);
    char got[SIGN_FPR_BUFSZ] = "";
    CHECK_EQ_INT(sign_verify_pem(pem, strlen(pem), msg, sizeof msg - 1, sig, sizeof sig, got), NVR_OK);
    CHECK_EQ_STR(got, f1);
    /* one changed byte anywhere is refused */
    char bad[sizeof msg];
    memcpy(bad, msg, sizeof msg);
    bad[3] ^= 1;
    CHECK_EQ_INT(sign_verify_pem(pem, strlen(pem), bad, sizeof msg - 1, sig, sizeof sig, NULL), NVR_ECORRUPT);
    sig[10] ^= 0x40;
    CHECK_EQ_INT(sign_verify_pem(pem, strlen(pem), msg, sizeof msg - 1, sig, sizeof sig, NULL), NVR_ECORRUPT);
    sig[10] ^= 0x40;
    CHECK_EQ_INT(sign_verify_pem(pem, strlen(pem), msg, sizeof msg - 1, sig, sizeof sig - 1, NULL), NVR_EINVAL);
    CHECK_EQ_INT(sign_verify_pem("junk", 4, msg, sizeof msg - 1, sig, sizeof sig, NULL), NVR_EINVAL);
    /* another key does not verify this signature */
    char dir2[] = "/tmp/nvr-test-sign2-XXXXXX";
    struct sign_key *other = NULL;
    char *pem2 = NULL;
    CHECK(mkdtemp(dir2) != NULL);
    CHECK_EQ_INT(sign_key_load_or_create(dir2, &other), NVR_OK);
    CHECK_EQ_INT(sign_public_pem(other, &pem2), NVR_OK);
    CHECK_EQ_INT(sign_verify_pem(pem2, strlen(pem2), msg, sizeof msg - 1, sig, sizeof sig, NULL), NVR_ECORRUPT);
    snprintf(path, sizeof path, "%s/%s", dir2, SIGN_KEY_FILE);
    unlink(path);
    rmdir(dir2);
    free(pem2);
    sign_key_free(&other);
    free(pem);
    sign_key_free(&k);
    sign_key_free(&k2);
    CHECK(k == NULL);
    sign_key_free(&k); /* tolerates NULL */
}

static void test_request_checks(void)
{
    static const char text[] = "[server]\ndata_dir = /tmp/x\n[camera lobby]\nurl = rtsp://h/1\n[camera gym]\nurl = rtsp://h/2\n";
    struct nvr_config *cfg = NULL;
    struct export_request *r = calloc(1, sizeof *r);
    char err[256];
    CHECK_EQ_INT(nvr_config_parse("t.conf", text, sizeof text - 1, &cfg, NULL), NVR_OK);
    if (!cfg || !r)
        return;
    r->ncameras = 2;
    strcpy(r->cameras[0], "lobby");
    strcpy(r->cameras[1], "gym");
    r->from_us = 1000000;
    r->to_us = 2000000;
    CHECK_EQ_INT(export_check_request(r, err, sizeof err), NVR_OK);
    r->to_us = r->from_us;
    CHECK_EQ_INT(export_check_request(r, err, sizeof err), NVR_EINVAL);
    CHECK(strstr(err, "end must be after start"));
    r->to_us = r->from_us + EXPORT_MAX_RANGE_US + 1;
    CHECK_EQ_INT(export_check_request(r, err, sizeof err), NVR_EINVAL);
    r->to_us = r->from_us + EXPORT_MAX_RANGE_US;
    CHECK_EQ_INT(export_check_request(r, err, sizeof err), NVR_OK);
    strcpy(r->cameras[1], "lobby");
    CHECK_EQ_INT(export_check_request(r, err, sizeof err), NVR_EINVAL); /* twice */
    strcpy(r->cameras[1], "gym");
    strcpy(r->reason, "bad \xff utf-8");
    CHECK_EQ_INT(export_check_request(r, err, sizeof err), NVR_EINVAL);
    r->reason[0] = '\0';
    r->ncameras = 0;
    CHECK_EQ_INT(export_check_request(r, err, sizeof err), NVR_EINVAL);
    free(r);
    nvr_config_free(&cfg);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    RUN(test_key_round_trip);
    RUN(test_request_checks);
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, SIGN_KEY_FILE);
    unlink(path);
    rmdir(dir);
    return check_summary();
}
