/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export_chain.c - checking that a derivative export (a redacted copy,
 * nvr/redact/redact.h) derives from an original (see export.h,
 * export_verify_chain).
 *
 * Both zips are verified whole first (export_verify_pinned).  Then the
 * link: the derivative's signed manifest names, under "derived_from", the
 * SHA-256 of the original's manifest.json, the original's signature bytes
 * and its signer; every video of the derivative names ("of", "of_sha256")
 * a file the original's manifest lists with that SHA-256; and both are
 * signed by the same key.  Only that key's holder could have written the
 * link, and the original's manifest hash pins every byte of the original.
 */
#include "export/export.h"

#include "base/hex.h"

#include "export/export_zipout.h"
#include "storage/sha256.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

/* manifest.json (parsed and raw) and manifest.json.sig of a zip. */
struct side {
    char *raw, *sig;
    size_t rawlen, siglen;
    json_t *doc;
};

static int load_side(const char *path, struct side *s)
{
    int zerr;
    memset(s, 0, sizeof *s);
    zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
    if (!z)
        return -1;
    int rc = export_zip_read(z, "manifest.json", &s->raw, &s->rawlen, 64u << 20) ||
             export_zip_read(z, "manifest.json.sig", &s->sig, &s->siglen, 4096);
    zip_discard(z);
    if (rc == 0 && !(s->doc = json_loadb(s->raw, s->rawlen, 0, NULL)))
        rc = -1;
    return rc;
}

static void free_side(struct side *s)
{
    json_decref(s->doc);
    free(s->raw);
    free(s->sig);
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

nvr_err export_verify_chain(const char *original, const char *derived, const char *pin, FILE *report, int *problems)
{
    struct side o, d;
    int po = 0, pd = 0, rc;
    char hx[2 * 4096 + 1];
    *problems = 0;
    fprintf(report, "== original: %s\n", original);
    if ((rc = export_verify_pinned(original, pin, report, &po)))
        return rc;
    fprintf(report, "== derived: %s\n", derived);
    if ((rc = export_verify_pinned(derived, pin, report, &pd)))
        return rc;
    *problems = po + pd;
    fprintf(report, "== chain: %s -> %s\n", derived, original);
    if (load_side(original, &o) || load_side(derived, &d)) {
        (*problems)++;
        fprintf(report, "FAILED: chain: a manifest cannot be read\n");
        free_side(&o);
        free_side(&d);
        goto summary;
    }
    json_t *df = json_object_get(d.doc, "derived_from");
    if (!json_is_object(df)) {
        (*problems)++;
        fprintf(report, "FAILED: chain: %s is not a derivative export (its manifest has no derived_from)\n", derived);
        goto done;
    }
    uint8_t digest[32];
    struct sha256 *h = sha256_new();
    if (!h) {
        rc = NVR_ENOMEM;
        goto done;
    }
    sha256_update(h, o.raw, o.rawlen);
    sha256_final(h, digest);
    sha256_free(&h);
    nvr_hex(digest, 32, hx);
    if (same(str(df, "manifest_sha256"), hx)) {
        fprintf(report, "ok: chain: derived_from names the original's manifest.json (sha256 %s)\n", hx);
    } else {
        (*problems)++;
        fprintf(report,
                "FAILED: chain: derived_from names manifest sha256 %s, the original's is %s: not derived "
                "from this export\n",
                str(df, "manifest_sha256") ? str(df, "manifest_sha256") : "(none)", hx);
    }
    nvr_hex((const uint8_t *)o.sig, o.siglen, hx);
    if (same(str(df, "signature"), hx)) {
        fprintf(report, "ok: chain: derived_from carries the original's signature\n");
    } else {
        (*problems)++;
        fprintf(report, "FAILED: chain: derived_from's signature is not the original's manifest.json.sig\n");
    }
    const char *ofpr = str(json_object_get(o.doc, "signing_key"), "fingerprint");
    const char *dfpr = str(json_object_get(d.doc, "signing_key"), "fingerprint");
    if (same(str(df, "signing_key_fingerprint"), ofpr) && same(ofpr, dfpr)) {
        fprintf(report, "ok: chain: both signed by %s\n", ofpr);
    } else {
        (*problems)++;
        fprintf(report, "FAILED: chain: the original is signed by %s, the derivative by %s (naming %s)\n",
                ofpr ? ofpr : "?", dfpr ? dfpr : "?",
                str(df, "signing_key_fingerprint") ? str(df, "signing_key_fingerprint") : "?");
    }
    json_t *ofiles = json_object_get(o.doc, "files"), *cams = json_object_get(d.doc, "cameras");
    size_t nvideos = 0;
    for (size_t c = 0; c < json_array_size(cams); c++) {
        json_t *files = json_object_get(json_array_get(cams, c), "files");
        for (size_t k = 0; k < json_array_size(files); k++) {
            json_t *fe = json_array_get(files, k);
            const char *name = str(fe, "name"), *of = str(fe, "of"), *of_sha = str(fe, "of_sha256");
            int found = 0;
            for (size_t i = 0; i < json_array_size(ofiles) && !found; i++) {
                json_t *oe = json_array_get(ofiles, i);
                found = same(str(oe, "name"), of) && same(str(oe, "sha256"), of_sha);
            }
            nvideos++;
            if (found) {
                fprintf(report, "ok: chain: %s is made from the original's %s\n", name ? name : "?", of);
            } else {
                (*problems)++;
                fprintf(report, "FAILED: chain: %s names %s (sha256 %s), which the original does not hold\n",
                        name ? name : "?", of ? of : "?", of_sha ? of_sha : "?");
            }
        }
    }
    if (!nvideos) {
        (*problems)++;
        fprintf(report, "FAILED: chain: the derivative names no video of the original\n");
    }
done:
    free_side(&o);
    free_side(&d);
    if (rc)
        return rc;
summary:
    fprintf(report, "%s: %s %s\n", derived,
            *problems ? "CHAIN VERIFICATION FAILED:" : "chain verified: both intact, and derived from", original);
    return NVR_OK;
}
