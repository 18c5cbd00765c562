/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_camera.c - nvr-test-camera: an RTSP server that stands in for an IP
 * camera in the integration tests and benchmarks.
 *
 * It serves one MP4 clip (H.264 or H.265 video, optionally AAC audio; or a
 * .mov clip with G.711 µ-law/A-law or 16-bit PCM audio, see --audio-codec) looped
 * forever, in real time and without re-encoding.  At start-up the clip is
 * demuxed once into memory (filesrc ! qtdemux ! h26xparse ! appsink, plus
 * aacparse ! appsink for audio): a table of access units that reference the
 * demuxer's buffers.  Every RTSP client gets its own pipeline (media factories
 * are not shared):
 *
 *   appsrc name=vsrc ! rtph264pay|rtph265pay name=pay0 pt=96 config-interval=-1
 *   appsrc name=asrc ! rtpmp4gpay name=pay1 pt=97    (--audio-codec aac)
 *                    ! rtppcmupay name=pay1 pt=0     (pcmu)
 *                    ! rtppcmapay name=pay1 pt=8     (pcma)
 *                    ! rtpL16pay name=pay1 pt=97     (l16: a codec nvr does not record)
 *                    ! rtpmp4apay name=pay1 pt=97    (latm: the AAC clip as MP4A-LATM)
 *
 * Raw audio (G.711, L16) comes out of the demuxer in chunks of any size; it
 * is cut into 20 ms buffers at load time, as a camera packetizes it.
 *
 * Each appsrc is fed from the table on demand (need-data), one access unit
 * at a time, with timestamps loop * clip_duration + original timestamp, so the
 * clock never restarts across loops.  The appsrcs are not live; the
 * gst-rtsp-server sinks synchronise on the pipeline clock, which gives
 * real-time pacing.  The pushed buffers are shallow copies: the encoded bytes
 * are shared read-only by all pipelines.  The caps (with codec_data) come from
 * the parsers, so the payloaders know the parameter sets at once and put them
 * into the SDP.
 *
 * Threads and ownership:
 *  - The main thread owns struct camera (options, server, main loop) and runs
 *    the GLib main loop, in which gst-rtsp-server accepts connections and
 *    handles RTSP requests; signals arrive there too (g_unix_signal_add).
 *  - struct clip is written only by the loader (the main thread, plus the
 *    loader pipeline's streaming thread before EOS) and is read-only
 *    afterwards.  It is reference counted: the camera holds one reference and
 *    every feeder holds one, so a client pipeline that is still being torn
 *    down when main() returns never sees it freed.
 *  - struct feeder (position in the clip, loop count) belongs to one appsrc
 *    and is touched only from that appsrc's streaming thread (need-data);
 *    it is freed by the appsrc callbacks' destroy notify when the appsrc is
 *    finalized, i.e. when the client's media is unprepared and destroyed.
 */
#include <glib-unix.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_PORT 8554
#define DEFAULT_BIND "127.0.0.1"
#define DEFAULT_MOUNT "/cam"
#define MAX_MOUNTS 1024
#define LISTEN_BACKLOG 256 /* the default (5) is too small for 64 clients at once */
#define VIDEO_CLOCK_RATE 90000 /* RTP clock of H.264/H.265 */
#define SHUTDOWN_WAIT_US (400 * G_TIME_SPAN_MILLISECOND)

/* One access unit (video) or frame (audio); times relative to the clip start. */
struct au {
    GstBuffer *buf;
    GstClockTime pts, dts, dur;
};

enum audio_codec { AUDIO_AAC = 0, AUDIO_PCMU, AUDIO_PCMA, AUDIO_L16, AUDIO_LATM };

struct track {
    GstCaps *caps;       /* from the parser, with codec_data */
    gsize piece_bytes;   /* raw audio: cut buffers into pieces of this size (20 ms), 0: keep */
    gint piece_rate;     /* raw audio: sample rate */
    gsize frame_bytes;   /* raw audio: bytes per sample frame */
    struct au *aus;
    size_t n, cap;
    gint64 *raw_pts;     /* running times as demuxed (signed), before normalisation */
    gint64 *raw_dts;
};

struct clip {
    gint refs;
    struct track video, audio;
    int video_h265;
    GstClockTime duration; /* the loop period */
    guint64 bytes;
};

/* Loader pipeline state; callbacks run in the demuxer's streaming thread. */
struct loader {
    GstElement *pipeline;
    struct clip *clip;
    int want_audio;
    enum audio_codec audio_codec;
    int linked_video, linked_audio;
};

struct feeder {
    struct clip *clip;          /* a reference */
    struct clip *alt;           /* a reference, or NULL: --switch-clip, served on odd loops */
    const struct track *track;
    size_t idx;
    guint64 loop;
    GstClockTime base;          /* timestamp offset of the current loop */
    int pushed;
};

struct options {
    gint port;
    gchar *bind;
    gchar *clip;
    gchar *mount;
    gint mounts;
    gboolean no_audio;
    gchar *audio_codec;         /* --audio-codec: aac (default), pcmu, pcma, l16 */
    enum audio_codec acodec;
    gchar *user;
    gchar *password;
    gchar *auth;
    gchar *switch_clip;
    gchar *server_header;       /* --server-header: RTSP "Server:" to present, or NULL */
    gchar *sdp_name;            /* --sdp-name: SDP "s=" line to present, or NULL */
    gboolean sdp_params_only;   /* --sdp-params-only: no parameter sets in the stream */
    gint close_after;           /* --close-after: end every connection after this many s */
    gchar *tls_cert;            /* --tls-cert: serve RTSP over TLS (rtsps://) with this PEM */
    gchar *tls_key;             /* --tls-key: its key, if not in the same PEM */
};

struct camera {
    struct options o;
    struct clip *clip;
    struct clip *alt;           /* --switch-clip, or NULL */
    gchar *launch;
    GMainLoop *loop;
    GstRTSPServer *server;
    guint server_source;
};

/* ------------------------------------------------------------------ clip -- */

static void track_clear(struct track *t)
{
    for (size_t i = 0; i < t->n; i++)
        gst_buffer_unref(t->aus[i].buf);
    g_free(t->aus);
    g_free(t->raw_pts);
    g_free(t->raw_dts);
    if (t->caps)
        gst_caps_unref(t->caps);
    memset(t, 0, sizeof(*t));
}

static struct clip *clip_ref(struct clip *c)
{
    g_atomic_int_inc(&c->refs);
    return c;
}

static void clip_unref(struct clip *c)
{
    if (!c || !g_atomic_int_dec_and_test(&c->refs))
        return;
    track_clear(&c->video);
    track_clear(&c->audio);
    g_free(c);
}

static gint64 to_running_time(const GstSegment *seg, GstClockTime t)
{
    guint64 rt = 0;
    int sign;

    if (!GST_CLOCK_TIME_IS_VALID(t))
        return -1;
    if (!seg || seg->format != GST_FORMAT_TIME)
        return (gint64)t;
    sign = gst_segment_to_running_time_full(seg, GST_FORMAT_TIME, t, &rt);
    if (sign == 0)
        return G_MININT64;
    return sign > 0 ? (gint64)rt : -(gint64)rt;
}

/* Appsink callback (streaming thread): append one sample to the track. */
static GstFlowReturn on_loader_sample(GstAppSink *sink, gpointer user_data)
{
    struct track *t = user_data;
    GstSample *s = gst_app_sink_pull_sample(sink);
    GstBuffer *b;
    GstFlowReturn ret = GST_FLOW_OK;

    if (!s)
        return GST_FLOW_EOS;
    b = gst_sample_get_buffer(s);
    if (!b || !GST_BUFFER_PTS_IS_VALID(b))
        goto out;
    if (!t->caps && gst_sample_get_caps(s))
        t->caps = gst_caps_copy(gst_sample_get_caps(s));
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 256;
        t->aus = g_renew(struct au, t->aus, t->cap);
        t->raw_pts = g_renew(gint64, t->raw_pts, t->cap);
        t->raw_dts = g_renew(gint64, t->raw_dts, t->cap);
    }
    const GstSegment *seg = gst_sample_get_segment(s);
    if (t->piece_bytes) {
        /* raw audio: 20 ms pieces sharing the chunk's memory */
        gsize size = gst_buffer_get_size(b);
        gint64 start = to_running_time(seg, GST_BUFFER_PTS(b));
        for (gsize off = 0; off + t->frame_bytes <= size && start != G_MININT64; off += t->piece_bytes) {
            gsize n = MIN(t->piece_bytes, size - off);
            if (t->n == t->cap) {
                t->cap *= 2;
                t->aus = g_renew(struct au, t->aus, t->cap);
                t->raw_pts = g_renew(gint64, t->raw_pts, t->cap);
                t->raw_dts = g_renew(gint64, t->raw_dts, t->cap);
            }
            t->raw_pts[t->n] = t->raw_dts[t->n] =
                start + (gint64)gst_util_uint64_scale_int(off / t->frame_bytes, GST_SECOND, t->piece_rate);
            t->aus[t->n].buf = gst_buffer_copy_region(b, GST_BUFFER_COPY_ALL, off, n);
            t->aus[t->n].dur = gst_util_uint64_scale_int(n / t->frame_bytes, GST_SECOND, t->piece_rate);
            t->n++;
        }
        goto out;
    }
    t->raw_pts[t->n] = to_running_time(seg, GST_BUFFER_PTS(b));
    t->raw_dts[t->n] = GST_BUFFER_DTS_IS_VALID(b) ? to_running_time(seg, GST_BUFFER_DTS(b))
                                                  : t->raw_pts[t->n];
    t->aus[t->n].buf = gst_buffer_ref(b);
    t->aus[t->n].dur = GST_BUFFER_DURATION(b);
    t->n++;
out:
    gst_sample_unref(s);
    return ret;
}

