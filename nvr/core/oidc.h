/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oidc.h - sign-in through an OpenID provider: the authorization code flow
 * with PKCE (RFC 7636, S256) for a confidential client
 * (docs/design/security.md, "OpenID Connect"; config: [oidc]).
 *
 * State machine of one sign-in:
 *   oidc_start:  a pending entry {state, nonce, code_verifier, browser key,
 *                return path, redirect URI, time} is stored and the browser
 *                is sent to the provider's authorization endpoint; the
 *                browser key goes to the browser in a cookie (login CSRF: a
 *                callback carrying someone else's state and code is refused
 *                in a browser that did not start that sign-in).
 *   oidc_finish: the entry of `state` is taken out (single use: a replay
 *                finds nothing), must be at most OIDC_PENDING_US old; the
 *                code is exchanged at the token endpoint with the verifier;
 *                the ID token is verified (oidc_jwt.h); its claims give the
 *                name, the role and the grants ([oidc] group mapping).
 * Bounds: at most OIDC_PENDING_MAX pending entries (a new one replaces the
 * oldest); discovery is fetched once and cached (one fetch at a time; a
 * failed fetch is retried at most every OIDC_RETRY_US); the JWKS is fetched again for an unknown
 * key at most every OIDC_JWKS_REFRESH_US; every HTTP exchange with the
 * provider has a 5 s connect and 10 s total timeout and a 256 KiB answer cap.
 * The client secret is never logged.
 *
 * Threads: any thread; the pending table and the caches have their own
 * mutex, never held across a network exchange.
 */
#ifndef NVR_CORE_OIDC_H
#define NVR_CORE_OIDC_H

#include "base/config.h"
#include "base/err.h"
#include "storage/users.h"

#define OIDC_PENDING_MAX 1000
#define OIDC_PENDING_US (10LL * 60 * 1000000)
#define OIDC_RETRY_US (10LL * 1000000)
#define OIDC_JWKS_REFRESH_US (30LL * 1000000)
#define OIDC_RETURN_MAX 256 /* bytes of the path to go back to */
#define OIDC_URL_MAX 2048
#define OIDC_KEY_LEN 44 /* the browser key: base64url of 32 random bytes, NUL included */

struct oidc;

/* Why a sign-in failed: the code the login page is sent back with. */
enum oidc_fail {
    OIDC_OK = 0,
    OIDC_FAIL_STATE,    /* "oidc_state": unknown, used or expired state */
    OIDC_FAIL_PROVIDER, /* "oidc_provider": the provider could not be reached or answered wrongly */
    OIDC_FAIL_TOKEN,    /* "oidc_token": the ID token failed a check */
    OIDC_FAIL_DENIED,   /* "oidc_denied": the provider said no (error=...) */
    OIDC_FAIL_CLAIMS,   /* "oidc_claims": no usable user name in the token */
    OIDC_FAIL_NO_ROLE,  /* "oidc_no_role": no group of the user maps to a role */
};

/* "oidc_state", ... ("" for OIDC_OK). */
const char *oidc_fail_code(enum oidc_fail f);

/* Makes the client for cfg (borrowed; must outlive it); reads
 * client_secret_file.  NVR_EINVAL (logged) if the secret cannot be read.
 * The provider is not contacted here: a provider that is down must not
 * stop the recorder. */
nvr_err oidc_create(struct oidc **out, const struct nvr_oidc_config *cfg);
void oidc_destroy(struct oidc **o);

/* The button's label (borrowed). */
const char *oidc_label(const struct oidc *o);

/* Whether ret is a path on this server to go back to: "/" then not "/" or
 * "\", printable ASCII without "\", at most OIDC_RETURN_MAX - 1 bytes. */
int oidc_return_ok(const char *ret);

/* Starts a sign-in that comes back to redirect_uri (this server's callback)
 * and then to return_path (checked with oidc_return_ok).  *url gets the
 * provider's authorization URL (free()), browser_key the value the caller
 * hands the browser in a cookie.  OIDC_FAIL_PROVIDER if the discovery
 * document cannot be had. */
enum oidc_fail oidc_start(struct oidc *o, const char *redirect_uri, const char *return_path, char **url,
                          char browser_key[OIDC_KEY_LEN]);

/* Finishes the sign-in of state with code in the browser that holds
 * browser_key (NULL: none; not the one of that state: OIDC_FAIL_STATE,
 * and the state is used up all the same).  On OIDC_OK, *u has name, role
 * and grants from the provider (source "oidc"; not yet stored) and
 * return_path where to go.  Otherwise why says what failed for the log
 * (never a secret or a token) and name the user name when it was known. */
enum oidc_fail oidc_finish(struct oidc *o, const char *state, const char *browser_key, const char *code, struct user *u,
                           char return_path[OIDC_RETURN_MAX], char *why, size_t whylen);

/* Takes the pending entry of state out (a provider's error answer). */
void oidc_forget(struct oidc *o, const char *state, char return_path[OIDC_RETURN_MAX]);

#endif
