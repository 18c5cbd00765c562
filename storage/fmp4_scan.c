/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmp4_scan.c - a segment file back into the fields of its index row (see
 * fmp4_scan.h).  Only the boxes the writer's muxer produces are read:
 * moov/trak/{tkhd,mdia/{mdhd,hdlr,minf/stbl/stsd}}, moov/mvex/trex,
 * moof/traf/{tfhd,tfdt,trun}; everything else is skipped by its size.
 * Top-level mdat boxes are skipped without reading them.
 */
#include "storage/fmp4_scan.h"

#include "base/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TRACKS 4
#define MAX_BOX (16u << 20) /* a moov or moof larger than this is not ours */

struct track {
    uint32_t id;
    uint32_t timescale;
    int video, audio;
    uint32_t trex_duration;
};

struct scan_ctx {
    struct track t[MAX_TRACKS];
    int nt;
    struct fmp4_scan *out;
};

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* Next box in [p, end): its type, payload and total size; 0 at the end or
 * if it does not fit. */
static int next_box(const uint8_t *p, const uint8_t *end, uint32_t *type, const uint8_t **body, size_t *len,
                    size_t *total)
{
    if (end - p < 8)
        return 0;
    uint64_t size = be32(p), hdr = 8;
    *type = be32(p + 4);
    if (size == 1) {
        if (end - p < 16)
            return 0;
        size = be64(p + 8);
        hdr = 16;
    } else if (size == 0) {
        size = (uint64_t)(end - p);
    }
    if (size < hdr || size > (uint64_t)(end - p))
        return 0;
    *body = p + hdr;
    *len = (size_t)(size - hdr);
    *total = (size_t)size;
    return 1;
}

#define FOURCC(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static void parse_stsd(struct scan_ctx *c, const uint8_t *p, size_t len, int video, int audio)
{
    if (len < 8 + 8)
        return;
    const uint8_t *e = p + 8; /* version/flags, entry_count */
    uint32_t type = be32(e + 4);
    char name[5] = {(char)(type >> 24), (char)(type >> 16), (char)(type >> 8), (char)type, 0};
    if (video) {
        const char *codec = type == FOURCC('a', 'v', 'c', '1') || type == FOURCC('a', 'v', 'c', '3')   ? "h264"
                            : type == FOURCC('h', 'v', 'c', '1') || type == FOURCC('h', 'e', 'v', '1') ? "hevc"
                                                                                                       : name;
        snprintf(c->out->video_codec, sizeof c->out->video_codec, "%s", codec);
        if (len >= 8 + 36) {
            c->out->width = be16(e + 32);
            c->out->height = be16(e + 34);
        }
    } else if (audio) {
        snprintf(c->out->audio_codec, sizeof c->out->audio_codec, "%s",
                 type == FOURCC('m', 'p', '4', 'a')   ? "aac"
                 : type == FOURCC('f', 'L', 'a', 'C') ? "flac"
                                                      : name);
    }
}

static void parse_trak(struct scan_ctx *c, const uint8_t *p, size_t len)
{
    if (c->nt == MAX_TRACKS)
        return;
    struct track *t = &c->t[c->nt];
    memset(t, 0, sizeof *t);
    const uint8_t *end = p + len, *b, *stsd = NULL;
    size_t blen, tot, stsd_len = 0;
    uint32_t type;
    /* depth-first over the containers on the way to the boxes we read */
    const uint8_t *stack_p[6], *stack_e[6];
    int depth = 0;
    for (;;) {
        if (!next_box(p, end, &type, &b, &blen, &tot)) {
            if (depth == 0)
                break;
            depth--;
            p = stack_p[depth];
            end = stack_e[depth];
            continue;
        }
        p += tot;
        if (type == FOURCC('m', 'd', 'i', 'a') || type == FOURCC('m', 'i', 'n', 'f') ||
            type == FOURCC('s', 't', 'b', 'l')) {
            if (depth < 6) {
                stack_p[depth] = p;
                stack_e[depth] = end;
                depth++;
                p = b;
                end = b + blen;
            }
        } else if (type == FOURCC('t', 'k', 'h', 'd') && blen >= 24) {
            t->id = b[0] == 1 ? be32(b + 20) : be32(b + 12);
        } else if (type == FOURCC('m', 'd', 'h', 'd') && blen >= 24) {
            t->timescale = b[0] == 1 ? be32(b + 20) : be32(b + 12);
        } else if (type == FOURCC('h', 'd', 'l', 'r') && blen >= 12) {
            t->video = be32(b + 8) == FOURCC('v', 'i', 'd', 'e');
            t->audio = be32(b + 8) == FOURCC('s', 'o', 'u', 'n');
        } else if (type == FOURCC('s', 't', 's', 'd')) {
            stsd = b;
            stsd_len = blen;
        }
    }
    if (stsd)
        parse_stsd(c, stsd, stsd_len, t->video, t->audio);
    if (t->timescale)
        c->nt++;
}

