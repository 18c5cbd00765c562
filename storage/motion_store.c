/* SPDX-License-Identifier: Apache-2.0 */
/*
 * motion_store.c - the motion tables (see motion_store.h; migration 12).
 */
#include "storage/motion_store.h"
#include "storage/index_stmt.h"

#include "base/err.h"

#include <stdlib.h>
#include <string.h>

/* M2 when writing: the camera's segment that could hold [A, B) -- the last
 * to start before B, a second either way (labels and arrival times differ
 * by a fraction; a camera's segments never overlap) -- reaches A, or is
 * being written (its end is its last durable fragment, behind the newest
 * picture).  CAM is the camera's parameter number. */
#define FOOTAGE_AT(CAM, A, B)                                                                                          \
    "COALESCE((SELECT s.end_us > " A " - 1000000 OR s.state = 1 FROM segments s WHERE s.camera = ?" CAM                \
    " AND s.start_us < " B " + 1000000 ORDER BY s.start_us DESC LIMIT 1), 0)"

nvr_err motion_store_put(nvr_index *ix, const char *camera, const struct motion_second *secs, size_t nsec,
                         struct motion_event *evs, size_t nev)
{
    index_stmt sec = INDEX_STMT_INIT, ins = INDEX_STMT_INIT, upd = INDEX_STMT_INIT;
    uint8_t full[MOTION_BITMAP_BYTES];
    nvr_err rc = index_begin(ix);
    if (rc)
        goto out;
    if (nsec) {
        index_prepare(&sec, ix,
                      /* a full bitmap (the camera's own events: motion somewhere) is kept:
                       * with motion_source = both it is the union of the two */
                      "INSERT INTO motion_seconds (camera, sec, cells) SELECT ?1, ?2, ?3 "
                      "WHERE " FOOTAGE_AT("1", "?2 * 1000000",
                                          "(?2 + 1) * 1000000") " "
                                                                "ON CONFLICT (camera, sec) DO UPDATE SET cells = CASE "
                                                                "WHEN motion_seconds.cells = ?4 "
                                                                "THEN motion_seconds.cells ELSE excluded.cells END",
                      "motion_put_second");
        memset(full, 0xff, sizeof full);
        for (size_t i = 0; i < nsec && rc == NVR_OK; i++) {
            index_reset(&sec);
            index_bind_text(&sec, 1, camera);
            index_bind_int64(&sec, 2, secs[i].sec);
            index_bind_blob(&sec, 3, secs[i].cells, MOTION_BITMAP_BYTES);
            index_bind_blob(&sec, 4, full, MOTION_BITMAP_BYTES);
            rc = index_step_done(&sec);
        }
    }
    for (size_t i = 0; i < nev && rc == NVR_OK; i++) {
        struct motion_event *e = &evs[i];
        index_stmt *st = e->id ? &upd : &ins;
        if (!st->raw && !st->err)
            index_prepare(st, ix,
                          e->id ? "UPDATE motion_events SET start_us = ?2, end_us = ?3, score = ?4, cells = ?5 "
                                  "WHERE id = ?1 AND camera = ?6"
                                : "INSERT INTO motion_events (id, start_us, end_us, score, cells, camera) "
                                  "SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE " FOOTAGE_AT("6", "?2", "?3"),
                          "motion_put_event");
        index_reset(st);
        if (e->id)
            index_bind_int64(st, 1, e->id);
        else
            index_bind_null(st, 1);
        index_bind_int64(st, 2, e->start_us);
        index_bind_int64(st, 3, e->end_us);
        index_bind_int64(st, 4, e->score);
        index_bind_blob(st, 5, e->cells, MOTION_BITMAP_BYTES);
        index_bind_text(st, 6, camera);
        if (e->id) {
            /* an event deleted meanwhile (its footage retired) stays deleted */
            rc = index_step_done(st);
        } else if ((rc = index_step_done(st)) == NVR_OK && index_changes(st) == 1) {
            e->id = index_last_id(st); /* else no footage yet: id 0, tried again next time */
        }
    }
out:
    index_finalize(&sec);
    index_finalize(&ins);
    index_finalize(&upd);
    return index_end(ix, rc);
}

