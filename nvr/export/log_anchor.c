/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log_anchor.c - signing and checking access-log checkpoints (see
 * log_anchor.h): storage builds the message and keeps the entry, this file
 * holds the key.
 */
#include "export/log_anchor.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "storage/access_log.h"

#include <string.h>

static nvr_err sign_cb(void *arg, const char *msg, size_t len, char key[ACCESS_KEY_MAX], char sig[ACCESS_SIG_HEX])
{
    const struct sign_key *k = arg;
    uint8_t raw[SIGN_SIG_BYTES];
    char fpr[SIGN_FPR_BUFSZ];
    static const char digits[] = "0123456789abcdef";
    int rc = sign_data(k, msg, len, raw);
    if (rc || (rc = sign_fingerprint(k, fpr)))
        return rc;
    snprintf(key, ACCESS_KEY_MAX, "%s", fpr);
    for (int i = 0; i < SIGN_SIG_BYTES; i++) {
        sig[2 * i] = digits[raw[i] >> 4];
        sig[2 * i + 1] = digits[raw[i] & 15];
    }
    sig[2 * SIGN_SIG_BYTES] = '\0';
    return NVR_OK;
}

int log_anchor_write(nvr_index *ix, const struct sign_key *k, const char *reason)
{
    int64_t id = 0;
    char head[65];
    if (!ix || !k)
        return NVR_EINVAL;
    int rc = access_log_checkpoint(ix, nvr_clock_now_us(), reason, sign_cb, (void *)k, &id, head);
    if (rc)
        nvr_log(NVR_ERROR, NULL, "cannot write an access log checkpoint reason=%s error=\"%s\"", reason,
                nvr_strerror(rc));
    else
        nvr_log(NVR_INFO, NULL, "access log checkpoint id=%lld hash=%s reason=%s", (long long)id, head, reason);
    return rc;
}

void log_anchor_tick(struct log_anchor_state *s, nvr_index *ix, const struct sign_key *k, int64_t now_us)
{
    int64_t id = 0;
    uint8_t hash[32];
    if (!s->last_us)
        s->last_us = now_us;
    if (access_log_head(ix, &id, hash) || id <= s->last_id)
        return;
    if (now_us - s->last_us < LOG_ANCHOR_INTERVAL_US && id - s->last_id < LOG_ANCHOR_ROWS)
        return;
    if (log_anchor_write(ix, k, "periodic") == NVR_OK && access_log_head(ix, &id, hash) == NVR_OK) {
        s->last_id = id;
        s->last_us = now_us;
    }
}

struct trusted {
    const char *pem, *fpr;
};

static int unhex(const char *s, uint8_t *out, size_t n)
{
    if (strlen(s) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int v = 0;
        for (int j = 0; j < 2; j++) {
            char c = s[2 * i + j];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0)
                return -1;
            v = v * 16 + d;
        }
        out[i] = (uint8_t)v;
    }
    return 0;
}

static int check_cb(void *arg, const char *msg, size_t len, const char *key, const char *sig_hex)
{
    const struct trusted *t = arg;
    uint8_t sig[SIGN_SIG_BYTES];
    if (strcmp(key, t->fpr) != 0)
        return ACCESS_SIG_OTHER_KEY;
    if (unhex(sig_hex, sig, sizeof sig))
        return ACCESS_SIG_BAD;
    return sign_verify_pem(t->pem, strlen(t->pem), msg, len, sig, sizeof sig, NULL) == NVR_OK ? ACCESS_SIG_OK
                                                                                              : ACCESS_SIG_BAD;
}

nvr_err log_anchor_verify(nvr_index *ix, const char *pem, const char *trusted_fpr, FILE *report, int *problems)
{
    struct trusted t = {pem, trusted_fpr};
    struct access_verify_opts o = {pem && trusted_fpr ? check_cb : NULL, &t};
    return access_log_verify_opts(ix, &o, report, problems, NULL, NULL);
}
