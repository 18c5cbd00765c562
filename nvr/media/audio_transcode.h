/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audio_transcode.h - G.711 (µ-law or A-law) packets in, FLAC packets out,
 * for one audio track of one connection.
 *
 * Why: browsers (Media Source Extensions) and MP4 players cannot play G.711
 * in fragmented MP4, so the ingest turns it into FLAC before anything else
 * sees it (docs/design/ingest.md, "Audio").  FLAC because it is lossless
 * (the recording keeps the camera's audio exactly: re-encoding the decoded
 * samples as G.711 gives the camera's bytes back) and cheap: a quarter of
 * what AAC-LC cost per stream, with no encoder state but a frame's buffer
 * (bench/README.md, "G.711").  Track 1 of the pipeline is therefore AAC (a
 * camera that sends AAC) or FLAC.
 *
 * Contract:
 *   - Input: packets of law-encoded samples (any number per packet), pts in
 *     1/sample_rate (the RTP clock of G.711 is its sample rate), the
 *     channels' bytes interleaved.  Expanded to signed 16-bit by our own
 *     G.711 tables (the same values as libavcodec's pcm_mulaw/pcm_alaw
 *     decoders for all 256 codes of both laws: tests/unit/test_audio_transcode.c).
 *   - Output: FLAC packets of 2048 samples (frame_size 2048; STREAMINFO as
 *     extradata) from our own encoder (flac_enc.h), at the input's sample
 *     rate (no resampling), pts = dts in the same time base 1/sample_rate:
 *     a packet's pts is that of its first sample (FLAC has no priming
 *     delay), so decoded audio lines up with the input timestamps.
 *   - Timestamp gaps (lost packets) up to 2 s are filled with silence; an
 *     overlap drops the repeated samples; a larger jump starts over at the
 *     new timestamp (the partial frame is padded and sent first).
 *   - audio_transcode_send(t, NULL) flushes: the last partial frame (padded
 *     with silence) and the encoder's delayed packets come out of
 *     audio_transcode_receive.
 *
 * Threads: used by one thread (the camera's ingest thread).
 */
#ifndef NVR_AUDIO_TRANSCODE_H
#define NVR_AUDIO_TRANSCODE_H

#include "base/err.h"

#include <libavcodec/avcodec.h>

struct audio_transcode;

/* in_codec: AV_CODEC_ID_PCM_MULAW or AV_CODEC_ID_PCM_ALAW; sample_rate:
 * 8000 to 48000 (8 and 16 kHz are what cameras send); channels
 * 1 or 2.  camera is for log lines (borrowed, must outlive t).  Returns
 * NVR_OK, NVR_EINVAL (codec or rate not usable), NVR_ENOMEM or NVR_ECODEC. */
nvr_err audio_transcode_create(struct audio_transcode **out, enum AVCodecID in_codec, int sample_rate, int channels,
                               const char *camera);

/* The FLAC parameters (STREAMINFO as extradata, frame_size 2048);
 * borrowed, valid as long as t. */
const AVCodecParameters *audio_transcode_params(const struct audio_transcode *t);

/* Time base of input and output timestamps: 1/sample_rate. */
AVRational audio_transcode_time_base(const struct audio_transcode *t);

/* Feeds one packet (borrowed, read during the call); NULL flushes.
 * Packets without a pts are dropped.  Returns NVR_OK or NVR_ENOMEM/NVR_EIO. */
nvr_err audio_transcode_send(struct audio_transcode *t, const AVPacket *in);

/* Takes the next FLAC packet into out (which the caller owns and unrefs):
 * returns 1 if there was one, 0 if more input is needed (or, after a flush,
 * if everything came out), or a negative nvr_err. */
int audio_transcode_receive(struct audio_transcode *t, AVPacket *out);

/* Frees; sets *t NULL; tolerates NULL. */
void audio_transcode_destroy(struct audio_transcode **t);

#endif
