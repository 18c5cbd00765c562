/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtp_depack.h - RTP packets of one track in, whole frames out: H.264
 * (RFC 6184) and H.265 (RFC 7798) access units in Annex-B, AAC frames from
 * mpeg4-generic (RFC 3640) and MP4A-LATM (RFC 6416, cpresent=0: the frames
 * of one timestamp up to the marker bit), G.711 samples (RFC 3551 PCMU/PCMA:
 * the payloads of packets that follow one another on the RTP clock are
 * joined into one frame at the first one's timestamp, up to 4 KiB, and
 * queued when one does not follow, or at rtp_depack_flush_joined); plus the RTCP
 * sender-report parser.
 *
 * Why join G.711: a camera sends it in packets of 20 ms (160 bytes), 50 a
 * second, and every frame handed out costs an allocation and a trip through
 * the ingest; the caller flushes whenever it is about to wait for input, so
 * joining adds no delay (bench/README.md, "G.711").
 *
 * Video: every NAL unit of an access unit gets a 4-byte start code (what
 * libavformat's RTSP demuxer hands over, and what nvr/media/h26x.c and the mp4
 * muxer expect), and the frame carries where each unit is (its nal_layout,
 * base/nal_layout.h), so the segment writer need not scan for them.  An
 * access unit ends at the RTP marker bit or when the timestamp changes.  It
 * is a keyframe when it holds an IDR slice (H.264), an SEI recovery point
 * with a slice (H.264), or an IRAP picture (H.265).
 *
 * Sequence numbers: a gap counts the missing packets as lost.  The access
 * unit that was being assembled when the gap was found is incomplete and is
 * dropped, and so is every frame after it until the next keyframe (the
 * decoder would have nothing to refer to); `frames_dropped` counts them.
 * A packet that is late or repeated (sequence number behind the highest seen)
 * is ignored.  Audio frames are independent: only the damaged one is dropped.
 *
 * Timestamps: RTP's 32-bit timestamps are unwrapped to 64 bits; the first
 * packet's timestamp is taken as is, each next one adds the signed 32-bit
 * difference.  So a frame's `ts` keeps growing across the 2^32 wrap.
 *
 * Threads: a struct rtp_depack is used by one thread.
 */
#ifndef NVR_RTP_DEPACK_H
#define NVR_RTP_DEPACK_H

#include "base/err.h"

#include "media/sdp.h"

#include <stddef.h>
#include <stdint.h>

struct rtp_header {
    int payload_type;
    int marker;
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    const uint8_t *payload; /* points into the packet */
    size_t payload_len;
};

/* Parses an RTP fixed header (version 2, CSRCs, extension, padding).
 * Returns NVR_OK or NVR_EINVAL for anything that is not a valid RTP packet. */
nvr_err rtp_parse_header(const uint8_t *pkt, size_t len, struct rtp_header *h);

struct nal_layout;

struct rtp_frame {
    uint8_t *data; /* malloc'ed (not av_malloc: no aligned allocation per
                    * frame), AV_INPUT_BUFFER_PADDING_SIZE zeroed bytes after
                    * size; the caller owns it and frees it with free() */
    size_t size;
    int64_t ts;                      /* unwrapped RTP timestamp */
    int key;                         /* video keyframe; always 1 for audio */
    const struct nal_layout *layout; /* video: where its NAL units are
                                      * (base/nal_layout.h), inside data's
                                      * allocation; NULL for audio */
};

struct rtp_stats {
    uint64_t packets;        /* accepted RTP packets */
    uint64_t lost;           /* sequence numbers never seen */
    uint64_t late;           /* repeated or reordered packets, ignored */
    uint64_t malformed;      /* bad headers or payloads */
    uint64_t frames;         /* frames handed out */
    uint64_t frames_dropped; /* damaged frames and those waiting for a keyframe */
};

struct rtp_depack;

/* Depacketizer for one track of the SDP (codec H.264, H.265, AAC, AAC_LATM, PCMU or PCMA; the
 * media is only read here).  NVR_EINVAL for another codec, NVR_ENOMEM. */
nvr_err rtp_depack_create(struct rtp_depack **out, const struct sdp_media *media);

/* Frees the depacketizer and any frames not popped; sets *d NULL; tolerates NULL. */
void rtp_depack_destroy(struct rtp_depack **d);

/* Feeds one RTP packet (borrowed, read only during the call).  Frames it
 * completes are queued for rtp_depack_pop.  Malformed input is counted, not
 * an error: returns NVR_OK, or NVR_ENOMEM. */
nvr_err rtp_depack_push(struct rtp_depack *d, const uint8_t *pkt, size_t len);

/* Ends whatever is being assembled, as at the end of the stream: an access
 * unit (e.g. from a camera that never sets the marker bit) is queued if
 * complete, joined G.711 samples are queued. */
nvr_err rtp_depack_flush(struct rtp_depack *d);

/* 1 if G.711 samples are joined but not yet queued, else 0 (always 0 for
 * other codecs). */
int rtp_depack_joining(const struct rtp_depack *d);

/* Queues the G.711 samples joined so far; nothing for other codecs.  A
 * reader calls it before it waits for more packets, so that joining adds
 * no delay. */
nvr_err rtp_depack_flush_joined(struct rtp_depack *d);

/* Takes the oldest completed frame: returns 1 and fills *f (the caller now
 * owns f->data), or 0 if none is waiting. */
int rtp_depack_pop(struct rtp_depack *d, struct rtp_frame *f);

/* The unwrapped form of a 32-bit RTP timestamp of this track, taken as the
 * closest to the last packet's (for RTCP sender reports).  Returns 0 and
 * leaves *out alone before the first packet. */
int rtp_depack_unwrap(const struct rtp_depack *d, uint32_t ts, int64_t *out);

/* Highest sequence number seen, extended with the wrap count (RTCP RR). */
uint32_t rtp_depack_ext_seq(const struct rtp_depack *d);

/* SSRC of the last accepted packet (0 before the first). */
uint32_t rtp_depack_ssrc(const struct rtp_depack *d);

const struct rtp_stats *rtp_depack_stats(const struct rtp_depack *d);

/* An RTCP sender report. */
struct rtcp_sr {
    uint32_t ssrc;
    uint64_t ntp;    /* NTP timestamp, 32.32 fixed point since 1900 */
    uint32_t rtp_ts; /* the same instant on the RTP clock */
};

/* Finds a sender report in a (compound) RTCP packet.  Returns 1 and fills *sr
 * if there is one, 0 if not (receiver reports, SDES, BYE, garbage). */
int rtcp_parse_sr(const uint8_t *pkt, size_t len, struct rtcp_sr *sr);

/* NTP 32.32 time to Unix microseconds. */
int64_t rtcp_ntp_to_unix_us(uint64_t ntp);

#endif
