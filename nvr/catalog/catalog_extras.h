/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_extras.h - the rest of a site in the catalog, beside its cameras
 * and coverage: its holds, its alert incidents, its storage dirs' health and
 * its NDAA audit report (docs/design/catalog.md, migration 2).
 *
 * Each is read from the local index (holds, alerts), the storage (dirs) or
 * the audit runner (its report), rendered as text and hashed; a part is
 * written only when its hash differs from the one last written (so an idle
 * recorder costs the catalog nothing but its site and camera rows).  Holds
 * and storage dirs are written whole (upserted, and rows no longer here
 * deleted); alerts are the latest ALERTS_MAX incidents, upserted.  P1 holds
 * here too: catalog_extras_forget (after any failure) forgets every hash,
 * so the next publish writes every part again.
 *
 * Threads: the publisher's only.
 */
#ifndef NVR_CATALOG_EXTRAS_H
#define NVR_CATALOG_EXTRAS_H

#include "base/err.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#define CATALOG_ALERTS_MAX 200

struct nvr;

struct catalog_extras {
    uint8_t holds[32], alerts[32], storage[32], audit[32]; /* SHA-256 of what was last written */
    int known;                                             /* 0: nothing written on this connection yet */
};

void catalog_extras_forget(struct catalog_extras *x);

/* Writes the parts that changed (inside the caller's transaction). */
nvr_err catalog_extras_publish(struct catalog_extras *x, PGconn *conn, struct nvr *nvr, const char *site,
                               int64_t now_us, char *err, size_t errlen);

#endif
