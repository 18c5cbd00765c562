/* SPDX-License-Identifier: Apache-2.0 */
/* catalog.c - the publisher thread: connect, migrate, publish, back off
 * (catalog.h). */
#include "catalog/catalog.h"
#include "catalog/catalog_publish.h"
#include "catalog/catalog_schema.h"

#include "base/clock.h"
#include "base/config.h"
#include "base/log.h"
#include "core/nvr.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_MIN_S 1
#define BACKOFF_MAX_S 60

struct catalog {
    struct nvr *nvr;
    const struct nvr_catalog_config *cfg;
    struct catalog_pub *pub;
    PGconn *conn; /* the thread's */
    pthread_t thread;
    pthread_mutex_t mu; /* guards stop and status */
    pthread_cond_t cv;
    int stop;
    struct catalog_status status;
    char logged[256]; /* the failure last logged (C3: once per kind); the thread's */
};

/* Waits s seconds or until stopped; 1 when stopped. */
static int nap(struct catalog *c, int s)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += s;
    pthread_mutex_lock(&c->mu);
    while (!c->stop && pthread_cond_timedwait(&c->cv, &c->mu, &until) == 0)
        ;
    int stop = c->stop;
    pthread_mutex_unlock(&c->mu);
    return stop;
}

/* Two failures are of one kind when their texts agree up to the first
 * digit (ports, times and counts vary). */
static int same_kind(const char *a, const char *b)
{
    size_t ka = strcspn(a, "0123456789"), kb = strcspn(b, "0123456789");
    return ka == kb && strncmp(a, b, ka) == 0;
}

static void failed(struct catalog *c, const char *err)
{
    if (!c->logged[0] || !same_kind(c->logged, err)) {
        nvr_log(NVR_WARN, NULL, "catalog: %s (retrying; recording goes on)", err);
        snprintf(c->logged, sizeof c->logged, "%s", err);
    }
    pthread_mutex_lock(&c->mu);
    c->status.connected = 0;
    c->status.failures++;
    snprintf(c->status.last_error, sizeof c->status.last_error, "%s", err);
    pthread_mutex_unlock(&c->mu);
}

static void succeeded(struct catalog *c, int64_t now_us)
{
    if (c->logged[0] || c->status.publishes == 0)
        nvr_log(NVR_INFO, NULL, "catalog: published site=%s", c->cfg->site);
    c->logged[0] = '\0';
    pthread_mutex_lock(&c->mu);
    c->status.connected = 1;
    c->status.publishes++;
    c->status.last_publish_us = now_us;
    c->status.last_error[0] = '\0';
    pthread_mutex_unlock(&c->mu);
}

/* A connection with the schema up to date, or NULL with err. */
static PGconn *connect_catalog(struct catalog *c, char *err, size_t errlen)
{
    const char *keys[] = {"dbname", "connect_timeout", "application_name", "options", "keepalives_idle", NULL};
    const char *vals[] = {c->cfg->url, "5", "nvr", "-c statement_timeout=10000", "30", NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        catalog_pq_error(conn, NULL, "cannot connect", err, errlen);
        PQfinish(conn);
        return NULL;
    }
    if (catalog_schema_migrate(conn, err, errlen)) {
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

static void *run(void *arg)
{
    struct catalog *c = arg;
    pthread_setname_np(pthread_self(), "nvr-catalog"); /* bench/catalog reads its CPU time by this name */
    char err[512];
    int backoff = BACKOFF_MIN_S;
    for (;;) {
        int wait = c->cfg->publish_seconds;
        if (!c->conn) {
            catalog_publish_forget(c->pub); /* P1: a new connection reads back */
            c->conn = connect_catalog(c, err, sizeof err);
        }
        if (c->conn) {
            int64_t now = nvr_clock_now_us();
            if (catalog_publish(c->pub, c->conn, c->nvr, now, err, sizeof err) == NVR_OK) {
                succeeded(c, now);
                backoff = BACKOFF_MIN_S;
            } else {
                if (PQstatus(c->conn) != CONNECTION_OK) {
                    PQfinish(c->conn);
                    c->conn = NULL;
                }
                failed(c, err);
                wait = backoff;
                backoff = backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff * 2;
            }
        } else {
            failed(c, err);
            wait = backoff;
            backoff = backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff * 2;
        }
        if (nap(c, wait))
            break;
    }
    PQfinish(c->conn);
    c->conn = NULL;
    return NULL;
}

nvr_err catalog_start(struct catalog **out, struct nvr *nvr)
{
    *out = NULL;
    if (!nvr->cfg->catalog.url)
        return NVR_OK;
    struct catalog *c = calloc(1, sizeof *c);
    if (!c)
        return NVR_ENOMEM;
    c->nvr = nvr;
    c->cfg = &nvr->cfg->catalog;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&c->mu, NULL);
    char pin[CATALOG_PIN_LEN] = "", err[300];
    nvr_err rc = NVR_OK;
    /* the certificate the server read at start-up (cli.c): its public key's pin */
    if (nvr->cfg->tls_cert && (rc = catalog_tls_pin(nvr->cfg->tls_cert, pin, err, sizeof err)))
        nvr_log(NVR_ERROR, NULL, "catalog: %s", err);
    if (rc == NVR_OK)
        rc = catalog_publish_create(&c->pub, c->cfg->site, nvr->started_us, c->cfg->advertise, pin[0] ? pin : NULL);
    if (rc == NVR_OK && pthread_create(&c->thread, NULL, run, c) != 0)
        rc = NVR_ENOMEM;
    if (rc) {
        catalog_publish_destroy(&c->pub);
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        free(c);
        return rc;
    }
    nvr_log(NVR_INFO, NULL, "catalog: publishing site=%s every=%ds", c->cfg->site, c->cfg->publish_seconds);
    *out = c;
    return NVR_OK;
}

void catalog_stop(struct catalog **cp)
{
    struct catalog *c = cp ? *cp : NULL;
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    catalog_publish_destroy(&c->pub);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
    *cp = NULL;
}

void catalog_status(struct catalog *c, struct catalog_status *out)
{
    memset(out, 0, sizeof *out);
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    *out = c->status;
    pthread_mutex_unlock(&c->mu);
}
