/* SPDX-License-Identifier: Apache-2.0 */
/* test_alloc.c - how many malloc arenas nvr lets glibc make
 * (nvr_alloc_arenas, docs/design/memory.md): one per core (2 to
 * 8) for a small site, one per 16 cameras when that is more, at most 16. */
#include "base/alloc.h"

#include "check.h"

#include <unistd.h>

static void test_arenas(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int base = cores < 2 ? 2 : cores > 8 ? 8 : (int)cores;
    CHECK_EQ_INT(nvr_alloc_arenas(0), base);
    CHECK_EQ_INT(nvr_alloc_arenas(7), base); /* test_soak's site */
    CHECK_EQ_INT(nvr_alloc_arenas(32), base > 2 ? base : 2);
    CHECK_EQ_INT(nvr_alloc_arenas(64), base > 4 ? base : 4);
    CHECK_EQ_INT(nvr_alloc_arenas(65), base > 5 ? base : 5);
    CHECK_EQ_INT(nvr_alloc_arenas(128), base > 8 ? base : 8);
    CHECK_EQ_INT(nvr_alloc_arenas(256), 16);
    CHECK_EQ_INT(nvr_alloc_arenas(1000), 16);
}

int main(void)
{
    RUN(test_arenas);
    return check_summary();
}
