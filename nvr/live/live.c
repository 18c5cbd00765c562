/* SPDX-License-Identifier: Apache-2.0 */
/*
 * live.c - the live fan-out hub (see live.h).
 *
 * State, all under h->mu:
 *   par, tb, mime      the stream's parameters (NULL until known)
 *   raw[]              references to the video packets since the last
 *                      keyframe; the last one is "held": not muxed yet,
 *                      because its duration is known only when the next
 *                      packet arrives
 *   oc, init           the muxer and its init segment (only while active)
 *   gop[]              muxed chunks since the last keyframe (while active)
 *   viewers            each with a ring of chunk references
 *   key, keypar, keyseq  the newest keyframe, for snapshots
 * Invariant: active <=> oc != NULL <=> init != NULL.  Every muxed chunk is
 * published to every viewer in order; a viewer's ring never holds a chunk of
 * an earlier muxer (viewers end when the muxer goes).
 */
#include "live/live.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "media/h26x.h"
#include "media/timemap.h"

#include <libavformat/avformat.h>
#include <libavutil/mathematics.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define RAW_MAX 600 /* packets kept since the last keyframe (a 20 s GOP at 30 fps) */
#define RING 1024   /* chunks a viewer may have queued (a long GOP fits) */
#define NTP_UNIX_OFFSET 2208988800ULL

struct live_chunk {
    atomic_int refs;
    int key;
    int64_t t_us; /* media time of the frame, -1 for the init segment */
    size_t len;
    uint8_t data[];
};

struct live_viewer {
    struct live_hub *h;
    live_wake_fn wake; /* set by live_viewer_attach; NULL before */
    void *wake_cls;
    struct live_chunk *ring[RING];
    size_t head, n, bytes, off; /* off: bytes of ring[head] already sent */
    int ended, skipping, got_init;
    uint64_t skips;
    struct live_viewer *prev, *next;
};

struct raw {
    AVPacket *pkt;
    int64_t cam_us; /* camera wall clock of the frame */
};

struct live_hub {
    char camera[72], stream[8];
    pthread_mutex_t mu;
    AVCodecParameters *par;
    AVRational tb;
    char mime[96];
    struct raw raw[RAW_MAX];
    size_t nraw;
    AVFormatContext *oc;
    uint8_t *out; /* muxer output being collected */
    size_t outlen, outcap;
    int out_err;
    int64_t base_dts;            /* the first muxed keyframe's dts: decode time 0 */
    int64_t last_key_us, gop_us; /* media time of the last keyframe, and the GOP before it */
    struct live_chunk *init;
    struct live_chunk **gop;
    size_t ngop, gopcap;
    struct live_viewer *viewers;
    int nviewers;
    int64_t idle_since; /* monotonic */
    AVPacket *key;
    AVCodecParameters *keypar;
    uint64_t keyseq;
    live_tap_fn tap;
    void *tap_cls;
    atomic_int hot; /* viewers, a tap or the muxer (live_hub_hot); written under mu */
};

/* Keeps `hot` true to the state under mu; called after each change of it. */
static void note_hot(struct live_hub *h)
{
    atomic_store_explicit(&h->hot, h->nviewers > 0 || h->tap || h->oc, memory_order_relaxed);
}

static void chunk_unref(struct live_chunk *c)
{
    if (c && atomic_fetch_sub(&c->refs, 1) == 1)
        free(c);
}

static struct live_chunk *chunk_ref(struct live_chunk *c)
{
    atomic_fetch_add(&c->refs, 1);
    return c;
}

static int mux_write(void *opaque, uint8_t *buf, int len)
{
    struct live_hub *h = opaque;
    if (h->outlen + (size_t)len > h->outcap) {
        size_t cap = h->outcap ? h->outcap : 64 * 1024;
        while (cap < h->outlen + (size_t)len)
            cap *= 2;
        uint8_t *p = realloc(h->out, cap);
        if (!p) {
            h->out_err = 1;
            return AVERROR(ENOMEM);
        }
        h->out = p;
        h->outcap = cap;
    }
    memcpy(h->out + h->outlen, buf, (size_t)len);
    h->outlen += (size_t)len;
    return len;
}

