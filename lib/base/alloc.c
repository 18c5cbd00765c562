/* SPDX-License-Identifier: Apache-2.0 */
/* alloc.c - glibc allocator policy for the whole process (alloc.h). */
#include "base/alloc.h"

#include "base/clock.h"
#include "base/log.h"

#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* Bounds of what glibc's allocator may keep resident after free (issue 20,
 * bench/soak: with a 128 MiB trim threshold and glibc's default of 8 arenas
 * per core, RSS rose 45 -> 82 MB in 12 minutes of 32 cameras while the
 * memory in use stayed at ~27 MB: the rest was freed memory the arenas kept).
 *
 * TRIM: free memory at the top of an arena above this goes back to the
 * kernel.  8 MiB is above the largest buffer a request builds and frees over
 * and over (a 24-hour playlist, ~3 MB, the reason for the mmap threshold),
 * so those are still reused, and bounds what one burst leaves behind.
 *
 * ARENAS: every thread that calls malloc gets one of the arenas, and `nvr
 * run` has two threads per camera; each arena keeps its own free memory and
 * high-water mark, so the retained memory multiplies with their number.
 * One arena per core (2 to 8) is enough against contention, and is what a
 * small site gets.  But an arena's large-chunk paths (freed frames sorted
 * into size-ordered bins, neighbours merged) cost more per frame the more
 * cameras' frames it holds: with 2 arenas, 256 cameras cost 1.20x per stream
 * of 64, with 16 arenas 1.05x by the medians of alternating runs
 * (bench/README.md, issue 21, "the 256-camera curve on another machine"), at
 * the same RSS per camera.  So a site with
 * many cameras gets one arena per ALLOC_CAMERAS_PER_ARENA cameras, up to
 * ALLOC_ARENAS_MAX: the memory an arena keeps is then shared by that many
 * cameras.  glibc fixes the count when the first thread needs an arena, so
 * it follows the cameras configured at start-up.  MALLOC_ARENA_MAX in the
 * environment still wins.
 *
 * Neither bound reaches freed memory below the top of an arena (a long-lived
 * object allocated after a burst pins the top): nvr_alloc_trim
 * returns those pages, once a minute from the main thread. */
#define ALLOC_TRIM_BYTES (8 * 1024 * 1024)
#define ALLOC_ARENAS_MIN 2
#define ALLOC_ARENAS_CORES_MAX 8 /* one per core up to this */
#define ALLOC_ARENAS_MAX 16
#define ALLOC_CAMERAS_PER_ARENA 16

int nvr_alloc_arenas(size_t cameras)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int n = cores < ALLOC_ARENAS_MIN         ? ALLOC_ARENAS_MIN
            : cores > ALLOC_ARENAS_CORES_MAX ? ALLOC_ARENAS_CORES_MAX
                                             : (int)cores;
    size_t by_cameras = (cameras + ALLOC_CAMERAS_PER_ARENA - 1) / ALLOC_CAMERAS_PER_ARENA;
    if (by_cameras > ALLOC_ARENAS_MAX)
        by_cameras = ALLOC_ARENAS_MAX;
    return (size_t)n < by_cameras ? (int)by_cameras : n;
}

void nvr_alloc_tune(size_t cameras)
{
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, ALLOC_TRIM_BYTES);
    if (!getenv("MALLOC_ARENA_MAX"))
        mallopt(M_ARENA_MAX, nvr_alloc_arenas(cameras));
}

void nvr_alloc_trim(void)
{
    int64_t t0 = nvr_clock_mono_us();
    malloc_trim(0);
    int64_t us = nvr_clock_mono_us() - t0;
    if (us >= 200000) /* bench/soak, 32 cameras on a loaded 2-core machine: 7 to 60 ms */
        nvr_log(NVR_INFO, NULL, "allocator: malloc_trim took ms=%lld", (long long)(us / 1000));
}
