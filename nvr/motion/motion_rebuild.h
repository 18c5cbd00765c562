/* SPDX-License-Identifier: Apache-2.0 */
/*
 * motion_rebuild.h - the motion index derived again from the footage
 * (`nvr check --storage --rebuild-motion`; docs/design/motion.md, "Rebuilding
 * motion").
 *
 * For each camera (of the config file and stored over the API) with motion on and our detector in use
 * (motion_source detect or both), over its segments overlapping [from, to)
 * in start order: the motion the detector wrote there is deleted
 * (motion_store_clear_detected: the camera's own ONVIF events are kept,
 * they cannot be derived again), then every video keyframe of every local
 * segment file is decoded alone, run through the camera's detector and the
 * event tracker exactly as the live path does (motion_decode.h,
 * motion_detect.h, motion_events.h), and the seconds and events are written
 * (motion_store_put: M1, M2 hold as for live motion).  A keyframe's time is
 * the segment's start plus its presentation time in the file; a new ingest
 * session (or new picture size) starts the detector afresh, as a
 * reconnection does live.  Segments only in the archive tier are skipped
 * (counted).  Cost: about 5 ms of one core per 1080p keyframe.
 *
 * Threads: the CLI's; the index must be held with the data_dir lock (no
 * `nvr run` writing at the same time).
 */
#ifndef NVR_MOTION_REBUILD_H
#define NVR_MOTION_REBUILD_H

#include "base/config.h"
#include "base/err.h"
#include "storage/storage.h"

#include <stdint.h>
#include <stdio.h>

struct motion_rebuild_stats {
    int cameras;       /* cameras re-run */
    int segments;      /* segment files read */
    int skipped;       /* segments not readable here (archived, missing, not decodable) */
    int64_t keyframes; /* keyframes analysed */
    int events;        /* events written */
    int deleted;       /* detector events deleted before */
};

/* Re-runs detection for the camera cam (borrowed) over [from_us, to_us) of
 * st's footage, adding to *stats (zero it first).  Progress lines go to
 * progress (may be NULL): one for the camera, and one about every 10 s of
 * work. */
nvr_err motion_rebuild_camera(struct storage *st, const struct nvr_camera_config *cam, int64_t from_us, int64_t to_us,
                              FILE *progress, struct motion_rebuild_stats *stats);

#endif
