/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sha256.c - SHA-256 via libcrypto's EVP interface (see sha256.h).
 */
#include "storage/sha256.h"

#include <openssl/evp.h>

/* struct sha256 is never defined: a handle is an EVP_MD_CTX in disguise. */

struct sha256 *sha256_new(void)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return NULL;
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    /* the struct is just the context pointer: store it as the handle */
    return (struct sha256 *)ctx;
}

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
    EVP_DigestUpdate((EVP_MD_CTX *)h, data, len);
}

void sha256_final(struct sha256 *h, uint8_t out[32])
{
    unsigned int n = 32;
    EVP_DigestFinal_ex((EVP_MD_CTX *)h, out, &n);
}

void sha256_free(struct sha256 **h)
{
    if (!*h)
        return;
    EVP_MD_CTX_free((EVP_MD_CTX *)*h);
    *h = NULL;
}
