/* SPDX-License-Identifier: Apache-2.0 */
/* test_clock.c - RFC 3339 parsing and formatting (lib/base/clock.c). */
#include "base/clock.h"
#include "base/err.h"

#include "check.h"

static void test_parse_utc(void)
{
    int64_t us = 0;
    CHECK_EQ_INT(nvr_clock_parse_rfc3339("1970-01-01T00:00:00Z", &us), NVR_OK);
    CHECK_EQ_INT(us, 0);
    CHECK_EQ_INT(nvr_clock_parse_rfc3339("2026-11-22T04:00:00Z", &us), NVR_OK);
    CHECK_EQ_INT(us, 1795320000LL * 1000000);
}

static void test_parse_fraction_and_offset(void)
{
    int64_t a, b;
    CHECK_EQ_INT(nvr_clock_parse_rfc3339("2026-11-22T05:00:00.250+01:00", &a), NVR_OK);
    CHECK_EQ_INT(nvr_clock_parse_rfc3339("2026-11-22T04:00:00.25Z", &b), NVR_OK);
    CHECK_EQ_INT(a, b);
    CHECK_EQ_INT(b % 1000000, 250000);
    CHECK_EQ_INT(nvr_clock_parse_rfc3339("2026-11-21T23:30:00-04:30", &a), NVR_OK);
    CHECK_EQ_INT(nvr_clock_parse_rfc3339("2026-11-22T04:00:00Z", &b), NVR_OK);
    CHECK_EQ_INT(a, b);
    /* more than 6 fraction digits are truncated, lower case accepted */
    CHECK_EQ_INT(nvr_clock_parse_rfc3339("2026-11-22t04:00:00.1234567z", &a), NVR_OK);
    CHECK_EQ_INT(a - b, 123456);
}

static void test_parse_rejects(void)
{
    int64_t us;
    const char *bad[] = {"", "2026-11-22", "2026-11-22T04:00:00", "2026-13-01T00:00:00Z",
                         "2026-02-29T00:00:00Z", "2026-11-22T24:00:00Z", "2026-11-22T04:00:00Zjunk",
                         "2026-11-22T04:00:00+0100", "2026-11-22T04:00:00.Z", "1969-12-31T23:59:59Z",
                         "20261122T040000Z", "2026-11-22T04:60:00Z", "abc"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = nvr_clock_parse_rfc3339(bad[i], &us);
        if (rc != NVR_EINVAL)
            fprintf(stderr, "accepted: %s\n", bad[i]);
        CHECK_EQ_INT(rc, NVR_EINVAL);
    }
    CHECK_EQ_INT(nvr_clock_parse_rfc3339(NULL, &us), NVR_EINVAL);
    CHECK_EQ_INT(nvr_clock_parse_rfc3339("2024-02-29T00:00:00Z", &us), NVR_OK); /* leap year */
}

static void test_format_roundtrip(void)
{
    char buf[NVR_TIME_BUFSZ];
    nvr_clock_format_rfc3339(1795320000LL * 1000000 + 123456, buf);
    CHECK_EQ_STR(buf, "2026-11-22T04:00:00.123456Z");
    nvr_clock_format_ms(1795320000LL * 1000000 + 123456, buf);
    CHECK_EQ_STR(buf, "2026-11-22T04:00:00.123Z");
    for (int64_t t = 0; t < 4102444800LL * 1000000; t += 86399999937LL) {
        int64_t back = -1;
        nvr_clock_format_rfc3339(t, buf);
        CHECK_EQ_INT(nvr_clock_parse_rfc3339(buf, &back), NVR_OK);
        CHECK_EQ_INT(back, t);
    }
}

static void test_clocks_move(void)
{
    int64_t m0 = nvr_clock_mono_us();
    nvr_clock_sleep_us(2000);
    CHECK(nvr_clock_mono_us() - m0 >= 2000);
    CHECK(nvr_clock_now_us() > 1700000000LL * 1000000);
}

int main(void)
{
    RUN(test_parse_utc);
    RUN(test_parse_fraction_and_offset);
    RUN(test_parse_rejects);
    RUN(test_format_roundtrip);
    RUN(test_clocks_move);
    return check_summary();
}
