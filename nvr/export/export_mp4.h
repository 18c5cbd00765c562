/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export_mp4.h - one playable MP4 (moov first, "faststart") stream-copied
 * from a camera's stored fMP4 segments, with a timed-text track giving the
 * wall-clock time.
 *
 * The stored segments are fragmented MP4 (docs/design/storage.md); the
 * export is a classic MP4 that every player opens (VLC, QuickTime, Windows'
 * player, browsers).  Nothing is decoded or re-encoded and no sample bytes
 * pass through libavformat: the sample tables are read from each selected
 * fragment's moof (trun), the moov is built from them in memory, and the
 * mdat is the fragments' sample data copied byte for byte from the segment
 * files (as Moonfire NVR builds its .mp4 from its index and sample files).
 * So an export costs one read of the footage and one write.
 *
 * What goes in (docs/design/export.md):
 *   - from the fragment (GOP) containing `from` -- it starts with a
 *     keyframe, so the keyframe at or before `from` -- through the last
 *     frame starting before `to`;
 *   - video (H.264/H.265) and audio when it was recorded (AAC, or FLAC from
 *     a G.711 camera, docs/design/ingest.md "Audio");
 *   - one file per camera and per track layout: the segments of a part
 *     share codec parameters (the sample descriptions of their init
 *     sections are identical); a change (new SPS, resolution, audio turned
 *     on) starts a new part, and so does a gap longer than one sample's
 *     duration can span (about 12 h at a 90 kHz timescale);
 *   - within a run timestamps continue across segment boundaries exactly as
 *     stored; across a gap (camera offline) the file stays one timeline:
 *     the last frame before the gap is held for the gap's wall-clock length
 *     and the text track says "no recording" -- so file time stays
 *     proportional to wall-clock time;
 *   - a text track (tx3g, handler sbtl, 1 s cues) with the wall-clock time
 *     of what is on screen: local time with zone and UTC.
 *
 * Threads: an export_mp4 belongs to one thread.
 */
#ifndef NVR_EXPORT_MP4_H
#define NVR_EXPORT_MP4_H

#include "base/err.h"
#include "storage/storage.h"

#include <stddef.h>
#include <stdint.h>

struct export_mp4;

/* Splits segs[0..n) (one camera, by start time) into parts of identical
 * track layout: part k is segs[part_end[k-1] .. part_end[k]).  part_end
 * must hold n entries; *nparts receives the count.  Reads each segment's
 * init section only. */
nvr_err export_mp4_split(struct storage *st, const struct index_segment *segs, size_t n, size_t *part_end,
                         size_t *nparts);

/* Plans one part: reads the init section and the moof of every selected
 * fragment of segs[0..n) (borrowed; must outlive *out) overlapping
 * [from_us, to_us) and builds the moov.  NVR_ENOTFOUND if no frame falls in
 * the range; NVR_ECORRUPT if a file does not match its index row. */
nvr_err export_mp4_open(struct storage *st, const struct index_segment *segs, size_t n, int64_t from_us, int64_t to_us,
                        struct export_mp4 **out);

/* Size of the whole file in bytes. */
uint64_t export_mp4_size(const struct export_mp4 *m);

/* Wall clock of the first frame and end of the last; video duration in us. */
void export_mp4_span(const struct export_mp4 *m, int64_t *first_us, int64_t *end_us, int64_t *duration_us);

/* The next up to len bytes of the file into buf: returns the count (0 at
 * the end) or a negative nvr_err (a segment file vanished or is short). */
int64_t export_mp4_read(struct export_mp4 *m, void *buf, size_t len);

void export_mp4_free(struct export_mp4 **m);

/* ---- the text shown for a wall-clock time (also used by the manifest) ---- */

/* "2026-11-22 09:00:01 CET (UTC+01:00)" in the process's local time zone. */
void export_format_local(int64_t us, char *buf, size_t n, int with_seconds_frac);

#endif
