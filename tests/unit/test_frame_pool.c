/* SPDX-License-Identifier: Apache-2.0 */
/* test_frame_pool.c - the per-stream frame buffers (nvr/media/frame_pool.c):
 * padding, reuse of released chunks, big frames, release from another thread
 * and after the pool is destroyed (run under ASan for the lifetimes). */
#include "base/err.h"
#include "media/frame_pool.h"

#include "check.h"

#include <libavcodec/avcodec.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

static int padded(const AVBufferRef *b)
{
    for (int i = 0; i < AV_INPUT_BUFFER_PADDING_SIZE; i++)
        if (b->data[b->size + i] != 0)
            return 0;
    return 1;
}

static void test_frames_are_separate_and_padded(void)
{
    struct frame_pool *p = NULL;
    CHECK_EQ_INT(frame_pool_create(&p), NVR_OK);
    AVBufferRef *b[40];
    for (int i = 0; i < 40; i++) {
        b[i] = frame_pool_get(p, (size_t)(1000 + i * 700));
        CHECK(b[i] && b[i]->size == (size_t)(1000 + i * 700) && padded(b[i]));
        CHECK(b[i] && ((uintptr_t)b[i]->data & 63) == 0); /* av_malloc's alignment */
        CHECK(b[i] && av_buffer_is_writable(b[i]));
        memset(b[i]->data, i + 1, (size_t)b[i]->size);
    }
    for (int i = 0; i < 40; i++) {
        int same = 1;
        for (size_t k = 0; k < b[i]->size; k++)
            same &= b[i]->data[k] == i + 1;
        CHECK(same && padded(b[i])); /* no frame overlaps another */
        av_buffer_unref(&b[i]);
    }
    frame_pool_destroy(&p);
    CHECK(p == NULL);
}

/* A camera in steady state: frames of a GOP released together, then the
 * next GOP; after the first GOPs the same chunks come back. */
static void test_released_chunks_are_reused(void)
{
    struct frame_pool *p = NULL;
    CHECK_EQ_INT(frame_pool_create(&p), NVR_OK);
    uint8_t *seen[64];
    int nseen = 0, reused = 0, fresh_late = 0;
    for (int gop = 0; gop < 20; gop++) {
        AVBufferRef *b[50];
        for (int i = 0; i < 50; i++) {
            b[i] = frame_pool_get(p, 20000);
            CHECK(b[i] != NULL);
        }
        /* the chunk start of each frame: remember the distinct ones */
        for (int i = 0; i < 50; i++) {
            int found = 0;
            for (int k = 0; k < nseen; k++)
                found |= b[i]->data >= seen[k] && b[i]->data < seen[k] + FRAME_POOL_CHUNK;
            if (found) {
                reused++;
            } else {
                if (gop >= 3)
                    fresh_late++;
                if (nseen < 64)
                    seen[nseen++] = b[i]->data;
            }
        }
        for (int i = 0; i < 50; i++)
            av_buffer_unref(&b[i]);
    }
    CHECK(reused > 0);
    /* 50 x 20 kB need 4-5 chunks at once; beyond the spares some are made
     * again, but far from one allocation per frame */
    CHECK(fresh_late < 20 * 2);
    frame_pool_destroy(&p);
}

static void test_big_frame_has_its_own_buffer(void)
{
    struct frame_pool *p = NULL;
    CHECK_EQ_INT(frame_pool_create(&p), NVR_OK);
    AVBufferRef *small = frame_pool_get(p, 100);
    AVBufferRef *big = frame_pool_get(p, 3 * FRAME_POOL_CHUNK);
    CHECK(small && big && big->size == 3 * (size_t)FRAME_POOL_CHUNK && padded(big));
    memset(big->data, 0xab, (size_t)big->size);
    CHECK(padded(small));
    av_buffer_unref(&big);
    av_buffer_unref(&small);
    frame_pool_destroy(&p);
}

struct releaser {
    AVBufferRef **b;
    int n;
};

static void *release_all(void *arg)
{
    struct releaser *r = arg;
    for (int i = 0; i < r->n; i++)
        av_buffer_unref(&r->b[i]);
    return NULL;
}

/* Frames outlive the pool and are released by another thread (the writer
 * thread, after the camera's session ended). */
static void test_release_elsewhere_after_destroy(void)
{
    for (int round = 0; round < 50; round++) {
        struct frame_pool *p = NULL;
        CHECK_EQ_INT(frame_pool_create(&p), NVR_OK);
        AVBufferRef *b[200];
        for (int i = 0; i < 200; i++) {
            b[i] = frame_pool_get(p, (size_t)(500 + (i * 7919) % 60000));
            CHECK(b[i] != NULL);
        }
        struct releaser r = {b, 200};
        pthread_t t;
        CHECK_EQ_INT(pthread_create(&t, NULL, release_all, &r), 0);
        if (round % 2)
            frame_pool_destroy(&p); /* while the other thread releases */
        pthread_join(t, NULL);
        frame_pool_destroy(&p);
    }
}

int main(void)
{
    RUN(test_frames_are_separate_and_padded);
    RUN(test_released_chunks_are_reused);
    RUN(test_big_frame_has_its_own_buffer);
    RUN(test_release_elsewhere_after_destroy);
    return check_summary();
}
