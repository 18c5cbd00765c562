/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h - one-line structured logs on standard error.
 *
 * Every line reads `TIME LEVEL [camera=ID] message key=value ...`, for example
 *   2026-11-22T04:00:00.123Z warn camera=lobby connect failed error="timed out" retry_in=4.1s
 * The formatted message is passed through nvr_url_redact_text() before it is
 * written, so a camera password that slips into a message (our own or one
 * forwarded from libav*) never reaches the log.  The logger keeps no state:
 * each call is one write(2) of one whole line, so lines from different threads
 * never interleave.
 */
#ifndef NVR_BASE_LOG_H
#define NVR_BASE_LOG_H

enum nvr_log_level { NVR_DEBUG = 0, NVR_INFO, NVR_WARN, NVR_ERROR };

/* camera may be NULL for lines that concern no camera. */
void nvr_log(enum nvr_log_level level, const char *camera, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Routes libav*'s own log messages (warnings and errors only) through nvr_log.
 * Call once at start-up; libav* keeps the callback in its own global. */
void nvr_log_capture_av(void);

#endif
