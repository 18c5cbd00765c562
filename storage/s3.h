/* SPDX-License-Identifier: Apache-2.0 */
/*
 * s3.h - a small client of S3-compatible object storage (AWS S3, MinIO,
 * Ceph RGW, Wasabi, s3rver): PUT a file, HEAD, GET to a file, DELETE, one
 * object at a time, signed with AWS Signature Version 4 by libcurl
 * (CURLOPT_AWS_SIGV4; no signer of our own).
 *
 * Integrity: a PUT sends the file's SHA-256 as x-amz-content-sha256 (the
 * signed payload hash: a server that checks it refuses a body that does not
 * match), and the archive verifies the object's size with HEAD afterwards.
 *
 * Credentials live only in the client (never logged: log lines and errors
 * carry the bucket and key, never the keys or a signed URL).
 *
 * Threads: a client may be used by several threads at once (each call uses
 * its own curl handle).
 */
#ifndef NVR_STORAGE_S3_H
#define NVR_STORAGE_S3_H

#include "base/err.h"

#include <stdint.h>

struct s3_client;

struct s3_config {
    const char *url;        /* s3://bucket[/prefix] */
    const char *endpoint;   /* http(s)://host[:port]; NULL: https://s3.REGION.amazonaws.com */
    const char *region;     /* NULL: us-east-1 */
    const char *access_key; /* required */
    const char *secret_key; /* required */
    int path_style;         /* 1: endpoint/bucket/key (MinIO, Ceph, s3rver); 0: bucket.host/key */
    int timeout_s;          /* per request; 0: 300 */
};

/* Checks c (NVR_EINVAL with why) and makes a client (copies everything). */
nvr_err s3_client_new(struct s3_client **out, const struct s3_config *c, char *why, size_t n);
void s3_client_free(struct s3_client **c);

/* "s3://bucket/prefix/rel": the object that name rel has (a new string). */
char *s3_object_url(const struct s3_client *c, const char *rel);

/* Uploads the file at path (size bytes, SHA-256 sha) as the object url.
 * NVR_ECONN (server down), NVR_EAUTH (refused: 401/403), NVR_EIO (other
 * answer), with why. */
nvr_err s3_put_file(struct s3_client *c, const char *url, const char *path, uint64_t size, const uint8_t sha[32],
                    char *why, size_t n);

/* The object's size (NVR_ENOTFOUND if there is none). */
nvr_err s3_head(struct s3_client *c, const char *url, uint64_t *size, char *why, size_t n);

/* Downloads the object into the open file fd (from its start). */
nvr_err s3_get_fd(struct s3_client *c, const char *url, int fd, uint64_t *size, char *why, size_t n);

/* Deletes the object (a missing one is fine). */
nvr_err s3_delete(struct s3_client *c, const char *url, char *why, size_t n);

#endif
