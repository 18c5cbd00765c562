/* SPDX-License-Identifier: Apache-2.0 */
/*
 * motion_detect.c - the per-cell change detector (see motion_detect.h).
 *
 * Per picture:
 *   1. reduce the luma plane to img[72][128], the mean of each block (every
 *      second pixel and row of a block wider than 8 pixels: the mean of 50+
 *      samples already smooths sensor noise by a factor of 7 or more);
 *   2. fit img ~ gain * bg + offset by least squares over the unmasked
 *      blocks, then again without the blocks whose residual is far off (a
 *      moving object must not bend the fit); the residual's median absolute
 *      value gives the noise, kept as a running mean;
 *   3. a block differs when |img - (gain * bg + offset)| > T, T = the larger
 *      of the sensitivity's threshold and 4 x noise (and more than 4 x the
 *      block's own running deviation, capped at 4T: rain, leaves and water
 *      make their blocks less sensitive), and counts when it is
 *      part of a 2x2 square of differing blocks; a cell moved when 2 of its
 *      16 blocks count, and an isolated cell (no moved neighbour) needs 6:
 *      rain, snow, thin streaks and single-block flicker do not make cells;
 *   4. more than GLOBAL_FRACTION of the unmasked cells at once, a fit
 *      whose gain is off 1 by more than GLOBAL_GAIN (the background follows
 *      slow changes, so only a jump needs that), or a median residual
 *      GLOBAL_NOISE times the running noise (half the picture or more
 *      changed in a way the fit does not explain) is a global change
 *      (lights, an IR switch, an exposure step, the camera moved): the
 *      background is taken from this picture and nothing moved;
 *   5. the background follows the picture: ALPHA_STILL where the cell did
 *      not move, ALPHA_MOVED where it did.
 */
#include "motion/motion_detect.h"

#include "base/err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NB (MOTION_IMG_W * MOTION_IMG_H)
#define ALPHA_STILL 0.2f
#define ALPHA_MOVED 0.02f
#define GLOBAL_FRACTION 0.5
#define GLOBAL_GAIN 0.25 /* |gain - 1| beyond it: the exposure jumped */
#define GLOBAL_NOISE 3.0 /* the median residual this many times the noise (+3): the picture changed */
#define NOISE_K 4.0
#define LEARN_PICTURES 2 /* after the first: 3 pictures make the background */
#define VAR_K 4.0f
#define VAR_BETA 0.05f

struct motion_detector {
    int sensitivity;
    uint8_t mask[MOTION_BITMAP_BYTES]; /* cells never counted */
    int unmasked;                      /* cells not masked */
    int have_bg;
    int learning; /* pictures left that only teach the background */
    float bg[NB];
    float var[NB]; /* running mean of each block's squared residual, capped at T^2 */
    float img[NB];
    double noise; /* running mean of the residual noise */
};

nvr_err motion_detector_create(struct motion_detector **out, const struct motion_detect_opts *o)
{
    struct motion_detector *d = calloc(1, sizeof *d);
    *out = d;
    if (!d)
        return NVR_ENOMEM;
    d->sensitivity = o->sensitivity < 1 ? 1 : o->sensitivity > 10 ? 10 : o->sensitivity;
    /* a masked cell: its centre lies in a mask box */
    for (int i = 0; i < o->nmask; i++) {
        const struct nvr_rect *r = &o->mask[i];
        for (int row = 0; row < MOTION_ROWS; row++)
            for (int col = 0; col < MOTION_COLS; col++) {
                double cx = (col + 0.5) / MOTION_COLS, cy = (row + 0.5) / MOTION_ROWS;
                if (cx >= r->x0 && cx <= r->x1 && cy >= r->y0 && cy <= r->y1)
                    motion_cell_set(d->mask, col, row);
            }
    }
    d->unmasked = MOTION_CELLS - motion_cells_count(d->mask);
    return NVR_OK;
}

void motion_detector_destroy(struct motion_detector **dp)
{
    free(*dp);
    *dp = NULL;
}

