/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_alert.c - the alert subsystem's pure parts: the [alerts] section of
 * the config (lib/base/config.c), the webhook signature, the message
 * document, and the alerts tables (storage/alert_store.c).  The engine and
 * the channels are tested end to end in tests/integration/test_alerts.py.
 */
#include "alert/alert.h"
#include "alert/alert_send.h"
#include "base/config.h"
#include "base/err.h"
#include "storage/alert_store.h"
#include "storage/index.h"

#include "check.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SERVER "[server]\ndata_dir = /var/lib/nvr\n"

static int parse(const char *text, struct nvr_config **cfg, char **errs)
{
    size_t n;
    FILE *f = open_memstream(errs, &n);
    int rc = nvr_config_parse("nvr.conf", text, strlen(text), cfg, f);
    fclose(f);
    return rc;
}

static void test_defaults(void)
{
    struct nvr_config *cfg = NULL;
    char *errs = NULL;
    CHECK_EQ_INT(parse(SERVER, &cfg, &errs), NVR_OK);
    free(errs);
    if (!cfg)
        return;
    const struct nvr_alerts_config *a = &cfg->alerts;
    CHECK(!a->smtp_url && !a->webhook_url && !a->syslog && !a->email_to);
    CHECK_EQ_INT(a->camera_offline_seconds, 60);
    CHECK_EQ_INT(a->hold_down_seconds, 60);
    CHECK_EQ_INT(a->signin_failures, 10);
    CHECK_EQ_INT(a->signin_window_seconds, 300);
    CHECK_EQ_INT(a->cert_warn_days, 14);
    CHECK_EQ_INT(a->storage_seconds, 120);
    CHECK_EQ_INT(a->smtp_starttls, NVR_SMTP_TLS_AUTO);
    nvr_config_free(&cfg);
}

static void test_every_key(void)
{
    struct nvr_config *cfg = NULL;
    char *errs = NULL;
    int rc = parse(SERVER "[alerts]\nsmtp_url = smtp://mail.district.example:587\nsmtp_user = nvr\n"
                          "smtp_password = pw\nsmtp_starttls = required\nemail_from = nvr@school.example\n"
                          "email_to = it@district.example, security@school.example\n"
                          "email_to_audit = officer@school.example\nemail_to_storage = disks@district.example\n"
                          "email_to_camera = cams@x.example\nemail_to_security = sec@x.example\n"
                          "email_to_system = sys@x.example\n"
                          "webhook_url = https://ops.example/hooks/nvr\nwebhook_secret = s3cret\n"
                          "syslog = udp://10.0.0.5:514\ncamera_offline_seconds = 5\nhold_down_seconds = 0\n"
                          "signin_failures = 3\nsignin_window_seconds = 60\ncert_warn_days = 30\n"
                          "storage_seconds = 10\n",
                   &cfg, &errs);
    CHECK_EQ_INT(rc, NVR_OK);
    CHECK_EQ_STR(errs, "");
    free(errs);
    if (!cfg)
        return;
    const struct nvr_alerts_config *a = &cfg->alerts;
    CHECK_EQ_STR(a->smtp_url, "smtp://mail.district.example:587");
    CHECK_EQ_STR(a->smtp_user, "nvr");
    CHECK_EQ_STR(a->smtp_password, "pw");
    CHECK_EQ_INT(a->smtp_starttls, NVR_SMTP_TLS_REQUIRED);
    CHECK_EQ_STR(a->email_to, "it@district.example, security@school.example");
    CHECK_EQ_STR(a->email_to_audit, "officer@school.example");
    CHECK_EQ_STR(a->webhook_url, "https://ops.example/hooks/nvr");
    CHECK_EQ_STR(a->webhook_secret, "s3cret");
    CHECK_EQ_STR(a->syslog, "udp://10.0.0.5:514");
    CHECK_EQ_INT(a->camera_offline_seconds, 5);
    CHECK_EQ_INT(a->hold_down_seconds, 0);
    nvr_config_free(&cfg);

    const char *good_syslog[] = {"local", "/dev/log", "tcp://syslog.example:6514", "udp://[::1]:514"};
    for (size_t i = 0; i < sizeof good_syslog / sizeof good_syslog[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, SERVER "[alerts]\nsyslog = %s\n", good_syslog[i]);
        CHECK_EQ_INT(parse(text, &cfg, &errs), NVR_OK);
        free(errs);
        nvr_config_free(&cfg);
    }
}

