/* SPDX-License-Identifier: Apache-2.0 */
/*
 * h26x_sps.c - the reorder depth of an H.264 or H.265 stream from its SPS
 * (see h26x.h, h26x_reorder_depth).
 *
 * What is read, and why it is enough:
 *  - H.265: sps_max_num_reorder_pics[HighestTid] is a mandatory SPS field,
 *    before the VUI; it is exact.
 *  - H.264: max_num_reorder_frames sits at the very end of the VUI, inside
 *    bitstream_restriction.  When the VUI or that part of it is absent the
 *    standard (E.2.1) infers MaxDpbFrames, except for profiles without
 *    B-slices (Baseline 66, Constrained Baseline; and intra-only profiles
 *    with constraint_set3) where it is 0.  MaxDpbFrames comes from the
 *    level's MaxDpbMbs (table A-1) and the frame size, at most 16.
 * The parse walks the RBSP (emulation prevention bytes removed) with a
 * bounded bit reader: reading past the end makes the result "unknown" (-1),
 * never an out-of-bounds access.  Scaling lists and HRD parameters are
 * skipped field by field.
 */
#include "media/h26x.h"

#include <stdint.h>
#include <string.h>

#define SPS_MAX 1024 /* RBSP bytes looked at; real SPSs are < 100 */

struct bits {
    const uint8_t *d;
    size_t n;   /* bytes */
    size_t pos; /* bits read */
    int overrun;
};

static unsigned bit(struct bits *b)
{
    if (b->pos >= b->n * 8) {
        b->overrun = 1;
        return 0;
    }
    unsigned v = (b->d[b->pos / 8] >> (7 - b->pos % 8)) & 1u;
    b->pos++;
    return v;
}

static uint32_t u(struct bits *b, int n)
{
    uint32_t v = 0;
    while (n-- > 0)
        v = v << 1 | bit(b);
    return v;
}

/* Exp-Golomb; values past 2^31 mark the reader overrun (no real field is that big). */
static uint32_t ue(struct bits *b)
{
    int zeros = 0;
    while (!bit(b)) {
        if (++zeros > 31 || b->overrun) {
            b->overrun = 1;
            return 0;
        }
    }
    return ((1u << zeros) - 1) + u(b, zeros);
}

static int32_t se(struct bits *b)
{
    uint32_t k = ue(b);
    return (k & 1) ? (int32_t)((k + 1) / 2) : -(int32_t)(k / 2);
}

/* The RBSP of a NAL unit (header included) without emulation prevention bytes. */
static size_t rbsp(const uint8_t *nal, size_t len, uint8_t *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0, zeros = 0; i < len && k < cap; i++) {
        if (zeros >= 2 && nal[i] == 3) {
            zeros = 0;
            continue;
        }
        zeros = nal[i] == 0 ? zeros + 1 : 0;
        out[k++] = nal[i];
    }
    return k;
}

static void skip_scaling_list(struct bits *b, int size)
{
    int last = 8, next = 8;
    for (int j = 0; j < size && !b->overrun; j++) {
        if (next != 0)
            next = (last + se(b) + 256) % 256;
        last = next == 0 ? last : next;
    }
}

static void skip_h264_hrd(struct bits *b)
{
    uint32_t cpb = ue(b) + 1;
    u(b, 8); /* bit_rate_scale, cpb_size_scale */
    for (uint32_t i = 0; i < cpb && i < 32 && !b->overrun; i++) {
        ue(b);
        ue(b);
        bit(b);
    }
    u(b, 20); /* four 5-bit lengths and delays */
}

/* MaxDpbFrames (A.3.1 h, table A-1) for a level and a frame of mbs macroblocks. */
static int h264_max_dpb_frames(unsigned level, int constraint3, unsigned mbs)
{
    static const struct {
        unsigned level;
        unsigned dpb_mbs;
    } t[] = {
        {9, 396},     {10, 396},    {11, 900},    {12, 2376},   {13, 2376},   {20, 2376},   {21, 4752},
        {22, 8100},   {30, 8100},   {31, 18000},  {32, 20480},  {40, 32768},  {41, 32768},  {42, 34816},
        {50, 110400}, {51, 184320}, {52, 184320}, {60, 696320}, {61, 696320}, {62, 696320},
    };
    if (level == 11 && constraint3)
        level = 9; /* level 1b */
    unsigned dpb = 184320;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (t[i].level == level)
            dpb = t[i].dpb_mbs;
    unsigned f = mbs ? dpb / mbs : 16;
    return f > 16 ? 16 : (int)f;
}

