/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_config.c - the INI configuration parser (lib/base/config.c).
 *
 * Most tests parse text held in memory and compare the exact error output
 * ("FILE:LINE: message" lines, collected with open_memstream) against what a
 * user should see.  The shipped packaging/nvr.example.ini is loaded from the
 * path in argv[1], or from NVR_SOURCE_DIR if the build defines it.
 */
#include "base/config.h"
#include "base/err.h"
#include "base/json.h"

#include "check.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SERVER "[server]\ndata_dir = /var/lib/nvr\n"

static const char *example_path;

/* Parses text as "nvr.conf"; *errs receives the error output ("" if none). */
static int parse_n(const char *text, size_t len, struct nvr_config **cfg, char **errs)
{
    size_t n;
    FILE *f = open_memstream(errs, &n);
    *cfg = (struct nvr_config *)&n; /* must be overwritten, with NULL on failure */
    int rc = nvr_config_parse("nvr.conf", text, len, cfg, f);
    fclose(f);
    return rc;
}

static int parse(const char *text, struct nvr_config **cfg, char **errs)
{
    return parse_n(text, strlen(text), cfg, errs);
}

/* Parses text that must be valid; the caller frees the result. */
static struct nvr_config *parse_ok(const char *text)
{
    struct nvr_config *cfg;
    char *errs;
    int rc = parse(text, &cfg, &errs);
    CHECK_EQ_INT(rc, NVR_OK);
    CHECK_EQ_STR(errs, "");
    CHECK(rc != NVR_OK || cfg != NULL);
    free(errs);
    return rc == NVR_OK ? cfg : NULL;
}

/* Parses text that must be rejected with exactly the error lines want. */
static void expect_errors_n(const char *text, size_t len, const char *want)
{
    struct nvr_config *cfg;
    char *errs;
    int rc = parse_n(text, len, &cfg, &errs);
    CHECK_EQ_INT(rc, NVR_ECONFIG);
    CHECK(cfg == NULL);
    CHECK_EQ_STR(errs, want);
    free(errs);
}

static void expect_errors(const char *text, const char *want)
{
    expect_errors_n(text, strlen(text), want);
}

/* Parses SERVER plus "[camera lobby]" (line 3) with extra camera lines from line 4. */
static struct nvr_config *camera_ok(const char *lines)
{
    char text[8192];
    snprintf(text, sizeof(text), SERVER "[camera lobby]\nurl = rtsp://192.0.2.10/s\n%s", lines);
    return parse_ok(text);
}

/* ---- defaults and every key ---- */

static void test_minimal_config_defaults(void)
{
    struct nvr_config *cfg = parse_ok(SERVER);
    if (!cfg)
        return;
    CHECK_EQ_STR(cfg->path, "nvr.conf");
    CHECK_EQ_STR(cfg->listen_host, "127.0.0.1");
    CHECK_EQ_INT(cfg->listen_port, 8080);
    CHECK_EQ_STR(cfg->data_dir, "/var/lib/nvr");
    CHECK_EQ_STR(cfg->web_dir, NVR_CONFIG_DEFAULT_WEB_DIR);
    CHECK(cfg->tls_cert == NULL && cfg->tls_key == NULL);
    CHECK_EQ_INT(cfg->max_bytes, 0);
    CHECK(cfg->min_free_pct == 1.0);
    CHECK_EQ_INT(cfg->min_free_bytes, 0);
    CHECK_EQ_INT(cfg->http_threads, 0);
    CHECK_EQ_INT(cfg->ncameras, 0);
    CHECK(nvr_config_camera(cfg, "lobby") == NULL);
    nvr_config_free(&cfg);
    CHECK(cfg == NULL);
}

static void test_camera_defaults(void)
{
    struct nvr_config *cfg = camera_ok("");
    if (!cfg)
        return;
    CHECK_EQ_INT(cfg->ncameras, 1);
    const struct nvr_camera_config *c = nvr_config_camera(cfg, "lobby");
    CHECK(c == &cfg->cameras[0]);
    if (c) {
        CHECK_EQ_STR(c->id, "lobby");
        CHECK_EQ_STR(c->name, "lobby");
        CHECK_EQ_STR(c->url, "rtsp://192.0.2.10/s");
        CHECK(c->sub_url == NULL);
        CHECK_EQ_INT(c->transport, NVR_TRANSPORT_AUTO);
        CHECK_EQ_INT(c->segment_seconds, 60);
        CHECK_EQ_INT(c->retain_days, 30);
        CHECK_EQ_INT(c->audio, 0);
        CHECK_EQ_INT(c->enabled, 1);
        CHECK_EQ_INT(c->line, 3);
    }
    CHECK(nvr_config_camera(cfg, "lobb") == NULL);
    CHECK(nvr_config_camera(NULL, "lobby") == NULL);
    nvr_config_free(&cfg);
}

static void test_every_key(void)
{
    struct nvr_config *cfg = parse_ok("[server]\n"
                                      "listen = 0.0.0.0:9000\n"
                                      "data_dir = /srv/nvr\n"
                                      "web_dir = /opt/nvr/web\n"
                                      "tls_cert = /etc/nvr/cert.pem\n"
                                      "tls_key = /etc/nvr/key.pem\n"
                                      "http_threads = 8\n"
                                      "[storage]\n"
                                      "max_bytes = 2T\n"
                                      "min_free = 7.5%\n"
                                      "[camera gym-2]\n"
                                      "name = Gym east\n"
                                      "url = rtsps://admin:pw@cam.example.org:322/main\n"
                                      "sub_url = rtsp://192.0.2.11/sub\n"
                                      "transport = tcp\n"
                                      "segment_seconds = 3600\n"
                                      "retain_days = 0\n"
                                      "audio = yes\n"
                                      "enabled = off\n"
                                      "[camera hall_1]\n"
                                      "url = rtsp://[2001:db8::1]:554/x\n"
                                      "transport = UDP\n");
    if (!cfg)
        return;
    CHECK_EQ_STR(cfg->listen_host, "0.0.0.0");
    CHECK_EQ_INT(cfg->listen_port, 9000);
    CHECK_EQ_STR(cfg->data_dir, "/srv/nvr");
    CHECK_EQ_STR(cfg->web_dir, "/opt/nvr/web");
    CHECK_EQ_STR(cfg->tls_cert, "/etc/nvr/cert.pem");
    CHECK_EQ_STR(cfg->tls_key, "/etc/nvr/key.pem");
    CHECK_EQ_INT(cfg->http_threads, 8);
    CHECK(cfg->max_bytes == (uint64_t)2 << 40);
    CHECK(cfg->min_free_pct == 7.5);
    CHECK_EQ_INT(cfg->min_free_bytes, 0);
    CHECK_EQ_INT(cfg->ncameras, 2);
    const struct nvr_camera_config *g = &cfg->cameras[0], *h = &cfg->cameras[1];
    CHECK_EQ_STR(g->id, "gym-2");
    CHECK_EQ_STR(g->name, "Gym east");
    CHECK_EQ_STR(g->url, "rtsps://admin:pw@cam.example.org:322/main");
    CHECK_EQ_STR(g->sub_url, "rtsp://192.0.2.11/sub");
    CHECK_EQ_INT(g->transport, NVR_TRANSPORT_TCP);
    CHECK_EQ_INT(g->segment_seconds, 3600);
    CHECK_EQ_INT(g->retain_days, 0);
    CHECK_EQ_INT(g->audio, 1);
    CHECK_EQ_INT(g->enabled, 0);
    CHECK_EQ_INT(g->line, 11);
    CHECK_EQ_STR(h->id, "hall_1");
    CHECK_EQ_STR(h->name, "hall_1");
    CHECK_EQ_STR(h->url, "rtsp://[2001:db8::1]:554/x");
    CHECK_EQ_INT(h->transport, NVR_TRANSPORT_UDP);
    CHECK_EQ_INT(h->line, 20);
    CHECK(nvr_config_camera(cfg, "hall_1") == h);
    nvr_config_free(&cfg);
}

/* ---- value syntax, key by key ---- */

static void test_listen_forms(void)
{
    static const struct {
        const char *in, *host;
        int port;
    } ok[] = {
        {"127.0.0.1:8080", "127.0.0.1", 8080},
        {"[::1]:8080", "::1", 8080},
        {"[2001:db8::5]:443", "2001:db8::5", 443},
        {"[::]:65535", "::", 65535},
        {"9000", "127.0.0.1", 9000},
        {":9001", "127.0.0.1", 9001},
        {"localhost:80", "localhost", 80},
        {"0.0.0.0:1", "0.0.0.0", 1},
        {"nvr.school.example:8443", "nvr.school.example", 8443},
        {"nvr.school.example.:8443", "nvr.school.example.", 8443},
        {"cam-1.x-y.example:80", "cam-1.x-y.example", 80},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), "[server]\nlisten = %s\ndata_dir = /d\n", ok[i].in);
        struct nvr_config *cfg = parse_ok(text);
        if (!cfg)
            continue;
        CHECK_EQ_STR(cfg->listen_host, ok[i].host);
        CHECK_EQ_INT(cfg->listen_port, ok[i].port);
        nvr_config_free(&cfg);
    }
}

static void test_listen_errors(void)
{
    static const char *const bad[] = {
        "::1:8080",      "[::1]8080",    "[::1]:", "[zz]:80",  "[]:80",      "127.0.0.1:0", "127.0.0.1:65536",
        "127.0.0.1:80x", "host name:80", "*:8080", "1.2.3:80", "127.0.0.1:", "-1",          "",
        "nvr..test:80",  "-nvr:80",      "nvr-:80", ".:80",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[256], want[256];
        snprintf(text, sizeof(text), "[server]\nlisten = %s\ndata_dir = /d\n", bad[i]);
        snprintf(want, sizeof(want),
                 "nvr.conf:2: listen must be host:port, [IPv6]:port or a port, with the port "
                 "from 1 to 65535, got \"%s\"\n",
                 bad[i]);
        expect_errors(text, want);
    }
}