void motion_detector_reset(struct motion_detector *d)
{
    d->have_bg = 0;
}

/* Step 1: block means of the luma plane into img. */
static void reduce(float *img, const uint8_t *luma, int w, int h, int stride, int depth)
{
    int xs[MOTION_IMG_W + 1], ys[MOTION_IMG_H + 1];
    for (int i = 0; i <= MOTION_IMG_W; i++)
        xs[i] = (int)((int64_t)i * w / MOTION_IMG_W);
    for (int i = 0; i <= MOTION_IMG_H; i++)
        ys[i] = (int)((int64_t)i * h / MOTION_IMG_H);
    int step = w / MOTION_IMG_W > 8 ? 2 : 1;
    int shift = depth > 8 ? depth - 8 : 0;
    uint32_t sum[MOTION_IMG_W];
    for (int by = 0; by < MOTION_IMG_H; by++) {
        memset(sum, 0, sizeof sum);
        int rows = 0;
        for (int y = ys[by]; y < ys[by + 1]; y += step, rows++) {
            const uint8_t *p = luma + (size_t)y * (size_t)stride;
            for (int bx = 0; bx < MOTION_IMG_W; bx++) {
                uint32_t s = 0;
                if (depth > 8) {
                    const uint16_t *q = (const uint16_t *)p;
                    for (int x = xs[bx]; x < xs[bx + 1]; x += step)
                        s += (uint32_t)(q[x] >> shift);
                } else {
                    for (int x = xs[bx]; x < xs[bx + 1]; x += step)
                        s += p[x];
                }
                sum[bx] += s;
            }
        }
        for (int bx = 0; bx < MOTION_IMG_W; bx++) {
            int cols = (xs[bx + 1] - xs[bx] + step - 1) / step;
            int n = cols * (rows ? rows : 1);
            img[by * MOTION_IMG_W + bx] = n ? (float)sum[bx] / (float)n : 0.0f;
        }
    }
}

static int block_masked(const struct motion_detector *d, int i)
{
    return motion_cell_get(d->mask, (i % MOTION_IMG_W) / 4, (i / MOTION_IMG_W) / 4);
}

/* Least squares img ~ a * bg + b over the blocks with weight (use[i]). */
static void fit(const struct motion_detector *d, const uint8_t *use, double *a, double *b)
{
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int i = 0; i < NB; i++) {
        if (!use[i])
            continue;
        double x = d->bg[i], y = d->img[i];
        n++;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    double var = n > 0 ? sxx - sx * sx / n : 0;
    if (n < 16 || var < n * 4.0) { /* a flat background: offset only */
        *a = 1.0;
        *b = n > 0 ? (sy - sx) / n : 0;
        return;
    }
    *a = (sxy - sx * sy / n) / var;
    if (*a < 0.25)
        *a = 0.25;
    if (*a > 4.0)
        *a = 4.0;
    *b = (sy - *a * sx) / n;
}

/* Median of |r| over the blocks with use[i], from a histogram in steps of
 * 1/8 level up to 64 levels. */
static double median_abs(const float *r, const uint8_t *use)
{
    enum { BINS = 512 };
    uint32_t hist[BINS + 1] = {0};
    uint32_t n = 0;
    for (int i = 0; i < NB; i++) {
        if (!use[i])
            continue;
        float v = fabsf(r[i]) * 8.0f;
        hist[v >= BINS ? BINS : (int)v]++;
        n++;
    }
    uint32_t half = n / 2, acc = 0;
    for (int i = 0; i <= BINS; i++) {
        acc += hist[i];
        if (acc > half)
            return (i + 0.5) / 8.0;
    }
    return 0;
}

/* res = img - (a * bg + b), the prediction clipped to the picture's range
 * (a brighter exposure saturates: a block at white is where it is
 * expected); with use, the clipped blocks leave the fit. */
