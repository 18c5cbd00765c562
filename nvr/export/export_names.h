/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export_names.h - the names of an export's files, from its cameras' names.
 *
 * A records officer sees "front-door_cam3.mp4", not "cam3.mp4": every file
 * of a camera is named by its stem, the slug of the camera's display name,
 * "_", and the camera's id.  A slug has only a-z, 0-9 and single inner
 * "-" (Latin-1 letters folded to ASCII: "Café" -> "cafe"), at most
 * EXPORT_SLUG_MAX bytes: no path separator, no dot, no control character,
 * nothing a file system or a zip tool reads twice.  A camera without a
 * name (or whose name slugs to its id) has its id as stem.  Stems are made
 * unique within one export ("-2", "-3" ... appended to a repeated one).
 *
 * Pure functions; no I/O.
 *
 * Threads: any; no state.
 */
#ifndef NVR_EXPORT_NAMES_H
#define NVR_EXPORT_NAMES_H

#include <stddef.h>
#include <stdint.h>

#define EXPORT_SLUG_MAX 40
/* slug + "_" + id (< 65) + "-NN" + NUL */
#define EXPORT_STEM_MAX 112
#define EXPORT_DOWNLOAD_NAME_MAX 200

/* The slug of a UTF-8 text into out (n >= EXPORT_SLUG_MAX + 1); "" when
 * nothing of it is a letter or digit. */
void export_slug(const char *text, char *out, size_t n);

/* The stem of camera id named name (NULL or "": none) into out. */
void export_camera_stem(const char *id, const char *name, char out[EXPORT_STEM_MAX]);

/* The stems of n cameras (ids, names: arrays of n strings, names[i] NULL
 * or "" when unnamed), unique among themselves, into stems[i]. */
void export_camera_stems(const char *const *ids, const char *const *names, size_t n, char (*stems)[EXPORT_STEM_MAX]);

/* The file name to suggest for the zip of an export (Content-Disposition,
 * the page's download link): "export_STEM[+STEM...]_YYYY-MM-DD_HHMMSSZ.zip"
 * with at most three stems ("+N-more" for the rest) and the range's start
 * in UTC.  stems is n stems from export_camera_stems; n == 0 gives
 * "export_YYYY-MM-DD_HHMMSSZ.zip". */
void export_download_name(const char (*stems)[EXPORT_STEM_MAX], size_t n, int64_t from_us,
                          char out[EXPORT_DOWNLOAD_NAME_MAX]);

#endif
