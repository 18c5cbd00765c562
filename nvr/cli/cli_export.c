/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_export.c - `nvr export`, `nvr verify` (an export, a redacted copy
 * and its chain with --derived, the storage) and `nvr version --key`
 * (docs/ref/cli.md).
 *
 * `nvr export` works while `nvr run` records: it reads the index through a
 * second SQLite connection and the segment files read-only, and signs with
 * the same key (data_dir/signing-key.pem, created if this is the first
 * use).  The operator recorded is the Unix user running the command; with
 * accounts (issue 5) this stays so for the command line.
 */
#include "cli/cli.h"

#include "base/clock.h"
#include "base/config.h"
#include "base/err.h"
#include "export/export.h"
#include "export/export_district.h"
#include "export/sign.h"
#include "export/signed_report.h"
#include "storage/access_log.h"
#include "storage/archive.h"
#include "storage/storage.h"
#include "version.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct export_opts {
    const char *config, *cameras, *from, *to, *out, *reason, *case_id;
    int native, burn_time, storage, key, quiet;
    const char *positional;
};

static int parse(int argc, char **argv, struct export_opts *o)
{
    memset(o, 0, sizeof *o);
    const struct cli_option opts[] = {
        {"config", 'c', &o->config, NULL},
        {"camera", 0, &o->cameras, NULL},
        {"from", 0, &o->from, NULL},
        {"to", 0, &o->to, NULL},
        {"output", 'o', &o->out, NULL},
        {"reason", 0, &o->reason, NULL},
        {"case", 0, &o->case_id, NULL},
        {"native", 0, NULL, &o->native},
        {"storage", 0, NULL, &o->storage},
        {"key", 0, NULL, &o->key},
        {"quiet", 'q', NULL, &o->quiet},
        {"burn-time", 0, NULL, &o->burn_time},
        {NULL, 0, NULL, NULL},
    };
    return cli_parse(argc, argv, opts, &o->positional);
}

static int progress_bar(void *arg, double f)
{
    (void)arg;
    fprintf(stderr, "\rexporting %5.1f%%", f * 100);
    return 0;
}

