/* SPDX-License-Identifier: Apache-2.0 */
/*
 * index_salvage.c - reading what a damaged index still yields (index.h,
 * docs/design/index.md "A damaged index").
 *
 * The damaged file is opened read-only on its own connection (it is
 * evidence: never written, never deleted).  Each table is read in rowid
 * order; when a read fails on a damaged page the walk skips ahead (rowid
 * last+1, +2, +4, ... up to SKIP_MAX) and goes on from the first rowid it
 * can read again, so one bad page costs the rows on that page, not the
 * rest of the table.  Rows go into the live index with INSERT OR IGNORE:
 * a row the live index already has (same key) is kept as it is.
 *
 * Threads: the caller's; index_salvage holds the live index's mutex for
 * the whole copy.
 */
#include "storage/index.h"
#include "storage/index_priv.h"

#include "base/err.h"
#include "base/log.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SKIP_MAX (1LL << 40)

/* The tables copied, parents before children (foreign keys).  Sessions are
 * not: signing in again is cheap.  segments go through index_salvage_segments. */
static const char *const salvage_tables[] = {
    "cameras", "users", "user_grants", "tokens", "holds", "hold_cameras", "api_cameras", "access_log",
};

/* Builds "c1, c2, ..." of the live table's columns into buf. */
static nvr_err column_list(nvr_index *ix, const char *table, char *buf, size_t n, int *ncols)
{
    sqlite3_stmt *st = NULL;
    char sql[128];
    size_t len = 0;
    int rc = NVR_OK;
    *ncols = 0;
    buf[0] = '\0';
    snprintf(sql, sizeof sql, "PRAGMA main.table_info(%s)", table);
    if (sqlite3_prepare_v2(ix->db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = index_db_err(ix, "salvage_columns");
        goto out;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 1);
        int w = snprintf(buf + len, n - len, "%s%s", len ? ", " : "", name ? name : "");
        if (w < 0 || (size_t)w >= n - len) {
            rc = NVR_EINVAL;
            goto out;
        }
        len += (size_t)w;
        (*ncols)++;
    }
out:
    sqlite3_finalize(st);
    return rc;
}

/* Opens the damaged file read-only. */
static nvr_err open_damaged(const char *path, sqlite3 **db)
{
    if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        nvr_log(NVR_ERROR, NULL, "cannot open the damaged index path=%s error=\"%s\"", path,
                *db ? sqlite3_errmsg(*db) : "out of memory");
        sqlite3_close(*db);
        *db = NULL;
        return NVR_EDAMAGED;
    }
    return NVR_OK;
}

/* Walks table (columns cols) of old in rowid order from after `after`,
 * calling fn on each row it can read; skips over damaged pages.  *lost
 * counts the read failures (each a damaged stretch). */
static nvr_err walk_rows(sqlite3 *old, const char *table, const char *cols, int (*fn)(sqlite3_stmt *, void *),
                         void *arg, int *lost)
{
    char sql[2048];
    sqlite3_stmt *st = NULL;
    long long next = INT64_MIN + 1, skip = 1;
    int rc = NVR_OK;
    *lost = 0;
    if (snprintf(sql, sizeof sql, "SELECT rowid, %s FROM %s WHERE rowid >= ?1 ORDER BY rowid", cols, table) >=
        (int)sizeof sql)
        return NVR_EINVAL;
    if (sqlite3_prepare_v2(old, sql, -1, &st, NULL) != SQLITE_OK)
        return NVR_EDAMAGED; /* the schema itself is unreadable, or the table is missing */
    for (;;) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, next);
        int s;
        while ((s = sqlite3_step(st)) == SQLITE_ROW) {
            next = sqlite3_column_int64(st, 0) + 1;
            skip = 1;
            if ((rc = fn(st, arg)))
                goto out;
        }
        if (s == SQLITE_DONE)
            break;
        /* a damaged page: jump ahead, further each time it fails again */
        if (skip == 1)
            (*lost)++;
        if (skip > SKIP_MAX)
            break;
        next += skip;
        skip *= 2;
    }
out:
    sqlite3_finalize(st);
    return rc;
}

struct copy_ctx {
    nvr_index *ix;
    sqlite3_stmt *ins;
    int ncols;
    long copied;
};

