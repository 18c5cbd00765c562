/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export_district.c - writing a district export (export_district.h): each
 * site's zip checked with export_verify and hashed, the manifest built and
 * signed with the console's key, the inner zips stored untouched.
 * Verification is export_district_verify.c.
 */
#include "export/export_district.h"

#include "base/hex.h"
#include "base/clock.h"
#include "export/export.h"
#include "export/export_zipout.h"
#include "storage/sha256.h"
#include "version.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zip.h>

#define BUFSZ (1 << 20)

/* SHA-256 (hex) and size of the file at path. */
static nvr_err hash_file(const char *path, char hx[65], uint64_t *bytes)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = malloc(BUFSZ), d[32];
    struct sha256 *h = sha256_new();
    nvr_err rc = f && buf && h ? NVR_OK : f ? NVR_ENOMEM : NVR_EIO;
    size_t n;
    *bytes = 0;
    while (!rc && (n = fread(buf, 1, BUFSZ, f)) > 0) {
        sha256_update(h, buf, n);
        *bytes += n;
    }
    if (!rc && ferror(f))
        rc = NVR_EIO;
    if (!rc) {
        sha256_final(h, d);
        nvr_hex(d, 32, hx);
    }
    sha256_free(&h);
    free(buf);
    if (f)
        fclose(f);
    return rc;
}

/* export_verify of an inner zip, and the fingerprint its manifest names
 * (the key export_verify found the signature made with). */
static nvr_err check_inner(const char *path, char fpr[SIGN_FPR_BUFSZ], char *err, size_t errlen)
{
    char *text = NULL, *manifest = NULL;
    size_t tlen = 0, mlen;
    int problems = 0, zerr;
    FILE *m = open_memstream(&text, &tlen);
    if (!m)
        return NVR_ENOMEM;
    nvr_err rc = export_verify(path, m, &problems);
    fclose(m);
    if (!rc && problems) {
        const char *bad = text ? strstr(text, "FAILED: ") : NULL;
        snprintf(err, errlen, "%.*s", bad ? (int)strcspn(bad, "\n") : 20, bad ? bad : "does not verify");
        rc = NVR_ECORRUPT;
    }
    free(text);
    zip_t *z = rc ? NULL : zip_open(path, ZIP_RDONLY, &zerr);
    json_t *doc = NULL;
    if (!rc && (!z || export_zip_read(z, "manifest.json", &manifest, &mlen, 64 << 20) ||
                !(doc = json_loadb(manifest, mlen, 0, NULL)))) {
        snprintf(err, errlen, "its manifest cannot be read");
        rc = NVR_ECORRUPT;
    }
    const char *f = doc ? json_string_value(json_object_get(json_object_get(doc, "signing_key"), "fingerprint")) : NULL;
    if (!rc && (!f || strlen(f) >= SIGN_FPR_BUFSZ)) {
        snprintf(err, errlen, "its manifest names no signing key");
        rc = NVR_ECORRUPT;
    }
    if (!rc)
        snprintf(fpr, SIGN_FPR_BUFSZ, "%s", f);
    json_decref(doc);
    free(manifest);
    if (z)
        zip_discard(z);
    return rc;
}

static json_t *time_json(int64_t us)
{
    char t[NVR_TIME_BUFSZ];
    nvr_clock_format_rfc3339(us, t);
    return json_string(t);
}

/* One site's entry of the manifest, its inner zip checked and hashed;
 * also the matching "files" entry into files. */
static nvr_err site_entry(const struct district_site *s, json_t *sites, json_t *files, char *err, size_t errlen)
{
    char hx[65], fpr[SIGN_FPR_BUFSZ], name[128], why[256] = "";
    uint64_t bytes;
    nvr_err rc = hash_file(s->path, hx, &bytes);
    if (rc) {
        snprintf(err, errlen, "site %s: its export cannot be read", s->site);
        return rc;
    }
    if ((rc = check_inner(s->path, fpr, why, sizeof why))) {
        snprintf(err, errlen, "site %s: its export does not verify: %s", s->site, why);
        return rc;
    }
    snprintf(name, sizeof name, "sites/%s/export.zip", s->site);
    json_t *cams = json_array();
    for (size_t i = 0; i < s->ncameras; i++)
        json_array_append_new(cams, json_string(s->cameras[i]));
    json_array_append_new(sites, json_pack("{s:s,s:s,s:o,s:s,s:s,s:I,s:s,s:s}", "site", s->site, "url", s->url,
                                           "cameras", cams, "export_id", s->export_id, "file", name, "bytes",
                                           (json_int_t)bytes, "sha256", hx, "signer", fpr));
    json_array_append_new(files, json_pack("{s:s,s:I,s:s}", "name", name, "bytes", (json_int_t)bytes, "sha256", hx));
    return NVR_OK;
}

