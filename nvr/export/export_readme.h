/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export_readme.h - the texts of an export for people: README.txt and
 * SHA256SUMS.txt.
 *
 * README.txt is written for a records officer, not an engineer: the case,
 * reason and operator; every camera by name and id with its files; the
 * range in UTC and in the recorder's local time zone (named: "America/
 * Chicago, CST"); when it was exported; the signing key's fingerprint;
 * every file's size and SHA-256; and the exact commands that check them on
 * Linux, macOS and Windows and check the signature.  Plain UTF-8 text, LF
 * line ends, at most EXPORT_README_COLUMNS characters a line (except a
 * command naming a file too long for it).
 *
 * SHA256SUMS.txt is the same hashes in the form `sha256sum -c` and
 * `shasum -a 256 -c` read ("HEX  NAME" per line).
 *
 * Both are built when the export reaches them (after the footage, so every
 * hash is known) and both are listed, with their own SHA-256, in the signed
 * manifest: a changed byte of either fails `nvr verify`.  Neither can list
 * its own hash, nor the manifest's; README.txt says so.
 *
 * Local times use the process's time zone (localtime_r, TZ), as the
 * manifest and the MP4s' subtitles do.
 *
 * Threads: any (the export worker, `nvr export`, `nvr redact`); no state: the
 * zone is read from TZ and /etc/localtime at each call, and nothing in the
 * program sets TZ.
 */
#ifndef NVR_EXPORT_README_H
#define NVR_EXPORT_README_H

#include "base/err.h"
#include "export/export.h"

#include <stddef.h>
#include <stdint.h>

#define EXPORT_README_COLUMNS 100
#define EXPORT_SUMS_NAME "SHA256SUMS.txt"

/* One file of the export as the texts list it (borrowed pointers). */
struct export_readme_file {
    const char *name; /* its name in the zip */
    uint64_t bytes;
    const uint8_t *sha256;                 /* 32 bytes */
    int cam;                               /* the request's camera it belongs to, -1: none */
    int native;                            /* an original recorded file (else a video made for the export) */
    const char *derivative_of;             /* a copy with the time burned in: the name of its original; else NULL */
    int64_t first_us, end_us, duration_us; /* a video: its first frame, end, length */
};

struct export_readme {
    const struct export_request *req;
    int64_t exported_us;
    const char *fingerprint; /* the signing key's, "sha256:HEX" */
    const struct export_readme_file *files;
    size_t nfiles;
    const char *sums_name; /* the name of the checksum file, e.g. "SHA256SUMS.txt" */
};

/* The zone the recorder's local times are in ("America/Chicago"): TZ, else
 * the target of /etc/localtime, else "UTC". */
void export_zone_name(char *out, size_t n);

/* README.txt into a new buffer (*out, *len; free() it). */
nvr_err export_readme_text(const struct export_readme *in, char **out, size_t *len);

/* SHA256SUMS.txt into a new buffer (*out, *len; free() it). */
nvr_err export_sums_text(const struct export_readme_file *files, size_t n, char **out, size_t *len);

#endif