static int copy_row(sqlite3_stmt *st, void *arg)
{
    struct copy_ctx *c = arg;
    sqlite3_reset(c->ins);
    for (int i = 0; i < c->ncols; i++)
        sqlite3_bind_value(c->ins, i + 1, sqlite3_column_value(st, i + 1));
    int s = sqlite3_step(c->ins);
    if (s == SQLITE_DONE) {
        c->copied += sqlite3_changes(c->ix->db);
        return NVR_OK;
    }
    if ((s & 0xff) == SQLITE_CONSTRAINT) /* a reference to a row that was lost */
        return NVR_OK;
    return index_db_err(c->ix, "salvage_insert");
}

/* Whether the live table has no rows. */
static int table_empty(nvr_index *ix, const char *table)
{
    char sql[128];
    sqlite3_stmt *st = NULL;
    snprintf(sql, sizeof sql, "SELECT 1 FROM main.%s LIMIT 1", table);
    int empty = sqlite3_prepare_v2(ix->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    return empty;
}

nvr_err index_salvage(nvr_index *ix, const char *damaged, FILE *report)
{
    sqlite3 *old = NULL;
    int rc = open_damaged(damaged, &old);
    if (rc)
        return rc;
    pthread_mutex_lock(&ix->mu);
    for (size_t t = 0; t < sizeof salvage_tables / sizeof salvage_tables[0]; t++) {
        const char *table = salvage_tables[t];
        char cols[1024], sql[2048];
        struct copy_ctx c = {.ix = ix};
        int lost = 0;
        if (strcmp(table, "access_log") == 0 && !table_empty(ix, table)) {
            /* a hash chain: merging two would break both; the damaged file keeps the old one */
            if (report)
                fprintf(report,
                        "index salvage: %s: not copied (the live index has its own log); "
                        "the old log stays in %s\n",
                        table, damaged);
            continue;
        }
        if ((rc = column_list(ix, table, cols, sizeof cols, &c.ncols)))
            break;
        char marks[256] = "";
        for (int i = 0; i < c.ncols && 3 * i + 3 < (int)sizeof marks; i++)
            strcat(marks, i ? ", ?" : "?");
        snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO main.%s(%s) VALUES (%s)", table, cols, marks);
        if (sqlite3_prepare_v2(ix->db, sql, -1, &c.ins, NULL) != SQLITE_OK) {
            rc = index_db_err(ix, "salvage_prepare");
            break;
        }
        index_exec(ix, "BEGIN");
        int r = walk_rows(old, table, cols, copy_row, &c, &lost);
        index_exec(ix, r == NVR_OK || r == NVR_EDAMAGED ? "COMMIT" : "ROLLBACK");
        sqlite3_finalize(c.ins);
        if (r == NVR_EDAMAGED) {
            if (report)
                fprintf(report, "index salvage: %s: unreadable in the damaged index, nothing copied\n", table);
            nvr_log(NVR_WARN, NULL, "index salvage table=%s copied=0 error=\"unreadable\"", table);
            continue;
        }
        if ((rc = r))
            break;
        if (report)
            fprintf(report, "index salvage: %s: %ld row%s copied%s\n", table, c.copied, c.copied == 1 ? "" : "s",
                    lost ? ", some rows lost to damaged pages" : "");
        nvr_log(lost ? NVR_WARN : NVR_INFO, NULL, "index salvage table=%s copied=%ld damaged_stretches=%d", table,
                c.copied, lost);
    }
    pthread_mutex_unlock(&ix->mu);
    sqlite3_close(old);
    return rc;
}

struct seg_ctx {
    int (*fn)(struct index_segment *, void *);
    void *arg;
};

static int seg_row(sqlite3_stmt *st, void *arg)
{
    struct seg_ctx *c = arg;
    struct index_segment s;
    int rc = index_read_row_at(st, 1, &s);
    if (rc == NVR_OK)
        rc = c->fn(&s, c->arg);
    fragments_free(&s.frags);
    return rc == NVR_EINVAL ? NVR_OK : rc;
}

nvr_err index_salvage_segments(const char *damaged, int (*fn)(struct index_segment *seg, void *arg), void *arg,
                               int *lost)
{
    sqlite3 *old = NULL;
    struct seg_ctx c = {fn, arg};
    int rc = open_damaged(damaged, &old);
    *lost = 0;
    if (rc)
        return rc;
    rc = walk_rows(old, "segments", SEG_COLUMNS, seg_row, &c, lost);
    sqlite3_close(old);
    return rc;
}
