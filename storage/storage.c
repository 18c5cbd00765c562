/* SPDX-License-Identifier: Apache-2.0 */
/*
 * storage.c - segment files + index, and the order of operations that makes
 * a crash at any instant harmless (see storage.h, docs/design/storage.md).
 *
 * Writing a segment:
 *   1. insert the row, state WRITING, no fragments      (index)
 *   2. create the file with O_EXCL, fsync its directory  (file system)
 *   3. per fragment: write moof+mdat, fdatasync the file, then update the
 *      row's fragment table, bytes and end time           (file, then index)
 *   4. close: fsync, record SHA-256, state COMPLETE
 * So the index never lists a fragment that is not durable (it may list
 * fewer than the file holds), and every file has a row before it exists.
 *
 * Recovery (storage_open with STORAGE_WRITER) completes each WRITING row:
 * a missing file or one without a whole fragment -> row (and file) removed;
 * otherwise the file is truncated to the bytes the row lists, hashed, and
 * the row marked COMPLETE.  Then each camera's newest day directory is
 * swept for files the index does not know that start at or after the
 * camera's last indexed segment (a commit lost to a power cut): such a file
 * is indexed from its own content, removed if it holds no whole fragment,
 * or moved to quarantine/ if it cannot be read; a file whose name is not a
 * segment's goes to quarantine/.  Footage is never deleted because the
 * index does not know it.
 *
 * Before all that (docs/design/storage.md, "Faults at start-up"):
 *   - a full disk: the ballast (reserve.bin) is released when free space is
 *     short or the index cannot be opened for lack of space, so SQLite can
 *     open and migrate the index and retention can make room;
 *   - a damaged index (SQLITE_CORRUPT/NOTADB on open, or PRAGMA quick_check
 *     within STORAGE_STARTUP_CHECK_MS): renamed aside to
 *     index.db.damaged-YYYYMMDDTHHMMSSZ (with -wal, -shm), the marker file
 *     index.damaged written, and a new index started: recording never waits
 *     for a person.  storage_damage() says so until a rebuild.
 */
#include "storage/storage.h"
#include "storage/motion_store.h"
#include "storage/bookmark_store.h"
#include "storage/storage_priv.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "storage/segment_writer.h"
#include "storage/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>


struct storage_segment {
    struct storage *st;
    struct storage_dir *d; /* the dir it is written in */
    struct segment_writer *w;
    struct index_segment row;
    int64_t media_done_us; /* media time at the end of the last durable fragment */
};

/* ---- recovery ---- */

/* Brings a segment row and its file into agreement given the file's size:
 * drops fragments the file does not hold, truncates bytes beyond the last
 * listed fragment, hashes, and marks the row COMPLETE.  A segment left with
 * no fragment is removed (row and file).  Returns NVR_OK or an error. */
static nvr_err settle_segment(struct storage *st, struct index_segment *seg, const char *path, off_t size)
{
    int rc;
    while (seg->frags.n > 0 && seg->init_bytes + fragments_bytes(&seg->frags, seg->frags.n) > (uint64_t)size)
        seg->frags.n--;
    if (seg->frags.n == 0 || seg->init_bytes == 0) {
        /* row first: if that fails (disk full) both stay, for the next recovery;
         * a crash before the unlink leaves a file the start-up sweep removes */
        if ((rc = index_segment_delete(st->ix, seg->id)))
            return rc;
        if (unlink(path) != 0 && errno != ENOENT)
            nvr_log(NVR_WARN, seg->camera, "cannot remove empty segment path=%s error=\"%s\"", seg->path,
                    strerror(errno));
        nvr_log(NVR_INFO, seg->camera, "removed segment with no complete fragment path=%s", seg->path);
        return NVR_OK;
    }
    uint64_t bytes = seg->init_bytes + fragments_bytes(&seg->frags, seg->frags.n);
    if ((uint64_t)size > bytes) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            return nvr_err_from_errno(errno);
        if (ftruncate(fd, (off_t)bytes) != 0 || fsync(fd) != 0) {
            rc = nvr_err_from_errno(errno);
            close(fd);
            return rc;
        }
        close(fd);
    }
    int64_t media = (int64_t)fragments_duration_us(&seg->frags, seg->frags.n);
    if (seg->media_us > 0 && media != seg->media_us) {
        /* wall duration scales with media duration (time.md: rate within a segment) */
        seg->end_us = seg->start_us + (int64_t)((double)(seg->end_us - seg->start_us) * media / seg->media_us);
    } else if (seg->media_us <= 0) {
        seg->end_us = seg->start_us + media;
    }
    seg->media_us = media;
    seg->bytes = bytes;
    if ((rc = storage_sha256_file(path, seg->sha256)))
        return rc;
    seg->has_sha256 = 1;
    if ((rc = index_segment_finish(st->ix, seg)))
        return rc;
    nvr_log(NVR_INFO, seg->camera, "recovered segment path=%s fragments=%zu bytes=%llu truncated=%lld", seg->path,
            seg->frags.n, (unsigned long long)bytes, (long long)((uint64_t)size - bytes));
    return NVR_OK;
}

