/* SPDX-License-Identifier: Apache-2.0 */
/*
 * writer.c - one camera's writer state machine (see writer.h): stream items
 * in, segments and index rows out through storage/.
 *
 * Writer state machine, per video packet P (pts in the video time base):
 *   a timestamp discontinuity (timemap T5)  -> finish the segment at its last
 *                                              frame, break contiguity
 *   new codec parameters on P               -> finish the segment at P
 *   P is a keyframe and the segment is long -> finish the segment at P
 *   no open segment                         -> open one at P if P is a
 *                                              keyframe, else drop P
 *   P is a keyframe                         -> cut a fragment at P
 *   our clock stepped (timemap T6)          -> finish the segment at the next
 *                                              keyframe, break contiguity; a
 *                                              step back marks the footage
 *                                              later than the clock now
 *                                              clock_suspect in the index
 *   the segment reached that footage (T6)   -> finish it at P
 * Packets are held back by one so each gets its true duration (the next
 * packet's dts minus its own), which the fMP4 fragments need.
 *
 * Decode and presentation order (B-frames, docs/design/time.md): segment and
 * fragment boundaries, media times and the wall clock are in presentation
 * time (pts: a keyframe's pts is where its GOP starts on screen); sample
 * durations, the discontinuity rule T5 and duplicate detection are in
 * decode time (dts, strictly increasing from the ingest).  In the file a
 * sample's presentation time is pts - run_base_pts (the index's media time)
 * and its decode time dts - run_base_pts, so composition offsets are >= 0
 * (trun version 0, as every player reads it) and 0 without B-frames.  For
 * the decode times to be >= 0, a run's media time starts no earlier than
 * its first keyframe's pts - dts (0 without B-frames).
 */
#include "core/writer.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "media/timemap.h"
#include "storage/index.h"

#include <libavutil/mathematics.h>
#include <stdlib.h>
#include <string.h>

static const AVRational US = {1, 1000000};

struct writer {
    struct writer_opts o;
    const struct nvr_clock *clock;
    struct timemap tm;
    struct pq_params *params;        /* current stream description */
    struct storage_segment *seg;
    int seg_audio;                   /* the open segment has an audio track */
    int64_t seg_first_pts;           /* video pts of the segment's first frame */
    int64_t run_base_pts;            /* video pts at media time 0: files of one run
                                      * continue each other's timestamps */
    int64_t run_key_pts;             /* pts of the run's first keyframe */
    int write_failed_logged;
    int64_t seg_max_pts;             /* latest presentation time in the segment */
    int64_t media_end_us;            /* media end of the camera's last segment */
    int64_t seg_start_wall;
    AVPacket *pend[2];               /* held-back packet per track */
    struct ingest_meta pend_meta;    /* meta of the held-back video packet */
    int64_t last_video_dur;          /* video time base */
    int64_t seg_len_us;
    int logged_clock;
    int64_t step_pending;            /* our clock stepped by this much (T6), not yet followed */
};

/* Records the outcome of a storage operation: the caller's write health. */
static void note(struct writer *w, int rc, const char *op)
{
    if (rc == NVR_OK)
        w->write_failed_logged = 0;
    if (w->o.on_write)
        w->o.on_write(w->o.cls, rc, op);
}

static int64_t video_us(const struct writer *w, int64_t pts)
{
    return av_rescale_q(pts, w->params->video_tb, US);
}

static int64_t reference(struct writer *w, int64_t pts, const struct ingest_meta *m)
{
    int used_rtcp = 0;
    int64_t ref = timemap_reference(&w->tm, video_us(w, pts), m->recv_us, m->rtcp_origin_us, &used_rtcp);
    if (!w->logged_clock && (used_rtcp || w->tm.rtcp_rejected)) {
        nvr_log(used_rtcp ? NVR_INFO : NVR_WARN, w->o.camera,
                used_rtcp ? "clock source=rtcp" : "clock source=local (camera RTCP clock is off by more than 10 s)");
        w->logged_clock = 1;
    }
    return ref;
}

