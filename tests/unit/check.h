/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check.h - the minimal assertion kit for the unit tests.
 *
 * A test file defines static void test_*(void) functions and a main() that
 * runs them with RUN(test_x) and ends with `return check_summary();`, which
 * prints "N passed, N failed" (what CTest and CI read) and returns non-zero
 * if any check failed.  CHECK keeps going after a failure so one run shows
 * every broken expectation.
 */
#ifndef NVR_TEST_CHECK_H
#define NVR_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures_;
static int check_tests_passed_, check_tests_failed_;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
            check_failures_++;                                                         \
        }                                                                              \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                             \
    do {                                                                               \
        long long va_ = (long long)(a), vb_ = (long long)(b);                          \
        if (va_ != vb_) {                                                              \
            fprintf(stderr, "%s:%d: check failed: %s == %s (%lld != %lld)\n", __FILE__, \
                    __LINE__, #a, #b, va_, vb_);                                       \
            check_failures_++;                                                         \
        }                                                                              \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                             \
    do {                                                                               \
        const char *sa_ = (a), *sb_ = (b);                                             \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                                   \
            fprintf(stderr, "%s:%d: check failed: %s == %s (\"%s\" != \"%s\")\n",      \
                    __FILE__, __LINE__, #a, #b, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)"); \
            check_failures_++;                                                         \
        }                                                                              \
    } while (0)

#define RUN(fn)                                                                        \
    do {                                                                               \
        int before_ = check_failures_;                                                 \
        fn();                                                                          \
        if (check_failures_ == before_) {                                              \
            check_tests_passed_++;                                                     \
        } else {                                                                       \
            check_tests_failed_++;                                                     \
            fprintf(stderr, "FAIL %s\n", #fn);                                         \
        }                                                                              \
    } while (0)

/* A fresh directory /tmp/nvr-test-NAME-XXXXXX into dir (n bytes): 0, or -1. */
static inline int check_tmpdir(char *dir, size_t n, const char *name)
{
    snprintf(dir, n, "/tmp/nvr-test-%s-XXXXXX", name);
    return mkdtemp(dir) ? 0 : -1;
}

/* Removes dir and everything in it (a note on stderr if that fails). */
static inline void check_rmdir(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

static inline int check_summary(void)
{
    printf("%d passed, %d failed\n", check_tests_passed_, check_tests_failed_);
    return check_tests_failed_ ? 1 : 0;
}

#endif
