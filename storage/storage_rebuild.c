/* SPDX-License-Identifier: Apache-2.0 */
/*
 * storage_rebuild.c - the index rebuilt from the segment files, and the
 * quarantine (see storage.h, docs/design/index.md "A damaged or lost index").
 *
 * The files are self-describing: the path says camera and wall-clock start
 * (recordings/CAM/YYYY-MM-DD/CAM-YYYYMMDDTHHMMSS.uuuuuuZ.mp4, microseconds),
 * and the fMP4 boxes give the init section, each fragment's bytes and media
 * duration, the codec and the frame count (fmp4_scan.h).  What a file
 * cannot say is kept from a damaged index when that index still has the
 * row and the file matches it (same bytes): the exact wall-clock end, the
 * ingest session and the SHA-256 taken at ingest.  Otherwise:
 *   end_us   = start_us + media_us, or the next segment's start when that is
 *              within RUN_SLACK_US (the recorder chains the segments of a
 *              run end to start), never past the next segment's start (I1);
 *   session  = the start of the first segment of its chain;
 *   sha256   = of the file as it is now.
 *
 * Order: damaged indexes' rows first (the better data), then every file
 * still unknown, camera by camera in start order; then the cameras' usage
 * totals are recounted (a cameras row copied from a damaged index carries
 * that index's sums, and the triggers add the restored rows on top).  A file with a torn
 * last fragment is cut back to its last whole fragment (as start-up
 * recovery does); one that is not a segment or holds no whole fragment
 * is moved to data_dir/quarantine/ - nothing is deleted.
 *
 * Threads: the CLI's (needs the lock: storage_open with STORAGE_WRITER).
 */
#include "storage/storage.h"
#include "storage/storage_priv.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "storage/fmp4_scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RUN_SLACK_US 500000 /* a gap or overlap this small between segments is one run */

