/* SPDX-License-Identifier: Apache-2.0 */
/*
 * signin_ticket.c - the bounded table of second-factor tickets (see
 * signin_ticket.h).  `mu` guards every slot.
 */
#include "core/signin_ticket.h"

#include "storage/sha256.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADDRESS_LEN 64

struct slot {
    uint8_t hash[32];
    int64_t user_id;
    int64_t until_us; /* 0: empty */
    int tries;
    char address[ADDRESS_LEN];
};

struct signin_tickets {
    pthread_mutex_t mu;
    struct slot slots[SIGNIN_TICKETS_MAX];
};

static void ticket_hash(const char *ticket, uint8_t out[32])
{
    struct sha256 *h = sha256_new();
    memset(out, 0, 32);
    if (!h)
        return;
    sha256_update(h, ticket, strlen(ticket));
    sha256_final(h, out);
    sha256_free(&h);
}

nvr_err signin_tickets_create(struct signin_tickets **out)
{
    struct signin_tickets *t = calloc(1, sizeof *t);
    *out = NULL;
    if (!t)
        return NVR_ENOMEM;
    pthread_mutex_init(&t->mu, NULL);
    *out = t;
    return NVR_OK;
}

void signin_tickets_destroy(struct signin_tickets **tp)
{
    struct signin_tickets *t = *tp;
    if (!t)
        return;
    pthread_mutex_destroy(&t->mu);
    sodium_memzero(t, sizeof *t);
    free(t);
    *tp = NULL;
}

void signin_ticket_issue(struct signin_tickets *t, int64_t user_id, const char *address, int64_t now_us,
                         char out[SIGNIN_TICKET_LEN])
{
    unsigned char b[32];
    randombytes_buf(b, sizeof b);
    sodium_bin2base64(out, SIGNIN_TICKET_LEN, b, sizeof b, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    pthread_mutex_lock(&t->mu);
    struct slot *s = &t->slots[0];
    for (int i = 0; i < SIGNIN_TICKETS_MAX; i++) {
        struct slot *c = &t->slots[i];
        if (c->until_us <= now_us) { /* empty or expired */
            s = c;
            break;
        }
        if (c->until_us < s->until_us)
            s = c;
    }
    ticket_hash(out, s->hash);
    s->user_id = user_id;
    s->until_us = now_us + SIGNIN_TICKET_US;
    s->tries = 0;
    snprintf(s->address, sizeof s->address, "%s", address ? address : "");
    pthread_mutex_unlock(&t->mu);
}

/* The live slot of hash, or NULL.  Locked. */
static struct slot *find(struct signin_tickets *t, const uint8_t hash[32], int64_t now_us)
{
    for (int i = 0; i < SIGNIN_TICKETS_MAX; i++) {
        struct slot *s = &t->slots[i];
        if (s->until_us > now_us && sodium_memcmp(s->hash, hash, 32) == 0)
            return s;
    }
    return NULL;
}

int signin_ticket_find(struct signin_tickets *t, const char *ticket, const char *address, int64_t now_us,
                       int64_t *user_id)
{
    uint8_t h[32];
    if (!ticket || strlen(ticket) != SIGNIN_TICKET_LEN - 1)
        return -1;
    ticket_hash(ticket, h);
    pthread_mutex_lock(&t->mu);
    struct slot *s = find(t, h, now_us);
    int ok = s && strcmp(s->address, address ? address : "") == 0;
    if (ok)
        *user_id = s->user_id;
    pthread_mutex_unlock(&t->mu);
    return ok ? 0 : -1;
}

void signin_ticket_failed(struct signin_tickets *t, const char *ticket)
{
    uint8_t h[32];
    ticket_hash(ticket, h);
    pthread_mutex_lock(&t->mu);
    for (int i = 0; i < SIGNIN_TICKETS_MAX; i++) {
        struct slot *s = &t->slots[i];
        if (s->until_us && sodium_memcmp(s->hash, h, 32) == 0 && ++s->tries >= SIGNIN_TICKET_TRIES)
            memset(s, 0, sizeof *s);
    }
    pthread_mutex_unlock(&t->mu);
}

void signin_ticket_take(struct signin_tickets *t, const char *ticket)
{
    uint8_t h[32];
    ticket_hash(ticket, h);
    pthread_mutex_lock(&t->mu);
    for (int i = 0; i < SIGNIN_TICKETS_MAX; i++)
        if (t->slots[i].until_us && sodium_memcmp(t->slots[i].hash, h, 32) == 0)
            memset(&t->slots[i], 0, sizeof t->slots[i]);
    pthread_mutex_unlock(&t->mu);
}