/* Settles a segment row left `writing` with its file: drops the fragments
 * the file lacks, truncates what is beyond them, hashes, completes.
 * NVR_EOFFLINE (nothing done) if its dir is offline. */
static nvr_err settle_row(struct storage *st, struct index_segment *seg)
{
    char path[PATH_MAX];
    struct stat sb;
    struct storage_dir *d = storage_dir_by_id(&st->dirs, seg->dir);
    if (!d)
        return NVR_ENOTFOUND;
    if (storage_dir_failed(&st->dirs, d, NVR_OK, "")) /* read-only or offline: settled when it works */
        return NVR_EOFFLINE;
    int rc = storage_segment_abs(&st->dirs, seg, path, sizeof path);
    if (rc)
        return rc;
    off_t size = 0;
    if (stat(path, &sb) == 0)
        size = sb.st_size;
    else if (errno != ENOENT) /* an unreadable disk is not an empty file */
        return nvr_err_from_errno(errno);
    return settle_segment(st, seg, path, size);
}

/* The dirs' settle function (storage_dirs_settle_fn): a returning disk's
 * unfinished row, from its probe thread (storage_dirs.c, D3). */
static nvr_err settle_returning(void *arg, struct index_segment *seg)
{
    return settle_row(arg, seg);
}

/* Settles every row left writing by the last run, but those of an offline
 * dir (they wait for their disk: storage_dirs.c, D3). */
static nvr_err recover_writing(struct storage *st)
{
    struct index_segment *segs = NULL;
    size_t n = 0;
    int rc = index_segments_writing(st->ix, &segs, &n);
    if (rc)
        return rc;
    for (size_t i = 0; i < n && rc == NVR_OK; i++) {
        rc = settle_row(st, &segs[i]);
        if (rc == NVR_EOFFLINE || rc == NVR_ENOTFOUND) {
            nvr_log(NVR_WARN, segs[i].camera, "unfinished segment waits for its storage dir path=%s dir=%lld",
                    segs[i].path, (long long)segs[i].dir);
            rc = NVR_OK;
        } else if (rc == NVR_OK) {
            st->recovered++;
        }
    }
    index_segments_free(&segs, n);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted array of indexed paths (relative), for orphan detection. */
struct path_set {
    char **v;
    size_t n;
};

static void path_set_free(struct path_set *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        free(ps->v[i]);
    free(ps->v);
    ps->v = NULL;
    ps->n = 0;
}

/* The paths of the camera's segments in dir that start on the UTC day day0,
 * qualified (index_qualify_path) as the sweep names the files of that dir. */
static nvr_err path_set_load_day(struct storage *st, int64_t dir, const char *camera, int64_t day0, struct path_set *ps)
{
    struct index_segment *segs = NULL;
    size_t n = 0;
    int rc = index_segments_list(st->ix, camera, day0, day0 + 86400LL * 1000000, &segs, &n);
    ps->v = NULL;
    ps->n = 0;
    if (rc)
        return rc;
    if (n && !(ps->v = calloc(n, sizeof *ps->v)))
        rc = NVR_ENOMEM;
    for (size_t i = 0; i < n && rc == NVR_OK; i++) {
        char q[INDEX_PATH_MAX + 32];
        if (segs[i].dir != dir)
            continue;
        index_qualify_path(dir, segs[i].path, q, sizeof q);
        if (!(ps->v[ps->n++] = strdup(q)))
            rc = NVR_ENOMEM;
    }
    index_segments_free(&segs, n);
    if (rc)
        path_set_free(ps);
    else if (ps->n)
        qsort(ps->v, ps->n, sizeof *ps->v, cmp_str);
    return rc;
}

static int path_set_has(const struct path_set *ps, const char *rel)
{
    return ps->n && bsearch(&rel, ps->v, ps->n, sizeof *ps->v, cmp_str) != NULL;
}

/* How a sweep treats files the index does not know. */
struct sweep {
    enum storage_check_mode mode;
    int startup; /* start-up: only files starting at or after min_start, indexed from their content */
    int64_t min_start;
    FILE *report;
    int problems, unresolved;
};

/* Start-up: a file at or after the camera's last segment is the newest file
 * of a commit a power cut lost: index it from its content, remove it if it
 * holds no whole fragment, else quarantine it.  A file whose name is not a
 * segment's is no footage the recorder wrote: quarantined.  Older segment
 * files are left alone (nvr check reports them, --rebuild-index indexes
 * them): after a damaged index was set aside they are the old footage. */
static void adopt_orphan(struct storage *st, const char *rel, int64_t min_start)
{
    char camera[INDEX_ID_MAX], abs[PATH_MAX], moved[PATH_MAX];
    int64_t start;
    int indexed = 0, rc;
    int64_t dir;
    if (storage_parse_segment_path(storage_unqualify(rel, &dir), camera, &start) != NVR_OK) {
        rc = NVR_EINVAL;
        snprintf(camera, sizeof camera, "-");
    } else if (start < min_start) {
        return;
    } else {
        rc = storage_index_file(st, rel, start, INT64_MAX, &indexed);
    }
    if (rc == NVR_OK && indexed) {
        nvr_log(NVR_WARN, camera, "indexed a segment file a lost commit left out path=%s", rel);
    } else if (rc == NVR_OK && storage_qualified_abs(&st->dirs, rel, abs, sizeof abs) == NVR_OK && unlink(abs) == 0) {
        nvr_log(NVR_INFO, camera, "removed a segment file with no complete fragment path=%s", rel);
    } else if (rc != NVR_OK && storage_quarantine(st, rel, moved, sizeof moved) == NVR_OK) {
        nvr_log(NVR_WARN, NULL, "moved a file the index does not know to quarantine path=%s to=%s error=\"%s\"", rel,
                moved, nvr_strerror(rc));
    }
}

/* Walks dir (qualified: index_qualify_path) recursively; every regular file
 * not in ps is handled as sw says.  depth bounds the recursion. */
static nvr_err sweep_dir(struct storage *st, const char *rel, const struct path_set *ps, struct sweep *sw, int depth)
{
    char path[PATH_MAX];
    int rc = storage_qualified_abs(&st->dirs, rel, path, sizeof path);
    if (rc)
        return rc;
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT ? NVR_OK : nvr_err_from_errno(errno);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char child[PATH_MAX], childabs[PATH_MAX], moved[PATH_MAX];
        struct stat sb;
        if (snprintf(child, sizeof child, "%s/%s", rel, de->d_name) >= (int)sizeof child)
            continue;
        if (storage_qualified_abs(&st->dirs, child, childabs, sizeof childabs) || lstat(childabs, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode)) {
            if (depth > 0)
                sweep_dir(st, child, ps, sw, depth - 1);
            continue;
        }
        if (path_set_has(ps, child) || storage_is_garbage(st, child))
            continue;
        if (sw->startup) {
            adopt_orphan(st, child, sw->min_start);
            continue;
        }
        sw->problems++;
        sw->unresolved++; /* footage nothing points at needs a person (or --rebuild-index) */
        if (sw->mode == STORAGE_CHECK_REPAIR) {
            if (storage_quarantine(st, child, moved, sizeof moved) == NVR_OK)
                fprintf(sw->report, "%s: file not in the index (moved to %s)\n", child, moved);
            else
                fprintf(sw->report, "%s: file not in the index (could not move it to quarantine)\n", child);
        } else if (sw->mode == STORAGE_CHECK_DRY_RUN) {
            fprintf(sw->report, "%s: file not in the index (would move to %s/%s)\n", child, STORAGE_QUARANTINE_DIR,
                    child);
        } else {
            fprintf(sw->report, "%s: file not in the index\n", child);
        }
    }
    closedir(d);
    return NVR_OK;
}

