/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export_mp4.c - a classic MP4 built from stored fMP4 fragments (see
 * export_mp4.h).
 *
 * Planning (export_mp4_open):
 *   1. per segment, parse the init section: each track's id, handler,
 *      timescale, sample description (stsd, copied verbatim), size, and the
 *      trex defaults;
 *   2. per selected fragment, parse the moof: per traf the tfhd defaults,
 *      tfdt and trun entries give every sample's size, duration, flags,
 *      composition offset and file offset.  A trun's samples are contiguous
 *      in the file, so each trun becomes one output chunk;
 *   3. place samples on the output timeline (below), build the text cues;
 *   4. write ftyp + moov (+ mdat header) into memory.  Chunk offsets depend
 *      on the moov's size, which does not depend on them: build twice.
 * Reading (export_mp4_read) then streams header, text samples and chunks.
 *
 * Timeline: output time 0 is the first video frame.  Within a run (segments
 * each starting where the previous ended) a sample's output time is its
 * stored decode time minus the run's first, plus the run's output start;
 * a run after a gap starts at its wall-clock distance from the first frame
 * (never before the previous run's end), and the frame before the gap is
 * held until then.  Audio keeps its stored offset to the video of its run.
 * A frame at output time t of segment S shows wall time
 *   S.start_us + (t - t_S) * (S.end_us - S.start_us) / S.media_us
 * (docs/design/time.md, rule T1), which is what the text cues say.
 */
#include "export/export_mp4.h"

#include "base/err.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MP4_READ_BUFSZ (1 << 20)
#define MP4_INIT_MAX (1 << 20)
#define MP4_MOOF_MAX (16 << 20)
#define SECS_1904_TO_1970 2082844800ULL
#define TEXT_TIMESCALE 1000

enum { T_VIDEO = 0, T_AUDIO = 1, T_TEXT = 2, T_MAX = 3 };

/* ---- a growable byte buffer with big-endian writers ---- */

struct buf {
    uint8_t *p;
    size_t len, cap;
    int oom;
};

static void b_reserve(struct buf *b, size_t more)
{
    if (b->oom || b->len + more <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return;
    }
    b->p = p;
    b->cap = cap;
}
static void b_put(struct buf *b, const void *d, size_t n)
{
    b_reserve(b, n);
    if (b->oom)
        return;
    memcpy(b->p + b->len, d, n);
    b->len += n;
}
static void b_u8(struct buf *b, unsigned v)
{
    uint8_t x = (uint8_t)v;
    b_put(b, &x, 1);
}
static void b_u16(struct buf *b, unsigned v)
{
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    b_put(b, x, 2);
}
static void b_u32(struct buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    b_put(b, x, 4);
}
static void b_u64(struct buf *b, uint64_t v)
{
    b_u32(b, (uint32_t)(v >> 32));
    b_u32(b, (uint32_t)v);
}
static void b_zero(struct buf *b, size_t n)
{
    b_reserve(b, n);
    if (b->oom)
        return;
    memset(b->p + b->len, 0, n);
    b->len += n;
}
static size_t box_begin(struct buf *b, const char *type)
{
    size_t at = b->len;
    b_u32(b, 0);
    b_put(b, type, 4);
    return at;
}
static size_t fullbox_begin(struct buf *b, const char *type, unsigned version, uint32_t flags)
{
    size_t at = box_begin(b, type);
    b_u32(b, (uint32_t)version << 24 | (flags & 0xffffff));
    return at;
}
static void box_end(struct buf *b, size_t at)
{
    if (b->oom)
        return;
    uint32_t n = (uint32_t)(b->len - at);
    b->p[at] = (uint8_t)(n >> 24);
    b->p[at + 1] = (uint8_t)(n >> 16);
    b->p[at + 2] = (uint8_t)(n >> 8);
    b->p[at + 3] = (uint8_t)n;
}

/* ---- reading boxes ---- */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

/* Iterates the boxes in [p, end): *type, *body, *bodylen; returns the
 * next position, or NULL at the end or on a malformed box. */
static const uint8_t *next_box(const uint8_t *p, const uint8_t *end, char type[5], const uint8_t **body,
                               size_t *bodylen)
{
    if (end - p < 8)
        return NULL;
    uint64_t size = rd32(p);
    size_t hdr = 8;
    memcpy(type, p + 4, 4);
    type[4] = '\0';
    if (size == 1) {
        if (end - p < 16)
            return NULL;
        size = rd64(p + 8);
        hdr = 16;
    } else if (size == 0) {
        size = (uint64_t)(end - p);
    }
    if (size < hdr || size > (uint64_t)(end - p))
        return NULL;
    *body = p + hdr;
    *bodylen = (size_t)size - hdr;
    return p + size;
}

/* The first child of type in [p, p+len), or NULL. */
static const uint8_t *find_box(const uint8_t *p, size_t len, const char *type, size_t *outlen)
{
    const uint8_t *end = p + len, *body;
    size_t blen;
    char t[5];
    while ((p = next_box(p, end, t, &body, &blen))) {
        if (memcmp(t, type, 4) == 0) {
            *outlen = blen;
            return body;
        }
    }
    return NULL;
}

/* ---- the layout of a segment: its tracks ---- */

struct src_track {
    uint32_t id;
    uint32_t timescale;
    char handler[5];
    uint8_t *stsd; /* the whole stsd box */
    size_t stsd_len;
    uint32_t width, height; /* 16.16 from tkhd */
    uint32_t trex_dur, trex_size, trex_flags;
};

struct layout {
    struct src_track t[2]; /* T_VIDEO, T_AUDIO (id 0: absent) */
};

static void layout_free(struct layout *l)
{
    for (int i = 0; i < 2; i++)
        free(l->t[i].stsd);
    memset(l, 0, sizeof *l);
}

static int layout_same(const struct layout *a, const struct layout *b)
{
    for (int i = 0; i < 2; i++) {
        const struct src_track *x = &a->t[i], *y = &b->t[i];
        if (!x->id != !y->id)
            return 0;
        if (x->id &&
            (x->timescale != y->timescale || x->stsd_len != y->stsd_len || memcmp(x->stsd, y->stsd, x->stsd_len) != 0))
            return 0;
    }
    return 1;
}

static nvr_err parse_trak(const uint8_t *p, size_t len, struct src_track *t)
{
    size_t n, mlen, minlen, slen;
    const uint8_t *tkhd = find_box(p, len, "tkhd", &n);
    const uint8_t *mdia = find_box(p, len, "mdia", &mlen);
    if (!tkhd || n < 84 || !mdia)
        return NVR_ECORRUPT;
    t->id = rd32(tkhd + (tkhd[0] == 1 ? 20 : 12));
    t->width = rd32(tkhd + n - 8);
    t->height = rd32(tkhd + n - 4);
    const uint8_t *mdhd = find_box(mdia, mlen, "mdhd", &n);
    if (!mdhd || n < 24)
        return NVR_ECORRUPT;
    t->timescale = rd32(mdhd + (mdhd[0] == 1 ? 20 : 12));
    const uint8_t *hdlr = find_box(mdia, mlen, "hdlr", &n);
    if (!hdlr || n < 12)
        return NVR_ECORRUPT;
    memcpy(t->handler, hdlr + 8, 4);
    t->handler[4] = '\0';
    const uint8_t *minf = find_box(mdia, mlen, "minf", &minlen);
    const uint8_t *stbl = minf ? find_box(minf, minlen, "stbl", &slen) : NULL;
    const uint8_t *stsd = stbl ? find_box(stbl, slen, "stsd", &n) : NULL;
    if (!stsd || t->timescale == 0)
        return NVR_ECORRUPT;
    t->stsd_len = n + 8;
    if (!(t->stsd = malloc(t->stsd_len)))
        return NVR_ENOMEM;
    memcpy(t->stsd, stsd - 8, t->stsd_len); /* with its header (size < 4 GiB: 8-byte header) */
    return NVR_OK;
}

/* Parses an init section (ftyp + moov) into l. */
static nvr_err parse_init(const uint8_t *p, size_t len, struct layout *l)
{
    size_t mlen, n;
    const uint8_t *moov = find_box(p, len, "moov", &mlen), *body;
    char t[5];
    struct src_track tmp;
    int rc = NVR_OK;
    memset(l, 0, sizeof *l);
    if (!moov)
        return NVR_ECORRUPT;
    for (const uint8_t *q = moov, *end = moov + mlen; rc == NVR_OK && (q = next_box(q, end, t, &body, &n));) {
        if (strcmp(t, "trak") != 0)
            continue;
        memset(&tmp, 0, sizeof tmp);
        if ((rc = parse_trak(body, n, &tmp)))
            break;
        int k = strcmp(tmp.handler, "vide") == 0 ? T_VIDEO : strcmp(tmp.handler, "soun") == 0 ? T_AUDIO : -1;
        if (k < 0 || l->t[k].id) {
            free(tmp.stsd);
            continue;
        }
        l->t[k] = tmp;
    }
    const uint8_t *mvex = find_box(moov, mlen, "mvex", &n);
    for (const uint8_t *q = mvex, *end = mvex ? mvex + n : NULL; q && (q = next_box(q, end, t, &body, &mlen));) {
        if (strcmp(t, "trex") != 0 || mlen < 24)
            continue;
        for (int k = 0; k < 2; k++)
            if (l->t[k].id == rd32(body + 4)) {
                l->t[k].trex_dur = rd32(body + 12);
                l->t[k].trex_size = rd32(body + 16);
                l->t[k].trex_flags = rd32(body + 20);
            }
    }
    if (rc == NVR_OK && !l->t[T_VIDEO].id)
        rc = NVR_ECORRUPT;
    if (rc)
        layout_free(l);
    return rc;
}

static nvr_err pread_all(int fd, void *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return nvr_err_from_errno(errno);
        if (n == 0)
            return NVR_ECORRUPT; /* shorter than the index says */
        done += (size_t)n;
    }
    return NVR_OK;
}