/* A chunk of prefix (may be NULL) + the collected muxer output. */
static struct live_chunk *take_output(struct live_hub *h, const uint8_t *prefix, size_t plen, int key)
{
    struct live_chunk *c = NULL;
    if (!h->out_err && h->outlen)
        c = malloc(sizeof *c + plen + h->outlen);
    if (c) {
        atomic_init(&c->refs, 1);
        c->key = key;
        c->t_us = -1;
        c->len = plen + h->outlen;
        if (plen)
            memcpy(c->data, prefix, plen);
        memcpy(c->data + plen, h->out, h->outlen);
    }
    h->outlen = 0;
    h->out_err = 0;
    return c;
}

/* ---- viewers ---- */

/* Drops v's queue; with keep_partial, not a chunk half sent nor an init
 * segment not sent yet (what follows must still be playable). */
static void viewer_clear(struct live_viewer *v, int keep_partial)
{
    size_t keep = keep_partial && v->n && (v->off || v->ring[v->head]->t_us < 0) ? 1 : 0;
    while (v->n > keep) {
        size_t i = (v->head + v->n - 1) % RING;
        v->bytes -= v->ring[i]->len;
        chunk_unref(v->ring[i]);
        v->ring[i] = NULL;
        v->n--;
    }
}

/* Media time spanned by a viewer's queue if c were added. */
static int64_t backlog_us(const struct live_viewer *v, const struct live_chunk *c)
{
    for (size_t i = 0; i < v->n; i++) {
        const struct live_chunk *o = v->ring[(v->head + i) % RING];
        if (o->t_us >= 0)
            return c->t_us - o->t_us;
    }
    return 0;
}

static void viewer_push(struct live_viewer *v, struct live_chunk *c)
{
    if (v->ended || !v->wake)
        return;
    if (v->skipping && !c->key)
        return;
    int64_t max_lag = v->h->gop_us * 2 > LIVE_MAX_LAG_US ? v->h->gop_us * 2 : LIVE_MAX_LAG_US;
    if (v->n == RING || v->bytes + c->len > LIVE_VIEWER_MAX_BYTES || backlog_us(v, c) > max_lag) {
        /* behind: drop the backlog (but a chunk half sent, or the init segment) and resume at a keyframe */
        viewer_clear(v, 1);
        v->skips++;
        if (v->skips == 1 || v->skips % 100 == 0)
            nvr_log(NVR_INFO, v->h->camera, "live viewer behind, skipping to the next keyframe stream=%s skips=%llu",
                    v->h->stream, (unsigned long long)v->skips);
        if (!c->key || v->n == RING) {
            v->skipping = 1;
            return;
        }
    }
    v->skipping = 0;
    v->ring[(v->head + v->n) % RING] = chunk_ref(c);
    v->n++;
    v->bytes += c->len;
    v->wake(v->wake_cls);
}

static void end_viewers(struct live_hub *h)
{
    for (struct live_viewer *v = h->viewers; v; v = v->next) {
        v->ended = 1;
        if (v->wake)
            v->wake(v->wake_cls);
    }
}

/* ---- the muxer ---- */

static void gop_clear(struct live_hub *h)
{
    for (size_t i = 0; i < h->ngop; i++)
        chunk_unref(h->gop[i]);
    h->ngop = 0;
}

static void deactivate(struct live_hub *h)
{
    if (h->oc) {
        if (h->oc->pb) {
            av_freep(&h->oc->pb->buffer);
            avio_context_free(&h->oc->pb);
        }
        avformat_free_context(h->oc);
        h->oc = NULL;
    }
    chunk_unref(h->init);
    h->init = NULL;
    gop_clear(h);
    h->outlen = 0;
}

static void raw_clear(struct live_hub *h)
{
    for (size_t i = 0; i < h->nraw; i++)
        av_packet_free(&h->raw[i].pkt);
    h->nraw = 0;
}

/* Writes a prft box (ISO/IEC 14496-12 8.16.5, version 1): the camera's
 * wall clock (NTP format) at the frame's media time. */
static size_t prft(uint8_t b[32], int64_t cam_us, int64_t media)
{
    uint64_t secs = (uint64_t)(cam_us / 1000000) + NTP_UNIX_OFFSET;
    uint64_t frac = ((uint64_t)(cam_us % 1000000) << 32) / 1000000;
    uint64_t ntp = secs << 32 | frac;
    static const uint8_t head[16] = {0, 0, 0, 32, 'p', 'r', 'f', 't', 1, 0, 0, 0, 0, 0, 0, 1};
    memcpy(b, head, 16);
    for (int i = 0; i < 8; i++) {
        b[16 + i] = (uint8_t)(ntp >> (56 - 8 * i));
        b[24 + i] = (uint8_t)((uint64_t)media >> (56 - 8 * i));
    }
    return 32;
}