static nvr_err parse_moov(struct scan_ctx *c, const uint8_t *p, size_t len)
{
    const uint8_t *end = p + len, *b;
    size_t blen, tot;
    uint32_t type;
    while (next_box(p, end, &type, &b, &blen, &tot)) {
        p += tot;
        if (type == FOURCC('t', 'r', 'a', 'k'))
            parse_trak(c, b, blen);
        if (type == FOURCC('m', 'v', 'e', 'x')) {
            const uint8_t *q = b, *qe = b + blen, *tb;
            size_t tl, tt;
            uint32_t ty;
            while (next_box(q, qe, &ty, &tb, &tl, &tt)) {
                q += tt;
                if (ty == FOURCC('t', 'r', 'e', 'x') && tl >= 24)
                    for (int i = 0; i < c->nt; i++)
                        if (c->t[i].id == be32(tb + 4))
                            c->t[i].trex_duration = be32(tb + 12);
            }
        }
    }
    for (int i = 0; i < c->nt; i++)
        if (c->t[i].video)
            return NVR_OK;
    return NVR_ECODEC;
}

/* The video track's tfdt, its first sample's composition offset (B-frames:
 * the keyframe is shown that long after its decode time, docs/design/time.md),
 * the end of its latest picture from the tfdt, and summed sample durations
 * in a moof, in its timescale; 0 if the moof has no video traf. */
static int parse_moof(struct scan_ctx *c, const struct track *v, const uint8_t *p, size_t len, uint64_t *tfdt,
                      int64_t *cto0, int64_t *pres_end, uint64_t *dur, int64_t *samples)
{
    const uint8_t *end = p + len, *b;
    size_t blen, tot;
    uint32_t type;
    (void)c;
    while (next_box(p, end, &type, &b, &blen, &tot)) {
        p += tot;
        if (type != FOURCC('t', 'r', 'a', 'f'))
            continue;
        const uint8_t *q = b, *qe = b + blen, *tb;
        size_t tl, tt;
        uint32_t ty, def_dur = v->trex_duration;
        int ours = 0, have_tfdt = 0;
        uint64_t sum = 0;
        int64_t n = 0;
        while (next_box(q, qe, &ty, &tb, &tl, &tt)) {
            q += tt;
            if (ty == FOURCC('t', 'f', 'h', 'd') && tl >= 8) {
                uint32_t flags = be32(tb) & 0xffffff;
                size_t o = 8;
                ours = be32(tb + 4) == v->id;
                if (flags & 0x01)
                    o += 8;
                if (flags & 0x02)
                    o += 4;
                if ((flags & 0x08) && tl >= o + 4)
                    def_dur = be32(tb + o);
            } else if (ours && ty == FOURCC('t', 'f', 'd', 't') && tl >= 8) {
                *tfdt = tb[0] == 1 && tl >= 12 ? be64(tb + 4) : be32(tb + 4);
                have_tfdt = 1;
            } else if (ours && ty == FOURCC('t', 'r', 'u', 'n') && tl >= 8) {
                uint32_t flags = be32(tb) & 0xffffff, count = be32(tb + 4);
                size_t o = 8, per = 0;
                if (flags & 0x01)
                    o += 4;
                if (flags & 0x04)
                    o += 4;
                per = 4u * (!!(flags & 0x100) + !!(flags & 0x200) + !!(flags & 0x400) + !!(flags & 0x800));
                size_t cto_at = 4u * (!!(flags & 0x100) + !!(flags & 0x200) + !!(flags & 0x400));
                for (uint32_t i = 0; i < count; i++) {
                    uint64_t d = def_dur;
                    int64_t cto = 0;
                    if (flags & 0x100) {
                        if (o + 4 > tl)
                            return 0;
                        d = be32(tb + o);
                    }
                    if ((flags & 0x800) && o + cto_at + 4 <= tl)
                        cto = tb[0] == 1 ? (int64_t)(int32_t)be32(tb + o + cto_at) : (int64_t)be32(tb + o + cto_at);
                    if (n == 0 && i == 0)
                        *cto0 = cto;
                    /* the latest picture's end, from the fragment's decode start */
                    if ((int64_t)(sum + d) + cto > *pres_end)
                        *pres_end = (int64_t)(sum + d) + cto;
                    sum += d;
                    o += per;
                }
                n += count;
            }
        }
        if (ours && have_tfdt) {
            *dur = sum;
            *samples = n;
            return 1;
        }
    }
    return 0;
}

static int64_t to_us(uint64_t t, uint32_t timescale)
{
    return (int64_t)((t / timescale) * 1000000 + ((t % timescale) * 1000000 + timescale / 2) / timescale);
}

