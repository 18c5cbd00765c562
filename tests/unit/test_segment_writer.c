/* SPDX-License-Identifier: Apache-2.0 */
/* test_segment_writer.c - the segment writer's own fragments
 * (storage/segment_writer.c, fmp4_frag.c) against libavformat's mp4 muxer.
 *
 * For each clip given (argv: H.264 without and with B-frames, H.265 with
 * open GOPs): three and a half GOPs of Annex-B packets (tests/unit/clip.c,
 * as the RTSP reader hands them on) go into a segment file through
 * segment_writer (a fragment per GOP, flushed before each keyframe) and,
 * the same way, through libavformat's mp4 muxer with the options the writer
 * used before it wrote its own fragments.  Both files are demuxed by
 * libavformat: the same packets, in the same order, with the same pts, dts,
 * duration, keyframe flag and bytes.  fmp4_scan reads the same fragments,
 * frames and media time from both, and the byte count and SHA-256 the
 * writer reports are those of its file.  A length-prefixed input (avcC
 * extradata) gives the same samples as the Annex-B one.  A non-increasing
 * decode time is refused (NVR_EINVAL) without breaking the file.  With
 * sync, the durable fragments' pages are not left in the page cache.  The
 * NAL layout the depacketizer hands on gives the same file as the scan,
 * is not used when it does not describe the bytes, and decides where a unit
 * ends when the two would differ. */
#include "base/err.h"
#include "base/nal_layout.h"
#include "storage/fmp4_scan.h"
#include "storage/segment_writer.h"
#include "storage/sha256.h"

#include "check.h"
#include "clip.h"

#include <fcntl.h>
#include <libavformat/avformat.h>
#include <stdlib.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define GOPS 3.5

static char tmpdir[] = "/tmp/nvr-test-segw-XXXXXX";

/* The packets to write: frames [0, n) of the clip, durations set. */
static size_t frame_count(const struct clip *c)
{
    size_t gop = 0;
    for (size_t k = 1; k < c->n; k++)
        if (c->pkts[k]->flags & AV_PKT_FLAG_KEY) {
            gop = k;
            break;
        }
    return gop ? (size_t)(gop * GOPS) : c->n;
}

/* Frame k as a packet to write: the clip's (make NULL) or make's. */
typedef AVPacket *(*make_packet)(const struct clip *c, size_t k, void *arg);

static int write_packets(const struct clip *c, const AVCodecParameters *par, const char *path, size_t n,
                         uint64_t *bytes, uint8_t sha[32], int sync, make_packet make, void *arg)
{
    struct segment_writer *w = NULL;
    struct segment_writer_params p = {.camera = "t",
                                      .video = par,
                                      .video_tb = c->tb,
                                      .fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644),
                                      .sync = sync};
    if (segment_writer_open(&w, &p) != NVR_OK)
        return -1;
    int rc = 0;
    uint32_t fb;
    for (size_t k = 0; k < n && !rc; k++) {
        AVPacket *pkt = make ? make(c, k, arg) : clip_packet(c, k);
        if (!pkt) {
            rc = -1;
            break;
        }
        pkt->duration = c->frame;
        if (k && (pkt->flags & AV_PKT_FLAG_KEY))
            rc = segment_writer_flush_fragment(w, &fb) != NVR_OK;
        if (!rc)
            rc = segment_writer_write(w, pkt, 0) != NVR_OK;
        av_packet_free(&pkt);
    }
    if (!rc)
        rc = segment_writer_flush_fragment(w, &fb) != NVR_OK;
    *bytes = segment_writer_bytes(w);
    return segment_writer_close(&w, sha) != NVR_OK || rc ? -1 : 0;
}

static int write_synced(const struct clip *c, const AVCodecParameters *par, const char *path, size_t n,
                        uint64_t *bytes, uint8_t sha[32], int sync)
{
    return write_packets(c, par, path, n, bytes, sha, sync, NULL, NULL);
}

static int write_ours(const struct clip *c, const AVCodecParameters *par, const char *path, size_t n, uint64_t *bytes,
                      uint8_t sha[32])
{
    return write_synced(c, par, path, n, bytes, sha, 0);
}

