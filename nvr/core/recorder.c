/* SPDX-License-Identifier: Apache-2.0 */
/*
 * recorder.c - one camera's ingest thread and writer thread (see recorder.h).
 *
 * Threads and what they own:
 *   ingest thread  - the struct ingest (network), the backoff state; pushes
 *                    items into the queue; updates the atomic counters.
 *   writer thread  - the timemap, the open storage_segment, the held-back
 *                    packets; pops items from the queue.
 *   any thread     - recorder_get_stats (atomics + last_error, codec, audio under mu).
 *
 * Write health: write_ok is 1 until a segment begin, packet write, fragment
 * cut or finish fails, and 1 again at the next one that succeeds (the
 * writer retries at every keyframe), so GET /api/v1/health recovers by
 * itself when the fault goes.  Each change is logged once, not each failure.
 *
 * Live view: the ingest thread also hands every video packet to the main
 * live hub (live.h: a reference and a lock, no copy, when nobody watches)
 * before pushing it to the writer; the hub never blocks it.  The sub
 * stream's hub is fed by its own on-demand ingest (live_sub.h).
 *
 * Motion (motion.h): the ingest thread hands every video keyframe to the
 * camera's motion_cam too, a reference that never blocks (motion drops its
 * own samples when behind; the recording loses nothing).
 *
 * Read pace (ingest_opts.relaxed): while nobody watches the camera live and
 * its timestamps are its own, the ingest thread lets up to 0.4 s of stream
 * gather in the kernel between wake-ups (0.1 s otherwise): a recording-only
 * camera costs a quarter of the wake-ups.  The threads are named nvr-ingest
 * and nvr-writer (top -H, and test_read_pace counts their wake-ups).
 *
 * The writer thread runs the writer state machine (writer.h), which is
 * unit-tested on a simulated clock without a camera (test_writer).
 */
#include "core/recorder.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "ingest/ingest.h"
#include "live/live_sub.h"
#include "live/live_transcode.h"
#include "ingest/packet_queue.h"
#include "ingest/tcp_probe.h"
#include "core/writer.h"
#include "motion/motion.h"
#include "motion/motion_onvif.h"
#include "media/timemap.h"

#include <libavutil/mathematics.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QUEUE_MAX_BYTES (8u << 20) /* ~16 s of a 4 Mbit/s camera */
#define INGEST_TIMEOUT_US 5000000  /* a silent camera is noticed within ~8 s */
/* Reconnection (docs/design/ingest.md, "Reconnection"): failed attempts back
 * off from BACKOFF_MIN_US to BACKOFF_MAX_US; a session that delivered a video
 * keyframe resets the backoff; while waiting, the camera's port is probed
 * every PROBE_INTERVAL_US (PROBE_INTERVAL_LONG_US once the backoff is at its
 * cap: a camera down for a minute or more) and a port seen down and then up
 * again ends the wait at once. */
#define BACKOFF_MIN_US 1000000
#define BACKOFF_MAX_US 30000000
#define STREAMED_US 5000000 /* R5: a session this long that streamed: retry at once */
#define PROBE_INTERVAL_US 250000
#define PROBE_INTERVAL_LONG_US 1000000
#define PROBE_TIMEOUT_US 250000


struct recorder {
    const struct nvr_camera_config *cam;
    struct storage *st;
    struct motion_pool *pool; /* for the ONVIF events thread (recorder_run) */
    struct packet_queue *q;
    pthread_t ingest_tid, writer_tid;
    int ingest_started, writer_started;
    atomic_int stop;

    pthread_mutex_t mu; /* guards last_error, codec, audio, size; wakes backoff sleeps */
    pthread_cond_t cv;
    char last_error[256];
    char write_error[256]; /* why write_ok is 0 */
    char codec[16];
    char audio[48]; /* ingest_info.audio_status of the last connection */
    int width, height;

    struct live_hub *live;     /* main stream */
    struct live_hub *live_sub; /* sub stream, NULL without sub_url */
    struct live_sub *sub;
    struct live_hub *live_h264; /* H.264 rendition, created on first use (under mu) */
    struct live_transcode *tc;
    struct snapshot_cache *snap;
    struct motion_cam *motion;  /* NULL with motion off */
    struct motion_onvif *onvif; /* the camera's ONVIF motion events; NULL unless motion_source is onvif/both */