int cli_export(int argc, char **argv)
{
    struct export_opts o;
    struct nvr_config *cfg = NULL;
    struct storage *st = NULL;
    struct archive *arc = NULL;
    struct sign_key *key = NULL;
    struct export_request *req = NULL;
    char err[512];
    int status = 2, rc;
    if (parse(argc, argv, &o) || o.positional || !o.config || !o.cameras || !o.from || !o.to || !o.out) {
        fprintf(stderr, "usage: nvr export -c FILE --camera ID[,ID...] --from T --to T -o OUT.zip "
                        "[--reason TEXT] [--case ID] [--native] [--burn-time]\n");
        return 2;
    }
    if (!(req = calloc(1, sizeof *req)))
        return 1;
    if (nvr_clock_parse_rfc3339(o.from, &req->from_us) || nvr_clock_parse_rfc3339(o.to, &req->to_us)) {
        fprintf(stderr, "nvr: --from/--to must be RFC 3339 times, e.g. 2026-11-22T04:00:00Z\n");
        goto out;
    }
    char list[EXPORT_MAX_CAMERAS * INDEX_ID_MAX];
    snprintf(list, sizeof list, "%s", o.cameras);
    for (char *save = NULL, *id = strtok_r(list, ",", &save); id; id = strtok_r(NULL, ",", &save)) {
        if (req->ncameras == EXPORT_MAX_CAMERAS || strlen(id) >= INDEX_ID_MAX) {
            fprintf(stderr, "nvr: at most %d camera ids\n", EXPORT_MAX_CAMERAS);
            goto out;
        }
        snprintf(req->cameras[req->ncameras++], INDEX_ID_MAX, "%s", id);
    }
    if ((o.reason && strlen(o.reason) >= sizeof req->reason) ||
        (o.case_id && strlen(o.case_id) >= sizeof req->case_id)) {
        fprintf(stderr, "nvr: --reason and --case are limited to %d bytes\n", EXPORT_TEXT_MAX - 1);
        goto out;
    }
    snprintf(req->reason, sizeof req->reason, "%s", o.reason ? o.reason : "");
    snprintf(req->case_id, sizeof req->case_id, "%s", o.case_id ? o.case_id : "");
    struct passwd *pw = getpwuid(getuid());
    snprintf(req->operator_name, sizeof req->operator_name, "%s", pw && pw->pw_name ? pw->pw_name : "local");
    req->native = o.native;
    req->burn_time = o.burn_time;
    status = 1;
    if (nvr_config_load(o.config, &cfg, stderr) != NVR_OK)
        goto out;
    if (export_check_request(req, err, sizeof err)) {
        fprintf(stderr, "nvr: %s\n", err);
        status = 2;
        goto out;
    }
    if ((rc = storage_open(&st, cfg->data_dir, 0))) {
        fprintf(stderr, "nvr: cannot open storage in %s: %s\n", cfg->data_dir, nvr_strerror(rc));
        goto out;
    }
    if ((rc = cli_archive_start(cfg, st, 1, &arc))) { /* archived footage is read back from the bucket */
        fprintf(stderr, "nvr: cannot use the archive tier: %s\n", nvr_strerror(rc));
        goto out;
    }
    /* a camera of the config file, or one the index knows (added over HTTP, or removed since) */
    char **known = NULL;
    size_t nknown = 0;
    index_cameras(storage_index(st), &known, &nknown);
    for (size_t i = 0; i < req->ncameras && status != 2; i++) {
        const struct nvr_camera_config *cam = nvr_config_camera(cfg, req->cameras[i]);
        int found = cam != NULL;
        for (size_t k = 0; k < nknown && !found; k++)
            found = strcmp(known[k], req->cameras[i]) == 0;
        if (!found) {
            fprintf(stderr, "nvr: no camera \"%s\" in %s or the index\n", req->cameras[i], cfg->path);
            status = 2;
        }
        snprintf(req->names[i], sizeof req->names[i], "%s", cam && cam->name ? cam->name : "");
    }
    for (size_t k = 0; k < nknown; k++)
        free(known[k]);
    free(known);
    if (status == 2)
        goto out;
    if ((rc = sign_key_load_or_create(cfg->data_dir, &key))) {
        fprintf(stderr, "nvr: cannot load the signing key in %s: %s\n", cfg->data_dir, nvr_strerror(rc));
        goto out;
    }
    int has = export_has_footage(storage_index(st), req);
    if (has <= 0) {
        fprintf(stderr, "nvr: export failed: %s\n",
                has < 0 ? "cannot read the index" : "nothing was recorded in that range");
        goto out;
    }
    export_request_devices(req, cfg->data_dir);
    /* the disclosure record, as for an export over HTTP (the manifest lists these entries) */
    if ((rc = export_new_id(req->ref))) {
        fprintf(stderr, "nvr: no random numbers: %s\n", nvr_strerror(rc));
        goto out;
    }
    req->requested_us = nvr_clock_now_us();
    for (size_t i = 0; i < req->ncameras; i++) {
        char detail[EXPORT_REF_MAX + 16];
        snprintf(detail, sizeof detail, "export=%s", req->ref);
        if ((rc = access_log_append(storage_index(st), req->requested_us, req->operator_name, "cli", "export_created",
                                    req->cameras[i], detail))) {
            fprintf(stderr, "nvr: cannot write the access log: %s\n", nvr_strerror(rc));
            goto out;
        }
    }
    uint64_t bytes = 0;
    int64_t t0 = nvr_clock_mono_us();
    int tty = isatty(STDERR_FILENO) && !o.quiet;
    rc = export_run(st, key, req, o.out, tty ? progress_bar : NULL, NULL, &bytes, err, sizeof err);
    if (tty)
        fputc('\n', stderr);
    if (rc) {
        fprintf(stderr, "nvr: export failed: %s\n", err);
        goto out;
    }
    printf("%s: %llu bytes in %.2f s\n", o.out, (unsigned long long)bytes, (nvr_clock_mono_us() - t0) / 1e6);
    status = 0;
out:
    sign_key_free(&key);
    archive_stop(&arc);
    storage_close(&st);
    nvr_config_free(&cfg);
    free(req);
    return status;
}

/* The fingerprint to pin for `nvr verify EXPORT.zip`: from --fingerprint,
 * the public (or private) key PEM in --key FILE, or the recorder's own key
 * (-c FILE); "" if none is asked for.  Non-zero (after a message) if the
 * one asked for cannot be had. */
static int pinned_fingerprint(const char *fingerprint, const char *key_file, const char *config,
                              char pin[SIGN_FPR_BUFSZ])
{
    pin[0] = '\0';
    if (!!fingerprint + !!key_file + !!config > 1) {
        fprintf(stderr, "nvr: give one of --fingerprint, --key and -c\n");
        return 2;
    }
    if (fingerprint && sign_fingerprint_parse(fingerprint, pin)) {
        fprintf(stderr, "nvr: --fingerprint wants sha256:HEX or the 64 hex digits `nvr version --key` prints\n");
        return 2;
    }
    if (key_file) {
        char buf[65536];
        FILE *f = fopen(key_file, "r");
        size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        buf[n] = '\0';
        if (!f || sign_pem_fingerprint(buf, n, pin)) {
            fprintf(stderr, "nvr: %s: %s\n", key_file, f ? "no Ed25519 key (PEM) in it" : strerror(errno));
            return 2;
        }
    }
    if (config) {
        struct nvr_config *cfg = NULL;
        struct sign_key *key = NULL;
        int rc = nvr_config_load(config, &cfg, stderr);
        if (rc == NVR_OK && (rc = sign_key_load(cfg->data_dir, &key)) == NVR_OK)
            rc = sign_fingerprint(key, pin);
        if (rc && cfg)
            fprintf(stderr, "nvr: cannot read the recorder's signing key in %s: %s\n", cfg->data_dir, nvr_strerror(rc));
        sign_key_free(&key);
        nvr_config_free(&cfg);
        if (rc)
            return 1;
    }
    return 0;
}