/* Muxes raw packet r (duration dur, stream time base) as one fragment and
 * publishes it. */
static void mux_one(struct live_hub *h, const struct raw *r, int64_t dur)
{
    AVPacket *p = av_packet_clone(r->pkt);
    if (!p)
        return;
    AVStream *st = h->oc->streams[0];
    /* both from the first keyframe's dts: decode times start at 0 and a
     * B-frame stream's composition offsets are >= 0, as in the recorder's files */
    p->pts -= h->base_dts;
    p->dts -= h->base_dts;
    if (p->pts < p->dts)
        p->pts = p->dts; /* reordered deeper than declared (dts_gen G2) */
    p->duration = dur > 0 ? dur : 1;
    p->stream_index = 0;
    av_packet_rescale_ts(p, h->tb, st->time_base);
    int64_t media = p->pts;
    int key = (p->flags & AV_PKT_FLAG_KEY) != 0;
    int ret = av_write_frame(h->oc, p);
    if (ret >= 0)
        ret = av_write_frame(h->oc, NULL);
    av_packet_free(&p);
    if (ret >= 0)
        avio_flush(h->oc->pb);
    uint8_t box[32];
    struct live_chunk *c = ret >= 0 ? take_output(h, box, prft(box, r->cam_us, media), key) : NULL;
    if (!c) {
        nvr_log(NVR_WARN, h->camera, "live mux failed stream=%s", h->stream);
        h->outlen = 0;
        return;
    }
    c->t_us = av_rescale_q(media, st->time_base, (AVRational){1, 1000000});
    if (key) {
        if (h->ngop && c->t_us > h->last_key_us)
            h->gop_us = c->t_us - h->last_key_us;
        h->last_key_us = c->t_us;
    }
    if (key)
        gop_clear(h);
    if (h->ngop == h->gopcap) {
        size_t cap = h->gopcap ? h->gopcap * 2 : 64;
        struct live_chunk **g = realloc(h->gop, cap * sizeof *g);
        if (!g) {
            chunk_unref(c);
            return;
        }
        h->gop = g;
        h->gopcap = cap;
    }
    h->gop[h->ngop++] = c;
    for (struct live_viewer *v = h->viewers; v; v = v->next)
        viewer_push(v, c);
}

/* Starts the muxer at the oldest kept packet (a keyframe) and muxes every
 * kept packet but the held one. */
static nvr_err activate(struct live_hub *h)
{
    unsigned char *iobuf = NULL;
    AVDictionary *opts = NULL;
    int rc = NVR_ENOMEM;
    if (h->oc)
        return NVR_OK;
    if (!h->par || !h->nraw)
        return NVR_ENOTFOUND;
    if (avformat_alloc_output_context2(&h->oc, NULL, "mp4", NULL) < 0 || !h->oc)
        goto out;
    if (!(iobuf = av_malloc(32 * 1024)))
        goto out;
    if (!(h->oc->pb = avio_alloc_context(iobuf, 32 * 1024, 1, h, NULL, mux_write, NULL))) {
        av_free(iobuf);
        goto out;
    }
    h->oc->pb->seekable = 0;
    h->oc->flags |= AVFMT_FLAG_CUSTOM_IO;
    AVStream *st = avformat_new_stream(h->oc, NULL);
    if (!st || avcodec_parameters_copy(st->codecpar, h->par) < 0)
        goto out;
    st->codecpar->codec_tag = h->par->codec_id == AV_CODEC_ID_HEVC ? MKTAG('h', 'v', 'c', '1') : 0;
    st->time_base = h->tb;
    av_dict_set(&opts, "movflags", "frag_custom+empty_moov+default_base_moof+skip_trailer", 0);
    av_dict_set(&opts, "use_editlist", "0", 0);
    av_dict_set(&opts, "avoid_negative_ts", "disabled", 0);
    h->outlen = 0;
    h->out_err = 0;
    if (avformat_write_header(h->oc, &opts) < 0) {
        rc = NVR_ECODEC;
        goto out;
    }
    avio_flush(h->oc->pb);
    if (!(h->init = take_output(h, NULL, 0, 0)))
        goto out;
    for (struct live_viewer *v = h->viewers; v; v = v->next)
        if (v->wake && !v->ended && !v->got_init && v->n < RING) {
            /* a viewer that waited for the picture: init first, then from the keyframe */
            v->ring[(v->head + v->n++) % RING] = chunk_ref(h->init);
            v->bytes += h->init->len;
            v->got_init = 1;
            v->skipping = 1;
        }
    h->base_dts = h->raw[0].pkt->dts;
    h->gop_us = 0;
    for (size_t i = 0; i + 1 < h->nraw; i++)
        mux_one(h, &h->raw[i], h->raw[i + 1].pkt->dts - h->raw[i].pkt->dts);
    /* until a whole GOP is seen, the current one so far bounds it from below */
    h->gop_us = av_rescale_q(h->raw[h->nraw - 1].pkt->pts - h->raw[0].pkt->pts, h->tb, (AVRational){1, 1000000});
    rc = NVR_OK;
out:
    av_dict_free(&opts);
    if (rc) {
        nvr_log(NVR_WARN, h->camera, "live muxer cannot start stream=%s error=\"%s\"", h->stream, nvr_strerror(rc));
        deactivate(h);
    }
    return rc;
}

