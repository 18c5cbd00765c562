/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtp_reorder.h - puts RTP packets received over UDP back in sequence-number
 * order before the depacketizer (rtp_depack.c), waiting a little for late
 * ones.
 *
 * Contract:
 *  - Packets come out (through the emit callback, synchronously, from
 *    rtp_reorder_push and rtp_reorder_tick) in increasing 16-bit sequence
 *    order, each at most once.
 *  - A missing packet is waited for at most max_wait_us after the first
 *    packet behind it arrived, or until a packet arrives that is `slots`
 *    or more ahead of it; then the packets held are emitted past the gap
 *    (the depacketizer sees the gap and counts the loss).
 *  - A packet behind the next one to emit (late, or a duplicate) is dropped
 *    and counted.  The camera restarted its numbering when a packet is more
 *    than 1000 behind, when 64 in a row are behind, or when the SSRC
 *    changes: what is held is emitted and the new numbering taken up (the
 *    depacketizer then sees the restart as it would over TCP).
 *  - Without loss or reordering a packet is emitted as it is pushed (no
 *    delay, no copy).
 *
 * Threads: one thread.
 */
#ifndef NVR_RTP_REORDER_H
#define NVR_RTP_REORDER_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

struct rtp_reorder;

/* Returns non-zero to stop (an error): push/tick return that value. */
typedef int (*rtp_reorder_emit_fn)(void *ctx, const uint8_t *pkt, size_t len);

struct rtp_reorder_stats {
    uint64_t held;      /* packets held because an earlier one was missing */
    uint64_t reordered; /* missing packets that came late but in time (out of order) */
    uint64_t late;      /* dropped: behind the next one to emit, or duplicates */
    uint64_t skipped;   /* sequence numbers given up on (the depacketizer counts them lost) */
};

/* slots: 2..1024, the most packets held; max_wait_us: see above. */
nvr_err rtp_reorder_create(struct rtp_reorder **out, int slots, int64_t max_wait_us, rtp_reorder_emit_fn emit,
                           void *ctx);
void rtp_reorder_destroy(struct rtp_reorder **r);

/* One packet (borrowed; copied if it has to wait); now_us: CLOCK_MONOTONIC.
 * Packets under 12 bytes are emitted as they are (the depacketizer counts
 * them malformed). */
nvr_err rtp_reorder_push(struct rtp_reorder *r, const uint8_t *pkt, size_t len, int64_t now_us);

/* Emits what waited long enough. */
nvr_err rtp_reorder_tick(struct rtp_reorder *r, int64_t now_us);

/* When rtp_reorder_tick has something to do: INT64_MAX if nothing waits. */
int64_t rtp_reorder_deadline(const struct rtp_reorder *r);

const struct rtp_reorder_stats *rtp_reorder_stats(const struct rtp_reorder *r);

#endif
