/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sdp.h - the part of an RTSP DESCRIBE answer (SDP, RFC 8866) the ingest
 * needs: one entry per m= line with its control URL, RTP clock and codec
 * configuration.
 *
 * Codec configuration comes out ready for AVCodecParameters.extradata:
 *   H.264  sprop-parameter-sets (RFC 6184) -> Annex-B, 4-byte start codes
 *   H.265  sprop-vps/sps/pps (RFC 7798)     -> Annex-B, VPS SPS PPS order
 *   AAC    mpeg4-generic config= (RFC 3640) -> the AudioSpecificConfig bytes
 *   AAC    MP4A-LATM config= (RFC 6416, cpresent=0: a StreamMuxConfig with
 *          one program, one layer, one subframe, AAC-LC, frameLengthType 0)
 *          -> the AudioSpecificConfig it holds; any other LATM stays "other"
 *   G.711  PCMU/PCMA (RFC 3551; payload types 0 and 8 need no rtpmap) -> none
 * which is what libavformat's RTSP demuxer produced, so the rest of the
 * pipeline sees no difference between the two ingest implementations.
 *
 * Malformed lines are skipped, never fatal: a camera's SDP is often sloppy.
 * Threads: none of its own; a struct sdp belongs to its caller.
 */
#ifndef NVR_SDP_H
#define NVR_SDP_H

#include "base/err.h"
#include <stddef.h>
#include <stdint.h>

#define SDP_MAX_MEDIA 8
#define SDP_CONTROL_MAX 512

enum sdp_codec {
    SDP_CODEC_OTHER = 0,
    SDP_CODEC_H264,
    SDP_CODEC_H265,
    SDP_CODEC_AAC,      /* mpeg4-generic, AAC-hbr or AAC-lbr */
    SDP_CODEC_PCMU,     /* G.711 µ-law: static payload type 0 or PCMU/rate */
    SDP_CODEC_PCMA,     /* G.711 A-law: static payload type 8 or PCMA/rate */
    SDP_CODEC_AAC_LATM, /* MP4A-LATM (RFC 6416), cpresent=0, AAC-LC config= */
};

struct sdp_media {
    char type[16];     /* "video", "audio", "application", ... */
    int payload_type;  /* the first one of the m= line */
    char encoding[32]; /* rtpmap encoding name as given ("H264") */
    enum sdp_codec codec;
    int clock_rate;                /* rtpmap, 90000 for video; 0 if unknown */
    int channels;                  /* rtpmap, audio only; 1 if not given */
    char control[SDP_CONTROL_MAX]; /* a=control, "" if none */
    double framerate;              /* a=framerate, 0 if not given */
    uint8_t *extradata;            /* av_malloc'ed with zeroed padding; NULL if none */
    int extradata_size;
    int packetization_mode; /* H.264 */
    int max_don_diff;       /* H.265 sprop-max-don-diff (0 to 32767): above 0 the
                             * payloads carry DONL/DOND fields (RFC 7798 4.4) */
    int size_length;        /* AAC AU-header field widths in bits */
    int index_length;
    int index_delta_length;
};

struct sdp {
    char control[SDP_CONTROL_MAX]; /* session-level a=control, "" if none */
    int nmedia;
    struct sdp_media media[SDP_MAX_MEDIA];
};

/* Parses text (len bytes, need not be NUL-terminated) into *s, which the
 * caller later releases with sdp_free.  Returns NVR_OK, NVR_EINVAL if there
 * is no m= line at all, or NVR_ENOMEM. */
nvr_err sdp_parse(struct sdp *s, const char *text, size_t len);

/* Frees what sdp_parse allocated inside *s (not s itself); idempotent. */
void sdp_free(struct sdp *s);

#endif
