/* SPDX-License-Identifier: Apache-2.0 */
/*
 * writer.c - one camera's writer state machine (see writer.h): stream items
 * in, segments and index rows out through storage/.
 *
 * Writer state machine, per video packet P (pts in the video time base),
 * after its timestamps went through the floor below (T7):
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
 *
 * The floor on segment length (T7, docs/design/time.md), before all that:
 * every video packet's timestamps become "out" timestamps, which the machine
 * above sees instead of the camera's:
 *   camera time (normal)   out = camera + offset (offset 0 until a jump is
 *                          absorbed); a jump (T5: back, or more than 2 s
 *                          forward) in a segment shorter than TS_FLOOR is
 *                          absorbed: the frame comes one frame after the
 *                          previous one and offset changes so that the
 *                          following frames go on from it; a jump in a longer
 *                          segment passes through and ends it (T5)
 *   arrival time (chaotic) entered at the TS_CHAOS_JUMPS-th jump within
 *                          TS_CHAOS_WINDOW: out follows the frames' arrival
 *                          (one frame interval measured from the arrivals
 *                          and rounded to a usual frame rate, so read batches
 *                          do not show; a longer frame catches up when out
 *                          falls behind); left at a keyframe after TS_CALM
 *                          without a jump, with a new offset so out goes on
 *                          (the segment ends there)
 * In both, out strictly increases (duplicates aside), and an arrival gap
 * over max_frame_gap still shows as a jump in out, so an outage stays a gap.
 * Audio follows the offset, and is not recorded on arrival time (its own
 * timestamps cannot be placed on that clock).
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

/* T7 (see the top) */
#define TS_FLOOR_US (2 * 1000000LL)         /* a jump never ends a shorter segment */
#define TS_CHAOS_JUMPS 4                    /* this many jumps ... */
#define TS_CHAOS_WINDOW_US (60 * 1000000LL) /* ... within this: timed by arrival */
#define TS_CALM_US (60 * 1000000LL)         /* no jump for this long: camera time again */
#define TS_RESYNC_US 500000LL               /* out ahead of arrival by this: re-anchor */
#define TS_SLACK_US 300000LL                /* out behind arrival by more: catches up */
#define TS_MEASURE_US                                                                                                  \
    (6 * 1000000LL) /* arrivals measured over at least this (the                                                       \
                     * reader's 0.1 s batches: within 1.7 %) */
#define TS_RING 512 /* arrivals kept for the measure (8.5 s at 60 fps) */
#define TS_NONE INT64_MIN

/* The floor's state (T7): the camera's timestamps in, out timestamps out. */
struct ts_floor {
    int64_t last_raw;     /* camera dts of the previous video packet, TS_NONE */
    int64_t last_out;     /* out dts of the previous video packet, TS_NONE */
    int64_t offset;       /* out - camera, camera time (video time base) */
    int64_t last_recv;    /* arrival of the previous video packet, TS_NONE */
    int arrival;          /* timed by arrival (chaotic camera) */
    int64_t anchor_recv;  /* arrival time ... */
    int64_t anchor_out;   /* ... at this out dts: the arrival clock */
    int64_t step;         /* out frame interval on arrival time, 0: not chosen */
    int64_t step_next;    /* a shorter one for after the next keyframe, 0: none */
    int measured;         /* step was measured from the arrivals */
    int cut;              /* end the segment at this keyframe (set by ts_floor) */
    int64_t arr[TS_RING]; /* the latest arrivals without a gap, a ring */
    int narr, arr_next;
    int64_t jumps[TS_CHAOS_JUMPS - 1]; /* writer's monotonic clock at the latest jumps */
    int next_jump;                     /* ring index */
    int64_t last_jump;                 /* monotonic time of the latest jump, TS_NONE */
};

