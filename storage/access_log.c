/* SPDX-License-Identifier: Apache-2.0 */
/*
 * access_log.c - the hash-chained access log (see access_log.h).
 *
 * hash = SHA-256( prev_hash[32] || le64(id) || le64(time_us) ||
 *                 for user, address, action, camera, detail: le32(len) || bytes )
 * Length prefixes make the encoding unambiguous ("ab"+"c" != "a"+"bc").
 */
#include "storage/access_log.h"
#include "storage/index_stmt.h"

#include "base/hex.h"
#include "base/err.h"
#include "storage/sha256.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_text(struct sha256 *h, const char *s)
{
    uint8_t len[4];
    size_t n = strlen(s);
    put_le(len, n, 4);
    sha256_update(h, len, 4);
    sha256_update(h, s, n);
}

static nvr_err entry_hash(const struct access_entry *e, uint8_t out[32])
{
    struct sha256 *h = sha256_new();
    uint8_t num[16];
    if (!h)
        return NVR_ENOMEM;
    sha256_update(h, e->prev_hash, 32);
    put_le(num, (uint64_t)e->id, 8);
    put_le(num + 8, (uint64_t)e->time_us, 8);
    sha256_update(h, num, 16);
    put_text(h, e->user);
    put_text(h, e->address);
    put_text(h, e->action);
    put_text(h, e->camera);
    put_text(h, e->detail);
    sha256_final(h, out);
    sha256_free(&h);
    return NVR_OK;
}

/* The newest entry's id and hash (id 0 and zeros if the log is empty). Locked. */
static nvr_err last_entry(nvr_index *ix, int64_t *id, uint8_t hash[32])
{
    index_stmt st;
    *id = 0;
    memset(hash, 0, 32);
    index_prepare(&st, ix, "SELECT id, hash FROM access_log ORDER BY id DESC LIMIT 1", "access_last");
    nvr_err rc = index_step_row(&st);
    if (rc == NVR_OK) {
        *id = index_col_int64(&st, 0);
        index_col_blob(&st, 1, hash, 32);
    }
    index_finalize(&st);
    return rc == NVR_ENOTFOUND ? NVR_OK : rc;
}

nvr_err access_log_head(nvr_index *ix, int64_t *id, uint8_t hash[32])
{
    index_lock(ix);
    nvr_err rc = last_entry(ix, id, hash);
    index_unlock(ix);
    return rc;
}

/* The highest id the log ever gave (sqlite_sequence survives deletions),
 * or 0 when it has none (no entry yet); quiet.  Locked. */
static int64_t sequence(nvr_index *ix)
{
    index_stmt st;
    int64_t seq = 0;
    index_prepare(&st, ix, "SELECT seq FROM sqlite_sequence WHERE name = 'access_log'", NULL);
    if (index_step(&st) == INDEX_ROW)
        seq = index_col_int64(&st, 0);
    index_finalize(&st);
    return seq;
}

static void fill_entry(struct access_entry *e, int64_t time_us, const char *user, const char *address,
                       const char *action, const char *camera, const char *detail)
{
    memset(e, 0, sizeof *e);
    e->time_us = time_us;
    snprintf(e->user, sizeof e->user, "%s", user ? user : "");
    snprintf(e->address, sizeof e->address, "%s", address ? address : "");
    snprintf(e->action, sizeof e->action, "%s", action ? action : "");
    snprintf(e->camera, sizeof e->camera, "%s", camera ? camera : "");
    snprintf(e->detail, sizeof e->detail, "%s", detail ? detail : "");
}

/* Chains e (its texts and time filled) after the newest entry and inserts
 * it.  Locked, inside a transaction. */
