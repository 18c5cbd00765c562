/*
 * cli_audit.c - `nvr audit` (the NDAA compliance report) and `nvr discover`
 * (WS-Discovery).  See docs/ref/cli.md and docs/design/audit.md.
 *
 * `nvr audit` probes only with --probe (opt-in per run); without it the
 * report is judged from the observations stored by earlier runs
 * (data_dir/audit.json), with the current vendor data file.
 */
#include "cli.h"

#include "nvr/audit.h"
#include "nvr/base/clock.h"
#include "nvr/base/config.h"
#include "nvr/base/err.h"
#include "nvr/wsdiscovery.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int cli_audit(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"json", no_argument, NULL, 'j'},
        {"csv", no_argument, NULL, 'v'},          {"probe", no_argument, NULL, 'p'},
        {"camera", required_argument, NULL, 'C'}, {"vendors", required_argument, NULL, 'V'},
        {"oui", required_argument, NULL, 'o'},    {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *camera = NULL, *vendors_path = NULL, *oui = NULL;
    int json = 0, csv = 0, probe = 0, c, status = 1, rc;
    double timeout_s = 4;
    struct nvr_config *cfg = NULL;
    struct vendors *v = NULL;
    struct audit_store st = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'j': json = 1; break;
        case 'v': csv = 1; break;
        case 'p': probe = 1; break;
        case 'C': camera = optarg; break;
        case 'V': vendors_path = optarg; break;
        case 'o': oui = optarg; break;
        case 't': {
            char *end;
            timeout_s = strtod(optarg, &end);
            if (*end || !(timeout_s > 0 && timeout_s <= 60)) {
                fprintf(stderr, "nvr: --timeout must be seconds, above 0 and at most 60\n");
                return 2;
            }
            break;
        }
        case 'h': cli_usage(stdout); return 0;
        default: cli_usage(stderr); return 2;
        }
    }
    if (optind < argc || !config || (json && csv)) {
        if (!config)
            fprintf(stderr, "nvr: -c FILE is required\n");
        else if (json && csv)
            fprintf(stderr, "nvr: --json and --csv exclude each other\n");
        else
            fprintf(stderr, "nvr: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    if (nvr_config_load(config, &cfg, stderr) != NVR_OK)
        return 1;
    if (camera && !nvr_config_camera(cfg, camera)) {
        fprintf(stderr, "nvr: no camera \"%s\" in %s\n", camera, cfg->path);
        goto out;
    }
    if (!vendors_path)
        vendors_path = audit_default_vendors_path();
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
            if (audit_store_put(&st, obs)) {
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
    if (json) {
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
    static const struct option longopts[] = {
        {"timeout", required_argument, NULL, 't'}, {"json", no_argument, NULL, 'j'},
        {"target", required_argument, NULL, 'T'},  {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct wsd_opts o = {.timeout_ms = 3000};
    struct wsd_match *m = NULL;
    size_t n = 0;
    int json = 0, c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 't': {
            char *end;
            double s = strtod(optarg, &end);
            if (*end || !(s > 0 && s <= 60)) {
                fprintf(stderr, "nvr: --timeout must be seconds, above 0 and at most 60\n");
                return 2;
            }
            o.timeout_ms = (int)(s * 1000);
            break;
        }
        case 'j': json = 1; break;
        case 'T': o.target = optarg; break;
        case 'h': cli_usage(stdout); return 0;
        default: cli_usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "nvr: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
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
