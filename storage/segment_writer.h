/* SPDX-License-Identifier: Apache-2.0 */
/*
 * segment_writer.h - writes one segment file: fragmented MP4, stream copy.
 *
 * The file is an init section (ftyp + moov with no samples) followed by one
 * fragment (moof + mdat) per call to segment_writer_flush_fragment(); the
 * caller flushes before each keyframe, so a fragment is one GOP.  Such a file
 * plays on its own in ffmpeg and VLC, and the same bytes serve as HLS fMP4
 * (the init section is EXT-X-MAP, each fragment one EXT-X-BYTERANGE part).
 *
 * The writer knows exactly how many bytes it wrote (it owns the AVIOContext
 * and the fd), keeps a running SHA-256 of them, and fdatasyncs after each
 * fragment when asked to, so that a fragment reported as flushed is durable
 * (and then drops the fragment's whole pages from the page cache).
 * No trailer is written: a finished file and a file truncated after any
 * fragment look alike, which is what crash recovery relies on.
 *
 * Threads: a writer is used by one thread at a time (the camera's writer).
 */
#ifndef NVR_STORAGE_SEGMENT_WRITER_H
#define NVR_STORAGE_SEGMENT_WRITER_H

#include "base/err.h"

#include <libavcodec/avcodec.h>
#include <stdint.h>

struct segment_writer;

struct segment_writer_params {
    const char *camera;             /* for log lines */
    const AVCodecParameters *video; /* borrowed (copied): H.264 or HEVC */
    AVRational video_tb;            /* time base of the video packets given */
    const AVCodecParameters *audio; /* borrowed (copied), NULL for no audio track */
    AVRational audio_tb;
    int fd;   /* an empty file open for writing; ownership
               * passes to the writer even on failure */
    int sync; /* fdatasync after each fragment */
};

/* Creates the writer and writes the init section.  *out owns the writer. */
nvr_err segment_writer_open(struct segment_writer **out, const struct segment_writer_params *p);

/* Bytes of the init section (ftyp + moov). */
uint32_t segment_writer_init_bytes(const struct segment_writer *w);

/* Total bytes written to the file so far (init + flushed fragments). */
uint64_t segment_writer_bytes(const struct segment_writer *w);

/* Queues one packet into the current fragment.  track 0 = video, 1 = audio.
 * pts/dts are in the track's time base, relative to the segment start
 * (>= 0, dts increasing), and pkt->duration must be set.  pkt->opaque is
 * NULL or, for Annex-B video, a struct nal_layout (base/nal_layout.h) that
 * saves the scan for start codes (checked; ignored when it does not
 * describe these bytes).  Borrowed. */
nvr_err segment_writer_write(struct segment_writer *w, AVPacket *pkt, int track);

/* Ends the current fragment: writes it out (and fdatasyncs if sync).  On
 * success *bytes is the fragment's size, 0 if no packet was queued. */
nvr_err segment_writer_flush_fragment(struct segment_writer *w, uint32_t *bytes);

/* Closes the file (after a final flush the caller has done) and frees the
 * writer; sets *w NULL.  If sha256 is not NULL it receives the SHA-256 of
 * every byte written.  Tolerates *w == NULL. */
nvr_err segment_writer_close(struct segment_writer **w, uint8_t sha256[32]);

#endif
