/* SPDX-License-Identifier: Apache-2.0 */
/*
 * signed_report.c - signed text documents (see signed_report.h).
 */
#include "export/signed_report.h"

#include "base/err.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#define BEGIN "-----BEGIN NVR SIGNATURE-----\n"
#define END "-----END NVR SIGNATURE-----\n"
#define MAX_REPORT (64 << 20)

/* The trailer for a body of len bytes, signature sig and public key pem. */
static char *trailer(size_t len, const char *fpr, const uint8_t sig[SIGN_SIG_BYTES], const char *pem)
{
    char b64[128];
    char *out = NULL;
    EVP_EncodeBlock((unsigned char *)b64, sig, SIGN_SIG_BYTES);
    if (asprintf(&out, BEGIN "algorithm: Ed25519\nsigned-bytes: %zu\nkey: %s\nsignature: %s\n%s" END, len, fpr, b64,
                 pem) < 0)
        return NULL;
    return out;
}

nvr_err signed_report_write(FILE *f, const struct sign_key *k, const char *body, size_t len)
{
    uint8_t sig[SIGN_SIG_BYTES];
    char *pem = NULL, fpr[SIGN_FPR_BUFSZ], *t = NULL;
    int rc;
    if (len < strlen(SIGNED_REPORT_MAGIC) || memcmp(body, SIGNED_REPORT_MAGIC, strlen(SIGNED_REPORT_MAGIC)) != 0 ||
        body[len - 1] != '\n')
        return NVR_EINVAL;
    if ((rc = sign_data(k, body, len, sig)) || (rc = sign_public_pem(k, &pem)) || (rc = sign_fingerprint(k, fpr)))
        goto out;
    if (!(t = trailer(len, fpr, sig, pem))) {
        rc = NVR_ENOMEM;
        goto out;
    }
    if (fwrite(body, 1, len, f) != len || fputs(t, f) < 0)
        rc = NVR_EIO;
out:
    free(t);
    free(pem);
    return rc;
}

/* The public key of pem written afresh by OpenSSL (NULL if unreadable):
 * base64 can spell the same bytes more than one way, the file must use
 * the one signing wrote. */
static char *canonical_pem(const char *pem)
{
    BIO *in = BIO_new_mem_buf(pem, -1), *out = BIO_new(BIO_s_mem());
    EVP_PKEY *pk = in ? PEM_read_bio_PUBKEY(in, NULL, NULL, NULL) : NULL;
    char *res = NULL, *data;
    if (pk && out && PEM_write_bio_PUBKEY(out, pk) == 1) {
        long n = BIO_get_mem_data(out, &data);
        if (n > 0 && (res = malloc((size_t)n + 1))) {
            memcpy(res, data, (size_t)n);
            res[n] = '\0';
        }
    }
    EVP_PKEY_free(pk);
    BIO_free(in);
    BIO_free(out);
    return res;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap || n >= MAX_REPORT)
            break;
        char *nb = realloc(buf, cap * 2 + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

int signed_report_is(const char *path)
{
    char head[32] = "";
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(head, 1, strlen(SIGNED_REPORT_MAGIC), f);
    fclose(f);
    return n == strlen(SIGNED_REPORT_MAGIC) && memcmp(head, SIGNED_REPORT_MAGIC, n) == 0;
}

/* The value of "NAME: value\n" at *p, advancing *p; NULL if the line is not that. */
static char *field(char **p, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(*p, name, n) != 0 || (*p)[n] != ':' || (*p)[n + 1] != ' ')
        return NULL;
    char *v = *p + n + 2, *nl = strchr(v, '\n');
    if (!nl)
        return NULL;
    *nl = '\0';
    *p = nl + 1;
    return v;
}

nvr_err signed_report_verify(const char *path, const char *pin, FILE *report, int *problems)
{
    size_t len = 0;
    char *buf = slurp(path, &len), *copy = NULL;
    *problems = 0;
    if (!buf) {
        fprintf(report, "FAILED: %s cannot be read\n", path);
        return NVR_EIO;
    }
    /* the last signature block: the body may quote anything */
    char *sig_at = NULL;
    for (char *s = buf; (s = strstr(s, "\n" BEGIN)); s++)
        sig_at = s + 1;
    if (len != strlen(buf) || !sig_at || strncmp(buf, SIGNED_REPORT_MAGIC, strlen(SIGNED_REPORT_MAGIC)) != 0) {
        (*problems)++;
        fprintf(report, "FAILED: %s is not a signed nvr report (or it holds a NUL byte)\n", path);
        goto out;
    }
    size_t body_len = (size_t)(sig_at - buf);
    if (!(copy = strdup(sig_at))) {
        free(buf);
        return NVR_ENOMEM;
    }
    char *p = copy + strlen(BEGIN), *alg, *nbytes, *key, *sig64;
    char *pem = NULL, *pem_end;
    uint8_t sig[66];
    if (!(alg = field(&p, "algorithm")) || !(nbytes = field(&p, "signed-bytes")) || !(key = field(&p, "key")) ||
        !(sig64 = field(&p, "signature")) || strncmp(p, "-----BEGIN PUBLIC KEY-----\n", 27) != 0 ||
        !(pem_end = strstr(p, "-----END PUBLIC KEY-----\n"))) {
        (*problems)++;
        fprintf(report, "FAILED: the signature block is malformed\n");
        goto out;
    }
    pem = p;
    pem_end += strlen("-----END PUBLIC KEY-----\n");
    char saved = *pem_end;
    *pem_end = '\0';
    int siglen = strlen(sig64) == 88 ? EVP_DecodeBlock(sig, (const unsigned char *)sig64, 88) : -1;
    char fpr[SIGN_FPR_BUFSZ] = "";
    int v = siglen == 66 ? sign_verify_pem(pem, strlen(pem), buf, body_len, sig, SIGN_SIG_BYTES, fpr) : NVR_EINVAL;
    if (v == NVR_OK) {
        fprintf(report, "ok: report signature (Ed25519 key %s) over %zu bytes\n", fpr, body_len);
    } else {
        (*problems)++;
        fprintf(report, "FAILED: %s\n",
                v == NVR_ECORRUPT ? "the signature does not match: the report was changed"
                                  : "the signature or public key cannot be read");
    }
    /* the block must be exactly what signing writes: nothing in it may differ either */
    if (v == NVR_OK) {
        char expect_len[32], *canon = canonical_pem(pem), *again = canon ? trailer(body_len, fpr, sig, canon) : NULL;
        free(canon);
        snprintf(expect_len, sizeof expect_len, "%zu", body_len);
        if (!again || strcmp(again, sig_at) != 0 || strcmp(alg, "Ed25519") != 0 || strcmp(nbytes, expect_len) != 0 ||
            strcmp(key, fpr) != 0) {
            (*problems)++;
            fprintf(report, "FAILED: the signature block was changed (it is not the one signing wrote)\n");
        }
        free(again);
    }
    *pem_end = saved;
    if (pin && fpr[0] && strcmp(pin, fpr) != 0) {
        (*problems)++;
        fprintf(report, "FAILED: signed by %s, not by the pinned key %s\n", fpr, pin);
    } else if (pin && fpr[0]) {
        fprintf(report, "ok: the signer is the pinned key\n");
    }
    if (!*problems) {
        char date[64] = "";
        const char *d = strstr(buf, "\nDate: ");
        if (d && d < sig_at)
            sscanf(d + 7, "%63[^\n]", date);
        fprintf(report, "ok: %s dated %s\n", path, date[0] ? date : "(no date)");
    }
out:
    free(copy);
    free(buf);
    return NVR_OK;
}