/* Reads a whole box at off (header included) into a new buffer. */
static nvr_err read_box(fmp4_read_fn read, void *arg, uint64_t off, uint64_t size, uint8_t **out)
{
    if (size > MAX_BOX)
        return NVR_ECODEC;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return NVR_ENOMEM;
    if (read(arg, off, buf, size) != (long)size) {
        free(buf);
        return NVR_EIO;
    }
    *out = buf;
    return NVR_OK;
}

/* Header of the top-level box at off: type and total size; 0 if it does not fit in size. */
static int top_box(fmp4_read_fn read, void *arg, uint64_t off, uint64_t size, uint32_t *type, uint64_t *bsize,
                   uint32_t *hdr)
{
    uint8_t h[16];
    if (size - off < 8 || read(arg, off, h, 8) != 8)
        return 0;
    *type = be32(h + 4);
    *bsize = be32(h);
    *hdr = 8;
    if (*bsize == 1) {
        if (size - off < 16 || read(arg, off + 8, h + 8, 8) != 8)
            return 0;
        *bsize = be64(h + 8);
        *hdr = 16;
    } else if (*bsize == 0) {
        *bsize = size - off;
    }
    return *bsize >= *hdr && *bsize <= size - off;
}

nvr_err fmp4_scan(fmp4_read_fn read, void *arg, uint64_t size, struct fmp4_scan *out)
{
    struct scan_ctx c = {.out = out};
    uint8_t *box = NULL;
    uint64_t off = 0, bsize, prev_tfdt = 0;
    uint32_t type, hdr;
    int rc = NVR_ECODEC, have_prev = 0;
    struct track *v = NULL;
    memset(out, 0, sizeof *out);
    out->file_bytes = size;
    if (!top_box(read, arg, off, size, &type, &bsize, &hdr) || type != FOURCC('f', 't', 'y', 'p'))
        goto out;
    off += bsize;
    if (!top_box(read, arg, off, size, &type, &bsize, &hdr) || type != FOURCC('m', 'o', 'o', 'v'))
        goto out;
    if ((rc = read_box(read, arg, off, bsize, &box)))
        goto out;
    if ((rc = parse_moov(&c, box + hdr, bsize - hdr)))
        goto out;
    free(box);
    box = NULL;
    off += bsize;
    out->init_bytes = (uint32_t)off;
    out->bytes = off;
    for (int i = 0; i < c.nt; i++)
        if (c.t[i].video && !v)
            v = &c.t[i];
    /* fragments: moof then mdat, until the end or a torn box */
    uint64_t last_dur = 0;
    while (top_box(read, arg, off, size, &type, &bsize, &hdr)) {
        uint64_t moof_size = bsize, tfdt = 0, dur = 0, mdat_size;
        int64_t cto0 = 0, pres_end = 0;
        uint32_t mtype, mhdr;
        int64_t samples = 0;
        if (type != FOURCC('m', 'o', 'o', 'f'))
            break;
        if (!top_box(read, arg, off + moof_size, size, &mtype, &mdat_size, &mhdr) ||
            mtype != FOURCC('m', 'd', 'a', 't'))
            break;
        if ((rc = read_box(read, arg, off, moof_size, &box)))
            goto out;
        int has_video = parse_moof(&c, v, box + hdr, moof_size - hdr, &tfdt, &cto0, &pres_end, &dur, &samples);
        free(box);
        box = NULL;
        if (!has_video) {
            tfdt = have_prev ? prev_tfdt + last_dur : 0;
        } else if (cto0 > 0) {
            /* media time is presentation time: the keyframe's, to the latest picture's end */
            tfdt += (uint64_t)cto0;
            dur = pres_end > cto0 ? (uint64_t)(pres_end - cto0) : dur;
        }
        if (have_prev) /* the previous fragment lasts until this one starts */
            out->frags.v[out->frags.n - 1].duration_us =
                (uint32_t)(to_us(tfdt, v->timescale) - to_us(prev_tfdt, v->timescale));
        else
            out->media_start_us = to_us(tfdt, v->timescale);
        if ((rc = fragments_append(&out->frags, (uint32_t)(moof_size + mdat_size),
                                   (uint32_t)(to_us(tfdt + dur, v->timescale) - to_us(tfdt, v->timescale)))))
            goto out;
        out->frames += samples;
        prev_tfdt = tfdt;
        last_dur = dur;
        have_prev = 1;
        off += moof_size + mdat_size;
        out->bytes = off;
    }
    out->media_us = (int64_t)fragments_duration_us(&out->frags, out->frags.n);
    rc = NVR_OK;
out:
    free(box);
    if (rc)
        fragments_free(&out->frags);
    return rc;
}

static long fd_read(void *arg, uint64_t off, void *buf, size_t n)
{
    int fd = *(int *)arg;
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, (uint8_t *)buf + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        done += (size_t)r;
    }
    return (long)done;
}

nvr_err fmp4_scan_fd(int fd, struct fmp4_scan *out)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return nvr_err_from_errno(errno);
    return fmp4_scan(fd_read, &fd, (uint64_t)sb.st_size, out);
}
