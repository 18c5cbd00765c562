/* SPDX-License-Identifier: Apache-2.0 */
/* test_log_limit.c - rate control of anonymous access-log events
 * (core/log_limit.c) on a real index, with the clock passed in: a window's
 * repeats become one entry when it closes, the per-address cap, the flush at
 * destroy, and the chain stays valid. */
#include "base/err.h"
#include "core/log_limit.h"
#include "storage/access_log.h"
#include "storage/index.h"

#include "check.h"

#include <stdlib.h>
#include <unistd.h>

#define S 1000000LL
#define T0 (1795320000LL * S)

static char dir[64];

struct tally {
    int rows, suppressed;
    long long repeats, events;
    char last_detail[ACCESS_TEXT_MAX];
};

static int count_fn(const struct access_entry *e, void *arg)
{
    struct tally *t = arg;
    long long v;
    t->rows++;
    if (strcmp(e->action, "log_suppressed") == 0) {
        t->suppressed++;
        if (sscanf(e->detail, "events=%lld", &v) == 1)
            t->events += v;
    } else if (sscanf(e->detail, "repeats=%lld", &v) == 1) {
        t->repeats += v;
    }
    snprintf(t->last_detail, sizeof t->last_detail, "%s", e->detail);
    return 0;
}

static struct tally tally(nvr_index *ix)
{
    struct tally t = {0};
    struct access_filter f = {.from_us = 0, .to_us = INT64_MAX};
    CHECK_EQ_INT(access_log_each(ix, &f, count_fn, &t), NVR_OK);
    return t;
}

static void test_window_cap_and_flush(void)
{
    char p[128];
    nvr_index *ix = NULL;
    struct log_limit *l = NULL;
    snprintf(p, sizeof p, "%s/index.db", dir);
    CHECK_EQ_INT(index_open(&ix, p), NVR_OK);
    CHECK_EQ_INT(log_limit_create(&l, ix), NVR_OK);

    /* the first is written at once, 99 repeats within the minute are counted */
    log_limit_event(l, T0, "bob", "192.0.2.1", "login_failed", "");
    CHECK_EQ_INT(tally(ix).rows, 1);
    for (int i = 1; i < 100; i++)
        log_limit_event(l, T0 + i * S / 2, "bob", "192.0.2.1", "login_failed", "");
    CHECK_EQ_INT(tally(ix).rows, 1);
    log_limit_flush(l, T0 + 59 * S, 0);
    CHECK_EQ_INT(tally(ix).rows, 1); /* the window is still open */
    log_limit_flush(l, T0 + 61 * S, 0);
    struct tally t = tally(ix);
    CHECK_EQ_INT(t.rows, 2);
    CHECK_EQ_INT(t.repeats, 99);
    CHECK(strstr(t.last_detail, "first=") && strstr(t.last_detail, "last="));
    /* a new window: written at once again */
    log_limit_event(l, T0 + 62 * S, "bob", "192.0.2.1", "login_failed", "");
    CHECK_EQ_INT(tally(ix).rows, 3);

    /* 40 different names from one address: LOG_LIMIT_ADDR_ROWS at once, the rest counted */
    for (int i = 0; i < 40; i++) {
        char name[32];
        snprintf(name, sizeof name, "user%d", i);
        log_limit_event(l, T0 + 100 * S + i, name, "192.0.2.9", "login_blocked", "too many failed logins");
    }
    CHECK_EQ_INT(tally(ix).rows, 3 + LOG_LIMIT_ADDR_ROWS);
    /* another address is not held back by the first one's cap */
    log_limit_event(l, T0 + 100 * S + 50, "eve", "192.0.2.10", "login_failed", "");
    CHECK_EQ_INT(tally(ix).rows, 4 + LOG_LIMIT_ADDR_ROWS);
    /* two repeats of eve, then destroy (shutdown) flushes every count */
    log_limit_event(l, T0 + 100 * S + 60, "eve", "192.0.2.10", "login_failed", "");
    log_limit_event(l, T0 + 100 * S + 70, "eve", "192.0.2.10", "login_failed", "");
    log_limit_destroy(&l);
    CHECK(l == NULL);
    t = tally(ix);
    CHECK_EQ_INT(t.suppressed, 1);
    CHECK_EQ_INT(t.events, 40 - LOG_LIMIT_ADDR_ROWS);
    CHECK_EQ_INT(t.repeats, 99 + 2);
    CHECK_EQ_INT(t.rows, 4 + LOG_LIMIT_ADDR_ROWS + 2);

    int problems = -1;
    FILE *devnull = fopen("/dev/null", "w");
    CHECK_EQ_INT(access_log_verify(ix, devnull, &problems, NULL, NULL), NVR_OK);
    fclose(devnull);
    /* no checkpoint in this log: the only problem verify reports */
    CHECK_EQ_INT(problems, 1);
    index_close(&ix);
}

int main(void)
{
    if (check_tmpdir(dir, sizeof dir, "log-limit"))
        return 1;
    RUN(test_window_cap_and_flush);
    check_rmdir(dir);
    return check_summary();
}
