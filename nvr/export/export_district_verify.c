/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export_district_verify.c - checking a district export
 * (export_district.h): the console's signature, the files the manifest
 * lists, then each site's zip, copied out to a temporary file while it is
 * hashed, verified by export_verify_pinned with the signer the signed
 * manifest names.  Nothing is trusted before the outer signature is
 * checked, and a failure anywhere is a FAILED line.
 */
#include "export/export_district.h"

#include "base/hex.h"

#include "export/export.h"
#include "export/export_zipout.h"
#include "storage/sha256.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#define BUFSZ (1 << 20)

/* Reads entry name of z whole, hashing it and (out not NULL) copying it
 * to out; hx and *bytes get the SHA-256 and size.  -1 if it is absent or
 * cannot be read whole (a CRC error). */
static int read_entry(zip_t *z, const char *name, FILE *out, char hx[65], uint64_t *bytes)
{
    zip_file_t *f = zip_fopen(z, name, 0);
    uint8_t *buf = malloc(BUFSZ), d[32];
    struct sha256 *h = sha256_new();
    int rc = f && buf && h ? 0 : -1;
    zip_int64_t n;
    *bytes = 0;
    while (!rc && (n = zip_fread(f, buf, BUFSZ)) != 0) {
        if (n < 0 || (out && fwrite(buf, 1, (size_t)n, out) != (size_t)n)) {
            rc = -1;
            break;
        }
        sha256_update(h, buf, (size_t)n);
        *bytes += (uint64_t)n;
    }
    if (!rc) {
        sha256_final(h, d);
        nvr_hex(d, 32, hx);
    }
    sha256_free(&h);
    free(buf);
    if (f)
        zip_fclose(f);
    return rc;
}

int export_district_is(const char *zip_path)
{
    int zerr;
    char *m = NULL;
    size_t len;
    zip_t *z = zip_open(zip_path, ZIP_RDONLY, &zerr);
    json_t *doc = z && !export_zip_read(z, "manifest.json", &m, &len, 64 << 20) ? json_loadb(m, len, 0, NULL) : NULL;
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    int is = kind && strcmp(kind, DISTRICT_KIND) == 0;
    json_decref(doc);
    free(m);
    if (z)
        zip_discard(z);
    return is;
}

/* The console's signature over the manifest, and its signer against pin. */
static void check_signature(zip_t *z, const char *manifest, size_t mlen, const char *pin, char fpr[SIGN_FPR_BUFSZ],
                            FILE *report, int *problems)
{
    char *sig = NULL, *pem = NULL;
    size_t slen, plen;
    fpr[0] = '\0';
    if (export_zip_read(z, "manifest.json.sig", &sig, &slen, 4096) ||
        export_zip_read(z, "public-key.pem", &pem, &plen, 65536)) {
        (*problems)++;
        fprintf(report, "FAILED: manifest.json.sig or public-key.pem: missing or unreadable\n");
    } else {
        int v = sign_verify_pem(pem, plen, manifest, mlen, (const uint8_t *)sig, slen, fpr);
        if (v == NVR_OK) {
            fprintf(report, "ok: manifest.json signature (the console's Ed25519 key %s)\n", fpr);
        } else {
            (*problems)++;
            fprintf(report, "FAILED: manifest.json: %s\n",
                    v == NVR_ECORRUPT ? "the console's signature does not match (the district manifest, its "
                                        "signature or public-key.pem was changed)"
                                      : "the signature or public key cannot be read");
        }
    }
    if (pin && strcmp(fpr, pin) != 0) {
        (*problems)++;
        fprintf(report, "FAILED: signer: signed by %s, not by the pinned console key %s\n", fpr[0] ? fpr : "no key",
                pin);
    } else if (pin) {
        fprintf(report, "ok: signer is the pinned console key %s\n", pin);
    } else {
        fprintf(report,
                "WARNING: SIGNER NOT PINNED: compare the console key's fingerprint (%s) out of band, or "
                "verify with --fingerprint HEX\n",
                fpr[0] ? fpr : "unreadable");
    }
    free(sig);
    free(pem);
}

