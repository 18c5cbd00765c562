/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ingest_dts.h - the ingest's decode-order stage: gives each video packet a
 * decode timestamp (dts_gen.h) from the reorder depth of the current SPS.
 *
 * ingest.c pushes every video packet it reads from an implementation and
 * pops them back, in the same order, once their dts is known: at once in
 * steady state, after D frames at the start of a run (a session, a
 * timestamp jump, new parameters).  A frame the implementation could give no
 * timestamp (meta.pts_guessed) cannot be placed among B-frames: with depth
 * > 0 it and the frames up to the next keyframe are dropped here, and the
 * next keyframe carries its new_params.
 *
 * Threads: used by the camera's ingest thread only.
 */
#ifndef NVR_INGEST_DTS_H
#define NVR_INGEST_DTS_H

#include "base/err.h"

#include "ingest/ingest.h"

struct ingest_dts;

/* camera is borrowed, for log lines. */
nvr_err ingest_dts_create(struct ingest_dts **out, const char *camera);

/* Frees the stage and the packets it still holds; sets *d NULL; tolerates NULL. */
void ingest_dts_destroy(struct ingest_dts **d);

/* Takes a video packet (its reference moves; pkt is left blank) read with
 * meta; info describes the stream now (its SPS is read on new parameters). */
nvr_err ingest_dts_push(struct ingest_dts *d, AVPacket *pkt, const struct ingest_meta *meta,
                        const struct ingest_info *info);

/* Moves the oldest packet whose dts is known into pkt: 1 if there was one. */
int ingest_dts_pop(struct ingest_dts *d, AVPacket *pkt, struct ingest_meta *meta);

/* The stream ended: every held packet gets its dts now. */
void ingest_dts_flush(struct ingest_dts *d);

#endif
