/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export_videos.h - the videos of a finished export (or redacted copy) zip,
 * for playing them where they are: the list from its manifest.json
 * (cameras[].files[] that are MP4s, with their first frame's wall-clock
 * time), and where an MP4's bytes lie inside the zip, so a server can send
 * them with sendfile and Range without extracting anything.
 *
 * Exports store their MP4s uncompressed (ZIP_CM_STORE, export.c and
 * redact.c), so an entry's bytes are one contiguous span of the zip; the
 * span is found from the zip's own central directory (zip64 included),
 * read here because libzip does not expose entry offsets.  A compressed or
 * encrypted entry is refused (NVR_ECODEC) rather than served garbled.
 *
 * Reads only; no state; any thread.
 */
#ifndef NVR_EXPORT_VIDEOS_H
#define NVR_EXPORT_VIDEOS_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

#define EXPORT_VIDEOS_MAX 64

struct export_video {
    char camera[64];          /* the camera's id */
    char camera_name[128];    /* its display name ("" if none) */
    char name[256];           /* the entry's name in the zip ("main-lobby_lobby.mp4") */
    int part;                 /* 1, 2, ...: the camera's n-th video (a format change starts a new one) */
    int derivative;           /* a burn-time copy of another entry (not the evidence itself) */
    int64_t first_us, end_us; /* wall clock of the first frame and of the end */
    double duration;          /* seconds */
};

/* The MP4s listed in zip_path's manifest.json, in manifest order, into
 * out[0..*n) (at most max).  NVR_ENOTFOUND if the zip or its manifest cannot
 * be read, NVR_EINVAL for a malformed manifest. */
nvr_err export_videos_list(const char *zip_path, struct export_video *out, size_t max, size_t *n);

/* Where entry `name`'s bytes are in the zip file: [*offset, *offset + *size).
 * NVR_ENOTFOUND if there is no such entry, NVR_ECODEC if it is compressed or
 * encrypted, NVR_EINVAL for a damaged zip, NVR_EIO for a read error. */
nvr_err export_videos_span(const char *zip_path, const char *name, uint64_t *offset, uint64_t *size);

#endif