/* Writes pkt into the segment at track's relative time with duration dur. */
static nvr_err write_rel(struct writer *w, AVPacket *pkt, int track, int64_t dur)
{
    AVRational tb = track == 0 ? w->params->video_tb : w->params->audio_tb;
    int64_t base = track == 0 ? w->run_base_pts : av_rescale_q(w->run_base_pts, w->params->video_tb, tb);
    int64_t pts = pkt->pts, dts = pkt->dts;
    pkt->dts = (track == 0 ? dts : pts) - base;
    /* a frame reordered deeper than the stream declares (dts_gen G2) is shown
     * at its decode time rather than lost */
    pkt->pts = pts - base < pkt->dts ? pkt->dts : pts - base;
    pkt->duration = dur > 0 ? dur : 1;
    if (track == 0 && pts > w->seg_max_pts)
        w->seg_max_pts = pts;
    int rc = storage_segment_write(w->seg, pkt, track);
    pkt->pts = pts;
    pkt->dts = dts;
    if (rc) {
        atomic_fetch_add(&w->o.counters->dropped, 1);
        if (!w->write_failed_logged)
            nvr_log(NVR_WARN, w->o.camera, "packet not written track=%d error=\"%s\"", track, nvr_strerror(rc));
        w->write_failed_logged = 1;
        note(w, rc, "write");
    }
    return rc;
}

static void drop_pending(struct writer *w)
{
    av_packet_free(&w->pend[0]);
    av_packet_free(&w->pend[1]);
}

/* Writes the held-back audio packet with a default frame duration. */
static void flush_pending_audio(struct writer *w)
{
    if (!w->pend[1])
        return;
    const AVCodecParameters *a = w->params->audio;
    int64_t frame = a && a->frame_size > 0 ? a->frame_size : 1024;
    int64_t dur = a && a->sample_rate > 0 ? av_rescale_q(frame, (AVRational){1, a->sample_rate}, w->params->audio_tb)
                                          : 1;
    write_rel(w, w->pend[1], 1, dur);
    av_packet_free(&w->pend[1]);
}

/* Finishes the open segment.  With cut (a keyframe that starts the next
 * one), the held-back video frame lasts until cut; without, it lasts one
 * typical frame duration. */
static void finish_segment(struct writer *w, const AVPacket *cut, const struct ingest_meta *cut_meta)
{
    if (!w->seg) {
        drop_pending(w);
        return;
    }
    int64_t end_pts, ref_end;
    if (w->pend[0]) {
        int64_t typical = w->last_video_dur > 0 ? w->last_video_dur : 1;
        int64_t dur = cut ? cut->dts - w->pend[0]->dts : typical;
        write_rel(w, w->pend[0], 0, dur);
        /* without a cut the segment ends one frame after its latest picture */
        end_pts = cut ? cut->pts : w->seg_max_pts + typical;
        ref_end = cut ? reference(w, cut->pts, cut_meta)
                      : reference(w, w->seg_max_pts, &w->pend_meta) + av_rescale_q(typical, w->params->video_tb, US);
    } else {
        end_pts = w->seg_first_pts;
        ref_end = w->seg_start_wall;
    }
    flush_pending_audio(w);
    av_packet_free(&w->pend[0]);
    int64_t media = av_rescale_q(end_pts - w->seg_first_pts, w->params->video_tb, US);
    int64_t end = timemap_segment_end(&w->tm, w->seg_start_wall, media, ref_end);
    w->media_end_us = video_us(w, w->seg_first_pts - w->run_base_pts) + media;
    int rc = storage_segment_finish(&w->seg, media, end);
    note(w, rc, "finish");
    if (rc == NVR_OK)
        atomic_fetch_add(&w->o.counters->segments, 1);
    timemap_segment_done(&w->tm, end);
}

static void open_segment(struct writer *w, const AVPacket *key, const struct ingest_meta *m)
{
    int reanchored = 0;
    int64_t ref = reference(w, key->pts, m);
    int may_continue = w->tm.contiguous && w->tm.prev_end_us != TIMEMAP_NONE;
    int64_t start = timemap_segment_start(&w->tm, ref, &reanchored);
    if (!may_continue || reanchored || start != w->tm.prev_end_us) {
        /* A new run.  The camera's media timeline stays monotonic across runs:
         * it continues from the last segment's media end, plus the gap in wall
         * time, so players that ignore EXT-X-DISCONTINUITY (ffmpeg) see a jump
         * forward, never back. */
        int64_t gap = w->tm.prev_end_us == TIMEMAP_NONE ? 0 : start - w->tm.prev_end_us;
        int64_t media_start = w->media_end_us + (gap > 0 ? gap : 0);
        int64_t lead = video_us(w, key->pts - key->dts); /* decode times stay >= 0 */
        if (media_start < lead)
            media_start = lead;
        w->run_base_pts = key->pts - av_rescale_q(media_start, US, w->params->video_tb);
        w->run_key_pts = key->pts;
    }
    if (reanchored) {
        char a[NVR_TIME_BUFSZ], b[NVR_TIME_BUFSZ];
        nvr_clock_format_rfc3339(w->tm.prev_end_us, a);
        nvr_clock_format_rfc3339(ref, b);
        nvr_log(NVR_WARN, w->o.camera, "clock re-anchored expected=%s reference=%s", a, b);
    }
    struct storage_segment_params p = {
        .camera = w->o.camera,
        .session = w->params->session,
        .start_us = start,
        .media_start_us = video_us(w, key->pts - w->run_base_pts),
        .video = w->params->video,
        .video_tb = w->params->video_tb,
        .audio = w->params->audio,
        .audio_tb = w->params->audio_tb,
        .sync = 1,
    };
    int rc = storage_segment_begin(w->o.st, &p, &w->seg);
    note(w, rc, "begin");
    if (rc) {
        w->seg = NULL;
        return;
    }
    w->seg_audio = w->params->audio != NULL;
    w->seg_first_pts = key->pts;
    w->seg_max_pts = key->pts;
    w->seg_start_wall = start;
}

