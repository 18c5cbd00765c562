/* SPDX-License-Identifier: Apache-2.0 */
/* test_rtsp_auth.c - Digest answers with SHA-256 and SHA-256-sess
 * (nvr/ingest/rtsp_auth.c) against RFC 7616 section 3.9.1's example (the same
 * challenge answered with MD5 and with SHA-256), SHA-256-sess against a value
 * computed independently (Python hashlib, the formula of RFC 7616 section
 * 3.4.2), and the algorithm names we accept and refuse.  (MD5 against RFC
 * 2617's example is in test_rtsp_client.c.) */
#include "ingest/rtsp_auth.h"

#include "check.h"
#include "base/err.h"

#include <string.h>

#define RFC7616_REALM "realm=\"http-auth@example.org\", qop=\"auth, auth-int\", "
#define RFC7616_NONCE "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
#define RFC7616_OPAQUE "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
#define RFC7616_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"

static void answer(const char *algorithm, char *out, size_t n, int want)
{
    char ch[512];
    snprintf(ch, sizeof ch, "Digest " RFC7616_REALM "algorithm=%s, " RFC7616_NONCE RFC7616_OPAQUE, algorithm);
    CHECK_EQ_INT(rtsp_auth_header(ch, "Mufasa", "Circle of Life", "GET", "/dir/index.html", 1, RFC7616_CNONCE,
                                  out, n),
                 want);
}

static void test_rfc7616(void)
{
    char out[1024];
    /* RFC 7616 3.9.1, MD5 */
    answer("MD5", out, sizeof out, NVR_OK);
    CHECK(strstr(out, "response=\"8ca523f5e9506fed4657c9700eebdbec\"") != NULL);
    /* RFC 7616 3.9.1, SHA-256 */
    answer("SHA-256", out, sizeof out, NVR_OK);
    CHECK(strstr(out, "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\"") != NULL);
    CHECK(strstr(out, "algorithm=SHA-256") != NULL);
    CHECK(strstr(out, "qop=auth, nc=00000001, cnonce=\"" RFC7616_CNONCE "\"") != NULL);
    CHECK(strstr(out, "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"") != NULL);
    CHECK(strstr(out, "realm=\"http-auth@example.org\"") != NULL);
    CHECK(strstr(out, "uri=\"/dir/index.html\"") != NULL);
    /* any case, as RFC 7616 tokens are case-insensitive */
    answer("sha-256", out, sizeof out, NVR_OK);
    CHECK(strstr(out, "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\"") != NULL);
}

static void test_sha256_sess(void)
{
    char out[1024];
    /* HA1 = SHA256(SHA256(user:realm:pw):nonce:cnonce) */
    answer("SHA-256-sess", out, sizeof out, NVR_OK);
    CHECK(strstr(out, "response=\"2fd51b3a77ad75bad6afad6003e818d767133c46d9e2749e7f5232ae1ea3efd7\"") != NULL);
    CHECK(strstr(out, "algorithm=SHA-256-sess") != NULL);
    /* a random cnonce without one given: still a 64-digit response */
    char ch[] = "Digest realm=\"r\", nonce=\"n\", qop=auth, algorithm=SHA-256";
    CHECK_EQ_INT(rtsp_auth_header(ch, "u", "p", "DESCRIBE", "rtsp://x/", 2, NULL, out, sizeof out), NVR_OK);
    const char *r = strstr(out, "response=\"");
    CHECK(r && strlen(r) > 10 + 64 && r[10 + 64] == '"');
    CHECK(strstr(out, "nc=00000002") != NULL);
}

static void test_algorithms(void)
{
    char out[1024];
    int sess = -1;
    CHECK_EQ_INT(rtsp_auth_digest_algorithm("MD5", &sess), RTSP_DIGEST_MD5);
    CHECK_EQ_INT(sess, 0);
    CHECK_EQ_INT(rtsp_auth_digest_algorithm("md5-SESS", &sess), RTSP_DIGEST_MD5);
    CHECK_EQ_INT(sess, 1);
    CHECK_EQ_INT(rtsp_auth_digest_algorithm("SHA-256-sess", &sess), RTSP_DIGEST_SHA256);
    CHECK_EQ_INT(sess, 1);
    CHECK_EQ_INT(rtsp_auth_digest_algorithm("SHA-512-256", NULL), -1);
    CHECK_EQ_INT(rtsp_auth_digest_algorithm("SHA-2566", NULL), -1);
    answer("SHA-512-256", out, sizeof out, NVR_EINVAL);
    /* a 64-digit response and the rest must fit: too small a buffer is an error */
    answer("SHA-256", out, 100, NVR_EINVAL);
}

int main(void)
{
    RUN(test_rfc7616);
    RUN(test_sha256_sess);
    RUN(test_algorithms);
    return check_summary();
}
