/* SPDX-License-Identifier: Apache-2.0 */
/*
 * packet_queue.c - bounded single-producer single-consumer queue (see
 * packet_queue.h), a mutex + condition variable around a linked list.
 */
#include "ingest/packet_queue.h"

#include "base/err.h"

#include <pthread.h>
#include <stdlib.h>

struct packet_queue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct pq_item *head, *tail;
    size_t bytes, max_bytes;
};

nvr_err packet_queue_create(struct packet_queue **out, size_t max_bytes)
{
    struct packet_queue *q = calloc(1, sizeof *q);
    *out = NULL;
    if (!q)
        return NVR_ENOMEM;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    q->max_bytes = max_bytes;
    *out = q;
    return NVR_OK;
}

void packet_queue_destroy(struct packet_queue **qp)
{
    struct packet_queue *q = *qp;
    if (!q)
        return;
    while (q->head) {
        struct pq_item *it = q->head;
        q->head = it->next;
        pq_item_free(it);
    }
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q);
    *qp = NULL;
}

static size_t item_bytes(const struct pq_item *it)
{
    return it->kind == PQ_PACKET && it->pkt ? (size_t)it->pkt->size : 0;
}

nvr_err packet_queue_push(struct packet_queue *q, struct pq_item *it)
{
    size_t b = item_bytes(it);
    pthread_mutex_lock(&q->mu);
    if (b && q->bytes + b > q->max_bytes) {
        pthread_mutex_unlock(&q->mu);
        return NVR_ENOSPC;
    }
    it->next = NULL;
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    q->bytes += b;
    /* Wake the writer once per GOP, not per packet: a keyframe (it cuts a
     * fragment), a control item, or a queue a quarter full.  Everything
     * before it is handled in the same wake-up. */
    int key = it->kind == PQ_PACKET && it->pkt && it->pkt->stream_index == 0 && (it->pkt->flags & AV_PKT_FLAG_KEY);
    if (it->kind != PQ_PACKET || key || q->bytes > q->max_bytes / 4)
        pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return NVR_OK;
}

struct pq_item *packet_queue_pop(struct packet_queue *q)
{
    pthread_mutex_lock(&q->mu);
    while (!q->head)
        pthread_cond_wait(&q->cv, &q->mu);
    struct pq_item *it = q->head;
    q->head = it->next;
    if (!q->head)
        q->tail = NULL;
    q->bytes -= item_bytes(it);
    pthread_mutex_unlock(&q->mu);
    it->next = NULL;
    return it;
}

size_t packet_queue_bytes(struct packet_queue *q)
{
    pthread_mutex_lock(&q->mu);
    size_t b = q->bytes;
    pthread_mutex_unlock(&q->mu);
    return b;
}

struct pq_params *pq_params_from_info(const struct ingest_info *info, int64_t session)
{
    struct pq_params *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->session = session;
    p->video_tb = info->video_tb;
    p->audio_tb = info->audio_tb;
    if (!(p->video = avcodec_parameters_alloc()) || avcodec_parameters_copy(p->video, info->video) < 0)
        goto fail;
    if (info->audio && (!(p->audio = avcodec_parameters_alloc()) || avcodec_parameters_copy(p->audio, info->audio) < 0))
        goto fail;
    return p;
fail:
    pq_params_free(p);
    return NULL;
}

void pq_params_free(struct pq_params *p)
{
    if (!p)
        return;
    avcodec_parameters_free(&p->video);
    avcodec_parameters_free(&p->audio);
    free(p);
}

void pq_item_free(struct pq_item *it)
{
    if (!it)
        return;
    av_packet_free(&it->pkt);
    pq_params_free(it->params);
    free(it);
}