/* T6 after a step back of our clock to now_us (or footage in the index
 * later than the clock at start-up): marks the footage later than now_us
 * clock_suspect and gives the timemap the room before it.  One log line per
 * step. */
static void clock_stepped_back(struct writer *w, int64_t delta_us, int64_t now_us, const char *why)
{
    int64_t floor_us, ceiling_us, after_us;
    int marked = 0;
    int rc = index_clock_step_back(storage_index(w->o.st), w->o.camera, now_us, &floor_us, &ceiling_us,
                                   &after_us, &marked);
    if (rc) {
        nvr_log(NVR_WARN, w->o.camera, "clock step detected delta=%+.3fs%s error=\"%s\"", (double)delta_us / 1e6,
                why, nvr_strerror(rc));
        return;
    }
    timemap_clock_step_back(&w->tm, floor_us == INT64_MIN ? TIMEMAP_NONE : floor_us,
                            ceiling_us == INT64_MIN ? TIMEMAP_NONE : ceiling_us,
                            after_us == INT64_MIN ? TIMEMAP_NONE : after_us);
    nvr_log(NVR_WARN, w->o.camera, "clock step detected delta=%+.3fs%s clock_suspect_segments=%d",
            (double)delta_us / 1e6, why, marked);
}

/* T6: follows a step of our clock at keyframe key: the open segment ends
 * here and the next starts at the reference time. */
static void follow_clock_step(struct writer *w, const AVPacket *key, const struct ingest_meta *m)
{
    int64_t delta = w->step_pending;
    w->step_pending = 0;
    if (w->seg)
        finish_segment(w, key, m);
    timemap_break(&w->tm);
    int64_t ref = reference(w, key->pts, m);
    if (delta < 0 || (w->tm.prev_end_us != TIMEMAP_NONE && ref < w->tm.prev_end_us))
        clock_stepped_back(w, delta, ref, "");
    else
        nvr_log(NVR_WARN, w->o.camera, "clock step detected delta=%+.3fs", (double)delta / 1e6);
}