    atomic_int status;
    atomic_int write_ok;
    atomic_uint_fast64_t bytes, frames, reconnects;
    struct writer_counters wc; /* the writer's: dropped, segments, fragment writes */
};

/* ------------------------------------------------------------------ */
/* writer thread                                                        */

static void set_error(struct recorder *r, const char *msg)
{
    size_t n = strnlen(msg, sizeof r->last_error - 1);
    pthread_mutex_lock(&r->mu);
    memcpy(r->last_error, msg, n);
    r->last_error[n] = '\0';
    pthread_mutex_unlock(&r->mu);
}

/* Records the outcome of a storage operation (write health, see the top).
 * op names it for the log: "begin", "write", "cut", "finish". */
static void note_write(void *cls, int rc, const char *op)
{
    struct recorder *r = cls;
    if (rc == NVR_OK) {
        if (!atomic_exchange(&r->write_ok, 1)) {
            pthread_mutex_lock(&r->mu);
            r->write_error[0] = '\0';
            pthread_mutex_unlock(&r->mu);
            nvr_log(NVR_INFO, r->cam->id, "recording writes again op=%s", op);
        }
        return;
    }
    char msg[256];
    snprintf(msg, sizeof msg, "cannot write recordings (segment %s): %s", op, nvr_strerror(rc));
    pthread_mutex_lock(&r->mu);
    snprintf(r->write_error, sizeof r->write_error, "%s", msg);
    pthread_mutex_unlock(&r->mu);
    set_error(r, msg);
    if (atomic_exchange(&r->write_ok, 0))
        nvr_log(NVR_ERROR, r->cam->id, "recording cannot write op=%s error=\"%s\"", op, nvr_strerror(rc));
}

static void *writer_main(void *arg)
{
    struct recorder *r = arg;
    struct writer_opts o = {.camera = r->cam->id,
                            .segment_seconds = r->cam->segment_seconds,
                            .storage_dir = r->cam->storage_dir,
                            .st = r->st,
                            .counters = &r->wc,
                            .on_write = note_write,
                            .cls = r,
                            .clock = &nvr_clock_system};
    pthread_setname_np(pthread_self(), "nvr-writer");
    struct writer *w = writer_create(&o);
    for (;;) {
        struct pq_item *it = packet_queue_pop(r->q);
        enum pq_kind kind = it->kind;
        if (w)
            writer_item(w, it);
        pq_item_free(it);
        if (kind == PQ_QUIT)
            break;
    }
    writer_destroy(&w);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* ingest thread                                                        */

/* Sleeps up to us, returning early when the recorder is asked to stop. */
static void sleep_unless_stopped(struct recorder *r, int64_t us)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t ns = ts.tv_nsec + (us % 1000000) * 1000;
    ts.tv_sec += us / 1000000 + ns / 1000000000;
    ts.tv_nsec = ns % 1000000000;
    pthread_mutex_lock(&r->mu);
    while (!atomic_load(&r->stop) && pthread_cond_timedwait(&r->cv, &r->mu, &ts) == 0)
        ;
    pthread_mutex_unlock(&r->mu);
}

static nvr_err push_control(struct recorder *r, enum pq_kind kind, struct pq_params *params)
{
    struct pq_item *it = calloc(1, sizeof *it);
    if (!it) {
        pq_params_free(params);
        return NVR_ENOMEM;
    }
    it->kind = kind;
    it->params = params;
    return packet_queue_push(r->q, it);
}

/* A motion picture's time: the camera's clock when it is known and
 * plausible (timemap T2), so that it does not depend on how late the frame
 * was read (the read pace); else, and for a camera the writer times by
 * arrival (its timestamps are chaotic, and such a camera is read promptly),
 * its arrival. */
static int64_t picture_time(struct recorder *r, const AVPacket *pkt, const struct ingest_meta *meta,
                            const struct ingest_info *info)
{
    if (pkt->pts == AV_NOPTS_VALUE || atomic_load_explicit(&r->wc.ts_arrival, memory_order_relaxed))
        return meta->recv_us;
    int64_t us = av_rescale_q(pkt->pts, info->video_tb, (AVRational){1, 1000000});
    return timemap_frame_wall(us, meta->recv_us, meta->rtcp_origin_us);
}

