/* SPDX-License-Identifier: Apache-2.0 */
/* test_rtp_reorder.c - the reorder buffer for RTP over UDP
 * (nvr/media/rtp_reorder.c): in-order packets pass at once, swapped ones come out
 * in order, a gap is waited for at most the wait and then skipped, a packet
 * too far ahead flushes, late ones and duplicates are dropped, the 16-bit
 * wrap, and a camera that restarts its numbering. */
#include "media/rtp_reorder.h"

#include "check.h"
#include "base/err.h"

#include <string.h>

struct sink {
    int seq[64];
    int n;
};

static int collect(void *ctx, const uint8_t *pkt, size_t len)
{
    struct sink *s = ctx;
    CHECK(len == 12);
    if (s->n < 64)
        s->seq[s->n++] = pkt[2] << 8 | pkt[3];
    return NVR_OK;
}

static int push(struct rtp_reorder *r, int seq, int64_t now)
{
    uint8_t p[12] = {0x80, 96, (uint8_t)(seq >> 8), (uint8_t)seq};
    return rtp_reorder_push(r, p, sizeof p, now);
}

static void expect(struct sink *s, const int *want, int n)
{
    CHECK_EQ_INT(s->n, n);
    for (int i = 0; i < n && i < s->n; i++)
        CHECK_EQ_INT(s->seq[i], want[i]);
    s->n = 0;
}

static void test_in_order_and_swap(void)
{
    struct sink s = {0};
    struct rtp_reorder *r;
    CHECK_EQ_INT(rtp_reorder_create(&r, 8, 50000, collect, &s), NVR_OK);
    push(r, 100, 0);
    push(r, 101, 0);
    expect(&s, (int[]){100, 101}, 2); /* at once */
    CHECK(rtp_reorder_deadline(r) == INT64_MAX);
    push(r, 103, 1000);
    push(r, 104, 1000);
    expect(&s, NULL, 0); /* 102 missing: held */
    CHECK(rtp_reorder_deadline(r) == 51000);
    push(r, 102, 2000);
    expect(&s, (int[]){102, 103, 104}, 3);
    push(r, 103, 3000); /* a duplicate, late */
    push(r, 90, 3000);  /* late */
    expect(&s, NULL, 0);
    CHECK_EQ_INT((int)rtp_reorder_stats(r)->late, 2);
    CHECK_EQ_INT((int)rtp_reorder_stats(r)->held, 2);
    CHECK_EQ_INT((int)rtp_reorder_stats(r)->reordered, 1);
    rtp_reorder_destroy(&r);
    CHECK(r == NULL);
}

static void test_gap_timeout(void)
{
    struct sink s = {0};
    struct rtp_reorder *r;
    rtp_reorder_create(&r, 8, 50000, collect, &s);
    push(r, 10, 0);
    push(r, 12, 10000);
    push(r, 14, 20000);
    expect(&s, (int[]){10}, 1);
    rtp_reorder_tick(r, 59999);
    expect(&s, NULL, 0);
    rtp_reorder_tick(r, 60000); /* 11 given up: 12 comes out; 13 waits anew */
    expect(&s, (int[]){12}, 1);
    CHECK(rtp_reorder_deadline(r) == 110000);
    push(r, 13, 70000);
    expect(&s, (int[]){13, 14}, 2);
    CHECK_EQ_INT((int)rtp_reorder_stats(r)->skipped, 1);
    CHECK_EQ_INT((int)rtp_reorder_stats(r)->reordered, 1); /* 13 */
    push(r, 11, 80000); /* too late now */
    expect(&s, NULL, 0);
    rtp_reorder_destroy(&r);
}

static void test_far_ahead_wrap_restart(void)
{
    struct sink s = {0};
    struct rtp_reorder *r;
    rtp_reorder_create(&r, 8, 50000, collect, &s);
    push(r, 65534, 0);
    push(r, 0, 0); /* 65535 missing, across the wrap */
    push(r, 65535, 0);
    expect(&s, (int[]){65534, 65535, 0}, 3);
    push(r, 2, 0);
    push(r, 20, 0); /* 8 or more ahead of 1: 2 comes out, then 20 */
    expect(&s, (int[]){2, 20}, 2);
    CHECK_EQ_INT((int)rtp_reorder_stats(r)->skipped, 1 + 17);
    push(r, 30000, 0); /* far ahead again */
    push(r, 5, 0);     /* far behind: a new numbering */
    push(r, 6, 0);
    expect(&s, (int[]){30000, 5, 6}, 3);
    rtp_reorder_destroy(&r);
    CHECK_EQ_INT(rtp_reorder_create(&r, 1, 50000, collect, &s), NVR_EINVAL);
}

static void test_restart_near(void)
{
    struct sink s = {0};
    struct rtp_reorder *r;
    rtp_reorder_create(&r, 8, 50000, collect, &s);
    push(r, 500, 0);
    /* the camera starts again a little behind: 63 packets are dropped as
     * late, the 64th in a row starts the new numbering */
    for (int i = 0; i < 64; i++)
        push(r, 400 + i, 0);
    expect(&s, (int[]){500, 463}, 2);
    push(r, 464, 0);
    expect(&s, (int[]){464}, 1);
    /* a new SSRC: taken at once */
    uint8_t p[12] = {0x80, 96, 0, 7, 0, 0, 0, 0, 0, 0, 0, 9};
    rtp_reorder_push(r, p, sizeof p, 0);
    expect(&s, (int[]){7}, 1);
    rtp_reorder_destroy(&r);
}

int main(void)
{
    RUN(test_in_order_and_swap);
    RUN(test_gap_timeout);
    RUN(test_far_ahead_wrap_restart);
    RUN(test_restart_near);
    return check_summary();
}