/* ---- producer ---- */

static void new_params(struct live_hub *h, const struct ingest_info *info)
{
    if (h->par)
        end_viewers(h); /* a change: clients reconnect for the new init segment */
    deactivate(h);
    raw_clear(h);
    avcodec_parameters_free(&h->par);
    h->mime[0] = '\0';
    if (!(h->par = avcodec_parameters_alloc()) || avcodec_parameters_copy(h->par, info->video) < 0) {
        avcodec_parameters_free(&h->par);
        return;
    }
    h->tb = info->video_tb;
    char codecs[64];
    if (h26x_codec_string(h->par->codec_id, h->par->extradata, (size_t)h->par->extradata_size, codecs, sizeof codecs) ==
        0)
        snprintf(h->mime, sizeof h->mime, "video/mp4; codecs=\"%s\"", codecs);
}

void live_hub_packet(struct live_hub *h, const AVPacket *pkt, const struct ingest_meta *meta,
                     const struct ingest_info *info)
{
    if (pkt->stream_index != 0)
        return;
    int key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
    pthread_mutex_lock(&h->mu);
    if (meta->new_params || !h->par)
        new_params(h, info);
    if (!h->par)
        goto out;
    if (h->nraw && pkt->dts <= h->raw[h->nraw - 1].pkt->dts)
        goto out; /* duplicate or backward timestamp (decode order) */
    if (h->tap)
        h->tap(h->tap_cls, pkt, meta, h->par, h->tb);
    if (key) {
        AVPacket *k = av_packet_clone(pkt);
        AVCodecParameters *kp = avcodec_parameters_alloc();
        if (k && kp && avcodec_parameters_copy(kp, h->par) >= 0) {
            av_packet_free(&h->key);
            avcodec_parameters_free(&h->keypar);
            h->key = k;
            h->keypar = kp;
            k = NULL;
            kp = NULL;
            h->keyseq++;
        }
        av_packet_free(&k);
        avcodec_parameters_free(&kp);
    }
    if (h->oc && h->nraw)
        mux_one(h, &h->raw[h->nraw - 1], pkt->dts - h->raw[h->nraw - 1].pkt->dts);
    if (key) {
        raw_clear(h);
    } else if (!h->nraw || h->nraw == RAW_MAX) {
        /* no keyframe to start from (or an endless GOP): wait for one */
        raw_clear(h);
        goto idle;
    }
    AVPacket *copy = av_packet_clone(pkt);
    if (copy) {
        int64_t rel = av_rescale_q(copy->pts, h->tb, (AVRational){1, 1000000});
        h->raw[h->nraw].pkt = copy;
        h->raw[h->nraw].cam_us = timemap_frame_wall(rel, meta->recv_us, meta->rtcp_origin_us); /* T2 */
        h->nraw++;
    }
    if (!h->oc && h->nviewers && key)
        activate(h); /* viewers are waiting for a picture */
idle:
    if (h->oc && !h->nviewers && nvr_clock_mono_us() - h->idle_since > LIVE_IDLE_US)
        deactivate(h);
out:
    note_hot(h);
    pthread_mutex_unlock(&h->mu);
}