/* Streams one connected session until it fails or we stop.  Returns the
 * error that ended it; why says it in words.  *got_key is set once a video
 * keyframe arrived (the camera works: the backoff starts again). */
static nvr_err stream_session(struct recorder *r, struct ingest *in, int *got_key, char *why, size_t whylen)
{
    const struct ingest_info *info = ingest_get_info(in);
    int dropping = 0, rc = NVR_OK;
    uint64_t last_bytes = 0;
    for (;;) {
        struct ingest_meta meta;
        AVPacket *pkt = av_packet_alloc();
        if (!pkt)
            return NVR_ENOMEM;
        rc = ingest_read(in, pkt, &meta, why, whylen);
        uint64_t b = ingest_bytes(in);
        atomic_fetch_add(&r->bytes, b - last_bytes);
        last_bytes = b;
        if (rc) {
            av_packet_free(&pkt);
            return rc;
        }
        int video = pkt->stream_index == 0, key = video && (pkt->flags & AV_PKT_FLAG_KEY);
        if (key)
            *got_key = 1;
        if (video) {
            atomic_fetch_add(&r->frames, 1);
            if (atomic_load(&r->status) != REC_RECORDING) {
                atomic_store(&r->status, REC_RECORDING);
                if (atomic_load(&r->write_ok))
                    set_error(r, "");
            }
        }
        if (meta.new_params) {
            pthread_mutex_lock(&r->mu);
            snprintf(r->codec, sizeof r->codec, "%s", avcodec_get_name(info->video->codec_id));
            r->width = info->video->width;
            r->height = info->video->height;
            pthread_mutex_unlock(&r->mu);
            nvr_log(NVR_INFO, r->cam->id, "video codec=%s width=%d height=%d", r->codec, r->width, r->height);
        }
        live_hub_packet(r->live, pkt, &meta, info);
        if (video)
            motion_cam_packet(r->motion, pkt, meta.new_params ? info->video : NULL, picture_time(r, pkt, &meta, info));
        if (dropping && !key) {
            av_packet_free(&pkt);
            atomic_fetch_add(&r->wc.dropped, 1);
            continue;
        }
        struct pq_item *it = calloc(1, sizeof *it);
        if (!it || (meta.new_params && !(it->params = pq_params_from_info(info, 0)))) {
            free(it);
            av_packet_free(&pkt);
            return NVR_ENOMEM;
        }
        it->kind = PQ_PACKET;
        it->pkt = pkt;
        it->meta = meta;
        if (packet_queue_push(r->q, it) == NVR_OK) {
            if (dropping)
                nvr_log(NVR_INFO, r->cam->id, "writer caught up, recording resumes");
            dropping = 0;
            continue;
        }
        /* the writer is behind (slow disk): drop until a keyframe fits */
        if (!dropping) {
            nvr_log(NVR_WARN, r->cam->id, "writer queue full, dropping until the next keyframe");
            push_control(r, PQ_GAP, NULL);
            dropping = 1;
        }
        atomic_fetch_add(&r->wc.dropped, 1);
        pq_item_free(it);
    }
}

/* Waits up to us before the next attempt, probing the camera's port every
 * interval_us: returns early (1) when the port was seen refusing or
 * silent and then answering -- the camera came back -- or when stopping.
 * A camera that accepts connections throughout (it fails later in the
 * session) waits the whole backoff: the probe cannot tell it is better. */
static int wait_for_camera(struct recorder *r, int64_t us, int64_t interval_us, const char *host, int port)
{
    int64_t until = nvr_clock_mono_us() + us;
    int seen_down = 0;
    for (;;) {
        if (atomic_load(&r->stop))
            return 1;
        int64_t t0 = nvr_clock_mono_us();
        if (t0 >= until)
            return 0;
        if (host) {
            if (!tcp_probe(host, port, PROBE_TIMEOUT_US))
                seen_down = 1;
            else if (seen_down)
                return 1;
        }
        int64_t next = t0 + interval_us, now = nvr_clock_mono_us();
        if (next > until)
            next = until;
        if (next > now)
            sleep_unless_stopped(r, next - now);
    }
}