/* Every file the manifest lists but the site zips (checked with their site). */
static void check_files(zip_t *z, json_t *files, FILE *report, int *problems)
{
    for (size_t i = 0; i < json_array_size(files); i++) {
        json_t *fe = json_array_get(files, i);
        const char *name = json_string_value(json_object_get(fe, "name"));
        const char *want = json_string_value(json_object_get(fe, "sha256"));
        json_t *jb = json_object_get(fe, "bytes");
        char hx[65];
        uint64_t bytes;
        if (!name || !want || !json_is_integer(jb)) {
            (*problems)++;
            fprintf(report, "FAILED: manifest.json: files[%zu] is malformed\n", i);
        } else if (strncmp(name, "sites/", 6) != 0) {
            if (read_entry(z, name, NULL, hx, &bytes)) {
                (*problems)++;
                fprintf(report, "FAILED: %s: missing or unreadable\n", name);
            } else if (bytes != (uint64_t)json_integer_value(jb) || strcmp(hx, want) != 0) {
                (*problems)++;
                fprintf(report, "FAILED: %s: SHA-256 %s differs from the manifest's %s\n", name, hx, want);
            } else {
                fprintf(report, "ok: %s (%llu bytes, sha256 %s)\n", name, (unsigned long long)bytes, hx);
            }
        }
    }
    zip_int64_t n = zip_get_num_entries(z, 0);
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(z, (zip_uint64_t)i, 0);
        int known = !name || strcmp(name, "manifest.json") == 0 || strcmp(name, "manifest.json.sig") == 0 ||
                    strcmp(name, "public-key.pem") == 0;
        for (size_t k = 0; !known && k < json_array_size(files); k++) {
            const char *ln = json_string_value(json_object_get(json_array_get(files, k), "name"));
            known = ln && strcmp(ln, name) == 0;
        }
        if (!known) {
            (*problems)++;
            fprintf(report, "FAILED: %s: in the archive but not in the manifest\n", name);
        }
    }
}

/* export_verify_pinned's report of tmp, each line prefixed with the site
 * and the temporary path replaced by the entry's name. */
static void relay(const char *text, const char *site, const char *tmp, const char *name, FILE *report)
{
    size_t tl = strlen(tmp);
    for (const char *p = text; p && *p;) {
        size_t n = strcspn(p, "\n");
        fprintf(report, "  [%s] ", site);
        for (size_t i = 0; i < n; i++) {
            if (n - i >= tl && strncmp(p + i, tmp, tl) == 0) {
                fputs(name, report);
                i += tl - 1;
            } else {
                fputc(p[i], report);
            }
        }
        fputc('\n', report);
        p += n + (p[n] == '\n');
    }
}

/* One site's zip: its hash against the manifest, then its own checks pinned
 * to the signer the (signed) manifest names. */
