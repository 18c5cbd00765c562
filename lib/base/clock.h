/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clock.h - the two clocks and the one time format.
 *
 * Wall-clock times are int64 microseconds since the Unix epoch, UTC ("us").
 * Elapsed time is measured with the monotonic clock.  On the command line and
 * in the API times are RFC 3339 (2026-11-22T04:00:00Z, offsets allowed);
 * docs/design/time.md has the rules.
 *
 * Threads: any; no state (clock.c calls no thread-unsafe libc time function);
 * nvr_clock_system is constant.
 */
#ifndef NVR_BASE_CLOCK_H
#define NVR_BASE_CLOCK_H

#include "base/err.h"
#include <stdint.h>

#define NVR_TIME_BUFSZ 80

/* Wall clock (CLOCK_REALTIME), microseconds since the epoch. */
int64_t nvr_clock_now_us(void);

/* Monotonic clock (CLOCK_MONOTONIC), microseconds since an arbitrary origin. */
int64_t nvr_clock_mono_us(void);

/* Parses an RFC 3339 date-time ("2026-11-22T04:00:00Z",
 * "2026-11-22T05:00:00.250+01:00"; 't'/'z' and a space for 'T' accepted) into
 * *us.  Returns NVR_OK or NVR_EINVAL. */
nvr_err nvr_clock_parse_rfc3339(const char *s, int64_t *us);

/* Formats us as UTC RFC 3339 with microseconds: 2026-11-22T04:00:00.000000Z. */
void nvr_clock_format_rfc3339(int64_t us, char buf[NVR_TIME_BUFSZ]);

/* Formats us as UTC RFC 3339 with milliseconds (for logs). */
void nvr_clock_format_ms(int64_t us, char buf[NVR_TIME_BUFSZ]);

/* Sleeps on the monotonic clock. */
void nvr_clock_sleep_us(int64_t us);

/* A clock as a seam: code whose rules depend on time (the recorder's
 * writer) reads it through one of these, so a test can run it on a
 * simulated clock (stepped, frozen, jumping) instead of the system's. */
struct nvr_clock {
    int64_t (*now_us)(void *cls);  /* wall clock, as nvr_clock_now_us */
    int64_t (*mono_us)(void *cls); /* monotonic, as nvr_clock_mono_us */
    void *cls;
};

/* The system's clocks (CLOCK_REALTIME, CLOCK_MONOTONIC). */
extern const struct nvr_clock nvr_clock_system;

#endif
