/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_jwt.c - hostile ID tokens: the compact JWS parser, the JWK key
 * builder and the claims checks of nvr/core/oidc_jwt.c, against a fixed
 * JWKS (one RSA and one P-256 key; the corpus holds tokens they signed). */
#include "core/oidc_jwt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char jwks_text[] =
    "{\"keys\": [{\"kty\": \"RSA\", \"kid\": \"r1\", \"use\": \"sig\", \"alg\": \"RS256\", \"n\": "
    "\"sgqREC272x7iR52bl10i19AKmxPYzUCWCIFw77tLqpMLRSLsrpGwGU0EUpWxBWNvA3Cz8sogHcFTruJWdKgyd4DFkIVmvsSjp42uUmzzI-"
    "NW9u64n682VmjD0SAbnVeoRSIwpHH5MjU1HPR91f7YYg8I8mNZebm3nod4YQIEn1q4XI-KXGhf5f-XH_"
    "1MMzSLytOS4fYfzRGZOVSCZL3xDgsvm5DwT1yeirqQZqYFcJ2lvevN55VTEnu8uMDlgGAo7TNXz5G558v866STqt2y0KoUI5hXtuXbPN2BmiNykjqY"
    "n0u1MJE9JwJY_yhrW7NiiMwDuQhSSrROjKMWu0NSGw\", \"e\": \"AQAB\"}, {\"kty\": \"EC\", \"kid\": \"e1\", \"crv\": "
    "\"P-256\", \"x\": \"jGBkAPYMZfQ-c6djTM5f1D8uTQSYcFRaLM2z4GTR1n4\", \"y\": "
    "\"sBzB0R40J4eDOWcPKkVpVwb71_-CrZEglXJXGEQ-3Xo\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *jwks = json_loads(jwks_text, 0, NULL), *claims = NULL;
    char *jwt = malloc(size + 1), why[96];
    struct oidc_expect e = {.issuer = "https://idp.example", .client_id = "nvr", .nonce = "n", .now_s = 2000000000};
    if (jwt && jwks) {
        memcpy(jwt, data, size);
        jwt[size] = '\0';
        if (oidc_jwt_verify(jwt, jwks, &e, &claims, why, sizeof why) == NVR_OK)
            json_decref(claims);
    }
    free(jwt);
    json_decref(jwks);
    return 0;
}
