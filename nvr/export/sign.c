/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sign.c - Ed25519 key, signatures and fingerprints with OpenSSL's EVP
 * (see sign.h).
 */
#include "export/sign.h"

#include "base/err.h"
#include "base/log.h"
#include "storage/documents.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct sign_key {
    EVP_PKEY *pkey;
};

#define KEY_MAX 16384 /* a PEM Ed25519 key is about 120 bytes */

/* Reads data_dir/SIGN_KEY_FILE through storage's documents. */
static nvr_err read_key(const char *data_dir, struct sign_key **out)
{
    char *pem = NULL;
    size_t len = 0;
    int rc = storage_document_get(data_dir, SIGN_KEY_FILE, KEY_MAX, &pem, &len);
    if (rc)
        return rc;
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *pk = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    OPENSSL_cleanse(pem, len);
    free(pem);
    if (!pk || EVP_PKEY_get_base_id(pk) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(pk);
        nvr_log(NVR_ERROR, NULL, "signing key is not an Ed25519 private key path=%s/%s", data_dir, SIGN_KEY_FILE);
        return NVR_EINVAL;
    }
    if (!(*out = calloc(1, sizeof **out))) {
        EVP_PKEY_free(pk);
        return NVR_ENOMEM;
    }
    (*out)->pkey = pk;
    return NVR_OK;
}

nvr_err sign_key_load(const char *data_dir, struct sign_key **out)
{
    *out = NULL;
    return read_key(data_dir, out);
}

/* Makes a new key and stores it (0600) unless one exists: another process
 * that won the race keeps its key, and both then read the same file. */
static nvr_err create_key(const char *data_dir)
{
    int rc = NVR_ENOMEM, created = 0;
    char *pem = NULL;
    long len = 0;
    BIO *b = BIO_new(BIO_s_mem());
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (!pk || !b || !PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL) ||
        (len = BIO_get_mem_data(b, &pem)) <= 0)
        goto out;
    rc = storage_document_create(data_dir, SIGN_KEY_FILE, pem, (size_t)len, &created);
    if (rc)
        nvr_log(NVR_ERROR, NULL, "cannot create the signing key path=%s/%s error=\"%s\"", data_dir, SIGN_KEY_FILE,
                nvr_strerror(rc));
out:
    if (pem && len > 0)
        OPENSSL_cleanse(pem, (size_t)len);
    BIO_free(b);
    EVP_PKEY_free(pk);
    return rc;
}

nvr_err sign_key_load_or_create(const char *data_dir, struct sign_key **out)
{
    *out = NULL;
    int rc = read_key(data_dir, out);
    if (rc != NVR_ENOTFOUND)
        return rc;
    if ((rc = create_key(data_dir)))
        return rc;
    if ((rc = read_key(data_dir, out)) == NVR_OK) {
        char fpr[SIGN_FPR_BUFSZ];
        sign_fingerprint(*out, fpr);
        nvr_log(NVR_INFO, NULL, "signing key created path=%s/%s fingerprint=%s", data_dir, SIGN_KEY_FILE, fpr);
    }
    return rc;
}

void sign_key_free(struct sign_key **k)
{
    if (!*k)
        return;
    EVP_PKEY_free((*k)->pkey);
    free(*k);
    *k = NULL;
}

nvr_err sign_data(const struct sign_key *k, const void *data, size_t len, uint8_t sig[SIGN_SIG_BYTES])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t siglen = SIGN_SIG_BYTES;
    int rc = NVR_EINVAL;
    if (!ctx)
        return NVR_ENOMEM;
    if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 && EVP_DigestSign(ctx, sig, &siglen, data, len) == 1 &&
        siglen == SIGN_SIG_BYTES)
        rc = NVR_OK;
    EVP_MD_CTX_free(ctx);
    return rc;
}