static nvr_err read_layout(struct storage *st, const struct index_segment *seg, struct layout *l)
{
    int fd, rc;
    uint8_t *p = NULL;
    if (seg->init_bytes == 0 || seg->init_bytes > MP4_INIT_MAX)
        return NVR_ECORRUPT;
    if ((rc = storage_segment_open_read(st, seg, &fd)))
        return rc;
    if (!(p = malloc(seg->init_bytes)))
        rc = NVR_ENOMEM;
    else if (!(rc = pread_all(fd, p, seg->init_bytes, 0)))
        rc = parse_init(p, seg->init_bytes, l);
    free(p);
    close(fd);
    if (rc == NVR_ECORRUPT)
        nvr_log(NVR_WARN, seg->camera, "export: unreadable init section path=%s", seg->path);
    return rc;
}

/* The longest gap one file can hold: the frame before a gap is held for the
 * gap's length, and a sample's duration is a 32-bit count of timescale
 * ticks (13.2 h at 90 kHz).  A longer gap starts a new part. */
static int64_t max_gap_us(const struct layout *l)
{
    uint32_t ts = 1;
    for (int k = 0; k < 2; k++)
        if (l->t[k].id && l->t[k].timescale > ts)
            ts = l->t[k].timescale;
    return (int64_t)((double)UINT32_MAX / ts * 1e6 * 0.9);
}

nvr_err export_mp4_split(struct storage *st, const struct index_segment *segs, size_t n, size_t *part_end,
                         size_t *nparts)
{
    struct layout prev = {0}, cur;
    int rc = NVR_OK;
    *nparts = 0;
    for (size_t i = 0; i < n; i++) {
        if ((rc = read_layout(st, &segs[i], &cur)))
            break;
        if (i > 0 && (!layout_same(&prev, &cur) || segs[i].start_us - segs[i - 1].end_us > max_gap_us(&cur)))
            part_end[(*nparts)++] = i;
        layout_free(&prev);
        prev = cur;
    }
    layout_free(&prev);
    if (rc == NVR_OK && n > 0)
        part_end[(*nparts)++] = n;
    return rc;
}

/* ---- the plan ---- */

struct out_track {
    int present;
    uint32_t timescale;
    uint8_t *stsd; /* borrowed from the first segment's layout (T_VIDEO/T_AUDIO) */
    size_t stsd_len;
    uint32_t width, height;
    /* samples */
    size_t n, cap;
    uint32_t *size;
    int64_t *dts; /* output decode time in timescale units */
    int32_t *cto;
    uint8_t *sync;
    uint32_t last_dur; /* the stored duration of the last sample */
    int64_t end;       /* output end (dts of last + its duration) */
    uint32_t nchunks;
};

struct chunk {
    uint32_t seg; /* index into segs; UINT32_MAX: the text samples in memory */
    uint8_t track;
    uint32_t nsamples;
    uint64_t src_off; /* in the segment file */
    uint64_t len;
    uint64_t out_off; /* in the output file */
};

/* A stretch of output time shown with one wall-clock mapping. */
struct span {
    int64_t out_us, out_end_us; /* output time */
    int64_t wall_us;            /* wall clock at out_us */
    double wall_per_us;         /* wall us per output us (the T1 slope) */
};

