/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c - the structured, redacting, stateless logger (see log.h).
 */
#include "base/log.h"

#include "base/clock.h"
#include "base/url.h"

#include <libavutil/log.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *level_name(enum nvr_log_level l)
{
    switch (l) {
    case NVR_DEBUG: return "debug";
    case NVR_INFO: return "info";
    case NVR_WARN: return "warn";
    default: return "error";
    }
}

static void log_emit(enum nvr_log_level level, const char *camera, const char *fmt, va_list ap)
{
    char msg[1024], safe[1024], line[1200], ts[NVR_TIME_BUFSZ];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    nvr_url_redact_text(msg, safe, sizeof safe);
    nvr_clock_format_ms(nvr_clock_now_us(), ts);
    int len;
    if (camera)
        len = snprintf(line, sizeof line, "%s %s camera=%s %s\n", ts, level_name(level), camera, safe);
    else
        len = snprintf(line, sizeof line, "%s %s %s\n", ts, level_name(level), safe);
    if (len < 0)
        return;
    if ((size_t)len >= sizeof line) {
        len = sizeof line - 1;
        line[len - 1] = '\n';
    }
    ssize_t w = write(STDERR_FILENO, line, (size_t)len);
    (void)w;
}

void nvr_log(enum nvr_log_level level, const char *camera, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit(level, camera, fmt, ap);
    va_end(ap);
}

static void log_av_callback(void *avcl, int level, const char *fmt, va_list ap)
{
    (void)avcl;
    if (level > AV_LOG_WARNING)
        return;
    /* libav* splits some messages over several calls; each is logged as its own line. */
    char msg[900];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (msg[0] == '\0' || strcmp(msg, "\n") == 0)
        return;
    nvr_log(level <= AV_LOG_ERROR ? NVR_WARN : NVR_INFO, NULL, "libav: %s", msg);
}

void nvr_log_capture_av(void)
{
    av_log_set_callback(log_av_callback);
}
