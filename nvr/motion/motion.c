/* SPDX-License-Identifier: Apache-2.0 */
/*
 * motion.c - the worker pool and each camera's motion state (see motion.h).
 *
 * State and who owns it:
 *   pool->mu guards   the ready list, every camera's queue (q, qn), and its
 *                     flags queued, busy, dying, and its stats;
 *   the worker that   the camera's decoder parameters, detector, tracker and
 *   set busy owns     the rows waiting to be written (secs, closed, cur);
 *                     motion_cam_destroy owns them once busy is clear and
 *                     dying keeps workers away.
 * A camera is on the ready list (queued) iff it has items, is not busy and
 * not dying; so one worker at a time works on it, in the order its items
 * came.
 *
 * The queue keeps the newest MOTION_QUEUE items: a keyframe that finds it
 * full pushes out the oldest keyframe (counted as dropped); new parameters
 * riding on a dropped item move to the next one.
 */
#include "motion/motion.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "motion/motion_decode.h"
#include "motion/motion_detect.h"
#include "motion/motion_events.h"
#include "storage/motion_store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_THREADS 8

enum item_kind { IT_KEY = 0, IT_END };

struct item {
    enum item_kind kind;
    AVPacket *pkt;          /* IT_KEY */
    AVCodecParameters *par; /* new parameters, or NULL */
    int64_t t;              /* wall clock */
};

struct motion_cam {
    struct motion_pool *pool;
    char id[INDEX_ID_MAX];
    /* under pool->mu */
    struct item q[MOTION_QUEUE + 1]; /* + 1: an IT_END always fits */
    int qn;
    int queued, busy, dying;
    struct motion_cam *next;
    struct motion_stats stats;
    /* the worker's (see the top) */
    AVCodecParameters *par;
    struct motion_detector *det;
    struct motion_tracker tr;
    struct motion_second *secs;
    size_t nsec, capsec;
    struct motion_event *closed;
    size_t nclosed, capclosed;
    struct motion_event cur;
    int cur_valid, cur_dirty;
    int64_t last_flush_us;
    int store_failed; /* logged once until a write works again */
};

struct motion_pool {
    nvr_index *ix;
    pthread_mutex_t mu;
    pthread_cond_t work, idle;
    struct motion_cam *head, *tail;
    int stop;
    pthread_t tids[MAX_THREADS];
    int nthreads;
};

static void item_clear(struct item *it)
{
    av_packet_free(&it->pkt);
    avcodec_parameters_free(&it->par);
    memset(it, 0, sizeof *it);
}

/* ---- writing (the worker's, or destroy's) ---- */

static void on_second(void *cls, const struct motion_second *s)
{
    struct motion_cam *mc = cls;
    if (mc->nsec == mc->capsec) {
        size_t cap = mc->capsec ? mc->capsec * 2 : 8;
        struct motion_second *v = realloc(mc->secs, cap * sizeof *v);
        if (!v)
            return; /* a second of motion lost rather than the camera */
        mc->secs = v;
        mc->capsec = cap;
    }
    mc->secs[mc->nsec++] = *s;
}

static void on_event(void *cls, const struct motion_event *e, int closed)
{
    struct motion_cam *mc = cls;
    int64_t id = mc->cur_valid ? mc->cur.id : 0;
    mc->cur = *e;
    mc->cur.id = id;
    mc->cur_valid = mc->cur_dirty = 1;
    if (!closed)
        return;
    if (mc->nclosed == mc->capclosed) {
        size_t cap = mc->capclosed ? mc->capclosed * 2 : 4;
        struct motion_event *v = realloc(mc->closed, cap * sizeof *v);
        if (!v)
            return;
        mc->closed = v;
        mc->capclosed = cap;
    }
    mc->closed[mc->nclosed++] = mc->cur;
    mc->cur_valid = mc->cur_dirty = 0;
    pthread_mutex_lock(&mc->pool->mu);
    mc->stats.events++;
    pthread_mutex_unlock(&mc->pool->mu);
}

/* Writes the seconds and events waiting (the open event too). */
static void flush(struct motion_cam *mc, int64_t now_us)
{
    mc->last_flush_us = now_us;
    if (!mc->nsec && !mc->nclosed && !mc->cur_dirty)
        return;
    if (mc->cur_dirty) {
        /* the open event goes last: its new id comes back into cur */
        if (mc->nclosed == mc->capclosed) {
            size_t cap = mc->capclosed ? mc->capclosed * 2 : 4;
            struct motion_event *v = realloc(mc->closed, cap * sizeof *v);
            if (!v)
                return;
            mc->closed = v;
            mc->capclosed = cap;
        }
        mc->closed[mc->nclosed++] = mc->cur;
    }
    nvr_err rc = motion_store_put(mc->pool->ix, mc->id, mc->secs, mc->nsec, mc->closed, mc->nclosed);
    if (mc->cur_dirty) {
        mc->cur.id = mc->closed[mc->nclosed - 1].id;
        mc->cur_dirty = 0;
    }
    if (rc && !mc->store_failed)
        nvr_log(NVR_WARN, mc->id, "motion index not written error=\"%s\"", nvr_strerror(rc));
    else if (!rc && mc->store_failed)
        nvr_log(NVR_INFO, mc->id, "motion index written again");
    mc->store_failed = rc != NVR_OK;
    mc->nsec = mc->nclosed = 0;
}

