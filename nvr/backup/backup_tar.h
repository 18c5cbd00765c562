/* SPDX-License-Identifier: Apache-2.0 */
/*
 * backup_tar.h - the few POSIX ustar features a backup needs: regular
 * files with a name of at most 99 bytes, written and read in order.
 *
 * Writing: a header (mode, size, mtime, checksum), the data, zero padding
 * to 512 bytes; two zero blocks end the archive.  Reading is strict, so
 * that a damaged archive is refused rather than half read: a header's
 * checksum and magic must match, only regular files are accepted, the
 * padding must be zeros, and the end must be the two zero blocks followed
 * by nothing but zeros.  GNU tar and bsdtar list and extract the result.
 *
 * Threads: any; no state (the FILE is the caller's).
 */
#ifndef NVR_BACKUP_TAR_H
#define NVR_BACKUP_TAR_H

#include "base/err.h"

#include <stdint.h>
#include <stdio.h>

#define BACKUP_TAR_NAME_MAX 99

/* Writes a member's header for size bytes of data named name (mode 0600,
 * mtime in seconds); the caller then writes exactly size bytes and calls
 * backup_tar_pad. */
nvr_err backup_tar_header(FILE *f, const char *name, uint64_t size, int64_t mtime);

/* Zero padding after a member of size bytes. */
nvr_err backup_tar_pad(FILE *f, uint64_t size);

/* The end of the archive (two zero blocks). */
nvr_err backup_tar_end(FILE *f);

/* Reads the next header: the member's name (BACKUP_TAR_NAME_MAX + 1 bytes)
 * and size; NVR_EEOF at the end of the archive (checked as above);
 * NVR_ECORRUPT for anything else that is not a header. */
nvr_err backup_tar_next(FILE *f, char name[BACKUP_TAR_NAME_MAX + 1], uint64_t *size);

/* After the member's size bytes were read: reads and checks its padding. */
nvr_err backup_tar_skip_pad(FILE *f, uint64_t size);

#endif
