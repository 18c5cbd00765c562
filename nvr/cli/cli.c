/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.c - the subcommands: run, check, recordings, version.
 *
 * `nvr run` owns the one struct nvr of the process: the config, the storage
 * and one recorder per camera.  It blocks SIGINT/SIGTERM in every thread and
 * waits for them with sigwait() in the main thread, so no signal handler
 * and no global state is needed; on either signal every recorder finishes
 * its open segment and the process exits 0.
 */
#include "cli/cli.h"

#include "base/alloc.h"
#include "base/clock.h"
#include "base/config.h"
#include "base/err.h"
#include "base/json.h"
#include "alert/alert.h"
#include "catalog/catalog.h"
#include "catalog/catalog_dir.h"
#include "audit/audit_runner.h"
#include "base/log.h"
#include "core/auth.h"
#include "core/oidc.h"
#include "core/camera_store.h"
#include "playback/coverage.h"
#include "http/http_auth.h"
#include "export/export_jobs.h"
#include "export/log_anchor.h"
#include "export/sign.h"
#include "http/http_api.h"
#include "http/http_server.h"
#include "core/nvr.h"
#include "core/recorder.h"
#include "motion/motion.h"
#include "motion/motion_rebuild.h"
#include "playback/rendition.h"
#include "storage/access_log.h"
#include "storage/api_cameras.h"
#include "storage/archive.h"
#include "storage/holds.h"
#include "storage/storage.h"
#include "version.h"


#define OPEN_RETRY_S 2  /* storage_open again after a full disk */
#define LOG_TICK_S 5    /* access log upkeep: aggregates flushed, checkpoints due */
#define TRIM_EVERY_S 60 /* allocator: free pages back to the kernel (nvr_alloc_trim) */
#define RETENTION_INTERVAL_US                                                                                          \
    2000000 /* a pass every 2 s: cheap (usage is kept by                                                               \
             * triggers) and keeps overshoot small */
#include <libavformat/avformat.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* Parses the options shared by the subcommands.  Unknown options are errors. */
struct cli_opts {
    const char *config;
    const char *from, *to;
    int json, storage, repair, apply, rebuild, rebuild_motion;
    const char *positional;
};

static int parse_opts(int argc, char **argv, struct cli_opts *o)
{
    memset(o, 0, sizeof *o);
    const struct cli_option opts[] = {
        {"config", 'c', &o->config, NULL},
        {"from", 0, &o->from, NULL},
        {"to", 0, &o->to, NULL},
        {"json", 0, NULL, &o->json},
        {"storage", 0, NULL, &o->storage},
        {"repair", 0, NULL, &o->repair},
        {"apply", 0, NULL, &o->apply},
        {"rebuild-index", 0, NULL, &o->rebuild},
        {"rebuild-motion", 0, NULL, &o->rebuild_motion},
        {NULL, 0, NULL, NULL},
    };
    return cli_parse(argc, argv, opts, &o->positional);
}

static int load_config(const struct cli_opts *o, struct nvr_config **cfg)
{
    if (!o->config) {
        fprintf(stderr, "nvr: -c FILE is required\n");
        return 2;
    }
    if (nvr_config_load(o->config, cfg, stderr) != NVR_OK)
        return 1;
    return 0;
}

int cli_version(int argc, char **argv)
{
    if (argc > 1)
        return cli_version_key(argc, argv); /* --key -c FILE (cli_export.c) */
    printf("nvr %s\n", NVR_VERSION);
    return 0;
}

/* `nvr routes`: the HTTP routes and who may call them, one per line, for
 * people and for the access test (which checks its table covers them all). */
int cli_routes(int argc, char **argv)
{
    static const char *const access[] = {"user", "public", "investigator", "admin"};
    size_t n;
    const struct http_route *rt = http_api_routes(&n);
    (void)argc;
    (void)argv;
    for (size_t i = 0; i < n; i++)
        printf("%s %s %s\n", rt[i].method, rt[i].pattern, access[rt[i].access]);
    return 0;
}

