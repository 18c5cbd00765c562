/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert.c - the alert engine and its sender (see alert.h,
 * docs/design/alerts.md).
 *
 * The engine thread owns the tracks (one per condition key it has seen
 * lately) and touches them alone; the sender thread owns nothing but its
 * wake flag; both talk to the index only through storage/alert_store.h.
 * alert_engine.mu guards `stop` and `wake` and is a leaf.
 */
#include "alert/alert.h"
#include "alert/alert_send.h"

#include "audit/audit_runner.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "core/cameras.h"
#include "core/nvr.h"
#include "export/sign.h"
#include "storage/access_log.h"
#include "storage/alert_store.h"
#include "storage/retention.h"
#include "storage/storage.h"
#include "version.h"

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TICK_US 1000000LL
#define SECOND 1000000LL
#define SLOW_RETENTION_US (60 * SECOND)
#define SLOW_AUDIT_US (30 * SECOND)
#define SLOW_FILES_US (300 * SECOND)
#define SLOW_SIGNIN_US (5 * SECOND)
#define BACKOFF_MAX_US (30 * SECOND)
#define GIVE_UP_US (3LL * 86400 * SECOND)
#define FLAP_DROPS 3                  /* short drops that make a flapping incident ... */
#define FLAP_WINDOW_US (600 * SECOND) /* ... within this window */
#define MAX_OBS 4096
#define RETENTION_SHORT_US (3600 * SECOND) /* the estimate settles; a matter of days, not seconds */

/* One condition seen now. */
struct obs {
    char key[ALERT_KEY_MAX];
    char kind[32];
    char camera[INDEX_ID_MAX];
    const char *severity;
    const char *route; /* e-mail routing class: camera, storage, security, audit, system */
    char title[256];
    char detail[ALERT_TEXT_MAX];
    int64_t threshold_us;
};

struct obs_list {
    struct obs *v;
    size_t n, cap;
};

/* What the engine remembers of one key. */
struct track {
    struct obs o;           /* the latest observation */
    int64_t since_us;       /* active since (0: clear now) */
    int64_t clear_since_us; /* clear since, while an incident is open (0: not clearing) */
    int64_t incident;       /* open incident id, 0 if none */
    int64_t opened_us;
    int flaps;
    int drops;             /* short drops (cleared before the threshold) ... */
    int64_t first_drop_us; /* ... since */
    int seen;
};

struct alert_engine {
    struct nvr *nvr;
    const struct nvr_alerts_config *cfg;
    nvr_index *ix;
    pthread_t engine_thread, sender_thread;
    int started_engine, started_sender;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, wake;
    /* engine thread only */
    struct track *tracks;
    size_t ntracks, cap;
    struct obs_list slow_ret, slow_audit, slow_files, slow_signin;
    int64_t next_ret_us, next_audit_us, next_files_us, next_signin_us;
};

/* ---- messages ---- */

char *alert_message_json(int64_t id, const char *event, const char *key, const char *kind, const char *camera,
                         const char *severity, const char *state, const char *title, const char *detail,
                         int64_t opened_us, int64_t now_us, int flaps)
{
    char *buf = NULL, host[128] = "";
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    gethostname(host, sizeof host - 1);
    fprintf(f, "{\"id\":%lld,\"event\":", (long long)id);
    json_write_string(f, event);
    fputs(",\"key\":", f);
    json_write_string(f, key);
    fputs(",\"kind\":", f);
    json_write_string(f, kind);
    fputs(",\"camera\":", f);
    if (camera && *camera)
        json_write_string(f, camera);
    else
        fputs("null", f);
    fputs(",\"severity\":", f);
    json_write_string(f, severity);
    fputs(",\"state\":", f);
    json_write_string(f, state);
    fputs(",\"title\":", f);
    json_write_string(f, title);
    fputs(",\"detail\":", f);
    json_write_string(f, detail);
    fputs(",\"opened\":", f);
    json_write_time(f, opened_us);
    fputs(",\"time\":", f);
    json_write_time(f, now_us);
    fprintf(f, ",\"flaps\":%d,\"server\":", flaps);
    json_write_string(f, host);
    fputs(",\"version\":", f);
    json_write_string(f, NVR_VERSION);
    fputs("}", f);
    fclose(f);
    return buf;
}

static const char *route_to(const struct nvr_alerts_config *c, const char *route)
{
    const char *to = NULL;
    if (strcmp(route, "camera") == 0)
        to = c->email_to_camera;
    else if (strcmp(route, "storage") == 0)
        to = c->email_to_storage;
    else if (strcmp(route, "security") == 0)
        to = c->email_to_security;
    else if (strcmp(route, "audit") == 0)
        to = c->email_to_audit;
    else if (strcmp(route, "system") == 0)
        to = c->email_to_system;
    return to ? to : c->email_to;
}

