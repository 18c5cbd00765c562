/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sha256.h - SHA-256 of segment files, through OpenSSL's libcrypto (which
 * uses the CPU's SHA instructions where there are some: every recorded byte
 * is hashed once, so this is on the hot path).
 *
 * Threads: any; a context is used by one thread at a time.
 */
#ifndef NVR_STORAGE_SHA256_H
#define NVR_STORAGE_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256;

/* A new context, ready for data; NULL on allocation failure. */
struct sha256 *sha256_new(void);

void sha256_update(struct sha256 *h, const void *data, size_t len);

/* Writes the digest; the context may not be updated afterwards. */
void sha256_final(struct sha256 *h, uint8_t out[32]);

/* Frees *h and sets it NULL; tolerates NULL. */
void sha256_free(struct sha256 **h);

#endif
