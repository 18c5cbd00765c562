/* SPDX-License-Identifier: Apache-2.0 */
/* test_http_query.c - the shared `?cameras=` list (nvr/http/http_query.c):
 * what the live mux, the motion search and the bookmark list accept. */
#include "http/http_query.h"

#include "check.h"

#include <string.h>

static char ids[4][INDEX_ID_MAX];
static char err[128];

static int parse(const char *list, int max)
{
    memset(ids, 0, sizeof ids);
    err[0] = '\0';
    return http_query_ids(list, ids, max, err, sizeof err);
}

static void test_accepts(void)
{
    CHECK_EQ_INT(parse("lobby", 4), 1);
    CHECK_EQ_STR(ids[0], "lobby");
    CHECK_EQ_INT(parse("a,bb,ccc", 4), 3);
    CHECK_EQ_STR(ids[0], "a");
    CHECK_EQ_STR(ids[1], "bb");
    CHECK_EQ_STR(ids[2], "ccc");
    CHECK_EQ_INT(parse("a,b,c,d", 4), 4); /* exactly max */
    char longest[INDEX_ID_MAX];
    memset(longest, 'x', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    CHECK_EQ_INT(parse(longest, 4), 1);
    CHECK_EQ_STR(ids[0], longest);
}

static void test_refuses(void)
{
    CHECK_EQ_INT(parse(NULL, 4), -1);
    CHECK_EQ_STR(err, "cameras is required: ?cameras=ID,ID,...");
    CHECK_EQ_INT(parse("", 4), -1);
    CHECK_EQ_STR(err, "cameras is required: ?cameras=ID,ID,...");
    const char *empty_ids[] = {",", ",a", "a,", "a,,b"};
    for (size_t i = 0; i < sizeof empty_ids / sizeof *empty_ids; i++) {
        CHECK_EQ_INT(parse(empty_ids[i], 4), -1);
        CHECK_EQ_STR(err, "cameras must be camera ids separated by commas");
    }
    CHECK_EQ_INT(parse("a,b,c,d,e", 4), -1);
    CHECK_EQ_STR(err, "cameras: at most 4 cameras");
    CHECK_EQ_INT(parse("a,b,a", 4), -1);
    CHECK_EQ_STR(err, "cameras: a is listed twice");
    char too_long[INDEX_ID_MAX + 1];
    memset(too_long, 'x', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    CHECK_EQ_INT(parse(too_long, 4), -1);
    CHECK_EQ_STR(err, "cameras must be camera ids separated by commas");
    /* a short err buffer is still terminated */
    char small[8];
    CHECK_EQ_INT(http_query_ids("a,a", ids, 4, small, sizeof small), -1);
    CHECK_EQ_INT((int)strlen(small), 7);
}

int main(void)
{
    RUN(test_accepts);
    RUN(test_refuses);
    return check_summary();
}