nvr_err motion_store_clear_detected(nvr_index *ix, const char *camera, int64_t from_us, int64_t to_us, int *deleted)
{
    index_stmt sec = INDEX_STMT_INIT, ev = INDEX_STMT_INIT;
    uint8_t full[MOTION_BITMAP_BYTES];
    memset(full, 0xff, sizeof full);
    if (deleted)
        *deleted = 0;
    nvr_err rc = index_begin(ix);
    if (rc)
        goto out;
    index_prepare(&sec, ix, "DELETE FROM motion_seconds WHERE camera = ?1 AND sec >= ?2 AND sec < ?3 AND cells != ?4",
                  "motion_clear_seconds");
    index_bind_text(&sec, 1, camera);
    index_bind_int64(&sec, 2, from_us / 1000000);
    index_bind_int64(&sec, 3, (to_us + 999999) / 1000000);
    index_bind_blob(&sec, 4, full, MOTION_BITMAP_BYTES);
    if ((rc = index_step_done(&sec)))
        goto out;
    index_prepare(&ev, ix,
                  "DELETE FROM motion_events WHERE camera = ?1 AND start_us >= ?2 AND start_us < ?3 AND end_us > ?4 "
                  "AND score < ?5",
                  "motion_clear_events");
    index_bind_text(&ev, 1, camera);
    index_bind_int64(&ev, 2, from_us - MOTION_EVENT_MAX_US);
    index_bind_int64(&ev, 3, to_us);
    index_bind_int64(&ev, 4, from_us);
    index_bind_int64(&ev, 5, MOTION_CELLS);
    if ((rc = index_step_done(&ev)) == NVR_OK && deleted)
        *deleted = (int)index_changes(&ev);
out:
    index_finalize(&sec);
    index_finalize(&ev);
    return index_end(ix, rc);
}

