/* SPDX-License-Identifier: Apache-2.0 */
/*
 * holds.h - evidence holds: cameras + a time range + a case, exempt from
 * retention until released.
 *
 * A hold is never deleted: releasing it stamps who released it and when, so
 * the index keeps the history of every hold (what was protected, for which
 * case, by whom).  Retention (retention.h) skips every segment of a held
 * camera that overlaps an active hold's range; the check is made in the same
 * transaction as the deletion, so a hold added while retention runs is
 * honoured.
 *
 * Threads: any thread (the index serialises).
 */
#ifndef NVR_STORAGE_HOLDS_H
#define NVR_STORAGE_HOLDS_H

#include "base/err.h"
#include "storage/index.h"

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#define HOLD_TEXT_MAX 512
#define HOLD_CAMERAS_MAX 64

struct hold {
    int64_t id;
    size_t ncameras;
    char cameras[HOLD_CAMERAS_MAX][INDEX_ID_MAX];
    int64_t start_us, end_us;    /* UTC microseconds, end > start */
    char case_id[HOLD_TEXT_MAX]; /* case or incident number, may be "" */
    char reason[HOLD_TEXT_MAX];
    char created_by[INDEX_ID_MAX];
    int64_t created_us;
    char released_by[INDEX_ID_MAX]; /* "" while active */
    int64_t released_us;            /* 0 while active */
    int64_t export_pid;             /* 0: an evidence hold; else a temporary hold taken by the
                                     * export running in that process (export.h) */
};

/* Adds h (cameras, range, case_id, reason, created_by, created_us are read)
 * and sets h->id.  NVR_EINVAL if the range or camera list is empty. */
nvr_err holds_add(nvr_index *ix, struct hold *h);

/* Releases hold id, recording by and now_us.  NVR_ENOTFOUND if there is no
 * such hold or it was already released. */
nvr_err holds_release(nvr_index *ix, int64_t id, const char *by, int64_t now_us);

/* Releases the temporary holds of exports whose process is gone (a crash or
 * power cut during an export), as released_by "nvr".  *released (may be
 * NULL) gets how many. */
nvr_err holds_release_orphans(nvr_index *ix, int64_t now_us, int *released);

/* One hold by id into *out.  NVR_ENOTFOUND if there is none. */
nvr_err holds_get(nvr_index *ix, int64_t id, struct hold *out);

/* Holds by id (active only, or with released ones too): *out is a new array
 * of *n (free with free()). */
nvr_err holds_list(nvr_index *ix, int with_released, struct hold **out, size_t *n);

/* Bytes of footage of camera covered by active holds (for the sizing
 * estimate and the "only held footage left" report). */
nvr_err holds_held_bytes(nvr_index *ix, const char *camera, uint64_t *bytes);

/* Writes h as the JSON object of the holds API (docs/ref/http-api.md). */
void holds_write_json(FILE *f, const struct hold *h);

#endif
