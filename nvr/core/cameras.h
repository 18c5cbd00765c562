/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cameras.h - the cameras the server records now: a set that changes while
 * it runs (API edits, SIGHUP reload) without stopping the others.
 *
 * The set is an array of slots that never moves and whose entries are never
 * freed before cameras_destroy: adding a camera publishes a new slot,
 * removing one marks the slot inactive and joins its recorder (finishing its
 * open segment; its live viewers are told the stream ended), changing one
 * publishes a new slot with a new recorder whose threads start once the old
 * one is joined (restart_locked, cameras.c).  So any thread may keep a
 * `const struct camera *` (its config and recorder stay readable) while
 * another thread edits the set; only `active` changes.  Retired slots keep
 * their stopped recorder (threads joined, live hubs emptied: a few KB) until
 * the process exits.
 *
 * Threads: readers (HTTP) any time without a lock; writers (API handlers,
 * the SIGHUP reload) are serialised by the set's mutex.
 */
#ifndef NVR_CAMERAS_H
#define NVR_CAMERAS_H

#include "base/err.h"
#include "base/config.h"
#include "core/recorder.h"
#include "storage/retention.h"
#include "storage/storage.h"

#include <stdatomic.h>
#include <stddef.h>

#define CAMERAS_MAX_SLOTS 4096 /* additions over a run; the config allows 1000 cameras */

enum camera_source {
    CAMERA_FILE = 0, /* declared in the config file: edited there, then SIGHUP */
    CAMERA_API,      /* added over the API: stored in the index, edited over the API */
};

struct camera {
    struct nvr_camera_config cfg; /* owned copy, immutable */
    struct recorder *rec;         /* may be shared with a later slot of the same camera */
    enum camera_source source;
    atomic_int active;
    int owns_rec; /* this slot stops and frees rec (writers, under the mutex) */
};

struct cameras;

struct motion_pool;

/* An empty set recording into st; retention (may be NULL) is told of every
 * change; motion (may be NULL) detects motion for the cameras that have it
 * on.  *out owns it. */
nvr_err cameras_create(struct cameras **out, struct storage *st, struct retention *ret, struct motion_pool *motion);

/* Stops every recorder and frees the set; sets *c NULL; tolerates NULL. */
void cameras_destroy(struct cameras **c);

/* Slots to scan: cameras_at(c, i) for i < cameras_slots(c). */
size_t cameras_slots(const struct cameras *c);

/* Slot i if its camera is active, else NULL (borrowed until destroy). */
const struct camera *cameras_at(const struct cameras *c, size_t i);

/* The active camera id, NULL if none (borrowed until destroy). */
const struct camera *cameras_find(const struct cameras *c, const char *id);

/* Copies cfg, records the camera in the index and starts recording it.
 * NVR_EINVAL if id is active already, NVR_ENOMEM when the slots are used up. */
nvr_err cameras_add(struct cameras *c, const struct nvr_camera_config *cfg, enum camera_source src);

/* Stops recording id (its open segment is finished first; footage stays).
 * NVR_ENOTFOUND if it is not active. */
nvr_err cameras_remove(struct cameras *c, const char *id);

/* Replaces id's config (and source): the old recorder finishes and stops
 * before the new one starts, so the index never sees them overlap.  When
 * only settings the recorder never reads change (NVR_CS_LIVE rows of the
 * camera settings table: name, group, retain_days, onvif, notes), the new
 * slot takes over the running recorder instead: recording and live viewers
 * go on uninterrupted (the recorder keeps reading the old slot's config,
 * equal in everything it reads, which stays allocated until destroy). */
nvr_err cameras_replace(struct cameras *c, const struct nvr_camera_config *cfg, enum camera_source src);

/* An edit of several steps (check the set, store, apply: camera_store.c)
 * runs between these, so two edits of one camera (a double-clicked "Add",
 * a change racing a removal, a SIGHUP) cannot interleave.  Readers never
 * take it; cameras_add/remove/replace do not either (they take the set's own
 * mutex inside): lock order edit -> set. */
void cameras_edit_begin(struct cameras *c);
void cameras_edit_end(struct cameras *c);

/* Whether two camera configs record the same way (every key equal). */
int cameras_config_equal(const struct nvr_camera_config *a, const struct nvr_camera_config *b);

#endif