nvr_err motion_store_events(nvr_index *ix, const char *camera, int64_t from_us, int64_t to_us, size_t max,
                            struct motion_event **out, size_t *n, int *more)
{
    index_stmt st;
    struct motion_event *v = NULL;
    size_t len = 0, cap = 0;
    nvr_err rc = NVR_OK;
    int s;
    *out = NULL;
    *n = 0;
    if (more)
        *more = 0;
    index_lock(ix);
    /* M1 bounds an event's length, so the index on (camera, start_us) finds
     * the overlapping ones from a range start */
    index_prepare(&st, ix,
                  "SELECT id, start_us, end_us, score, cells FROM motion_events WHERE camera = ?1 "
                  "AND start_us >= ?2 AND start_us < ?3 AND end_us > ?4 ORDER BY start_us LIMIT ?5",
                  "motion_events");
    index_bind_text(&st, 1, camera);
    index_bind_int64(&st, 2, from_us - MOTION_EVENT_MAX_US);
    index_bind_int64(&st, 3, to_us);
    index_bind_int64(&st, 4, from_us);
    index_bind_int64(&st, 5, (int64_t)max + 1);
    while ((s = index_step(&st)) == INDEX_ROW) {
        if (len == max) {
            if (more)
                *more = 1;
            break;
        }
        if ((rc = index_grow(&v, &cap, len, sizeof *v)))
            break;
        struct motion_event *e = &v[len];
        memset(e, 0, sizeof *e);
        e->id = index_col_int64(&st, 0);
        e->start_us = index_col_int64(&st, 1);
        e->end_us = index_col_int64(&st, 2);
        e->score = index_col_int(&st, 3);
        if (index_col_blob(&st, 4, e->cells, MOTION_BITMAP_BYTES))
            len++;
    }
    if (s != INDEX_ROW && s != NVR_OK)
        rc = s;
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

nvr_err motion_store_seconds(nvr_index *ix, const char *camera, int64_t from_sec, int64_t to_sec, size_t max,
                             struct motion_second **out, size_t *n)
{
    index_stmt st;
    struct motion_second *v = NULL;
    size_t len = 0, cap = 0;
    nvr_err rc = NVR_OK;
    int s;
    *out = NULL;
    *n = 0;
    index_lock(ix);
    index_prepare(&st, ix,
                  "SELECT sec, cells FROM motion_seconds WHERE camera = ?1 AND sec >= ?2 AND sec <= ?3 "
                  "ORDER BY sec LIMIT ?4",
                  "motion_seconds");
    index_bind_text(&st, 1, camera);
    index_bind_int64(&st, 2, from_sec);
    index_bind_int64(&st, 3, to_sec);
    index_bind_int64(&st, 4, (int64_t)max);
    while ((s = index_step(&st)) == INDEX_ROW) {
        if ((rc = index_grow(&v, &cap, len, sizeof *v)))
            break;
        v[len].sec = index_col_int64(&st, 0);
        if (index_col_blob(&st, 1, v[len].cells, MOTION_BITMAP_BYTES))
            len++;
    }
    if (s != INDEX_ROW && s != NVR_OK)
        rc = s;
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

nvr_err motion_store_density(nvr_index *ix, const char *camera, int64_t from_us, int64_t to_us, size_t nb, double *frac)
{
    index_stmt st;
    nvr_err rc = NVR_OK;
    int s;
    double w = (double)(to_us - from_us) / (double)nb; /* bucket width, us */
    int64_t from_sec = from_us >= 0 ? from_us / 1000000 : -((-from_us + 999999) / 1000000);
    memset(frac, 0, nb * sizeof *frac);
    index_lock(ix);
    index_prepare(&st, ix, "SELECT sec FROM motion_seconds WHERE camera = ?1 AND sec >= ?2 AND sec < ?3 ORDER BY sec",
                  "motion_density");
    index_bind_text(&st, 1, camera);
    index_bind_int64(&st, 2, from_sec);
    index_bind_int64(&st, 3, to_us / 1000000 + 1);
    while ((s = index_step(&st)) == INDEX_ROW) {
        /* [a, b): the second, clipped to the range; its overlap with each bucket it meets */
        int64_t a = index_col_int64(&st, 0) * 1000000, b = a + 1000000;
        a = a < from_us ? from_us : a;
        b = b > to_us ? to_us : b;
        if (b <= a)
            continue;
        size_t i = (size_t)((double)(a - from_us) / w);
        for (; i < nb; i++) {
            double lo = (double)from_us + w * (double)i, hi = lo + w;
            double o = ((double)b < hi ? (double)b : hi) - ((double)a > lo ? (double)a : lo);
            if (o > 0)
                frac[i] += o / w;
            if ((double)b <= hi)
                break;
        }
    }
    if (s != INDEX_ROW && s != NVR_OK)
        rc = s;
    index_finalize(&st);
    index_unlock(ix);
    for (size_t i = 0; i < nb; i++)
        frac[i] = frac[i] > 1 ? 1 : frac[i];
    return rc;
}

nvr_err motion_store_check(nvr_index *ix, int repair, FILE *report, int *problems)
{
    char where[512];
    nvr_err rc;
    *problems = 0;
    if ((rc = index_check_rows(ix, "motion_seconds", "length(cells) != 72 OR typeof(cells) != 'blob'",
                               "motion seconds with a malformed cell bitmap", repair, report, problems)))
        return rc;
    snprintf(where, sizeof where,
             "length(cells) != 72 OR typeof(cells) != 'blob' OR end_us < start_us OR end_us - start_us > %lld",
             (long long)MOTION_EVENT_MAX_US);
    if ((rc = index_check_rows(ix, "motion_events", where, "motion events malformed or longer than an hour", repair,
                               report, problems)))
        return rc;
    /* M2: motion older than the camera's footage (of a camera with none: all) */
    if ((rc = index_check_rows(
             ix, "motion_seconds AS m",
             "sec * 1000000 < COALESCE((SELECT MIN(start_us) FROM segments s WHERE s.camera = m.camera), "
             "9223372036854775807) - 2000000",
             "motion seconds older than their camera's footage", repair, report, problems)))
        return rc;
    return index_check_rows(ix, "motion_events AS m",
                            "NOT COALESCE((SELECT s.end_us >= m.start_us - 1000000 FROM segments s WHERE s.camera = "
                            "m.camera AND s.start_us <= m.end_us + 1000000 ORDER BY s.start_us DESC LIMIT 1), 0)",
                            "motion events without footage", repair, report, problems);
}
