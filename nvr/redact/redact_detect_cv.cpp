// SPDX-License-Identifier: Apache-2.0
//
// redact_detect_cv.cpp - the face detector of redact_detector.h on OpenCV's
// CascadeClassifier (objdetect), with the Haar model from opencv-data.  The
// only C++ of the project: a thin unit behind a C interface; no exception
// leaves it.  The picture is equalized (equalizeHist), then searched at
// scales 1.1 apart with 4 neighbours, faces from 24 px or 1/20 of the
// picture height up.
#include "redact/redact_detector.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <cstdio>
#include <new>
#include <vector>

struct redact_detector {
    cv::CascadeClassifier cascade;
};

extern "C" int redact_detect_built(void)
{
    return 1;
}

extern "C" nvr_err redact_detector_open(const char *cascade, struct redact_detector **out, char *err, size_t errlen)
{
    const char *path = cascade ? cascade : REDACT_DETECT_CASCADE;
    *out = nullptr;
    redact_detector *d = new (std::nothrow) redact_detector;
    if (!d)
        return NVR_ENOMEM;
    bool ok = false;
    try {
        ok = d->cascade.load(path);
    } catch (const cv::Exception &) {
        ok = false;
    }
    if (!ok) {
        std::snprintf(err, errlen, "cannot load the face model %s (Debian: apt install opencv-data)", path);
        delete d;
        return NVR_ENOTFOUND;
    }
    *out = d;
    return NVR_OK;
}

extern "C" int redact_detector_run(struct redact_detector *d, const uint8_t *gray, int width, int height, int stride,
                                   double (*boxes)[4], int max)
{
    int n = 0;
    try {
        cv::Mat in(height, width, CV_8UC1, const_cast<uint8_t *>(gray), static_cast<size_t>(stride)), eq;
        cv::equalizeHist(in, eq);
        std::vector<cv::Rect> faces;
        int min = height / 20 > 24 ? height / 20 : 24;
        d->cascade.detectMultiScale(eq, faces, 1.1, 4, 0, cv::Size(min, min));
        for (const cv::Rect &r : faces) {
            if (n == max)
                break;
            boxes[n][0] = static_cast<double>(r.x) / width;
            boxes[n][1] = static_cast<double>(r.y) / height;
            boxes[n][2] = static_cast<double>(r.x + r.width) / width;
            boxes[n][3] = static_cast<double>(r.y + r.height) / height;
            n++;
        }
    } catch (const std::exception &) {
        return 0;
    }
    return n;
}

extern "C" void redact_detector_close(struct redact_detector **d)
{
    delete *d;
    *d = nullptr;
}