/* Looks at one day directory recordings/CAM/DAY for files the index does
 * not know.  A directory whose name is not a date holds only such files. */
static nvr_err sweep_day(struct storage *st, const struct storage_dir *d, const char *camera, const char *day,
                         struct sweep *sw)
{
    char rel[PATH_MAX], t[64], pre[32];
    int64_t day0;
    struct path_set ps = {0};
    int rc = NVR_OK;
    index_qualify_path(d->id, "", pre, sizeof pre);
    if (snprintf(rel, sizeof rel, "%srecordings/%s/%s", pre, camera, day) >= (int)sizeof rel)
        return NVR_EINVAL;
    snprintf(t, sizeof t, "%.10sT00:00:00Z", day);
    if (strlen(day) == 10 && nvr_clock_parse_rfc3339(t, &day0) == NVR_OK &&
        (rc = path_set_load_day(st, d->id, camera, day0, &ps)))
        return rc;
    rc = sweep_dir(st, rel, &ps, sw, 0);
    path_set_free(&ps);
    return rc;
}

/* Calls sweep_day for each entry of recordings/CAM (day directories), or
 * only for the newest. */
static nvr_err each_day(struct storage *st, const struct storage_dir *sd, const char *camera, int newest_only,
                        struct sweep *sw)
{
    char rel[PATH_MAX], dir[PATH_MAX], newest[256] = "";
    snprintf(rel, sizeof rel, "recordings/%s", camera);
    if (storage_dir_abs(sd, rel, dir, sizeof dir))
        return NVR_EINVAL;
    DIR *d = opendir(dir);
    if (!d)
        return NVR_OK;
    struct dirent *de;
    int rc = NVR_OK;
    while ((de = readdir(d)) != NULL && rc == NVR_OK) {
        if (de->d_name[0] == '.')
            continue;
        if (newest_only) {
            if (strcmp(de->d_name, newest) > 0)
                snprintf(newest, sizeof newest, "%s", de->d_name);
        } else {
            rc = sweep_day(st, sd, camera, de->d_name, sw);
        }
    }
    closedir(d);
    if (newest_only && newest[0])
        rc = sweep_day(st, sd, camera, newest, sw);
    return rc;
}

/* Newest day directory of each camera: the only place a crash can leave a
 * file the index does not know (see the header comment).  Only that day's
 * rows are read, so start-up costs the same with a day or years of footage. */