static void expect(const char *text, const char *want)
{
    struct nvr_config *cfg = NULL;
    char *errs = NULL;
    CHECK_EQ_INT(parse(text, &cfg, &errs), NVR_ECONFIG);
    CHECK(cfg == NULL);
    CHECK_EQ_STR(errs, want);
    free(errs);
}

static void test_errors_never_echo_secrets(void)
{
    expect(SERVER "[alerts]\nsmtp_url = http://user:hunter2@mail/\nemail_from = a@b\nemail_to = c@d\n",
           "nvr.conf:4: smtp_url must be an smtp:// or smtps:// URL with a host\n");
    expect(SERVER "[alerts]\nwebhook_url = ftp://tok:hunter2@x/\n",
           "nvr.conf:4: webhook_url must be an http:// or https:// URL with a host\n");
    expect(SERVER "[alerts]\nsmtp_url = smtp://mail\n",
           "nvr.conf:4: smtp_url is set but email_from is not\nnvr.conf:4: smtp_url is set but email_to is not\n");
    expect(SERVER "[alerts]\nsmtp_user = nvr\n",
           "nvr.conf:4: smtp_user is set but smtp_password is not (set both or neither)\n");
    expect(SERVER "[alerts]\nsyslog = udp://host\n",
           "nvr.conf:4: syslog must be local, an absolute path to a unix socket, udp://host:port or tcp://host:port, "
           "got \"udp://host\"\n");
    expect(SERVER "[alerts]\ncamera_offline_seconds = 0\n",
           "nvr.conf:4: camera_offline_seconds must be an integer from 1 to 86400, got \"0\"\n");
    expect(SERVER "[alerts]\nsmtp_starttls = maybe\n",
           "nvr.conf:4: smtp_starttls must be auto, required, optional or off, got \"maybe\"\n");
    expect(SERVER "[alerts]\nsyslog = local\n[alerts]\n", "nvr.conf:5: duplicate section [alerts] (first at line 3)\n");
    expect(SERVER "[alerts]\nmystery = 1\n", "nvr.conf:4: unknown key \"mystery\" in [alerts]\n");
}

