/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_archive.c - the archive tier from [storage] archive_*, for `nvr run`
 * (archiving) and the commands that read footage (export: read only).
 */
#include "cli/cli.h"

#include "base/config.h"
#include "base/err.h"
#include "base/log.h"
#include "storage/archive.h"

#include <stdlib.h>

int cli_archive_start(const struct nvr_config *cfg, struct storage *st, int read_only, struct archive **out)
{
    const struct nvr_archive_config *a = &cfg->archive;
    char why[256];
    struct archive_params p = {
        .s3 = {.url = a->url,
               .endpoint = a->endpoint,
               .region = a->region,
               .access_key = a->access_key ? a->access_key : getenv("AWS_ACCESS_KEY_ID"),
               .secret_key = a->secret_key ? a->secret_key : getenv("AWS_SECRET_ACCESS_KEY"),
               .path_style = a->path_style},
        .after_days = a->after_days,
        .cache_bytes = a->cache_bytes,
        .read_only = read_only,
    };
    *out = NULL;
    if (!a->url)
        return NVR_OK;
    int rc = archive_start(out, st, &p, why, sizeof why);
    if (rc)
        nvr_log(NVR_ERROR, NULL, "cannot use the archive tier error=\"%s\"", rc == NVR_EINVAL ? why : nvr_strerror(rc));
    else if (!read_only)
        nvr_log(NVR_INFO, NULL, "archive tier on url=%s after_days=%g", a->url, a->after_days);
    return rc;
}
