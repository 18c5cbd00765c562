/* SPDX-License-Identifier: Apache-2.0 */
/*
 * segment_writer.c - fMP4 segment files through libavformat's mp4 muxer
 * (see segment_writer.h).
 *
 * The muxer runs with movflags frag_custom+empty_moov+default_base_moof:
 * nothing is written for a sample until av_write_frame(ctx, NULL) ends the
 * fragment, at which point moof + mdat go out through our AVIOContext, whose
 * write callback counts bytes, updates the SHA-256 and write(2)s to the fd.
 */
#include "storage/segment_writer.h"

#include "base/err.h"
#include "base/log.h"
#include "storage/sha256.h"

#include <errno.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WRITER_IO_BUFSZ (64 * 1024)

struct segment_writer {
    const char *camera;
    int fd;
    int sync;
    AVFormatContext *oc;
    AVIOContext *pb;
    struct sha256 *sha;
    AVRational in_tb[2];
    int ntracks;
    uint64_t written; /* bytes handed to write(2) */
    uint64_t flushed; /* bytes at the end of the last fragment */
    uint32_t init_bytes;
    int pending;  /* packets queued since the last flush */
    int io_error; /* errno of a failed write, 0 if none */
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

nvr_err segment_writer_write(struct segment_writer *w, AVPacket *pkt, int track)
{
    if (track < 0 || track >= w->ntracks)
        return NVR_EINVAL;
    AVStream *st = w->oc->streams[track];
    int64_t pts = pkt->pts, dts = pkt->dts, dur = pkt->duration;
    int idx = pkt->stream_index;
    pkt->stream_index = track;
    av_packet_rescale_ts(pkt, w->in_tb[track], st->time_base);
    int ret = av_write_frame(w->oc, pkt);
    /* give the caller its packet back as it was */
    pkt->pts = pts;
    pkt->dts = dts;
    pkt->duration = dur;
    pkt->stream_index = idx;
    if (ret < 0)
        return writer_error(w, ret, "packet");
    w->pending++;
    return NVR_OK;
}

nvr_err segment_writer_flush_fragment(struct segment_writer *w, uint32_t *bytes)
{
    *bytes = 0;
    if (!w->pending)
        return NVR_OK;
    int ret = av_write_frame(w->oc, NULL);
    if (ret < 0)
        return writer_error(w, ret, "fragment");
    avio_flush(w->pb);
    if (w->io_error)
        return writer_error(w, AVERROR(w->io_error), "fragment");
    if (w->sync && fdatasync(w->fd) != 0) {
        w->io_error = errno;
        return writer_error(w, AVERROR(errno), "fdatasync");
    }
    *bytes = (uint32_t)(w->written - w->flushed);
    w->flushed = w->written;
    w->pending = 0;
    return NVR_OK;
}

nvr_err segment_writer_close(struct segment_writer **wp, uint8_t sha256[32])
{
    struct segment_writer *w = *wp;
    int rc = NVR_OK;
    if (!w)
        return NVR_OK;
    if (w->oc) {
        /* skip_trailer: writes nothing more, but frees the muxer's state */
        if (w->oc->pb && w->init_bytes && !w->io_error)
            av_write_trailer(w->oc);
        avformat_free_context(w->oc);
    }
    if (w->pb) {
        av_freep(&w->pb->buffer);
        avio_context_free(&w->pb);
    }
    if (w->written != w->flushed && !w->io_error)
        nvr_log(NVR_WARN, w->camera, "segment closed with unflushed bytes=%llu",
                (unsigned long long)(w->written - w->flushed));
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
