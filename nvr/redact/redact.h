/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redact.h - a redacted copy of an export for a records request: a new zip
 * that is a signed derivative of the original (docs/design/export.md
 * "Redacted copies", docs/guide/records-requests.md).
 *
 * The original is verified first, against this recorder's own key: a
 * tampered original, or one another recorder signed, is refused.  Then
 * every stream-copied MP4 of it (not the burn-time copies, not the native
 * files) is re-encoded with the redactions burned in (redact_render.h), and
 * the new zip holds:
 *   STEM-redacted.mp4   per original STEM.mp4
 *   redactions.json     the document as applied (redact_doc_write)
 *   SHA256SUMS.txt      the files above, for sha256sum -c
 *   README.txt          for the recipient: what this is and how to check it
 *   manifest.json       format "nvr-redacted-export/1": the request (number,
 *                       requester), operator, "derived_from" (the original's
 *                       manifest SHA-256, its signature and signer, its
 *                       files), every redaction with the frames and times it
 *                       covered per file, its mode, source and who; the
 *                       mute ranges with the samples silenced; every file's
 *                       SHA-256
 *   manifest.json.sig   Ed25519, the recorder's key, as exports are signed
 *   public-key.pem
 * So `nvr verify` checks it alone like any export (an edited redaction
 * list breaks the signature), and export_verify_chain (export.h) checks it
 * against its original.  Temporary files are written beside out_path
 * (OUT.zip.redact-*) and removed; the zip appears whole or not at all.
 *
 * Threads: runs in the caller's thread (the CLI, or the export worker).
 */
#ifndef NVR_REDACT_H
#define NVR_REDACT_H

#include "base/err.h"
#include "export/export.h"
#include "export/sign.h"
#include "redact/redact_doc.h"
#include "redact/redact_render.h"

#include <stddef.h>
#include <stdint.h>

#define REDACT_FORMAT "nvr-redacted-export/1"
#define REDACT_TEXT_MAX 256

struct redact_request {
    char request_number[REDACT_TEXT_MAX]; /* the records request's reference ("" : none given) */
    char requester[REDACT_TEXT_MAX];      /* who asked for it */
    char operator_name[EXPORT_OPERATOR_MAX];
    char ref[EXPORT_REF_MAX]; /* this redacted copy's id */
    const char *preset;       /* libx264 preset, NULL: veryfast */
};

struct redact_result {
    uint64_t zip_bytes;
    uint64_t frames;                   /* video frames rendered, all files */
    double video_seconds;              /* their duration */
    double render_seconds;             /* wall time spent rendering */
    int width, height;                 /* of the last file */
    char cameras[512];                 /* the cameras' ids, comma-separated */
    char original_ref[EXPORT_REF_MAX]; /* the original's id when its manifest names it, else "" */
    char original_manifest_sha256[65];
};

/* Checks request texts (valid UTF-8, sizes); NVR_EINVAL with a message. */
nvr_err redact_check_request(const struct redact_request *req, char *err, size_t errlen);

/* Writes the redacted copy of export_zip to out_path.  doc's shapes
 * without "by" are credited to req->operator_name.  NVR_ECORRUPT if the
 * original does not verify (err says what failed), NVR_EINVAL if it is not
 * an export this can redact; other errors with a message in err.  progress
 * (may be NULL) gets 0..1 over all files. */
nvr_err redact_run(const struct sign_key *key, const char *export_zip, struct redact_doc *doc,
                   const struct redact_request *req, const char *out_path, redact_progress_fn progress, void *arg,
                   struct redact_result *res, char *err, size_t errlen);

/* The access-log detail of a redaction: "redacted=REF of=ORIG request=NUM
 * requester=NAME" (texts cut to fit). */
void redact_log_detail(const struct redact_request *req, const struct redact_result *res, char *out, size_t n);

#endif