/* The same through libavformat's muxer, as segment_writer did it. */
static int write_muxer(const struct clip *c, const char *path, size_t n)
{
    AVFormatContext *oc = NULL;
    AVDictionary *opts = NULL;
    int rc = -1;
    if (avformat_alloc_output_context2(&oc, NULL, "mp4", path) < 0)
        return -1;
    AVStream *st = avformat_new_stream(oc, NULL);
    if (!st || avcodec_parameters_copy(st->codecpar, c->par) < 0 || avio_open(&oc->pb, path, AVIO_FLAG_WRITE) < 0)
        goto out;
    st->codecpar->codec_tag = c->par->codec_id == AV_CODEC_ID_HEVC ? MKTAG('h', 'v', 'c', '1') : 0;
    st->time_base = c->tb;
    av_dict_set(&opts, "movflags", "frag_custom+empty_moov+default_base_moof+frag_discont+skip_trailer", 0);
    av_dict_set(&opts, "use_editlist", "0", 0);
    av_dict_set(&opts, "avoid_negative_ts", "disabled", 0);
    if (avformat_write_header(oc, &opts) < 0)
        goto out;
    for (size_t k = 0; k < n; k++) {
        AVPacket *pkt = clip_packet(c, k);
        pkt->duration = c->frame;
        if (k && (pkt->flags & AV_PKT_FLAG_KEY))
            av_write_frame(oc, NULL);
        av_packet_rescale_ts(pkt, c->tb, st->time_base);
        int bad = av_write_frame(oc, pkt) < 0;
        av_packet_free(&pkt);
        if (bad)
            goto out;
    }
    av_write_frame(oc, NULL);
    av_write_trailer(oc);
    rc = 0;
out:
    av_dict_free(&opts);
    if (oc && oc->pb)
        avio_closep(&oc->pb);
    avformat_free_context(oc);
    return rc;
}

struct pk {
    int64_t pts, dts, dur;
    int key, size;
    uint8_t *data;
};

/* Every video packet of a file. */
static size_t demux(const char *path, struct pk **out)
{
    AVFormatContext *fc = NULL;
    AVPacket *p = av_packet_alloc();
    size_t n = 0, cap = 0;
    *out = NULL;
    if (avformat_open_input(&fc, path, NULL, NULL) < 0 || avformat_find_stream_info(fc, NULL) < 0)
        goto out;
    while (av_read_frame(fc, p) >= 0) {
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            *out = realloc(*out, cap * sizeof **out);
        }
        struct pk *k = &(*out)[n++];
        *k = (struct pk){
            p->pts, p->dts, p->duration, (p->flags & AV_PKT_FLAG_KEY) != 0, p->size, malloc((size_t)p->size)};
        memcpy(k->data, p->data, (size_t)p->size);
        av_packet_unref(p);
    }
out:
    av_packet_free(&p);
    avformat_close_input(&fc);
    return n;
}

static void free_pk(struct pk *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(p[i].data);
    free(p);
}

static int scan(const char *path, struct fmp4_scan *s)
{
    int fd = open(path, O_RDONLY);
    int rc = fmp4_scan_fd(fd, s);
    close(fd);
    return rc;
}

/* avcC extradata and length-prefixed packets: what libavformat's RTSP
 * reader may hand on (extradata as in the clip's MP4) */