nvr_err storage_parse_segment_path(const char *rel, char *camera, int64_t *start_us)
{
    char cam[INDEX_ID_MAX], day[16], name[256], t[64];
    const char *p = rel;
    if (strncmp(p, "recordings/", 11) != 0)
        return NVR_EINVAL;
    p += 11;
    const char *s1 = strchr(p, '/');
    if (!s1 || s1 - p == 0 || s1 - p >= INDEX_ID_MAX)
        return NVR_EINVAL;
    memcpy(cam, p, (size_t)(s1 - p));
    cam[s1 - p] = '\0';
    const char *s2 = strchr(s1 + 1, '/');
    if (!s2 || s2 - s1 - 1 != 10)
        return NVR_EINVAL;
    memcpy(day, s1 + 1, 10);
    day[10] = '\0';
    if (snprintf(name, sizeof name, "%s", s2 + 1) >= (int)sizeof name || strchr(name, '/'))
        return NVR_EINVAL;
    size_t cl = strlen(cam), nl = strlen(name);
    /* CAM-YYYYMMDDTHHMMSS.uuuuuuZ.mp4 */
    if (nl != cl + 1 + 23 + 4 || strncmp(name, cam, cl) != 0 || name[cl] != '-' || strcmp(name + nl - 4, ".mp4") != 0)
        return NVR_EINVAL;
    const char *ts = name + cl + 1;
    if (ts[8] != 'T' || ts[15] != '.' || ts[22] != 'Z')
        return NVR_EINVAL;
    snprintf(t, sizeof t, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s.%.6sZ", ts, ts + 4, ts + 6, ts + 9, ts + 11, ts + 13, ts + 16);
    if (strncmp(t, day, 10) != 0 || nvr_clock_parse_rfc3339(t, start_us) != NVR_OK)
        return NVR_EINVAL;
    snprintf(camera, INDEX_ID_MAX, "%s", cam);
    return NVR_OK;
}

nvr_err storage_quarantine(struct storage *st, const char *qualified, char *out, size_t n)
{
    char from[PATH_MAX], to[PATH_MAX], dir[PATH_MAX], qrel[PATH_MAX];
    struct stat sb;
    int64_t did;
    int rc;
    const char *rel = storage_unqualify(qualified, &did);
    char pre[32] = "";
    if (did) /* the quarantine of the disk the file is on: a rename, never a copy */
        snprintf(pre, sizeof pre, "@%lld/", (long long)did);
    if (snprintf(qrel, sizeof qrel, "%s%s/%s", pre, STORAGE_QUARANTINE_DIR, rel) >= (int)sizeof qrel)
        return NVR_EINVAL;
    for (int i = 1;; i++) { /* never over another file */
        if ((rc = storage_qualified_abs(&st->dirs, qrel, to, sizeof to)))
            return rc;
        if (lstat(to, &sb) != 0)
            break;
        if (i > 1000 ||
            snprintf(qrel, sizeof qrel, "%s%s/%s.%d", pre, STORAGE_QUARANTINE_DIR, rel, i) >= (int)sizeof qrel)
            return NVR_EINVAL;
    }
    if ((rc = storage_qualified_abs(&st->dirs, qualified, from, sizeof from)) ||
        (rc = storage_parent_dir(to, dir, sizeof dir)) || (rc = storage_mkdir_p(dir)))
        return rc;
    if (rename(from, to) != 0) {
        int e = errno;
        nvr_log(NVR_ERROR, NULL, "cannot move a file to quarantine path=%s error=\"%s\"", rel, strerror(e));
        return nvr_err_from_errno(e);
    }
    storage_fsync_dir(dir);
    if (storage_parent_dir(from, dir, sizeof dir) == NVR_OK)
        storage_fsync_dir(dir);
    snprintf(out, n, "%s", qrel);
    return NVR_OK;
}

/* Reads a file into a row (not yet inserted); cuts a torn tail.  *whole is
 * 0 if the file holds no whole fragment. */
static nvr_err scan_file(struct storage *st, const char *qualified, struct index_segment *row, int *whole,
                         int *truncated)
{
    char path[PATH_MAX];
    struct fmp4_scan sc;
    int rc, fd = -1;
    *whole = 0;
    *truncated = 0;
    memset(row, 0, sizeof *row);
    const char *rel = storage_unqualify(qualified, &row->dir);
    if ((rc = storage_parse_segment_path(rel, row->camera, &row->start_us)))
        return rc;
    if ((rc = storage_qualified_abs(&st->dirs, qualified, path, sizeof path)))
        return rc;
    if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
        return nvr_err_from_errno(errno);
    if ((rc = fmp4_scan_fd(fd, &sc)))
        goto out;
    if (sc.frags.n == 0) {
        fragments_free(&sc.frags);
        goto out;
    }
    if (sc.file_bytes > sc.bytes) {
        if (ftruncate(fd, (off_t)sc.bytes) != 0 || fsync(fd) != 0) {
            rc = nvr_err_from_errno(errno);
            fragments_free(&sc.frags);
            goto out;
        }
        *truncated = 1;
    }
    snprintf(row->path, sizeof row->path, "%s", rel);
    row->session = row->start_us;
    row->media_us = sc.media_us;
    row->media_start_us = sc.media_start_us;
    row->end_us = row->start_us + sc.media_us;
    row->bytes = sc.bytes;
    row->init_bytes = sc.init_bytes;
    row->state = INDEX_SEG_COMPLETE;
    snprintf(row->video_codec, sizeof row->video_codec, "%s", sc.video_codec);
    snprintf(row->audio_codec, sizeof row->audio_codec, "%s", sc.audio_codec);
    row->width = sc.width;
    row->height = sc.height;
    row->frames = sc.frames;
    row->frags = sc.frags;
    *whole = 1;
out:
    close(fd);
    if (rc == NVR_OK && *whole) {
        if ((rc = storage_sha256_file(path, row->sha256)) == NVR_OK)
            row->has_sha256 = 1;
        else
            fragments_free(&row->frags);
    }
    return rc;
}

/* Chains row to the next segment of its camera (see the header comment). */
static void fit_end(struct index_segment *row, int64_t next_start_us)
{
    if (next_start_us == INT64_MAX)
        return;
    int64_t gap = next_start_us - row->end_us;
    if (gap < 0 || gap <= RUN_SLACK_US)
        row->end_us = next_start_us > row->start_us ? next_start_us : row->start_us;
}

nvr_err storage_index_file(struct storage *st, const char *rel, int64_t session, int64_t next_start_us, int *indexed)
{
    struct index_segment row;
    int whole = 0, truncated = 0;
    *indexed = 0;
    int rc = scan_file(st, rel, &row, &whole, &truncated);
    if (rc || !whole)
        return rc;
    row.session = session;
    fit_end(&row, next_start_us);
    rc = index_segment_restore(st->ix, &row);
    fragments_free(&row.frags);
    if (rc == NVR_OK)
        *indexed = 1;
    return rc;
}

/* ---- the rebuild ---- */

struct found {
    char *rel;
    char camera[INDEX_ID_MAX];
    int64_t start_us;
};

struct found_list {
    struct found *v;
    size_t n, cap;
};

static int found_cmp(const void *a, const void *b)
{
    const struct found *x = a, *y = b;
    int c = strcmp(x->camera, y->camera);
    if (c)
        return c;
    return x->start_us < y->start_us ? -1 : x->start_us > y->start_us;
}

struct rebuild {
    struct storage *st;
    FILE *report;
    struct storage_rebuild_stats *stats;
};

/* A row of a damaged index: taken as it is when its file is there with the
 * bytes it says and the index does not list it yet. */
static int take_damaged_row(struct index_segment *seg, void *arg)
{
    struct rebuild *rb = arg;
    struct index_segment have;
    char path[PATH_MAX];
    struct stat sb;
    if (seg->state != INDEX_SEG_COMPLETE || !seg->has_sha256 || seg->frags.n == 0 ||
        seg->init_bytes + fragments_bytes(&seg->frags, seg->frags.n) != seg->bytes)
        return NVR_OK;
    if (storage_join_path(rb->st->dir, seg->path, path, sizeof path) || stat(path, &sb) != 0 ||
        (uint64_t)sb.st_size != seg->bytes)
        return NVR_OK;
    int rc = index_segment_by_path(rb->st->ix, seg->path, &have);
    if (rc == NVR_OK) {
        fragments_free(&have.frags);
        return NVR_OK;
    }
    if (rc != NVR_ENOTFOUND)
        return rc;
    if ((rc = index_segment_restore(rb->st->ix, seg)) == NVR_OK)
        rb->stats->from_damaged++;
    return rc == NVR_EINVAL ? NVR_OK : rc;
}

/* The damaged indexes set aside in data_dir, newest first. */
static nvr_err list_damaged(struct storage *st, char ***out, size_t *n)
{
    DIR *d = opendir(st->dir);
    char **v = NULL;
    size_t len = 0, cap = 0;
    *out = NULL;
    *n = 0;
    if (!d)
        return nvr_err_from_errno(errno);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (strncmp(de->d_name, "index.db.damaged-", 17) != 0 ||
            (l > 4 && (strcmp(de->d_name + l - 4, "-wal") == 0 || strcmp(de->d_name + l - 4, "-shm") == 0)))
            continue;
        if (len == cap) {
            size_t nc = cap ? 2 * cap : 4;
            char **nv = realloc(v, nc * sizeof *v);
            if (!nv)
                break;
            v = nv;
            cap = nc;
        }
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", st->dir, de->d_name);
        if (!(v[len] = strdup(path)))
            break;
        len++;
    }
    closedir(d);
    for (size_t i = 0; i + 1 < len; i++) /* newest first: the names sort by time */
        for (size_t j = i + 1; j < len; j++)
            if (strcmp(v[i], v[j]) < 0) {
                char *t = v[i];
                v[i] = v[j];
                v[j] = t;
            }
    *out = v;
    *n = len;
    return NVR_OK;
}

