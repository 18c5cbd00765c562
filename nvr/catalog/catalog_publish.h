/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_publish.h - one publish of this recorder into the catalog: the
 * site row, a row per camera (its state now, or "removed"), and coverage
 * runs (docs/design/catalog.md).
 *
 * A run is a maximal chain of segments each starting where the previous one
 * ended (playback/coverage.h); the catalog keeps one row per run, keyed by
 * its start.  The publisher remembers per camera the last run it wrote
 * (start, end) and next time reads only the segments that end after that
 * end: a run that goes on is the same row with a later end, a gap starts a
 * new row.  Retention is followed by the camera's oldest footage: rows that
 * end before it are deleted and the one it falls in starts there.
 *
 * Invariant P1: the remembered runs are only trusted after a publish that
 * committed.  Any failure forgets them all (catalog_publish_forget), so
 * the next publish reads the last run of each camera back from the catalog
 * and goes on from there: nothing published is lost, nothing is skipped.
 *
 * Threads: the publisher's only.
 */
#ifndef NVR_CATALOG_PUBLISH_H
#define NVR_CATALOG_PUBLISH_H

#include "base/err.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

struct nvr;
struct catalog_pub;

/* advertise (NULL: unset) and tls_pin (NULL: no TLS) go to the site's row
 * as url and tls_pin. */
nvr_err catalog_publish_create(struct catalog_pub **out, const char *site, int64_t started_us, const char *advertise,
                               const char *tls_pin);

/* curl's CURLOPT_PINNEDPUBLICKEY form of the first certificate in the PEM
 * file path: "sha256//" + base64(SHA-256 of its DER SubjectPublicKeyInfo).
 * NVR_EIO (unreadable), NVR_EINVAL (no certificate) with a reason in err. */
#define CATALOG_PIN_LEN 64
nvr_err catalog_tls_pin(const char *path, char out[CATALOG_PIN_LEN], char *err, size_t errlen);
void catalog_publish_destroy(struct catalog_pub **p);

/* Forgets what was published (after a failure or a new connection: P1). */
void catalog_publish_forget(struct catalog_pub *p);

/* Publishes nvr's site, cameras and coverage over conn in one transaction.
 * NVR_OK, or an error with a one-line reason in err (the transaction rolled
 * back and everything forgotten). */
nvr_err catalog_publish(struct catalog_pub *p, PGconn *conn, struct nvr *nvr, int64_t now_us, char *err, size_t errlen);

#endif