static nvr_err pem_of(EVP_PKEY *pk, char **pem)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data;
    int rc = NVR_ENOMEM;
    *pem = NULL;
    if (!b)
        return NVR_ENOMEM;
    if (PEM_write_bio_PUBKEY(b, pk)) {
        long n = BIO_get_mem_data(b, &data);
        if (n > 0 && (*pem = malloc((size_t)n + 1))) {
            memcpy(*pem, data, (size_t)n);
            (*pem)[n] = '\0';
            rc = NVR_OK;
        }
    }
    BIO_free(b);
    return rc;
}

nvr_err sign_public_pem(const struct sign_key *k, char **pem)
{
    return pem_of(k->pkey, pem);
}

static nvr_err fingerprint_of(EVP_PKEY *pk, char out[SIGN_FPR_BUFSZ])
{
    uint8_t raw[32], md[32];
    size_t n = sizeof raw;
    static const char hex[] = "0123456789abcdef";
    if (EVP_PKEY_get_raw_public_key(pk, raw, &n) != 1 || n != sizeof raw)
        return NVR_EINVAL;
    SHA256(raw, sizeof raw, md);
    memcpy(out, "sha256:", 7);
    for (int i = 0; i < 32; i++) {
        out[7 + 2 * i] = hex[md[i] >> 4];
        out[8 + 2 * i] = hex[md[i] & 15];
    }
    out[71] = '\0';
    return NVR_OK;
}

nvr_err sign_fingerprint(const struct sign_key *k, char out[SIGN_FPR_BUFSZ])
{
    return fingerprint_of(k->pkey, out);
}

nvr_err sign_pem_fingerprint(const char *pem, size_t pemlen, char fpr[SIGN_FPR_BUFSZ])
{
    BIO *b = BIO_new_mem_buf(pem, (int)pemlen);
    EVP_PKEY *pk = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
    int rc = NVR_EINVAL;
    if (!pk && b) {
        ERR_clear_error();
        BIO_free(b);
        b = BIO_new_mem_buf(pem, (int)pemlen);
        pk = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    }
    ERR_clear_error();
    if (pk && EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519)
        rc = fingerprint_of(pk, fpr);
    EVP_PKEY_free(pk);
    BIO_free(b);
    return rc;
}

nvr_err sign_fingerprint_parse(const char *text, char fpr[SIGN_FPR_BUFSZ])
{
    size_t n = 0;
    if (strncasecmp(text, "sha256:", 7) == 0)
        text += 7;
    memcpy(fpr, "sha256:", 7);
    for (const char *p = text; *p; p++) {
        if (*p == ':' || *p == ' ')
            continue;
        if (!isxdigit((unsigned char)*p) || n == 64)
            return NVR_EINVAL;
        fpr[7 + n++] = (char)tolower((unsigned char)*p);
    }
    fpr[7 + n] = '\0';
    return n == 64 ? NVR_OK : NVR_EINVAL;
}

nvr_err sign_verify_pem(const char *pem, size_t pemlen, const void *data, size_t len, const uint8_t *sig, size_t siglen,
                        char fpr[SIGN_FPR_BUFSZ])
{
    BIO *b = BIO_new_mem_buf(pem, (int)pemlen);
    EVP_PKEY *pk = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
    EVP_MD_CTX *ctx = NULL;
    int rc = NVR_EINVAL;
    if (!pk || EVP_PKEY_get_base_id(pk) != EVP_PKEY_ED25519 || siglen != SIGN_SIG_BYTES)
        goto out;
    if (fpr && fingerprint_of(pk, fpr))
        goto out;
    if (!(ctx = EVP_MD_CTX_new())) {
        rc = NVR_ENOMEM;
        goto out;
    }
    if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk) != 1)
        goto out;
    rc = EVP_DigestVerify(ctx, sig, siglen, data, len) == 1 ? NVR_OK : NVR_ECORRUPT;
out:
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pk);
    BIO_free(b);
    return rc;
}
