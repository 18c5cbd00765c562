/* SPDX-License-Identifier: Apache-2.0 */
/*
 * coverage.h - one camera's recorded coverage as JSON: runs of continuous
 * footage and their segments.  The same document is printed by
 * `nvr recordings --json` and served by GET /api/v1/cameras/{id}/recordings.
 *
 * Threads: any; no state.
 */
#ifndef NVR_COVERAGE_H
#define NVR_COVERAGE_H

#include "storage/index.h"

#include <stdio.h>

/* Writes {"camera":..,"runs":[..],"segments":[..]} for segs (sorted by start). */
void coverage_write_json(FILE *f, const char *camera, const struct index_segment *segs, size_t n);

/* Index of the last segment of the run that starts at segs[i]. */
size_t coverage_run_end(const struct index_segment *segs, size_t n, size_t i);

#endif
