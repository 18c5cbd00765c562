/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sign.h - the server's own Ed25519 signing key, through OpenSSL's EVP
 * interface (libcrypto; no cryptography is written here).
 *
 * The private key lives in data_dir/signing-key.pem (PKCS#8 PEM, mode 0600),
 * made the first time it is asked for: written to a temporary file and
 * link()ed into place, so two processes starting at once agree on one key.
 * Exports carry the public key as SubjectPublicKeyInfo PEM, which
 * `openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin` reads.
 *
 * Threads: a loaded key is immutable; sign_data may be called from any
 * thread.
 */
#ifndef NVR_SIGN_H
#define NVR_SIGN_H

#include "base/err.h"
#include <stddef.h>
#include <stdint.h>

#define SIGN_SIG_BYTES 64
#define SIGN_FPR_BUFSZ 72 /* "sha256:" + 64 hex + NUL */
#define SIGN_KEY_FILE "signing-key.pem"

struct sign_key;

/* Loads data_dir/signing-key.pem, creating it if there is none.  *out owns
 * the key (free with sign_key_free). */
nvr_err sign_key_load_or_create(const char *data_dir, struct sign_key **out);

/* Loads an existing key only (NVR_ENOTFOUND if there is none). */
nvr_err sign_key_load(const char *data_dir, struct sign_key **out);

void sign_key_free(struct sign_key **k);

/* Ed25519 signature of data into sig. */
nvr_err sign_data(const struct sign_key *k, const void *data, size_t len, uint8_t sig[SIGN_SIG_BYTES]);

/* The public key as PEM: a new NUL-terminated string in *pem (free()). */
nvr_err sign_public_pem(const struct sign_key *k, char **pem);

/* "sha256:" and the hex SHA-256 of the raw 32-byte public key. */
nvr_err sign_fingerprint(const struct sign_key *k, char out[SIGN_FPR_BUFSZ]);

/* The fingerprint of an Ed25519 key given as PEM: a public key
 * (SubjectPublicKeyInfo, as in an export's public-key.pem or `nvr version
 * --key`) or a private key (signing-key.pem); text before the PEM block is
 * skipped.  NVR_EINVAL if there is no Ed25519 key in it. */
nvr_err sign_pem_fingerprint(const char *pem, size_t pemlen, char fpr[SIGN_FPR_BUFSZ]);

/* "sha256:HEX", "HEX" (64 hex digits, either case, ':' or ' ' between
 * them allowed) into sign_fingerprint's form; NVR_EINVAL otherwise. */
nvr_err sign_fingerprint_parse(const char *text, char fpr[SIGN_FPR_BUFSZ]);

/* Verifies sig over data with a public key given as PEM; *fpr (if not
 * NULL) receives that key's fingerprint.  NVR_OK if valid, NVR_ECORRUPT if
 * the signature does not match, NVR_EINVAL if the key or signature cannot
 * be read. */
nvr_err sign_verify_pem(const char *pem, size_t pemlen, const void *data, size_t len, const uint8_t *sig, size_t siglen,
                        char fpr[SIGN_FPR_BUFSZ]);

#endif
