/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redact.c - the redacted copy of an export (see redact.h).
 *
 * Order: verify the original (pinned to our key); read its manifest and
 * signature; for each of its stream-copied MP4s, extract it to a temporary
 * file, render the redacted copy to another, hash it; then build
 * redactions.json, SHA256SUMS.txt, README.txt and the manifest in memory,
 * sign, and let libzip write everything (export_zipout: a temporary file
 * renamed into place).  The temporary files go when the zip is closed or
 * the run fails.
 */
#include "redact/redact.h"

#include "base/hex.h"
#include "base/clock.h"
#include "base/json.h"
#include "export/export_readme.h"
#include "export/export_zipout.h"
#include "storage/sha256.h"
#include "version.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#define COPY_BUFSZ (1 << 20)
#define MAX_FILES 256

struct rfile {
    char of[PATH_MAX];   /* the original's name in its zip */
    char name[PATH_MAX]; /* ours */
    char cam_id[INDEX_ID_MAX];
    size_t cam; /* index into the original manifest's cameras */
    char of_sha256[65];
    uint64_t of_bytes;
    int64_t first_us, end_us;
    double duration;
    char tmp_in[PATH_MAX + 32], tmp_out[PATH_MAX + 32];
    uint8_t sha[32];
    uint64_t bytes;
    struct redact_render_stats st;
};

struct run {
    const struct redact_doc *doc;
    struct rfile *files;
    size_t nfiles;
    redact_progress_fn progress;
    void *progress_arg;
    uint64_t total_in, done_in; /* original bytes, for progress */
    size_t cur;
};