/* `nvr verify`: --log here; exports and --storage come with the export work. */
int cli_verify(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--log") == 0)
            return cli_verify_log(argc, argv);
    return cli_verify_export(argc, argv); /* EXPORT.zip, or -c FILE --storage (cli_export.c) */
}

/* --rebuild-motion: every camera of the file, then those stored over the API. */
static nvr_err rebuild_motion(struct storage *st, const struct nvr_config *cfg, int64_t from, int64_t to,
                              struct motion_rebuild_stats *ms)
{
    struct api_camera_row *rows = NULL;
    size_t n = 0;
    memset(ms, 0, sizeof *ms);
    nvr_err rc = NVR_OK;
    for (size_t i = 0; rc == NVR_OK && i < cfg->ncameras; i++)
        rc = motion_rebuild_camera(st, &cfg->cameras[i], from, to, stdout, ms);
    if (rc || (rc = api_cameras_list(storage_index(st), &rows, &n)))
        return rc;
    for (size_t i = 0; rc == NVR_OK && i < n; i++) {
        struct nvr_config *one = NULL;
        char err[256];
        if (camera_store_parse(rows[i].id, rows[i].ini, &one, err, sizeof err) == NVR_OK)
            rc = motion_rebuild_camera(st, &one->cameras[0], from, to, stdout, ms);
        nvr_config_free(&one);
    }
    api_cameras_free(&rows, n);
    return rc;
}

int cli_check(int argc, char **argv)
{
    struct cli_opts o;
    struct nvr_config *cfg = NULL;
    struct storage *st = NULL;
    int status, problems = 0, unresolved = 0;
    int64_t from = INT64_MIN / 2, to = INT64_MAX / 2;
    if (parse_opts(argc, argv, &o) || o.positional ||
        ((o.repair || o.apply || o.rebuild || o.rebuild_motion) && !o.storage) || (o.apply && !o.repair) ||
        ((o.from || o.to) && !o.rebuild_motion)) {
        cli_usage(stderr);
        return 2;
    }
    if ((o.from && nvr_clock_parse_rfc3339(o.from, &from)) || (o.to && nvr_clock_parse_rfc3339(o.to, &to)) ||
        to <= from) {
        fprintf(stderr, "nvr: --from/--to must be RFC 3339 times, --to after --from\n");
        return 2;
    }
    if ((status = load_config(&o, &cfg)))
        return status;
    if (o.storage) {
        /* a repair or rebuild needs the lock (not while nvr run runs); a dry run
         * takes it too but changes nothing, not even unfinished segments */
        enum storage_check_mode mode = !o.repair ? STORAGE_CHECK_REPORT
                                       : o.apply ? STORAGE_CHECK_REPAIR
                                                 : STORAGE_CHECK_DRY_RUN;
        int flags = o.rebuild ? STORAGE_WRITER | STORAGE_CHECKER | STORAGE_REBUILD
                    : mode == STORAGE_CHECK_REPAIR || o.rebuild_motion ? STORAGE_WRITER | STORAGE_CHECKER
                    : mode == STORAGE_CHECK_DRY_RUN                    ? STORAGE_LOCK
                                                                       : 0;
        int rc = storage_open(&st, cfg->data_dir, flags);
        if (rc == NVR_OK && (o.rebuild || o.rebuild_motion))
            rc = storage_set_dirs(st, cfg->storage_dirs); /* the footage on every disk */
        if (rc) {
            fprintf(stderr, "%s: cannot open storage in %s: %s\n", cfg->path, cfg->data_dir, nvr_strerror(rc));
            if (rc == NVR_EDAMAGED)
                fprintf(stderr, "nvr: stop nvr and run nvr check -c FILE --storage --rebuild-index\n");
            status = 1;
            goto out;
        }
        if (o.rebuild) {
            struct storage_rebuild_stats rs;
            int64_t t0 = nvr_clock_now_us();
            if ((rc = storage_rebuild_index(st, stdout, &rs))) {
                fprintf(stderr, "nvr: rebuilding the index failed: %s\n", nvr_strerror(rc));
                status = 1;
                goto out;
            }
            printf("rebuild: %d segment file%s: %d already indexed, %d from a damaged index, %d read from the "
                   "file, %d moved to quarantine, %d cut back to a whole fragment (%.1f s)\n",
                   rs.files, rs.files == 1 ? "" : "s", rs.indexed, rs.from_damaged, rs.scanned, rs.quarantined,
                   rs.truncated, (double)(nvr_clock_now_us() - t0) / 1e6);
            if (rs.quarantined)
                status = 1;
            if (!o.rebuild_motion)
                printf("rebuild: motion is not derived again (it takes ~5 ms per keyframe); add --rebuild-motion\n");
        }
        if (o.rebuild_motion) {
            struct motion_rebuild_stats ms;
            int64_t t0 = nvr_clock_now_us();
            if ((rc = rebuild_motion(st, cfg, from, to, &ms))) {
                fprintf(stderr, "nvr: rebuilding motion failed: %s\n", nvr_strerror(rc));
                status = 1;
                goto out;
            }
            printf("rebuild-motion: %d camera%s, %d segment file%s read (%d skipped), %lld keyframes, %d event%s "
                   "(%d replaced) (%.1f s)\n",
                   ms.cameras, ms.cameras == 1 ? "" : "s", ms.segments, ms.segments == 1 ? "" : "s", ms.skipped,
                   (long long)ms.keyframes, ms.events, ms.events == 1 ? "" : "s", ms.deleted,
                   (double)(nvr_clock_now_us() - t0) / 1e6);
        }
        if ((rc = storage_check(st, mode, stdout, &problems, &unresolved))) {
            fprintf(stderr, "nvr: storage check failed: %s\n", nvr_strerror(rc));
            status = 1;
            goto out;
        }
        printf("storage: %d problem%s%s\n", problems, problems == 1 ? "" : "s",
               !problems                       ? ""
               : mode == STORAGE_CHECK_DRY_RUN ? " (dry run: nothing changed; add --apply to repair)"
               : mode == STORAGE_CHECK_REPAIR
                   ? (unresolved ? " (repaired what could be; the rest needs a person)" : " (repaired)")
                   : "");
        if (unresolved)
            status = 1;
    }
    printf("%s: ok (%zu camera%s)\n", cfg->path, cfg->ncameras, cfg->ncameras == 1 ? "" : "s");
out:
    storage_close(&st);
    nvr_config_free(&cfg);
    return status;
}

