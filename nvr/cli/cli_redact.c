/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_redact.c - `nvr redact -c FILE EXPORT.zip REDACTIONS.json OUT.zip`
 * (docs/ref/cli.md, docs/guide/records-requests.md).
 *
 * Reads and checks the redactions document (redact_doc.h) before any
 * work, makes the redacted copy with the recorder's key (redact.h), and
 * on success writes `export_redacted` to the access log, one entry per
 * camera, with the request's number and requester.  The operator is the
 * Unix user, as for `nvr export`.  Exit 0 done, 1 failed (the original
 * does not verify, the render failed), 2 a bad command line or document.
 *
 * `nvr redact --detect-faces EXPORT.zip PROPOSED.json` renders nothing: it
 * writes the shapes the face detector proposes (redact_detect.h), for a
 * person to review, correct and complete before the real run.
 */
#include "cli/cli.h"

#include "base/clock.h"
#include "base/config.h"
#include "base/err.h"
#include "export/sign.h"
#include "redact/redact.h"
#include "redact/redact_detect.h"
#include "storage/access_log.h"
#include "storage/storage.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int progress_bar(void *arg, double f)
{
    (void)arg;
    fprintf(stderr, "\rredacting %5.1f%%", f * 100);
    return 0;
}

/* The document file into a new buffer; NULL after a message. */
static char *read_doc(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    if (!f) {
        fprintf(stderr, "nvr: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    if (!(buf = malloc(REDACT_DOC_MAX_FILE + 1))) {
        fclose(f);
        return NULL;
    }
    *len = fread(buf, 1, REDACT_DOC_MAX_FILE + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || *len > REDACT_DOC_MAX_FILE) {
        fprintf(stderr, "nvr: %s: %s\n", path, bad ? "cannot be read" : "larger than 4 MiB");
        free(buf);
        return NULL;
    }
    return buf;
}

static int detect_faces(const char *export_zip, const char *out, const char *every, const char *cascade)
{
    struct redact_doc *doc = NULL;
    struct redact_detect_stats st;
    char err[512];
    double every_s = 0.2;
    if (every && cli_seconds(every, "--every", 60, &every_s))
        return 2;
    int64_t t0 = nvr_clock_mono_us();
    int rc = redact_detect_export(export_zip, cascade, every_s, &doc, &st, err, sizeof err);
    if (rc) {
        fprintf(stderr, "nvr: face detection failed: %s\n", err);
        return 1;
    }
    FILE *f = fopen(out, "w");
    if (!f) {
        fprintf(stderr, "nvr: %s: %s\n", out, strerror(errno));
        redact_doc_free(&doc);
        return 1;
    }
    redact_doc_write(f, doc);
    int bad = fclose(f) != 0;
    redact_doc_free(&doc);
    if (bad) {
        fprintf(stderr, "nvr: %s: cannot be written\n", out);
        return 1;
    }
    printf("%s: %zu proposed shape%s (%llu faces found in %llu frames sampled every %.2f s, %.1f s)\n"
           "REVIEW EVERY PROPOSAL: the detector misses faces (turned away, small, dark, covered) and "
           "proposes things that are not faces; check each frame of the ranges, correct and add shapes, then "
           "run nvr redact with the reviewed document.\n",
           out, st.tracks, st.tracks == 1 ? "" : "s", (unsigned long long)st.detections,
           (unsigned long long)st.frames_sampled, every_s, (nvr_clock_mono_us() - t0) / 1e6);
    return 0;
}

int cli_redact(int argc, char **argv)
{
    const char *config = NULL, *request = NULL, *requester = NULL, *preset = NULL, *pos[3];
    const char *every = NULL, *cascade = NULL;
    int quiet = 0, status = 2, rc, detect = 0;
    size_t npos = 0, doclen = 0;
    struct nvr_config *cfg = NULL;
    struct storage *st = NULL;
    struct sign_key *key = NULL;
    struct redact_doc *doc = NULL;
    struct redact_request req = {0};
    struct redact_result res;
    char err[512], *text = NULL;
    const struct cli_option opts[] = {
        {"config", 'c', &config, NULL}, {"request", 0, &request, NULL}, {"requester", 0, &requester, NULL},
        {"preset", 0, &preset, NULL},   {"quiet", 'q', NULL, &quiet},   {"detect-faces", 0, NULL, &detect},
        {"every", 0, &every, NULL},     {"cascade", 0, &cascade, NULL}, {NULL, 0, NULL, NULL},
    };
    if (!cli_parse_n(argc, argv, opts, pos, 3, &npos) && detect && npos == 2)
        return detect_faces(pos[0], pos[1], every, cascade);
    if (cli_parse_n(argc, argv, opts, pos, 3, &npos) || npos != 3 || !config || detect) {
        fprintf(stderr,
                "usage: nvr redact -c FILE EXPORT.zip REDACTIONS.json OUT.zip [--request NUMBER] "
                "[--requester NAME] [--preset X264PRESET] [-q]\n"
                "       nvr redact --detect-faces EXPORT.zip PROPOSED.json [--every SECONDS] [--cascade XML]\n");
        return 2;
    }
    if ((request && strlen(request) >= sizeof req.request_number) ||
        (requester && strlen(requester) >= sizeof req.requester)) {
        fprintf(stderr, "nvr: --request and --requester are limited to %d bytes\n", REDACT_TEXT_MAX - 1);
        return 2;
    }
    snprintf(req.request_number, sizeof req.request_number, "%s", request ? request : "");
    snprintf(req.requester, sizeof req.requester, "%s", requester ? requester : "");
    struct passwd *pw = getpwuid(getuid());
    snprintf(req.operator_name, sizeof req.operator_name, "%s", pw && pw->pw_name ? pw->pw_name : "local");
    req.preset = preset;
    if (redact_check_request(&req, err, sizeof err)) {
        fprintf(stderr, "nvr: %s\n", err);
        return 2;
    }
    if (!(text = read_doc(pos[1], &doclen)))
        goto out;
    if ((rc = redact_doc_parse(text, doclen, &doc, err, sizeof err))) {
        fprintf(stderr, "nvr: %s: %s\n", pos[1], err);
        goto out;
    }
    status = 1;
    if (nvr_config_load(config, &cfg, stderr) != NVR_OK)
        goto out;
    if ((rc = sign_key_load(cfg->data_dir, &key))) {
        fprintf(stderr, "nvr: cannot load the signing key in %s: %s\n", cfg->data_dir, nvr_strerror(rc));
        goto out;
    }
    if ((rc = storage_open(&st, cfg->data_dir, 0))) {
        fprintf(stderr, "nvr: cannot open storage in %s: %s\n", cfg->data_dir, nvr_strerror(rc));
        goto out;
    }
    if ((rc = export_new_id(req.ref))) {
        fprintf(stderr, "nvr: no random numbers: %s\n", nvr_strerror(rc));
        goto out;
    }
    int tty = isatty(STDERR_FILENO) && !quiet;
    rc = redact_run(key, pos[0], doc, &req, pos[2], tty ? progress_bar : NULL, NULL, &res, err, sizeof err);
    if (tty)
        fputc('\n', stderr);
    if (rc) {
        fprintf(stderr, "nvr: redact failed: %s\n", err);
        goto out;
    }
    /* the disclosure record: who released what, for which request */
    char detail[ACCESS_TEXT_MAX], cams[sizeof res.cameras];
    redact_log_detail(&req, &res, detail, sizeof detail);
    snprintf(cams, sizeof cams, "%s", res.cameras);
    int64_t now = nvr_clock_now_us();
    for (char *save = NULL, *c = strtok_r(cams, ",", &save); c; c = strtok_r(NULL, ",", &save))
        if ((rc = access_log_append(storage_index(st), now, req.operator_name, "cli", "export_redacted", c, detail))) {
            fprintf(stderr, "nvr: cannot write the access log: %s\n", nvr_strerror(rc));
            goto out;
        }
    double fps = res.render_seconds > 0 ? (double)res.frames / res.render_seconds : 0;
    printf("%s: %llu bytes; %llu frames (%dx%d, %.2f s of video) rendered in %.2f s: %.1f fps, %.2fx real time\n",
           pos[2], (unsigned long long)res.zip_bytes, (unsigned long long)res.frames, res.width, res.height,
           res.video_seconds, res.render_seconds, fps,
           res.render_seconds > 0 ? res.video_seconds / res.render_seconds : 0);
    status = 0;
out:
    redact_doc_free(&doc);
    free(text);
    storage_close(&st);
    sign_key_free(&key);
    nvr_config_free(&cfg);
    return status;
}
