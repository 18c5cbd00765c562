/* SPDX-License-Identifier: Apache-2.0 */
/* TOTP (nvr/core/totp.c): the RFC 6238 appendix B vectors (SHA1), the
 * skew rule (previous and next step accepted, no further), the replay rule
 * (a step at or below the last accepted one refused), base32 (RFC 4648
 * section 10), the otpauth:// URI, recovery codes; and the ticket table
 * (nvr/core/signin_ticket.c): single use, expiry, bound address, tries, and
 * a bounded table. */
#include "check.h"

#include "core/signin_ticket.h"
#include "core/totp.h"

#include <stdio.h>
#include <string.h>

static const uint8_t rfc_key[] = "12345678901234567890"; /* 20 bytes, the RFC's SHA1 seed */
#define KEYLEN 20

static void test_rfc6238_vectors(void)
{
    static const struct {
        int64_t t;
        uint32_t code;
    } v[] = {{59, 94287082},         {1111111109, 7081804},  {1111111111, 14050471},
             {1234567890, 89005924}, {2000000000, 69279037}, {20000000000LL, 65353130}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        CHECK_EQ_INT(totp_hotp(rfc_key, KEYLEN, (uint64_t)totp_step(v[i].t), 8), v[i].code);
    /* 6 digits are the last 6 of the 8 */
    CHECK_EQ_INT(totp_hotp(rfc_key, KEYLEN, (uint64_t)totp_step(59), 6), 287082);
    /* RFC 4226 appendix D, HOTP counter 0 and 9 */
    CHECK_EQ_INT(totp_hotp(rfc_key, KEYLEN, 0, 6), 755224);
    CHECK_EQ_INT(totp_hotp(rfc_key, KEYLEN, 9, 6), 520489);
}

static void code_at(int64_t step, char out[8])
{
    snprintf(out, 8, "%06u", totp_hotp(rfc_key, KEYLEN, (uint64_t)step, 6));
}

static void test_skew_and_replay(void)
{
    const int64_t now = 1111111111, s = totp_step(now);
    char c[8];
    code_at(s, c);
    CHECK(totp_match(rfc_key, KEYLEN, c, now, 0) == s);
    code_at(s - 1, c);
    CHECK(totp_match(rfc_key, KEYLEN, c, now, 0) == s - 1); /* the previous step */
    code_at(s + 1, c);
    CHECK(totp_match(rfc_key, KEYLEN, c, now, 0) == s + 1); /* the next step */
    code_at(s - 2, c);
    CHECK(totp_match(rfc_key, KEYLEN, c, now, 0) == -1); /* two steps off */
    code_at(s + 2, c);
    CHECK(totp_match(rfc_key, KEYLEN, c, now, 0) == -1);
    /* replay: the step already used, or an older one, is refused */
    code_at(s, c);
    CHECK(totp_match(rfc_key, KEYLEN, c, now, s) == -1);
    code_at(s - 1, c);
    CHECK(totp_match(rfc_key, KEYLEN, c, now, s) == -1);
    code_at(s + 1, c);
    CHECK(totp_match(rfc_key, KEYLEN, c, now, s) == s + 1);
    /* spaces are ignored; anything else is not a code */
    char spaced[12];
    code_at(s, c);
    snprintf(spaced, sizeof spaced, "%.3s %.3s", c, c + 3);
    CHECK(totp_match(rfc_key, KEYLEN, spaced, now, 0) == s);
    CHECK(totp_match(rfc_key, KEYLEN, "12345", now, 0) == -1);
    CHECK(totp_match(rfc_key, KEYLEN, "1234567", now, 0) == -1);
    CHECK(totp_match(rfc_key, KEYLEN, "12a456", now, 0) == -1);
    CHECK(totp_match(rfc_key, KEYLEN, "", now, 0) == -1);
}

static void test_text_forms(void)
{
    char b[TOTP_B32_LEN], uri[TOTP_URI_LEN], rc[TOTP_RECOVERY_LEN], n[TOTP_RECOVERY_LEN];
    totp_base32((const uint8_t *)"foobar", 6, b); /* RFC 4648 section 10, padding left out */
    CHECK_EQ_STR(b, "MZXW6YTBOI");
    totp_base32((const uint8_t *)"f", 1, b);
    CHECK_EQ_STR(b, "MY");
    totp_base32(rfc_key, KEYLEN, b);
    CHECK_EQ_STR(b, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    totp_uri("NVR", "pat o'neil", b, uri);
    CHECK_EQ_STR(uri, "otpauth://totp/NVR:pat%20o%27neil?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=NVR"
                      "&algorithm=SHA1&digits=6&period=30");
    const uint8_t rnd[7] = {0, 0x44, 0x32, 0x14, 0xc7, 0x42, 0x54};
    totp_recovery_format(rnd, rc);
    CHECK_EQ_INT((int)strlen(rc), 11);
    CHECK(rc[5] == '-');
    CHECK_EQ_INT(totp_recovery_normalize(rc, n), 0);
    CHECK_EQ_INT((int)strlen(n), 10);
    char upper[TOTP_RECOVERY_LEN];
    for (int i = 0; i < 12; i++)
        upper[i] = (char)(rc[i] >= 'a' && rc[i] <= 'z' ? rc[i] - 32 : rc[i]);
    char n2[TOTP_RECOVERY_LEN];
    CHECK_EQ_INT(totp_recovery_normalize(upper, n2), 0);
    CHECK_EQ_STR(n, n2);
    CHECK_EQ_INT(totp_recovery_normalize("abcde-fgh1j", n2), -1); /* 1 is not base32 */
    CHECK_EQ_INT(totp_recovery_normalize("abcde-fgh", n2), -1);
}

#define S 1000000LL

static void test_tickets(void)
{
    struct signin_tickets *t = NULL;
    char a[SIGNIN_TICKET_LEN], b[SIGNIN_TICKET_LEN];
    int64_t uid = 0, now = 1000 * S;
    CHECK_EQ_INT(signin_tickets_create(&t), 0);
    signin_ticket_issue(t, 7, "192.0.2.1", now, a);
    CHECK_EQ_INT((int)strlen(a), SIGNIN_TICKET_LEN - 1);
    CHECK_EQ_INT(signin_ticket_find(t, a, "192.0.2.1", now + S, &uid), 0);
    CHECK(uid == 7);
    CHECK_EQ_INT(signin_ticket_find(t, a, "192.0.2.2", now + S, &uid), -1);                    /* bound address */
    CHECK_EQ_INT(signin_ticket_find(t, a, "192.0.2.1", now + SIGNIN_TICKET_US + 1, &uid), -1); /* expired */
    for (int i = 0; i < SIGNIN_TICKET_TRIES - 1; i++)
        signin_ticket_failed(t, a);
    CHECK_EQ_INT(signin_ticket_find(t, a, "192.0.2.1", now + S, &uid), 0);
    signin_ticket_failed(t, a); /* the last try */
    CHECK_EQ_INT(signin_ticket_find(t, a, "192.0.2.1", now + S, &uid), -1);
    signin_ticket_issue(t, 8, "192.0.2.1", now, b);
    signin_ticket_take(t, b); /* single use */
    CHECK_EQ_INT(signin_ticket_find(t, b, "192.0.2.1", now + S, &uid), -1);
    /* bounded: the table holds SIGNIN_TICKETS_MAX; the next one pushes out the soonest to expire */
    signin_ticket_issue(t, 9, "192.0.2.1", now, a);
    for (int i = 1; i < SIGNIN_TICKETS_MAX; i++)
        signin_ticket_issue(t, 100 + i, "192.0.2.3", now + i, b);
    CHECK_EQ_INT(signin_ticket_find(t, a, "192.0.2.1", now + S, &uid), 0);
    signin_ticket_issue(t, 10, "192.0.2.3", now + SIGNIN_TICKETS_MAX, b);
    CHECK_EQ_INT(signin_ticket_find(t, a, "192.0.2.1", now + S, &uid), -1);
    CHECK_EQ_INT(signin_ticket_find(t, b, "192.0.2.3", now + S, &uid), 0);
    CHECK_EQ_INT(signin_ticket_find(t, "not-a-ticket", "192.0.2.3", now, &uid), -1);
    signin_tickets_destroy(&t);
    CHECK(t == NULL);
    signin_tickets_destroy(&t);
}

int main(void)
{
    RUN(test_rfc6238_vectors);
    RUN(test_skew_and_replay);
    RUN(test_text_forms);
    RUN(test_tickets);
    return check_summary();
}
