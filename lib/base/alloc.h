/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alloc.h - how glibc's allocator behaves in this process: its thresholds,
 * how many arenas it may make, and giving freed pages back to the kernel
 * (docs/design/memory.md, "The allocator").  A process-wide policy: the
 * arena count follows the recorder's camera count, and the thresholds follow
 * what the HTTP server builds and frees (multi-MB answers).
 *
 * Invariants:
 *   1. nvr_alloc_tune runs once, on the main thread, before any other thread
 *      starts: glibc fixes the arena count when the first thread needs an
 *      arena, so cameras added later do not change it until a restart.
 *   2. MALLOC_ARENA_MAX in the environment wins over nvr_alloc_arenas.
 *
 * Threads: nvr_alloc_tune as in 1; nvr_alloc_arenas any (no state);
 * nvr_alloc_trim any, in practice the main thread once a minute.
 */
#ifndef NVR_BASE_ALLOC_H
#define NVR_BASE_ALLOC_H

#include <stddef.h>

/* Responses of a few MB (a 24-hour playlist is ~3 MB) are built in memory,
 * and with glibc's defaults each one is mmap'ed fresh and returned to the
 * kernel afterwards, costing ~1000 page faults a request.  Raises the mmap
 * and trim thresholds so such buffers are reused from the heap, and sets the
 * number of arenas for this many cameras (nvr_alloc_arenas).  See
 * invariant 1. */
void nvr_alloc_tune(size_t cameras);

/* The arenas glibc may make for a recorder of this many cameras: one per
 * core (2 to 8), or one per 16 cameras when that is more (at most 16). */
int nvr_alloc_arenas(size_t cameras);

/* Returns the free pages the allocator keeps inside its arenas to the kernel
 * (malloc_trim): what the thresholds cannot bound.  Call now and then (`nvr
 * run`: every TRIM_EVERY_S from the main thread).  It walks the free lists
 * under each arena's lock: threads allocating meanwhile wait (7 to 60 ms with
 * 32 cameras on a loaded 2-core machine).  Logs when it took 200 ms or more. */
void nvr_alloc_trim(void);

#endif
