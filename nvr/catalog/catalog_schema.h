/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_schema.h - the catalog's tables in PostgreSQL and their
 * migrations (docs/design/catalog.md lists them).
 *
 * The schema's version is the one row of nvr_schema.  Migrations are
 * numbered SQL scripts applied in order in one transaction that first takes
 * a transaction-level advisory lock, so recorders starting together migrate
 * once; a catalog newer than this nvr knows is refused (NVR_EINVAL, message
 * in err) rather than written to.  Times are microseconds since the epoch
 * (bigint), as in the local index.
 *
 * Threads: the publisher's, on its own connection.
 */
#ifndef NVR_CATALOG_SCHEMA_H
#define NVR_CATALOG_SCHEMA_H

#include "base/err.h"

#include <libpq-fe.h>
#include <stddef.h>

/* The version this nvr writes. */
int catalog_schema_latest(void);

/* Brings the schema at conn up to catalog_schema_latest().  NVR_OK, or an
 * error with a one-line reason in err. */
nvr_err catalog_schema_migrate(PGconn *conn, char *err, size_t errlen);

/* Runs sql with nparams text parameters (NULL: SQL NULL); *res (if not
 * NULL) keeps a tuples result for the caller to PQclear.  NVR_EIO with the
 * reason in err (what names the step). */
nvr_err catalog_exec(PGconn *conn, const char *sql, int nparams, const char *const *params, PGresult **res,
                     const char *what, char *err, size_t errlen);

/* The reason of a failed result or connection on one line (newlines and
 * tabs turned into spaces, URLs redacted) into err. */
void catalog_pq_error(PGconn *conn, const PGresult *res, const char *what, char *err, size_t errlen);

#endif