/* Every regular file under DIR/recordings/CAM/DAY/ of storage dir d into
 * list (their rel qualified with the dir: index_qualify_path). */
static nvr_err list_files(struct storage *st, const struct storage_dir *d0, struct found_list *list)
{
    char rec[PATH_MAX], pre[32] = "";
    int rc = storage_dir_abs(d0, "recordings", rec, sizeof rec);
    if (rc)
        return rc;
    if (d0->id)
        snprintf(pre, sizeof pre, "@%lld/", (long long)d0->id);
    DIR *d = opendir(rec), *dd = NULL, *fd = NULL;
    if (!d)
        return NVR_OK;
    struct dirent *c, *day, *f;
    while (rc == NVR_OK && (c = readdir(d)) != NULL) {
        char cdir[PATH_MAX];
        if (c->d_name[0] == '.' || snprintf(cdir, sizeof cdir, "%s/%s", rec, c->d_name) >= (int)sizeof cdir ||
            !(dd = opendir(cdir)))
            continue;
        while (rc == NVR_OK && (day = readdir(dd)) != NULL) {
            char ddir[PATH_MAX];
            if (day->d_name[0] == '.' || snprintf(ddir, sizeof ddir, "%s/%s", cdir, day->d_name) >= (int)sizeof ddir ||
                !(fd = opendir(ddir)))
                continue;
            while (rc == NVR_OK && (f = readdir(fd)) != NULL) {
                char rel[PATH_MAX], abs[PATH_MAX];
                struct stat sb;
                if (f->d_name[0] == '.')
                    continue;
                snprintf(rel, sizeof rel, "%srecordings/%s/%s/%s", pre, c->d_name, day->d_name, f->d_name);
                if (storage_qualified_abs(&st->dirs, rel, abs, sizeof abs) || lstat(abs, &sb) != 0 ||
                    !S_ISREG(sb.st_mode))
                    continue;
                if (list->n == list->cap) {
                    size_t nc = list->cap ? 2 * list->cap : 64;
                    struct found *nv = realloc(list->v, nc * sizeof *nv);
                    if (!nv) {
                        rc = NVR_ENOMEM;
                        break;
                    }
                    list->v = nv;
                    list->cap = nc;
                }
                struct found *e = &list->v[list->n];
                memset(e, 0, sizeof *e);
                if (!(e->rel = strdup(rel))) {
                    rc = NVR_ENOMEM;
                    break;
                }
                int64_t did;
                if (storage_parse_segment_path(storage_unqualify(rel, &did), e->camera, &e->start_us) != NVR_OK) {
                    e->camera[0] = '\0';
                    e->start_us = INT64_MIN;
                }
                list->n++;
            }
            closedir(fd);
        }
        closedir(dd);
    }
    closedir(d);
    return rc;
}

