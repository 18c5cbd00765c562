/* SPDX-License-Identifier: Apache-2.0 */
/* http_query.c - shared query-string arguments (http_query.h). */
#include "http/http_query.h"

#include <stdio.h>
#include <string.h>

int http_query_ids(const char *list, char (*ids)[INDEX_ID_MAX], int max, char *err, size_t errlen)
{
    int n = 0;
    if (!list || !*list) {
        snprintf(err, errlen, "cameras is required: ?cameras=ID,ID,...");
        return -1;
    }
    for (const char *p = list;;) {
        size_t len = strcspn(p, ",");
        if (n == max) {
            snprintf(err, errlen, "cameras: at most %d cameras", max);
            return -1;
        }
        if (len == 0 || len >= INDEX_ID_MAX) {
            snprintf(err, errlen, "cameras must be camera ids separated by commas");
            return -1;
        }
        memcpy(ids[n], p, len);
        ids[n][len] = '\0';
        for (int k = 0; k < n; k++)
            if (strcmp(ids[k], ids[n]) == 0) {
                snprintf(err, errlen, "cameras: %s is listed twice", ids[n]);
                return -1;
            }
        n++;
        if (!p[len])
            return n;
        p += len + 1;
    }
}