/* Prints one camera's coverage: runs (maximal chains of segments each
 * starting where the previous ended) and segments. */
static void print_recordings(FILE *f, const char *camera, const struct index_segment *s, size_t n, int json)
{
    if (json) {
        coverage_write_json(f, camera, s, n);
        return;
    }
    char a[NVR_TIME_BUFSZ], b[NVR_TIME_BUFSZ];
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += (double)(s[i].end_us - s[i].start_us) / 1e6;
    printf("camera %s: %zu segment%s, %.1f s recorded\n", camera, n, n == 1 ? "" : "s", total);
    for (size_t i = 0; i < n;) {
        size_t j = coverage_run_end(s, n, i);
        nvr_clock_format_rfc3339(s[i].start_us, a);
        nvr_clock_format_rfc3339(s[j].end_us, b);
        printf("run %s .. %s  %.3f s\n", a, b, (double)(s[j].end_us - s[i].start_us) / 1e6);
        for (size_t k = i; k <= j; k++) {
            nvr_clock_format_rfc3339(s[k].start_us, a);
            nvr_clock_format_rfc3339(s[k].end_us, b);
            printf("  %s .. %s  %7.3f s  %5zu frag  %10llu B  %s %dx%d%s%s  %s%s\n", a, b,
                   (double)(s[k].end_us - s[k].start_us) / 1e6, s[k].frags.n, (unsigned long long)s[k].bytes,
                   s[k].video_codec, s[k].width, s[k].height, s[k].audio_codec[0] ? "+" : "", s[k].audio_codec,
                   s[k].path, s[k].state == INDEX_SEG_WRITING ? "  (writing)" : "");
        }
        i = j + 1;
    }
}

