/* SPDX-License-Identifier: Apache-2.0 */
/*
 * replay_clip.h - a clip cut once into RTP packets, for nvr-replay-camera.
 *
 * replay_clip_load() reads an MP4/MOV clip with libavformat and packetizes
 * it the way a camera would: video (H.264 RFC 6184, H.265 RFC 7798) as single
 * NAL unit packets or fragmentation units of at most REPLAY_MTU payload
 * bytes, the parameter sets again before every keyframe, the marker bit on
 * the last packet of each access unit; G.711 audio (PCMU/PCMA, RFC 3551) in
 * 20 ms packets: 8 kHz mono with its static payload type (0, 8), any other
 * rate or channel count with payload type 97 and "PCMA/16000/2" in the SDP,
 * as cameras that offer 16 kHz G.711 do.  H.265 may carry DONL fields
 * (RFC 7798 4.4, `donl`): a decoding order number in every single unit packet
 * and every first fragment, sprop-max-don-diff in the SDP; with
 * REPLAY_DONL_REVERSED each access unit's NAL units are sent last first (the
 * DONs say the decoding order), as a sender that interleaves may.  DONs
 * count on within a loop and start again at the next (a jump back of more
 * than sprop-max-don-diff: a receiver takes it as a new numbering).
 * The clip is then never read again: serving a client is
 * walking `units` and writing per-client headers in front of payloads that
 * stay in `blob`.
 *
 * Invariants:
 *   - units are in sending order (decode order), due_us non-decreasing from
 *     0; every packet belongs to exactly one unit.
 *   - a packet's RTP timestamp is ts0 + loop * loop_ts[track] + pkt.ts_off
 *     (presentation time, so B-frames keep their reordered timestamps), its
 *     sequence number seq0 + loop * npkt[track] + pkt.seq_idx (mod 2^16): a
 *     client sees timestamps and sequence numbers advance across loops.
 *   - loop_us is the clip's length; loop_ts[t] is loop_us in track t's clock.
 */
#ifndef NVR_REPLAY_CLIP_H
#define NVR_REPLAY_CLIP_H

#include <stddef.h>
#include <stdint.h>

#define REPLAY_MTU 1400
#define REPLAY_MAX_TRACKS 2
#define REPLAY_MAX_UNITS 64 /* NAL units in an access unit, parameter sets included */

enum replay_codec { REPLAY_H264, REPLAY_H265, REPLAY_PCMU, REPLAY_PCMA };

struct replay_pkt {
    uint32_t off;    /* payload in blob */
    uint16_t len;    /* payload bytes (<= REPLAY_MTU + 5) */
    uint8_t track;   /* 0 video, 1 audio */
    uint8_t marker;  /* RTP marker bit */
    uint32_t ts_off; /* RTP timestamp from the loop's start, track clock */
    uint32_t seq_idx;
};

struct replay_unit {
    int64_t due_us; /* send time from the loop's start */
    uint32_t first, n;
};

struct replay_track {
    enum replay_codec codec;
    int pt;        /* RTP payload type */
    int clock;     /* RTP clock rate */
    int channels;  /* audio channels (G.711: interleaved bytes), 0 for video */
    uint32_t npkt; /* packets per loop */
    uint32_t loop_ts;
    char fmtp[1280]; /* SDP a=fmtp value after "PT ", or "" */
};

struct replay_clip {
    uint8_t *blob;
    size_t blob_len;
    struct replay_pkt *pkts;
    size_t npkts;
    struct replay_unit *units;
    size_t nunits;
    struct replay_track tracks[REPLAY_MAX_TRACKS];
    int ntracks;
    int64_t loop_us;
    uint64_t payload_bytes; /* video+audio payload per loop, for the ready line */
};

enum replay_donl {
    REPLAY_DONL_NONE = 0,
    REPLAY_DONL_IN_ORDER, /* DONL fields, units sent in decoding order */
    REPLAY_DONL_REVERSED, /* DONL fields, each access unit's units last first */
};

/* Loads and packetizes `path`; audio only when `audio` and the clip has
 * G.711; DONL fields as `donl` says (H.265 only).  Returns 0, or -1 with a
 * message on stderr. */
int replay_clip_load(const char *path, int audio, enum replay_donl donl, struct replay_clip *clip);
void replay_clip_free(struct replay_clip *clip);

/* The SDP of the clip (session part and one m= section per track, controls
 * "trackID=N"), for DESCRIBE.  Returns the length written, or -1 if `cap`
 * is too small. */
int replay_clip_sdp(const struct replay_clip *clip, char *out, size_t cap);

#endif