void alert_engine_wake(struct alert_engine *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->mu);
    e->wake = 1;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

/* Queues the notification of one incident event on every configured channel. */
static void notify(struct alert_engine *e, const struct obs *o, int64_t id, const char *event, const char *state,
                   const char *detail, int64_t opened_us, int flaps)
{
    const struct nvr_alerts_config *c = e->cfg;
    int64_t now = nvr_clock_now_us();
    char *json = alert_message_json(id, event, o->key, o->kind, o->camera, o->severity, state, o->title, detail,
                                    opened_us, now, flaps);
    if (!json)
        return;
    nvr_log(strcmp(event, "opened") == 0 ? NVR_WARN : NVR_INFO, o->camera[0] ? o->camera : NULL,
            "alert %s id=%lld kind=%s title=\"%s\" flaps=%d", event, (long long)id, o->kind, o->title, flaps);
    const char *to = route_to(c, o->route);
    if (c->smtp_url && to)
        alert_outbox_add(e->ix, "email", to, json, now);
    if (c->webhook_url)
        alert_outbox_add(e->ix, "webhook", "", json, now);
    if (c->syslog)
        alert_outbox_add(e->ix, "syslog", "", json, now);
    free(json);
    alert_engine_wake(e);
}

/* ---- observations ---- */

static struct obs *obs_add(struct obs_list *l, const char *key, const char *kind, const char *camera,
                           const char *severity, const char *route, int64_t threshold_us)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        if (cap > MAX_OBS)
            return NULL;
        struct obs *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return NULL;
        l->v = v;
        l->cap = cap;
    }
    struct obs *o = &l->v[l->n++];
    memset(o, 0, sizeof *o);
    snprintf(o->key, sizeof o->key, "%s", key);
    snprintf(o->kind, sizeof o->kind, "%s", kind);
    snprintf(o->camera, sizeof o->camera, "%s", camera ? camera : "");
    o->severity = severity;
    o->route = route;
    o->threshold_us = threshold_us;
    return o;
}

static void obs_cat(struct obs_list *dst, const struct obs_list *src)
{
    for (size_t i = 0; i < src->n; i++) {
        struct obs *o = obs_add(dst, src->v[i].key, "", NULL, NULL, NULL, 0);
        if (o)
            *o = src->v[i];
    }
}

static void observe_cameras(struct alert_engine *e, struct obs_list *l)
{
    const struct nvr *nvr = e->nvr;
    char key[ALERT_KEY_MAX];
    if (!nvr->cams)
        return;
    for (size_t i = 0, ns = cameras_slots(nvr->cams); i < ns; i++) {
        const struct camera *c = cameras_at(nvr->cams, i);
        struct recorder_stats s;
        struct obs *o;
        if (!c || !c->cfg.enabled)
            continue;
        recorder_get_stats(c->rec, &s);
        if (s.status != REC_RECORDING) {
            snprintf(key, sizeof key, "camera_offline:%s", c->cfg.id);
            if ((o = obs_add(l, key, "camera_offline", c->cfg.id, "critical", "camera",
                             (int64_t)e->cfg->camera_offline_seconds * SECOND))) {
                snprintf(o->title, sizeof o->title, "Camera %s (%s) is not recording", c->cfg.name, c->cfg.id);
                snprintf(o->detail, sizeof o->detail, "status %s%s%s", recorder_status_name(s.status),
                         s.last_error[0] ? ": " : "", s.last_error);
            }
        }
        if (!s.write_ok) {
            snprintf(key, sizeof key, "io_error:%s", c->cfg.id);
            if ((o = obs_add(l, key, "io_error", c->cfg.id, "critical", "storage", 10 * SECOND))) {
                snprintf(o->title, sizeof o->title, "Cannot write the recordings of camera %s", c->cfg.id);
                snprintf(o->detail, sizeof o->detail, "%s", s.write_error[0] ? s.write_error : "write error");
            }
        }
    }
}

/* A storage dir that is not ok: at once (recording already moved), naming
 * the held footage it carries. */
