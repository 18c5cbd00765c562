/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_audit.c - `nvr audit` (the NDAA compliance report) and `nvr discover`
 * (WS-Discovery).  See docs/ref/cli.md and docs/design/audit.md.
 *
 * `nvr audit` probes only with --probe (opt-in per run); without it the
 * report is judged from the observations stored by earlier runs
 * (data_dir/audit.json), with the current vendor data file.
 */
#include "cli/cli.h"

#include "audit/audit.h"
#include "base/clock.h"
#include "base/config.h"
#include "base/err.h"
#include "base/json.h"
#include "audit/wsdiscovery.h"
#include "export/sign.h"
#include "export/signed_report.h"
#include "version.h"

#include <errno.h>
#include <unistd.h>

#include <stdlib.h>
#include <string.h>

/* `--signed-report OUT`: the audit and containment report as one dated
 * text document signed with the recorder's Ed25519 key (data_dir's, the
 * one exports are signed with; created if this is the first use), for a
 * compliance file; `nvr verify OUT` checks it (docs/guide/compliance.md). */
static int write_signed_report(const char *out_path, const struct nvr_config *cfg, const struct vendors *v,
                               const char *vendors_path, const struct audit_store *st, struct audit_contain_opts *co)
{
    struct sign_key *key = NULL;
    struct audit_contain c = {0};
    char *body = NULL, fpr[SIGN_FPR_BUFSZ], when[NVR_TIME_BUFSZ], host[256] = "";
    size_t len = 0;
    int rc;
    if ((rc = sign_key_load_or_create(cfg->data_dir, &key)) || (rc = sign_fingerprint(key, fpr))) {
        fprintf(stderr, "nvr: cannot read the signing key in %s: %s\n", cfg->data_dir, nvr_strerror(rc));
        sign_key_free(&key);
        return 1;
    }
    if (audit_contain_targets(v, cfg, st, &c)) {
        sign_key_free(&key);
        return 1;
    }
    co->now_us = nvr_clock_now_us();
    nvr_clock_format_rfc3339(co->now_us, when);
    gethostname(host, sizeof host - 1);
    FILE *f = open_memstream(&body, &len);
    if (!f) {
        audit_contain_clear(&c);
        sign_key_free(&key);
        return 1;
    }
    fputs(SIGNED_REPORT_MAGIC, f);
    fprintf(f,
            "Title: NDAA section 889 camera audit and containment report\n"
            "Date: %s\n"
            "Recorder: %s (nvr %s, configuration %s)\n"
            "Signed with: the recorder's Ed25519 key %s (compare with `nvr version --key`)\n"
            "Vendor data file: %s\n"
            "Cameras: %zu configured; %zu to contain (covered, white label or exposed)\n\n",
            when, host, NVR_VERSION, cfg->path, fpr, vendors_path, cfg->ncameras, c.n);
    fputs("== 1. The audit: verdicts, evidence and exposure per camera ==\n", f);
    audit_write_text(f, v, cfg, st);
    fputs("\n== 2. Containment: the cameras and who may reach them ==\n", f);
    co->format = AUDIT_FW_TABLE;
    audit_contain_write(f, &c, co);
    fputs("\n== 3. Containment rules (nftables, for the router or firewall that forwards the cameras' traffic) ==\n",
          f);
    co->format = AUDIT_FW_NFT;
    audit_contain_write(f, &c, co);
    fputs("\n== 4. The same audit as data (JSON) ==\n", f);
    audit_write_json(f, v, cfg, st, co->now_us);
    fputs("\n\n== 5. What this report shows and what it cannot prove ==\n"
          "It shows what each camera said about itself when it was last probed (the times are in\n"
          "section 1), judged against the vendor data file named above, and the rules the recorder\n"
          "wrote to contain the covered and exposed cameras. The signature proves that this recorder's\n"
          "key signed this text on the date above and that no byte has changed since (nvr verify).\n"
          "It cannot prove that the rules are loaded where the cameras' traffic passes (the firewall's\n"
          "own configuration and logs are that evidence), that a device told the truth, that a camera\n"
          "not flagged is free of vulnerabilities, or anything about components inside a device; the\n"
          "verdicts are heuristic evidence, not legal advice. See docs/guide/compliance.md.\n",
          f);
    rc = fclose(f) ? NVR_ENOMEM : NVR_OK;
    audit_contain_clear(&c);
    FILE *o = rc ? NULL : fopen(out_path, "w");
    if (!rc && !o) {
        fprintf(stderr, "nvr: cannot write %s: %s\n", out_path, strerror(errno));
        rc = NVR_EIO;
    }
    if (o) {
        rc = signed_report_write(o, key, body, len);
        if (fclose(o) != 0 && !rc)
            rc = NVR_EIO;
        if (rc)
            fprintf(stderr, "nvr: cannot write the signed report %s: %s\n", out_path, nvr_strerror(rc));
        else
            printf("%s: signed report dated %s, Ed25519 key %s\n", out_path, when, fpr);
    }
    free(body);
    sign_key_free(&key);
    return rc ? 1 : 0;
}

