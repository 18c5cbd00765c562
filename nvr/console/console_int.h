/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console_int.h - what the console's files share (console.h is the
 * contract).  The HTTP server (http/http_server.h) hands every handler its
 * context as a `struct nvr *` it never dereferences; the console's context
 * is a struct console, recovered with console_of().
 */
#ifndef NVR_CONSOLE_INT_H
#define NVR_CONSOLE_INT_H

#include "base/config.h"
#include "base/err.h"
#include "core/signin_limit.h"
#include "http/http_server.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#define CONSOLE_NAME_LEN 64
#define CONSOLE_GRANT_LEN 141
#define CONSOLE_GRANTS_MAX 64
#define CONSOLE_CSRF_LEN 48
#define CONSOLE_SECRET_LEN 44 /* base64url of 32 random bytes, NUL included */
#define CONSOLE_SESSION_US (12LL * 3600 * 1000000)
#define CONSOLE_COOKIE "nvr_session" /* the recorder's: the same web UI signs in to both */

struct console_pg;
struct console_exports;
struct nvr_index;

struct console {
    const struct nvr_config *cfg;
    struct console_pg *pg;
    struct signin_limit *limit;
    struct nvr_index *ix;            /* data_dir/index.db: the access log, the break-glass accounts */
    atomic_int proxied;              /* transfers under way */
    struct console_exports *exports; /* district exports (console_export.c) */
};

/* The signed-in person of a request (attached by the guard). */
struct console_user {
    char name[CONSOLE_NAME_LEN];
    int role; /* enum user_role */
    int via_token;
    int64_t local_id; /* a break-glass account of data_dir/index.db (0: a catalog user) */
    uint8_t hash[32]; /* the session's or token's SHA-256 */
    char csrf[CONSOLE_CSRF_LEN];
    size_t ngrants;
    char grants[CONSOLE_GRANTS_MAX][CONSOLE_GRANT_LEN];
};

static inline struct console *console_of(struct nvr *n)
{
    return (struct console *)(void *)n;
}

/* ---- console_pg.c: a small pool of catalog connections ---- */
nvr_err console_pg_create(struct console_pg **out, const char *url, int size);
void console_pg_destroy(struct console_pg **p);
/* Runs sql with n text parameters; *res (if not NULL) keeps the result.
 * NVR_ECONN when the catalog cannot be reached (a broken pooled connection
 * is dropped and the statement tried once more on a new one), NVR_EIO when
 * the statement failed (reason logged, URLs redacted). */
nvr_err console_pg_exec(struct console_pg *p, const char *sql, int n, const char *const *params, PGresult **res);
/* console_pg_exec of a statement that answers one integer (a count), read
 * into *out (0 on failure). */
nvr_err console_pg_count(struct console_pg *p, const char *sql, int n, const char *const *params, long long *out);

/* ---- console_auth.c ---- */
http_result console_guard(struct http_request *r, const struct http_route *rt, struct nvr *nvr);
const struct console_user *console_user(const struct http_request *r);
/* The request's bearer secret or session cookie value, "" if none. */
void console_secret(const struct http_request *r, char out[CONSOLE_SECRET_LEN]);
http_result console_session_create(struct http_request *r, struct nvr *nvr);
http_result console_session_get(struct http_request *r, struct nvr *nvr);
http_result console_session_delete(struct http_request *r, struct nvr *nvr);
http_result console_users_list(struct http_request *r, struct nvr *nvr);
http_result console_users_create(struct http_request *r, struct nvr *nvr);
http_result console_users_update(struct http_request *r, struct nvr *nvr);
http_result console_users_delete(struct http_request *r, struct nvr *nvr);
http_result console_tokens_create(struct http_request *r, struct nvr *nvr);

/* ---- console_grants.c: the one reading of grants ---- */
/* Whether u may see camera id of site whose group is group (NULL: none):
 * admin, "*", "site:S", "S.ID", "group:G" (G at any site). */
