/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export.c - building and verifying export zips (see export.h).
 *
 * Building: the entries are libzip "function sources" written in order by
 * zip_close().  libzip asks an entry for its size (ZIP_SOURCE_STAT) only
 * when it reaches it, after every earlier entry has been read to its end:
 * so an MP4 is planned (export_mp4_open) when its turn comes and freed when
 * read (memory holds one file's sample tables at a time), and the manifest
 * is built and signed when its turn comes, after every hash is known.
 * Every byte read is hashed on the way; the MP4s are the SHA-256 of exactly
 * the bytes libzip stored.
 *
 * Verifying reads the zip with libzip (which also checks each entry's CRC)
 * and the manifest with jansson, and the signature with sign.c.
 */
#include "export/export.h"

#include "base/hex.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "audit/audit.h"
#include "export/export_burn.h"
#include "export/export_mp4.h"
#include "export/export_names.h"
#include "export/export_readme.h"
#include "export/export_zipout.h"
#include "export/log_anchor.h"
#include "storage/access_log.h"
#include "storage/holds.h"
#include "storage/sha256.h"
#include "version.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#define NATIVE_BUFSZ (1 << 20)

/* ---- hashing on the second core ----
 * SHA-256 of the entries is computed by a helper thread while this thread
 * reads, CRCs and writes: the bytes are copied into one of HASH_BLOCKS
 * blocks of HASH_BLOCK bytes, which the helper hashes in order.  The
 * producer waits when every block is full; hasher_final waits for the
 * helper to finish the entry. */
#define HASH_BLOCK (1u << 20)
#define HASH_BLOCKS 4

struct hasher {
    pthread_t th;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint8_t *blk[HASH_BLOCKS];
    size_t len[HASH_BLOCKS];
    int head, tail, count; /* blocks filled and not yet hashed: tail.. (count of them) */
    size_t fill;           /* bytes in blk[head], being filled */
    int final_req, final_done, quit;
    struct sha256 *sha;
    uint8_t digest[32];
};

static void *hasher_main(void *arg)
{
    struct hasher *h = arg;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        if (h->count > 0) {
            int t = h->tail;
            pthread_mutex_unlock(&h->mu);
            sha256_update(h->sha, h->blk[t], h->len[t]);
            pthread_mutex_lock(&h->mu);
            h->tail = (h->tail + 1) % HASH_BLOCKS;
            h->count--;
            pthread_cond_broadcast(&h->cv);
            continue;
        }
        if (h->final_req) {
            sha256_final(h->sha, h->digest);
            sha256_free(&h->sha);
            h->final_req = 0;
            h->final_done = 1;
            pthread_cond_broadcast(&h->cv);
            continue;
        }
        if (h->quit)
            break;
        pthread_cond_wait(&h->cv, &h->mu);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

static nvr_err hasher_start(struct hasher *h)
{
    memset(h, 0, sizeof *h);
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    for (int i = 0; i < HASH_BLOCKS; i++)
        if (!(h->blk[i] = malloc(HASH_BLOCK)))
            return NVR_ENOMEM;
    if (pthread_create(&h->th, NULL, hasher_main, h) != 0)
        return NVR_ENOMEM;
    h->started = 1;
    return NVR_OK;
}

static void hasher_stop(struct hasher *h)
{
    if (h->started) {
        pthread_mutex_lock(&h->mu);
        h->quit = 1;
        pthread_cond_broadcast(&h->cv);
        pthread_mutex_unlock(&h->mu);
        pthread_join(h->th, NULL);
    }
    sha256_free(&h->sha);
    for (int i = 0; i < HASH_BLOCKS; i++)
        free(h->blk[i]);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
}

/* Starts a new digest (the helper is idle between entries). */
static nvr_err hasher_begin(struct hasher *h)
{
    pthread_mutex_lock(&h->mu);
    sha256_free(&h->sha);
    h->sha = sha256_new();
    h->fill = 0;
    h->final_done = 0;
    pthread_mutex_unlock(&h->mu);
    return h->sha ? NVR_OK : NVR_ENOMEM;
}

/* Hands the block being filled to the helper; waits for a free one. */
static void hasher_publish(struct hasher *h)
{
    pthread_mutex_lock(&h->mu);
    h->len[h->head] = h->fill;
    h->head = (h->head + 1) % HASH_BLOCKS;
    h->count++;
    h->fill = 0;
    pthread_cond_broadcast(&h->cv);
    while (h->count == HASH_BLOCKS)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
}

static void hasher_feed(struct hasher *h, const uint8_t *p, size_t n)
{
    while (n) {
        size_t k = HASH_BLOCK - h->fill < n ? HASH_BLOCK - h->fill : n;
        memcpy(h->blk[h->head] + h->fill, p, k);
        h->fill += k;
        p += k;
        n -= k;
        if (h->fill == HASH_BLOCK)
            hasher_publish(h);
    }
}

static void hasher_final(struct hasher *h, uint8_t out[32])
{
    if (h->fill)
        hasher_publish(h);
    pthread_mutex_lock(&h->mu);
    h->final_req = 1;
    pthread_cond_broadcast(&h->cv);
    while (!h->final_done)
        pthread_cond_wait(&h->cv, &h->mu);
    memcpy(out, h->digest, 32);
    pthread_mutex_unlock(&h->mu);
}

/* E_BURN: a copy of an E_MP4 with the time burned in (export_burn.h), made
 * in a temporary file beside the zip when its turn comes. */
enum entry_kind { E_MP4, E_BURN, E_NATIVE, E_BUFFER, E_SUMS, E_README, E_MANIFEST, E_SIG };

struct export_ctx;

struct entry {
    struct export_ctx *x;
    enum entry_kind kind;
    char name[INDEX_PATH_MAX + 80];
    /* E_MP4: segments [seg0, seg0+nseg) of camera cam */
    size_t cam;
    size_t seg0, nseg;
    struct export_mp4 *mp4;
    int64_t first_us, end_us, duration_us;
    size_t of; /* E_BURN: the entry of its original */
    /* E_NATIVE */
    const struct index_segment *seg;
    int fd;
    uint8_t *buf;
    /* E_BUFFER / E_MANIFEST / E_SIG */
    const uint8_t *data;
    /* common */
    uint64_t size, pos;
    int size_known, done, listed, hashing;
    uint8_t digest[32];
    int err; /* nvr_err of a failed read */
};

struct camera_segs {
    struct index_segment *segs;
    size_t n;
};

struct export_ctx {
    struct storage *st;
    const struct sign_key *key;
    const struct export_request *req;
    const char *out_path; /* the zip; E_BURN's temporary files go beside it */
    struct camera_segs cams[EXPORT_MAX_CAMERAS];
    char stems[EXPORT_MAX_CAMERAS][EXPORT_STEM_MAX]; /* the cameras' file names (export_names.h) */
    struct entry *entries;
    size_t nentries;
    char *manifest, *readme, *sums;
    size_t manifest_len, readme_len, sums_len;
    uint8_t sig[SIGN_SIG_BYTES];
    char *pubkey;
    char fpr[SIGN_FPR_BUFSZ];
    int64_t exported_us;
    uint64_t total, done_bytes;
    export_progress_fn progress;
    void *progress_arg;
    double last_reported;
    int stopped;
    struct hasher hash;
    char err[512];
    int64_t hold_id; /* the temporary hold, 0 if none */
};

static int utf8_ok(const char *s)
{
    json_t *j = json_string(s);
    int ok = j != NULL;
    json_decref(j);
    return ok;
}

nvr_err export_check_request(const struct export_request *req, char *err, size_t errlen)
{
    if (req->ncameras == 0) {
        snprintf(err, errlen, "at least one camera is required");
        return NVR_EINVAL;
    }
    for (size_t i = 0; i < req->ncameras; i++) {
        for (size_t j = 0; j < i; j++)
            if (strcmp(req->cameras[i], req->cameras[j]) == 0) {
                snprintf(err, errlen, "camera \"%.64s\" is listed twice", req->cameras[i]);
                return NVR_EINVAL;
            }
    }
    if (req->to_us <= req->from_us) {
        snprintf(err, errlen, "end must be after start");
        return NVR_EINVAL;
    }
    if (req->to_us - req->from_us > EXPORT_MAX_RANGE_US) {
        snprintf(err, errlen, "the range is longer than %lld days", EXPORT_MAX_RANGE_US / (24LL * 3600 * 1000000));
        return NVR_EINVAL;
    }
    if (!utf8_ok(req->reason) || !utf8_ok(req->case_id) || !utf8_ok(req->operator_name)) {
        snprintf(err, errlen, "reason and case must be UTF-8 text");
        return NVR_EINVAL;
    }
    return NVR_OK;
}

int export_has_footage(nvr_index *ix, const struct export_request *req)
{
    for (size_t i = 0; i < req->ncameras; i++) {
        struct index_segment *segs = NULL;
        size_t n = 0;
        int rc = index_segments_list(ix, req->cameras[i], req->from_us, req->to_us, &segs, &n);
        size_t with = 0;
        for (size_t k = 0; k < n; k++)
            with += segs[k].frags.n > 0;
        index_segments_free(&segs, n);
        if (rc)
            return rc;
        if (with)
            return 1;
    }
    return 0;
}

/* RFC 3339 in local time with its offset: 2026-11-22T09:00:00.000000+01:00 */
static void write_local(FILE *f, int64_t us)
{
    time_t secs = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
    struct tm tm;
    char a[40];
    localtime_r(&secs, &tm);
    strftime(a, sizeof a, "%Y-%m-%dT%H:%M:%S", &tm);
    long off = tm.tm_gmtoff, aoff = off < 0 ? -off : off;
    fprintf(f, "\"%s.%06d%c%02ld:%02ld\"", a, (int)(us - (int64_t)secs * 1000000), off < 0 ? '-' : '+', aoff / 3600,
            aoff / 60 % 60);
}

/* ---- the manifest ---- */

static void write_or_null(FILE *f, const char *s)
{
    if (s[0])
        json_write_string(f, s);
    else
        fputs("null", f);
}

nvr_err export_new_id(char id[EXPORT_REF_MAX])
{
    uint8_t rnd[16];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        return NVR_EIO;
    nvr_hex(rnd, sizeof rnd, id);
    return NVR_OK;
}

void export_request_devices(struct export_request *req, const char *data_dir)
{
    struct audit_store as = {0};
    if (audit_store_load(data_dir, &as) == NVR_OK)
        for (size_t c = 0; c < req->ncameras; c++) {
            const struct audit_camera *ac = audit_store_get(&as, req->cameras[c]);
            const char *maker = ac ? audit_camera_get(ac, "onvif_manufacturer") : NULL;
            const char *model = ac ? audit_camera_get(ac, "onvif_model") : NULL;
            snprintf(req->makers[c], sizeof req->makers[c], "%s", maker && utf8_ok(maker) ? maker : "");
            snprintf(req->models[c], sizeof req->models[c], "%s", model && utf8_ok(model) ? model : "");
        }
    audit_store_clear(&as);
}

struct log_listing {
    FILE *f;
    char needle[EXPORT_REF_MAX + 16];
    int n;
};

static int list_entry(const struct access_entry *e, void *arg)
{
    struct log_listing *l = arg;
    char hx[65];
    size_t nl = strlen(l->needle);
    if (strncmp(e->detail, l->needle, nl) != 0 || (e->detail[nl] != '\0' && e->detail[nl] != ' '))
        return 0; /* "export=AB" must not match "export=ABC" */
    nvr_hex(e->hash, 32, hx);
    fprintf(l->f, "%s{\"id\": %lld, \"time\": ", l->n++ ? ",\n      " : "\n      ", (long long)e->id);
    json_write_time(l->f, e->time_us);
    fputs(", \"user\": ", l->f);
    json_write_string(l->f, e->user);
    fputs(", \"address\": ", l->f);
    json_write_string(l->f, e->address);
    fputs(", \"action\": ", l->f);
    json_write_string(l->f, e->action);
    fputs(", \"camera\": ", l->f);
    json_write_string(l->f, e->camera);
    fputs(", \"detail\": ", l->f);
    json_write_string(l->f, e->detail);
    fprintf(l->f, ", \"hash\": \"%s\"}", hx);
    return 0;
}

/* "access_log": the export's own entries (who asked for it, from where,
 * for which cameras) and the log's newest entry when the manifest was
 * written: the signature then pins the log up to that entry, so a later
 * edit or deletion of it shows against this manifest too. */
static nvr_err write_access_log(struct export_ctx *x, FILE *f)
{
    const struct export_request *r = x->req;
    nvr_index *ix = storage_index_reader(x->st);
    struct log_listing l = {.f = f};
    uint8_t head[32];
    int64_t head_id;
    char hx[65];
    fputs("  \"access_log\": {\"entries\": [", f);
    if (r->ref[0]) {
        snprintf(l.needle, sizeof l.needle, "export=%s", r->ref);
        struct access_filter flt = {.from_us = r->requested_us ? r->requested_us - 60 * 1000000LL : 0,
                                    .to_us = INT64_MAX,
                                    .action = "export_created"};
        int rc = access_log_each(ix, &flt, list_entry, &l);
        if (rc)
            return rc;
    }
    /* a signed checkpoint at every export: the manifest's head is then an
     * anchored entry (log_anchor.h) */
    log_anchor_write(storage_index(x->st), x->key, "export");
    int rc = access_log_head(ix, &head_id, head);
    if (rc)
        return rc;
    nvr_hex(head, 32, hx);
    fprintf(f, "%s],\n    \"head\": {\"id\": %lld, \"hash\": \"%s\"},\n", l.n ? "\n    " : "", (long long)head_id, hx);
    fputs("    \"note\": \"nvr verify --log on the recorder checks its access log; the entries above and the "
          "head must appear in it unchanged\"}",
          f);
    return NVR_OK;
}

static nvr_err build_manifest(struct export_ctx *x)
{
    const struct export_request *r = x->req;
    char zone[128], hx[65];
    FILE *f = open_memstream(&x->manifest, &x->manifest_len);
    if (!f)
        return NVR_ENOMEM;
    export_zone_name(zone, sizeof zone);
    time_t now = (time_t)(x->exported_us / 1000000);
    struct tm tm;
    localtime_r(&now, &tm);
    fputs("{\n  \"format\": \"nvr-export/1\",\n  \"software\": {\"name\": \"nvr\", \"version\": ", f);
    json_write_string(f, NVR_VERSION);
    fputs("},\n  \"exported_at\": ", f);
    json_write_time(f, x->exported_us);
    fputs(",\n  \"exported_at_local\": ", f);
    write_local(f, x->exported_us);
    fputs(",\n  \"operator\": ", f);
    json_write_string(f, r->operator_name);
    fputs(",\n  \"reason\": ", f);
    json_write_string(f, r->reason);
    fputs(",\n  \"case\": ", f);
    json_write_string(f, r->case_id);
    fputs(",\n  \"time_zone\": {\"name\": ", f);
    json_write_string(f, zone);
    fputs(", \"abbreviation\": ", f);
    json_write_string(f, tm.tm_zone);
    fprintf(f, ", \"utc_offset_seconds\": %ld},\n  \"range\": {\"start\": ", tm.tm_gmtoff);
    json_write_time(f, r->from_us);
    fputs(", \"end\": ", f);
    json_write_time(f, r->to_us);
    fputs(", \"start_local\": ", f);
    write_local(f, r->from_us);
    fputs(", \"end_local\": ", f);
    write_local(f, r->to_us);
    fputs("},\n  \"signing_key\": {\"algorithm\": \"Ed25519\", \"file\": \"public-key.pem\", \"fingerprint\": ", f);
    json_write_string(f, x->fpr);
    fputs("},\n  \"cameras\": [", f);
    for (size_t c = 0; c < r->ncameras; c++) {
        fputs(c ? ",\n    {\"id\": " : "\n    {\"id\": ", f);
        json_write_string(f, r->cameras[c]);
        fputs(", \"name\": ", f);
        json_write_string(f, r->names[c][0] ? r->names[c] : r->cameras[c]);
        fputs(", \"maker\": ", f);
        write_or_null(f, r->makers[c]);
        fputs(", \"model\": ", f);
        write_or_null(f, r->models[c]);
        fputs(",\n     \"files\": [", f);
        int first = 1;
        for (size_t e = 0; e < x->nentries; e++) {
            const struct entry *en = &x->entries[e];
            if ((en->kind != E_MP4 && en->kind != E_BURN) || en->cam != c)
                continue;
            fputs(first ? "{\"name\": " : ", {\"name\": ", f);
            first = 0;
            json_write_string(f, en->name);
            fputs(", \"first_frame\": ", f);
            json_write_time(f, en->first_us);
            fputs(", \"end\": ", f);
            json_write_time(f, en->end_us);
            fputs(", \"first_frame_local\": ", f);
            write_local(f, en->first_us);
            fprintf(f, ", \"duration\": %.6f", en->duration_us / 1e6);
            if (en->kind == E_BURN) {
                fputs(", \"derivative\": {\"of\": ", f);
                json_write_string(f, x->entries[en->of].name);
                fputs(", \"burned_in\": \"wall-clock time (the text track's, local and UTC)\", \"video\": "
                      "\"decoded and re-encoded (H.264, libx264)\", \"note\": \"made for viewing; the original "
                      "is the stream copy named in of\"}",
                      f);
            }
            fputc('}', f);
        }
        fputs("],\n     \"source_segments\": [", f);
        const struct camera_segs *cs = &x->cams[c];
        for (size_t i = 0; i < cs->n; i++) {
            const struct index_segment *s = &cs->segs[i];
            fputs(i ? ",\n       {\"id\": " : "\n       {\"id\": ", f);
            fprintf(f, "%lld, \"path\": ", (long long)s->id);
            json_write_string(f, s->path);
            fputs(", \"start\": ", f);
            json_write_time(f, s->start_us);
            fputs(", \"end\": ", f);
            json_write_time(f, s->end_us);
            fprintf(f, ", \"bytes\": %llu, \"state\": \"%s\", \"sha256_at_ingest\": ", (unsigned long long)s->bytes,
                    s->state == INDEX_SEG_COMPLETE ? "complete" : "writing");
            if (s->has_sha256) {
                nvr_hex(s->sha256, 32, hx);
                fprintf(f, "\"%s\"}", hx);
            } else {
                fputs("null}", f);
            }
        }
        fputs("]}", f);
    }
    fputs("\n  ],\n", f);
    int rc = write_access_log(x, f);
    if (rc) {
        fclose(f);
        return rc;
    }
    fputs(",\n  \"files\": [", f);
    int first = 1;
    for (size_t e = 0; e < x->nentries; e++) {
        const struct entry *en = &x->entries[e];
        if (!en->listed)
            continue;
        if (!en->done) {
            fclose(f);
            return NVR_EINVAL; /* libzip did not write in order: refuse rather than sign a guess */
        }
        nvr_hex(en->digest, 32, hx);
        fputs(first ? "\n    {\"name\": " : ",\n    {\"name\": ", f);
        first = 0;
        json_write_string(f, en->name);
        fprintf(f, ", \"bytes\": %llu, \"sha256\": \"%s\"}", (unsigned long long)en->pos, hx);
    }
    fputs("\n  ]\n}\n", f);
    if (fclose(f) != 0)
        return NVR_ENOMEM;
    return sign_data(x->key, x->manifest, x->manifest_len, x->sig);
}

/* ---- entry sources ---- */

/* Returns non-zero when the caller asked to stop. */
static int report_progress(struct export_ctx *x, uint64_t n)
{
    x->done_bytes += n;
    if (!x->progress || x->total == 0)
        return 0;
    double f = (double)x->done_bytes / (double)x->total;
    if (f > 0.999)
        f = 0.999; /* 1 when the zip is closed */
    if (f - x->last_reported >= 0.002) {
        x->last_reported = f;
        if (x->progress(x->progress_arg, f)) {
            x->stopped = 1;
            return 1;
        }
    }
    return 0;
}

/* Makes the burned-in copy of e's original (export_burn.h): the original
 * MP4 again into a temporary file, transcoded into another, which is opened
 * and unlinked (the entry reads it through e->fd; nothing is left behind). */
static nvr_err burn_prepare(struct entry *e)
{
    struct export_ctx *x = e->x;
    const struct entry *o = &x->entries[e->of];
    struct export_mp4 *m = NULL;
    char in[PATH_MAX], out[PATH_MAX], msg[200];
    uint8_t *buf = malloc(NATIVE_BUFSZ);
    int fd = -1, ofd = -1, rc = NVR_ENOMEM;
    snprintf(in, sizeof in, "%.4000s.burn-in-XXXXXX", x->out_path);
    snprintf(out, sizeof out, "%.4000s.burn-out-XXXXXX", x->out_path);
    if (!buf)
        goto out;
    if ((fd = mkstemp(in)) < 0 || (ofd = mkstemp(out)) < 0) {
        rc = nvr_err_from_errno(errno);
        goto out;
    }
    close(ofd); /* the name is reserved; the muxer writes it (and may rewrite it for faststart) */
    ofd = -1;
    if ((rc = export_mp4_open(x->st, x->cams[o->cam].segs + o->seg0, o->nseg, x->req->from_us, x->req->to_us, &m)))
        goto out;
    for (;;) {
        int64_t n = export_mp4_read(m, buf, NATIVE_BUFSZ);
        if (n < 0) {
            rc = (int)n;
            goto out;
        }
        if (n == 0)
            break;
        if (write(fd, buf, (size_t)n) != (ssize_t)n) {
            rc = NVR_EIO;
            goto out;
        }
    }
    close(fd);
    fd = -1;
    if ((rc = export_burn_file(in, out, msg, sizeof msg))) {
        snprintf(x->err, sizeof x->err, "%.200s: %s", e->name, msg);
        goto out;
    }
    struct stat sb;
    if ((ofd = open(out, O_RDONLY | O_CLOEXEC)) < 0 || fstat(ofd, &sb) != 0) {
        rc = nvr_err_from_errno(errno);
        goto out;
    }
    e->fd = ofd; /* read through this descriptor; the name is unlinked below */
    ofd = -1;
    e->size = (uint64_t)sb.st_size;
    e->first_us = o->first_us;
    e->end_us = o->end_us;
    e->duration_us = o->duration_us;
out:
    if (fd >= 0)
        close(fd);
    if (ofd >= 0)
        close(ofd);
    if (!strstr(in, "XXXXXX")) /* made by mkstemp */
        unlink(in);
    if (!strstr(out, "XXXXXX"))
        unlink(out);
    export_mp4_free(&m);
    free(buf);
    return rc;
}

/* README.txt or SHA256SUMS.txt (export_readme.h), from the videos and
 * original files before it, all written by now. */
static nvr_err build_text(struct export_ctx *x, enum entry_kind kind)
{
    struct export_readme_file *files = calloc(x->nentries, sizeof *files);
    size_t n = 0;
    int rc = NVR_OK;
    if (!files)
        return NVR_ENOMEM;
    for (size_t i = 0; i < x->nentries; i++) {
        const struct entry *e = &x->entries[i];
        if (e->kind != E_MP4 && e->kind != E_NATIVE && e->kind != E_BURN)
            continue;
        if (!e->done) {
            rc = NVR_EINVAL; /* libzip did not write in order: refuse rather than list a guess */
            goto out;
        }
        files[n++] = (struct export_readme_file){.name = e->name,
                                                 .bytes = e->pos,
                                                 .sha256 = e->digest,
                                                 .cam = (int)e->cam,
                                                 .native = e->kind == E_NATIVE,
                                                 .derivative_of = e->kind == E_BURN ? x->entries[e->of].name : NULL,
                                                 .first_us = e->first_us,
                                                 .end_us = e->end_us,
                                                 .duration_us = e->duration_us};
    }
    if (kind == E_SUMS) {
        rc = export_sums_text(files, n, &x->sums, &x->sums_len);
    } else {
        struct export_readme in = {.req = x->req,
                                   .exported_us = x->exported_us,
                                   .fingerprint = x->fpr,
                                   .files = files,
                                   .nfiles = n,
                                   .sums_name = EXPORT_SUMS_NAME};
        rc = export_readme_text(&in, &x->readme, &x->readme_len);
    }
out:
    free(files);
    return rc;
}

/* Makes the entry ready to report its size: plans an MP4, builds a text or the manifest. */
static nvr_err entry_prepare(struct entry *e)
{
    struct export_ctx *x = e->x;
    int rc = NVR_OK;
    if (e->size_known)
        return NVR_OK;
    switch (e->kind) {
    case E_MP4:
        rc = export_mp4_open(x->st, x->cams[e->cam].segs + e->seg0, e->nseg, x->req->from_us, x->req->to_us, &e->mp4);
        if (rc == NVR_OK) {
            e->size = export_mp4_size(e->mp4);
            export_mp4_span(e->mp4, &e->first_us, &e->end_us, &e->duration_us);
        }
        break;
    case E_NATIVE: e->size = e->seg->bytes; break;
    case E_BURN: rc = burn_prepare(e); break;
    case E_MANIFEST:
        if ((rc = build_manifest(x)) == NVR_OK) {
            e->data = (const uint8_t *)x->manifest;
            e->size = x->manifest_len;
        }
        break;
    case E_SIG:
        e->data = x->sig;
        e->size = SIGN_SIG_BYTES;
        break;
    case E_SUMS:
    case E_README:
        if ((rc = build_text(x, e->kind)) == NVR_OK) {
            e->data = (const uint8_t *)(e->kind == E_SUMS ? x->sums : x->readme);
            e->size = e->kind == E_SUMS ? x->sums_len : x->readme_len;
        }
        break;
    case E_BUFFER: break;
    }
    if (rc == NVR_OK)
        e->size_known = 1;
    else if (!x->err[0])
        snprintf(x->err, sizeof x->err, "%s: %s", e->name, nvr_strerror(rc));
    return rc;
}

static int64_t entry_read(struct entry *e, uint8_t *dst, size_t len)
{
    uint64_t left = e->size - e->pos;
    if (len > left)
        len = (size_t)left;
    if (len == 0)
        return 0;
    int64_t n;
    switch (e->kind) {
    case E_MP4: n = export_mp4_read(e->mp4, dst, len); break;
    case E_NATIVE:
    case E_BURN: {
        ssize_t k;
        do
            k = pread(e->fd, dst, len, (off_t)e->pos);
        while (k < 0 && errno == EINTR);
        n = k < 0 ? nvr_err_from_errno(errno) : k == 0 ? NVR_ECORRUPT : k;
        break;
    }
    default: memcpy(dst, e->data + e->pos, len); n = (int64_t)len;
    }
    if (n < 0)
        return n;
    hasher_feed(&e->x->hash, dst, (size_t)n);
    e->pos += (uint64_t)n;
    if ((e->kind == E_MP4 || e->kind == E_NATIVE) && report_progress(e->x, (uint64_t)n))
        return NVR_ESTOPPED;
    return n;
}

static zip_int64_t entry_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
    struct entry *e = ud;
    struct export_ctx *x = e->x;
    int rc;
    switch (cmd) {
    case ZIP_SOURCE_STAT: {
        zip_stat_t *st = data;
        zip_stat_init(st);
        if (entry_prepare(e))
            return -1;
        st->size = e->size;
        st->mtime = (time_t)(x->exported_us / 1000000);
        st->valid |= ZIP_STAT_SIZE | ZIP_STAT_MTIME;
        return sizeof *st;
    }
    case ZIP_SOURCE_OPEN:
        if (entry_prepare(e))
            return -1;
        e->pos = 0;
        if (hasher_begin(&x->hash))
            return -1;
        e->hashing = 1;
        if (e->kind == E_NATIVE) {
            if ((rc = storage_segment_open_read(x->st, e->seg, &e->fd))) {
                snprintf(x->err, sizeof x->err, "%s: %s", e->seg->path, nvr_strerror(rc));
                return -1;
            }
        }
        return 0;
    case ZIP_SOURCE_READ: {
        int64_t n = entry_read(e, data, (size_t)len);
        if (n < 0) {
            e->err = (int)n;
            if (!x->err[0])
                snprintf(x->err, sizeof x->err, "%s: %s", e->name, nvr_strerror((int)n));
            return -1;
        }
        return n;
    }
    case ZIP_SOURCE_CLOSE:
        if (e->hashing) {
            hasher_final(&x->hash, e->digest);
            e->hashing = 0;
            e->done = e->pos == e->size;
        }
        export_mp4_free(&e->mp4);
        if (e->fd >= 0)
            close(e->fd);
        e->fd = -1;
        return 0;
    case ZIP_SOURCE_ERROR: {
        int *z = data;
        z[0] = ZIP_ER_READ;
        z[1] = e->err < 0 ? EIO : 0;
        return 2 * sizeof(int);
    }
    case ZIP_SOURCE_FREE: return 0;
    case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
                                              ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
    default: return -1;
    }
}

static struct entry *new_entry(struct export_ctx *x, enum entry_kind kind, const char *name)
{
    struct entry *e = &x->entries[x->nentries++];
    memset(e, 0, sizeof *e);
    e->x = x;
    e->kind = kind;
    e->fd = -1;
    e->listed = kind != E_MANIFEST && kind != E_SIG;
    snprintf(e->name, sizeof e->name, "%s", name);
    return e;
}

/* Protects the range from retention while the export reads it (and
 * releases the holds of exports that died before releasing theirs). */
static nvr_err take_hold(struct export_ctx *x, char *err, size_t errlen)
{
    const struct export_request *r = x->req;
    nvr_index *ix = storage_index(x->st);
    struct hold *h = calloc(1, sizeof *h);
    int rc = NVR_ENOMEM;
    if (!h)
        goto out;
    holds_release_orphans(ix, nvr_clock_now_us(), NULL);
    for (size_t c = 0; c < r->ncameras && c < HOLD_CAMERAS_MAX; c++)
        snprintf(h->cameras[h->ncameras++], INDEX_ID_MAX, "%s", r->cameras[c]);
    h->start_us = r->from_us;
    h->end_us = r->to_us;
    snprintf(h->case_id, sizeof h->case_id, "%.500s", r->case_id);
    snprintf(h->reason, sizeof h->reason, "export %s in progress (released when it ends)",
             r->ref[0] ? r->ref : "(command line)");
    snprintf(h->created_by, sizeof h->created_by, "%.*s", INDEX_ID_MAX - 1, r->operator_name);
    h->created_us = nvr_clock_now_us();
    h->export_pid = getpid();
    if ((rc = holds_add(ix, h))) {
        snprintf(err, errlen, "cannot protect the footage with a hold: %s", nvr_strerror(rc));
        goto out;
    }
    x->hold_id = h->id;
out:
    free(h);
    return rc;
}

/* Makes a video's name unique among the videos before it ("NAME-2.mp4"):
 * one camera's "a-part1.mp4" could otherwise be another's "a-part1.mp4"
 * (ids may hold "-"). */
static void unique_video_name(struct export_ctx *x, char *name, size_t n)
{
    char base[EXPORT_STEM_MAX + 32];
    snprintf(base, sizeof base, "%.*s", (int)(strlen(name) - 4), name); /* without ".mp4" */
    for (unsigned k = 2;; k++) {
        size_t i = 0;
        while (i < x->nentries && !((x->entries[i].kind == E_MP4 || x->entries[i].kind == E_BURN) &&
                                    strcmp(x->entries[i].name, name) == 0))
            i++;
        if (i == x->nentries)
            return;
        snprintf(name, n, "%.*s-%u.mp4", (int)(n - 16), base, k);
    }
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static void free_ctx(struct export_ctx *x)
{
    hasher_stop(&x->hash);
    for (size_t i = 0; i < x->nentries; i++) {
        export_mp4_free(&x->entries[i].mp4);
        if (x->entries[i].fd >= 0)
            close(x->entries[i].fd);
    }
    free(x->entries);
    for (size_t c = 0; c < EXPORT_MAX_CAMERAS; c++)
        index_segments_free(&x->cams[c].segs, x->cams[c].n);
    free(x->manifest);
    free(x->readme);
    free(x->sums);
    free(x->pubkey);
}

nvr_err export_run(struct storage *st, const struct sign_key *key, const struct export_request *req,
                   const char *out_path, export_progress_fn progress, void *arg, uint64_t *zip_bytes, char *err,
                   size_t errlen)
{
    struct export_ctx *x = calloc(1, sizeof *x);
    zip_t *z = NULL;
    if (x)
        x->out_path = out_path;
    size_t *part_end = NULL, nentries_max = 5;
    int rc = NVR_ENOMEM;
    *zip_bytes = 0;
    err[0] = '\0';
    if (!x) {
        snprintf(err, errlen, "out of memory");
        return NVR_ENOMEM;
    }
    x->st = st;
    x->key = key;
    x->req = req;
    x->progress = progress;
    x->progress_arg = arg;
    x->exported_us = nvr_clock_now_us();
    if ((rc = export_check_request(req, err, errlen)))
        goto out;
    if ((rc = take_hold(x, err, errlen)))
        goto out;
    /* the footage: each camera's segments with at least one durable fragment
     * (listed after the hold is committed: retention deletes none of them) */
    for (size_t c = 0; c < req->ncameras; c++) {
        struct camera_segs *cs = &x->cams[c];
        if ((rc = index_segments_list(storage_index_reader(st), req->cameras[c], req->from_us, req->to_us, &cs->segs,
                                      &cs->n))) {
            snprintf(err, errlen, "cannot read the index: %s", nvr_strerror(rc));
            goto out;
        }
        size_t k = 0;
        for (size_t i = 0; i < cs->n; i++) {
            if (cs->segs[i].frags.n == 0) {
                fragments_free(&cs->segs[i].frags);
                continue;
            }
            if (k != i) {
                cs->segs[k] = cs->segs[i];
                memset(&cs->segs[i].frags, 0, sizeof cs->segs[i].frags);
            }
            k++;
        }
        cs->n = k;
        nentries_max += cs->n * (req->native ? 2 : 1) * (req->burn_time ? 2 : 1);
        for (size_t i = 0; i < cs->n; i++)
            x->total += cs->segs[i].bytes * (req->native ? 2 : 1);
    }
    if (!(x->entries = calloc(nentries_max, sizeof *x->entries)) || (rc = hasher_start(&x->hash)))
        goto out;
    const char *ids[EXPORT_MAX_CAMERAS], *names[EXPORT_MAX_CAMERAS];
    for (size_t c = 0; c < req->ncameras; c++) {
        ids[c] = req->cameras[c];
        names[c] = req->names[c];
    }
    export_camera_stems(ids, names, req->ncameras, x->stems);
    for (size_t c = 0; c < req->ncameras; c++) {
        struct camera_segs *cs = &x->cams[c];
        size_t nparts = 0;
        char name[EXPORT_STEM_MAX + 32];
        if (cs->n == 0)
            continue;
        free(part_end);
        if (!(part_end = calloc(cs->n, sizeof *part_end))) {
            rc = NVR_ENOMEM;
            goto out;
        }
        if ((rc = export_mp4_split(st, cs->segs, cs->n, part_end, &nparts))) {
            snprintf(err, errlen, "camera %s: cannot read a segment: %s", req->cameras[c], nvr_strerror(rc));
            goto out;
        }
        for (size_t p = 0; p < nparts; p++) {
            size_t s0 = p ? part_end[p - 1] : 0;
            if (nparts == 1)
                snprintf(name, sizeof name, "%s.mp4", x->stems[c]);
            else
                snprintf(name, sizeof name, "%s-part%zu.mp4", x->stems[c], p + 1);
            unique_video_name(x, name, sizeof name);
            struct entry *e = new_entry(x, E_MP4, name);
            e->cam = c;
            e->seg0 = s0;
            e->nseg = part_end[p] - s0;
            if (req->burn_time) {
                char burned[sizeof name + 16];
                snprintf(burned, sizeof burned, "%.*s-with-time.mp4", (int)strlen(name) - 4, name);
                unique_video_name(x, burned, sizeof burned);
                struct entry *b = new_entry(x, E_BURN, burned);
                b->cam = c;
                b->of = (size_t)(e - x->entries);
            }
        }
    }
    if (x->nentries == 0) {
        rc = NVR_ENOTFOUND;
        snprintf(err, errlen, "nothing was recorded in that range");
        goto out;
    }
    if (req->native)
        for (size_t c = 0; c < req->ncameras; c++)
            for (size_t i = 0; i < x->cams[c].n; i++) {
                char name[INDEX_PATH_MAX + 80];
                snprintf(name, sizeof name, "native/%s/%s", x->stems[c], base_name(x->cams[c].segs[i].path));
                struct entry *ne = new_entry(x, E_NATIVE, name);
                ne->seg = &x->cams[c].segs[i];
                ne->cam = c;
            }
    if ((rc = sign_public_pem(key, &x->pubkey)) || (rc = sign_fingerprint(key, x->fpr))) {
        snprintf(err, errlen, "signing key: %s", nvr_strerror(rc));
        goto out;
    }
    new_entry(x, E_SUMS, EXPORT_SUMS_NAME);
    new_entry(x, E_README, "README.txt");
    new_entry(x, E_MANIFEST, "manifest.json");
    new_entry(x, E_SIG, "manifest.json.sig");
    struct entry *e = new_entry(x, E_BUFFER, "public-key.pem");
    e->data = (const uint8_t *)x->pubkey;
    e->size = strlen(x->pubkey);
    e->size_known = 1;
    e->listed = 0; /* it is named by its fingerprint in the manifest */

    if (!(z = export_zipout_create(out_path, err, errlen))) {
        rc = NVR_EIO;
        goto out;
    }
    for (size_t i = 0; i < x->nentries; i++) {
        zip_source_t *src = zip_source_function(z, entry_cb, &x->entries[i]);
        zip_int64_t idx = src ? zip_file_add(z, x->entries[i].name, src, ZIP_FL_ENC_UTF_8) : -1;
        if (idx < 0) {
            zip_source_free(src);
            snprintf(err, errlen, "zip: %s", zip_strerror(z));
            rc = NVR_EIO;
            goto out;
        }
        zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
        zip_file_set_mtime(z, (zip_uint64_t)idx, (time_t)(x->exported_us / 1000000), 0);
    }
    if (zip_close(z) != 0) {
        snprintf(err, errlen, "%s", x->stopped ? "stopped" : x->err[0] ? x->err : zip_strerror(z));
        rc = x->stopped ? NVR_ESTOPPED : NVR_EIO;
        goto out;
    }
    z = NULL;
    int fd = open(out_path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        off_t end = lseek(fd, 0, SEEK_END);
        *zip_bytes = end > 0 ? (uint64_t)end : 0;
        close(fd);
    }
    if (progress)
        progress(arg, 1.0);
    rc = NVR_OK;
out:
    if (z)
        zip_discard(z); /* removes libzip's temporary file; out_path is untouched */
    if (rc && !err[0])
        snprintf(err, errlen, "%s", nvr_strerror(rc));
    if (x->hold_id)
        holds_release(storage_index(st), x->hold_id, "export", nvr_clock_now_us());
    free(part_end);
    free_ctx(x);
    free(x);
    return rc;
}

/* ---- verification ---- */

/* SHA-256 and length of an entry; NVR_ECORRUPT on a read or CRC error. */
static nvr_err hash_entry(zip_t *z, zip_int64_t idx, uint8_t *buf, uint8_t out[32], uint64_t *bytes)
{
    zip_file_t *f = zip_fopen_index(z, (zip_uint64_t)idx, 0);
    struct sha256 *h = sha256_new();
    int rc = NVR_OK;
    *bytes = 0;
    if (!f || !h) {
        rc = f ? NVR_ENOMEM : NVR_ECORRUPT;
        goto out;
    }
    for (;;) {
        zip_int64_t n = zip_fread(f, buf, NATIVE_BUFSZ);
        if (n < 0) {
            rc = NVR_ECORRUPT;
            break;
        }
        if (n == 0)
            break;
        sha256_update(h, buf, (size_t)n);
        *bytes += (uint64_t)n;
    }
    sha256_final(h, out);
out:
    sha256_free(&h);
    if (f)
        zip_fclose(f);
    return rc;
}

nvr_err export_verify(const char *zip_path, FILE *report, int *problems)
{
    return export_verify_pinned(zip_path, NULL, report, problems);
}

nvr_err export_verify_pinned(const char *zip_path, const char *pin, FILE *report, int *problems)
{
    int zerr, rc = NVR_OK;
    char *manifest = NULL, *sig = NULL, *pem = NULL, fpr[SIGN_FPR_BUFSZ] = "", hx[65];
    size_t mlen, slen, plen;
    json_t *doc = NULL;
    uint8_t *buf = NULL;
    *problems = 0;
    zip_t *z = zip_open(zip_path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
    if (!z) {
        fprintf(report, "FAILED: %s is not a readable zip archive\n", zip_path);
        return NVR_EINVAL;
    }
    if (!(buf = malloc(NATIVE_BUFSZ))) {
        rc = NVR_ENOMEM;
        goto out;
    }
    /* the signature over the manifest, with the enclosed key */
    int m = export_zip_read(z, "manifest.json", &manifest, &mlen, 64 << 20);
    int s = export_zip_read(z, "manifest.json.sig", &sig, &slen, 4096);
    int p = export_zip_read(z, "public-key.pem", &pem, &plen, 65536);
    if (m || s || p) {
        (*problems)++;
        fprintf(report, "FAILED: %s: missing or unreadable\n",
                m   ? "manifest.json"
                : s ? "manifest.json.sig"
                    : "public-key.pem");
        goto out;
    }
    int v = sign_verify_pem(pem, plen, manifest, mlen, (const uint8_t *)sig, slen, fpr);
    if (v == NVR_OK) {
        fprintf(report, "ok: manifest.json signature (Ed25519 key %s)\n", fpr);
    }
    if (pin && strcmp(fpr, pin) != 0) {
        (*problems)++;
        fprintf(report,
                "FAILED: signer: signed by %s, not by the pinned key %s (footage re-signed with another "
                "key, or not from this recorder)\n",
                fpr[0] ? fpr : "an unreadable key", pin);
    } else if (pin) {
        fprintf(report, "ok: signer is the pinned key %s\n", pin);
    } else {
        fprintf(report,
                "WARNING: SIGNER NOT PINNED: the export was checked against the key it carries (%s); "
                "anyone can re-sign altered footage with a key of their own. Compare this fingerprint "
                "with the recorder's (nvr version --key) out of band, or verify with --fingerprint HEX, "
                "--key FILE or -c FILE\n",
                fpr[0] ? fpr : "unreadable");
    }
    if (v != NVR_OK) {
        (*problems)++;
        fprintf(report, "FAILED: manifest.json: %s\n",
                v == NVR_ECORRUPT ? "the signature does not match (manifest.json, manifest.json.sig or "
                                    "public-key.pem was changed)"
                                  : "the signature or public key cannot be read");
    }
    json_error_t jerr;
    if (!(doc = json_loadb(manifest, mlen, 0, &jerr)) || !json_is_array(json_object_get(doc, "files"))) {
        (*problems)++;
        fprintf(report, "FAILED: manifest.json: not an export manifest (%s)\n", doc ? "no files" : jerr.text);
        goto out;
    }
    const char *mfpr = json_string_value(json_object_get(json_object_get(doc, "signing_key"), "fingerprint"));
    if (fpr[0] && (!mfpr || strcmp(mfpr, fpr) != 0)) {
        (*problems)++;
        fprintf(report, "FAILED: public-key.pem: its fingerprint is not the one in manifest.json\n");
    }
    json_t *df = json_object_get(doc, "derived_from");
    if (json_is_object(df)) { /* a redacted copy (nvr/redact/redact.h): it stands alone; say what it is */
        json_t *rq = json_object_get(doc, "request"), *rd = json_object_get(doc, "redactions");
        const char *osha = json_string_value(json_object_get(df, "manifest_sha256"));
        const char *num = json_string_value(json_object_get(rq, "number"));
        fprintf(report,
                "note: a redacted copy (%s) for records request %s with %zu redaction%s and %zu mute range%s, "
                "derived from the export whose manifest.json has sha256 %s; nvr verify ORIGINAL.zip --derived "
                "THIS.zip checks the chain\n",
                json_string_value(json_object_get(doc, "format")) ? json_string_value(json_object_get(doc, "format"))
                                                                  : "?",
                num && num[0] ? num : "(none)", json_array_size(json_object_get(rd, "shapes")),
                json_array_size(json_object_get(rd, "shapes")) == 1 ? "" : "s",
                json_array_size(json_object_get(rd, "mute")),
                json_array_size(json_object_get(rd, "mute")) == 1 ? "" : "s", osha ? osha : "?");
    }
    json_t *files = json_object_get(doc, "files");
    size_t nfiles = json_array_size(files);
    for (size_t i = 0; i < nfiles; i++) {
        json_t *fe = json_array_get(files, i);
        const char *name = json_string_value(json_object_get(fe, "name"));
        const char *want = json_string_value(json_object_get(fe, "sha256"));
        json_t *jb = json_object_get(fe, "bytes");
        if (!name || !want || !json_is_integer(jb)) {
            (*problems)++;
            fprintf(report, "FAILED: manifest.json: files[%zu] is malformed\n", i);
            continue;
        }
        zip_int64_t idx = zip_name_locate(z, name, 0);
        uint8_t got[32];
        uint64_t bytes;
        if (idx < 0) {
            (*problems)++;
            fprintf(report, "FAILED: %s: listed in the manifest but not in the archive\n", name);
            continue;
        }
        int h = hash_entry(z, idx, buf, got, &bytes);
        nvr_hex(got, 32, hx);
        if (h) {
            (*problems)++;
            fprintf(report, "FAILED: %s: cannot be read (%s)\n", name,
                    h == NVR_ECORRUPT ? "the archive's CRC does not match: the file was changed" : nvr_strerror(h));
        } else if (bytes != (uint64_t)json_integer_value(jb) || strcmp(hx, want) != 0) {
            (*problems)++;
            fprintf(report, "FAILED: %s: SHA-256 %s differs from the manifest's %s\n", name, hx, want);
        } else {
            fprintf(report, "ok: %s (%llu bytes, sha256 %s)\n", name, (unsigned long long)bytes, hx);
        }
    }
    /* nothing may have been added */
    zip_int64_t n = zip_get_num_entries(z, 0);
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(z, (zip_uint64_t)i, 0);
        int known = !name || strcmp(name, "manifest.json") == 0 || strcmp(name, "manifest.json.sig") == 0 ||
                    strcmp(name, "public-key.pem") == 0;
        for (size_t k = 0; !known && k < nfiles; k++) {
            const char *ln = json_string_value(json_object_get(json_array_get(files, k), "name"));
            known = ln && strcmp(ln, name) == 0;
        }
        if (!known) {
            (*problems)++;
            fprintf(report, "FAILED: %s: in the archive but not in the manifest\n", name);
        }
    }
out:
    if (rc == NVR_OK)
        fprintf(report, "%s: %s%s\n", zip_path,
                *problems ? "VERIFICATION FAILED" : "verified: signature valid and every file matches the manifest",
                *problems ? ""
                : pin     ? "; signer is the pinned key"
                          : "; SIGNER NOT PINNED");
    json_decref(doc);
    free(manifest);
    free(sig);
    free(pem);
    free(buf);
    zip_discard(z);
    return rc;
}