static nvr_err sweep_newest_days(struct storage *st)
{
    char **cams = NULL;
    size_t ncams = 0;
    int rc = index_cameras(st->ix, &cams, &ncams);
    for (size_t i = 0; i < ncams && rc == NVR_OK; i++) {
        struct sweep sw = {.mode = STORAGE_CHECK_REPAIR, .startup = 1};
        if ((rc = index_camera_last_end(st->ix, cams[i], &sw.min_start, NULL)))
            break;
        for (size_t k = 0; k < st->dirs.ndirs && rc == NVR_OK; k++) /* every disk that answers */
            if (!storage_dir_failed(&st->dirs, &st->dirs.dirs[k], NVR_OK, ""))
                rc = each_day(st, &st->dirs.dirs[k], cams[i], 1, &sw);
    }
    for (size_t i = 0; i < ncams; i++)
        free(cams[i]);
    free(cams);
    return rc;
}

/* ---- open / close ---- */

#define STARTUP_ROOM (8ull << 20) /* below this much free space the ballast goes at start-up */

/* Removes the ballast; 1 if there was one. */
static int release_ballast(struct storage *st, const char *why)
{
    char path[PATH_MAX];
    if (storage_join_path(st->dir, STORAGE_RESERVE_NAME, path, sizeof path) || unlink(path) != 0)
        return 0;
    storage_fsync_dir(st->dir);
    nvr_log(NVR_WARN, NULL,
            "disk full at start-up: released the reserve file so the index can be opened "
            "path=%s reason=\"%s\"",
            path, why);
    return 1;
}

/* Releases the ballast if the file system of data_dir is short of space. */
static void startup_room(struct storage *st)
{
    struct statvfs sv;
    if (statvfs(st->dir, &sv) == 0 && (uint64_t)sv.f_bavail * sv.f_frsize < STARTUP_ROOM)
        release_ballast(st, "free space below 8 MiB");
}

static void load_damage(struct storage *st)
{
    char path[PATH_MAX];
    st->damage[0] = '\0';
    if (storage_join_path(st->dir, STORAGE_DAMAGE_MARKER, path, sizeof path))
        return;
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    if (!fgets(st->damage, sizeof st->damage, f))
        snprintf(st->damage, sizeof st->damage, "the index was damaged and set aside");
    st->damage[strcspn(st->damage, "\n")] = '\0';
    fclose(f);
}

/* Renames index.db (and -wal, -shm) to index.db.damaged-T and writes the
 * marker.  Nothing is deleted. */
static nvr_err set_aside(struct storage *st, const char *problem)
{
    char ts[NVR_TIME_BUFSZ], name[64], from[PATH_MAX], to[PATH_MAX];
    static const char *const suffix[] = {"", "-wal", "-shm"};
    nvr_clock_format_rfc3339(nvr_clock_now_us(), ts);
    snprintf(name, sizeof name, "index.db.damaged-%.4s%.2s%.2sT%.2s%.2s%.2sZ", ts, ts + 5, ts + 8, ts + 11, ts + 14,
             ts + 17);
    for (size_t i = 0; i < 3; i++) {
        if (snprintf(from, sizeof from, "%s/index.db%s", st->dir, suffix[i]) >= (int)sizeof from ||
            snprintf(to, sizeof to, "%s/%s%s", st->dir, name, suffix[i]) >= (int)sizeof to)
            return NVR_EINVAL;
        if (rename(from, to) != 0 && errno != ENOENT) {
            int e = errno;
            nvr_log(NVR_ERROR, NULL, "cannot set the damaged index aside path=%s error=\"%s\"", from, strerror(e));
            return nvr_err_from_errno(e);
        }
    }
    storage_fsync_dir(st->dir);
    snprintf(st->damage, sizeof st->damage,
             "index damaged (%s) at %s: set aside as %s, recording into a new index; footage before it is not "
             "indexed until `nvr check --storage --rebuild-index`",
             problem, ts, name);
    nvr_log(NVR_ERROR, NULL,
            "index damaged: set aside and recording into a new index problem=\"%s\" kept=%s/%s "
            "action=\"stop nvr and run nvr check -c FILE --storage --rebuild-index\"",
            problem, st->dir, name);
    if (storage_join_path(st->dir, STORAGE_DAMAGE_MARKER, from, sizeof from) == NVR_OK) {
        FILE *f = fopen(from, "we");
        if (f) {
            fprintf(f, "%s\n", st->damage);
            fflush(f);
            fsync(fileno(f));
            fclose(f);
            storage_fsync_dir(st->dir);
        }
    }
    return NVR_OK;
}

/* Opens the writers' index: makes room on a full disk, checks it, sets a
 * damaged one aside and starts a new one, then recovers. */