/* scheme, host and port of url (credentials dropped); -1 if not a URL. */
static int url_dest(const char *url, char scheme[16], char host[256], int *port)
{
    const char *sep = url ? strstr(url, "://") : NULL;
    if (!sep || sep == url || (size_t)(sep - url) >= 16)
        return -1;
    snprintf(scheme, 16, "%.*s", (int)(sep - url), url);
    const char *a = sep + 3, *end = a + strcspn(a, "/?#"), *at = NULL;
    for (const char *q = a; q < end; q++)
        if (*q == '@')
            at = q;
    if (at)
        a = at + 1;
    const char *colon = NULL;
    if (*a == '[') {
        const char *rb = memchr(a, ']', (size_t)(end - a));
        if (!rb)
            return -1;
        snprintf(host, 256, "%.*s", (int)(rb - a - 1), a + 1);
        colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = memchr(a, ':', (size_t)(end - a));
        snprintf(host, 256, "%.*s", (int)((colon ? colon : end) - a), a);
    }
    *port = colon                          ? atoi(colon + 1)
            : strcmp(scheme, "rtsp") == 0  ? 554
            : strcmp(scheme, "rtsps") == 0 ? 322
            : strcmp(scheme, "https") == 0 ? 443
                                           : 80;
    return host[0] ? 0 : -1;
}

/* `--self`: every outbound destination the recorder's configuration makes
 * it contact (issue 22 item 4), so a district can compare it with its
 * firewall log. */
static void write_self(FILE *f, const struct nvr_config *cfg, int json)
{
    static const char notice[] =
        "nvr contacts nothing else: no update check, telemetry, cloud relay or time service of its own. "
        "`nvr discover` sends one WS-Discovery probe to 239.255.255.250:3702 (TTL 1) only when asked. "
        "The operating system's own traffic (DNS, NTP, package updates) is not the recorder's and is not listed.";
    int first = 1;
    if (json)
        fputs("{\"config\":", f), json_write_string(f, cfg->path), fputs(",\"destinations\":[", f);
    else
        fprintf(f, "The recorder's outbound destinations, from %s:\n", cfg->path);
    for (size_t i = 0; i < cfg->ncameras; i++) {
        const struct nvr_camera_config *cam = &cfg->cameras[i];
        char onvif_default[300] = "", scheme[16], host[256];
        int port;
        struct {
            const char *url, *purpose;
        } d[3] = {{cam->url, "recording (url)"},
                  {cam->sub_url, "sub stream for live view (sub_url)"},
                  {cam->onvif, "ONVIF and the audit probe, only when asked (onvif)"}};
        if (!cam->onvif && url_dest(cam->url, scheme, host, &port) == 0) {
            snprintf(onvif_default, sizeof onvif_default, "http://%s%s%s/", strchr(host, ':') ? "[" : "", host,
                     strchr(host, ':') ? "]" : "");
            d[2].url = onvif_default;
            d[2].purpose = "ONVIF and the audit probe, only when asked (the camera's port 80)";
        }
        for (int k = 0; k < 3; k++) {
            if (!d[k].url || url_dest(d[k].url, scheme, host, &port))
                continue;
            if (json) {
                fputs(first ? "{\"camera\":" : ",{\"camera\":", f);
                json_write_string(f, cam->id);
                fputs(",\"purpose\":", f);
                json_write_string(f, d[k].purpose);
                fputs(",\"scheme\":", f);
                json_write_string(f, scheme);
                fputs(",\"host\":", f);
                json_write_string(f, host);
                fprintf(f, ",\"port\":%d}", port);
            } else {
                fprintf(f, "  camera %-16s %-6s %s%s%s:%d  %s\n", cam->id, scheme, strchr(host, ':') ? "[" : "", host,
                        strchr(host, ':') ? "]" : "", port, d[k].purpose);
            }
            first = 0;
        }
    }
    if (json) {
        fputs("],\"alert_channels\":[],\"notice\":", f);
        json_write_string(f, notice);
        fputs("}\n", f);
    } else {
        fprintf(f, "Alert channels: none (this build has no alert configuration).\n%s\n", notice);
    }
}

