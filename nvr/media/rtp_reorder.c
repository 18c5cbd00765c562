/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtp_reorder.c - the reorder buffer for RTP over UDP (see rtp_reorder.h).
 *
 * State: `next` is the sequence number to emit next (valid once `started`).
 * The window is next .. next + nslots - 1; a packet with sequence number s
 * in it is held in slot s % nslots.  `held` counts the occupied slots;
 * `since_us` is when the oldest wait began (a packet arrived behind a gap).
 * Invariant: slot (next % nslots) is empty whenever the function that
 * changed it returns (an in-order packet is emitted at once, along with the
 * run behind it).
 */
#include "media/rtp_reorder.h"

#include "base/err.h"

#include <stdlib.h>
#include <string.h>

#define RESTART_BEHIND 1000
#define RESTART_LATE_RUN 64

struct slot {
    uint8_t *data;
    size_t len, cap;
    int used;
};

struct rtp_reorder {
    struct slot *slots;
    int nslots;
    int held;
    int started;
    uint16_t next;
    uint32_t ssrc;
    int late_run; /* packets behind next in a row */
    int64_t max_wait_us;
    int64_t since_us;
    rtp_reorder_emit_fn emit;
    void *ctx;
    struct rtp_reorder_stats stats;
};

nvr_err rtp_reorder_create(struct rtp_reorder **out, int slots, int64_t max_wait_us, rtp_reorder_emit_fn emit,
                           void *ctx)
{
    *out = NULL;
    if (slots < 2 || slots > 1024 || !emit)
        return NVR_EINVAL;
    struct rtp_reorder *r = calloc(1, sizeof *r);
    if (!r || !(r->slots = calloc((size_t)slots, sizeof *r->slots))) {
        free(r);
        return NVR_ENOMEM;
    }
    r->nslots = slots;
    r->max_wait_us = max_wait_us;
    r->emit = emit;
    r->ctx = ctx;
    *out = r;
    return NVR_OK;
}

void rtp_reorder_destroy(struct rtp_reorder **rp)
{
    struct rtp_reorder *r = *rp;
    if (!r)
        return;
    for (int i = 0; i < r->nslots; i++)
        free(r->slots[i].data);
    free(r->slots);
    free(r);
    *rp = NULL;
}

/* Emits the run of held packets starting at next. */
static int emit_run(struct rtp_reorder *r)
{
    for (;;) {
        struct slot *s = &r->slots[r->next % r->nslots];
        if (!s->used)
            break;
        s->used = 0;
        r->held--;
        r->next++;
        int rc = r->emit(r->ctx, s->data, s->len);
        if (rc)
            return rc;
    }
    return NVR_OK;
}

/* Gives up on the gap at next: skips to the first held packet and emits its
 * run.  Nothing held: nothing to do. */
static int skip_gap(struct rtp_reorder *r, int64_t now_us)
{
    if (r->held == 0)
        return NVR_OK;
    while (!r->slots[r->next % r->nslots].used) {
        r->next++;
        r->stats.skipped++;
    }
    int rc = emit_run(r);
    r->since_us = now_us; /* the next gap, if any, waits from now */
    return rc;
}

static int flush_all(struct rtp_reorder *r, int64_t now_us)
{
    while (r->held > 0) {
        int rc = skip_gap(r, now_us);
        if (rc)
            return rc;
    }
    return NVR_OK;
}

nvr_err rtp_reorder_push(struct rtp_reorder *r, const uint8_t *pkt, size_t len, int64_t now_us)
{
    if (len < 12)
        return r->emit(r->ctx, pkt, len);
    uint16_t seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
    uint32_t ssrc = (uint32_t)pkt[8] << 24 | (uint32_t)pkt[9] << 16 | (uint32_t)pkt[10] << 8 | pkt[11];
    if (!r->started || ssrc != r->ssrc) {
        int rc = r->started ? flush_all(r, now_us) : NVR_OK;
        if (rc)
            return rc;
        r->started = 1;
        r->ssrc = ssrc;
        r->next = seq;
        r->late_run = 0;
    }
    int d = (int16_t)(uint16_t)(seq - r->next);
    if (d < 0) {
        if (d >= -RESTART_BEHIND && ++r->late_run < RESTART_LATE_RUN) {
            r->stats.late++;
            return NVR_OK;
        }
        r->late_run = 0;
        int rc = flush_all(r, now_us); /* a new numbering */
        if (rc)
            return rc;
        r->next = seq;
        d = 0;
    }
    r->late_run = 0;
    if (d >= r->nslots) {
        /* too far ahead to hold: give up on everything before it */
        int rc = flush_all(r, now_us);
        if (rc)
            return rc;
        r->stats.skipped += (uint16_t)(seq - r->next);
        r->next = seq;
        d = 0;
    }
    if (d == 0) {
        if (r->held > 0)
            r->stats.reordered++;
        r->next++;
        int rc = r->emit(r->ctx, pkt, len);
        if (rc == NVR_OK && r->held > 0)
            rc = emit_run(r);
        if (r->held > 0)
            r->since_us = now_us; /* a later gap waits from now */
        return rc;
    }
    struct slot *s = &r->slots[seq % r->nslots];
    if (s->used) {
        r->stats.late++; /* a duplicate */
        return NVR_OK;
    }
    if (s->cap < len) {
        uint8_t *p = realloc(s->data, len);
        if (!p)
            return NVR_ENOMEM;
        s->data = p;
        s->cap = len;
    }
    memcpy(s->data, pkt, len);
    s->len = len;
    s->used = 1;
    if (r->held++ == 0)
        r->since_us = now_us;
    r->stats.held++;
    return NVR_OK;
}

nvr_err rtp_reorder_tick(struct rtp_reorder *r, int64_t now_us)
{
    if (r->held > 0 && now_us - r->since_us >= r->max_wait_us)
        return skip_gap(r, now_us);
    return NVR_OK;
}

int64_t rtp_reorder_deadline(const struct rtp_reorder *r)
{
    return r->held > 0 ? r->since_us + r->max_wait_us : INT64_MAX;
}

const struct rtp_reorder_stats *rtp_reorder_stats(const struct rtp_reorder *r)
{
    return &r->stats;
}
