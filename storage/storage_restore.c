/* SPDX-License-Identifier: Apache-2.0 */
/*
 * storage_restore.c - a backup put back into data_dir (backup.h, R1..R4).
 *
 * Order, all under data_dir/nvr.lock (R1):
 *   1. refuse if an index or a document is there and force is not given;
 *   2. stage: the backup's index written to index.db.restore-tmp, opened
 *      (migrated to this version's schema), checked (PRAGMA quick_check),
 *      its writing rows dropped (R4), closed (no -wal left), fsynced;
 *   3. with force, the present index.db, -wal, -shm and documents renamed
 *      to NAME.before-restore-T (R2, R3);
 *   4. the staged index renamed to index.db, the documents written
 *      (atomically, 0600 when secret), the directory fsynced;
 *   5. storage opened as the writer on the same lock, the segment files
 *      the index does not list indexed, the rest repaired (storage_check).
 * A failure in 1..2 leaves data_dir as it was (the staged file removed).
 */
#include "storage/storage_backup.h"
#include "storage/storage_priv.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "storage/documents.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAGED "index.db.restore-tmp"

const struct storage_backup_document storage_backup_documents[] = {
    {"signing-key.pem", 1}, /* nvr/export/sign.h's SIGN_KEY_FILE */
    {"audit.json", 0},
    {NULL, 0},
};

static int exists(const char *dir, const char *name)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

static int is_document(const char *name, int *secret)
{
    for (const struct storage_backup_document *d = storage_backup_documents; d->name; d++)
        if (strcmp(d->name, name) == 0) {
            *secret = d->secret;
            return 1;
        }
    return 0;
}

/* Step 2: the backup's index into data_dir/STAGED, ready to be renamed in. */
static nvr_err stage_index(const struct storage_restore_in *in, struct storage_restore_stats *stats, char *why,
                           size_t whylen)
{
    char path[PATH_MAX], problem[256] = "";
    nvr_index *ix = NULL;
    struct index_segment *w = NULL;
    size_t nw = 0;
    int fd, rc;
    snprintf(path, sizeof path, "%s/%s", in->data_dir, STAGED);
    unlink(path); /* a previous restore that died here */
    if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) < 0)
        return nvr_fail(nvr_err_from_errno(errno), why, whylen, "cannot create %s: %s", path, strerror(errno));
    rc = in->write_index(in->arg, fd);
    if (rc == NVR_OK && fsync(fd) != 0)
        rc = nvr_err_from_errno(errno);
    close(fd);
    if (rc) {
        nvr_fail(rc, why, whylen, "cannot write %s: %s", path, nvr_strerror(rc));
        goto out;
    }
    if ((rc = index_open(&ix, path))) {
        nvr_fail(rc, why, whylen, "the backup's index cannot be opened: %s", nvr_strerror(rc));
        goto out;
    }
    if ((rc = index_quick_check(ix, 0, problem, sizeof problem))) {
        nvr_fail(rc, why, whylen, "the backup's index is damaged: %s", problem[0] ? problem : nvr_strerror(rc));
        goto out;
    }
    if ((rc = index_segments_writing(ix, &w, &nw)))
        goto out;
    for (size_t i = 0; i < nw && rc == NVR_OK; i++)
        rc = index_segment_delete(ix, w[i].id);
    if (rc) {
        nvr_fail(rc, why, whylen, "cannot prepare the backup's index: %s", nvr_strerror(rc));
        goto out;
    }
    stats->dropped_writing = (int)nw;
    index_close(&ix); /* the last connection: checkpoints and removes the -wal */
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
        fsync(fd);
        close(fd);
    }
out:
    index_segments_free(&w, nw);
    index_close(&ix);
    if (rc) {
        unlink(path);
        char side[PATH_MAX + 8];
        snprintf(side, sizeof side, "%s-wal", path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", path);
        unlink(side);
    }
    return rc;
}

/* R2: data_dir/name renamed aside if it exists. */
static nvr_err set_aside(const char *dir, const char *name, const char *stamp, FILE *report)
{
    char from[PATH_MAX], to[PATH_MAX + 64];
    snprintf(from, sizeof from, "%s/%s", dir, name);
    snprintf(to, sizeof to, "%s/%s.before-restore-%s", dir, name, stamp);
    if (access(from, F_OK) != 0)
        return NVR_OK;
    if (rename(from, to) != 0)
        return nvr_err_from_errno(errno);
    fprintf(report, "kept: %s as %s.before-restore-%s\n", name, name, stamp);
    return NVR_OK;
}

