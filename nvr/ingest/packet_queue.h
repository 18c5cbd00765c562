/* SPDX-License-Identifier: Apache-2.0 */
/*
 * packet_queue.h - the bounded hand-off from a camera's ingest thread to its
 * writer thread.
 *
 * The ingest thread must never wait on the disk (a camera's TCP window or UDP
 * buffer would overflow), and the writer must never see half a GOP.  So the
 * queue is bounded in bytes: a packet that does not fit is refused, and the
 * ingest thread then pushes one PQ_GAP marker (always accepted) and skips
 * packets until the next keyframe that fits.  Control items (session start,
 * end, gap, quit) are never refused.
 *
 * The consumer is woken once per GOP (on video keyframes, control items, or
 * a quarter-full queue), not per packet: the writer acts at keyframes anyway,
 * and a wake-up per packet was a measurable share of the CPU per camera.
 *
 * Threads: one producer (ingest thread), one consumer (writer thread).
 */
#ifndef NVR_PACKET_QUEUE_H
#define NVR_PACKET_QUEUE_H

#include "base/err.h"

#include "ingest/ingest.h"

#include <libavcodec/avcodec.h>
#include <stddef.h>
#include <stdint.h>

enum pq_kind {
    PQ_SESSION_START, /* a connection began: params describe it */
    PQ_PACKET,        /* pkt + meta; params set if the video parameters changed */
    PQ_GAP,           /* packets were dropped: end the segment, wait for a keyframe */
    PQ_SESSION_END,   /* the connection ended */
    PQ_QUIT,          /* the writer thread should finish and exit */
};

struct pq_params {
    AVCodecParameters *video; /* owned */
    AVRational video_tb;
    AVCodecParameters *audio; /* owned, NULL without audio */
    AVRational audio_tb;
    int64_t session; /* session id (wall clock us at connect) */
};

struct pq_item {
    enum pq_kind kind;
    AVPacket *pkt; /* PQ_PACKET, owned */
    struct ingest_meta meta;
    struct pq_params *params; /* PQ_SESSION_START, or PQ_PACKET on a change; owned */
    struct pq_item *next;
};

struct packet_queue;

/* A queue holding at most max_bytes of packet payload. */
nvr_err packet_queue_create(struct packet_queue **out, size_t max_bytes);

/* Frees the queue and anything still in it; sets *q NULL; tolerates NULL. */
void packet_queue_destroy(struct packet_queue **q);

/* Appends item (ownership passes to the queue on NVR_OK).  A PQ_PACKET that
 * would exceed max_bytes is refused with NVR_ENOSPC and stays the caller's. */
nvr_err packet_queue_push(struct packet_queue *q, struct pq_item *item);

/* Removes the oldest item, waiting for one.  The caller owns it. */
struct pq_item *packet_queue_pop(struct packet_queue *q);

/* Builds a params block from an ingest description (copies). NULL on ENOMEM. */
struct pq_params *pq_params_from_info(const struct ingest_info *info, int64_t session);

/* Frees an item with everything it owns; tolerates NULL. */
void pq_item_free(struct pq_item *item);

/* Frees a params block; tolerates NULL. */
void pq_params_free(struct pq_params *p);

/* Bytes of payload queued now (for metrics). */
size_t packet_queue_bytes(struct packet_queue *q);

#endif