struct export_mp4 {
    struct storage *st;
    const struct index_segment *segs;
    size_t nsegs;
    struct layout lay;
    struct out_track t[T_MAX];
    struct chunk *chunks;
    size_t nchunks, chunkcap;
    struct span *spans;
    size_t nspans, spancap;
    struct buf text; /* text samples (u16 length + UTF-8) */
    struct buf head; /* ftyp + moov + mdat header */
    uint64_t size;
    int64_t first_wall_us, end_wall_us;
    /* reading */
    uint64_t pos;
    size_t cur_chunk;
    uint64_t cur_in_chunk;
    int fd;
    uint32_t fd_seg;
    uint8_t *rbuf;
    uint64_t rbuf_off; /* file offset of rbuf[0] in segment fd_seg */
    size_t rbuf_len;
};

static nvr_err grow(void **p, size_t *cap, size_t need, size_t elsize)
{
    if (need <= *cap)
        return NVR_OK;
    size_t c = *cap ? *cap * 2 : 256;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elsize);
    if (!q)
        return NVR_ENOMEM;
    *p = q;
    *cap = c;
    return NVR_OK;
}

static nvr_err track_add(struct out_track *t, uint32_t size, int64_t dts, int32_t cto, int sync)
{
    if (t->n == t->cap) {
        size_t c = t->cap ? t->cap * 2 : 1024;
        uint32_t *s = realloc(t->size, c * sizeof *s);
        if (s)
            t->size = s;
        int64_t *d = realloc(t->dts, c * sizeof *d);
        if (d)
            t->dts = d;
        int32_t *o = realloc(t->cto, c * sizeof *o);
        if (o)
            t->cto = o;
        uint8_t *y = realloc(t->sync, c);
        if (y)
            t->sync = y;
        if (!s || !d || !o || !y)
            return NVR_ENOMEM;
        t->cap = c;
    }
    t->size[t->n] = size;
    t->dts[t->n] = dts;
    t->cto[t->n] = cto;
    t->sync[t->n] = (uint8_t)sync;
    t->n++;
    return NVR_OK;
}

static nvr_err add_chunk(struct export_mp4 *m, uint32_t seg, int track, uint32_t nsamples, uint64_t off, uint64_t len)
{
    if (nsamples == 0)
        return NVR_OK;
    /* samples continuing the previous chunk of the same track in the same file merge into it */
    if (m->nchunks) {
        struct chunk *c = &m->chunks[m->nchunks - 1];
        if (c->seg == seg && c->track == track && c->src_off + c->len == off) {
            c->nsamples += nsamples;
            c->len += len;
            return NVR_OK;
        }
    }
    if (grow((void **)&m->chunks, &m->chunkcap, m->nchunks + 1, sizeof *m->chunks))
        return NVR_ENOMEM;
    m->chunks[m->nchunks++] = (struct chunk){seg, (uint8_t)track, nsamples, off, len, 0};
    m->t[track].nchunks++;
    return NVR_OK;
}

/* Per-run state of the timeline mapping (see the file comment). */
struct run_state {
    int started; /* the run's first video sample has been placed */
    int64_t v_src0, v_out0;
    int a_started;
    int64_t a_src0, a_out0;
};

/* One trun's samples, parsed, before placement. */
struct parsed_sample {
    uint32_t size, dur, flags;
    int32_t cto;
    int64_t dts;
    uint64_t off;
};

struct traf_ctx {
    struct export_mp4 *m;
    uint32_t seg;
    const struct index_segment *s;
    int64_t frag_wall_us;    /* wall clock at the fragment's start */
    double wall_per_tick[2]; /* wall us per timescale tick (T1 slope) per track */
    int64_t frag_dts[2];     /* the fragment's tfdt per track */
    int64_t to_us;
    struct run_state *run;
    int first_in_seg;
};

static int64_t rescale(int64_t v, int64_t from_ts, int64_t to_ts)
{
    /* v * to_ts / from_ts rounded, without overflow for our ranges */
    __int128 x = (__int128)v * to_ts;
    return (int64_t)((x + (x >= 0 ? from_ts / 2 : -from_ts / 2)) / from_ts);
}

/* Places the parsed samples of one trun of track k on the output timeline
 * and records them and their chunks. */
static nvr_err place_samples(struct traf_ctx *c, int k, const struct parsed_sample *ps, uint32_t n)
{
    struct export_mp4 *m = c->m;
    struct out_track *t = &m->t[k];
    struct run_state *r = c->run;
    uint64_t cstart = 0, cnext = 0, clen = 0;
    uint32_t cn = 0;
    for (uint32_t i = 0; i < n; i++) {
        /* the wall clock of this sample; nothing at or after `to` */
        int64_t wall = c->frag_wall_us + (int64_t)((double)(ps[i].dts - c->frag_dts[k]) * c->wall_per_tick[k]);
        if (wall >= c->to_us)
            break;
        int64_t out;
        if (k == T_VIDEO) {
            if (!r->started) {
                r->started = 1;
                r->v_src0 = ps[i].dts;
                if (t->n == 0) {
                    r->v_out0 = 0;
                    m->first_wall_us = wall;
                } else {
                    int64_t at = rescale(wall - m->first_wall_us, 1000000, t->timescale);
                    r->v_out0 = at > t->end ? at : t->end;
                }
            }
            out = r->v_out0 + (ps[i].dts - r->v_src0);
            if (t->n && out <= t->dts[t->n - 1]) {
                /* a stored timestamp went backwards: continue after the previous frame */
                r->v_src0 = ps[i].dts;
                r->v_out0 = t->dts[t->n - 1] + (t->last_dur ? t->last_dur : 1);
                out = r->v_out0;
            }
            if (c->first_in_seg) {
                /* a new wall-clock mapping starts at this segment's first frame */
                c->first_in_seg = 0;
                if (grow((void **)&m->spans, &m->spancap, m->nspans + 1, sizeof *m->spans))
                    return NVR_ENOMEM;
                m->spans[m->nspans++] = (struct span){.out_us = rescale(out, t->timescale, 1000000),
                                                      .wall_us = wall,
                                                      .wall_per_us = c->wall_per_tick[k] * t->timescale / 1e6};
            }
        } else {
            if (!r->started)
                continue; /* audio before the run's first video frame */
            if (!r->a_started) {
                r->a_started = 1;
                r->a_src0 = ps[i].dts;
                /* keep the stored audio-video offset of this run */
                int64_t v_out_us = rescale(r->v_out0, m->t[T_VIDEO].timescale, 1000000);
                int64_t delta_us =
                    rescale(ps[i].dts, t->timescale, 1000000) - rescale(r->v_src0, m->t[T_VIDEO].timescale, 1000000);
                r->a_out0 = rescale(v_out_us + delta_us, 1000000, t->timescale);
                if (t->n && r->a_out0 < t->end)
                    r->a_out0 = t->end;
            }
            out = r->a_out0 + (ps[i].dts - r->a_src0);
            if (t->n && out < t->end)
                continue; /* overlapping audio: drop */
        }
        int sync = !(ps[i].flags & 0x10000);
        if (t->n == 0 && k == T_VIDEO && !sync)
            return NVR_ECORRUPT; /* a fragment must start with a keyframe */
        /* a chunk is contiguous bytes of one file: start a new one if this sample is not */
        if (cn && ps[i].off != cnext) {
            if (add_chunk(m, c->seg, k, cn, cstart, clen))
                return NVR_ENOMEM;
            cn = 0;
            clen = 0;
        }
        if (track_add(t, ps[i].size, out, ps[i].cto, sync))
            return NVR_ENOMEM;
        if (cn++ == 0)
            cstart = ps[i].off;
        clen += ps[i].size;
        cnext = ps[i].off + ps[i].size;
        t->last_dur = ps[i].dur;
        t->end = out + ps[i].dur;
        if (k == T_VIDEO) {
            int64_t wend = wall + (int64_t)((double)ps[i].dur * c->wall_per_tick[k]);
            if (wend > m->end_wall_us)
                m->end_wall_us = wend;
            m->spans[m->nspans - 1].out_end_us = rescale(t->end, t->timescale, 1000000);
        }
    }
    return add_chunk(m, c->seg, k, cn, cstart, clen);
}