nvr_err storage_restore(const struct storage_restore_in *in, FILE *report, struct storage_restore_stats *stats,
                        char *why, size_t whylen)
{
    char path[PATH_MAX], stamp[32], ts[NVR_TIME_BUFSZ];
    struct storage *st = NULL;
    int lock_fd = -1, rc, secret = 0;
    memset(stats, 0, sizeof *stats);
    if (snprintf(path, sizeof path, "%s/recordings", in->data_dir) >= (int)sizeof path)
        return nvr_fail(NVR_EINVAL, why, whylen, "data_dir is too long");
    if ((rc = storage_mkdir_p(path)))
        return nvr_fail(rc, why, whylen, "cannot create %s: %s", path, nvr_strerror(rc));
    for (size_t i = 0; i < in->ndocs; i++)
        if (!is_document(in->docs[i].name, &secret))
            return nvr_fail(NVR_EINVAL, why, whylen, "%s is not a document a backup carries", in->docs[i].name);
    /* 1. R1, then nothing replaced without force */
    snprintf(path, sizeof path, "%s/nvr.lock", in->data_dir);
    if ((lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0)
        return nvr_fail(nvr_err_from_errno(errno), why, whylen, "cannot open %s: %s", path, strerror(errno));
    if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        rc = nvr_fail(NVR_EIO, why, whylen, "%s is in use by a running nvr (stop it first)", in->data_dir);
        goto out;
    }
    if (!in->force) {
        const char *there = exists(in->data_dir, STORAGE_BACKUP_INDEX) ? STORAGE_BACKUP_INDEX : NULL;
        for (size_t i = 0; !there && i < in->ndocs; i++)
            if (exists(in->data_dir, in->docs[i].name))
                there = in->docs[i].name;
        if (there) {
            rc = nvr_fail(NVR_EINVAL, why, whylen,
                          "%s/%s exists; add --force to replace it (it is kept as %s.before-restore-TIME)",
                          in->data_dir, there, there);
            goto out;
        }
    }
    /* 2. */
    if ((rc = stage_index(in, stats, why, whylen)))
        goto out;
    if (stats->dropped_writing)
        fprintf(report, "restore: %d segment%s being written at backup time will be indexed from the file\n",
                stats->dropped_writing, stats->dropped_writing == 1 ? "" : "s");
    /* 3. R2, R3: the old index with its -wal and -shm, the old documents */
    stats->changed = 1;
    nvr_clock_format_rfc3339(nvr_clock_now_us(), ts);
    snprintf(stamp, sizeof stamp, "%.4s%.2s%.2sT%.2s%.2s%.2sZ", ts, ts + 5, ts + 8, ts + 11, ts + 14, ts + 17);
    const char *index_files[] = {STORAGE_BACKUP_INDEX, STORAGE_BACKUP_INDEX "-wal", STORAGE_BACKUP_INDEX "-shm"};
    for (size_t i = 0; i < 3 && rc == NVR_OK; i++)
        rc = set_aside(in->data_dir, index_files[i], stamp, report);
    for (size_t i = 0; i < in->ndocs && rc == NVR_OK; i++)
        rc = set_aside(in->data_dir, in->docs[i].name, stamp, report);
    if (rc) {
        nvr_fail(rc, why, whylen, "cannot set the present index aside: %s", nvr_strerror(rc));
        goto out;
    }
    /* 4. */
    char staged[PATH_MAX];
    snprintf(staged, sizeof staged, "%s/%s", in->data_dir, STAGED);
    snprintf(path, sizeof path, "%s/%s", in->data_dir, STORAGE_BACKUP_INDEX);
    if (rename(staged, path) != 0) {
        rc = nvr_fail(nvr_err_from_errno(errno), why, whylen, "cannot put the index in place: %s", strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < in->ndocs && rc == NVR_OK; i++) {
        is_document(in->docs[i].name, &secret);
        rc = secret ? storage_document_put_secret(in->data_dir, in->docs[i].name, in->docs[i].buf, in->docs[i].len)
                    : storage_document_put(in->data_dir, in->docs[i].name, in->docs[i].buf, in->docs[i].len);
        if (rc == NVR_OK)
            fprintf(report, "restored: %s\n", in->docs[i].name);
    }
    storage_fsync_dir(in->data_dir);
    if (rc) {
        nvr_fail(rc, why, whylen, "cannot write a document: %s", nvr_strerror(rc));
        goto out;
    }
    fprintf(report, "restored: %s\n", STORAGE_BACKUP_INDEX);
    nvr_log(NVR_INFO, NULL, "index restored from a backup data_dir=%s dropped_writing=%d", in->data_dir,
            stats->dropped_writing);
    /* 5. on the same lock (R1): find the footage again */
    rc = storage_open_locked(&st, in->data_dir, STORAGE_WRITER | STORAGE_CHECKER, lock_fd);
    lock_fd = -1; /* the handle owns it now */
    if (rc) {
        nvr_fail(rc, why, whylen, "cannot open the restored index: %s", nvr_strerror(rc));
        goto out;
    }
    if ((rc = storage_rebuild_index(st, report, &stats->rebuild))) {
        nvr_fail(rc, why, whylen, "indexing the footage failed: %s", nvr_strerror(rc));
        goto out;
    }
    if ((rc = storage_check(st, STORAGE_CHECK_REPAIR, report, &stats->problems, &stats->unresolved)))
        nvr_fail(rc, why, whylen, "checking the footage failed: %s", nvr_strerror(rc));
out:
    storage_close(&st);
    if (lock_fd >= 0)
        close(lock_fd);
    return rc;
}