int cli_audit(int argc, char **argv)
{
    const char *config = NULL, *camera = NULL, *vendors_path = NULL, *oui = NULL, *timeout = NULL;
    const char *firewall = NULL, *allow = NULL, *recorder = NULL, *signed_out = NULL;
    int self = 0;
    struct audit_contain_opts co = {0};
    char allow_buf[512];
    int json = 0, csv = 0, probe = 0, status = 1, rc;
    char default_vendors[4096];
    double timeout_s = 4;
    struct nvr_config *cfg = NULL;
    struct vendors *v = NULL;
    struct audit_store st = {0};
    const struct cli_option opts[] = {
        {"config", 'c', &config, NULL},   {"json", 0, NULL, &json},
        {"csv", 0, NULL, &csv},           {"probe", 0, NULL, &probe},
        {"camera", 0, &camera, NULL},     {"vendors", 0, &vendors_path, NULL},
        {"oui", 0, &oui, NULL},           {"timeout", 0, &timeout, NULL},
        {"firewall", 0, &firewall, NULL}, {"allow", 0, &allow, NULL},
        {"recorder", 0, &recorder, NULL}, {"signed-report", 0, &signed_out, NULL},
        {"self", 0, NULL, &self},         {NULL, 0, NULL, NULL},
    };
    if (cli_parse(argc, argv, opts, NULL) || cli_need_config(config) ||
        (timeout && cli_seconds(timeout, "--timeout", 60, &timeout_s)))
        return 2;
    if (json + csv + !!firewall + !!signed_out > 1) {
        fprintf(stderr, "nvr: --json, --csv, --firewall and --signed-report exclude each other\n");
        return 2;
    }
    if (firewall && audit_firewall_parse(firewall, &co.format)) {
        fprintf(stderr, "nvr: --firewall must be nft, iptables or table\n");
        return 2;
    }
    if ((allow || recorder) && !firewall && !signed_out) {
        fprintf(stderr, "nvr: --allow and --recorder go with --firewall or --signed-report\n");
        return 2;
    }
    if (allow) { /* ADDR[,ADDR...]: address literals only, nothing else reaches the rules */
        snprintf(allow_buf, sizeof allow_buf, "%s", allow);
        for (char *save = NULL, *a = strtok_r(allow_buf, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
            char canon[AUDIT_ADDR_MAX];
            int v6;
            if (co.nallow == AUDIT_MAX_ALLOW || audit_contain_addr(a, canon, &v6)) {
                fprintf(stderr, "nvr: --allow takes up to %d IPv4 or IPv6 addresses, comma-separated (\"%s\")\n",
                        AUDIT_MAX_ALLOW, a);
                return 2;
            }
            co.allow[co.nallow++] = a;
        }
    }
    if (recorder) {
        char canon[AUDIT_ADDR_MAX];
        int v6;
        if (audit_contain_addr(recorder, canon, &v6)) {
            fprintf(stderr, "nvr: --recorder takes the recorder's IPv4 or IPv6 address\n");
            return 2;
        }
        co.recorder = recorder;
    }
    if (nvr_config_load(config, &cfg, stderr) != NVR_OK)
        return 1;
    if (self) { /* nothing judged, nothing contacted: the configuration's destinations */
        if (probe || csv || firewall || signed_out) {
            fprintf(stderr, "nvr: --self goes alone (or with --json)\n");
            status = 2;
            goto out;
        }
        write_self(stdout, cfg, json);
        status = 0;
        goto out;
    }
    if (camera && !nvr_config_camera(cfg, camera)) {
        fprintf(stderr, "nvr: no camera \"%s\" in %s\n", camera, cfg->path);
        goto out;
    }
    if (!vendors_path) {
        audit_default_vendors_path(default_vendors, sizeof default_vendors);
        vendors_path = default_vendors;
    }
    if (vendors_load(&v, vendors_path, oui, stderr))
        goto out;
    if ((rc = audit_store_load(cfg->data_dir, &st))) {
        fprintf(stderr, "nvr: cannot read %s/audit.json: %s%s\n", cfg->data_dir, nvr_strerror(rc),
                probe ? " (it will be replaced)" : "");
        if (!probe)
            goto out;
    }
    if (probe) {
        struct audit_probe_opts o = {.timeout_ms = (int)(timeout_s * 1000)};
        struct audit_camera *obs = malloc(sizeof *obs);
        if (!obs)
            goto out;
        for (size_t i = 0; i < cfg->ncameras; i++) {
            if (camera && strcmp(camera, cfg->cameras[i].id) != 0)
                continue;
            audit_probe_camera(&cfg->cameras[i], &o, obs);
            if (audit_store_put_probe(&st, v, obs)) {
                free(obs);
                goto out;
            }
        }
        free(obs);
        if ((rc = audit_store_save(cfg->data_dir, &st))) {
            fprintf(stderr, "nvr: cannot write %s/audit.json: %s\n", cfg->data_dir, nvr_strerror(rc));
            goto out;
        }
    }
    if (signed_out) {
        if (write_signed_report(signed_out, cfg, v, vendors_path, &st, &co))
            goto out;
    } else if (firewall) {
        struct audit_contain c;
        if (audit_contain_targets(v, cfg, &st, &c))
            goto out;
        co.now_us = nvr_clock_now_us();
        audit_contain_write(stdout, &c, &co);
        for (size_t i = 0; i < c.n; i++)
            if (!c.t[i].addr[0])
                fprintf(stderr, "nvr: camera %s: its host has no address: not in the rules\n", c.t[i].id);
        if (!c.n)
            fprintf(stderr, "nvr: no camera is covered or exposed (probe first: nvr audit --probe)\n");
        audit_contain_clear(&c);
    } else if (json) {
        audit_write_json(stdout, v, cfg, &st, nvr_clock_now_us());
        fputc('\n', stdout);
    } else if (csv) {
        audit_write_csv(stdout, v, cfg, &st);
    } else {
        audit_write_text(stdout, v, cfg, &st);
    }
    status = 0;
out:
    audit_store_clear(&st);
    vendors_destroy(&v);
    nvr_config_free(&cfg);
    return status;
}

int cli_discover(int argc, char **argv)
{
    struct wsd_opts o = {.timeout_ms = 3000};
    struct wsd_match *m = NULL;
    size_t n = 0;
    int json = 0, rc;
    const char *timeout = NULL;
    double s = 3;
    const struct cli_option opts[] = {
        {"timeout", 0, &timeout, NULL},
        {"json", 0, NULL, &json},
        {"target", 0, &o.target, NULL},
        {NULL, 0, NULL, NULL},
    };
    if (cli_parse(argc, argv, opts, NULL) || (timeout && cli_seconds(timeout, "--timeout", 60, &s)))
        return 2;
    o.timeout_ms = (int)(s * 1000);
    if ((rc = wsd_probe(&o, &m, &n)) == NVR_EINVAL && o.target) {
        fprintf(stderr, "nvr: --target must be ADDRESS:PORT with a numeric address, e.g. 192.0.2.10:3702\n");
        return 2;
    }
    if (rc) {
        fprintf(stderr, "nvr: cannot send the WS-Discovery probe: %s\n", nvr_strerror(rc));
        return 1;
    }
    if (json)
        wsd_write_json(stdout, m, n);
    else
        wsd_write_text(stdout, m, n);
    free(m);
    return 0;
}
