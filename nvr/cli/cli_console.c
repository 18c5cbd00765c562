/* SPDX-License-Identifier: Apache-2.0 */
/* cli_console.c - `nvr console -c FILE` (the district's web UI and API,
 * console/console.h) and `nvr console --routes`. */
#include "cli/cli.h"

#include "base/config.h"
#include "console/console.h"
#include "http/http_server.h"

#include <stdio.h>

int cli_console(int argc, char **argv)
{
    static const char *const access[] = {"user", "public", "investigator", "admin"};
    const char *config = NULL;
    int routes = 0;
    const struct cli_option opts[] = {
        {"config", 'c', &config, NULL}, {"routes", 0, NULL, &routes}, {NULL, 0, NULL, NULL}};
    if (cli_parse(argc, argv, opts, NULL))
        return 2;
    if (routes) {
        size_t n;
        const struct http_route *rt = console_routes(&n);
        for (size_t i = 0; i < n; i++)
            printf("%s %s %s\n", rt[i].method, rt[i].pattern, access[rt[i].access]);
        return 0;
    }
    if (cli_need_config(config))
        return 2;
    struct nvr_config *cfg = NULL;
    if (nvr_config_load(config, &cfg, stderr) != NVR_OK)
        return 1;
    int status = 1;
    if (!cfg->catalog.url) {
        fprintf(stderr, "nvr: %s: the console needs [catalog] url (the district's PostgreSQL)\n", config);
        goto out;
    }
    if (!cfg->tls_cert && !cfg->allow_plain_http && !http_listen_is_loopback(cfg->listen_host)) {
        fprintf(stderr,
                "nvr: %s: refusing to serve plain HTTP on %s: set tls_cert and tls_key in [server], or "
                "allow_plain_http = yes behind a TLS proxy\n",
                config, cfg->listen_host);
        goto out;
    }
    status = console_run(cfg) == NVR_OK ? 0 : 1;
out:
    nvr_config_free(&cfg);
    return status;
}