static void test_parse_size(void)
{
    static const struct {
        const char *in;
        uint64_t v;
    } ok[] = {
        {"0", 0},
        {"1", 1},
        {"512B", 512},
        {"1K", 1024},
        {"1k", 1024},
        {"1KB", 1024},
        {"1KiB", 1024},
        {"3M", 3 << 20},
        {"500G", (uint64_t)500 << 30},
        {"2T", (uint64_t)2 << 40},
        {"1.5T", (uint64_t)3 << 39},
        {"0.5K", 512},
        {"1.000001K", 1024},
        {"2.25GiB", (uint64_t)9 << 28},
        {"18446744073709551615", UINT64_MAX},
        {"16777215T", (uint64_t)16777215 << 40},
    };
    static const char *const bad[] = {
        "",          "K",     "-1",   "+1",         "1.5",
        "1.",        ".5K",   "1 K",  " 1",         "1X",
        "1Kb",       "1KiBB", "1iB",  "1.0000001K", "18446744073709551616",
        "16777216T", "1e3",   "0x10", "1P",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        uint64_t v = 12345;
        CHECK_EQ_INT(nvr_config_parse_size(ok[i].in, &v), NVR_OK);
        if (v != ok[i].v)
            fprintf(stderr, "size \"%s\" gave %llu\n", ok[i].in, (unsigned long long)v);
        CHECK(v == ok[i].v);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t v = 12345;
        if (nvr_config_parse_size(bad[i], &v) != NVR_EINVAL)
            fprintf(stderr, "size \"%s\" was accepted\n", bad[i]);
        CHECK(v == 12345);
    }
    CHECK_EQ_INT(nvr_config_parse_size(NULL, NULL), NVR_EINVAL);
}

static void test_storage_keys(void)
{
    struct nvr_config *cfg = parse_ok(SERVER "[storage]\nmax_bytes = 500G\nmin_free = 10G\n");
    if (cfg) {
        CHECK(cfg->max_bytes == (uint64_t)500 << 30);
        CHECK(cfg->min_free_bytes == (uint64_t)10 << 30);
        CHECK(cfg->min_free_pct == 0.0);
        nvr_config_free(&cfg);
    }
    cfg = parse_ok(SERVER "[storage]\nmin_free = 99.99%\n");
    if (cfg) {
        CHECK(cfg->min_free_pct == 99.99);
        CHECK_EQ_INT(cfg->min_free_bytes, 0);
        nvr_config_free(&cfg);
    }
    cfg = parse_ok(SERVER "[storage]\nmin_free = 0%\n");
    nvr_config_free(&cfg);

    expect_errors(SERVER "[storage]\nmax_bytes = 0\n",
                  "nvr.conf:4: max_bytes must be a size above 0 with an optional K, M, G or T "
                  "suffix, such as 500G or 1.5T, got \"0\"\n");
    static const char *const bad_free[] = {"100%", "-1%", "5%%", "%", "5 %", "abc", "1.5"};
    for (size_t i = 0; i < sizeof(bad_free) / sizeof(bad_free[0]); i++) {
        char text[256], want[256];
        snprintf(text, sizeof(text), SERVER "[storage]\nmin_free = %s\n", bad_free[i]);
        snprintf(want, sizeof(want),
                 "nvr.conf:4: min_free must be a percentage below 100%% (such as 5%%) or a size "
                 "(such as 50G), got \"%s\"\n",
                 bad_free[i]);
        expect_errors(text, want);
    }
}

/* [server] server_name: names or addresses, lower-cased, a final dot
 * dropped (also before a comma or the end), at most 32. */
static void test_server_names(void)
{
    struct nvr_config *cfg = parse_ok(SERVER "server_name = NVR.Example.org., recorder.test. 192.0.2.7,::1\n");
    if (cfg) {
        CHECK_EQ_STR(cfg->server_names, "nvr.example.org,recorder.test,192.0.2.7,::1");
        nvr_config_free(&cfg);
    }
    cfg = parse_ok(SERVER "server_name = nvr.test.\n");
    if (cfg) {
        CHECK_EQ_STR(cfg->server_names, "nvr.test");
        nvr_config_free(&cfg);
    }
    static const char *const bad[] = {".",        "a b_c",     "nvr.test, .", "nvr..test", ".nvr.test",
                                      "-nvr.test", "nvr-.test", "nvr.test-",   "nvr.test..",
                                      "a123456789012345678901234567890123456789012345678901234567890123.test"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct nvr_config *c;
        char text[256], *errs;
        snprintf(text, sizeof(text), SERVER "server_name = %s\n", bad[i]);
        CHECK_EQ_INT(parse(text, &c, &errs), NVR_ECONFIG);
        CHECK(strstr(errs, "nvr.conf:3: server_name must be") != NULL);
        free(errs);
    }
}

/* [storage] dirs: absolute paths, trailing slashes and spaces trimmed, none
 * twice; a camera's storage_dir must be one of them (or data_dir without). */