/* Adds elements "parser ! capsfilter ! appsink" (or fakesink) after pad.
 * The sinks are not async: qtdemux pushes every track from one thread, so a
 * sink holding its first buffer for the preroll would block the other
 * tracks' (a file whose first chunk is audio never got its video through). */
static int link_branch(struct loader *l, GstPad *pad, const char *parser, const char *caps,
                       struct track *t)
{
    GstElement *e[3] = {NULL, NULL, NULL};
    GstPad *sinkpad = NULL;
    int n = 0, ret = -1;

    if (parser) {
        e[n++] = gst_element_factory_make(parser, NULL);
        e[n] = gst_element_factory_make("capsfilter", NULL);
        if (e[n]) {
            GstCaps *c = gst_caps_from_string(caps);
            g_object_set(e[n], "caps", c, NULL);
            gst_caps_unref(c);
        }
        n++;
    }
    e[n++] = gst_element_factory_make(t ? "appsink" : "fakesink", NULL);
    for (int i = 0; i < n; i++) {
        if (!e[i]) {
            g_printerr("nvr-test-camera: missing GStreamer element (%s)\n",
                       i == 0 && parser ? parser : "appsink/capsfilter");
            goto out;
        }
    }
    if (t) {
        GstAppSinkCallbacks cbs = {0};
        cbs.new_sample = on_loader_sample;
        g_object_set(e[n - 1], "sync", FALSE, "async", FALSE, "enable-last-sample", FALSE, NULL);
        gst_app_sink_set_callbacks(GST_APP_SINK(e[n - 1]), &cbs, t, NULL);
    } else {
        g_object_set(e[n - 1], "sync", FALSE, "async", FALSE, NULL);
    }
    for (int i = 0; i < n; i++)
        gst_bin_add(GST_BIN(l->pipeline), e[i]);
    for (int i = 0; i + 1 < n; i++) {
        if (!gst_element_link(e[i], e[i + 1]))
            goto out_added;
    }
    for (int i = n - 1; i >= 0; i--)
        gst_element_sync_state_with_parent(e[i]);
    sinkpad = gst_element_get_static_pad(e[0], "sink");
    if (gst_pad_link(pad, sinkpad) != GST_PAD_LINK_OK)
        goto out_added;
    ret = 0;
    goto out_added;
out:
    for (int i = 0; i < n; i++)
        if (e[i])
            gst_object_unref(gst_object_ref_sink(e[i])); /* not in the bin yet: floating */
out_added:
    if (sinkpad)
        gst_object_unref(sinkpad);
    return ret;
}