static void quarantine_one(struct rebuild *rb, const char *rel, const char *why)
{
    char moved[PATH_MAX];
    if (storage_quarantine(rb->st, rel, moved, sizeof moved) == NVR_OK) {
        rb->stats->quarantined++;
        fprintf(rb->report, "%s: %s (moved to %s)\n", rel, why, moved);
        nvr_log(NVR_WARN, NULL, "rebuild: moved a file to quarantine path=%s reason=\"%s\"", rel, why);
    } else {
        fprintf(rb->report, "%s: %s (could not move it to quarantine; left in place)\n", rel, why);
    }
}

nvr_err storage_rebuild_index(struct storage *st, FILE *report, struct storage_rebuild_stats *stats)
{
    struct rebuild rb = {st, report, stats};
    struct found_list list = {0};
    char **damaged = NULL;
    size_t ndamaged = 0;
    int rc;
    memset(stats, 0, sizeof *stats);
    /* 1. what damaged indexes still yield */
    if ((rc = list_damaged(st, &damaged, &ndamaged)))
        goto out;
    for (size_t i = 0; i < ndamaged; i++) {
        int lost = 0;
        fprintf(report, "index salvage: reading %s\n", damaged[i]);
        if ((rc = index_salvage(st->ix, damaged[i], report)) && rc != NVR_EDAMAGED)
            goto out;
        rc = index_salvage_segments(damaged[i], take_damaged_row, &rb, &lost);
        if (rc && rc != NVR_EDAMAGED)
            goto out;
        fprintf(report, "index salvage: segments: %d row%s taken so far%s\n", stats->from_damaged,
                stats->from_damaged == 1 ? "" : "s", rc || lost ? " (some rows lost to damaged pages)" : "");
        rc = NVR_OK;
    }
    /* 2. every file still unknown, on every storage dir that can be read,
     * per camera in start order */
    for (size_t i = 0; i < st->dirs.ndirs; i++) {
        struct storage_dir *d = &st->dirs.dirs[i];
        if (!storage_dir_readable(&st->dirs, d)) {
            fprintf(report, "%s: storage dir offline (%s), its files are not indexed now\n", d->path, d->reason);
            continue;
        }
        if ((rc = list_files(st, d, &list)))
            goto out;
    }
    if (list.n)
        qsort(list.v, list.n, sizeof *list.v, found_cmp);
    stats->files = (int)list.n;
    for (size_t i = 0; i < list.n; i++) {
        struct found *e = &list.v[i];
        struct index_segment have, row;
        int whole = 0, truncated = 0;
        int64_t did;
        if ((rc = index_segment_by_path(st->ix, storage_unqualify(e->rel, &did), &have)) == NVR_OK) {
            fragments_free(&have.frags);
            stats->indexed++;
            continue;
        }
        if (rc != NVR_ENOTFOUND)
            goto out;
        rc = NVR_OK;
        if (storage_is_garbage(st, e->rel))
            continue; /* a deletion in progress: nvr run finishes it */
        if (!e->camera[0]) {
            quarantine_one(&rb, e->rel, "not a segment file name");
            continue;
        }
        int r = scan_file(st, e->rel, &row, &whole, &truncated);
        if (r == NVR_ENOMEM || r == NVR_ENOSPC) {
            rc = r;
            goto out;
        }
        if (r || !whole) {
            quarantine_one(&rb, e->rel, r ? "not a readable fragmented MP4 segment" : "no whole fragment");
            continue;
        }
        if (truncated) {
            stats->truncated++;
            fprintf(report, "%s: torn last fragment cut off (%llu bytes kept)\n", e->rel,
                    (unsigned long long)row.bytes);
        }
        /* the run: chained to the previous file of the camera found here */
        if (i > 0 && strcmp(list.v[i - 1].camera, e->camera) == 0) {
            struct index_segment prev;
            if (index_segment_by_path(st->ix, storage_unqualify(list.v[i - 1].rel, &did), &prev) == NVR_OK) {
                if (prev.end_us == row.start_us)
                    row.session = prev.session;
                fragments_free(&prev.frags);
            }
        }
        int64_t next =
            i + 1 < list.n && strcmp(list.v[i + 1].camera, e->camera) == 0 ? list.v[i + 1].start_us : INT64_MAX;
        fit_end(&row, next);
        r = index_segment_restore(st->ix, &row);
        fragments_free(&row.frags);
        if (r == NVR_EINVAL) {
            quarantine_one(&rb, e->rel, "overlaps a segment the index already has");
            continue;
        }
        if (r) {
            rc = r;
            goto out;
        }
        stats->scanned++;
        fprintf(report, "%s: indexed from the file\n", e->rel);
    }
    /* 3. usage totals: cameras rows copied from a damaged index carry its sums */
    if ((rc = index_usage_recount(st->ix)))
        goto out;
    /* 4. the set-aside index is merged: no longer a reason to be degraded */
    char marker[PATH_MAX];
    if (storage_join_path(st->dir, STORAGE_DAMAGE_MARKER, marker, sizeof marker) == NVR_OK && unlink(marker) == 0)
        storage_fsync_dir(st->dir);
    st->damage[0] = '\0';
    nvr_log(NVR_INFO, NULL, "index rebuilt files=%d indexed=%d from_damaged=%d scanned=%d quarantined=%d truncated=%d",
            stats->files, stats->indexed, stats->from_damaged, stats->scanned, stats->quarantined, stats->truncated);
out:
    for (size_t i = 0; i < list.n; i++)
        free(list.v[i].rel);
    free(list.v);
    for (size_t i = 0; i < ndamaged; i++)
        free(damaged[i]);
    free(damaged);
    return rc;
}