static void test_storage_dirs(void)
{
    struct nvr_config *cfg = parse_ok(SERVER "[storage]\ndirs = /srv/d1/ ,  /srv/d2,/var/lib/nvr\n");
    if (cfg) {
        CHECK_EQ_STR(cfg->storage_dirs, "/srv/d1,/srv/d2,/var/lib/nvr");
        nvr_config_free(&cfg);
    }
    cfg = parse_ok(SERVER);
    if (cfg) {
        CHECK(cfg->storage_dirs == NULL);
        nvr_config_free(&cfg);
    }
    static const char *const bad[] = {"srv/d1", "/srv/d1,,/srv/d2", "/a, /a/", "", " , ", "/a,"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[256], want[512];
        snprintf(text, sizeof(text), SERVER "[storage]\ndirs = %s\n", bad[i]);
        snprintf(want, sizeof(want),
                 "nvr.conf:4: dirs must be absolute paths separated by commas (at most 16, none twice, no comma in "
                 "a path), got \"%s\"\n",
                 bad[i]);
        if (strcmp(bad[i], " , ") == 0) /* the value is echoed trimmed */
            snprintf(want, sizeof(want),
                     "nvr.conf:4: dirs must be absolute paths separated by commas (at most 16, none twice, no comma "
                     "in a path), got \",\"\n");
        expect_errors(text, want);
    }
    char many[512] = "";
    for (int i = 0; i < 17; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s/d%d", i ? "," : "", i);
    char text[1024];
    snprintf(text, sizeof(text), SERVER "[storage]\ndirs = %s\n", many);
    struct nvr_config *c2;
    char *errs;
    CHECK_EQ_INT(parse(text, &c2, &errs), NVR_ECONFIG);
    free(errs);

    cfg = parse_ok(SERVER
                   "[storage]\ndirs = /srv/d1, /srv/d2\n[camera a]\nurl = rtsp://192.0.2.1/\nstorage_dir = /srv/d2/\n");
    if (cfg) {
        CHECK_EQ_STR(cfg->cameras[0].storage_dir, "/srv/d2/");
        nvr_config_free(&cfg);
    }
    cfg = parse_ok(SERVER "[camera a]\nurl = rtsp://192.0.2.1/\nstorage_dir = /var/lib/nvr\n");
    nvr_config_free(&cfg);
    expect_errors(SERVER "[storage]\ndirs = /srv/d1\n\n[camera a]\nurl = rtsp://192.0.2.1/\nstorage_dir = /srv/d3\n",
                  "nvr.conf:6: [camera a] storage_dir must be an absolute path listed in [storage] dirs\n");
    expect_errors(SERVER "[camera a]\nurl = rtsp://192.0.2.1/\nstorage_dir = /srv/d1\n",
                  "nvr.conf:3: [camera a] storage_dir must be an absolute path listed in [storage] dirs\n");
}

static void test_ui_keys(void)
{
    struct nvr_config *cfg = parse_ok(SERVER);
    if (cfg) {
        CHECK_EQ_INT(cfg->time_format, NVR_TIME_12H); /* the default */
        nvr_config_free(&cfg);
    }
    cfg = parse_ok(SERVER "[ui]\ntime_format = 24h\n");
    if (cfg) {
        CHECK_EQ_INT(cfg->time_format, NVR_TIME_24H);
        CHECK(strcmp(nvr_time_format_name(cfg->time_format), "24h") == 0);
        nvr_config_free(&cfg);
    }
    cfg = parse_ok(SERVER "[ui]\ntime_format = 12H\n");
    if (cfg) {
        CHECK_EQ_INT(cfg->time_format, NVR_TIME_12H);
        CHECK(strcmp(nvr_time_format_name(cfg->time_format), "12h") == 0);
        nvr_config_free(&cfg);
    }
    expect_errors(SERVER "[ui]\ntime_format = 24\n", "nvr.conf:4: time_format must be 12h or 24h, got \"24\"\n");
    expect_errors(SERVER "[ui]\ntime_format = 12h\n[ui]\n", "nvr.conf:5: duplicate section [ui] (first at line 3)\n");
}

static void test_catalog_keys(void)
{
    struct nvr_config *cfg = parse_ok(SERVER);
    if (cfg) {
        CHECK(cfg->catalog.url == NULL); /* no catalog unless asked */
        CHECK_EQ_INT(cfg->catalog.publish_seconds, 10);
        nvr_config_free(&cfg);
    }
    cfg = parse_ok(SERVER "[catalog]\nurl = postgresql://nvr:pw@db.district.example/nvr\nsite = north-high\n"
                          "publish_seconds = 5\n");
    if (cfg) {
        CHECK_EQ_STR(cfg->catalog.url, "postgresql://nvr:pw@db.district.example/nvr");
        CHECK_EQ_STR(cfg->catalog.site, "north-high");
        CHECK_EQ_INT(cfg->catalog.publish_seconds, 5);
        nvr_config_free(&cfg);
    }
    expect_errors(SERVER "[catalog]\nurl = postgres://db/nvr\n",
                  "nvr.conf:4: url is set but site is not (the name this recorder publishes its cameras under)\n");
    expect_errors(SERVER "[catalog]\nsite = north\n",
                  "nvr.conf:4: site is set but url is not (the catalog's postgresql:// URL)\n");
    /* a bad URL is named, never echoed (it may hold a password) */
    expect_errors(SERVER "[catalog]\nurl = mysql://nvr:hunter2@db/nvr\nsite = a\n",
                  "nvr.conf:4: url must be a postgresql:// or postgres:// URL (libpq's connection URI)\n");
    expect_errors(SERVER "[catalog]\nurl = postgresql://db/nvr\nsite = North High\n",
                  "nvr.conf:5: site must be 1 to 64 of a-z, 0-9, _ and -, got \"North High\"\n");
    /* advertise: where the console reaches this recorder */
    cfg = parse_ok(SERVER "[catalog]\nurl = postgresql://db/nvr\nsite = n\nadvertise = https://nvr-north.example:8443/\n");
    if (cfg) {
        CHECK_EQ_STR(cfg->catalog.advertise, "https://nvr-north.example:8443");
        nvr_config_free(&cfg);
    }
    expect_errors(SERVER "[catalog]\nurl = postgresql://db/nvr\nsite = n\nadvertise = ftp://x\n",
                  "nvr.conf:6: advertise must be http:// or https:// and a host (and port), without a path, got "
                  "\"ftp://x\"\n");
    expect_errors(SERVER "[catalog]\nurl = postgresql://db/nvr\nsite = n\nadvertise = http://x/nvr\n",
                  "nvr.conf:6: advertise must be http:// or https:// and a host (and port), without a path, got "
                  "\"http://x/nvr\"\n");
    expect_errors(SERVER "[catalog]\nadvertise = http://x\n",
                  "nvr.conf:4: advertise is set but url is not (the catalog's postgresql:// URL)\n");
}

#define OIDC_OK_TEXT                                                                                                   \
    "[oidc]\nissuer = https://login.example.org/tenant/v2.0/\nclient_id = nvr\nclient_secret = s3cret-value\n"         \
    "admin_groups = it-admins, nvr admins\nviewer_groups = staff\ngrant.staff = group:north, lobby\n"                  \
    "grant.team@example.org = *\n"

static void test_oidc_keys(void)
{
    struct nvr_config *cfg = parse_ok(SERVER OIDC_OK_TEXT);
    if (cfg) {
        const struct nvr_oidc_config *o = &cfg->oidc;
        CHECK_EQ_STR(o->issuer, "https://login.example.org/tenant/v2.0"); /* trailing slash dropped */
        CHECK_EQ_STR(o->client_id, "nvr");
        CHECK_EQ_STR(o->client_secret, "s3cret-value");
        CHECK_EQ_INT(o->auth, NVR_OIDC_SECRET_BASIC);
        CHECK_EQ_STR(o->admin_groups, "it-admins, nvr admins");
        CHECK_EQ_INT(o->ngrants, 2);
        if (o->ngrants == 2) {
            CHECK_EQ_STR(o->grants[0].group, "staff");
            CHECK_EQ_STR(o->grants[0].grants, "group:north, lobby");
            CHECK_EQ_STR(o->grants[1].group, "team@example.org");
        }
        CHECK(o->label == NULL && o->scopes == NULL && o->public_url == NULL);
        nvr_config_free(&cfg);
    }
    cfg =
        parse_ok(SERVER "[oidc]\nissuer = http://127.0.0.1:9000\nclient_id = c\nclient_secret_file = /etc/nvr/oidc\n"
                        "viewer_groups = v\ntoken_auth = client_secret_post\npublic_url = https://nvr.example.org/\n");
    if (cfg) {
        CHECK_EQ_INT(cfg->oidc.auth, NVR_OIDC_SECRET_POST);
        CHECK_EQ_STR(cfg->oidc.public_url, "https://nvr.example.org");
        CHECK_EQ_STR(cfg->oidc.client_secret_file, "/etc/nvr/oidc");
        nvr_config_free(&cfg);
    }
    cfg = parse_ok(SERVER);
    if (cfg) {
        CHECK(cfg->oidc.issuer == NULL); /* no [oidc]: no OIDC sign-in, nothing required */
        nvr_config_free(&cfg);
    }
    expect_errors(SERVER "[oidc]\nissuer = http://idp.example.org\nclient_id = c\nclient_secret = x\n"
                         "viewer_groups = v\n",
                  "nvr.conf:4: issuer must be an https:// URL without query or fragment (http:// only on loopback), "
                  "got \"http://idp.example.org\"\n");
    expect_errors(SERVER "[oidc]\nclient_secret = hidden-value\nclient_secret = again\n",
                  "nvr.conf:5: duplicate key \"client_secret\" in [oidc] (first at line 4)\n"
                  "nvr.conf:3: [oidc] has no issuer\n"
                  "nvr.conf:3: [oidc] has no client_id\n"
                  "nvr.conf:3: [oidc] has none of admin_groups, investigator_groups, viewer_groups\n");
    expect_errors(SERVER "[oidc]\nissuer = https://i.example\nclient_id = c\nclient_secret = x\n"
                         "client_secret_file = /f\nadmin_groups = a\ngrant.a = x\ngrant.a = y\nscopes = profile\n"
                         "token_auth = private_key_jwt\npublic_url = https://h.example/nvr\n",
                  "nvr.conf:10: duplicate key \"grant.a\" in [oidc] (first at line 9)\n"
                  "nvr.conf:12: token_auth must be client_secret_basic or client_secret_post, got \"private_key_jwt\"\n"
                  "nvr.conf:13: public_url must be http:// or https:// and a host (and port), without a path, got "
                  "\"https://h.example/nvr\"\n"
                  "nvr.conf:7: client_secret_file and client_secret are both set (set one)\n"
                  "nvr.conf:11: scopes must include openid\n");
}

/* [ldap]: the keys, the defaults, grant.GROUP lines, and the rules that
 * span keys; the bind password never shows in a message. */
static void test_ldap_keys(void)
{
    struct nvr_config *cfg = parse_ok(SERVER "[ldap]\n"
                                             "url = ldaps://dc1.school.example, ldaps://dc2.school.example:636\n"
                                             "ca_file = /etc/nvr/ad-ca.pem\n"
                                             "bind_dn = CN=nvr,OU=Services,DC=school,DC=example\n"
                                             "bind_password_file = /etc/nvr/ldap-password\n"
                                             "user_base = OU=Staff,DC=school,DC=example\n"
                                             "name_attribute = sAMAccountName\n"
                                             "admin_groups = NVR Admins\n"
                                             "viewer_groups = Teachers, Office\n"
                                             "grant.Teachers = group:south, cam1\n"
                                             "grant.office = *\n");
    if (cfg) {
        const struct nvr_ldap_config *l = &cfg->ldap;
        CHECK_EQ_STR(l->url, "ldaps://dc1.school.example ldaps://dc2.school.example:636");
        CHECK_EQ_STR(l->name_attribute, "sAMAccountName");
        CHECK(l->user_filter == NULL && l->bind_password == NULL);
        CHECK_EQ_INT(l->member_of, 1); /* the defaults */
        CHECK_EQ_INT(l->timeout, 5);
        CHECK_EQ_INT(l->starttls, 0);
        CHECK_EQ_INT((int)l->ngrants, 2);
        if (l->ngrants == 2) {
            CHECK_EQ_STR(l->grants[0].group, "Teachers");
            CHECK_EQ_STR(l->grants[0].grants, "group:south, cam1");
            CHECK_EQ_STR(l->grants[1].grants, "*");
        }
        nvr_config_free(&cfg);
    }
    cfg = parse_ok(SERVER); /* no [ldap]: no directory */
    if (cfg) {
        CHECK(cfg->ldap.url == NULL);
        nvr_config_free(&cfg);
    }
    /* plain LDAP only to loopback or with StartTLS; StartTLS not on ldaps:// */
    cfg = parse_ok(SERVER "[ldap]\nurl = ldap://dc1.example\nstarttls = on\nuser_base = dc=x\nviewer_groups = a\n");
    nvr_config_free(&cfg);
    cfg = parse_ok(SERVER "[ldap]\nurl = ldap://127.0.0.1:3890\nuser_base = dc=x\nviewer_groups = a\n");
    nvr_config_free(&cfg);
    expect_errors(SERVER "[ldap]\nurl = ldap://dc1.example\nuser_base = dc=x\nviewer_groups = a\n",
                  "nvr.conf:4: an ldap:// URL to another host needs starttls = on (or use ldaps://): passwords cross "
                  "it\n");
    expect_errors(SERVER "[ldap]\nurl = ldap://localhost.evil.example\nuser_base = dc=x\nviewer_groups = a\n",
                  "nvr.conf:4: an ldap:// URL to another host needs starttls = on (or use ldaps://): passwords cross "
                  "it\n");
    expect_errors(SERVER "[ldap]\nurl = ldap://127.evil.example:389\nuser_base = dc=x\nviewer_groups = a\n",
                  "nvr.conf:4: an ldap:// URL to another host needs starttls = on (or use ldaps://): passwords cross "
                  "it\n");
    cfg = parse_ok(SERVER "[ldap]\nurl = ldap://[::1]:3890 ldap://LOCALHOST\nuser_base = dc=x\nviewer_groups = a\n");
    nvr_config_free(&cfg);
    expect_errors(SERVER "[ldap]\nurl = ldaps://dc1\nstarttls = yes\nuser_base = dc=x\nviewer_groups = a\n",
                  "nvr.conf:5: starttls is for ldap:// URLs, not ldaps://\n");
    /* bad values, missing keys, pairs */
    expect_errors(SERVER "[ldap]\nurl = http://dc1\nuser_filter = uid=%s\nuser_base = dc=x\nviewer_groups = a\n"
                         "bind_password = hunter2hunter2\ntimeout = 10\nname_attribute = 1uid\n",
                  "nvr.conf:4: url must be ldap:// or ldaps:// URLs with a host, separated by spaces or commas (at "
                  "most 8), got \"http://dc1\"\n"
                  "nvr.conf:5: user_filter must be an LDAP filter in parentheses holding %s (the name), such as "
                  "(uid=%s), got \"uid=%s\"\n"
                  "nvr.conf:9: timeout must be an integer from 1 to 5 (seconds), got \"10\"\n"
                  "nvr.conf:10: name_attribute must be an attribute name (letters, digits, -), such as uid or "
                  "sAMAccountName, got \"1uid\"\n"
                  "nvr.conf:8: a bind password is set but bind_dn is not\n");
    expect_errors(SERVER "[ldap]\nuser_filter = (uid=%d)\n",
                  "nvr.conf:4: user_filter must be an LDAP filter in parentheses holding %s (the name), such as "
                  "(uid=%s), got \"(uid=%d)\"\n"
                  "nvr.conf:3: [ldap] has no url\n"
                  "nvr.conf:3: [ldap] has no user_base\n"
                  "nvr.conf:3: [ldap] maps no group to a role: set admin_groups, investigator_groups or "
                  "viewer_groups\n");
    expect_errors(SERVER "[ldap]\nurl = ldaps://a\nuser_base = dc=x\nviewer_groups = a\nbind_dn = cn=s\n"
                         "member_of = no\ngroup_base = ou=g\ngrant.a = cam1\ngrant.A = cam2\ngrant. = x\n",
                  "nvr.conf:11: duplicate key \"grant.A\" in [ldap]\n"
                  "nvr.conf:12: grant.GROUP needs a group name and cameras, as in grant.south-staff = cam1, "
                  "group:south\n"
                  "nvr.conf:7: bind_dn is set but bind_password (or bind_password_file) is not\n"
                  "nvr.conf:9: group_base is set but group_filter is not (set both or neither)\n");
    expect_errors(SERVER "[ldap]\nurl = ldaps://a\nuser_base = dc=x\nviewer_groups = a\nmember_of = no\n",
                  "nvr.conf:3: [ldap] reads no groups: set member_of = yes or group_base and group_filter\n");
}

static void test_integers_are_strict(void)
{
    struct nvr_config *cfg = camera_ok("segment_seconds = 1\nretain_days = 36500\n");
    if (cfg) {
        CHECK_EQ_INT(cfg->cameras[0].segment_seconds, 1);
        CHECK_EQ_INT(cfg->cameras[0].retain_days, 36500);
        nvr_config_free(&cfg);
    }
    cfg = camera_ok("segment_seconds = 060\n");
    if (cfg) {
        CHECK_EQ_INT(cfg->cameras[0].segment_seconds, 60);
        nvr_config_free(&cfg);
    }
    static const char *const bad_seg[] = {"0",  "3601", "abc", "60s", "",
                                          "-1", "+5",   "1.5", "6 0", "99999999999999999999999999"};
    for (size_t i = 0; i < sizeof(bad_seg) / sizeof(bad_seg[0]); i++) {
        char text[256], want[256];
        snprintf(text, sizeof(text), SERVER "[camera lobby]\nurl = rtsp://h/\nsegment_seconds = %s\n", bad_seg[i]);
        snprintf(want, sizeof(want), "nvr.conf:5: segment_seconds must be an integer from 1 to 3600, got \"%s\"\n",
                 bad_seg[i]);
        expect_errors(text, want);
    }
    expect_errors(SERVER "[camera lobby]\nurl = rtsp://h/\nretain_days = 36501\n",
                  "nvr.conf:5: retain_days must be an integer from 0 to 36500, got \"36501\"\n");
    expect_errors(SERVER "[camera lobby]\nurl = rtsp://h/\nretain_days = -1\n",
                  "nvr.conf:5: retain_days must be an integer from 0 to 36500, got \"-1\"\n");
    expect_errors("[server]\ndata_dir = /var/lib/nvr\nhttp_threads = 65\n",
                  "nvr.conf:3: http_threads must be an integer from 0 (one per CPU) to 64, got \"65\"\n");
}

static void test_booleans_and_transport(void)
{
    static const struct {
        const char *in;
        int v;
    } b[] = {
        {"yes", 1}, {"no", 0}, {"on", 1},  {"off", 0}, {"true", 1}, {"false", 0},
        {"1", 1},   {"0", 0},  {"YES", 1}, {"Off", 0}, {"True", 1},
    };
    for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
        char lines[128];
        snprintf(lines, sizeof(lines), "audio = %s\nenabled = %s\n", b[i].in, b[i].in);
        struct nvr_config *cfg = camera_ok(lines);
        if (!cfg)
            continue;
        CHECK_EQ_INT(cfg->cameras[0].audio, b[i].v);
        CHECK_EQ_INT(cfg->cameras[0].enabled, b[i].v);
        nvr_config_free(&cfg);
    }
    expect_errors(SERVER "[camera lobby]\nurl = rtsp://h/\naudio = maybe\nenabled = 2\n",
                  "nvr.conf:5: audio must be yes, no, on, off, true, false, 1 or 0, got \"maybe\"\n"
                  "nvr.conf:6: enabled must be yes, no, on, off, true, false, 1 or 0, got \"2\"\n");

    static const struct {
        const char *in;
        enum nvr_transport v;
    } t[] = {
        {"auto", NVR_TRANSPORT_AUTO}, {"tcp", NVR_TRANSPORT_TCP},   {"udp", NVR_TRANSPORT_UDP},
        {"TCP", NVR_TRANSPORT_TCP},   {"http", NVR_TRANSPORT_HTTP}, {"HTTP", NVR_TRANSPORT_HTTP},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char lines[128];
        snprintf(lines, sizeof(lines), "transport = %s\n", t[i].in);
        struct nvr_config *cfg = camera_ok(lines);
        if (!cfg)
            continue;
        CHECK_EQ_INT(cfg->cameras[0].transport, t[i].v);
        nvr_config_free(&cfg);
    }
    expect_errors(SERVER "[camera lobby]\nurl = rtsp://h/\ntransport = https\n",
                  "nvr.conf:5: transport must be auto, tcp, udp or http, got \"https\"\n");
}