static nvr_err append_locked(nvr_index *ix, struct access_entry *e)
{
    index_stmt st;
    int64_t last, seq;
    nvr_err rc;
    if ((rc = last_entry(ix, &last, e->prev_hash)))
        return rc;
    /* the next AUTOINCREMENT id */
    seq = sequence(ix);
    e->id = seq + 1 > last + 1 ? seq + 1 : last + 1;
    if ((rc = entry_hash(e, e->hash)))
        return rc;
    index_prepare(&st, ix,
                  "INSERT INTO access_log(id, time_us, user, address, action, camera, detail, prev_hash, hash) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                  "access_append");
    index_bind_int64(&st, 1, e->id);
    index_bind_int64(&st, 2, e->time_us);
    index_bind_text(&st, 3, e->user);
    index_bind_text(&st, 4, e->address);
    index_bind_text(&st, 5, e->action);
    index_bind_text(&st, 6, e->camera);
    index_bind_text(&st, 7, e->detail);
    index_bind_blob(&st, 8, e->prev_hash, 32);
    index_bind_blob(&st, 9, e->hash, 32);
    rc = index_step_done(&st);
    index_finalize(&st);
    return rc;
}

nvr_err access_log_append(nvr_index *ix, int64_t time_us, const char *user, const char *address, const char *action,
                          const char *camera, const char *detail)
{
    struct access_entry *e = malloc(sizeof *e);
    if (!e)
        return NVR_ENOMEM;
    fill_entry(e, time_us, user, address, action, camera, detail);
    nvr_err rc = index_begin(ix);
    if (rc == NVR_OK)
        rc = append_locked(ix, e);
    rc = index_end(ix, rc);
    free(e);
    return rc;
}


int access_log_checkpoint_message(int64_t upto, const char head_hex[65], int64_t time_us, const char *reason, char *out,
                                  size_t n)
{
    int len = snprintf(out, n, "nvr access-log checkpoint v1\nupto=%lld\nhead=%s\ntime_us=%lld\nreason=%s\n",
                       (long long)upto, head_hex, (long long)time_us, reason);
    return len > 0 && (size_t)len < n ? len : -1;
}

nvr_err access_log_checkpoint(nvr_index *ix, int64_t time_us, const char *reason, access_sign_fn sign, void *arg,
                              int64_t *upto_out, char head_out[65])
{
    struct access_entry *e = malloc(sizeof *e);
    char msg[256], head_hex[65], key[ACCESS_KEY_MAX], sig[ACCESS_SIG_HEX];
    uint8_t head[32];
    int64_t upto;
    int len;
    if (!e)
        return NVR_ENOMEM;
    nvr_err rc = index_begin(ix);
    if (rc || (rc = last_entry(ix, &upto, head)))
        goto out;
    nvr_hex(head, 32, head_hex);
    if ((len = access_log_checkpoint_message(upto, head_hex, time_us, reason, msg, sizeof msg)) < 0) {
        rc = NVR_EINVAL;
        goto out;
    }
    if ((rc = sign(arg, msg, (size_t)len, key, sig)))
        goto out;
    char detail[ACCESS_TEXT_MAX];
    snprintf(detail, sizeof detail, "upto=%lld head=%s reason=%s key=%s sig=%s", (long long)upto, head_hex, reason, key,
             sig);
    fill_entry(e, time_us, "", "", ACCESS_CHECKPOINT, "", detail);
    rc = append_locked(ix, e);
out:
    if ((rc = index_end(ix, rc)) == NVR_OK) {
        if (upto_out)
            *upto_out = e->id;
        if (head_out)
            nvr_hex(e->hash, 32, head_out);
    }
    free(e);
    return rc;
}

static void read_entry(const index_stmt *st, struct access_entry *e)
{
    memset(e, 0, sizeof *e);
    e->id = index_col_int64(st, 0);
    e->time_us = index_col_int64(st, 1);
    index_col_text(st, 2, e->user, sizeof e->user);
    index_col_text(st, 3, e->address, sizeof e->address);
    index_col_text(st, 4, e->action, sizeof e->action);
    index_col_text(st, 5, e->camera, sizeof e->camera);
    index_col_text(st, 6, e->detail, sizeof e->detail);
    index_col_blob(st, 7, e->prev_hash, 32);
    index_col_blob(st, 8, e->hash, 32);
}

#define ENTRY_COLUMNS "id, time_us, user, address, action, camera, detail, prev_hash, hash"

nvr_err access_log_each(nvr_index *ix, const struct access_filter *f,
                        int (*fn)(const struct access_entry *e, void *arg), void *arg)
{
    index_stmt st;
    struct access_entry *e = malloc(sizeof *e);
    int s;
    if (!e)
        return NVR_ENOMEM;
    index_lock(ix);
    /* the newest `limit` matches, returned oldest first */
    index_prepare(&st, ix,
                  "SELECT * FROM (SELECT " ENTRY_COLUMNS " FROM access_log WHERE time_us >= ?1 AND "
                  "time_us < ?2 AND (?3 IS NULL OR user = ?3) AND (?4 IS NULL OR camera = ?4) AND "
                  "(?5 IS NULL OR action = ?5) ORDER BY id DESC LIMIT ?6) ORDER BY id",
                  "access_each");
    index_bind_int64(&st, 1, f->from_us);
    index_bind_int64(&st, 2, f->to_us);
    index_bind_text(&st, 3, f->user); /* NULL: any */
    index_bind_text(&st, 4, f->camera);
    index_bind_text(&st, 5, f->action);
    index_bind_int64(&st, 6, f->limit > 0 ? f->limit : -1);
    while ((s = index_step(&st)) == INDEX_ROW) {
        read_entry(&st, e);
        if (fn(e, arg))
            break;
    }
    index_finalize(&st);
    index_unlock(ix);
    free(e);
    return s == INDEX_ROW ? NVR_OK : (nvr_err)s;
}

/* Checks checkpoint e against the chain before it (prev_id, prev); a line
 * per problem. */
static void check_checkpoint(const struct access_entry *e, int64_t prev_id, const uint8_t prev[32],
                             const struct access_verify_opts *o, FILE *report, int *problems)
{
    long long upto = -1;
    char head[65] = "", reason[32] = "", key[ACCESS_KEY_MAX] = "", sig[ACCESS_SIG_HEX] = "", prev_hex[65], msg[256];
    nvr_hex(prev, 32, prev_hex);
    if (sscanf(e->detail, "upto=%lld head=%64s reason=%31s key=%79s sig=%128s", &upto, head, reason, key, sig) != 5) {
        (*problems)++;
        fprintf(report, "access log: entry %lld is a malformed checkpoint\n", (long long)e->id);
        return;
    }
    if (upto != prev_id || strcmp(head, prev_hex) != 0) {
        (*problems)++;
        fprintf(report,
                "access log: checkpoint %lld signed the chain up to entry %lld (head %.16s...), but the chain "
                "before it now ends at entry %lld (head %.16s...): entries before it were removed or rewritten\n",
                (long long)e->id, upto, head, (long long)prev_id, prev_hex);
        return;
    }
    if (!o || !o->check)
        return;
    int len = access_log_checkpoint_message(upto, head, e->time_us, reason, msg, sizeof msg);
    int v = len < 0 ? ACCESS_SIG_BAD : o->check(o->arg, msg, (size_t)len, key, sig);
    if (v == ACCESS_SIG_OTHER_KEY) {
        (*problems)++;
        fprintf(report, "access log: checkpoint %lld is signed by %s, not by the recorder's key\n", (long long)e->id,
                key);
    } else if (v != ACCESS_SIG_OK) {
        (*problems)++;
        fprintf(report,
                "access log: checkpoint %lld: the signature does not match (the checkpoint was forged or "
                "rewritten)\n",
                (long long)e->id);
    }
}

static void iso_time(int64_t us, char out[32])
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

nvr_err access_log_verify(nvr_index *ix, FILE *report, int *problems, uint8_t head[32], int64_t *count)
{
    return access_log_verify_opts(ix, NULL, report, problems, head, count);
}

nvr_err access_log_verify_opts(nvr_index *ix, const struct access_verify_opts *o, FILE *report, int *problems,
                               uint8_t head[32], int64_t *count)
{
    index_stmt st;
    struct access_entry *e = malloc(sizeof *e);
    uint8_t prev[32] = {0}, h[32];
    int64_t prev_id = 0, n = 0, checkpoints = 0, last_cp = 0, last_cp_time = 0, seq;
    char last_cp_reason[32] = "";
    nvr_err rc = NVR_OK;
    int s;
    *problems = 0;
    if (!e)
        return NVR_ENOMEM;
    index_lock(ix);
    index_prepare(&st, ix, "SELECT " ENTRY_COLUMNS " FROM access_log ORDER BY id", "access_verify");
    while ((s = index_step(&st)) == INDEX_ROW) {
        read_entry(&st, e);
        n++;
        if (e->id != prev_id + 1) {
            (*problems)++;
            fprintf(report, "access log: entries %lld..%lld are missing\n", (long long)prev_id + 1,
                    (long long)e->id - 1);
        }
        if (memcmp(e->prev_hash, prev, 32) != 0) {
            (*problems)++;
            fprintf(report, "access log: entry %lld does not follow the entry before it (chain broken)\n",
                    (long long)e->id);
        }
        if ((rc = entry_hash(e, h)))
            goto out;
        if (memcmp(h, e->hash, 32) != 0) {
            (*problems)++;
            fprintf(report, "access log: entry %lld was altered (its hash does not match its contents)\n",
                    (long long)e->id);
        }
        if (strcmp(e->action, ACCESS_CHECKPOINT) == 0) {
            check_checkpoint(e, prev_id, prev, o, report, problems);
            checkpoints++;
            last_cp = e->id;
            last_cp_time = e->time_us;
            if (sscanf(e->detail, "%*s %*s reason=%31s", last_cp_reason) != 1)
                last_cp_reason[0] = '\0';
        }
        memcpy(prev, e->hash, 32);
        prev_id = e->id;
    }
    rc = (nvr_err)s;
    index_finalize(&st);
    /* entries removed from the end leave the sequence ahead of the last id */
    if (rc == NVR_OK && (seq = sequence(ix)) > prev_id) {
        (*problems)++;
        fprintf(report, "access log: the newest entries %lld..%lld are missing\n", (long long)prev_id + 1,
                (long long)seq);
    }
    if (head)
        memcpy(head, prev, 32);
    if (count)
        *count = n;
    if (report && rc == NVR_OK) {
        char hx[65], when[32];
        nvr_hex(prev, 32, hx);
        fprintf(report, "access log: %lld entries, head %s\n", (long long)n, hx);
        if (checkpoints == 0 && n > 0) {
            /* `nvr run` writes one at every start: a log with entries and
             * none was stripped of them (or never seen by an nvr that
             * anchors; start it once) */
            (*problems)++;
            fprintf(report, "access log: no signed checkpoint: nothing anchors this log against a rewrite; `nvr run` "
                            "writes one at every start, so they were removed (or this log predates them)\n");
        } else if (checkpoints > 0) {
            iso_time(last_cp_time, when);
            fprintf(report,
                    "access log: %lld signed checkpoints%s; the last is entry %lld at %s (%s); %lld entries "
                    "after it are not anchored yet\n",
                    (long long)checkpoints, o && o->check ? " verified" : " (signatures NOT checked: no key)",
                    (long long)last_cp, when, last_cp_reason, (long long)(prev_id - last_cp));
            if (strcmp(last_cp_reason, "shutdown") != 0)
                fprintf(report,
                        "access log: WARNING: the log does not end with a shutdown checkpoint: the recorder is "
                        "running, stopped without one (a crash), or entries after entry %lld were cut off; "
                        "compare with the checkpoints in the recorder's system log\n",
                        (long long)last_cp);
        }
    }
out:
    index_finalize(&st);
    index_unlock(ix);
    free(e);
    return rc;
}
