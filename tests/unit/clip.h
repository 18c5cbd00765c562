/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clip.h - a test clip's video packets as the RTSP reader hands them on:
 * Annex B, parameter sets in extradata (the MP4's avcC form converted with
 * h264_mp4toannexb), decode order.  For unit tests that drive a module
 * without a camera (test_live_hub, test_writer).
 */
#ifndef NVR_TEST_CLIP_H
#define NVR_TEST_CLIP_H

#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>
#include <libavformat/avformat.h>
#include <stddef.h>
#include <stdint.h>

struct clip {
    AVFormatContext *fc;
    AVBSFContext *bsf;
    int vi;
    AVPacket **pkts;
    size_t n;
    AVRational tb;                 /* the packets' time base */
    const AVCodecParameters *par;  /* Annex B parameters (bsf->par_out) */
    int64_t frame;                 /* one frame's duration, tb units */
    int64_t span;                  /* the whole clip, tb units */
};

/* Reads every video packet of path.  0, or -1 if it cannot. */
int clip_open(struct clip *c, const char *path);

/* Frame k of the clip looped forever, as a new packet on stream 0 with
 * timestamps running on from 0 (the caller frees it). */
AVPacket *clip_packet(const struct clip *c, size_t k);

/* Media time of frame k in microseconds (its dts). */
int64_t clip_us(const struct clip *c, size_t k);

void clip_close(struct clip *c);

/* Demuxes buf (an MP4, e.g. what a live viewer read) through a temporary
 * file: the number of video packets, and in *first_key whether the first is
 * a keyframe; -1 if libavformat cannot open it. */
int clip_demux(const uint8_t *buf, size_t len, int *first_key);

#endif