static void test_comments(void)
{
    struct nvr_config *cfg = parse_ok("; a comment\n"
                                      "# another\n"
                                      "   ; indented\n"
                                      "\t# tab-indented\n"
                                      "\n"
                                      "   \n"
                                      "[server] ; the server\n"
                                      "data_dir = /var/lib/nvr ; the data\n"
                                      "listen = 8081\t# port only\n"
                                      "[camera a]# no space needed after a header\n"
                                      "url = rtsp://192.0.2.1/live#frag;x=1 ; comment\n"
                                      "name = A;B#C\n"
                                      "[camera b]\n"
                                      "url=rtsp://192.0.2.2/\n"
                                      "name=Hall\t;tab before the comment\n");
    if (!cfg)
        return;
    CHECK_EQ_STR(cfg->data_dir, "/var/lib/nvr");
    CHECK_EQ_INT(cfg->listen_port, 8081);
    CHECK_EQ_STR(cfg->cameras[0].url, "rtsp://192.0.2.1/live#frag;x=1");
    CHECK_EQ_STR(cfg->cameras[0].name, "A;B#C");
    CHECK_EQ_STR(cfg->cameras[1].url, "rtsp://192.0.2.2/");
    CHECK_EQ_STR(cfg->cameras[1].name, "Hall");
    nvr_config_free(&cfg);
}

static void test_empty_value(void)
{
    expect_errors(SERVER "[camera lobby]\nurl = rtsp://h/\nname = ; nothing\nname2 =\n",
                  "nvr.conf:5: name must be a non-empty text, got \"\"\n"
                  "nvr.conf:6: unknown key \"name2\" in [camera lobby]\n");
}

static void test_quoting(void)
{
    /* quotes keep spaces, but a space inside a URL is still an error */
    expect_errors(SERVER "[camera a]\nurl = \"rtsp://192.0.2.1/a b\"\n",
                  "nvr.conf:4: url must be an rtsp:// or rtsps:// URL with a host\n");

    struct nvr_config *cfg = parse_ok("[server]\n"
                                      "data_dir = \"/var/lib/my nvr \"  ; trailing space kept\n"
                                      "[camera a]\n"
                                      "url = \"rtsp://192.0.2.1/a\"\n"
                                      "name = \"Gym ; east # 2\"\n"
                                      "[camera b]\n"
                                      "url = rtsp://192.0.2.2/\n"
                                      "name = \"  say \\\"hi\\\" \\\\ back  \"\n"
                                      "[camera c]\n"
                                      "url = rtsp://192.0.2.3/\n"
                                      "name = He said \"no\"\n");
    if (!cfg)
        return;
    CHECK_EQ_STR(cfg->data_dir, "/var/lib/my nvr ");
    CHECK_EQ_STR(cfg->cameras[0].url, "rtsp://192.0.2.1/a");
    CHECK_EQ_STR(cfg->cameras[0].name, "Gym ; east # 2");
    CHECK_EQ_STR(cfg->cameras[1].name, "  say \"hi\" \\ back  ");
    CHECK_EQ_STR(cfg->cameras[2].name, "He said \"no\"");
    nvr_config_free(&cfg);

    expect_errors(SERVER "[camera a]\nurl = rtsp://h/\n"
                         "name = \"Gym\n"
                         "name = \"a\\nb\"\n"
                         "name = \"a\" b\n"
                         "name = \"\"\n",
                  "nvr.conf:5: quoted value has no closing quote\n"
                  "nvr.conf:6: in a quoted value only \\\" and \\\\ are escapes\n"
                  "nvr.conf:7: unexpected text after the closing quote\n"
                  "nvr.conf:8: name must be a non-empty text, got \"\"\n");
}

static void test_crlf_and_bom(void)
{
    const char *crlf = "\xEF\xBB\xBF[server]\r\n"
                       "data_dir = /var/lib/nvr\r\n"
                       "listen = [::1]:8080 ; v6\r\n"
                       "\r\n"
                       "[camera lobby]\r\n"
                       "name = \"Main lobby\"\r\n"
                       "url = rtsp://192.0.2.10/s\r\n"
                       "audio = on"; /* no final newline */
    struct nvr_config *cfg = parse_ok(crlf);
    if (cfg) {
        CHECK_EQ_STR(cfg->data_dir, "/var/lib/nvr");
        CHECK_EQ_STR(cfg->listen_host, "::1");
        CHECK_EQ_STR(cfg->cameras[0].name, "Main lobby");
        CHECK_EQ_STR(cfg->cameras[0].url, "rtsp://192.0.2.10/s");
        CHECK_EQ_INT(cfg->cameras[0].audio, 1);
        CHECK_EQ_INT(cfg->cameras[0].line, 5);
        nvr_config_free(&cfg);
    }
    expect_errors("[server]\r\ndata_dir = /d\r\n[camera x]\r\nurl = rtsp://h/\r\nbogus = 1\r\n",
                  "nvr.conf:5: unknown key \"bogus\" in [camera x]\n");
    /* a BOM anywhere but the start is not skipped */
    expect_errors(SERVER "\xEF\xBB\xBF[storage]\n", "nvr.conf:3: expected [section], key = value, or a comment\n");
}

/* ---- structural errors ---- */

static void test_unknown_section(void)
{
    /* keys inside an unknown section are not reported on their own */
    expect_errors("[srever]\ndata_dir = /d\nfoo = bar\n", "nvr.conf:1: unknown section [srever]\n"
                                                          "nvr.conf: missing [server] data_dir\n");
    expect_errors(SERVER "[Server]\n[cameras x]\n[camera]\n[ camera  ]\n[]\n",
                  "nvr.conf:3: unknown section [Server]\n"
                  "nvr.conf:4: unknown section [cameras x]\n"
                  "nvr.conf:5: [camera] needs an id, as in [camera lobby]\n"
                  "nvr.conf:6: [camera] needs an id, as in [camera lobby]\n"
                  "nvr.conf:7: unknown section []\n");
}