static int write_prefixed(const struct clip *c, const char *path, size_t n)
{
    const AVCodecParameters *orig = c->fc->streams[c->vi]->codecpar;
    AVFormatContext *fc = NULL;
    AVPacket *p = av_packet_alloc();
    struct segment_writer *w = NULL;
    AVRational tb = c->fc->streams[c->vi]->time_base;
    struct segment_writer_params sp = {
        .camera = "t", .video = orig, .video_tb = tb, .fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)};
    int rc = -1;
    uint32_t fb;
    if (segment_writer_open(&w, &sp) != NVR_OK || avformat_open_input(&fc, c->fc->url, NULL, NULL) < 0)
        goto out;
    int64_t first = AV_NOPTS_VALUE;
    for (size_t k = 0; k < n && av_read_frame(fc, p) >= 0;) {
        if (p->stream_index == c->vi) {
            if (first == AV_NOPTS_VALUE)
                first = p->dts;
            p->pts -= first;
            p->dts -= first;
            if (k && (p->flags & AV_PKT_FLAG_KEY) && segment_writer_flush_fragment(w, &fb) != NVR_OK)
                goto out;
            if (segment_writer_write(w, p, 0) != NVR_OK)
                goto out;
            k++;
        }
        av_packet_unref(p);
    }
    rc = segment_writer_flush_fragment(w, &fb) == NVR_OK ? 0 : -1;
out:
    av_packet_free(&p);
    avformat_close_input(&fc);
    if (segment_writer_close(&w, NULL) != NVR_OK)
        rc = -1;
    return rc;
}

static void test_clip(const char *clip_path)
{
    struct clip c;
    char ours[256], muxer[256], pref[256];
    uint64_t bytes = 0;
    uint8_t sha[32], want[32];
    fprintf(stderr, "clip %s\n", clip_path);
    CHECK(clip_open(&c, clip_path) == 0);
    size_t n = frame_count(&c);
    snprintf(ours, sizeof ours, "%s/ours.mp4", tmpdir);
    snprintf(muxer, sizeof muxer, "%s/muxer.mp4", tmpdir);
    snprintf(pref, sizeof pref, "%s/prefixed.mp4", tmpdir);
    CHECK(write_ours(&c, c.par, ours, n, &bytes, sha) == 0);
    CHECK(write_muxer(&c, muxer, n) == 0);

    struct pk *a, *b;
    size_t na = demux(ours, &a), nb = demux(muxer, &b);
    CHECK_EQ_INT(na, n);
    CHECK_EQ_INT(na, nb);
    int same = 0;
    for (size_t i = 0; i < na && i < nb; i++) {
        int ok = a[i].pts == b[i].pts && a[i].dts == b[i].dts && a[i].dur == b[i].dur && a[i].key == b[i].key &&
                 a[i].size == b[i].size && memcmp(a[i].data, b[i].data, (size_t)a[i].size) == 0;
        if (!ok && same == (int)i)
            fprintf(stderr,
                    "  first difference at packet %zu: pts %lld/%lld dts %lld/%lld dur %lld/%lld key %d/%d "
                    "size %d/%d\n",
                    i, (long long)a[i].pts, (long long)b[i].pts, (long long)a[i].dts, (long long)b[i].dts,
                    (long long)a[i].dur, (long long)b[i].dur, a[i].key, b[i].key, a[i].size, b[i].size);
        same += ok;
    }
    CHECK_EQ_INT(same, nb);

    struct fmp4_scan sa, sb;
    CHECK(scan(ours, &sa) == NVR_OK && scan(muxer, &sb) == NVR_OK);
    CHECK_EQ_INT(sa.frags.n, sb.frags.n);
    CHECK_EQ_INT(sa.frames, sb.frames);
    CHECK_EQ_INT(sa.media_us, sb.media_us);
    CHECK_EQ_INT(sa.media_start_us, sb.media_start_us);
    CHECK_EQ_INT(sa.bytes, sa.file_bytes); /* no torn tail */
    CHECK_EQ_STR(sa.video_codec, sb.video_codec);
    size_t nfrags = sa.frags.n;
    CHECK(nfrags >= 3);
    fragments_free(&sa.frags);
    fragments_free(&sb.frags);

    /* the bytes and hash the writer reports are its file's */
    struct stat st;
    CHECK(stat(ours, &st) == 0 && (uint64_t)st.st_size == bytes);
    int fd = open(ours, O_RDONLY);
    uint8_t *buf = malloc((size_t)st.st_size);
    CHECK(read(fd, buf, (size_t)st.st_size) == st.st_size);
    close(fd);
    struct sha256 *h = sha256_new();
    sha256_update(h, buf, (size_t)st.st_size);
    sha256_final(h, want);
    sha256_free(&h);
    free(buf);
    CHECK(memcmp(sha, want, 32) == 0);

    /* length-prefixed input: the same samples (but for the parameter sets
     * h264_mp4toannexb puts before the IDR slice of each keyframe of the
     * Annex-B packets: there, the slice at the end is compared) */
    struct pk *p;
    CHECK(write_prefixed(&c, pref, n) == 0);
    size_t np = demux(pref, &p);
    CHECK_EQ_INT(np, n);
    same = 0;
    for (size_t i = 0; i < np && i < na; i++) {
        int tail = a[i].key ? (p[i].size < 1000 ? p[i].size : 1000) : p[i].size;
        same += p[i].key == a[i].key && p[i].size <= a[i].size && (p[i].size == a[i].size || a[i].key) &&
                memcmp(p[i].data + (p[i].size - tail), a[i].data + (a[i].size - tail), (size_t)tail) == 0;
    }
    CHECK_EQ_INT(same, na);
    fprintf(stderr, "  %zu packets, %zu fragments: identical to the muxer's\n", na, nfrags);
    free_pk(a, na);
    free_pk(b, nb);
    free_pk(p, np);
    unlink(ours);
    unlink(muxer);
    unlink(pref);
    clip_close(&c);
}

