/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_hold.c - `nvr hold add|list|release`: evidence holds from the command
 * line (docs/ref/cli.md).  Works while `nvr run` records: it opens the index
 * as a second SQLite connection (no lock on data_dir), and retention sees a
 * new hold in its next transaction.  The operator recorded is the Unix user
 * running the command.
 */
#include "cli/cli.h"

#include "base/clock.h"
#include "base/config.h"
#include "base/err.h"
#include "core/camera_store.h"
#include "storage/access_log.h"
#include "storage/holds.h"
#include "storage/storage.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct hold_opts {
    const char *config, *cameras, *from, *to, *reason, *case_id;
    int json, all;
    const char *positional;
};

static int parse(int argc, char **argv, struct hold_opts *o)
{
    memset(o, 0, sizeof *o);
    const struct cli_option opts[] = {
        {"config", 'c', &o->config, NULL}, {"camera", 0, &o->cameras, NULL}, {"from", 0, &o->from, NULL},
        {"to", 0, &o->to, NULL},           {"reason", 0, &o->reason, NULL},  {"case", 0, &o->case_id, NULL},
        {"json", 0, NULL, &o->json},       {"all", 0, NULL, &o->all},        {NULL, 0, NULL, NULL},
    };
    return cli_parse(argc, argv, opts, &o->positional) ? -1 : cli_need_config(o->config);
}

static void operator_name(char *out, size_t n)
{
    struct passwd *pw = getpwuid(getuid());
    snprintf(out, n, "%s", pw && pw->pw_name ? pw->pw_name : "local");
}

/* Splits "a,b" into h->cameras, each checked against the config. */
static int parse_cameras(const struct nvr_config *cfg, struct storage *st, const char *list, struct hold *h)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *id = strtok_r(buf, ",", &save); id; id = strtok_r(NULL, ",", &save)) {
        if (!camera_store_known(cfg, st, id)) {
            fprintf(stderr, "nvr: no camera \"%s\" in %s\n", id, cfg->path);
            return -1;
        }
        if (h->ncameras == HOLD_CAMERAS_MAX) {
            fprintf(stderr, "nvr: at most %d cameras per hold\n", HOLD_CAMERAS_MAX);
            return -1;
        }
        snprintf(h->cameras[h->ncameras++], INDEX_ID_MAX, "%s", id);
    }
    if (h->ncameras == 0) {
        fprintf(stderr, "nvr: --camera needs at least one camera id\n");
        return -1;
    }
    return 0;
}

/* The disclosure record of a hold made on the command line, one entry per
 * camera as over HTTP (http_holds.c); the operator is the Unix user. */
static void log_hold(struct storage *st, const struct hold *h, const char *action)
{
    char by[INDEX_ID_MAX], detail[HOLD_TEXT_MAX + 64];
    operator_name(by, sizeof by);
    if (strcmp(action, "hold_created") == 0)
        snprintf(detail, sizeof detail, "hold=%lld case=%.500s", (long long)h->id, h->case_id);
    else
        snprintf(detail, sizeof detail, "hold=%lld", (long long)h->id);
    for (size_t i = 0; i < h->ncameras; i++)
        if (access_log_append(storage_index(st), nvr_clock_now_us(), by, "cli", action, h->cameras[i], detail))
            fprintf(stderr, "nvr: warning: cannot write the access log\n");
}

static int hold_add(const struct hold_opts *o, const struct nvr_config *cfg, struct storage *st)
{
    struct hold *h = calloc(1, sizeof *h);
    int status = 2;
    if (!h)
        return 1;
    if (!o->cameras || !o->from || !o->to || !o->reason || !o->reason[0]) {
        fprintf(stderr, "nvr: hold add needs --camera ID[,ID...] --from T --to T --reason TEXT\n");
        goto out;
    }
    if (parse_cameras(cfg, st, o->cameras, h))
        goto out;
    if (nvr_clock_parse_rfc3339(o->from, &h->start_us) || nvr_clock_parse_rfc3339(o->to, &h->end_us)) {
        fprintf(stderr, "nvr: --from/--to must be RFC 3339 times, e.g. 2026-11-22T04:00:00Z\n");
        goto out;
    }
    if (h->end_us <= h->start_us) {
        fprintf(stderr, "nvr: --to must be after --from\n");
        goto out;
    }
    snprintf(h->reason, sizeof h->reason, "%s", o->reason);
    snprintf(h->case_id, sizeof h->case_id, "%s", o->case_id ? o->case_id : "");
    operator_name(h->created_by, sizeof h->created_by);
    h->created_us = nvr_clock_now_us();
    int rc = holds_add(storage_index(st), h);
    if (rc) {
        fprintf(stderr, "nvr: cannot store the hold: %s\n", nvr_strerror(rc));
        status = 1;
        goto out;
    }
    log_hold(st, h, "hold_created");
    if (o->json) {
        holds_write_json(stdout, h);
        putchar('\n');
    } else {
        printf("hold %lld created\n", (long long)h->id);
    }
    status = 0;
out:
    free(h);
    return status;
}

