/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console.h - `nvr console`: the district's web UI and API over the
 * PostgreSQL catalog (docs/design/catalog.md "The console",
 * docs/ref/http-api.md "Console").
 *
 * People sign in against nvr_users (the Argon2id check of core/auth.c);
 * a session is a random secret whose SHA-256 is an nvr_tokens row (kind
 * session, 12 h).  Sites and cameras are read from the catalog; a camera's
 * routes (/api/v1/cameras/SITE.ID/...) are proxied to the recorder that
 * owns it (nvr_sites.url, public key pinned by nvr_sites.tls_pin) with the
 * person's token as `Authorization: Bearer`, the body streamed through a
 * bounded buffer, at most [console] max_proxied at once (else 503).  The
 * console's own SQLite file in data_dir holds its access log.
 *
 * Threads: console_run runs on the main thread until SIGINT/SIGTERM; the
 * HTTP server's threads call the handlers; each proxied transfer has a
 * thread of its own (libcurl).
 */
#ifndef NVR_CONSOLE_H
#define NVR_CONSOLE_H

#include "base/config.h"
#include "base/err.h"
#include "http/http_server.h"

#include <stddef.h>

/* The console's routes (a static table), for `nvr console --routes`. */
const struct http_route *console_routes(size_t *n);

/* Serves cfg ([server], [catalog] url, [console]) until SIGINT or SIGTERM.
 * cfg is borrowed.  NVR_OK after a clean stop. */
nvr_err console_run(const struct nvr_config *cfg);

#endif