static char *readme_text(const struct district_request *req, const char *fpr)
{
    char from[NVR_TIME_BUFSZ], to[NVR_TIME_BUFSZ], *out = NULL, *sites = NULL;
    size_t slen = 0;
    FILE *f = open_memstream(&sites, &slen);
    if (!f)
        return NULL;
    for (size_t i = 0; i < req->nsites; i++) {
        fprintf(f, "  sites/%s/export.zip  (", req->sites[i].site);
        for (size_t k = 0; k < req->sites[i].ncameras; k++)
            fprintf(f, "%s%s", k ? ", " : "", req->sites[i].cameras[k]);
        fputs(")\n", f);
    }
    fclose(f);
    nvr_clock_format_rfc3339(req->from_us, from);
    nvr_clock_format_rfc3339(req->to_us, to);
    int n = asprintf(&out,
                     "District export %s\n\n"
                     "Made by the district console (nvr %s) for %s.\nReason: %s\nCase: %s\nRange: %s to %s (UTC)\n\n"
                     "Each site's recorder made and signed its own export; they are here untouched:\n%s\n"
                     "manifest.json names every site's zip with its SHA-256 and the key that signed it;\n"
                     "manifest.json.sig is the console's Ed25519 signature of manifest.json and\n"
                     "public-key.pem its public key (fingerprint %s).\n\n"
                     "To check everything (the console's signature, each zip's hash, each site's export):\n"
                     "  nvr verify THIS.zip --fingerprint %s\n"
                     "Each site's export.zip also verifies on its own (nvr verify, or its README.txt).\n",
                     req->id, NVR_VERSION, req->requester, req->reason[0] ? req->reason : "(none)",
                     req->case_id[0] ? req->case_id : "(none)", from, to, sites ? sites : "", fpr, fpr);
    free(sites);
    return n < 0 ? NULL : out;
}

/* The manifest (a new string) and the README it lists (*readme). */
static nvr_err build_manifest(const struct district_request *req, const char *fpr, char **readme, char **manifest,
                              char *err, size_t errlen)
{
    char hx[65];
    uint8_t d[32];
    json_t *sites = json_array(), *files = json_array();
    nvr_err rc = NVR_OK;
    for (size_t i = 0; i < req->nsites && !rc; i++)
        rc = site_entry(&req->sites[i], sites, files, err, errlen);
    if (!rc && !(*readme = readme_text(req, fpr)))
        rc = NVR_ENOMEM;
    if (rc) {
        json_decref(sites);
        json_decref(files);
        return rc;
    }
    struct sha256 *h = sha256_new();
    if (!h) {
        json_decref(sites);
        json_decref(files);
        return NVR_ENOMEM;
    }
    sha256_update(h, *readme, strlen(*readme));
    sha256_final(h, d);
    sha256_free(&h);
    nvr_hex(d, 32, hx);
    json_array_insert_new(
        files, 0, json_pack("{s:s,s:I,s:s}", "name", "README.txt", "bytes", (json_int_t)strlen(*readme), "sha256", hx));
    json_t *doc =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:s,s:{s:s,s:s},s:o,s:o}", "kind", DISTRICT_KIND, "format",
                  DISTRICT_FORMAT, "id", req->id, "requester", req->requester, "reason", req->reason, "case",
                  req->case_id, "console_version", NVR_VERSION, "start", time_json(req->from_us), "end",
                  time_json(req->to_us), "exported", time_json(nvr_clock_now_us()), "hash", "sha256", "signing_key",
                  "algorithm", "Ed25519", "fingerprint", fpr, "sites", sites, "files", files);
    *manifest = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    return *manifest ? NVR_OK : NVR_ENOMEM;
}

/* Adds a stored entry from src (consumed). */
static int add(zip_t *z, const char *name, zip_source_t *src, time_t mtime)
{
    zip_int64_t idx = src ? zip_file_add(z, name, src, ZIP_FL_ENC_UTF_8) : -1;
    if (idx < 0) {
        zip_source_free(src);
        return -1;
    }
    zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    zip_file_set_mtime(z, (zip_uint64_t)idx, mtime, 0);
    return 0;
}

nvr_err export_district_write(const struct sign_key *key, const struct district_request *req, const char *out_path,
                              uint64_t *bytes, char *err, size_t errlen)
{
    char fpr[SIGN_FPR_BUFSZ], *pem = NULL, *readme = NULL, *manifest = NULL, name[128];
    uint8_t sig[SIGN_SIG_BYTES];
    zip_t *z = NULL;
    time_t now = (time_t)(nvr_clock_now_us() / 1000000);
    err[0] = '\0';
    nvr_err rc = sign_fingerprint(key, fpr);
    if (!rc)
        rc = sign_public_pem(key, &pem);
    if (!rc)
        rc = build_manifest(req, fpr, &readme, &manifest, err, errlen);
    if (!rc)
        rc = sign_data(key, manifest, strlen(manifest), sig);
    if (rc)
        goto out;
    if (!(z = export_zipout_create(out_path, err, errlen))) {
        rc = NVR_EIO;
        goto out;
    }
    int bad = add(z, "README.txt", zip_source_buffer(z, readme, strlen(readme), 0), now);
    for (size_t i = 0; i < req->nsites && !bad; i++) {
        snprintf(name, sizeof name, "sites/%s/export.zip", req->sites[i].site);
        bad = add(z, name, zip_source_file(z, req->sites[i].path, 0, -1), now);
    }
    if (!bad)
        bad = add(z, "manifest.json", zip_source_buffer(z, manifest, strlen(manifest), 0), now) ||
              add(z, "manifest.json.sig", zip_source_buffer(z, sig, sizeof sig, 0), now) ||
              add(z, "public-key.pem", zip_source_buffer(z, pem, strlen(pem), 0), now);
    if (bad || zip_close(z) != 0) {
        snprintf(err, errlen, "zip: %s", zip_strerror(z));
        rc = NVR_EIO;
        goto out;
    }
    z = NULL;
    struct stat sb;
    *bytes = stat(out_path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
out:
    if (z)
        zip_discard(z);
    if (rc && !err[0])
        snprintf(err, errlen, "%s", nvr_strerror(rc));
    free(pem);
    free(readme);
    free(manifest);
    return rc;
}
