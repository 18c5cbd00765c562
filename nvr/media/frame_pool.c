/* SPDX-License-Identifier: Apache-2.0 */
/*
 * frame_pool.c - reusable chunks for one stream's frames (see frame_pool.h).
 *
 * Invariants: a chunk's refs counts the frames carved from it that are still
 * referenced, plus one while it is the pool's current chunk; a chunk with
 * refs 0 is on the spare list or freed.  nchunks counts every chunk that
 * exists (current, referenced, spare); the pool is freed by whoever brings
 * it to "dead and no chunk" (under mu), exactly once.
 */
#include "media/frame_pool.h"

#include <libavcodec/avcodec.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN 64 /* what av_malloc gives (AVX-512) */

struct chunk {
    struct frame_pool *pool;
    atomic_uint refs;
    size_t cap, used;
    struct chunk *next; /* on the spare list */
    uint8_t *data;      /* ALIGN-aligned, inside this allocation */
};

struct frame_pool {
    pthread_mutex_t mu; /* guards spare, nspare, nchunks, dead */
    struct chunk *spare;
    int nspare;
    size_t nchunks;
    int dead;
    struct chunk *cur; /* the owner's */
};

static size_t round_up(size_t n)
{
    return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

static struct chunk *chunk_new(struct frame_pool *p, size_t cap)
{
    void *mem = NULL;
    size_t hdr = round_up(sizeof(struct chunk));
    if (posix_memalign(&mem, ALIGN, hdr + cap) != 0)
        return NULL;
    struct chunk *c = mem;
    c->pool = p;
    atomic_init(&c->refs, 1);
    c->cap = cap;
    c->used = 0;
    c->next = NULL;
    c->data = (uint8_t *)mem + hdr;
    pthread_mutex_lock(&p->mu);
    p->nchunks++;
    pthread_mutex_unlock(&p->mu);
    return c;
}

static void pool_free(struct frame_pool *p)
{
    pthread_mutex_destroy(&p->mu);
    free(p);
}

/* Drops one reference of c: its last one puts it on the spare list, or
 * frees it (a one-off chunk, enough spares, or a dead pool). */
static void chunk_put(struct chunk *c)
{
    if (atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    struct frame_pool *p = c->pool;
    int last = 0;
    pthread_mutex_lock(&p->mu);
    if (!p->dead && c->cap == FRAME_POOL_CHUNK && p->nspare < FRAME_POOL_SPARE) {
        c->used = 0;
        c->next = p->spare;
        p->spare = c;
        p->nspare++;
        c = NULL;
    } else {
        p->nchunks--;
        last = p->dead && p->nchunks == 0;
    }
    pthread_mutex_unlock(&p->mu);
    free(c);
    if (last)
        pool_free(p);
}

static void frame_unref(void *opaque, uint8_t *data)
{
    (void)data;
    chunk_put(opaque);
}

nvr_err frame_pool_create(struct frame_pool **out)
{
    struct frame_pool *p = calloc(1, sizeof *p);
    *out = NULL;
    if (!p)
        return NVR_ENOMEM;
    pthread_mutex_init(&p->mu, NULL);
    *out = p;
    return NVR_OK;
}

/* A current chunk with room for need bytes: the spare list's, else a new one. */
static struct chunk *room(struct frame_pool *p, size_t need)
{
    if (p->cur && p->cur->used + need <= p->cur->cap)
        return p->cur;
    if (p->cur)
        chunk_put(p->cur);
    pthread_mutex_lock(&p->mu);
    struct chunk *c = p->spare;
    if (c) {
        p->spare = c->next;
        p->nspare--;
        atomic_store(&c->refs, 1);
    }
    pthread_mutex_unlock(&p->mu);
    p->cur = c ? c : chunk_new(p, FRAME_POOL_CHUNK);
    return p->cur;
}

AVBufferRef *frame_pool_get(struct frame_pool *p, size_t size)
{
    size_t need = round_up(size + AV_INPUT_BUFFER_PADDING_SIZE);
    if (size > (size_t)INT_MAX - AV_INPUT_BUFFER_PADDING_SIZE)
        return NULL;
    struct chunk *c;
    if (need > FRAME_POOL_CHUNK / 4) {
        c = chunk_new(p, need); /* one-off: its frame holds the only reference */
    } else {
        c = room(p, need);
        if (c)
            atomic_fetch_add(&c->refs, 1);
    }
    if (!c)
        return NULL;
    uint8_t *data = c->data + c->used;
    c->used += need;
    memset(data + size, 0, AV_INPUT_BUFFER_PADDING_SIZE);
    AVBufferRef *b = av_buffer_create(data, size, frame_unref, c, 0);
    if (!b)
        chunk_put(c);
    return b;
}

void frame_pool_destroy(struct frame_pool **pp)
{
    struct frame_pool *p = *pp;
    if (!p)
        return;
    *pp = NULL;
    if (p->cur)
        chunk_put(p->cur);
    p->cur = NULL;
    pthread_mutex_lock(&p->mu);
    p->dead = 1;
    struct chunk *c = p->spare;
    p->spare = NULL;
    while (c) {
        struct chunk *next = c->next;
        free(c);
        p->nchunks--;
        c = next;
    }
    p->nspare = 0;
    int last = p->nchunks == 0;
    pthread_mutex_unlock(&p->mu);
    if (last)
        pool_free(p);
}
