/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export_burn.h - a copy of an exported MP4 with the wall-clock time
 * burned into the picture ("burn_time" exports, docs/design/export.md).
 *
 * The input is an export MP4 (export_mp4.h): video, maybe audio, and the
 * timed-text track whose cue says the wall-clock time of every second.  The
 * output has the video decoded, that cue's text drawn into the top-left
 * corner of every frame (white on a black box, a built-in 5x7 font scaled
 * with the picture: no font files, no libavfilter), and re-encoded with
 * libx264; the audio and the text track are copied unchanged; moov first.
 * It is a derivative for viewing in players that do not show subtitles;
 * the stream-copied original stays in the export beside it.
 *
 * Threads: runs in the caller's thread; uses up to two encoder threads.
 */
#ifndef NVR_EXPORT_BURN_H
#define NVR_EXPORT_BURN_H

#include "base/err.h"

#include <stddef.h>

struct AVFormatContext;

/* The box the time is drawn in, for a picture of width x height: x, y,
 * w, h in pixels (tests read the pixels there). */
void export_burn_box(int width, int height, int *x, int *y, int *w, int *h);

/* Transcodes in_path to out_path (created or truncated).  A message in err
 * on failure; out_path is then left for the caller to remove. */
nvr_err export_burn_file(const char *in_path, const char *out_path, char *err, size_t errlen);

/* The header of a derivative MP4 (a burned-in or a redacted copy): opens
 * out_path for oc (streams set up, pb not yet open) and writes the header,
 * moov first (+faststart).  A FLAC track is allowed: FFmpeg 5.1 calls FLAC
 * in MP4 "experimental", and its fLaC + dfLa sample entry is the one
 * browsers and ffprobe read.  NVR_EIO if the file cannot be opened,
 * NVR_ECODEC if the muxer refuses the streams. */
nvr_err export_derivative_header(struct AVFormatContext *oc, const char *out_path);

#endif