static void check_site(zip_t *z, json_t *s, json_t *files, FILE *report, int *problems)
{
    const char *site = json_string_value(json_object_get(s, "site"));
    const char *name = json_string_value(json_object_get(s, "file"));
    const char *want = json_string_value(json_object_get(s, "sha256"));
    const char *signer = json_string_value(json_object_get(s, "signer"));
    json_t *jb = json_object_get(s, "bytes");
    const char *tmpdir = getenv("TMPDIR");
    char tmp[4200], hx[65], *text = NULL;
    size_t tlen = 0;
    uint64_t bytes;
    if (!site || !name || !want || !signer || !json_is_integer(jb)) {
        (*problems)++;
        fprintf(report, "FAILED: manifest.json: a site's entry is malformed\n");
        return;
    }
    int listed = 0;
    for (size_t k = 0; k < json_array_size(files); k++) {
        json_t *fe = json_array_get(files, k);
        const char *ln = json_string_value(json_object_get(fe, "name"));
        const char *ls = json_string_value(json_object_get(fe, "sha256"));
        listed |= ln && ls && strcmp(ln, name) == 0 && strcmp(ls, want) == 0;
    }
    snprintf(tmp, sizeof tmp, "%.4000s/nvr-district-XXXXXX", tmpdir && tmpdir[0] == '/' ? tmpdir : "/tmp");
    int fd = mkstemp(tmp);
    FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
    int bad = !out || read_entry(z, name, out, hx, &bytes);
    if (out && fclose(out) != 0)
        bad = 1;
    else if (!out && fd >= 0)
        close(fd);
    if (bad) {
        (*problems)++;
        fprintf(report, "FAILED: %s (site %s): missing or unreadable\n", name, site);
    } else if (!listed || bytes != (uint64_t)json_integer_value(jb) || strcmp(hx, want) != 0) {
        (*problems)++;
        fprintf(report,
                "FAILED: %s (site %s): SHA-256 %s differs from the manifest's %s: the site's export was "
                "changed or swapped\n",
                name, site, hx, want);
    } else {
        fprintf(report, "ok: %s (site %s, %llu bytes, sha256 %s)\n", name, site, (unsigned long long)bytes, hx);
        int inner = 0;
        FILE *m = open_memstream(&text, &tlen);
        if (m) {
            nvr_err rc = export_verify_pinned(tmp, signer, m, &inner);
            fclose(m);
            relay(text, site, tmp, name, report);
            if (rc)
                inner++;
        } else {
            inner = 1;
        }
        if (inner) {
            (*problems)++;
            fprintf(report, "FAILED: %s (site %s): the site's export does not verify pinned to %s\n", name, site,
                    signer);
        } else {
            fprintf(report, "ok: site %s: its export verifies, signed by %s as the manifest says\n", site, signer);
        }
    }
    free(text);
    if (fd >= 0)
        unlink(tmp);
}

nvr_err export_district_verify(const char *zip_path, const char *pin, FILE *report, int *problems)
{
    int zerr;
    char *manifest = NULL, fpr[SIGN_FPR_BUFSZ];
    size_t mlen;
    json_t *doc = NULL;
    *problems = 0;
    zip_t *z = zip_open(zip_path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
    if (!z) {
        fprintf(report, "FAILED: %s is not a readable zip archive\n", zip_path);
        return NVR_EINVAL;
    }
    if (export_zip_read(z, "manifest.json", &manifest, &mlen, 64 << 20) ||
        !(doc = json_loadb(manifest, mlen, 0, NULL))) {
        (*problems)++;
        fprintf(report, "FAILED: manifest.json: missing or not JSON\n");
        goto out;
    }
    fprintf(report, "district export %s of %zu site(s), requested by %s\n",
            json_string_value(json_object_get(doc, "id")) ? json_string_value(json_object_get(doc, "id")) : "?",
            json_array_size(json_object_get(doc, "sites")),
            json_string_value(json_object_get(doc, "requester")) ? json_string_value(json_object_get(doc, "requester"))
                                                                 : "?");
    check_signature(z, manifest, mlen, pin, fpr, report, problems);
    const char *mfpr = json_string_value(json_object_get(json_object_get(doc, "signing_key"), "fingerprint"));
    if (fpr[0] && (!mfpr || strcmp(mfpr, fpr) != 0)) {
        (*problems)++;
        fprintf(report, "FAILED: public-key.pem: its fingerprint is not the one in manifest.json\n");
    }
    json_t *files = json_object_get(doc, "files"), *sites = json_object_get(doc, "sites");
    if (!json_is_array(files) || !json_is_array(sites) || json_array_size(sites) == 0) {
        (*problems)++;
        fprintf(report, "FAILED: manifest.json: no sites or files\n");
        goto out;
    }
    check_files(z, files, report, problems);
    for (size_t i = 0; i < json_array_size(sites); i++)
        check_site(z, json_array_get(sites, i), files, report, problems);
out:
    fprintf(report, "%s: %s%s\n", zip_path,
            *problems ? "VERIFICATION FAILED"
                      : "verified: the console's signature is valid, every site's export matches the manifest and "
                        "verifies pinned to its signer",
            *problems ? ""
            : pin     ? "; the console is the pinned key"
                      : "; CONSOLE SIGNER NOT PINNED");
    json_decref(doc);
    free(manifest);
    zip_discard(z);
    return NVR_OK;
}
