/* SPDX-License-Identifier: Apache-2.0 */
/*
 * segment_writer.c - fMP4 segment files (see segment_writer.h).
 *
 * The init section (ftyp + moov) comes from libavformat's mp4 muxer
 * (movflags empty_moov), which is freed at once; the fragments are written
 * by us: a packet given is kept by reference (no copy) with its NAL units
 * located (from the layout the depacketizer handed on in pkt->opaque,
 * base/nal_layout.h, or else by scanning for start codes), and at the flush the moof (fmp4_frag.c), the mdat header and
 * the samples go out in writev(2) calls straight from the packets' buffers.
 * Annex-B video becomes length-prefixed as the muxer would do it (every
 * NAL unit kept, each start code replaced by a 4-byte big-endian length; a
 * 4-byte start code's leading zero is not part of the previous unit), so
 * the samples are the muxer's bytes; only the moof's layout is ours.
 *
 * After a fragment's fdatasync its whole pages are dropped from the page
 * cache (posix_fadvise DONTNEED; the partial last page stays, the next
 * fragment continues it): footage is written once and rarely read soon,
 * and the kernel then reuses the same few pages for the next writes
 * instead of filling memory with new ones (docs/design/storage.md).
 *
 * Invariants: `written` counts the bytes handed to write(2) and hashed,
 * `flushed` the bytes of whole fragments; between two flushes every held
 * packet is a reference owned here (held[0..nheld)), its NAL units
 * spans[first..first+nspans) pointing into that packet's buffer.
 */
#include "storage/segment_writer.h"

#include "base/err.h"
#include "base/log.h"
#include "base/nal_layout.h"
#include "storage/fmp4_frag.h"
#include "storage/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define WRITER_IO_BUFSZ (64 * 1024)
#define IOV_BATCH 512

struct span {
    const uint8_t *p;
    uint32_t n;
    uint8_t len[4];   /* the big-endian length written before it */
    uint8_t prefixed; /* 1: len goes before p */
};

struct held {
    AVPacket *pkt; /* a reference owned here */
    int track;
    int key;
    int64_t dts, pts, dur; /* the track's timescale */
    uint32_t first, nspans, size;
};

struct segment_writer {
    const char *camera;
    int fd;
    int sync;
    AVFormatContext *oc; /* only while writing the init section */
    AVIOContext *pb;
    struct sha256 *sha;
    AVRational in_tb[2], tb[2]; /* of the packets given; of the file's tracks */
    int ntracks;
    int annexb;  /* video packets are Annex-B (else length-prefixed) */
    int nal_len; /* bytes of a length prefix when not Annex-B */
    int64_t last_dts[2];
    uint32_t seq;     /* the next fragment's sequence number */
    uint64_t written; /* bytes handed to write(2) */
    uint64_t flushed; /* bytes at the end of the last fragment */
    uint32_t init_bytes;
    int pending;  /* packets queued since the last flush */
    int io_error; /* errno of a failed write, 0 if none */

    struct held *held;
    size_t nheld, cap_held;
    AVPacket **pool; /* reusable packet structs: npool allocated */
    size_t npool, cap_pool;
    struct span *spans;
    size_t nspans, cap_spans;
    struct fmp4_sample *samples;
    size_t cap_samples;
    uint8_t *hdr;
    size_t cap_hdr;
    struct iovec iov[IOV_BATCH];
};

