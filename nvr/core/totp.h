/* SPDX-License-Identifier: Apache-2.0 */
/*
 * totp.h - RFC 6238 time-based one-time passwords (HMAC-SHA1 through
 * OpenSSL, 30 s steps, 6 digits) and the text forms around them: base32
 * secrets (RFC 4648, no padding), otpauth:// URIs, recovery codes.
 *
 * Pure functions, no state: the replay rule's memory (the last step
 * accepted) is the caller's, kept in the index (storage/totp_store.h).
 *
 * Threads: any.
 */
#ifndef NVR_CORE_TOTP_H
#define NVR_CORE_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_STEP_S 30
#define TOTP_DIGITS 6
#define TOTP_SKEW_STEPS 1    /* the previous and the next step are accepted too */
#define TOTP_B32_LEN 64      /* base32 of up to 39 bytes, NUL included */
#define TOTP_RECOVERY_LEN 12 /* "xxxxx-xxxxx" and NUL */
#define TOTP_URI_LEN 512

/* RFC 4226 HOTP of counter under key: the dynamic truncation, modulo
 * 10^digits (digits 1 to 9). */
uint32_t totp_hotp(const uint8_t *key, size_t keylen, uint64_t counter, int digits);

/* The time step of unix time t (seconds). */
int64_t totp_step(int64_t t);

/* The step at which code (TOTP_DIGITS digits; spaces ignored) matches key
 * within TOTP_SKEW_STEPS of the step of now_s, looking only at steps above
 * last_step (a step already used is never accepted again: replay); -1 if
 * none.  Compared in constant time. */
int64_t totp_match(const uint8_t *key, size_t keylen, const char *code, int64_t now_s, int64_t last_step);

/* RFC 4648 base32 of in[0..n) without padding into out (TOTP_B32_LEN). */
void totp_base32(const uint8_t *in, size_t n, char out[TOTP_B32_LEN]);

/* otpauth://totp/ISSUER:NAME?secret=...&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
 * (name and issuer percent-encoded). */
void totp_uri(const char *issuer, const char *name, const char *secret_b32, char out[TOTP_URI_LEN]);

/* A recovery code made of 50 random bits (10 base32 letters, lower case, a
 * dash in the middle) from rnd[0..7). */
void totp_recovery_format(const uint8_t rnd[7], char out[TOTP_RECOVERY_LEN]);

/* in as stored: lower case, dashes and spaces left out; 0, or -1 when it
 * holds anything but 10 base32 letters. */
int totp_recovery_normalize(const char *in, char out[TOTP_RECOVERY_LEN]);

#endif
