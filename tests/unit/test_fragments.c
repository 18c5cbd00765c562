/* SPDX-License-Identifier: Apache-2.0 */
/* test_fragments.c - packing of the fragment table (storage/fragments.c). */
#include "base/err.h"
#include "storage/fragments.h"

#include "check.h"

#include <stdlib.h>

static void test_roundtrip(void)
{
    struct fragment_list a = {0}, b = {0};
    for (uint32_t i = 0; i < 100; i++)
        CHECK_EQ_INT(fragments_append(&a, 1000000 + i, 2000000 - i), NVR_OK);
    CHECK_EQ_INT(a.n, 100);
    uint8_t *buf = malloc(a.n * FRAGMENTS_RECORD_SIZE);
    fragments_pack(&a, buf);
    CHECK_EQ_INT(fragments_unpack(&b, buf, a.n * FRAGMENTS_RECORD_SIZE), NVR_OK);
    CHECK_EQ_INT(b.n, 100);
    CHECK_EQ_INT(b.v[99].bytes, 1000099);
    CHECK_EQ_INT(b.v[99].duration_us, 1999901);
    CHECK_EQ_INT(fragments_bytes(&b, 2), 2000001);
    CHECK_EQ_INT(fragments_duration_us(&b, 3), 5999997);
    CHECK_EQ_INT(fragments_bytes(&b, 1000), fragments_bytes(&a, 100)); /* n clamps */
    /* little endian on disk, whatever the host */
    CHECK_EQ_INT(buf[0], 1000000 & 0xff);
    CHECK_EQ_INT(buf[1], (1000000 >> 8) & 0xff);
    free(buf);
    fragments_free(&a);
    fragments_free(&b);
    CHECK(a.v == NULL && a.n == 0);
}

static void test_bad_blob(void)
{
    struct fragment_list l = {0};
    uint8_t blob[9] = {0};
    CHECK_EQ_INT(fragments_unpack(&l, blob, 9), NVR_EINVAL);
    CHECK_EQ_INT(fragments_unpack(&l, blob, 0), NVR_OK);
    CHECK_EQ_INT(l.n, 0);
    fragments_free(&l);
}

int main(void)
{
    RUN(test_roundtrip);
    RUN(test_bad_blob);
    return check_summary();
}
