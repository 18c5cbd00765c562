/*
 * access_log.h - the disclosure record: an append-only, hash-chained log of
 * who saw or did what, in the index.
 *
 * Each entry is (id, time, user, address, action, camera, detail) plus
 * prev_hash (the previous entry's hash; 32 zero bytes for the first) and
 * hash = SHA-256 of prev_hash and the entry's fields (docs/design/access-log.md
 * gives the exact bytes).  Ids come from AUTOINCREMENT and never repeat, so
 * access_log_verify detects an edited entry (its hash), a deleted one (a gap
 * in the ids and a broken chain) and reordering; cutting off the newest
 * entries is detected against a head hash noted elsewhere (verify prints it).
 *
 * Threads: any thread (the index serialises; an append is one transaction).
 */
#ifndef NVR_STORAGE_ACCESS_LOG_H
#define NVR_STORAGE_ACCESS_LOG_H

#include "storage/index.h"

#include <stdint.h>
#include <stdio.h>

#define ACCESS_TEXT_MAX 512

struct access_entry {
    int64_t id, time_us;
    char user[INDEX_ID_MAX];
    char address[64];
    char action[32];
    char camera[INDEX_ID_MAX];
    char detail[ACCESS_TEXT_MAX];
    uint8_t prev_hash[32], hash[32];
};

/* Appends an entry (texts are truncated to their field sizes; camera and
 * detail may be ""). */
int access_log_append(nvr_index *ix, int64_t time_us, const char *user, const char *address, const char *action,
                      const char *camera, const char *detail);

struct access_filter {
    int64_t from_us, to_us; /* [from, to) */
    const char *user;       /* NULL: any */
    const char *camera;     /* NULL: any */
    const char *action;     /* NULL: any */
    int limit;              /* most entries, newest last */
};

/* Calls fn for each matching entry in id order; stops early if fn returns
 * non-zero. */
int access_log_each(nvr_index *ix, const struct access_filter *f, int (*fn)(const struct access_entry *e, void *arg),
                    void *arg);

/* The newest entry's id and hash (0 and zeros for an empty log): noted
 * elsewhere (an export's manifest), they pin the log up to that entry. */
int access_log_head(nvr_index *ix, int64_t *id, uint8_t hash[32]);

/* Recomputes the whole chain.  Writes one line per problem to report;
 * *problems counts them; head (if not NULL) gets the newest hash and *count
 * the number of entries. */
int access_log_verify(nvr_index *ix, FILE *report, int *problems, uint8_t head[32], int64_t *count);

#endif
