/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redact_detect_none.c - the detector of redact_detector.h in a build
 * without OpenCV: there is none, and says so.
 */
#include "redact/redact_detector.h"

#include <stdio.h>

int redact_detect_built(void)
{
    return 0;
}

nvr_err redact_detector_open(const char *cascade, struct redact_detector **out, char *err, size_t errlen)
{
    (void)cascade;
    *out = NULL;
    snprintf(err, errlen,
             "this nvr was built without OpenCV: no face detection (Debian: apt install "
             "libopencv-objdetect-dev opencv-data, then rebuild)");
    return NVR_ENOTFOUND;
}

int redact_detector_run(struct redact_detector *d, const uint8_t *gray, int width, int height, int stride,
                        double (*boxes)[4], int max)
{
    (void)d, (void)gray, (void)width, (void)height, (void)stride, (void)boxes, (void)max;
    return 0;
}

void redact_detector_close(struct redact_detector **d)
{
    *d = NULL;
}
