/* SPDX-License-Identifier: Apache-2.0 */
/*
 * backup_seal.c - passphrase sealing with scrypt and AES-256-GCM (see
 * backup_seal.h).  Keeps no state; the derived key is wiped after use.
 */
#include "backup/backup_seal.h"

#include "base/err.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "NVRSEAL1"
#define MAGIC_LEN 8
#define LOG2_N 15
#define SCRYPT_R 8
#define SCRYPT_P 1
#define SALT_LEN 16
#define NONCE_LEN 12
#define TAG_LEN 16
#define HEAD_LEN (MAGIC_LEN + 3 + SALT_LEN + NONCE_LEN)
#define MAXMEM (128u << 20)

int backup_is_sealed(const void *buf, size_t n)
{
    return n >= HEAD_LEN + TAG_LEN && memcmp(buf, MAGIC, MAGIC_LEN) == 0;
}

static nvr_err derive(const char *pass, const unsigned char *head, unsigned char key[32])
{
    int log2n = head[MAGIC_LEN], r = head[MAGIC_LEN + 1], p = head[MAGIC_LEN + 2];
    if (log2n < 10 || log2n > 22 || r < 1 || r > 32 || p < 1 || p > 16)
        return NVR_EINVAL;
    if (EVP_PBE_scrypt(pass, strlen(pass), head + MAGIC_LEN + 3, SALT_LEN, (uint64_t)1 << log2n, (uint64_t)r,
                       (uint64_t)p, MAXMEM, key, 32) != 1)
        return NVR_ENOMEM;
    return NVR_OK;
}

/* AES-256-GCM over in[0..n) with head as associated data; enc 1 seals (tag
 * written), 0 opens (tag checked). */
static nvr_err gcm(int enc, const unsigned char key[32], const unsigned char *head, const unsigned char *in, size_t n,
                   unsigned char *out, unsigned char tag[TAG_LEN])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len, rc = NVR_ENOMEM;
    if (!c || n > (size_t)INT32_MAX)
        goto out;
    if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
        EVP_CipherInit_ex(c, NULL, NULL, key, head + MAGIC_LEN + 3 + SALT_LEN, enc) != 1 ||
        EVP_CipherUpdate(c, NULL, &len, head, HEAD_LEN) != 1 || EVP_CipherUpdate(c, out, &len, in, (int)n) != 1)
        goto out;
    if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1)
        goto out;
    if (EVP_CipherFinal_ex(c, out + len, &len) != 1) {
        rc = enc ? NVR_ENOMEM : NVR_EAUTH;
        goto out;
    }
    if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1)
        goto out;
    rc = NVR_OK;
out:
    EVP_CIPHER_CTX_free(c);
    return rc;
}

nvr_err backup_seal(const char *passphrase, const void *plain, size_t n, unsigned char **out, size_t *outlen)
{
    unsigned char key[32], *buf = malloc(HEAD_LEN + n + TAG_LEN);
    int rc = NVR_ENOMEM;
    *out = NULL;
    if (!buf)
        return NVR_ENOMEM;
    memcpy(buf, MAGIC, MAGIC_LEN);
    buf[MAGIC_LEN] = LOG2_N;
    buf[MAGIC_LEN + 1] = SCRYPT_R;
    buf[MAGIC_LEN + 2] = SCRYPT_P;
    if (RAND_bytes(buf + MAGIC_LEN + 3, SALT_LEN + NONCE_LEN) != 1)
        goto out;
    if ((rc = derive(passphrase, buf, key)))
        goto out;
    if ((rc = gcm(1, key, buf, plain, n, buf + HEAD_LEN, buf + HEAD_LEN + n)))
        goto out;
    *out = buf;
    *outlen = HEAD_LEN + n + TAG_LEN;
    buf = NULL;
out:
    OPENSSL_cleanse(key, sizeof key);
    free(buf);
    return rc;
}

nvr_err backup_unseal(const char *passphrase, const unsigned char *in, size_t n, char **out, size_t *outlen)
{
    unsigned char key[32], tag[TAG_LEN];
    char *buf = NULL;
    size_t clen;
    int rc;
    *out = NULL;
    if (!backup_is_sealed(in, n))
        return NVR_EINVAL;
    clen = n - HEAD_LEN - TAG_LEN;
    if (!(buf = malloc(clen + 1)))
        return NVR_ENOMEM;
    memcpy(tag, in + n - TAG_LEN, TAG_LEN);
    if ((rc = derive(passphrase, in, key)))
        goto out;
    if ((rc = gcm(0, key, in, in + HEAD_LEN, clen, (unsigned char *)buf, tag)))
        goto out;
    buf[clen] = '\0';
    *out = buf;
    *outlen = clen;
    buf = NULL;
out:
    OPENSSL_cleanse(key, sizeof key);
    if (buf) {
        OPENSSL_cleanse(buf, clen);
        free(buf);
    }
    return rc;
}