static void observe_dirs(const struct nvr *nvr, struct obs_list *l)
{
    struct storage_dir_status *v = NULL;
    size_t n = 0;
    char key[ALERT_KEY_MAX];
    if (storage_dirs_status(nvr->st, 0, &v, &n))
        return;
    for (size_t i = 0; i < n; i++) {
        struct obs *o;
        const struct disk_smart *sm = &v[i].smart;
        if (sm->available && (!sm->passed || sm->pending > 0 || sm->uncorrectable > 0)) {
            snprintf(key, sizeof key, "disk_smart:%lld", (long long)v[i].id);
            if ((o = obs_add(l, key, "disk_smart", NULL, sm->passed ? "warning" : "critical", "storage", 0))) {
                snprintf(o->title, sizeof o->title, "Disk %.40s (%.120s) %s", sm->device, v[i].path,
                         sm->passed ? "has unreadable sectors" : "fails its SMART self-assessment: replace it");
                snprintf(o->detail, sizeof o->detail,
                         "reallocated %lld, pending %lld, offline uncorrectable %lld sectors; temperature %d C",
                         (long long)sm->reallocated, (long long)sm->pending, (long long)sm->uncorrectable,
                         sm->temperature_c);
            }
        }
        if (v[i].state == STORAGE_DIR_OK)
            continue;
        snprintf(key, sizeof key, "storage_dir:%lld", (long long)v[i].id);
        if (!(o = obs_add(l, key, "storage_dir", NULL, "critical", "storage", 0)))
            continue;
        struct dir_usage u;
        dir_store_usage(storage_index_reader(nvr->st), v[i].id, &u);
        snprintf(o->title, sizeof o->title, "Disk %.180s is %s", v[i].path,
                 v[i].state == STORAGE_DIR_READONLY ? "read-only" : "offline");
        snprintf(o->detail, sizeof o->detail,
                 "%.200s; recording moved to the other disks; %lld segments (%.1f GiB) there are unavailable%s, "
                 "%lld of them under evidence holds",
                 v[i].reason, (long long)u.segments, u.bytes / 1073741824.0,
                 v[i].state == STORAGE_DIR_READONLY ? " for new writes" : "", (long long)u.held);
    }
    free(v);
}

static void observe_storage(struct alert_engine *e, struct obs_list *l)
{
    const struct nvr *nvr = e->nvr;
    struct obs *o;
    int64_t th = (int64_t)e->cfg->storage_seconds * SECOND;
    const char *damage = storage_damage(nvr->st);
    if (damage && (o = obs_add(l, "index_damaged", "index_damaged", NULL, "critical", "storage", 0))) {
        snprintf(o->title, sizeof o->title, "The recording index was damaged and set aside");
        snprintf(o->detail, sizeof o->detail, "%s (run nvr check --storage --rebuild-index)", damage);
    }
    observe_dirs(nvr, l);
    if (!nvr->ret)
        return;
    struct retention_status rs;
    retention_get_status(nvr->ret, &rs);
    if (rs.state == RETENTION_HELD_FULL &&
        (o = obs_add(l, "held_full", "held_full", NULL, "critical", "storage", th))) {
        snprintf(o->title, sizeof o->title, "Storage is full of footage under evidence holds");
        snprintf(o->detail, sizeof o->detail, "%s", rs.message[0] ? rs.message : "only held footage is left to delete");
    }
    if (rs.state == RETENTION_ERROR &&
        (o = obs_add(l, "storage_error", "storage_error", NULL, "critical", "storage", th))) {
        snprintf(o->title, sizeof o->title, "Retention fails: footage cannot be kept within its limits");
        snprintf(o->detail, sizeof o->detail, "%s", rs.message[0] ? rs.message : "retention failed");
    }
    if (rs.fs_size && rs.min_free && rs.fs_avail < rs.min_free &&
        (o = obs_add(l, "storage_low", "storage_low", NULL, "warning", "storage", th))) {
        snprintf(o->title, sizeof o->title, "Free space is below min_free");
        snprintf(o->detail, sizeof o->detail, "%.1f GiB free of %.1f GiB, min_free %.1f GiB",
                 rs.fs_avail / 1073741824.0, rs.fs_size / 1073741824.0, rs.min_free / 1073741824.0);
    }
}

/* Cameras whose footage the limits will not keep for retain_days (retention's estimate). */
static void observe_retention(struct alert_engine *e, struct obs_list *l)
{
    const struct nvr *nvr = e->nvr;
    char key[ALERT_KEY_MAX];
    if (!nvr->ret || !nvr->cams)
        return;
    for (size_t i = 0, ns = cameras_slots(nvr->cams); i < ns; i++) {
        const struct camera *c = cameras_at(nvr->cams, i);
        struct retention_estimate est;
        struct obs *o;
        if (!c || c->cfg.retain_days <= 0 ||
            retention_estimate(nvr->ret, storage_index_reader(nvr->st), c->cfg.id, &est) != NVR_OK)
            continue;
        if (est.days < 0 || est.bytes_per_day <= 0 || est.days + 0.5 >= c->cfg.retain_days)
            continue;
        snprintf(key, sizeof key, "retention_short:%s", c->cfg.id);
        if ((o = obs_add(l, key, "retention_short", c->cfg.id, "warning", "storage", RETENTION_SHORT_US))) {
            snprintf(o->title, sizeof o->title, "Camera %s: the storage limits keep %.1f of its %d retain_days",
                     c->cfg.id, est.days, c->cfg.retain_days);
            snprintf(o->detail, sizeof o->detail,
                     "at %.1f GiB a day, max_bytes/min_free leave room for %.1f days; retention deletes footage "
                     "younger than retain_days",
                     est.bytes_per_day / 1073741824.0, est.days);
        }
    }
}

