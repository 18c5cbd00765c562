/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log_limit.h - rate control for anonymous access-log events (failed and
 * blocked sign-ins): an outsider must not be able to bury the log or grow
 * the index without bound with cheap requests (issue 13, row 4), and
 * nothing an investigator needs may be lost.
 *
 * Per (action, name, address) and window of LOG_LIMIT_WINDOW_US:
 *   - the first event is written at once, as before;
 *   - identical ones after it are counted, and one entry with the count and
 *     the first and last time is written when the window closes (at the
 *     next event or tick after it, when the table needs the slot, or at
 *     shutdown): "repeats=N first=T last=T".
 * Hard caps per window: LOG_LIMIT_ADDR_ROWS entries written at once per
 * address, LOG_LIMIT_TOTAL_ROWS over all addresses; events over a cap are
 * counted per address (or overall) and written as one `log_suppressed`
 * entry: "events=N first=T last=T last_action=A last_user=U".
 * Every entry goes through access_log_append, so the hash chain is the same.
 *
 * Threads: any thread; one mutex, held while an entry is written.
 */
#ifndef NVR_CORE_LOG_LIMIT_H
#define NVR_CORE_LOG_LIMIT_H

#include "base/err.h"
#include "storage/index.h"

#include <stdint.h>

#define LOG_LIMIT_WINDOW_US (60LL * 1000000)
#define LOG_LIMIT_SLOTS 512
#define LOG_LIMIT_ADDR_ROWS 30
#define LOG_LIMIT_TOTAL_ROWS 600

struct log_limit;

nvr_err log_limit_create(struct log_limit **out, nvr_index *ix);
/* Flushes every count (log_limit_flush(l, 1)) and frees. */
void log_limit_destroy(struct log_limit **l);

/* An anonymous event: written now, or counted (see above). */
void log_limit_event(struct log_limit *l, int64_t now_us, const char *user, const char *address, const char *action,
                     const char *detail);

/* Writes the counts of the windows closed by now_us (all of them with all). */
void log_limit_flush(struct log_limit *l, int64_t now_us, int all);

#endif