static void test_signature(void)
{
    char sig[7 + 65];
    const char *msg = "The quick brown fox jumps over the lazy dog";
    alert_signature("key", msg, strlen(msg), sig);
    CHECK_EQ_STR(sig, "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

static void test_message(void)
{
    char *j = alert_message_json(7, "opened", "camera_offline:lobby", "camera_offline", "lobby", "critical", "open",
                                 "Camera \"Lobby\" (lobby) is not recording", "status offline\n", 1000000, 2000000, 2);
    json_t *doc = j ? json_loads(j, 0, NULL) : NULL;
    CHECK(doc != NULL);
    CHECK_EQ_INT(json_integer_value(json_object_get(doc, "id")), 7);
    CHECK_EQ_STR(json_string_value(json_object_get(doc, "camera")), "lobby");
    CHECK_EQ_STR(json_string_value(json_object_get(doc, "title")), "Camera \"Lobby\" (lobby) is not recording");
    CHECK_EQ_INT(json_integer_value(json_object_get(doc, "flaps")), 2);
    char subject[400];
    alert_subject(j, subject, sizeof subject);
    CHECK(strstr(subject, "] OPEN critical: Camera \"Lobby\" (lobby) is not recording") != NULL);
    json_decref(doc);
    free(j);
}

static void test_store(void)
{
    char dir[] = "/tmp/test_alert_XXXXXX", path[128];
    nvr_index *ix = NULL;
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/index.db", dir);
    CHECK_EQ_INT(index_open(&ix, path), NVR_OK);
    if (!ix)
        return;
    struct alert_row in = {0}, out;
    int64_t id = 0, id2 = 0;
    snprintf(in.key, sizeof in.key, "camera_offline:lobby");
    snprintf(in.kind, sizeof in.kind, "camera_offline");
    snprintf(in.camera, sizeof in.camera, "lobby");
    snprintf(in.severity, sizeof in.severity, "critical");
    snprintf(in.title, sizeof in.title, "t");
    snprintf(in.detail, sizeof in.detail, "d");
    CHECK_EQ_INT(alert_store_insert(ix, &in, 100, &id), NVR_OK);
    CHECK_EQ_INT(alert_store_insert(ix, &in, 200, &id2), NVR_OK);
    CHECK(id2 > id);
    CHECK_EQ_INT(alert_store_update(ix, id, "d2", 3, 150), NVR_OK);
    CHECK_EQ_INT(alert_store_resolve(ix, id, 300), NVR_OK);
    CHECK_EQ_INT(alert_store_ack(ix, id2, "alice", 400, &out), NVR_OK);
    CHECK_EQ_STR(out.state, "acknowledged");
    CHECK_EQ_STR(out.acked_by, "alice");
    CHECK_EQ_INT(alert_store_ack(ix, 999, "alice", 400, NULL), NVR_ENOTFOUND);
    CHECK_EQ_INT(alert_store_get(ix, id, &out), NVR_OK);
    CHECK_EQ_STR(out.state, "resolved");
    CHECK_EQ_INT(out.flaps, 3);
    CHECK_EQ_INT(out.resolved_us, 300);
    struct alert_row *rows = NULL;
    size_t n = 0;
    CHECK_EQ_INT(alert_store_list(ix, "active", 10, &rows, &n), NVR_OK);
    CHECK_EQ_INT(n, 1);
    free(rows);
    CHECK_EQ_INT(alert_store_list(ix, NULL, 10, &rows, &n), NVR_OK);
    CHECK_EQ_INT(n, 2);
    if (n == 2)
        CHECK(rows[0].id == id2); /* newest first */
    free(rows);

    /* the outbox keeps order and survives until done */
    CHECK_EQ_INT(alert_outbox_add(ix, "webhook", "", "{\"a\":1}", 10), NVR_OK);
    CHECK_EQ_INT(alert_outbox_add(ix, "email", "a@b", "{\"a\":2}", 11), NVR_OK);
    struct alert_outbox_row *q = NULL;
    CHECK_EQ_INT(alert_outbox_list(ix, 10, &q, &n), NVR_OK);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_STR(q[0].channel, "webhook");
        CHECK_EQ_STR(q[1].target, "a@b");
        CHECK_EQ_INT(alert_outbox_retry(ix, q[0].id, 1, 999, "down"), NVR_OK);
        CHECK_EQ_INT(alert_outbox_done(ix, q[1].id), NVR_OK);
    }
    alert_outbox_free(&q, n);
    int64_t count = 0;
    CHECK_EQ_INT(alert_outbox_count(ix, &count), NVR_OK);
    CHECK_EQ_INT(count, 1);

    char v[16];
    CHECK_EQ_INT(alert_meta_get(ix, "running", v, sizeof v), NVR_ENOTFOUND);
    CHECK_EQ_INT(alert_meta_set(ix, "running", "1"), NVR_OK);
    CHECK_EQ_INT(alert_meta_set(ix, "running", "0"), NVR_OK);
    CHECK_EQ_INT(alert_meta_get(ix, "running", v, sizeof v), NVR_OK);
    CHECK_EQ_STR(v, "0");
    index_close(&ix);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_EQ_INT(system(cmd), 0);
}

int main(void)
{
    RUN(test_defaults);
    RUN(test_every_key);
    RUN(test_errors_never_echo_secrets);
    RUN(test_signature);
    RUN(test_message);
    RUN(test_store);
    return check_summary();
}
