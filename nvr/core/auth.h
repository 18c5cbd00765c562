/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.h - who is asking: passwords (Argon2id), browser sessions, API
 * tokens, login rate limits, per-camera permission, and the access log
 * entries that record it (docs/design/security.md).
 *
 * A request is authenticated by exactly one of:
 *   - the `nvr_session` cookie (random 256-bit value; the index keeps its
 *     SHA-256), valid for AUTH_IDLE_US since its last use and at most
 *     AUTH_ABSOLUTE_US since login; state-changing requests also need the
 *     session's CSRF token in `X-CSRF-Token` and a matching `Origin`;
 *   - `Authorization: Bearer TOKEN` (an API token; the index keeps its
 *     SHA-256), which needs no CSRF token.
 * Credentials are never read from a query string.
 *
 * Threads: any thread; the rate limiter is guarded by its own mutex, the
 * rest goes through the index.
 */
#ifndef NVR_AUTH_H
#define NVR_AUTH_H

#include "base/err.h"
#include "base/config.h"
#include "storage/storage.h"
#include "storage/users.h"

#include <stdint.h>

#define AUTH_IDLE_US (30LL * 60 * 1000000)       /* 30 min without a request */
#define AUTH_ABSOLUTE_US (12LL * 3600 * 1000000) /* 12 h after login */
#define AUTH_COOKIE "nvr_session"
#define AUTH_SECRET_LEN 44 /* base64url of 32 random bytes, NUL included */
/* failed sign-ins slow down the address (and the name from that address)
 * that failed, never the name everywhere: core/signin_limit.h */

struct auth;

/* The signed-in user of a request. */
struct auth_user {
    struct user u;            /* pwhash cleared */
    int via_token;            /* 1: bearer token, 0: session cookie */
    uint8_t session_hash[32]; /* with a session */
    char csrf[USER_CSRF_LEN]; /* with a session */
};

/* Creates the authenticator for st.  If there is no user yet, makes a
 * one-time setup token and logs it (the only way to create the first admin
 * over HTTP; `nvr user add` works too). */
nvr_err auth_create(struct auth **out, struct storage *st, const struct nvr_config *cfg);
void auth_destroy(struct auth **a);

/* Whether token is the setup token and setup is still open (see
 * auth_setup_open).  Compared in constant time. */
int auth_setup_token_ok(struct auth *a, const char *token);
/* Whether the first admin may still be made over HTTP: a setup token was
 * made at start-up and no user exists (one made with `nvr user add` while
 * the server runs closes it too). */
int auth_setup_open(struct auth *a);
/* Forgets the setup token (after the first admin is made). */
void auth_setup_done(struct auth *a);

/* Argon2id (libsodium crypto_pwhash_str, interactive limits) of pw into
 * out.  NVR_EINVAL for a password shorter than 8 or longer than 256 bytes. */
nvr_err auth_hash_password(const char *pw, char out[USER_PWHASH_LEN]);

/* Checks name/password for a login from address: NVR_OK and *u filled;
 * NVR_EAUTH (wrong name or password: the same answer for both), or
 * NVR_ETIMEDOUT while that name from that address, or the address, waits
 * after too many failures (signin_limit.h).  Records login / login_failed
 * in the access log.
 * With [ldap], a name that is no account, or an ldap account's, is checked
 * by the directory (core/dir_ldap.h): on its yes the ldap account is made or
 * its role and grants replaced from the directory's groups; a directory
 * yes for the name of an account of another source, or for a person in no
 * mapped group, is NVR_EAUTH; NVR_ECONN when the directory cannot answer
 * (not counted as a failed sign-in).  A local account's name never goes to
 * the directory. */
nvr_err auth_login(struct auth *a, const char *name, const char *pw, const char *address, struct user *u);

/* How long (us) name must still wait before trying again from address; 0: may try now. */
int64_t auth_login_wait_us(struct auth *a, const char *name, const char *address);

/* Makes a session for u: the cookie value and CSRF token to hand out. */
nvr_err auth_session_create(struct auth *a, const struct user *u, const char *address, char cookie[AUTH_SECRET_LEN],
                            char csrf[USER_CSRF_LEN]);

/* Ends a session (logout). */
nvr_err auth_session_end(struct auth *a, const uint8_t session_hash[32]);

/* Authenticates from the Cookie and Authorization headers (either may be
 * NULL).  NVR_OK with *out filled, or NVR_EAUTH. */
nvr_err auth_request(struct auth *a, const char *cookie_header, const char *authorization, struct auth_user *out);

/* Makes an API token for user_id: the secret (shown once) and its id. */
nvr_err auth_token_create(struct auth *a, int64_t user_id, const char *label, char secret[AUTH_SECRET_LEN],
                          int64_t *id);

/* Drops the cache of recently checked API tokens (a token, user or grant
 * changed through this server; changes made by another process, such as the
 * CLI, take effect within TOKEN_CACHE_US = 10 s). */
void auth_forget_tokens(struct auth *a);

/* Whether u may see cam: admins all; others by grant (the camera id,
 * "group:" + the camera's group, or "*"). */
int auth_camera_allowed(const struct user *u, const struct nvr_camera_config *cam);

/* Appends to the access log (user "" for anonymous). */
void auth_log(struct auth *a, const char *user, const char *address, const char *action, const char *camera,
              const char *detail);

/* An event anyone can cause without signing in (a failed or blocked
 * sign-in; name is the name tried): written at once the first time in a
 * window, identical repeats counted into one entry, capped per address
 * (core/log_limit.h). */
void auth_log_anon(struct auth *a, const char *name, const char *address, const char *action, const char *detail);

/* Writes the counts of closed windows (call every few seconds), or all
 * counts (at shutdown; auth_destroy does it too). */
void auth_log_tick(struct auth *a);
void auth_log_flush(struct auth *a);

#endif
