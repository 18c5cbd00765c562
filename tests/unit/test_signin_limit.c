/* SPDX-License-Identifier: Apache-2.0 */
/* The sign-in rate limiter (nvr/core/signin_limit.c): per (name, prefix)
 * and per prefix, never per name alone; backoff; and a bounded table that
 * junk failures cannot flush (issue 13 rows 1 and 2). */
#include "check.h"

#include "core/signin_limit.h"

#include <stdio.h>

#define S 1000000LL
#define MIN (60 * S)

static void fail_n(struct signin_limit *l, const char *name, const char *addr, int n, int64_t now)
{
    for (int i = 0; i < n; i++)
        signin_limit_failed(l, name, addr, now);
}

static void test_limiter(void)
{
    struct signin_limit *l = NULL;
    int64_t t = 1000 * S;
    char p[SIGNIN_PREFIX_LEN];

    /* prefixes: IPv4 /32, IPv6 /64, IPv4-mapped as IPv4 */
    signin_limit_prefix("192.0.2.7", p);
    CHECK_EQ_STR(p, "192.0.2.7");
    signin_limit_prefix("2001:db8:1:2:aaaa:bbbb:cccc:dddd", p);
    CHECK_EQ_STR(p, "2001:db8:1:2::/64");
    signin_limit_prefix("::ffff:10.1.2.3", p);
    CHECK_EQ_STR(p, "10.1.2.3");
    signin_limit_prefix("unknown", p);
    CHECK_EQ_STR(p, "unknown");

    /* row 1: five failures from one address slow that name from that address only */
    CHECK_EQ_INT(signin_limit_create(&l, SIGNIN_SLOTS), 0);
    fail_n(l, "admin", "203.0.113.9", 4, t);
    CHECK(signin_limit_wait(l, "admin", "203.0.113.9", t) == 0);
    signin_limit_failed(l, "admin", "203.0.113.9", t);
    CHECK(signin_limit_wait(l, "admin", "203.0.113.9", t) == MIN);
    CHECK(signin_limit_wait(l, "admin", "198.51.100.1", t) == 0);   /* the owner elsewhere */
    CHECK(signin_limit_wait(l, "other", "203.0.113.9", t) == 0);    /* another name there */
    /* backoff: after the wait one more try; failing it doubles the wait */
    CHECK(signin_limit_wait(l, "admin", "203.0.113.9", t + MIN + 1) == 0);
    signin_limit_failed(l, "admin", "203.0.113.9", t + MIN + 1);
    CHECK(signin_limit_wait(l, "admin", "203.0.113.9", t + MIN + 1) == 2 * MIN);
    for (int i = 0; i < 10; i++)
        signin_limit_failed(l, "admin", "203.0.113.9", t + 2 * MIN);
    CHECK(signin_limit_wait(l, "admin", "203.0.113.9", t + 2 * MIN) == SIGNIN_DELAY_MAX_US);
    /* old failures are forgotten */
    signin_limit_failed(l, "old", "203.0.113.50", t);
    fail_n(l, "old", "203.0.113.50", 4, t + SIGNIN_WINDOW_US + S);
    CHECK(signin_limit_wait(l, "old", "203.0.113.50", t + SIGNIN_WINDOW_US + S) == 0);
    /* a success forgives that name's failures, also on the address's count */
    fail_n(l, "typo", "203.0.113.60", 4, t);
    signin_limit_succeeded(l, "typo", "203.0.113.60");
    fail_n(l, "typo", "203.0.113.60", 4, t);
    CHECK(signin_limit_wait(l, "typo", "203.0.113.60", t) == 0);

    /* per address: twenty failures of any names slow every name from that address */
    for (int i = 0; i < SIGNIN_ADDR_FREE; i++) {
        char n[16];
        snprintf(n, sizeof n, "spray%d", i);
        CHECK(signin_limit_wait(l, n, "203.0.113.77", t) == 0);
        signin_limit_failed(l, n, "203.0.113.77", t);
    }
    CHECK(signin_limit_wait(l, "anyone", "203.0.113.77", t) > 0);
    CHECK(signin_limit_wait(l, "anyone", "203.0.113.78", t) == 0);
    /* an IPv6 /64 is one address; the next /64 is not */
    for (int i = 0; i < SIGNIN_ADDR_FREE; i++) {
        char a[64];
        snprintf(a, sizeof a, "2001:db8:5:6::%x", i + 1);
        signin_limit_failed(l, "v6", a, t + i);
        signin_limit_failed(l, "v6b", a, t + i); /* spread names too */
    }
    CHECK(signin_limit_wait(l, "x", "2001:db8:5:6:ffff::1", t + S) > 0);
    CHECK(signin_limit_wait(l, "x", "2001:db8:5:7::1", t + S) == 0);
    signin_limit_destroy(&l);

    /* row 2: a table that junk cannot flush.  A small table (64 slots): block
     * admin from one address, then 300 junk failures from 16 addresses, and
     * 1000 from one address: the block stays. */
    CHECK_EQ_INT(signin_limit_create(&l, 64), 0);
    fail_n(l, "admin", "192.0.2.1", SIGNIN_PAIR_FREE, t);
    CHECK(signin_limit_wait(l, "admin", "192.0.2.1", t) > 0);
    for (int i = 0; i < 300; i++) {
        char n[32], a[32];
        snprintf(n, sizeof n, "junk%d", i);
        snprintf(a, sizeof a, "198.51.100.%d", 1 + i % 16);
        signin_limit_failed(l, n, a, t + S + i * 1000);
    }
    CHECK(signin_limit_wait(l, "admin", "192.0.2.1", t + 30 * S) > 0);
    for (int i = 0; i < 1000; i++) {
        char n[32];
        snprintf(n, sizeof n, "one%d", i);
        signin_limit_failed(l, n, "198.51.100.200", t + 2 * S);
    }
    CHECK(signin_limit_wait(l, "admin", "192.0.2.1", t + 30 * S) > 0);
    struct signin_limit_stats st;
    signin_limit_stats(l, t + 30 * S, &st);
    CHECK(st.evicted > 0);
    CHECK(st.evicted_blocks == 0);
    signin_limit_destroy(&l);

    /* the per-address cap: one address holds at most SIGNIN_PER_PREFIX names (+ itself) */
    CHECK_EQ_INT(signin_limit_create(&l, 256), 0);
    for (int i = 0; i < 200; i++) {
        char n[32];
        snprintf(n, sizeof n, "n%d", i);
        signin_limit_failed(l, n, "192.0.2.99", t);
    }
    signin_limit_stats(l, t, &st);
    CHECK(st.used == SIGNIN_PER_PREFIX + 1);
    signin_limit_destroy(&l);

    /* only when every slot is an active block does a block go: the one ending soonest */
    CHECK_EQ_INT(signin_limit_create(&l, 4), 0);
    fail_n(l, "a", "192.0.2.10", SIGNIN_ADDR_FREE, t);     /* address: 1 min, name: 15 min */
    fail_n(l, "b", "192.0.2.11", SIGNIN_ADDR_FREE, t + S); /* the same, a second later */
    signin_limit_failed(l, "c", "192.0.2.12", t + 2 * S);  /* the two address blocks go */
    CHECK(signin_limit_wait(l, "a", "192.0.2.10", t + 3 * S) == SIGNIN_DELAY_MAX_US - 3 * S);
    CHECK(signin_limit_wait(l, "b", "192.0.2.11", t + 3 * S) == SIGNIN_DELAY_MAX_US - 2 * S);
    signin_limit_stats(l, t + 3 * S, &st);
    CHECK_EQ_INT(st.evicted_blocks, 2);
    signin_limit_destroy(&l);
}

int main(void)
{
    RUN(test_limiter);
    return check_summary();
}
