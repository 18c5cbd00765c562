/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.h - who is asking: passwords (Argon2id), the TOTP second factor,
 * browser sessions, API tokens, login rate limits, per-camera permission,
 * and the access log entries that record it (docs/design/security.md).
 *
 * A request is authenticated by exactly one of:
 *   - the `nvr_session` cookie (random 256-bit value; the index keeps its
 *     SHA-256), valid for AUTH_IDLE_US since its last use and at most
 *     AUTH_ABSOLUTE_US since login; state-changing requests also need the
 *     session's CSRF token in `X-CSRF-Token` and a matching `Origin`;
 *   - `Authorization: Bearer TOKEN` (an API token; the index keeps its
 *     SHA-256), which needs no CSRF token;
 *   - either of them carrying a token the district's console issued, looked
 *     up in the mirror of the catalog (auth_set_directory).
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
#include "core/signin_ticket.h"
#include "core/totp.h"
#include "storage/totp_store.h"

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
    int totp_missing;         /* session of a local account the policy wants enrolled, not enrolled */
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
 * the directory.  When the account has TOTP enabled, a correct
 * password is only the first step: ticket (if not NULL) gets a
 * second-factor ticket (signin_ticket.h), nothing is logged yet, and the
 * caller makes no session; otherwise ticket is "". */
nvr_err auth_login(struct auth *a, const char *name, const char *pw, const char *address, struct user *u,
                   char ticket[SIGNIN_TICKET_LEN]);

/* The second step: ticket with a TOTP code, or with a recovery code (code
 * NULL).  NVR_OK and *u filled, the ticket used up, and `login` logged
 * with method=password+totp or method=recovery_code; NVR_EAUTH for an
 * unknown ticket or a wrong, reused or replayed code (a failure counted
 * like a wrong password, and the ticket's try); NVR_ETIMEDOUT while the
 * account waits from that address. */
nvr_err auth_login_second(struct auth *a, const char *ticket, const char *code, const char *recovery,
                          const char *address, struct user *u); /* on NVR_ETIMEDOUT u->name is set */

/* ---- TOTP enrolment of the signed-in local account (docs/design/security.md) ---- */

/* Whether the policy ([server] totp_required) wants u to have TOTP (local
 * accounts only). */
int auth_totp_required(const struct auth *a, const struct user *u);

/* u's TOTP: *enabled, and *recovery_left unused recovery codes. */
nvr_err auth_totp_status(struct auth *a, const struct user *u, int *enabled, int *recovery_left);

/* Begins (or begins again) enrolment: a new 20-byte secret, pending until
 * confirmed; its base32 and otpauth:// URI.  NVR_EINVAL if TOTP is
 * enabled already. */
nvr_err auth_totp_begin(struct auth *a, const struct user *u, char secret_b32[TOTP_B32_LEN], char uri[TOTP_URI_LEN]);

/* Confirms enrolment with a first code: enables TOTP and makes the
 * TOTP_RECOVERY_CODES recovery codes (only their SHA-256 is kept).
 * NVR_ENOTFOUND if nothing is pending, NVR_EAUTH for a wrong code.  Logs
 * totp_enabled. */
nvr_err auth_totp_confirm(struct auth *a, const struct user *u, const char *code, const char *address,
                          char codes[TOTP_RECOVERY_CODES][TOTP_RECOVERY_LEN]);

/* Turns u's TOTP off, proved by a current code or by the password
 * (exactly one not NULL).  NVR_EAUTH if wrong (counted like a wrong
 * password), NVR_ETIMEDOUT while u waits from address, NVR_ENOTFOUND if not
 * enabled.  Logs totp_disabled. */
nvr_err auth_totp_disable(struct auth *a, const struct user *u, const char *code, const char *pw, const char *address);

/* Admin by removes name's TOTP and recovery codes.
 * NVR_ENOTFOUND if name has none (or no such user).  Logs totp_reset. */
nvr_err auth_totp_reset(struct auth *a, const char *by, const char *address, const char *name);

/* A sign-in a directory (source "ldap" or "oidc") has vouched for: u has
 * the name, role and grants it gave.  The account is made at the first
 * sign-in (pwhash "!") and its role and grants replaced at every one.
 * NVR_ETIMEDOUT while name from address waits (signin_limit.h); NVR_EAUTH
 * when u->role is 0 (no group maps to a role) or the name belongs to an
 * account of another source (never taken over): both counted as failures
 * and access-logged as login_failed.  On NVR_OK *u is the stored account. */
nvr_err auth_directory_login(struct auth *a, const char *source, struct user *u, const char *address);

/* A directory sign-in that failed before a name was known to be good (a
 * bad ID token, a replayed state): counted for name from address and
 * access-logged as login_failed with detail. */
void auth_directory_failed(struct auth *a, const char *name, const char *address, const char *detail);

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

/* The district's people as a recorder mirrors them (catalog/catalog_dir.h):
 * token(ctx, hash, name, expires_us) gives the user name and expiry (wall
 * clock, us) of the console token whose SHA-256 is hash, NVR_OK or
 * NVR_ENOTFOUND; it may wait (at most 2 s) for a refresh. */
struct auth_directory {
    nvr_err (*token)(void *ctx, const uint8_t hash[32], char name[INDEX_ID_MAX], int64_t *expires_us);
    void *ctx;
};

/* Sets (d copied) or, d NULL, clears the mirror auth_request asks about a
 * cookie or bearer token that is no local session or token: a token found
 * there and not expired signs in as the local user of that name, only if
 * that user's source is "catalog" (never a local account of the same
 * name).  It counts as a bearer token (no CSRF token needed) when it came
 * as Bearer; as a cookie it may only read (its CSRF token is known to
 * nobody).  Cleared only after the HTTP server stopped. */
void auth_set_directory(struct auth *a, const struct auth_directory *d);

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
