/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clock.c - clocks and RFC 3339 parsing/formatting (see clock.h).
 *
 * Conversion between civil dates and day numbers uses the proleptic Gregorian
 * calendar arithmetic (days_from_civil), so no time zone database and no
 * thread-unsafe libc call (gmtime, mktime) is involved.
 */
#include "base/clock.h"

#include "base/err.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

int64_t nvr_clock_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t nvr_clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void nvr_clock_sleep_us(int64_t us)
{
    if (us <= 0)
        return;
    struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* Days since 1970-01-01 of a civil date (y, m 1..12, d 1..31). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

static int read_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int expect(const char **p, char c)
{
    if (**p != c)
        return -1;
    (*p)++;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

nvr_err nvr_clock_parse_rfc3339(const char *s, int64_t *us)
{
    const char *p = s;
    int y, mo, d, h, mi, sec, frac_us = 0;
    if (!s || read_digits(&p, 4, &y) || expect(&p, '-') || read_digits(&p, 2, &mo) || expect(&p, '-') ||
        read_digits(&p, 2, &d))
        return NVR_EINVAL;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return NVR_EINVAL;
    p++;
    if (read_digits(&p, 2, &h) || expect(&p, ':') || read_digits(&p, 2, &mi) || expect(&p, ':') ||
        read_digits(&p, 2, &sec))
        return NVR_EINVAL;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
        return NVR_EINVAL;
    if (*p == '.') {
        p++;
        int digits = 0;
        if (*p < '0' || *p > '9')
            return NVR_EINVAL;
        while (*p >= '0' && *p <= '9') {
            if (digits < 6) {
                frac_us = frac_us * 10 + (*p - '0');
                digits++;
            }
            p++;
        }
        while (digits++ < 6)
            frac_us *= 10;
    }
    int offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (read_digits(&p, 2, &oh) || expect(&p, ':') || read_digits(&p, 2, &om) || oh > 23 || om > 59)
            return NVR_EINVAL;
        offset_s = sign * (oh * 3600 + om * 60);
    } else {
        return NVR_EINVAL;
    }
    if (*p != '\0')
        return NVR_EINVAL;
    if (sec == 60)
        sec = 59; /* a leap second is folded onto the second before it */
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t t = days * 86400 + h * 3600 + mi * 60 + sec - offset_s;
    *us = t * 1000000 + frac_us;
    return NVR_OK;
}

static void format_parts(int64_t us, int *y, unsigned *mo, unsigned *d, int *h, int *mi, int *s, int64_t *frac)
{
    int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    *frac = us - secs * 1000000;
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400;
    civil_from_days(days, y, mo, d);
    *h = (int)(rem / 3600);
    *mi = (int)(rem % 3600 / 60);
    *s = (int)(rem % 60);
}

void nvr_clock_format_rfc3339(int64_t us, char buf[NVR_TIME_BUFSZ])
{
    int y, h, mi, s;
    unsigned mo, d;
    int64_t frac;
    format_parts(us, &y, &mo, &d, &h, &mi, &s, &frac);
    snprintf(buf, NVR_TIME_BUFSZ, "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ", y, mo, d, h, mi, s, (long long)frac);
}

void nvr_clock_format_ms(int64_t us, char buf[NVR_TIME_BUFSZ])
{
    int y, h, mi, s;
    unsigned mo, d;
    int64_t frac;
    format_parts(us, &y, &mo, &d, &h, &mi, &s, &frac);
    snprintf(buf, NVR_TIME_BUFSZ, "%04d-%02u-%02uT%02d:%02d:%02d.%03lldZ", y, mo, d, h, mi, s,
             (long long)(frac / 1000));
}

static int64_t system_now(void *cls)
{
    (void)cls;
    return nvr_clock_now_us();
}

static int64_t system_mono(void *cls)
{
    (void)cls;
    return nvr_clock_mono_us();
}

const struct nvr_clock nvr_clock_system = {.now_us = system_now, .mono_us = system_mono, .cls = NULL};
