/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export_district.h - a district export: one zip made by the district
 * console (nvr/console) from the exports of several sites' recorders
 * (docs/design/export.md "District exports").
 *
 *   README.txt               for the recipient: what this is, how to check it
 *   sites/SITE/export.zip    each site's own signed export (export.h), byte
 *                            for byte as its recorder made it
 *   manifest.json            kind "district_export": id, requester, reason,
 *                            case, range, and per site its name, recorder
 *                            URL, cameras, the recorder's export id, the
 *                            inner zip's SHA-256 and size and the
 *                            fingerprint of the key that signed it; "files"
 *                            lists README.txt and the inner zips as an
 *                            export's manifest does
 *   manifest.json.sig        Ed25519 signature of manifest.json by the
 *                            console's own key (sign.h, the console's data_dir)
 *   public-key.pem           the console's public key
 *
 * Invariants: the console signs only inner zips that verify (export_verify)
 * and records their signer; verifying checks the console's signature, every
 * listed file's SHA-256, then each inner zip with export_verify_pinned pinned
 * to the signer the signed outer manifest names.  An inner zip changed,
 * swapped for another (even a genuine export signed by another key) or an
 * outer manifest edited each fail.
 *
 * Threads: no shared state; the caller's thread.
 */
#ifndef NVR_EXPORT_DISTRICT_H
#define NVR_EXPORT_DISTRICT_H

#include "base/err.h"
#include "export/sign.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DISTRICT_KIND "district_export"
#define DISTRICT_FORMAT "nvr-district-export-1"
#define DISTRICT_SITE_MAX 64
#define DISTRICT_CAMERAS_MAX 64

struct district_site {
    char site[DISTRICT_SITE_MAX + 1];
    char url[1024];                          /* where the console reached its recorder */
    char cameras[DISTRICT_CAMERAS_MAX][132]; /* "SITE.ID" */
    size_t ncameras;
    char export_id[64]; /* the recorder's own export id */
    char path[4096];    /* the recorder's zip, downloaded */
};

struct district_request {
    char id[40];
    char requester[128];
    char reason[1024], case_id[1024];
    int64_t from_us, to_us;
    size_t nsites;
    const struct district_site *sites; /* borrowed, nsites of them */
};

/* Checks every site's zip (export_verify: its signature and files) and
 * writes the district export to out_path (replaced atomically, nothing
 * left on failure), signed with key.  *bytes gets its size.  NVR_ECORRUPT
 * when an inner zip does not verify; a message in err on any failure. */
nvr_err export_district_write(const struct sign_key *key, const struct district_request *req, const char *out_path,
                              uint64_t *bytes, char *err, size_t errlen);

/* Whether zip_path is a zip whose manifest.json has kind "district_export". */
int export_district_is(const char *zip_path);

/* Verifies a district export: the console's signature (pinned to pin, a
 * sign_fingerprint form, when not NULL), the files, and each inner export
 * pinned to the signer the manifest names (its report lines prefixed with
 * the site).  Report and *problems as export_verify; NVR_OK when the
 * checks ran, an error when the zip could not be opened at all. */
nvr_err export_district_verify(const char *zip_path, const char *pin, FILE *report, int *problems);

#endif