static void test_unknown_key(void)
{
    expect_errors(SERVER "[storage]\n"
                         "[camera lobby]\n"
                         "url = rtsp://h/\n"
                         "segment_secs = 60\n"
                         "[server]\n",
                  "nvr.conf:6: unknown key \"segment_secs\" in [camera lobby]\n"
                  "nvr.conf:7: duplicate section [server] (first at line 1)\n");
    expect_errors("[server]\nname = x\ndata_dir = /d\n[storage]\nurl = rtsp://h/\n",
                  "nvr.conf:2: unknown key \"name\" in [server]\n"
                  "nvr.conf:5: unknown key \"url\" in [storage]\n");
    expect_errors(SERVER "[camera a]\nurl = rtsp://h/\nURL = rtsp://h/\n",
                  "nvr.conf:5: unknown key \"URL\" in [camera a]\n");
}

static void test_duplicate_key(void)
{
    expect_errors("[server]\ndata_dir = /a\ndata_dir = /b\n",
                  "nvr.conf:3: duplicate key \"data_dir\" in [server] (first at line 2)\n");
    /* the first value counts for the "first at" line even if it was bad */
    expect_errors(SERVER "[camera a]\nurl = ftp://h/\nurl = rtsp://h/\n",
                  "nvr.conf:4: url must be an rtsp:// or rtsps:// URL with a host\n"
                  "nvr.conf:5: duplicate key \"url\" in [camera a] (first at line 4)\n");
}

static void test_duplicate_sections(void)
{
    /* a repeated [server] continues the first: its keys are still checked */
    expect_errors("[server]\ndata_dir = /a\n[storage]\n[server]\ndata_dir = /b\nlisten = x\n",
                  "nvr.conf:4: duplicate section [server] (first at line 1)\n"
                  "nvr.conf:5: duplicate key \"data_dir\" in [server] (first at line 2)\n"
                  "nvr.conf:6: listen must be host:port, [IPv6]:port or a port, with the port "
                  "from 1 to 65535, got \"x\"\n");
    expect_errors(SERVER "[storage]\n[storage]\n", "nvr.conf:4: duplicate section [storage] (first at line 3)\n");
    /* a repeated camera is read as well, so its own mistakes show */
    expect_errors(SERVER "[camera lobby]\nurl = rtsp://h/\n[camera hall]\nurl = rtsp://h/\n"
                         "[camera lobby]\nretain_days = x\n",
                  "nvr.conf:7: duplicate camera id \"lobby\" (first at line 3)\n"
                  "nvr.conf:8: retain_days must be an integer from 0 to 36500, got \"x\"\n"
                  "nvr.conf:7: [camera lobby] has no url\n");
}

static void test_missing_required(void)
{
    expect_errors(SERVER "[camera lobby]\nname = Lobby\n[camera hall]\nurl = rtsp://h/\n",
                  "nvr.conf:3: [camera lobby] has no url\n");
    expect_errors("[server]\nlisten = 8080\n", "nvr.conf:1: [server] has no data_dir\n");
    expect_errors("", "nvr.conf: missing [server] data_dir\n");
    expect_errors("; only comments\n[storage]\n", "nvr.conf: missing [server] data_dir\n");
    /* no camera at all is fine: a fresh install */
    struct nvr_config *cfg = parse_ok(SERVER "[storage]\n");
    nvr_config_free(&cfg);
}

static void test_paths_and_tls_pair(void)
{
    expect_errors("[server]\ndata_dir = var/lib/nvr\n",
                  "nvr.conf:2: data_dir must be an absolute path, got \"var/lib/nvr\"\n");
    expect_errors(SERVER "tls_cert = /etc/nvr/cert.pem\n",
                  "nvr.conf:3: tls_cert is set but tls_key is not (set both or neither)\n");
    expect_errors(SERVER "listen = 443\ntls_key = /etc/nvr/key.pem\n",
                  "nvr.conf:4: tls_key is set but tls_cert is not (set both or neither)\n");
    expect_errors(SERVER "tls_cert = cert.pem\ntls_key = /k\n",
                  "nvr.conf:3: tls_cert must be an absolute path, got \"cert.pem\"\n");
}

static void test_camera_ids(void)
{
    char text[512];
    const char *id64 = "a123456789b123456789c123456789d123456789e123456789f123456789_-z9";
    snprintf(text, sizeof(text),
             SERVER "[camera %s]\nurl = rtsp://h/\n[camera\tx]\nurl = rtsp://h/\n"
                    "[camera   y  ]\nurl = rtsp://h/\n",
             id64);
    struct nvr_config *cfg = parse_ok(text);
    if (cfg) {
        CHECK_EQ_INT(cfg->ncameras, 3);
        CHECK_EQ_STR(cfg->cameras[0].id, id64);
        CHECK_EQ_STR(cfg->cameras[1].id, "x");
        CHECK_EQ_STR(cfg->cameras[2].id, "y");
        nvr_config_free(&cfg);
    }
    snprintf(text, sizeof(text),
             SERVER "[camera %s0]\nbogus = 1\n[camera Lobby]\n[camera lob by]\n"
                    "[camera lob.by]\n",
             id64);
    char want[1024];
    snprintf(want, sizeof(want),
             "nvr.conf:3: camera id \"%.64s...\" must be 1 to 64 of a-z, 0-9, _ and -\n"
             "nvr.conf:5: camera id \"Lobby\" must be 1 to 64 of a-z, 0-9, _ and -\n"
             "nvr.conf:6: camera id \"lob by\" must be 1 to 64 of a-z, 0-9, _ and -\n"
             "nvr.conf:7: camera id \"lob.by\" must be 1 to 64 of a-z, 0-9, _ and -\n",
             id64);
    expect_errors(text, want);
}

static void test_url_rules(void)
{
    static const char *const ok[] = {
        "rtsp://192.0.2.1",      "RTSP://cam",
        "rtsps://cam:322/x?y=1", "rtsp://u:p@ss@cam/",
        "rtsp://[2001:db8::1]/", "rtsp://[2001:db8::1]:554",
        "rtsp://user@cam/a#b",
    };
    static const char *const bad[] = {
        "http://u:hunter2@cam/",
        "rtsp://u:hunter2@/x",
        "rtsp://",
        "rtsp:///x",
        "rtsp://u:hunter2@cam:99999/",
        "rtsp://u:hunter2@cam:/",
        "rtsp://u:hunter2@[::1/x",
        "rtsp://u:hunter2@[]/",
        "rtsp://u:hunter2@cam:55a/",
        "rtsp://u:hunter2@c am/",
        "rtsp:/u:hunter2@cam",
        "u:hunter2@cam",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char lines[256];
        snprintf(lines, sizeof(lines), "sub_url = %s\n", ok[i]);
        struct nvr_config *cfg = camera_ok(lines);
        if (cfg)
            CHECK_EQ_STR(cfg->cameras[0].sub_url, ok[i]);
        nvr_config_free(&cfg);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), SERVER "[camera a]\nurl = %s\nsub_url = %s\n", bad[i], bad[i]);
        expect_errors(text, "nvr.conf:4: url must be an rtsp:// or rtsps:// URL with a host\n"
                            "nvr.conf:5: sub_url must be an rtsp:// or rtsps:// URL with a host\n");
    }
}

/* Every kind of mistake near a password: none of them may print it. */
static void test_no_password_in_messages(void)
{
    const char *text = SERVER "rtsp://admin:hunter2@192.0.2.10/stream\n" /* a URL without "url =" */
                              "[camera lobby]\n"
                              "url = rtsp://admin:hunter2@192.0.2.10:99999/\n" /* bad port */
                              "url = rtsp://admin:hunter2@192.0.2.10/\n"       /* duplicate */
                              "sub_url = htsp://admin:hunter2@192.0.2.10/\n"   /* bad scheme */
                              "transport = rtsp://admin:hunter2@192.0.2.10/\n" /* URL in a non-URL key */
                              "ur l = rtsp://admin:hunter2@192.0.2.10/\n"      /* bad key */
                              "rtsp://admin:hunter2@192.0.2.10/x?a = b\n"      /* '=' inside a URL */
                              "[camera rtsp://admin:hunter2@192.0.2.10]\n"     /* URL as a camera id */
                              "[rtsp://admin:hunter2@192.0.2.10]\n";           /* URL as a section */
    struct nvr_config *cfg;
    char *errs;
    CHECK_EQ_INT(parse(text, &cfg, &errs), NVR_ECONFIG);
    CHECK(cfg == NULL);
    CHECK(strstr(errs, "hunter2") == NULL);
    CHECK(strstr(errs, "nvr.conf:3: ") != NULL);
    CHECK(strstr(errs, "nvr.conf:12: ") != NULL);
    CHECK(strstr(errs, "nvr.conf:8: transport must be auto, tcp, udp or http, got "
                       "\"rtsp://admin:***@192.0.2.10/\"") != NULL);
    free(errs);
}

static void test_many_errors_in_one_run(void)
{
    expect_errors("[server]\n"                 /* 1 */
                  "listen = 127.0.0.1:99999\n" /* 2 */
                  "tls_key = /k\n"             /* 3 */
                  "[storage]\n"                /* 4 */
                  "max_bytes = lots\n"         /* 5 */
                  "[camera lobby]\n"           /* 6 */
                  "name = Main lobby\n"        /* 7 */
                  "segment_seconds = abc\n"    /* 8 */
                  "segment_secs = 60\n"        /* 9 */
                  "this is not a setting\n"    /* 10 */
                  "[camera gym]\n"             /* 11 */
                  "url = rtsp://192.0.2.11/\n" /* 12 */
                  "[camera lobby]\n"           /* 13 */
                  "url = rtsp://192.0.2.12/\n" /* 14 */
                  "[hallway]\n"                /* 15 */
                  "url = x\n",                 /* 16 */
                  "nvr.conf:2: listen must be host:port, [IPv6]:port or a port, with the port "
                  "from 1 to 65535, got \"127.0.0.1:99999\"\n"
                  "nvr.conf:5: max_bytes must be a size above 0 with an optional K, M, G or T "
                  "suffix, such as 500G or 1.5T, got \"lots\"\n"
                  "nvr.conf:8: segment_seconds must be an integer from 1 to 3600, got \"abc\"\n"
                  "nvr.conf:9: unknown key \"segment_secs\" in [camera lobby]\n"
                  "nvr.conf:10: expected [section], key = value, or a comment\n"
                  "nvr.conf:6: [camera lobby] has no url\n"
                  "nvr.conf:13: duplicate camera id \"lobby\" (first at line 6)\n"
                  "nvr.conf:15: unknown section [hallway]\n"
                  "nvr.conf:1: [server] has no data_dir\n"
                  "nvr.conf:3: tls_key is set but tls_cert is not (set both or neither)\n");
}