static void on_video(struct writer *w, struct pq_item *it)
{
    AVPacket *p = it->pkt;
    int key = (p->flags & AV_PKT_FLAG_KEY) != 0;
    if (timemap_discontinuity(&w->tm, video_us(w, p->dts))) {
        nvr_log(NVR_WARN, w->o.camera, "timestamp discontinuity: segment ended");
        finish_segment(w, NULL, NULL);
        timemap_break(&w->tm);
    }
    if (w->pend[0] && p->dts <= w->pend[0]->dts) {
        atomic_fetch_add(&w->o.counters->dropped, 1); /* duplicate timestamp */
        return;
    }
    w->step_pending += timemap_clock_observe(&w->tm, w->clock->now_us(w->clock->cls), w->clock->mono_us(w->clock->cls));
    if (w->step_pending && key && w->params && !it->params)
        follow_clock_step(w, p, &it->meta);
    if (w->seg && key && timemap_reaches_ceiling(&w->tm, w->seg_start_wall + video_us(w, p->pts - w->seg_first_pts))) {
        nvr_log(NVR_INFO, w->o.camera, "clock: new footage reached the clock_suspect footage, continuing after it");
        finish_segment(w, p, &it->meta);
        timemap_break(&w->tm);
    }
    if (it->params) {
        /* new codec parameters: the next segment starts here, with them */
        if (w->seg)
            finish_segment(w, p, &it->meta);
        it->params->session = w->params ? w->params->session : it->params->session;
        pq_params_free(w->params);
        w->params = it->params;
        it->params = NULL;
    }
    if (w->seg && key && video_us(w, p->pts - w->seg_first_pts) >= w->seg_len_us)
        finish_segment(w, p, &it->meta);
    if (!w->seg) {
        if (!key) {
            atomic_fetch_add(&w->o.counters->dropped, 1);
            return;
        }
        open_segment(w, p, &it->meta);
        if (!w->seg)
            return;
    } else if (w->pend[0]) {
        int64_t dur = p->dts - w->pend[0]->dts;
        w->last_video_dur = dur;
        atomic_store(&w->o.counters->frame_interval_ns, (uint64_t)av_rescale_q(dur, w->params->video_tb, (AVRational){1, 1000000000}));
        write_rel(w, w->pend[0], 0, dur);
        av_packet_free(&w->pend[0]);
        if (key) {
            int64_t media = video_us(w, p->pts - w->seg_first_pts);
            int64_t end = timemap_segment_end(&w->tm, w->seg_start_wall, media, reference(w, p->pts, &it->meta));
            int64_t t0 = w->clock->mono_us(w->clock->cls);
            int rc = storage_segment_cut(w->seg, media, end);
            uint64_t took = (uint64_t)(w->clock->mono_us(w->clock->cls) - t0);
            atomic_fetch_add(&w->o.counters->frag_writes, 1);
            atomic_fetch_add(&w->o.counters->frag_write_us, took);
            if (took > atomic_load(&w->o.counters->frag_write_max_us))
                atomic_store(&w->o.counters->frag_write_max_us, took);
            note(w, rc, "cut");
            if (rc) {
                finish_segment(w, NULL, NULL);
                timemap_break(&w->tm);
                return;
            }
        }
    }
    if (p->pts < w->run_key_pts) {
        /* a leading picture of an open GOP whose references precede the run:
         * no decoder can show it */
        atomic_fetch_add(&w->o.counters->dropped, 1);
        return;
    }
    w->pend[0] = it->pkt;
    w->pend_meta = it->meta;
    it->pkt = NULL;
}

static void on_audio(struct writer *w, struct pq_item *it)
{
    AVPacket *p = it->pkt;
    if (!w->seg || !w->seg_audio)
        return;
    int64_t base = av_rescale_q(w->seg_first_pts, w->params->video_tb, w->params->audio_tb);
    if (p->pts < base)
        return;
    if (w->pend[1]) {
        int64_t dur = p->pts - w->pend[1]->pts;
        if (dur <= 0)
            return;
        write_rel(w, w->pend[1], 1, dur);
        av_packet_free(&w->pend[1]);
    }
    w->pend[1] = it->pkt;
    it->pkt = NULL;
}

struct writer *writer_create(const struct writer_opts *o)
{
    struct writer *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->o = *o;
    w->clock = o->clock ? o->clock : &nvr_clock_system;
    int64_t last_end = TIMEMAP_NONE;
    w->seg_len_us = (int64_t)o->segment_seconds * 1000000;
    index_camera_last_end(storage_index(o->st), o->camera, &last_end, &w->media_end_us);
    timemap_init(&w->tm, last_end);
    int64_t now = w->clock->now_us(w->clock->cls);
    /* later than RTCP references can be (T2), so not a camera clock ahead */
    if (last_end != TIMEMAP_NONE && last_end > now + w->tm.max_skew_us + w->tm.max_error_us)
        clock_stepped_back(w, now - last_end, now, " (footage in the index is later than the clock at start-up)");
    return w;
}

void writer_item(struct writer *w, struct pq_item *it)
{
    switch (it->kind) {
    case PQ_SESSION_START:
        finish_segment(w, NULL, NULL);
        timemap_session_start(&w->tm);
        pq_params_free(w->params);
        w->params = it->params;
        it->params = NULL;
        w->logged_clock = 0;
        break;
    case PQ_PACKET:
        if (!w->params)
            break;
        if (it->pkt->stream_index == 0)
            on_video(w, it);
        else
            on_audio(w, it);
        break;
    case PQ_GAP:
    case PQ_SESSION_END:
    case PQ_QUIT:
        finish_segment(w, NULL, NULL);
        timemap_break(&w->tm);
        break;
    }
}

void writer_destroy(struct writer **wp)
{
    struct writer *w = *wp;
    if (!w)
        return;
    drop_pending(w);
    pq_params_free(w->params);
    free(w);
    *wp = NULL;
}
