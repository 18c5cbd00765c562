/* SPDX-License-Identifier: Apache-2.0 */
/*
 * backup.c - the backup archive written and read back (see backup.h).
 *
 * Writing: the index is copied (storage_backup_index) to OUT.tmp.PID.index,
 * hashed; the small members are read into memory and hashed; the manifest
 * is made from those hashes; then the tar is written in one go to
 * OUT.tmp.PID and renamed.  Reading: two passes over the file.  The first
 * checks everything (small members kept, the index only hashed, its offset
 * remembered); the second, under data_dir's lock, copies the index from
 * that offset and hashes it again, so a file changed between the passes is
 * still refused.
 */
#include "backup/backup.h"

#include "base/hex.h"

#include "backup/backup_seal.h"
#include "backup/backup_tar.h"
#include "base/clock.h"
#include "base/err.h"
#include "export/sign.h"
#include "storage/documents.h"
#include "storage/sha256.h"
#include "version.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SMALL_MAX (16u << 20) /* config, key, audit.json */
#define MEMBERS_MAX 8
#define SEALED_SUFFIX ".sealed"

struct member {
    char name[BACKUP_TAR_NAME_MAX + 1];
    unsigned char *buf; /* NULL for the index (only hashed) */
    uint64_t size;
    uint8_t sha[32];
    off_t offset; /* of the data in the archive (reading) */
};

struct backup_archive {
    char *path;
    struct member m[MEMBERS_MAX];
    int n;
    char *key; /* the signing key's PEM, opened; NULL if none */
    size_t keylen;
};

static void sha_buf(const void *buf, size_t n, uint8_t out[32])
{
    struct sha256 *h = sha256_new();
    if (!h) {
        memset(out, 0, 32);
        return;
    }
    sha256_update(h, buf, n);
    sha256_final(h, out);
    sha256_free(&h);
}

/* A whole (small) file outside data_dir: the configuration. */
static nvr_err read_file(const char *path, unsigned char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long n;
    int rc = NVR_EIO;
    *out = NULL;
    if (!f)
        return errno == ENOENT ? NVR_ENOTFOUND : nvr_err_from_errno(errno);
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || (unsigned long)n > SMALL_MAX || fseek(f, 0, SEEK_SET))
        goto out;
    rc = NVR_ENOMEM;
    if (!(buf = malloc((size_t)n + 1)))
        goto out;
    rc = NVR_EIO;
    if (fread(buf, 1, (size_t)n, f) != (size_t)n)
        goto out;
    buf[n] = '\0';
    *out = buf;
    *len = (size_t)n;
    buf = NULL;
    rc = NVR_OK;
out:
    free(buf);
    fclose(f);
    return rc;
}

