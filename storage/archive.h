/* SPDX-License-Identifier: Apache-2.0 */
/*
 * archive.h - the archive tier: footage older than archive_after_days is
 * moved to S3-compatible object storage (s3.h) and read back from there
 * transparently (docs/design/storage.md, "Archive tier").
 *
 * Moving one segment keeps the order of the other writes of storage/:
 *   1. PUT the file (its SHA-256 is the signed payload hash), HEAD it: the
 *      object has the segment's size;
 *   2. one transaction: the row points at the object (segments.archive),
 *      the local file goes to the garbage table;
 *   3. unlink the local file, fsync its directory, drop the garbage row.
 * A crash between 1 and 2 leaves a local segment and a stray object (the
 * next attempt PUTs it again, same key); between 2 and 3 a garbage row
 * that start-up finishes.  So a row always points at footage that exists.
 *
 * Reading: storage_segment_open_read gives an fd of a local copy in
 * data_dir/archive_cache/ (fetched whole, checked against the segment's
 * SHA-256, kept up to archive_cache bytes, least recently used first out);
 * storage_segment_present trusts the index for archived rows.  Retention
 * deletes objects like files (their garbage path is the s3:// URL); holds
 * keep them.  A bucket that is down only delays archiving (the thread backs
 * off): recording never waits for it.
 *
 * Threads: one archive thread; fetching runs on the reader's thread.
 */
#ifndef NVR_STORAGE_ARCHIVE_H
#define NVR_STORAGE_ARCHIVE_H

#include "base/err.h"
#include "storage/s3.h"
#include "storage/storage.h"

#include <stdint.h>

struct archive;

struct archive_params {
    struct s3_config s3;
    double after_days;
    uint64_t cache_bytes;
    int interval_ms; /* between passes; 0: 5000 */
    int read_only;   /* no archiving thread: only read (and delete) archived footage */
};

/* Starts archiving st's old footage (and lets st read and delete
 * archived footage).  NVR_EINVAL with why for a bad configuration. */
nvr_err archive_start(struct archive **out, struct storage *st, const struct archive_params *p, char *why, size_t n);

/* Stops the thread (an upload in progress is abandoned: its segment stays
 * local) and frees *a; tolerates NULL. */
void archive_stop(struct archive **a);

struct archive_status {
    int configured;
    char url[256];         /* s3://bucket/prefix */
    int ok;                /* the last request succeeded */
    char last_error[256];  /* "" when ok */
    int64_t last_error_us; /* 0 if none */
    uint64_t uploaded, uploaded_bytes, deleted;
    int64_t last_upload_us;
    double upload_bytes_per_s; /* the last upload's rate */
};

/* Tolerates a NULL a (configured 0). */
void archive_get_status(struct archive *a, struct archive_status *s);

#endif
