/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redact_render.h - one export MP4 re-encoded with the redactions burned
 * in: the pixels of each shape's box (or, inverted, of everything outside
 * it) blurred, pixelated or filled in the decoded picture before libx264
 * encodes it, so nothing of what was hidden is in the output (no overlay
 * a player could turn off); the audio in the mute ranges replaced by
 * silence (decoded, zeroed, encoded again as AAC); the wall-clock text
 * track copied unchanged; moov first.
 *
 * The modes, on the 8-bit 4:2:0 picture:
 *   fill      luma 16, chroma 128 (black);
 *   pixelate  the box in square blocks (redact_block_size), each the mean
 *             of its pixels;
 *   blur      the same block means, smoothed into each other (bilinear
 *             between the blocks' centres): looks like a blur, and like
 *             pixelate keeps nothing but one mean per block, so no
 *             deconvolution brings the detail back.
 * A frame's wall-clock time is the file's first frame (from the export's
 * manifest) plus its presentation time: the export MP4 keeps file time
 * proportional to wall-clock time (export_mp4.h).
 *
 * Threads: runs in the caller's thread; the decoder and libx264 use up to
 * two threads each.
 */
#ifndef NVR_REDACT_RENDER_H
#define NVR_REDACT_RENDER_H

#include "base/err.h"
#include "redact/redact_doc.h"

#include <stddef.h>
#include <stdint.h>

/* What one file's render did, per shape (arrays of doc->nshapes entries,
 * owned by the caller) and in all. */
struct redact_render_stats {
    uint64_t frames;          /* video frames written */
    uint64_t frames_redacted; /* of them, with at least one shape */
    uint64_t *shape_frames;   /* frames each shape was drawn into */
    int64_t *shape_first;     /* index of the first such frame, -1 if none */
    int64_t *shape_last;
    int64_t *shape_first_us; /* their wall-clock times */
    int64_t *shape_last_us;
    uint64_t samples_muted; /* audio samples (per channel) replaced by silence */
    int width, height;
    double seconds; /* video duration */
};

/* Progress of one file, 0..1; non-zero stops the render (NVR_ESTOPPED). */
typedef int (*redact_progress_fn)(void *arg, double fraction);

/* The side of a pixelate (and blur) block for a picture height h: a 16th
 * of it (68 pixels at 1080p, 22 at 360p: coarser than a face's features),
 * at least 8, even. */
int redact_block_size(int height);

/* Renders in_path (an export MP4 of camera `camera`, its first frame at
 * wall-clock first_us) to out_path with doc's shapes and mutes for that
 * camera.  preset: libx264's ("veryfast" if NULL).  A message in err on
 * failure; out_path is then left for the caller to remove. */
nvr_err redact_render_file(const char *in_path, const char *out_path, const struct redact_doc *doc, const char *camera,
                           int64_t first_us, const char *preset, redact_progress_fn progress, void *arg,
                           struct redact_render_stats *stats, char *err, size_t errlen);

#endif
