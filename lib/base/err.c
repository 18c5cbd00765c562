/* SPDX-License-Identifier: Apache-2.0 */
/*
 * err.c - texts for nvr_err and translation of foreign error codes.
 */
#include "base/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <libavutil/error.h>

const char *nvr_strerror(int err)
{
    switch (err) {
    case NVR_OK: return "ok";
    case NVR_ENOMEM: return "out of memory";
    case NVR_EINVAL: return "invalid argument";
    case NVR_EIO: return "input/output error";
    case NVR_ENOTFOUND: return "not found";
    case NVR_EAUTH: return "authentication failed";
    case NVR_ETIMEDOUT: return "timed out";
    case NVR_ECONN: return "connection failed";
    case NVR_EDB: return "database error";
    case NVR_ECODEC: return "unsupported or broken media";
    case NVR_ECONFIG: return "invalid configuration";
    case NVR_ESTOPPED: return "stopped";
    case NVR_EEOF: return "end of stream";
    case NVR_ECORRUPT: return "stored data does not match the index";
    case NVR_ENOSPC: return "disk full (no space left on device)";
    case NVR_EDAMAGED: return "the index file is damaged";
    case NVR_EACCES: return "permission denied";
    case NVR_EROFS: return "read-only file system";
    case NVR_EOFFLINE: return "storage offline (disk failed or not mounted)";
    case NVR_EEXIST: return "already exists";
    default: return "unknown error";
    }
}

nvr_err nvr_err_from_errno(int e)
{
    switch (e) {
    case 0: return NVR_OK;
    case ENOMEM: return NVR_ENOMEM;
    case ENOENT: return NVR_ENOTFOUND;
    case ENOSPC:
    case EDQUOT: return NVR_ENOSPC;
    case EACCES:
    case EPERM: return NVR_EACCES;
    case EROFS: return NVR_EROFS;
    case ETIMEDOUT:
    case EAGAIN: return NVR_ETIMEDOUT;
    case ECONNREFUSED:
    case ECONNRESET:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EPIPE:
    case ECONNABORTED: return NVR_ECONN;
    case EINVAL: return NVR_EINVAL;
    default: return NVR_EIO;
    }
}

nvr_err nvr_err_from_av(int averr)
{
    if (averr >= 0)
        return NVR_OK;
    switch (averr) {
    case AVERROR(ENOMEM): return NVR_ENOMEM;
    case AVERROR_EOF: return NVR_EEOF;
    case AVERROR_EXIT: return NVR_ESTOPPED;
    case AVERROR_HTTP_UNAUTHORIZED:
    case AVERROR_HTTP_FORBIDDEN: return NVR_EAUTH;
    case AVERROR_INVALIDDATA:
    case AVERROR_DECODER_NOT_FOUND:
    case AVERROR_DEMUXER_NOT_FOUND:
    case AVERROR_PATCHWELCOME: return NVR_ECODEC;
    case AVERROR(ETIMEDOUT):
    case AVERROR(EAGAIN): return NVR_ETIMEDOUT;
    case AVERROR(ECONNREFUSED):
    case AVERROR(ECONNRESET):
    case AVERROR(EHOSTUNREACH):
    case AVERROR(ENETUNREACH):
    case AVERROR(EPIPE):
    case AVERROR_HTTP_NOT_FOUND:
    case AVERROR_HTTP_BAD_REQUEST:
    case AVERROR_HTTP_OTHER_4XX:
    case AVERROR_HTTP_SERVER_ERROR: return NVR_ECONN;
    case AVERROR(ENOSPC): return NVR_ENOSPC;
    case AVERROR(EACCES):
    case AVERROR(EPERM): return NVR_EACCES;
    case AVERROR(EROFS): return NVR_EROFS;
    case AVERROR(EIO): return NVR_EIO;
    default: return NVR_EIO;
    }
}

int nvr_fail(int rc, char *why, size_t whylen, const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return rc;
}