/* Parses one moof (at file offset moof_off) and places its samples. */
static nvr_err parse_moof(struct traf_ctx *c, const uint8_t *moof, size_t len, uint64_t moof_off)
{
    const struct layout *l = &c->m->lay;
    const uint8_t *body, *end = moof + len;
    size_t n;
    char t[5];
    struct parsed_sample *ps = NULL;
    size_t pscap = 0;
    int rc = NVR_OK;
    /* video before audio: the run's first video frame anchors its audio */
    for (int want = T_VIDEO; want <= T_AUDIO && rc == NVR_OK; want++) {
        for (const uint8_t *q = moof; rc == NVR_OK && (q = next_box(q, end, t, &body, &n));) {
            if (strcmp(t, "traf") != 0)
                continue;
            size_t hl, dl;
            const uint8_t *tfhd = find_box(body, n, "tfhd", &hl), *tfdt = find_box(body, n, "tfdt", &dl);
            if (!tfhd || hl < 8 || !tfdt || dl < 8) {
                rc = NVR_ECORRUPT;
                break;
            }
            uint32_t tf = rd32(tfhd) & 0xffffff, id = rd32(tfhd + 4);
            int k = l->t[T_VIDEO].id == id ? T_VIDEO : l->t[T_AUDIO].id == id ? T_AUDIO : -1;
            if (k != want)
                continue;
            const struct src_track *st = &l->t[k];
            uint32_t dd = st->trex_dur, ds = st->trex_size, df = st->trex_flags;
            const uint8_t *f = tfhd + 8, *fend = tfhd + hl;
            uint64_t base = moof_off;
            if (tf & 0x1) {
                if (fend - f < 8) {
                    rc = NVR_ECORRUPT;
                    break;
                }
                base = rd64(f);
                f += 8;
            }
            if (tf & 0x2)
                f += 4;
            if (tf & 0x8) {
                if (fend - f < 4) {
                    rc = NVR_ECORRUPT;
                    break;
                }
                dd = rd32(f);
                f += 4;
            }
            if (tf & 0x10) {
                if (fend - f < 4) {
                    rc = NVR_ECORRUPT;
                    break;
                }
                ds = rd32(f);
                f += 4;
            }
            if (tf & 0x20) {
                if (fend - f < 4) {
                    rc = NVR_ECORRUPT;
                    break;
                }
                df = rd32(f);
                f += 4;
            }
            int64_t dts = tfdt[0] == 1 ? (dl >= 12 ? (int64_t)rd64(tfdt + 4) : 0) : (int64_t)rd32(tfdt + 4);
            c->frag_dts[k] = dts;
            uint64_t data = base;
            const uint8_t *rb;
            size_t rl;
            for (const uint8_t *r = body; rc == NVR_OK && (r = next_box(r, body + n, t, &rb, &rl));) {
                if (strcmp(t, "trun") != 0)
                    continue;
                if (rl < 8) {
                    rc = NVR_ECORRUPT;
                    break;
                }
                uint32_t rf = rd32(rb) & 0xffffff, cnt = rd32(rb + 4), first_flags = 0;
                int v1 = rb[0] == 1;
                const uint8_t *p = rb + 8, *pend = rb + rl;
                if (rf & 0x1) {
                    if (pend - p < 4) {
                        rc = NVR_ECORRUPT;
                        break;
                    }
                    data = base + (uint64_t)(int64_t)(int32_t)rd32(p);
                    p += 4;
                }
                if (rf & 0x4) {
                    if (pend - p < 4) {
                        rc = NVR_ECORRUPT;
                        break;
                    }
                    first_flags = rd32(p);
                    p += 4;
                }
                size_t per = 4u * (!!(rf & 0x100) + !!(rf & 0x200) + !!(rf & 0x400) + !!(rf & 0x800));
                /* per == 0: every field is the default (e.g. constant-size audio frames), the trun has no table */
                if ((per && cnt > (size_t)(pend - p) / per) || (per == 0 && cnt > 1000000)) {
                    rc = NVR_ECORRUPT;
                    break;
                }
                if (grow((void **)&ps, &pscap, cnt, sizeof *ps)) {
                    rc = NVR_ENOMEM;
                    break;
                }
                for (uint32_t i = 0; i < cnt; i++) {
                    struct parsed_sample *s = &ps[i];
                    s->dur = dd;
                    s->size = ds;
                    s->flags = (i == 0 && (rf & 0x4)) ? first_flags : df;
                    s->cto = 0;
                    if (rf & 0x100) {
                        s->dur = rd32(p);
                        p += 4;
                    }
                    if (rf & 0x200) {
                        s->size = rd32(p);
                        p += 4;
                    }
                    if (rf & 0x400) {
                        s->flags = rd32(p);
                        p += 4;
                    }
                    if (rf & 0x800) {
                        uint32_t o = rd32(p);
                        s->cto = v1 ? (int32_t)o : (int32_t)(o > INT32_MAX ? INT32_MAX : o);
                        p += 4;
                    }
                    s->dts = dts;
                    s->off = data;
                    dts += s->dur;
                    data += s->size;
                }
                rc = place_samples(c, k, ps, cnt);
            }
        }
    }
    free(ps);
    return rc;
}

