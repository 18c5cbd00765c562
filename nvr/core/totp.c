/* SPDX-License-Identifier: Apache-2.0 */
/*
 * totp.c - RFC 6238 TOTP and its text forms (see totp.h).
 */
#include "core/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

uint32_t totp_hotp(const uint8_t *key, size_t keylen, uint64_t counter, int digits)
{
    uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    for (int i = 7; i >= 0; i--) {
        msg[i] = (uint8_t)(counter & 0xff);
        counter >>= 8;
    }
    if (!HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof msg, mac, &maclen) || maclen < 20)
        return UINT32_MAX; /* never a valid code */
    unsigned off = mac[maclen - 1] & 0x0f;
    uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
                   ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
    uint32_t mod = 1;
    for (int i = 0; i < digits && i < 9; i++)
        mod *= 10;
    return bin % mod;
}

int64_t totp_step(int64_t t)
{
    return t >= 0 ? t / TOTP_STEP_S : -1;
}

/* code's value when it is TOTP_DIGITS digits (spaces ignored), else -1. */
static int64_t parse_code(const char *code)
{
    int64_t v = 0;
    int n = 0;
    for (const char *p = code; p && *p; p++) {
        if (*p == ' ')
            continue;
        if (*p < '0' || *p > '9' || ++n > TOTP_DIGITS)
            return -1;
        v = v * 10 + (*p - '0');
    }
    return n == TOTP_DIGITS ? v : -1;
}

int64_t totp_match(const uint8_t *key, size_t keylen, const char *code, int64_t now_s, int64_t last_step)
{
    int64_t want = parse_code(code), now = totp_step(now_s), found = -1;
    if (want < 0 || now < 0)
        return -1;
    /* every candidate is computed and compared, so the time does not tell which matched */
    for (int64_t d = -TOTP_SKEW_STEPS; d <= TOTP_SKEW_STEPS; d++) {
        int64_t s = now + d;
        uint32_t got = s >= 0 ? totp_hotp(key, keylen, (uint64_t)s, TOTP_DIGITS) : UINT32_MAX;
        volatile uint32_t diff = got ^ (uint32_t)want;
        if (diff == 0 && s > last_step && found < 0)
            found = s;
    }
    return found;
}

void totp_base32(const uint8_t *in, size_t n, char out[TOTP_B32_LEN])
{
    size_t o = 0;
    uint32_t buf = 0;
    int bits = 0;
    for (size_t i = 0; i < n && o + 1 < TOTP_B32_LEN; i++) {
        buf = (buf << 8) | in[i];
        bits += 8;
        while (bits >= 5 && o + 1 < TOTP_B32_LEN) {
            out[o++] = b32_alphabet[(buf >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0 && o + 1 < TOTP_B32_LEN)
        out[o++] = b32_alphabet[(buf << (5 - bits)) & 31];
    out[o] = '\0';
}

/* Percent-encodes s (all but RFC 3986 unreserved) at out[*o..n). */
static void pct(const char *s, char *out, size_t n, size_t *o)
{
    for (const unsigned char *p = (const unsigned char *)s; *p && *o + 4 < n; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '.' || *p == '_' || *p == '~')
            out[(*o)++] = (char)*p;
        else
            *o += (size_t)snprintf(out + *o, n - *o, "%%%02X", *p);
    }
    out[*o] = '\0';
}

void totp_uri(const char *issuer, const char *name, const char *secret_b32, char out[TOTP_URI_LEN])
{
    size_t o = (size_t)snprintf(out, TOTP_URI_LEN, "otpauth://totp/");
    pct(issuer, out, TOTP_URI_LEN, &o);
    o += (size_t)snprintf(out + o, TOTP_URI_LEN - o, ":");
    pct(name, out, TOTP_URI_LEN, &o);
    o += (size_t)snprintf(out + o, TOTP_URI_LEN - o, "?secret=%s&issuer=", secret_b32);
    if (o >= TOTP_URI_LEN) {
        out[0] = '\0';
        return;
    }
    pct(issuer, out, TOTP_URI_LEN, &o);
    snprintf(out + o, TOTP_URI_LEN - o, "&algorithm=SHA1&digits=%d&period=%d", TOTP_DIGITS, TOTP_STEP_S);
}

void totp_recovery_format(const uint8_t rnd[7], char out[TOTP_RECOVERY_LEN])
{
    char b[TOTP_B32_LEN];
    totp_base32(rnd, 7, b); /* 56 bits: 12 letters, the first 10 used */
    for (int i = 0, o = 0; i < 10; i++) {
        if (i == 5)
            out[o++] = '-';
        out[o++] = (char)(b[i] >= 'A' ? b[i] - 'A' + 'a' : b[i]);
    }
    out[11] = '\0';
}

int totp_recovery_normalize(const char *in, char out[TOTP_RECOVERY_LEN])
{
    int n = 0;
    for (const char *p = in; p && *p; p++) {
        char c = *p;
        if (c == '-' || c == ' ')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')) || n >= 10)
            return -1;
        out[n++] = c;
    }
    out[n] = '\0';
    return n == 10 ? 0 : -1;
}