/* qtdemux pad-added (streaming thread): route the first video and audio. */
static void on_demux_pad(GstElement *demux, GstPad *pad, gpointer user_data)
{
    struct loader *l = user_data;
    GstCaps *caps = gst_pad_get_current_caps(pad);
    const GstStructure *st;
    const char *name;
    gint mpegversion = 0;
    int r = 0;

    (void)demux;
    if (!caps)
        caps = gst_pad_query_caps(pad, NULL);
    st = gst_caps_get_structure(caps, 0);
    name = gst_structure_get_name(st);
    if (!l->linked_video && strcmp(name, "video/x-h264") == 0) {
        r = link_branch(l, pad, "h264parse", "video/x-h264,stream-format=avc,alignment=au",
                        &l->clip->video);
        l->linked_video = 1;
    } else if (!l->linked_video && strcmp(name, "video/x-h265") == 0) {
        r = link_branch(l, pad, "h265parse", "video/x-h265,stream-format=hvc1,alignment=au",
                        &l->clip->video);
        l->linked_video = 1;
        l->clip->video_h265 = 1;
    } else if (l->want_audio && !l->linked_audio &&
               (l->audio_codec == AUDIO_AAC || l->audio_codec == AUDIO_LATM) &&
               strcmp(name, "audio/mpeg") == 0 &&
               gst_structure_get_int(st, "mpegversion", &mpegversion) && mpegversion == 4) {
        r = link_branch(l, pad, "aacparse", "audio/mpeg,mpegversion=4,stream-format=raw",
                        &l->clip->audio);
        l->linked_audio = 1;
    } else if (l->want_audio && !l->linked_audio &&
               ((l->audio_codec == AUDIO_PCMU && strcmp(name, "audio/x-mulaw") == 0) ||
                (l->audio_codec == AUDIO_PCMA && strcmp(name, "audio/x-alaw") == 0) ||
                (l->audio_codec == AUDIO_L16 && strcmp(name, "audio/x-raw") == 0 &&
                 g_strcmp0(gst_structure_get_string(st, "format"), "S16BE") == 0))) {
        gint rate = 0, channels = 1;
        struct track *a = &l->clip->audio;
        gst_structure_get_int(st, "rate", &rate);
        gst_structure_get_int(st, "channels", &channels);
        if (rate > 0 && channels > 0) {
            a->piece_rate = rate;
            a->frame_bytes = (gsize)channels * (l->audio_codec == AUDIO_L16 ? 2 : 1);
            a->piece_bytes = (gsize)(rate / 50) * a->frame_bytes;
            a->cap = 256;
            a->aus = g_new(struct au, a->cap);
            a->raw_pts = g_new(gint64, a->cap);
            a->raw_dts = g_new(gint64, a->cap);
            r = link_branch(l, pad, NULL, NULL, a);
        } else {
            r = link_branch(l, pad, NULL, NULL, NULL);
        }
        l->linked_audio = 1;
    } else {
        r = link_branch(l, pad, NULL, NULL, NULL);
    }
    if (r < 0)
        GST_ELEMENT_ERROR(l->pipeline, CORE, PAD, ("cannot link demuxer pad"), (NULL));
    gst_caps_unref(caps);
}

/*
 * Rounds a time to the nearest tick of an RTP clock, then up to the next
 * nanosecond: the payloaders convert with truncation, so this makes e.g. AAC
 * frames 1024 ticks apart exactly instead of alternating 1023/1025.
 */
static GstClockTime snap_to_clock(GstClockTime t, gint rate)
{
    guint64 ticks = gst_util_uint64_scale_round(t, (guint64)rate, GST_SECOND);
    return gst_util_uint64_scale_int_ceil(ticks, GST_SECOND, rate);
}

/*
 * Makes the stored times relative to the first video frame, fills in missing
 * durations, and sets the loop period to the video's length.  Audio frames
 * outside [0, duration) are dropped so that timestamps stay monotonic across
 * loops (the gap at the loop point is less than one audio frame).
 */
