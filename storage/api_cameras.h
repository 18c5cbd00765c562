/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_cameras.h - cameras added over the API, kept in the index so they
 * survive restarts.  Each row is the camera's settings as the key = "value"
 * lines of a [camera ID] section (the config file's syntax), so one parser
 * validates both (nvr/core/camera_store.c).
 *
 * Threads: any thread (the index serialises).
 */
#ifndef NVR_STORAGE_API_CAMERAS_H
#define NVR_STORAGE_API_CAMERAS_H

#include "base/err.h"
#include "storage/index.h"

#include <stddef.h>
#include <stdint.h>

struct api_camera_row {
    char id[INDEX_ID_MAX];
    char *ini; /* owned */
};

/* Every row by id: a new array (free with api_cameras_free). */
nvr_err api_cameras_list(nvr_index *ix, struct api_camera_row **out, size_t *n);
void api_cameras_free(struct api_camera_row **rows, size_t n);

/* Inserts or replaces the row of id. */
nvr_err api_cameras_put(nvr_index *ix, const char *id, const char *ini, int64_t now_us);

/* Deletes the row of id; NVR_ENOTFOUND if there is none. */
nvr_err api_cameras_delete(nvr_index *ix, const char *id);

#endif