static void test_non_increasing_dts_is_refused(const char *clip_path)
{
    struct clip c;
    char path[256];
    struct segment_writer *w = NULL;
    uint32_t fb;
    uint8_t sha[32];
    CHECK(clip_open(&c, clip_path) == 0);
    snprintf(path, sizeof path, "%s/dts.mp4", tmpdir);
    struct segment_writer_params p = {
        .camera = "t", .video = c.par, .video_tb = c.tb, .fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)};
    CHECK(segment_writer_open(&w, &p) == NVR_OK);
    AVPacket *k0 = clip_packet(&c, 0), *k1 = clip_packet(&c, 1);
    k0->duration = k1->duration = c.frame;
    CHECK(segment_writer_write(w, k0, 0) == NVR_OK);
    CHECK(segment_writer_write(w, k0, 0) == NVR_EINVAL); /* the same dts again */
    CHECK(segment_writer_write(w, k1, 0) == NVR_OK);
    CHECK(segment_writer_flush_fragment(w, &fb) == NVR_OK && fb > 0);
    CHECK(segment_writer_close(&w, sha) == NVR_OK);
    struct pk *a;
    size_t na = demux(path, &a);
    CHECK_EQ_INT(na, 2);
    free_pk(a, na);
    av_packet_free(&k0);
    av_packet_free(&k1);
    unlink(path);
    clip_close(&c);
}

/* With sync, a fragment's whole pages leave the page cache once durable
 * (docs/design/storage.md, "Page cache"): most of them are not resident
 * after the writer closed the file (mincore on a mapping, which reads
 * nothing). */
static void test_durable_pages_are_dropped(const char *clip_path)
{
    struct clip c;
    char path[256];
    uint64_t bytes = 0;
    uint8_t sha[32];
    struct statfs fs;
    CHECK(clip_open(&c, clip_path) == 0);
    snprintf(path, sizeof path, "%s/dropped.mp4", tmpdir);
    CHECK(write_synced(&c, c.par, path, frame_count(&c), &bytes, sha, 1) == 0);
    if (statfs(tmpdir, &fs) == 0 && fs.f_type == TMPFS_MAGIC) {
        printf("skipped: %s is tmpfs (its pages are the file)\n", tmpdir);
    } else {
        long pg = sysconf(_SC_PAGESIZE);
        int fd = open(path, O_RDONLY);
        void *m = mmap(NULL, (size_t)bytes, PROT_READ, MAP_SHARED, fd, 0);
        size_t npages = (size_t)((bytes + (uint64_t)pg - 1) / (uint64_t)pg);
        unsigned char *vec = calloc(npages, 1);
        CHECK(fd >= 0 && m != MAP_FAILED && vec && mincore(m, (size_t)bytes, vec) == 0);
        /* page 0 holds the init section (not a fragment).  Not every page
         * goes: a folio holding a fragment's partial last page stays whole,
         * and the kernel keeps pages whose buffers the journal still holds
         * (measured: 34 of 228 pages resident, 97 of 227 in the ASan
         * build; every page counted without the fadvise) */
        size_t resident = 0;
        for (size_t i = 1; vec && i + 1 < npages; i++)
            resident += vec[i] & 1;
        printf("pages=%zu resident=%zu\n", npages, resident);
        CHECK(npages > 100 && resident * 4 < npages * 3);
        free(vec);
        if (m != MAP_FAILED)
            munmap(m, (size_t)bytes);
        close(fd);
    }
    unlink(path);
    clip_close(&c);
}