static void test_syntax_errors(void)
{
    expect_errors("x = 1\n" SERVER "[server\n= v\n[storage] junk\nmax_bytes 5\n",
                  "nvr.conf:1: key \"x\" comes before any [section]\n"
                  "nvr.conf:4: expected [section], key = value, or a comment\n"
                  "nvr.conf:5: expected [section], key = value, or a comment\n"
                  "nvr.conf:6: expected [section], key = value, or a comment\n"
                  "nvr.conf:7: expected [section], key = value, or a comment\n");
}

/* ---- hostile input ---- */

static void test_long_lines_and_bad_bytes(void)
{
    /* a 4096-byte line is fine, a 4097-byte one is an error and reading goes on */
    size_t cap = 20000;
    char *text = malloc(cap);
    int n = snprintf(text, cap, SERVER "; ");
    memset(text + n, 'x', 4094);
    n += 4094;
    n += snprintf(text + n, cap - (size_t)n, "\n; ");
    memset(text + n, 'x', 4095);
    n += 4095;
    snprintf(text + n, cap - (size_t)n, "\nbogus = 1\n");
    expect_errors(text, "nvr.conf:4: line is longer than 4096 bytes\n"
                        "nvr.conf:5: unknown key \"bogus\" in [server]\n");
    free(text);

    static const char nul[] = "[server]\ndata_dir = /var/lib\0/nvr\nbogus = 1\n";
    expect_errors_n(nul, sizeof(nul) - 1,
                    "nvr.conf:2: line contains a control character (0x00)\n"
                    "nvr.conf:3: unknown key \"bogus\" in [server]\n"
                    "nvr.conf:1: [server] has no data_dir\n");
    expect_errors(SERVER "[camera a]\nurl = rtsp://h/\nname = a\x01z\nname = a\rb\nname = \x7f\n",
                  "nvr.conf:5: line contains a control character (0x01)\n"
                  "nvr.conf:6: line contains a control character (0x0d)\n"
                  "nvr.conf:7: line contains a control character (0x7f)\n");
    expect_errors(SERVER "[camera a]\nurl = rtsp://h/\n"
                         "name = \xC3\x28\n"         /* bad continuation */
                         "name = \xC0\x80\n"         /* overlong NUL */
                         "name = \xED\xA0\x80\n"     /* surrogate */
                         "name = \xF4\x90\x80\x80\n" /* above U+10FFFF */
                         "name = \xE2\x82\n",        /* cut short */
                  "nvr.conf:5: line is not valid UTF-8\n"
                  "nvr.conf:6: line is not valid UTF-8\n"
                  "nvr.conf:7: line is not valid UTF-8\n"
                  "nvr.conf:8: line is not valid UTF-8\n"
                  "nvr.conf:9: line is not valid UTF-8\n");
    struct nvr_config *cfg = camera_ok("name = Caf\xC3\xA9 \xE6\x9D\xB1 \xF0\x9F\x93\xB7\n");
    if (cfg)
        CHECK_EQ_STR(cfg->cameras[0].name, "Caf\xC3\xA9 \xE6\x9D\xB1 \xF0\x9F\x93\xB7");
    nvr_config_free(&cfg);
}

static void test_camera_limit(void)
{
    size_t cap = 1100 * 48, n = 0;
    char *text = malloc(cap);
    n += (size_t)snprintf(text, cap, SERVER);
    for (int i = 0; i < 1000; i++)
        n += (size_t)snprintf(text + n, cap - n, "[camera c%d]\nurl = rtsp://h/\n", i);
    struct nvr_config *cfg = parse_ok(text);
    if (cfg) {
        CHECK_EQ_INT(cfg->ncameras, 1000);
        CHECK_EQ_STR(cfg->cameras[999].id, "c999");
        CHECK(nvr_config_camera(cfg, "c500") == &cfg->cameras[500]);
        nvr_config_free(&cfg);
    }
    /* cameras 1001..1005 (lines 2003, 2005, ...): one message, their keys not read */
    for (int i = 1000; i < 1005; i++)
        n += (size_t)snprintf(text + n, cap - n, "[camera c%d]\nbogus = 1\n", i);
    expect_errors(text, "nvr.conf:2003: more than 1000 cameras\n");
    free(text);
}

static void test_file_size_limit(void)
{
    size_t max = 1024 * 1024;
    char *text = malloc(max + 1);
    memset(text, '\n', max + 1);
    memcpy(text, SERVER, strlen(SERVER));
    struct nvr_config *cfg;
    char *errs;
    CHECK_EQ_INT(parse_n(text, max, &cfg, &errs), NVR_OK);
    CHECK_EQ_STR(errs, "");
    nvr_config_free(&cfg);
    free(errs);
    expect_errors_n(text, max + 1, "nvr.conf: file is larger than 1 MiB\n");
    free(text);
}

/* Random bytes and random mixes of config tokens must never crash or leak. */
static void test_garbage_never_crashes(void)
{
    static const char *const tokens[] = {
        "[server]",
        "[storage]",
        "[camera a]",
        "[camera b]",
        "[camera ",
        "]",
        "[",
        "\n",
        "\r\n",
        "=",
        " = ",
        "\"",
        "\\",
        ";",
        "#",
        " ",
        "\t",
        "data_dir",
        "/d",
        "url",
        "rtsp://u:p@h/",
        "listen",
        "[::1]:80",
        "min_free",
        "5%",
        "max_bytes",
        "2T",
        "name",
        "tls_cert",
        "tls_key",
        "\xEF\xBB\xBF",
        "\xC3",
        "\0",
        "segment_seconds",
        "60",
    };
    uint64_t x = 88172645463325252ull;
    char buf[512];
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = 0;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int ntok = (int)(x % 40);
        for (int t = 0; t < ntok; t++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            if (iter % 4 == 0) {
                if (len < sizeof(buf))
                    buf[len++] = (char)(x >> 24);
                continue;
            }
            const char *tok = tokens[x % (sizeof(tokens) / sizeof(tokens[0]))];
            size_t tl = *tok ? strlen(tok) : 1;
            if (len + tl > sizeof(buf))
                break;
            memcpy(buf + len, tok, tl);
            len += tl;
        }
        struct nvr_config *cfg = (struct nvr_config *)buf;
        int rc = nvr_config_parse("fuzz.conf", buf, len, &cfg, NULL);
        CHECK(rc == NVR_OK || rc == NVR_ECONFIG);
        CHECK((rc == NVR_OK) == (cfg != NULL));
        nvr_config_free(&cfg);
    }
}

/* ---- files ---- */

static void test_load_file(void)
{
    char path[] = "/tmp/test_config_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    const char *text = SERVER "[camera lobby]\nurl = rtsp://192.0.2.10/s\n";
    CHECK_EQ_INT(write(fd, text, strlen(text)), (long long)strlen(text));
    close(fd);

    struct nvr_config *cfg = NULL;
    CHECK_EQ_INT(nvr_config_load(path, &cfg, stderr), NVR_OK);
    if (cfg) {
        CHECK_EQ_STR(cfg->path, path);
        CHECK_EQ_INT(cfg->ncameras, 1);
    }
    nvr_config_free(&cfg);

    char *errs;
    size_t n;
    FILE *f = open_memstream(&errs, &n);
    char want[256];
    unlink(path);
    cfg = (struct nvr_config *)path;
    CHECK_EQ_INT(nvr_config_load(path, &cfg, f), NVR_EIO);
    fclose(f);
    CHECK(cfg == NULL);
    snprintf(want, sizeof(want), "%s: cannot read: No such file or directory\n", path);
    CHECK_EQ_STR(errs, want);
    free(errs);

    f = open_memstream(&errs, &n);
    CHECK_EQ_INT(nvr_config_load("/tmp", &cfg, f), NVR_EIO);
    fclose(f);
    CHECK_EQ_STR(errs, "/tmp: cannot read: Is a directory\n");
    free(errs);

    /* errors in a real file carry its path */
    strcpy(path, "/tmp/test_config_XXXXXX");
    fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK_EQ_INT(write(fd, "[server]\n", 9), 9);
    close(fd);
    f = open_memstream(&errs, &n);
    CHECK_EQ_INT(nvr_config_load(path, &cfg, f), NVR_ECONFIG);
    fclose(f);
    snprintf(want, sizeof(want), "%s:1: [server] has no data_dir\n", path);
    CHECK_EQ_STR(errs, want);
    free(errs);
    unlink(path);
}

static void test_example_config(void)
{
    const char *path = example_path;
#ifdef NVR_SOURCE_DIR
    if (!path)
        path = NVR_SOURCE_DIR "/packaging/nvr.example.ini";
#endif
    if (!path) {
        printf("skipped test_example_config: pass the path of packaging/nvr.example.ini as "
               "argv[1] or build with NVR_SOURCE_DIR\n");
        return;
    }
    struct nvr_config *cfg = NULL;
    CHECK_EQ_INT(nvr_config_load(path, &cfg, stderr), NVR_OK);
    if (!cfg)
        return;
    /* the shipped file shows the defaults and one camera */
    CHECK_EQ_STR(cfg->listen_host, "127.0.0.1");
    CHECK_EQ_INT(cfg->listen_port, 8080);
    CHECK_EQ_STR(cfg->data_dir, "/var/lib/nvr");
    CHECK(cfg->tls_cert == NULL);
    CHECK_EQ_INT(cfg->ncameras, 1);
    const struct nvr_camera_config *c = nvr_config_camera(cfg, "lobby");
    CHECK(c != NULL);
    if (c) {
        CHECK_EQ_INT(c->audio, 0);
        CHECK_EQ_INT(c->enabled, 1);
        CHECK_EQ_INT(c->segment_seconds, 60);
        CHECK_EQ_INT(c->retain_days, 30);
    }
    nvr_config_free(&cfg);
}

static void test_free_and_null_errs(void)
{
    struct nvr_config *cfg = NULL;
    nvr_config_free(NULL);
    nvr_config_free(&cfg);
    CHECK(cfg == NULL);
    /* errs may be NULL: errors are then only counted */
    CHECK_EQ_INT(nvr_config_parse("x", "[bad]\n", 6, &cfg, NULL), NVR_ECONFIG);
    CHECK(cfg == NULL);
    CHECK_EQ_INT(nvr_config_parse("x", SERVER, strlen(SERVER), &cfg, NULL), NVR_OK);
    CHECK(cfg != NULL);
    nvr_config_free(&cfg);
    CHECK(cfg == NULL);
}

/* ---- the camera settings table (camera_config.h), walked row by row ---- */

/* A valid value of s as config-file text, into buf: variant 0 is not the
 * default, variant 1 is another value again (for BOOL, the default). */
