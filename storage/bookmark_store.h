/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bookmark_store.h - bookmarks (migration 13; docs/design/playback.md,
 * "Bookmarks"): a short note a user leaves at an instant of a camera's
 * footage, listed, searched and shared as a link to that instant.
 *
 * Invariants (bookmark_store_check):
 *   B1 a bookmark lives only where footage of its camera does: it is added
 *      only where the camera's last segment to start before time + 1 s ends
 *      after time - 1 s (or is being written), and deleting a segment row
 *      deletes the bookmarks near it that no longer pass that test (the
 *      trigger of migration 13).  So retention removes a bookmark with the
 *      footage it points at, a hold keeps both, and a bookmark never keeps
 *      footage by itself.
 *   B2 a note is at most BOOKMARK_NOTE_MAX bytes of UTF-8 (a CHECK of the
 *      table; the HTTP layer checks the UTF-8)
 *   B3 a user has at most the per-user bound of bookmarks (checked in the
 *      transaction that adds one, so two requests at once cannot pass it)
 *
 * Threads: any thread (the index serialises).
 */
#ifndef NVR_STORAGE_BOOKMARK_STORE_H
#define NVR_STORAGE_BOOKMARK_STORE_H

#include "base/err.h"
#include "storage/index.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BOOKMARK_NOTE_MAX 500    /* B2: bytes */
#define BOOKMARK_USER_MAX 10000  /* B3: the bound the server uses */
#define BOOKMARK_LIST_MAX 1000   /* most bookmarks in one answer */
#define BOOKMARK_QUERY_MAX 100   /* bytes of a search text */
#define BOOKMARK_CAMERAS_MAX 256 /* cameras in one listing */

struct bookmark {
    int64_t id; /* 0 until stored */
    char camera[INDEX_ID_MAX];
    int64_t time_us; /* UTC microseconds */
    char note[BOOKMARK_NOTE_MAX + 1];
    char author[INDEX_ID_MAX];
    int64_t created_us;
};

/* Why bookmark_add did not add (its answer is NVR_OK either way). */
enum bookmark_refusal {
    BOOKMARK_ADDED = 0,
    BOOKMARK_NO_FOOTAGE, /* B1: no footage of the camera at that instant */
    BOOKMARK_USER_FULL,  /* B3: the author has user_max bookmarks already */
};

/* Adds b (camera, time_us, note, author, created_us are read) and sets
 * b->id, unless *why says why not.  NVR_EINVAL for an empty camera or
 * author or a note over BOOKMARK_NOTE_MAX bytes. */
nvr_err bookmark_add(nvr_index *ix, struct bookmark *b, int64_t user_max, enum bookmark_refusal *why);

/* One bookmark by id into *out; NVR_ENOTFOUND if there is none. */
nvr_err bookmark_get(nvr_index *ix, int64_t id, struct bookmark *out);

/* Deletes bookmark id; NVR_ENOTFOUND if there is none. */
nvr_err bookmark_delete(nvr_index *ix, int64_t id);

struct bookmark_query {
    const char *const *cameras; /* borrowed; ncameras of them (1..BOOKMARK_CAMERAS_MAX) */
    size_t ncameras;
    int64_t from_us, to_us; /* time_us in [from_us, to_us) */
    const char *text;       /* NULL or "": any note; else notes containing it (ASCII case folded) */
    size_t max;             /* 1..BOOKMARK_LIST_MAX */
};

/* The bookmarks matching q, by time then id, at most q->max (*more = 1 if
 * there were more; more may be NULL).  *out is malloc'ed (free()), NULL
 * when none. */
nvr_err bookmark_list(nvr_index *ix, const struct bookmark_query *q, struct bookmark **out, size_t *n, int *more);

/* How many bookmarks author has. */
nvr_err bookmark_count_author(nvr_index *ix, const char *author, int64_t *count);

/* Checks B1 and B2, writing one line per kind of problem to report; with
 * repair deletes the rows that break them.  *problems counts the rows. */
nvr_err bookmark_store_check(nvr_index *ix, int repair, FILE *report, int *problems);

/* Writes b as the JSON object of the bookmarks API (docs/ref/http-api.md). */
void bookmark_write_json(FILE *f, const struct bookmark *b);

#endif
