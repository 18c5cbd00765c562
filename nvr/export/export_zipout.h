/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export_zipout.h - the file a zip is written to: a libzip source that
 * collects libzip's small writes (8 KiB each) into 4 MiB ones, which matters
 * when an export writes gigabytes (a quarter million fewer system calls per
 * camera-hour).  Like libzip's own file source it writes a temporary file
 * next to the target and renames it into place on commit, so a reader
 * never sees a partial zip; a discarded archive leaves nothing.
 *
 * Threads: one archive, one thread.
 */
#ifndef NVR_EXPORT_ZIPOUT_H
#define NVR_EXPORT_ZIPOUT_H

#include "base/err.h"

#include <stddef.h>
#include <zip.h>

/* A new, empty archive that zip_close() writes to path (replacing it).
 * NULL with a message in err on failure. */
zip_t *export_zipout_create(const char *path, char *err, size_t errlen);

/* Reads the whole entry name (at most max bytes) of an open zip into a new
 * NUL-terminated buffer *out of *len bytes (free()): NVR_ENOTFOUND if there
 * is none, NVR_EINVAL if it is larger than max, NVR_ECORRUPT if it cannot be
 * read whole.  For the small entries of exports (manifest, signature, key). */
nvr_err export_zip_read(zip_t *z, const char *name, char **out, size_t *len, size_t max);

#endif