int cli_recordings(int argc, char **argv)
{
    struct cli_opts o;
    struct nvr_config *cfg = NULL;
    struct storage *st = NULL;
    struct index_segment *segs = NULL;
    size_t n = 0;
    int64_t from = 0, to = INT64_MAX;
    int status, rc;
    if (parse_opts(argc, argv, &o) || !o.positional) {
        cli_usage(stderr);
        return 2;
    }
    if ((o.from && nvr_clock_parse_rfc3339(o.from, &from)) || (o.to && nvr_clock_parse_rfc3339(o.to, &to))) {
        fprintf(stderr, "nvr: --from/--to must be RFC 3339 times, e.g. 2026-11-22T04:00:00Z\n");
        return 2;
    }
    if (to <= from) {
        fprintf(stderr, "nvr: --to must be after --from\n");
        return 2;
    }
    if ((status = load_config(&o, &cfg)))
        return status;
    status = 1;
    if ((rc = storage_open(&st, cfg->data_dir, 0))) {
        fprintf(stderr, "nvr: cannot read the index in %s: %s\n", cfg->data_dir, nvr_strerror(rc));
        goto out;
    }
    if (!camera_store_known(cfg, st, o.positional)) {
        fprintf(stderr, "nvr: no camera \"%s\" in %s (or added over the API)\n", o.positional, cfg->path);
        goto out;
    }
    if ((rc = index_segments_list(storage_index(st), o.positional, from, to, &segs, &n))) {
        fprintf(stderr, "nvr: cannot read the index in %s: %s\n", cfg->data_dir, nvr_strerror(rc));
        goto out;
    }
    print_recordings(stdout, o.positional, segs, n, o.json);
    status = 0;
out:
    index_segments_free(&segs, n);
    storage_close(&st);
    nvr_config_free(&cfg);
    return status;
}

/* Resolved, not read: "127.example.com" may point anywhere (http_server.h). */
static int is_loopback(const char *host)
{
    return http_listen_is_loopback(host);
}

