/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redact_detect.h - detection assist: faces in an export proposed as
 * redaction shapes (`nvr redact --detect-faces`), for a person to review.
 *
 * The detector is redact_detector.h (OpenCV's Haar cascade, when built).
 *
 * redact_detect_export decodes each stream-copied MP4 of an export, runs
 * the detector on the luma of one frame every `every_s` seconds, links
 * detections across samples into tracks (the same face: boxes overlapping
 * by IoU >= 0.2 within 1.5 s) and proposes one shape per track: mode blur,
 * source "assisted", the camera's id, keyframes at each detection with the
 * box widened by a quarter on each side, from one sample before the first
 * detection to one after the last.  A proposal is a suggestion: faces the
 * cascade misses (profiles, small, dark, covered) are not proposed and
 * some proposals are not faces; every one needs a person's check.
 *
 * Threads: the caller's; a detector belongs to one thread.
 */
#ifndef NVR_REDACT_DETECT_H
#define NVR_REDACT_DETECT_H

#include "base/err.h"
#include "redact/redact_detector.h"
#include "redact/redact_doc.h"

#include <stddef.h>
#include <stdint.h>

struct redact_detect_stats {
    uint64_t frames_sampled;
    uint64_t detections;
    size_t tracks; /* shapes proposed */
};

/* Proposes shapes for every video of export_zip into *out (a new
 * document; redact_doc_free).  every_s: seconds between samples (0: 0.2). */
nvr_err redact_detect_export(const char *export_zip, const char *cascade, double every_s, struct redact_doc **out,
                             struct redact_detect_stats *stats, char *err, size_t errlen);

#endif