/* A packet as the RTSP reader's depacketizer makes it: every NAL unit of
 * src (found here by a scan of our own) behind a 4-byte start code, with
 * its nal_layout after the padding; `extra` bytes appended to the last
 * unit.  *layout points into the packet's buffer. */
static AVPacket *as_depacketized(const AVPacket *src, const uint8_t *extra, size_t nextra,
                                 struct nal_layout **layout)
{
    size_t off[256], len[256], n = 0;
    const uint8_t *d = src->data;
    size_t size = (size_t)src->size;
    for (size_t i = 0; i + 3 <= size && n < 256; i++)
        if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1) {
            if (n)
                len[n - 1] = i - off[n - 1] - (d[i - 1] == 0 ? 1 : 0);
            off[n++] = i + 3;
            i += 2;
        }
    if (n == 0)
        return NULL;
    len[n - 1] = size - off[n - 1];
    size_t total = nextra;
    for (size_t k = 0; k < n; k++)
        total += 4 + len[k];
    size_t at = (total + AV_INPUT_BUFFER_PADDING_SIZE + 7) & ~(size_t)7;
    AVPacket *p = av_packet_alloc();
    av_packet_copy_props(p, src);
    p->buf = av_buffer_allocz(at + nal_layout_bytes((uint32_t)n));
    p->data = p->buf->data;
    p->size = (int)total;
    struct nal_layout *l = (struct nal_layout *)(p->data + at);
    *l = (struct nal_layout){.magic = NAL_LAYOUT_MAGIC, .n = (uint32_t)n, .data = p->data, .size = total};
    size_t o = 0;
    for (size_t k = 0; k < n; k++) {
        memcpy(p->data + o, "\0\0\0\1", 4);
        memcpy(p->data + o + 4, d + off[k], len[k]);
        o += 4 + len[k];
        l->len[k] = (uint32_t)len[k];
    }
    if (nextra)
        memcpy(p->data + o, extra, nextra);
    l->len[n - 1] += (uint32_t)nextra;
    p->opaque = l;
    *layout = l;
    return p;
}

/* How test_layout's packets are made: spoil (1: the layout names other
 * bytes, 2: a length that does not tile them) makes the writer scan; frame
 * odd_frame gets `extra` appended to its last unit. */
struct laid {
    int spoil;
    size_t odd_frame;
    const uint8_t *extra;
    size_t nextra;
};

static AVPacket *laid_packet(const struct clip *c, size_t k, void *arg)
{
    const struct laid *o = arg;
    AVPacket *src = clip_packet(c, k);
    struct nal_layout *l = NULL;
    AVPacket *pkt = as_depacketized(src, o->extra, k == o->odd_frame ? o->nextra : 0, &l);
    av_packet_free(&src);
    if (pkt && o->spoil == 1)
        l->data = pkt->data + 1;
    if (pkt && o->spoil == 2)
        l->len[0]++;
    return pkt;
}

static int write_with_layout(const struct clip *c, const char *path, size_t n, int spoil, size_t odd_frame,
                             const uint8_t *extra, size_t nextra)
{
    struct laid o = {spoil, odd_frame, extra, nextra};
    uint64_t bytes;
    uint8_t sha[32];
    return write_packets(c, c->par, path, n, &bytes, sha, 0, laid_packet, &o);
}