/* Reads a whole (small) file into a new string. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n < (1 << 20) && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL) {
        if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
        }
    }
    fclose(f);
    return buf;
}

static void free_tls(struct http_tls *t)
{
    if (t->key_pem)
        memset((char *)t->key_pem, 0, strlen(t->key_pem));
    free((char *)t->cert_pem);
    free((char *)t->key_pem);
    t->cert_pem = t->key_pem = NULL;
}

static nvr_err read_tls(const struct nvr_config *cfg, struct http_tls *t)
{
    t->cert_pem = slurp(cfg->tls_cert);
    t->key_pem = slurp(cfg->tls_key);
    if (!t->cert_pem || !t->key_pem) {
        nvr_log(NVR_ERROR, NULL, "cannot read the TLS %s path=%s", !t->cert_pem ? "certificate" : "key",
                !t->cert_pem ? cfg->tls_cert : cfg->tls_key);
        free_tls(t);
        return NVR_EIO;
    }
    return NVR_OK;
}


int cli_run(int argc, char **argv)
{
    struct cli_opts o;
    struct nvr nvr = {0};
    sigset_t sigs;
    int status, rc, sig = 0;
    if (parse_opts(argc, argv, &o) || o.positional) {
        cli_usage(stderr);
        return 2;
    }
    if ((status = load_config(&o, &nvr.cfg)))
        return status;
    status = 1;
    if (!nvr.cfg->tls_cert && !nvr.cfg->allow_plain_http && !is_loopback(nvr.cfg->listen_host)) {
        fprintf(stderr,
                "nvr: %s: refusing to serve plain HTTP on %s: passwords and footage would cross the network in "
                "clear text. Set tls_cert and tls_key in [server] (`nvr cert -c FILE --self-signed` makes a "
                "pair for a lab), or allow_plain_http = yes behind a TLS proxy (the listen host must resolve "
                "to loopback addresses only)\n",
                nvr.cfg->path, nvr.cfg->listen_host);
        nvr_config_free(&nvr.cfg);
        return 1;
    }
    /* block the stop signals before any thread exists; every thread inherits the mask */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    nvr.started_us = nvr_clock_now_us();
    nvr_alloc_tune(nvr.cfg->ncameras);
    nvr_log_capture_av();
    avformat_network_init();
    /* a full disk is waited out (another program may free space, or a person):
     * exiting would only make systemd restart us into the same wall */
    while ((rc = storage_open(&nvr.st, nvr.cfg->data_dir, STORAGE_WRITER)) == NVR_ENOSPC) {
        struct timespec wait = {OPEN_RETRY_S, 0};
        nvr_log(NVR_ERROR, NULL, "disk full: cannot open the index; retrying every %d s data_dir=%s error=\"%s\"",
                OPEN_RETRY_S, nvr.cfg->data_dir, nvr_strerror(rc));
        if ((sig = sigtimedwait(&sigs, NULL, &wait)) == SIGINT || sig == SIGTERM) {
            status = 0;
            goto out;
        }
    }
    if (rc) {
        nvr_log(NVR_ERROR, NULL, "cannot open storage data_dir=%s error=\"%s\"", nvr.cfg->data_dir, nvr_strerror(rc));
        goto out;
    }
    if ((rc = storage_set_dirs(nvr.st, nvr.cfg->storage_dirs))) {
        nvr_log(NVR_ERROR, NULL, "cannot use the storage dirs error=\"%s\"", nvr_strerror(rc));
        goto out;
    }
    int orphans = 0;
    holds_release_orphans(storage_index(nvr.st), nvr_clock_now_us(), &orphans);
    if (orphans)
        nvr_log(NVR_WARN, NULL, "released the temporary holds of exports that did not finish count=%d", orphans);
    struct retention_limits lim = {
        .max_bytes = nvr.cfg->max_bytes,
        .min_free_pct = nvr.cfg->min_free_pct,
        .min_free_bytes = nvr.cfg->min_free_bytes,
        .default_retain_days = NVR_DEFAULT_RETAIN_DAYS,
        .interval_us = RETENTION_INTERVAL_US,
    };
    /* the archive before retention: it sets the storage's S3 client, which
     * the retention thread reads (storage_priv.h) */
    if (nvr.cfg->archive.url && (rc = cli_archive_start(nvr.cfg, nvr.st, 0, &nvr.archive)))
        goto out;
    if ((rc = retention_start(&nvr.ret, nvr.st, &lim, NULL, 0)) ||
        (rc = motion_pool_create(&nvr.motion, storage_index(nvr.st), 0)) ||
        (rc = cameras_create(&nvr.cams, nvr.st, nvr.ret, nvr.motion)))
        goto out;
    /* the export signing key (made at first start) and the export worker */
    if ((rc = sign_key_load_or_create(nvr.cfg->data_dir, &nvr.key)) ||
        (rc = export_jobs_start(&nvr.exports, nvr.st, nvr.key)))
        goto out;
    for (size_t i = 0; i < nvr.cfg->ncameras; i++) {
        const struct nvr_camera_config *cam = &nvr.cfg->cameras[i];
        if ((rc = cameras_add(nvr.cams, cam, CAMERA_FILE))) {
            nvr_log(NVR_ERROR, cam->id, "cannot start recorder error=\"%s\"", nvr_strerror(rc));
            goto out;
        }
    }
    if ((rc = camera_store_load(&nvr)))
        goto out;
    if ((rc = audit_runner_start(&nvr.audit, nvr.cfg, nvr.cams)))
        goto out;
    if ((rc = auth_create(&nvr.auth, nvr.st, nvr.cfg)) || (rc = rendition_pool_create(&nvr.renditions)))
        goto out;
    if (nvr.cfg->oidc.issuer && (rc = oidc_create(&nvr.oidc, &nvr.cfg->oidc)))
        goto out;
    /* before the HTTP server: its threads read nvr.catalog and nvr.catdir
     * (GET /api/v1/health, /metrics, sign-in), so both are set before they
     * start and cleared after they stop */
    if ((rc = catalog_start(&nvr.catalog, &nvr)) || (rc = catalog_dir_start(&nvr.catdir, &nvr)))
        goto out;
    size_t nroutes;
    const struct http_route *routes = http_api_routes(&nroutes);
    struct http_tls tls = {.priority = nvr.cfg->tls_priority};
    if (nvr.cfg->tls_cert && (rc = read_tls(nvr.cfg, &tls)))
        goto out;
    struct http_listen listen = {.host = nvr.cfg->listen_host,
                                 .port = nvr.cfg->listen_port,
                                 .threads = (unsigned)nvr.cfg->http_threads,
                                 .tls = nvr.cfg->tls_cert ? &tls : NULL,
                                 .max_connections = (unsigned)nvr.cfg->max_connections,
                                 .max_per_address = (unsigned)nvr.cfg->max_connections_per_address,
                                 .read_timeout_s = (unsigned)nvr.cfg->read_timeout};
    rc = http_server_start(&nvr.http, &nvr, &listen, routes, nroutes);
    free_tls(&tls);
    if (rc)
        goto out;
    http_server_set_guard(nvr.http, http_auth_guard);
    if ((rc = alert_engine_start(&nvr.alerts, &nvr)))
        goto out;
    nvr_log(NVR_INFO, NULL, "nvr %s recording cameras=%zu data_dir=%s", NVR_VERSION, nvr.cfg->ncameras,
            nvr.cfg->data_dir);
    /* the access log: a signed checkpoint now, then periodically
     * (log_anchor.h); anonymous events' aggregates flushed as their windows
     * close (auth.h) */
    struct log_anchor_state anchor = {0};
    if (log_anchor_write(storage_index(nvr.st), nvr.key, "start") == NVR_OK) {
        uint8_t h[32];
        access_log_head(storage_index(nvr.st), &anchor.last_id, h);
        anchor.last_us = nvr_clock_now_us();
    }
    /* memory that stops growing (issue 20): see nvr_alloc_tune. On a
     * deadline, not after a quiet minute: reloads may come more often than that */
    int64_t next_trim_us = nvr_clock_mono_us() + TRIM_EVERY_S * 1000000LL;
    for (;;) {
        if (nvr_clock_mono_us() >= next_trim_us) {
            nvr_alloc_trim();
            next_trim_us = nvr_clock_mono_us() + TRIM_EVERY_S * 1000000LL;
        }
        struct timespec tick = {LOG_TICK_S, 0};
        if ((sig = sigtimedwait(&sigs, NULL, &tick)) < 0) {
            auth_log_tick(nvr.auth);
            log_anchor_tick(&anchor, storage_index(nvr.st), nvr.key, nvr_clock_now_us());
            continue;
        }
        if (sig == SIGHUP) {
            camera_store_reload_file(&nvr);
            continue;
        }
        break;
    }
    nvr_log(NVR_INFO, NULL, "stopping signal=%s", sig == SIGINT ? "SIGINT" : "SIGTERM");
    status = 0;
