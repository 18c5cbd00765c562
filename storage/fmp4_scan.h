/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmp4_scan.h - reading a segment file back into an index row: the file is
 * self-describing (docs/design/storage.md, "Segment files"), so the index
 * can be rebuilt from it (storage_rebuild.c).
 *
 *   ftyp moov | moof mdat | moof mdat | ...
 *
 * The init section is ftyp+moov; each moof+mdat pair is one fragment.  A
 * fragment's media duration is the distance between its video track's
 * tfdt and the next fragment's (the last one: the sum of its trun sample
 * durations, or trex/tfhd defaults), rescaled from the track's mdhd
 * timescale to microseconds.  A torn tail (a box that runs past the end of
 * the file, or a moof with no mdat) is not a fragment.
 *
 * Pure parsing: reads through a callback, allocates only the fragment list.
 *
 * Threads: any; no state (fmp4_scan_fd reads with pread: the fd's offset is
 * left alone).
 */
#ifndef NVR_STORAGE_FMP4_SCAN_H
#define NVR_STORAGE_FMP4_SCAN_H

#include "base/err.h"
#include "storage/fragments.h"

#include <stddef.h>
#include <stdint.h>

struct fmp4_scan {
    uint32_t init_bytes;        /* ftyp + moov */
    struct fragment_list frags; /* whole fragments: bytes (moof+mdat), video duration_us */
    uint64_t bytes;             /* init_bytes + sum of fragment bytes */
    uint64_t file_bytes;        /* the file's size (> bytes if it has a torn tail) */
    int64_t media_start_us;     /* the first video fragment's tfdt, in microseconds */
    int64_t media_us;           /* sum of the fragment durations */
    int64_t frames;             /* video samples */
    char video_codec[16];       /* "h264", "hevc", or the sample entry's type */
    int width, height;
    char audio_codec[16]; /* "aac", "flac" or "" */
};

/* Reads n bytes at off into buf; returns the bytes read (< n at the end of
 * the file) or -1. */
typedef long (*fmp4_read_fn)(void *arg, uint64_t off, void *buf, size_t n);

/* Scans a file of size bytes through read.  *out owns out->frags (free
 * with fragments_free) on success.  NVR_ECODEC if it is not an fMP4 with a
 * video track (no ftyp/moov at the start, no video trak). */
nvr_err fmp4_scan(fmp4_read_fn read, void *arg, uint64_t size, struct fmp4_scan *out);

/* The same on an open file descriptor (pread). */
nvr_err fmp4_scan_fd(int fd, struct fmp4_scan *out);

#endif