struct signin_count {
    int failed, blocked;
    char users[200], addresses[200];
};

/* Adds v to the comma-separated list unless it is there already.  An empty
 * v (an entry with no name: a sign-in's second step with an unknown ticket)
 * is not listed: strstr would find "" everywhere and the loop never end. */
static void note_once(char *list, size_t n, const char *v)
{
    size_t len = strlen(list), vl = strlen(v);
    if (vl == 0)
        return;
    for (const char *p = list; (p = strstr(p, v)); p += vl)
        if ((p == list || p[-1] == ' ') && (p[vl] == ',' || p[vl] == '\0'))
            return;
    if (len + vl + 3 < n)
        snprintf(list + len, n - len, "%s%s", len ? ", " : "", v);
}

/* The events one access-log entry stands for: the log's rate control
 * (core/log_limit.h) writes the first of a run at once and the rest as one
 * entry with "repeats=N", and events over its caps as log_suppressed with
 * "events=N". */
static int count_signin(const struct access_entry *a, void *arg)
{
    struct signin_count *c = arg;
    const char *rep = strstr(a->detail, "repeats="), *ev = strstr(a->detail, "events=");
    int n = 1;
    if (strcmp(a->action, "log_suppressed") == 0) {
        if (!ev || (!strstr(a->detail, "last_action=login_failed") && !strstr(a->detail, "last_action=login_blocked")))
            return 0;
        n = atoi(ev + 7);
    } else if (rep) {
        n = atoi(rep + 8);
    }
    if (n < 1)
        n = 1;
    if (strcmp(a->action, "login_blocked") == 0)
        c->blocked += n;
    else
        c->failed += n;
    note_once(c->users, sizeof c->users, a->user);
    note_once(c->addresses, sizeof c->addresses, a->address);
    return 0;
}

static void observe_signin(struct alert_engine *e, struct obs_list *l)
{
    int64_t now = nvr_clock_now_us();
    struct signin_count c = {0};
    struct access_filter f = {.from_us = now - (int64_t)e->cfg->signin_window_seconds * SECOND,
                              .to_us = INT64_MAX,
                              .action = "login_failed",
                              .limit = 10000};
    nvr_index *rix = storage_index_reader(e->nvr->st);
    access_log_each(rix, &f, count_signin, &c);
    f.action = "login_blocked";
    access_log_each(rix, &f, count_signin, &c);
    f.action = "log_suppressed";
    access_log_each(rix, &f, count_signin, &c);
    struct obs *o;
    if ((c.failed >= e->cfg->signin_failures || c.blocked > 0) &&
        (o = obs_add(l, "signin_failures", "signin_failures", NULL, "warning", "security", 0))) {
        snprintf(o->title, sizeof o->title, "Failed sign-ins: %d in %d s%s", c.failed, e->cfg->signin_window_seconds,
                 c.blocked ? " and sign-in lockouts" : "");
        snprintf(o->detail, sizeof o->detail, "%d failed, %d refused while locked out; names: %s; addresses: %s",
                 c.failed, c.blocked, c.users, c.addresses);
    }
}

static void observe_audit(struct alert_engine *e, struct obs_list *l)
{
    char *text = NULL;
    size_t len = 0;
    char key[ALERT_KEY_MAX];
    if (!e->nvr->audit || audit_runner_report(e->nvr->audit, &text, &len) != NVR_OK)
        return;
    json_t *doc = json_loadb(text, len, 0, NULL), *cams = json_object_get(doc, "cameras"), *cam;
    size_t i;
    json_array_foreach(cams, i, cam)
    {
        const char *id = json_string_value(json_object_get(cam, "id"));
        const char *verdict = json_string_value(json_object_get(cam, "verdict"));
        const char *maker = json_string_value(json_object_get(cam, "maker"));
        struct obs *o;
        if (!id || !verdict || (strcmp(verdict, "covered") != 0 && strcmp(verdict, "likely_covered_white_label") != 0))
            continue;
        snprintf(key, sizeof key, "audit:%s", id);
        if ((o = obs_add(l, key, "audit_covered", id, "warning", "audit", 0))) {
            snprintf(o->title, sizeof o->title, "Camera %s: the NDAA audit finds it %s%s%s", id,
                     strcmp(verdict, "covered") == 0 ? "made by a covered company"
                                                     : "likely a covered company's (white label)",
                     maker && *maker ? ": " : "", maker && *maker ? maker : "");
            snprintf(o->detail, sizeof o->detail, "verdict %s (GET /api/v1/audit has the evidence)", verdict);
        }
    }
    json_decref(doc);
    free(text);
}

