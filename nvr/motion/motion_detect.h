/* SPDX-License-Identifier: Apache-2.0 */
/*
 * motion_detect.h - which cells of a 32x18 grid changed in a picture, against
 * a slowly adapting background (docs/design/motion.md, "Detection").
 *
 * No I/O, no codec: pictures come in as a luma plane of any size; the
 * detector reduces each to a 128x72 image of block means (4x4 blocks per
 * cell), fits the picture's brightness to the background's (gain and offset,
 * robustly: auto-exposure and a brightness ramp are not motion), and marks a
 * cell when enough of its blocks differ from the fitted background by more
 * than a threshold set by the sensitivity and the measured noise.  A change
 * of most of the picture at once (lights, an IR day/night switch, the camera
 * moved) is not motion: the background is taken again from that picture.
 * The background follows the scene (fast where nothing moved, slowly where
 * something did, so a parked car becomes background in a few minutes).
 *
 * One detector per camera; not thread-safe (one thread at a time).
 */
#ifndef NVR_MOTION_DETECT_H
#define NVR_MOTION_DETECT_H

#include "base/camera_config.h"
#include "base/err.h"
#include "storage/motion_store.h"

#include <stdint.h>

#define MOTION_IMG_W (MOTION_COLS * 4)
#define MOTION_IMG_H (MOTION_ROWS * 4)

struct motion_detector;

struct motion_detect_opts {
    int sensitivity;             /* 1 (least) .. 10 (most), motion_sensitivity */
    const struct nvr_rect *mask; /* areas never counted (borrowed; copied) */
    int nmask;
};

enum motion_verdict {
    MOTION_LEARNING = 0, /* first picture, or after a global change: no verdict */
    MOTION_STILL,        /* no cell moved */
    MOTION_MOVED,        /* cells has the moved cells, score > 0 */
    MOTION_GLOBAL,       /* most of the picture changed at once: not motion */
};

struct motion_result {
    enum motion_verdict verdict;
    int score; /* cells moved */
    uint8_t cells[MOTION_BITMAP_BYTES];
    double gain, offset; /* the brightness fit: picture ~ gain * background + offset */
    double noise;        /* the residual noise measured (luma levels, 128x72 image) */
};

/* A new detector; *out owns it. */
nvr_err motion_detector_create(struct motion_detector **out, const struct motion_detect_opts *o);

/* Frees *d and sets it NULL; tolerates NULL. */
void motion_detector_destroy(struct motion_detector **d);

/* Forgets the background (a new session, new video parameters). */
void motion_detector_reset(struct motion_detector *d);

/* One picture: luma of w x h pixels (w, h >= MOTION_IMG_W/H... any size >= 32x18),
 * rows stride bytes apart; depth 8, or 9..16 for 16-bit little-endian
 * samples.  Fills *r. */
void motion_detector_frame(struct motion_detector *d, const uint8_t *luma, int w, int h, int stride, int depth,
                           struct motion_result *r);

/* The cells a box covers (any overlap), OR'ed into cells. */
void motion_rect_cells(const struct nvr_rect *r, uint8_t cells[MOTION_BITMAP_BYTES]);

/* The bounding box of the set cells in 0..1 coordinates; 0 if none is set. */
int motion_cells_box(const uint8_t cells[MOTION_BITMAP_BYTES], struct nvr_rect *box);

/* Number of set cells. */
int motion_cells_count(const uint8_t cells[MOTION_BITMAP_BYTES]);

#endif
