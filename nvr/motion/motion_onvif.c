/* SPDX-License-Identifier: Apache-2.0 */
/*
 * motion_onvif.c - a camera's ONVIF motion events into the motion index
 * (see motion_onvif.h).
 *
 * The thread's states:
 *   SUBSCRIBING  client, GetSystemDateAndTime (its clock, for WS-Security's
 *                Created), events URL, CreatePullPointSubscription
 *   PULLING      PullMessages in a loop (each at most half the subscription's
 *                lifetime); Renew after half its lifetime (MOTION_ONVIF_TERM_S,
 *                or less if the camera granted less)
 *   WAITING      after a failure: backoff 1 s doubling to 60 s, interruptible
 * and back.  The motion state is the OR of every (topic, source) the camera
 * reported (a camera may have several rules or video sources), kept across
 * polls; an event opens when it turns true and closes when it turns false.
 * While open, the event and its seconds (full bitmaps) are written every
 * MOTION_FLUSH_US; when the subscription fails the open event is closed at
 * the last poll that answered (what we know), and when stopping at now.
 * Invariants kept for the index (motion_store.h): M1 (72-byte bitmaps; an
 * event longer than MOTION_EVENT_MAX_US is cut and continued as a new one),
 * M2 (motion_store_put leaves out what has no footage).
 */
#include "motion/motion_onvif.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "onvif/netprobe.h"
#include "onvif/onvif.h"
#include "onvif/onvif_events.h"
#include "storage/motion_store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CALL_TIMEOUT_MS 4000
#define BACKOFF_MIN_US 1000000LL
#define BACKOFF_MAX_US 60000000LL
#define MAX_SOURCES 8
#define URL_MAX 600
#define CRED_MAX 256

struct source_state {
    enum onvif_motion_topic topic;
    char source[ONVIF_TEXT_MAX];
    int motion;
};

struct motion_onvif {
    nvr_index *ix;
    char id[INDEX_ID_MAX];
    char url[URL_MAX], user[CRED_MAX], pass[CRED_MAX];
    pthread_t tid;
    int started;
    _Atomic int stop;
    pthread_mutex_t mu; /* with cv: the backoff wait */
    pthread_cond_t cv;
    /* the thread's */
    struct source_state src[MAX_SOURCES];
    int nsrc;
    int open;
    struct motion_event ev;
    int64_t secs_done; /* the last second of ev written, INT64_MIN if none */
    int64_t last_flush_us;
    nvr_err logged; /* the failure last logged (0: none since the last success) */
    int store_failed;
};

int64_t motion_onvif_msg_time(int64_t utc_us, int64_t recv_us)
{
    if (utc_us > 0 && utc_us - recv_us <= MOTION_ONVIF_SKEW_US && recv_us - utc_us <= MOTION_ONVIF_SKEW_US)
        return utc_us < recv_us ? utc_us : recv_us;
    return recv_us;
}

/* ---- the index ---- */

/* Writes the open (or just closed) event and its seconds up to its end. */
static void write_event(struct motion_onvif *m)
{
    struct motion_second secs[64];
    size_t n = 0;
    int64_t first = m->ev.start_us / 1000000, last = m->ev.end_us / 1000000;
    int64_t from = m->secs_done == INT64_MIN || m->secs_done < first ? first : m->secs_done + 1;
    nvr_err rc = NVR_OK;
    for (int64_t s = from; s <= last && rc == NVR_OK; s++) {
        secs[n].sec = s;
        memset(secs[n].cells, 0xff, MOTION_BITMAP_BYTES); /* the camera says no where: anywhere */
        if (++n == sizeof secs / sizeof secs[0] || s == last) {
            rc = motion_store_put(m->ix, m->id, secs, n, NULL, 0);
            if (rc == NVR_OK)
                m->secs_done = s;
            n = 0;
        }
    }
    if (rc == NVR_OK)
        rc = motion_store_put(m->ix, m->id, NULL, 0, &m->ev, 1);
    if (rc && !m->store_failed)
        nvr_log(NVR_WARN, m->id, "motion index not written source=onvif error=\"%s\"", nvr_strerror(rc));
    else if (!rc && m->store_failed)
        nvr_log(NVR_INFO, m->id, "motion index written again source=onvif");
    m->store_failed = rc != NVR_OK;
    m->last_flush_us = nvr_clock_mono_us();
}

static void open_event(struct motion_onvif *m, int64_t t)
{
    memset(&m->ev, 0, sizeof m->ev);
    m->ev.start_us = m->ev.end_us = t;
    m->ev.score = MOTION_CELLS;
    memset(m->ev.cells, 0xff, MOTION_BITMAP_BYTES);
    m->secs_done = INT64_MIN;
    m->open = 1;
    write_event(m);
}

/* Extends the open event to t (cutting it at MOTION_EVENT_MAX_US). */
static void extend(struct motion_onvif *m, int64_t t)
{
    while (t - m->ev.start_us > MOTION_EVENT_MAX_US) {
        int64_t cut = m->ev.start_us + MOTION_EVENT_MAX_US;
        m->ev.end_us = cut;
        write_event(m);
        open_event(m, cut);
    }
    if (t > m->ev.end_us)
        m->ev.end_us = t;
}