static nvr_err open_writer_index(struct storage *st, const char *path, int flags)
{
    int rc = NVR_OK, released = 0, set_aside_done = 0;
    char problem[256];
    startup_room(st);
    for (int attempt = 0; attempt < 4; attempt++) {
        index_close(&st->ix);
        problem[0] = '\0';
        rc = index_open(&st->ix, path);
        if (rc == NVR_OK) {
            /* a bounded check at start-up; a rebuild checks it whatever it costs */
            rc = index_quick_check(st->ix, flags & STORAGE_REBUILD ? 0 : STORAGE_STARTUP_CHECK_MS, problem,
                                   sizeof problem);
            if (rc == NVR_ETIMEDOUT) {
                nvr_log(NVR_WARN, NULL, "index check skipped at start-up: %s (nvr check --storage runs it in full)",
                        problem);
                rc = NVR_OK;
            }
        } else {
            snprintf(problem, sizeof problem, "%s", nvr_strerror(rc));
        }
        if (rc == NVR_OK)
            rc = storage_dirs_load(&st->dirs, st->dir, st->ix);
        if (rc == NVR_OK && (flags & STORAGE_WRITER)) {
            rc = storage_collect_garbage(st);
            if (rc == NVR_OK)
                rc = recover_writing(st);
            if (rc == NVR_OK && !(flags & STORAGE_CHECKER))
                rc = sweep_newest_days(st);
            if (rc)
                snprintf(problem, sizeof problem, "%s", nvr_strerror(rc));
        }
        if (rc == NVR_ENOSPC && !released) {
            released = 1;
            if (release_ballast(st, "the index could not be opened: disk full"))
                continue;
        }
        if (rc == NVR_EDAMAGED && !set_aside_done) {
            index_close(&st->ix);
            set_aside_done = 1;
            if ((rc = set_aside(st, problem)))
                return rc;
            continue;
        }
        break;
    }
    return rc;
}

nvr_err storage_open(struct storage **out, const char *data_dir, int flags)
{
    return storage_open_locked(out, data_dir, flags, -1);
}