void live_hub_session_end(struct live_hub *h)
{
    pthread_mutex_lock(&h->mu);
    end_viewers(h);
    deactivate(h);
    raw_clear(h);
    avcodec_parameters_free(&h->par);
    h->mime[0] = '\0';
    note_hot(h);
    pthread_mutex_unlock(&h->mu);
}

/* ---- consumers ---- */

long live_viewer_read(struct live_viewer *v, char *buf, size_t max)
{
    struct live_hub *h = v->h;
    size_t n = 0;
    pthread_mutex_lock(&h->mu);
    while (n < max && v->n) {
        struct live_chunk *c = v->ring[v->head];
        size_t take = c->len - v->off < max - n ? c->len - v->off : max - n;
        memcpy(buf + n, c->data + v->off, take);
        n += take;
        v->off += take;
        if (v->off == c->len) {
            v->ring[v->head] = NULL;
            v->head = (v->head + 1) % RING;
            v->n--;
            v->bytes -= c->len;
            v->off = 0;
            chunk_unref(c);
        }
    }
    long ret = n ? (long)n : v->ended ? -1 : 0;
    pthread_mutex_unlock(&h->mu);
    return ret;
}

int live_viewer_take(struct live_viewer *v, struct live_chunk **out)
{
    struct live_hub *h = v->h;
    int ret;
    *out = NULL;
    pthread_mutex_lock(&h->mu);
    if (v->n && v->off == 0) {
        struct live_chunk *c = v->ring[v->head];
        v->ring[v->head] = NULL;
        v->head = (v->head + 1) % RING;
        v->n--;
        v->bytes -= c->len;
        *out = c;
        ret = 1;
    } else {
        ret = v->ended && !v->n ? -1 : 0;
    }
    pthread_mutex_unlock(&h->mu);
    return ret;
}

const uint8_t *live_chunk_data(const struct live_chunk *c, size_t *len, enum live_chunk_kind *kind)
{
    *len = c->len;
    *kind = c->t_us < 0 ? LIVE_CHUNK_INIT : c->key ? LIVE_CHUNK_KEY : LIVE_CHUNK_FRAME;
    return c->data;
}

void live_chunk_unref(struct live_chunk *c)
{
    chunk_unref(c);
}

void live_viewer_close(struct live_viewer *v)
{
    struct live_hub *h = v->h;
    pthread_mutex_lock(&h->mu);
    if (v->prev)
        v->prev->next = v->next;
    else if (h->viewers == v)
        h->viewers = v->next;
    if (v->next)
        v->next->prev = v->prev;
    if (--h->nviewers == 0)
        h->idle_since = nvr_clock_mono_us();
    note_hot(h);
    viewer_clear(v, 0);
    pthread_mutex_unlock(&h->mu);
    nvr_log(NVR_INFO, h->camera, "live viewer left stream=%s skips=%llu", h->stream, (unsigned long long)v->skips);
    free(v);
}

/* The answer exists: queue the init segment and the chunks since the keyframe. */
void live_viewer_attach(struct live_viewer *v, live_wake_fn wake, void *wake_cls)
{
    struct live_hub *h = v->h;
    pthread_mutex_lock(&h->mu);
    v->wake = wake;
    v->wake_cls = wake_cls;
    if (h->init) {
        v->ring[v->n++] = chunk_ref(h->init);
        v->bytes += h->init->len;
        v->got_init = 1;
        for (size_t i = 0; i < h->ngop && v->n < RING; i++) {
            v->ring[v->n++] = chunk_ref(h->gop[i]);
            v->bytes += h->gop[i]->len;
        }
    } else {
        v->skipping = 1; /* wait for the muxer's first keyframe */
    }
    int n = h->nviewers;
    pthread_mutex_unlock(&h->mu);
    nvr_log(NVR_INFO, h->camera, "live viewer joined stream=%s viewers=%d", h->stream, n);
}

