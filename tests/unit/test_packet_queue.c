/* SPDX-License-Identifier: Apache-2.0 */
/* test_packet_queue.c - the bounded ingest->writer queue (nvr/ingest/packet_queue.c). */
#include "base/err.h"
#include "ingest/packet_queue.h"

#include "check.h"

#include <pthread.h>
#include <stdlib.h>

static struct pq_item *packet_item(int size, int64_t pts)
{
    struct pq_item *it = calloc(1, sizeof *it);
    it->kind = PQ_PACKET;
    it->pkt = av_packet_alloc();
    av_new_packet(it->pkt, size);
    it->pkt->pts = pts;
    return it;
}

static void test_bounded_in_bytes(void)
{
    struct packet_queue *q = NULL;
    CHECK_EQ_INT(packet_queue_create(&q, 1000), NVR_OK);
    CHECK_EQ_INT(packet_queue_push(q, packet_item(600, 1)), NVR_OK);
    struct pq_item *big = packet_item(600, 2);
    CHECK_EQ_INT(packet_queue_push(q, big), NVR_ENOSPC); /* stays ours */
    pq_item_free(big);
    /* control items are never refused */
    struct pq_item *gap = calloc(1, sizeof *gap);
    gap->kind = PQ_GAP;
    CHECK_EQ_INT(packet_queue_push(q, gap), NVR_OK);
    CHECK_EQ_INT(packet_queue_bytes(q), 600);
    struct pq_item *it = packet_queue_pop(q);
    CHECK(it->kind == PQ_PACKET && it->pkt->pts == 1);
    pq_item_free(it);
    CHECK_EQ_INT(packet_queue_bytes(q), 0);
    CHECK_EQ_INT(packet_queue_push(q, packet_item(900, 3)), NVR_OK);
    it = packet_queue_pop(q);
    CHECK(it->kind == PQ_GAP);
    pq_item_free(it);
    packet_queue_destroy(&q); /* frees the packet still queued */
    CHECK(q == NULL);
}

struct producer {
    struct packet_queue *q;
    int n;
};

static void *produce(void *arg)
{
    struct producer *p = arg;
    for (int i = 0; i < p->n;) {
        struct pq_item *it = packet_item(100, i);
        if (packet_queue_push(p->q, it) == NVR_OK)
            i++;
        else
            pq_item_free(it); /* full: like the ingest thread, drop and go on */
    }
    struct pq_item *quit = calloc(1, sizeof *quit);
    quit->kind = PQ_QUIT;
    packet_queue_push(p->q, quit);
    return NULL;
}

static void test_order_across_threads(void)
{
    struct packet_queue *q = NULL;
    packet_queue_create(&q, 100 * 50);
    struct producer p = {q, 20000};
    pthread_t t;
    pthread_create(&t, NULL, produce, &p);
    int64_t expect = 0;
    int in_order = 1;
    for (;;) {
        struct pq_item *it = packet_queue_pop(q);
        int quit = it->kind == PQ_QUIT;
        if (!quit) {
            in_order &= it->pkt->pts == expect;
            expect++;
        }
        pq_item_free(it);
        if (quit)
            break;
    }
    pthread_join(t, NULL);
    CHECK(in_order);
    CHECK_EQ_INT(expect, 20000);
    packet_queue_destroy(&q);
}

static void test_params_copy(void)
{
    AVCodecParameters *v = avcodec_parameters_alloc();
    v->codec_id = AV_CODEC_ID_H264;
    v->width = 1920;
    v->extradata = av_mallocz(8 + AV_INPUT_BUFFER_PADDING_SIZE);
    v->extradata_size = 8;
    struct ingest_info info = {.video = v, .video_tb = {1, 90000}};
    struct pq_params *p = pq_params_from_info(&info, 42);
    CHECK(p && p->video != v && p->video->width == 1920 && p->video->extradata_size == 8);
    CHECK(p && p->audio == NULL && p->session == 42 && p->video_tb.den == 90000);
    pq_params_free(p);
    avcodec_parameters_free(&v);
}

int main(void)
{
    RUN(test_bounded_in_bytes);
    RUN(test_order_across_threads);
    RUN(test_params_copy);
    return check_summary();
}
