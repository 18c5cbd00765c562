/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_cert.c - `nvr cert -c FILE --self-signed [--force]`: makes a key and a
 * self-signed certificate for a lab or a first start, written to the
 * config's tls_key (mode 0600) and tls_cert.  An ECDSA P-256 key (OpenSSL's
 * libcrypto, already linked for hashing); the certificate is valid 825 days
 * for the machine's host name, localhost, 127.0.0.1 and the listen address.
 * Browsers will warn about it: for production, use a certificate from the
 * district's CA or ACME.
 */
#include "cli/cli.h"

#include "base/config.h"
#include "base/err.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return -1;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

static int is_ip(const char *s)
{
    return strspn(s, "0123456789.") == strlen(s) || strchr(s, ':') != NULL;
}

/* Makes the pair; 0 on success. */
static int make_pair(const struct nvr_config *cfg, FILE *keyf, FILE *certf)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    char host[256] = "localhost", san[1024];
    int rc = -1;
    if (!key || !x)
        goto out;
    gethostname(host, sizeof host - 1);
    snprintf(san, sizeof san, "DNS:%s,DNS:localhost,IP:127.0.0.1,IP:::1%s%s", host,
             is_ip(cfg->listen_host) ? ",IP:" : ",DNS:", cfg->listen_host);
    X509_set_version(x, 2);
    uint64_t serial;
    FILE *ur = fopen("/dev/urandom", "rb");
    if (!ur || fread(&serial, sizeof serial, 1, ur) != 1) {
        if (ur)
            fclose(ur);
        goto out;
    }
    fclose(ur);
    ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial >> 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 825L * 86400);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"nvr (self-signed)", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)host, -1, -1, 0);
    X509_set_issuer_name(x, name);
    if (add_ext(x, NID_subject_alt_name, san) || add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
        add_ext(x, NID_key_usage, "critical,digitalSignature") || add_ext(x, NID_ext_key_usage, "serverAuth"))
        goto out;
    if (!X509_sign(x, key, EVP_sha256()))
        goto out;
    if (!PEM_write_PrivateKey(keyf, key, NULL, NULL, 0, NULL, NULL) || !PEM_write_X509(certf, x))
        goto out;
    rc = 0;
out:
    X509_free(x);
    EVP_PKEY_free(key);
    return rc;
}

int cli_cert(int argc, char **argv)
{
    const char *config = NULL;
    int self_signed = 0, force = 0, status = 1;
    struct nvr_config *cfg = NULL;
    FILE *keyf = NULL, *certf = NULL;
    const struct cli_option opts[] = {
        {"config", 'c', &config, NULL},
        {"self-signed", 0, NULL, &self_signed},
        {"force", 0, NULL, &force},
        {NULL, 0, NULL, NULL},
    };
    if (cli_parse(argc, argv, opts, NULL) || !config || !self_signed) {
        fprintf(stderr, "nvr: usage: nvr cert -c FILE --self-signed [--force]\n");
        return 2;
    }
    if (nvr_config_load(config, &cfg, stderr) != NVR_OK)
        return 1;
    if (!cfg->tls_cert || !cfg->tls_key) {
        fprintf(stderr, "nvr: %s: set tls_cert and tls_key in [server] to where the pair should go\n", cfg->path);
        goto out;
    }
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL);
    int kfd = open(cfg->tls_key, flags, 0600);
    int cfd = kfd >= 0 ? open(cfg->tls_cert, flags, 0644) : -1;
    if (kfd < 0 || cfd < 0) {
        fprintf(stderr, "nvr: cannot create %s: %s%s\n", kfd < 0 ? cfg->tls_key : cfg->tls_cert, strerror(errno),
                errno == EEXIST ? " (--force replaces it)" : "");
        if (kfd >= 0)
            close(kfd);
        goto out;
    }
    fchmod(kfd, 0600);
    keyf = fdopen(kfd, "w");
    certf = fdopen(cfd, "w");
    if (!keyf || !certf || make_pair(cfg, keyf, certf)) {
        fprintf(stderr, "nvr: cannot make the certificate\n");
        goto out;
    }
    printf("wrote %s and %s (self-signed, 825 days)\n", cfg->tls_key, cfg->tls_cert);
    status = 0;
out:
    if (keyf)
        fclose(keyf);
    if (certf)
        fclose(certf);
    nvr_config_free(&cfg);
    return status;
}