struct writer {
    struct writer_opts o;
    const struct nvr_clock *clock;
    struct timemap tm;
    struct pq_params *params; /* current stream description */
    struct storage_segment *seg;
    int seg_audio;         /* the open segment has an audio track */
    int64_t seg_first_pts; /* video pts of the segment's first frame */
    int64_t run_base_pts;  /* video pts at media time 0: files of one run
                            * continue each other's timestamps */
    int64_t run_key_pts;   /* pts of the run's first keyframe */
    int write_failed_logged;
    int64_t seg_max_pts;  /* latest presentation time in the segment */
    int64_t media_end_us; /* media end of the camera's last segment */
    int64_t seg_start_wall;
    AVPacket *pend[2];            /* held-back packet per track */
    struct ingest_meta pend_meta; /* meta of the held-back video packet */
    int64_t last_video_dur;       /* video time base */
    int64_t seg_len_us;
    int logged_clock;
    int64_t step_pending; /* our clock stepped by this much (T6), not yet followed */
    struct ts_floor ts;   /* T7 */
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
    if (atomic_load_explicit(&w->o.counters->clock_rtcp, memory_order_relaxed) != used_rtcp)
        atomic_store_explicit(&w->o.counters->clock_rtcp, used_rtcp, memory_order_relaxed);
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
    int64_t dur =
        a && a->sample_rate > 0 ? av_rescale_q(frame, (AVRational){1, a->sample_rate}, w->params->audio_tb) : 1;
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
        .pin_dir = w->o.storage_dir,
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
    int rc =
        index_clock_step_back(storage_index(w->o.st), w->o.camera, now_us, &floor_us, &ceiling_us, &after_us, &marked);
    if (rc) {
        nvr_log(NVR_WARN, w->o.camera, "clock step detected delta=%+.3fs%s error=\"%s\"", (double)delta_us / 1e6, why,
                nvr_strerror(rc));
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

/* ---- T7: the floor on segment length (see the top) ---- */

static void ts_reset(struct ts_floor *t)
{
    t->last_raw = t->last_out = t->last_recv = t->anchor_recv = TS_NONE;
    t->offset = 0;
    t->narr = 0;
}

/* Keeps the arrival of a frame for the measure of the frame interval; a gap
 * (or our clock going back) starts the measure over. */
static void ts_note_arrival(struct ts_floor *t, int64_t recv)
{
    if (t->narr > 0) {
        int64_t newest = t->arr[(t->arr_next + TS_RING - 1) % TS_RING];
        if (recv < newest || recv - newest > 1000000)
            t->narr = 0;
    }
    t->arr[t->arr_next] = recv;
    t->arr_next = (t->arr_next + 1) % TS_RING;
    if (t->narr < TS_RING)
        t->narr++;
}

/* The camera's frame interval from its arrivals (us), rounded to the
 * nearest usual frame rate when one is within 5 % (25 and 24 fps are 4 %
 * apart: hence the long measure), so that out durations are all the same
 * (a player takes the file's frame rate from them); 0 while the arrivals
 * kept span less than TS_MEASURE_US and do not fill the ring. */
static int64_t ts_measure_us(const struct ts_floor *t)
{
    static const int64_t usual[] = {16667, 20000,  33333,  33367,  40000,  41667,  41708,  50000,  66667,  80000,
                                    83333, 100000, 125000, 133333, 166667, 200000, 250000, 500000, 1000000};
    if (t->narr < 2)
        return 0;
    int64_t newest = t->arr[(t->arr_next + TS_RING - 1) % TS_RING];
    int64_t oldest = t->arr[(t->arr_next + TS_RING - t->narr) % TS_RING];
    if (newest - oldest < TS_MEASURE_US && t->narr < TS_RING)
        return 0;
    int64_t est = (newest - oldest) / (t->narr - 1), best = est, best_err = INT64_MAX;
    for (size_t i = 0; i < sizeof usual / sizeof usual[0]; i++) {
        int64_t e = usual[i] > est ? usual[i] - est : est - usual[i];
        if (e * 20 <= usual[i] && e < best_err) {
            best = usual[i];
            best_err = e;
        }
    }
    return best;
}

static int64_t us_to_tb(const struct writer *w, int64_t us)
{
    int64_t v = av_rescale_q(us, US, w->params->video_tb);
    return v > 0 ? v : 1;
}

/* Records a jump at monotonic time now; 1 if it is the TS_CHAOS_JUMPS-th
 * within TS_CHAOS_WINDOW_US. */
static int ts_count_jump(struct ts_floor *t, int64_t now)
{
    int64_t oldest = t->jumps[t->next_jump]; /* the jump TS_CHAOS_JUMPS - 1 before this one */
    t->jumps[t->next_jump] = now;
    t->next_jump = (t->next_jump + 1) % (TS_CHAOS_JUMPS - 1);
    t->last_jump = now;
    return oldest != TS_NONE && now - oldest < TS_CHAOS_WINDOW_US;
}

/* One frame later than the previous out: the camera's own frame duration
 * while it is plausible, else the interval measured on arrival (or 40 ms); an arrival gap
 * over max_frame_gap is kept (an outage stays a gap, T5). */
static int64_t ts_next(const struct writer *w, int64_t recv)
{
    const struct ts_floor *t = &w->ts;
    if (t->last_recv != TS_NONE && recv - t->last_recv > w->tm.max_frame_gap_us)
        return t->last_out + us_to_tb(w, recv - t->last_recv);
    if (w->last_video_dur > 0 && video_us(w, w->last_video_dur) <= 1000000)
        return t->last_out + w->last_video_dur;
    int64_t m = ts_measure_us(t);
    return t->last_out + us_to_tb(w, m ? m : 40000);
}

/* A new out frame interval on arrival time: a longer one applies at once;
 * a shorter one waits for the next keyframe, where the segment ends (so the
 * durations in a file never shrink: a player takes the frame rate from the
 * first ones, and two frames must never fall on one tick of it). */
static void ts_set_step(struct ts_floor *t, int64_t step)
{
    if (step >= t->step) {
        t->step = step;
        t->step_next = 0;
    } else {
        t->step_next = step;
    }
}

/* Arrival time for a frame that arrived at recv: one frame interval after
 * the previous frame.  The interval is the previous frame's duration until
 * it is measured from the arrivals (ts_measure_us, after TS_MEASURE_US).  Out
 * stays at most TS_SLACK_US behind the arrival clock (a longer frame catches
 * up); when it runs TS_RESYNC_US ahead, the interval is measured again and
 * the arrival clock re-anchored. */
static int64_t ts_on_arrival(struct writer *w, int64_t recv, int key)
{
    struct ts_floor *t = &w->ts;
    int64_t out;
    if (!t->step)
        t->step =
            w->last_video_dur > 0 && video_us(w, w->last_video_dur) <= 1000000 ? w->last_video_dur : us_to_tb(w, 40000);
    if (!t->measured) {
        int64_t m = ts_measure_us(t);
        if (m) {
            t->measured = 1;
            ts_set_step(t, us_to_tb(w, m));
        }
    }
    if (t->last_out == TS_NONE) {
        out = t->last_raw; /* a session's first frame: anywhere will do */
    } else if (t->last_recv != TS_NONE && recv - t->last_recv > w->tm.max_frame_gap_us) {
        out = t->last_out + us_to_tb(w, recv - t->last_recv); /* an outage stays a gap */
        t->anchor_recv = TS_NONE;
    } else {
        int64_t pred = t->last_out + t->step;
        int64_t target = t->anchor_recv == TS_NONE
                             ? pred
                             : t->anchor_out + av_rescale_q(recv - t->anchor_recv, US, w->params->video_tb);
        if (target - pred < -us_to_tb(w, TS_RESYNC_US)) {
            int64_t m = ts_measure_us(t);
            if (m)
                ts_set_step(t, us_to_tb(w, m));
            t->anchor_recv = TS_NONE;
            out = pred;
        } else {
            int64_t behind = target - us_to_tb(w, TS_SLACK_US);
            out = behind > pred ? behind : pred;
        }
    }
    if (key && t->step_next) {
        t->step = t->step_next; /* from this keyframe on, in a new segment */
        t->step_next = 0;
        t->cut = 1;
    }
    if (t->last_out != TS_NONE && out <= t->last_out)
        out = t->last_out + 1;
    if (t->anchor_recv == TS_NONE) {
        t->anchor_recv = recv;
        t->anchor_out = out;
    }
    return out;
}

/* Replaces the camera's timestamps of video packet it with out timestamps
 * (see the top); counts jumps, enters and leaves arrival time. */
static void ts_floor(struct writer *w, struct pq_item *it)
{
    struct ts_floor *t = &w->ts;
    AVPacket *p = it->pkt;
    int64_t raw = p->dts, recv = it->meta.recv_us;
    int64_t now = w->clock->mono_us(w->clock->cls);
    int64_t d = t->last_raw == TS_NONE ? 0 : raw - t->last_raw;
    int jump = t->last_raw != TS_NONE && (d < 0 || video_us(w, d) > w->tm.max_frame_gap_us);
    t->last_raw = raw;
    ts_note_arrival(t, recv);
    int64_t out;
    if (jump) {
        atomic_fetch_add(&w->o.counters->ts_jumps, 1);
        if (ts_count_jump(t, now) && !t->arrival) {
            t->arrival = 1;
            t->anchor_recv = TS_NONE;
            t->step = t->step_next = 0;
            t->measured = 0;
            atomic_store(&w->o.counters->ts_arrival, 1);
            nvr_log(NVR_WARN, w->o.camera,
                    "chaotic timestamps: recording on arrival time jumps=%d window=%llds floor=%llds", TS_CHAOS_JUMPS,
                    (long long)(TS_CHAOS_WINDOW_US / 1000000), (long long)(TS_FLOOR_US / 1000000));
        }
    }
    int key = (p->flags & AV_PKT_FLAG_KEY) != 0;
    t->cut = 0;
    if (t->arrival && !jump && key && t->last_jump != TS_NONE && now - t->last_jump >= TS_CALM_US &&
        t->last_out != TS_NONE) {
        /* at a keyframe, which ends the segment: the camera's frame durations
         * may differ from the ones on arrival time */
        t->arrival = 0;
        t->cut = 1;
        atomic_store(&w->o.counters->ts_arrival, 0);
        out = ts_next(w, recv);
        t->offset = out - raw;
        nvr_log(NVR_INFO, w->o.camera, "timestamps sane again: recording on camera time calm=%llds",
                (long long)(TS_CALM_US / 1000000));
    } else if (t->arrival) {
        out = ts_on_arrival(w, recv, key);
    } else if (jump && w->seg && t->last_out != TS_NONE && video_us(w, t->last_out - w->seg_first_pts) < TS_FLOOR_US) {
        out = ts_next(w, recv);
        nvr_log(NVR_WARN, w->o.camera, "timestamp discontinuity: segment continued (shorter than %llds) jump=%+.3fs",
                (long long)(TS_FLOOR_US / 1000000), (double)video_us(w, d) / 1e6);
        t->offset = out - raw;
    } else {
        out = raw + t->offset;
    }
    t->last_out = out;
    t->last_recv = recv;
    if (t->arrival) {
        p->pts = p->dts = out;             /* the camera's order of presentation is lost with its clock */
        it->meta.rtcp_origin_us = TS_NONE; /* the reference is our receive clock */
    } else {
        p->pts += out - raw;
        p->dts = out;
        if (it->meta.rtcp_origin_us != TS_NONE)
            it->meta.rtcp_origin_us -= video_us(w, t->offset); /* the camera's clock at out 0 */
    }
}

static void on_video(struct writer *w, struct pq_item *it)
{
    AVPacket *p = it->pkt;
    ts_floor(w, it);
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
    if (w->seg && key && (video_us(w, p->pts - w->seg_first_pts) >= w->seg_len_us || w->ts.cut))
        finish_segment(w, p, &it->meta); /* long enough, or T7 changes the frame durations here */
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
        atomic_store(&w->o.counters->frame_interval_ns,
                     (uint64_t)av_rescale_q(dur, w->params->video_tb, (AVRational){1, 1000000000}));
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
    if (!w->seg || !w->seg_audio || w->ts.arrival)
        return;
    if (w->ts.offset)
        p->pts += av_rescale_q(w->ts.offset, w->params->video_tb, w->params->audio_tb);
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
    ts_reset(&w->ts);
    w->ts.last_jump = TS_NONE;
    for (int i = 0; i < TS_CHAOS_JUMPS - 1; i++)
        w->ts.jumps[i] = TS_NONE;
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
        ts_reset(&w->ts); /* a chaotic camera stays on arrival time across reconnects */
        pq_params_free(w->params);
        w->params = it->params;
        it->params = NULL;
        w->logged_clock = 0;
        atomic_store_explicit(&w->o.counters->clock_rtcp, 0, memory_order_relaxed);
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
        w->ts.last_raw = w->ts.last_recv = TS_NONE; /* what follows a gap is no jump (T7) */
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