int console_may_see(const struct console_user *u, const char *site, const char *id, const char *group);
/* Whether u may see some camera of site, given that one of them is of group
 * (NULL: without looking at groups). */
int console_site_covered(const struct console_user *u, const char *site, const char *group);
/* Whether u may see site (some grant covers it or one of its cameras not
 * removed, the groups read from the catalog): 1, 0, or -1 the catalog
 * cannot answer. */
int console_site_visible(struct console *c, const struct console_user *u, const char *site);

/* ---- console_sites.c ---- */
http_result console_sites(struct http_request *r, struct nvr *nvr);
http_result console_cameras(struct http_request *r, struct nvr *nvr);
/* GET /api/v1/sites/SITE/coverage?start=&end=: the catalog's runs of the
 * site's cameras the person may see, clipped to the range (at most 31 days). */
http_result console_coverage(struct http_request *r, struct nvr *nvr);

/* ---- console_proxy.c ---- */
http_result console_proxy(struct http_request *r, struct nvr *nvr);
/* /api/v1/sites/SITE/holds... and /exports...: to SITE's /api/v1/holds... */
http_result console_site_proxy(struct http_request *r, struct nvr *nvr);

/* ---- console_fetch.c: one blocking request to a recorder ---- */
struct console_target {
    const char *base;       /* the site's url (nvr_sites.url) */
    const char *pin;        /* its tls_pin ("" : none) */
    const char *secret;     /* the person's token, sent as Bearer */
    const atomic_int *stop; /* non-zero aborts the transfer (NULL: none) */
};
struct console_answer {
    long status;    /* the HTTP status, 0 if none came */
    char *body;     /* without out: the body, NUL-terminated (free()), NULL if empty */
    uint64_t bytes; /* body bytes received */
    char error[256];
};
/* method base+path (json: a JSON body, or NULL); the answer's body into
 * out (at most max bytes) or, with out NULL, into a->body (at most 64 KiB).
 * NVR_OK when an HTTP answer came (whatever its status); NVR_ECONN,
 * NVR_ENOSPC (over the cap), NVR_ESTOPPED, NVR_ENOMEM with a->error set. */
nvr_err console_fetch(const struct console_target *t, const char *method, const char *path, const char *json, FILE *out,
                      uint64_t max, struct console_answer *a);

/* ---- console_export.c: district exports (docs/design/export.md) ---- */
/* Jobs in memory, zips in data_dir/district-exports (emptied here). */
nvr_err console_exports_start(struct console_exports **out, struct console *c);
/* Aborts the running ones, joins their threads, frees; sets *e NULL. */
void console_exports_stop(struct console_exports **e);
http_result console_export_create(struct http_request *r, struct nvr *nvr);
http_result console_export_list(struct http_request *r, struct nvr *nvr);
http_result console_export_get(struct http_request *r, struct nvr *nvr);
http_result console_export_download(struct http_request *r, struct nvr *nvr);

/* ---- console.c ---- */
/* Appends to the access log (data_dir/index.db). */
void console_log(struct console *c, const char *user, const char *address, const char *action, const char *site,
                 const char *camera, const char *detail);
/* 503 {"error":"the catalog is not available ..."} with Retry-After. */
http_result console_reply_catalog_down(struct http_request *r);
/* The answer to a failed console_pg_exec: NVR_ECONN is the 503 above, any
 * other failure a 500 "cannot WHAT". */
http_result console_reply_pg_error(struct http_request *r, nvr_err rc, const char *what);
/* Runs sql (console_pg_exec) and opens the body its rows are written to:
 * 1 with *res and *b ready (the caller clears and sends them), or 0 with
 * *answer the reply already made (console_reply_pg_error, or 500 out of
 * memory). */
int console_pg_body(struct http_request *r, struct console *c, const char *sql, int n, const char *const *params,
                    PGresult **res, struct http_body *b, http_result *answer);

#endif
