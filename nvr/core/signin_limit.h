/* SPDX-License-Identifier: Apache-2.0 */
/*
 * signin_limit.h - the sign-in rate limiter: failed passwords slow down the
 * one address (and the one name from that address) that failed, never the
 * name everywhere (docs/design/security.md "Sign-in throttling").
 *
 * Two counters per failure, both keyed by the client's prefix (an IPv4
 * address, /32; an IPv6 /64; an IPv4-mapped IPv6 address counts as IPv4):
 *   - (name, prefix): after SIGNIN_PAIR_FREE failures within
 *     SIGNIN_WINDOW_US, that name from that prefix waits SIGNIN_DELAY_MIN_US,
 *     doubling with every further failure up to SIGNIN_DELAY_MAX_US;
 *   - prefix: the same after SIGNIN_ADDR_FREE failures of any names.
 * A success forgets the (name, prefix) entry and takes its failures off the
 * prefix's count (a person's own typos are forgiven, other names' are not).
 *
 * The table is bounded (slots given at creation) and cannot be flushed: a
 * new entry takes a free or expired slot, else the least useful entry that
 * is not an active block (fewest failures, then oldest last failure), and
 * only when every slot is an active block, the block that ends soonest.  One
 * prefix holds at most SIGNIN_PER_PREFIX (name, prefix) entries: past that
 * it recycles its own.
 *
 * Threads: any; the limiter has its own mutex.
 */
#ifndef NVR_SIGNIN_LIMIT_H
#define NVR_SIGNIN_LIMIT_H

#include "base/err.h"
#include <stddef.h>
#include <stdint.h>

#define SIGNIN_PAIR_FREE 5                     /* failures of one name from one prefix ... */
#define SIGNIN_ADDR_FREE 20                    /* ... or of any names from one prefix ... */
#define SIGNIN_WINDOW_US (15LL * 60 * 1000000) /* ... counted while the last is this recent */
#define SIGNIN_DELAY_MIN_US (60LL * 1000000)   /* the first wait, doubling per further failure */
#define SIGNIN_DELAY_MAX_US (15LL * 60 * 1000000)
#define SIGNIN_SLOTS 4096    /* entries kept (about 0.6 MB) */
#define SIGNIN_PER_PREFIX 16 /* (name, prefix) entries one prefix may hold */
#define SIGNIN_PREFIX_LEN 48 /* "ffff:ffff:ffff:ffff::/64" fits */

struct signin_limit;

/* A limiter with `slots` entries (SIGNIN_SLOTS in the server; tests use fewer). */
nvr_err signin_limit_create(struct signin_limit **out, size_t slots);
void signin_limit_destroy(struct signin_limit **l);

/* 0 if name may try from address at now_us, else how long it must wait (us). */
int64_t signin_limit_wait(struct signin_limit *l, const char *name, const char *address, int64_t now_us);

/* A wrong password (or unknown name) for name from address. */
void signin_limit_failed(struct signin_limit *l, const char *name, const char *address, int64_t now_us);

/* The right password for name from address. */
void signin_limit_succeeded(struct signin_limit *l, const char *name, const char *address);

/* The prefix address counts under: "192.0.2.7", "2001:db8:1:2::/64"
 * (anything that is not an address: itself, cut to fit). */
void signin_limit_prefix(const char *address, char out[SIGNIN_PREFIX_LEN]);

struct signin_limit_stats {
    size_t used;             /* entries in use */
    size_t blocked;          /* of which active blocks */
    uint64_t evicted;        /* entries evicted to make room, ever */
    uint64_t evicted_blocks; /* of which active blocks (only with every slot blocked) */
};
void signin_limit_stats(struct signin_limit *l, int64_t now_us, struct signin_limit_stats *st);

#endif