out:
    alert_engine_stop(&nvr.alerts); /* first: what stops next is not an incident */
    http_server_stop(&nvr.http);
    catalog_stop(&nvr.catalog);    /* after the HTTP server (health reads it), before the cameras it reads */
    catalog_dir_stop(&nvr.catdir); /* after the HTTP server: auth asks it */
    if (nvr.auth && nvr.key) {
        auth_log_flush(nvr.auth); /* the counts of anonymous events not yet written */
        if (status == 0)
            log_anchor_write(storage_index(nvr.st), nvr.key, "shutdown");
    }
    rendition_pool_destroy(&nvr.renditions); /* their clients are gone: they stop */
    audit_runner_stop(&nvr.audit);
    cameras_destroy(&nvr.cams);
    motion_pool_destroy(&nvr.motion); /* after the cameras: each writes its last motion */
    export_jobs_stop(&nvr.exports);
    sign_key_free(&nvr.key);
    retention_stop(&nvr.ret);   /* before the archive: it deletes archived objects through it */
    archive_stop(&nvr.archive); /* after every reader: they may fetch archived footage */
    auth_destroy(&nvr.auth);
    oidc_destroy(&nvr.oidc);
    storage_close(&nvr.st);
    nvr_config_free(&nvr.cfg);
    avformat_network_deinit();
    if (status == 0)
        nvr_log(NVR_INFO, NULL, "stopped");
    return status;
}
