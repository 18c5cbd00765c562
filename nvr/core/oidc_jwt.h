/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oidc_jwt.h - checks an OpenID Connect ID token (a compact JWS) against
 * the provider's keys (a JWKS document) and what the sign-in expects
 * (docs/design/security.md, "OpenID Connect").
 *
 * Contract: a token is accepted only if
 *   - it has exactly three base64url parts and is at most OIDC_JWT_MAX bytes;
 *   - its header's alg is RS256 or ES256 (never "none", never an HMAC: a
 *     public key is never used as a shared secret) and it has no "crit";
 *   - its signature verifies (OpenSSL) with a key of the JWKS whose kid
 *     matches (any key of the right type when the token names no kid), kty
 *     and curve fit the alg, and whose use/alg, if given, allow it;
 *   - iss equals the issuer; aud is the client id or an array holding it
 *     (then azp is the client id when there are several); a present azp is
 *     the client id; exp is in the future and iat and nbf not in it, each
 *     with OIDC_SKEW_S of slack; nonce equals the sign-in's; sub is set.
 * Pure: no I/O, no globals; any thread.
 */
#ifndef NVR_CORE_OIDC_JWT_H
#define NVR_CORE_OIDC_JWT_H

#include "base/err.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define OIDC_JWT_MAX 16384 /* bytes of an ID token */
#define OIDC_SKEW_S 120    /* clock difference tolerated with the provider */

struct oidc_expect {
    const char *issuer;    /* exactly as in the discovery document */
    const char *client_id; /* must be an audience */
    const char *nonce;     /* the one sent with this sign-in */
    int64_t now_s;         /* wall clock, seconds since 1970 */
};

/* Verifies jwt (borrowed) with the keys of jwks (borrowed).  NVR_OK and
 * *claims (a new reference: json_decref) when it passes; NVR_ENOTFOUND when
 * no key in jwks fits the token's kid and alg (the caller may refresh the
 * JWKS once and try again); NVR_EAUTH with a short reason in why otherwise
 * (the reason names the check, never the token). */
nvr_err oidc_jwt_verify(const char *jwt, const json_t *jwks, const struct oidc_expect *e, json_t **claims, char *why,
                        size_t whylen);

/* base64url without padding of in[0..n) into out (at least 4*n/3+2 bytes):
 * for PKCE and the tests. */
void oidc_b64url(const uint8_t *in, size_t n, char *out, size_t outlen);

#endif