static void observe_files(struct alert_engine *e, struct obs_list *l)
{
    const struct nvr_config *cfg = e->nvr->cfg;
    struct obs *o;
    if (cfg->tls_cert) {
        FILE *f = fopen(cfg->tls_cert, "r");
        X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
        int days = 0, secs = 0;
        if (f)
            fclose(f);
        if (!x) {
            if ((o = obs_add(l, "tls_cert", "tls_cert", NULL, "critical", "system", 0))) {
                snprintf(o->title, sizeof o->title, "The TLS certificate is missing or unreadable");
                snprintf(o->detail, sizeof o->detail, "tls_cert = %s", cfg->tls_cert);
            }
        } else if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)) &&
                   (days < e->cfg->cert_warn_days || (days == 0 && secs <= 0))) {
            int expired = days < 0 || (days == 0 && secs <= 0);
            if ((o = obs_add(l, "tls_cert", "tls_cert", NULL, expired ? "critical" : "warning", "system", 0))) {
                snprintf(o->title, sizeof o->title,
                         expired ? "The TLS certificate has expired" : "The TLS certificate expires in %d day%s", days,
                         days == 1 ? "" : "s");
                snprintf(o->detail, sizeof o->detail, "tls_cert = %s (nvr cert makes a new one)", cfg->tls_cert);
            }
        }
        X509_free(x);
    }
    struct sign_key *k = NULL;
    if (sign_key_load(cfg->data_dir, &k) != NVR_OK &&
        (o = obs_add(l, "signing_key", "signing_key", NULL, "critical", "system", 0))) {
        snprintf(o->title, sizeof o->title, "The export signing key is missing or unreadable");
        snprintf(o->detail, sizeof o->detail, "%s/%s: exports made now cannot be verified against earlier ones",
                 cfg->data_dir, SIGN_KEY_FILE);
    }
    sign_key_free(&k);
}

/* ---- incidents ---- */

static struct track *track_find(struct alert_engine *e, const char *key)
{
    for (size_t i = 0; i < e->ntracks; i++)
        if (strcmp(e->tracks[i].o.key, key) == 0)
            return &e->tracks[i];
    if (e->ntracks == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 16;
        struct track *v = realloc(e->tracks, cap * sizeof *v);
        if (!v)
            return NULL;
        e->tracks = v;
        e->cap = cap;
    }
    struct track *t = &e->tracks[e->ntracks++];
    memset(t, 0, sizeof *t);
    snprintf(t->o.key, sizeof t->o.key, "%s", key);
    return t;
}

static void open_incident(struct alert_engine *e, struct track *t, int64_t now, const char *why)
{
    struct alert_row r = {0};
    snprintf(r.key, sizeof r.key, "%s", t->o.key);
    snprintf(r.kind, sizeof r.kind, "%s", t->o.kind);
    snprintf(r.camera, sizeof r.camera, "%s", t->o.camera);
    snprintf(r.severity, sizeof r.severity, "%s", t->o.severity);
    snprintf(r.title, sizeof r.title, "%s", t->o.title);
    snprintf(r.detail, sizeof r.detail, "%s%s", t->o.detail, why ? why : "");
    r.flaps = t->flaps;
    if (alert_store_insert(e->ix, &r, now, &t->incident) != NVR_OK) {
        t->incident = 0;
        return;
    }
    t->opened_us = now;
    t->clear_since_us = 0;
    notify(e, &t->o, t->incident, "opened", "open", r.detail, now, t->flaps);
}