/* Reads and places the selected fragments of segment i. */
static nvr_err plan_segment(struct export_mp4 *m, uint32_t i, int64_t from_us, int64_t to_us, struct run_state *run)
{
    const struct index_segment *s = &m->segs[i];
    int fd = -1, rc;
    uint8_t *buf = NULL;
    size_t cap = 0;
    if (s->media_us <= 0 || s->frags.n == 0)
        return NVR_OK;
    if ((rc = storage_segment_open_read(m->st, s, &fd)))
        return rc;
    double scale = (double)(s->end_us - s->start_us) / (double)s->media_us;
    struct traf_ctx c = {.m = m, .seg = i, .s = s, .to_us = to_us, .run = run, .first_in_seg = 1};
    for (int k = 0; k < 2; k++)
        if (m->lay.t[k].id)
            c.wall_per_tick[k] = scale * 1e6 / m->lay.t[k].timescale;
    uint64_t off = s->init_bytes, media = 0;
    for (size_t f = 0; f < s->frags.n && rc == NVR_OK; f++) {
        const struct nvr_fragment *fr = &s->frags.v[f];
        int64_t w0 = s->start_us + (int64_t)((double)media * scale);
        int64_t w1 = s->start_us + (int64_t)((double)(media + fr->duration_us) * scale);
        uint64_t foff = off;
        off += fr->bytes;
        media += fr->duration_us;
        if (w0 >= to_us)
            break;
        if (w1 <= from_us || fr->bytes < 8)
            continue;
        size_t want = fr->bytes < 65536 ? fr->bytes : 65536;
        if (grow((void **)&buf, &cap, want, 1) || (rc = pread_all(fd, buf, want, foff)))
            break;
        uint32_t msize = rd32(buf);
        if (memcmp(buf + 4, "moof", 4) != 0 || msize < 8 || msize > fr->bytes || msize > MP4_MOOF_MAX) {
            rc = NVR_ECORRUPT;
            break;
        }
        if (msize > want && (grow((void **)&buf, &cap, msize, 1) || (rc = pread_all(fd, buf, msize, foff))))
            break;
        c.frag_wall_us = w0;
        rc = parse_moof(&c, buf + 8, msize - 8, foff);
    }
    if (rc == NVR_ECORRUPT)
        nvr_log(NVR_WARN, s->camera, "export: fragment does not match the index path=%s", s->path);
    free(buf);
    close(fd);
    return rc;
}

void export_format_local(int64_t us, char *buf, size_t n, int with_frac)
{
    time_t secs = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
    struct tm tm;
    char a[64];
    localtime_r(&secs, &tm);
    strftime(a, sizeof a, "%Y-%m-%d %H:%M:%S", &tm);
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    if (with_frac)
        snprintf(buf, n, "%s.%03d %s (UTC%c%02ld:%02ld)", a, (int)((us - (int64_t)secs * 1000000) / 1000), tm.tm_zone,
                 sign, off / 3600, off / 60 % 60);
    else
        snprintf(buf, n, "%s %s (UTC%c%02ld:%02ld)", a, tm.tm_zone, sign, off / 3600, off / 60 % 60);
}