static size_t be32(const uint8_t *p)
{
    return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
}

static int same_file(const char *a, const char *b)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cmp -s %s %s", a, b);
    return system(cmd) == 0;
}

/* The NAL layout the depacketizer hands on (base/nal_layout.h) spares the
 * scan and gives the same file; a layout that does not describe the bytes
 * is not used (L1, L2).  And it is what decides: a unit that holds the
 * bytes 00 00 01 (no encoder writes that, a broken camera might) stays one
 * unit with it, where the scan would cut it in two. */
static void test_layout(const char *clip_path)
{
    struct clip c;
    char scanned[256], laid[256], stale[256], bad[256], odd[256];
    uint64_t bytes;
    uint8_t sha[32];
    static const uint8_t extra[] = {0x00, 0x00, 0x01, 0xab, 0xcd};
    CHECK(clip_open(&c, clip_path) == 0);
    size_t n = frame_count(&c);
    snprintf(scanned, sizeof scanned, "%s/scanned.mp4", tmpdir);
    snprintf(laid, sizeof laid, "%s/laid.mp4", tmpdir);
    snprintf(stale, sizeof stale, "%s/stale.mp4", tmpdir);
    snprintf(bad, sizeof bad, "%s/bad.mp4", tmpdir);
    snprintf(odd, sizeof odd, "%s/odd.mp4", tmpdir);
    CHECK(write_ours(&c, c.par, scanned, n, &bytes, sha) == 0);
    CHECK(write_with_layout(&c, laid, n, 0, SIZE_MAX, NULL, 0) == 0);
    CHECK(write_with_layout(&c, stale, n, 1, SIZE_MAX, NULL, 0) == 0);
    CHECK(write_with_layout(&c, bad, n, 2, SIZE_MAX, NULL, 0) == 0);
    CHECK(same_file(scanned, laid));
    CHECK(same_file(scanned, stale));
    CHECK(same_file(scanned, bad));

    /* frame 1 with 00 00 01 ab cd appended to its last unit */
    CHECK(write_with_layout(&c, odd, n, 0, 1, extra, sizeof extra) == 0);
    struct pk *a, *b;
    size_t na = demux(scanned, &a), nb = demux(odd, &b);
    CHECK(na == n && nb == n);
    if (na == n && nb == n) {
        CHECK_EQ_INT(b[1].size, a[1].size + (int)sizeof extra); /* one unit, longer */
        CHECK(memcmp(b[1].data + b[1].size - sizeof extra, extra, sizeof extra) == 0);
        size_t units_a = 0, units_b = 0;
        for (size_t o = 0; o + 4 <= (size_t)a[1].size; units_a++)
            o += 4 + be32(a[1].data + o);
        for (size_t o = 0; o + 4 <= (size_t)b[1].size; units_b++)
            o += 4 + be32(b[1].data + o);
        CHECK_EQ_INT(units_b, units_a);
    }
    free_pk(a, na);
    free_pk(b, nb);
    unlink(scanned);
    unlink(laid);
    unlink(stale);
    unlink(bad);
    unlink(odd);
    clip_close(&c);
}

static char **clips;
static int nclips;

static void test_pages_dropped(void)
{
    test_durable_pages_are_dropped(clips[0]);
}

static void test_fragments_match_the_muxer(void)
{
    for (int i = 0; i < nclips; i++)
        test_clip(clips[i]);
}

static void test_nal_layout(void)
{
    for (int i = 0; i < nclips; i++)
        test_layout(clips[i]);
}

static void test_bad_dts(void)
{
    test_non_increasing_dts_is_refused(clips[0]);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_segment_writer CLIP...\n");
        return 2;
    }
    clips = argv + 1;
    nclips = argc - 1;
    if (!mkdtemp(tmpdir))
        return 1;
    RUN(test_fragments_match_the_muxer);
    RUN(test_nal_layout);
    RUN(test_bad_dts);
    RUN(test_pages_dropped);
    rmdir(tmpdir);
    return check_summary();
}
