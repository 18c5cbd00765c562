/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtsp_auth.c - Basic and Digest answers to RTSP challenges (see
 * rtsp_auth.h).  The digests (MD5, SHA-256) through libcrypto's EVP
 * interface, the cnonce from RAND_bytes.
 *
 * Digest (RFC 2617, RFC 7616): with H the algorithm's hash as lowercase hex,
 *   HA1 = H(user:realm:password), for the -sess variants H(HA1:nonce:cnonce);
 *   HA2 = H(method:uri);
 *   response = H(HA1:nonce:nc:cnonce:auth:HA2) with qop=auth,
 *              H(HA1:nonce:HA2) without qop (RFC 2069).
 */
#include "ingest/rtsp_auth.h"

#include "base/err.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static void copy_value(char *dst, size_t cap, const char *v, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

#define HEX_MAX (2 * EVP_MAX_MD_SIZE + 1)

/* out = lowercase hex of md(s) (32 characters for MD5, 64 for SHA-256). */
static void hash_hex(const EVP_MD *md, const char *s, char out[HEX_MAX])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    out[0] = '\0';
    if (EVP_Digest(s, strlen(s), d, &n, md, NULL) != 1)
        return;
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    out[2 * n] = '\0';
}

int rtsp_auth_digest_algorithm(const char *name, int *sess)
{
    static const struct {
        const char *name;
        int alg, sess;
    } algs[] = {
        {"MD5", RTSP_DIGEST_MD5, 0},
        {"MD5-sess", RTSP_DIGEST_MD5, 1},
        {"SHA-256", RTSP_DIGEST_SHA256, 0},
        {"SHA-256-sess", RTSP_DIGEST_SHA256, 1},
    };
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
        if (strcasecmp(name, algs[i].name) == 0) {
            if (sess)
                *sess = algs[i].sess;
            return algs[i].alg;
        }
    return -1;
}

/* Finds parameter `key` of a Digest challenge (key=value or key="value"). */
int rtsp_auth_param(const char *ch, const char *key, char *out, size_t n)
{
    size_t kl = strlen(key);
    const char *p = ch;
    out[0] = '\0';
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        const char *k = p;
        while (*p && *p != '=' && *p != ',' && *p != ' ')
            p++;
        size_t this_kl = (size_t)(p - k);
        while (*p == ' ')
            p++;
        if (*p != '=') {
            while (*p && *p != ',')
                p++;
            continue;
        }
        p++;
        while (*p == ' ')
            p++;
        const char *v, *ve;
        if (*p == '"') {
            v = ++p;
            while (*p && *p != '"')
                p++;
            ve = p;
            if (*p)
                p++;
        } else {
            v = p;
            while (*p && *p != ',' && *p != ' ')
                p++;
            ve = p;
        }
        if (this_kl == kl && strncasecmp(k, key, kl) == 0) {
            copy_value(out, n, v, (size_t)(ve - v));
            return 1;
        }
    }
    return 0;
}

nvr_err rtsp_auth_header(const char *challenge, const char *user, const char *password, const char *method,
                         const char *uri, unsigned nc, const char *cnonce, char *out, size_t outlen)
{
    if (strncasecmp(challenge, "Basic", 5) == 0) {
        char plain[260];
        unsigned char b64[360];
        int n = snprintf(plain, sizeof plain, "%s:%s", user, password);
        if (n < 0 || (size_t)n >= sizeof plain)
            return NVR_EINVAL;
        EVP_EncodeBlock(b64, (const unsigned char *)plain, n);
        n = snprintf(out, outlen, "Basic %s", (char *)b64);
        return n < 0 || (size_t)n >= outlen ? NVR_EINVAL : NVR_OK;
    }
    if (strncasecmp(challenge, "Digest", 6) != 0)
        return NVR_EINVAL;
    const char *params = challenge + 6;
    char realm[128], nonce[256], opaque[256], algorithm[32], qop[64], cn[65];
    rtsp_auth_param(params, "realm", realm, sizeof realm);
    if (!rtsp_auth_param(params, "nonce", nonce, sizeof nonce))
        return NVR_EINVAL;
    int have_opaque = rtsp_auth_param(params, "opaque", opaque, sizeof opaque);
    int have_alg = rtsp_auth_param(params, "algorithm", algorithm, sizeof algorithm);
    int sess = 0;
    int alg = have_alg ? rtsp_auth_digest_algorithm(algorithm, &sess) : RTSP_DIGEST_MD5;
    if (alg < 0)
        return NVR_EINVAL;
    const EVP_MD *md = alg == RTSP_DIGEST_SHA256 ? EVP_sha256() : EVP_md5();
    int use_qop = 0;
    if (rtsp_auth_param(params, "qop", qop, sizeof qop)) {
        /* a list such as "auth,auth-int": we do "auth" */
        char *save = NULL;
        for (char *t = strtok_r(qop, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
            if (strcasecmp(t, "auth") == 0)
                use_qop = 1;
    }
    if (cnonce) {
        snprintf(cn, sizeof cn, "%s", cnonce);
    } else {
        unsigned char rnd[8];
        if (RAND_bytes(rnd, sizeof rnd) != 1)
            memset(rnd, 0x5a, sizeof rnd);
        for (unsigned i = 0; i < sizeof rnd; i++)
            snprintf(cn + 2 * i, 3, "%02x", rnd[i]);
    }
    char buf[1536], ha1[HEX_MAX], ha2[HEX_MAX], resp[HEX_MAX], ncs[9];
    snprintf(ncs, sizeof ncs, "%08x", nc);
    snprintf(buf, sizeof buf, "%s:%s:%s", user, realm, password);
    hash_hex(md, buf, ha1);
    if (sess) {
        snprintf(buf, sizeof buf, "%s:%s:%s", ha1, nonce, cn);
        hash_hex(md, buf, ha1);
    }
    snprintf(buf, sizeof buf, "%s:%s", method, uri);
    hash_hex(md, buf, ha2);
    if (use_qop)
        snprintf(buf, sizeof buf, "%s:%s:%s:%s:auth:%s", ha1, nonce, ncs, cn, ha2);
    else
        snprintf(buf, sizeof buf, "%s:%s:%s", ha1, nonce, ha2);
    hash_hex(md, buf, resp);
    if (!resp[0])
        return NVR_EINVAL;
    int n = snprintf(out, outlen, "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", response=\"%s\"",
                     user, realm, nonce, uri, resp);
    if (n >= 0 && (size_t)n < outlen && have_opaque)
        n += snprintf(out + n, outlen - (size_t)n, ", opaque=\"%s\"", opaque);
    if (n >= 0 && (size_t)n < outlen && have_alg)
        n += snprintf(out + n, outlen - (size_t)n, ", algorithm=%s", algorithm);
    if (n >= 0 && (size_t)n < outlen && use_qop)
        n += snprintf(out + n, outlen - (size_t)n, ", qop=auth, nc=%s, cnonce=\"%s\"", ncs, cn);
    return n < 0 || (size_t)n >= outlen ? NVR_EINVAL : NVR_OK;
}