static void residuals(const struct motion_detector *d, double a, double b, float *res, uint8_t *use)
{
    for (int i = 0; i < NB; i++) {
        double p = a * d->bg[i] + b;
        int clipped = p > 250.0 || p < 5.0;
        p = p > 255.0 ? 255.0 : p < 0.0 ? 0.0 : p;
        res[i] = d->img[i] - (float)p;
        if (use && clipped)
            use[i] = 0;
    }
}

void motion_detector_frame(struct motion_detector *d, const uint8_t *luma, int w, int h, int stride, int depth,
                           struct motion_result *r)
{
    static const int nb[8][2] = {{-1, -1}, {0, -1}, {1, -1}, {-1, 0}, {1, 0}, {-1, 1}, {0, 1}, {1, 1}};
    uint8_t use[NB];
    float res[NB];
    memset(r, 0, sizeof *r);
    r->gain = 1.0;
    reduce(d->img, luma, w, h, stride, depth);
    if (!d->have_bg) {
        memcpy(d->bg, d->img, sizeof d->bg);
        memset(d->var, 0, sizeof d->var);
        d->have_bg = 1;
        d->learning = LEARN_PICTURES;
        r->verdict = MOTION_LEARNING;
        return;
    }
    /* step 2: the brightness fit, twice */
    double a, b;
    for (int i = 0; i < NB; i++)
        use[i] = !block_masked(d, i);
    fit(d, use, &a, &b);
    residuals(d, a, b, res, NULL);
    double mad = median_abs(res, use), cut = fmax(3.0 * 1.4826 * mad, 3.0);
    for (int i = 0; i < NB; i++)
        use[i] = use[i] && fabsf(res[i]) <= cut;
    fit(d, use, &a, &b);
    residuals(d, a, b, res, use);
    double noise = 1.4826 * median_abs(res, use);
    /* the median block changed far more than the noise: most of the picture
     * changed in a way the brightness fit does not explain (an IR switch
     * with its other response curve and vignetting, lights in one part) */
    int jumped = d->noise > 0 && noise > GLOBAL_NOISE * d->noise + 3.0;
    if (!jumped)
        d->noise = d->noise > 0 ? 0.8 * d->noise + 0.2 * noise : noise;
    r->gain = a;
    r->offset = b;
    r->noise = d->noise;

    /* step 3: blocks, then cells */
    double t = fmax(26.0 - 2.0 * d->sensitivity, NOISE_K * d->noise);
    int count[MOTION_CELLS];
    uint8_t differs[NB], solid[NB];
    memset(count, 0, sizeof count);
    memset(solid, 0, sizeof solid);
    for (int i = 0; i < NB; i++) {
        float v = fabsf(res[i]);
        differs[i] = v > t && v * v > VAR_K * VAR_K * d->var[i];
        /* the block's own unrest: rain, leaves, water raise it, and with it
         * what the block must change by (at most VAR_K x T) */
        float sq = v > t ? (float)(t * t) : v * v;
        d->var[i] += VAR_BETA * (sq - d->var[i]);
    }
    /* a block counts when it is part of a 2x2 square of differing blocks:
     * thin streaks (rain, snow, a wire swinging) and lone blocks do not */
    for (int y = 0; y + 1 < MOTION_IMG_H; y++)
        for (int x = 0; x + 1 < MOTION_IMG_W; x++) {
            int i = y * MOTION_IMG_W + x;
            if (differs[i] && differs[i + 1] && differs[i + MOTION_IMG_W] && differs[i + MOTION_IMG_W + 1])
                solid[i] = solid[i + 1] = solid[i + MOTION_IMG_W] = solid[i + MOTION_IMG_W + 1] = 1;
        }
    for (int i = 0; i < NB; i++)
        if (solid[i])
            count[((i / MOTION_IMG_W) / 4) * MOTION_COLS + (i % MOTION_IMG_W) / 4]++;
    uint8_t cand[MOTION_CELLS];
    for (int c = 0; c < MOTION_CELLS; c++)
        cand[c] = !motion_cell_get(d->mask, c % MOTION_COLS, c / MOTION_COLS) && count[c] >= 2;
    int moved = 0;
    for (int row = 0; row < MOTION_ROWS; row++)
        for (int col = 0; col < MOTION_COLS; col++) {
            int c = row * MOTION_COLS + col;
            if (!cand[c])
                continue;
            int neighbours = 0;
            for (int k = 0; k < 8; k++) {
                int x = col + nb[k][0], y = row + nb[k][1];
                if (x >= 0 && y >= 0 && x < MOTION_COLS && y < MOTION_ROWS && cand[y * MOTION_COLS + x])
                    neighbours++;
            }
            if (neighbours || count[c] >= 6) {
                motion_cell_set(r->cells, col, row);
                moved++;
            }
        }

