/* SPDX-License-Identifier: Apache-2.0 */
/*
 * retention.h - keeps footage within its limits, oldest first, forever:
 *
 *   - per camera `retain_days`: footage that ended longer ago goes;
 *   - `[storage] max_bytes`: all footage together stays under it;
 *   - `[storage] min_free`: the file system keeps that much free, whoever
 *     else writes to it.
 *
 * When a global limit binds, the oldest footage over all cameras goes first,
 * so every camera keeps the same depth of history (fair in time, not in
 * bytes).  Footage under an active evidence hold (holds.h) is never deleted;
 * if only held footage is left to delete the state says so (and the log
 * shouts once a minute) while recording goes on in whatever room remains.
 *
 * Passes run every interval on the retention thread, and at once when a
 * writer reports a full file system (storage_set_full_hook).  Each pass
 * aims below the limits by a reserve of twice what was written during the
 * last pass, so the limits hold between passes too.
 *
 * Threads: the retention thread owns the pass state; retention_get_status
 * and retention_estimate may be called from any thread.
 */
#ifndef NVR_STORAGE_RETENTION_H
#define NVR_STORAGE_RETENTION_H

#include "base/err.h"
#include "storage/storage.h"

#include <stddef.h>
#include <stdint.h>

struct retention;

struct retention_camera {
    const char *id;  /* copied by retention_start / retention_set_cameras */
    int retain_days; /* 0: keep until the global limits need room */
};

struct retention_limits {
    uint64_t max_bytes;  /* 0: no cap */
    double min_free_pct; /* of the file system, 0: use min_free_bytes */
    uint64_t min_free_bytes;
    int default_retain_days; /* for cameras in the index but not configured */
    int64_t interval_us;     /* between passes */
};

enum retention_state {
    RETENTION_OK = 0,
    RETENTION_HELD_FULL, /* limits exceeded and only held footage is left */
    RETENTION_ERROR,     /* the last pass failed (see message) */
};

struct retention_status {
    enum retention_state state;
    char message[256];
    uint64_t used_bytes;        /* all footage, from the index */
    uint64_t fs_size, fs_avail; /* the file system of data_dir */
    uint64_t min_free;          /* min_free in bytes */
    uint64_t max_bytes;
    uint64_t deleted_segments, deleted_bytes; /* since start */
    int64_t last_pass_us;                     /* wall clock, 0 before the first */
};

/* Starts the retention thread for st with cams (n of them, copied).
 * *out owns it. */
nvr_err retention_start(struct retention **out, struct storage *st, const struct retention_limits *lim,
                        const struct retention_camera *cams, size_t n);

/* Replaces the configured cameras (copied), when cameras are added,
 * changed or removed while the server runs.  Any thread. */
nvr_err retention_set_cameras(struct retention *r, const struct retention_camera *cams, size_t n);

/* Stops the thread and frees *r; sets it NULL; tolerates NULL. */
void retention_stop(struct retention **r);

/* Asks for a pass now (the file system is full).  Any thread. */
void retention_wake(struct retention *r);

/* Runs one pass on the calling thread (the retention thread, or a CLI
 * without one: create with interval_us = 0 to start no thread). */
nvr_err retention_pass(struct retention *r);

void retention_get_status(struct retention *r, struct retention_status *out);

/* Sizing for one camera from what it recorded so far. */
struct retention_estimate {
    uint64_t bytes;       /* footage stored now */
    double bytes_per_day; /* measured: bytes over recorded duration (0 if < 10 s) */
    int64_t oldest_us;    /* INT64_MIN if nothing */
    double days;          /* days of footage the current limits will hold, -1 if unknown */
};

/* Estimates for camera id using the reader connection ix. */
nvr_err retention_estimate(struct retention *r, nvr_index *ix, const char *id, struct retention_estimate *out);

#endif