static int clip_normalise(struct clip *c)
{
    struct track *v = &c->video, *a = &c->audio;
    gint64 base = G_MAXINT64, end = G_MININT64;
    size_t keep = 0;
    gint rate = 0;

    if (v->n == 0 || !v->caps) {
        g_printerr("nvr-test-camera: the clip has no H.264/H.265 video frames\n");
        return -1;
    }
    for (size_t i = 0; i < v->n; i++) {
        if (v->raw_pts[i] == G_MININT64)
            continue;
        base = MIN(base, v->raw_pts[i]);
        if (v->raw_dts[i] != G_MININT64)
            base = MIN(base, v->raw_dts[i]);
    }
    if (base == G_MAXINT64) {
        g_printerr("nvr-test-camera: no video frame inside the clip's segment\n");
        return -1;
    }
    /* Video: drop frames outside the segment, fill in durations. */
    for (size_t i = 0; i < v->n; i++) {
        if (v->raw_pts[i] == G_MININT64) {
            gst_buffer_unref(v->aus[i].buf);
            continue;
        }
        v->aus[keep] = v->aus[i];
        v->aus[keep].pts = (GstClockTime)(v->raw_pts[i] - base);
        v->aus[keep].dts = v->raw_dts[i] == G_MININT64 ? v->aus[keep].pts
                                                        : (GstClockTime)(v->raw_dts[i] - base);
        keep++;
    }
    v->n = keep;
    for (size_t i = 0; i < v->n; i++) {
        if (GST_CLOCK_TIME_IS_VALID(v->aus[i].dur) && v->aus[i].dur > 0)
            continue;
        if (i + 1 < v->n && v->aus[i + 1].dts > v->aus[i].dts)
            v->aus[i].dur = v->aus[i + 1].dts - v->aus[i].dts;
        else if (i > 0)
            v->aus[i].dur = v->aus[i - 1].dur;
        else
            v->aus[i].dur = GST_SECOND / 25;
    }
    for (size_t i = 0; i < v->n; i++) {
        end = MAX(end, (gint64)(v->aus[i].pts + v->aus[i].dur));
        end = MAX(end, (gint64)(v->aus[i].dts + v->aus[i].dur));
        c->bytes += gst_buffer_get_size(v->aus[i].buf);
    }
    c->duration = (GstClockTime)end;
    for (size_t i = 0; i < v->n; i++) {
        v->aus[i].pts = snap_to_clock(v->aus[i].pts, VIDEO_CLOCK_RATE);
        v->aus[i].dts = snap_to_clock(v->aus[i].dts, VIDEO_CLOCK_RATE);
    }

    /* Audio: keep whole frames inside [0, duration). */
    if (!a->caps || !gst_structure_get_int(gst_caps_get_structure(a->caps, 0), "rate", &rate) ||
        rate <= 0)
        rate = 0;
    keep = 0;
    for (size_t i = 0; i < a->n; i++) {
        gint64 pts = a->raw_pts[i];
        GstClockTime dur = a->aus[i].dur;
        if (!GST_CLOCK_TIME_IS_VALID(dur))
            dur = 0;
        if (pts == G_MININT64 || pts < base || pts - base + (gint64)dur > end) {
            gst_buffer_unref(a->aus[i].buf);
            continue;
        }
        a->aus[keep] = a->aus[i];
        a->aus[keep].pts = (GstClockTime)(pts - base);
        if (rate)
            a->aus[keep].pts = snap_to_clock(a->aus[keep].pts, rate);
        a->aus[keep].dts = a->aus[keep].pts;
        a->aus[keep].dur = GST_CLOCK_TIME_IS_VALID(a->aus[i].dur) ? a->aus[i].dur
                                                                  : GST_CLOCK_TIME_NONE;
        c->bytes += gst_buffer_get_size(a->aus[keep].buf);
        keep++;
    }
    a->n = keep;
    if (a->n == 0)
        track_clear(a);
    return 0;
}

