/* SPDX-License-Identifier: Apache-2.0 */
/*
 * signin_limit.c - the sign-in rate limiter (see signin_limit.h).
 *
 * A flat table scanned in full on every call: 4096 entries are a few
 * microseconds, against the ~100 ms of the Argon2id check each sign-in
 * costs anyway, and a scan is what finding the least useful entry needs.
 */
#include "core/signin_limit.h"

#include "base/err.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_LEN 72

enum { KIND_FREE = 0, KIND_PAIR, KIND_PREFIX };

struct entry {
    int kind;
    uint32_t hash; /* of kind, prefix and name: compared first */
    char prefix[SIGNIN_PREFIX_LEN];
    char name[NAME_LEN]; /* "" for KIND_PREFIX */
    int failures;        /* within the window */
    int64_t last_us;     /* last failure */
    int64_t until_us;    /* blocked until (0: not blocked) */
};

struct signin_limit {
    pthread_mutex_t mu;
    size_t n;
    struct entry *e;
    uint64_t evicted, evicted_blocks;
};

nvr_err signin_limit_create(struct signin_limit **out, size_t slots)
{
    struct signin_limit *l = calloc(1, sizeof *l);
    *out = NULL;
    if (slots < 2)
        slots = 2; /* a failure touches two entries */
    if (!l || !(l->e = calloc(slots, sizeof *l->e))) {
        free(l);
        return NVR_ENOMEM;
    }
    l->n = slots;
    pthread_mutex_init(&l->mu, NULL);
    *out = l;
    return NVR_OK;
}

void signin_limit_destroy(struct signin_limit **lp)
{
    struct signin_limit *l = *lp;
    if (!l)
        return;
    pthread_mutex_destroy(&l->mu);
    free(l->e);
    free(l);
    *lp = NULL;
}

void signin_limit_prefix(const char *address, char out[SIGNIN_PREFIX_LEN])
{
    unsigned char a[16];
    if (inet_pton(AF_INET, address, a) == 1) {
        inet_ntop(AF_INET, a, out, SIGNIN_PREFIX_LEN);
        return;
    }
    if (inet_pton(AF_INET6, address, a) == 1) {
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a, mapped, 12) == 0) {
            inet_ntop(AF_INET, a + 12, out, SIGNIN_PREFIX_LEN);
            return;
        }
        char t[INET6_ADDRSTRLEN];
        memset(a + 8, 0, 8);
        inet_ntop(AF_INET6, a, t, sizeof t);
        size_t n = strnlen(t, SIGNIN_PREFIX_LEN - 4);
        memcpy(out, t, n);
        memcpy(out + n, "/64", 4);
        return;
    }
    snprintf(out, SIGNIN_PREFIX_LEN, "%s", address ? address : "");
}

