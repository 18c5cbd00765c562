/* SPDX-License-Identifier: Apache-2.0 */
/*
 * backup_seal.h - a small secret (the export signing key) sealed with a
 * passphrase for a backup: scrypt (N = 2^15, r = 8, p = 1) derives a
 * 256-bit key from the passphrase and a random 16-byte salt, and
 * AES-256-GCM encrypts with a random 12-byte nonce, the header being the
 * associated data (OpenSSL EVP).
 *
 *   "NVRSEAL1" | log2(N) r p (1 byte each) | salt(16) | nonce(12) | ciphertext | tag(16)
 *
 * A wrong passphrase and a changed byte are the same failure to GCM: the
 * caller tells them apart by checking the archive's hashes first.
 *
 * Threads: any; no state.
 */
#ifndef NVR_BACKUP_SEAL_H
#define NVR_BACKUP_SEAL_H

#include "base/err.h"

#include <stddef.h>

/* Seals plain[0..n) into *out (malloc'ed; the caller frees), *outlen bytes. */
nvr_err backup_seal(const char *passphrase, const void *plain, size_t n, unsigned char **out, size_t *outlen);

/* Opens a sealed buffer into *out (malloc'ed, NUL-terminated; the caller
 * wipes and frees).  NVR_EAUTH if the passphrase is wrong (or the bytes
 * changed), NVR_EINVAL if it is not a sealed buffer. */
nvr_err backup_unseal(const char *passphrase, const unsigned char *in, size_t n, char **out, size_t *outlen);

/* Whether buf starts like a sealed buffer. */
int backup_is_sealed(const void *buf, size_t n);

#endif