/* ---- the worker ---- */

static int64_t thread_cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* One item of mc (busy: this worker owns mc's worker state). */
static void process(struct motion_cam *mc, struct item *it, struct motion_decoder *dec)
{
    int64_t cpu0 = thread_cpu_us();
    int analysed = 0, failed = 0, global = 0;
    if (it->par) {
        avcodec_parameters_free(&mc->par);
        mc->par = it->par;
        it->par = NULL;
        motion_detector_reset(mc->det);
    }
    if (it->kind == IT_END) {
        motion_tracker_flush(&mc->tr);
        motion_detector_reset(mc->det);
        flush(mc, nvr_clock_mono_us());
    } else if (mc->par) {
        const AVFrame *f;
        int depth;
        if (motion_decoder_keyframe(dec, mc->par, it->pkt, &f, &depth) == NVR_OK) {
            struct motion_result r;
            motion_detector_frame(mc->det, f->data[0], f->width, f->height, f->linesize[0], depth, &r);
            motion_tracker_sample(&mc->tr, it->t, &r);
            analysed = 1;
            global = r.verdict == MOTION_GLOBAL;
        } else {
            failed = 1;
        }
        int64_t now = nvr_clock_mono_us();
        if (mc->nclosed || now - mc->last_flush_us >= MOTION_FLUSH_US)
            flush(mc, now);
    }
    int64_t used = thread_cpu_us() - cpu0;
    pthread_mutex_lock(&mc->pool->mu);
    mc->stats.analysed += (uint64_t)analysed;
    mc->stats.global += (uint64_t)global;
    mc->stats.busy_us += (uint64_t)(used > 0 ? used : 0);
    uint64_t errors = mc->stats.errors += (uint64_t)failed;
    pthread_mutex_unlock(&mc->pool->mu);
    if (failed && (errors == 1 || errors % 1000 == 0))
        nvr_log(NVR_WARN, mc->id, "motion: a keyframe did not decode count=%llu", (unsigned long long)errors);
}

static void *worker_main(void *arg)
{
    struct motion_pool *p = arg;
    struct motion_decoder *dec = NULL;
    if (motion_decoder_create(&dec)) {
        nvr_log(NVR_ERROR, NULL, "motion worker: out of memory");
        return NULL;
    }
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && !p->head)
            pthread_cond_wait(&p->work, &p->mu);
        if (!p->head)
            break; /* stopping */
        struct motion_cam *mc = p->head;
        p->head = mc->next;
        if (!p->head)
            p->tail = NULL;
        mc->next = NULL;
        mc->queued = 0;
        struct item it = mc->q[0];
        memmove(&mc->q[0], &mc->q[1], (size_t)(mc->qn - 1) * sizeof mc->q[0]);
        mc->qn--;
        memset(&mc->q[mc->qn], 0, sizeof mc->q[0]);
        mc->busy = 1;
        pthread_mutex_unlock(&p->mu);
        process(mc, &it, dec);
        item_clear(&it);
        pthread_mutex_lock(&p->mu);
        mc->busy = 0;
        if (mc->qn && !mc->dying) {
            mc->queued = 1;
            if (p->tail)
                p->tail->next = mc;
            else
                p->head = mc;
            p->tail = mc;
        }
        pthread_cond_broadcast(&p->idle);
    }
    pthread_mutex_unlock(&p->mu);
    motion_decoder_destroy(&dec);
    return NULL;
}

/* ---- the pool ---- */

nvr_err motion_pool_create(struct motion_pool **out, nvr_index *ix, int threads)
{
    struct motion_pool *p = calloc(1, sizeof *p);
    *out = NULL;
    if (!p)
        return NVR_ENOMEM;
    p->ix = ix;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->idle, NULL);
    if (threads <= 0)
        threads = 2;
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&p->tids[i], NULL, worker_main, p) != 0) {
            motion_pool_destroy(&p);
            return NVR_ENOMEM;
        }
        p->nthreads++;
    }
    *out = p;
    return NVR_OK;
}

nvr_index *motion_pool_index(struct motion_pool *p)
{
    return p->ix;
}

void motion_pool_destroy(struct motion_pool **pp)
{
    struct motion_pool *p = *pp;
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->tids[i], NULL);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->idle);
    pthread_mutex_destroy(&p->mu);
    free(p);
    *pp = NULL;
}

/* ---- cameras ---- */

