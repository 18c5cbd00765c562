/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hls.h - HLS VOD playlists (RFC 8216, fMP4) built from the index alone.
 *
 * The segment files are served as they are: each file's init section is an
 * EXT-X-MAP and each of its fragments (one GOP) an EXT-X-BYTERANGE of the
 * same URI, "segments/ID.mp4" relative to the playlist.  Times:
 * EXT-X-PROGRAM-DATE-TIME at the start and after every change of file, so
 * players show wall-clock time; EXT-X-DISCONTINUITY wherever the media
 * timeline does not continue (a gap, a reconnection, a codec change).  The
 * files of one run continue each other's timestamps (index.md), so a run
 * plays as one timeline.  No file is opened.
 *
 * Threads: any; no state.
 */
#ifndef NVR_HLS_H
#define NVR_HLS_H

#include "base/err.h"

#include "storage/index.h"

#include <stdint.h>
#include <stdio.h>

/* Writes the playlist of every fragment of segs (sorted by start, one
 * camera, as index_segments_list returns them) that overlaps
 * [start_us, end_us).  Returns NVR_OK, or NVR_ENOTFOUND if no fragment
 * overlaps (nothing is written then). */
nvr_err hls_write_vod(FILE *f, const struct index_segment *segs, size_t n, int64_t start_us, int64_t end_us);

/* 1 if b continues a on one media timeline (same connection, no gap, same
 * codec parameters), so no EXT-X-DISCONTINUITY is needed between them. */
int hls_continues(const struct index_segment *a, const struct index_segment *b);

#endif