static const char *sample_value(const struct nvr_camera_setting *s, int variant, char *buf, size_t n)
{
    switch (s->kind) {
    case NVR_CS_TEXT: snprintf(buf, n, variant ? "Gym \"east\" \\ wing, caf\xC3\xA9 #2 ; x" : "Hall B"); break;
    case NVR_CS_RTSP_URL:
        snprintf(buf, n, "rtsp://admin:pa\"s\\s@192.0.2.%d:554/Streaming/%s", 20 + variant, s->key);
        break;
    case NVR_CS_HTTP_URL: snprintf(buf, n, "http://admin:pw%d@192.0.2.10/onvif/device_service", variant); break;
    case NVR_CS_PATH: /* one of CAMERA_DIRS */ snprintf(buf, n, "/srv/nvr/disk%d", 1 + variant); break;
    case NVR_CS_INT:
        snprintf(buf, n, "%ld",
                 variant ? (s->def == s->max ? s->min : s->max) : (s->def == s->min + 1 ? s->min : s->min + 1));
        break;
    case NVR_CS_BOOL: /* only one value is not the default: variant 1 spells the default */
        snprintf(buf, n, "%s", variant ? (s->def ? "on" : "off") : (s->def ? "no" : "yes"));
        break;
    case NVR_CS_TRANSPORT:
        snprintf(buf, n, "%s", nvr_transport_name((enum nvr_transport)((s->def + 1 + variant) % 4)));
        break;
    case NVR_CS_MSOURCE:
        snprintf(buf, n, "%s", nvr_motion_source_name((enum nvr_motion_source)((s->def + 1 + variant) % 3)));
        break;
    case NVR_CS_RECTS: snprintf(buf, n, variant ? "0,0,0.25,0.5; 0.5,0.5,1,1" : "0.1,0.2,0.3,0.4"); break;
    }
    return buf;
}

/* The [storage] dirs a PATH setting (storage_dir) may name. */
#define CAMERA_DIRS "[storage]\ndirs = /srv/nvr/disk1, /srv/nvr/disk2/\n"

/* A config of SERVER plus one [camera lobby] whose section body is body. */
static struct nvr_config *camera_section_ok(const char *body)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fprintf(f, SERVER CAMERA_DIRS "[camera lobby]\n%s", body);
    fclose(f);
    struct nvr_config *cfg = parse_ok(text);
    free(text);
    return cfg;
}

/* The text of c's section as nvr_camera_config_write_ini writes it. */
static char *ini_of(const struct nvr_camera_config *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    nvr_camera_config_write_ini(f, c);
    fclose(f);
    return text;
}

static void test_settings_table_shape(void)
{
    CHECK(nvr_camera_nsettings >= 10);
    for (size_t i = 0; i < nvr_camera_nsettings; i++) {
        const struct nvr_camera_setting *s = &nvr_camera_settings[i];
        CHECK(nvr_camera_setting_find(s->key) == s);
        CHECK(s->help && s->help[0]);
        CHECK(!(s->flags & NVR_CS_SECRET) || s->kind == NVR_CS_RTSP_URL || s->kind == NVR_CS_HTTP_URL);
        CHECK(!(s->flags & NVR_CS_DEFAULT_ID) || s->kind == NVR_CS_TEXT);
        if (s->kind == NVR_CS_INT)
            CHECK(s->min <= s->def && s->def <= s->max);
        if (s->kind == NVR_CS_BOOL)
            CHECK(s->def == 0 || s->def == 1);
        /* the URL kinds are secret: a password must never reach a message or JSON */
        if (s->kind == NVR_CS_RTSP_URL || s->kind == NVR_CS_HTTP_URL)
            CHECK(s->flags & NVR_CS_SECRET);
    }
    CHECK(nvr_camera_setting_find("id") == NULL);
    CHECK(nvr_camera_setting_find("nope") == NULL);
    enum nvr_transport t;
    CHECK(nvr_transport_parse("HTTP", &t) == 0 && t == NVR_TRANSPORT_HTTP);
    CHECK(nvr_transport_parse("pigeon", &t) == -1);
    enum nvr_motion_source m;
    CHECK(nvr_motion_source_parse("ONVIF", &m) == 0 && m == NVR_MOTION_ONVIF);
    CHECK(nvr_motion_source_parse("both", &m) == 0 && m == NVR_MOTION_BOTH);
    CHECK(nvr_motion_source_parse("camera", &m) == -1);
}

/* Every row: left out, the field holds its default; written out as that
 * default, it parses to the same camera. */
static void test_settings_defaults(void)
{
    struct nvr_config *cfg = camera_ok("");
    struct nvr_camera_config d;
    nvr_camera_config_defaults(&d);
    if (!cfg)
        return;
    const struct nvr_camera_config *c = &cfg->cameras[0];
    for (size_t i = 0; i < nvr_camera_nsettings; i++) {
        const struct nvr_camera_setting *s = &nvr_camera_settings[i];
        if (!nvr_camera_setting_is_text(s)) {
            CHECK_EQ_INT(nvr_camera_setting_num(s, c), s->def);
            CHECK_EQ_INT(nvr_camera_setting_num(s, &d), s->def);
            continue;
        }
        CHECK(nvr_camera_setting_str(s, &d) == NULL);
        if (s->flags & NVR_CS_DEFAULT_ID)
            CHECK_EQ_STR(nvr_camera_setting_str(s, c), "lobby");
        else if (!(s->flags & NVR_CS_REQUIRED))
            CHECK(nvr_camera_setting_str(s, c) == NULL);
    }
    /* the defaults written out explicitly (the INI writer's own text) */
    char *ini = ini_of(c);
    struct nvr_config *again = camera_section_ok(ini);
    if (again) {
        CHECK(nvr_camera_config_equal(c, &again->cameras[0]));
        char *ini2 = ini_of(&again->cameras[0]);
        CHECK_EQ_STR(ini2, ini);
        free(ini2);
    }
    free(ini);
    nvr_config_free(&again);
    nvr_config_free(&cfg);
}

/* A camera with every row set to sample_value(variant). */
static struct nvr_config *every_setting_set(int variant)
{
    char *body = NULL, v[256];
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);
    for (size_t i = 0; i < nvr_camera_nsettings; i++) {
        const struct nvr_camera_setting *s = &nvr_camera_settings[i];
        nvr_camera_ini_write(f, s, sample_value(s, variant, v, sizeof v));
    }
    fclose(f);
    struct nvr_config *cfg = camera_section_ok(body);
    free(body);
    return cfg;
}

/* INI -> struct -> INI: the writer's text parses back to an equal camera and
 * is written again byte for byte; each row holds what its line said. */
static void test_settings_ini_round_trip(void)
{
    for (int variant = 0; variant < 2; variant++) {
        struct nvr_config *cfg = every_setting_set(variant);
        char v[256];
        if (!cfg)
            return;
        const struct nvr_camera_config *c = &cfg->cameras[0];
        for (size_t i = 0; i < nvr_camera_nsettings; i++) {
            const struct nvr_camera_setting *s = &nvr_camera_settings[i];
            sample_value(s, variant, v, sizeof v);
            if (nvr_camera_setting_is_text(s)) {
                CHECK_EQ_STR(nvr_camera_setting_str(s, c), v);
            } else if (variant == 0) {
                struct nvr_camera_config d;
                nvr_camera_config_defaults(&d);
                CHECK(nvr_camera_setting_num(s, c) != nvr_camera_setting_num(s, &d));
            }
        }
        char *ini = ini_of(c);
        struct nvr_config *again = camera_section_ok(ini);
        if (again) {
            CHECK(nvr_camera_config_equal(c, &again->cameras[0]));
            char *ini2 = ini_of(&again->cameras[0]);
            CHECK_EQ_STR(ini2, ini);
            free(ini2);
        }
        /* one line per setting, in table order */
        const char *p = ini;
        for (size_t i = 0; i < nvr_camera_nsettings && p; i++) {
            size_t k = strlen(nvr_camera_settings[i].key);
            CHECK(strncmp(p, nvr_camera_settings[i].key, k) == 0 && strncmp(p + k, " = ", 3) == 0);
            p = strchr(p, '\n');
            p = p ? p + 1 : NULL;
        }
        CHECK(p && *p == '\0');
        free(ini);
        nvr_config_free(&again);
        nvr_config_free(&cfg);
    }
}

/* Copy equals the original and shares no string; equality sees a change in
 * each row (and in the id), in both directions, and ignores line; a change
 * needs a new recorder unless the row is NVR_CS_LIVE. */
static void test_settings_copy_and_equal(void)
{
    struct nvr_config *a = every_setting_set(0), *b = every_setting_set(1), *none = camera_ok("");
    if (!a || !b || !none)
        goto out;
    const struct nvr_camera_config *c = &a->cameras[0];
    struct nvr_camera_config copy;
    CHECK_EQ_INT(nvr_camera_config_copy(&copy, c), NVR_OK);
    CHECK(nvr_camera_config_equal(&copy, c) && nvr_camera_config_equal(c, &copy));
    CHECK(copy.id != c->id);
    for (size_t i = 0; i < nvr_camera_nsettings; i++) {
        const struct nvr_camera_setting *s = &nvr_camera_settings[i];
        if (nvr_camera_setting_is_text(s))
            CHECK(nvr_camera_setting_str(s, &copy) != nvr_camera_setting_str(s, c));
    }
    copy.line = 99;
    CHECK(nvr_camera_config_equal(&copy, c));
    nvr_camera_config_clear(&copy);
    CHECK(copy.id == NULL);

    /* a copy with unset (NULL) texts */
    CHECK_EQ_INT(nvr_camera_config_copy(&copy, &none->cameras[0]), NVR_OK);
    CHECK(nvr_camera_config_equal(&copy, &none->cameras[0]));
    nvr_camera_config_clear(&copy);

    for (size_t i = 0; i < nvr_camera_nsettings; i++) {
        const struct nvr_camera_setting *s = &nvr_camera_settings[i];
        struct nvr_camera_config one;
        /* row i taken from b (another value), every other row from a */
        CHECK_EQ_INT(nvr_camera_config_copy(&one, c), NVR_OK);
        size_t size = nvr_camera_setting_is_text(s) ? sizeof(char *)
                      : s->kind == NVR_CS_TRANSPORT ? sizeof(enum nvr_transport)
                      : s->kind == NVR_CS_MSOURCE   ? sizeof(enum nvr_motion_source)
                                                    : sizeof(int);
        char *keep = nvr_camera_setting_is_text(s) ? *(char **)((char *)&one + s->offset) : NULL;
        memcpy((char *)&one + s->offset, (const char *)&b->cameras[0] + s->offset, size);
        if (nvr_camera_config_equal(&one, c))
            fprintf(stderr, "equality misses a change of %s\n", s->key);
        CHECK(!nvr_camera_config_equal(&one, c) && !nvr_camera_config_equal(c, &one));
        /* only a setting the recorder reads restarts it */
        CHECK_EQ_INT(nvr_camera_config_restart_needed(c, &one), !(s->flags & NVR_CS_LIVE));
        if (nvr_camera_setting_is_text(s)) {
            /* set against unset */
            *(char **)((char *)&one + s->offset) = NULL;
            if (nvr_camera_setting_str(s, c))
                CHECK(!nvr_camera_config_equal(&one, c) && !nvr_camera_config_equal(c, &one));
            *(char **)((char *)&one + s->offset) = keep;
        } else {
            memcpy((char *)&one + s->offset, (const char *)c + s->offset, size);
        }
        CHECK(nvr_camera_config_equal(&one, c));
        nvr_camera_config_clear(&one);
    }
    CHECK(!nvr_camera_config_restart_needed(c, c));
    CHECK_EQ_INT(nvr_camera_config_copy(&copy, c), NVR_OK);
    copy.id[0] = 'x';
    CHECK(!nvr_camera_config_equal(&copy, c));
    CHECK(nvr_camera_config_restart_needed(&copy, c));
    nvr_camera_config_clear(&copy);
out:
    nvr_config_free(&a);
    nvr_config_free(&b);
    nvr_config_free(&none);
}

