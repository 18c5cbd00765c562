/* SPDX-License-Identifier: Apache-2.0 */
/*
 * signed_report.h - a dated text document signed with the recorder's
 * Ed25519 key (the one exports are signed with, sign.h): the NDAA audit and
 * containment report (cli_audit.c `nvr audit --signed-report`), checked by
 * `nvr verify REPORT` (docs/guide/compliance.md).
 *
 * Format: the body, which starts with the line SIGNED_REPORT_MAGIC, then a
 * trailer
 *   -----BEGIN NVR SIGNATURE-----
 *   algorithm: Ed25519
 *   signed-bytes: N            (the body's length: everything before this block)
 *   key: sha256:HEX            (the fingerprint `nvr version --key` prints)
 *   signature: BASE64          (Ed25519 over the body's N bytes)
 *   -----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----
 *   -----END NVR SIGNATURE-----
 * Verification recomputes the trailer from what it parsed and compares it
 * byte for byte, so a change of any one byte of the file, body or trailer,
 * fails.  The body can also be checked with openssl: cut the body's N bytes,
 * base64-decode the signature, `openssl pkeyutl -verify -pubin -inkey
 * key.pem -rawin -in body -sigfile sig`.
 * Threads: any; no state.
 */
#ifndef NVR_SIGNED_REPORT_H
#define NVR_SIGNED_REPORT_H

#include "base/err.h"
#include "export/sign.h"

#include <stddef.h>
#include <stdio.h>

#define SIGNED_REPORT_MAGIC "NVR SIGNED REPORT v1\n"

/* Writes body (which must start with SIGNED_REPORT_MAGIC) and its trailer. */
nvr_err signed_report_write(FILE *f, const struct sign_key *k, const char *body, size_t len);

/* 1 if the file at path starts with SIGNED_REPORT_MAGIC. */
int signed_report_is(const char *path);

/* Checks the file at path: prints "ok: ..." / "FAILED: ..." lines to
 * report, counts failures in *problems.  pin (sign_fingerprint form) or
 * NULL: the signer must be that key.  Returns 0 when the check ran
 * (whatever it found), NVR_EIO if the file cannot be read. */
nvr_err signed_report_verify(const char *path, const char *pin, FILE *report, int *problems);

#endif
