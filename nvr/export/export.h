/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export.h - investigation export: a zip that proves itself.
 *
 * An export of cameras over [from, to) is one zip (libzip; entries stored,
 * not compressed -- video does not compress), its files named by the
 * camera's name and id (export_names.h: "main-lobby_lobby.mp4"):
 *   STEM.mp4 (STEM-partN.mp4) per camera, see export_mp4.h
 *   STEM-with-time.mp4        after each, with req->burn_time: a copy with the
 *                             time burned in (export_burn.h), a derivative
 *   native/STEM/FILE.mp4      the stored segment files as they are (option)
 *   SHA256SUMS.txt            every file above's SHA-256, for sha256sum -c
 *   README.txt                for the recipient: what this is (case, reason,
 *                             cameras, range in UTC and local time), every
 *                             file's SHA-256, how to check them and the
 *                             signature (export_readme.h)
 *   manifest.json             cameras, range (UTC and local, time zone),
 *                             operator, reason, case, server version, export
 *                             time, every file's SHA-256 (the two texts
 *                             above included), and each source segment's
 *                             SHA-256 as recorded at ingest
 *   manifest.json.sig         detached Ed25519 signature of manifest.json
 *   public-key.pem            the server's public key (sign.h)
 * Entries are written in that order, each hashed as it streams into the
 * zip; the two texts and the manifest are built when their turn comes,
 * after the footage, so they know every hash and the footage is read
 * exactly once.  libzip writes to a temporary file and renames it at the
 * end, so a reader never sees a partial zip.
 *
 * While it reads, the export keeps its footage from retention with a
 * temporary hold (holds.h: export_pid = this process), released when it
 * ends; a crash leaves the hold to holds_release_orphans.  The manifest
 * lists the export's own access-log entries (those whose detail names
 * req->ref) and the log's newest entry, which pins the log's history.
 *
 * Threads: export_run runs in the caller's thread (the CLI, or the export
 * worker of export_jobs.h) and reads the index through the reader
 * connection; the progress callback is called from that thread.
 */
#ifndef NVR_EXPORT_H
#define NVR_EXPORT_H

#include "base/err.h"
#include "base/config.h"
#include "export/sign.h"
#include "storage/storage.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define EXPORT_MAX_CAMERAS 64
#define EXPORT_MAX_RANGE_US (7LL * 24 * 3600 * 1000000) /* 7 days */
#define EXPORT_TEXT_MAX 1024                            /* reason, case */

/* The operator: the signed-in user over HTTP, the Unix user for the CLI. */
#define EXPORT_OPERATOR_MAX 128
#define EXPORT_REF_MAX 40 /* the export's id as the access log names it ("export=ID") */

struct export_request {
    char cameras[EXPORT_MAX_CAMERAS][INDEX_ID_MAX];
    char names[EXPORT_MAX_CAMERAS][128]; /* display names for the manifest ("" : the id) */
    size_t ncameras;
    int64_t from_us, to_us;
    char reason[EXPORT_TEXT_MAX];
    char case_id[EXPORT_TEXT_MAX];
    char operator_name[EXPORT_OPERATOR_MAX];
    int native;    /* also include the original segment files */
    int burn_time; /* also a copy of each video with the wall-clock time burned in (export_burn.h) */
    char makers[EXPORT_MAX_CAMERAS][128], models[EXPORT_MAX_CAMERAS][128]; /* "" : unknown */
    char ref[EXPORT_REF_MAX]; /* the id its access-log entries carry ("export=ID"), "" if none */
    int64_t requested_us;     /* when it was asked for (its access-log entries are at or after it) */
};

/* A new export id: 32 random hex digits (unguessable), NUL-terminated. */
nvr_err export_new_id(char id[EXPORT_REF_MAX]);

/* Fills req->makers/models from the audit's stored ONVIF answers
 * (data_dir/audit.json, docs/design/audit.md) where a camera was probed. */
void export_request_devices(struct export_request *req, const char *data_dir);

/* Checks a request: cameras given and not repeated, times ordered, range
 * at most EXPORT_MAX_RANGE_US, texts valid UTF-8.  NVR_EINVAL with a
 * message in err otherwise.  Whether the cameras exist (and whether the
 * requester may see them) is the caller's check. */
nvr_err export_check_request(const struct export_request *req, char *err, size_t errlen);

/* Whether any camera of req has footage in its range (1/0), or a negative
 * nvr_err. */
int export_has_footage(nvr_index *ix, const struct export_request *req);

/* Progress: fraction 0..1 of the footage bytes written so far.  Returning
 * non-zero stops the export (it then fails with NVR_ESTOPPED). */
typedef int (*export_progress_fn)(void *arg, double fraction);

/* Writes the export to out_path (replaced atomically).  *zip_bytes gets the
 * zip's size.  On failure returns a negative nvr_err with a message in err
 * (NVR_ENOTFOUND: nothing recorded in the range) and leaves no file. */
nvr_err export_run(struct storage *st, const struct sign_key *key, const struct export_request *req,
                   const char *out_path, export_progress_fn progress, void *arg, uint64_t *zip_bytes, char *err,
                   size_t errlen);

/* Verifies an export zip: the signature of manifest.json with the enclosed
 * public key, and every file's size and SHA-256 against the manifest.
 * Writes a line per check to report ("ok: NAME", "FAILED: NAME: why"),
 * the key's fingerprint, and a summary.  *problems counts the failures.
 * Returns NVR_OK when the checks ran (whatever they found), or an error
 * when the zip could not be opened at all. */
nvr_err export_verify(const char *zip_path, FILE *report, int *problems);

/* export_verify, and the signer must be the key with fingerprint pin
 * ("sha256:" + 64 lowercase hex, sign_fingerprint's form): any other signer
 * is a problem ("FAILED: signer: ...").  With pin NULL the signer is not
 * pinned, and the report says so loudly: an export re-signed with a fresh
 * key verifies, so the fingerprint must then be compared out of band. */
nvr_err export_verify_pinned(const char *zip_path, const char *pin, FILE *report, int *problems);

/* Verifies a derivative export (a redacted copy, nvr/redact/redact.h)
 * against its original (export_chain.c): both zips as export_verify_pinned
 * does (pin as there), then that the derivative's signed "derived_from"
 * names the original's manifest SHA-256, signature and signer, that every
 * video it holds names ("of", "of_sha256") a file of the original, and that
 * one key signed both.  Report lines and *problems as export_verify. */
nvr_err export_verify_chain(const char *original, const char *derived, const char *pin, FILE *report, int *problems);

#endif