static uint32_t key_hash(int kind, const char *prefix, const char *name)
{
    uint32_t h = 2166136261u ^ (uint32_t)kind;
    for (const char *p = prefix; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    h = (h ^ 0xffu) * 16777619u;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h;
}

static int blocked(const struct entry *e, int64_t now)
{
    return e->kind != KIND_FREE && e->until_us > now;
}

/* An entry whose failures have aged out and that blocks nothing: as good as free. */
static int expired(const struct entry *e, int64_t now)
{
    return e->kind == KIND_FREE || (!blocked(e, now) && now - e->last_us > SIGNIN_WINDOW_US);
}

/* Whether a is less useful than b (the better one to evict). */
static int less_useful(const struct entry *a, const struct entry *b, int64_t now)
{
    int ab = blocked(a, now), bb = blocked(b, now);
    if (ab != bb)
        return !ab;
    if (ab) /* both blocks: the one ending sooner */
        return a->until_us < b->until_us || (a->until_us == b->until_us && a->failures < b->failures);
    if (a->failures != b->failures)
        return a->failures < b->failures;
    return a->last_us < b->last_us;
}

static struct entry *find(struct signin_limit *l, int kind, const char *prefix, const char *name, uint32_t h)
{
    for (size_t i = 0; i < l->n; i++) {
        struct entry *e = &l->e[i];
        if (e->kind == kind && e->hash == h && strcmp(e->prefix, prefix) == 0 && strcmp(e->name, name) == 0)
            return e;
    }
    return NULL;
}

/* The entry for the key, made if absent (locked); keep is never evicted. */
static struct entry *get(struct signin_limit *l, int kind, const char *prefix, const char *name, int64_t now,
                         const struct entry *keep)
{
    uint32_t h = key_hash(kind, prefix, name);
    struct entry *e = find(l, kind, prefix, name, h);
    if (e) {
        if (expired(e, now)) {
            e->failures = 0;
            e->until_us = 0;
        }
        return e;
    }
    struct entry *free_slot = NULL, *victim = NULL, *own_victim = NULL;
    size_t own = 0;
    for (size_t i = 0; i < l->n; i++) {
        struct entry *c = &l->e[i];
        if (c == keep)
            continue;
        if (expired(c, now)) {
            if (!free_slot)
                free_slot = c;
            continue;
        }
        if (kind == KIND_PAIR && c->kind == KIND_PAIR && strcmp(c->prefix, prefix) == 0) {
            own++;
            if (!own_victim || less_useful(c, own_victim, now))
                own_victim = c;
        }
        if (!victim || less_useful(c, victim, now))
            victim = c;
    }
    if (kind == KIND_PAIR && own >= SIGNIN_PER_PREFIX)
        e = own_victim; /* a prefix recycles its own entries, never anyone else's */
    else
        e = free_slot ? free_slot : victim;
    if (e != free_slot) {
        l->evicted++;
        if (blocked(e, now))
            l->evicted_blocks++;
    }
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->hash = h;
    snprintf(e->prefix, sizeof e->prefix, "%s", prefix);
    snprintf(e->name, sizeof e->name, "%s", name);
    return e;
}

static int64_t delay(int failures, int free_failures)
{
    int k = failures - free_failures;
    if (k < 0)
        return 0;
    int64_t d = SIGNIN_DELAY_MIN_US;
    while (k-- > 0 && d < SIGNIN_DELAY_MAX_US)
        d *= 2;
    return d < SIGNIN_DELAY_MAX_US ? d : SIGNIN_DELAY_MAX_US;
}

int64_t signin_limit_wait(struct signin_limit *l, const char *name, const char *address, int64_t now_us)
{
    char prefix[SIGNIN_PREFIX_LEN];
    int64_t wait = 0;
    signin_limit_prefix(address, prefix);
    pthread_mutex_lock(&l->mu);
    struct entry *p = find(l, KIND_PAIR, prefix, name, key_hash(KIND_PAIR, prefix, name));
    struct entry *a = find(l, KIND_PREFIX, prefix, "", key_hash(KIND_PREFIX, prefix, ""));
    if (p && blocked(p, now_us))
        wait = p->until_us - now_us;
    if (a && blocked(a, now_us) && a->until_us - now_us > wait)
        wait = a->until_us - now_us;
    pthread_mutex_unlock(&l->mu);
    return wait;
}

static void count_failure(struct entry *e, int free_failures, int64_t now)
{
    e->failures++;
    e->last_us = now;
    int64_t d = delay(e->failures, free_failures);
    if (d)
        e->until_us = now + d;
}

void signin_limit_failed(struct signin_limit *l, const char *name, const char *address, int64_t now_us)
{
    char prefix[SIGNIN_PREFIX_LEN];
    signin_limit_prefix(address, prefix);
    pthread_mutex_lock(&l->mu);
    struct entry *a = get(l, KIND_PREFIX, prefix, "", now_us, NULL);
    count_failure(a, SIGNIN_ADDR_FREE, now_us);
    count_failure(get(l, KIND_PAIR, prefix, name, now_us, a), SIGNIN_PAIR_FREE, now_us);
    pthread_mutex_unlock(&l->mu);
}

void signin_limit_succeeded(struct signin_limit *l, const char *name, const char *address)
{
    char prefix[SIGNIN_PREFIX_LEN];
    signin_limit_prefix(address, prefix);
    pthread_mutex_lock(&l->mu);
    struct entry *p = find(l, KIND_PAIR, prefix, name, key_hash(KIND_PAIR, prefix, name));
    struct entry *a = find(l, KIND_PREFIX, prefix, "", key_hash(KIND_PREFIX, prefix, ""));
    if (p) {
        if (a)
            a->failures = a->failures > p->failures ? a->failures - p->failures : 0;
        memset(p, 0, sizeof *p);
    }
    pthread_mutex_unlock(&l->mu);
}

void signin_limit_stats(struct signin_limit *l, int64_t now_us, struct signin_limit_stats *st)
{
    memset(st, 0, sizeof *st);
    pthread_mutex_lock(&l->mu);
    for (size_t i = 0; i < l->n; i++) {
        if (expired(&l->e[i], now_us))
            continue;
        st->used++;
        if (blocked(&l->e[i], now_us))
            st->blocked++;
    }
    st->evicted = l->evicted;
    st->evicted_blocks = l->evicted_blocks;
    pthread_mutex_unlock(&l->mu);
}