static void close_event(struct motion_onvif *m, int64_t t)
{
    if (!m->open)
        return;
    extend(m, t);
    write_event(m);
    m->open = 0;
    m->nsrc = 0; /* what the camera said is stale now; the next subscription says it again */
}

/* One motion notification received at recv_us. */
static void on_msg(struct motion_onvif *m, const struct onvif_motion_msg *msg, int64_t recv_us)
{
    int i;
    for (i = 0; i < m->nsrc; i++)
        if (m->src[i].topic == msg->topic && strcmp(m->src[i].source, msg->source) == 0)
            break;
    if (i == m->nsrc) {
        if (m->nsrc == MAX_SOURCES)
            i = MAX_SOURCES - 1; /* a camera with more rules than this: the last slot is shared */
        else
            m->nsrc++;
        m->src[i].topic = msg->topic;
        snprintf(m->src[i].source, sizeof m->src[i].source, "%s", msg->source);
    }
    m->src[i].motion = msg->motion;
    int any = 0;
    for (int k = 0; k < m->nsrc; k++)
        any |= m->src[k].motion;
    int64_t t = motion_onvif_msg_time(msg->utc_us, recv_us);
    if (any && !m->open) {
        open_event(m, t);
    } else if (!any && m->open) {
        close_event(m, t < m->ev.start_us ? m->ev.start_us : t);
    } else if (m->open) {
        extend(m, t);
    }
}

/* ---- the subscription ---- */

static void log_failure(struct motion_onvif *m, const char *step, nvr_err rc, int64_t backoff_us)
{
    if (rc == m->logged)
        return; /* the same failure again: said already */
    m->logged = rc;
    nvr_log(NVR_WARN, m->id,
            "onvif motion events unavailable step=%s error=\"%s\"%s retry_s=%lld (logged once until it changes)", step,
            nvr_strerror(rc), rc == NVR_EAUTH ? " hint=\"check the user and password of the onvif URL\"" : "",
            (long long)(backoff_us / 1000000));
}

/* How long the subscription lives from its last create or renew: what we
 * asked, or less if the camera granted less (its TerminationTime minus its
 * CurrentTime); at least 2 s. */
static int64_t lifetime(const struct onvif_pullpoint *pp)
{
    int64_t life = MOTION_ONVIF_TERM_S * 1000000LL;
    if (pp->termination_us && pp->current_us && pp->termination_us - pp->current_us < life)
        life = pp->termination_us - pp->current_us;
    return life < 2000000 ? 2000000 : life;
}

/* One subscription, until it fails or we stop; *step names what failed. */
static nvr_err session(struct motion_onvif *m, const char **step, int *subscribed)
{
    struct onvif_client *c = NULL;
    struct onvif_info info;
    struct onvif_pullpoint pp;
    char events[ONVIF_URI_MAX];
    struct onvif_motion_msg msgs[ONVIF_PULL_MAX];
    int64_t last_ok = 0;
    nvr_err rc;
    *subscribed = 0;
    *step = "client";
    if ((rc = onvif_client_create(&c, m->url, m->user, m->pass, CALL_TIMEOUT_MS)))
        goto out;
    onvif_client_set_cancel(c, &m->stop);
    memset(&info, 0, sizeof info);
    *step = "GetSystemDateAndTime";
    rc = onvif_get_system_date_and_time(c, &info);
    if (rc == NVR_ECONN || rc == NVR_ETIMEDOUT || rc == NVR_ESTOPPED)
        goto out; /* other failures: WS-Security follows our clock */
    *step = "events service";
    if ((rc = onvif_events_url(c, events, sizeof events)))
        goto out;
    *step = "CreatePullPointSubscription";
    if ((rc = onvif_pullpoint_create(c, events, MOTION_ONVIF_TERM_S, &pp)))
        goto out;
    *subscribed = 1;
    if (m->logged)
        nvr_log(NVR_INFO, m->id, "onvif motion events subscribed again");
    else
        nvr_log(NVR_INFO, m->id, "onvif motion events subscribed");
    m->logged = 0;
    int64_t renewed = nvr_clock_mono_us(), life = lifetime(&pp);
    last_ok = nvr_clock_now_us();
    while (!atomic_load(&m->stop)) {
        int n = 0;
        *step = "PullMessages";
        int wait_s = (int)(life / 2 / 1000000);
        rc = onvif_pullpoint_pull(c, &pp,
                                  wait_s < 1                     ? 1
                                  : wait_s > MOTION_ONVIF_PULL_S ? MOTION_ONVIF_PULL_S
                                                                 : wait_s,
                                  msgs, ONVIF_PULL_MAX, &n);
        if (rc)
            break;
        last_ok = nvr_clock_now_us();
        for (int i = 0; i < n; i++)
            on_msg(m, &msgs[i], last_ok);
        int64_t mono = nvr_clock_mono_us();
        if (m->open) {
            extend(m, last_ok);
            if (mono - m->last_flush_us >= MOTION_FLUSH_US)
                write_event(m);
        }
        if (mono - renewed >= life / 2) {
            *step = "Renew";
            if ((rc = onvif_pullpoint_renew(c, &pp, MOTION_ONVIF_TERM_S)))
                break;
            renewed = mono;
            life = lifetime(&pp);
        }
    }
    if (atomic_load(&m->stop)) {
        /* best effort, bounded by the call timeout: the camera frees its subscription now */
        onvif_client_set_cancel(c, NULL);
        onvif_pullpoint_unsubscribe(c, &pp);
        rc = NVR_ESTOPPED;
    }
out:
    if (m->open)
        close_event(m, rc == NVR_ESTOPPED || !last_ok ? nvr_clock_now_us() : last_ok);
    onvif_client_destroy(&c);
    return rc;
}

