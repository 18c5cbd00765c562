/* SPDX-License-Identifier: Apache-2.0 */
/*
 * motion_onvif.h - a camera's own motion events as a motion source
 * (motion_source = onvif | both; docs/design/motion.md, "ONVIF motion
 * events").
 *
 * One thread per camera that has them: it subscribes to the camera's ONVIF
 * Events service (PullPoint, onvif_events.h), long-polls it (PullMessages,
 * MOTION_ONVIF_PULL_S at most, so a stop is seen within about a second: the
 * poll is cancelled), renews the subscription, and turns the
 * CellMotionDetector / MotionAlarm state changes into motion events in the
 * same index as the detector's: region the whole picture (every cell set,
 * score MOTION_CELLS), a full bitmap for every second of the event.  A
 * camera that is down or refuses us is retried with backoff (1 s doubling to
 * 60 s), and each new kind of failure is logged once, not every retry.
 * Stopping unsubscribes (best effort, bounded) and closes an open event.
 *
 * Threads: start/request_stop/stop from the recorder's owner; the thread
 * owns everything else.
 */
#ifndef NVR_MOTION_ONVIF_H
#define NVR_MOTION_ONVIF_H

#include "base/config.h"
#include "base/err.h"
#include "motion/motion.h"

#include <stdint.h>

#define MOTION_ONVIF_PULL_S 5          /* PullMessages Timeout */
#define MOTION_ONVIF_TERM_S 60         /* subscription lifetime; renewed every TERM_S / 2 */
#define MOTION_ONVIF_SKEW_US 5000000LL /* a camera clock further off than this is not used */

struct motion_onvif;

/* Starts the subscriber of cam (borrowed: must outlive it) writing into
 * pool's index; *out stays NULL when the camera does not use ONVIF motion
 * (motion off, motion_source detect, or no pool). */
nvr_err motion_onvif_start(struct motion_onvif **out, struct motion_pool *pool, const struct nvr_camera_config *cam);

/* Asks the thread to stop without waiting (NULL tolerated). */
void motion_onvif_request_stop(struct motion_onvif *m);

/* Stops, joins, frees *m; sets it NULL; tolerates NULL. */
void motion_onvif_stop(struct motion_onvif **m);

/* The time to store for a message whose camera time is utc_us (0: none)
 * received at recv_us on our clock: the camera's time when its clock is
 * within MOTION_ONVIF_SKEW_US of ours (never later than recv_us), else
 * recv_us. */
int64_t motion_onvif_msg_time(int64_t utc_us, int64_t recv_us);

#endif
