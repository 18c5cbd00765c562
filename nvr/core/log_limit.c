/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log_limit.c - aggregation and caps for anonymous access-log events (see
 * log_limit.h).
 */
#include "core/log_limit.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "storage/access_log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum slot_kind { SLOT_FREE, SLOT_KEY, SLOT_ADDR };

struct slot {
    enum slot_kind kind;
    char action[32], user[INDEX_ID_MAX], address[64];
    int64_t start_us;          /* the window's start */
    int64_t first_us, last_us; /* of the events counted, not written */
    int64_t count;             /* events counted, not written */
    int rows;                  /* SLOT_ADDR: entries written at once this window */
};

struct log_limit {
    nvr_index *ix;
    pthread_mutex_t mu;
    struct slot slots[LOG_LIMIT_SLOTS];
    int64_t total_start_us; /* the overall window */
    int total_rows;
    struct slot over; /* events over LOG_LIMIT_TOTAL_ROWS */
};

static void iso(int64_t us, char out[32])
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out + strftime(out, 21, "%Y-%m-%dT%H:%M:%S", &tm), 12, ".%03dZ", (int)(us / 1000 % 1000));
}

static void append(struct log_limit *l, int64_t now, const char *user, const char *address, const char *action,
                   const char *detail)
{
    int rc = access_log_append(l->ix, now, user, address, action, "", detail);
    if (rc)
        nvr_log(NVR_ERROR, NULL, "cannot write the access log action=%s error=\"%s\"", action, nvr_strerror(rc));
}

/* Writes what s counted (if anything) and frees it.  Locked. */
static void flush_slot(struct log_limit *l, struct slot *s, int64_t now)
{
    char a[32], b[32], detail[ACCESS_TEXT_MAX];
    if (s->count > 0) {
        iso(s->first_us, a);
        iso(s->last_us, b);
        if (s->kind == SLOT_KEY) {
            snprintf(detail, sizeof detail, "repeats=%lld first=%s last=%s (identical to the entry before, counted)",
                     (long long)s->count, a, b);
            append(l, now, s->user, s->address, s->action, detail);
        } else {
            snprintf(detail, sizeof detail,
                     "events=%lld first=%s last=%s last_action=%s last_user=%s (over %d entries a minute %s)",
                     (long long)s->count, a, b, s->action, s->user,
                     s == &l->over ? LOG_LIMIT_TOTAL_ROWS : LOG_LIMIT_ADDR_ROWS,
                     s == &l->over ? "from all addresses" : "from this address");
            append(l, now, "", s->address, "log_suppressed", detail);
        }
    }
    memset(s, 0, sizeof *s);
}

static int expired(const struct slot *s, int64_t now)
{
    return now - s->start_us >= LOG_LIMIT_WINDOW_US || now < s->start_us;
}

static void flush_locked(struct log_limit *l, int64_t now, int all)
{
    for (int i = 0; i < LOG_LIMIT_SLOTS; i++)
        if (l->slots[i].kind != SLOT_FREE && (all || expired(&l->slots[i], now)))
            flush_slot(l, &l->slots[i], now);
    if (all || now - l->total_start_us >= LOG_LIMIT_WINDOW_US || now < l->total_start_us) {
        flush_slot(l, &l->over, now);
        l->total_start_us = now;
        l->total_rows = 0;
    }
}

/* The slot of kind for (action, user, address); with create, a free one
 * (or the oldest, flushed early) set up for it.  Locked. */
static struct slot *find(struct log_limit *l, enum slot_kind kind, const char *action, const char *user,
                         const char *address, int64_t now, int create)
{
    struct slot *free_slot = NULL, *oldest = NULL;
    for (int i = 0; i < LOG_LIMIT_SLOTS; i++) {
        struct slot *s = &l->slots[i];
        if (s->kind == SLOT_FREE) {
            if (!free_slot)
                free_slot = s;
            continue;
        }
        if (s->kind == kind && strcmp(s->address, address) == 0 &&
            (kind == SLOT_ADDR || (strcmp(s->action, action) == 0 && strcmp(s->user, user) == 0)))
            return s;
        if (!oldest || s->start_us < oldest->start_us)
            oldest = s;
    }
    if (!create)
        return NULL;
    struct slot *s = free_slot;
    if (!s) {
        s = oldest;
        flush_slot(l, s, now);
    }
    s->kind = kind;
    s->start_us = now;
    snprintf(s->address, sizeof s->address, "%s", address);
    if (kind == SLOT_KEY) {
        snprintf(s->action, sizeof s->action, "%s", action);
        snprintf(s->user, sizeof s->user, "%s", user);
    }
    return s;
}

static void count(struct slot *s, int64_t now, const char *action, const char *user)
{
    if (s->count++ == 0)
        s->first_us = now;
    s->last_us = now;
    if (s->kind != SLOT_KEY) {
        snprintf(s->action, sizeof s->action, "%s", action);
        snprintf(s->user, sizeof s->user, "%s", user);
    }
}

void log_limit_event(struct log_limit *l, int64_t now, const char *user, const char *address, const char *action,
                     const char *detail)
{
    user = user ? user : "";
    address = address ? address : "";
    pthread_mutex_lock(&l->mu);
    flush_locked(l, now, 0);
    struct slot *k = find(l, SLOT_KEY, action, user, address, now, 0);
    if (k) {
        count(k, now, action, user); /* a repeat: counted */
        goto out;
    }
    struct slot *a = find(l, SLOT_ADDR, action, user, address, now, 1);
    if (a->rows >= LOG_LIMIT_ADDR_ROWS) {
        count(a, now, action, user); /* over this address's cap */
        goto out;
    }
    if (l->total_rows >= LOG_LIMIT_TOTAL_ROWS) {
        if (!l->over.kind) {
            l->over.kind = SLOT_ADDR;
            snprintf(l->over.address, sizeof l->over.address, "*");
        }
        count(&l->over, now, action, user); /* over the overall cap */
        goto out;
    }
    a->rows++;
    l->total_rows++;
    append(l, now, user, address, action, detail);
    find(l, SLOT_KEY, action, user, address, now, 1);
out:
    pthread_mutex_unlock(&l->mu);
}

void log_limit_flush(struct log_limit *l, int64_t now, int all)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->mu);
    flush_locked(l, now, all);
    pthread_mutex_unlock(&l->mu);
}

nvr_err log_limit_create(struct log_limit **out, nvr_index *ix)
{
    struct log_limit *l = calloc(1, sizeof *l);
    *out = NULL;
    if (!l)
        return NVR_ENOMEM;
    l->ix = ix;
    pthread_mutex_init(&l->mu, NULL);
    *out = l;
    return NVR_OK;
}

void log_limit_destroy(struct log_limit **lp)
{
    struct log_limit *l = *lp;
    if (!l)
        return;
    log_limit_flush(l, nvr_clock_now_us(), 1);
    pthread_mutex_destroy(&l->mu);
    free(l);
    *lp = NULL;
}