static void *thread_main(void *arg)
{
    struct motion_onvif *m = arg;
    int64_t backoff = BACKOFF_MIN_US;
    while (!atomic_load(&m->stop)) {
        const char *step = "";
        int subscribed = 0;
        nvr_err rc = session(m, &step, &subscribed);
        if (atomic_load(&m->stop))
            break;
        if (subscribed)
            backoff = BACKOFF_MIN_US; /* it worked for a while: try again soon */
        log_failure(m, step, rc, backoff);
        pthread_mutex_lock(&m->mu);
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t until = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 + backoff;
        ts.tv_sec = (time_t)(until / 1000000);
        ts.tv_nsec = (long)(until % 1000000) * 1000;
        while (!atomic_load(&m->stop) && pthread_cond_timedwait(&m->cv, &m->mu, &ts) == 0)
            ;
        pthread_mutex_unlock(&m->mu);
        backoff = backoff * 2 > BACKOFF_MAX_US ? BACKOFF_MAX_US : backoff * 2;
    }
    return NULL;
}

/* The device service URL and credentials: the onvif key, else
 * http://HOST/onvif/device_service with the RTSP URL's credentials (as the
 * audit does). */
static nvr_err target(struct motion_onvif *m, const struct nvr_camera_config *cam, const char **why)
{
    char rtsp[URL_MAX], user[CRED_MAX], pass[CRED_MAX], host[256], ohost[256];
    nvr_err rc =
        netprobe_url_split(cam->url, rtsp, sizeof rtsp, user, sizeof user, pass, sizeof pass, host, sizeof host);
    if (rc)
        return rc;
    if (cam->onvif) {
        if ((rc = netprobe_url_split(cam->onvif, m->url, sizeof m->url, m->user, sizeof m->user, m->pass,
                                     sizeof m->pass, ohost, sizeof ohost)))
            return rc;
        if (strcasecmp(ohost, host) != 0) {
            *why = "the onvif URL is not on the camera's own host (as for the audit, no other host is contacted)";
            return NVR_EINVAL;
        }
    } else {
        int v6 = strchr(host, ':') != NULL;
        if (snprintf(m->url, sizeof m->url, "http://%s%s%s/onvif/device_service", v6 ? "[" : "", host, v6 ? "]" : "") >=
            (int)sizeof m->url)
            return NVR_EINVAL;
    }
    if (!m->user[0]) {
        snprintf(m->user, sizeof m->user, "%s", user);
        snprintf(m->pass, sizeof m->pass, "%s", pass);
    }
    memset(pass, 0, sizeof pass);
    return NVR_OK;
}

nvr_err motion_onvif_start(struct motion_onvif **out, struct motion_pool *pool, const struct nvr_camera_config *cam)
{
    *out = NULL;
    if (!pool || !cam->motion || cam->motion_source == NVR_MOTION_DETECT)
        return NVR_OK;
    struct motion_onvif *m = calloc(1, sizeof *m);
    if (!m)
        return NVR_ENOMEM;
    m->ix = motion_pool_index(pool);
    snprintf(m->id, sizeof m->id, "%s", cam->id);
    pthread_mutex_init(&m->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->cv, &ca);
    pthread_condattr_destroy(&ca);
    const char *why = "the onvif or camera URL cannot be read";
    nvr_err rc = target(m, cam, &why);
    if (rc) {
        nvr_log(NVR_WARN, cam->id, "onvif motion events not used: %s", why);
        motion_onvif_stop(&m);
        return NVR_OK; /* the recording goes on without them */
    }
    if (pthread_create(&m->tid, NULL, thread_main, m) != 0) {
        motion_onvif_stop(&m);
        return NVR_ENOMEM;
    }
    m->started = 1;
    *out = m;
    return NVR_OK;
}

void motion_onvif_request_stop(struct motion_onvif *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    atomic_store(&m->stop, 1);
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

void motion_onvif_stop(struct motion_onvif **mp)
{
    struct motion_onvif *m = *mp;
    if (!m)
        return;
    motion_onvif_request_stop(m);
    if (m->started)
        pthread_join(m->tid, NULL);
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    memset(m->pass, 0, sizeof m->pass);
    free(m);
    *mp = NULL;
}