    /* step 4: a global change: most cells, or an exposure jump the fit had
     * to bend far for (an IR switch, lights on) */
    if ((d->unmasked > 0 && moved > GLOBAL_FRACTION * d->unmasked) || fabs(a - 1.0) > GLOBAL_GAIN || jumped) {
        memcpy(d->bg, d->img, sizeof d->bg);
        memset(r->cells, 0, sizeof r->cells);
        r->verdict = MOTION_GLOBAL;
        return;
    }
    /* step 5: the background follows */
    if (d->learning > 0) {
        /* the first pictures only teach: what moved in the very first one
         * (rain, a passer-by) leaves the background quickly */
        d->learning--;
        for (int i = 0; i < NB; i++)
            d->bg[i] += 0.5f * (d->img[i] - d->bg[i]);
        memset(r->cells, 0, sizeof r->cells);
        r->verdict = MOTION_LEARNING;
        return;
    }
    for (int i = 0; i < NB; i++) {
        int col = (i % MOTION_IMG_W) / 4, row = (i / MOTION_IMG_W) / 4;
        float alpha = motion_cell_get(r->cells, col, row) ? ALPHA_MOVED : ALPHA_STILL;
        d->bg[i] += alpha * (d->img[i] - d->bg[i]);
    }
    r->score = moved;
    r->verdict = moved ? MOTION_MOVED : MOTION_STILL;
}

void motion_rect_cells(const struct nvr_rect *r, uint8_t cells[MOTION_BITMAP_BYTES])
{
    for (int row = 0; row < MOTION_ROWS; row++)
        for (int col = 0; col < MOTION_COLS; col++) {
            double x0 = (double)col / MOTION_COLS, x1 = (double)(col + 1) / MOTION_COLS;
            double y0 = (double)row / MOTION_ROWS, y1 = (double)(row + 1) / MOTION_ROWS;
            if (r->x0 < x1 && r->x1 > x0 && r->y0 < y1 && r->y1 > y0)
                motion_cell_set(cells, col, row);
        }
}

int motion_cells_box(const uint8_t cells[MOTION_BITMAP_BYTES], struct nvr_rect *box)
{
    int c0 = MOTION_COLS, r0 = MOTION_ROWS, c1 = -1, r1 = -1;
    for (int row = 0; row < MOTION_ROWS; row++)
        for (int col = 0; col < MOTION_COLS; col++)
            if (motion_cell_get(cells, col, row)) {
                c0 = col < c0 ? col : c0;
                c1 = col > c1 ? col : c1;
                r0 = row < r0 ? row : r0;
                r1 = row > r1 ? row : r1;
            }
    if (c1 < 0)
        return 0;
    box->x0 = (double)c0 / MOTION_COLS;
    box->y0 = (double)r0 / MOTION_ROWS;
    box->x1 = (double)(c1 + 1) / MOTION_COLS;
    box->y1 = (double)(r1 + 1) / MOTION_ROWS;
    return 1;
}

int motion_cells_count(const uint8_t cells[MOTION_BITMAP_BYTES])
{
    int n = 0;
    for (int i = 0; i < MOTION_BITMAP_BYTES; i++)
        n += __builtin_popcount(cells[i]);
    return n;
}
