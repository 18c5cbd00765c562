/* SPDX-License-Identifier: Apache-2.0 */
/* console.c - `nvr console`: the routes, the access log, start and stop
 * (console.h). */
#include "console/console.h"
#include "console/console_int.h"

#include "base/clock.h"
#include "base/log.h"
#include "version.h"
#include "http/http_static.h"
#include "storage/index.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PG_POOL 8
#define STOP_WAIT_S 10 /* for transfers still winding down at exit */

static http_result h_health(struct http_request *r, struct nvr *nvr)
{
    struct console *c = console_of(nvr);
    int up = console_pg_exec(c->pg, "SELECT 1", 0, NULL, NULL) == NVR_OK;
    char *body = NULL;
    int n = asprintf(&body, "{\"status\":\"ok\",\"version\":\"%s\",\"console\":true,\"catalog\":\"%s\"}\n", NVR_VERSION,
                     up ? "ok" : "down");
    return http_reply(r, 200, "application/json", n < 0 ? NULL : body, n < 0 ? 0 : (size_t)n, "no-store");
}

static http_result h_static(struct http_request *r, struct nvr *nvr)
{
    return http_static_serve(r, console_of(nvr)->cfg->web_dir);
}

static http_result h_methods(struct http_request *r, struct nvr *nvr)
{
    (void)nvr;
    char *body = strdup("{\"password\":true,\"oidc\":null}\n");
    return http_reply(r, 200, "application/json", body, body ? strlen(body) : 0, "no-store");
}

static http_result h_setup_state(struct http_request *r, struct nvr *nvr)
{
    (void)nvr;
    char *body = strdup("{\"open\":false}\n");
    return http_reply(r, 200, "application/json", body, body ? strlen(body) : 0, "no-store");
}

static const struct http_route routes[] = {
    {"GET", "/api/v1/health", h_health, HTTP_PUBLIC},
    {"GET", "/api/v1/auth/methods", h_methods, HTTP_PUBLIC},
    {"GET", "/api/v1/setup", h_setup_state, HTTP_PUBLIC},
    {"POST", "/api/v1/session", console_session_create, HTTP_PUBLIC},
    {"GET", "/api/v1/session", console_session_get, HTTP_PUBLIC},
    {"DELETE", "/api/v1/session", console_session_delete, HTTP_USER},
    {"GET", "/api/v1/users", console_users_list, HTTP_ADMIN},
    {"POST", "/api/v1/users", console_users_create, HTTP_ADMIN},
    {"PUT", "/api/v1/users/{}", console_users_update, HTTP_ADMIN},
    {"DELETE", "/api/v1/users/{}", console_users_delete, HTTP_ADMIN},
    {"POST", "/api/v1/users/{}/tokens", console_tokens_create, HTTP_ADMIN},
    {"GET", "/api/v1/sites", console_sites, HTTP_USER},
    {"GET", "/api/v1/cameras", console_cameras, HTTP_USER},
    {"GET", "/api/v1/cameras/{}/*", console_proxy, HTTP_USER},
    {"GET", "/api/v1/sites/{}/coverage", console_coverage, HTTP_USER}, /* before the site's proxy */
    {"GET", "/api/v1/sites/{}/*", console_site_proxy, HTTP_INVESTIGATOR},
    {"POST", "/api/v1/sites/{}/*", console_site_proxy, HTTP_INVESTIGATOR},
    {"DELETE", "/api/v1/sites/{}/*", console_site_proxy, HTTP_INVESTIGATOR},
    {"POST", "/api/v1/exports", console_export_create, HTTP_INVESTIGATOR}, /* district exports */
    {"GET", "/api/v1/exports", console_export_list, HTTP_INVESTIGATOR},
    {"GET", "/api/v1/exports/{}", console_export_get, HTTP_INVESTIGATOR},
    {"GET", "/api/v1/exports/{}/download", console_export_download, HTTP_INVESTIGATOR},
    {"GET", "/*", h_static, HTTP_PUBLIC}, /* last: the web UI */
};

const struct http_route *console_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[4096];
    size_t n;
    while (m && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, m);
    fclose(f);
    if (m)
        fclose(m);
    return buf;
}

static nvr_err open_parts(struct console *c)
{
    char path[4096];
    nvr_err rc;
    if (!c->cfg->catalog.url) {
        nvr_log(NVR_ERROR, NULL, "console: [catalog] url is required");
        return NVR_ECONFIG;
    }
    mkdir(c->cfg->data_dir, 0700);
    snprintf(path, sizeof path, "%s/index.db", c->cfg->data_dir);
    if ((rc = index_open(&c->ix, path)))
        return rc;
    if ((rc = console_pg_create(&c->pg, c->cfg->catalog.url, PG_POOL)))
        return rc;
    if ((rc = console_exports_start(&c->exports, c)))
        return rc;
    return signin_limit_create(&c->limit, SIGNIN_SLOTS);
}

static nvr_err serve(struct console *c, struct http_server **srv)
{
    struct http_tls tls = {.priority = c->cfg->tls_priority};
    nvr_err rc = NVR_OK;
    if (c->cfg->tls_cert) {
        tls.cert_pem = slurp(c->cfg->tls_cert);
        tls.key_pem = slurp(c->cfg->tls_key);
        if (!tls.cert_pem || !tls.key_pem) {
            nvr_log(NVR_ERROR, NULL, "console: cannot read the TLS certificate or key");
            rc = NVR_EIO;
            goto out;
        }
    }
    struct http_listen l = {.host = c->cfg->listen_host,
                            .port = c->cfg->listen_port,
                            .threads = (unsigned)c->cfg->http_threads,
                            .tls = c->cfg->tls_cert ? &tls : NULL,
                            .max_connections = (unsigned)c->cfg->max_connections,
                            .max_per_address = (unsigned)c->cfg->max_connections_per_address,
                            .read_timeout_s = (unsigned)c->cfg->read_timeout};
    size_t n;
    const struct http_route *rt = console_routes(&n);
    /* the server hands the context to the handlers untouched (console_int.h) */
    if ((rc = http_server_start(srv, (struct nvr *)(void *)c, &l, rt, n)))
        goto out;
    http_server_set_guard(*srv, console_guard);
out:
    free((char *)tls.cert_pem);
    free((char *)tls.key_pem);
    return rc;
}

nvr_err console_run(const struct nvr_config *cfg)
{
    struct console c = {.cfg = cfg};
    struct http_server *srv = NULL;
    sigset_t sigs;
    int sig = 0;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    nvr_err rc = open_parts(&c);
    if (!rc)
        rc = serve(&c, &srv);
    if (!rc) {
        nvr_log(NVR_INFO, NULL, "console %s serving port=%d max_proxied=%d max_exports=%d", NVR_VERSION,
                cfg->listen_port, cfg->console.max_proxied, cfg->console.max_exports);
        while (sigwait(&sigs, &sig) != 0)
            ;
        nvr_log(NVR_INFO, NULL, "console stopping signal=%s", sig == SIGINT ? "SIGINT" : "SIGTERM");
    }
    http_server_stop(&srv); /* ends the streams: their transfers see closed and abort */
    for (int i = 0; i < STOP_WAIT_S * 10 && atomic_load(&c.proxied) > 0; i++)
        nvr_clock_sleep_us(100000);
    console_exports_stop(&c.exports); /* aborts and joins the district exports */
    signin_limit_destroy(&c.limit);
    console_pg_destroy(&c.pg);
    index_close(&c.ix);
    curl_global_cleanup();
    return rc;
}