/* Runs the loader pipeline to EOS. */
static int run_loader(struct loader *l, const char *path)
{
    GstElement *src = gst_element_factory_make("filesrc", NULL);
    GstElement *demux = gst_element_factory_make("qtdemux", NULL);
    GstBus *bus = NULL;
    GstMessage *msg = NULL;
    int ret = -1;

    if (!src || !demux) {
        g_printerr("nvr-test-camera: missing GStreamer element filesrc/qtdemux\n");
        if (src)
            gst_object_unref(gst_object_ref_sink(src));
        if (demux)
            gst_object_unref(gst_object_ref_sink(demux));
        return -1;
    }
    g_object_set(src, "location", path, NULL);
    gst_bin_add_many(GST_BIN(l->pipeline), src, demux, NULL);
    if (!gst_element_link(src, demux))
        goto out;
    g_signal_connect(demux, "pad-added", G_CALLBACK(on_demux_pad), l);
    bus = gst_element_get_bus(l->pipeline);
    if (gst_element_set_state(l->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        /* the error message is on the bus */
    }
    msg = gst_bus_timed_pop_filtered(bus, GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        GError *err = NULL;
        gchar *dbg = NULL;
        gst_message_parse_error(msg, &err, &dbg);
        g_printerr("nvr-test-camera: cannot load %s: %s (%s)\n", path, err->message,
                   dbg ? dbg : "");
        g_clear_error(&err);
        g_free(dbg);
        goto out;
    }
    ret = 0;
out:
    gst_element_set_state(l->pipeline, GST_STATE_NULL);
    if (msg)
        gst_message_unref(msg);
    if (bus)
        gst_object_unref(bus);
    return ret;
}

static int clip_load(const char *path, int want_audio, enum audio_codec acodec, struct clip **out)
{
    struct loader l = {0};
    int ret = -1;

    l.clip = g_new0(struct clip, 1);
    l.clip->refs = 1;
    l.want_audio = want_audio;
    l.audio_codec = acodec;
    l.pipeline = gst_pipeline_new("loader");
    if (run_loader(&l, path) < 0)
        goto out;
    if (clip_normalise(l.clip) < 0)
        goto out;
    /* The raw times are no longer needed. */
    g_clear_pointer(&l.clip->video.raw_pts, g_free);
    g_clear_pointer(&l.clip->video.raw_dts, g_free);
    g_clear_pointer(&l.clip->audio.raw_pts, g_free);
    g_clear_pointer(&l.clip->audio.raw_dts, g_free);
    *out = l.clip;
    l.clip = NULL;
    ret = 0;
out:
    gst_object_unref(l.pipeline);
    clip_unref(l.clip);
    return ret;
}

/* ---------------------------------------------------------------- feeder -- */

static void feeder_free(gpointer data)
{
    struct feeder *f = data;
    clip_unref(f->clip);
    if (f->alt)
        clip_unref(f->alt);
    g_free(f);
}

/* The clip a video feeder serves in its current loop: with --switch-clip the
 * two clips alternate, so the camera's codec parameters change mid-stream
 * (a new SPS on the next keyframe), as when a camera's resolution is changed. */
static const struct clip *feeder_clip(const struct feeder *f)
{
    return f->alt && (f->loop & 1) ? f->alt : f->clip;
}

/* need-data (the appsrc's streaming thread): push the next access unit. */
static void feeder_need_data(GstAppSrc *src, guint length, gpointer data)
{
    struct feeder *f = data;
    const struct au *au = &f->track->aus[f->idx];
    GstBuffer *b = gst_buffer_copy(au->buf); /* shallow: shares the memory */

    (void)length;
    GST_BUFFER_PTS(b) = f->base + au->pts;
    GST_BUFFER_DTS(b) = f->base + au->dts;
    GST_BUFFER_DURATION(b) = au->dur;
    GST_BUFFER_OFFSET(b) = GST_BUFFER_OFFSET_NONE;
    GST_BUFFER_OFFSET_END(b) = GST_BUFFER_OFFSET_NONE;
    if (f->pushed)
        GST_BUFFER_FLAG_UNSET(b, GST_BUFFER_FLAG_DISCONT | GST_BUFFER_FLAG_RESYNC);
    f->pushed = 1;
    if (++f->idx == f->track->n) {
        f->idx = 0;
        f->base += feeder_clip(f)->duration;
        f->loop++;
        if (f->alt) {
            /* switch clips: the next buffer carries the other clip's caps */
            f->track = &feeder_clip(f)->video;
            gst_app_src_push_buffer(src, b);
            gst_app_src_set_caps(src, f->track->caps);
            return;
        }
    }
    /* Fails only while flushing or shutting down; the buffer is consumed. */
    gst_app_src_push_buffer(src, b);
}

static int setup_appsrc(GstElement *bin, const char *name, struct clip *clip, struct clip *alt,
                        const struct track *t)
{
    GstElement *e = gst_bin_get_by_name(GST_BIN(bin), name);
    GstAppSrcCallbacks cbs = {0};
    struct feeder *f;

    if (!e)
        return -1;
    f = g_new0(struct feeder, 1);
    f->clip = clip_ref(clip);
    f->alt = alt ? clip_ref(alt) : NULL;
    f->track = t;
    g_object_set(e, "format", GST_FORMAT_TIME, "is-live", FALSE, "stream-type",
                 GST_APP_STREAM_TYPE_STREAM, "caps", t->caps, NULL);
    cbs.need_data = feeder_need_data;
    gst_app_src_set_callbacks(GST_APP_SRC(e), &cbs, f, feeder_free);
    gst_object_unref(e);
    return 0;
}

/* media-configure (a gst-rtsp-server thread): hook up a new client pipeline. */
static void on_media_configure(GstRTSPMediaFactory *factory, GstRTSPMedia *media,
                               gpointer data)
{
    struct camera *cam = data;
    GstElement *bin = gst_rtsp_media_get_element(media);

    (void)factory;
    if (setup_appsrc(bin, "vsrc", cam->clip, cam->alt, &cam->clip->video) < 0 ||
        (cam->clip->audio.n && setup_appsrc(bin, "asrc", cam->clip, NULL, &cam->clip->audio) < 0))
        g_printerr("nvr-test-camera: cannot configure a media pipeline\n");
    if (cam->o.sdp_params_only) {
        /* the clip's access units carry no SPS/PPS (MP4 keeps them in avcC/hvcC):
         * without the payloader's repetition they exist only in the SDP */
        GstElement *pay = gst_bin_get_by_name(GST_BIN(bin), "pay0");
        if (pay) {
            g_object_set(pay, "config-interval", 0, NULL);
            gst_object_unref(pay);
        }
    }
    gst_object_unref(bin);
}

/* ---------------------------------------------------------------- server -- */

static gchar *make_launch(const struct clip *c, enum audio_codec acodec)
{
    static const char *const apay[] = {
        [AUDIO_AAC] = "appsrc name=asrc ! rtpmp4gpay name=pay1 pt=97",
        [AUDIO_PCMU] = "appsrc name=asrc ! rtppcmupay name=pay1 pt=0",
        [AUDIO_PCMA] = "appsrc name=asrc ! rtppcmapay name=pay1 pt=8",
        [AUDIO_L16] = "appsrc name=asrc ! rtpL16pay name=pay1 pt=97",
        [AUDIO_LATM] = "appsrc name=asrc ! rtpmp4apay name=pay1 pt=97",
    };
    return g_strdup_printf("( appsrc name=vsrc ! %s name=pay0 pt=96 config-interval=-1 %s )",
                           c->video_h265 ? "rtph265pay" : "rtph264pay", c->audio.n ? apay[acodec] : "");
}

static void setup_auth(struct camera *cam)
{
    GstRTSPAuth *auth;
    GstRTSPToken *token;
    int digest;

    if (!cam->o.user)
        return;
    digest = cam->o.auth && strcmp(cam->o.auth, "digest") == 0;
    auth = gst_rtsp_auth_new();
    token = gst_rtsp_token_new(GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, "user", NULL);
    if (digest) {
        gst_rtsp_auth_add_digest(auth, cam->o.user, cam->o.password ? cam->o.password : "",
                                 token);
        gst_rtsp_auth_set_supported_methods(auth, GST_RTSP_AUTH_DIGEST);
    } else {
        gchar *basic = gst_rtsp_auth_make_basic(cam->o.user,
                                                cam->o.password ? cam->o.password : "");
        gst_rtsp_auth_add_basic(auth, basic, token);
        gst_rtsp_auth_set_supported_methods(auth, GST_RTSP_AUTH_BASIC);
        g_free(basic);
    }
    gst_rtsp_token_unref(token);
    gst_rtsp_server_set_auth(cam->server, auth);
    g_object_unref(auth);
}

/*
 * --tls-cert/--tls-key: RTSP over TLS (rtsps://) on the same port, with the
 * certificate of the PEM file(s) (self-signed, as cameras have them).
 * gst-rtsp-server makes every accepted connection a TLS server connection
 * when the server's GstRTSPAuth has a certificate.  Without --user, an auth
 * object exists only for the certificate: its default token gets the role
 * "anonymous", which add_tls_role lets access and construct the media.
 * The RTSP-over-HTTP tunnel (GET/POST) needs nothing: gst-rtsp-server
 * answers it on the same port, over TLS too.
 */
static int setup_tls(struct camera *cam)
{
    GError *err = NULL;
    GTlsCertificate *cert;
    GstRTSPAuth *auth;

    if (!cam->o.tls_cert)
        return 0;
    cert = g_tls_certificate_new_from_files(cam->o.tls_cert,
                                            cam->o.tls_key ? cam->o.tls_key : cam->o.tls_cert, &err);
    if (!cert) {
        g_printerr("nvr-test-camera: cannot load --tls-cert/--tls-key: %s\n",
                   err ? err->message : "unknown error");
        g_clear_error(&err);
        return -1;
    }
    auth = gst_rtsp_server_get_auth(cam->server);
    if (!auth) {
        GstRTSPToken *token = gst_rtsp_token_new(GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING,
                                                 "anonymous", NULL);
        auth = gst_rtsp_auth_new();
        gst_rtsp_auth_set_default_token(auth, token);
        gst_rtsp_token_unref(token);
        gst_rtsp_server_set_auth(cam->server, auth);
    }
    gst_rtsp_auth_set_tls_certificate(auth, cert);
    g_object_unref(cert);
    g_object_unref(auth);
    return 0;
}

static void add_tls_role(const struct camera *cam, GstRTSPMediaFactory *f)
{
    if (cam->o.tls_cert && !cam->o.user)
        gst_rtsp_media_factory_add_role(f, "anonymous", GST_RTSP_PERM_MEDIA_FACTORY_ACCESS,
                                        G_TYPE_BOOLEAN, TRUE, GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT,
                                        G_TYPE_BOOLEAN, TRUE, NULL);
}

static GstRTSPMediaFactory *make_factory(struct camera *cam)
{
    GstRTSPMediaFactory *f = gst_rtsp_media_factory_new();

    gst_rtsp_media_factory_set_launch(f, cam->launch);
    gst_rtsp_media_factory_set_shared(f, FALSE);
    gst_rtsp_media_factory_set_stop_on_disconnect(f, TRUE);
    add_tls_role(cam, f);
    if (cam->o.user)
        gst_rtsp_media_factory_add_role(f, "user", GST_RTSP_PERM_MEDIA_FACTORY_ACCESS,
                                        G_TYPE_BOOLEAN, TRUE, GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT,
                                        G_TYPE_BOOLEAN, TRUE, NULL);
    g_signal_connect(f, "media-configure", G_CALLBACK(on_media_configure), cam);
    return f;
}

static gchar *mount_path(const struct camera *cam, int i)
{
    if (cam->o.mounts == 1)
        return g_strdup(cam->o.mount);
    return g_strdup_printf("%s%d", cam->o.mount, i + 1);
}

/*
 * --server-header / --sdp-name: present vendor-like details (for the audit
 * tests).  Every outgoing message gets our Server header instead of
 * gst-rtsp-server's, and a DESCRIBE answer's SDP gets our session name.
 * Without the options no handler is connected: default behaviour unchanged.
 */
static void on_send_message(GstRTSPClient *client, GstRTSPContext *ctx, GstRTSPMessage *msg,
                            gpointer data)
{
    const struct camera *cam = data;
    guint8 *body = NULL;
    guint size = 0;

    (void)client;
    (void)ctx;
    if (cam->o.server_header) {
        gst_rtsp_message_remove_header(msg, GST_RTSP_HDR_SERVER, -1);
        gst_rtsp_message_add_header(msg, GST_RTSP_HDR_SERVER, cam->o.server_header);
    }
    if (cam->o.sdp_name && gst_rtsp_message_get_body(msg, &body, &size) == GST_RTSP_OK && size &&
        g_str_has_prefix((const gchar *)body, "v=0")) {
        gchar *text = g_strndup((const gchar *)body, size);
        gchar **lines = g_strsplit(text, "\r\n", -1);
        for (gchar **l = lines; *l; l++)
            if (g_str_has_prefix(*l, "s=")) {
                g_free(*l);
                *l = g_strdup_printf("s=%s", cam->o.sdp_name);
            }
        gchar *joined = g_strjoinv("\r\n", lines);
        gst_rtsp_message_take_body(msg, (guint8 *)joined, (guint)strlen(joined));
        g_strfreev(lines);
        g_free(text);
    }
}

static void on_client_connected(GstRTSPServer *server, GstRTSPClient *client, gpointer data)
{
    (void)server;
    g_signal_connect(client, "send-message", G_CALLBACK(on_send_message), data);
}

/* --close-after: the timer of one client (holds a reference to it). */
static gboolean close_client(gpointer data)
{
    gst_rtsp_client_close(GST_RTSP_CLIENT(data));
    return G_SOURCE_REMOVE;
}

static void on_client_close_timer(GstRTSPServer *server, GstRTSPClient *client, gpointer data)
{
    struct camera *cam = data;
    (void)server;
    g_timeout_add_full(G_PRIORITY_DEFAULT, (guint)cam->o.close_after * 1000u, close_client, g_object_ref(client),
                       g_object_unref);
}

static int start_server(struct camera *cam)
{
    GstRTSPMountPoints *mounts = NULL;
    gchar *service = g_strdup_printf("%d", cam->o.port);
    GError *err = NULL;
    GSource *source = NULL;
    int ret = -1;

    cam->server = gst_rtsp_server_new();
    gst_rtsp_server_set_address(cam->server, cam->o.bind);
    gst_rtsp_server_set_service(cam->server, service);
    gst_rtsp_server_set_backlog(cam->server, LISTEN_BACKLOG);
    setup_auth(cam);
    if (setup_tls(cam) < 0)
        goto out;
    if (cam->o.server_header || cam->o.sdp_name)
        g_signal_connect(cam->server, "client-connected", G_CALLBACK(on_client_connected), cam);
    if (cam->o.close_after > 0)
        g_signal_connect(cam->server, "client-connected", G_CALLBACK(on_client_close_timer), cam);
    mounts = gst_rtsp_server_get_mount_points(cam->server);
    for (int i = 0; i < cam->o.mounts; i++) {
        gchar *path = mount_path(cam, i);
        gst_rtsp_mount_points_add_factory(mounts, path, make_factory(cam));
        g_free(path);
    }
    /* Binds (with SO_REUSEADDR, see README.md) and listens. */
    source = gst_rtsp_server_create_source(cam->server, NULL, &err);
    if (!source) {
        g_printerr("nvr-test-camera: cannot listen on %s:%d: %s\n", cam->o.bind, cam->o.port,
                   err ? err->message : "unknown error");
        g_clear_error(&err);
        goto out;
    }
    cam->server_source = g_source_attach(source, NULL);
    ret = 0;
out:
    if (source)
        g_source_unref(source);
    if (mounts)
        g_object_unref(mounts);
    g_free(service);
    return ret;
}

/* Client and session filters for stop_server: remove while time is left. */
static GstRTSPFilterResult remove_client(GstRTSPServer *server, GstRTSPClient *client,
                                         gpointer data)
{
    const gint64 *deadline = data;

    (void)server;
    (void)client;
    return g_get_monotonic_time() < *deadline ? GST_RTSP_FILTER_REMOVE : GST_RTSP_FILTER_KEEP;
}

static GstRTSPFilterResult remove_session(GstRTSPSessionPool *pool, GstRTSPSession *session,
                                          gpointer data)
{
    const gint64 *deadline = data;

    (void)pool;
    (void)session;
    return g_get_monotonic_time() < *deadline ? GST_RTSP_FILTER_REMOVE : GST_RTSP_FILTER_KEEP;
}

/*
 * Stops listening and closes clients and sessions, which unprepares their
 * media (roughly 10 ms each, synchronously), then runs the main context until
 * every client pipeline is gone (each holds clip references through its
 * feeders).  All of this is bounded by SHUTDOWN_WAIT_US so that the program
 * exits within a second even with 64 clients; what is left then is abandoned
 * to exit() (the clip stays alive for those pipelines through their
 * references).
 */
static void stop_server(struct camera *cam)
{
    GstRTSPSessionPool *pool;
    gint64 deadline = g_get_monotonic_time() + SHUTDOWN_WAIT_US;
    gint left;

    if (!cam->server)
        return;
    if (cam->server_source) {
        GSource *s = g_main_context_find_source_by_id(NULL, cam->server_source);
        if (s)
            g_source_destroy(s);
        cam->server_source = 0;
    }
    g_list_free(gst_rtsp_server_client_filter(cam->server, remove_client, &deadline));
    pool = gst_rtsp_server_get_session_pool(cam->server);
    g_list_free(gst_rtsp_session_pool_filter(pool, remove_session, &deadline));
    g_object_unref(pool);
    while ((left = g_atomic_int_get(&cam->clip->refs) - 1) > 0 &&
           g_get_monotonic_time() < deadline) {
        if (!g_main_context_iteration(NULL, FALSE))
            g_usleep(2 * 1000);
    }
    if (left > 0)
        g_printerr("nvr-test-camera: exiting with %d client streams still running\n", left);
    g_clear_object(&cam->server);
}

static gboolean on_signal(gpointer data)
{
    struct camera *cam = data;

    g_main_loop_quit(cam->loop);
    return G_SOURCE_CONTINUE;
}

/* --------------------------------------------------------------- options -- */

static int parse_options(struct options *o, int *argc, char ***argv)
{
    GOptionEntry entries[] = {
        {"port", 0, 0, G_OPTION_ARG_INT, &o->port, "RTSP port (default 8554; 0: any)", "N"},
        {"bind", 0, 0, G_OPTION_ARG_STRING, &o->bind, "address to listen on (default 127.0.0.1)",
         "ADDR"},
        {"clip", 0, 0, G_OPTION_ARG_FILENAME, &o->clip, "MP4 clip to serve (required)", "FILE"},
        {"mount", 0, 0, G_OPTION_ARG_STRING, &o->mount, "mount path (default /cam)", "PATH"},
        {"mounts", 0, 0, G_OPTION_ARG_INT, &o->mounts,
         "number of mounts; >1 serves PATH1..PATHN (default 1)", "N"},
        {"no-audio", 0, 0, G_OPTION_ARG_NONE, &o->no_audio, "serve video only", NULL},
        {"audio-codec", 0, 0, G_OPTION_ARG_STRING, &o->audio_codec,
         "the clip's audio and how it is sent: aac (default, MPEG4-GENERIC), latm (the AAC as "
         "MP4A-LATM), pcmu (G.711 "
         "u-law, pt 0), pcma (G.711 A-law, pt 8), l16 (16-bit PCM, a codec nvr does not record)",
         "CODEC"},
        {"user", 0, 0, G_OPTION_ARG_STRING, &o->user, "require authentication as this user", "U"},
        {"password", 0, 0, G_OPTION_ARG_STRING, &o->password, "password for --user", "P"},
        {"auth", 0, 0, G_OPTION_ARG_STRING, &o->auth, "basic (default) or digest", "METHOD"},
        {"switch-clip", 0, 0, G_OPTION_ARG_FILENAME, &o->switch_clip,
         "alternate the video with this clip's (same codec) every other loop: a mid-stream "
         "parameter change; implies --no-audio", "FILE"},
        {"server-header", 0, 0, G_OPTION_ARG_STRING, &o->server_header,
         "present this RTSP Server header (audit tests)", "TEXT"},
        {"sdp-name", 0, 0, G_OPTION_ARG_STRING, &o->sdp_name,
         "present this SDP session name (s= line; audit tests)", "TEXT"},
        {"sdp-params-only", 0, 0, G_OPTION_ARG_NONE, &o->sdp_params_only,
         "parameter sets only in the SDP (sprop-*), never in the stream", NULL},
        {"close-after", 0, 0, G_OPTION_ARG_INT, &o->close_after,
         "close every client connection this many seconds after it was made (cameras that end "
         "sessions periodically)", "S"},
        {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &o->tls_cert,
         "serve rtsps:// (RTSP over TLS) with this PEM certificate (and key, without --tls-key)", "FILE"},
        {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &o->tls_key, "the PEM key for --tls-cert", "FILE"},
        G_OPTION_ENTRY_NULL,
    };
    GOptionContext *ctx = g_option_context_new("- RTSP test camera serving a looped MP4 clip");
    GError *err = NULL;
    int ret = -1;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, argc, argv, &err)) {
        g_printerr("nvr-test-camera: %s\n", err->message);
        goto out;
    }
    if (*argc > 1) {
        g_printerr("nvr-test-camera: unexpected argument '%s'\n", (*argv)[1]);
        goto out;
    }
    if (!o->clip) {
        g_printerr("nvr-test-camera: --clip is required (see --help)\n");
        goto out;
    }
    if (o->port < 0 || o->port > 65535) {
        g_printerr("nvr-test-camera: bad --port %d\n", o->port);
        goto out;
    }
    if (o->mounts < 1 || o->mounts > MAX_MOUNTS) {
        g_printerr("nvr-test-camera: --mounts must be 1..%d\n", MAX_MOUNTS);
        goto out;
    }
    if (o->mount[0] != '/') {
        g_printerr("nvr-test-camera: --mount must start with '/'\n");
        goto out;
    }
    if (!o->user && (o->password || o->auth)) {
        g_printerr("nvr-test-camera: --password/--auth need --user\n");
        goto out;
    }
    if (!o->audio_codec || strcmp(o->audio_codec, "aac") == 0)
        o->acodec = AUDIO_AAC;
    else if (strcmp(o->audio_codec, "pcmu") == 0)
        o->acodec = AUDIO_PCMU;
    else if (strcmp(o->audio_codec, "pcma") == 0)
        o->acodec = AUDIO_PCMA;
    else if (strcmp(o->audio_codec, "l16") == 0)
        o->acodec = AUDIO_L16;
    else if (strcmp(o->audio_codec, "latm") == 0)
        o->acodec = AUDIO_LATM;
    else {
        g_printerr("nvr-test-camera: --audio-codec must be aac, latm, pcmu, pcma or l16\n");
        goto out;
    }
    if (o->tls_key && !o->tls_cert) {
        g_printerr("nvr-test-camera: --tls-key needs --tls-cert\n");
        goto out;
    }
    if (o->auth && strcmp(o->auth, "basic") != 0 && strcmp(o->auth, "digest") != 0) {
        g_printerr("nvr-test-camera: --auth must be basic or digest\n");
        goto out;
    }
    ret = 0;