static void format_utc(int64_t us, char *buf, size_t n)
{
    time_t secs = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* Adds a text sample [start_ms, ...) saying text (its duration is the gap
 * to the next sample, or the track end). */
static nvr_err add_cue(struct export_mp4 *m, int64_t start_ms, const char *text)
{
    struct out_track *t = &m->t[T_TEXT];
    size_t len = strlen(text);
    if (t->n && start_ms <= t->dts[t->n - 1])
        return NVR_OK; /* shorter than a millisecond: the previous cue stays */
    b_u16(&m->text, (unsigned)len);
    b_put(&m->text, text, len);
    if (m->text.oom || track_add(t, (uint32_t)(2 + len), start_ms, 0, 1))
        return NVR_ENOMEM;
    return NVR_OK;
}

/* The text track: a cue per wall-clock second of every span, and one per gap. */
static nvr_err build_cues(struct export_mp4 *m)
{
    struct out_track *v = &m->t[T_VIDEO], *t = &m->t[T_TEXT];
    int64_t total_us = rescale(v->end, v->timescale, 1000000);
    char loc[96], utc[48], text[256];
    int rc = NVR_OK;
    t->present = 1;
    t->timescale = TEXT_TIMESCALE;
    for (size_t j = 0; j < m->nspans && rc == NVR_OK; j++) {
        const struct span *s = &m->spans[j];
        int64_t end = j + 1 < m->nspans ? m->spans[j + 1].out_us : total_us;
        int64_t seg_end = s->out_end_us < end ? s->out_end_us : end;
        for (int64_t at = s->out_us; at < seg_end && rc == NVR_OK;) {
            int64_t wall = s->wall_us + (int64_t)((double)(at - s->out_us) * s->wall_per_us);
            int64_t sec = wall >= 0 ? wall / 1000000 : (wall - 999999) / 1000000;
            int64_t next_wall = (sec + 1) * 1000000;
            int64_t next = s->out_us + (int64_t)((double)(next_wall - s->wall_us) / s->wall_per_us) + 1;
            export_format_local(sec * 1000000, loc, sizeof loc, 0);
            format_utc(sec * 1000000, utc, sizeof utc);
            if (strstr(loc, "(UTC+00:00)") && strstr(loc, " UTC "))
                snprintf(text, sizeof text, "%s", utc); /* local time is UTC: say it once */
            else
                snprintf(text, sizeof text, "%s | %s", loc, utc);
            rc = add_cue(m, at / 1000, text);
            at = next > at ? next : at + 1000;
        }
        if (rc == NVR_OK && seg_end < end) {
            /* a gap: the last frame is held until the next run */
            int64_t resume = m->spans[j + 1].wall_us;
            export_format_local(resume, loc, sizeof loc, 0);
            snprintf(text, sizeof text, "NO RECORDING (camera offline) until %s", loc);
            rc = add_cue(m, seg_end / 1000, text);
        }
    }
    t->end = total_us / 1000;
    if (t->n && t->end <= t->dts[t->n - 1])
        t->end = t->dts[t->n - 1] + 1;
    return rc;
}

/* ---- writing the moov ---- */

static const uint32_t unity_matrix[9] = {0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000};

static void put_matrix(struct buf *b, int32_t tx, int32_t ty)
{
    for (int i = 0; i < 9; i++)
        b_u32(b, i == 6 ? (uint32_t)tx : i == 7 ? (uint32_t)ty : unity_matrix[i]);
}

/* Writes a box with version 1 fields when a value does not fit 32 bits. */
static int needs_v1(uint64_t a, uint64_t b)
{
    return a > UINT32_MAX || b > UINT32_MAX;
}

static void put_times(struct buf *b, int v1, uint64_t t)
{
    if (v1) {
        b_u64(b, t);
        b_u64(b, t);
    } else {
        b_u32(b, (uint32_t)t);
        b_u32(b, (uint32_t)t);
    }
}

static void put_dur(struct buf *b, int v1, uint64_t d)
{
    if (v1)
        b_u64(b, d);
    else
        b_u32(b, (uint32_t)d);
}

static uint32_t sample_delta(const struct out_track *t, size_t i)
{
    int64_t d = (i + 1 < t->n ? t->dts[i + 1] : t->end) - t->dts[i];
    return d < 0 ? 0 : d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static void put_stbl(struct export_mp4 *m, struct buf *b, int k, int co64)
{
    const struct out_track *t = &m->t[k];
    size_t stbl = box_begin(b, "stbl"), at;
    if (k == T_TEXT) {
        /* tx3g: white text centred at the bottom on a translucent box */
        uint32_t w = m->t[T_VIDEO].width >> 16, h = t->height >> 16;
        size_t stsd = fullbox_begin(b, "stsd", 0, 0);
        b_u32(b, 1);
        size_t e = box_begin(b, "tx3g");
        b_zero(b, 6);
        b_u16(b, 1);          /* data_reference_index */
        b_u32(b, 0);          /* displayFlags */
        b_u8(b, 1);           /* horizontal: centre */
        b_u8(b, 0xff);        /* vertical: bottom */
        b_u32(b, 0x00000080); /* background rgba */
        b_u16(b, 0);
        b_u16(b, 0);
        b_u16(b, h);
        b_u16(b, w); /* default text box */
        b_u16(b, 0);
        b_u16(b, 0);
        b_u16(b, 1); /* style: chars 0..0, font 1 */
        b_u8(b, 0);
        b_u8(b, h * 3 / 5 > 255 ? 255 : h * 3 / 5); /* font size */
        b_u32(b, 0xffffffff);
        size_t ftab = box_begin(b, "ftab");
        b_u16(b, 1);
        b_u16(b, 1);
        b_u8(b, 10);
        b_put(b, "Sans-Serif", 10);
        box_end(b, ftab);
        box_end(b, e);
        box_end(b, stsd);
    } else {
        b_put(b, t->stsd, t->stsd_len);
    }
    /* stts */
    at = fullbox_begin(b, "stts", 0, 0);
    size_t cnt_at = b->len;
    uint32_t entries = 0;
    b_u32(b, 0);
    for (size_t i = 0; i < t->n;) {
        uint32_t d = sample_delta(t, i), run = 0;
        while (i < t->n && sample_delta(t, i) == d) {
            run++;
            i++;
        }
        b_u32(b, run);
        b_u32(b, d);
        entries++;
    }
    if (!b->oom) {
        b->p[cnt_at] = (uint8_t)(entries >> 24);
        b->p[cnt_at + 1] = (uint8_t)(entries >> 16);
        b->p[cnt_at + 2] = (uint8_t)(entries >> 8);
        b->p[cnt_at + 3] = (uint8_t)entries;
    }
    box_end(b, at);
    /* ctts */
    int any_cto = 0, neg = 0;
    for (size_t i = 0; i < t->n; i++) {
        any_cto |= t->cto[i] != 0;
        neg |= t->cto[i] < 0;
    }
    if (any_cto) {
        at = fullbox_begin(b, "ctts", neg ? 1 : 0, 0);
        cnt_at = b->len;
        entries = 0;
        b_u32(b, 0);
        for (size_t i = 0; i < t->n;) {
            int32_t o = t->cto[i];
            uint32_t run = 0;
            while (i < t->n && t->cto[i] == o) {
                run++;
                i++;
            }
            b_u32(b, run);
            b_u32(b, (uint32_t)o);
            entries++;
        }
        if (!b->oom) {
            b->p[cnt_at] = (uint8_t)(entries >> 24);
            b->p[cnt_at + 1] = (uint8_t)(entries >> 16);
            b->p[cnt_at + 2] = (uint8_t)(entries >> 8);
            b->p[cnt_at + 3] = (uint8_t)entries;
        }
        box_end(b, at);
    }
    /* stss (only when not every sample is a sync sample) */
    size_t nsync = 0;
    for (size_t i = 0; i < t->n; i++)
        nsync += t->sync[i];
    if (nsync != t->n) {
        at = fullbox_begin(b, "stss", 0, 0);
        b_u32(b, (uint32_t)nsync);
        for (size_t i = 0; i < t->n; i++)
            if (t->sync[i])
                b_u32(b, (uint32_t)(i + 1));
        box_end(b, at);
    }
    /* stsc: runs of chunks with the same sample count */
    at = fullbox_begin(b, "stsc", 0, 0);
    cnt_at = b->len;
    entries = 0;
    b_u32(b, 0);
    uint32_t ci = 0, prev = 0;
    for (size_t i = 0; i < m->nchunks; i++) {
        if (m->chunks[i].track != k)
            continue;
        ci++;
        if (m->chunks[i].nsamples != prev) {
            b_u32(b, ci);
            b_u32(b, m->chunks[i].nsamples);
            b_u32(b, 1);
            entries++;
            prev = m->chunks[i].nsamples;
        }
    }
    if (!b->oom) {
        b->p[cnt_at] = (uint8_t)(entries >> 24);
        b->p[cnt_at + 1] = (uint8_t)(entries >> 16);
        b->p[cnt_at + 2] = (uint8_t)(entries >> 8);
        b->p[cnt_at + 3] = (uint8_t)entries;
    }
    box_end(b, at);
    /* stsz */
    at = fullbox_begin(b, "stsz", 0, 0);
    b_u32(b, 0);
    b_u32(b, (uint32_t)t->n);
    for (size_t i = 0; i < t->n; i++)
        b_u32(b, t->size[i]);
    box_end(b, at);
    /* stco / co64 */
    at = fullbox_begin(b, co64 ? "co64" : "stco", 0, 0);
    b_u32(b, t->nchunks);
    for (size_t i = 0; i < m->nchunks; i++) {
        if (m->chunks[i].track != k)
            continue;
        if (co64)
            b_u64(b, m->chunks[i].out_off);
        else
            b_u32(b, (uint32_t)m->chunks[i].out_off);
    }
    box_end(b, at);
    box_end(b, stbl);
}

/* Presentation of track k in movie time (ms): empty lead-in and duration. */
static void track_edit(const struct export_mp4 *m, int k, int64_t *lead_ms, int64_t *media_time, int64_t *dur_ms)
{
    const struct out_track *t = &m->t[k];
    int64_t first = t->n ? t->dts[0] : 0, media_dur = t->end - first;
    *lead_ms = 0;
    *media_time = 0;
    if (k == T_VIDEO && t->n && t->cto[0] > 0) {
        /* B-frames: present from the first frame's pts to the end of the
         * latest picture (the decode span shifted by the offsets) */
        int64_t pres_end = t->end;
        for (size_t i = 0; i < t->n; i++) {
            int64_t d = (i + 1 < t->n ? t->dts[i + 1] : t->end) - t->dts[i];
            if (t->dts[i] + t->cto[i] + d > pres_end)
                pres_end = t->dts[i] + t->cto[i] + d;
        }
        *media_time = t->cto[0]; /* the media timeline starts at the first dts */
        media_dur = pres_end - (first + t->cto[0]);
    } else if (first > 0) {
        *lead_ms = rescale(first, t->timescale, 1000);
    } else if (first < 0) {
        *media_time = -first;
        media_dur += first;
    }
    *dur_ms = rescale(media_dur > 0 ? media_dur : 0, t->timescale, 1000);
}

static void put_trak(struct export_mp4 *m, struct buf *b, int k, uint32_t id, uint64_t ctime, int co64)
{
    const struct out_track *t = &m->t[k];
    int64_t lead, media_time, dur;
    track_edit(m, k, &lead, &media_time, &dur);
    uint64_t tk_dur = (uint64_t)(lead + dur), md_dur = (uint64_t)(t->end - (t->n ? t->dts[0] : 0));
    size_t trak = box_begin(b, "trak");
    int v1 = needs_v1(ctime, tk_dur);
    size_t at = fullbox_begin(b, "tkhd", v1, 3);
    put_times(b, v1, ctime);
    b_u32(b, id);
    b_u32(b, 0);
    put_dur(b, v1, tk_dur);
    b_zero(b, 8);
    b_u16(b, 0);                                      /* layer */
    b_u16(b, k == T_AUDIO ? 1 : k == T_TEXT ? 2 : 0); /* alternate group */
    b_u16(b, k == T_AUDIO ? 0x0100 : 0);              /* volume */
    b_u16(b, 0);
    if (k == T_TEXT) {
        uint32_t vh = m->t[T_VIDEO].height >> 16, th = t->height >> 16;
        put_matrix(b, 0, (int32_t)((vh > th ? vh - th : 0) << 16));
        b_u32(b, m->t[T_VIDEO].width);
        b_u32(b, t->height);
    } else {
        put_matrix(b, 0, 0);
        b_u32(b, k == T_VIDEO ? t->width : 0);
        b_u32(b, k == T_VIDEO ? t->height : 0);
    }
    box_end(b, at);
    if (lead || media_time) {
        size_t edts = box_begin(b, "edts");
        int ev1 = needs_v1(tk_dur, (uint64_t)media_time);
        at = fullbox_begin(b, "elst", ev1, 0);
        b_u32(b, lead ? 2 : 1);
        if (lead) {
            put_dur(b, ev1, (uint64_t)lead);
            if (ev1)
                b_u64(b, UINT64_MAX);
            else
                b_u32(b, UINT32_MAX); /* empty edit */
            b_u32(b, 0x00010000);
        }
        put_dur(b, ev1, (uint64_t)dur);
        put_dur(b, ev1, (uint64_t)media_time);
        b_u32(b, 0x00010000);
        box_end(b, at);
        box_end(b, edts);
    }
    size_t mdia = box_begin(b, "mdia");
    v1 = needs_v1(ctime, md_dur);
    at = fullbox_begin(b, "mdhd", v1, 0);
    put_times(b, v1, ctime);
    b_u32(b, t->timescale);
    put_dur(b, v1, md_dur);
    b_u16(b, 0x55c4); /* "und" */
    b_u16(b, 0);
    box_end(b, at);
    static const char *const hname[T_MAX] = {"VideoHandler", "SoundHandler", "Wall clock (local | UTC)"};
    static const char *const htype[T_MAX] = {"vide", "soun", "sbtl"};
    at = fullbox_begin(b, "hdlr", 0, 0);
    b_u32(b, 0);
    b_put(b, htype[k], 4);
    b_zero(b, 12);
    b_put(b, hname[k], strlen(hname[k]) + 1);
    box_end(b, at);
    size_t minf = box_begin(b, "minf");
    if (k == T_VIDEO) {
        at = fullbox_begin(b, "vmhd", 0, 1);
        b_zero(b, 8);
    } else if (k == T_AUDIO) {
        at = fullbox_begin(b, "smhd", 0, 0);
        b_zero(b, 4);
    } else {
        at = fullbox_begin(b, "nmhd", 0, 0);
    }
    box_end(b, at);
    size_t dinf = box_begin(b, "dinf");
    at = fullbox_begin(b, "dref", 0, 0);
    b_u32(b, 1);
    size_t url = fullbox_begin(b, "url ", 0, 1);
    box_end(b, url);
    box_end(b, at);
    box_end(b, dinf);
    put_stbl(m, b, k, co64);
    box_end(b, minf);
    box_end(b, mdia);
    box_end(b, trak);
}

/* ftyp + moov + mdat header into m->head, with the chunk offsets it implies. */
static nvr_err build_head(struct export_mp4 *m, int co64, uint64_t payload)
{
    struct buf *b = &m->head;
    b->len = 0;
    size_t at = box_begin(b, "ftyp");
    b_put(b, "isom", 4);
    b_u32(b, 0x200);
    b_put(b, "isomiso2avc1mp41", 16);
    box_end(b, at);
    uint64_t ctime = (uint64_t)(m->first_wall_us / 1000000) + SECS_1904_TO_1970;
    int64_t movie_ms = 0;
    for (int k = 0; k < T_MAX; k++) {
        int64_t lead, mt, dur;
        if (!m->t[k].present)
            continue;
        track_edit(m, k, &lead, &mt, &dur);
        if (lead + dur > movie_ms)
            movie_ms = lead + dur;
    }
    size_t moov = box_begin(b, "moov");
    int v1 = needs_v1(ctime, (uint64_t)movie_ms);
    at = fullbox_begin(b, "mvhd", v1, 0);
    put_times(b, v1, ctime);
    b_u32(b, 1000);
    put_dur(b, v1, (uint64_t)movie_ms);
    b_u32(b, 0x00010000);
    b_u16(b, 0x0100);
    b_zero(b, 10);
    put_matrix(b, 0, 0);
    b_zero(b, 24);
    uint32_t next_id = 1;
    for (int k = 0; k < T_MAX; k++)
        next_id += m->t[k].present;
    b_u32(b, next_id);
    box_end(b, at);
    uint32_t id = 1;
    for (int k = 0; k < T_MAX; k++)
        if (m->t[k].present)
            put_trak(m, b, k, id++, ctime, co64);
    box_end(b, moov);
    int large = payload + 8 > UINT32_MAX;
    if (large) {
        b_u32(b, 1);
        b_put(b, "mdat", 4);
        b_u64(b, payload + 16);
    } else {
        b_u32(b, (uint32_t)(payload + 8));
        b_put(b, "mdat", 4);
    }
    return b->oom ? NVR_ENOMEM : NVR_OK;
}

static void place_chunks(struct export_mp4 *m)
{
    uint64_t off = m->head.len;
    for (size_t i = 0; i < m->nchunks; i++) {
        m->chunks[i].out_off = off;
        off += m->chunks[i].len;
    }
    m->size = off;
}

nvr_err export_mp4_open(struct storage *st, const struct index_segment *segs, size_t n, int64_t from_us, int64_t to_us,
                        struct export_mp4 **out)
{
    struct export_mp4 *m = calloc(1, sizeof *m);
    int rc = NVR_ENOMEM;
    *out = NULL;
    if (!m)
        return NVR_ENOMEM;
    m->st = st;
    m->segs = segs;
    m->nsegs = n;
    m->fd = -1;
    m->first_wall_us = INT64_MIN;
    m->end_wall_us = INT64_MIN;
    if (n == 0) {
        rc = NVR_ENOTFOUND;
        goto out;
    }
    if ((rc = read_layout(st, &segs[0], &m->lay)))
        goto out;
    for (int k = 0; k < 2; k++) {
        const struct src_track *s = &m->lay.t[k];
        if (!s->id)
            continue;
        m->t[k].present = 1;
        m->t[k].timescale = s->timescale;
        m->t[k].stsd = s->stsd;
        m->t[k].stsd_len = s->stsd_len;
        m->t[k].width = s->width;
        m->t[k].height = s->height;
    }
    /* the text chunk comes first in the mdat: it is small, and there from the start */
    if (grow((void **)&m->chunks, &m->chunkcap, 1, sizeof *m->chunks))
        goto out;
    m->chunks[m->nchunks++] = (struct chunk){UINT32_MAX, T_TEXT, 0, 0, 0, 0};
    m->t[T_TEXT].nchunks = 1;
    struct run_state run = {0};
    for (uint32_t i = 0; i < n; i++) {
        if (i > 0 && segs[i].start_us != segs[i - 1].end_us)
            memset(&run, 0, sizeof run);
        if ((rc = plan_segment(m, i, from_us, to_us, &run)))
            goto out;
    }
    if (m->t[T_VIDEO].n == 0) {
        rc = NVR_ENOTFOUND;
        goto out;
    }
    if (m->t[T_AUDIO].present && m->t[T_AUDIO].n == 0)
        m->t[T_AUDIO].present = 0;
    uint32_t vh = m->t[T_VIDEO].height >> 16;
    m->t[T_TEXT].height = (vh / 12 < 20 ? 20 : vh / 12) << 16;
    if ((rc = build_cues(m)))
        goto out;
    m->chunks[0].nsamples = (uint32_t)m->t[T_TEXT].n;
    m->chunks[0].len = m->text.len;
    uint64_t payload = 0;
    for (size_t i = 0; i < m->nchunks; i++)
        payload += m->chunks[i].len;
    /* the moov's size does not depend on the offsets: build, place, build again */
    if ((rc = build_head(m, 0, payload)))
        goto out;
    int co64 = m->head.len + payload > UINT32_MAX;
    if (co64 && (rc = build_head(m, 1, payload)))
        goto out;
    place_chunks(m);
    if ((rc = build_head(m, co64, payload)))
        goto out;
    if (!(m->rbuf = malloc(MP4_READ_BUFSZ))) {
        rc = NVR_ENOMEM;
        goto out;
    }
    *out = m;
    m = NULL;
    rc = NVR_OK;
out:
    export_mp4_free(&m);
    return rc;
}

uint64_t export_mp4_size(const struct export_mp4 *m)
{
    return m->size;
}

void export_mp4_span(const struct export_mp4 *m, int64_t *first_us, int64_t *end_us, int64_t *duration_us)
{
    const struct out_track *v = &m->t[T_VIDEO];
    *first_us = m->first_wall_us;
    *end_us = m->end_wall_us;
    *duration_us = rescale(v->end, v->timescale, 1000000);
}

int64_t export_mp4_read(struct export_mp4 *m, void *dst, size_t len)
{
    uint8_t *out = dst;
    size_t done = 0;
    while (done < len && m->pos < m->size) {
        if (m->pos < m->head.len) {
            size_t n = m->head.len - (size_t)m->pos;
            if (n > len - done)
                n = len - done;
            memcpy(out + done, m->head.p + m->pos, n);
            done += n;
            m->pos += n;
            continue;
        }
        struct chunk *c = &m->chunks[m->cur_chunk];
        if (m->cur_in_chunk == c->len) {
            m->cur_chunk++;
            m->cur_in_chunk = 0;
            continue;
        }
        size_t n = (size_t)(c->len - m->cur_in_chunk < len - done ? c->len - m->cur_in_chunk : len - done);
        if (c->seg == UINT32_MAX) {
            memcpy(out + done, m->text.p + m->cur_in_chunk, n);
        } else {
            if (m->fd < 0 || m->fd_seg != c->seg) {
                if (m->fd >= 0)
                    close(m->fd);
                m->fd = -1;
                m->rbuf_len = 0;
                int rc = storage_segment_open_read(m->st, &m->segs[c->seg], &m->fd);
                if (rc) {
                    nvr_log(NVR_ERROR, m->segs[c->seg].camera, "export: segment unreadable path=%s error=\"%s\"",
                            m->segs[c->seg].path, nvr_strerror(rc));
                    return rc;
                }
                m->fd_seg = c->seg;
            }
            uint64_t at = c->src_off + m->cur_in_chunk;
            if (at < m->rbuf_off || at >= m->rbuf_off + m->rbuf_len) {
                ssize_t got;
                do
                    got = pread(m->fd, m->rbuf, MP4_READ_BUFSZ, (off_t)at);
                while (got < 0 && errno == EINTR);
                if (got <= 0) {
                    nvr_log(NVR_ERROR, m->segs[c->seg].camera, "export: segment shorter than its index path=%s",
                            m->segs[c->seg].path);
                    return got < 0 ? nvr_err_from_errno(errno) : NVR_ECORRUPT;
                }
                m->rbuf_off = at;
                m->rbuf_len = (size_t)got;
            }
            size_t avail = (size_t)(m->rbuf_off + m->rbuf_len - at);
            if (n > avail)
                n = avail;
            memcpy(out + done, m->rbuf + (at - m->rbuf_off), n);
        }
        done += n;
        m->pos += n;
        m->cur_in_chunk += n;
    }
    return (int64_t)done;
}

static void track_free(struct out_track *t)
{
    free(t->size);
    free(t->dts);
    free(t->cto);
    free(t->sync);
}

void export_mp4_free(struct export_mp4 **mp)
{
    struct export_mp4 *m = *mp;
    if (!m)
        return;
    if (m->fd >= 0)
        close(m->fd);
    for (int k = 0; k < T_MAX; k++)
        track_free(&m->t[k]);
    layout_free(&m->lay);
    free(m->chunks);
    free(m->spans);
    free(m->text.p);
    free(m->head.p);
    free(m->rbuf);
    free(m);
    *mp = NULL;
}
