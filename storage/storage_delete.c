/* SPDX-License-Identifier: Apache-2.0 */
/*
 * storage_delete.c - deleting footage without ever leaving the index
 * pointing at nothing (docs/design/storage.md, "Deletion"):
 *
 *   1. one transaction: the segments' paths go into the garbage table and
 *      their rows are deleted                      (index_retire)
 *   2. unlink the files, fsync their directories    (file system)
 *   3. drop the garbage rows                       (index)
 *
 * A crash after 1 leaves garbage rows; storage_open finishes them before
 * anything else (storage_collect_garbage).  A crash before 1 changes nothing.
 * So at every instant each row's file exists, and every file is known either
 * as a segment or as garbage.
 *
 * Threads: called from the retention thread and from storage_open; the
 * index serialises the SQL, and the files retired are complete segments no
 * writer touches any more (readers holding them open keep reading: unlink
 * only drops the name).
 */
#include "storage/storage.h"
#include "storage/storage_priv.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void storage_set_full_hook(struct storage *st, void (*fn)(void *arg), void *arg)
{
    st->full_fn = fn;
    st->full_arg = arg;
}

void storage_report_full(struct storage *st)
{
    if (st->full_fn)
        st->full_fn(st->full_arg);
}

int storage_is_garbage(struct storage *st, const char *rel)
{
    int has = 0;
    index_garbage_has(st->ix, rel, &has);
    return has;
}

/* Deletes an object of the archive tier (a garbage path "s3://..."):
 * NVR_EOFFLINE without an archive client, else the request's error. */
static nvr_err delete_object(struct storage *st, const char *url)
{
    char why[512];
    if (!st->s3)
        return NVR_EOFFLINE;
    int rc = s3_delete(st->s3, url, why, sizeof why);
    if (rc)
        nvr_log(NVR_WARN, NULL, "archive: cannot delete object error=\"%s\"", why);
    return rc;
}

/* Unlinks data_dir/rel (a missing file is fine: a previous attempt got
 * there) and fsyncs its directory; with prune, also removes the directory
 * if it is now empty and its name is a day before yesterday (no writer will
 * create a file in it again). */
static nvr_err unlink_rel(struct storage *st, const char *rel, int prune)
{
    char path[PATH_MAX], dir[PATH_MAX], parent[PATH_MAX];
    int rc;
    if (strncmp(rel, "s3://", 5) == 0)
        return delete_object(st, rel);
    if ((rc = storage_qualified_abs(&st->dirs, rel, path, sizeof path)) ||
        (rc = storage_parent_dir(path, dir, sizeof dir)))
        return rc;
    if (unlink(path) != 0 && errno != ENOENT) {
        int e = errno;
        nvr_log(NVR_ERROR, NULL, "cannot delete segment file path=%s error=\"%s\"", rel, strerror(e));
        return nvr_err_from_errno(e);
    }
    storage_fsync_dir(dir);
    if (!prune)
        return NVR_OK;
    const char *day = strrchr(dir, '/');
    char yesterday[NVR_TIME_BUFSZ];
    nvr_clock_format_rfc3339(nvr_clock_now_us() - 86400LL * 1000000, yesterday);
    if (day && strlen(day + 1) == 10 && strncmp(day + 1, yesterday, 10) < 0 && rmdir(dir) == 0 &&
        storage_parent_dir(dir, parent, sizeof parent) == NVR_OK)
        storage_fsync_dir(parent);
    return NVR_OK;
}

static int same_dir(const char *a, const char *b)
{
    const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
    return sa && sb && sa - a == sb - b && strncmp(a, b, (size_t)(sa - a)) == 0;
}

nvr_err storage_drop_garbage(struct storage *st, const char *qpath)
{
    int rc = unlink_rel(st, qpath, 0);
    if (rc == NVR_OK)
        rc = index_garbage_drop(st->ix, qpath);
    return rc;
}

nvr_err storage_collect_garbage(struct storage *st)
{
    char **paths = NULL;
    size_t n = 0;
    int rc = index_garbage_list(st->ix, &paths, &n);
    for (size_t i = 0; i < n && rc == NVR_OK; i++) {
        if ((rc = unlink_rel(st, paths[i], 1)) == NVR_OK)
            rc = index_garbage_drop(st->ix, paths[i]);
        if (rc == NVR_OK)
            nvr_log(NVR_INFO, NULL, "finished an interrupted deletion path=%s", paths[i]);
        else if (rc == NVR_EOFFLINE || rc == NVR_ENOTFOUND)
            rc = NVR_OK; /* on a disk that is not here: finished when it is (next start) */
    }
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    return rc;
}

nvr_err storage_delete_oldest(struct storage *st, const char *camera, int64_t before_us, uint64_t want_bytes, int max,
                              uint64_t *freed, int *count)
{
    return storage_delete_oldest_in(st, camera, -1, before_us, want_bytes, max, freed, count);
}

/* The dirs retention must not touch now (D2): offline ones. */
static uint64_t offline_mask(struct storage *st)
{
    struct storage_dirs *sd = &st->dirs;
    uint64_t m = 0;
    for (size_t i = 0; i < sd->ndirs; i++)
        if (sd->dirs[i].id > 0 && sd->dirs[i].id <= 62 && !storage_dir_readable(sd, &sd->dirs[i]))
            m |= 1ull << sd->dirs[i].id;
    return m;
}

nvr_err storage_delete_oldest_in(struct storage *st, const char *camera, int64_t dir, int64_t before_us,
                                 uint64_t want_bytes, int max, uint64_t *freed, int *count)
{
    struct index_retired *v = NULL;
    size_t n = 0;
    *freed = 0;
    *count = 0;
    struct index_retire_filter f = {.camera = camera, .dir = dir, .skip_dirs = offline_mask(st)};
    int rc = index_retire_in(st->ix, &f, before_us, want_bytes, max, &v, &n);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        /* try to prune a day directory after its last file in this batch */
        int r = unlink_rel(st, v[i].path, i + 1 == n || !same_dir(v[i].path, v[i + 1].path));
        if (r == NVR_OK)
            r = index_garbage_drop(st->ix, v[i].path);
        if (r && rc == NVR_OK)
            rc = r; /* the garbage row stays; the next start finishes it */
        *freed += v[i].bytes;
        (*count)++;
    }
    free(v);
    return rc;
}
