/* SPDX-License-Identifier: Apache-2.0 */
/*
 * signin_ticket.h - the tickets between a correct password and the second
 * factor (docs/design/security.md, "Second factor").
 *
 * A ticket is 256 random bits handed to the client after a correct
 * password for an account with TOTP; the table keeps only its SHA-256, the
 * account, the address it was issued to and when it expires.  Invariants:
 *   1. A ticket lives at most SIGNIN_TICKET_US and only from its address.
 *   2. It is single-use: taken (removed) by the sign-in it completes, and
 *      dropped after SIGNIN_TICKET_TRIES wrong codes.
 *   3. The table is bounded (SIGNIN_TICKETS_MAX slots, memory fixed at
 *      creation): a new ticket takes an empty or expired slot, else the one
 *      that expires soonest.  Only a correct password makes one.
 * Time is the monotonic clock.
 *
 * Threads: any (its own mutex).
 */
#ifndef NVR_CORE_SIGNIN_TICKET_H
#define NVR_CORE_SIGNIN_TICKET_H

#include "base/err.h"

#include <stdint.h>

#define SIGNIN_TICKETS_MAX 256
#define SIGNIN_TICKET_US (5LL * 60 * 1000000)
#define SIGNIN_TICKET_TRIES 5
#define SIGNIN_TICKET_LEN 44 /* base64url of 32 random bytes, NUL included */

struct signin_tickets;

nvr_err signin_tickets_create(struct signin_tickets **out);
void signin_tickets_destroy(struct signin_tickets **t);

/* Issues a ticket for user_id signing in from address into out. */
void signin_ticket_issue(struct signin_tickets *t, int64_t user_id, const char *address, int64_t now_us,
                         char out[SIGNIN_TICKET_LEN]);

/* The account of a live ticket presented from address: 0 and *user_id, or
 * -1 (unknown, expired, or another address). */
int signin_ticket_find(struct signin_tickets *t, const char *ticket, const char *address, int64_t now_us,
                       int64_t *user_id);

/* A wrong code with the ticket: counts it, and drops the ticket at the
 * SIGNIN_TICKET_TRIES-th. */
void signin_ticket_failed(struct signin_tickets *t, const char *ticket);

/* Drops the ticket (it was used). */
void signin_ticket_take(struct signin_tickets *t, const char *ticket);

#endif
