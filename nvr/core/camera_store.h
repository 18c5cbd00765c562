/* SPDX-License-Identifier: Apache-2.0 */
/*
 * camera_store.h - where cameras come from, and how the two sources combine:
 *
 *   - the config file is authoritative for the cameras it declares; they are
 *     read-only over the API (edit the file, then SIGHUP reloads it: added,
 *     changed and removed cameras take effect at once, the others keep
 *     recording);
 *   - cameras added over the API are stored in the index (api_cameras.h) as
 *     [camera ID] lines, validated by the same parser as the file, and
 *     recorded again after a restart;
 *   - an id in both: the file wins (the stored camera is ignored, with a
 *     warning in the log).
 *
 * Threads: the main thread (start-up, SIGHUP) and HTTP handlers; each
 * edit (a save, a delete, a reload) holds the set's edit lock from its
 * check to its last change (cameras_edit_begin).
 */
#ifndef NVR_CAMERA_STORE_H
#define NVR_CAMERA_STORE_H

#include "base/err.h"
#include "base/config.h"
#include "storage/storage.h"

#include <stddef.h>

struct nvr;

/* Parses a camera given as its id and `key = "value"` lines, with exactly
 * the rules of the config file.  On success *out owns a config holding this
 * one camera (cameras[0]); on failure NVR_ECONFIG with the reasons (no file
 * or line) in err. */
nvr_err camera_store_parse(const char *id, const char *ini, struct nvr_config **out, char *err, size_t errlen);

/* Whether id names a camera of the config file or one stored over the API
 * (for the command line, which has no running camera set). */
int camera_store_known(const struct nvr_config *cfg, struct storage *st, const char *id);

/* Starts the cameras stored over the API (at start-up, after the file's). */
nvr_err camera_store_load(struct nvr *nvr);

/* SIGHUP: re-reads the config file and applies its camera changes.  A file
 * with errors changes nothing (its errors are logged with file:line). */
void camera_store_reload_file(struct nvr *nvr);

/* Adds (replace 0) or changes (replace 1) an API camera: stores it, then
 * records it, as one edit (cameras_edit_begin: the check and the change
 * cannot be split by another edit).  NVR_EINVAL with err for bad settings;
 * NVR_EEXIST (add: the id is taken), NVR_ENOTFOUND (change: no such
 * camera), NVR_EACCES (change: a camera of the config file). */
nvr_err camera_store_save(struct nvr *nvr, const char *id, const char *ini, int replace, char *err, size_t errlen);

/* Stops and forgets an API camera (its footage stays), as one edit:
 * NVR_ENOTFOUND (none), NVR_EACCES (a camera of the config file). */
nvr_err camera_store_delete(struct nvr *nvr, const char *id);

#endif
