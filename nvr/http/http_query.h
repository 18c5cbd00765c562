/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_query.h - reading query-string arguments that several routes share,
 * with errors that name the argument.
 *
 * Contract: pure functions of their arguments (no request, no server); an
 * error message is always written to err (NUL-terminated, truncated to
 * errlen) when -1 is returned, and is fit for a 400 answer as it is.
 *
 * Threads: any; no state.
 */
#ifndef NVR_HTTP_QUERY_H
#define NVR_HTTP_QUERY_H

#include "storage/index.h"

#include <stddef.h>

/* Splits list, a `?cameras=` value "a,b,c", into ids[]: 1..max ids, each
 * 1..INDEX_ID_MAX-1 bytes, none listed twice, no empty id (",a", "a,,b",
 * "a," are refused).  The count, or -1 with the reason in err; a NULL or
 * empty list is -1 ("cameras is required"). */
int http_query_ids(const char *list, char (*ids)[INDEX_ID_MAX], int max, char *err, size_t errlen);

#endif