static void tick(struct alert_engine *e, struct obs_list *l)
{
    int64_t now = nvr_clock_now_us();
    int64_t hold = (int64_t)e->cfg->hold_down_seconds * SECOND;
    l->n = 0;
    observe_cameras(e, l);
    observe_storage(e, l);
    if (now >= e->next_ret_us) {
        e->slow_ret.n = 0;
        observe_retention(e, &e->slow_ret);
        e->next_ret_us = now + SLOW_RETENTION_US;
    }
    if (now >= e->next_audit_us) {
        e->slow_audit.n = 0;
        observe_audit(e, &e->slow_audit);
        e->next_audit_us = now + SLOW_AUDIT_US;
    }
    if (now >= e->next_files_us) {
        e->slow_files.n = 0;
        observe_files(e, &e->slow_files);
        e->next_files_us = now + SLOW_FILES_US;
    }
    if (now >= e->next_signin_us) {
        e->slow_signin.n = 0;
        observe_signin(e, &e->slow_signin);
        e->next_signin_us = now + SLOW_SIGNIN_US;
    }
    obs_cat(l, &e->slow_ret);
    obs_cat(l, &e->slow_audit);
    obs_cat(l, &e->slow_files);
    obs_cat(l, &e->slow_signin);

    for (size_t i = 0; i < e->ntracks; i++)
        e->tracks[i].seen = 0;
    for (size_t i = 0; i < l->n; i++) {
        struct track *t = track_find(e, l->v[i].key);
        if (!t)
            continue;
        t->o = l->v[i];
        t->seen = 1;
        if (!t->since_us)
            t->since_us = now;
        if (t->incident) {
            if (t->clear_since_us) { /* back within the hold-down: a flap, not a new alert */
                t->clear_since_us = 0;
                t->flaps++;
                alert_store_update(e->ix, t->incident, t->o.detail, t->flaps, now);
            }
        } else if (now - t->since_us >= t->o.threshold_us) {
            open_incident(e, t, now, NULL);
        }
    }
    for (size_t i = 0; i < e->ntracks;) {
        struct track *t = &e->tracks[i];
        if (t->seen) {
            i++;
            continue;
        }
        if (t->since_us && !t->incident) { /* cleared before its threshold: a short drop */
            if (!t->drops || now - t->first_drop_us > FLAP_WINDOW_US) {
                t->drops = 0;
                t->first_drop_us = now;
            }
            if (++t->drops >= FLAP_DROPS) {
                char why[96];
                snprintf(why, sizeof why, " (flapping: %d short drops in %lld s)", t->drops,
                         (long long)((now - t->first_drop_us) / SECOND));
                t->flaps = t->drops;
                open_incident(e, t, now, why);
                t->drops = 0;
            }
        }
        t->since_us = 0;
        if (t->incident) {
            if (!t->clear_since_us)
                t->clear_since_us = now;
            if (now - t->clear_since_us >= hold) {
                char detail[ALERT_TEXT_MAX + 96];
                snprintf(detail, sizeof detail, "cleared after %lld s",
                         (long long)((t->clear_since_us - t->opened_us) / SECOND));
                if (t->flaps)
                    snprintf(detail + strlen(detail), sizeof detail - strlen(detail), "; flapped %d time%s", t->flaps,
                             t->flaps == 1 ? "" : "s");
                alert_store_resolve(e->ix, t->incident, now);
                notify(e, &t->o, t->incident, "resolved", "resolved", detail, t->opened_us, t->flaps);
                t->incident = 0;
                t->flaps = 0;
                t->clear_since_us = 0;
            }
        }
        if (!t->incident && !t->since_us && (!t->drops || now - t->first_drop_us > FLAP_WINDOW_US)) {
            e->tracks[i] = e->tracks[--e->ntracks]; /* forgotten */
            continue;
        }
        i++;
    }
}

/* Incidents a previous run left open: tracked again (they resolve once
 * their condition has been clear for the hold-down). */
static void load_open(struct alert_engine *e)
{
    struct alert_row *rows = NULL;
    size_t n = 0;
    int64_t now = nvr_clock_now_us();
    if (alert_store_list(e->ix, "active", 1000, &rows, &n) != NVR_OK)
        return;
    for (size_t i = n; i-- > 0;) {
        if (strcmp(rows[i].kind, "recorder_crash") == 0)
            continue; /* an event: open until a person acknowledges it */
        struct track *t = track_find(e, rows[i].key);
        if (!t || t->incident)
            continue;
        snprintf(t->o.kind, sizeof t->o.kind, "%s", rows[i].kind);
        snprintf(t->o.camera, sizeof t->o.camera, "%s", rows[i].camera);
        snprintf(t->o.title, sizeof t->o.title, "%s", rows[i].title);
        snprintf(t->o.detail, sizeof t->o.detail, "%s", rows[i].detail);
        t->o.severity = strcmp(rows[i].severity, "critical") == 0 ? "critical" : "warning";
        t->o.route = strncmp(rows[i].kind, "camera", 6) == 0                                             ? "camera"
                     : strcmp(rows[i].kind, "signin_failures") == 0                                      ? "security"
                     : strcmp(rows[i].kind, "audit_covered") == 0                                        ? "audit"
                     : strcmp(rows[i].kind, "tls_cert") == 0 || strcmp(rows[i].kind, "signing_key") == 0 ? "system"
                                                                                                         : "storage";
        t->incident = rows[i].id;
        t->opened_us = rows[i].opened_us;
        t->flaps = rows[i].flaps;
        t->since_us = now;
    }
    free(rows);
}

/* The previous run did not stop (the marker says it was running), or
 * storage recovered unfinished segments: the recorder restarted after a crash. */
