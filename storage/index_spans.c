/* SPDX-License-Identifier: Apache-2.0 */
/* index_spans.c - segments' time spans only (index_segment_spans, index.h). */
#include "storage/index.h"
#include "storage/index_stmt.h"

#include <stdlib.h>

nvr_err index_segment_spans(nvr_index *ix, const char *camera, int64_t from_us, int64_t to_us, struct index_span **out,
                            size_t *n)
{
    struct index_span *v = NULL;
    size_t len = 0, cap = 0;
    index_stmt st;
    int s;
    nvr_err rc = NVR_OK;
    *out = NULL;
    *n = 0;
    /* as index_segments_list: a segment is at most an hour plus a GOP, so one
     * that overlaps starts after from - 2 h (the scan stays on the index) */
    if (from_us < INT64_MIN / 2)
        from_us = INT64_MIN / 2;
    index_lock(ix);
    index_prepare(&st, ix,
                  "SELECT start_us, end_us FROM segments WHERE camera = ?1 AND start_us >= ?2 - 7200000000 "
                  "AND start_us < ?3 AND end_us > ?2 ORDER BY start_us",
                  "segment_spans");
    index_bind_text(&st, 1, camera);
    index_bind_int64(&st, 2, from_us);
    index_bind_int64(&st, 3, to_us);
    while ((s = index_step(&st)) == INDEX_ROW) {
        if (len == cap && (rc = index_grow(&v, &cap, len, sizeof *v)))
            break;
        v[len].start_us = index_col_int64(&st, 0);
        v[len].end_us = index_col_int64(&st, 1);
        len++;
    }
    if (rc == NVR_OK && s != NVR_OK)
        rc = (nvr_err)s;
    index_finalize(&st);
    index_unlock(ix);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    *n = len;
    return NVR_OK;
}
