/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hls.c - VOD playlists from index rows (see hls.h).
 *
 * Two passes over the fragments in range: the first finds the longest
 * fragment (EXT-X-TARGETDURATION must be known before the first segment
 * line), the second writes.  A fragment's wall-clock span follows rule T1 of
 * docs/design/time.md: media offsets scaled by the segment's wall/media ratio.
 */
#include "playback/hls.h"

#include "base/clock.h"
#include "base/err.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

int hls_continues(const struct index_segment *a, const struct index_segment *b)
{
    return a->session == b->session && b->start_us == a->end_us &&
           b->media_start_us == a->media_start_us + a->media_us && strcmp(a->video_codec, b->video_codec) == 0 &&
           a->width == b->width && a->height == b->height && strcmp(a->audio_codec, b->audio_codec) == 0;
}

/* Wall clock at media offset m of segment s (rule T1), in exact integers so
 * that m = media_us lands exactly on end_us: start + m + floor(m * (wall -
 * media) / media).  The product cannot overflow: wall and media differ by at
 * most the slew (500 ppm), and a segment is at most a few hours long. */
static int64_t wall_at(const struct index_segment *s, int64_t m)
{
    if (s->media_us <= 0)
        return s->start_us;
    int64_t diff = (s->end_us - s->start_us) - s->media_us;
    int64_t num = m * diff, q = num / s->media_us;
    if (num % s->media_us != 0 && num < 0)
        q--;
    return s->start_us + m + q;
}

/* Walks the fragments of one segment that overlap [start, end). */
struct frag_iter {
    const struct index_segment *s;
    size_t next;  /* index of the next fragment to look at */
    size_t k;     /* the current fragment */
    uint64_t off; /* its byte offset in the file */
    int64_t m;    /* its media offset in the segment */
    int64_t w0;   /* its wall-clock start */
    uint64_t next_off;
    int64_t next_m;
};

static void frag_iter_init(struct frag_iter *it, const struct index_segment *s)
{
    memset(it, 0, sizeof *it);
    it->s = s;
    it->next_off = s->init_bytes;
}

static int frag_iter_next(struct frag_iter *it, int64_t start, int64_t end)
{
    const struct index_segment *s = it->s;
    while (it->next < s->frags.n) {
        size_t k = it->next++;
        uint64_t off = it->next_off;
        int64_t m = it->next_m;
        it->next_off += s->frags.v[k].bytes;
        it->next_m += s->frags.v[k].duration_us;
        int64_t w0 = wall_at(s, m), w1 = wall_at(s, it->next_m);
        if (w1 > start && w0 < end) {
            it->k = k;
            it->off = off;
            it->m = m;
            it->w0 = w0;
            return 1;
        }
    }
    return 0;
}

nvr_err hls_write_vod(FILE *f, const struct index_segment *segs, size_t n, int64_t start_us, int64_t end_us)
{
    struct frag_iter it;
    uint32_t longest = 0;
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        for (frag_iter_init(&it, &segs[i]); frag_iter_next(&it, start_us, end_us); count++)
            if (segs[i].frags.v[it.k].duration_us > longest)
                longest = segs[i].frags.v[it.k].duration_us;
    if (count == 0)
        return NVR_ENOTFOUND;
    fprintf(f,
            "#EXTM3U\n"
            "#EXT-X-VERSION:7\n"
            "#EXT-X-TARGETDURATION:%d\n"
            "#EXT-X-MEDIA-SEQUENCE:0\n"
            "#EXT-X-PLAYLIST-TYPE:VOD\n"
            "#EXT-X-INDEPENDENT-SEGMENTS\n",
            (int)ceil(longest / 1e6));
    const struct index_segment *prev = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct index_segment *s = &segs[i];
        long long id = (long long)s->id;
        int first_in_file = 1;
        for (frag_iter_init(&it, s); frag_iter_next(&it, start_us, end_us); first_in_file = 0) {
            const struct nvr_fragment *fr = &s->frags.v[it.k];
            if (!first_in_file) {
                /* the byte range continues the previous one of the same file */
                fprintf(f, "#EXTINF:%.6f,\n#EXT-X-BYTERANGE:%u\nsegments/%lld.mp4\n", fr->duration_us / 1e6, fr->bytes,
                        id);
                continue;
            }
            /* a new file: its init section; a new timeline unless it continues */
            char ts[NVR_TIME_BUFSZ];
            if (prev && !(it.k == 0 && hls_continues(prev, s)))
                fputs("#EXT-X-DISCONTINUITY\n", f);
            fprintf(f, "#EXT-X-MAP:URI=\"segments/%lld.mp4\",BYTERANGE=\"%u@0\"\n", id, s->init_bytes);
            nvr_clock_format_rfc3339(it.w0, ts);
            fprintf(f, "#EXT-X-PROGRAM-DATE-TIME:%s\n", ts);
            fprintf(f, "#EXTINF:%.6f,\n#EXT-X-BYTERANGE:%u@%llu\nsegments/%lld.mp4\n", fr->duration_us / 1e6, fr->bytes,
                    (unsigned long long)it.off, id);
            prev = s;
        }
    }
    fputs("#EXT-X-ENDLIST\n", f);
    return NVR_OK;
}
