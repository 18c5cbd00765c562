/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_motion.c - `nvr motion -c FILE CAMERA --from T --to T [--region
 * x0,y0,x1,y1] [--limit N] [--json]`: the motion search of GET
 * /api/v1/cameras/{id}/motion, offline (docs/ref/cli.md).  --json prints
 * the route's document; the search is written to the access log (action
 * "motion", address "cli"), as the route does.
 */
#include "cli/cli.h"

#include "base/clock.h"
#include "base/config.h"
#include "base/err.h"
#include "core/camera_store.h"
#include "motion/motion_search.h"
#include "storage/access_log.h"
#include "storage/storage.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_motion(int argc, char **argv)
{
    const char *config = NULL, *camera = NULL, *from_s = NULL, *to_s = NULL, *region_s = NULL, *limit_s = NULL;
    int json = 0;
    const struct cli_option opts[] = {
        {"config", 'c', &config, NULL}, {"from", 0, &from_s, NULL},   {"to", 0, &to_s, NULL},
        {"region", 0, &region_s, NULL}, {"limit", 0, &limit_s, NULL}, {"json", 0, NULL, &json},
        {NULL, 0, NULL, NULL},
    };
    struct nvr_config *cfg = NULL;
    struct storage *st = NULL;
    struct motion_hit *hits = NULL;
    struct nvr_rect box;
    int nbox = 0, truncated = 0, status = 2, rc;
    int64_t from, to;
    long limit = MOTION_SEARCH_MAX_HITS;
    size_t n = 0;
    if (cli_parse(argc, argv, opts, &camera) || cli_need_config(config))
        return 2;
    if (!camera || !from_s || !to_s) {
        fprintf(stderr, "nvr: motion needs CAMERA --from T --to T\n");
        return 2;
    }
    if (nvr_clock_parse_rfc3339(from_s, &from) || nvr_clock_parse_rfc3339(to_s, &to)) {
        fprintf(stderr, "nvr: --from/--to must be RFC 3339 times, e.g. 2026-11-22T04:00:00Z\n");
        return 2;
    }
    if (to <= from || to - from > MOTION_SEARCH_MAX_RANGE_US) {
        fprintf(stderr, "nvr: --to must be after --from, at most 31 days later\n");
        return 2;
    }
    if (region_s && nvr_rects_parse(region_s, &box, 1, &nbox)) {
        fprintf(stderr, "nvr: --region must be x0,y0,x1,y1 in 0..1 frame coordinates (x0 < x1, y0 < y1)\n");
        return 2;
    }
    if (limit_s) {
        char *end;
        limit = strtol(limit_s, &end, 10);
        if (end == limit_s || *end || limit < 1 || limit > MOTION_SEARCH_MAX_HITS) {
            fprintf(stderr, "nvr: --limit must be an integer from 1 to %d\n", MOTION_SEARCH_MAX_HITS);
            return 2;
        }
    }
    if (nvr_config_load(config, &cfg, stderr) != NVR_OK)
        return 1;
    status = 1;
    if ((rc = storage_open(&st, cfg->data_dir, 0))) {
        fprintf(stderr, "nvr: cannot read the index in %s: %s\n", cfg->data_dir, nvr_strerror(rc));
        goto out;
    }
    if (!camera_store_known(cfg, st, camera)) {
        fprintf(stderr, "nvr: no camera \"%s\" in %s (or added over the API)\n", camera, cfg->path);
        goto out;
    }
    struct motion_query q = {
        .camera = camera, .from_us = from, .to_us = to, .region = nbox ? &box : NULL, .max = (size_t)limit};
    if ((rc = motion_search(storage_index(st), &q, &hits, &n, &truncated))) {
        fprintf(stderr, "nvr: cannot read the motion index in %s: %s\n", cfg->data_dir, nvr_strerror(rc));
        goto out;
    }
    char detail[256];
    struct passwd *pw = getpwuid(getuid());
    snprintf(detail, sizeof detail, "start=%s end=%s%s%s hits=%zu", from_s, to_s, nbox ? " region=" : "",
             nbox ? region_s : "", n);
    if (access_log_append(storage_index(st), nvr_clock_now_us(), pw && pw->pw_name ? pw->pw_name : "local", "cli",
                          "motion", camera, detail))
        fprintf(stderr, "nvr: warning: cannot write the access log\n");
    if (json) {
        motion_search_write_json(stdout, hits, n, truncated);
    } else {
        char a[NVR_TIME_BUFSZ], b[NVR_TIME_BUFSZ];
        printf("camera %s: %zu motion event%s%s\n", camera, n, n == 1 ? "" : "s",
               truncated ? " (more: narrow the range or raise --limit)" : "");
        for (size_t i = 0; i < n; i++) {
            nvr_clock_format_rfc3339(hits[i].start_us, a);
            nvr_clock_format_rfc3339(hits[i].end_us, b);
            printf("%s .. %s  %6.1f s  score %3d  region %.3f,%.3f,%.3f,%.3f\n", a, b,
                   (double)(hits[i].end_us - hits[i].start_us) / 1e6, hits[i].score, hits[i].box.x0, hits[i].box.y0,
                   hits[i].box.x1, hits[i].box.y1);
        }
    }
    status = 0;
out:
    free(hits);
    storage_close(&st);
    nvr_config_free(&cfg);
    return status;
}