static void check_crash(struct alert_engine *e)
{
    char v[32] = "";
    int running = alert_meta_get(e->ix, "running", v, sizeof v) == NVR_OK && strcmp(v, "1") == 0;
    int recovered = storage_recovered(e->nvr->st);
    if (running || recovered) {
        struct track t = {0};
        int64_t now = nvr_clock_now_us();
        snprintf(t.o.key, sizeof t.o.key, "recorder_crash");
        snprintf(t.o.kind, sizeof t.o.kind, "recorder_crash");
        t.o.severity = "critical";
        t.o.route = "system";
        snprintf(t.o.title, sizeof t.o.title, "The recorder restarted after a crash or power loss");
        snprintf(t.o.detail, sizeof t.o.detail,
                 "the previous run did not stop cleanly%s; %d unfinished segment%s recovered (footage up to the "
                 "crash is kept; the gap is the restart)",
                 running ? "" : " (found by storage recovery)", recovered, recovered == 1 ? "" : "s");
        open_incident(e, &t, now, NULL);
    }
    alert_meta_set(e->ix, "running", "1");
}

static void *engine_main(void *arg)
{
    struct alert_engine *e = arg;
    struct obs_list l = {0};
    int64_t next = nvr_clock_mono_us();
    load_open(e);
    check_crash(e);
    pthread_mutex_lock(&e->mu);
    while (!e->stop) {
        pthread_mutex_unlock(&e->mu);
        tick(e, &l);
        next += TICK_US;
        int64_t now = nvr_clock_mono_us();
        if (next < now)
            next = now;
        pthread_mutex_lock(&e->mu);
        while (!e->stop && nvr_clock_mono_us() < next) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            int64_t left = next - nvr_clock_mono_us();
            if (left <= 0)
                break;
            ts.tv_sec += (time_t)(left / SECOND);
            ts.tv_nsec += (long)(left % SECOND) * 1000;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&e->cv, &e->mu, &ts);
        }
    }
    pthread_mutex_unlock(&e->mu);
    free(l.v);
    return NULL;
}

/* ---- the sender ---- */

static nvr_err deliver(struct alert_engine *e, const struct alert_outbox_row *r, char *err, size_t n)
{
    if (strcmp(r->channel, "email") == 0)
        return alert_send_email(e->cfg, r->target, r->body, err, n);
    if (strcmp(r->channel, "webhook") == 0)
        return alert_send_webhook(e->cfg, r->body, err, n);
    if (strcmp(r->channel, "syslog") == 0)
        return alert_send_syslog(e->cfg, r->body, err, n);
    snprintf(err, n, "unknown channel");
    return NVR_EINVAL;
}

static int configured(const struct nvr_alerts_config *c, const char *channel)
{
    return strcmp(channel, "email") == 0     ? c->smtp_url != NULL
           : strcmp(channel, "webhook") == 0 ? c->webhook_url != NULL
           : strcmp(channel, "syslog") == 0  ? c->syslog != NULL
                                             : 0;
}

/* One pass over the outbox: in id order, per channel, until the first row
 * that is not due or fails (so a channel's alerts arrive in order). */
static void send_pass(struct alert_engine *e)
{
    struct alert_outbox_row *rows = NULL;
    size_t n = 0;
    char blocked[3][16] = {"", "", ""};
    int nblocked = 0;
    if (alert_outbox_list(e->ix, 200, &rows, &n) != NVR_OK)
        return;
    for (size_t i = 0; i < n; i++) {
        struct alert_outbox_row *r = &rows[i];
        int skip = 0;
        for (int b = 0; b < nblocked; b++)
            skip |= strcmp(blocked[b], r->channel) == 0;
        if (skip)
            continue;
        pthread_mutex_lock(&e->mu);
        int stop = e->stop;
        pthread_mutex_unlock(&e->mu);
        if (stop)
            break;
        int64_t now = nvr_clock_now_us();
        if (!configured(e->cfg, r->channel)) {
            nvr_log(NVR_WARN, NULL, "alert dropped: channel %s is no longer configured", r->channel);
            alert_outbox_done(e->ix, r->id);
            continue;
        }
        if (r->next_us > now) {
            if (nblocked < 3)
                snprintf(blocked[nblocked++], sizeof blocked[0], "%s", r->channel);
            continue;
        }
        char err[256] = "";
        if (deliver(e, r, err, sizeof err) == NVR_OK) {
            alert_outbox_done(e->ix, r->id);
            if (r->attempts)
                nvr_log(NVR_INFO, NULL, "alert delivered channel=%s after attempts=%d", r->channel, r->attempts + 1);
            continue;
        }
        int attempts = r->attempts + 1;
        int64_t backoff = attempts > 6 ? BACKOFF_MAX_US : SECOND << (attempts - 1);
        if (backoff > BACKOFF_MAX_US)
            backoff = BACKOFF_MAX_US;
        if (now - r->created_us > GIVE_UP_US) {
            nvr_log(NVR_ERROR, NULL, "alert given up channel=%s attempts=%d error=\"%s\"", r->channel, attempts, err);
            alert_outbox_done(e->ix, r->id);
            continue;
        }
        if (attempts == 1 || attempts % 20 == 0)
            nvr_log(NVR_WARN, NULL, "alert not delivered, retrying channel=%s attempts=%d error=\"%s\"", r->channel,
                    attempts, err);
        alert_outbox_retry(e->ix, r->id, attempts, now + backoff, err);
        if (nblocked < 3)
            snprintf(blocked[nblocked++], sizeof blocked[0], "%s", r->channel);
    }
    alert_outbox_free(&rows, n);
}

