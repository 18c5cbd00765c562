/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog.h - this recorder in the district's PostgreSQL catalog
 * (docs/design/catalog.md, [catalog] in docs/ref/config.md).
 *
 * One thread, the publisher.  Every publish_seconds it connects when it
 * must (libpq; connect and statement timeouts of 5 and 10 s; after a
 * failure it waits 1 s, doubling to 60 s), brings the catalog's schema up
 * to date (catalog_schema.h), and in one transaction writes this site, its
 * cameras with their state, and the coverage runs that grew or began since
 * its last publish (catalog_publish.h).
 *
 * Invariants:
 *   C1 The local index is the truth for this recorder's footage: the
 *      catalog is only written, and read back only for where the last
 *      publish got to, so a catalog that was down, restored from an older
 *      backup or emptied is caught up from the local index when it returns.
 *   C2 Nothing that records, serves or exports waits for the catalog: the
 *      publisher reads the index through its reader connection and the
 *      recorders' stats snapshots, and holds no lock of theirs while it
 *      talks to PostgreSQL.
 *   C3 The catalog's URL may hold a password: it is never logged; libpq's
 *      messages are logged with URLs redacted, once per kind of failure
 *      until a publish succeeds again.
 *
 * Threads: catalog_start/catalog_stop from the main thread; catalog_status
 * from any thread.
 */
#ifndef NVR_CATALOG_H
#define NVR_CATALOG_H

#include "base/err.h"

#include <stdint.h>

struct nvr;
struct catalog;

struct catalog_status {
    int connected;           /* 1 while the last publish succeeded */
    int64_t last_publish_us; /* wall clock of the last successful publish, 0: none yet */
    uint64_t publishes;      /* successful publishes */
    uint64_t failures;       /* failed connects and publishes */
    char last_error[256];    /* "" after a success; URLs redacted */
};

/* Starts the publisher when nvr->cfg has a [catalog] url (*out NULL and
 * NVR_OK when it has none).  nvr (cfg, st, cams) is borrowed and must
 * outlive it.  A catalog that cannot be reached is not an error here: the
 * thread retries. */
nvr_err catalog_start(struct catalog **out, struct nvr *nvr);

/* Stops the thread (within the libpq timeouts of a call under way), closes
 * the connection, frees; sets *c NULL.  Tolerates NULL. */
void catalog_stop(struct catalog **c);

/* A snapshot of the publisher's state. */
void catalog_status(struct catalog *c, struct catalog_status *out);

#endif
