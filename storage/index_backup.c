/* SPDX-License-Identifier: Apache-2.0 */
/*
 * index_backup.c - a consistent copy of the index while `nvr run` writes it
 * (see backup.h).  One of the
 * index's own files: it reaches SQLite directly.
 *
 * The copy: a connection of its own opens data_dir/index.db (never creating
 * it), begins a read transaction, and runs sqlite3_backup_step() in steps of
 * STORAGE_BACKUP_STEP_PAGES with a short sleep between them.  Because the
 * read transaction stays open across the steps, every step reads the same
 * snapshot: commits by the recorder meanwhile neither restart the backup
 * nor appear in it.  In WAL mode a reader blocks no writer; the only cost
 * is that a checkpoint cannot pass the snapshot until the copy ends, so the
 * -wal file grows for that long.  VACUUM INTO would give the same snapshot
 * in one statement, but with no pause in which the disk is the recorder's.
 */
#include "storage/storage_backup.h"
#include "storage/index_priv.h"

#include "base/err.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static nvr_err sqlite_fail(sqlite3 *db, const char *what, const char *path)
{
    nvr_err rc = index_sqlite_err(db);
    nvr_log(NVR_ERROR, NULL, "index backup: %s failed path=%s error=\"%s\"", what, path,
            db ? sqlite3_errmsg(db) : "out of memory");
    return rc;
}

nvr_err storage_backup_index(const char *data_dir, const char *dest)
{
    char src_path[PATH_MAX];
    sqlite3 *src = NULL, *dst = NULL;
    sqlite3_backup *bk = NULL;
    int rc = NVR_OK, fd, in_txn = 0;
    if (snprintf(src_path, sizeof src_path, "%s/%s", data_dir, STORAGE_BACKUP_INDEX) >= (int)sizeof src_path)
        return NVR_EINVAL;
    if (access(src_path, F_OK) != 0)
        return errno == ENOENT ? NVR_ENOTFOUND : nvr_err_from_errno(errno);
    /* the copy is a secret-bearing file (password hashes): 0600 from the start */
    if ((fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
        return nvr_err_from_errno(errno);
    close(fd);
    if (sqlite3_open_v2(src_path, &src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        rc = sqlite_fail(src, "open", src_path);
        goto out;
    }
    sqlite3_busy_timeout(src, 10000);
    if (sqlite3_open_v2(dest, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        rc = sqlite_fail(dst, "open", dest);
        goto out;
    }
    /* the snapshot: a read transaction held across every step */
    if (sqlite3_exec(src, "BEGIN; SELECT count(*) FROM sqlite_master;", NULL, NULL, NULL) != SQLITE_OK) {
        rc = sqlite_fail(src, "begin", src_path);
        goto out;
    }
    in_txn = 1;
    if (!(bk = sqlite3_backup_init(dst, "main", src, "main"))) {
        rc = sqlite_fail(dst, "backup_init", dest);
        goto out;
    }
    for (;;) {
        int s = sqlite3_backup_step(bk, STORAGE_BACKUP_STEP_PAGES);
        if (s == SQLITE_DONE)
            break;
        if (s != SQLITE_OK && s != SQLITE_BUSY && s != SQLITE_LOCKED) {
            rc = sqlite_fail(dst, "backup_step", dest);
            goto out;
        }
        usleep(STORAGE_BACKUP_SLEEP_MS * 1000);
    }
    if (sqlite3_backup_finish(bk) != SQLITE_OK) {
        bk = NULL;
        rc = sqlite_fail(dst, "backup_finish", dest);
        goto out;
    }
    bk = NULL;
    sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
    in_txn = 0;
    /* the copy on its own must be sound */
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(dst, "PRAGMA quick_check", -1, &q, NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_finalize(q);
        rc = sqlite_fail(dst, "quick_check", dest);
        goto out;
    }
    const unsigned char *verdict = sqlite3_column_text(q, 0);
    if (!verdict || strcmp((const char *)verdict, "ok") != 0) {
        nvr_log(NVR_ERROR, NULL, "index backup: the copy fails quick_check path=%s problem=\"%s\"", dest,
                verdict ? (const char *)verdict : "");
        rc = NVR_EDAMAGED;
    }
    sqlite3_finalize(q);
out:
    if (bk)
        sqlite3_backup_finish(bk);
    if (in_txn)
        sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(dst);
    sqlite3_close(src);
    if (rc)
        unlink(dest);
    return rc;
}