nvr_err storage_open_locked(struct storage **out, const char *data_dir, int flags, int lock_fd)
{
    int rc = NVR_ENOMEM;
    char path[PATH_MAX];
    struct storage *st = calloc(1, sizeof *st);
    *out = NULL;
    if (!st) {
        if (lock_fd >= 0)
            close(lock_fd);
        return NVR_ENOMEM;
    }
    st->lock_fd = lock_fd;
    storage_dirs_init(&st->dirs, (flags & STORAGE_WRITER) != 0, settle_returning, st);
    if (!(st->dir = strdup(data_dir)))
        goto out;
    if (snprintf(path, sizeof path, "%s/recordings", data_dir) >= (int)sizeof path) {
        rc = NVR_EINVAL;
        goto out;
    }
    if ((rc = storage_mkdir_p(path)))
        goto out;
    if ((flags & (STORAGE_WRITER | STORAGE_LOCK)) && st->lock_fd < 0) {
        snprintf(path, sizeof path, "%s/nvr.lock", data_dir);
        st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
        if (st->lock_fd < 0 || flock(st->lock_fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            nvr_log(NVR_ERROR, NULL, "data_dir is in use by another nvr process path=%s error=\"%s\"", data_dir,
                    strerror(e));
            rc = e == ENOSPC ? NVR_ENOSPC : NVR_EIO;
            goto out;
        }
    }
    load_damage(st);
    snprintf(path, sizeof path, "%s/index.db", data_dir);
    if (flags & STORAGE_WRITER)
        rc = open_writer_index(st, path, flags);
    else if ((rc = index_open(&st->ix, path)) == NVR_OK)
        rc = storage_dirs_load(&st->dirs, st->dir, st->ix);
    if (rc)
        goto out;
    if ((rc = index_open(&st->rix, path)))
        goto out;
    *out = st;
    st = NULL;
out:
    storage_close(&st);
    return rc;
}

const char *storage_damage(const struct storage *st)
{
    return st->damage[0] ? st->damage : NULL;
}

int storage_recovered(const struct storage *st)
{
    return st->recovered;
}

void storage_close(struct storage **stp)
{
    struct storage *st = *stp;
    if (!st)
        return;
    storage_dirs_stop(&st->dirs);
    index_close(&st->rix);
    index_close(&st->ix);
    if (st->lock_fd >= 0)
        close(st->lock_fd);
    free(st->dir);
    storage_dirs_fini(&st->dirs);
    free(st);
    *stp = NULL;
}

nvr_index *storage_index(struct storage *st)
{
    return st->ix;
}

nvr_index *storage_index_reader(struct storage *st)
{
    return st->rix;
}

const char *storage_data_dir(const struct storage *st)
{
    return st->dir;
}

nvr_err storage_area_dir(struct storage *st, const char *name, char *out, size_t n)
{
    if (!name[0] || strspn(name, "abcdefghijklmnopqrstuvwxyz_") != strlen(name))
        return NVR_EINVAL;
    int rc = storage_join_path(st->dir, name, out, n);
    if (rc)
        return rc;
    if (mkdir(out, 0700) == 0) {
        storage_fsync_dir(st->dir);
        return NVR_OK;
    }
    if (errno == EEXIST)
        return NVR_OK;
    int e = errno;
    nvr_log(NVR_ERROR, NULL, "cannot create directory path=%s error=\"%s\"", out, strerror(e));
    return nvr_err_from_errno(e);
}

nvr_err storage_set_dirs(struct storage *st, const char *dirs)
{
    return storage_dirs_set(&st->dirs, dirs);
}

nvr_err storage_dirs_status(struct storage *st, int with_usage, struct storage_dir_status **out, size_t *n)
{
    return storage_dirs_snapshot(&st->dirs, with_usage ? st->rix : NULL, out, n);
}

/* ---- writing segments ---- */

static const char *codec_name(const AVCodecParameters *par)
{
    if (!par)
        return "";
    switch (par->codec_id) {
    case AV_CODEC_ID_H264: return "h264";
    case AV_CODEC_ID_HEVC: return "hevc";
    case AV_CODEC_ID_AAC: return "aac";
    default: return avcodec_get_name(par->codec_id);
    }
}

/* Creates the row and the file of seg in dir d (picked and counted by the
 * caller), and writes the init section.  *disk says whether a failure was
 * the disk's (not the index's). */
static nvr_err begin_in(struct storage *st, struct storage_segment *seg, const struct storage_segment_params *p,
                        int *disk)
{
    char dir[PATH_MAX], path[PATH_MAX];
    struct index_segment *row = &seg->row;
    int rc, fd;
    *disk = 1;
    row->dir = seg->d->id;
    if ((rc = storage_dir_check_marker(&st->dirs, seg->d)) ||
        (rc = storage_dir_abs(seg->d, row->path, path, sizeof path)) ||
        (rc = storage_parent_dir(path, dir, sizeof dir)) || (rc = storage_mkdir_p(dir)))
        return rc;
    if ((rc = index_segment_insert(st->ix, row))) {
        *disk = 0;
        return rc;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) {
        int e = errno;
        nvr_log(NVR_ERROR, p->camera, "cannot create segment path=%s dir=%s error=\"%s\"", row->path, seg->d->path,
                strerror(e));
        index_segment_delete(st->ix, row->id);
        return nvr_err_from_errno(e);
    }
    storage_fsync_dir(dir);
    struct segment_writer_params wp = {
        .camera = p->camera,
        .video = p->video,
        .video_tb = p->video_tb,
        .audio = p->audio,
        .audio_tb = p->audio_tb,
        .fd = fd,
        .sync = p->sync,
    };
    if ((rc = segment_writer_open(&seg->w, &wp))) {
        if (index_segment_delete(st->ix, row->id) == NVR_OK) /* else recovery removes both */
            unlink(path);
        return rc;
    }
    row->init_bytes = segment_writer_init_bytes(seg->w);
    row->bytes = row->init_bytes;
    storage_dir_hold(&st->dirs, row->id);
    return NVR_OK;
}

nvr_err storage_segment_begin(struct storage *st, const struct storage_segment_params *p, struct storage_segment **out)
{
    int rc = NVR_ENOMEM;
    char ts[NVR_TIME_BUFSZ], compact[NVR_TIME_BUFSZ + 16];
    struct storage_segment *seg = calloc(1, sizeof *seg);
    *out = NULL;
    if (!seg)
        return NVR_ENOMEM;
    seg->st = st;
    struct index_segment *row = &seg->row;
    snprintf(row->camera, sizeof row->camera, "%s", p->camera);
    row->session = p->session;
    row->start_us = row->end_us = p->start_us;
    row->media_start_us = p->media_start_us;
    snprintf(row->video_codec, sizeof row->video_codec, "%s", codec_name(p->video));
    snprintf(row->audio_codec, sizeof row->audio_codec, "%s", codec_name(p->audio));
    row->width = p->video->width;
    row->height = p->video->height;

    /* 2026-11-22T04:00:00.123456Z -> dir 2026-11-22, name CAM-20261122T040000.123456Z.mp4 */
    nvr_clock_format_rfc3339(p->start_us, ts);
    snprintf(compact, sizeof compact, "%.4s%.2s%.2sT%.2s%.2s%.2s%.9s", ts, ts + 5, ts + 8, ts + 11, ts + 14, ts + 17,
             ts + 19);
    if (snprintf(row->path, sizeof row->path, "recordings/%s/%.10s/%s-%s.mp4", p->camera, ts, p->camera, compact) >=
        (int)sizeof row->path) {
        rc = NVR_EINVAL;
        goto out;
    }
    /* a dir that fails here is marked so, and the next one is tried at once */
    for (size_t tries = 0; tries <= st->dirs.ndirs; tries++) {
        if ((rc = storage_dir_pick(&st->dirs, p->pin_dir, &seg->d))) {
            nvr_log(NVR_ERROR, p->camera, "no storage dir can take a new segment (every one is offline or read-only)");
            break;
        }
        int disk = 0;
        if ((rc = begin_in(st, seg, p, &disk)) == NVR_OK)
            break;
        storage_dir_release(&st->dirs, seg->d, row->id);
        if (!disk || rc == NVR_ENOSPC || !storage_dir_failed(&st->dirs, seg->d, rc, "creating a segment"))
            break;
        seg->d = NULL;
    }
    if (rc)
        goto out;
    *out = seg;
    seg = NULL;
out:
    if (seg) {
        fragments_free(&seg->row.frags);
        free(seg);
    }
    if (rc == NVR_ENOSPC)
        storage_report_full(st);
    return rc;
}

nvr_err storage_segment_write(struct storage_segment *seg, AVPacket *pkt, int track)
{
    int rc = segment_writer_write(seg->w, pkt, track);
    if (rc == NVR_OK && track == 0)
        seg->row.frames++;
    else if (rc)
        storage_dir_failed(&seg->st->dirs, seg->d, rc, "writing a segment");
    return rc;
}

nvr_err storage_segment_cut(struct storage_segment *seg, int64_t media_end_us, int64_t wall_end_us)
{
    uint32_t bytes;
    int rc = segment_writer_flush_fragment(seg->w, &bytes);
    if (rc == NVR_ENOSPC)
        storage_report_full(seg->st);
    else if (rc)
        storage_dir_failed(&seg->st->dirs, seg->d, rc, "writing a fragment");
    if (rc || bytes == 0)
        return rc;
    int64_t dur = media_end_us - seg->media_done_us;
    if (dur < 0)
        dur = 0;
    if ((rc = fragments_append(&seg->row.frags, bytes, (uint32_t)dur)))
        return rc;
    seg->media_done_us += dur;
    seg->row.media_us = seg->media_done_us;
    seg->row.bytes = segment_writer_bytes(seg->w);
    seg->row.end_us = wall_end_us > seg->row.end_us ? wall_end_us : seg->row.end_us;
    if ((rc = index_segment_update(seg->st->ix, &seg->row)) == NVR_ENOSPC)
        storage_report_full(seg->st);
    return rc;
}

nvr_err storage_segment_finish(struct storage_segment **segp, int64_t media_end_us, int64_t wall_end_us)
{
    struct storage_segment *seg = *segp;
    char path[PATH_MAX], dir[PATH_MAX];
    if (!seg)
        return NVR_OK;
    int rc, rc2;
    /* the open file may well be writable even when its dir is not ok now (an
     * unmounted mount point, a slow disk): try, and give up only on an error */
    rc = storage_segment_cut(seg, media_end_us, wall_end_us);
    if (rc && storage_dir_failed(&seg->st->dirs, seg->d, rc, "finishing a segment")) {
        /* D3: the durable fragments stay listed, the row stays writing and is
         * settled when the disk works again; nothing more is asked of it */
        segment_writer_close(&seg->w, NULL);
        nvr_log(NVR_WARN, seg->row.camera, "segment left for its storage dir to come back path=%s dir=%s fragments=%zu",
                seg->row.path, seg->d->path, seg->row.frags.n);
        rc = rc ? rc : NVR_EOFFLINE;
        goto out;
    }
    rc2 = segment_writer_close(&seg->w, seg->row.sha256);
    if (rc == NVR_OK)
        rc = rc2;
    if (rc && storage_dir_failed(&seg->st->dirs, seg->d, rc, "closing a segment")) {
        nvr_log(NVR_WARN, seg->row.camera, "segment left for its storage dir to come back path=%s dir=%s fragments=%zu",
                seg->row.path, seg->d->path, seg->row.frags.n);
        goto out; /* D3, as above */
    }
    storage_dir_abs(seg->d, seg->row.path, path, sizeof path);
    if (rc != NVR_OK || seg->row.frags.n == 0) {
        /* Leave the segment as recovery would: what is durable stays. */
        struct stat sb;
        int rc3 = settle_segment(seg->st, &seg->row, path, stat(path, &sb) == 0 ? sb.st_size : 0);
        if (rc == NVR_OK)
            rc = rc3;
        if (storage_parent_dir(path, dir, sizeof dir) == NVR_OK)
            storage_fsync_dir(dir);
    } else {
        seg->row.has_sha256 = 1;
        rc = index_segment_finish(seg->st->ix, &seg->row);
    }
out:
    storage_dir_release(&seg->st->dirs, seg->d, seg->row.id);
    fragments_free(&seg->row.frags);
    free(seg);
    *segp = NULL;
    return rc;
}

int64_t storage_segment_start(const struct storage_segment *seg)
{
    return seg->row.start_us;
}

int64_t storage_segment_media_us(const struct storage_segment *seg)
{
    return seg->media_done_us;
}

/* ---- consistency check ---- */

/* Checks one segment row against its file (see storage_check). */
static void check_segment(struct storage *st, struct index_segment *s, struct sweep *sw)
{
    char path[PATH_MAX];
    struct stat sb;
    int repair = sw->mode == STORAGE_CHECK_REPAIR, dry = sw->mode == STORAGE_CHECK_DRY_RUN;
    if (s->archive[0]) /* only in the archive tier: nothing local to check */
        return;
    if (storage_segment_abs(&st->dirs, s, path, sizeof path)) {
        sw->problems++;
        fprintf(sw->report, "%s: on storage dir %lld, which is offline or unknown (not checked)\n", s->path,
                (long long)s->dir);
        return;
    }
    int exists = stat(path, &sb) == 0;
    off_t size = exists ? sb.st_size : 0;
    if (!exists) {
        sw->problems++;
        fprintf(sw->report, "%s: indexed but the file is missing%s\n", s->path,
                repair ? " (row removed)"
                : dry  ? " (would remove the row)"
                       : "");
        if (repair)
            index_segment_delete(st->ix, s->id);
        else
            sw->unresolved++;
    } else if (s->state == INDEX_SEG_WRITING) {
        if (sw->mode == STORAGE_CHECK_REPORT)
            return; /* normal while the recorder runs */
        sw->problems++;
        fprintf(sw->report, "%s: unfinished segment (%s)\n", s->path, repair ? "completed" : "would complete it");
        if (repair)
            settle_segment(st, s, path, size);
        else
            sw->unresolved++;
    } else if ((uint64_t)size != s->bytes) {
        sw->problems++;
        fprintf(sw->report, "%s: file has %lld bytes, index says %llu%s\n", s->path, (long long)size,
                (unsigned long long)s->bytes,
                repair ? " (repaired)"
                : dry  ? " (would repair)"
                       : "");
        if (repair)
            settle_segment(st, s, path, size);
        else
            sw->unresolved++;
    }
}

#define CHECK_PAGE 4096

nvr_err storage_check(struct storage *st, enum storage_check_mode mode, FILE *report, int *problems, int *unresolved)
{
    char **cams = NULL, problem[256];
    size_t ncams = 0;
    struct sweep sw = {.mode = mode, .report = report};
    int rc = index_quick_check(st->ix, 0, problem, sizeof problem);
    *problems = *unresolved = 0;
    if (rc == NVR_EDAMAGED) {
        sw.problems++;
        sw.unresolved++;
        fprintf(report,
                "index.db: damaged (quick_check: %s); stop nvr and run nvr check --storage "
                "--rebuild-index\n",
                problem);
    } else if (rc) {
        goto out;
    }
    if (storage_damage(st)) {
        sw.problems++;
        sw.unresolved++;
        fprintf(report, "index.db: %s\n", storage_damage(st));
    }
    rc = index_cameras(st->ix, &cams, &ncams);
    /* rows: each camera's history in pages of CHECK_PAGE, so memory stays
     * bounded however much footage there is */
    for (size_t c = 0; c < ncams && rc == NVR_OK; c++) {
        int64_t after = INT64_MIN, prev_end = INT64_MIN;
        for (;;) {
            struct index_segment *segs = NULL;
            size_t n = 0;
            if ((rc = index_segments_page(st->ix, cams[c], after, CHECK_PAGE, &segs, &n)) || n == 0) {
                index_segments_free(&segs, n);
                break;
            }
            for (size_t i = 0; i < n; i++) {
                if (segs[i].start_us < prev_end) {
                    sw.problems++;
                    sw.unresolved++;
                    fprintf(report, "%s: overlaps the previous segment of camera %s by %lld us\n", segs[i].path,
                            cams[c], (long long)(prev_end - segs[i].start_us));
                }
                prev_end = segs[i].end_us;
                check_segment(st, &segs[i], &sw);
            }
            after = segs[n - 1].start_us;
            index_segments_free(&segs, n);
        }
    }
    /* the motion index (motion_store.h, M1 and M2) */
    if (rc == NVR_OK) {
        int mp = 0;
        rc = motion_store_check(st->ix, mode == STORAGE_CHECK_REPAIR, report, &mp);
        sw.problems += mp;
        sw.unresolved += mode == STORAGE_CHECK_REPAIR ? 0 : mp;
    }
    /* bookmarks (bookmark_store.h, B1 and B2) */
    if (rc == NVR_OK) {
        int bp = 0;
        rc = bookmark_store_check(st->ix, mode == STORAGE_CHECK_REPAIR, report, &bp);
        sw.problems += bp;
        sw.unresolved += mode == STORAGE_CHECK_REPAIR ? 0 : bp;
    }
    /* files: every day directory of every camera directory, indexed or not, on
     * every storage dir that can be read */
    for (size_t k = 0; k < st->dirs.ndirs && rc == NVR_OK; k++) {
        const struct storage_dir *sd = &st->dirs.dirs[k];
        char rec[PATH_MAX], pre[32];
        DIR *d = NULL;
        if (!storage_dir_readable(&st->dirs, &st->dirs.dirs[k])) {
            sw.problems++;
            sw.unresolved++;
            fprintf(report, "%s: storage dir offline (%s): its files are not checked\n", sd->path, sd->reason);
            continue;
        }
        index_qualify_path(sd->id, "", pre, sizeof pre);
        if (storage_dir_abs(sd, "recordings", rec, sizeof rec) != NVR_OK || !(d = opendir(rec)))
            continue;
        struct dirent *de;
        while (rc == NVR_OK && (de = readdir(d)) != NULL) {
            char child[PATH_MAX + 300];
            struct stat sb;
            if (de->d_name[0] == '.')
                continue;
            snprintf(child, sizeof child, "%s/%s", rec, de->d_name);
            if (lstat(child, &sb) != 0)
                continue;
            if (!S_ISDIR(sb.st_mode)) {
                sw.problems++;
                sw.unresolved++;
                fprintf(report, "%srecordings/%s: file not in the index\n", pre, de->d_name);
                continue;
            }
            rc = each_day(st, sd, de->d_name, 0, &sw);
        }
        closedir(d);
    }
out:
    for (size_t i = 0; i < ncams; i++)
        free(cams[i]);
    free(cams);
    *problems = sw.problems;
    *unresolved = sw.unresolved;
    return rc;
}