static void *sender_main(void *arg)
{
    struct alert_engine *e = arg;
    pthread_mutex_lock(&e->mu);
    while (!e->stop) {
        e->wake = 0;
        pthread_mutex_unlock(&e->mu);
        send_pass(e);
        pthread_mutex_lock(&e->mu);
        if (e->stop || e->wake)
            continue;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&e->cv, &e->mu, &ts);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

/* ---- start, stop, test ---- */

nvr_err alert_engine_start(struct alert_engine **out, struct nvr *nvr)
{
    struct alert_engine *e = calloc(1, sizeof *e);
    *out = NULL;
    if (!e)
        return NVR_ENOMEM;
    e->nvr = nvr;
    e->cfg = &nvr->cfg->alerts;
    e->ix = storage_index(nvr->st);
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    if (pthread_create(&e->engine_thread, NULL, engine_main, e) == 0)
        e->started_engine = 1;
    if (pthread_create(&e->sender_thread, NULL, sender_main, e) == 0)
        e->started_sender = 1;
    if (!e->started_engine || !e->started_sender) {
        alert_engine_stop(&e);
        return NVR_ENOMEM;
    }
    nvr_log(NVR_INFO, NULL, "alerts: email=%s webhook=%s syslog=%s camera_offline_seconds=%d",
            e->cfg->smtp_url ? "on" : "off", e->cfg->webhook_url ? "on" : "off", e->cfg->syslog ? "on" : "off",
            e->cfg->camera_offline_seconds);
    *out = e;
    return NVR_OK;
}

void alert_engine_stop(struct alert_engine **ep)
{
    struct alert_engine *e = ep ? *ep : NULL;
    if (!e)
        return;
    pthread_mutex_lock(&e->mu);
    e->stop = 1;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    if (e->started_engine)
        pthread_join(e->engine_thread, NULL);
    if (e->started_sender)
        pthread_join(e->sender_thread, NULL);
    if (e->started_engine)
        alert_meta_set(e->ix, "running", "0");
    free(e->tracks);
    free(e->slow_ret.v);
    free(e->slow_audit.v);
    free(e->slow_files.v);
    free(e->slow_signin.v);
    pthread_cond_destroy(&e->cv);
    pthread_mutex_destroy(&e->mu);
    free(e);
    *ep = NULL;
}

nvr_err alert_send_test(const struct nvr_alerts_config *c, const char *by, char **json)
{
    char detail[200], err[256];
    int rc = NVR_OK;
    int64_t now = nvr_clock_now_us();
    snprintf(detail, sizeof detail, "a test alert asked for by %s: this channel reaches you", by ? by : "?");
    char *msg =
        alert_message_json(0, "test", "test", "test", NULL, "info", "resolved", "Test alert", detail, now, now, 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!msg || !f) {
        free(msg);
        if (f)
            fclose(f);
        free(buf);
        return NVR_ENOMEM;
    }
    static const char *const names[] = {"email", "webhook", "syslog"};
    fputc('{', f);
    for (int i = 0; i < 3; i++) {
        int r;
        err[0] = '\0';
        if (!configured(c, names[i])) {
            fprintf(f, "%s\"%s\":\"not configured\"", i ? "," : "", names[i]);
            continue;
        }
        r = i == 0   ? alert_send_email(c, c->email_to, msg, err, sizeof err)
            : i == 1 ? alert_send_webhook(c, msg, err, sizeof err)
                     : alert_send_syslog(c, msg, err, sizeof err);
        if (r) {
            char text[300];
            snprintf(text, sizeof text, "failed: %s", err);
            fprintf(f, "%s\"%s\":", i ? "," : "", names[i]);
            json_write_string(f, text);
            rc = NVR_EIO;
        } else {
            fprintf(f, "%s\"%s\":\"sent\"", i ? "," : "", names[i]);
        }
    }
    fputs("}\n", f);
    fclose(f);
    free(msg);
    *json = buf;
    return rc;
}
