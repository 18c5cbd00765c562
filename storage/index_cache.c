/* SPDX-License-Identifier: Apache-2.0 */
/*
 * index_cache.c - the handle's prepared statements, compiled once (see
 * index_priv.h, index_prep).
 *
 * Why: a statement over `segments` compiles the table's triggers (usage,
 * spans), and compiling costs several times more than running it.  The
 * retention pass asks every camera every 2 s and each fragment updates its
 * segment's row, so at 256 cameras compiling was about a fifth of the
 * recorder's CPU (bench/README.md, "Ingest at the floor").
 *
 * Invariants (all under the handle's mutex):
 *   C1  an entry holds a private copy of its SQL text and the statement
 *       compiled from it; the text is the key (compared whole, so a query
 *       built at run time is safe to pass);
 *   C2  `busy` is set from index_prep to index_put: a statement is never
 *       handed out twice at once (a nested use of the same text gets its
 *       own uncached statement);
 *   C3  index_put leaves a cached statement reset with its bindings
 *       cleared, as a fresh one would be;
 *   C4  index_cache_clear finalizes every entry; index_close calls it
 *       before closing the connection.
 * The cache holds at most INDEX_CACHE_MAX texts; when it is full, the
 * least recently taken entry that is not busy is replaced.
 */
#include "storage/index_priv.h"

#include <stdlib.h>
#include <string.h>

int index_prep(nvr_index *ix, const char *sql, sqlite3_stmt **st)
{
    struct index_cached *free_slot = NULL, *oldest = NULL;
    *st = NULL;
    for (int i = 0; i < INDEX_CACHE_MAX; i++) {
        struct index_cached *c = &ix->cache[i];
        if (!c->sql) {
            if (!free_slot)
                free_slot = c;
            continue;
        }
        if (strcmp(c->sql, sql) == 0) {
            if (c->busy) /* C2: nested use of the same text */
                return sqlite3_prepare_v2(ix->db, sql, -1, st, NULL);
            c->busy = 1;
            c->used = ++ix->cache_clock;
            *st = c->st;
            return SQLITE_OK;
        }
        if (!c->busy && (!oldest || c->used < oldest->used))
            oldest = c;
    }
    int s = sqlite3_prepare_v2(ix->db, sql, -1, st, NULL);
    struct index_cached *c = free_slot ? free_slot : oldest;
    char *copy;
    if (s != SQLITE_OK || !*st || !c || !(copy = strdup(sql)))
        return s; /* uncached: index_put finalizes it */
    if (c->sql) {
        sqlite3_finalize(c->st);
        free(c->sql);
    }
    *c = (struct index_cached){.sql = copy, .st = *st, .busy = 1, .used = ++ix->cache_clock};
    return SQLITE_OK;
}

void index_put(nvr_index *ix, sqlite3_stmt *st)
{
    if (!st)
        return;
    for (int i = 0; i < INDEX_CACHE_MAX; i++)
        if (ix->cache[i].st == st && ix->cache[i].busy) {
            sqlite3_reset(st); /* C3 */
            sqlite3_clear_bindings(st);
            ix->cache[i].busy = 0;
            return;
        }
    sqlite3_finalize(st);
}

void index_cache_clear(nvr_index *ix)
{
    for (int i = 0; i < INDEX_CACHE_MAX; i++) {
        struct index_cached *c = &ix->cache[i];
        if (c->sql) {
            sqlite3_finalize(c->st);
            free(c->sql);
        }
        *c = (struct index_cached){0};
    }
}
