/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_alerts.c - the alert routes (see http_alerts.h): the incidents the
 * alert engine keeps (storage/alert_store.h), their acknowledgement (in the
 * access log) and a test alert through every channel.  Secrets never leave:
 * the channels are described by whether they are configured, the e-mail
 * recipients (not secret) and nothing else.
 */
#include "http/http_alerts.h"

#include "alert/alert.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "core/nvr.h"
#include "http/http_auth.h"
#include "storage/alert_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void write_time_or_null(FILE *f, int64_t us)
{
    if (us)
        json_write_time(f, us);
    else
        fputs("null", f);
}

static void write_row(FILE *f, const struct alert_row *a)
{
    fprintf(f, "{\"id\":%lld,\"key\":", (long long)a->id);
    json_write_string(f, a->key);
    fputs(",\"kind\":", f);
    json_write_string(f, a->kind);
    fputs(",\"camera\":", f);
    if (a->camera[0])
        json_write_string(f, a->camera);
    else
        fputs("null", f);
    fputs(",\"severity\":", f);
    json_write_string(f, a->severity);
    fputs(",\"state\":", f);
    json_write_string(f, a->state);
    fputs(",\"title\":", f);
    json_write_string(f, a->title);
    fputs(",\"detail\":", f);
    json_write_string(f, a->detail);
    fputs(",\"opened\":", f);
    write_time_or_null(f, a->opened_us);
    fputs(",\"updated\":", f);
    write_time_or_null(f, a->updated_us);
    fputs(",\"resolved\":", f);
    write_time_or_null(f, a->resolved_us);
    fputs(",\"acknowledged\":", f);
    write_time_or_null(f, a->acked_us);
    fputs(",\"acknowledged_by\":", f);
    if (a->acked_by[0])
        json_write_string(f, a->acked_by);
    else
        fputs("null", f);
    fprintf(f, ",\"flaps\":%d}", a->flaps);
}

http_result http_alerts_list(struct http_request *r, struct nvr *nvr)
{
    const char *state = http_query(r, "state"), *lim = http_query(r, "limit");
    int limit = 100;
    if (state && strcmp(state, "open") != 0 && strcmp(state, "acknowledged") != 0 && strcmp(state, "resolved") != 0 &&
        strcmp(state, "active") != 0)
        return http_reply_error(r, 400, "state must be open, acknowledged, resolved or active");
    if (lim) {
        char *end;
        long v = strtol(lim, &end, 10);
        if (*end || v < 1 || v > 1000)
            return http_reply_error(r, 400, "limit must be an integer from 1 to 1000");
        limit = (int)v;
    }
    struct alert_row *rows = NULL;
    size_t n = 0;
    int64_t queued = 0;
    nvr_index *ix = storage_index_reader(nvr->st);
    if (alert_store_list(ix, state, limit, &rows, &n) != NVR_OK)
        return http_reply_error(r, 500, "cannot read the alerts");
    alert_outbox_count(ix, &queued);
    struct http_body b;
    if (http_body_open(&b)) {
        free(rows);
        return http_reply_error(r, 500, "out of memory");
    }
    const struct nvr_alerts_config *c = &nvr->cfg->alerts;
    fputs("{\"alerts\":[", b.f);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', b.f);
        write_row(b.f, &rows[i]);
    }
    fprintf(b.f, "],\"channels\":{\"email\":%s,\"email_to\":", c->smtp_url ? "true" : "false");
    if (c->email_to)
        json_write_string(b.f, c->email_to);
    else
        fputs("null", b.f);
    fprintf(b.f, ",\"webhook\":%s,\"syslog\":%s},\"queued\":%lld,\"camera_offline_seconds\":%d}\n",
            c->webhook_url ? "true" : "false", c->syslog ? "true" : "false", (long long)queued,
            c->camera_offline_seconds);
    free(rows);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

http_result http_alerts_ack(struct http_request *r, struct nvr *nvr)
{
    char *end;
    const char *p = http_param(r, 0);
    long long id = strtoll(p, &end, 10);
    struct alert_row a;
    if (!*p || *end || id <= 0)
        return http_reply_error(r, 404, "no such alert");
    int rc = alert_store_ack(storage_index(nvr->st), id, http_auth_name(r), nvr_clock_now_us(), &a);
    if (rc == NVR_ENOTFOUND)
        return http_reply_error(r, 404, "no such alert");
    if (rc)
        return http_reply_error(r, 500, "cannot acknowledge the alert");
    http_auth_log(r, nvr, "alert_ack", a.camera, "alert=%lld kind=%s state=%s title=%s", id, a.kind, a.state, a.title);
    struct http_body b;
    if (http_body_open(&b))
        return http_reply_error(r, 500, "out of memory");
    write_row(b.f, &a);
    fputc('\n', b.f);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

struct alert_test {
    struct nvr *nvr;
    char user[128];
};

static unsigned alert_test_work(void *arg, char **body, size_t *len)
{
    struct alert_test *t = arg;
    char *json = NULL;
    alert_send_test(&t->nvr->cfg->alerts, t->user, &json);
    *body = json;
    *len = json ? strlen(json) : 0;
    return json ? 200 : 500;
}

http_result http_alerts_test(struct http_request *r, struct nvr *nvr)
{
    struct alert_test *t = calloc(1, sizeof *t);
    if (!t)
        return http_reply_error(r, 500, "out of memory");
    t->nvr = nvr;
    snprintf(t->user, sizeof t->user, "%s", http_auth_name(r));
    http_auth_log(r, nvr, "alert_test", "", "test alert on every configured channel");
    return http_reply_later(r, alert_test_work, t, free);
}