nvr_err motion_cam_create(struct motion_cam **out, struct motion_pool *pool, const struct nvr_camera_config *cam)
{
    struct nvr_rect mask[NVR_RECTS_MAX];
    int nmask = 0;
    *out = NULL;
    if (!pool || !cam->motion || cam->motion_source == NVR_MOTION_ONVIF)
        return NVR_OK; /* onvif: the camera's own events (motion_onvif.h) instead */
    if (cam->motion_mask && nvr_rects_parse(cam->motion_mask, mask, NVR_RECTS_MAX, &nmask))
        return NVR_EINVAL; /* the config parser refused it already */
    struct motion_cam *mc = calloc(1, sizeof *mc);
    if (!mc)
        return NVR_ENOMEM;
    mc->pool = pool;
    snprintf(mc->id, sizeof mc->id, "%s", cam->id);
    struct motion_detect_opts o = {.sensitivity = cam->motion_sensitivity, .mask = mask, .nmask = nmask};
    if (motion_detector_create(&mc->det, &o)) {
        free(mc);
        return NVR_ENOMEM;
    }
    struct motion_sink sink = {.cls = mc, .second = on_second, .event = on_event};
    motion_tracker_init(&mc->tr, &sink, 0);
    mc->last_flush_us = nvr_clock_mono_us();
    *out = mc;
    return NVR_OK;
}

/* Queues it (taking it over) for mc; locked. */
static void enqueue(struct motion_cam *mc, struct item *it)
{
    struct motion_pool *p = mc->pool;
    int limit = it->kind == IT_END ? MOTION_QUEUE + 1 : MOTION_QUEUE;
    while (mc->qn >= limit) {
        /* push out the oldest keyframe (an IT_END is kept) */
        int drop = 0;
        while (drop < mc->qn && mc->q[drop].kind != IT_KEY)
            drop++;
        if (drop == mc->qn) {
            item_clear(it);
            return;
        }
        struct item *victim = &mc->q[drop];
        if (victim->par) {
            struct item *heir = drop + 1 < mc->qn ? &mc->q[drop + 1] : it;
            if (!heir->par) {
                heir->par = victim->par;
                victim->par = NULL;
            }
        }
        item_clear(victim);
        memmove(&mc->q[drop], &mc->q[drop + 1], (size_t)(mc->qn - drop - 1) * sizeof mc->q[0]);
        mc->qn--;
        memset(&mc->q[mc->qn], 0, sizeof mc->q[0]);
        mc->stats.dropped++;
    }
    mc->q[mc->qn++] = *it;
    if (!mc->queued && !mc->busy) {
        mc->queued = 1;
        if (p->tail)
            p->tail->next = mc;
        else
            p->head = mc;
        p->tail = mc;
        pthread_cond_signal(&p->work);
    }
}

void motion_cam_packet(struct motion_cam *mc, const AVPacket *pkt, const AVCodecParameters *par, int64_t wall_us)
{
    if (!mc || !(pkt->flags & AV_PKT_FLAG_KEY))
        return;
    struct item it = {.kind = IT_KEY, .t = wall_us};
    if (!(it.pkt = av_packet_clone(pkt)))
        return;
    if (par && (!(it.par = avcodec_parameters_alloc()) || avcodec_parameters_copy(it.par, par) < 0)) {
        item_clear(&it);
        return;
    }
    pthread_mutex_lock(&mc->pool->mu);
    mc->stats.keyframes++;
    if (mc->dying)
        item_clear(&it);
    else
        enqueue(mc, &it);
    pthread_mutex_unlock(&mc->pool->mu);
}

void motion_cam_session_end(struct motion_cam *mc)
{
    if (!mc)
        return;
    struct item it = {.kind = IT_END};
    pthread_mutex_lock(&mc->pool->mu);
    if (!mc->dying)
        enqueue(mc, &it);
    pthread_mutex_unlock(&mc->pool->mu);
}

void motion_cam_stats(struct motion_cam *mc, struct motion_stats *out)
{
    pthread_mutex_lock(&mc->pool->mu);
    *out = mc->stats;
    pthread_mutex_unlock(&mc->pool->mu);
}

void motion_cam_destroy(struct motion_cam **mcp)
{
    struct motion_cam *mc = *mcp;
    if (!mc)
        return;
    struct motion_pool *p = mc->pool;
    pthread_mutex_lock(&p->mu);
    mc->dying = 1;
    if (mc->queued) {
        struct motion_cam **pp = &p->head, *prev = NULL;
        while (*pp && *pp != mc) {
            prev = *pp;
            pp = &(*pp)->next;
        }
        if (*pp) {
            *pp = mc->next;
            if (p->tail == mc)
                p->tail = prev;
        }
        mc->queued = 0;
    }
    while (mc->busy)
        pthread_cond_wait(&p->idle, &p->mu);
    pthread_mutex_unlock(&p->mu);
    /* no worker holds it now: the items left are not analysed (the camera is
     * going), what was seen is written */
    for (int i = 0; i < mc->qn; i++)
        item_clear(&mc->q[i]);
    motion_tracker_flush(&mc->tr);
    flush(mc, 0);
    motion_detector_destroy(&mc->det);
    avcodec_parameters_free(&mc->par);
    free(mc->secs);
    free(mc->closed);
    free(mc);
    *mcp = NULL;
}
