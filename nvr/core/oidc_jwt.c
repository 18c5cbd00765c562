/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oidc_jwt.c - ID token verification (see oidc_jwt.h for the contract).
 *
 * Order of the checks: shape and size, header (alg allow-list, crit), key
 * choice, signature, then claims.  Nothing in the payload is believed
 * before the signature has verified.  Keys are built from the JWK's public
 * numbers with OpenSSL 3's EVP_PKEY_fromdata (RSA n/e; EC P-256 x/y); an
 * ES256 signature (raw r||s) is turned into DER for EVP_DigestVerify.
 */
#include "core/oidc_jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum jwt_alg { ALG_RS256, ALG_ES256 };

void oidc_b64url(const uint8_t *in, size_t n, char *out, size_t outlen)
{
    sodium_bin2base64(out, outlen, in, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static int fail(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return NVR_EAUTH;
}

/* Decodes base64url (no padding) s[0..n) into a new buffer. */
static uint8_t *b64_decode(const char *s, size_t n, size_t *out_len)
{
    uint8_t *buf = malloc(n + 1);
    if (!buf)
        return NULL;
    const char *end = NULL;
    if (sodium_base642bin(buf, n + 1, s, n, NULL, out_len, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        end != s + n) {
        free(buf);
        return NULL;
    }
    return buf;
}

static json_t *b64_json(const char *s, size_t n)
{
    size_t len = 0;
    uint8_t *raw = b64_decode(s, n, &len);
    json_t *j = raw ? json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    free(raw);
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* A big-endian number from a JWK member (base64url). */
static BIGNUM *jwk_bn(const json_t *k, const char *name)
{
    const char *s = json_string_value(json_object_get(k, name));
    size_t len = 0;
    uint8_t *raw = s ? b64_decode(s, strlen(s), &len) : NULL;
    BIGNUM *bn = raw && len ? BN_bin2bn(raw, (int)len, NULL) : NULL;
    free(raw);
    return bn;
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

static EVP_PKEY *rsa_key(const json_t *k)
{
    EVP_PKEY *pkey = NULL;
    BIGNUM *n = jwk_bn(k, "n"), *e = jwk_bn(k, "e");
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (n && e && bld && BN_num_bits(n) >= 2048 && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
        pkey = from_params("RSA", bld);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return pkey;
}

static EVP_PKEY *ec_key(const json_t *k)
{
    const char *crv = json_string_value(json_object_get(k, "crv"));
    const char *xs = json_string_value(json_object_get(k, "x")), *ys = json_string_value(json_object_get(k, "y"));
    EVP_PKEY *pkey = NULL;
    size_t xl = 0, yl = 0;
    if (!crv || strcmp(crv, "P-256") != 0 || !xs || !ys)
        return NULL;
    uint8_t *x = b64_decode(xs, strlen(xs), &xl), *y = b64_decode(ys, strlen(ys), &yl);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    uint8_t pub[65];
    if (x && y && xl == 32 && yl == 32 && bld) {
        pub[0] = 0x04; /* uncompressed point */
        memcpy(pub + 1, x, 32);
        memcpy(pub + 33, y, 32);
        if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub))
            pkey = from_params("EC", bld);
    }
    OSSL_PARAM_BLD_free(bld);
    free(x);
    free(y);
    return pkey;
}

/* Whether JWK k may verify alg (kid already matched). */
static int key_fits(const json_t *k, enum jwt_alg alg)
{
    const char *kty = json_string_value(json_object_get(k, "kty"));
    const char *use = json_string_value(json_object_get(k, "use"));
    const char *kalg = json_string_value(json_object_get(k, "alg"));
    const char *want = alg == ALG_RS256 ? "RS256" : "ES256";
    if (!kty || strcmp(kty, alg == ALG_RS256 ? "RSA" : "EC") != 0)
        return 0;
    if (use && strcmp(use, "sig") != 0)
        return 0;
    return !kalg || strcmp(kalg, want) == 0;
}

/* The JWKS key for kid (NULL: the token names none) and alg; NULL if none. */
static const json_t *find_key(const json_t *jwks, const char *kid, enum jwt_alg alg)
{
    const json_t *keys = json_object_get(jwks, "keys"), *found = NULL;
    size_t i, nfit = 0;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        const char *kkid = json_string_value(json_object_get(k, "kid"));
        if (!json_is_object(k) || !key_fits(k, alg))
            continue;
        if (kid && kkid && strcmp(kid, kkid) == 0)
            return k;
        if (!kid) {
            found = k;
            nfit++;
        }
    }
    return nfit == 1 ? found : NULL; /* without a kid, only an unambiguous key */
}

/* ES256's raw r||s as the DER that EVP_DigestVerify takes. */
static int ecdsa_der(const uint8_t *sig, size_t n, uint8_t **der, size_t *der_len)
{
    ECDSA_SIG *s = n == 64 ? ECDSA_SIG_new() : NULL;
    BIGNUM *r = s ? BN_bin2bn(sig, 32, NULL) : NULL, *sv = s ? BN_bin2bn(sig + 32, 32, NULL) : NULL;
    int len;
    *der = NULL;
    if (!r || !sv || !ECDSA_SIG_set0(s, r, sv)) {
        BN_free(r);
        BN_free(sv);
        ECDSA_SIG_free(s);
        return -1;
    }
    len = i2d_ECDSA_SIG(s, der);
    ECDSA_SIG_free(s);
    if (len <= 0)
        return -1;
    *der_len = (size_t)len;
    return 0;
}

/* Whether sig verifies over signed[0..n) with JWK k. */
static int signature_ok(const json_t *k, enum jwt_alg alg, const char *signed_part, size_t n, const uint8_t *sig,
                        size_t sig_len)
{
    EVP_PKEY *pkey = alg == ALG_RS256 ? rsa_key(k) : ec_key(k);
    EVP_MD_CTX *md = pkey ? EVP_MD_CTX_new() : NULL;
    uint8_t *der = NULL;
    size_t der_len = 0;
    int ok = 0;
    if (!md)
        goto out;
    if (alg == ALG_ES256) {
        if (ecdsa_der(sig, sig_len, &der, &der_len))
            goto out;
        sig = der;
        sig_len = der_len;
    }
    ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
         EVP_DigestVerify(md, sig, sig_len, (const uint8_t *)signed_part, n) == 1;
out:
    OPENSSL_free(der);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pkey);
    return ok;
}

static int aud_ok(const json_t *c, const char *client_id)
{
    const json_t *aud = json_object_get(c, "aud");
    const char *azp = json_string_value(json_object_get(c, "azp"));
    int has = 0;
    if (json_is_string(aud)) {
        has = strcmp(json_string_value(aud), client_id) == 0;
    } else if (json_is_array(aud)) {
        size_t i;
        json_t *a;
        json_array_foreach(aud, i, a) has |= json_is_string(a) && strcmp(json_string_value(a), client_id) == 0;
        if (json_array_size(aud) > 1 && !azp)
            return 0;
    }
    if (json_object_get(c, "azp") && (!azp || strcmp(azp, client_id) != 0))
        return 0;
    return has;
}

/* The claims' checks after the signature. */
static int claims_ok(const json_t *c, const struct oidc_expect *e, char *why, size_t n)
{
    const char *iss = json_string_value(json_object_get(c, "iss"));
    const char *nonce = json_string_value(json_object_get(c, "nonce"));
    const char *sub = json_string_value(json_object_get(c, "sub"));
    const json_t *exp = json_object_get(c, "exp"), *iat = json_object_get(c, "iat"), *nbf = json_object_get(c, "nbf");
    if (!iss || strcmp(iss, e->issuer) != 0)
        return fail(why, n, "wrong issuer");
    if (!aud_ok(c, e->client_id))
        return fail(why, n, "wrong audience");
    if (!json_is_number(exp) || json_number_value(exp) + OIDC_SKEW_S <= (double)e->now_s)
        return fail(why, n, "expired");
    if (!json_is_number(iat) || json_number_value(iat) > (double)(e->now_s + OIDC_SKEW_S))
        return fail(why, n, "issued in the future");
    if (nbf && (!json_is_number(nbf) || json_number_value(nbf) > (double)(e->now_s + OIDC_SKEW_S)))
        return fail(why, n, "not yet valid");
    if (!nonce || !e->nonce || strlen(nonce) != strlen(e->nonce) || sodium_memcmp(nonce, e->nonce, strlen(nonce)) != 0)
        return fail(why, n, "wrong nonce");
    if (!sub || !*sub)
        return fail(why, n, "no subject");
    return NVR_OK;
}

nvr_err oidc_jwt_verify(const char *jwt, const json_t *jwks, const struct oidc_expect *e, json_t **claims, char *why,
                        size_t whylen)
{
    json_t *hdr = NULL, *body = NULL;
    uint8_t *sig = NULL;
    size_t sig_len = 0, len = jwt ? strnlen(jwt, OIDC_JWT_MAX + 1) : 0;
    const char *d1 = jwt ? strchr(jwt, '.') : NULL, *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    nvr_err rc;
    enum jwt_alg alg;

    *claims = NULL;
    if (!d2 || len > OIDC_JWT_MAX || strchr(d2 + 1, '.') || d2[1] == '\0') {
        rc = fail(why, whylen, "not a signed JWT");
        goto out;
    }
    hdr = b64_json(jwt, (size_t)(d1 - jwt));
    const char *a = hdr ? json_string_value(json_object_get(hdr, "alg")) : NULL;
    if (!a || (strcmp(a, "RS256") != 0 && strcmp(a, "ES256") != 0)) {
        rc = fail(why, whylen, "algorithm not allowed");
        goto out;
    }
    if (json_object_get(hdr, "crit")) {
        rc = fail(why, whylen, "critical header");
        goto out;
    }
    alg = strcmp(a, "RS256") == 0 ? ALG_RS256 : ALG_ES256;
    const json_t *kid = json_object_get(hdr, "kid");
    if (kid && !json_is_string(kid)) {
        rc = fail(why, whylen, "bad key id");
        goto out;
    }
    const json_t *key = find_key(jwks, json_string_value(kid), alg);
    if (!key) {
        rc = NVR_ENOTFOUND;
        snprintf(why, whylen, "no key for it");
        goto out;
    }
    if (!(sig = b64_decode(d2 + 1, len - (size_t)(d2 + 1 - jwt), &sig_len)) ||
        !signature_ok(key, alg, jwt, (size_t)(d2 - jwt), sig, sig_len)) {
        rc = fail(why, whylen, "bad signature");
        goto out;
    }
    if (!(body = b64_json(d1 + 1, (size_t)(d2 - d1 - 1)))) {
        rc = fail(why, whylen, "unreadable claims");
        goto out;
    }
    if ((rc = claims_ok(body, e, why, whylen)))
        goto out;
    *claims = body;
    body = NULL;
out:
    free(sig);
    json_decref(hdr);
    json_decref(body);
    return rc;
}