nvr_err live_viewer_open(struct live_hub *h, int wait, struct live_viewer **out)
{
    *out = NULL;
    struct live_viewer *v = calloc(1, sizeof *v);
    if (!v)
        return NVR_ENOMEM;
    v->h = h;
    pthread_mutex_lock(&h->mu);
    if (!wait && !h->oc && (!h->par || !h->nraw || activate(h) != NVR_OK)) {
        pthread_mutex_unlock(&h->mu);
        free(v);
        return NVR_ENOTFOUND;
    }
    if (!h->oc)
        activate(h); /* fine to fail: the viewer waits for the picture */
    /* registered before the transport answers, so no chunk is missed; the
     * waker is set by live_viewer_attach, under the same lock */
    v->next = h->viewers;
    if (h->viewers)
        h->viewers->prev = v;
    h->viewers = v;
    h->nviewers++;
    h->idle_since = 0;
    note_hot(h);
    pthread_mutex_unlock(&h->mu);
    *out = v;
    return NVR_OK;
}

void live_hub_set_tap(struct live_hub *h, live_tap_fn fn, void *cls)
{
    pthread_mutex_lock(&h->mu);
    h->tap = fn;
    h->tap_cls = cls;
    note_hot(h);
    /* a new tap starts at the last keyframe, like a new viewer */
    for (size_t i = 0; fn && h->par && i < h->nraw; i++) {
        struct ingest_meta m = {.recv_us = h->raw[i].cam_us, .rtcp_origin_us = INT64_MIN};
        fn(cls, h->raw[i].pkt, &m, h->par, h->tb);
    }
    pthread_mutex_unlock(&h->mu);
}

int live_hub_hot(const struct live_hub *h)
{
    return atomic_load_explicit(&h->hot, memory_order_relaxed);
}

int live_hub_viewers(struct live_hub *h)
{
    pthread_mutex_lock(&h->mu);
    int n = h->nviewers;
    pthread_mutex_unlock(&h->mu);
    return n;
}

int64_t live_hub_idle_since(struct live_hub *h)
{
    pthread_mutex_lock(&h->mu);
    int64_t t = h->nviewers ? 0 : h->idle_since;
    pthread_mutex_unlock(&h->mu);
    return t;
}

void live_hub_mime(struct live_hub *h, char *buf, size_t n)
{
    pthread_mutex_lock(&h->mu);
    snprintf(buf, n, "%s", h->mime);
    pthread_mutex_unlock(&h->mu);
}

nvr_err live_hub_keyframe(struct live_hub *h, AVPacket **pkt, AVCodecParameters **par, uint64_t *seq)
{
    int rc = NVR_ENOTFOUND;
    *pkt = NULL;
    *par = NULL;
    pthread_mutex_lock(&h->mu);
    if (h->key) {
        rc = NVR_ENOMEM;
        *pkt = av_packet_clone(h->key);
        *par = avcodec_parameters_alloc();
        if (*pkt && *par && avcodec_parameters_copy(*par, h->keypar) >= 0)
            rc = NVR_OK;
        *seq = h->keyseq;
    }
    pthread_mutex_unlock(&h->mu);
    if (rc && rc != NVR_ENOTFOUND) {
        av_packet_free(pkt);
        avcodec_parameters_free(par);
    }
    return rc;
}

uint64_t live_hub_keyframe_seq(struct live_hub *h)
{
    pthread_mutex_lock(&h->mu);
    uint64_t s = h->keyseq;
    pthread_mutex_unlock(&h->mu);
    return s;
}

nvr_err live_hub_create(struct live_hub **out, const char *camera, const char *stream)
{
    struct live_hub *h = calloc(1, sizeof *h);
    *out = NULL;
    if (!h)
        return NVR_ENOMEM;
    snprintf(h->camera, sizeof h->camera, "%s", camera);
    snprintf(h->stream, sizeof h->stream, "%s", stream);
    pthread_mutex_init(&h->mu, NULL);
    h->idle_since = nvr_clock_mono_us();
    *out = h;
    return NVR_OK;
}

void live_hub_destroy(struct live_hub **hp)
{
    struct live_hub *h = *hp;
    if (!h)
        return;
    if (h->nviewers)
        nvr_log(NVR_ERROR, h->camera, "live hub destroyed with viewers=%d", h->nviewers);
    deactivate(h);
    raw_clear(h);
    free(h->gop);
    free(h->out);
    avcodec_parameters_free(&h->par);
    av_packet_free(&h->key);
    avcodec_parameters_free(&h->keypar);
    pthread_mutex_destroy(&h->mu);
    free(h);
    *hp = NULL;
}
