/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dts_gen.c - decode timestamps from presentation timestamps (see dts_gen.h
 * for the scheme and its invariants G1-G3).
 *
 * State: `heap` holds the pts of frames that have not yet served as a dts
 * (at most D + 1 of them); while a run's first D frames are held,
 * `nheld` counts them and they are all in the heap.
 */
#include "media/dts_gen.h"

#include <stddef.h>

static void heap_push(struct dts_gen *g, int64_t v)
{
    int i = g->nheap++;
    g->heap[i] = v;
    while (i > 0 && g->heap[(i - 1) / 2] > g->heap[i]) {
        int64_t t = g->heap[i];
        g->heap[i] = g->heap[(i - 1) / 2];
        g->heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static int64_t heap_pop(struct dts_gen *g)
{
    int64_t top = g->heap[0];
    g->heap[0] = g->heap[--g->nheap];
    for (int i = 0;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < g->nheap && g->heap[l] < g->heap[m])
            m = l;
        if (r < g->nheap && g->heap[r] < g->heap[m])
            m = r;
        if (m == i)
            break;
        int64_t t = g->heap[i];
        g->heap[i] = g->heap[m];
        g->heap[m] = t;
        i = m;
    }
    return top;
}

/* G1/G2: v, or just after the last dts given. */
static int64_t give(struct dts_gen *g, int64_t v)
{
    if (g->last != INT64_MIN && v <= g->last) {
        v = g->last + 1;
        g->clamped++;
    }
    g->last = v;
    return v;
}

void dts_gen_reset(struct dts_gen *g, int depth, int64_t max_forward, int64_t max_back)
{
    g->max_forward = max_forward > 0 ? max_forward : INT64_MAX / 4;
    g->max_back = max_back > 0 ? max_back : INT64_MAX / 4;
    g->last = INT64_MIN;
    g->prev_pts = INT64_MIN;
    g->clamped = 0;
    dts_gen_set_depth(g, depth);
}

void dts_gen_set_depth(struct dts_gen *g, int depth)
{
    g->depth = depth < 0 ? 0 : depth > DTS_GEN_MAX_DEPTH ? DTS_GEN_MAX_DEPTH : depth;
    g->nheap = 0;
    g->nheld = 0;
}

int dts_gen_jumps(const struct dts_gen *g, int64_t pts)
{
    if (g->prev_pts == INT64_MIN)
        return 0;
    if (pts > g->prev_pts && pts - g->prev_pts > g->max_forward)
        return 1;
    return g->last != INT64_MIN && pts < g->last && g->last - pts > g->max_back;
}

/* The hold's step: the smallest positive gap between held pts (a frame
 * interval when two neighbours are there, else a multiple of one). */
static int64_t held_step(const struct dts_gen *g)
{
    int64_t d = INT64_MAX;
    for (int i = 0; i < g->nheap; i++)
        for (int j = 0; j < g->nheap; j++)
            if (g->heap[j] > g->heap[i] && g->heap[j] - g->heap[i] < d)
                d = g->heap[j] - g->heap[i];
    return d == INT64_MAX ? 1 : d;
}

int dts_gen_flush(struct dts_gen *g, int64_t *out)
{
    int n = g->nheld;
    if (n == 0)
        return 0;
    int64_t lo = g->heap[0], d = held_step(g);
    for (int k = 0; k < n; k++)
        out[k] = give(g, lo - (int64_t)(n - 1 - k) * d);
    g->nheap = 0;
    g->nheld = 0;
    return n;
}

int dts_gen_push(struct dts_gen *g, int64_t pts, int64_t *out, int *restarted)
{
    if (restarted)
        *restarted = 0;
    if (dts_gen_jumps(g, pts)) {
        g->nheap = 0; /* held frames, if any, were flushed by the caller */
        g->nheld = 0;
        g->last = INT64_MIN;
        if (restarted)
            *restarted = 1;
    }
    g->prev_pts = pts;
    heap_push(g, pts);
    if (g->nheap <= g->depth) { /* still filling a run's hold */
        g->nheld++;
        return 0;
    }
    if (g->nheld == 0) {
        out[0] = give(g, heap_pop(g));
        return 1;
    }
    /* the hold ends: frame D is here */
    int n = g->nheld;
    int64_t lo = g->heap[0], d = held_step(g);
    for (int k = 0; k < n; k++)
        out[k] = give(g, lo - (int64_t)(n - k) * d);
    out[n] = give(g, heap_pop(g));
    g->nheld = 0;
    return n + 1;
}
