/* SPDX-License-Identifier: Apache-2.0 */
/*
 * live_sub.c - the on-demand sub-stream ingest (see live_sub.h).
 *
 * The thread's states: idle (waits on cv for demand or stop) -> connecting
 * -> streaming (every video packet to the hub) -> back to idle when the hub
 * has been without viewers for LIVE_IDLE_US, or after a failure (then the
 * hub's viewers are ended, and a new viewer's demand starts a new attempt,
 * no sooner than BACKOFF_US after the failure).
 */
#include "live/live_sub.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#define SUB_TIMEOUT_US 5000000
#define BACKOFF_US 2000000

struct live_sub {
    const struct nvr_camera_config *cam;
    struct live_hub *hub;
    pthread_t tid;
    atomic_int stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int demanded;
    int joined; /* the thread is gone (live_sub_join) */
};

static void wait_demand(struct live_sub *s)
{
    pthread_mutex_lock(&s->mu);
    while (!s->demanded && !atomic_load(&s->stop))
        pthread_cond_wait(&s->cv, &s->mu);
    s->demanded = 0;
    pthread_mutex_unlock(&s->mu);
}

/* After a session: demands made during it are served; a viewer still there
 * (or one that came while we were closing) must not wait forever. */
static void still_wanted(struct live_sub *s)
{
    pthread_mutex_lock(&s->mu);
    s->demanded = live_hub_viewers(s->hub) > 0;
    pthread_mutex_unlock(&s->mu);
}

static void *sub_main(void *arg)
{
    struct live_sub *s = arg;
    char camera[80], why[256];
    snprintf(camera, sizeof camera, "%s", s->cam->id);
    struct ingest_opts o = {
        .camera = camera,
        .url = s->cam->sub_url,
        .transport = s->cam->transport,
        .audio = 0,
        .timeout_us = SUB_TIMEOUT_US,
        .stop = &s->stop,
    };
    while (!atomic_load(&s->stop)) {
        wait_demand(s);
        if (atomic_load(&s->stop))
            break;
        struct ingest *in = NULL;
        int rc = ingest_open(&in, &o, why, sizeof why);
        if (rc) {
            if (rc != NVR_ESTOPPED)
                nvr_log(NVR_WARN, camera, "sub stream connect failed error=\"%s: %s\"", nvr_strerror(rc), why);
            live_hub_session_end(s->hub);
            nvr_clock_sleep_us(BACKOFF_US);
            still_wanted(s);
            continue;
        }
        nvr_log(NVR_INFO, camera, "sub stream connected for live view transport=%s", ingest_get_info(in)->transport);
        AVPacket *pkt = av_packet_alloc();
        while (pkt && !atomic_load(&s->stop)) {
            struct ingest_meta meta;
            rc = ingest_read(in, pkt, &meta, why, sizeof why);
            if (rc) {
                if (rc != NVR_ESTOPPED)
                    nvr_log(NVR_WARN, camera, "sub stream lost error=\"%s\"", why);
                break;
            }
            live_hub_packet(s->hub, pkt, &meta, ingest_get_info(in));
            av_packet_unref(pkt);
            int64_t idle = live_hub_idle_since(s->hub);
            if (idle && nvr_clock_mono_us() - idle > LIVE_IDLE_US) {
                nvr_log(NVR_INFO, camera, "sub stream closed: no live viewer");
                break;
            }
        }
        av_packet_free(&pkt);
        ingest_close(&in);
        live_hub_session_end(s->hub);
        still_wanted(s);
    }
    return NULL;
}

nvr_err live_sub_start(struct live_sub **out, const struct nvr_camera_config *cam, struct live_hub *hub)
{
    struct live_sub *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return NVR_ENOMEM;
    s->cam = cam;
    s->hub = hub;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (pthread_create(&s->tid, NULL, sub_main, s) != 0) {
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return NVR_ENOMEM;
    }
    *out = s;
    return NVR_OK;
}

void live_sub_demand(struct live_sub *s)
{
    pthread_mutex_lock(&s->mu);
    s->demanded = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void live_sub_join(struct live_sub *s)
{
    if (!s || s->joined)
        return;
    pthread_mutex_lock(&s->mu);
    atomic_store(&s->stop, 1);
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->tid, NULL);
    s->joined = 1;
}

void live_sub_stop(struct live_sub **sp)
{
    struct live_sub *s = *sp;
    if (!s)
        return;
    live_sub_join(s);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
    *sp = NULL;
}