static int writer_io_write(void *opaque, uint8_t *buf, int len)
{
    struct segment_writer *w = opaque;
    int done = 0;
    while (done < len) {
        ssize_t n = write(w->fd, buf + done, (size_t)(len - done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            w->io_error = errno;
            return AVERROR(errno);
        }
        done += (int)n;
    }
    sha256_update(w->sha, buf, (size_t)len);
    w->written += (uint64_t)len;
    return len;
}

static nvr_err add_stream(struct segment_writer *w, const AVCodecParameters *par, AVRational tb)
{
    AVStream *st = avformat_new_stream(w->oc, NULL);
    if (!st)
        return NVR_ENOMEM;
    if (avcodec_parameters_copy(st->codecpar, par) < 0)
        return NVR_ENOMEM;
    st->codecpar->codec_tag = 0;
    if (par->codec_id == AV_CODEC_ID_HEVC)
        st->codecpar->codec_tag = MKTAG('h', 'v', 'c', '1'); /* what Safari and hls.js want */
    st->time_base = tb;
    w->in_tb[w->ntracks++] = tb;
    return NVR_OK;
}

/* Maps a failed libav call to our error, preferring the errno of a failed write. */
static nvr_err writer_error(struct segment_writer *w, int averr, const char *what)
{
    int rc = w->io_error ? nvr_err_from_errno(w->io_error) : nvr_err_from_av(averr);
    char buf[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(averr, buf, sizeof buf);
    nvr_log(NVR_ERROR, w->camera, "segment write failed op=%s error=\"%s\"", what,
            w->io_error ? strerror(w->io_error) : buf);
    return rc;
}

/* Annex-B or length-prefixed video, from the codec configuration: an
 * avcC/hvcC record (first byte 1) says length-prefixed and the prefix size. */
static void video_format(struct segment_writer *w, const AVCodecParameters *par)
{
    const uint8_t *x = par->extradata;
    int n = par->extradata_size;
    w->annexb = 1;
    w->nal_len = 4;
    if (n > 0 && x[0] == 1) {
        if (par->codec_id == AV_CODEC_ID_H264 && n >= 5) {
            w->annexb = 0;
            w->nal_len = (x[4] & 3) + 1;
        } else if (par->codec_id == AV_CODEC_ID_HEVC && n >= 22) {
            w->annexb = 0;
            w->nal_len = (x[21] & 3) + 1;
        }
    }
}

nvr_err segment_writer_open(struct segment_writer **out, const struct segment_writer_params *p)
{
    int rc = NVR_ENOMEM, ret;
    AVDictionary *opts = NULL;
    unsigned char *iobuf = NULL;
    struct segment_writer *w = calloc(1, sizeof *w);
    *out = NULL;
    if (!w) {
        close(p->fd);
        return NVR_ENOMEM;
    }
    w->camera = p->camera;
    w->fd = p->fd;
    w->sync = p->sync;
    if (!(w->sha = sha256_new()))
        goto out;
    if (avformat_alloc_output_context2(&w->oc, NULL, "mp4", NULL) < 0 || !w->oc)
        goto out;
    if (!(iobuf = av_malloc(WRITER_IO_BUFSZ)))
        goto out;
    w->pb = avio_alloc_context(iobuf, WRITER_IO_BUFSZ, 1, w, NULL, writer_io_write, NULL);
    if (!w->pb) {
        av_free(iobuf);
        goto out;
    }
    w->pb->seekable = 0;
    w->oc->pb = w->pb;
    w->oc->flags |= AVFMT_FLAG_CUSTOM_IO;
    if ((rc = add_stream(w, p->video, p->video_tb)))
        goto out;
    if (p->audio && (rc = add_stream(w, p->audio, p->audio_tb)))
        goto out;
    /* frag_discont without an edit list: tfdt is the packet's own dts, so the files
     * of one run continue each other's timestamps (the recorder makes them so);
     * with B-frames the packets' pts - dts become trun composition offsets */
    av_dict_set(&opts, "movflags", "frag_custom+empty_moov+default_base_moof+frag_discont+skip_trailer", 0);
    av_dict_set(&opts, "use_editlist", "0", 0);
    av_dict_set(&opts, "avoid_negative_ts", "disabled", 0); /* no shift to zero */
    /* FFmpeg 5.1 (Debian 12) calls FLAC in MP4 experimental; the sample
     * entry it writes (fLaC + dfLa, the FLAC-in-ISOBMFF mapping) is the one
     * browsers' Media Source Extensions and ffprobe read */
    if (p->audio && p->audio->codec_id == AV_CODEC_ID_FLAC)
        w->oc->strict_std_compliance = FF_COMPLIANCE_EXPERIMENTAL;
    if ((ret = avformat_write_header(w->oc, &opts)) < 0) {
        rc = writer_error(w, ret, "header");
        goto out;
    }
    avio_flush(w->pb);
    if (w->io_error) {
        rc = writer_error(w, AVERROR(w->io_error), "header");
        goto out;
    }
    w->init_bytes = (uint32_t)w->written;
    w->flushed = w->written;
    for (int i = 0; i < w->ntracks; i++) {
        w->tb[i] = w->oc->streams[i]->time_base;
        w->last_dts[i] = INT64_MIN;
    }
    video_format(w, p->video);
    w->seq = 1;
    /* the muxer's part is done: the fragments are ours */
    avformat_free_context(w->oc);
    w->oc = NULL;
    av_freep(&w->pb->buffer);
    avio_context_free(&w->pb);
    *out = w;
    w = NULL;
    rc = NVR_OK;
out:
    av_dict_free(&opts);
    if (w)
        segment_writer_close(&w, NULL);
    return rc;
}

uint32_t segment_writer_init_bytes(const struct segment_writer *w)
{
    return w->init_bytes;
}

uint64_t segment_writer_bytes(const struct segment_writer *w)
{
    return w->flushed;
}

/* ---- packets in ---- */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

static int add_span(struct segment_writer *w, const uint8_t *p, size_t n, int prefixed)
{
    if (n > UINT32_MAX || grow((void **)&w->spans, &w->cap_spans, w->nspans + 1, sizeof *w->spans))
        return -1;
    struct span *s = &w->spans[w->nspans++];
    s->p = p;
    s->n = (uint32_t)n;
    s->prefixed = (uint8_t)prefixed;
    s->len[0] = (uint8_t)(n >> 24);
    s->len[1] = (uint8_t)(n >> 16);
    s->len[2] = (uint8_t)(n >> 8);
    s->len[3] = (uint8_t)n;
    return 0;
}

/* The next 00 00 01 at or after p, or end. */
static const uint8_t *start_code(const uint8_t *p, const uint8_t *end)
{
    while (end - p >= 3) {
        const uint8_t *z = memchr(p, 0, (size_t)(end - p - 2));
        if (!z)
            break;
        if (z[1] == 0 && z[2] == 1)
            return z;
        p = z + 1;
    }
    return end;
}

/* The spans of an Annex-B packet from the layout its maker handed on
 * (base/nal_layout.h): 1 if it holds (L1, L2; each start code is checked,
 * not the bytes between), 0 if there is none or it does not describe these
 * bytes (the caller scans), -1 out of memory. */
static int layout_spans(struct segment_writer *w, const uint8_t *d, size_t size, const void *opaque)
{
    static const uint8_t sc[4] = {0, 0, 0, 1};
    const struct nal_layout *l = opaque;
    size_t at = 0, first = w->nspans;
    int rc = 0;
    if (!l || l->magic != NAL_LAYOUT_MAGIC || l->data != d || l->size != size)
        return 0;
    for (uint32_t i = 0; i < l->n; i++) {
        if (size - at < 4 || memcmp(d + at, sc, 4) != 0 || l->len[i] == 0 || l->len[i] > size - at - 4)
            goto undo;
        if (add_span(w, d + at + 4, l->len[i], 1)) {
            rc = -1;
            goto undo;
        }
        at += 4 + (size_t)l->len[i];
    }
    if (at == size)
        return 1;
undo: /* the spans this packet added go again */
    w->nspans = first;
    return rc;
}

/* The NAL units of one video packet as length-prefixed spans; bytes before
 * the first start code are not a unit (as in the muxer). */
static int video_spans(struct segment_writer *w, const uint8_t *d, size_t size, const void *layout)
{
    const uint8_t *end = d + size;
    if (w->annexb) {
        int used = layout_spans(w, d, size, layout);
        if (used)
            return used > 0 ? 0 : -1;
    }
    if (!w->annexb) {
        if (w->nal_len == 4)
            return add_span(w, d, size, 0); /* already what the file holds */
        for (const uint8_t *p = d; end - p >= w->nal_len;) {
            size_t n = 0;
            for (int i = 0; i < w->nal_len; i++)
                n = n << 8 | *p++;
            if (n > (size_t)(end - p))
                return -1;
            if (n && add_span(w, p, n, 1))
                return -1;
            p += n;
        }
        return 0;
    }
    for (const uint8_t *sc = start_code(d, end); sc < end;) {
        const uint8_t *nal = sc + 3;
        const uint8_t *next = start_code(nal, end);
        const uint8_t *nal_end = next < end && next > nal && next[-1] == 0 ? next - 1 : next;
        if (nal_end > nal && add_span(w, nal, (size_t)(nal_end - nal), 1))
            return -1;
        sc = next;
    }
    return 0;
}

/* A packet struct for held[nheld] (kept across fragments: no allocation
 * once a GOP's worth exist). */
static AVPacket *pool_get(struct segment_writer *w)
{
    if (grow((void **)&w->held, &w->cap_held, w->nheld + 1, sizeof *w->held))
        return NULL;
    if (w->nheld == w->npool) {
        if (grow((void **)&w->pool, &w->cap_pool, w->npool + 1, sizeof *w->pool) ||
            !(w->pool[w->npool] = av_packet_alloc()))
            return NULL;
        w->npool++;
    }
    return w->pool[w->nheld];
}

nvr_err segment_writer_write(struct segment_writer *w, AVPacket *pkt, int track)
{
    if (track < 0 || track >= w->ntracks)
        return NVR_EINVAL;
    int64_t dts = av_rescale_q(pkt->dts, w->in_tb[track], w->tb[track]);
    if (dts <= w->last_dts[track] || dts < 0 || pkt->size <= 0) {
        nvr_log(NVR_ERROR, w->camera, "segment write failed op=packet error=\"dts %s or empty packet\" track=%d",
                dts < 0 ? "negative" : "not increasing", track);
        return NVR_EINVAL;
    }
    AVPacket *ref = pool_get(w);
    if (!ref || av_packet_ref(ref, pkt) < 0)
        return NVR_ENOMEM;
    struct held *h = &w->held[w->nheld];
    *h = (struct held){.pkt = ref,
                       .track = track,
                       .key = (pkt->flags & AV_PKT_FLAG_KEY) != 0,
                       .dts = dts,
                       .pts = av_rescale_q(pkt->pts, w->in_tb[track], w->tb[track]),
                       .dur = av_rescale_q(pkt->duration, w->in_tb[track], w->tb[track]),
                       .first = (uint32_t)w->nspans};
    int rc = track == 0 ? video_spans(w, ref->data, (size_t)ref->size, ref->opaque)
                        : add_span(w, ref->data, (size_t)ref->size, 0);
    if (rc) {
        w->nspans = h->first;
        av_packet_unref(ref);
        nvr_log(NVR_ERROR, w->camera, "segment write failed op=packet error=\"bad NAL unit lengths\" track=%d", track);
        return NVR_EINVAL;
    }
    h->nspans = (uint32_t)(w->nspans - h->first);
    for (uint32_t i = 0; i < h->nspans; i++)
        h->size += w->spans[h->first + i].n + (w->spans[h->first + i].prefixed ? 4u : 0u);
    w->last_dts[track] = dts;
    w->nheld++;
    w->pending++;
    return NVR_OK;
}

/* ---- a fragment out ---- */

/* Hashes and writes iov[0..n), all of it. */
static int write_iov(struct segment_writer *w, struct iovec *iov, int n)
{
    for (int i = 0; i < n; i++) {
        sha256_update(w->sha, iov[i].iov_base, iov[i].iov_len);
        w->written += iov[i].iov_len;
    }
    while (n > 0) {
        ssize_t k = writev(w->fd, iov, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            w->io_error = errno;
            return -1;
        }
        while (n > 0 && (size_t)k >= iov->iov_len) {
            k -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + k;
            iov->iov_len -= (size_t)k;
        }
    }
    return 0;
}

static int add_iov(struct segment_writer *w, int *n, const void *p, size_t len)
{
    if (*n == IOV_BATCH) {
        if (write_iov(w, w->iov, *n))
            return -1;
        *n = 0;
    }
    w->iov[(*n)++] = (struct iovec){(void *)p, len};
    return 0;
}

/* The trun samples of one track, in w->samples from index at. */
static size_t track_samples(struct segment_writer *w, int track, size_t at, struct fmp4_traf *t)
{
    size_t n = 0;
    struct held *prev = NULL;
    *t = (struct fmp4_traf){.track_id = (uint32_t)track + 1, .s = w->samples + at};
    for (size_t i = 0; i < w->nheld; i++) {
        struct held *h = &w->held[i];
        if (h->track != track)
            continue;
        if (prev) /* a sample lasts until the next one's decode time */
            w->samples[at + n - 1].duration = (uint32_t)(h->dts - prev->dts);
        else
            t->base_dts = (uint64_t)h->dts;
        int64_t cto = h->pts - h->dts;
        w->samples[at + n] =
            (struct fmp4_sample){.size = h->size,
                                 .duration = (uint32_t)(h->dur > 0 ? h->dur : 1),
                                 .flags = track != 0 || h->key ? FMP4_SAMPLE_SYNC : FMP4_SAMPLE_NON_SYNC,
                                 .cto = cto > INT32_MAX   ? INT32_MAX
                                        : cto < INT32_MIN ? INT32_MIN
                                                          : (int32_t)cto};
        t->bytes += h->size;
        prev = h;
        n++;
    }
    t->n = n;
    return n;
}

static void release_held(struct segment_writer *w)
{
    for (size_t i = 0; i < w->nheld; i++)
        av_packet_unref(w->held[i].pkt);
    w->nheld = 0;
    w->nspans = 0;
    w->pending = 0;
}

/* moof + mdat of the held packets, written; -1 with io_error on failure. */
static int write_fragment(struct segment_writer *w)
{
    struct fmp4_traf t[2];
    int nt = 0, n = 0;
    size_t at = 0;
    if (grow((void **)&w->samples, &w->cap_samples, w->nheld, sizeof *w->samples)) {
        w->io_error = ENOMEM;
        return -1;
    }
    for (int k = 0; k < w->ntracks; k++)
        if (track_samples(w, k, at, &t[nt])) {
            at += t[nt].n;
            nt++;
        }
    size_t hl = fmp4_frag_header_size(t, nt);
    if (grow((void **)&w->hdr, &w->cap_hdr, hl, 1)) {
        w->io_error = ENOMEM;
        return -1;
    }
    fmp4_frag_write_header(w->hdr, w->seq, t, nt);
    if (add_iov(w, &n, w->hdr, hl))
        return -1;
    for (int k = 0; k < w->ntracks; k++)
        for (size_t i = 0; i < w->nheld; i++) {
            const struct held *h = &w->held[i];
            if (h->track != k)
                continue;
            for (uint32_t j = 0; j < h->nspans; j++) {
                const struct span *s = &w->spans[h->first + j];
                if ((s->prefixed && add_iov(w, &n, s->len, 4)) || add_iov(w, &n, s->p, s->n))
                    return -1;
            }
        }
    return write_iov(w, w->iov, n);
}

nvr_err segment_writer_flush_fragment(struct segment_writer *w, uint32_t *bytes)
{
    *bytes = 0;
    if (!w->pending)
        return NVR_OK;
    int bad = write_fragment(w);
    release_held(w);
    if (bad)
        return writer_error(w, AVERROR(w->io_error), "fragment");
    if (w->sync && fdatasync(w->fd) != 0) {
        w->io_error = errno;
        return writer_error(w, AVERROR(errno), "fdatasync");
    }
    if (w->sync) /* durable and clean: its pages are not kept (storage.md, "Page cache") */
        posix_fadvise(w->fd, (off_t)w->flushed, (off_t)(w->written - w->flushed), POSIX_FADV_DONTNEED);
    w->seq++;
    *bytes = (uint32_t)(w->written - w->flushed);
    w->flushed = w->written;
    return NVR_OK;
}

nvr_err segment_writer_close(struct segment_writer **wp, uint8_t sha256[32])
{
    struct segment_writer *w = *wp;
    int rc = NVR_OK;
    if (!w)
        return NVR_OK;
    avformat_free_context(w->oc); /* only if the init section failed */
    if (w->pb) {
        av_freep(&w->pb->buffer);
        avio_context_free(&w->pb);
    }
    if (w->pending && !w->io_error)
        nvr_log(NVR_WARN, w->camera, "segment closed with unflushed packets=%d", w->pending);
    release_held(w);
    for (size_t i = 0; i < w->npool; i++)
        av_packet_free(&w->pool[i]);
    free(w->pool);
    free(w->held);
    free(w->spans);
    free(w->samples);
    free(w->hdr);
    if (w->fd >= 0) {
        if (w->sync && fsync(w->fd) != 0)
            rc = nvr_err_from_errno(errno);
        if (close(w->fd) != 0 && rc == NVR_OK)
            rc = nvr_err_from_errno(errno);
    }
    if (sha256 && w->sha)
        sha256_final(w->sha, sha256);
    sha256_free(&w->sha);
    free(w);
    *wp = NULL;
    return rc;
}