__attribute__((format(printf, 4, 5))) static nvr_err fail(nvr_err rc, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static int utf8_ok(const char *s)
{
    json_t *t = json_string(s);
    int ok = t != NULL;
    json_decref(t);
    return ok;
}

nvr_err redact_check_request(const struct redact_request *req, char *err, size_t errlen)
{
    if (!utf8_ok(req->request_number) || !utf8_ok(req->requester) || !utf8_ok(req->operator_name))
        return fail(NVR_EINVAL, err, errlen, "request, requester and operator must be UTF-8 text");
    return NVR_OK;
}

void redact_log_detail(const struct redact_request *req, const struct redact_result *res, char *out, size_t n)
{
    snprintf(out, n, "redacted=%s of=%s request=%.120s requester=%.120s", req->ref,
             res->original_ref[0] ? res->original_ref : res->original_manifest_sha256, req->request_number,
             req->requester);
}

/* A new empty temporary file beside out_path; its name into path. */
static nvr_err make_temp(const char *out_path, const char *what, char *path, size_t n)
{
    if (snprintf(path, n, "%s.redact-%s-XXXXXX", out_path, what) >= (int)n)
        return NVR_EINVAL;
    int fd = mkstemp(path);
    if (fd < 0) {
        path[0] = '\0';
        return NVR_EIO;
    }
    close(fd);
    return NVR_OK;
}

static nvr_err extract(zip_t *z, const char *name, const char *path, uint8_t *buf)
{
    zip_file_t *zf = zip_fopen(z, name, 0);
    FILE *f = fopen(path, "wb");
    int rc = zf && f ? NVR_OK : NVR_EIO;
    while (rc == NVR_OK) {
        zip_int64_t n = zip_fread(zf, buf, COPY_BUFSZ);
        if (n < 0)
            rc = NVR_ECORRUPT;
        if (n <= 0)
            break;
        if (fwrite(buf, 1, (size_t)n, f) != (size_t)n)
            rc = NVR_EIO;
    }
    if (zf)
        zip_fclose(zf);
    if (f && fclose(f) != 0 && rc == NVR_OK)
        rc = NVR_EIO;
    return rc;
}

static nvr_err hash_file(const char *path, uint8_t *buf, uint8_t out[32], uint64_t *bytes)
{
    FILE *f = fopen(path, "rb");
    struct sha256 *h = sha256_new();
    int rc = f && h ? NVR_OK : NVR_EIO;
    *bytes = 0;
    while (rc == NVR_OK) {
        size_t n = fread(buf, 1, COPY_BUFSZ, f);
        if (n == 0) {
            if (ferror(f))
                rc = NVR_EIO;
            break;
        }
        sha256_update(h, buf, n);
        *bytes += n;
    }
    if (rc == NVR_OK)
        sha256_final(h, out);
    sha256_free(&h);
    if (f)
        fclose(f);
    return rc;
}

static int file_progress(void *arg, double f)
{
    struct run *r = arg;
    if (!r->progress || r->total_in == 0)
        return 0;
    double done = (double)r->done_in + f * (double)r->files[r->cur].of_bytes;
    double p = done / (double)r->total_in;
    return r->progress(r->progress_arg, p > 0.99 ? 0.99 : p);
}

static void free_stats(struct redact_render_stats *s)
{
    free(s->shape_frames);
    free(s->shape_first);
    free(s->shape_last);
    free(s->shape_first_us);
    free(s->shape_last_us);
}

static nvr_err alloc_stats(struct redact_render_stats *s, size_t n)
{
    n = n ? n : 1;
    s->shape_frames = calloc(n, sizeof *s->shape_frames);
    s->shape_first = calloc(n, sizeof *s->shape_first);
    s->shape_last = calloc(n, sizeof *s->shape_last);
    s->shape_first_us = calloc(n, sizeof *s->shape_first_us);
    s->shape_last_us = calloc(n, sizeof *s->shape_last_us);
    return s->shape_frames && s->shape_first && s->shape_last && s->shape_first_us && s->shape_last_us ? NVR_OK
                                                                                                       : NVR_ENOMEM;
}

static const char *sha_of(json_t *orig_files, const char *name, uint64_t *bytes)
{
    for (size_t i = 0; i < json_array_size(orig_files); i++) {
        json_t *f = json_array_get(orig_files, i);
        const char *n = json_string_value(json_object_get(f, "name"));
        if (n && strcmp(n, name) == 0) {
            *bytes = (uint64_t)json_integer_value(json_object_get(f, "bytes"));
            return json_string_value(json_object_get(f, "sha256"));
        }
    }
    return NULL;
}

/* The MP4s to redact: each camera's files that are not derivatives. */
static nvr_err plan_files(json_t *om, struct run *r, char *err, size_t errlen)
{
    json_t *cams = json_object_get(om, "cameras"), *ofiles = json_object_get(om, "files");
    for (size_t c = 0; c < json_array_size(cams); c++) {
        json_t *cam = json_array_get(cams, c), *files = json_object_get(cam, "files");
        const char *id = json_string_value(json_object_get(cam, "id"));
        for (size_t k = 0; id && k < json_array_size(files); k++) {
            json_t *fe = json_array_get(files, k);
            const char *name = json_string_value(json_object_get(fe, "name"));
            const char *first = json_string_value(json_object_get(fe, "first_frame"));
            const char *end = json_string_value(json_object_get(fe, "end"));
            if (json_object_get(fe, "derivative"))
                continue; /* a burn-time copy: its original is redacted instead */
            if (r->nfiles == MAX_FILES)
                return fail(NVR_EINVAL, err, errlen, "the export has more than %d videos", MAX_FILES);
            struct rfile *f = &r->files[r->nfiles];
            uint64_t bytes = 0;
            const char *sha = name ? sha_of(ofiles, name, &bytes) : NULL;
            size_t len = name ? strlen(name) : 0;
            if (!name || !first || !end || !sha || len < 5 || len + 10 > sizeof f->name ||
                strcmp(name + len - 4, ".mp4") != 0 || nvr_clock_parse_rfc3339(first, &f->first_us) ||
                nvr_clock_parse_rfc3339(end, &f->end_us))
                return fail(NVR_EINVAL, err, errlen, "manifest.json: cameras[%zu].files[%zu] is malformed", c, k);
            snprintf(f->of, sizeof f->of, "%s", name);
            snprintf(f->name, sizeof f->name, "%.*s-redacted.mp4", (int)(len - 4), name);
            snprintf(f->cam_id, sizeof f->cam_id, "%s", id);
            snprintf(f->of_sha256, sizeof f->of_sha256, "%s", sha);
            f->of_bytes = bytes;
            f->cam = c;
            f->duration = json_real_value(json_object_get(fe, "duration"));
            r->total_in += bytes;
            r->nfiles++;
        }
    }
    if (r->nfiles == 0)
        return fail(NVR_EINVAL, err, errlen, "the export holds no video to redact");
    return NVR_OK;
}

static void write_json_value(FILE *f, json_t *v)
{
    char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    fputs(s ? s : "null", f);
    free(s);
}

static void write_box(FILE *f, const double b[4])
{
    fprintf(f, "[%.6f, %.6f, %.6f, %.6f]", b[0], b[1], b[2], b[3]);
}

struct texts {
    char *manifest, *readme, *sums, *doc;
    size_t manifest_len, readme_len, sums_len, doc_len;
    char *pem;
    uint8_t sig[SIGN_SIG_BYTES];
    uint8_t readme_sha[32], sums_sha[32], doc_sha[32];
};

static void sha_buf(const void *p, size_t n, uint8_t out[32])
{
    struct sha256 *h = sha256_new();
    if (!h) {
        memset(out, 0, 32);
        return;
    }
    sha256_update(h, p, n);
    sha256_final(h, out);
    sha256_free(&h);
}

static nvr_err build_readme(const struct redact_request *req, json_t *om, const struct run *r, const char *fpr,
                            int64_t now, struct texts *t)
{
    FILE *f = open_memstream(&t->readme, &t->readme_len);
    char when[NVR_TIME_BUFSZ], hx[65];
    if (!f)
        return NVR_ENOMEM;
    nvr_clock_format_rfc3339(now, when);
    fputs("REDACTED COPY OF A VIDEO EXPORT\n===============================\n\n", f);
    fprintf(f, "This is a redacted copy made for a records request on %s (UTC).\n", when);
    fprintf(f, "Records request: %s\nRequested by:    %s\nRedacted by:     %s\n\n",
            req->request_number[0] ? req->request_number : "(not given)",
            req->requester[0] ? req->requester : "(not given)", req->operator_name);
    fputs("Parts of the pictures were blurred, pixelated or blacked out, and parts of the sound\n"
          "silenced, to protect people who are not part of the request. The changes are burned\n"
          "into the video: what was hidden is not in these files and cannot be recovered from\n"
          "them. redactions.json lists every change (times, boxes, mode); manifest.json lists\n"
          "them too, with the frames each one covered.\n\n",
          f);
    const char *range0 = json_string_value(json_object_get(json_object_get(om, "range"), "start"));
    const char *range1 = json_string_value(json_object_get(json_object_get(om, "range"), "end"));
    fprintf(f, "Range (UTC): %s to %s\n\n", range0 ? range0 : "?", range1 ? range1 : "?");
    fputs("Files:\n", f);
    for (size_t i = 0; i < r->nfiles; i++) {
        const char *cname =
            json_string_value(json_object_get(json_array_get(json_object_get(om, "cameras"), r->files[i].cam), "name"));
        char first[NVR_TIME_BUFSZ];
        nvr_clock_format_rfc3339(r->files[i].first_us, first);
        nvr_hex(r->files[i].sha, 32, hx);
        fprintf(f, "  %s (%llu bytes)\n    SHA-256 %s\n    camera %s (%s), first frame %s UTC\n", r->files[i].name,
                (unsigned long long)r->files[i].bytes, hx, cname ? cname : r->files[i].cam_id, r->files[i].cam_id,
                first);
    }
    fprintf(f, "\nSigned by the recorder's key %s\n(manifest.json.sig over manifest.json; public-key.pem).\n\n", fpr);
    fputs("To check the files:\n"
          "  Linux:   sha256sum -c SHA256SUMS.txt\n"
          "  macOS:   shasum -a 256 -c SHA256SUMS.txt\n"
          "  Windows: certutil -hashfile FILE SHA256   (compare with SHA256SUMS.txt)\n"
          "The signature: openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin\n"
          "                 -in manifest.json -sigfile manifest.json.sig\n"
          "With nvr:      nvr verify THIS.zip --fingerprint ",
          f);
    fprintf(f, "%s\n", fpr);
    fputs("The unredacted original is kept by the agency; its manifest's SHA-256 and signature are\n"
          "named in manifest.json (\"derived_from\"), so the agency can show this copy derives from it\n"
          "(nvr verify ORIGINAL.zip --derived THIS.zip).\n",
          f);
    return fclose(f) == 0 ? NVR_OK : NVR_ENOMEM;
}

static nvr_err build_manifest(const struct redact_request *req, json_t *om, const char *om_sha, const char *om_sig,
                              const char *om_ref, const struct run *r, const char *fpr, int64_t now, struct texts *t)
{
    const struct redact_doc *d = r->doc;
    FILE *f = open_memstream(&t->manifest, &t->manifest_len);
    char hx[65];
    if (!f)
        return NVR_ENOMEM;
    fputs("{\n  \"format\": \"" REDACT_FORMAT "\",\n  \"software\": {\"name\": \"nvr\", \"version\": ", f);
    json_write_string(f, NVR_VERSION);
    fputs("},\n  \"exported_at\": ", f);
    json_write_time(f, now);
    fputs(",\n  \"redacted_at\": ", f);
    json_write_time(f, now);
    fputs(",\n  \"id\": ", f);
    json_write_string(f, req->ref);
    fputs(",\n  \"operator\": ", f);
    json_write_string(f, req->operator_name);
    fputs(",\n  \"request\": {\"number\": ", f);
    json_write_string(f, req->request_number);
    fputs(", \"requester\": ", f);
    json_write_string(f, req->requester);
    fputs("},\n  \"reason\": ", f);
    char reason[REDACT_TEXT_MAX + 64];
    snprintf(reason, sizeof reason, "redacted copy for records request %s",
             req->request_number[0] ? req->request_number : "(no number)");
    json_write_string(f, reason);
    fputs(",\n  \"case\": ", f);
    write_json_value(f, json_object_get(om, "case"));
    fputs(",\n  \"time_zone\": ", f);
    write_json_value(f, json_object_get(om, "time_zone"));
    fputs(",\n  \"range\": ", f);
    write_json_value(f, json_object_get(om, "range"));
    fputs(",\n  \"signing_key\": {\"algorithm\": \"Ed25519\", \"file\": \"public-key.pem\", \"fingerprint\": ", f);
    json_write_string(f, fpr);
    fputs("},\n  \"derived_from\": {\"format\": ", f);
    write_json_value(f, json_object_get(om, "format"));
    fputs(", \"export_id\": ", f);
    if (om_ref[0])
        json_write_string(f, om_ref);
    else
        fputs("null", f);
    fputs(", \"manifest_sha256\": ", f);
    json_write_string(f, om_sha);
    fputs(", \"signature\": ", f);
    json_write_string(f, om_sig);
    fputs(", \"signing_key_fingerprint\": ", f);
    write_json_value(f, json_object_get(json_object_get(om, "signing_key"), "fingerprint"));
    fputs(", \"exported_at\": ", f);
    write_json_value(f, json_object_get(om, "exported_at"));
    fputs(", \"operator\": ", f);
    write_json_value(f, json_object_get(om, "operator"));
    fputs(",\n    \"note\": \"the unredacted original export; nvr verify ORIGINAL.zip --derived THIS.zip checks the "
          "chain\"},\n  \"cameras\": [",
          f);
    json_t *cams = json_object_get(om, "cameras");
    for (size_t c = 0; c < json_array_size(cams); c++) {
        json_t *cam = json_array_get(cams, c);
        fputs(c ? ",\n    {\"id\": " : "\n    {\"id\": ", f);
        write_json_value(f, json_object_get(cam, "id"));
        fputs(", \"name\": ", f);
        write_json_value(f, json_object_get(cam, "name"));
        fputs(", \"files\": [", f);
        int first = 1;
        for (size_t i = 0; i < r->nfiles; i++) {
            const struct rfile *rf = &r->files[i];
            if (rf->cam != c)
                continue;
            fputs(first ? "\n       {\"name\": " : ",\n       {\"name\": ", f);
            first = 0;
            json_write_string(f, rf->name);
            fputs(", \"of\": ", f);
            json_write_string(f, rf->of);
            fputs(", \"of_sha256\": ", f);
            json_write_string(f, rf->of_sha256);
            fputs(", \"first_frame\": ", f);
            json_write_time(f, rf->first_us);
            fputs(", \"end\": ", f);
            json_write_time(f, rf->end_us);
            fprintf(f,
                    ", \"duration\": %.6f, \"frames\": %llu, \"frames_redacted\": %llu, \"width\": %d, "
                    "\"height\": %d, \"samples_muted\": %llu, \"video\": \"decoded, redacted and re-encoded "
                    "(H.264, libx264)\"}",
                    rf->duration, (unsigned long long)rf->st.frames, (unsigned long long)rf->st.frames_redacted,
                    rf->st.width, rf->st.height, (unsigned long long)rf->st.samples_muted);
        }
        fputs("]}", f);
    }
    fputs("\n  ],\n  \"redactions\": {\"document\": \"redactions.json\", \"shapes\": [", f);
    for (size_t i = 0; i < d->nshapes; i++) {
        const struct redact_shape *s = &d->shapes[i];
        fprintf(f, "%s{\"index\": %zu, \"start\": ", i ? ",\n    " : "\n    ", i);
        json_write_time(f, s->start_us);
        fputs(", \"end\": ", f);
        json_write_time(f, s->end_us);
        fputs(", \"box\": ", f);
        write_box(f, s->box);
        fprintf(f, ", \"keyframes\": %zu, \"mode\": \"%s\", \"invert\": %s, \"camera\": ", s->nkeys,
                redact_mode_name(s->mode), s->invert ? "true" : "false");
        if (s->camera[0])
            json_write_string(f, s->camera);
        else
            fputs("null", f);
        fprintf(f, ", \"source\": \"%s\", \"by\": ", s->assisted ? "assisted" : "manual");
        json_write_string(f, s->by);
        fputs(",\n     \"frames\": [", f);
        int first = 1;
        for (size_t k = 0; k < r->nfiles; k++) {
            const struct rfile *rf = &r->files[k];
            if (!rf->st.shape_frames[i])
                continue;
            fputs(first ? "{\"file\": " : ", {\"file\": ", f);
            first = 0;
            json_write_string(f, rf->name);
            fprintf(f, ", \"first\": %lld, \"last\": %lld, \"count\": %llu, \"first_time\": ",
                    (long long)rf->st.shape_first[i], (long long)rf->st.shape_last[i],
                    (unsigned long long)rf->st.shape_frames[i]);
            json_write_time(f, rf->st.shape_first_us[i]);
            fputs(", \"last_time\": ", f);
            json_write_time(f, rf->st.shape_last_us[i]);
            fputc('}', f);
        }
        fputs("]}", f);
    }
    fputs("],\n    \"mute\": [", f);
    for (size_t i = 0; i < d->nmutes; i++) {
        fputs(i ? ", {\"start\": " : "{\"start\": ", f);
        json_write_time(f, d->mutes[i].start_us);
        fputs(", \"end\": ", f);
        json_write_time(f, d->mutes[i].end_us);
        fputs(", \"camera\": ", f);
        if (d->mutes[i].camera[0])
            json_write_string(f, d->mutes[i].camera);
        else
            fputs("null", f);
        fputc('}', f);
    }
    fputs("]},\n  \"files\": [", f);
    for (size_t i = 0; i < r->nfiles; i++) {
        nvr_hex(r->files[i].sha, 32, hx);
        fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", f);
        json_write_string(f, r->files[i].name);
        fprintf(f, ", \"bytes\": %llu, \"sha256\": \"%s\"}", (unsigned long long)r->files[i].bytes, hx);
    }
    nvr_hex(t->doc_sha, 32, hx);
    fprintf(f, ",\n    {\"name\": \"redactions.json\", \"bytes\": %zu, \"sha256\": \"%s\"}", t->doc_len, hx);
    nvr_hex(t->sums_sha, 32, hx);
    fprintf(f, ",\n    {\"name\": \"" EXPORT_SUMS_NAME "\", \"bytes\": %zu, \"sha256\": \"%s\"}", t->sums_len, hx);
    nvr_hex(t->readme_sha, 32, hx);
    fprintf(f, ",\n    {\"name\": \"README.txt\", \"bytes\": %zu, \"sha256\": \"%s\"}", t->readme_len, hx);
    fputs("\n  ]\n}\n", f);
    return fclose(f) == 0 ? NVR_OK : NVR_ENOMEM;
}

static int add_buffer(zip_t *z, const char *name, const void *p, size_t n)
{
    zip_source_t *s = zip_source_buffer(z, p, n, 0);
    zip_int64_t idx = s ? zip_file_add(z, name, s, ZIP_FL_ENC_UTF_8) : -1;
    if (idx < 0) {
        zip_source_free(s);
        return -1;
    }
    return zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
}

static int add_file(zip_t *z, const char *name, const char *path)
{
    zip_source_t *s = zip_source_file(z, path, 0, -1);
    zip_int64_t idx = s ? zip_file_add(z, name, s, ZIP_FL_ENC_UTF_8) : -1;
    if (idx < 0) {
        zip_source_free(s);
        return -1;
    }
    return zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
}

nvr_err redact_run(const struct sign_key *key, const char *export_zip, struct redact_doc *doc,
                   const struct redact_request *req, const char *out_path, redact_progress_fn progress, void *arg,
                   struct redact_result *res, char *err, size_t errlen)
{
    char pin[SIGN_FPR_BUFSZ], *report = NULL, *om_text = NULL, *om_sig = NULL, om_sha[65], sig_hex[2 * 4096 + 1];
    size_t report_len = 0, om_len = 0, sig_len = 0;
    struct run r = {.doc = doc, .progress = progress, .progress_arg = arg};
    struct texts t = {0};
    json_t *om = NULL;
    zip_t *in = NULL, *out = NULL;
    uint8_t *buf = NULL, digest[32];
    int problems = 0, rc, zerr;
    memset(res, 0, sizeof *res);
    err[0] = '\0';
    redact_doc_set_default_by(doc, req->operator_name);
    if ((rc = sign_fingerprint(key, pin)))
        return fail(rc, err, errlen, "cannot read the signing key: %s", nvr_strerror(rc));
    /* 1. the original must verify, signed by this recorder */
    FILE *rep = open_memstream(&report, &report_len);
    if (!rep)
        return NVR_ENOMEM;
    rc = export_verify_pinned(export_zip, pin, rep, &problems);
    fclose(rep);
    if (rc || problems) {
        char *line = report ? strstr(report, "FAILED: ") : NULL, *nl = line ? strchr(line, '\n') : NULL;
        if (nl)
            *nl = '\0';
        rc = fail(NVR_ECORRUPT, err, errlen, "the original export does not verify, refusing to redact it: %s",
                  line ? line + 8 : "unreadable");
        goto out;
    }
    /* 2. its manifest, signature and videos */
    rc = NVR_ENOMEM;
    if (!(buf = malloc(COPY_BUFSZ)) || !(r.files = calloc(MAX_FILES, sizeof *r.files)))
        goto out;
    if (!(in = zip_open(export_zip, ZIP_RDONLY, &zerr))) {
        rc = fail(NVR_EIO, err, errlen, "cannot open %s", export_zip);
        goto out;
    }
    if ((rc = export_zip_read(in, "manifest.json", &om_text, &om_len, 64u << 20)) ||
        (rc = export_zip_read(in, "manifest.json.sig", &om_sig, &sig_len, 4096))) {
        rc = fail(NVR_EINVAL, err, errlen, "the export's manifest cannot be read");
        goto out;
    }
    if (!(om = json_loadb(om_text, om_len, 0, NULL))) {
        rc = fail(NVR_EINVAL, err, errlen, "the export's manifest.json is not JSON");
        goto out;
    }
    const char *format = json_string_value(json_object_get(om, "format"));
    if (!format || strcmp(format, "nvr-export/1") != 0) {
        rc = fail(NVR_EINVAL, err, errlen, "%s is not an export (format %s); redact the original export instead",
                  export_zip, format ? format : "unknown");
        goto out;
    }
    sha_buf(om_text, om_len, digest);
    nvr_hex(digest, 32, om_sha);
    nvr_hex((const uint8_t *)om_sig, sig_len, sig_hex);
    snprintf(res->original_manifest_sha256, sizeof res->original_manifest_sha256, "%s", om_sha);
    json_t *entries = json_object_get(json_object_get(om, "access_log"), "entries");
    const char *d0 = json_string_value(json_object_get(json_array_get(entries, 0), "detail"));
    if (d0 && strncmp(d0, "export=", 7) == 0)
        snprintf(res->original_ref, sizeof res->original_ref, "%.*s", (int)strcspn(d0 + 7, " "), d0 + 7);
    if ((rc = plan_files(om, &r, err, errlen)))
        goto out;
    /* 3. render each video */
    int64_t t0 = nvr_clock_mono_us();
    for (size_t i = 0; i < r.nfiles; i++) {
        struct rfile *f = &r.files[i];
        r.cur = i;
        if ((rc = alloc_stats(&f->st, doc->nshapes)))
            goto out;
        if ((rc = make_temp(out_path, "in", f->tmp_in, sizeof f->tmp_in)) ||
            (rc = make_temp(out_path, "out", f->tmp_out, sizeof f->tmp_out))) {
            rc = fail(rc, err, errlen, "cannot make a temporary file beside %s: %s", out_path, strerror(errno));
            goto out;
        }
        if ((rc = extract(in, f->of, f->tmp_in, buf))) {
            rc = fail(rc, err, errlen, "cannot extract %s: %s", f->of, nvr_strerror(rc));
            goto out;
        }
        char rerr[256];
        rc = redact_render_file(f->tmp_in, f->tmp_out, doc, f->cam_id, f->first_us, req->preset, file_progress, &r,
                                &f->st, rerr, sizeof rerr);
        unlink(f->tmp_in);
        f->tmp_in[0] = '\0';
        if (rc) {
            rc = fail(rc, err, errlen, "%s: %s", f->of, rerr);
            goto out;
        }
        if ((rc = hash_file(f->tmp_out, buf, f->sha, &f->bytes))) {
            rc = fail(rc, err, errlen, "cannot read back %s", f->name);
            goto out;
        }
        r.done_in += f->of_bytes;
        res->frames += f->st.frames;
        res->video_seconds += f->st.seconds;
        res->width = f->st.width;
        res->height = f->st.height;
        size_t at = strlen(res->cameras);
        if (!strstr(res->cameras, f->cam_id))
            snprintf(res->cameras + at, sizeof res->cameras - at, "%s%s", at ? "," : "", f->cam_id);
    }
    res->render_seconds = (nvr_clock_mono_us() - t0) / 1e6;
    /* 4. the texts, the manifest, the signature */
    int64_t now = nvr_clock_now_us();
    FILE *df = open_memstream(&t.doc, &t.doc_len);
    if (!df) {
        rc = NVR_ENOMEM;
        goto out;
    }
    redact_doc_write(df, doc);
    if (fclose(df) != 0) {
        rc = NVR_ENOMEM;
        goto out;
    }
    sha_buf(t.doc, t.doc_len, t.doc_sha);
    struct export_readme_file sums[MAX_FILES + 1];
    for (size_t i = 0; i < r.nfiles; i++)
        sums[i] = (struct export_readme_file){
            .name = r.files[i].name, .bytes = r.files[i].bytes, .sha256 = r.files[i].sha, .cam = -1};
    sums[r.nfiles] =
        (struct export_readme_file){.name = "redactions.json", .bytes = t.doc_len, .sha256 = t.doc_sha, .cam = -1};
    if ((rc = export_sums_text(sums, r.nfiles + 1, &t.sums, &t.sums_len)) ||
        (rc = build_readme(req, om, &r, pin, now, &t)))
        goto out;
    sha_buf(t.sums, t.sums_len, t.sums_sha);
    sha_buf(t.readme, t.readme_len, t.readme_sha);
    if ((rc = build_manifest(req, om, om_sha, sig_hex, res->original_ref, &r, pin, now, &t)) ||
        (rc = sign_data(key, t.manifest, t.manifest_len, t.sig)) || (rc = sign_public_pem(key, &t.pem))) {
        rc = fail(rc, err, errlen, "cannot build or sign the manifest: %s", nvr_strerror(rc));
        goto out;
    }
    /* 5. the zip */
    char zerrs[256];
    if (!(out = export_zipout_create(out_path, zerrs, sizeof zerrs))) {
        rc = fail(NVR_EIO, err, errlen, "cannot write %s: %s", out_path, zerrs);
        goto out;
    }
    int bad = 0;
    for (size_t i = 0; i < r.nfiles && !bad; i++)
        bad = add_file(out, r.files[i].name, r.files[i].tmp_out) != 0;
    bad = bad || add_buffer(out, "redactions.json", t.doc, t.doc_len) ||
          add_buffer(out, EXPORT_SUMS_NAME, t.sums, t.sums_len) ||
          add_buffer(out, "README.txt", t.readme, t.readme_len) ||
          add_buffer(out, "manifest.json", t.manifest, t.manifest_len) ||
          add_buffer(out, "manifest.json.sig", t.sig, SIGN_SIG_BYTES) ||
          add_buffer(out, "public-key.pem", t.pem, strlen(t.pem));
    if (bad || zip_close(out) != 0) {
        rc = fail(NVR_EIO, err, errlen, "cannot write %s: %s", out_path, zip_strerror(out));
        goto out;
    }
    out = NULL;
    FILE *zf = fopen(out_path, "rb");
    if (zf) {
        fseek(zf, 0, SEEK_END);
        res->zip_bytes = (uint64_t)ftell(zf);
        fclose(zf);
    }
    if (progress)
        progress(arg, 1.0);
    rc = NVR_OK;
out:
    if (out)
        zip_discard(out);
    if (in)
        zip_discard(in);
    for (size_t i = 0; r.files && i < r.nfiles; i++) {
        if (r.files[i].tmp_in[0])
            unlink(r.files[i].tmp_in);
        if (r.files[i].tmp_out[0])
            unlink(r.files[i].tmp_out);
        free_stats(&r.files[i].st);
    }
    free(r.files);
    json_decref(om);
    free(om_text);
    free(om_sig);
    free(report);
    free(buf);
    free(t.manifest);
    free(t.readme);
    free(t.sums);
    free(t.doc);
    free(t.pem);
    return rc;
}
