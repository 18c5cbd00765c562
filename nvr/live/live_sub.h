/* SPDX-License-Identifier: Apache-2.0 */
/*
 * live_sub.h - a camera's sub stream (`sub_url`), pulled only while someone
 * watches it live: its own thread connects when live_sub_demand() is called
 * (the first sub viewer), feeds a live hub, and disconnects once the hub has
 * had no viewer for LIVE_IDLE_US.  Nothing of the sub stream is recorded.
 *
 * Threads: the sub thread owns the ingest; live_sub_demand from any thread.
 */
#ifndef NVR_LIVE_SUB_H
#define NVR_LIVE_SUB_H

#include "base/err.h"

#include "base/config.h"
#include "live/live.h"

struct live_sub;

/* Starts the (idle) thread for cam's sub_url (cam and hub borrowed; both
 * must outlive the live_sub). */
nvr_err live_sub_start(struct live_sub **out, const struct nvr_camera_config *cam, struct live_hub *hub);

/* A viewer arrived: connect now if not connected. */
void live_sub_demand(struct live_sub *s);

/* Stops and joins the thread (its session, if any, ends: the hub's viewers
 * are told); the struct stays, and live_sub_demand does nothing after.
 * Idempotent; tolerates NULL.  For a recorder retired while HTTP threads may
 * still hold its hubs. */
void live_sub_join(struct live_sub *s);

/* live_sub_join, then frees; sets *s NULL; tolerates NULL. */
void live_sub_stop(struct live_sub **s);

#endif
