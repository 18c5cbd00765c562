/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redact_detector.h - the face detector of the detection assist
 * (redact_detect.h), a C interface to OpenCV's Haar cascade for frontal
 * faces with the model from Debian's opencv-data
 * (haarcascade_frontalface_default.xml), in redact_detect_cv.cpp, the
 * project's only C++; the build has it only when OpenCV's objdetect is
 * found (libopencv-objdetect-dev), else redact_detect_none.c answers
 * NVR_ENOTFOUND and everything else builds the same.  This header is read
 * by C and C++ alike.
 *
 * Threads: a detector belongs to one thread.
 */
#ifndef NVR_REDACT_DETECTOR_H
#define NVR_REDACT_DETECTOR_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define REDACT_DETECT_CASCADE "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"
#define REDACT_DETECT_MAX 64 /* faces per frame */

struct redact_detector;

/* 1 if this build has a detector (OpenCV found at build time). */
int redact_detect_built(void);

/* Loads the cascade (NULL: REDACT_DETECT_CASCADE).  NVR_ENOTFOUND if the
 * build has no detector or the file is missing, with a message. */
nvr_err redact_detector_open(const char *cascade, struct redact_detector **out, char *err, size_t errlen);

/* Faces in an 8-bit gray picture (borrowed): up to max boxes in 0..1
 * frame coordinates; returns their count. */
int redact_detector_run(struct redact_detector *d, const uint8_t *gray, int width, int height, int stride,
                        double (*boxes)[4], int max);

void redact_detector_close(struct redact_detector **d);

#ifdef __cplusplus
}
#endif

#endif
