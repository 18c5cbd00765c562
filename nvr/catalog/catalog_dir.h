/* SPDX-License-Identifier: Apache-2.0 */
/*
 * catalog_dir.h - the mirror of the district's people (docs/design/catalog.md,
 * "People", invariants D1-D4).
 *
 * A thread of its own, "nvr-catdir", with its own libpq connection that
 * LISTENs on the channel nvr_directory.  It waits in poll() on that
 * connection's socket and on a wake pipe, at most 5 s.  On a notification,
 * a refresh request or the timeout it reads nvr_directory.version; when
 * the version moved (or after a reconnect) it reads nvr_users, nvr_grants
 * and nvr_tokens whole in one read-only snapshot and replaces the mirror:
 *   - the users (not disabled) become local users of source "catalog"
 *     (storage/users.h users_replace_catalog, one index transaction), their
 *     grants mapped onto this site ("*" and "site:SITE" -> "*",
 *     "SITE.ID" -> "ID", "group:G" -> "group:G", others dropped); a local
 *     account of another source with the same name is never taken over
 *     (logged once per name);
 *   - the console's tokens (SHA-256 -> user name, expiry) are kept in
 *     memory, and replaced whole.
 * A failed read or connection keeps the last mirror (D2) and retries every
 * 1 to 5 s.  Nothing is written to the catalog.
 *
 * auth.c sees the mirror through auth_set_directory (core/auth.h): a token
 * it does not know is looked up here (catalog_dir_token); a miss asks the
 * thread for a refresh and waits for it (at most 2 s; not at all while the
 * catalog is unreachable).  The askers share one refresh not begun yet
 * (single-flight), and the thread runs the askers' refreshes at most once a
 * second (the first at once, the next a second after the last began), so a
 * token the console made a moment ago works even right after another miss.
 * At most half the HTTP threads wait at once; the others' misses are
 * answered at once.  So anonymous requests with made-up tokens cost the
 * catalog at most one version read a second and never hold every HTTP
 * thread.
 *
 * Threads: catalog_dir_start/catalog_dir_stop from the main thread, stop
 * only after the HTTP server stopped (auth holds the handle until then).
 * The thread owns the connection, the version it mirrored and the
 * logged-names list; `mu` guards the tokens, the counters and the refresh
 * handshake, which catalog_dir_token and catalog_dir_stats use from any
 * thread.
 */
#ifndef NVR_CATALOG_DIR_H
#define NVR_CATALOG_DIR_H

#include "base/err.h"
#include "storage/index.h"

#include <stdint.h>

struct nvr;
struct catalog_dir;

struct catalog_dir_stats {
    int connected;             /* 1 while the last read succeeded */
    uint64_t version_reads;    /* reads of nvr_directory.version */
    uint64_t table_reads;      /* whole reads of the three tables */
    uint64_t refresh_requests; /* refreshes asked for by unknown tokens */
    uint64_t users, tokens;    /* mirrored now */
};

/* Starts the mirror when nvr->cfg has a [catalog] url (*out NULL and NVR_OK
 * when it has none) and registers it with nvr->auth. */
nvr_err catalog_dir_start(struct catalog_dir **out, struct nvr *nvr);

/* Unregisters from auth, stops the thread, frees; sets *d NULL.  Tolerates
 * NULL. */
void catalog_dir_stop(struct catalog_dir **d);

/* The console token whose SHA-256 is hash: 1 with its user's name and
 * expiry (wall clock, us), 0 if none (after at most one refresh, see
 * above). */
int catalog_dir_token(struct catalog_dir *d, const uint8_t hash[32], char name[INDEX_ID_MAX], int64_t *expires_us);

void catalog_dir_stats(struct catalog_dir *d, struct catalog_dir_stats *out);

/* How the catalog's grant what (of a user) maps onto site: 1 with the local
 * grant in out, 0 when it does not concern this site. */
int catalog_dir_map_grant(const char *site, const char *what, char *out, size_t outlen);

#endif