static int hold_list(const struct hold_opts *o, struct storage *st)
{
    struct hold *v = NULL;
    size_t n = 0;
    int rc = holds_list(storage_index(st), o->all, &v, &n);
    if (rc) {
        fprintf(stderr, "nvr: cannot read holds: %s\n", nvr_strerror(rc));
        return 1;
    }
    if (o->json)
        fputs("{\"holds\":[", stdout);
    for (size_t i = 0; i < n; i++) {
        const struct hold *h = &v[i];
        if (o->json) {
            if (i)
                putchar(',');
            holds_write_json(stdout, h);
            continue;
        }
        char a[NVR_TIME_BUFSZ], b[NVR_TIME_BUFSZ];
        nvr_clock_format_rfc3339(h->start_us, a);
        nvr_clock_format_rfc3339(h->end_us, b);
        printf("%lld  %s .. %s  cameras=", (long long)h->id, a, b);
        for (size_t k = 0; k < h->ncameras; k++)
            printf("%s%s", k ? "," : "", h->cameras[k]);
        printf("  case=\"%s\" reason=\"%s\" by=%s%s\n", h->case_id, h->reason, h->created_by,
               h->released_us ? "  (released)" : "");
    }
    if (o->json)
        puts("]}");
    else if (n == 0)
        puts(o->all ? "no holds" : "no active holds");
    free(v);
    return 0;
}

static int hold_release(const struct hold_opts *o, struct storage *st)
{
    char *end = NULL, by[INDEX_ID_MAX];
    long long id = o->positional ? strtoll(o->positional, &end, 10) : 0;
    if (!o->positional || *end || id <= 0) {
        fprintf(stderr, "nvr: hold release needs the hold id\n");
        return 2;
    }
    struct hold *h = calloc(1, sizeof *h);
    int status = 1, rc = h ? holds_get(storage_index(st), id, h) : NVR_ENOMEM;
    if (rc == NVR_OK && h->export_pid && !h->released_us) {
        fprintf(stderr, "nvr: hold %lld belongs to an export in progress; it ends with the export\n", id);
        goto out;
    }
    operator_name(by, sizeof by);
    if (rc == NVR_OK)
        rc = holds_release(storage_index(st), id, by, nvr_clock_now_us());
    if (rc == NVR_ENOTFOUND) {
        fprintf(stderr, "nvr: no active hold %lld\n", id);
        goto out;
    }
    if (rc) {
        fprintf(stderr, "nvr: cannot release the hold: %s\n", nvr_strerror(rc));
        goto out;
    }
    log_hold(st, h, "hold_released");
    printf("hold %lld released\n", id);
    status = 0;
out:
    free(h);
    return status;
}

int cli_hold(int argc, char **argv)
{
    struct hold_opts o;
    struct nvr_config *cfg = NULL;
    struct storage *st = NULL;
    const char *verb = argc > 1 ? argv[1] : "";
    int status = 2, rc;
    if (strcmp(verb, "add") != 0 && strcmp(verb, "list") != 0 && strcmp(verb, "release") != 0) {
        fprintf(stderr, "nvr: hold needs add, list or release\n");
        cli_usage(stderr);
        return 2;
    }
    if (parse(argc - 1, argv + 1, &o))
        return 2;
    if ((o.positional && strcmp(verb, "release") != 0)) {
        fprintf(stderr, "nvr: unexpected argument \"%s\"\n", o.positional);
        return 2;
    }
    if (nvr_config_load(o.config, &cfg, stderr) != NVR_OK)
        return 1;
    if ((rc = storage_open(&st, cfg->data_dir, 0))) {
        fprintf(stderr, "nvr: cannot open the index in %s: %s\n", cfg->data_dir, nvr_strerror(rc));
        status = 1;
        goto out;
    }
    if (strcmp(verb, "add") == 0)
        status = hold_add(&o, cfg, st);
    else if (strcmp(verb, "list") == 0)
        status = hold_list(&o, st);
    else
        status = hold_release(&o, st);
out:
    storage_close(&st);
    nvr_config_free(&cfg);
    return status;
}