static nvr_err copy_stream(FILE *in, FILE *out, int fd, uint64_t size, uint8_t sha[32])
{
    enum { BUF = 1 << 16 };
    unsigned char *buf = malloc(BUF); /* (not static: calls may run at once) */
    struct sha256 *h = sha256_new();
    int rc = NVR_OK;
    if (!h || !buf) {
        free(buf);
        sha256_free(&h);
        return NVR_ENOMEM;
    }
    while (size > 0 && rc == NVR_OK) {
        size_t want = size < BUF ? (size_t)size : BUF;
        size_t got = fread(buf, 1, want, in);
        if (got != want) {
            rc = ferror(in) ? NVR_EIO : NVR_ECORRUPT;
            break;
        }
        sha256_update(h, buf, got);
        if (out && fwrite(buf, 1, got, out) != got)
            rc = NVR_EIO;
        for (size_t off = 0; fd >= 0 && rc == NVR_OK && off < got;) {
            ssize_t w = write(fd, buf + off, got - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                rc = nvr_err_from_errno(errno);
            else
                off += (size_t)w;
        }
        size -= got;
    }
    sha256_final(h, sha);
    sha256_free(&h);
    free(buf);
    return rc;
}

static nvr_err add_small(struct backup_archive *a, const char *name, unsigned char *buf, size_t len)
{
    struct member *m = &a->m[a->n++];
    snprintf(m->name, sizeof m->name, "%s", name);
    m->buf = buf;
    m->size = len;
    sha_buf(buf, len, m->sha);
    return NVR_OK;
}

static char *manifest_text(const struct backup_archive *a, const struct backup_info *info, const char *config_path)
{
    json_t *doc = json_object(), *members = json_array();
    char shahex[65];
    for (int i = 0; i < a->n; i++) {
        nvr_hex(a->m[i].sha, 32, shahex);
        json_array_append_new(members, json_pack("{s:s, s:I, s:s}", "name", a->m[i].name, "bytes",
                                                 (json_int_t)a->m[i].size, "sha256", shahex));
    }
    json_object_set_new(doc, "format", json_string("nvr-backup"));
    json_object_set_new(doc, "version", json_integer(BACKUP_FORMAT_VERSION));
    json_object_set_new(doc, "created_at", json_string(info->created_at));
    json_object_set_new(doc, "host", json_string(info->host));
    json_object_set_new(doc, "data_dir", json_string(info->data_dir));
    json_object_set_new(doc, "config", json_string(config_path));
    json_object_set_new(doc, "nvr_version", json_string(NVR_VERSION));
    if (info->has_key)
        json_object_set_new(doc, "signing_key",
                            json_pack("{s:s, s:b}", "fingerprint", info->fingerprint, "sealed", info->key_sealed));
    json_object_set_new(doc, "members", members);
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    return text;
}

static nvr_err write_member(FILE *f, const char *name, const void *buf, size_t len, int64_t mtime)
{
    int rc = backup_tar_header(f, name, len, mtime);
    if (rc == NVR_OK && fwrite(buf, 1, len, f) != len)
        rc = NVR_EIO;
    return rc ? rc : backup_tar_pad(f, len);
}

nvr_err backup_create(const struct backup_create_opts *o, struct backup_info *info, char *why, size_t whylen)
{
    struct backup_archive a = {0};
    char tmp[PATH_MAX], idx[PATH_MAX + 8], shahex[65];
    char *manifest = NULL, *doc = NULL;
    size_t doclen;
    FILE *f = NULL, *in = NULL;
    int fd = -1, rc;
    int64_t now = nvr_clock_now_us();
    memset(info, 0, sizeof *info);
    nvr_clock_format_rfc3339(now, info->created_at);
    gethostname(info->host, sizeof info->host - 1);
    snprintf(info->data_dir, sizeof info->data_dir, "%s", o->data_dir);
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", o->out, (long)getpid()) >= (int)sizeof tmp)
        return nvr_fail(NVR_EINVAL, why, whylen, "%s: path too long", o->out);
    snprintf(idx, sizeof idx, "%s.index", tmp);
    /* the index, consistent as of one commit */
    unlink(idx);
    if ((rc = storage_backup_index(o->data_dir, idx))) {
        nvr_fail(rc, why, whylen, "cannot copy the index in %s: %s", o->data_dir, nvr_strerror(rc));
        goto out;
    }
    struct member *im = &a.m[a.n++];
    snprintf(im->name, sizeof im->name, "%s", STORAGE_BACKUP_INDEX);
    if (!(in = fopen(idx, "rb")) || fseeko(in, 0, SEEK_END) != 0 || (im->size = (uint64_t)ftello(in)) == 0 ||
        fseeko(in, 0, SEEK_SET) != 0 || (rc = copy_stream(in, NULL, -1, im->size, im->sha))) {
        rc = rc ? rc : NVR_EIO;
        nvr_fail(rc, why, whylen, "cannot read the index copy %s", idx);
        goto out;
    }
    info->index_bytes = im->size;
    /* the configuration */
    unsigned char *cfg = NULL;
    size_t cfglen = 0;
    if ((rc = read_file(o->config_path, &cfg, &cfglen))) {
        nvr_fail(rc, why, whylen, "cannot read %s: %s", o->config_path, nvr_strerror(rc));
        goto out;
    }
    add_small(&a, BACKUP_CONFIG, cfg, cfglen);
    /* the documents: the key sealed when a passphrase is given */
    for (const struct storage_backup_document *d = storage_backup_documents; d->name; d++) {
        rc = storage_document_get(o->data_dir, d->name, SMALL_MAX, &doc, &doclen);
        if (rc == NVR_ENOTFOUND)
            continue;
        if (rc) {
            nvr_fail(rc, why, whylen, "cannot read %s in %s: %s", d->name, o->data_dir, nvr_strerror(rc));
            goto out;
        }
        if (strcmp(d->name, SIGN_KEY_FILE) == 0) {
            info->has_key = 1;
            if ((rc = sign_pem_fingerprint(doc, doclen, info->fingerprint))) {
                nvr_fail(rc, why, whylen, "%s/%s is not an Ed25519 key", o->data_dir, d->name);
                goto out;
            }
            if (o->passphrase) {
                unsigned char *sealed;
                size_t slen;
                char name[BACKUP_TAR_NAME_MAX + 1];
                if ((rc = backup_seal(o->passphrase, doc, doclen, &sealed, &slen))) {
                    nvr_fail(rc, why, whylen, "cannot encrypt the signing key: %s", nvr_strerror(rc));
                    goto out;
                }
                OPENSSL_cleanse(doc, doclen);
                free(doc);
                snprintf(name, sizeof name, "%s%s", d->name, SEALED_SUFFIX);
                add_small(&a, name, sealed, slen);
                info->key_sealed = 1;
                doc = NULL;
                continue;
            }
        }
        add_small(&a, d->name, (unsigned char *)doc, doclen);
        doc = NULL;
    }
    if (!(manifest = manifest_text(&a, info, o->config_path))) {
        rc = nvr_fail(NVR_ENOMEM, why, whylen, "cannot make the manifest");
        goto out;
    }
    /* the tar, whole or not at all */
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 || !(f = fdopen(fd, "wb"))) {
        rc = nvr_fail(nvr_err_from_errno(errno), why, whylen, "cannot create %s: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    int64_t mtime = now / 1000000;
    uint8_t msha[32], sha[32];
    sha_buf(manifest, strlen(manifest), msha);
    nvr_hex(msha, 32, shahex);
    shahex[64] = '\n';
    rc = write_member(f, BACKUP_MANIFEST, manifest, strlen(manifest), mtime);
    if (rc == NVR_OK && (rc = backup_tar_header(f, im->name, im->size, mtime)) == NVR_OK &&
        fseeko(in, 0, SEEK_SET) == 0 && (rc = copy_stream(in, f, -1, im->size, sha)) == NVR_OK)
        rc = memcmp(sha, im->sha, 32) == 0 ? backup_tar_pad(f, im->size) : NVR_EIO; /* read back the same */
    for (int i = 1; i < a.n && rc == NVR_OK; i++)
        rc = write_member(f, a.m[i].name, a.m[i].buf, (size_t)a.m[i].size, mtime);
    if (rc == NVR_OK)
        rc = write_member(f, BACKUP_MANIFEST ".sha256", shahex, 65, mtime);
    if (rc == NVR_OK)
        rc = backup_tar_end(f);
    if (rc == NVR_OK && (fflush(f) != 0 || fsync(fileno(f)) != 0))
        rc = nvr_err_from_errno(errno);
    if (fclose(f) != 0 && rc == NVR_OK)
        rc = nvr_err_from_errno(errno);
    f = NULL;
    if (rc == NVR_OK && rename(tmp, o->out) != 0)
        rc = nvr_err_from_errno(errno);
    if (rc) {
        nvr_fail(rc, why, whylen, "cannot write %s: %s", o->out, nvr_strerror(rc));
        goto out;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", o->out);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        slash[slash == dir] = '\0'; /* "/x" -> "/", "a/x" -> "a" */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    info->members = a.n + 2;
out:
    if (f)
        fclose(f);
    if (fd >= 0)
        close(fd);
    if (in)
        fclose(in);
    if (rc)
        unlink(tmp);
    unlink(idx);
    free(manifest);
    free(doc);
    for (int i = 0; i < a.n; i++) {
        if (a.m[i].buf)
            OPENSSL_cleanse(a.m[i].buf, (size_t)a.m[i].size);
        free(a.m[i].buf);
    }
    return rc;
}

/* ---- reading ---- */

static const char *text_or_empty(const json_t *doc, const char *key)
{
    const char *v = json_string_value(json_object_get(doc, key));
    return v ? v : "";
}

static const json_t *manifest_member(const json_t *members, const char *name)
{
    size_t i;
    const json_t *m;
    json_array_foreach(members, i, m)
    {
        const char *n = json_string_value(json_object_get(m, "name"));
        if (n && strcmp(n, name) == 0)
            return m;
    }
    return NULL;
}

void backup_close(struct backup_archive **ap)
{
    struct backup_archive *a = *ap;
    if (!a)
        return;
    for (int i = 0; i < a->n; i++) {
        if (a->m[i].buf)
            OPENSSL_cleanse(a->m[i].buf, (size_t)a->m[i].size);
        free(a->m[i].buf);
    }
    if (a->key)
        OPENSSL_cleanse(a->key, a->keylen);
    free(a->key);
    free(a->path);
    free(a);
    *ap = NULL;
}

static struct member *find(struct backup_archive *a, const char *name)
{
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->m[i].name, name) == 0)
            return &a->m[i];
    return NULL;
}

nvr_err backup_open(const char *path, const char *passphrase, struct backup_archive **out, struct backup_info *info,
                    char *why, size_t whylen)
{
    struct backup_archive *a = calloc(1, sizeof *a);
    FILE *f = NULL;
    json_t *doc = NULL;
    unsigned char *mtext = NULL;
    char name[BACKUP_TAR_NAME_MAX + 1], shahex[65];
    uint64_t size;
    uint8_t sha[32], msha[32];
    int rc = NVR_ECORRUPT, seen_msha = 0;
    *out = NULL;
    memset(info, 0, sizeof *info);
    if (!a || !(a->path = strdup(path))) {
        rc = NVR_ENOMEM;
        goto out;
    }
    if (!(f = fopen(path, "rb"))) {
        rc = nvr_fail(nvr_err_from_errno(errno), why, whylen, "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    /* the manifest first */
    if (backup_tar_next(f, name, &size) != NVR_OK || strcmp(name, BACKUP_MANIFEST) != 0 || size > SMALL_MAX) {
        rc = nvr_fail(NVR_EINVAL, why, whylen, "%s is not an nvr backup (no %s first)", path, BACKUP_MANIFEST);
        goto out;
    }
    if (!(mtext = malloc((size_t)size + 1)) || fread(mtext, 1, (size_t)size, f) != size ||
        backup_tar_skip_pad(f, size) != NVR_OK) {
        rc = nvr_fail(NVR_ECORRUPT, why, whylen, "%s: the manifest is cut short", path);
        goto out;
    }
    mtext[size] = '\0';
    sha_buf(mtext, (size_t)size, msha);
    json_error_t jerr;
    const json_t *members;
    if (!(doc = json_loadb((const char *)mtext, (size_t)size, 0, &jerr)) ||
        !json_is_array(members = json_object_get(doc, "members"))) {
        rc = nvr_fail(NVR_ECORRUPT, why, whylen, "%s: the manifest is not readable JSON (damaged or altered)", path);
        goto out;
    }
    const char *format = json_string_value(json_object_get(doc, "format"));
    json_int_t version = json_integer_value(json_object_get(doc, "version"));
    if (!format || strcmp(format, "nvr-backup") != 0 || version < 1) {
        rc = nvr_fail(NVR_EINVAL, why, whylen, "%s is not an nvr backup", path);
        goto out;
    }
    if (version > BACKUP_FORMAT_VERSION) {
        rc = nvr_fail(NVR_EINVAL, why, whylen, "%s is a backup of format %lld; this nvr reads format %d (upgrade it)",
                      path, (long long)version, BACKUP_FORMAT_VERSION);
        goto out;
    }
    /* every member against its size and hash */
    for (;;) {
        rc = backup_tar_next(f, name, &size);
        if (rc == NVR_EEOF)
            break;
        if (rc) {
            nvr_fail(NVR_ECORRUPT, why, whylen, "%s: a damaged tar header after %s", path,
                     a->n ? a->m[a->n - 1].name : BACKUP_MANIFEST);
            goto out;
        }
        if (strcmp(name, BACKUP_MANIFEST ".sha256") == 0) {
            char text[66] = "";
            if (size != 65 || fread(text, 1, 65, f) != 65 || backup_tar_skip_pad(f, size)) {
                rc = nvr_fail(NVR_ECORRUPT, why, whylen, "%s: the manifest's hash is damaged", path);
                goto out;
            }
            nvr_hex(msha, 32, shahex);
            if (memcmp(text, shahex, 64) != 0 || text[64] != '\n') {
                rc = nvr_fail(NVR_ECORRUPT, why, whylen,
                              "%s: the manifest does not match its SHA-256: the backup is damaged or altered", path);
                goto out;
            }
            seen_msha = 1;
            continue;
        }
        const json_t *mm = manifest_member(members, name);
        if (!mm || find(a, name) || a->n == MEMBERS_MAX) {
            rc = nvr_fail(NVR_ECORRUPT, why, whylen, "%s: member %s is not in the manifest (altered)", path, name);
            goto out;
        }
        if ((json_int_t)size != json_integer_value(json_object_get(mm, "bytes"))) {
            rc = nvr_fail(NVR_ECORRUPT, why, whylen, "%s: member %s has %llu bytes, the manifest says %lld", path, name,
                          (unsigned long long)size, (long long)json_integer_value(json_object_get(mm, "bytes")));
            goto out;
        }
        struct member *m = &a->m[a->n++];
        snprintf(m->name, sizeof m->name, "%s", name);
        m->size = size;
        m->offset = ftello(f);
        if (strcmp(name, STORAGE_BACKUP_INDEX) != 0) {
            if (size > SMALL_MAX || !(m->buf = malloc((size_t)size + 1))) {
                rc = nvr_fail(NVR_ECORRUPT, why, whylen, "%s: member %s is too large", path, name);
                goto out;
            }
            if (fread(m->buf, 1, (size_t)size, f) != size) {
                rc = nvr_fail(NVR_ECORRUPT, why, whylen, "%s: member %s is cut short", path, name);
                goto out;
            }
            m->buf[size] = '\0';
            sha_buf(m->buf, (size_t)size, sha);
        } else if ((rc = copy_stream(f, NULL, -1, size, sha))) {
            nvr_fail(rc, why, whylen, "%s: member %s is cut short", path, name);
            goto out;
        }
        memcpy(m->sha, sha, 32);
        nvr_hex(sha, 32, shahex);
        const char *want = json_string_value(json_object_get(mm, "sha256"));
        if (!want || strcmp(want, shahex) != 0) {
            rc = nvr_fail(NVR_ECORRUPT, why, whylen,
                          "%s: member %s does not match its SHA-256 in the manifest: the backup is damaged or altered",
                          path, name);
            goto out;
        }
        if (backup_tar_skip_pad(f, size)) {
            rc = nvr_fail(NVR_ECORRUPT, why, whylen, "%s: damaged padding after member %s", path, name);
            goto out;
        }
    }
    if (!seen_msha || (size_t)a->n != json_array_size(members) || !find(a, STORAGE_BACKUP_INDEX) ||
        !find(a, BACKUP_CONFIG)) {
        rc = nvr_fail(NVR_ECORRUPT, why, whylen, "%s: members are missing (cut short or altered)", path);
        goto out;
    }
    /* the key: opened with the passphrase, and its fingerprint the manifest's */
    struct member *k = find(a, SIGN_KEY_FILE), *ks = find(a, SIGN_KEY_FILE SEALED_SUFFIX);
    if (ks) {
        info->key_sealed = 1;
        if (!passphrase) {
            rc = nvr_fail(NVR_EINVAL, why, whylen,
                          "%s: the signing key in this backup is encrypted: give its passphrase with --passphrase-file",
                          path);
            goto out;
        }
        if ((rc = backup_unseal(passphrase, ks->buf, (size_t)ks->size, &a->key, &a->keylen))) {
            nvr_fail(rc, why, whylen, "%s: %s", path,
                     rc == NVR_EAUTH ? "wrong passphrase: the signing key cannot be decrypted" : nvr_strerror(rc));
            goto out;
        }
    } else if (k) {
        if (!(a->key = malloc((size_t)k->size + 1))) {
            rc = NVR_ENOMEM;
            goto out;
        }
        memcpy(a->key, k->buf, (size_t)k->size + 1);
        a->keylen = (size_t)k->size;
    }
    if (a->key) {
        const char *want = json_string_value(json_object_get(json_object_get(doc, "signing_key"), "fingerprint"));
        info->has_key = 1;
        if (sign_pem_fingerprint(a->key, a->keylen, info->fingerprint) != NVR_OK || !want ||
            strcmp(want, info->fingerprint) != 0) {
            rc = nvr_fail(NVR_ECORRUPT, why, whylen, "%s: the signing key is not the one the manifest names", path);
            goto out;
        }
    }
    snprintf(info->created_at, sizeof info->created_at, "%s", text_or_empty(doc, "created_at"));
    snprintf(info->host, sizeof info->host, "%s", text_or_empty(doc, "host"));
    snprintf(info->data_dir, sizeof info->data_dir, "%s", text_or_empty(doc, "data_dir"));
    info->index_bytes = find(a, STORAGE_BACKUP_INDEX)->size;
    info->members = a->n + 2;
    *out = a;
    a = NULL;
    rc = NVR_OK;
out:
    if (f)
        fclose(f);
    json_decref(doc);
    free(mtext);
    backup_close(&a);
    return rc;
}

const char *backup_config(const struct backup_archive *a, size_t *len)
{
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->m[i].name, BACKUP_CONFIG) == 0) {
            *len = (size_t)a->m[i].size;
            return (const char *)a->m[i].buf;
        }
    *len = 0;
    return NULL;
}

/* storage_restore's write_index: the index copied from the archive and
 * hashed again on the way. */
static nvr_err write_index(void *arg, int fd)
{
    struct backup_archive *a = arg;
    struct member *m = find(a, STORAGE_BACKUP_INDEX);
    uint8_t sha[32];
    FILE *f = fopen(a->path, "rb");
    int rc;
    if (!f)
        return nvr_err_from_errno(errno);
    rc = fseeko(f, m->offset, SEEK_SET) != 0 ? NVR_EIO : copy_stream(f, NULL, fd, m->size, sha);
    fclose(f);
    if (rc == NVR_OK && memcmp(sha, m->sha, 32) != 0)
        rc = NVR_ECORRUPT; /* the file changed since it was checked */
    return rc;
}

nvr_err backup_restore(struct backup_archive *a, const char *data_dir, int force, FILE *report,
                       struct storage_restore_stats *stats, char *why, size_t whylen)
{
    struct storage_restore_doc docs[MEMBERS_MAX];
    size_t nd = 0;
    for (const struct storage_backup_document *d = storage_backup_documents; d->name; d++) {
        const char *buf = NULL;
        size_t len = 0;
        if (strcmp(d->name, SIGN_KEY_FILE) == 0) {
            buf = a->key;
            len = a->keylen;
        } else {
            struct member *m = find(a, d->name);
            buf = m ? (const char *)m->buf : NULL;
            len = m ? (size_t)m->size : 0;
        }
        if (buf)
            docs[nd++] = (struct storage_restore_doc){d->name, buf, len};
    }
    struct storage_restore_in in = {
        .data_dir = data_dir,
        .write_index = write_index,
        .arg = a,
        .docs = docs,
        .ndocs = nd,
        .force = force,
    };
    return storage_restore(&in, report, stats, why, whylen);
}
