/* SPDX-License-Identifier: Apache-2.0 */
/*
 * access_log.h - the disclosure record: an append-only, hash-chained log of
 * who saw or did what, in the index.
 *
 * Each entry is (id, time, user, address, action, camera, detail) plus
 * prev_hash (the previous entry's hash; 32 zero bytes for the first) and
 * hash = SHA-256 of prev_hash and the entry's fields (docs/design/access-log.md
 * gives the exact bytes).  Ids come from AUTOINCREMENT and never repeat, so
 * access_log_verify detects an edited entry (its hash), a deleted one (a gap
 * in the ids and a broken chain) and reordering; cutting off the newest
 * entries is detected against a head hash noted elsewhere (verify prints it).
 *
 * Anchoring: a checkpoint is an entry of its own (action "log_checkpoint",
 * user and address "") whose detail carries the id and hash of the entry
 * before it and an Ed25519 signature over them by the recorder's key:
 *   "upto=ID head=HEX reason=R key=sha256:FPR sig=HEX"
 * so recomputing the chain after deleting or editing entries (the formula
 * is public) fails at the next checkpoint unless the forger has the key.
 * Storage does no cryptography: the caller signs (access_sign_fn) and
 * checks (access_verify_opts.check); nvr/export/log_anchor.c does both.
 *
 * Threads: any thread (the index serialises; an append is one transaction).
 */
#ifndef NVR_STORAGE_ACCESS_LOG_H
#define NVR_STORAGE_ACCESS_LOG_H

#include "base/err.h"
#include "storage/index.h"

#include <stdint.h>
#include <stdio.h>

#define ACCESS_TEXT_MAX 512

struct access_entry {
    int64_t id, time_us;
    char user[INDEX_ID_MAX];
    char address[64];
    char action[32];
    char camera[INDEX_ID_MAX];
    char detail[ACCESS_TEXT_MAX];
    uint8_t prev_hash[32], hash[32];
};

/* Appends an entry (texts are truncated to their field sizes; camera and
 * detail may be ""). */
nvr_err access_log_append(nvr_index *ix, int64_t time_us, const char *user, const char *address, const char *action,
                          const char *camera, const char *detail);

struct access_filter {
    int64_t from_us, to_us; /* [from, to) */
    const char *user;       /* NULL: any */
    const char *camera;     /* NULL: any */
    const char *action;     /* NULL: any */
    int limit;              /* most entries, newest last */
};

/* Calls fn for each matching entry in id order; stops early if fn returns
 * non-zero. */
nvr_err access_log_each(nvr_index *ix, const struct access_filter *f,
                        int (*fn)(const struct access_entry *e, void *arg), void *arg);

/* The newest entry's id and hash (0 and zeros for an empty log): noted
 * elsewhere (an export's manifest), they pin the log up to that entry. */
nvr_err access_log_head(nvr_index *ix, int64_t *id, uint8_t hash[32]);

#define ACCESS_CHECKPOINT "log_checkpoint"
#define ACCESS_KEY_MAX 80  /* "sha256:" + 64 hex + NUL, with room */
#define ACCESS_SIG_HEX 129 /* 64 bytes as hex + NUL */

/* Signs msg: the signer's fingerprint into key, the signature as hex into
 * sig.  NVR_OK or an error. */
typedef int (*access_sign_fn)(void *arg, const char *msg, size_t len, char key[ACCESS_KEY_MAX],
                              char sig[ACCESS_SIG_HEX]);

/* The exact bytes a checkpoint signs into out (n bytes); their length, or
 * -1 if they do not fit. */
int access_log_checkpoint_message(int64_t upto, const char head_hex[65], int64_t time_us, const char *reason, char *out,
                                  size_t n);

/* Appends a checkpoint of the chain's head (reason: one word, e.g.
 * "periodic", "export", "start", "shutdown"), signed by sign, in one
 * transaction; *id and head_hex (if not NULL) get the checkpoint entry's id
 * and hash. */
nvr_err access_log_checkpoint(nvr_index *ix, int64_t time_us, const char *reason, access_sign_fn sign, void *arg,
                              int64_t *id, char head_hex[65]);

enum { ACCESS_SIG_OK = 0, ACCESS_SIG_BAD = 1, ACCESS_SIG_OTHER_KEY = 2 };

struct access_verify_opts {
    /* checks a checkpoint's signature: ACCESS_SIG_OK, _BAD or _OTHER_KEY
     * (key is not the trusted one); NULL: signatures are not checked (the
     * chain and the heads the checkpoints name still are) */
    int (*check)(void *arg, const char *msg, size_t len, const char *key, const char *sig_hex);
    void *arg;
};

/* Recomputes the whole chain.  Writes one line per problem to report;
 * *problems counts them; head (if not NULL) gets the newest hash and *count
 * the number of entries. */
nvr_err access_log_verify(nvr_index *ix, FILE *report, int *problems, uint8_t head[32], int64_t *count);

/* access_log_verify, and every checkpoint: that it names the entry before
 * it and its hash, and (with o->check) its signature.  Reports the last
 * checkpoint and the entries after it (not anchored), and warns when the
 * log does not end with a shutdown checkpoint. */
nvr_err access_log_verify_opts(nvr_index *ix, const struct access_verify_opts *o, FILE *report, int *problems,
                               uint8_t head[32], int64_t *count);

#endif
