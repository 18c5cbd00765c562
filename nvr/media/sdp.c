/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sdp.c - SDP parsing for the RTSP reader (see sdp.h).
 *
 * One pass over the lines: m= opens a media section, a= lines apply to the
 * open section (or the session before the first m=).  a=fmtp may come
 * before or after its a=rtpmap, so fmtp text is remembered (as a slice of the
 * input) and decoded once the whole description has been read.
 */
#include "media/sdp.h"

#include "base/err.h"

#include <libavcodec/avcodec.h>
#include <libavutil/base64.h>
#include <libavutil/mem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TOKEN_MAX 4096

struct slice {
    const char *p;
    size_t n;
};

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct slice trim(struct slice s)
{
    while (s.n > 0 && is_space(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n > 0 && is_space(s.p[s.n - 1]))
        s.n--;
    return s;
}

/* Does s start with the (case-insensitive) prefix? Advances s past it if so. */
static int eat_prefix(struct slice *s, const char *prefix)
{
    size_t n = strlen(prefix);
    if (s->n < n || strncasecmp(s->p, prefix, n) != 0)
        return 0;
    s->p += n;
    s->n -= n;
    return 1;
}

static void copy_slice(char *dst, size_t cap, struct slice s)
{
    size_t n = s.n < cap - 1 ? s.n : cap - 1;
    memcpy(dst, s.p, n);
    dst[n] = '\0';
}

/* Parses a non-negative decimal integer prefix; -1 if there is none or it overflows. */
static long parse_uint(struct slice *s)
{
    long v = 0;
    size_t i = 0;
    while (i < s->n && s->p[i] >= '0' && s->p[i] <= '9') {
        if (v > 100000000)
            return -1;
        v = v * 10 + (s->p[i] - '0');
        i++;
    }
    if (i == 0)
        return -1;
    s->p += i;
    s->n -= i;
    return v;
}

/* Splits off the next field of s up to sep (not included); s moves past it. */
static struct slice next_field(struct slice *s, char sep)
{
    struct slice f = {s->p, 0};
    while (f.n < s->n && s->p[f.n] != sep)
        f.n++;
    s->p += f.n;
    s->n -= f.n;
    if (s->n > 0) {
        s->p++;
        s->n--;
    }
    return f;
}

struct pending {
    struct slice fmtp; /* of the media's payload type, if seen */
};

/* Appends len bytes (with a start code before them if sc) to the extradata. */
static nvr_err extradata_append(struct sdp_media *m, const uint8_t *data, size_t len, int sc)
{
    static const uint8_t start_code[4] = {0, 0, 0, 1};
    size_t add = len + (sc ? 4 : 0);
    size_t old = (size_t)m->extradata_size;
    if (old + add > (1u << 20))
        return NVR_EINVAL;
    uint8_t *p = av_realloc(m->extradata, old + add + AV_INPUT_BUFFER_PADDING_SIZE);
    if (!p)
        return NVR_ENOMEM;
    m->extradata = p;
    if (sc)
        memcpy(p + old, start_code, 4);
    memcpy(p + old + (sc ? 4 : 0), data, len);
    m->extradata_size = (int)(old + add);
    memset(p + m->extradata_size, 0, AV_INPUT_BUFFER_PADDING_SIZE);
    return NVR_OK;
}

/* Decodes a comma-separated list of base64 NAL units into Annex-B extradata. */
static nvr_err append_nal_list(struct sdp_media *m, struct slice list)
{
    char tok[TOKEN_MAX];
    uint8_t bin[TOKEN_MAX];
    while (list.n > 0) {
        struct slice t = trim(next_field(&list, ','));
        if (t.n == 0 || t.n >= sizeof tok)
            continue;
        copy_slice(tok, sizeof tok, t);
        int n = av_base64_decode(bin, tok, (int)sizeof bin);
        if (n <= 0)
            continue;
        int rc = extradata_append(m, bin, (size_t)n, 1);
        if (rc == NVR_ENOMEM)
            return rc;
    }
    return NVR_OK;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static nvr_err append_hex(struct sdp_media *m, struct slice hex)
{
    uint8_t bin[TOKEN_MAX / 2];
    size_t n = 0;
    for (size_t i = 0; i + 1 < hex.n && n < sizeof bin; i += 2) {
        int hi = hex_value(hex.p[i]), lo = hex_value(hex.p[i + 1]);
        if (hi < 0 || lo < 0)
            break;
        bin[n++] = (uint8_t)(hi << 4 | lo);
    }
    return n > 0 ? extradata_append(m, bin, n, 0) : NVR_OK;
}

static long slice_int(struct slice v)
{
    struct slice t = trim(v);
    long x = parse_uint(&t);
    return x < 0 ? 0 : x;
}

/* Bit reader over a byte string; reads past the end set `over`. */
struct bits {
    const uint8_t *p;
    size_t n, pos;
    int over;
};

static unsigned get_bits(struct bits *b, int k)
{
    unsigned v = 0;
    for (int i = 0; i < k; i++, b->pos++) {
        if (b->pos >= b->n * 8) {
            b->over = 1;
            return 0;
        }
        v = v << 1 | ((b->p[b->pos >> 3] >> (7 - (b->pos & 7))) & 1);
    }
    return v;
}

/*
 * RFC 6416 config= is a StreamMuxConfig (ISO 14496-3 1.7.3), with the
 * AudioSpecificConfig at a bit offset inside it.  Taken: audioMuxVersion 0,
 * allStreamsSameTimeFraming, one subframe, program and layer, AAC-LC
 * (object type 2) with a GASpecificConfig, without SBR, frameLengthType 0
 * (frames carry their byte length).  The AudioSpecificConfig's bits are copied out
 * byte-aligned into asc.  Returns its length, or 0 if not taken.
 */
static size_t latm_asc(const uint8_t *smc, size_t n, uint8_t *asc, size_t cap)
{
    struct bits b = {smc, n, 0, 0};
    if (get_bits(&b, 1) != 0 || get_bits(&b, 1) != 1 || get_bits(&b, 6) != 0 || get_bits(&b, 4) != 0 ||
        get_bits(&b, 3) != 0)
        return 0; /* audioMuxVersion, allStreamsSameTimeFraming, numSubFrames, numProgram, numLayer */
    size_t start = b.pos;
    if (get_bits(&b, 5) != 2)
        return 0; /* AAC-LC only */
    if (get_bits(&b, 4) == 15)
        get_bits(&b, 24); /* explicit sampling frequency */
    unsigned channels = get_bits(&b, 4);
    get_bits(&b, 1); /* frameLengthFlag */
    if (get_bits(&b, 1))
        get_bits(&b, 14); /* coreCoderDelay */
    if (get_bits(&b, 1) != 0)
        return 0; /* extensionFlag: not for AAC-LC */
    size_t end = b.pos;
    /* a backward-compatible SBR signal (sync extension 0x2b7, type 5) may
     * follow: skipped (not copied) when it says "no SBR", refused otherwise */
    if (get_bits(&b, 11) == 0x2b7 && get_bits(&b, 5) == 5) {
        if (get_bits(&b, 1) != 0)
            return 0;
    } else {
        b.pos = end;
        b.over = 0;
    }
    if (channels == 0 || get_bits(&b, 3) != 0 || b.over)
        return 0; /* frameLengthType 0 */
    size_t len = (end - start + 7) / 8;
    if (len > cap)
        return 0;
    memset(asc, 0, len);
    b.pos = start;
    for (size_t i = 0; i < end - start; i++)
        asc[i >> 3] |= (uint8_t)(get_bits(&b, 1) << (7 - (i & 7)));
    return len;
}

/* Decodes the media's fmtp parameters according to its codec. */
static nvr_err apply_fmtp(struct sdp_media *m, struct slice fmtp)
{
    /* H.265 parameter sets go VPS, SPS, PPS, SEI whatever order the line has */
    static const char *const h265_keys[] = {"sprop-vps", "sprop-sps", "sprop-pps", "sprop-sei"};
    int rc = NVR_OK;
    int aac_mode = 0, cpresent = 1;
    struct slice latm_config = {NULL, 0};
    for (int pass = 0; pass < (m->codec == SDP_CODEC_H265 ? 4 : 1) && rc == NVR_OK; pass++) {
        struct slice rest = fmtp;
        while (rest.n > 0 && rc == NVR_OK) {
            struct slice kv = trim(next_field(&rest, ';'));
            struct slice key = trim(next_field(&kv, '=')), val = trim(kv);
            char k[32];
            if (key.n == 0 || key.n >= sizeof k)
                continue;
            copy_slice(k, sizeof k, key);
            if (m->codec == SDP_CODEC_H265) {
                if (strcasecmp(k, h265_keys[pass]) == 0)
                    rc = append_nal_list(m, val);
                else if (pass == 0 && strcasecmp(k, "sprop-max-don-diff") == 0) {
                    long v = slice_int(val);
                    m->max_don_diff = v > 32767 ? 32767 : (int)v;
                }
            } else if (m->codec == SDP_CODEC_H264) {
                if (strcasecmp(k, "sprop-parameter-sets") == 0)
                    rc = append_nal_list(m, val);
                else if (strcasecmp(k, "packetization-mode") == 0)
                    m->packetization_mode = (int)slice_int(val);
            } else if (strcasecmp(m->encoding, "mpeg4-generic") == 0) {
                if (strcasecmp(k, "config") == 0 && m->extradata_size == 0)
                    rc = append_hex(m, val);
                else if (strcasecmp(k, "sizelength") == 0)
                    m->size_length = (int)slice_int(val);
                else if (strcasecmp(k, "indexlength") == 0)
                    m->index_length = (int)slice_int(val);
                else if (strcasecmp(k, "indexdeltalength") == 0)
                    m->index_delta_length = (int)slice_int(val);
                else if (strcasecmp(k, "mode") == 0 && val.n >= 3 && strncasecmp(val.p, "AAC", 3) == 0)
                    aac_mode = 1;
                else if (strcasecmp(k, "streamtype") == 0 && slice_int(val) == 5)
                    aac_mode = aac_mode ? aac_mode : 2;
            } else if (strcasecmp(m->encoding, "MP4A-LATM") == 0) {
                if (strcasecmp(k, "cpresent") == 0)
                    cpresent = val.n != 1 || val.p[0] != '0';
                else if (strcasecmp(k, "config") == 0)
                    latm_config = val;
            }
        }
    }
    if (aac_mode && m->size_length > 0 && m->size_length <= 16 && m->index_length <= 16 && m->index_delta_length <= 16)
        m->codec = SDP_CODEC_AAC;
    if (rc == NVR_OK && !cpresent && latm_config.p && m->extradata_size == 0) {
        /* the config's bytes are read through a scratch extradata, then replaced by the ASC */
        uint8_t asc[16];
        size_t n;
        if ((rc = append_hex(m, latm_config)) == NVR_OK && m->extradata_size > 0 &&
            (n = latm_asc(m->extradata, (size_t)m->extradata_size, asc, sizeof asc)) > 0) {
            memcpy(m->extradata, asc, n);
            memset(m->extradata + n, 0, AV_INPUT_BUFFER_PADDING_SIZE);
            m->extradata_size = (int)n;
            m->codec = SDP_CODEC_AAC_LATM;
        } else if (rc == NVR_OK) {
            av_freep(&m->extradata);
            m->extradata_size = 0;
        }
    }
    return rc;
}

static void parse_rtpmap(struct sdp_media *m, struct slice v)
{
    long pt = parse_uint(&v);
    if (pt != m->payload_type)
        return;
    v = trim(v);
    struct slice enc = next_field(&v, '/');
    copy_slice(m->encoding, sizeof m->encoding, trim(enc));
    long rate = parse_uint(&v);
    m->clock_rate = rate > 0 ? (int)rate : 0;
    if (v.n > 0 && v.p[0] == '/') {
        v.p++;
        v.n--;
        long ch = parse_uint(&v);
        m->channels = ch > 0 && ch <= 64 ? (int)ch : 1;
    }
}

static void parse_m_line(struct sdp_media *m, struct slice v)
{
    copy_slice(m->type, sizeof m->type, trim(next_field(&v, ' ')));
    next_field(&v, ' '); /* port */
    next_field(&v, ' '); /* protocol */
    v = trim(v);
    long pt = parse_uint(&v);
    m->payload_type = pt >= 0 && pt < 128 ? (int)pt : -1;
    m->channels = 1;
    /* static payload types carry no rtpmap */
    if (m->payload_type == 0 || m->payload_type == 8) {
        snprintf(m->encoding, sizeof m->encoding, "%s", m->payload_type == 0 ? "PCMU" : "PCMA");
        m->clock_rate = 8000;
    }
}

nvr_err sdp_parse(struct sdp *s, const char *text, size_t len)
{
    struct pending pend[SDP_MAX_MEDIA];
    struct slice all = {text, len};
    struct sdp_media *m = NULL;
    int rc = NVR_OK, skipping = 0;
    memset(s, 0, sizeof *s);
    memset(pend, 0, sizeof pend);
    while (all.n > 0) {
        struct slice line = trim(next_field(&all, '\n'));
        if (line.n < 2 || line.p[1] != '=')
            continue;
        char kind = line.p[0];
        struct slice v = {line.p + 2, line.n - 2};
        if (kind == 'm') {
            if (s->nmedia == SDP_MAX_MEDIA) {
                skipping = 1; /* further media are ignored */
                m = NULL;
                continue;
            }
            m = &s->media[s->nmedia++];
            parse_m_line(m, v);
            continue;
        }
        if (kind != 'a' || skipping)
            continue;
        if (eat_prefix(&v, "control:")) {
            if (m)
                copy_slice(m->control, sizeof m->control, trim(v));
            else
                copy_slice(s->control, sizeof s->control, trim(v));
        } else if (m && eat_prefix(&v, "rtpmap:")) {
            parse_rtpmap(m, v);
        } else if (m && eat_prefix(&v, "fmtp:")) {
            long pt = parse_uint(&v);
            if (pt == m->payload_type)
                pend[m - s->media].fmtp = trim(v);
        } else if (m && eat_prefix(&v, "framerate:")) {
            char num[32];
            copy_slice(num, sizeof num, trim(v));
            double fr = strtod(num, NULL);
            m->framerate = fr > 0 && fr < 1000 ? fr : 0;
        }
    }
    for (int i = 0; i < s->nmedia && rc == NVR_OK; i++) {
        m = &s->media[i];
        if (strcasecmp(m->encoding, "H264") == 0)
            m->codec = SDP_CODEC_H264;
        else if (strcasecmp(m->encoding, "H265") == 0 || strcasecmp(m->encoding, "HEVC") == 0)
            m->codec = SDP_CODEC_H265;
        else if (strcasecmp(m->encoding, "PCMU") == 0 && m->clock_rate > 0)
            m->codec = SDP_CODEC_PCMU;
        else if (strcasecmp(m->encoding, "PCMA") == 0 && m->clock_rate > 0)
            m->codec = SDP_CODEC_PCMA;
        if (pend[i].fmtp.p)
            rc = apply_fmtp(m, pend[i].fmtp);
        if ((m->codec == SDP_CODEC_AAC || m->codec == SDP_CODEC_AAC_LATM) && m->extradata_size == 0)
            m->codec = SDP_CODEC_OTHER; /* AAC without its config cannot be muxed */
    }
    if (rc == NVR_OK && s->nmedia == 0)
        rc = NVR_EINVAL;
    if (rc)
        sdp_free(s);
    return rc;
}

void sdp_free(struct sdp *s)
{
    for (int i = 0; i < s->nmedia; i++) {
        av_freep(&s->media[i].extradata);
        s->media[i].extradata_size = 0;
    }
}