/* Verifies path with fn (a signed zip or report), pinned to pin when it is
 * not empty, else warning that "who" path is not pinned: the exit status. */
static int verify_file(nvr_err (*fn)(const char *, const char *, FILE *, int *), const char *path, const char *pin,
                       const char *who)
{
    int problems = 0;
    if (fn(path, pin[0] ? pin : NULL, stdout, &problems))
        return 1;
    if (!pin[0])
        fprintf(stderr,
                "nvr: WARNING: %s %s is not pinned; compare its fingerprint out of band or use --fingerprint, "
                "--key or -c\n",
                who, path);
    return problems ? 1 : 0;
}

int cli_verify_export(int argc, char **argv)
{
    struct export_opts o;
    struct nvr_config *cfg = NULL;
    struct storage *st = NULL;
    const char *fingerprint = NULL, *key_file = NULL, *derived = NULL;
    char pin[SIGN_FPR_BUFSZ];
    int status = 1, rc, problems = 0;
    memset(&o, 0, sizeof o);
    const struct cli_option opts[] = {
        {"config", 'c', &o.config, NULL},
        {"storage", 0, NULL, &o.storage},
        {"fingerprint", 0, &fingerprint, NULL},
        {"key", 0, &key_file, NULL},
        {"derived", 0, &derived, NULL},
        {"pin", 0, &fingerprint, NULL},
        {NULL, 0, NULL, NULL},
    };
    if (cli_parse(argc, argv, opts, &o.positional) || !o.positional == !o.storage ||
        (o.storage && (!o.config || fingerprint || key_file || derived))) {
        fprintf(stderr, "usage: nvr verify EXPORT.zip|REPORT [--derived REDACTED.zip] [--fingerprint HEX | --key FILE "
                        "| -c FILE] | nvr verify -c FILE --storage | nvr verify -c FILE --log\n");
        return 2;
    }
    if (!o.storage) {
        if ((status = pinned_fingerprint(fingerprint, key_file, o.config, pin)))
            return status;
        if (signed_report_is(o.positional)) /* `nvr audit --signed-report` (signed_report.h) */
            return verify_file(signed_report_verify, o.positional, pin, "the signer of");
        if (!derived && export_district_is(o.positional)) /* the console's (export_district.h) */
            return verify_file(export_district_verify, o.positional, pin, "the console that signed");
        if (derived) { /* the chain: a redacted copy -> its original (export_chain.c) */
            if (export_verify_chain(o.positional, derived, pin[0] ? pin : NULL, stdout, &problems))
                return 1;
            if (!pin[0])
                fprintf(stderr, "nvr: WARNING: the signer is not pinned; compare its fingerprint out of band or use "
                                "--fingerprint, --key or -c\n");
            return problems ? 1 : 0;
        }
        return verify_file(export_verify_pinned, o.positional, pin, "the signer of");
    }
    if (nvr_config_load(o.config, &cfg, stderr) != NVR_OK)
        goto out;
    if ((rc = storage_open(&st, cfg->data_dir, 0))) {
        fprintf(stderr, "nvr: cannot open storage in %s: %s\n", cfg->data_dir, nvr_strerror(rc));
        goto out;
    }
    uint64_t checked = 0;
    if ((rc = storage_verify(st, stdout, &checked, &problems))) {
        fprintf(stderr, "nvr: storage verification failed: %s\n", nvr_strerror(rc));
        goto out;
    }
    printf("storage: %llu segment%s verified, %d altered or missing\n", (unsigned long long)checked,
           checked == 1 ? "" : "s", problems);
    status = problems ? 1 : 0;
out:
    storage_close(&st);
    nvr_config_free(&cfg);
    return status;
}

int cli_version_key(int argc, char **argv)
{
    struct export_opts o;
    struct nvr_config *cfg = NULL;
    struct sign_key *key = NULL;
    char *pem = NULL, fpr[SIGN_FPR_BUFSZ];
    int status = 1, rc;
    if (parse(argc, argv, &o) || o.positional || (o.key && !o.config)) {
        fprintf(stderr, "usage: nvr version [--key -c FILE]\n");
        return 2;
    }
    printf("nvr %s\n", NVR_VERSION);
    if (!o.key)
        return 0;
    if (nvr_config_load(o.config, &cfg, stderr) != NVR_OK)
        goto out;
    if ((rc = sign_key_load_or_create(cfg->data_dir, &key)) || (rc = sign_public_pem(key, &pem)) ||
        (rc = sign_fingerprint(key, fpr))) {
        fprintf(stderr, "nvr: cannot read the signing key in %s: %s\n", cfg->data_dir, nvr_strerror(rc));
        goto out;
    }
    printf("signing key: Ed25519 %s\n%s", fpr, pem);
    status = 0;
out:
    free(pem);
    sign_key_free(&key);
    nvr_config_free(&cfg);
    return status;
}
