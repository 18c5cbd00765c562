/* SPDX-License-Identifier: Apache-2.0 */
/*
 * err.h - the project's one error type.
 *
 * Every function that can fail returns an nvr_err: NVR_OK (0) on success or a
 * negative code.  Errors from libraries are translated where they enter our
 * code (nvr_err_from_av for libav*'s AVERROR, index.c for SQLITE_*), so callers
 * never see a foreign error space.  nvr_strerror() gives a short static text.
 *
 * Threads: any; no state (the texts are constants).
 */
#ifndef NVR_BASE_ERR_H
#define NVR_BASE_ERR_H

#include <stddef.h>

typedef enum nvr_err {
    NVR_OK = 0,
    NVR_ENOMEM = -1,    /* allocation failed */
    NVR_EINVAL = -2,    /* bad argument or malformed input */
    NVR_EIO = -3,       /* file system error (errno is logged by the caller) */
    NVR_ENOTFOUND = -4, /* no such camera, segment, file */
    NVR_EAUTH = -5,     /* camera refused our credentials (401/403) */
    NVR_ETIMEDOUT = -6, /* camera stopped answering or sending */
    NVR_ECONN = -7,     /* connection refused, reset or unreachable */
    NVR_EDB = -8,       /* SQLite error */
    NVR_ECODEC = -9,    /* unsupported or broken media */
    NVR_ECONFIG = -10,  /* configuration is invalid */
    NVR_ESTOPPED = -11, /* operation interrupted because we are shutting down */
    NVR_EEOF = -12,     /* end of stream */
    NVR_ECORRUPT = -13, /* stored data does not match the index */
    NVR_ENOSPC = -14,   /* file system full (ENOSPC, EDQUOT, SQLITE_FULL, an SQLite I/O
                         * error whose system call failed with ENOSPC) */
    NVR_EDAMAGED = -15, /* the index file is damaged (SQLITE_CORRUPT, SQLITE_NOTADB,
                         * PRAGMA quick_check) */
    NVR_EACCES = -16,   /* permission denied (EACCES, EPERM: also an immutable directory) */
    NVR_EROFS = -17,    /* read-only file system (EROFS) */
    NVR_EOFFLINE = -18, /* the storage dir holding it is offline (failed disk, not mounted) */
    NVR_EEXIST = -19,   /* it exists already (a camera id taken) */
} nvr_err;

/* Short, static, human-readable text for an error code. */
const char *nvr_strerror(int err);

/* Writes the reason for an error into why (printf format, why may be NULL)
 * and returns rc: `return nvr_fail(NVR_ECONN, why, whylen, "...", ...);`. */
int nvr_fail(int rc, char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Translate a libav* AVERROR code into an nvr_err. */
nvr_err nvr_err_from_av(int averr);

/* Translate an errno value into an nvr_err. */
nvr_err nvr_err_from_errno(int e);

#endif