/* Every row's bad value is reported as "KEY must be HELP" at its line, with
 * the value echoed unless the row is secret. */
static void test_settings_bad_values(void)
{
    for (size_t i = 0; i < nvr_camera_nsettings; i++) {
        const struct nvr_camera_setting *s = &nvr_camera_settings[i];
        const char *bad = s->kind == NVR_CS_INT         ? "12x"
                          : s->kind == NVR_CS_BOOL      ? "maybe"
                          : s->kind == NVR_CS_TRANSPORT ? "pigeon"
                          : s->kind == NVR_CS_MSOURCE   ? "psychic"
                          : s->kind == NVR_CS_TEXT      ? "\"\""
                          : s->kind == NVR_CS_PATH      ? "srv/relative"
                          : s->kind == NVR_CS_RECTS     ? "0.5,0.5,0.2,1"
                                                        : "ftp://user:hunter2@192.0.2.1/";
        char text[1024], want[1024];
        const char *url = s->flags & NVR_CS_REQUIRED ? "" : "url = rtsp://192.0.2.10/s\n";
        snprintf(text, sizeof text, SERVER "[camera lobby]\n%s%s = %s\n", url, s->key, bad);
        int line = *url ? 5 : 4;
        if (s->flags & NVR_CS_SECRET)
            snprintf(want, sizeof want, "nvr.conf:%d: %s must be %s\n", line, s->key, s->help);
        else
            snprintf(want, sizeof want, "nvr.conf:%d: %s must be %s, got \"%s\"\n", line, s->key, s->help,
                     strcmp(bad, "\"\"") == 0 ? "" : bad);
        expect_errors(text, want);
    }
}

/* The JSON of every row: valid JSON, in table order, each value what the
 * struct holds, escaped (quotes, backslash, control characters), URLs
 * with their password as ***. */
static void test_settings_json(void)
{
    static const char nasty[] = "a \"quoted\" back\\slash \x01\x1f\x7f\t\n\r caf\xC3\xA9";
    struct nvr_config *cfg = every_setting_set(1);
    if (!cfg)
        return;
    struct nvr_camera_config *c = &cfg->cameras[0];
    char url[256];
    for (size_t i = 0; i < nvr_camera_nsettings; i++) {
        const struct nvr_camera_setting *s = &nvr_camera_settings[i];
        char **field = (char **)((char *)c + s->offset);
        if (!nvr_camera_setting_is_text(s))
            continue;
        free(*field);
        if (s->flags & NVR_CS_SECRET)
            snprintf(url, sizeof url, "rtsp://admin:s3cret@192.0.2.10/%s", nasty);
        *field = strdup(s->flags & NVR_CS_SECRET ? url : nasty);
    }
    free(c->id);
    c->id = strdup(nasty);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct json_w w;
    json_w_init(&w, f);
    json_w_object(&w, NULL);
    json_w_string(&w, "id", c->id);
    nvr_camera_config_write_json(&w, c);
    json_w_end_object(&w);
    fclose(f);
    CHECK(strstr(text, "s3cret") == NULL);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        CHECK(*p >= 0x20 && *p != 0x7f);
    json_error_t e;
    json_t *o = json_loads(text, 0, &e);
    CHECK(o != NULL);
    if (!o) {
        fprintf(stderr, "not JSON (%s): %s\n", e.text, text);
        free(text);
        nvr_config_free(&cfg);
        return;
    }
    CHECK_EQ_INT(json_object_size(o), nvr_camera_nsettings + 1);
    CHECK_EQ_STR(json_string_value(json_object_get(o, "id")), nasty);
    /* members in table order */
    const char *at = text;
    for (size_t i = 0; i < nvr_camera_nsettings; i++) {
        const struct nvr_camera_setting *s = &nvr_camera_settings[i];
        char quoted[80];
        snprintf(quoted, sizeof quoted, ",\"%s\":", s->key);
        const char *next = strstr(at, quoted);
        CHECK(next != NULL);
        at = next ? next : at;
        json_t *v = json_object_get(o, s->key);
        long n = nvr_camera_setting_num(s, c);
        switch (s->kind) {
        case NVR_CS_INT: CHECK(json_is_integer(v) && json_integer_value(v) == n); break;
        case NVR_CS_BOOL: CHECK(json_is_boolean(v) && json_is_true(v) == (n != 0)); break;
        case NVR_CS_TRANSPORT: CHECK_EQ_STR(json_string_value(v), nvr_transport_name((enum nvr_transport)n)); break;
        case NVR_CS_MSOURCE:
            CHECK_EQ_STR(json_string_value(v), nvr_motion_source_name((enum nvr_motion_source)n));
            break;
        default:
            if (s->flags & NVR_CS_SECRET) {
                snprintf(url, sizeof url, "rtsp://admin:***@192.0.2.10/%s", nasty);
                CHECK_EQ_STR(json_string_value(v), url);
            } else {
                CHECK_EQ_STR(json_string_value(v), nasty);
            }
        }
    }
    json_decref(o);
    free(text);

    /* unset texts are null */
    nvr_config_free(&cfg);
    cfg = camera_ok("");
    if (!cfg)
        return;
    f = open_memstream(&text, &len);
    json_w_init(&w, f);
    json_w_object(&w, NULL);
    nvr_camera_config_write_json(&w, &cfg->cameras[0]);
    json_w_end_object(&w);
    fclose(f);
    o = json_loads(text, 0, &e);
    CHECK(o != NULL);
    for (size_t i = 0; o && i < nvr_camera_nsettings; i++) {
        const struct nvr_camera_setting *s = &nvr_camera_settings[i];
        if (nvr_camera_setting_is_text(s) && !nvr_camera_setting_str(s, &cfg->cameras[0]))
            CHECK(json_is_null(json_object_get(o, s->key)));
    }
    json_decref(o);
    free(text);
    nvr_config_free(&cfg);
}

/* The writer: commas, nesting, keys escaped, typed values, null for a
 * non-finite number. */
static void test_json_writer(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    struct json_w w;
    json_w_init(&w, f);
    json_w_object(&w, NULL);
    json_w_string(&w, "k\"ey", "v\\al\x02");
    json_w_array(&w, "list");
    json_w_int(&w, NULL, -3);
    json_w_object(&w, NULL);
    json_w_end_object(&w);
    json_w_array(&w, NULL);
    json_w_end_array(&w);
    json_w_null(&w, NULL);
    json_w_end_array(&w);
    json_w_uint(&w, "u", 18446744073709551615ULL);
    json_w_bool(&w, "t", 7);
    json_w_bool(&w, "f", 0);
    json_w_fixed(&w, "fps", 25, 2);
    json_w_fixed(&w, "nan", NAN, 2);
    json_w_fixed(&w, "inf", INFINITY, 0);
    json_w_string(&w, "none", NULL);
    json_w_time(&w, "time", 0);
    json_w_end_object(&w);
    fclose(f);
    CHECK_EQ_STR(text, "{\"k\\\"ey\":\"v\\\\al\\u0002\",\"list\":[-3,{},[],null],\"u\":18446744073709551615,"
                       "\"t\":true,\"f\":false,\"fps\":25.00,\"nan\":null,\"inf\":null,\"none\":null,"
                       "\"time\":\"1970-01-01T00:00:00.000000Z\"}");
    free(text);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        example_path = argv[1];
    RUN(test_minimal_config_defaults);
    RUN(test_camera_defaults);
    RUN(test_every_key);
    RUN(test_listen_forms);
    RUN(test_listen_errors);
    RUN(test_server_names);
    RUN(test_parse_size);
    RUN(test_storage_keys);
    RUN(test_storage_dirs);
    RUN(test_integers_are_strict);
    RUN(test_booleans_and_transport);
    RUN(test_ui_keys);
    RUN(test_catalog_keys);
    RUN(test_oidc_keys);
    RUN(test_ldap_keys);
    RUN(test_comments);
    RUN(test_empty_value);
    RUN(test_quoting);
    RUN(test_crlf_and_bom);
    RUN(test_unknown_section);
    RUN(test_unknown_key);
    RUN(test_duplicate_key);
    RUN(test_duplicate_sections);
    RUN(test_missing_required);
    RUN(test_paths_and_tls_pair);
    RUN(test_camera_ids);
    RUN(test_url_rules);
    RUN(test_no_password_in_messages);
    RUN(test_many_errors_in_one_run);
    RUN(test_syntax_errors);
    RUN(test_long_lines_and_bad_bytes);
    RUN(test_camera_limit);
    RUN(test_file_size_limit);
    RUN(test_garbage_never_crashes);
    RUN(test_load_file);
    RUN(test_example_config);
    RUN(test_free_and_null_errs);
    RUN(test_settings_table_shape);
    RUN(test_settings_defaults);
    RUN(test_settings_ini_round_trip);
    RUN(test_settings_copy_and_equal);
    RUN(test_settings_bad_values);
    RUN(test_settings_json);
    RUN(test_json_writer);
    return check_summary();
}