/* ingest_opts.relaxed: the main stream may be read at the relaxed pace
 * while nobody watches it live (nor its H.264 rendition: a tap) and the
 * writer places its segments by the camera's RTCP clock: not by arrival,
 * because of chaotic timestamps (T7) or a camera clock more than 10 s off
 * ours (T2), where a late read would move a segment's start. */
static int read_relaxed(void *cls)
{
    struct recorder *r = cls;
    return !live_hub_hot(r->live) && atomic_load_explicit(&r->wc.clock_rtcp, memory_order_relaxed) &&
           !atomic_load_explicit(&r->wc.ts_arrival, memory_order_relaxed);
}

static void *ingest_main(void *arg)
{
    struct recorder *r = arg;
    int64_t backoff = BACKOFF_MIN_US;
    unsigned seed = (unsigned)nvr_clock_now_us() ^ (unsigned)(uintptr_t)r;
    char why[256];
    struct ingest_opts o = {
        .camera = r->cam->id,
        .url = r->cam->url,
        .transport = r->cam->transport,
        .audio = r->cam->audio,
        .timeout_us = INGEST_TIMEOUT_US,
        .stop = &r->stop,
        .relaxed = read_relaxed,
        .relaxed_cls = r,
    };
    char host[TCP_PROBE_HOST_MAX];
    pthread_setname_np(pthread_self(), "nvr-ingest"); /* tests read its wake-ups by this name */
    int port = 0, probe = tcp_probe_parse_url(r->cam->url, host, &port) == NVR_OK;
    while (!atomic_load(&r->stop)) {
        struct ingest *in = NULL;
        atomic_store(&r->status, REC_CONNECTING);
        int rc = ingest_open(&in, &o, why, sizeof why), connected = rc == NVR_OK;
        if (connected) {
            const struct ingest_info *info = ingest_get_info(in);
            int64_t session = nvr_clock_now_us(), began = nvr_clock_mono_us();
            int got_key = 0;
            nvr_log(NVR_INFO, r->cam->id, "connected transport=%s video=%s audio=%s", info->transport,
                    avcodec_get_name(info->video->codec_id),
                    info->audio ? avcodec_get_name(info->audio->codec_id) : "none");
            pthread_mutex_lock(&r->mu);
            snprintf(r->audio, sizeof r->audio, "%s", info->audio_status ? info->audio_status : "");
            pthread_mutex_unlock(&r->mu);
            push_control(r, PQ_SESSION_START, pq_params_from_info(info, session));
            rc = stream_session(r, in, &got_key, why, sizeof why);
            live_hub_session_end(r->live);
            motion_cam_session_end(r->motion);
            push_control(r, PQ_SESSION_END, NULL);
            if (!atomic_load(&r->stop))
                nvr_log(NVR_WARN, r->cam->id, "stream lost error=\"%s\"", why);
            ingest_close(&in);
            if (atomic_load(&r->stop))
                break;
            atomic_fetch_add(&r->reconnects, 1);
            if (got_key)
                backoff = BACKOFF_MIN_US;
            if (got_key && nvr_clock_mono_us() - began >= STREAMED_US) {
                /* R5: a session that streamed ended (a camera that ends its sessions
                 * every few minutes, a network blip): again at once, once */
                atomic_store(&r->status, REC_CONNECTING);
                nvr_log(NVR_INFO, r->cam->id, "reconnecting retry_in=0.0s");
                continue;
            }
        } else {
            if (rc == NVR_ESTOPPED || atomic_load(&r->stop))
                break;
        }
        atomic_store(&r->status, REC_OFFLINE);
        char msg[320];
        snprintf(msg, sizeof msg, "%s: %s", nvr_strerror(rc), why);
        set_error(r, msg);
        /* jitter: 80 % .. 120 % of the backoff */
        int64_t wait = backoff * (80 + (int64_t)(rand_r(&seed) % 41)) / 100;
        if (connected)
            nvr_log(NVR_INFO, r->cam->id, "reconnecting retry_in=%.1fs", (double)wait / 1e6);
        else
            nvr_log(NVR_WARN, r->cam->id, "connect failed error=\"%s\" retry_in=%.1fs", msg, (double)wait / 1e6);
        int64_t interval = backoff >= BACKOFF_MAX_US ? PROBE_INTERVAL_LONG_US : PROBE_INTERVAL_US;
        if (wait_for_camera(r, wait, interval, probe ? host : NULL, port) && !atomic_load(&r->stop))
            nvr_log(NVR_INFO, r->cam->id, "camera answers again: reconnecting now");
        backoff = backoff * 2 > BACKOFF_MAX_US ? BACKOFF_MAX_US : backoff * 2;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */

nvr_err recorder_create(struct recorder **out, const struct nvr_camera_config *cam, struct storage *st,
                        struct motion_pool *motion)
{
    int rc;
    struct recorder *r = calloc(1, sizeof *r);
    *out = NULL;
    if (!r)
        return NVR_ENOMEM;
    r->cam = cam;
    r->st = st;
    r->pool = motion;
    pthread_mutex_init(&r->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
    atomic_store(&r->status, cam->enabled ? REC_CONNECTING : REC_DISABLED);
    atomic_store(&r->write_ok, 1);
    if ((rc = live_hub_create(&r->live, cam->id, "main")) || (rc = snapshot_cache_create(&r->snap)))
        goto out;
    if (cam->enabled && cam->sub_url &&
        ((rc = live_hub_create(&r->live_sub, cam->id, "sub")) || (rc = live_sub_start(&r->sub, cam, r->live_sub))))
        goto out;
    if (cam->enabled &&
        ((rc = motion_cam_create(&r->motion, motion, cam)) || (rc = packet_queue_create(&r->q, QUEUE_MAX_BYTES))))
        goto out;
    *out = r;
    r = NULL;
    rc = NVR_OK;
out:
    recorder_stop(&r);
    return rc;
}

nvr_err recorder_run(struct recorder *r)
{
    if (!r->cam->enabled)
        return NVR_OK;
    if (pthread_create(&r->writer_tid, NULL, writer_main, r) != 0)
        return NVR_ENOMEM;
    r->writer_started = 1;
    if (pthread_create(&r->ingest_tid, NULL, ingest_main, r) != 0)
        return NVR_ENOMEM;
    r->ingest_started = 1;
    return motion_onvif_start(&r->onvif, r->pool, r->cam);
}

nvr_err recorder_start(struct recorder **out, const struct nvr_camera_config *cam, struct storage *st,
                       struct motion_pool *motion)
{
    int rc = recorder_create(out, cam, st, motion);
    if (rc == NVR_OK && (rc = recorder_run(*out)))
        recorder_stop(out);
    return rc;
}

void recorder_request_stop(struct recorder *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    atomic_store(&r->stop, 1);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    motion_onvif_request_stop(r->onvif);
}

void recorder_join(struct recorder *r)
{
    if (!r || (!r->ingest_started && !r->writer_started))
        return;
    recorder_request_stop(r);
    if (r->ingest_started)
        pthread_join(r->ingest_tid, NULL);
    r->ingest_started = 0;
    motion_onvif_stop(&r->onvif); /* its open event closes (now) */
    struct motion_stats ms = {0};
    if (r->motion)
        motion_cam_stats(r->motion, &ms);
    motion_cam_destroy(&r->motion); /* no more keyframes: its open event closes */
    if (r->writer_started) {
        /* the queue takes control items even when full */
        while (push_control(r, PQ_QUIT, NULL) != NVR_OK)
            nvr_clock_sleep_us(10000);
        pthread_join(r->writer_tid, NULL);
    }
    r->writer_started = 0;
    /* its live side: the sub stream and the H.264 rendition stop too, and
     * their viewers are told the stream ended (they come back to the new
     * recorder, or to a 404); the structs stay until recorder_stop, as HTTP
     * threads may still hold the hubs.  No new transcoder starts: stop is set
     * (recorder_live_h264 looks under mu). */
    pthread_mutex_lock(&r->mu);
    struct live_transcode *tc = r->tc;
    pthread_mutex_unlock(&r->mu);
    live_transcode_join(tc);
    live_sub_join(r->sub);
    if (r->live_sub)
        live_hub_session_end(r->live_sub);
    if (r->live_h264)
        live_hub_session_end(r->live_h264);
    atomic_store(&r->status, REC_DISABLED);
    if (r->cam->enabled)
        nvr_log(NVR_INFO, r->cam->id,
                "recorder stopped frames=%llu bytes_received=%llu segments=%llu reconnects=%llu dropped=%llu "
                "motion_keyframes=%llu motion_analysed=%llu motion_dropped=%llu motion_cpu_ms=%llu",
                (unsigned long long)atomic_load(&r->frames), (unsigned long long)atomic_load(&r->bytes),
                (unsigned long long)atomic_load(&r->wc.segments), (unsigned long long)atomic_load(&r->reconnects),
                (unsigned long long)atomic_load(&r->wc.dropped), (unsigned long long)ms.keyframes,
                (unsigned long long)ms.analysed, (unsigned long long)ms.dropped,
                (unsigned long long)(ms.busy_us / 1000));
}

void recorder_stop(struct recorder **rp)
{
    struct recorder *r = *rp;
    if (!r)
        return;
    recorder_join(r);
    /* the live side (viewers are gone: the HTTP server stops first) */
    motion_cam_destroy(&r->motion); /* a recorder that never started its threads */
    motion_onvif_stop(&r->onvif);
    live_transcode_stop(&r->tc);
    live_hub_destroy(&r->live_h264);
    live_sub_stop(&r->sub);
    live_hub_destroy(&r->live_sub);
    live_hub_destroy(&r->live);
    snapshot_cache_destroy(&r->snap);
    packet_queue_destroy(&r->q);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
    *rp = NULL;
}

void recorder_get_stats(struct recorder *r, struct recorder_stats *s)
{
    memset(s, 0, sizeof *s);
    s->status = (enum recorder_status)atomic_load(&r->status);
    s->bytes_received = atomic_load(&r->bytes);
    s->frames = atomic_load(&r->frames);
    s->reconnects = atomic_load(&r->reconnects);
    s->dropped = atomic_load(&r->wc.dropped);
    s->segments = atomic_load(&r->wc.segments);
    s->fragment_writes = atomic_load(&r->wc.frag_writes);
    s->fragment_write_us = atomic_load(&r->wc.frag_write_us);
    s->fragment_write_max_us = atomic_load(&r->wc.frag_write_max_us);
    uint64_t ns = atomic_load(&r->wc.frame_interval_ns);
    s->fps = ns ? 1e9 / (double)ns : 0;
    s->write_ok = atomic_load(&r->write_ok);
    s->timestamps_arrival = atomic_load(&r->wc.ts_arrival);
    s->timestamp_jumps = atomic_load(&r->wc.ts_jumps);
    pthread_mutex_lock(&r->mu);
    snprintf(s->write_error, sizeof s->write_error, "%s", r->write_error);
    snprintf(s->last_error, sizeof s->last_error, "%s", r->last_error);
    snprintf(s->codec, sizeof s->codec, "%s", r->codec);
    snprintf(s->audio, sizeof s->audio, "%s", r->audio);
    s->width = r->width;
    s->height = r->height;
    pthread_mutex_unlock(&r->mu);
}

struct live_hub *recorder_live(struct recorder *r, int sub)
{
    if (sub && r->sub) {
        if (!atomic_load(&r->stop)) /* a retired recorder connects nothing */
            live_sub_demand(r->sub);
        return r->live_sub;
    }
    return r->live;
}

struct live_hub *recorder_live_h264(struct recorder *r, int demand)
{
    pthread_mutex_lock(&r->mu);
    demand = demand && !atomic_load(&r->stop); /* a retired recorder starts nothing */
    if (demand && !r->tc && r->cam->enabled) {
        if (live_hub_create(&r->live_h264, r->cam->id, "h264") == NVR_OK &&
            live_transcode_start(&r->tc, r->cam->id, r->live, r->live_h264) != NVR_OK)
            live_hub_destroy(&r->live_h264);
    }
    struct live_hub *h = r->live_h264;
    if (demand && r->tc)
        live_transcode_demand(r->tc);
    pthread_mutex_unlock(&r->mu);
    return h;
}

struct live_hub *recorder_live_sub(struct recorder *r)
{
    return r->live_sub;
}

struct snapshot_cache *recorder_snapshots(struct recorder *r)
{
    return r->snap;
}

const char *recorder_status_name(enum recorder_status s)
{
    switch (s) {
    case REC_CONNECTING: return "connecting";
    case REC_RECORDING: return "recording";
    case REC_OFFLINE: return "offline";
    default: return "disabled";
    }
}