out:
    g_clear_error(&err);
    g_option_context_free(ctx);
    return ret;
}

static void free_options(struct options *o)
{
    g_free(o->bind);
    g_free(o->clip);
    g_free(o->mount);
    g_free(o->user);
    g_free(o->password);
    g_free(o->auth);
    g_free(o->audio_codec);
    g_free(o->switch_clip);
    g_free(o->server_header);
    g_free(o->sdp_name);
    g_free(o->tls_cert);
    g_free(o->tls_key);
}

/* ------------------------------------------------------------------ main -- */

static void print_ready(const struct camera *cam)
{
    gchar *path = mount_path(cam, 0);
    int port = gst_rtsp_server_get_bound_port(cam->server);
    int v6 = strchr(cam->o.bind, ':') != NULL;

    printf("ready %s://%s%s%s:%d%s\n", cam->o.tls_cert ? "rtsps" : "rtsp", v6 ? "[" : "", cam->o.bind, v6 ? "]" : "", port, path);
    fflush(stdout);
    g_free(path);
}

int main(int argc, char **argv)
{
    struct camera cam = {0};
    guint sig_term = 0, sig_int = 0;
    int ret = 1;

    cam.o.port = DEFAULT_PORT;
    cam.o.mounts = 1;
    cam.o.bind = g_strdup(DEFAULT_BIND);
    cam.o.mount = g_strdup(DEFAULT_MOUNT);
    signal(SIGPIPE, SIG_IGN);
    gst_init(NULL, NULL);
    if (parse_options(&cam.o, &argc, &argv) < 0) {
        ret = 2;
        goto out;
    }
    if (cam.o.switch_clip)
        cam.o.no_audio = TRUE;
    if (clip_load(cam.o.clip, !cam.o.no_audio, cam.o.acodec, &cam.clip) < 0)
        goto out;
    if (cam.o.switch_clip) {
        if (clip_load(cam.o.switch_clip, FALSE, AUDIO_AAC, &cam.alt) < 0)
            goto out;
        if (cam.alt->video_h265 != cam.clip->video_h265) {
            g_printerr("nvr-test-camera: --switch-clip must have the same codec as --clip\n");
            goto out;
        }
    }
    if (!cam.o.no_audio && cam.o.acodec != AUDIO_AAC && cam.o.acodec != AUDIO_LATM && !cam.clip->audio.n) {
        g_printerr("nvr-test-camera: %s has no %s audio (make_clip.sh --audio-codec)\n", cam.o.clip,
                   cam.o.audio_codec);
        goto out;
    }
    g_printerr("nvr-test-camera: %s: %zu %s frames, %zu %s audio frames, %.3f s, %.0f kbit/s\n",
               cam.o.clip, cam.clip->video.n, cam.clip->video_h265 ? "H.265" : "H.264",
               cam.clip->audio.n, cam.o.audio_codec ? cam.o.audio_codec : "aac",
               (double)cam.clip->duration / GST_SECOND,
               (double)cam.clip->bytes * 8 / ((double)cam.clip->duration / GST_SECOND) / 1000);
    cam.launch = make_launch(cam.clip, cam.o.acodec);
    cam.loop = g_main_loop_new(NULL, FALSE);
    sig_term = g_unix_signal_add(SIGTERM, on_signal, &cam);
    sig_int = g_unix_signal_add(SIGINT, on_signal, &cam);
    if (start_server(&cam) < 0)
        goto out;
    print_ready(&cam);
    g_main_loop_run(cam.loop);
    ret = 0;
out:
    stop_server(&cam);
    if (sig_term)
        g_source_remove(sig_term);
    if (sig_int)
        g_source_remove(sig_int);
    if (cam.loop)
        g_main_loop_unref(cam.loop);
    g_free(cam.launch);
    clip_unref(cam.clip);
    if (cam.alt)
        clip_unref(cam.alt);
    free_options(&cam.o);
    return ret;
}