static int h264_depth(struct bits *b)
{
    u(b, 8); /* NAL header */
    unsigned profile = u(b, 8), cons = u(b, 8), level = u(b, 8);
    int constraint3 = (cons >> 4) & 1;
    ue(b); /* seq_parameter_set_id */
    if (profile == 100 || profile == 110 || profile == 122 || profile == 244 || profile == 44 || profile == 83 ||
        profile == 86 || profile == 118 || profile == 128 || profile == 138 || profile == 139 || profile == 134 ||
        profile == 135) {
        uint32_t chroma = ue(b);
        if (chroma == 3)
            bit(b);
        ue(b);
        ue(b);
        bit(b);
        if (bit(b)) /* seq_scaling_matrix_present_flag */
            for (int i = 0; i < (chroma != 3 ? 8 : 12) && !b->overrun; i++)
                if (bit(b))
                    skip_scaling_list(b, i < 6 ? 16 : 64);
    }
    ue(b); /* log2_max_frame_num_minus4 */
    uint32_t poc = ue(b);
    if (poc == 0) {
        ue(b);
    } else if (poc == 1) {
        bit(b);
        se(b);
        se(b);
        uint32_t n = ue(b);
        for (uint32_t i = 0; i < n && i < 256 && !b->overrun; i++)
            se(b);
    }
    ue(b); /* max_num_ref_frames */
    bit(b);
    uint32_t w = ue(b) + 1, h = ue(b) + 1;
    int frame_mbs_only = (int)bit(b);
    if (!frame_mbs_only)
        bit(b);
    bit(b);       /* direct_8x8_inference_flag */
    if (bit(b)) { /* frame_cropping_flag */
        ue(b);
        ue(b);
        ue(b);
        ue(b);
    }
    if (b->overrun)
        return -1;
    int no_b = profile == 66 ||
               (constraint3 && (profile == 44 || profile == 110 || profile == 122 || profile == 244 || profile == 100));
    int inferred = no_b ? 0 : h264_max_dpb_frames(level, constraint3, w * h * (2 - (unsigned)frame_mbs_only));
    if (!bit(b)) /* vui_parameters_present_flag */
        return b->overrun ? -1 : inferred;
    if (bit(b) && u(b, 8) == 255) /* aspect_ratio_info; Extended_SAR */
        u(b, 32);
    if (bit(b)) /* overscan_info_present_flag */
        bit(b);
    if (bit(b)) { /* video_signal_type_present_flag */
        u(b, 4);
        if (bit(b))
            u(b, 24);
    }
    if (bit(b)) { /* chroma_loc_info_present_flag */
        ue(b);
        ue(b);
    }
    if (bit(b)) /* timing_info_present_flag */
        u(b, 65);
    int nal_hrd = (int)bit(b);
    if (nal_hrd)
        skip_h264_hrd(b);
    int vcl_hrd = (int)bit(b);
    if (vcl_hrd)
        skip_h264_hrd(b);
    if (nal_hrd || vcl_hrd)
        bit(b);
    bit(b);      /* pic_struct_present_flag */
    if (!bit(b)) /* bitstream_restriction_flag */
        return b->overrun ? -1 : inferred;
    bit(b);
    ue(b);
    ue(b);
    ue(b);
    ue(b);
    uint32_t reorder = ue(b);
    ue(b); /* max_dec_frame_buffering */
    if (b->overrun || reorder > 16)
        return -1;
    return (int)reorder;
}

static int h265_depth(struct bits *b)
{
    u(b, 16);               /* NAL header */
    u(b, 4);                /* sps_video_parameter_set_id */
    unsigned sub = u(b, 3); /* sps_max_sub_layers_minus1 */
    bit(b);
    /* profile_tier_level(1, sub) */
    u(b, 32);
    u(b, 32);
    u(b, 32); /* 88 bits of general profile, then general_level_idc */
    int prof[8] = {0}, lev[8] = {0};
    for (unsigned i = 0; i < sub; i++) {
        prof[i] = (int)bit(b);
        lev[i] = (int)bit(b);
    }
    if (sub > 0)
        for (unsigned i = sub; i < 8; i++)
            u(b, 2);
    for (unsigned i = 0; i < sub; i++) {
        if (prof[i]) {
            u(b, 32);
            u(b, 32);
            u(b, 24);
        }
        if (lev[i])
            u(b, 8);
    }
    ue(b);          /* sps_seq_parameter_set_id */
    if (ue(b) == 3) /* chroma_format_idc */
        bit(b);
    ue(b);
    ue(b);
    if (bit(b)) { /* conformance_window_flag */
        ue(b);
        ue(b);
        ue(b);
        ue(b);
    }
    ue(b);
    ue(b);
    ue(b);                 /* bit depths, log2_max_pic_order_cnt_lsb_minus4 */
    int all = (int)bit(b); /* sps_sub_layer_ordering_info_present_flag */
    uint32_t reorder = 0;
    for (unsigned i = all ? 0 : sub; i <= sub && !b->overrun; i++) {
        ue(b);
        reorder = ue(b);
        ue(b);
    }
    if (b->overrun || reorder > 16)
        return -1;
    return (int)reorder;
}

int h26x_reorder_depth(enum AVCodecID codec, const uint8_t *data, size_t size)
{
    const uint8_t *nal;
    size_t len;
    uint8_t r[SPS_MAX];
    if (!h26x_find_sps(codec, data, size, &nal, &len))
        return -1;
    struct bits b = {r, rbsp(nal, len, r, sizeof r), 0, 0};
    if (codec == AV_CODEC_ID_H264)
        return h264_depth(&b);
    if (codec == AV_CODEC_ID_HEVC)
        return h265_depth(&b);
    return -1;
}
